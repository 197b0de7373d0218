//! `migrate`: the one irreversible call. Journaled before (intent) and after (the new id); a lost or
//! ambiguous answer is settled against the world before anything is sent again, and the new account
//! is only believed once the old id no longer reads as a portal-only customer (§13, §14).

use super::check::find_by_email;
use super::{step_err, StepError};
use crate::api::customers::{self, Migrated};
use crate::api::users::{self, AccountType};
use crate::client::Seen;
use crate::engine::ctx::Ctx;
use crate::engine::work::Work;
use crate::engine::{lease, records};
use crate::error::{Error, Result};
use crate::http::Surface;
use crate::ids::{AccountId, PortalCustomerId};
use crate::journal::Stage;
use crate::report::Step;

/// What is known about a migrate call when the new account is looked for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum After {
    /// The answer was lost or ambiguous: it may not have happened; one look decides.
    Lost,
    /// The service accepted it (possibly asynchronously): wait for it.
    Accepted,
    /// The service says the id is no longer a local customer: wait for the old id to agree.
    NotLocal,
}

/// What a failed step means for the job.
pub(crate) enum Failure {
    /// This customer failed.
    Step(StepError),
    /// The job must stop (a route it needs is gone); the customer stays open.
    Job(Error),
}

impl From<StepError> for Failure {
    fn from(e: StepError) -> Self {
        Failure::Step(e)
    }
}

/// What to do once this run holds a customer's migrate claim.
pub(crate) enum Before {
    /// Send the migrate.
    Go,
    /// Another run (the claim's previous holder) migrated it: carry on with its account.
    Adopt(AccountId),
}

/// Claims the customer's migrate (waiting, bounded, while another run holds it), then looks at what
/// the previous holder left: its new account (adopted), or an intent whose answer it never recorded
/// (reconciled with one look at the old id before anything is sent).
pub(crate) async fn before(
    ctx: &Ctx<'_>,
    id: &PortalCustomerId,
    email: Option<&str>,
) -> Result<Before> {
    let won = lease::take_customer(ctx, id).await?;
    if let Some(r) = ctx.records.customer(id).await? {
        if let (Some(a), true) = (&r.account_id, r.stage != Stage::Intent) {
            return Ok(Before::Adopt(a.clone()));
        }
        let foreign_intent = r.stage == Stage::Intent && r.job_id != ctx.job_id;
        if matches!(won, lease::Won::TookOver) || foreign_intent {
            if let Some(a) = find_account(ctx, id, email, After::Lost).await? {
                return Ok(Before::Adopt(a));
            }
        }
    }
    Ok(Before::Go)
}

/// The journaled single migrate, under the customer's claim; the new account. `Ok(None)` in a dry run.
pub(crate) async fn single(
    ctx: &Ctx<'_>,
    w: &Work,
    id: &PortalCustomerId,
    email: Option<&str>,
) -> Result<Option<AccountId>, Failure> {
    if ctx.dry_run {
        return Ok(None);
    }
    let r = claimed(ctx, w, id, email).await;
    lease::drop_customer(ctx, id).await;
    r
}

async fn claimed(
    ctx: &Ctx<'_>,
    w: &Work,
    id: &PortalCustomerId,
    email: Option<&str>,
) -> Result<Option<AccountId>, Failure> {
    let e = step_err(Step::Migrate);
    if let Before::Adopt(a) = before(ctx, id, email).await.map_err(&e)? {
        records::stage(ctx, w, id, email, Stage::Migrated, Some(&a))
            .await
            .map_err(&e)?;
        return Ok(Some(a));
    }
    records::stage(ctx, w, id, email, Stage::Intent, None)
        .await
        .map_err(&e)?;
    let answer = ctx
        .client
        .call_once(
            || customers::migrate(&ctx.urls, id),
            async |_| {
                let found = find_account(ctx, id, email, After::Lost).await?;
                Ok(found.map(|a| Migrated::Done(Some(a))))
            },
        )
        .await
        .map_err(&e)?;
    let account = match answer {
        Migrated::Done(Some(a)) => a,
        Migrated::Done(None) => accepted(ctx, id, email).await.map_err(&e)?,
        Migrated::NotFound(err) => gone_or_unknown(ctx, id, err).await?,
        Migrated::NotLocalCustomer(err) => {
            match find_account(ctx, id, email, After::NotLocal)
                .await
                .map_err(&e)?
            {
                Some(a) => a,
                None => return Err(e(err).into()),
            }
        }
    };
    records::stage(ctx, w, id, email, Stage::Migrated, Some(&account))
        .await
        .map_err(&e)?;
    Ok(Some(account))
}

