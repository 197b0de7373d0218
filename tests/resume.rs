//! The engine against a scripted tenant with a virtual clock. Re-runs, continuations and crashes: nothing twice, nothing lost.

mod support;

use portal_migrate::report::{Outcome, Status};
use serde_json::json;
use support::*;

#[test]
fn rerun_changes_nothing_and_makes_no_migrate_call() {
    let env = Env::new(Tenant::with_customers(5, "ACME"));
    let cfg = config(json!({}));
    env.run(&cfg, json!({"companies": ["ACME"]})).unwrap();
    let before = env.tenant.log.borrow().len();
    let out = env.run(&cfg, json!({"companies": ["ACME"]})).unwrap();
    assert!(
        statuses(&out).iter().all(|s| *s == Status::AlreadyMigrated),
        "{:?}",
        statuses(&out)
    );
    let second: Vec<String> = env.tenant.log.borrow()[before..].to_vec();
    assert!(
        !second.iter().any(|l| l.contains("migrate-to-atlassian")),
        "no migrate call"
    );
    assert!(
        !second.iter().any(|l| l.starts_with("PUT")),
        "no write-back"
    );
    assert_eq!(out.report.stats.migrate_calls, 0);
    assert!(out
        .report
        .customers
        .iter()
        .all(|c| c.steps.groups == Outcome::Already && c.steps.write_back == Outcome::Already));
    assert_converged(&env.tenant);
}

#[test]
fn a_fresh_journal_still_sees_migrated_customers_through_assets() {
    let env = Env::new(Tenant::with_customers(3, "ACME"));
    let cfg = config(json!({}));
    env.run(&cfg, json!({"companies": ["ACME"]})).unwrap();
    let env2 = Env {
        tenant: std::mem::take(&mut Env::new(Tenant::default()).tenant),
        ..Env::new(Tenant::default())
    };
    drop(env2);
    env.journal.entries.borrow_mut().clear();
    let out = env.run(&cfg, json!({"companies": ["ACME"]})).unwrap();
    assert_eq!(out.report.totals.already_migrated, 3);
    assert_eq!(out.report.stats.migrate_calls, 0);
}

#[test]
fn deadline_returns_a_continuation_that_finishes_the_job() {
    let env = Env::new(Tenant::with_customers(6, "ACME"));
    let cfg = config(json!({"concurrency": 1}));
    // Each customer takes no virtual time, so the estimate stays at its initial 5 s: a deadline 4 s
    // away starts nobody.
    let deadline = env.clock.now.get() + 4_000;
    let out = env
        .run(&cfg, json!({"companies": ["ACME"], "deadlineMs": deadline}))
        .unwrap();
    assert_eq!(out.report.totals.unfinished, 6);
    let cont = out.continuation.expect("continuation");
    assert!(cont.job_id.is_some());
    let out = env.run(&cfg, serde_json::to_value(&cont).unwrap()).unwrap();
    assert!(out.continuation.is_none());
    assert_eq!(out.report.totals.migrated, 6);
    assert_converged(&env.tenant);
}

#[test]
fn a_resumed_job_reports_its_own_migrations_with_their_portal_ids() {
    let env = Env::new(Tenant::with_customers(3, "ACME"));
    let cfg = config(json!({}));
    let first = env.run(&cfg, json!({"companies": ["ACME"]})).unwrap();
    // A crash before the job's final record: the job stays unfinished while Assets already holds the
    // new ids.
    let key = format!("job/{}", first.report.job_id);
    let job = env.journal.entries.borrow()[&key].replace("\"finished\":true", "\"finished\":false");
    env.journal.entries.borrow_mut().insert(key, job);
    let out = env.run(&cfg, json!({"companies": ["ACME"]})).unwrap();
    assert_eq!(out.report.totals.migrated, 3, "{:?}", out.report.customers);
    assert!(out.report.customers.iter().all(|c| c
        .portal_account_id
        .as_deref()
        .is_some_and(|p| p.starts_with("qm:"))));
    assert_eq!(out.report.stats.migrate_calls, 0);
}

