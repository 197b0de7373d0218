//! JSM organizations (`atlassian-api.md` §5, documented servicedeskapi): the organizations a
//! customer belongs to, for `confluence.spaceByOrganization`.

use super::Op;
use crate::http::{HttpRequest, Surface};
use crate::page::{bool_or_string, Page};
use serde::Deserialize;

pub const OF_ACCOUNT: &str = "organizations.ofAccount";

/// The JSM page size this asks for; the service may send fewer (`limit` defaults to 50, §5).
pub const PAGE: u32 = 50;

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Organization {
    #[serde(deserialize_with = "crate::ids::string_or_number")]
    pub id: String,
    pub name: String,
}

/// `GET /rest/servicedeskapi/organization?accountId=&start=&limit=`: one page of the organizations
/// `account` is a member of. A 4xx for an id the service no longer knows (a migrated `qm:` id) is
/// an empty page: that id simply belongs to no organization any more.
pub fn of_account(site: &str, account: &str, start: u64) -> Op<Page<Organization>> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct P {
        #[serde(default)]
        values: Vec<Organization>,
        #[serde(default, deserialize_with = "bool_or_string")]
        is_last_page: Option<bool>,
    }
    Op::safe(
        OF_ACCOUNT,
        HttpRequest::get(
            Surface::Jira,
            format!(
                "{site}/rest/servicedeskapi/organization?accountId={}&start={start}&limit={PAGE}",
                crate::ids::pct(account)
            ),
        ),
        |r| match r.status() {
            400 | 404 => Ok(Page::new(Vec::new(), Some(true), None)),
            _ => {
                let p = r.json::<P>()?;
                Ok(Page::new(p.values, p.is_last_page, None))
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::testing::answer;

    #[test]
    fn reads_a_jsm_page_and_treats_an_unknown_id_as_no_organization() {
        let op = of_account("https://s", "qm:a:b", 0);
        assert_eq!(
            op.request.url,
            "https://s/rest/servicedeskapi/organization?accountId=qm%3Aa%3Ab&start=0&limit=50"
        );
        let body = r#"{"size":1,"start":0,"limit":50,"isLastPage":"true","values":[{"id":7,"name":"Acme Corp"}]}"#;
        let p = answer(&op, 200, body).unwrap();
        assert_eq!(p.items[0].name, "Acme Corp");
        assert_eq!(p.items[0].id, "7");
        assert_eq!(p.is_last, Some(true));
        assert!(answer(&op, 404, "").unwrap().items.is_empty());
        assert!(
            answer(&op, 403, "{}").is_err(),
            "a refusal is an error, not 'no organization'"
        );
    }
}
