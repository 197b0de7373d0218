//! Jira users, documented: `GET /rest/api/3/user?accountId=` and `GET /rest/api/3/user/search`
//! (`atlassian-api.md` §4.1, §4.2), and an issue's reporter (`GET /rest/api/3/issue/{key}`).

use super::{decode, map_error};
use crate::error::Result;
use crate::http::{HttpRequest, HttpResponse, Surface};
use crate::ids::{pct, AccountId, IssueKey};
use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountType {
    Atlassian,
    App,
    /// A JSM portal-only customer.
    Customer,
    #[serde(other)]
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub account_id: AccountId,
    #[serde(default = "unknown")]
    pub account_type: AccountType,
    #[serde(default)]
    pub email_address: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

fn unknown() -> AccountType {
    AccountType::Unknown
}

impl User {
    /// The email, or the display name when it is an email (portal customers sometimes carry
    /// `emailAddress: ""` and the email as display name, §4.1).
    pub fn email(&self) -> Option<String> {
        [self.email_address.as_deref(), self.display_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .find(|e| crate::ids::is_email(e))
            .map(str::to_string)
    }
}

pub fn get(site: &str, id: &str) -> HttpRequest {
    HttpRequest::get(
        Surface::Jira,
        format!("{site}/rest/api/3/user?accountId={}", pct(id)),
    )
}

/// `None` for 404 (no such account, or a migrated `qm:` id, §13).
pub fn parse_get(resp: &HttpResponse) -> Result<Option<User>> {
    if resp.status == 404 {
        return Ok(None);
    }
    decode("users.get", Surface::Jira, resp).map(Some)
}

pub fn search(site: &str, query: &str) -> HttpRequest {
    HttpRequest::get(
        Surface::Jira,
        format!(
            "{site}/rest/api/3/user/search?query={}&startAt=0&maxResults=50",
            pct(query)
        ),
    )
}

pub fn parse_search(resp: &HttpResponse) -> Result<Vec<User>> {
    decode("users.search", Surface::Jira, resp)
}

/// The Atlassian account that holds `email` among search results (exact, case-insensitive).
pub fn atlassian_account_for(users: &[User], email: &str) -> Option<AccountId> {
    users
        .iter()
        .find(|u| {
            u.account_type == AccountType::Atlassian
                && u.email().is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .map(|u| u.account_id.clone())
}

pub fn issue_reporter(site: &str, issue: &IssueKey) -> HttpRequest {
    HttpRequest::get(
        Surface::Jira,
        format!(
            "{site}/rest/api/3/issue/{}?fields=reporter",
            pct(issue.as_str())
        ),
    )
}

pub fn parse_issue_reporter(resp: &HttpResponse) -> Result<Option<User>> {
    if !resp.is_success() {
        return Err(map_error("issues.get", Surface::Jira, resp));
    }
    let v: serde_json::Value = decode("issues.get", Surface::Jira, resp)?;
    match v.pointer("/fields/reporter") {
        Some(r) if !r.is_null() => serde_json::from_value(r.clone())
            .map(Some)
            .map_err(|e| crate::error::Error::decode("issues.get", e)),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_account_types_including_unknown_values() {
        let u = parse_get(&HttpResponse::new(200, r#"{"accountId":"qm:1","accountType":"customer","emailAddress":"","displayName":"a@b.example"}"#))
            .unwrap()
            .unwrap();
        assert_eq!(u.account_type, AccountType::Customer);
        assert_eq!(u.email().as_deref(), Some("a@b.example"));
        let u = parse_get(&HttpResponse::new(
            200,
            r#"{"accountId":"x","accountType":"robot"}"#,
        ))
        .unwrap()
        .unwrap();
        assert_eq!(u.account_type, AccountType::Unknown);
        assert_eq!(parse_get(&HttpResponse::new(404, "{}")).unwrap(), None);
        assert_eq!(
            parse_get(&HttpResponse::new(401, "{}"))
                .unwrap_err()
                .status(),
            Some(401)
        );
    }

    #[test]
    fn finds_only_an_atlassian_account_with_the_exact_email() {
        let users = parse_search(&HttpResponse::new(
            200,
            r#"[{"accountId":"qm:1","accountType":"customer","emailAddress":"ann@x.example"},
                {"accountId":"a2","accountType":"atlassian","emailAddress":"ann@x.example.org"},
                {"accountId":"a1","accountType":"atlassian","emailAddress":"Ann@X.example"}]"#,
        ))
        .unwrap();
        assert_eq!(
            atlassian_account_for(&users, "ann@x.example"),
            Some(AccountId::new("a1"))
        );
        assert_eq!(atlassian_account_for(&users, "bob@x.example"), None);
    }

    #[test]
    fn search_encodes_the_query() {
        assert_eq!(
            search("https://s", "a+b@x.io").url,
            "https://s/rest/api/3/user/search?query=a%2Bb%40x.io&startAt=0&maxResults=50"
        );
    }
}
