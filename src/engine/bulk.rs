//! Bulk mode: check each customer, migrate the portal-only ones in batches of `migrate.batchSize`
//! (≤ 1,000) through the bulk endpoint as the batches fill, find each new account (the answer's body is not relied on,
//! §13, `settle`), and finish each customer's remaining steps while the next batch migrates.

use super::ctx::Ctx;
use super::lease;
use super::records;
use super::rows::Rows;
use super::settle;
use super::steps::migrate::{After, Before};
use super::steps::{self, check, finish, migrate, Checked, Processed, State, StepError};
use super::work::Work;
use crate::api::customers;
use crate::api::users::{self, AccountType};
use crate::error::{Error, Result};
use crate::ids::{AccountId, PortalCustomerId};
use crate::journal::Stage;
use crate::report::{Outcome, Status, Step};
use futures::{SinkExt, StreamExt};
use std::cell::RefCell;

pub(crate) async fn run(
    ctx: &Ctx<'_>,
    work: impl futures::Stream<Item = Work>,
    concurrency: usize,
    rows: &mut Rows<'_>,
) -> Result<()> {
    let n = concurrency.max(1);
    let started = ctx.now();
    let batch = ctx.s.config.migrate.batch_size.max(1) as usize;
    let rows = RefCell::new(rows);
    // Customers flow: checked `n` at a time, the portal-only ones gathered into a batch, each batch
    // migrated while earlier customers finish. The channel is bounded, so at most about two batches
    // are held at once, however many customers the job has.
    let (tx, rx) = futures::channel::mpsc::channel::<(Work, State)>(batch);
    let rows_ref = &rows;
    let migrating = async move {
        let mut tx = tx;
        // As in single mode, nobody starts after the deadline unless this job already finished them.
        let begun = super::lookup::ahead(ctx, work)
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
            .buffer_unordered(n);
        let mut begun = std::pin::pin!(begun);
        let mut chunk: Vec<(Work, State)> = Vec::new();
        // The first error stops further batches; the stream still drains (a dropped future would
        // leave host timers behind), and the customers not migrated are left for the continuation.
        let mut failed: Option<Error> = None;
        while let Some(b) = begun.next().await {
            match b {
                Err(e) => {
                    failed.get_or_insert(e);
                }
                Ok(Begun::Duplicate) => {}
                Ok(Begun::Unstarted) => rows_ref.borrow_mut().add(Ok(Processed::Unstarted)),
                Ok(Begun::State(b)) if b.1.finished => {
                    ctx.customer_done(&b.1.rep, started);
                    rows_ref.borrow_mut().add(Ok(Processed::Done(b.1.rep)));
                }
                Ok(Begun::State(b)) if !matches!(b.1.checked, Checked::Portal { .. }) => {
                    let _ = tx.send(*b).await;
                }
                Ok(Begun::State(b)) => {
                    chunk.push(*b);
                    if chunk.len() >= batch {
                        flush(ctx, &mut chunk, &mut failed, &mut tx).await;
                    }
                }
            }
        }
        flush(ctx, &mut chunk, &mut failed, &mut tx).await;
        failed.map_or(Ok(()), Err)
    };
    let finishing = rx
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
        .for_each(|r| {
            rows_ref.borrow_mut().add(r);
            futures::future::ready(())
        });
    let (migrated, ()) = futures::join!(migrating, finishing);
    migrated
}

/// Migrates a gathered batch (unless the deadline came or an error stopped the job: then its
/// customers are left for the continuation) and hands its customers on to be finished.
async fn flush(
    ctx: &Ctx<'_>,
    chunk: &mut Vec<(Work, State)>,
    failed: &mut Option<Error>,
    tx: &mut futures::channel::mpsc::Sender<(Work, State)>,
) {
    if chunk.is_empty() {
        return;
    }
    if failed.is_some() || !ctx.may_start() {
        for (_, s) in chunk.iter_mut() {
            s.finished = true; // left for the continuation
        }
    } else {
        let all: Vec<usize> = (0..chunk.len()).collect();
        if let Err(e) = migrate_batch(ctx, chunk, &all).await {
            failed.get_or_insert(e);
            // The job ends with the error; what the journal holds is resumed by the next run.
            for (_, s) in chunk.iter_mut() {
                s.finished = true;
            }
        }
    }
    for item in chunk.drain(..) {
        let _ = tx.send(item).await;
    }
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
    // Every intent is journaled (side by side: the journal groups them into few syncs) before the
    // bulk call is sent.
    let mut batch: Vec<usize> = Vec::new();
    let mut adopted: Vec<(usize, AccountId)> = Vec::new();
    let mut released: Vec<PortalCustomerId> = Vec::new();
    for (i, c) in claims {
        match c {
            Ok(Before::Go) => batch.push(i),
            Ok(Before::Adopt(a)) => adopted.push((i, a)),
            Err(e) => {
                let s = &mut pending[i].1;
                released.push(portal_of(s).0);
                s.fail(steps::step_err(Step::Migrate)(e));
                s.finished = true;
            }
        }
    }
    let staged = batch.iter().map(|&i| (i, Stage::Intent, None));
    let staged = staged.chain(adopted.iter().map(|(i, a)| (*i, Stage::Migrated, Some(a))));
    stage_all(ctx, pending, staged).await?;
    for (i, a) in adopted {
        let s = &mut pending[i].1;
        let (id, email) = portal_of(s);
        released.push(id);
        s.migrated(ctx, a, email);
    }
    drop_all(ctx, &released).await;
    if batch.is_empty() {
        return Ok(());
    }
    let ids: Vec<PortalCustomerId> = batch.iter().map(|&i| portal_of(&pending[i].1).0).collect();
    let r = send_batch(ctx, pending, &batch, &ids).await;
    drop_all(ctx, &ids).await;
    r
}

/// Journals each customer's stage, side by side.
async fn stage_all<'s>(
    ctx: &Ctx<'_>,
    pending: &[(Work, State)],
    staged: impl Iterator<Item = (usize, Stage, Option<&'s AccountId>)>,
) -> Result<()> {
    let writes = staged.map(|(i, stage, account)| {
        let (w, s) = &pending[i];
        let (id, email) = portal_of(s);
        async move { records::stage(ctx, w, &id, email.as_deref(), stage, account).await }
    });
    futures::stream::iter(writes)
        .buffer_unordered(ctx.s.concurrency.max(1) as usize)
        .collect::<Vec<Result<()>>>()
        .await
        .into_iter()
        .collect()
}

async fn drop_all(ctx: &Ctx<'_>, ids: &[PortalCustomerId]) {
    futures::stream::iter(ids)
        .for_each_concurrent(ctx.s.concurrency.max(1) as usize, |id| {
            lease::drop_customer(ctx, id)
        })
        .await;
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
    let mut found = Vec::new();
    for (i, r) in results {
        match r {
            Ok(account) => found.push((i, account)),
            Err(err) => {
                let s = &mut pending[i].1;
                s.fail(err);
                s.finished = true;
            }
        }
    }
    let staged = found.iter().map(|(i, a)| (*i, Stage::Migrated, Some(a)));
    stage_all(ctx, pending, staged).await?;
    for (i, account) in found {
        let s = &mut pending[i].1;
        let email = portal_of(s).1;
        s.migrated(ctx, account, email);
    }
    Ok(())
}
