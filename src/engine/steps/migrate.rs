//! `migrate`: the one irreversible call. Journaled before (intent) and after (the new id); a lost or
//! ambiguous answer is reconciled against the world before anything is sent again (§13).

use super::check::find_by_email;
use super::{step_err, StepError};
use crate::api::customers::{self, Migrated};
use crate::api::users;
use crate::client::{Backoff, Seen};
use crate::engine::ctx::Ctx;
use crate::engine::records;
use crate::engine::work::Work;
use crate::error::{Error, Result};
use crate::http::Surface;
use crate::ids::{AccountId, PortalCustomerId};
use crate::journal::Stage;
use crate::report::Step;

/// The journaled single migrate; the new account. `Ok(None)` in a dry run.
pub(crate) async fn single(
    ctx: &Ctx<'_>,
    w: &Work,
    id: &PortalCustomerId,
    email: Option<&str>,
) -> Result<Option<AccountId>, StepError> {
    let e = step_err(Step::Migrate);
    if ctx.dry_run {
        return Ok(None);
    }
    records::stage(ctx, w, id, email, Stage::Intent, None)
        .await
        .map_err(&e)?;
    let answer = ctx
        .client
        .call_once(
            || customers::migrate(&ctx.urls, id),
            async |_| {
                // Ambiguous: the service may have committed. Look before sending again.
                let found = reconcile(ctx, id, email, false).await?;
                Ok(found.map(|a| Migrated::Done(Some(a))))
            },
        )
        .await
        .map_err(&e)?;
    let account = match answer {
        Migrated::Done(Some(a)) => Some(a),
        Migrated::Done(None) => match email {
            Some(m) => poll_by_email(ctx, m).await.map_err(&e)?,
            None => None,
        },
        Migrated::NotFound(err) => return Err(e(err)),
        Migrated::NotLocalCustomer(err) => {
            match reconcile(ctx, id, email, true).await.map_err(&e)? {
                Some(a) => Some(a),
                None => return Err(e(err)),
            }
        }
    };
    let Some(account) = account else {
        return Err(e(Error::NotYetVisible {
            op: users::SEARCH,
            surface: Surface::Jira,
            message: "migrated, but the new account id was neither in the answer nor found by email yet; re-run to finish".into(),
        }));
    };
    records::stage(ctx, w, id, email, Stage::Migrated, Some(&account))
        .await
        .map_err(&e)?;
    Ok(Some(account))
}

/// Polls `find_by_email` with back-off for at most `migrate.pollTimeoutMs` (new accounts may take a
/// moment to become searchable, §13).
pub(crate) async fn poll_by_email(ctx: &Ctx<'_>, email: &str) -> Result<Option<AccountId>> {
    let b = Backoff {
        first_ms: 250,
        max_ms: 5_000,
        budget_ms: ctx.s.config.migrate.poll_timeout_ms,
    };
    let seen = ctx
        .client
        .poll(b, async || {
            Ok(match find_by_email(ctx, email).await? {
                Some(a) => Seen::Yes(a),
                None => Seen::NotYet(format!("no Atlassian account has {email} yet")),
            })
        })
        .await?;
    Ok(match seen {
        Seen::Yes(a) => Some(a),
        Seen::NotYet(_) => None,
    })
}

/// After an ambiguous migrate (lost answer, 5xx, "not a local customer"): has it happened? The
/// account when it has, `None` when the id is still a portal-only customer. When the service itself
/// said the id is no longer a local customer (`not_local`), the email decides even if the old id
/// still reads as a customer (a lagging read).
pub(crate) async fn reconcile(
    ctx: &Ctx<'_>,
    id: &PortalCustomerId,
    email: Option<&str>,
    not_local: bool,
) -> Result<Option<AccountId>> {
    match ctx
        .client
        .call(users::get(&ctx.urls.site, id.as_str()))
        .await?
    {
        Some(u) if u.account_type == users::AccountType::Customer && !not_local => Ok(None),
        Some(u) if u.account_type == users::AccountType::Atlassian => Ok(Some(u.account_id)),
        _ => match email {
            Some(e) => poll_by_email(ctx, e).await,
            None => Ok(None),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{settings, with_ctx, Script};

    const QM: &str = "qm:00000000-0000-4000-8000-000000000001:aa";

    fn work() -> Work {
        Work {
            reference: crate::ids::CustomerRef::parse(QM),
            email: Some("ann@acme.example".into()),
            company: None,
            asset: None,
            source: "test".into(),
            skip_reason: None,
        }
    }

    fn customer(kind: &str, id: &str) -> String {
        format!(
            r#"{{"accountId":"{id}","accountType":"{kind}","emailAddress":"ann@acme.example"}}"#
        )
    }

    #[test]
    fn reconcile_reads_the_old_id_then_the_email() {
        let s = settings(serde_json::json!({}));
        let id = PortalCustomerId::new(QM);
        let still = Script::default().on("/rest/api/3/user?", 200, &customer("customer", QM));
        let (r, _) = with_ctx(&still, &s, async |ctx| {
            reconcile(ctx, &id, Some("ann@acme.example"), false).await
        });
        assert_eq!(r.unwrap(), None, "still a portal-only customer");

        let gone = Script::default().on("/rest/api/3/user?", 404, "{}").on(
            "/user/search",
            200,
            &format!("[{}]", customer("atlassian", "712020:n")),
        );
        let (r, _) = with_ctx(&gone, &s, async |ctx| {
            reconcile(ctx, &id, Some("ann@acme.example"), false).await
        });
        assert_eq!(r.unwrap(), Some(AccountId::new("712020:n")));
    }

    #[test]
    fn a_lost_answer_is_checked_not_resent() {
        let s = settings(serde_json::json!({}));
        let id = PortalCustomerId::new(QM);
        let script = Script::default()
            .reset("migrate-to-atlassian-account-user")
            .on("/rest/api/3/user?", 404, "{}")
            .on(
                "/user/search",
                200,
                &format!("[{}]", customer("atlassian", "712020:n")),
            );
        let (r, _) = with_ctx(&script, &s, async |ctx| {
            single(ctx, &work(), &id, Some("ann@acme.example"))
                .await
                .map_err(|e| e.error)
        });
        assert_eq!(r.unwrap(), Some(AccountId::new("712020:n")));
        assert_eq!(script.count("migrate-to-atlassian-account-user"), 1);
    }

    #[test]
    fn a_lost_answer_for_a_customer_still_portal_only_is_resent_after_the_back_off() {
        let s = settings(serde_json::json!({}));
        let id = PortalCustomerId::new(QM);
        let script = Script::default()
            .reset("migrate-to-atlassian-account-user")
            .on(
                "migrate-to-atlassian-account-user",
                200,
                r#"{"aaUser":{"accountId":"712020:n"}}"#,
            )
            .on("/rest/api/3/user?", 200, &customer("customer", QM));
        let (r, slept) = with_ctx(&script, &s, async |ctx| {
            single(ctx, &work(), &id, Some("ann@acme.example"))
                .await
                .map_err(|e| e.error)
        });
        assert_eq!(r.unwrap(), Some(AccountId::new("712020:n")));
        assert_eq!(script.count("migrate-to-atlassian-account-user"), 2);
        assert_eq!(slept, 10, "the policy's first back-off");
    }
}
