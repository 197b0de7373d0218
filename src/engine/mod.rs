//! Runs a job: discover the tenant, resolve the config's names, stream the customers in, run each
//! through its steps (bounded concurrency, journaled, deadline-aware), then comment once.
//!
//! - `ctx.rs` the shared state of a run; `work.rs` a customer to process, claims and dedupe;
//! - `sources.rs` where customers come from, `feed.rs` streams them in; `resolve.rs` groups,
//!   attributes and spaces;
//! - `steps/` check → migrate → finish, and the comment; `bulk.rs` the batched migrate;
//! - `records.rs` every journal write; `lookup.rs` batched account checks, read ahead into
//!   `ahead.rs`; `settle.rs` a bulk batch's new accounts; `rows.rs` finished rows, counted and
//!   streamed; `spaces.rs` which space a customer gets; `lease.rs` the job's and customers' claims.

mod ahead;
mod bulk;
mod ctx;
mod feed;
mod lease;
mod lookup;
mod records;
mod request;
mod resolve;
mod rows;
mod settle;
mod sources;
mod spaces;
mod steps;
#[cfg(test)]
mod testing;
mod work;

use futures::Stream;
pub use request::{DirectoryFilter, MigrationRequest};
pub use resolve::Cache;
pub(crate) use resolve::{groups as resolve_groups, space as resolve_space};
use work::WorkList;
pub use work::{AssetRef, Work};

use crate::api::{customers, tenant, Urls};
use crate::client::{Client, LimitConfig, Limiter};
use crate::config::{MigrateMode, Settings};
use crate::error::Result;
use crate::host::{Host, ProgressEvent};
use crate::http::Surface;
use crate::journal::{JobRecord, Lease, Records};
use crate::report::Report;
use ctx::{Ctx, Job};
use futures::StreamExt;

/// What a job returns: the report, and the rest of the work when the deadline came first; or, when
/// another run holds the job right now, who holds it (nothing was done).
#[derive(Debug)]
pub struct Outcome {
    pub report: Report,
    pub continuation: Option<MigrationRequest>,
    pub busy: Option<Lease>,
}

/// The ops whose calls count as migrate calls in the report.
const MIGRATE_OPS: [&str; 2] = [customers::MIGRATE, customers::BULK_MIGRATE];

pub async fn run(
    settings: &Settings,
    request: MigrationRequest,
    host: &Host<'_>,
) -> Result<Outcome> {
    request.validate(&settings.config.companies)?;
    let job_id = request.job_id();
    let records = Records {
        journal: host.journal,
        read_only: request.dry_run,
        redactor: Some(host.redactor),
    };
    // A job id names one request: a caller that reuses another job's id must not take it over
    // (its record, its comment).
    if let Some(j) = records.job(&job_id).await? {
        if !request.same_job_as(&j.request) {
            return Err(crate::error::Error::request(format!(
                "job id {job_id} belongs to another request; give a new id (or none: one is derived from the request)"
            )));
        }
    }
    let now = host.clock.now_ms();
    let owner = lease::owner(&job_id, now, host.clock.random());
    let lease_until = if request.dry_run {
        u64::MAX
    } else {
        match lease::take_job(&records, &job_id, &owner, now).await? {
            Ok(until) => until,
            Err(holder) => {
                let report = Report {
                    job_id,
                    ..Report::default()
                };
                return Ok(Outcome {
                    report,
                    continuation: None,
                    busy: Some(holder),
                });
            }
        }
    };
    let out = run_owned(
        settings,
        request.clone(),
        host,
        records,
        &owner,
        lease_until,
    )
    .await;
    if !request.dry_run {
        // Best effort: the lease runs out by itself.
        let _ = records.release(&lease::job_key(&job_id), &owner).await;
    }
    out
}

