//! The engine against a scripted tenant with a virtual clock.

mod support;

use portal_migrate::report::{Outcome, Status};
use serde_json::json;
use support::*;

fn statuses(o: &portal_migrate::Outcome) -> Vec<Status> {
    o.report.customers.iter().map(|c| c.status).collect()
}

fn assert_converged(t: &Tenant) {
    let custs = t.customers.borrow();
    let members = t.members.borrow();
    for c in custs.iter() {
        let acc = c.account.as_ref().expect("migrated");
        assert_eq!(&c.attr, acc, "write-back for {}", c.email);
        assert!(
            members[GROUP].contains(acc),
            "group membership for {}",
            c.email
        );
    }
    let mut m = t.migrations.borrow().clone();
    let n = m.len();
    m.sort();
    m.dedup();
    assert_eq!(m.len(), n, "a customer was migrated twice");
    assert_eq!(n, custs.len());
}

#[test]
fn migrates_every_customer_of_a_company_across_pages() {
    let env = Env::new(Tenant::with_customers(30, "ACME"));
    let out = env
        .run(&config(json!({})), json!({"companies": ["ACME"]}))
        .unwrap();
    assert_eq!(out.report.totals.migrated, 30);
    assert!(statuses(&out).iter().all(|s| *s == Status::Migrated));
    assert_eq!(env.tenant.count("/object/aql"), 2, "two AQL pages");
    assert_converged(&env.tenant);
    assert!(out.continuation.is_none());
    assert_eq!(
        out.report.summary(),
        "summary: migrated=30 already_migrated=0 failed=0 skipped=0"
    );
}

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

#[test]
fn is_last_as_string_and_capped_pages_are_followed() {
    let t = Tenant::with_customers(12, "ACME");
    t.is_last_as_string.set(true);
    t.page_cap.set(5);
    let env = Env::new(t);
    let out = env
        .run(&config(json!({})), json!({"companies": ["ACME"]}))
        .unwrap();
    assert_eq!(out.report.totals.migrated, 12);
    assert_eq!(env.tenant.count("/object/aql"), 3);
}

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
        pattern: "/rest/api/3/user?".into(),
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
fn empty_portal_attribute_is_skipped_with_a_reason() {
    let t = Tenant::with_customers(2, "ACME");
    t.customers.borrow_mut()[1].attr.clear();
    let env = Env::new(t);
    let out = env
        .run(&config(json!({})), json!({"companies": ["ACME"]}))
        .unwrap();
    assert_eq!(out.report.totals.skipped, 1);
    let skipped = out
        .report
        .customers
        .iter()
        .find(|c| c.status == Status::Skipped)
        .unwrap();
    assert!(
        skipped
            .error
            .as_deref()
            .unwrap()
            .contains("has no value in \"Portal Account\""),
        "{:?}",
        skipped.error
    );
}

#[test]
fn unknown_group_name_lists_close_matches() {
    let env = Env::new(Tenant::with_customers(1, "ACME"));
    let e = env
        .run(
            &config(json!({"groups": ["portal-migratd"]})),
            json!({"companies": ["ACME"]}),
        )
        .unwrap_err();
    assert_eq!(e.to_string(), "config $.groups[0]: no group with id or name \"portal-migratd\" (did you mean \"portal-migrated\"?)");
}

#[test]
fn explicit_customers_by_email_and_id_are_processed_once() {
    let t = Tenant::with_customers(2, "ACME");
    let (qm, email) = (
        t.customers.borrow()[0].qm.clone(),
        t.customers.borrow()[0].email.clone(),
    );
    let env = Env::new(t);
    let out = env
        .run(
            &config(json!({})),
            json!({"customers": [qm, email.clone(), qm]}),
        )
        .unwrap();
    assert_eq!(out.report.customers.len(), 1, "{:?}", out.report.customers);
    assert_eq!(out.report.customers[0].status, Status::Migrated);
    assert_eq!(
        out.report.customers[0].asset_object_id.as_deref(),
        Some("100")
    );
}

#[test]
fn a_customer_named_by_company_and_email_keeps_its_company() {
    let t = Tenant::with_customers(3, "ACME");
    let email = t.customers.borrow()[1].email.clone();
    let env = Env::new(t);
    let out = env
        .run(
            &config(json!({})),
            json!({"companies": ["ACME"], "customers": [email.clone()]}),
        )
        .unwrap();
    assert_eq!(out.report.customers.len(), 3);
    let row = out
        .report
        .customers
        .iter()
        .find(|c| c.email.as_deref() == Some(email.as_str()))
        .unwrap();
    assert_eq!(row.company.as_deref(), Some("ACME"));
    assert_eq!(row.source, "company:ACME");
    assert_eq!(
        env.tenant.count("/user/search"),
        0,
        "the explicit duplicate is dropped before it is checked"
    );
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
fn a_group_id_is_used_without_a_lookup_and_a_name_is_resolved() {
    let env = Env::new(Tenant::with_customers(1, "ACME"));
    env.run(&config(json!({})), json!({"companies": ["ACME"]}))
        .unwrap();
    assert_eq!(env.tenant.count("/group/bulk"), 0);
    let env = Env::new(Tenant::with_customers(1, "ACME"));
    let out = env
        .run(
            &config(json!({"groups": ["portal-migrated"]})),
            json!({"companies": ["ACME"]}),
        )
        .unwrap();
    assert_eq!(out.report.totals.migrated, 1);
    assert!(env.tenant.count("/group/bulk?groupName=portal-migrated") >= 1);
    assert!(env.tenant.members.borrow()[GROUP].len() == 1);
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
