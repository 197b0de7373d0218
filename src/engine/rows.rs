//! Finished customers, one at a time: counted, handed to the host's row sink when it has one, and
//! kept only as far as the report may list them (failures first, for the issue comment). A job of
//! 100,000 customers then holds totals, not 100,000 rows.

use super::steps::Processed;
use crate::error::{Error, Result};
use crate::host::RowSink;
use crate::report::{CustomerReport, Report, Status, Tally};

pub(crate) struct Rows<'a> {
    sink: Option<&'a dyn RowSink>,
    keep: usize,
    kept: Vec<CustomerReport>,
    /// How many kept rows are not failures (the ones a later failure may replace).
    kept_ok: usize,
    seen: usize,
    tally: Tally,
    unfinished: usize,
    /// The first error a customer met; the others still finish first.
    error: Option<Error>,
}

impl<'a> Rows<'a> {
    pub fn new(sink: Option<&'a dyn RowSink>) -> Self {
        Rows {
            sink,
            keep: sink.map_or(usize::MAX, |s| s.keep()),
            kept: Vec::new(),
            kept_ok: 0,
            seen: 0,
            tally: Tally::default(),
            unfinished: 0,
            error: None,
        }
    }

    pub fn add(&mut self, r: Result<Processed>) {
        match r {
            Err(e) => {
                self.error.get_or_insert(e);
            }
            Ok(Processed::Done(c)) => self.done(c),
            Ok(Processed::Unstarted) => self.unfinished += 1,
            Ok(Processed::Duplicate) => {}
        }
    }

    fn done(&mut self, c: CustomerReport) {
        self.tally.count(&c);
        self.seen += 1;
        if let Some(s) = self.sink {
            s.row(&c);
        }
        let failed = c.status == Status::Failed;
        if self.kept.len() < self.keep {
            self.kept_ok += usize::from(!failed);
            self.kept.push(c);
        } else if failed && self.kept_ok > 0 {
            if let Some(i) = self.kept.iter().rposition(|k| k.status != Status::Failed) {
                self.kept[i] = c;
                self.kept_ok -= 1;
            }
        }
    }

    /// Fills the report's rows and counts; how many customers were left unstarted. A job with more
    /// rows than it may keep lists the kept ones (for the comment) and counts the rest in `omitted`.
    pub fn finish(self, report: &mut Report) -> Result<usize> {
        if let Some(e) = self.error {
            return Err(e);
        }
        report.omitted = self.seen - self.kept.len();
        report.customers = self.kept;
        report.customers.sort_by(|a, b| {
            (&a.company, &a.email, &a.portal_account_id).cmp(&(
                &b.company,
                &b.email,
                &b.portal_account_id,
            ))
        });
        self.tally.apply(report, self.unfinished);
        Ok(self.unfinished)
    }
}

/// Once the comment is written: a report that could not list every row lists none (the host has them).
pub(crate) fn drop_partial(report: &mut Report) {
    if report.omitted > 0 {
        report.omitted += report.customers.len();
        report.customers = Vec::new();
    }
}
