//! The new accounts of an accepted bulk migration (§13: the answer's body is not relied on and the
//! call may be asynchronous). One poll for the whole batch: while an old id still reads as a
//! portal-only customer its migration has not happened (the old ids are asked in bulk, `lookup`);
//! once it no longer does, the customer's email finds the new account. An email match never counts
//! before that: a pre-existing Atlassian account with the same email is not the migrated one.

use super::ctx::Ctx;
use super::lookup;
use super::steps::check::find_by_email;
use crate::api::users::{self, AccountType};
use crate::client::Seen;
use crate::error::{Error, Result};
use crate::http::Surface;
use crate::ids::{AccountId, PortalCustomerId};
use futures::StreamExt;

enum Slot {
    /// The old id may still read as a portal-only customer.
    OldId,
    /// It no longer does: look for the account holding the email.
    Email,
    Found(AccountId),
    /// Gone, and there is no email to look for.
    NoEmail,
    Failed(Error),
}

/// Each customer's new account, or why not (a retryable "not visible yet" when the budget ran out).
pub(crate) async fn accepted(
    ctx: &Ctx<'_>,
    batch: &[(PortalCustomerId, Option<String>)],
) -> Vec<Result<AccountId>> {
    let mut slots: Vec<Slot> = batch.iter().map(|_| Slot::OldId).collect();
    let b = ctx.migrate_poll();
    // Errors are per customer (in the slots): the poll itself never fails.
    let _ = ctx
        .client
        .poll(b, async || {
            step(ctx, batch, &mut slots).await;
            let open = slots
                .iter()
                .filter(|s| matches!(s, Slot::OldId | Slot::Email))
                .count();
            Ok::<_, Error>(if open == 0 {
                Seen::Yes(())
            } else {
                Seen::NotYet(format!("{open} accounts not visible yet"))
            })
        })
        .await;
    batch
        .iter()
        .zip(slots)
        .map(|((id, _), slot)| match slot {
            Slot::Found(a) => Ok(a),
            Slot::Failed(e) => Err(e),
            _ => Err(Error::NotYetVisible {
                op: users::SEARCH,
                surface: Surface::Jira,
                message: format!(
                    "the migration of {id} was accepted, but the new account was not found in time (the old id still reads as a portal-only customer, or no Atlassian account holds its email yet); re-run to finish"
                ),
            }),
        })
        .collect()
}

