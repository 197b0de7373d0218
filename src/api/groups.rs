//! Jira groups, documented: `POST /rest/api/3/group/user` and `GET /rest/api/3/group/bulk`
//! (`atlassian-api.md` §4.5, §4.7).

use super::{decode, error_message, map_error};
use crate::error::Result;
use crate::http::{HttpRequest, HttpResponse, Surface};
use crate::ids::{pct, AccountId, GroupId};
use serde::Deserialize;
use serde_json::json;

pub fn add_user(site: &str, group: &GroupId, account: &AccountId) -> HttpRequest {
    HttpRequest::json(
        Surface::Jira,
        "POST",
        format!(
            "{site}/rest/api/3/group/user?groupId={}",
            pct(group.as_str())
        ),
        &json!({ "accountId": account }),
    )
}

#[derive(Clone, Debug, PartialEq)]
pub enum Added {
    Added,
    /// 400 "already a member": success (§4.5; match the substring, not the group name).
    AlreadyMember,
    /// 404 user or group not found; a new account may be invisible for a short time (§13).
    NotFound(String),
}

pub fn parse_add_user(resp: &HttpResponse) -> Result<Added> {
    match resp.status {
        200..=299 => Ok(Added::Added),
        400 if error_message(&resp.body)
            .to_ascii_lowercase()
            .contains("already a member") =>
        {
            Ok(Added::AlreadyMember)
        }
        404 => Ok(Added::NotFound(error_message(&resp.body))),
        _ => Err(map_error("groups.addUser", Surface::Jira, resp)),
    }
}

pub fn find_by_name(site: &str, name: &str) -> HttpRequest {
    HttpRequest::get(
        Surface::Jira,
        format!(
            "{site}/rest/api/3/group/bulk?groupName={}&maxResults=50",
            pct(name)
        ),
    )
}

pub fn find_by_id(site: &str, id: &str) -> HttpRequest {
    HttpRequest::get(
        Surface::Jira,
        format!(
            "{site}/rest/api/3/group/bulk?groupId={}&maxResults=50",
            pct(id)
        ),
    )
}

pub fn picker(site: &str, query: &str) -> HttpRequest {
    HttpRequest::get(
        Surface::Jira,
        format!(
            "{site}/rest/api/3/groups/picker?query={}&maxResults=50",
            pct(query)
        ),
    )
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub group_id: GroupId,
    pub name: String,
}

pub fn parse_bulk(resp: &HttpResponse) -> Result<Vec<Group>> {
    #[derive(Deserialize)]
    struct R {
        #[serde(default)]
        values: Vec<Group>,
    }
    Ok(decode::<R>("groups.find", Surface::Jira, resp)?.values)
}

pub fn parse_picker(resp: &HttpResponse) -> Result<Vec<Group>> {
    #[derive(Deserialize)]
    struct R {
        #[serde(default)]
        groups: Vec<Group>,
    }
    Ok(decode::<R>("groups.picker", Surface::Jira, resp)?.groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_add_treats_already_member_as_success() {
        let r = HttpResponse::new(
            400,
            r#"{"errorMessages":["Cannot add user. User is already a member of '{1}'"],"errors":{}}"#,
        );
        assert_eq!(parse_add_user(&r).unwrap(), Added::AlreadyMember);
        assert_eq!(
            parse_add_user(&HttpResponse::new(201, "{}")).unwrap(),
            Added::Added
        );
    }

    #[test]
    fn group_add_other_400_is_an_error_naming_the_message() {
        let r = HttpResponse::new(
            400,
            r#"{"errorMessages":["accountId is required"],"errors":{}}"#,
        );
        let e = parse_add_user(&r).unwrap_err();
        assert_eq!(
            e.to_string(),
            "groups.addUser (jira): HTTP 400: accountId is required"
        );
    }

    #[test]
    fn group_add_404_is_not_found() {
        let r = HttpResponse::new(404, r#"{"errorMessages":["User not found"],"errors":{}}"#);
        assert_eq!(
            parse_add_user(&r).unwrap(),
            Added::NotFound("User not found".into())
        );
    }

    #[test]
    fn add_user_request_shape() {
        let r = add_user(
            "https://s",
            &GroupId::new("g 1"),
            &AccountId::new("712020:a"),
        );
        assert_eq!(r.url, "https://s/rest/api/3/group/user?groupId=g%201");
        assert_eq!(r.body.as_deref(), Some(r#"{"accountId":"712020:a"}"#));
    }
}
