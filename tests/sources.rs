//! The engine against a scripted tenant with a virtual clock. Where customers come from: companies across pages, explicit ids and emails, dedupe, names.

mod support;

use portal_migrate::report::Status;
use serde_json::json;
use support::*;

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

/// `n` customers in each of `companies` companies named C000, C001, ...
fn tenant_of_companies(companies: usize, n: usize) -> (Tenant, Vec<String>) {
    let t = Tenant::with_customers(0, "ACME");
    let keys: Vec<String> = (0..companies).map(|c| format!("C{c:03}")).collect();
    for (c, key) in keys.iter().enumerate() {
        for i in 0..n {
            let k = c * n + i;
            let qm = format!("qm:00000000-0000-4000-8000-{k:012}:{k:024x}");
            t.customers.borrow_mut().push(Cust {
                qm: qm.clone(),
                email: format!("c{k}@{}.example", key.to_lowercase()),
                object: format!("{}", 100 + k),
                company: key.clone(),
                attr: qm,
                account: None,
            });
        }
    }
    (t, keys)
}

/// Runs every company of `keys` (all in the config).
fn run_companies(env: &Env, keys: &[String]) -> portal_migrate::Outcome {
    env.run(
        &config(json!({"companies": keys})),
        json!({"companies": keys}),
    )
    .unwrap()
}

#[test]
fn customers_start_while_later_pages_of_their_company_are_read() {
    // 400 customers, 16 pages of 25: more than the feed holds, so the walk waits for the run.
    let (t, keys) = tenant_of_companies(1, 400);
    let env = Env::new(t);
    let out = run_companies(&env, &keys);
    assert_eq!(out.report.totals.migrated, 400);
    assert_eq!(env.tenant.count("/object/aql"), 16, "each page read once");
    let log = env.tenant.log.borrow();
    let first_migrate = log.iter().position(|l| l.contains("migrate")).unwrap();
    let last_page = log.iter().rposition(|l| l.contains("/object/aql")).unwrap();
    assert!(
        first_migrate < last_page,
        "the first migrate (request {first_migrate}) came after the last page (request {last_page})"
    );
    assert_converged(&env.tenant);
}

#[test]
fn companies_beyond_the_first_pages_held_are_walked_again_and_everyone_runs_once() {
    // 210 companies of one page each (25): the first 5,000 customers wait from the start, the
    // last 10 companies are read again when their turn comes (one request each).
    let (t, keys) = tenant_of_companies(210, 25);
    let env = Env::new(t);
    let out = run_companies(&env, &keys);
    assert_eq!(out.report.totals.migrated, 5_250);
    assert_eq!(env.tenant.count("/object/aql"), 220);
    let migrated = env.tenant.migrations.borrow();
    let unique: std::collections::HashSet<&String> = migrated.iter().collect();
    assert_eq!(
        (migrated.len(), unique.len()),
        (5_250, 5_250),
        "each migrated once"
    );
    assert!(out.continuation.is_none());
}

#[test]
fn a_page_that_fails_mid_walk_stops_the_job_and_the_next_run_finishes_it_once() {
    let (t, keys) = tenant_of_companies(1, 400);
    t.faults.borrow_mut().push(Fault {
        pattern: "startAt=375".into(),
        count: 100,
        kind: FaultKind::Status(500, None),
    });
    let env = Env::new(t);
    let cfg = config(json!({"companies": keys, "retry": {"maxAttempts": 2}}));
    let req = json!({"companies": keys});
    let e = env.run(&cfg, req.clone()).unwrap_err();
    assert!(e.to_string().contains("500"), "{e}");
    let first = env.tenant.migrations.borrow().len();
    assert!(
        first > 0 && first < 400,
        "stopped part-way: {first} migrated"
    );
    env.tenant.faults.borrow_mut().clear();
    let out = env.run(&cfg, req).unwrap();
    assert_eq!(out.report.totals.failed, 0);
    assert_eq!(
        env.tenant.migrations.borrow().len(),
        400,
        "each migrated once"
    );
    assert_converged(&env.tenant);
}
