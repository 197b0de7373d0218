//! wasm-bindgen tests: the compiled boundary under Node (`scripts/test.sh` runs them with
//! wasm-bindgen-test-runner).

#![cfg(target_arch = "wasm32")]

use js_sys::{Function, Reflect};
use portal_migrate::wasm;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

fn js(src: &str) -> JsValue {
    Function::new_no_args(&format!("return ({src});"))
        .call0(&JsValue::NULL)
        .unwrap()
}

fn get(v: &JsValue, path: &str) -> JsValue {
    path.split('.')
        .fold(v.clone(), |o, k| Reflect::get(&o, &k.into()).unwrap())
}

const CONFIG: &str = r#"{siteUrl: "https://acme.atlassian.net", assets: {customerQuery: "objectTypeId = 4 AND Company = {company}", portalAccountAttribute: "91"}, groups: ["g-1"], migrate: {mode: "single"}}"#;

/// A one-customer tenant answering by path, in plain JS (a stand-in for a host's fetch).
const FETCH: &str = r#"(() => {
  const state = { migrated: false, attr: "qm:1:a", member: false, calls: [] };
  const ok = (b, s = 200) => ({ status: s, headers: { "content-type": "application/json" }, body: JSON.stringify(b) });
  const fetch = async (r) => {
    state.calls.push(r.surface + " " + r.method + " " + r.url);
    const u = new URL(r.url), p = u.pathname;
    if (p === "/_edge/tenant_info") return ok({ cloudId: "c-1" });
    if (p.endsWith("/assets/workspace")) return ok({ values: [{ workspaceId: "w-1" }], isLastPage: true });
    if (p.endsWith("/group/bulk")) return ok({ values: [{ groupId: "g-1", name: "migrated" }] });
    if (p.endsWith("/object/aql")) return ok({ startAt: 0, maxResults: 25, isLast: "true", values: [{ id: "7", objectType: { id: "4" },
        attributes: [{ objectTypeAttributeId: "91", objectAttributeValues: [{ value: state.attr }] }] }] });
    if (p === "/rest/api/3/user") return state.migrated && u.searchParams.get("accountId") === "qm:1:a"
        ? ok({ errorMessages: ["gone"] }, 404)
        : ok({ accountId: u.searchParams.get("accountId"), accountType: state.migrated ? "atlassian" : "customer", emailAddress: "a@b.example" });
    if (p.includes("migrate-to-atlassian-account-user/qm%3A1%3Aa")) { state.migrated = true; return ok({ aaUser: { accountId: "712020:new" } }); }
    const object = () => ({ id: "7", objectType: { id: "4" }, attributes: [{ objectTypeAttributeId: "91", objectAttributeValues: [{ value: state.attr }] }] });
    if (p === "/jsm/assets/workspace/w-1/v1/object/7" && r.method === "GET") return ok(object());
    // The answer carries no attributes (the docs promise none), so the core reads the object back.
    if (p === "/jsm/assets/workspace/w-1/v1/object/7") { state.attr = JSON.parse(r.body).attributes[0].objectAttributeValues[0].value; return ok({ id: "7" }); }
    if (p === "/rest/api/3/group/user") { if (state.member) return ok({ errorMessages: ["Cannot add user. User is already a member of 'x'"] }, 400); state.member = true; return ok({ name: "migrated" }, 201); }
    return ok({ errorMessages: ["no route " + p] }, 501);
  };
  return { state, host: { fetch, now: () => 1700000000000, sleep: async () => {}, random: () => 0.5 } };
})()"#;

#[wasm_bindgen_test]
fn validate_config_throws_a_config_error_with_the_json_path() {
    let err = wasm::validate_config(js(r#"{siteUrl: "http://example.com", assets: {customerQuery: "x {company}", portalAccountAttribute: "91"}}"#)).unwrap_err();
    assert_eq!(get(&err, "code").as_string().unwrap(), "CONFIG");
    assert_eq!(get(&err, "path").as_string().unwrap(), "$.siteUrl");
    assert!(err.dyn_ref::<js_sys::Error>().is_some(), "a real Error");
}

#[wasm_bindgen_test]
fn validate_config_returns_plain_objects_with_defaults() {
    let ok = wasm::validate_config(js(CONFIG)).unwrap();
    assert_eq!(
        get(&ok, "adminUrl").as_string().unwrap(),
        "https://admin.atlassian.com"
    );
    assert!(!ok.is_instance_of::<js_sys::Map>());
}

#[wasm_bindgen_test]
async fn migrate_runs_a_job_through_the_host_fetch_and_reruns_as_already_migrated() {
    let t = js(FETCH);
    let host = get(&t, "host");
    let out = wasm::migrate(js(r#"{companies: ["ACME"]}"#), js(CONFIG), host.clone())
        .await
        .unwrap();
    assert!(
        !out.is_instance_of::<js_sys::Map>(),
        "plain objects across the boundary"
    );
    assert_eq!(
        get(&out, "summary").as_string().unwrap(),
        "summary: migrated=1 already_migrated=0 failed=0 skipped=0"
    );
    assert_eq!(
        get(&get(&out, "report.customers"), "0.accountId")
            .as_string()
            .unwrap(),
        "712020:new"
    );
    assert_eq!(get(&t, "state.attr").as_string().unwrap(), "712020:new");
    assert!(get(&t, "state.member").as_bool().unwrap());
    assert!(get(&out, "continuation").is_null());
    let again = wasm::migrate(js(r#"{companies: ["ACME"]}"#), js(CONFIG), host)
        .await
        .unwrap();
    assert_eq!(
        get(&again, "summary").as_string().unwrap(),
        "summary: migrated=0 already_migrated=1 failed=0 skipped=0"
    );
}

#[wasm_bindgen_test]
async fn migrate_rejects_bad_requests_with_a_request_code() {
    let t = js(FETCH);
    let err = wasm::migrate(js(r#"{companys: ["ACME"]}"#), js(CONFIG), get(&t, "host"))
        .await
        .unwrap_err();
    assert_eq!(get(&err, "code").as_string().unwrap(), "REQUEST");
    assert!(get(&err, "message")
        .as_string()
        .unwrap()
        .contains("companys"));
    let err = wasm::migrate(js(r#"{companies: ["ACME"]}"#), js(CONFIG), js("{}"))
        .await
        .unwrap_err();
    assert_eq!(
        get(&err, "message").as_string().unwrap(),
        "host: give either fetch or credentials {email, apiToken}"
    );
}

#[wasm_bindgen_test]
async fn a_throwing_fetch_becomes_a_transport_error_after_retries() {
    let host = js(
        r#"{ fetch: async () => { const e = new Error("socket hang up"); e.code = "ECONNRESET"; throw e; }, sleep: async () => {}, random: () => 0.5 }"#,
    );
    let err = wasm::migrate(js(r#"{companies: ["ACME"]}"#), js(CONFIG), host)
        .await
        .unwrap_err();
    assert_eq!(get(&err, "code").as_string().unwrap(), "TRANSPORT");
    assert_eq!(
        get(&err, "message").as_string().unwrap(),
        "tenant.info (jira): socket hang up (ECONNRESET)"
    );
    assert!(get(&err, "retryable").as_bool().unwrap());
    // The core's advice travels on the error (src/advice.rs); hosts only word it.
    assert_eq!(get(&err, "kind").as_string().unwrap(), "transient");
    assert_eq!(
        get(&err, "fix").as_string().unwrap(),
        "re-run later; if it persists, check the network or proxy"
    );
}
