//! The shared state of one run: settings, the client, the journal, the tenant's URLs, the resolved
//! groups and spaces, the deadline and the progress counters.

use super::ahead::Lookups;
use super::resolve::{self, Cache};
use super::work::Claims;
use crate::api::Urls;
use crate::client::{Backoff, Client};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::host::{Progress, ProgressEvent, RowSink};
use crate::ids::{GroupId, JobId, SpaceKey};
use crate::journal::Records;
use crate::report::CustomerReport;
use std::cell::{Cell, RefCell};

/// The first estimate of how long one customer takes, before any was measured.
const INITIAL_ESTIMATE_MS: u64 = 5_000;

pub(crate) struct Ctx<'a> {
    pub s: &'a Settings,
    pub client: Client<'a>,
    pub records: Records<'a>,
    pub progress: &'a dyn Progress,
    /// Where finished rows go as they finish (the host's), if anywhere.
    pub rows: Option<&'a dyn RowSink>,
    pub urls: Urls,
    pub job_id: JobId,
    pub dry_run: bool,
    /// The job was unfinished: what it migrated earlier counts as migrated by this run.
    pub continuing: bool,
    /// The journal knew this job before this run (unfinished, or finished and run again).
    pub known: bool,
    pub groups: Vec<GroupId>,
    /// Attributes and company spaces resolved so far.
    pub cache: Cache,
    pub deadline_ms: Option<u64>,
    /// The longest a customer took so far; no customer starts unless this much time is left.
    estimate_ms: Cell<u64>,
    done: Cell<usize>,
    pub total: Cell<usize>,
    pub claims: Claims,
    /// Accounts and records read ahead in bulk for the customers about to run.
    pub lookups: Lookups,
    /// Set when the job must stop (a route it needs is gone): no further customer starts.
    pub stop: RefCell<Option<Error>>,
    /// This run's name in the journal's claims, and when its claim on the job runs out.
    pub owner: String,
    pub lease_until: Cell<u64>,
}

pub(crate) struct Job {
    pub id: JobId,
    pub dry_run: bool,
    pub continuing: bool,
    pub known: bool,
    pub deadline_ms: Option<u64>,
    pub owner: String,
    pub lease_until: u64,
}

impl<'a> Ctx<'a> {
    /// How a migrate's outcome is waited for (its new account, another run's claim): 250 ms doubling
    /// to 5 s, within `migrate.pollTimeoutMs`.
    pub fn migrate_poll(&self) -> Backoff {
        Backoff {
            first_ms: 250,
            max_ms: 5_000,
            budget_ms: self.s.config.migrate.poll_timeout_ms,
        }
    }

    pub fn new(
        s: &'a Settings,
        client: Client<'a>,
        records: Records<'a>,
        progress: &'a dyn Progress,
        urls: Urls,
        job: Job,
    ) -> Self {
        Ctx {
            s,
            client,
            records,
            progress,
            rows: None,
            urls,
            job_id: job.id,
            dry_run: job.dry_run,
            continuing: job.continuing,
            known: job.known,
            groups: Vec::new(),
            cache: Cache::default(),
            deadline_ms: job.deadline_ms,
            estimate_ms: Cell::new(INITIAL_ESTIMATE_MS),
            done: Cell::new(0),
            total: Cell::new(0),
            claims: Claims::default(),
            lookups: Lookups::default(),
            stop: RefCell::new(None),
            owner: job.owner,
            lease_until: Cell::new(job.lease_until),
        }
    }

    pub fn now(&self) -> u64 {
        self.client.now()
    }

    /// Stops the job: customers not started yet stay for a later run.
    pub fn stop(&self, e: Error) {
        self.stop.borrow_mut().get_or_insert(e);
    }

    pub fn stopped(&self) -> bool {
        self.stop.borrow().is_some()
    }

    /// Whether a customer may still start before the deadline.
    pub fn may_start(&self) -> bool {
        match self.deadline_ms {
            None => true,
            Some(d) => self.now().saturating_add(self.estimate_ms.get()) <= d,
        }
    }

    /// The Confluence space of `company`, when spaces are configured.
    pub async fn space_for(&self, company: Option<&str>) -> Result<Option<SpaceKey>> {
        resolve::space(&self.client, self.s, &self.urls, &self.cache, company).await
    }

    pub fn customer_done(&self, r: &CustomerReport, started: u64) {
        let took = self.now().saturating_sub(started);
        if took > self.estimate_ms.get() {
            self.estimate_ms.set(took);
        }
        self.done.set(self.done.get() + 1);
        self.progress.event(&ProgressEvent::Customer {
            done: self.done.get(),
            total: self.total.get(),
            status: r.status.as_str().into(),
            portal_account_id: r.portal_account_id.as_ref().map(|p| p.0.clone()),
            email: r.email.clone(),
        });
    }
}
