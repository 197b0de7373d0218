//! The job's report: per customer the old and new ids, each step's outcome and the error; totals; API
//! calls per surface. JSON for `--report`, CSV for spreadsheets (`csv.rs`), and the one summary line.

mod csv;

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
    pub totals: Totals,
    pub stats: Stats,
}

impl Report {
    pub fn compute_totals(&mut self, unfinished: usize) {
        let mut t = Totals {
            customers: self.customers.len(),
            unfinished,
            ..Totals::default()
        };
        for c in &self.customers {
            match c.status {
                Status::Migrated => t.migrated += 1,
                Status::AlreadyMigrated => t.already_migrated += 1,
                Status::Failed => t.failed += 1,
                Status::Skipped => t.skipped += 1,
                Status::Planned => t.planned += 1,
            }
        }
        self.totals = t;
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
    }

    #[test]
    fn report_json_uses_documented_field_names() {
        let v = serde_json::to_value(row(Status::AlreadyMigrated, None)).unwrap();
        assert_eq!(v["status"], "already_migrated");
        assert_eq!(v["steps"]["writeBack"], "pending");
        assert!(v.get("portalAccountId").is_some() && v.get("assetObjectId").is_some());
    }
}
