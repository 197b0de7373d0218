//! The engine against a scripted tenant with a virtual clock. The irreversible call: reconciled after a lost answer, resent only when safe, bulk and dry runs.

mod support;

use portal_migrate::report::Status;
use serde_json::json;
use support::*;

#[test]
fn lost_migrate_answer_is_reconciled_not_resent() {
    let t = Tenant::with_customers(3, "ACME");
    t.faults.borrow_mut().push(Fault {
        pattern: "migrate-to-atlassian".into(),
        count: 2,
        kind: FaultKind::CommitDrop,
    });
    let env = Env::new(t);
    let out = env
        .run(&config(json!({})), json!({"companies": ["ACME"]}))
        .unwrap();
    assert_eq!(out.report.totals.migrated, 3, "{:?}", out.report.customers);
    assert_eq!(
        env.tenant.count("migrate-to-atlassian"),
        3,
        "no blind second migrate"
    );
    assert_converged(&env.tenant);
}

#[test]
fn server_error_before_commit_is_resent_after_checking() {
    let t = Tenant::with_customers(1, "ACME");
    t.faults.borrow_mut().push(Fault {
        pattern: "migrate-to-atlassian".into(),
        count: 1,
        kind: FaultKind::Status(503, None),
    });
    let env = Env::new(t);
    let out = env
        .run(&config(json!({})), json!({"companies": ["ACME"]}))
        .unwrap();
    assert_eq!(out.report.totals.migrated, 1);
    assert_eq!(env.tenant.count("migrate-to-atlassian"), 2);
    assert_converged(&env.tenant);
}

#[test]
fn rate_limit_waits_retry_after() {
    let t = Tenant::with_customers(2, "ACME");
    t.faults.borrow_mut().push(Fault {
        pattern: "/rest/api/3/user/bulk?".into(),
        count: 1,
        kind: FaultKind::Status(429, Some(7)),
    });
    let env = Env::new(t);
    let out = env
        .run(&config(json!({})), json!({"companies": ["ACME"]}))
        .unwrap();
    assert_eq!(out.report.totals.migrated, 2);
    assert!(
        env.clock.slept.get() >= 7_000,
        "slept {}",
        env.clock.slept.get()
    );
    assert_eq!(out.report.stats.rate_limited, 1);
    assert!(out.report.stats.retries >= 1);
}

#[test]
fn a_migrate_resent_after_a_server_error_waits_for_retry_after() {
    let t = Tenant::with_customers(1, "ACME");
    t.faults.borrow_mut().push(Fault {
        pattern: "migrate-to-atlassian".into(),
        count: 1,
        kind: FaultKind::Status(503, Some(3)),
    });
    let env = Env::new(t);
    let out = env
        .run(&config(json!({})), json!({"companies": ["ACME"]}))
        .unwrap();
    assert_eq!(out.report.totals.migrated, 1);
    assert!(
        env.clock.slept.get() >= 3_000,
        "slept {}",
        env.clock.slept.get()
    );
    assert_eq!(out.report.stats.retries, 1);
}

#[test]
fn a_permanent_migrate_failure_is_reported_once_not_resumed_by_every_later_run() {
    let t = Tenant::with_customers(2, "ACME");
    t.faults.borrow_mut().push(Fault {
        pattern: "migrate-to-atlassian".into(),
        count: 1,
        kind: FaultKind::Status(403, None),
    });
    let env = Env::new(t);
    let cfg = config(json!({"concurrency": 1}));
    let out = env.run(&cfg, json!({"companies": ["ACME"]})).unwrap();
    assert_eq!(out.report.totals.failed, 1, "{:?}", out.report.customers);
    let failed = out
        .report
        .customers
        .iter()
        .find(|c| c.status == Status::Failed)
        .unwrap();
    assert_eq!(
        (failed.failed_step.map(|s| s.as_str()), failed.retryable),
        (Some("migrate"), Some(false))
    );
    // A later run for another customer does not pick the failed one up from the journal.
    let other = out
        .report
        .customers
        .iter()
        .find(|c| c.status == Status::Migrated)
        .unwrap()
        .email
        .clone()
        .unwrap();
    let out = env.run(&cfg, json!({"customers": [other]})).unwrap();
    assert_eq!(out.report.customers.len(), 1, "{:?}", out.report.customers);
    // The same request again checks it afresh (and now migrates it).
    let out = env.run(&cfg, json!({"companies": ["ACME"]})).unwrap();
    assert_eq!(out.report.totals.failed, 0, "{:?}", out.report.customers);
}

#[test]
fn bulk_mode_migrates_in_batches_and_finds_accounts_by_email() {
    let env = Env::new(Tenant::with_customers(7, "ACME"));
    let cfg = config(json!({"migrate": {"mode": "bulk", "batchSize": 3}}));
    let out = env.run(&cfg, json!({"companies": ["ACME"]})).unwrap();
    assert_eq!(out.report.totals.migrated, 7, "{:?}", out.report.customers);
    assert_eq!(env.tenant.count("bulk-migrate-to-atlassian-account"), 3);
    assert_eq!(env.tenant.count("migrate-to-atlassian-account-user"), 0);
    assert_converged(&env.tenant);
}

#[test]
fn dry_run_reads_only() {
    let env = Env::new(Tenant::with_customers(4, "ACME"));
    let out = env
        .run(
            &config(json!({})),
            json!({"companies": ["ACME"], "dryRun": true}),
        )
        .unwrap();
    assert!(statuses(&out).iter().all(|s| *s == Status::Planned));
    assert!(
        env.tenant
            .log
            .borrow()
            .iter()
            .all(|l| l.starts_with("GET") || l.contains("/object/aql")),
        "{:?}",
        env.tenant.log.borrow()
    );
    assert!(
        env.journal.entries.borrow().is_empty(),
        "a dry run writes no journal"
    );
    assert!(env.tenant.migrations.borrow().is_empty());
}
