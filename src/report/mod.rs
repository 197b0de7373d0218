//! The job's report: per customer the old and new ids, each step's outcome and the error; totals; API
//! calls per surface. JSON for `--report`, CSV for spreadsheets (`csv.rs`), and the one summary line.

mod csv;

pub use csv::CSV_HEADER;

use crate::ids::{AccountId, IssueKey, JobId, ObjectId, PortalCustomerId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Migrated,
    AlreadyMigrated,
    Failed,
    Skipped,
    /// Dry run: would be migrated.
    Planned,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Migrated => "migrated",
            Status::AlreadyMigrated => "already_migrated",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::Planned => "planned",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Status::Migrated,
            Status::AlreadyMigrated,
            Status::Failed,
            Status::Skipped,
            Status::Planned,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// A customer's steps, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Step {
    Check,
    Migrate,
    WriteBack,
    Groups,
    Space,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Check => "check",
            Step::Migrate => "migrate",
            Step::WriteBack => "writeBack",
            Step::Groups => "groups",
            Step::Space => "space",
        }
    }
}

/// One step's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// This job did it.
    Done,
    /// It was already so; nothing to do.
    Already,
    /// Not applicable (no asset object, no space, no groups configured…).
    Skipped,
    /// Dry run: would do it.
    Planned,
    Failed,
    /// Not reached (an earlier step failed, or the deadline came).
    Pending,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Steps {
    pub check: Outcome,
    pub migrate: Outcome,
    pub write_back: Outcome,
    pub groups: Outcome,
    pub space: Outcome,
}

impl Steps {
    /// Every step with the same outcome.
    pub fn all(o: Outcome) -> Self {
        Steps {
            check: o,
            migrate: o,
            write_back: o,
            groups: o,
            space: o,
        }
    }

    pub fn get_mut(&mut self, step: Step) -> &mut Outcome {
        match step {
            Step::Check => &mut self.check,
            Step::Migrate => &mut self.migrate,
            Step::WriteBack => &mut self.write_back,
            Step::Groups => &mut self.groups,
            Step::Space => &mut self.space,
        }
    }
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Already => "already",
            Outcome::Skipped => "skipped",
            Outcome::Planned => "planned",
            Outcome::Failed => "failed",
            Outcome::Pending => "pending",
        }
    }
}

