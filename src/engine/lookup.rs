//! Batched account checks: the customers about to run are looked up together through
//! `GET /rest/api/3/user/bulk` (atlassian-api.md §4.3) just before each one's `check`, and bulk mode
//! watches an accepted migration the same way. Only what an answer lists is believed: an id it omits
//! is asked with `GET user`, whose 404 is the documented "no such account" (§4.1).

use super::ahead::{key, Ahead};
use super::ctx::Ctx;
use super::records;
use super::steps::check;
use super::work::Work;
use crate::api::users::{self, AccountType, User};
use crate::client::Walk;
use crate::error::Result;
use crate::ids::CustomerRef;
use crate::journal::CustomerRecord;
use futures::{Stream, StreamExt};
use std::collections::{HashMap, HashSet};

/// Customers read ahead together: one bulk call's worth.
const GROUP: usize = users::BULK_MAX_IDS;

/// The work in order, each group read ahead (journal records, one bulk lookup) when the first of it
/// is about to start. The read happens only while a slot is free, so it never holds a permit that
/// running customers wait for.
pub(crate) fn ahead<'c, 'a, S: Stream<Item = Work> + 'c>(
    ctx: &'c Ctx<'a>,
    work: S,
) -> impl Stream<Item = Work> + use<'c, 'a, S> {
    // Grouped as they are reached, not up front: no second copy of the work list.
    work.chunks(GROUP)
        .then(move |g| async move {
            read_ahead(ctx, &g).await;
            futures::stream::iter(g)
        })
        .flatten()
}

async fn read_ahead(ctx: &Ctx<'_>, group: &[Work]) {
    if ctx.stopped() || !ctx.may_start() {
        return;
    }
    let refs = group
        .iter()
        .filter_map(|w| w.reference.as_ref())
        .filter(|r| key(r).is_some());
    let read: Vec<(&CustomerRef, Result<Option<CustomerRecord>>)> = futures::stream::iter(refs)
        .map(|r| async move { (r, records::of(ctx, r).await) })
        .buffered(ctx.s.concurrency.max(1) as usize)
        .collect()
        .await;
    let mut ids = Vec::new();
    let mut entries = Vec::new();
    for (r, record) in read {
        // A journal error is left to `check`, which reads again and reports it.
        let Ok(record) = record else { continue };
        if let Some(raw) = check::needs_lookup(ctx, r, record.as_ref()) {
            ids.push(raw.to_string());
        }
        entries.push((key(r).unwrap_or_default().to_string(), record));
    }
    let mut listed = listed(ctx, ids).await.unwrap_or_default();
    let mut ahead = ctx.lookups.ahead.borrow_mut();
    if ahead.len() > 4 * GROUP {
        ahead.clear(); // left by customers that never started; `check` reads them itself
    }
    for (k, record) in entries {
        let user = listed.remove(&k);
        ahead.insert(k, Ahead { record, user });
    }
}

/// The accounts `user/bulk` lists among `ids`, by id (every page of every call); `None` when the
/// lookup is off or failed, so the caller asks one by one.
pub(crate) async fn listed(ctx: &Ctx<'_>, ids: Vec<String>) -> Option<HashMap<String, User>> {
    if ids.is_empty() {
        return Some(HashMap::new());
    }
    if ctx.lookups.off.get() {
        return None;
    }
    let calls: Vec<Result<Vec<User>>> =
        futures::stream::iter(users::bulk_batches(&ctx.urls.site, ids))
            .map(|b| one_call(ctx, b))
            .buffer_unordered(ctx.s.concurrency.max(1) as usize)
            .collect()
            .await;
    let mut out = HashMap::new();
    for c in calls {
        match c {
            Ok(found) => out.extend(found.into_iter().map(|u| (u.account_id.0.clone(), u))),
            Err(e) => {
                let l = &ctx.lookups;
                l.failures.set(l.failures.get() + 1);
                let refused = e
                    .status()
                    .is_some_and(|s| (400..500).contains(&s) && s != 429);
                if refused || l.failures.get() >= 3 {
                    l.off.set(true);
                }
                return None;
            }
        }
    }
    Some(out)
}

