//! What the host supplies besides the transport: a clock (and randomness for jitter), a journal and a
//! progress sink. The core never reads a clock or storage by itself.

use crate::http::Transport;
use crate::journal::Journal;
use futures::future::LocalBoxFuture;
use serde::Serialize;

pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
    fn sleep(&self, ms: u64) -> LocalBoxFuture<'_, ()>;
    /// A number in [0, 1) for jitter.
    fn random(&self) -> f64;
}

/// A progress event for the host to show (a bar on a TTY, JSON lines elsewhere).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ProgressEvent {
    #[serde(rename_all = "camelCase")]
    Start { job_id: String, total: usize },
    #[serde(rename_all = "camelCase")]
    Customer {
        done: usize,
        total: usize,
        status: String,
        portal_account_id: Option<String>,
        email: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Waiting {
        surface: String,
        ms: u64,
        reason: String,
    },
    #[serde(rename_all = "camelCase")]
    Finish { job_id: String, complete: bool },
}

pub trait Progress {
    fn event(&self, e: &ProgressEvent);
}

/// Discards progress events.
pub struct NoProgress;
impl Progress for NoProgress {
    fn event(&self, _: &ProgressEvent) {}
}

/// Takes each customer's report row as soon as the customer is finished, so a big job's report need
/// not be held: the host writes rows out, the core keeps only totals (and at most `keep()` rows,
/// failures first, for the issue comment).
pub trait RowSink {
    fn row(&self, row: &crate::report::CustomerReport);
    /// How many rows the report may still list; a job with more lists none (`Report::omitted`).
    fn keep(&self) -> usize;
}

pub struct Host<'a> {
    pub transport: &'a dyn Transport,
    pub clock: &'a dyn Clock,
    pub journal: &'a dyn Journal,
    pub progress: &'a dyn Progress,
    /// Rows streamed to the host; without one, the report lists every row.
    pub rows: Option<&'a dyn RowSink>,
    /// Removes the host's secrets from everything the core writes or returns.
    pub redactor: &'a crate::redact::Redactor,
}
