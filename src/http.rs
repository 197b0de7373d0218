//! Request and response values, the `Transport` the host supplies, and the `Surface` tag.
//!
//! The core never performs IO itself: every request is a value handed to the host's transport,
//! which adds the Authorization header and sends it (design.md "Shape").

use futures::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Which Atlassian surface a request goes to; drives per-surface limits, call counts and routing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Surface {
    /// The site: `/_edge`, `/rest/api/3`, `/rest/servicedeskapi`.
    Jira,
    /// `api.atlassian.com/jsm/assets/...`
    Assets,
    /// The admin.atlassian.com gateway (undocumented customer-management endpoints).
    Admin,
    /// `/wiki/...` and `/cgraphql` on the site.
    Confluence,
}

impl Surface {
    pub const ALL: [Surface; 4] = [
        Surface::Jira,
        Surface::Assets,
        Surface::Admin,
        Surface::Confluence,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::Jira => "jira",
            Surface::Assets => "assets",
            Surface::Admin => "admin",
            Surface::Confluence => "confluence",
        }
    }
}

impl fmt::Display for Surface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a request may be repeated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryClass {
    /// Reads, idempotent writes, and writes whose repeat answers "already done": retry on 429/5xx/transport errors.
    Safe,
    /// Not safe to resend blindly (migrate, issue comment): retry only answers that prove the request was
    /// NOT processed: a 429 (rate limited before processing). A 5xx or transport error → give up (the caller reconciles).
    Never,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    pub surface: Surface,
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
}

impl HttpRequest {
    pub fn new(surface: Surface, method: &str, url: String) -> Self {
        let mut headers = BTreeMap::new();
        headers.insert("accept".into(), "application/json".into());
        Self {
            surface,
            method: method.into(),
            url,
            headers,
            body: None,
        }
    }
    pub fn get(surface: Surface, url: String) -> Self {
        Self::new(surface, "GET", url)
    }
    /// A request with a JSON body.
    pub fn json(surface: Surface, method: &str, url: String, body: &serde_json::Value) -> Self {
        let mut r = Self::new(surface, method, url);
        r.headers
            .insert("content-type".into(), "application/json".into());
        r.body = Some(body.to_string());
        r
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct HttpResponse {
    pub status: u16,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub body: String,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

impl HttpResponse {
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: BTreeMap::new(),
            body: body.into(),
        }
    }
    pub fn with_header(mut self, k: &str, v: &str) -> Self {
        self.headers.insert(k.to_ascii_lowercase(), v.into());
        self
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| k.to_ascii_lowercase() == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A failure below HTTP: the request may or may not have reached the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportError {
    /// `ECONNRESET`, `TIMEOUT`, … as the host names it.
    pub code: String,
    pub message: String,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// Sends one request. Supplied by the host (JS `fetch` adapter, gloo-net, or a scripted fake in tests).
pub trait Transport {
    fn send(&self, req: HttpRequest) -> LocalBoxFuture<'_, Result<HttpResponse, TransportError>>;
}
