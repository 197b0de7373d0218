//! Adapters from the JS host object to the core's `Transport`, `Journal`, `Clock` and `Progress`;
//! gloo-net (the global `fetch`, `gloo.rs`) when the host gives no `fetch`.

use super::gloo::GlooTransport;
use super::interop::{describe, get, method, plain_error, to_js_direct};
use crate::config::Settings;
use crate::host::{Clock, Host, Progress, ProgressEvent, RowSink};
use crate::http::{HttpRequest, HttpResponse, Transport, TransportError};
use crate::journal::{Claim, Journal, ListPage, MemoryJournal};
use crate::redact::Redactor;
use crate::report::CustomerReport;
use futures::future::LocalBoxFuture;
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

pub struct Adapters {
    transport: Box<dyn Transport>,
    journal: Option<JsJournal>,
    clock: JsClock,
    progress: JsProgress,
    rows: Option<JsRows>,
    pub redactor: Redactor,
}

/// The host's `secrets` (strings to keep out of everything the core returns or writes), plus the
/// token and Basic credential of `credentials` when the core sends with gloo-net.
fn redactor(host: &JsValue) -> Redactor {
    let mut secrets: Vec<String> =
        super::interop::decode_js::<Vec<String>>(&get(host, "secrets"), "secrets")
            .unwrap_or_default();
    let creds = get(host, "credentials");
    if let (Some(e), Some(t)) = (
        get(&creds, "email").as_string(),
        get(&creds, "apiToken").as_string(),
    ) {
        secrets.push(super::gloo::basic_credential(&e, &t));
        secrets.push(t);
    }
    Redactor::new(secrets)
}

impl Adapters {
    pub fn new(host: &JsValue, settings: &Settings) -> Result<Self, JsValue> {
        let transport: Box<dyn Transport> = match method(host, "fetch") {
            Some(f) => Box::new(JsTransport(f)),
            None => {
                let creds = get(host, "credentials");
                let (email, token) = (
                    get(&creds, "email").as_string(),
                    get(&creds, "apiToken").as_string(),
                );
                match (email, token) {
                    (Some(e), Some(t)) if !e.is_empty() && !t.is_empty() => {
                        Box::new(GlooTransport::new(&e, &t, settings))
                    }
                    _ => {
                        return Err(plain_error(
                            "REQUEST",
                            "host: give either fetch or credentials {email, apiToken}",
                            None,
                        ))
                    }
                }
            }
        };
        let j = get(host, "journal");
        let journal = j.is_object().then(|| JsJournal(j));
        Ok(Adapters {
            transport,
            journal,
            clock: JsClock { host: host.clone() },
            progress: JsProgress(method(host, "progress")),
            rows: JsRows::from_host(host)?,
            redactor: redactor(host),
        })
    }

    pub fn host<'a>(&'a self, memory: &'a MemoryJournal) -> Host<'a> {
        Host {
            transport: self.transport.as_ref(),
            clock: &self.clock,
            journal: match &self.journal {
                Some(j) => j,
                None => memory,
            },
            progress: &self.progress,
            rows: self.rows.as_ref().map(|r| r as &dyn RowSink),
            redactor: &self.redactor,
        }
    }
}

/// Calls `f(args)` and awaits the result when it is a promise.
async fn call(f: &Function, this: &JsValue, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let arr = js_sys::Array::new();
    for a in args {
        arr.push(a);
    }
    let v = f.apply(this, &arr)?;
    // Promise.resolve also adopts thenables that are not real Promises (Workers RPC results).
    JsFuture::from(Promise::resolve(&v)).await
}

struct JsTransport(Function);

impl Transport for JsTransport {
    fn send(&self, req: HttpRequest) -> LocalBoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let arg = to_js_direct(&req).map_err(|e| TransportError {
                code: "INTERNAL".into(),
                message: describe(&e).1,
            })?;
            match call(&self.0, &JsValue::NULL, &[arg]).await {
                Ok(v) => super::interop::decode_js::<HttpResponse>(&v, "host fetch result")
                    .map_err(|message| TransportError {
                        code: "BAD_RESPONSE".into(),
                        message,
                    }),
                Err(e) => {
                    let (code, message) = describe(&e);
                    Err(TransportError { code, message })
                }
            }
        })
    }
}

pub struct JsJournal(JsValue);

impl JsJournal {
    pub fn new(journal: JsValue) -> Self {
        JsJournal(journal)
    }
}

impl JsJournal {
    async fn invoke(&self, name: &str, args: &[JsValue]) -> Result<JsValue, String> {
        let f = method(&self.0, name).ok_or_else(|| format!("journal.{name} is not a function"))?;
        call(&f, &self.0, args).await.map_err(|e| describe(&e).1)
    }
}