#[test]
fn a_continuation_reports_customers_finished_earlier_even_past_its_deadline() {
    let env = Env::new(Tenant::with_customers(4, "ACME"));
    let cfg = config(json!({}));
    let first = env.run(&cfg, json!({"companies": ["ACME"]})).unwrap();
    let key = format!("job/{}", first.report.job_id);
    let job = env.journal.entries.borrow()[&key].replace("\"finished\":true", "\"finished\":false");
    env.journal.entries.borrow_mut().insert(key, job);
    let before = env.tenant.log.borrow().len();
    let past = env.clock.now.get();
    let out = env
        .run(&cfg, json!({"companies": ["ACME"], "deadlineMs": past}))
        .unwrap();
    assert_eq!(out.report.totals.unfinished, 0);
    assert_eq!(out.report.totals.migrated, 4);
    let calls: Vec<String> = env.tenant.log.borrow()[before..].to_vec();
    assert!(
        calls
            .iter()
            .all(|c| !c.contains("/rest/api/3/user?") && !c.starts_with("PUT")),
        "{calls:?}"
    );
}

#[test]
fn a_crash_after_write_back_reports_each_customer_once_on_resume() {
    let env = Env::new(Tenant::with_customers(5, "ACME"));
    let cfg = config(json!({}));
    let first = env.run(&cfg, json!({"companies": ["ACME"]})).unwrap();
    // Back to the state of a crash after the write-back: job unfinished, customers only `migrated`.
    let mut entries = env.journal.entries.borrow_mut();
    let keys: Vec<String> = entries.keys().cloned().collect();
    for k in keys {
        let v: serde_json::Value = serde_json::from_str(&entries[&k]).unwrap();
        let mut v = v;
        if k.starts_with("job/") {
            v["finished"] = json!(false);
        } else if k.starts_with("customer/") {
            v["stage"] = json!("migrated");
            v["done"] = json!([]);
            v["status"] = json!(null);
        }
        entries.insert(k, v.to_string());
    }
    drop(entries);
    let out = env.run(&cfg, json!({"companies": ["ACME"]})).unwrap();
    assert_eq!(
        out.report.customers.len(),
        5,
        "{:#?}",
        out.report
            .customers
            .iter()
            .map(|c| (&c.source, &c.portal_account_id, &c.account_id))
            .collect::<Vec<_>>()
    );
    assert_eq!(out.report.totals.migrated, 5);
    assert_eq!(first.report.job_id, out.report.job_id);
}

#[test]
fn an_intent_whose_answer_was_lost_in_a_crash_counts_as_this_jobs_migration() {
    let env = Env::new(Tenant::with_customers(3, "ACME"));
    let cfg = config(json!({}));
    env.run(&cfg, json!({"companies": ["ACME"]})).unwrap();
    // The crash came right after the migrate call: only the intents are journaled, Assets is untouched.
    let mut entries = env.journal.entries.borrow_mut();
    entries.retain(|k, _| !k.starts_with("account/"));
    let keys: Vec<String> = entries.keys().cloned().collect();
    for k in keys {
        let mut v: serde_json::Value = serde_json::from_str(&entries[&k]).unwrap();
        if k.starts_with("job/") {
            v["finished"] = json!(false);
        } else {
            v["stage"] = json!("intent");
            v["accountId"] = json!(null);
            v["migratedByJob"] = json!(null);
        }
        entries.insert(k, v.to_string());
    }
    drop(entries);
    for c in env.tenant.customers.borrow_mut().iter_mut() {
        c.attr = c.qm.clone();
    }
    let out = env.run(&cfg, json!({"companies": ["ACME"]})).unwrap();
    assert_eq!(out.report.totals.migrated, 3, "{:?}", out.report.customers);
    assert_eq!(out.report.stats.migrate_calls, 0);
    assert!(
        env.journal
            .entries
            .borrow()
            .keys()
            .filter(|k| k.starts_with("account/"))
            .count()
            == 3
    );
    assert_converged(&env.tenant);
}

#[test]
fn a_job_another_run_holds_is_busy_and_does_nothing() {
    use portal_migrate::journal::Journal;
    let env = Env::new(Tenant::with_customers(3, "ACME"));
    let cfg = config(json!({}));
    let req = json!({"companies": ["ACME"]});
    let job = portal_migrate::MigrationRequest::from_value(req.clone())
        .unwrap()
        .job_id();
    let now = env.clock.now.get();
    let key = format!("lease/job/{job}");
    futures::executor::block_on(env.journal.claim(&key, "other-run", 60_000, now)).unwrap();
    let out = env.run(&cfg, req.clone()).unwrap();
    let busy = out.busy.expect("busy");
    assert_eq!(busy.owner, "other-run");
    assert!(env.tenant.log.borrow().is_empty(), "no request was sent");
    // Once the other run's lease runs out (a crash), this run takes the job over.
    env.clock.now.set(now + 61_000);
    let out = env.run(&cfg, req).unwrap();
    assert!(out.busy.is_none());
    assert_eq!(out.report.totals.migrated, 3);
    assert_converged(&env.tenant);
}