/// One look: the old ids still waiting (in bulk), then the emails of those gone.
async fn step(ctx: &Ctx<'_>, batch: &[(PortalCustomerId, Option<String>)], slots: &mut [Slot]) {
    let n = ctx.s.concurrency.max(1) as usize;
    let waiting: Vec<usize> = (0..batch.len())
        .filter(|&i| matches!(slots[i], Slot::OldId))
        .collect();
    // Omissions prove something only where this site's bulk lookup is known to list customers.
    let listed = match (waiting.is_empty(), ctx.lookups.lists_customers()) {
        (false, true) => {
            let ids = waiting.iter().map(|&i| batch[i].0 .0.clone()).collect();
            lookup::listed(ctx, ids).await
        }
        _ => None,
    };
    match listed {
        Some(found) => {
            for &i in &waiting {
                let still = found
                    .get(batch[i].0.as_str())
                    .is_some_and(|u| u.account_type == AccountType::Customer);
                if !still {
                    slots[i] = Slot::Email;
                }
            }
        }
        None => {
            let one_by_one: Vec<(usize, Result<Option<users::User>>)> =
                futures::stream::iter(waiting)
                    .map(|i| async move {
                        let op = users::get(&ctx.urls.site, batch[i].0.as_str());
                        (i, ctx.client.call(op).await)
                    })
                    .buffer_unordered(n)
                    .collect()
                    .await;
            for (i, r) in one_by_one {
                slots[i] = match r {
                    Ok(Some(u)) if u.account_type == AccountType::Atlassian => {
                        Slot::Found(u.account_id)
                    }
                    Ok(Some(u)) if u.account_type == AccountType::Customer => Slot::OldId,
                    Ok(_) => Slot::Email,
                    Err(e) => Slot::Failed(e),
                };
            }
        }
    }
    let gone: Vec<usize> = (0..batch.len())
        .filter(|&i| matches!(slots[i], Slot::Email))
        .collect();
    let searched: Vec<(usize, Slot)> = futures::stream::iter(gone)
        .map(|i| async move {
            let slot = match batch[i].1.as_deref() {
                None => Slot::NoEmail,
                Some(m) => match find_by_email(ctx, m).await {
                    Ok(Some(a)) => Slot::Found(a),
                    Ok(None) => Slot::Email,
                    Err(e) => Slot::Failed(e),
                },
            };
            (i, slot)
        })
        .buffer_unordered(n)
        .collect()
        .await;
    for (i, slot) in searched {
        slots[i] = slot;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{settings, with_ctx, Script};
    use serde_json::json;

    fn qm(i: usize) -> String {
        format!("qm:00000000-0000-4000-8000-{i:012}:{i:024}")
    }

    fn listing(ids: &[String]) -> String {
        let values: Vec<_> = ids
            .iter()
            .map(|id| json!({"accountId": id, "accountType": "customer"}))
            .collect();
        json!({"values": values, "isLast": true}).to_string()
    }

    fn batch() -> Vec<(PortalCustomerId, Option<String>)> {
        vec![
            (
                PortalCustomerId::new(qm(1)),
                Some("ann@acme.example".into()),
            ),
            (
                PortalCustomerId::new(qm(2)),
                Some("bob@acme.example".into()),
            ),
        ]
    }

    /// Searches always find an Atlassian account: it proves nothing while the old id reads as a customer.
    fn with_accounts(s: Script) -> Script {
        s.on(
            "query=ann",
            200,
            r#"[{"accountId":"712020:ann","accountType":"atlassian","emailAddress":"ann@acme.example"}]"#,
        )
        .on(
            "query=bob",
            200,
            r#"[{"accountId":"712020:bob","accountType":"atlassian","emailAddress":"bob@acme.example"}]"#,
        )
    }

    /// `accepted` after a first bulk listing showed customers (so omissions mean something).
    fn run(script: &Script) -> (Vec<Result<AccountId>>, u64) {
        let s = settings(json!({}));
        with_ctx(script, &s, async |ctx| {
            let ids = batch().iter().map(|(p, _)| p.0.clone()).collect();
            assert!(lookup::listed(ctx, ids).await.is_some());
            accepted(ctx, &batch()).await
        })
    }

    #[test]
    fn an_accepted_batch_is_watched_in_bulk_and_each_email_asked_once_its_old_id_is_gone() {
        let both = [qm(1), qm(2)];
        let script = with_accounts(
            Script::default()
                .on("/user/bulk", 200, &listing(&both)) // before the migration
                .on("/user/bulk", 200, &listing(&both)) // still asynchronous
                .on("/user/bulk", 200, &listing(&both[1..])) // ann's is done
                .on("/user/bulk", 200, &listing(&[])),
        );
        let (found, slept) = run(&script);
        let ids: Vec<String> = found.into_iter().map(|r| r.unwrap().0).collect();
        assert_eq!(ids, ["712020:ann", "712020:bob"]);
        assert_eq!(
            script.count("/user/bulk"),
            4,
            "one call per round for the batch"
        );
        assert_eq!(
            script.count("/user/search"),
            2,
            "each email once, after its old id left"
        );
        assert_eq!(script.count("/rest/api/3/user?"), 0);
        assert_eq!(slept, 250 + 500);
        let third = script.log.borrow()[3].clone();
        assert!(
            !third.contains(&crate::ids::pct(&qm(1))),
            "ann's old id is not asked again"
        );
    }

    #[test]
    fn an_old_id_that_never_leaves_is_a_retryable_not_yet_and_only_for_that_customer() {
        let script = with_accounts(Script::default().on("/user/bulk", 200, &listing(&[qm(2)])));
        let (found, slept) = run(&script);
        assert_eq!(found[0].as_ref().unwrap().as_str(), "712020:ann");
        let e = found[1].as_ref().unwrap_err();
        assert_eq!(e.code(), "NOT_YET_VISIBLE");
        assert!(
            e.retryable() && slept <= 2_000,
            "bounded by migrate.pollTimeoutMs"
        );
        assert_eq!(script.count("query=bob"), 0, "bob's email never counted");
    }

    #[test]
    fn without_a_listing_of_customers_the_old_ids_are_asked_one_by_one() {
        let script = with_accounts(Script::default().on("/user/bulk", 200, &listing(&[])).on(
            "/rest/api/3/user?",
            404,
            "{}",
        ));
        let (found, _) = run(&script);
        assert!(found.iter().all(|r| r.is_ok()));
        assert_eq!(script.count("/user/bulk"), 1, "only the first look");
        assert_eq!(script.count("/rest/api/3/user?"), 2);
    }
}
