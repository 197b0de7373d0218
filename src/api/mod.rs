//! One module per Atlassian surface. Each builds `HttpRequest` values and interprets responses,
//! including Atlassian's "already done" answers. No IO happens here.

pub mod assets;
pub mod comments;
pub mod confluence;
pub mod customers;
pub mod groups;
pub mod tenant;
pub mod users;

use crate::error::{Error, Result};
use crate::http::{HttpResponse, Surface};
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

/// Every non-2xx answer becomes an error through this one function.
pub fn map_error(op: &'static str, surface: Surface, resp: &HttpResponse) -> Error {
    Error::Api {
        op,
        surface,
        status: resp.status,
        message: error_message(&resp.body),
    }
}

/// Checks for 2xx and decodes the body. (serde_path_to_error would name the JSON path, but wrapping
/// every response type in it costs a large share of the wasm; config errors keep it.)
pub fn decode<T: DeserializeOwned>(
    op: &'static str,
    surface: Surface,
    resp: &HttpResponse,
) -> Result<T> {
    if !resp.is_success() {
        return Err(map_error(op, surface, resp));
    }
    serde_json::from_str(&resp.body).map_err(|e| Error::decode(op, e))
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
    fn decode_says_what_was_wrong() {
        #[derive(serde::Deserialize, Debug)]
        struct T {
            #[allow(dead_code)]
            a: Vec<u32>,
        }
        let e = decode::<T>(
            "x",
            Surface::Jira,
            &HttpResponse::new(200, r#"{"a":[1,"b"]}"#),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "x: unreadable response: invalid type: string \"b\", expected u32 at line 1 column 11"
        );
    }
}
