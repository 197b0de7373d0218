//! Bulk mode: check every customer, migrate the portal-only ones in batches of `migrate.batchSize`
//! (≤ 1,000) through the bulk endpoint, find each new account by email (the answer's body is not relied
//! on, §13), then finish each customer's remaining steps.

use super::customer::{self, fail, Checked, Processed, StepError, Work};
use super::Ctx;
use crate::api::customers;
use crate::error::{Error, Result};
use crate::ids::PortalCustomerId;
use crate::journal::Stage;
use crate::report::{CustomerReport, Outcome, Status};
use crate::retry::RetryClass;
use futures::StreamExt;

pub(crate) async fn run(
    ctx: &Ctx<'_>,
    work: Vec<Work>,
    concurrency: usize,
) -> Result<(Vec<CustomerReport>, usize)> {
    let n = concurrency.max(1);
    let started = ctx.now();
    let begun: Vec<Result<Option<(Work, customer::State)>>> = futures::stream::iter(work)
        .map(|w| async move { Ok(customer::begin(ctx, &w).await?.map(|s| (w, s))) })
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
            let rep = customer::finish(ctx, &w, s).await?;
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

async fn migrate_batch(
    ctx: &Ctx<'_>,
    pending: &mut [(Work, customer::State)],
    chunk: &[usize],
) -> Result<()> {
    let mut ids: Vec<PortalCustomerId> = Vec::new();
    for &i in chunk {
        let (w, s) = &mut pending[i];
        if let Checked::Portal { id, email } = &s.checked {
            if ctx.dry_run {
                s.rep.status = Status::Planned;
                s.rep.steps.migrate = Outcome::Planned;
                continue;
            }
            customer::journal_stage(ctx, w, id, email.as_deref(), Stage::Intent, None).await?;
            ids.push(id.clone());
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    ctx.migrate_calls.set(ctx.migrate_calls.get() + 1);
    let sent = ctx
        .client
        .send(
            "customers.bulkMigrate",
            customers::bulk_migrate(&ctx.urls.customers, &ids)?,
            RetryClass::Never,
        )
        .await;
    let batch_error: Option<Error> = sent.and_then(|r| customers::parse_bulk(&r)).err();
    // Whatever the answer, look: a lost or failed answer may still have migrated some (§13).
    let results: Vec<(usize, Result<Option<crate::ids::AccountId>, StepError>)> = futures::stream::iter(chunk.iter().copied())
        .map(|i| {
            let (id, email) = match &pending[i].1.checked {
                Checked::Portal { id, email } => (id.clone(), email.clone()),
                _ => unreachable!("only portal customers are batched"),
            };
            let batch_error = batch_error.clone();
            async move {
                let r = match customer::reconcile(ctx, &id, email.as_deref(), false).await {
                    Ok(Some(a)) => Ok(Some(a)),
                    Ok(None) => Err(StepError {
                        step: "migrate",
                        error: batch_error.unwrap_or(Error::not_yet_visible(
                            "the bulk call succeeded but the new account was not found by email in time; re-run to finish",
                        )),
                    }),
                    Err(err) => Err(StepError { step: "migrate", error: err }),
                };
                (i, r)
            }
        })
        .buffer_unordered(ctx.s.concurrency as usize)
        .collect()
        .await;
    for (i, r) in results {
        let (w, s) = &mut pending[i];
        match r {
            Ok(Some(account)) => {
                if let Checked::Portal { id, email } = &s.checked {
                    customer::journal_stage(
                        ctx,
                        w,
                        id,
                        email.as_deref(),
                        Stage::Migrated,
                        Some(&account),
                    )
                    .await?;
                    let email = email.clone();
                    s.migrated(ctx, account, email);
                }
            }
            Ok(None) => {}
            Err(err) => {
                fail(&mut s.rep, err);
                s.finished = true;
            }
        }
    }
    Ok(())
}
