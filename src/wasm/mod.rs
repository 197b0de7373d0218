//! The wasm-bindgen boundary, and nothing else: each export imports its arguments, calls the core and
//! exports the result. Conversions live in `interop.rs`, the JS host adapters in `host.rs`, the
//! gloo-net transport in `gloo.rs`.

mod gloo;
mod host;
mod interop;

use crate::config::{Config, Settings};
use crate::engine::{self, MigrationRequest};
use crate::jobs::{self, JobLimits};
use crate::journal::{MemoryJournal, Records};
use interop::{from_js, js_error, js_error_redacted, json_text, to_js, to_js_redacted};
use wasm_bindgen::prelude::*;

fn settings(config: &JsValue) -> Result<Settings, JsValue> {
    Config::from_json(&json_text(config, "config")?).map_err(|e| js_error(&e))
}

fn request(request: &JsValue) -> Result<MigrationRequest, JsValue> {
    serde_json::from_str(&json_text(request, "request")?)
        .map_err(|e| js_error(&crate::Error::request(e.to_string())))
}

fn limits(v: &JsValue) -> Result<JobLimits, JsValue> {
    serde_json::from_str(&json_text(v, "limits")?)
        .map_err(|e| js_error(&crate::Error::request(format!("limits: {e}"))))
}

/// Runs a migration job. `host` supplies `fetch`, `journal`, `now`, `sleep`, `random`, `progress`
/// (see HACKING.md); returns `{jobId, report, continuation, summary}`.
#[wasm_bindgen(js_name = migrate)]
pub async fn migrate(
    request_js: JsValue,
    config: JsValue,
    host: JsValue,
) -> Result<JsValue, JsValue> {
    let settings = settings(&config)?;
    let request = request(&request_js)?;
    let adapters = host::Adapters::new(&host, &settings)?;
    let memory = MemoryJournal::default();
    let host = adapters.host(&memory);
    let outcome = engine::run(&settings, request, &host)
        .await
        .map_err(|e| js_error_redacted(&e, &adapters.redactor))?;
    // Serialised straight from the structs: a `json!` copy of a 10,000-customer report would double
    // the wasm memory peak.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Result<'a> {
        job_id: &'a crate::ids::JobId,
        summary: String,
        report: &'a crate::report::Report,
        continuation: &'a Option<MigrationRequest>,
        /// Another run holds the job: nothing was done (`{owner, expiresMs}`).
        busy: &'a Option<crate::journal::Lease>,
        /// One line per company, for the end of a run (`ACME: 58 migrated, 2 failed (see report)`).
        company_lines: Vec<String>,
        /// What each step did (`write-back: 36 done, 3 already · …`).
        steps_line: String,
    }
    to_js_redacted(
        &Result {
            job_id: &outcome.report.job_id,
            summary: outcome.report.summary(),
            report: &outcome.report,
            continuation: &outcome.continuation,
            busy: &outcome.busy,
            company_lines: outcome.report.company_lines(),
            steps_line: outcome.report.steps_line(),
        },
        &adapters.redactor,
    )
}

/// Validates a config object; returns the normalised URLs and the origins that may receive the
/// credentials, or throws an Error with `code` "CONFIG" and the JSON `path`.
#[wasm_bindgen(js_name = validateConfig)]
pub fn validate_config(config: JsValue) -> Result<JsValue, JsValue> {
    let s = settings(&config)?;
    let origins: Vec<String> = s
        .credential_origins()
        .iter()
        .map(|o| o.to_string())
        .collect();
    to_js(&serde_json::json!({
        "siteUrl": s.site_url, "adminUrl": s.admin_url, "apiUrl": s.api_url,
        "concurrency": s.concurrency, "origins": origins,
    }))
}

/// Writes a report object as CSV (one row per customer).
#[wasm_bindgen(js_name = reportCsv)]
pub fn report_csv(report: JsValue) -> Result<String, JsValue> {
    let r: crate::report::Report = serde_json::from_str(&json_text(&report, "report")?)
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
    let settings = settings(&config)?;
    let adapters = host::Adapters::new(&host, &settings)?;
    let memory = MemoryJournal::default();
    let checks =
        crate::doctor::doctor(&settings, &adapters.host(&memory), company.as_deref()).await;
    let ok = checks.iter().all(|c| c.ok);
    to_js_redacted(
        &serde_json::json!({ "ok": ok, "checks": checks }),
        &adapters.redactor,
    )
}

/// The job id `migrate` would use for `request` (its own `jobId`, or one derived from its content).
#[wasm_bindgen(js_name = jobId)]
pub fn job_id(request_js: JsValue) -> Result<String, JsValue> {
    Ok(request(&request_js)?.job_id().0)
}

