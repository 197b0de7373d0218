//! Confluence space access: the documented v1 `POST /wiki/rest/api/space/{key}/permission`, the v2
//! space lookup, and the UNDOCUMENTED internal `/cgraphql` `updateSpacePermissions` mutation seen in a
//! community thread (`atlassian-api.md` §7).

use super::Op;
use crate::error::Error;
use crate::http::{HttpRequest, Surface};
use crate::ids::{pct, AccountId, SpaceKey};
use crate::page::Page;
use serde::Deserialize;
use serde_json::json;

/// `GET /wiki/api/v2/spaces?keys=KEY`: the space's id when it exists and is visible to the caller
/// (§7.2).
pub fn find_space(site: &str, key: &SpaceKey) -> Op<Option<String>> {
    #[derive(Deserialize)]
    struct S {
        key: String,
        #[serde(deserialize_with = "crate::ids::string_or_number")]
        id: String,
    }
    #[derive(Deserialize)]
    struct R {
        #[serde(default)]
        results: Vec<S>,
    }
    let want = key.0.clone();
    Op::safe(
        "confluence.findSpace",
        HttpRequest::get(
            Surface::Confluence,
            format!(
                "{site}/wiki/api/v2/spaces?keys={}&limit=1",
                pct(key.as_str())
            ),
        ),
        move |r| {
            let found = r.json::<R>()?.results.into_iter().find(|s| s.key == want);
            Ok(found.map(|s| s.id))
        },
    )
}

/// One space permission a user holds: `(key, target)`, e.g. `("read", "space")`.
pub type Grant = (String, String);

/// A page of `GET /wiki/api/v2/spaces/{id}/permissions` (§7.2, §14): each assignment as
/// `(principal type, principal id, grant)`, and the cursor of the next page.
pub type PermissionPage = Page<(String, String, Grant), Option<String>>;

pub fn space_permissions(site: &str, space_id: &str, cursor: Option<&str>) -> Op<PermissionPage> {
    #[derive(Deserialize)]
    struct Principal {
        #[serde(rename = "type")]
        kind: String,
        #[serde(deserialize_with = "crate::ids::string_or_number")]
        id: String,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Operation {
        key: String,
        target_type: String,
    }
    #[derive(Deserialize)]
    struct A {
        principal: Principal,
        operation: Operation,
    }
    #[derive(Deserialize, Default)]
    struct Links {
        #[serde(default)]
        next: Option<String>,
    }
    #[derive(Deserialize)]
    struct R {
        #[serde(default)]
        results: Vec<A>,
        #[serde(default, rename = "_links")]
        links: Links,
    }
    let mut url = format!(
        "{site}/wiki/api/v2/spaces/{}/permissions?limit=250",
        pct(space_id)
    );
    if let Some(c) = cursor {
        url.push_str(&format!("&cursor={}", pct(c)));
    }
    Op::safe(
        "confluence.spacePermissions",
        HttpRequest::get(Surface::Confluence, url),
        |r| {
            let p: R = r.json()?;
            let next = p.links.next.as_deref().and_then(cursor_of);
            let items = p
                .results
                .into_iter()
                .map(|a| {
                    let grant = (a.operation.key, a.operation.target_type);
                    (a.principal.kind, a.principal.id, grant)
                })
                .collect();
            Ok(Page {
                items,
                is_last: Some(next.is_none()),
                total: None,
                meta: next,
            })
        },
    )
}

/// The `cursor` query value of a `_links.next` URL.
fn cursor_of(next: &str) -> Option<String> {
    let query = next.split_once('?')?.1;
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "cursor")
        .map(|(_, v)| crate::ids::unpct(v))
        .filter(|c| !c.is_empty())
}