/// The new account of an accepted migrate, or a retryable "not visible yet".
pub(crate) async fn accepted(
    ctx: &Ctx<'_>,
    id: &PortalCustomerId,
    email: Option<&str>,
) -> Result<AccountId> {
    match find_account(ctx, id, email, After::Accepted).await? {
        Some(a) => Ok(a),
        None => Err(Error::NotYetVisible {
            op: users::SEARCH,
            surface: Surface::Jira,
            message: format!(
                "the migration of {id} was accepted, but the new account was not found in time (the old id still reads as a portal-only customer, or no Atlassian account holds its email yet); re-run to finish"
            ),
        }),
    }
}

/// A migrate route answered 404. The old id decides: still a portal-only customer → the route is
/// unavailable on this site (the job stops); gone → an unknown id (this customer fails); an
/// Atlassian account → it was migrated after all.
async fn gone_or_unknown(
    ctx: &Ctx<'_>,
    id: &PortalCustomerId,
    err: Error,
) -> Result<AccountId, Failure> {
    let e = step_err(Step::Migrate);
    let user = ctx
        .client
        .call(users::get(&ctx.urls.site, id.as_str()))
        .await
        .map_err(&e)?;
    match user {
        Some(u) if u.account_type == AccountType::Atlassian => Ok(u.account_id),
        Some(u) if u.account_type == AccountType::Customer => {
            Err(Failure::Job(route_unavailable(&err, id)))
        }
        _ => Err(e(err).into()),
    }
}

/// The job-stopping error for a migrate route that answered 404.
pub(crate) fn route_unavailable(err: &Error, id: &PortalCustomerId) -> Error {
    let (op, surface) = match err {
        Error::Api { op, surface, .. } => (*op, *surface),
        _ => (customers::MIGRATE, Surface::Admin),
    };
    Error::Unavailable {
        op,
        surface,
        message: format!(
            "the migrate route answered 404 while {id} is still a portal-only customer: the route is unavailable on this site. Nothing was closed; switch migrate.mode (\"bulk\" is what the admin UI sends) and resume the job"
        ),
    }
}