/// The job, once this run holds its claim.
async fn run_owned(
    settings: &Settings,
    request: MigrationRequest,
    host: &Host<'_>,
    records: Records<'_>,
    owner: &str,
    lease_until: u64,
) -> Result<Outcome> {
    let started = host.clock.now_ms();
    let job_id = request.job_id();
    let previous = records.job(&job_id).await?;
    let continuing = previous.as_ref().is_some_and(|j| !j.finished);
    let known = previous.is_some();
    let mut job = records::start_job(&records, previous, &request, started).await?;
    let client = Client::new(
        host,
        settings.config.retry.clone(),
        limiter(settings, &request),
    );
    client.set_deadline(request.deadline_ms);
    let job_info = Job {
        id: job_id.clone(),
        dry_run: request.dry_run,
        continuing,
        known,
        deadline_ms: request.deadline_ms,
        owner: owner.to_string(),
        lease_until,
    };
    // Independent startup lookups side by side (the limiter still bounds them). Both run to their
    // end: a future dropped mid-wait would leave the host's timer calling into a dead closure.
    let (urls, groups) = futures::join!(
        discover(settings, &client),
        resolve::groups(&client, settings)
    );
    let (urls, groups) = match urls.and_then(|u| groups.map(|g| (u, g))) {
        Ok(found) => found,
        Err(e) => return Err(records::end_early(&records, &mut job, continuing, e).await),
    };
    let mut ctx = Ctx::new(settings, client, records, host.progress, urls, job_info);
    ctx.groups = groups;
    ctx.rows = host.rows;
    let (mut report, complete) = match process(&ctx, &request, &mut job).await {
        Ok(r) => r,
        Err(e) if ctx.client.calls_of(&MIGRATE_OPS) == 0 => {
            // Nothing irreversible happened: the job is closed as failed and blocks nothing.
            return Err(records::end_early(&records, &mut job, continuing, e).await);
        }
        Err(e) => return Err(e),
    };
    if complete {
        if let Some(issue) = report.issue.clone() {
            if settings.config.comment.enabled && !request.dry_run {
                match steps::comment::once(&ctx, &mut job, &issue, &report).await? {
                    Ok(id) => report.comment = id,
                    Err(e) => report.comment_error = Some(crate::advice::explain(&e)),
                }
            }
        }
        job.finished = true;
        ctx.records.put_job(&job).await?;
    }
    rows::drop_partial(&mut report);
    report.stats.api_calls = ctx.client.requests();
    report.stats.retries = ctx.client.retries();
    report.stats.rate_limited = ctx.client.rate_limited();
    report.stats.migrate_calls = ctx.client.calls_of(&MIGRATE_OPS);
    report.stats.elapsed_ms = host.clock.now_ms().saturating_sub(started);
    host.progress.event(&ProgressEvent::Finish {
        job_id: job_id.0.clone(),
        complete,
    });
    let continuation = (!complete).then_some(MigrationRequest {
        job_id: Some(job_id.0),
        deadline_ms: None,
        ..request
    });
    Ok(Outcome {
        report,
        continuation,
        busy: None,
    })
}

/// Collects the customers and runs them: the report, and whether every customer was reached.
async fn process(
    ctx: &Ctx<'_>,
    request: &MigrationRequest,
    job: &mut JobRecord,
) -> Result<(Report, bool)> {
    let sources = sources::collect(ctx, request).await?;
    let concurrency = request.concurrency.unwrap_or(ctx.s.concurrency) as usize;
    let mut rows = rows::Rows::new(ctx.rows);
    let (tx, rx) = futures::channel::mpsc::channel::<Work>(feed::FEED);
    if ctx.deadline_ms.is_none() {
        // Streamed: customers start while later pages are read; the total grows as they arrive.
        ctx.total.set(sources.known());
        start(ctx);
        let fed = async {
            let r = feed::feed(ctx, sources, tx).await;
            if let Err(e) = &r {
                ctx.stop(e.clone());
            }
            r
        };
        let (fed, ran) =
            futures::join!(fed, run_all(ctx, rx.boxed_local(), concurrency, &mut rows));
        ran?;
        if let Ok(n) = fed {
            collected(ctx, job, n).await?;
        }
    } else {
        // A run with a deadline knows its whole job first: a chunk's report counts every customer
        // not reached, which the next chunk's progress is judged by (`afterChunk`).
        let mut list = WorkList::default();
        let (fed, ()) = futures::join!(
            feed::feed(ctx, sources, tx),
            rx.for_each(|w| {
                list.push(w);
                futures::future::ready(())
            })
        );
        fed?;
        collected(ctx, job, list.len()).await?;
        start(ctx);
        let works = futures::stream::iter(list.into_works());
        run_all(ctx, works.boxed_local(), concurrency, &mut rows).await?;
    }
    if let Some(e) = ctx.stop.borrow().clone() {
        return Err(e);
    }
    let mut report = Report {
        job_id: ctx.job_id.clone(),
        dry_run: ctx.dry_run,
        issue: request.issue_key.clone().map(crate::ids::IssueKey::new),
        ..Report::default()
    };
    let unfinished = rows.finish(&mut report)?;
    Ok((report, unfinished == 0))
}

