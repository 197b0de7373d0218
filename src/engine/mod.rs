//! Runs a job: discover the tenant, resolve the config's names, collect the customers, run each
//! through its steps (bounded concurrency, journaled, deadline-aware), then comment once.
//!
//! - `ctx.rs` the shared state of a run; `work.rs` a customer to process, claims and dedupe;
//! - `sources.rs` where customers come from; `resolve.rs` groups, attributes and spaces;
//! - `steps/` check → migrate → finish, and the comment; `bulk.rs` the batched migrate;
//! - `records.rs` every journal write.

mod bulk;
mod ctx;
mod records;
mod request;
mod resolve;
mod sources;
mod steps;
#[cfg(test)]
mod testing;
mod work;

pub use request::{DirectoryFilter, MigrationRequest};
pub use resolve::Cache;
pub(crate) use resolve::{groups as resolve_groups, space as resolve_space};
pub use work::{AssetRef, Work};

use crate::api::{customers, tenant, Urls};
use crate::client::{Client, LimitConfig, Limiter};
use crate::config::{MigrateMode, Settings};
use crate::error::Result;
use crate::host::{Host, ProgressEvent};
use crate::http::Surface;
use crate::journal::{JobRecord, Records};
use crate::report::{CustomerReport, Report};
use ctx::{Ctx, Job};
use futures::StreamExt;
use steps::Processed;

/// What a job returns: the report, and the rest of the work when the deadline came first.
#[derive(Debug)]
pub struct Outcome {
    pub report: Report,
    pub continuation: Option<MigrationRequest>,
}

/// The ops whose calls count as migrate calls in the report.
const MIGRATE_OPS: [&str; 2] = [customers::MIGRATE, customers::BULK_MIGRATE];

pub async fn run(
    settings: &Settings,
    request: MigrationRequest,
    host: &Host<'_>,
) -> Result<Outcome> {
    request.validate(&settings.config.companies)?;
    let started = host.clock.now_ms();
    let job_id = request.job_id();
    let records = Records {
        journal: host.journal,
        read_only: request.dry_run,
    };
    let previous = records.job(&job_id).await?;
    let continuing = previous.as_ref().is_some_and(|j| !j.finished);
    let mut stored = request.clone();
    stored.job_id = Some(job_id.0.clone());
    stored.deadline_ms = None;
    let mut job = previous.unwrap_or(JobRecord {
        job_id: job_id.clone(),
        request: serde_json::Value::Null,
        started_ms: started,
        finished: false,
        comment: None,
    });
    job.finished = false;
    job.request = serde_json::to_value(&stored).unwrap_or_default();
    records.put_job(&job).await?;

    let client = Client::new(
        host,
        settings.config.retry.clone(),
        limiter(settings, &request),
    );
    let urls = discover(settings, &client).await?;
    let job_info = Job {
        id: job_id.clone(),
        dry_run: request.dry_run,
        continuing,
        deadline_ms: request.deadline_ms,
    };
    let mut ctx = Ctx::new(settings, client, records, host.progress, urls, job_info);
    ctx.groups = resolve::groups(&ctx.client, settings).await?;
    let work = sources::collect(&ctx, &request).await?;
    ctx.total.set(work.len());
    host.progress.event(&ProgressEvent::Start {
        job_id: job_id.0.clone(),
        total: work.len(),
    });

    let concurrency = request.concurrency.unwrap_or(settings.concurrency) as usize;
    let (mut customers, unfinished) = match settings.config.migrate.mode {
        MigrateMode::Single => run_single(&ctx, work, concurrency).await?,
        MigrateMode::Bulk => bulk::run(&ctx, work, concurrency).await?,
    };
    customers.sort_by(|a, b| {
        (&a.company, &a.email, &a.portal_account_id).cmp(&(
            &b.company,
            &b.email,
            &b.portal_account_id,
        ))
    });
    let mut report = Report {
        job_id: job_id.clone(),
        dry_run: request.dry_run,
        issue: request.issue_key.clone().map(crate::ids::IssueKey::new),
        customers,
        ..Report::default()
    };
    report.compute_totals(unfinished);

    let complete = unfinished == 0;
    if complete {
        if let Some(issue) = &report.issue {
            if settings.config.comment.enabled && !request.dry_run {
                let issue = issue.clone();
                match steps::comment::once(&ctx, &mut job, &issue, &report).await? {
                    Ok(id) => report.comment = id,
                    Err(e) => report.comment_error = Some(e.to_string()),
                }
            }
        }
        job.finished = true;
        ctx.records.put_job(&job).await?;
    }
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
    })
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
    let cloud_id = match &s.config.cloud_id {
        Some(c) => c.clone(),
        None => client.call(tenant::tenant_info(&s.site_url)).await?.0,
    };
    let workspace = match &s.config.assets.workspace_id {
        Some(w) => w.clone(),
        None => client.call(tenant::workspace(&s.site_url)).await?.0,
    };
    Ok(Urls::new(
        &s.site_url,
        &s.admin_url,
        &s.api_url,
        &cloud_id,
        &workspace,
    ))
}

/// Single mode: every customer runs its whole pipeline, `concurrency` at a time.
async fn run_single(
    ctx: &Ctx<'_>,
    work: Vec<Work>,
    concurrency: usize,
) -> Result<(Vec<CustomerReport>, usize)> {
    let results: Vec<Result<Processed>> = futures::stream::iter(work)
        .map(|w| steps::process(ctx, w))
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut out = Vec::new();
    let mut unfinished = 0;
    for r in results {
        match r? {
            Processed::Done(c) => out.push(c),
            Processed::Unstarted => unfinished += 1,
            Processed::Duplicate => {}
        }
    }
    Ok((out, unfinished))
}