/// How a host should start `request` under `config` (optional): `{jobId, inline, selects}`;
/// `inline`: small enough to run at once; `selects`: the request (or the config's default
/// companies) names any customers at all.
#[wasm_bindgen(js_name = planJob)]
pub fn plan_job(
    request_js: JsValue,
    config: JsValue,
    limits_js: JsValue,
) -> Result<JsValue, JsValue> {
    let r = request(&request_js)?;
    let l = limits(&limits_js)?;
    let defaults = if config.is_undefined() || config.is_null() {
        Vec::new()
    } else {
        settings(&config)?.config.companies
    };
    to_js(&serde_json::json!({
        "jobId": r.job_id(),
        "inline": jobs::is_small(&r, l.inline_max_customers),
        "selects": r.selects_any() || !defaults.is_empty(),
    }))
}

/// One job of a journal (`{jobId, request, startedMs, finished}`), or null.
#[wasm_bindgen(js_name = getJob)]
pub async fn get_job(journal: JsValue, job_id: String) -> Result<JsValue, JsValue> {
    let j = host::JsJournal::new(journal);
    let records = Records {
        journal: &j,
        read_only: true,
        redactor: None,
    };
    let id = crate::ids::JobId::new(job_id);
    to_js(&jobs::get(&records, &id).await.map_err(|e| js_error(&e))?)
}

/// The job limits with defaults filled in.
#[wasm_bindgen(js_name = jobLimits)]
pub fn job_limits(limits_js: JsValue) -> Result<JsValue, JsValue> {
    to_js(&limits(&limits_js)?)
}

/// Seconds before the `attempt`-th retry of a failed chunk.
#[wasm_bindgen(js_name = retryDelay)]
pub fn retry_delay(attempt: u32, limits_js: JsValue) -> Result<u32, JsValue> {
    let s = jobs::retry_delay(&limits(&limits_js)?, attempt);
    Ok(u32::try_from(s).unwrap_or(u32::MAX))
}

/// After a chunk that left customers: `{next: "continue", stalls}` or `{next: "fail", code, message}`.
/// `chunk`: `{chunk, stalls, before?, unfinished}`.
#[wasm_bindgen(js_name = afterChunk)]
pub fn after_chunk(chunk: JsValue, limits_js: JsValue) -> Result<JsValue, JsValue> {
    #[derive(serde::Deserialize)]
    struct C {
        chunk: u32,
        stalls: u32,
        #[serde(default)]
        before: Option<usize>,
        unfinished: usize,
    }
    let c: C = serde_json::from_str(&json_text(&chunk, "chunk")?)
        .map_err(|e| js_error(&crate::Error::request(format!("chunk: {e}"))))?;
    let l = limits(&limits_js)?;
    to_js(&jobs::after_chunk(
        &l,
        c.chunk,
        c.stalls,
        c.before,
        c.unfinished,
    ))
}

/// The jobs a journal holds, oldest first: `[{jobId, request, startedMs, finished}]`;
/// `options.unfinished` keeps only the unfinished ones.
#[wasm_bindgen(js_name = listJobs)]
pub async fn list_jobs(journal: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let unfinished = from_js(&options, "options")?
        .get("unfinished")
        .and_then(|u| u.as_bool())
        .unwrap_or(false);
    let j = host::JsJournal::new(journal);
    let records = Records {
        journal: &j,
        read_only: true,
        redactor: None,
    };
    to_js(
        &jobs::list(&records, unfinished)
            .await
            .map_err(|e| js_error(&e))?,
    )
}

/// Discards an unfinished job (`{jobId, status, ...}`), or throws a REQUEST error saying why not.
#[wasm_bindgen(js_name = discardJob)]
pub async fn discard_job(
    journal: JsValue,
    job_id: String,
    now_ms: f64,
) -> Result<JsValue, JsValue> {
    let j = host::JsJournal::new(journal);
    let records = Records {
        journal: &j,
        read_only: false,
        redactor: None,
    };
    let id = crate::ids::JobId::new(job_id);
    let s = jobs::discard(&records, &id, now_ms.max(0.0) as u64)
        .await
        .map_err(|e| js_error(&e))?;
    to_js(&s)
}

/// `text` with the `secrets` and every credential-looking value removed (hosts pass their logs and
/// answers through it: one redactor).
#[wasm_bindgen(js_name = redact)]
pub fn redact(text: String, secrets: JsValue) -> String {
    let secrets: Vec<String> = interop::decode_js(&secrets, "secrets").unwrap_or_default();
    crate::redact::Redactor::new(secrets).redact(&text)
}

#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
