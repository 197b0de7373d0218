//! `check`: is the customer still a portal-only customer? The journal first (a migrated record holds
//! the new id), then the account (read ahead in bulk by `engine::lookup`, else `GET
//! /rest/api/3/user`), then the email (§13). `begin` also claims every id the customer goes by, so a
//! customer named twice runs once.

use super::{new_report, step_err, Checked, State, StepError};
use crate::api::users;
use crate::engine::ctx::Ctx;
use crate::engine::records;
use crate::engine::work::Work;
use crate::error::{Error, Result};
use crate::http::Surface;
use crate::ids::{AccountId, CustomerRef, PortalCustomerId};
use crate::journal::{CustomerRecord, Stage};
use crate::report::{Outcome, Status, Step, Steps};
use users::User;

/// Locates the journal record and checks the account. `None` for a duplicate.
pub(crate) async fn begin(ctx: &Ctx<'_>, w: &Work) -> Result<Option<State>> {
    let mut rep = new_report(w);
    let Some(reference) = &w.reference else {
        rep.steps = Steps::all(Outcome::Skipped);
        rep.error = w.skip_reason.clone();
        return Ok(Some(State::done(rep, None)));
    };
    let (record, listed) = match ctx.lookups.take(reference) {
        Some(a) => (a.record, a.user),
        None => (records::of(ctx, reference).await?, None),
    };
    if rep.portal_account_id.is_none() {
        rep.portal_account_id = record.as_ref().map(|r| r.portal_account_id.clone());
    }
    // Finished earlier in this same (unfinished) job: report it without calling Atlassian again.
    if let Some(r) = record
        .as_ref()
        .filter(|r| ctx.continuing && r.finished_by(&ctx.job_id))
    {
        if let Some(status) = r.status {
            let ids = [
                Some(r.portal_account_id.as_str()),
                r.account_id.as_ref().map(|a| a.as_str()),
            ];
            if !ctx.claims.claim_all(&ids) {
                return Ok(None);
            }
            rep.status = status;
            rep.account_id = r.account_id.clone();
            rep.email = r.email.clone().or(rep.email);
            rep.steps = Steps::all(Outcome::Done);
            return Ok(Some(State::done(rep, record)));
        }
    }
    let checked = match check(ctx, w, reference, record.as_ref(), listed).await {
        Ok(c) => c,
        Err(e) => {
            super::fail(&mut rep, e);
            return Ok(Some(State::done(rep, record)));
        }
    };
    let key = match &checked {
        Checked::Portal { id, .. } => Some(id.as_str()),
        Checked::Account { id, .. } => Some(id.as_str()),
        Checked::Skip(_) => None,
    };
    let portal = record.as_ref().map(|r| r.portal_account_id.as_str());
    let account = record
        .as_ref()
        .and_then(|r| r.account_id.as_ref().map(|a| a.as_str()));
    if key.is_some() && !ctx.claims.claim_all(&[key, portal, account]) {
        return Ok(None);
    }
    rep.steps.check = Outcome::Done;
    match &checked {
        Checked::Portal { id, email } => {
            rep.portal_account_id = Some(id.clone());
            rep.email = email.clone().or(rep.email);
        }
        Checked::Account { id, email } => {
            rep.account_id = Some(id.clone());
            rep.email = email.clone().or(rep.email);
            rep.status = Status::AlreadyMigrated;
            rep.steps.migrate = Outcome::Already;
            if let Some(r) = &record {
                // This job's own migration: journaled as such, or an intent whose answer was lost
                // in a crash (the check now finds the customer migrated).
                let intent = r.stage == Stage::Intent && r.job_id == ctx.job_id;
                if (r.migrated_by_job.as_ref() == Some(&ctx.job_id) || intent) && ctx.continuing {
                    rep.status = Status::Migrated;
                    rep.steps.migrate = Outcome::Done;
                }
                if intent {
                    let portal = r.portal_account_id.clone();
                    records::stage(ctx, w, &portal, email.as_deref(), Stage::Migrated, Some(id))
                        .await?;
                }
            }
        }
        Checked::Skip(reason) => {
            rep.status = Status::Skipped;
            rep.steps = Steps {
                check: Outcome::Done,
                ..Steps::all(Outcome::Skipped)
            };
            rep.error = Some(reason.clone());
            return Ok(Some(State {
                rep,
                checked,
                record,
                finished: true,
            }));
        }
    }
    Ok(Some(State {
        rep,
        checked,
        record,
        finished: false,
    }))
}

/// The id `check` would ask Atlassian about (`GET user`), given the journal; `None` when the journal
/// settles it or the customer is named by email. `engine::lookup` reads these ahead in bulk.
pub(crate) fn needs_lookup<'r>(
    ctx: &Ctx<'_>,
    reference: &'r CustomerRef,
    record: Option<&CustomerRecord>,
) -> Option<&'r str> {
    if let Some(r) = record {
        let finished = ctx.continuing && r.finished_by(&ctx.job_id) && r.status.is_some();
        if finished || (r.account_id.is_some() && r.stage != Stage::Intent) {
            return None;
        }
    }
    match reference {
        CustomerRef::Portal(p) => Some(p.as_str()),
        CustomerRef::Account(a) => Some(a.as_str()),
        CustomerRef::Email(_) => None,
    }
}