/// The job's customers are all known: the progress total and the job record say how many.
async fn collected(ctx: &Ctx<'_>, job: &mut JobRecord, n: usize) -> Result<()> {
    ctx.total.set(n);
    if !ctx.dry_run {
        job.collected = Some(n);
        ctx.records.put_job(job).await?;
    }
    Ok(())
}

fn start(ctx: &Ctx<'_>) {
    ctx.progress.event(&ProgressEvent::Start {
        job_id: ctx.job_id.0.clone(),
        total: ctx.total.get(),
    });
}

/// Every customer of `work` through its steps, in the configured mode. One stream type (boxed),
/// so the pipelines are compiled once, not once per kind of stream.
async fn run_all(
    ctx: &Ctx<'_>,
    work: futures::stream::LocalBoxStream<'_, Work>,
    concurrency: usize,
    rows: &mut rows::Rows<'_>,
) -> Result<()> {
    match ctx.s.config.migrate.mode {
        MigrateMode::Single => run_single(ctx, work, concurrency, rows).await,
        MigrateMode::Bulk => bulk::run(ctx, work, concurrency, rows).await?,
    };
    Ok(())
}

fn limiter(settings: &Settings, request: &MigrationRequest) -> Limiter {
    let limits = settings.config.limits.clone();
    let conc = request.concurrency.unwrap_or(settings.concurrency);
    Limiter::new(move |s: Surface| {
        limits.get(s.as_str()).cloned().unwrap_or(LimitConfig {
            max: conc.max(1),
            ..LimitConfig::default()
        })
    })
}

/// cloudId (config or `/_edge/tenant_info`) and the Assets workspace (config or JSM lookup).
pub(crate) async fn discover(s: &Settings, client: &Client<'_>) -> Result<Urls> {
    let cloud_id = async {
        match &s.config.cloud_id {
            Some(c) => Ok(c.clone()),
            None => client
                .call(tenant::tenant_info(&s.site_url))
                .await
                .map(|c| c.0),
        }
    };
    // A site without Assets in the config never calls Assets: no workspace to look up.
    let workspace = async {
        match s.config.assets.as_ref().map(|a| &a.workspace_id) {
            None => Ok(String::new()),
            Some(Some(w)) => Ok(w.clone()),
            Some(None) => client
                .call(tenant::workspace(&s.site_url))
                .await
                .map(|w| w.0),
        }
    };
    // join, not try_join: see run_owned.
    let (cloud_id, workspace) = futures::join!(cloud_id, workspace);
    let (cloud_id, workspace) = (cloud_id?, workspace?);
    Ok(Urls::new(
        &s.site_url,
        &s.admin_url,
        &s.api_url,
        &cloud_id,
        &workspace,
    ))
}

/// Single mode: every customer runs its whole pipeline, `concurrency` at a time, each row counted
/// (and streamed) as it finishes.
async fn run_single(
    ctx: &Ctx<'_>,
    work: impl Stream<Item = Work>,
    concurrency: usize,
    rows: &mut rows::Rows<'_>,
) {
    lookup::ahead(ctx, work)
        .map(|w| steps::process(ctx, w))
        .buffer_unordered(concurrency.max(1))
        .for_each(|r| {
            rows.add(r);
            futures::future::ready(())
        })
        .await;
}
