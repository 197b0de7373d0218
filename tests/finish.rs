//! The engine against a scripted tenant with a virtual clock. After migrate: write-back, groups, and the comment once per job.

mod support;

use portal_migrate::report::{Outcome, Status};
use serde_json::json;
use support::*;

#[test]
fn group_add_treats_already_member_as_success() {
    let t = Tenant::with_customers(1, "ACME");
    let acc = format!("712020:{}", &t.customers.borrow()[0].qm[3..39]);
    t.members.borrow_mut().get_mut(GROUP).unwrap().push(acc);
    let env = Env::new(t);
    let out = env
        .run(&config(json!({})), json!({"companies": ["ACME"]}))
        .unwrap();
    assert_eq!(out.report.customers[0].status, Status::Migrated);
    assert_eq!(out.report.customers[0].steps.groups, Outcome::Already);
}

#[test]
fn failed_write_back_is_finished_by_the_next_run_without_migrating_again() {
    let t = Tenant::with_customers(2, "ACME");
    t.faults.borrow_mut().push(Fault {
        pattern: "PUT https://api.atlassian.com".into(),
        count: 100,
        kind: FaultKind::Status(500, None),
    });
    let env = Env::new(t);
    let cfg = config(json!({"retry": {"maxAttempts": 2}}));
    let out = env.run(&cfg, json!({"companies": ["ACME"]})).unwrap();
    assert_eq!(out.report.totals.failed, 2);
    assert_eq!(
        out.report.customers[0].failed_step.map(|s| s.as_str()),
        Some("writeBack")
    );
    assert!(
        out.report.customers[0].account_id.is_some(),
        "the new id is reported even though write-back failed"
    );
    env.tenant.faults.borrow_mut().clear();
    let out = env.run(&cfg, json!({"companies": ["ACME"]})).unwrap();
    assert_eq!(out.report.totals.failed, 0, "{:?}", out.report.customers);
    assert_eq!(env.tenant.count("migrate-to-atlassian"), 2);
    assert_converged(&env.tenant);
}

#[test]
fn comment_is_posted_once_per_job_across_reruns() {
    let env = Env::new(Tenant::with_customers(2, "ACME"));
    let cfg = config(json!({}));
    let req = json!({"companies": ["ACME"], "issueKey": "SUP-1", "reporter": false});
    env.run(&cfg, req.clone()).unwrap();
    env.run(&cfg, req).unwrap();
    let comments = env.tenant.comments.borrow();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0]["properties"][0]["key"], "sd.public.comment");
    assert!(comments[0].to_string().contains("2 migrated"));
}

#[test]
fn a_day_long_retry_after_ends_the_step_as_retryable_instead_of_stalling_the_run() {
    let env = Env::new(Tenant::with_customers(3, "ACME"));
    env.tenant.faults.borrow_mut().push(Fault {
        pattern: "POST https://acme.atlassian.net/rest/api/3/group/user".into(),
        count: 1,
        kind: FaultKind::Status(429, Some(86_400)),
    });
    let out = env
        .run(&config(json!({})), json!({"companies": ["ACME"]}))
        .unwrap();
    assert!(
        env.clock.slept.get() < 120_000,
        "slept {} ms",
        env.clock.slept.get()
    );
    let failed: Vec<_> = out
        .report
        .customers
        .iter()
        .filter(|c| c.status == Status::Failed)
        .collect();
    assert!(!failed.is_empty());
    for c in &failed {
        assert_eq!(c.retryable, Some(true));
        let e = c.error.as_deref().unwrap_or("");
        assert!(e.contains("HTTP 429: rate limited until "), "{e}");
        assert!(
            e.contains("re-run after that (the wait is longer than this run may wait)"),
            "{e}"
        );
    }
    // The whole Jira surface is paused until tomorrow: every Jira call of this run ends the same
    // way (retryable), and the journal keeps what happened open for the re-run after it.
    assert_eq!(failed.len(), 3);
}
