//! Runs a job: discover the tenant, collect the customers, run each through check → migrate →
//! write back → groups → space (bounded concurrency, journaled, deadline-aware), then comment once.

mod bulk;
mod customer;
mod request;
mod sources;

pub use request::{DirectoryFilter, MigrationRequest};

use crate::api::{self, Urls};
use crate::client::Client;
use crate::config::{MigrateMode, Settings};
use crate::error::{Error, Result};
use crate::host::{Host, ProgressEvent};
use crate::http::Surface;
use crate::ids::{GroupId, SpaceKey};
use crate::journal::{JobRecord, Records};
use crate::limiter::{LimitConfig, Limiter};
use crate::report::{CustomerReport, Report};
use crate::retry::RetryClass;
use futures::StreamExt;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashSet};

pub use customer::Work;
pub(crate) use sources::{resolve_groups, space_for};

/// What a job returns: the report, and the rest of the work when the deadline came first.
#[derive(Debug)]
pub struct Outcome {
    pub report: Report,
    pub continuation: Option<MigrationRequest>,
}

/// Shared state of one run.
pub(crate) struct Ctx<'a> {
    pub s: &'a Settings,
    pub client: Client<'a>,
    pub records: Records<'a>,
    pub host: &'a Host<'a>,
    pub urls: Urls,
    pub job_id: String,
    pub dry_run: bool,
    /// The job was unfinished: what it migrated earlier counts as migrated by this run.
    pub continuing: bool,
    pub groups: Vec<GroupId>,
    pub spaces: RefCell<BTreeMap<String, Option<SpaceKey>>>,
    pub deadline_ms: Option<u64>,
    /// The longest a customer took so far; no customer starts unless this much time is left.
    pub estimate_ms: Cell<u64>,
    pub done: Cell<usize>,
    pub total: Cell<usize>,
    pub claimed: RefCell<HashSet<String>>,
    pub migrate_calls: Cell<u64>,
}

impl<'a> Ctx<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        s: &'a Settings,
        client: Client<'a>,
        records: Records<'a>,
        host: &'a Host<'a>,
        urls: Urls,
        job_id: String,
        dry_run: bool,
        continuing: bool,
        deadline_ms: Option<u64>,
    ) -> Self {
        Ctx {
            s,
            client,
            records,
            host,
            urls,
            job_id,
            dry_run,
            continuing,
            groups: Vec::new(),
            spaces: RefCell::default(),
            deadline_ms,
            estimate_ms: Cell::new(INITIAL_ESTIMATE_MS),
            done: Cell::new(0),
            total: Cell::new(0),
            claimed: RefCell::default(),
            migrate_calls: Cell::new(0),
        }
    }

    pub fn now(&self) -> u64 {
        self.host.clock.now_ms()
    }

    /// Whether a customer may still start before the deadline.
    pub fn may_start(&self) -> bool {
        match self.deadline_ms {
            None => true,
            Some(d) => self.now().saturating_add(self.estimate_ms.get()) <= d,
        }
    }

    pub fn customer_done(&self, r: &CustomerReport, started: u64) {
        let took = self.now().saturating_sub(started);
        if took > self.estimate_ms.get() {
            self.estimate_ms.set(took);
        }
        self.done.set(self.done.get() + 1);
        self.host.progress.event(&ProgressEvent::Customer {
            done: self.done.get(),
            total: self.total.get(),
            status: r.status.as_str().into(),
            portal_account_id: r.portal_account_id.clone(),
            email: r.email.clone(),
        });
    }

    pub fn concurrency(&self, request: &MigrationRequest) -> usize {
        request.concurrency.unwrap_or(self.s.concurrency) as usize
    }
}

/// The first estimate of how long one customer takes, before any was measured.
const INITIAL_ESTIMATE_MS: u64 = 5_000;

