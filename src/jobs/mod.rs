//! What a host decides about jobs, decided here so every host decides alike: whether a request runs
//! inline or on the queue, how long a failed chunk waits, when a chain of chunks has stalled; and
//! (`ledger.rs`) what the journal's jobs are, and whether one may be discarded. The hosts only carry
//! these answers out.

mod ledger;

pub use ledger::{discard, get, list, Counts, JobStatus, JobSummary};

use crate::engine::MigrationRequest;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct JobLimits {
    /// A request this small (explicit customers plus the issue reporter) runs inline.
    pub inline_max_customers: usize,
    /// Chunks a job may take before it is marked failed (a runaway guard, not a normal limit).
    pub max_chunks: u32,
    /// Chunks in a row that left as many customers unfinished as before: then the job fails.
    pub max_stalls: u32,
    /// Re-queues of one chunk after a retryable failure (429 / 5xx / transport / journal).
    pub max_attempts: u32,
    /// First delay after a retryable failure; doubles per attempt, capped at `max_delay_seconds`.
    pub retry_delay_seconds: u64,
    pub max_delay_seconds: u64,
    /// A queued or running job whose record is older than this may be started again.
    pub stale_ms: u64,
}

impl Default for JobLimits {
    fn default() -> Self {
        JobLimits {
            inline_max_customers: 5,
            max_chunks: 500,
            max_stalls: 3,
            max_attempts: 8,
            retry_delay_seconds: 30,
            max_delay_seconds: 900,
            stale_ms: 30 * 60_000,
        }
    }
}

/// Whether a request is small enough to run inline: only explicit customers and/or the issue's
/// reporter, at most `max` of them. Anything that expands through Assets or the directory
/// (companies, aql, portalCustomers, or no selection at all, which means the config's companies)
/// is big: its size is unknown until the core has collected it.
pub fn is_small(r: &MigrationRequest, max: usize) -> bool {
    if !r.companies.is_empty() || r.aql.is_some() || r.portal_customers.is_some() {
        return false;
    }
    let reporter = r.issue_key.is_some() && r.reporter != Some(false);
    let n = r.customers.len() + usize::from(reporter);
    (1..=max).contains(&n)
}

/// Seconds before the `attempt`-th retry of a failed chunk (1-based).
pub fn retry_delay(l: &JobLimits, attempt: u32) -> u64 {
    let exp = attempt.max(1) - 1;
    let grown = if exp >= 32 {
        u64::MAX
    } else {
        l.retry_delay_seconds.saturating_mul(1u64 << exp)
    };
    grown.min(l.max_delay_seconds)
}

/// What follows a chunk that ended with customers left.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "next", rename_all = "camelCase")]
pub enum AfterChunk {
    /// Queue the continuation; `stalls` chunks in a row finished nobody.
    Continue { stalls: u32 },
    /// Give up on the job.
    #[serde(rename_all = "camelCase")]
    Fail { code: String, message: String },
}

/// `chunk` (1-based) left `unfinished` customers; the chunk before left `before` (if known).
pub fn after_chunk(
    l: &JobLimits,
    chunk: u32,
    stalls: u32,
    before: Option<usize>,
    unfinished: usize,
) -> AfterChunk {
    let stalls = match before {
        Some(b) if unfinished >= b => stalls + 1,
        _ => 0,
    };
    if stalls >= l.max_stalls {
        return AfterChunk::Fail {
            code: "STALLED".into(),
            message: format!("{stalls} chunks in a row finished no customer ({unfinished} left); is the chunk budget shorter than one customer takes?"),
        };
    }
    if chunk >= l.max_chunks {
        return AfterChunk::Fail {
            code: "STALLED".into(),
            message: format!(
                "the job took {chunk} chunks (limit {}) and still has {unfinished} customers left",
                l.max_chunks
            ),
        };
    }
    AfterChunk::Continue { stalls }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(v: serde_json::Value) -> MigrationRequest {
        MigrationRequest::from_value(v).unwrap()
    }

    #[test]
    fn small_means_a_few_explicit_customers_or_the_reporter() {
        assert!(is_small(&req(serde_json::json!({"issueKey": "SUP-1"})), 5));
        assert!(is_small(
            &req(serde_json::json!({"customers": ["a@b.example"]})),
            5
        ));
        assert!(!is_small(
            &req(serde_json::json!({"companies": ["ACME"]})),
            5
        ));
        assert!(
            !is_small(&req(serde_json::json!({})), 5),
            "the config's companies"
        );
        let many: Vec<String> = (0..6).map(|i| format!("c{i}@b.example")).collect();
        assert!(!is_small(&req(serde_json::json!({ "customers": many })), 5));
        assert!(!is_small(
            &req(serde_json::json!({"issueKey": "SUP-1", "reporter": false})),
            5
        ));
    }

    #[test]
    fn retry_delay_doubles_and_is_capped() {
        let l = JobLimits::default();
        let d: Vec<u64> = (1..=7).map(|a| retry_delay(&l, a)).collect();
        assert_eq!(d, vec![30, 60, 120, 240, 480, 900, 900]);
        assert_eq!(retry_delay(&l, u32::MAX), 900);
    }

    #[test]
    fn a_chain_that_finishes_nobody_stalls() {
        let l = JobLimits::default();
        assert_eq!(
            after_chunk(&l, 2, 0, Some(10), 7),
            AfterChunk::Continue { stalls: 0 }
        );
        assert_eq!(
            after_chunk(&l, 2, 1, Some(7), 7),
            AfterChunk::Continue { stalls: 2 }
        );
        assert!(matches!(
            after_chunk(&l, 3, 2, Some(7), 7),
            AfterChunk::Fail { .. }
        ));
        assert!(matches!(
            after_chunk(&l, 500, 0, None, 7),
            AfterChunk::Fail { .. }
        ));
    }
}
