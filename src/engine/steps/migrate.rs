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
    let failed = |status, message| {
        e(Error::Api {
            op: "customers.migrate",
            surface: Surface::Admin,
            status,
            message,
        })
    };
    let account = match answer {
        Migrated::Done(Some(a)) => Some(a),
        Migrated::Done(None) => match email {
            Some(m) => poll_by_email(ctx, m).await.map_err(&e)?,
            None => None,
        },
        Migrated::NotFound(m) => return Err(failed(404, m)),
        Migrated::NotLocalCustomer(m) => match reconcile(ctx, id, email, true).await.map_err(&e)? {
            Some(a) => Some(a),
            None => return Err(failed(400, m)),
        },
    };
    let Some(account) = account else {
        return Err(e(Error::NotYetVisible {
            op: "users.search",
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