impl Default for Steps {
    fn default() -> Self {
        Steps::all(Outcome::Pending)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerReport {
    pub portal_account_id: Option<PortalCustomerId>,
    pub account_id: Option<AccountId>,
    pub email: Option<String>,
    pub company: Option<String>,
    pub asset_object_id: Option<ObjectId>,
    /// Where the customer came from (`company:ACME`, `customer:…`, `issue:SUP-1`, `aql`, `directory`).
    pub source: String,
    pub status: Status,
    pub steps: Steps,
    pub failed_step: Option<Step>,
    pub error: Option<String>,
    /// Whether a re-run can fix the failure.
    pub retryable: Option<bool>,
    /// The Confluence space the customer gets (or, in a dry run, would get).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub space: Option<String>,
    /// What the admin should know that is not a failure (e.g. no space could be found for it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Dry run: what the job would do for this customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
}

/// A dry run's plan for one customer: each call the job would make.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The migrate route (`bulk-migrate-to-atlassian-account` or `migrate-to-atlassian-account-user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_back: Option<PlannedWrite>,
    /// The groups (as the config names them) the account would be added to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub space: Option<PlannedSpace>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedWrite {
    pub object: ObjectId,
    /// The attribute as the config names it.
    pub attribute: String,
    /// The value written: the account id, or `(the new account id)` before it exists.
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedSpace {
    pub key: String,
    /// Where the key came from (`company ACME`, `organization Acme`, `email domain acme.com`, …).
    pub from: String,
    /// `key/target` pairs, `read/space` first.
    pub permissions: Vec<String>,
}

impl CustomerReport {
    /// What the admin should do about this customer, in a few words ("" when nothing).
    pub fn next(&self) -> String {
        match (self.status, self.retryable) {
            (Status::Failed, Some(true)) => {
                "re-run the job (resume): a later run can finish it".into()
            }
            (Status::Failed, _) => "fix the cause in the error, then re-run".into(),
            (Status::Planned, _) => "run without --dry-run".into(),
            _ if !self.notes.is_empty() => "see notes".into(),
            _ => String::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub customers: usize,
    pub migrated: usize,
    pub already_migrated: usize,
    pub failed: usize,
    pub skipped: usize,
    pub planned: usize,
    /// Customers left for a continuation (deadline reached).
    pub unfinished: usize,
}

/// How often each outcome came up for one step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeCounts {
    pub done: usize,
    pub already: usize,
    pub skipped: usize,
    pub planned: usize,
    pub failed: usize,
    pub pending: usize,
}

impl OutcomeCounts {
    fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Done => self.done += 1,
            Outcome::Already => self.already += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Planned => self.planned += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Pending => self.pending += 1,
        }
    }
}

/// Per step, how many customers had each outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct StepCounts {
    pub migrate: OutcomeCounts,
    pub write_back: OutcomeCounts,
    pub groups: OutcomeCounts,
    pub space: OutcomeCounts,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Requests sent per surface (each retry counts).
    pub api_calls: BTreeMap<String, u64>,
    pub retries: u64,
    pub rate_limited: u64,
    pub migrate_calls: u64,
    pub elapsed_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub job_id: JobId,
    pub dry_run: bool,
    pub issue: Option<IssueKey>,
    /// The summary comment's id, when it was posted.
    pub comment: Option<String>,
    /// Why the summary comment was not posted (the job's customers are not affected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_error: Option<String>,
    pub customers: Vec<CustomerReport>,
    /// Rows handed to the host as they finished (`RowSink`) and not listed in `customers`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub omitted: usize,
    pub totals: Totals,
    /// Totals per company (customers without one under `""`).
    #[serde(default)]
    pub by_company: BTreeMap<String, Totals>,
    #[serde(default)]
    pub steps: StepCounts,
    pub stats: Stats,
}

impl Report {
    pub fn compute_totals(&mut self, unfinished: usize) {
        let mut t = Tally::default();
        for c in &self.customers {
            t.count(c);
        }
        t.apply(self, unfinished);
    }

    /// What each step did, e.g. `write-back: 36 done, 3 already · groups: 39 done · …`.
    pub fn steps_line(&self) -> String {
        let part = |name: &str, c: &OutcomeCounts| {
            let mut bits = Vec::new();
            for (n, what) in [
                (c.done, "done"),
                (c.already, "already"),
                (c.planned, "planned"),
                (c.failed, "failed"),
                (c.skipped, "skipped"),
                (c.pending, "pending"),
            ] {
                if n > 0 {
                    bits.push(format!("{n} {what}"));
                }
            }
            format!(
                "{name}: {}",
                if bits.is_empty() {
                    "none".to_string()
                } else {
                    bits.join(", ")
                }
            )
        };
        let s = &self.steps;
        [
            part("migrate", &s.migrate),
            part("write-back", &s.write_back),
            part("groups", &s.groups),
            part("space", &s.space),
        ]
        .join(" · ")
    }

    /// One line per company, e.g. `ACME: 58 migrated, 2 failed (see report)`.
    pub fn company_lines(&self) -> Vec<String> {
        self.by_company
            .iter()
            .map(|(company, t)| {
                let name = if company.is_empty() {
                    "(no company)"
                } else {
                    company
                };
                let mut parts = Vec::new();
                for (n, what) in [
                    (t.migrated, "migrated"),
                    (t.already_migrated, "already migrated"),
                    (t.planned, "planned"),
                    (t.failed, "failed"),
                    (t.skipped, "skipped"),
                ] {
                    if n > 0 {
                        parts.push(format!("{n} {what}"));
                    }
                }
                let tail = if t.failed > 0 { " (see report)" } else { "" };
                format!("{name}: {}{tail}", parts.join(", "))
            })
            .collect()
    }

