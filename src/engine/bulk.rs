//! Bulk mode: check every customer, migrate the portal-only ones in batches of `migrate.batchSize`
//! (≤ 1,000) through the bulk endpoint, find each new account (the answer's body is not relied on,
//! §13), then finish each customer's remaining steps.

use super::ctx::Ctx;
use super::records;
use super::steps::{self, check, finish, migrate, Checked, Processed, State, StepError};
use super::work::Work;
use crate::api::customers;
use crate::error::{Error, Result};
use crate::http::Surface;
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
    let begun: Vec<Result<Option<(Work, State)>>> = futures::stream::iter(work)
        .map(|w| async move { Ok(check::begin(ctx, &w).await?.map(|s| (w, s))) })
        .buffer_unordered(n)
        .collect()
        .await;
    let mut out = Vec::new();
    let mut pending = Vec::new();
    for b in begun {
        match b? {
            None => {}
            Some((_, s)) if s.finished => {
                ctx.customer_done(&s.rep, started);
                out.push(s.rep);
            }
            Some(pair) => pending.push(pair),
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
    let mut unfinished = 0;
    for f in finishing {
        match f? {
            Processed::Done(r) => out.push(r),
            Processed::Unstarted => unfinished += 1,
            Processed::Duplicate => {}
        }
    }
    Ok((out, unfinished))
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
    let mut ids: Vec<PortalCustomerId> = Vec::new();
    for &i in chunk {
        let (w, s) = &mut pending[i];
        let (id, email) = portal_of(s);
        if ctx.dry_run {
            s.rep.status = Status::Planned;
            s.rep.steps.migrate = Outcome::Planned;
            continue;
        }
        records::stage(ctx, w, &id, email.as_deref(), Stage::Intent, None).await?;
        ids.push(id);
    }
    if ids.is_empty() {
        return Ok(());
    }
    let batch_error = ctx
        .client
        .call(customers::bulk_migrate(&ctx.urls, &ids)?)
        .await
        .err();
    // Whatever the answer, look: a lost or failed answer may still have migrated some (§13).
    let results: Vec<(usize, Result<AccountId, StepError>)> =
        futures::stream::iter(chunk.iter().copied())
            .map(|i| {
                let (id, email) = portal_of(&pending[i].1);
                let batch_error = batch_error.clone();
                async move {
                    let found = migrate::reconcile(ctx, &id, email.as_deref(), false).await;
                    let r = match found {
                        Ok(Some(a)) => Ok(a),
                        Ok(None) => Err(batch_error.unwrap_or(Error::NotYetVisible {
                            op: customers::BULK_MIGRATE,
                            surface: Surface::Admin,
                            message: "the bulk call succeeded but the new account was not found by email in time; re-run to finish".into(),
                        })),
                        Err(err) => Err(err),
                    };
                    (i, r.map_err(steps::step_err(Step::Migrate)))
                }
            })
            .buffer_unordered(ctx.s.concurrency as usize)
            .collect()
            .await;
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
