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