    pub fn summary(&self) -> String {
        let t = &self.totals;
        let mut s = format!(
            "summary: migrated={} already_migrated={} failed={} skipped={}",
            t.migrated, t.already_migrated, t.failed, t.skipped
        );
        if self.dry_run {
            s.push_str(&format!(" planned={}", t.planned));
        }
        if t.unfinished > 0 {
            s.push_str(&format!(" unfinished={}", t.unfinished));
        }
        s
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Totals, per company and per step, counted one row at a time (so rows need not be kept).
#[derive(Default)]
pub struct Tally {
    totals: Totals,
    by_company: BTreeMap<String, Totals>,
    steps: StepCounts,
}

impl Tally {
    pub fn count(&mut self, c: &CustomerReport) {
        self.totals.count(c);
        self.by_company
            .entry(c.company.clone().unwrap_or_default())
            .or_default()
            .count(c);
        let s = &mut self.steps;
        s.migrate.add(c.steps.migrate);
        s.write_back.add(c.steps.write_back);
        s.groups.add(c.steps.groups);
        s.space.add(c.steps.space);
    }

    pub fn apply(self, report: &mut Report, unfinished: usize) {
        report.totals = Totals {
            unfinished,
            ..self.totals
        };
        report.by_company = self.by_company;
        report.steps = self.steps;
    }
}

impl Totals {
    fn count(&mut self, c: &CustomerReport) {
        self.customers += 1;
        match c.status {
            Status::Migrated => self.migrated += 1,
            Status::AlreadyMigrated => self.already_migrated += 1,
            Status::Failed => self.failed += 1,
            Status::Skipped => self.skipped += 1,
            Status::Planned => self.planned += 1,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn row(status: Status, error: Option<&str>) -> CustomerReport {
        CustomerReport {
            portal_account_id: Some("qm:1".into()),
            account_id: Some("712020:a".into()),
            email: Some("a@b.example".into()),
            company: Some("ACME".into()),
            asset_object_id: Some("88".into()),
            source: "company:ACME".into(),
            status,
            steps: Steps::default(),
            failed_step: error.map(|_| Step::Groups),
            error: error.map(str::to_string),
            retryable: None,
            space: None,
            notes: Vec::new(),
            plan: None,
        }
    }

    #[test]
    fn totals_and_summary_line() {
        let mut r = Report {
            customers: vec![
                row(Status::Migrated, None),
                row(Status::Failed, Some("x")),
                row(Status::AlreadyMigrated, None),
            ],
            ..Report::default()
        };
        r.compute_totals(0);
        assert_eq!(
            r.summary(),
            "summary: migrated=1 already_migrated=1 failed=1 skipped=0"
        );
        r.customers[2].company = None;
        r.compute_totals(0);
        assert_eq!(
            r.company_lines(),
            vec![
                "(no company): 1 already migrated",
                "ACME: 1 migrated, 1 failed (see report)"
            ]
        );
        assert_eq!(r.steps.write_back.pending, 3);
        r.customers[0].steps.write_back = Outcome::Done;
        r.compute_totals(0);
        assert_eq!(
            r.steps_line(),
            "migrate: 3 pending · write-back: 1 done, 2 pending · groups: 3 pending · space: 3 pending"
        );
    }

    #[test]
    fn report_json_uses_documented_field_names() {
        let v = serde_json::to_value(row(Status::AlreadyMigrated, None)).unwrap();
        assert_eq!(v["status"], "already_migrated");
        assert_eq!(v["steps"]["writeBack"], "pending");
        assert!(v.get("portalAccountId").is_some() && v.get("assetObjectId").is_some());
    }
}
