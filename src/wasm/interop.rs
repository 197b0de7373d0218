//! Every conversion across the boundary: JSON-shaped JS values in and out, and errors as JS `Error`s
//! with a stable `code`.

use crate::error::Error;
use crate::redact::Redactor;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// A JS value as JSON text (`undefined`/`null` become `{}`), decoded once into its struct by the
/// caller: serde-wasm-bindgen's deserializer added ~tens of KB per type to the wasm for no gain on
/// these small objects.
pub fn json_text(v: &JsValue, what: &str) -> Result<String, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok("{}".into());
    }
    js_sys::JSON::stringify(v)
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| plain_error("REQUEST", &format!("{what}: not JSON-shaped"), None))
}

/// A small JS value (options) as a JSON value.
pub fn from_js(v: &JsValue, what: &str) -> Result<serde_json::Value, JsValue> {
    serde_json::from_str(&json_text(v, what)?)
        .map_err(|e| plain_error("REQUEST", &format!("{what}: {e}"), None))
}

/// Decodes a JS value into `T` through JSON.
pub fn decode_js<T: serde::de::DeserializeOwned>(v: &JsValue, what: &str) -> Result<T, String> {
    // `JSON.stringify(undefined)` is `undefined`, not a string: never convert it blindly.
    let text = js_sys::JSON::stringify(v)
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| format!("{what}: not JSON-shaped"))?;
    serde_json::from_str(&text).map_err(|e| format!("{what}: {e}"))
}

/// A small value built straight into JS objects (no JSON text round trip) for the per-request hot
/// path; `json_compatible` gives plain objects, never `Map`s.
pub fn to_js_direct<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| plain_error("INTERNAL", &e.to_string(), None))
}

/// Plain objects, never `Map`s.
pub fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    to_js_redacted(v, &crate::redact::NO_SECRETS)
}

/// Plain objects with every secret of `r` removed from every string (the JSON text is redacted
/// once, so nothing the value holds can slip past).
pub fn to_js_redacted<T: Serialize>(v: &T, r: &Redactor) -> Result<JsValue, JsValue> {
    let text =
        serde_json::to_string(v).map_err(|e| plain_error("INTERNAL", &e.to_string(), None))?;
    js_sys::JSON::parse(&r.redact(&text))
}

pub fn js_error(e: &Error) -> JsValue {
    js_error_redacted(e, &crate::redact::NO_SECRETS)
}

pub fn js_error_redacted(e: &Error, r: &Redactor) -> JsValue {
    let path = match e {
        Error::Config { path, .. } => Some(path.as_str()),
        _ => None,
    };
    let err = plain_error(e.code(), &r.redact(&e.to_string()), path);
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&err, &k.into(), &v);
    };
    set("retryable", e.retryable().into());
    if let Some(s) = e.status() {
        set("status", s.into());
    }
    if let Some(s) = e.surface() {
        set("surface", s.as_str().into());
    }
    // The core decides what an error means for the admin; hosts only word it (`advice.rs`).
    if let Some(a) = crate::advice::advise(e) {
        set("advice", a.sentence.into());
        set("fix", a.fix.into());
        set("kind", a.kind.as_str().into());
        set("source", crate::advice::source(e).into());
    }
    err
}

pub fn plain_error(code: &str, message: &str, path: Option<&str>) -> JsValue {
    let err = js_sys::Error::new(message);
    let _ = js_sys::Reflect::set(&err, &"code".into(), &code.into());
    if let Some(p) = path {
        let _ = js_sys::Reflect::set(&err, &"path".into(), &p.into());
    }
    err.into()
}

/// Reads `name` from a JS object.
pub fn get(obj: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(obj, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[name]` when it is a function.
pub fn method(obj: &JsValue, name: &str) -> Option<js_sys::Function> {
    get(obj, name).dyn_into::<js_sys::Function>().ok()
}

/// The message and code of a thrown JS value.
pub fn describe(v: &JsValue) -> (String, String) {
    let code = get(v, "code").as_string().unwrap_or_else(|| "ERROR".into());
    let message = get(v, "message")
        .as_string()
        .or_else(|| v.as_string())
        .unwrap_or_else(|| format!("{v:?}"));
    (code, message)
}