/// `POST /wiki/rest/api/space/{key}/permission` with the documented `key`/`target` shape (§7.1).
pub fn grant(site: &str, key: &SpaceKey, account: &AccountId, op: (&str, &str)) -> Op<Granted> {
    Op::safe(
        "confluence.grant",
        HttpRequest::json(
            Surface::Confluence,
            "POST",
            format!(
                "{site}/wiki/rest/api/space/{}/permission",
                pct(key.as_str())
            ),
            &json!({"subject": {"type": "user", "identifier": account}, "operation": {"key": op.0, "target": op.1}}),
        ),
        |r| match r.status() {
            200..=299 => Ok(Granted::Granted),
            400 => classify(400, r.message()).ok_or_else(|| r.error()),
            404 => Ok(Granted::NotFound(r.message())),
            _ => Err(r.error()),
        },
    )
}

#[derive(Clone, Debug, PartialEq)]
pub enum Granted {
    Granted,
    /// 400 "already exists": success.
    AlreadyGranted,
    /// A guest who already has another space: a permanent failure for this customer.
    GuestHasOtherSpace {
        status: u16,
        message: String,
    },
    /// 404: the user (new accounts can be invisible for a while, §13) or the space is not found.
    NotFound(String),
}

fn classify(status: u16, message: String) -> Option<Granted> {
    let m = message.to_ascii_lowercase();
    if m.contains("already exist")
        || m.contains("already has this permission")
        || m.contains("already granted")
        || m.contains("duplicate")
    {
        Some(Granted::AlreadyGranted)
    } else if m.contains("guest") || (m.contains("space") && m.contains("assigned")) {
        Some(Granted::GuestHasOtherSpace { status, message })
    } else if m.contains("not found") || m.contains("no user") {
        Some(Granted::NotFound(message))
    } else {
        None
    }
}

const MUTATION: &str = "mutation UpdateSpacePermissionsPrincipals($spaceKey: String!, $subjectPermissionDeltasList: [SubjectPermissionDeltas!]!) { updateSpacePermissions(input: {spaceKey: $spaceKey, subjectPermissionDeltasList: $subjectPermissionDeltasList}) { success spaceKey errors { message __typename } __typename } }";