#[test]
fn a_job_that_fails_before_any_migrate_is_closed_and_blocks_nothing() {
    let env = Env::new(Tenant::with_customers(2, "ACME"));
    let cfg = config(json!({}));
    env.tenant.faults.borrow_mut().push(Fault {
        pattern: "/rest/api/3/issue/SUP-404".into(),
        count: 10,
        kind: FaultKind::Status(404, None),
    });
    let e = env.run(&cfg, json!({"issueKey": "SUP-404"})).unwrap_err();
    assert_eq!(e.code(), "REQUEST", "{e}");
    assert!(
        e.to_string().contains("issue SUP-404 does not exist"),
        "{e}"
    );
    let jobs: Vec<(String, String)> = env
        .journal
        .entries
        .borrow()
        .iter()
        .filter(|(k, _)| k.starts_with("job/"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(jobs.len(), 1);
    let job: serde_json::Value = serde_json::from_str(&jobs[0].1).unwrap();
    assert_eq!(job["finished"], true, "{job}");
    assert_eq!(job["ended"]["kind"], "failed");
    assert!(
        env.journal.leases.borrow().is_empty(),
        "the job's claim was released"
    );
}

#[test]
fn a_job_id_belongs_to_its_request() {
    let env = Env::new(Tenant::with_customers(2, "ACME"));
    let cfg = config(json!({}));
    env.run(&cfg, json!({"companies": ["ACME"], "jobId": "nightly"}))
        .unwrap();
    let e = env
        .run(&cfg, json!({"issueKey": "SUP-1", "jobId": "nightly"}))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "request: job id nightly belongs to another request; give a new id (or none: one is derived from the request)"
    );
    // The same request under its id is the same job (a resume, a re-run).
    env.run(
        &cfg,
        json!({"companies": ["ACME"], "jobId": "nightly", "dryRun": true}),
    )
    .unwrap();
}

/// A memory journal that counts how often every customer record is listed.
struct Counting {
    inner: portal_migrate::journal::MemoryJournal,
    customer_lists: std::cell::Cell<usize>,
}

impl portal_migrate::journal::Journal for Counting {
    fn get<'a>(
        &'a self,
        key: &'a str,
    ) -> futures::future::LocalBoxFuture<'a, Result<Option<String>, String>> {
        self.inner.get(key)
    }
    fn put<'a>(
        &'a self,
        key: &'a str,
        value: String,
    ) -> futures::future::LocalBoxFuture<'a, Result<(), String>> {
        self.inner.put(key, value)
    }
    fn list<'a>(
        &'a self,
        prefix: &'a str,
    ) -> futures::future::LocalBoxFuture<'a, Result<Vec<(String, String)>, String>> {
        if prefix == "customer/" {
            self.customer_lists.set(self.customer_lists.get() + 1);
        }
        self.inner.list(prefix)
    }
    fn claim<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease_ms: u64,
        now_ms: u64,
    ) -> futures::future::LocalBoxFuture<'a, Result<portal_migrate::journal::Claim, String>> {
        self.inner.claim(key, owner, lease_ms, now_ms)
    }
    fn release<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
    ) -> futures::future::LocalBoxFuture<'a, Result<bool, String>> {
        self.inner.release(key, owner)
    }
}

#[test]
fn a_new_job_reads_no_customer_records_back_and_a_known_one_does() {
    let env = Env::new(Tenant::with_customers(3, "ACME"));
    let journal = Counting {
        inner: Default::default(),
        customer_lists: Default::default(),
    };
    let host = portal_migrate::host::Host {
        journal: &journal,
        ..env.host()
    };
    let cfg = config(json!({}));
    let run = |req: serde_json::Value| {
        let req = portal_migrate::MigrationRequest::from_value(req).unwrap();
        futures::executor::block_on(portal_migrate::run(&cfg, req, &host)).unwrap()
    };
    let out = run(json!({"companies": ["ACME"]}));
    assert_eq!(out.report.totals.migrated, 3);
    assert_eq!(
        journal.customer_lists.get(),
        0,
        "a new job has no open customers of its own"
    );
    run(json!({"companies": ["ACME"]}));
    assert_eq!(
        journal.customer_lists.get(),
        1,
        "a re-run of a known job looks for its open customers"
    );
}
