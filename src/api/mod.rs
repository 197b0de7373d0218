//! One module per Atlassian surface. Each call is one [`Op`] value, built by one function per
//! endpoint: its name, retry class, request and parser are written once, there. No IO happens here;
//! the client sends ops (`client::Client::call`).

pub mod assets;
pub mod comments;
pub mod confluence;
pub mod customers;
pub mod groups;
pub mod organizations;
pub mod tenant;
pub mod users;

use crate::error::{Error, Result};
use crate::http::{HttpRequest, HttpResponse, RetryClass, Surface};
use serde::de::DeserializeOwned;

/// The base URLs of one tenant, once its cloudId and workspace are known.
#[derive(Clone, Debug, PartialEq)]
pub struct Urls {
    pub site: String,
    /// `{adminUrl}/gateway/api/ex/jira/{cloudId}/rest/servicedesk/customer-management/noeyeball/1`
    pub customers: String,
    /// `{apiUrl}/jsm/assets/workspace/{workspaceId}/v1`
    pub assets: String,
}

impl Urls {
    pub fn new(site: &str, admin: &str, api: &str, cloud_id: &str, workspace_id: &str) -> Self {
        Urls {
            site: site.to_string(),
            customers: format!(
                "{admin}/gateway/api/ex/jira/{}/rest/servicedesk/customer-management/noeyeball/1",
                crate::ids::pct(cloud_id)
            ),
            assets: format!(
                "{api}/jsm/assets/workspace/{}/v1",
                crate::ids::pct(workspace_id)
            ),
        }
    }
}

type Parser<T> = Box<dyn Fn(&Reply<'_>) -> Result<T>>;

/// One Atlassian call: what to send, how it may be repeated, and what its answer means.
pub struct Op<T> {
    /// Stable name (`users.get`), used in errors and reports.
    pub name: &'static str,
    pub class: RetryClass,
    pub request: HttpRequest,
    parse: Parser<T>,
}

impl<T: 'static> Op<T> {
    pub fn new(
        name: &'static str,
        class: RetryClass,
        request: HttpRequest,
        parse: impl Fn(&Reply<'_>) -> Result<T> + 'static,
    ) -> Self {
        Op {
            name,
            class,
            request,
            parse: Box::new(parse),
        }
    }

    /// A call that is safe to repeat (reads, idempotent writes, "already done" answers).
    pub fn safe(
        name: &'static str,
        request: HttpRequest,
        parse: impl Fn(&Reply<'_>) -> Result<T> + 'static,
    ) -> Self {
        Self::new(name, RetryClass::Safe, request, parse)
    }

    pub fn surface(&self) -> Surface {
        self.request.surface
    }

    /// Interprets an answer to this op.
    pub fn parse(&self, resp: &HttpResponse) -> Result<T> {
        (self.parse)(&Reply {
            op: self.name,
            surface: self.request.surface,
            resp,
        })
    }

    /// The same call with its answer mapped.
    pub fn map<U: 'static>(self, f: impl Fn(T) -> U + 'static) -> Op<U> {
        let parse = self.parse;
        Op {
            name: self.name,
            class: self.class,
            request: self.request,
            parse: Box::new(move |r| parse(r).map(&f)),
        }
    }
}

/// An answer as a parser sees it: the op's name and surface travel with it, so every error names them.
pub struct Reply<'r> {
    pub op: &'static str,
    pub surface: Surface,
    pub resp: &'r HttpResponse,
}

impl Reply<'_> {
    pub fn status(&self) -> u16 {
        self.resp.status
    }

    pub fn is_success(&self) -> bool {
        self.resp.is_success()
    }

    /// Atlassian's own message from the body: credential-looking values removed, cut to
    /// `redact::MAX_MESSAGE` characters (an echoing or hostile answer must not fill the report).
    pub fn message(&self) -> String {
        crate::redact::cut(
            &crate::redact::patterns(&error_message(&self.resp.body)),
            crate::redact::MAX_MESSAGE,
        )
    }

    /// The error for an answer the op cannot accept.
    pub fn error(&self) -> Error {
        Error::Api {
            op: self.op,
            surface: self.surface,
            status: self.resp.status,
            message: self.message(),
        }
    }

    /// A 2xx answer whose body is not what the docs promise.
    pub fn unreadable(&self, message: impl std::fmt::Display) -> Error {
        Error::decode(self.op, message)
    }

    /// Checks for 2xx and decodes the body. (serde_path_to_error would name the JSON path, but
    /// wrapping every response type in it costs a large share of the wasm; config errors keep it.)
    /// A 2xx that carries Jira's error envelope is an error, not data.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        if !self.is_success() || self.envelope() {
            return Err(self.error());
        }
        serde_json::from_str(&self.resp.body).map_err(|e| self.unreadable(e))
    }

    /// Whether the body is an `ErrorCollection` (`errorMessages` or an `errors` object not empty).
    fn envelope(&self) -> bool {
        let b = &self.resp.body;
        if !(b.contains("errorMessages") || b.contains("\"errors\"")) {
            return false;
        }
        let Ok(v) = serde_json::from_str::<serde_json::Value>(b) else {
            return false;
        };
        let messages = v
            .get("errorMessages")
            .and_then(|m| m.as_array())
            .is_some_and(|a| !a.is_empty());
        let errors = v
            .get("errors")
            .and_then(|e| e.as_object())
            .is_some_and(|o| !o.is_empty());
        messages || errors
    }

    /// 2xx, whatever the body.
    pub fn ok(&self) -> Result<()> {
        if self.is_success() {
            Ok(())
        } else {
            Err(self.error())
        }
    }
}