pub async fn run(
    settings: &Settings,
    request: MigrationRequest,
    host: &Host<'_>,
) -> Result<Outcome> {
    request.validate(&settings.config.companies)?;
    let started = host.clock.now_ms();
    let job_id = request
        .job_id
        .clone()
        .unwrap_or_else(|| request.derive_job_id());
    let records = Records {
        journal: host.journal,
        read_only: request.dry_run,
    };
    let previous: Option<JobRecord> = records.get(&crate::journal::job_key(&job_id)).await?;
    let continuing = previous.as_ref().is_some_and(|j| !j.finished);
    let mut job = previous.unwrap_or(JobRecord {
        job_id: job_id.clone(),
        request: serde_json::to_value(&request).unwrap_or_default(),
        started_ms: started,
        finished: false,
        comment: None,
    });
    job.finished = false;
    let mut stored = request.clone();
    stored.job_id = Some(job_id.clone());
    stored.deadline_ms = None;
    job.request = serde_json::to_value(&stored).unwrap_or_default();
    records.put(&crate::journal::job_key(&job_id), &job).await?;

    let client = Client::new(
        host.transport,
        host.clock,
        host.progress,
        settings.config.retry.clone(),
        limiter(settings, &request),
    );
    let urls = discover(settings, &client).await?;
    let mut ctx = Ctx::new(
        settings,
        client,
        records,
        host,
        urls,
        job_id.clone(),
        request.dry_run,
        continuing,
        request.deadline_ms,
    );
    ctx.groups = sources::resolve_groups(&ctx).await?;
    let work = sources::collect(&ctx, &request).await?;
    ctx.total.set(work.len());
    host.progress.event(&ProgressEvent::Start {
        job_id: job_id.clone(),
        total: work.len(),
    });

    let (mut customers, unfinished) = match settings.config.migrate.mode {
        MigrateMode::Single => run_single(&ctx, work, ctx.concurrency(&request)).await?,
        MigrateMode::Bulk => bulk::run(&ctx, work, ctx.concurrency(&request)).await?,
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
        issue: request.issue_key.clone(),
        customers,
        ..Report::default()
    };
    report.compute_totals(unfinished);

    let complete = unfinished == 0;
    if complete {
        if let Some(issue) = &request.issue_key {
            if settings.config.comment.enabled && !request.dry_run {
                report.comment = sources::comment_once(&ctx, &mut job, issue, &report).await?;
            }
        }
        job.finished = true;
        ctx.records
            .put(&crate::journal::job_key(&job_id), &job)
            .await?;
    }
    report.stats.api_calls = ctx.client.calls();
    report.stats.retries = ctx.client.retries();
    report.stats.rate_limited = ctx.client.rate_limited();
    report.stats.migrate_calls = ctx.migrate_calls.get();
    report.stats.elapsed_ms = host.clock.now_ms().saturating_sub(started);
    host.progress.event(&ProgressEvent::Finish {
        job_id: job_id.clone(),
        complete,
    });
    let continuation = (!complete).then_some(MigrationRequest {
        job_id: Some(job_id),
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
async fn discover(s: &Settings, client: &Client<'_>) -> Result<Urls> {
    let cloud_id = match &s.config.cloud_id {
        Some(c) => c.clone(),
        None => {
            let r = client
                .send(
                    "tenant.info",
                    api::tenant::tenant_info(&s.site_url),
                    RetryClass::Safe,
                )
                .await?;
            api::tenant::parse_tenant_info(&r)?.0
        }
    };
    let workspace = match &s.config.assets.workspace_id {
        Some(w) => w.clone(),
        None => {
            let r = client
                .send(
                    "assets.workspace",
                    api::tenant::workspace(&s.site_url),
                    RetryClass::Safe,
                )
                .await?;
            api::tenant::parse_workspace(&r)?.0
        }
    };
    if cloud_id.is_empty()
        || !cloud_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(Error::decode(
            "tenant.info",
            format!("unexpected cloudId {cloud_id:?}"),
        ));
    }
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
    let results: Vec<Result<customer::Processed>> = futures::stream::iter(work)
        .map(|w| customer::process(ctx, w))
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut out = Vec::new();
    let mut unfinished = 0;
    for r in results {
        match r? {
            customer::Processed::Done(c) => out.push(c),
            customer::Processed::Unstarted => unfinished += 1,
            customer::Processed::Duplicate => {}
        }
    }
    Ok((out, unfinished))
}
