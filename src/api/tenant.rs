//! Tenant discovery: the cloudId (`/_edge/tenant_info`, no auth, seen in public code), the Assets
//! workspace (`GET /rest/servicedeskapi/assets/workspace`, documented) and the caller
//! (`GET /rest/api/3/myself`, documented). `atlassian-api.md` §1.1, §3.1.

use super::Op;
use crate::http::{HttpRequest, Surface};
use crate::ids::{CloudId, WorkspaceId};
use serde::Deserialize;

pub fn tenant_info(site: &str) -> Op<CloudId> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct T {
        cloud_id: CloudId,
    }
    Op::safe(
        "tenant.info",
        HttpRequest::get(Surface::Jira, format!("{site}/_edge/tenant_info")),
        |r| {
            let c = r.json::<T>()?.cloud_id;
            let ok = !c.0.is_empty() && c.0.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !ok {
                return Err(r.unreadable(format!("unexpected cloudId {:?}", c.0)));
            }
            Ok(c)
        },
    )
}

pub fn workspace(site: &str) -> Op<WorkspaceId> {
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
    Op::safe(
        "assets.workspace",
        HttpRequest::get(
            Surface::Jira,
            format!("{site}/rest/servicedeskapi/assets/workspace?start=0&limit=50"),
        ),
        |r| {
            r.json::<P>()?
                .values
                .into_iter()
                .next()
                .map(|w| w.workspace_id)
                .ok_or_else(|| {
                    r.unreadable(
                        "the site has no Assets workspace (is Assets enabled on this JSM site?)",
                    )
                })
        },
    )
}

/// `GET /rest/api/3/myself`: whether the credentials are accepted (any 2xx).
pub fn myself(site: &str) -> Op<()> {
    Op::safe(
        "users.myself",
        HttpRequest::get(Surface::Jira, format!("{site}/rest/api/3/myself")),
        |r| r.ok(),
    )
}

/// `GET /rest/api/3/myself?expand=groups`: the names of the caller's groups (§4.1). Adding group
/// members needs site admin, i.e. membership of `site-admins` (§4.5, §14), not only Administer Jira.
pub fn my_groups(site: &str) -> Op<Vec<String>> {
    #[derive(Deserialize)]
    struct G {
        name: String,
    }
    #[derive(Deserialize, Default)]
    struct Groups {
        #[serde(default)]
        items: Vec<G>,
    }
    #[derive(Deserialize)]
    struct Me {
        #[serde(default)]
        groups: Groups,
    }
    Op::safe(
        "users.myGroups",
        HttpRequest::get(
            Surface::Jira,
            format!("{site}/rest/api/3/myself?expand=groups"),
        ),
        |r| {
            Ok(r.json::<Me>()?
                .groups
                .items
                .into_iter()
                .map(|g| g.name)
                .collect())
        },
    )
}

/// The site-admin group (`atlassian-api.md` §4.5).
pub const SITE_ADMINS: &str = "site-admins";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::testing::answer;

    #[test]
    fn parses_cloud_id_and_workspace() {
        let c = answer(
            &tenant_info("https://s"),
            200,
            r#"{"cloudId":"c57406ca-1"}"#,
        )
        .unwrap();
        assert_eq!(c.as_str(), "c57406ca-1");
        let body = r#"{"_expands":[],"size":1,"start":0,"limit":50,"isLastPage":true,"_links":{},"values":[{"workspaceId":"ws-1"}]}"#;
        assert_eq!(
            answer(&workspace("https://s"), 200, body).unwrap().as_str(),
            "ws-1"
        );
    }

    #[test]
    fn odd_cloud_id_and_no_workspace_are_clear_errors() {
        let e = answer(&tenant_info("https://s"), 200, r#"{"cloudId":"a/b"}"#).unwrap_err();
        assert!(e.to_string().contains("unexpected cloudId"), "{e}");
        let e = answer(&workspace("https://s"), 200, r#"{"values":[]}"#).unwrap_err();
        assert!(e.to_string().contains("no Assets workspace"));
    }
}
