//! Streamed report rows: every finished customer reaches the host's row sink once; the report keeps
//! at most `keep` rows (failures first, for the comment) and lists none when it could not keep all.

mod support;

use portal_migrate::host::RowSink;
use portal_migrate::report::{CustomerReport, Status};
use serde_json::{json, Value};
use std::cell::RefCell;
use support::*;

struct Sink {
    keep: usize,
    rows: RefCell<Vec<CustomerReport>>,
}

impl RowSink for Sink {
    fn row(&self, row: &CustomerReport) {
        self.rows.borrow_mut().push(row.clone());
    }
    fn keep(&self) -> usize {
        self.keep
    }
}

fn run_with(env: &Env, sink: &Sink, cfg: Value, req: Value) -> portal_migrate::Outcome {
    let host = portal_migrate::host::Host {
        rows: Some(sink),
        ..env.host()
    };
    let req = portal_migrate::MigrationRequest::from_value(req).unwrap();
    futures::executor::block_on(portal_migrate::run(&config(cfg), req, &host)).unwrap()
}

fn sink(keep: usize) -> Sink {
    Sink {
        keep,
        rows: RefCell::new(Vec::new()),
    }
}

#[test]
fn a_job_within_keep_lists_every_row_and_streams_each_once() {
    let env = Env::new(Tenant::with_customers(5, "ACME"));
    let s = sink(10);
    let out = run_with(&env, &s, json!({}), json!({"companies": ["ACME"]}));
    assert_eq!(out.report.customers.len(), 5);
    assert_eq!(out.report.omitted, 0);
    let mut streamed: Vec<String> = s
        .rows
        .borrow()
        .iter()
        .map(|r| r.email.clone().unwrap())
        .collect();
    streamed.sort();
    streamed.dedup();
    assert_eq!(streamed.len(), 5, "each customer streamed once");
    assert_eq!(out.report.totals.migrated, 5);
}

#[test]
fn a_job_beyond_keep_lists_no_rows_but_counts_them_all() {
    for mode in ["single", "bulk"] {
        let env = Env::new(Tenant::with_customers(7, "ACME"));
        let s = sink(3);
        let cfg = json!({"migrate": {"mode": mode}});
        let out = run_with(&env, &s, cfg, json!({"companies": ["ACME"]}));
        assert!(
            out.report.customers.is_empty(),
            "{mode}: a partial list would mislead"
        );
        assert_eq!(out.report.omitted, 7, "{mode}");
        assert_eq!(out.report.totals.migrated, 7, "{mode}");
        assert_eq!(out.report.by_company["ACME"].migrated, 7, "{mode}");
        assert_eq!(out.report.steps.write_back.done, 7, "{mode}");
        assert_eq!(s.rows.borrow().len(), 7, "{mode}");
        assert!(s.rows.borrow().iter().all(|r| r.status == Status::Migrated));
    }
}

#[test]
fn the_comment_of_a_streamed_job_lists_failures_first_and_counts_the_rest() {
    let t = Tenant::with_customers(6, "ACME");
    t.faults.borrow_mut().push(Fault {
        pattern: "PUT https://api.atlassian.com".into(),
        count: 2,
        kind: FaultKind::Status(500, None),
    });
    let env = Env::new(t);
    let s = sink(2);
    let cfg = json!({"retry": {"maxAttempts": 1}});
    let req = json!({"companies": ["ACME"], "issueKey": "SUP-1", "reporter": false});
    let out = run_with(&env, &s, cfg, req);
    assert_eq!(out.report.totals.failed, 2);
    assert_eq!(out.report.omitted, 6);
    let comments = env.tenant.comments.borrow();
    assert_eq!(comments.len(), 1);
    let text = comments[0].to_string();
    assert_eq!(
        text.matches("FAILED c").count(),
        2,
        "both failures kept: {text}"
    );
    assert!(
        text.contains("and 4 more"),
        "the rows not kept are counted: {text}"
    );
}
