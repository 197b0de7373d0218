//! After migrate: write the new id back to Assets, add the account to the groups, grant the company's
//! space. The three only need the account, so they run side by side; one failing does not hold back
//! the others. Each remembers what it finished (`Done`), so a re-run only does what is left.

use super::{fail, step_err, Checked, State, StepError};
use crate::api::confluence::{self, Grant};
use crate::api::{assets, groups};
use crate::client::{Backoff, Seen};
use crate::config::{MigrateMode, SpaceMode};
use crate::engine::ctx::Ctx;
use crate::engine::spaces::{self, Space};
use crate::engine::work::Work;
use crate::engine::{records, resolve};
use crate::error::{Error, Result};
use crate::http::Surface;
use crate::ids::{AccountId, SpaceKey};
use crate::journal::Done;
use crate::report::{CustomerReport, Outcome, Plan, PlannedSpace, PlannedWrite, Step};

/// Write back, groups and space for a customer whose account is known.
pub(crate) async fn finish(ctx: &Ctx<'_>, w: &Work, mut state: State) -> Result<CustomerReport> {
    let (account, email) = match &state.checked {
        Checked::Account { id, email } => (Some(id.clone()), email.clone()),
        _ => (None, None),
    };
    let mut done: Vec<Done> = state
        .record
        .as_ref()
        .filter(|r| r.account_id.is_some())
        .map(|r| r.done.clone())
        .unwrap_or_default();
    let acc = account.as_ref();
    let space = spaces::of(ctx, w, acc, email.as_deref()).await;
    if let Ok(s) = &space {
        describe_space(&mut state.rep, s);
    }
    if ctx.dry_run {
        state.rep.plan = Some(plan(ctx, w, &state.rep, acc, &space));
    }
    let (mut d1, mut d2, mut d3) = (done.clone(), done.clone(), done.clone());
    let (wb, gr, sp) = futures::join!(
        write_back(ctx, w, acc, &mut d1),
        add_groups(ctx, acc, &mut d2),
        grant_space(ctx, space, acc, &mut d3)
    );
    for m in d1.into_iter().chain(d2).chain(d3) {
        if !done.contains(&m) {
            done.push(m);
        }
    }
    let rep = &mut state.rep;
    let mut first_error = None;
    for (slot, r) in [
        (&mut rep.steps.write_back, wb),
        (&mut rep.steps.groups, gr),
        (&mut rep.steps.space, sp),
    ] {
        match r {
            Ok(o) => *slot = o,
            Err(e) => {
                *slot = Outcome::Failed;
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        fail(rep, e);
    }
    // `None`: a dry run of a portal customer; nothing to record.
    if let Some(a) = &account {
        records::finished(ctx, &state.rep, a, email, done).await?;
    }
    Ok(state.rep)
}

/// Repeats a step that answers 404 for a new account until the account is visible, with back-off,
/// for at most `migrate.pollTimeoutMs` (§13).
async fn until_visible<T>(
    ctx: &Ctx<'_>,
    what: (&'static str, crate::http::Surface),
    step: impl AsyncFnMut() -> Result<Seen<T>>,
) -> Result<T> {
    let b = Backoff {
        first_ms: 500,
        max_ms: 8_000,
        budget_ms: ctx.s.config.migrate.poll_timeout_ms,
    };
    match ctx.client.poll(b, step).await? {
        Seen::Yes(t) => Ok(t),
        Seen::NotYet(message) => Err(Error::NotYetVisible {
            op: what.0,
            surface: what.1,
            message: format!(
                "{message}: a freshly migrated account may not be in the org directory yet; re-run later to finish"
            ),
        }),
    }
}

async fn write_back(
    ctx: &Ctx<'_>,
    w: &Work,
    account: Option<&AccountId>,
    done: &mut Vec<Done>,
) -> Result<Outcome, StepError> {
    let Some(asset) = &w.asset else {
        return Ok(Outcome::Skipped);
    };
    let Some(account) = account else {
        return Ok(Outcome::Planned);
    };
    if asset.value.as_deref() == Some(account.as_str()) {
        return Ok(Outcome::Already);
    }
    if ctx.dry_run {
        return Ok(Outcome::Planned);
    }
    let op = assets::update_attribute(
        &ctx.urls,
        &asset.object,
        asset.object_type.as_ref(),
        &asset.attribute,
        account.as_str(),
    );
    let e = step_err(Step::WriteBack);
    if ctx.client.call(op).await.map_err(&e)? == assets::Written::Unknown {
        // The answer did not show it: the write counts only once a read-back does.
        let now = ctx
            .client
            .call(assets::object(&ctx.urls, &asset.object))
            .await
            .map_err(&e)?;
        assets::shows(&now, &asset.attribute, account.as_str())
            .map_err(|m| e(Error::decode(assets::GET_OBJECT, m)))?;
    }
    done.push(Done::WriteBack);
    Ok(Outcome::Done)
}

async fn add_groups(
    ctx: &Ctx<'_>,
    account: Option<&AccountId>,
    done: &mut Vec<Done>,
) -> Result<Outcome, StepError> {
    if ctx.groups.is_empty() {
        return Ok(Outcome::Skipped);
    }
    let Some(account) = account else {
        return Ok(Outcome::Planned);
    };
    if ctx.dry_run {
        return Ok(Outcome::Planned);
    }
    let mut any_added = false;
    for g in &ctx.groups {
        let mark = Done::Group(g.clone());
        if done.contains(&mark) {
            continue;
        }
        let op = || groups::add_user(&ctx.urls.site, g, account);
        let what = (op().name, op().surface());
        let added = until_visible(ctx, what, async || {
            Ok(match ctx.client.call(op()).await? {
                groups::Added::Added => Seen::Yes(true),
                groups::Added::AlreadyMember => Seen::Yes(false),
                groups::Added::NotFound(m) => Seen::NotYet(m),
            })
        })
        .await
        .map_err(step_err(Step::Groups))?;
        any_added |= added;
        done.push(mark);
    }
    Ok(if any_added {
        Outcome::Done
    } else {
        Outcome::Already
    })
}

/// The space in the report: its key, or a note saying why there is none.
fn describe_space(rep: &mut CustomerReport, s: &Space) {
    match s {
        Space::Found { key, .. } => rep.space = Some(key.0.clone()),
        Space::Missing(why) => rep.notes.push(format!("no Confluence space: {why}")),
        Space::NotConfigured => {}
    }
}

/// What a dry run would do for this customer, call by call.
fn plan(
    ctx: &Ctx<'_>,
    w: &Work,
    rep: &CustomerReport,
    account: Option<&AccountId>,
    space: &Result<Space>,
) -> Plan {
    let value = account
        .map(|a| a.0.clone())
        .unwrap_or_else(|| "(the new account id)".into());
    let migrate = (rep.steps.migrate == Outcome::Planned).then(|| {
        match ctx.s.config.migrate.mode {
            MigrateMode::Bulk => "PUT …/bulk-migrate-to-atlassian-account",
            MigrateMode::Single => "PUT …/migrate-to-atlassian-account-user/{id}",
        }
        .to_string()
    });
    let write_back = match (&w.asset, &ctx.s.config.assets) {
        (Some(a), Some(cfg)) if a.value.as_deref() != Some(value.as_str()) => Some(PlannedWrite {
            object: a.object.clone(),
            attribute: cfg.portal_account_attribute.clone(),
            value,
        }),
        _ => None,
    };
    let space = match space {
        Ok(Space::Found { key, from }) => Some(PlannedSpace {
            key: key.0.clone(),
            from: from.clone(),
            permissions: wanted_grants(ctx)
                .into_iter()
                .map(|(k, t)| format!("{k}/{t}"))
                .collect(),
        }),
        _ => None,
    };
    Plan {
        migrate,
        write_back,
        groups: ctx.s.config.groups.clone(),
        space,
    }
}

async fn grant_space(
    ctx: &Ctx<'_>,
    space: Result<Space>,
    account: Option<&AccountId>,
    done: &mut Vec<Done>,
) -> Result<Outcome, StepError> {
    let e = step_err(Step::Space);
    let Space::Found { key, .. } = space.map_err(&e)? else {
        return Ok(Outcome::Skipped);
    };
    let Some(account) = account else {
        return Ok(Outcome::Planned);
    };
    if ctx.dry_run {
        return Ok(Outcome::Planned);
    }
    if done.contains(&Done::Space) {
        return Ok(Outcome::Already);
    }
    let any = grant_all(ctx, &key, account).await.map_err(&e)?;
    done.push(Done::Space);
    Ok(if any { Outcome::Done } else { Outcome::Already })
}

fn is_graphql(ctx: &Ctx<'_>) -> bool {
    ctx.s
        .config
        .confluence
        .as_ref()
        .is_some_and(|c| c.mode == SpaceMode::Graphql)
}

/// `read/space` first, then the configured extras (graphql mode grants the view only).
fn wanted_grants(ctx: &Ctx<'_>) -> Vec<Grant> {
    let mut wanted: Vec<Grant> = vec![("read".into(), "space".into())];
    if !is_graphql(ctx) {
        wanted.extend(
            ctx.s
                .space_permissions
                .iter()
                .filter(|p| !(p.0 == "read" && p.1 == "space"))
                .cloned(),
        );
    }
    wanted
}

/// The grants the account still lacks (read from the space once per job, §14), `read/space` first;
/// sends only those. Whether anything was newly granted.
async fn grant_all(ctx: &Ctx<'_>, key: &SpaceKey, account: &AccountId) -> Result<bool> {
    let graphql = is_graphql(ctx);
    let wanted = wanted_grants(ctx);
    let site = &ctx.urls.site;
    let Some(held) = resolve::held(&ctx.client, site, &ctx.cache, key, account).await? else {
        return Err(Error::Api {
            op: confluence::find_space(site, key).name,
            surface: Surface::Confluence,
            status: 404,
            message: format!("space {key} not found or not visible to the account"),
        });
    };
    let mut any = false;
    for grant in wanted.into_iter().filter(|g| !held.contains(g)) {
        let make = || {
            if graphql {
                confluence::grant_graphql(site, key, account)
            } else {
                confluence::grant(site, key, account, (&grant.0, &grant.1))
            }
        };
        let name = make().name;
        let granted = until_visible(ctx, (name, Surface::Confluence), async || {
            let op = make();
            let (name, surface) = (op.name, op.surface());
            match ctx.client.call(op).await? {
                confluence::Granted::Granted => Ok(Seen::Yes(true)),
                // Another run granted it meanwhile (the read came first, so this text is a fallback).
                confluence::Granted::AlreadyGranted => Ok(Seen::Yes(false)),
                confluence::Granted::NotFound(m) => Ok(Seen::NotYet(m)),
                confluence::Granted::GuestHasOtherSpace { status, message } => Err(Error::Api {
                    op: name,
                    surface,
                    status,
                    message: format!(
                        "{message}. A Confluence guest can have one space only: remove the guest from the other space (or make the account a full user), then re-run"
                    ),
                }),
            }
        })
        .await?;
        resolve::granted(&ctx.cache, key, account.as_str(), grant);
        any |= granted;
    }
    Ok(any)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{settings, with_ctx, Script};
    use crate::ids::{GroupId, SpaceKey};

    const GROUP: &str = "0c1b8e5e-0000-4000-8000-000000000001";

    /// A space ACME (id 98) whose permissions list `held` for the account 712020:n.
    fn space_script_holding(held: &[(&str, &str)]) -> Script {
        let results: Vec<String> = held
            .iter()
            .map(|(k, t)| format!(r#"{{"principal":{{"type":"user","id":"712020:n"}},"operation":{{"key":"{k}","targetType":"{t}"}}}}"#))
            .collect();
        Script::default()
            .on(
                "/wiki/api/v2/spaces?keys=ACME",
                200,
                r#"{"results":[{"id":"98","key":"ACME"}]}"#,
            )
            .on(
                "/spaces/98/permissions",
                200,
                &format!(r#"{{"results":[{}],"_links":{{}}}}"#, results.join(",")),
            )
    }

    fn space_script() -> Script {
        space_script_holding(&[])
    }

    #[test]
    fn only_the_grants_the_account_lacks_are_sent() {
        let script = space_script_holding(&[("read", "space")]).on(
            "/space/ACME/permission",
            200,
            r#"{"id":1}"#,
        );
        let s = settings(serde_json::json!({"confluence": {"permissions": ["create/page"]}}));
        let (granted, _) = with_ctx(&script, &s, async |ctx| {
            grant_all(ctx, &SpaceKey::new("ACME"), &AccountId::new("712020:n")).await
        });
        assert!(granted.unwrap());
        let log = script.log.borrow();
        let posts: Vec<&String> = log.iter().filter(|l| l.starts_with("POST")).collect();
        assert_eq!(posts.len(), 1, "read/space is held already: {posts:?}");

        let all = space_script_holding(&[("read", "space"), ("create", "page")]);
        let (granted, _) = with_ctx(&all, &s, async |ctx| {
            grant_all(ctx, &SpaceKey::new("ACME"), &AccountId::new("712020:n")).await
        });
        assert!(!granted.unwrap(), "nothing new");
        assert_eq!(all.count("POST"), 0);
    }

    #[test]
    fn group_add_waits_until_a_new_account_is_visible() {
        let script = Script::default()
            .on(
                "/group/user",
                404,
                r#"{"errorMessages":["User not found"]}"#,
            )
            .on(
                "/group/user",
                404,
                r#"{"errorMessages":["User not found"]}"#,
            )
            .on(
                "/group/user",
                201,
                r#"{"name":"portal-migrated","groupId":"g"}"#,
            );
        let s = settings(serde_json::json!({}));
        let ((outcome, done), slept) = with_ctx(&script, &s, async |ctx| {
            ctx.groups = vec![GroupId::new(GROUP)];
            let mut done = Vec::new();
            let o = add_groups(ctx, Some(&AccountId::new("712020:n")), &mut done).await;
            (o.ok(), done)
        });
        assert_eq!(outcome, Some(Outcome::Done));
        assert_eq!(done, vec![Done::Group(GroupId::new(GROUP))]);
        assert_eq!(script.count("POST"), 3);
        assert_eq!(slept, 500 + 1000, "backed off twice");
    }

    #[test]
    fn space_grants_read_first_then_the_extra_permissions() {
        let script = space_script().on("/space/ACME/permission", 200, r#"{"id":1}"#);
        let s = settings(serde_json::json!({"confluence": {"permissions": ["create/page"]}}));
        let (granted, _) = with_ctx(&script, &s, async |ctx| {
            grant_all(ctx, &SpaceKey::new("ACME"), &AccountId::new("712020:n")).await
        });
        assert!(granted.unwrap());
        let log = script.log.borrow();
        let posts: Vec<&String> = log.iter().filter(|l| l.starts_with("POST")).collect();
        assert_eq!(posts.len(), 2);
        assert!(posts[0].contains("/wiki/rest/api/space/ACME/permission"));
        assert_eq!(log.len(), 4, "the space and its permissions were read once");
    }

    #[test]
    fn a_guest_with_another_space_fails_for_good_and_a_missing_account_runs_out_retryable() {
        let guest =
            r#"{"statusCode":400,"message":"Guest user already has a space assigned: GLX"}"#;
        let script = space_script().on("/space/ACME/permission", 400, guest);
        let s = settings(serde_json::json!({}));
        let (r, _) = with_ctx(&script, &s, async |ctx| {
            grant_all(ctx, &SpaceKey::new("ACME"), &AccountId::new("712020:n")).await
        });
        let e = r.unwrap_err();
        assert!(!e.retryable(), "{e}");
        assert!(e.to_string().contains("GLX"), "{e}");

        let script = space_script().on(
            "/space/ACME/permission",
            404,
            r#"{"message":"No user found"}"#,
        );
        let (r, slept) = with_ctx(&script, &s, async |ctx| {
            grant_all(ctx, &SpaceKey::new("ACME"), &AccountId::new("712020:n")).await
        });
        let e = r.unwrap_err();
        assert_eq!(e.code(), "NOT_YET_VISIBLE");
        assert!(e.retryable());
        assert!(
            slept <= 2000,
            "bounded by migrate.pollTimeoutMs, slept {slept}"
        );
        assert!(script.count("POST") >= 2, "retried before giving up");
    }
}
