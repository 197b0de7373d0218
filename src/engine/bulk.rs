//! Bulk mode: check every customer, migrate the portal-only ones in batches of `migrate.batchSize`
//! (≤ 1,000) through the bulk endpoint, find each new account (the answer's body is not relied on,
//! §13), then finish each customer's remaining steps.

use super::ctx::Ctx;
use super::lease;
use super::records;
use super::settle;
use super::steps::migrate::{After, Before};
use super::steps::{self, check, finish, migrate, Checked, Processed, State, StepError};
use super::work::Work;
use crate::api::customers;
use crate::api::users::{self, AccountType};
use crate::error::{Error, Result};
use crate::ids::{AccountId, PortalCustomerId};
use crate::journal::Stage;
use crate::report::{CustomerReport, Outcome, Status, Step};
use futures::StreamExt;

pub(crate) async fn run(
    ctx: &Ctx<'_>,
    work: Vec<Work>,
    concurrency: usize,
) -> Result<(Vec<CustomerReport>, usize)> {
    let n = concurrency.max(1);
    let started = ctx.now();
    // As in single mode, nobody starts after the deadline unless this job already finished them.
    let begun: Vec<Result<Begun>> = super::lookup::ahead(ctx, work)
        .map(|w| async move {
            if ctx.stopped()
                || (!ctx.may_start() && !records::finished_in_this_job(ctx, &w).await?)
            {
                return Ok(Begun::Unstarted);
            }
            Ok(match check::begin(ctx, &w).await? {
                Some(s) => Begun::State(Box::new((w, s))),
                None => Begun::Duplicate,
            })
        })
        .buffer_unordered(n)
        .collect()
        .await;
    let mut out = Vec::new();
    let mut pending = Vec::new();
    let mut unfinished = 0;
    for b in begun {
        match b? {
            Begun::Duplicate => {}
            Begun::Unstarted => unfinished += 1,
            Begun::State(b) if b.1.finished => {
                ctx.customer_done(&b.1.rep, started);
                out.push(b.1.rep);
            }
            Begun::State(b) => pending.push(*b),
        }
    }
    let batch = ctx.s.config.migrate.batch_size.max(1) as usize;
    let portal: Vec<usize> = pending
        .iter()
        .enumerate()
        .filter(|(_, (_, s))| matches!(s.checked, Checked::Portal { .. }))
        .map(|(i, _)| i)
        .collect();
    let mut stopped = false;
    for chunk in portal.chunks(batch) {
        if stopped || !ctx.may_start() {
            stopped = true;
            for &i in chunk {
                pending[i].1.finished = true; // left for the continuation
            }
            continue;
        }
        migrate_batch(ctx, &mut pending, chunk).await?;
    }
    let finishing: Vec<Result<Processed>> = futures::stream::iter(pending)
        .map(|(w, s)| async move {
            if s.finished {
                return Ok(if s.rep.status == Status::Failed {
                    Processed::Done(s.rep)
                } else {
                    Processed::Unstarted
                });
            }
            if !ctx.may_start() {
                return Ok(Processed::Unstarted);
            }
            let t = ctx.now();
            let rep = finish::finish(ctx, &w, s).await?;
            ctx.customer_done(&rep, t);
            Ok(Processed::Done(rep))
        })
        .buffer_unordered(n)
        .collect()
        .await;
    for f in finishing {
        match f? {
            Processed::Done(r) => out.push(r),
            Processed::Unstarted => unfinished += 1,
            Processed::Duplicate => {}
        }
    }
    Ok((out, unfinished))
}

enum Begun {
    State(Box<(Work, State)>),
    Unstarted,
    Duplicate,
}

fn portal_of(s: &State) -> (PortalCustomerId, Option<String>) {
    match &s.checked {
        Checked::Portal { id, email } => (id.clone(), email.clone()),
        _ => unreachable!("only portal customers are batched"),
    }
}

