//! Jira groups, documented: `POST /rest/api/3/group/user` and `GET /rest/api/3/group/bulk`
//! (`atlassian-api.md` §4.5, §4.7).

use super::Op;
use crate::http::{HttpRequest, Surface};
use crate::ids::{pct, AccountId, GroupId};
use serde::Deserialize;
use serde_json::json;

#[derive(Clone, Debug, PartialEq)]
pub enum Added {
    Added,
    /// 400 "already a member": success (§4.5; match the substring, not the group name).
    AlreadyMember,
    /// 404 user or group not found; a new account may be invisible for a short time (§13).
    NotFound(String),
}

/// `POST /rest/api/3/group/user?groupId=` with `{accountId}` (§4.5).
pub fn add_user(site: &str, group: &GroupId, account: &AccountId) -> Op<Added> {
    Op::safe(
        "groups.addUser",
        HttpRequest::json(
            Surface::Jira,
            "POST",
            format!(
                "{site}/rest/api/3/group/user?groupId={}",
                pct(group.as_str())
            ),
            &json!({ "accountId": account }),
        ),
        |r| match r.status() {
            // The documented answer is the Group; anything else proves nothing (§4.5).
            200..=299 => {
                let g: serde_json::Value = r.json()?;
                if g.get("name").or(g.get("groupId")).is_none() {
                    return Err(r.unreadable("the answer is not the group"));
                }
                Ok(Added::Added)
            }
            400 if r
                .message()
                .to_ascii_lowercase()
                .contains("already a member") =>
            {
                Ok(Added::AlreadyMember)
            }
            404 => Ok(Added::NotFound(r.message())),
            _ => Err(r.error()),
        },
    )
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub group_id: GroupId,
    pub name: String,
}

/// `GET /rest/api/3/group/bulk?groupId=|groupName=` (§4.7); `None` when the site does not answer
/// this lookup (not every site offers it the same way): the caller tries the next one.
fn bulk(site: &str, param: &str, value: &str) -> Op<Option<Vec<Group>>> {
    #[derive(Deserialize)]
    struct R {
        #[serde(default)]
        values: Vec<Group>,
    }
    Op::safe(
        "groups.find",
        HttpRequest::get(
            Surface::Jira,
            format!(
                "{site}/rest/api/3/group/bulk?{param}={}&maxResults=50",
                pct(value)
            ),
        ),
        |r| {
            if !r.is_success() {
                return Ok(None);
            }
            Ok(Some(r.json::<R>()?.values))
        },
    )
}

pub fn find_by_id(site: &str, id: &str) -> Op<Option<Vec<Group>>> {
    bulk(site, "groupId", id)
}

pub fn find_by_name(site: &str, name: &str) -> Op<Option<Vec<Group>>> {
    bulk(site, "groupName", name)
}

/// `GET /rest/api/3/groups/picker?query=`: names to suggest; an unreadable answer suggests none.
pub fn picker(site: &str, query: &str) -> Op<Vec<Group>> {
    #[derive(Deserialize)]
    struct R {
        #[serde(default)]
        groups: Vec<Group>,
    }
    Op::safe(
        "groups.picker",
        HttpRequest::get(
            Surface::Jira,
            format!(
                "{site}/rest/api/3/groups/picker?query={}&maxResults=50",
                pct(query)
            ),
        ),
        |r| Ok(r.json::<R>().map(|x| x.groups).unwrap_or_default()),
    )
}

/// `GET /rest/api/3/group/member?groupId=&maxResults=1`: `None` when the group exists, else
/// Atlassian's message (§4.4).
pub fn missing(site: &str, id: &GroupId) -> Op<Option<String>> {
    Op::safe(
        "groups.members",
        HttpRequest::get(
            Surface::Jira,
            format!(
                "{site}/rest/api/3/group/member?groupId={}&maxResults=1",
                pct(id.as_str())
            ),
        ),
        |r| match r.status() {
            200..=299 => Ok(None),
            400..=499 => Ok(Some(r.message())),
            _ => Err(r.error()),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::testing::answer;

    fn add() -> Op<Added> {
        add_user(
            "https://s",
            &GroupId::new("g 1"),
            &AccountId::new("712020:a"),
        )
    }

    #[test]
    fn group_add_treats_already_member_as_success() {
        let r = answer(
            &add(),
            400,
            r#"{"errorMessages":["Cannot add user. User is already a member of '{1}'"],"errors":{}}"#,
        );
        assert_eq!(r.unwrap(), Added::AlreadyMember);
        assert_eq!(
            answer(&add(), 201, r#"{"name":"g","groupId":"g 1"}"#).unwrap(),
            Added::Added
        );
        assert!(answer(&add(), 201, "{}").is_err(), "not the group");
        assert!(answer(&add(), 200, "garbage").is_err());
    }

    #[test]
    fn group_add_other_400_is_an_error_naming_the_message() {
        let e = answer(
            &add(),
            400,
            r#"{"errorMessages":["accountId is required"],"errors":{}}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "groups.addUser (jira): HTTP 400: accountId is required"
        );
    }

    #[test]
    fn group_add_404_is_not_found() {
        let r = answer(
            &add(),
            404,
            r#"{"errorMessages":["User not found"],"errors":{}}"#,
        );
        assert_eq!(r.unwrap(), Added::NotFound("User not found".into()));
    }

    #[test]
    fn add_user_request_shape() {
        let r = add().request;
        assert_eq!(r.url, "https://s/rest/api/3/group/user?groupId=g%201");
        assert_eq!(r.body.as_deref(), Some(r#"{"accountId":"712020:a"}"#));
    }
}