/// Atlassian's own message from an error body: Jira `ErrorCollection`, the Confluence v1 envelope,
/// a GraphQL `errors` array, or the raw text (bounded).
pub fn error_message(body: &str) -> String {
    let trimmed = body.trim();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(trimmed) {
        let mut parts: Vec<String> = Vec::new();
        if let Some(a) = v.get("errorMessages").and_then(|a| a.as_array()) {
            parts.extend(a.iter().filter_map(|m| m.as_str().map(str::to_string)));
        }
        if let Some(o) = v.get("errors").and_then(|o| o.as_object()) {
            parts.extend(
                o.iter()
                    .map(|(k, m)| format!("{k}: {}", m.as_str().unwrap_or(&m.to_string()))),
            );
        }
        if let Some(a) = v.get("errors").and_then(|a| a.as_array()) {
            parts.extend(a.iter().filter_map(|e| {
                e.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            }));
        }
        if parts.is_empty() {
            if let Some(m) = v.get("message").and_then(|m| m.as_str()) {
                parts.push(m.to_string());
            }
        }
        if let Some(a) = v.pointer("/data/errors").and_then(|a| a.as_array()) {
            for e in a {
                if let Some(t) = e.pointer("/message/translation").and_then(|m| m.as_str()) {
                    if !parts.iter().any(|p| p.contains(t)) {
                        parts.push(t.to_string());
                    }
                }
            }
        }
        if !parts.is_empty() {
            return parts.join("; ");
        }
    }
    let mut s: String = trimmed.chars().take(300).collect();
    if s.is_empty() {
        s = "(empty body)".into();
    }
    s
}

#[cfg(test)]
pub(crate) mod testing {
    use super::Op;
    use crate::http::HttpResponse;

    /// Parses `body` with `status` as an answer to `op`.
    pub fn answer<T: 'static>(op: &Op<T>, status: u16, body: &str) -> crate::Result<T> {
        op.parse(&HttpResponse::new(status, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_message_reads_jira_confluence_and_raw_bodies() {
        assert_eq!(
            error_message(
                r#"{"errorMessages":["Cannot add user. User is already a member of 'x'"],"errors":{}}"#
            ),
            "Cannot add user. User is already a member of 'x'"
        );
        assert_eq!(
            error_message(r#"{"errorMessages":[],"errors":{"accountId":"bad"}}"#),
            "accountId: bad"
        );
        assert_eq!(
            error_message(
                r#"{"statusCode":400,"data":{"errors":[]},"message":"com.atlassian.Ex: Permission already exists","reason":"Bad Request"}"#
            ),
            "com.atlassian.Ex: Permission already exists"
        );
        assert_eq!(error_message("<html>oops</html>"), "<html>oops</html>");
        assert_eq!(error_message(""), "(empty body)");
        let twice = r#"{"data":{"errors":[{"message":{"key":"k","translation":"guest has a space: A"}}]},"message":"Ex: guest has a space: A"}"#;
        assert_eq!(error_message(twice), "Ex: guest has a space: A");
    }

    #[test]
    fn json_says_what_was_wrong_and_names_the_op() {
        #[derive(serde::Deserialize, Debug)]
        struct T {
            #[allow(dead_code)]
            a: Vec<u32>,
        }
        let op = Op::safe(
            "x",
            HttpRequest::get(Surface::Jira, "https://s/x".into()),
            |r| r.json::<T>(),
        );
        let e = testing::answer(&op, 200, r#"{"a":[1,"b"]}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "x: unreadable response: invalid type: string \"b\", expected u32 at line 1 column 11"
        );
        let e = testing::answer(&op, 403, r#"{"errorMessages":["no"]}"#).unwrap_err();
        assert_eq!(e.to_string(), "x (jira): HTTP 403: no");
        let e =
            testing::answer(&op, 200, r#"{"errorMessages":["AQL: bad"],"errors":{}}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "x (jira): HTTP 200: AQL: bad",
            "a 2xx with an error envelope"
        );
    }

    #[test]
    fn map_keeps_name_class_and_request() {
        let op = Op::safe(
            "y",
            HttpRequest::get(Surface::Assets, "https://a/y".into()),
            |r| r.json::<u32>(),
        )
        .map(|n| n + 1);
        assert_eq!(op.name, "y");
        assert_eq!(op.surface(), Surface::Assets);
        assert_eq!(testing::answer(&op, 200, "41").unwrap(), 42);
    }
}