async fn migrate_batch(
    ctx: &Ctx<'_>,
    pending: &mut [(Work, State)],
    chunk: &[usize],
) -> Result<()> {
    if ctx.dry_run {
        for &i in chunk {
            let s = &mut pending[i].1;
            s.rep.status = Status::Planned;
            s.rep.steps.migrate = Outcome::Planned;
        }
        return Ok(());
    }
    lease::keep_job(ctx).await?;
    // Each customer's claim first: one another run holds is left to it; one it migrated is adopted.
    let claims: Vec<(usize, Result<Before>)> = futures::stream::iter(chunk.iter().copied())
        .map(|i| {
            let (id, email) = portal_of(&pending[i].1);
            async move { (i, migrate::before(ctx, &id, email.as_deref()).await) }
        })
        .buffer_unordered(ctx.s.concurrency as usize)
        .collect()
        .await;
    let mut batch: Vec<usize> = Vec::new();
    let mut ids: Vec<PortalCustomerId> = Vec::new();
    for (i, c) in claims {
        let (w, s) = &mut pending[i];
        let (id, email) = portal_of(s);
        match c {
            Ok(Before::Go) => {
                records::stage(ctx, w, &id, email.as_deref(), Stage::Intent, None).await?;
                batch.push(i);
                ids.push(id);
            }
            Ok(Before::Adopt(a)) => {
                records::stage(ctx, w, &id, email.as_deref(), Stage::Migrated, Some(&a)).await?;
                s.migrated(ctx, a, email);
                lease::drop_customer(ctx, &id).await;
            }
            Err(e) => {
                s.fail(steps::step_err(Step::Migrate)(e));
                s.finished = true;
                lease::drop_customer(ctx, &id).await;
            }
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    let r = send_batch(ctx, pending, &batch, &ids).await;
    for id in &ids {
        lease::drop_customer(ctx, id).await;
    }
    r
}

/// The bulk call for the claimed customers, then each one's new account.
async fn send_batch(
    ctx: &Ctx<'_>,
    pending: &mut [(Work, State)],
    chunk: &[usize],
    ids: &[PortalCustomerId],
) -> Result<()> {
    let sent = ctx
        .client
        .call(customers::bulk_migrate(&ctx.urls, ids)?)
        .await;
    // A 404 for customers that still exist means the route is gone: stop, close nothing.
    if let Err(err) = &sent {
        if err.status() == Some(404) {
            let user = ctx
                .client
                .call(users::get(&ctx.urls.site, ids[0].as_str()))
                .await?;
            if user.is_some_and(|u| u.account_type == AccountType::Customer) {
                let e = migrate::route_unavailable(err, &ids[0]);
                ctx.stop(e.clone());
                return Err(e);
            }
        }
    }
    // Whatever the answer, look: a lost or failed answer may still have migrated some, and an
    // accepted one may complete later (the call may be asynchronous, §13).
    let after = match &sent {
        Ok(()) => After::Accepted,
        Err(_) => After::Lost,
    };
    let batch_error = sent.err();
    let results: Vec<(usize, Result<AccountId, StepError>)> = if after == After::Accepted {
        let batch: Vec<_> = chunk.iter().map(|&i| portal_of(&pending[i].1)).collect();
        let found = settle::accepted(ctx, &batch).await;
        chunk
            .iter()
            .copied()
            .zip(
                found
                    .into_iter()
                    .map(|r| r.map_err(steps::step_err(Step::Migrate))),
            )
            .collect()
    } else {
        futures::stream::iter(chunk.iter().copied())
            .map(|i| {
                let (id, email) = portal_of(&pending[i].1);
                let batch_error = batch_error.clone();
                async move {
                    let found = migrate::find_account(ctx, &id, email.as_deref(), after)
                        .await
                        .and_then(|a| {
                            a.ok_or_else(|| {
                                batch_error
                                    .clone()
                                    .unwrap_or_else(|| Error::request("the bulk call failed"))
                            })
                        });
                    (i, found.map_err(steps::step_err(Step::Migrate)))
                }
            })
            .buffer_unordered(ctx.s.concurrency as usize)
            .collect()
            .await
    };
    for (i, r) in results {
        let (w, s) = &mut pending[i];
        match r {
            Ok(account) => {
                let (id, email) = portal_of(s);
                records::stage(
                    ctx,
                    w,
                    &id,
                    email.as_deref(),
                    Stage::Migrated,
                    Some(&account),
                )
                .await?;
                s.migrated(ctx, account, email);
            }
            Err(err) => {
                s.fail(err);
                s.finished = true;
            }
        }
    }
    Ok(())
}