/// The internal mutation adding `VIEW_SPACE` for a guest user (§7.4). GraphQL errors arrive on a
/// 200: `errors` and `success` are checked.
pub fn grant_graphql(site: &str, key: &SpaceKey, account: &AccountId) -> Op<Granted> {
    Op::safe(
        "confluence.grantGraphql",
        HttpRequest::json(
            Surface::Confluence,
            "POST",
            format!("{site}/cgraphql?q=UpdateSpacePermissionsPrincipals"),
            &json!([{
                "operationName": "UpdateSpacePermissionsPrincipals",
                "variables": {"spaceKey": key, "subjectPermissionDeltasList": [{
                    "subjectKeyInput": {"permissionDisplayType": "GUEST_USER", "subjectId": account},
                    "permissionsToAdd": ["VIEW_SPACE"], "permissionsToRemove": []}]},
                "query": MUTATION
            }]),
        ),
        |r| {
            let v: serde_json::Value = r.json()?;
            let first = if v.is_array() {
                v.get(0).cloned().unwrap_or_default()
            } else {
                v
            };
            let mut messages: Vec<String> = Vec::new();
            for path in ["/errors", "/data/updateSpacePermissions/errors"] {
                if let Some(a) = first.pointer(path).and_then(|a| a.as_array()) {
                    messages.extend(a.iter().filter_map(|e| {
                        e.get("message")
                            .and_then(|m| m.as_str())
                            .map(str::to_string)
                    }));
                }
            }
            let success = first
                .pointer("/data/updateSpacePermissions/success")
                .and_then(|s| s.as_bool());
            if messages.is_empty() && success == Some(true) {
                return Ok(Granted::Granted);
            }
            let message = if messages.is_empty() {
                "updateSpacePermissions did not succeed".to_string()
            } else {
                messages.join("; ")
            };
            classify(r.status(), message.clone()).ok_or(Error::Api {
                op: r.op,
                surface: r.surface,
                status: r.status(),
                message,
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::testing::answer;

    fn rest() -> Op<Granted> {
        grant(
            "https://s",
            &SpaceKey::new("ACME"),
            &AccountId::new("a:1"),
            ("read", "space"),
        )
    }

    fn gql() -> Op<Granted> {
        grant_graphql("https://s", &SpaceKey::new("A"), &AccountId::new("a:1"))
    }

    fn envelope(msg: &str) -> String {
        format!(
            r#"{{"statusCode":400,"data":{{"authorized":false,"valid":true,"errors":[],"successful":false}},"message":"{msg}","reason":"Bad Request"}}"#
        )
    }

    #[test]
    fn grant_request_uses_documented_key_target_shape() {
        let r = rest().request;
        assert_eq!(r.url, "https://s/wiki/rest/api/space/ACME/permission");
        assert_eq!(
            r.body.as_deref(),
            Some(
                r#"{"operation":{"key":"read","target":"space"},"subject":{"identifier":"a:1","type":"user"}}"#
            )
        );
    }

    #[test]
    fn space_permissions_read_assignments_and_the_next_cursor() {
        let op = space_permissions("https://s", "98", None);
        assert_eq!(
            op.request.url,
            "https://s/wiki/api/v2/spaces/98/permissions?limit=250"
        );
        let body = r#"{"results":[{"id":"1","principal":{"type":"user","id":"a:1"},"operation":{"key":"read","targetType":"space"}}],
            "_links":{"next":"/wiki/api/v2/spaces/98/permissions?limit=250&cursor=b2Zm%3D"}}"#;
        let p = answer(&op, 200, body).unwrap();
        assert_eq!(
            p.items,
            vec![("user".into(), "a:1".into(), ("read".into(), "space".into()))]
        );
        assert_eq!(p.meta.as_deref(), Some("b2Zm="));
        let last = answer(&op, 200, r#"{"results":[],"_links":{}}"#).unwrap();
        assert_eq!((last.meta, last.is_last), (None, Some(true)));
        let next = space_permissions("https://s", "98", Some("b2Zm="))
            .request
            .url;
        assert!(next.ends_with("&cursor=b2Zm%3D"), "{next}");
    }

    #[test]
    fn duplicate_grant_is_success() {
        let r = answer(&rest(), 400, &envelope("com.atlassian.confluence.api.service.exceptions.BadRequestException: Permission already exists"));
        assert_eq!(r.unwrap(), Granted::AlreadyGranted);
    }

    #[test]
    fn guest_with_another_space_is_a_permanent_failure() {
        let r = answer(
            &rest(),
            400,
            &envelope("Guest user already has a space assigned: GLX"),
        );
        assert!(
            matches!(r.unwrap(), Granted::GuestHasOtherSpace { status: 400, message } if message.contains("GLX"))
        );
    }

    #[test]
    fn other_400_is_an_error() {
        let r = answer(&rest(), 400, &envelope("Read space permission is missing"));
        assert_eq!(r.unwrap_err().status(), Some(400));
    }

    #[test]
    fn graphql_errors_on_200_are_failures() {
        let ok = answer(
            &gql(),
            200,
            r#"[{"data":{"updateSpacePermissions":{"success":true,"spaceKey":"A","errors":[]}}}]"#,
        );
        assert_eq!(ok.unwrap(), Granted::Granted);
        let bad = answer(
            &gql(),
            200,
            r#"[{"data":{"updateSpacePermissions":{"success":false,"errors":[{"message":"Not allowed"}]}}}]"#,
        );
        assert_eq!(
            bad.unwrap_err().to_string(),
            "confluence.grantGraphql (confluence): HTTP 200: Not allowed"
        );
        let top = answer(
            &gql(),
            200,
            r#"{"errors":[{"message":"Guest already has a space assigned: X"}]}"#,
        );
        assert!(matches!(
            top.unwrap(),
            Granted::GuestHasOtherSpace { status: 200, .. }
        ));
    }
}