impl Journal for JsJournal {
    fn get<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<Option<String>, String>> {
        Box::pin(async move { Ok(self.invoke("get", &[key.into()]).await?.as_string()) })
    }
    fn put<'a>(&'a self, key: &'a str, value: String) -> LocalBoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            self.invoke("put", &[key.into(), value.into()])
                .await
                .map(|_| ())
        })
    }
    fn list<'a>(
        &'a self,
        prefix: &'a str,
    ) -> LocalBoxFuture<'a, Result<Vec<(String, String)>, String>> {
        Box::pin(async move {
            let v = self.invoke("list", &[prefix.into()]).await?;
            super::interop::decode_js::<Vec<(String, String)>>(&v, "journal.list result")
        })
    }
    /// `journal.listPage(prefix, cursor, limit)` → `{entries, cursor}` when the host's journal
    /// pages; else the whole `list` as one page.
    fn list_page<'a>(
        &'a self,
        prefix: &'a str,
        cursor: Option<&'a str>,
        limit: usize,
    ) -> LocalBoxFuture<'a, Result<ListPage, String>> {
        Box::pin(async move {
            if method(&self.0, "listPage").is_none() {
                return crate::journal::whole_as_page(self, prefix, cursor).await;
            }
            let c = cursor.map_or(JsValue::NULL, JsValue::from);
            let v = self
                .invoke("listPage", &[prefix.into(), c, (limit as u32).into()])
                .await?;
            super::interop::decode_js::<ListPage>(&v, "journal.listPage result")
        })
    }
    fn claim<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease_ms: u64,
        now_ms: u64,
    ) -> LocalBoxFuture<'a, Result<Claim, String>> {
        Box::pin(async move {
            let opts = to_js_direct(
                &serde_json::json!({"owner": owner, "leaseMs": lease_ms, "now": now_ms}),
            )
            .map_err(|e| describe(&e).1)?;
            let v = self.invoke("claim", &[key.into(), opts]).await?;
            super::interop::decode_js::<Claim>(&v, "journal.claim result")
        })
    }
    fn release<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
    ) -> LocalBoxFuture<'a, Result<bool, String>> {
        Box::pin(async move {
            let v = self.invoke("release", &[key.into(), owner.into()]).await?;
            Ok(v.as_bool().unwrap_or(false))
        })
    }
}

/// The longest delay JS timers honour (2^31 - 1 ms).
const MAX_TIMER_MS: u64 = (1 << 31) - 1;

struct JsClock {
    host: JsValue,
}

impl Clock for JsClock {
    fn now_ms(&self) -> u64 {
        match method(&self.host, "now") {
            Some(f) => f
                .call0(&self.host)
                .ok()
                .and_then(|v| v.as_f64())
                .unwrap_or_else(js_sys::Date::now) as u64,
            None => js_sys::Date::now() as u64,
        }
    }
    fn sleep(&self, ms: u64) -> LocalBoxFuture<'_, ()> {
        // setTimeout fires at once for delays of 2^31 ms or more; no wait here is that long.
        let ms = ms.min(MAX_TIMER_MS);
        Box::pin(async move {
            if let Some(f) = method(&self.host, "sleep") {
                let _ = call(&f, &self.host, &[JsValue::from_f64(ms as f64)]).await;
                return;
            }
            let p = Promise::new(&mut |resolve, _| {
                let set_timeout = get(&js_sys::global(), "setTimeout").dyn_into::<Function>();
                if let Ok(st) = set_timeout {
                    let _ = st.call2(&JsValue::NULL, &resolve, &JsValue::from_f64(ms as f64));
                } else {
                    let _ = resolve.call0(&JsValue::NULL);
                }
            });
            let _ = JsFuture::from(p).await;
        })
    }
    fn random(&self) -> f64 {
        match method(&self.host, "random") {
            Some(f) => f
                .call0(&self.host)
                .ok()
                .and_then(|v| v.as_f64())
                .unwrap_or_else(js_sys::Math::random),
            None => js_sys::Math::random(),
        }
    }
}

struct JsProgress(Option<Function>);

impl Progress for JsProgress {
    fn event(&self, e: &ProgressEvent) {
        if let (Some(f), Ok(v)) = (&self.0, to_js_direct(e)) {
            let _ = f.call1(&JsValue::NULL, &v);
        }
    }
}

/// `host.rows`: `{row(json, csv), keep}`. Each finished customer's row goes to `row` as JSON text and
/// as a CSV line (both with the host's secrets removed); the report lists rows only while there are at
/// most `keep` of them.
struct JsRows {
    row: Function,
    this: JsValue,
    keep: usize,
    redactor: Redactor,
}

impl JsRows {
    fn from_host(host: &JsValue) -> Result<Option<Self>, JsValue> {
        let rows = get(host, "rows");
        if rows.is_undefined() || rows.is_null() {
            return Ok(None);
        }
        let Some(row) = method(&rows, "row") else {
            return Err(plain_error(
                "REQUEST",
                "host.rows: give a row(json, csv) function",
                None,
            ));
        };
        let keep = match get(&rows, "keep").as_f64() {
            None => 0,
            Some(k) if k >= 0.0 && k.fract() == 0.0 => k as usize,
            Some(_) => {
                return Err(plain_error(
                    "REQUEST",
                    "host.rows.keep: give a whole number ≥ 0",
                    None,
                ))
            }
        };
        Ok(Some(JsRows {
            row,
            this: rows,
            keep,
            redactor: redactor(host),
        }))
    }
}

impl RowSink for JsRows {
    fn row(&self, row: &CustomerReport) {
        if let Ok(json) = serde_json::to_string(row) {
            let json = JsValue::from_str(&self.redactor.redact(&json));
            let csv = JsValue::from_str(&self.redactor.redact(&row.csv_line()));
            let _ = self.row.call2(&self.this, &json, &csv);
        }
    }
    fn keep(&self) -> usize {
        self.keep
    }
}
