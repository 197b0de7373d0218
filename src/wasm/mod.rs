//! The wasm-bindgen boundary, and nothing else: each export imports its arguments, calls the core and
//! exports the result. Conversions live in `interop.rs`, the JS host adapters in `host.rs`.

mod host;
mod interop;

use crate::config::Config;
use crate::engine::{self, MigrationRequest};
use crate::journal::MemoryJournal;
use interop::{from_js, js_error, to_js};
use wasm_bindgen::prelude::*;

/// Runs a migration job. `host` supplies `fetch`, `journal`, `now`, `sleep`, `random`, `progress`
/// (see HACKING.md); returns `{jobId, report, continuation, summary}`.
#[wasm_bindgen(js_name = migrate)]
pub async fn migrate(request: JsValue, config: JsValue, host: JsValue) -> Result<JsValue, JsValue> {
    let settings = Config::from_value(from_js(&config, "config")?).map_err(|e| js_error(&e))?;
    let request =
        MigrationRequest::from_value(from_js(&request, "request")?).map_err(|e| js_error(&e))?;
    let adapters = host::Adapters::new(&host)?;
    let memory = MemoryJournal::default();
    let host = adapters.host(&memory);
    let outcome = engine::run(&settings, request, &host)
        .await
        .map_err(|e| js_error(&e))?;
    // Serialised straight from the structs: a `json!` copy of a 10,000-customer report would double
    // the wasm memory peak.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Result<'a> {
        job_id: &'a str,
        summary: String,
        report: &'a crate::report::Report,
        continuation: &'a Option<MigrationRequest>,
    }
    to_js(&Result {
        job_id: &outcome.report.job_id,
        summary: outcome.report.summary(),
        report: &outcome.report,
        continuation: &outcome.continuation,
    })
}

/// Validates a config object; returns the normalised URLs or throws an Error with `code` "CONFIG" and
/// the JSON `path`.
#[wasm_bindgen(js_name = validateConfig)]
pub fn validate_config(config: JsValue) -> Result<JsValue, JsValue> {
    let s = Config::from_value(from_js(&config, "config")?).map_err(|e| js_error(&e))?;
    to_js(
        &serde_json::json!({"siteUrl": s.site_url, "adminUrl": s.admin_url, "apiUrl": s.api_url, "concurrency": s.concurrency}),
    )
}

/// Writes a report object as CSV (one row per customer).
#[wasm_bindgen(js_name = reportCsv)]
pub fn report_csv(report: JsValue) -> Result<String, JsValue> {
    let r: crate::report::Report = serde_json::from_value(from_js(&report, "report")?)
        .map_err(|e| js_error(&crate::Error::request(format!("report: {e}"))))?;
    Ok(r.to_csv())
}

/// Read-only checks of a config against the site: `{checks: [{name, ok, detail, fix?}], ok}`.
#[wasm_bindgen(js_name = doctor)]
pub async fn doctor(config: JsValue, host: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let company = from_js(&options, "options")?
        .get("company")
        .and_then(|c| c.as_str())
        .map(str::to_string);
    let settings = Config::from_value(from_js(&config, "config")?).map_err(|e| js_error(&e))?;
    let adapters = host::Adapters::new(&host)?;
    let memory = MemoryJournal::default();
    let checks =
        crate::doctor::doctor(&settings, &adapters.host(&memory), company.as_deref()).await;
    let ok = checks.iter().all(|c| c.ok);
    to_js(&serde_json::json!({ "ok": ok, "checks": checks }))
}

/// The job id `migrate` would use for `request` (its own `jobId`, or one derived from its content).
#[wasm_bindgen(js_name = jobId)]
pub fn job_id(request: JsValue) -> Result<String, JsValue> {
    let r =
        MigrationRequest::from_value(from_js(&request, "request")?).map_err(|e| js_error(&e))?;
    Ok(r.job_id.clone().unwrap_or_else(|| r.derive_job_id()))
}

#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