/// Looks for the account a migrate made. `Lost`: one look at the old id (still a customer → `None`,
/// it did not happen). `Accepted` / `NotLocal`: polls (bounded, backing off) while the old id still
/// reads as a portal-only customer. An email match counts only once the old id no longer does: a
/// pre-existing Atlassian account with the same email is not the migrated one.
pub(crate) async fn find_account(
    ctx: &Ctx<'_>,
    id: &PortalCustomerId,
    email: Option<&str>,
    after: After,
) -> Result<Option<AccountId>> {
    let b = ctx.migrate_poll();
    let seen = ctx
        .client
        .poll(b, async || {
            let user = ctx
                .client
                .call(users::get(&ctx.urls.site, id.as_str()))
                .await?;
            match user {
                Some(u) if u.account_type == AccountType::Atlassian => {
                    Ok(Seen::Yes(Some(u.account_id)))
                }
                Some(u) if u.account_type == AccountType::Customer => {
                    if after == After::Lost {
                        return Ok(Seen::Yes(None));
                    }
                    Ok(Seen::NotYet(format!(
                        "{id} still reads as a portal-only customer"
                    )))
                }
                _ => match email {
                    Some(m) => Ok(match find_by_email(ctx, m).await? {
                        Some(a) => Seen::Yes(Some(a)),
                        None => Seen::NotYet(format!("no Atlassian account holds {m} yet")),
                    }),
                    None => Ok(Seen::Yes(None)),
                },
            }
        })
        .await?;
    Ok(match seen {
        Seen::Yes(a) => a,
        Seen::NotYet(_) => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{settings, with_ctx, Script};

    const QM: &str = "qm:00000000-0000-4000-8000-000000000001:aa";

    fn work() -> Work {
        crate::engine::testing::work(QM)
    }

    fn user(kind: &str, id: &str) -> String {
        format!(
            r#"{{"accountId":"{id}","accountType":"{kind}","emailAddress":"ann@acme.example"}}"#
        )
    }

    fn run<T>(script: &Script, f: impl AsyncFnOnce(&mut Ctx<'_>) -> T) -> (T, u64) {
        with_ctx(script, &settings(serde_json::json!({})), f)
    }

    #[test]
    fn after_a_lost_answer_one_look_decides() {
        let id = PortalCustomerId::new(QM);
        let still = Script::default().on("/rest/api/3/user?", 200, &user("customer", QM));
        let (r, slept) = run(&still, async |ctx| {
            find_account(ctx, &id, Some("ann@acme.example"), After::Lost).await
        });
        assert_eq!(
            (r.unwrap(), slept),
            (None, 0),
            "still a portal-only customer: it did not happen"
        );

        let gone = Script::default().on("/rest/api/3/user?", 404, "{}").on(
            "/user/search",
            200,
            &format!("[{}]", user("atlassian", "712020:n")),
        );
        let (r, _) = run(&gone, async |ctx| {
            find_account(ctx, &id, Some("ann@acme.example"), After::Lost).await
        });
        assert_eq!(r.unwrap(), Some(AccountId::new("712020:n")));
    }

    #[test]
    fn an_accepted_migration_is_awaited_while_the_old_id_still_reads_as_a_customer() {
        let id = PortalCustomerId::new(QM);
        // An Atlassian account with the same email exists all along: it proves nothing until the old id
        // stops reading as a portal-only customer.
        let script = Script::default()
            .on("/rest/api/3/user?", 200, &user("customer", QM))
            .on("/rest/api/3/user?", 200, &user("customer", QM))
            .on("/rest/api/3/user?", 404, "{}")
            .on(
                "/user/search",
                200,
                &format!("[{}]", user("atlassian", "712020:n")),
            );
        let (r, slept) = run(&script, async |ctx| {
            accepted(ctx, &id, Some("ann@acme.example")).await
        });
        assert_eq!(r.unwrap(), AccountId::new("712020:n"));
        assert_eq!(slept, 250 + 500, "backed off twice");
        assert_eq!(
            script.count("/user/search"),
            1,
            "the email was asked only once the old id was gone"
        );
    }

    #[test]
    fn a_migration_never_seen_in_time_is_retryable() {
        let id = PortalCustomerId::new(QM);
        let script = Script::default().on("/rest/api/3/user?", 200, &user("customer", QM));
        let (r, slept) = run(&script, async |ctx| {
            accepted(ctx, &id, Some("ann@acme.example")).await
        });
        let e = r.unwrap_err();
        assert_eq!(e.code(), "NOT_YET_VISIBLE");
        assert!(e.retryable());
        assert!(slept <= 2_000, "bounded by migrate.pollTimeoutMs");
    }

    #[test]
    fn a_lost_answer_is_checked_not_resent() {
        let id = PortalCustomerId::new(QM);
        let script = Script::default()
            .reset("migrate-to-atlassian-account-user")
            .on("/rest/api/3/user?", 404, "{}")
            .on(
                "/user/search",
                200,
                &format!("[{}]", user("atlassian", "712020:n")),
            );
        let (r, _) = run(&script, async |ctx| {
            single(ctx, &work(), &id, Some("ann@acme.example"))
                .await
                .ok()
        });
        assert_eq!(r, Some(Some(AccountId::new("712020:n"))));
        assert_eq!(script.count("migrate-to-atlassian-account-user"), 1);
    }

    #[test]
    fn a_lost_answer_for_a_customer_still_portal_only_is_resent_after_the_back_off() {
        let id = PortalCustomerId::new(QM);
        let script = Script::default()
            .reset("migrate-to-atlassian-account-user")
            .on(
                "migrate-to-atlassian-account-user",
                200,
                r#"{"aaUser":{"accountId":"712020:n"}}"#,
            )
            .on("/rest/api/3/user?", 200, &user("customer", QM));
        let (r, slept) = run(&script, async |ctx| {
            single(ctx, &work(), &id, Some("ann@acme.example"))
                .await
                .ok()
        });
        assert_eq!(r, Some(Some(AccountId::new("712020:n"))));
        assert_eq!(script.count("migrate-to-atlassian-account-user"), 2);
        assert_eq!(slept, 10, "the policy's first back-off");
    }

    #[test]
    fn a_404_route_for_an_existing_customer_stops_the_job_and_for_an_unknown_id_fails_the_customer()
    {
        let id = PortalCustomerId::new(QM);
        let gone = Script::default()
            .on(
                "migrate-to-atlassian-account-user",
                404,
                r#"{"message":"Not Found"}"#,
            )
            .on("/rest/api/3/user?", 200, &user("customer", QM));
        let (r, _) = run(&gone, async |ctx| {
            single(ctx, &work(), &id, None).await.err()
        });
        assert!(matches!(r, Some(Failure::Job(Error::Unavailable { .. }))));

        let unknown = Script::default()
            .on(
                "migrate-to-atlassian-account-user",
                404,
                r#"{"errorMessages":["No local customer found"]}"#,
            )
            .on("/rest/api/3/user?", 404, "{}");
        let (r, _) = run(&unknown, async |ctx| {
            single(ctx, &work(), &id, None).await.err()
        });
        match r {
            Some(Failure::Step(e)) => {
                assert!(!e.error.retryable());
                assert_eq!(e.error.status(), Some(404));
            }
            _ => panic!("expected a failed customer"),
        }
    }
}