/// `listed`: the account as the bulk lookup listed it (an id it omitted is asked here).
async fn check(
    ctx: &Ctx<'_>,
    w: &Work,
    reference: &CustomerRef,
    record: Option<&CustomerRecord>,
    listed: Option<User>,
) -> Result<Checked, StepError> {
    let e = step_err(Step::Check);
    if let Some(r) = record {
        if let (Some(acc), true) = (&r.account_id, r.stage != Stage::Intent) {
            return Ok(Checked::Account {
                id: acc.clone(),
                email: r.email.clone(),
            });
        }
    }
    let email_hint = w
        .email
        .clone()
        .or_else(|| record.and_then(|r| r.email.clone()));
    let site = &ctx.urls.site;
    let raw = match reference {
        CustomerRef::Email(email) => return by_email(ctx, email).await.map_err(&e),
        CustomerRef::Portal(p) => p.as_str(),
        CustomerRef::Account(a) => a.as_str(),
    };
    let not_found = |message: String| {
        e(Error::Api {
            op: users::GET,
            surface: Surface::Jira,
            status: 404,
            message,
        })
    };
    let user = match listed {
        Some(u) => Some(u),
        None => ctx.client.call(users::get(site, raw)).await.map_err(&e)?,
    };
    match user {
        Some(u) => match u.account_type {
            users::AccountType::Customer => Ok(Checked::Portal {
                id: PortalCustomerId::new(raw),
                email: u.email().or(email_hint),
            }),
            users::AccountType::Atlassian => Ok(Checked::Account {
                email: u.email().or(email_hint),
                id: u.account_id,
            }),
            other => Ok(Checked::Skip(format!(
                "account {raw} is of type {other:?}, not a customer"
            ))),
        },
        // A migrated qm: id no longer resolves (§13): find the account by email.
        None => match email_hint {
            Some(email) => match find_by_email(ctx, &email).await.map_err(&e)? {
                Some(acc) => Ok(Checked::Account {
                    id: acc,
                    email: Some(email),
                }),
                None => Err(not_found(format!(
                    "account {raw} not found and no Atlassian account has {email}"
                ))),
            },
            None => Err(not_found(format!("account {raw} not found"))),
        },
    }
}

/// A customer named by email: the portal-only customer holding it (an Atlassian account with the same
/// email is a different account while the portal-only one exists, §14), else its Atlassian account.
async fn by_email(ctx: &Ctx<'_>, email: &str) -> Result<Checked> {
    let found = ctx
        .client
        .call(users::search(&ctx.urls.site, email))
        .await?;
    if let Some(p) = users::portal_customer_for(&found, email) {
        return Ok(Checked::Portal {
            id: PortalCustomerId::new(p.0),
            email: Some(email.to_string()),
        });
    }
    match users::atlassian_account_for(&found, email) {
        Some(id) => Ok(Checked::Account {
            id,
            email: Some(email.to_string()),
        }),
        None => Err(Error::request(format!(
            "no portal-only customer or Atlassian account has the email {email}"
        ))),
    }
}

/// The Atlassian account holding `email`, if any.
pub(crate) async fn find_by_email(ctx: &Ctx<'_>, email: &str) -> Result<Option<AccountId>> {
    let users = ctx
        .client
        .call(users::search(&ctx.urls.site, email))
        .await?;
    Ok(users::atlassian_account_for(&users, email))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{settings, with_ctx, Script};

    fn work(reference: &str) -> Work {
        Work {
            reference: CustomerRef::parse(reference),
            email: None,
            company: None,
            asset: None,
            source: "test".into(),
            skip_reason: None,
            space: None,
        }
    }

    #[test]
    fn an_email_names_the_portal_customer_that_holds_it() {
        let s = settings(serde_json::json!({}));
        let script = Script::default().on(
            "/user/search",
            200,
            r#"[{"accountId":"qm:1","accountType":"customer","emailAddress":"","displayName":"ann@acme.example"}]"#,
        );
        let w = work("ann@acme.example");
        let (c, _) = with_ctx(&script, &s, async |ctx| {
            check(ctx, &w, w.reference.as_ref().unwrap(), None, None)
                .await
                .ok()
        });
        assert!(matches!(c, Some(Checked::Portal { id, .. }) if id.as_str() == "qm:1"));
    }

    #[test]
    fn an_app_account_is_skipped_and_a_vanished_id_without_email_fails_the_check() {
        let s = settings(serde_json::json!({}));
        let app = Script::default().on(
            "/rest/api/3/user?",
            200,
            r#"{"accountId":"557058:x","accountType":"app"}"#,
        );
        let w = work("557058:x");
        let (c, _) = with_ctx(&app, &s, async |ctx| {
            check(ctx, &w, w.reference.as_ref().unwrap(), None, None)
                .await
                .ok()
        });
        assert!(matches!(c, Some(Checked::Skip(m)) if m.contains("App")));

        let gone = Script::default().on("/rest/api/3/user?", 404, "{}");
        let w = work("qm:gone");
        let (c, _) = with_ctx(&gone, &s, async |ctx| {
            check(ctx, &w, w.reference.as_ref().unwrap(), None, None)
                .await
                .err()
                .map(|e| e.error.to_string())
        });
        assert_eq!(
            c.as_deref(),
            Some("users.get (jira): HTTP 404: account qm:gone not found")
        );
    }
}