/// One bulk call, every page: at most one user per id, so the walk is bounded by the ids asked.
async fn one_call(ctx: &Ctx<'_>, ids: Vec<String>) -> Result<Vec<User>> {
    let asked: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let walk = Walk {
        what: "the bulk account lookup".into(),
        max_pages: ids.len() as u32 + 1,
        max_items: ids.len() as u64,
    };
    let mut found = Vec::new();
    ctx.client
        .all_pages(
            &walk,
            |at| users::bulk(&ctx.urls.site, &ids, at),
            |u| u.account_id.0.clone(),
            async |page| {
                for u in page.items {
                    // An account not asked for, or an Atlassian one without an account id, proves nothing.
                    let valid = u.account_type != AccountType::Atlassian
                        || crate::ids::is_account_id(&u.account_id);
                    if !valid || !asked.contains(u.account_id.as_str()) {
                        continue;
                    }
                    if u.account_type == AccountType::Customer {
                        ctx.lookups.lists_customers.set(true);
                    }
                    found.push(u);
                }
                Ok(())
            },
        )
        .await?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::steps::{check, Checked};
    use crate::engine::testing::{settings, with_ctx, work, Script};
    use crate::ids::{AccountId, PortalCustomerId};
    use crate::journal::Stage;
    use serde_json::json;

    fn qm(i: usize) -> String {
        format!("qm:00000000-0000-4000-8000-{i:012}:{i:024}")
    }

    fn customers(ids: &[String], extra: serde_json::Value) -> String {
        let values: Vec<_> = ids
            .iter()
            .map(|id| json!({"accountId": id, "accountType": "customer"}))
            .collect();
        let mut page = json!({ "values": values });
        if let (Some(p), Some(e)) = (page.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        page.to_string()
    }

    /// `check::begin` for each work item in order, through the read-ahead: what each one found.
    fn checks(script: &Script, work: Vec<Work>) -> Vec<&'static str> {
        let s = settings(json!({}));
        with_ctx(script, &s, async |ctx| {
            let ctx = &*ctx;
            ahead(ctx, futures::stream::iter(work))
                .then(|w| async move {
                    match check::begin(ctx, &w).await.unwrap() {
                        Some(st) if st.rep.error.is_some() => "failed",
                        Some(st) => match st.checked {
                            Checked::Portal { .. } => "portal",
                            Checked::Account { .. } => "account",
                            Checked::Skip(_) => "skip",
                        },
                        None => "duplicate",
                    }
                })
                .collect()
                .await
        })
        .0
    }

    #[test]
    fn a_group_is_checked_with_one_bulk_call_and_an_omitted_id_is_asked_alone() {
        let ids: Vec<String> = (1..=3).map(qm).collect();
        let script = Script::default()
            .on(
                "/user/bulk",
                200,
                &customers(&ids[..2], json!({"isLast": true})),
            )
            .on(
                "/rest/api/3/user?",
                200,
                &json!({"accountId": ids[2], "accountType": "customer"}).to_string(),
            );
        let found = checks(&script, ids.iter().map(|i| work(i)).collect());
        assert_eq!(found, ["portal"; 3]);
        assert_eq!(script.count("/user/bulk"), 1);
        assert_eq!(script.count("/rest/api/3/user?"), 1, "only the omitted id");
        assert!(script
            .log
            .borrow()
            .last()
            .unwrap()
            .contains("qm%3A00000000"));
        let bulk = script.log.borrow()[0].clone();
        assert!(bulk.contains("maxResults=3") && bulk.matches("&accountId=").count() == 3);
    }

    #[test]
    fn pages_are_walked_as_the_answer_says_and_never_past_the_ids_asked() {
        let ids: Vec<String> = (1..=2).map(qm).collect();
        // A capped first page saying "false" as a string, then one with no paging fields at all.
        let script = Script::default()
            .on(
                "/user/bulk",
                200,
                &customers(&ids[..1], json!({"isLast": "false", "total": "7"})),
            )
            .on("/user/bulk", 200, &customers(&ids[1..], json!({})));
        assert_eq!(
            checks(&script, ids.iter().map(|i| work(i)).collect()),
            ["portal"; 2]
        );
        assert_eq!(
            script.count("/user/bulk"),
            2,
            "the second page ends it: 2 users for 2 ids"
        );
        assert!(script.log.borrow()[1].contains("startAt=1&"));
        assert_eq!(script.count("/rest/api/3/user?"), 0);

        // A listing that ignores startAt: the walk fails clearly after one repeat, and every id is
        // asked alone instead.
        let stuck = Script::default()
            .on(
                "/user/bulk",
                200,
                &customers(&ids[..1], json!({"isLast": false})),
            )
            .on(
                "/rest/api/3/user?",
                200,
                &json!({"accountId": ids[1], "accountType": "customer"}).to_string(),
            );
        checks(&stuck, ids.iter().map(|i| work(i)).collect());
        assert_eq!(stuck.count("/user/bulk"), 2);
        assert_eq!(stuck.count("/rest/api/3/user?"), 2);
    }

    #[test]
    fn groups_of_a_hundred_and_a_refusal_turns_the_bulk_lookup_off() {
        let one = json!({"accountId": qm(0), "accountType": "customer"}).to_string();
        let script = Script::default()
            .on("/user/bulk", 200, r#"{"values":[],"isLast":true}"#)
            .on("/rest/api/3/user?", 200, &one);
        let work: Vec<Work> = (0..250).map(|i| work(&qm(i))).collect();
        checks(&script, work.clone());
        assert_eq!(script.count("/user/bulk"), 3);
        assert!(script
            .log
            .borrow()
            .iter()
            .all(|l| l.len() <= users::BULK_MAX_URL + 4));

        let refused = Script::default()
            .on("/user/bulk", 400, r#"{"errorMessages":["too many"]}"#)
            .on("/rest/api/3/user?", 200, &one);
        checks(&refused, work);
        assert_eq!(refused.count("/user/bulk"), 1, "off after a 4xx");
        assert_eq!(refused.count("/rest/api/3/user?"), 250);
    }

    #[test]
    fn the_journal_settles_what_it_knows_and_a_stopped_job_reads_nothing_ahead() {
        let script = Script::default().on(
            "/user/bulk",
            200,
            &customers(&[qm(2)], json!({"isLast": true})),
        );
        let s = settings(json!({}));
        let (found, _) = with_ctx(&script, &s, async |ctx| {
            let ctx = &*ctx;
            let known = work(&qm(1));
            let p = PortalCustomerId::new(qm(1));
            let a = AccountId::new("712020:known");
            records::stage(ctx, &known, &p, None, Stage::Migrated, Some(&a))
                .await
                .unwrap();
            let all = vec![known, work(&qm(2))];
            let mut out = Vec::new();
            let mut s = std::pin::pin!(ahead(ctx, futures::stream::iter(all)));
            while let Some(w) = s.next().await {
                let st = check::begin(ctx, &w).await.unwrap().unwrap();
                out.push(matches!(st.checked, Checked::Account { .. }));
            }
            ctx.stop(crate::error::Error::request("stop"));
            let _: Vec<Work> = ahead(ctx, futures::stream::iter(vec![work(&qm(3))]))
                .collect()
                .await;
            out
        });
        assert_eq!(found, [true, false]);
        assert_eq!(script.count("/user/bulk"), 1);
        let bulk = script.log.borrow()[0].clone();
        assert!(
            !bulk.contains(&crate::ids::pct(&qm(1))),
            "the journal knew it"
        );
    }
}
