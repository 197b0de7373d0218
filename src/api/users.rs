//! Jira users, documented: `GET /rest/api/3/user?accountId=`, `GET /rest/api/3/user/search` and
//! `GET /rest/api/3/user/bulk` (`atlassian-api.md` §4.1–§4.3), and an issue's reporter
//! (`GET /rest/api/3/issue/{key}`).

use super::Op;
use crate::http::{HttpRequest, Surface};
use crate::ids::{pct, AccountId, IssueKey};
use crate::page::{bool_or_string, Page};
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

pub const GET: &str = "users.get";
pub const SEARCH: &str = "users.search";
pub const BULK: &str = "users.bulk";

/// Ids per `user/bulk` call. Jira's spec documents no maximum (SPEC-JIRA `bulkGetUsers`: `accountId`
/// repeated, `maxResults` default 10); its Confluence twin documents 200 and can fail at 200
/// (CONFCLOUD-76880), and long query strings get 400 or 414 (JRACLOUD-78790). So: at most 100 ids,
/// and at most 8 KB of URL (about 100 `qm:` ids).
pub const BULK_MAX_IDS: usize = 100;
pub const BULK_MAX_URL: usize = 8 * 1024;

/// `GET /rest/api/3/user?accountId=`; `None` for 404 (no such account, or a migrated `qm:` id, §13).
pub fn get(site: &str, id: &str) -> Op<Option<User>> {
    Op::safe(
        GET,
        HttpRequest::get(
            Surface::Jira,
            format!("{site}/rest/api/3/user?accountId={}", pct(id)),
        ),
        |r| {
            if r.status() == 404 {
                return Ok(None);
            }
            let u: User = r.json()?;
            if u.account_type == AccountType::Atlassian && !crate::ids::is_account_id(&u.account_id)
            {
                return Err(r.unreadable(format!(
                    "account id {:?} is not an account id",
                    crate::redact::short(&u.account_id)
                )));
            }
            Ok(Some(u))
        },
    )
}

/// `GET /rest/api/3/user/search?query=` (a bare array, active users only, §4.2).
pub fn search(site: &str, query: &str) -> Op<Vec<User>> {
    Op::safe(
        SEARCH,
        HttpRequest::get(
            Surface::Jira,
            format!(
                "{site}/rest/api/3/user/search?query={}&startAt=0&maxResults=50",
                pct(query)
            ),
        ),
        // Accounts whose id is not an account id are dropped: they can prove nothing.
        |r| {
            let users: Vec<User> = r.json()?;
            Ok(users
                .into_iter()
                .filter(|u| {
                    u.account_type != AccountType::Atlassian
                        || crate::ids::is_account_id(&u.account_id)
                })
                .collect())
        },
    )
}

/// `GET /rest/api/3/user/bulk?startAt&maxResults&accountId=…` (§4.3): one page of the users behind
/// `ids` (asked all on one page; the service may cap it). `isLast` decides when present, a `nextPage`
/// means more; `total` is not relied on (the spec calls it "the number of items returned"): the
/// listing holds at most one user per id asked, which bounds the walk.
pub fn bulk(site: &str, ids: &[String], start_at: u64) -> Op<Page<User>> {
    let mut url = format!(
        "{site}/rest/api/3/user/bulk?startAt={start_at}&maxResults={}",
        ids.len()
    );
    for id in ids {
        url.push_str("&accountId=");
        url.push_str(&pct(id));
    }
    let asked = ids.len() as u64;
    Op::safe(BULK, HttpRequest::get(Surface::Jira, url), move |r| {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct R {
            #[serde(default)]
            values: Vec<User>,
            #[serde(default, deserialize_with = "bool_or_string")]
            is_last: Option<bool>,
            #[serde(default)]
            next_page: Option<serde_json::Value>,
        }
        let p: R = r.json()?;
        let is_last = p
            .is_last
            .or(p.next_page.filter(|n| !n.is_null()).map(|_| false));
        Ok(Page::new(p.values, is_last, Some(asked)))
    })
}

/// Splits `ids` into `bulk` calls of at most [`BULK_MAX_IDS`] ids and [`BULK_MAX_URL`] bytes of URL.
pub fn bulk_batches(site: &str, ids: Vec<String>) -> Vec<Vec<String>> {
    let base = format!("{site}/rest/api/3/user/bulk?startAt=0000000000&maxResults=000").len();
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut len = base;
    for id in ids {
        let add = "&accountId=".len() + pct(&id).len();
        match out.last_mut() {
            Some(b) if b.len() < BULK_MAX_IDS && len + add <= BULK_MAX_URL => b.push(id),
            _ => {
                len = base;
                out.push(vec![id]);
            }
        }
        len += add;
    }
    out
}

/// The Atlassian account an exact-email search found: the one whose email matches (case-insensitive),
/// or, when profile visibility hides every email, the only Atlassian account the search returned
/// (an exact-email `query` still matches hidden emails, atlassian-api.md §14). Two candidates prove
/// nothing.
pub fn atlassian_account_for(users: &[User], email: &str) -> Option<AccountId> {
    let atlassian: Vec<&User> = users
        .iter()
        .filter(|u| u.account_type == AccountType::Atlassian)
        .collect();
    let exact: Vec<&&User> = atlassian
        .iter()
        .filter(|u| u.email().is_some_and(|e| e.eq_ignore_ascii_case(email)))
        .collect();
    match exact.as_slice() {
        [one] => return Some(one.account_id.clone()),
        [] => {}
        _ => return None,
    }
    let hidden: Vec<&&User> = atlassian.iter().filter(|u| u.email().is_none()).collect();
    match hidden.as_slice() {
        [one] if atlassian.len() == 1 => Some(one.account_id.clone()),
        _ => None,
    }
}

