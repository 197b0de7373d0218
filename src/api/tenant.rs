//! Tenant discovery: the cloudId (`/_edge/tenant_info`, no auth, seen in public code) and the Assets
//! workspace (`GET /rest/servicedeskapi/assets/workspace`, documented). `atlassian-api.md` §1.1, §3.1.

use super::decode;
use crate::error::{Error, Result};
use crate::http::{HttpRequest, HttpResponse, Surface};
use crate::ids::{CloudId, WorkspaceId};
use serde::Deserialize;

pub fn tenant_info(site: &str) -> HttpRequest {
    HttpRequest::get(Surface::Jira, format!("{site}/_edge/tenant_info"))
}

pub fn parse_tenant_info(resp: &HttpResponse) -> Result<CloudId> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct T {
        cloud_id: CloudId,
    }
    Ok(decode::<T>("tenant.info", Surface::Jira, resp)?.cloud_id)
}

pub fn workspace(site: &str) -> HttpRequest {
    HttpRequest::get(
        Surface::Jira,
        format!("{site}/rest/servicedeskapi/assets/workspace?start=0&limit=50"),
    )
}

pub fn parse_workspace(resp: &HttpResponse) -> Result<WorkspaceId> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct W {
        workspace_id: WorkspaceId,
    }
    #[derive(Deserialize)]
    struct P {
        #[serde(default)]
        values: Vec<W>,
    }
    let p = decode::<P>("assets.workspace", Surface::Jira, resp)?;
    p.values
        .into_iter()
        .next()
        .map(|w| w.workspace_id)
        .ok_or_else(|| {
            Error::decode(
                "assets.workspace",
                "the site has no Assets workspace (is Assets enabled on this JSM site?)",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cloud_id_and_workspace() {
        let c = parse_tenant_info(&HttpResponse::new(200, r#"{"cloudId":"c57406ca-1"}"#)).unwrap();
        assert_eq!(c.as_str(), "c57406ca-1");
        let body = r#"{"_expands":[],"size":1,"start":0,"limit":50,"isLastPage":true,"_links":{},"values":[{"workspaceId":"ws-1"}]}"#;
        assert_eq!(
            parse_workspace(&HttpResponse::new(200, body))
                .unwrap()
                .as_str(),
            "ws-1"
        );
    }

    #[test]
    fn no_workspace_is_a_clear_error() {
        let e = parse_workspace(&HttpResponse::new(200, r#"{"values":[]}"#)).unwrap_err();
        assert!(e.to_string().contains("no Assets workspace"));
    }
}
