//! The job's report: per customer the old and new ids, each step's outcome and the error; totals; API
//! calls per surface. JSON for `--report`, CSV for spreadsheets, and the one summary line.

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

impl Default for Steps {
    fn default() -> Self {
        Steps {
            check: Outcome::Pending,
            migrate: Outcome::Pending,
            write_back: Outcome::Pending,
            groups: Outcome::Pending,
            space: Outcome::Pending,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerReport {
    pub portal_account_id: Option<String>,
    pub account_id: Option<String>,
    pub email: Option<String>,
    pub company: Option<String>,
    pub asset_object_id: Option<String>,
    /// Where the customer came from (`company:ACME`, `customer:…`, `issue:SUP-1`, `aql`, `directory`).
    pub source: String,
    pub status: Status,
    pub steps: Steps,
    pub failed_step: Option<String>,
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
    pub job_id: String,
    pub dry_run: bool,
    pub issue: Option<String>,
    pub comment: Option<String>,
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

    /// One row per customer: old id, new id, email, company, status, failed step, error.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "portal_account_id,account_id,email,company,asset_object_id,status,failed_step,error\n",
        );
        for c in &self.customers {
            let row = [
                c.portal_account_id.as_deref().unwrap_or(""),
                c.account_id.as_deref().unwrap_or(""),
                c.email.as_deref().unwrap_or(""),
                c.company.as_deref().unwrap_or(""),
                c.asset_object_id.as_deref().unwrap_or(""),
                c.status.as_str(),
                c.failed_step.as_deref().unwrap_or(""),
                c.error.as_deref().unwrap_or(""),
            ];
            out.push_str(
                &row.iter()
                    .map(|f| csv_field(f))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            out.push('\n');
        }
        out
    }
}

/// Quotes a CSV field when needed; a leading `=`, `+`, `-` or `@` is prefixed with `'` so a
/// spreadsheet does not run it as a formula.
fn csv_field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@']) {
        format!("'{v}")
    } else {
        v.to_string()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: Status, error: Option<&str>) -> CustomerReport {
        CustomerReport {
            portal_account_id: Some("qm:1".into()),
            account_id: Some("712020:a".into()),
            email: Some("a@b.example".into()),
            company: Some("ACME".into()),
            asset_object_id: Some("88".into()),
            source: "company:ACME".into(),
            status,
            steps: Steps::default(),
            failed_step: error.map(|_| "groups".into()),
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
    fn csv_quotes_and_defuses_formulas() {
        let r = Report {
            customers: vec![row(Status::Failed, Some("=HYPERLINK(\"x\"), bad"))],
            ..Report::default()
        };
        let csv = r.to_csv();
        let line = csv.lines().nth(1).unwrap();
        assert_eq!(
            line,
            "qm:1,712020:a,a@b.example,ACME,88,failed,groups,\"'=HYPERLINK(\"\"x\"\"), bad\""
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