/// The portal-only customer an exact-email search found.
pub fn portal_customer_for(users: &[User], email: &str) -> Option<AccountId> {
    users
        .iter()
        .find(|u| {
            u.account_type == AccountType::Customer
                && u.email().is_some_and(|m| m.eq_ignore_ascii_case(email))
        })
        .map(|u| u.account_id.clone())
}

/// `GET /rest/api/3/issue/{key}?fields=reporter`: the reporter, `None` when the issue has none.
pub fn issue_reporter(site: &str, issue: &IssueKey) -> Op<Option<User>> {
    let key = issue.0.clone();
    Op::safe(
        "issues.get",
        HttpRequest::get(
            Surface::Jira,
            format!(
                "{site}/rest/api/3/issue/{}?fields=reporter",
                pct(issue.as_str())
            ),
        ),
        move |r| {
            // Jira answers 404 for an issue that does not exist or that the account may not see
            // (developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-get).
            if r.status() == 404 {
                return Err(crate::error::Error::request(format!(
                    "issue {key} does not exist, or the account cannot see it ({}: HTTP 404: {})",
                    r.op,
                    r.message()
                )));
            }
            let v: serde_json::Value = r.json()?;
            match v.pointer("/fields/reporter") {
                Some(u) if !u.is_null() => serde_json::from_value(u.clone())
                    .map(Some)
                    .map_err(|e| r.unreadable(e)),
                _ => Ok(None),
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::testing::answer;

    #[test]
    fn parses_account_types_including_unknown_values() {
        let op = get("https://s", "qm:1");
        let u = answer(&op, 200, r#"{"accountId":"qm:1","accountType":"customer","emailAddress":"","displayName":"a@b.example"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(u.account_type, AccountType::Customer);
        assert_eq!(u.email().as_deref(), Some("a@b.example"));
        let u = answer(&op, 200, r#"{"accountId":"x","accountType":"robot"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(u.account_type, AccountType::Unknown);
        assert_eq!(answer(&op, 404, "{}").unwrap(), None);
        assert_eq!(answer(&op, 401, "{}").unwrap_err().status(), Some(401));
    }

    #[test]
    fn finds_only_an_atlassian_account_with_the_exact_email() {
        let users = answer(
            &search("https://s", "ann@x.example"),
            200,
            r#"[{"accountId":"qm:1","accountType":"customer","emailAddress":"ann@x.example"},
                {"accountId":"a2","accountType":"atlassian","emailAddress":"ann@x.example.org"},
                {"accountId":"a1","accountType":"atlassian","emailAddress":"Ann@X.example"}]"#,
        )
        .unwrap();
        assert_eq!(
            atlassian_account_for(&users, "ann@x.example"),
            Some(AccountId::new("a1"))
        );
        assert_eq!(atlassian_account_for(&users, "bob@x.example"), None);
    }

    #[test]
    fn a_hidden_email_is_accepted_only_from_the_one_atlassian_account_found() {
        let one = answer(
            &search("https://s", "ann@x.example"),
            200,
            r#"[{"accountId":"a1","accountType":"atlassian"}]"#,
        )
        .unwrap();
        assert_eq!(
            atlassian_account_for(&one, "ann@x.example"),
            Some(AccountId::new("a1"))
        );
        let two = answer(
            &search("https://s", "ann@x.example"),
            200,
            r#"[{"accountId":"a1","accountType":"atlassian"},{"accountId":"a2","accountType":"atlassian"}]"#,
        )
        .unwrap();
        assert_eq!(atlassian_account_for(&two, "ann@x.example"), None);
    }

    #[test]
    fn bulk_pages_say_when_they_end_and_are_bounded_by_the_ids_asked() {
        let ids = vec!["qm:1".to_string(), "a1".to_string()];
        let op = bulk("https://s", &ids, 0);
        assert_eq!(
            op.request.url,
            "https://s/rest/api/3/user/bulk?startAt=0&maxResults=2&accountId=qm%3A1&accountId=a1"
        );
        let page = |body: &str| answer(&op, 200, body).unwrap();
        let p = page(
            r#"{"isLast":"false","total":"9","values":[{"accountId":"qm:1","accountType":"customer"}]}"#,
        );
        assert_eq!(
            (p.items.len(), p.is_last, p.total),
            (1, Some(false), Some(2))
        );
        let p = page(r#"{"nextPage":"https://s/next","values":[]}"#);
        assert_eq!(p.is_last, Some(false), "a next page means more");
        let p = page(r#"{"values":[]}"#);
        assert_eq!(p.is_last, None, "nothing said: the walker decides");
        assert!(answer(&op, 400, "{}").is_err());
    }

    #[test]
    fn bulk_batches_keep_urls_short() {
        let ids: Vec<String> = (0..250)
            .map(|i| format!("qm:00000000-0000-4000-8000-{i:012}:{i:024}"))
            .collect();
        let batches = bulk_batches("https://acme.atlassian.net", ids.clone());
        assert_eq!(batches.concat(), ids, "every id once, in order");
        for b in &batches {
            assert!(b.len() <= BULK_MAX_IDS);
            assert!(
                bulk("https://acme.atlassian.net", b, 1_000_000)
                    .request
                    .url
                    .len()
                    <= BULK_MAX_URL
            );
        }
        assert_eq!(batches.len(), 3);
        let short: Vec<String> = (0..250).map(|i| format!("{i:024}")).collect();
        let b = bulk_batches("https://acme.atlassian.net", short);
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), [100, 100, 50]);
    }

    #[test]
    fn search_encodes_the_query() {
        assert_eq!(
            search("https://s", "a+b@x.io").request.url,
            "https://s/rest/api/3/user/search?query=a%2Bb%40x.io&startAt=0&maxResults=50"
        );
    }
}
