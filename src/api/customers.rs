//! The admin gateway's internal customer-management ("noeyeball") endpoints. UNDOCUMENTED: shapes come
//! from public code and a community thread (`atlassian-api.md` §2); §13 says what the client must do
//! whichever way the real service behaves.

use super::{decode, error_message, map_error};
use crate::error::{Error, Result};
use crate::http::{HttpRequest, HttpResponse, Surface};
use crate::ids::{pct, AccountId, PortalCustomerId};
use crate::page::Page;
use serde::Deserialize;
use serde_json::json;

/// `PUT .../local-servicedesk-user/migrate-to-atlassian-account-user/{qmId}`, no body (§2.2).
pub fn migrate(base: &str, id: &PortalCustomerId) -> HttpRequest {
    let mut r = HttpRequest::new(
        Surface::Admin,
        "PUT",
        format!(
            "{base}/local-servicedesk-user/migrate-to-atlassian-account-user/{}",
            pct(id.as_str())
        ),
    );
    r.headers
        .insert("content-type".into(), "application/json".into());
    r
}

/// What a single migrate answer means.
#[derive(Clone, Debug, PartialEq)]
pub enum Migrated {
    /// 2xx; the new account id when the body carried `aaUser.accountId` (else find it by email).
    Done(Option<AccountId>),
    /// 4xx saying the id is no longer a local customer: check whether it is already migrated (§13).
    NotLocalCustomer(String),
    /// 404: the `qm:` id does not exist. Permanent.
    NotFound(String),
}

pub fn parse_migrate(resp: &HttpResponse) -> Result<Migrated> {
    match resp.status {
        200..=299 => {
            let id = serde_json::from_str::<serde_json::Value>(&resp.body)
                .ok()
                .and_then(|v| {
                    v.pointer("/aaUser/accountId")
                        .and_then(|a| a.as_str())
                        .map(str::to_string)
                })
                .filter(|s| !s.is_empty())
                .map(AccountId::new);
            Ok(Migrated::Done(id))
        }
        404 => Ok(Migrated::NotFound(error_message(&resp.body))),
        400 | 409 | 422 => Ok(Migrated::NotLocalCustomer(error_message(&resp.body))),
        _ => Err(map_error("customers.migrate", Surface::Admin, resp)),
    }
}

/// `PUT .../bulk-migrate-to-atlassian-account` with at most 1,000 ids (§2.3). The body of the answer is
/// not relied on: new accounts are found by email afterwards (§13).
pub fn bulk_migrate(base: &str, ids: &[PortalCustomerId]) -> Result<HttpRequest> {
    if ids.is_empty() || ids.len() > 1000 {
        return Err(Error::request(format!(
            "a bulk migrate takes 1 to 1000 ids, not {}",
            ids.len()
        )));
    }
    Ok(HttpRequest::json(
        Surface::Admin,
        "PUT",
        format!("{base}/local-servicedesk-user/bulk-migrate-to-atlassian-account"),
        &json!({ "customerAccountIds": ids }),
    ))
}

pub fn parse_bulk(resp: &HttpResponse) -> Result<()> {
    if resp.is_success() {
        Ok(())
    } else {
        Err(map_error("customers.bulkMigrate", Surface::Admin, resp))
    }
}

/// `GET .../local-servicedesk-user?active-filter=active&start-index&max-results` (§2.1).
pub fn list(base: &str, start: u64, max: u32) -> HttpRequest {
    HttpRequest::get(
        Surface::Admin,
        format!("{base}/local-servicedesk-user?active-filter=active&start-index={start}&max-results={max}"),
    )
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalCustomer {
    pub username: PortalCustomerId,
    #[serde(default)]
    pub email_address: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// No total or isLast is known for this endpoint, and the service may cap `max-results` silently, so
/// only an empty page ends the listing (§13).
pub fn parse_list(resp: &HttpResponse, start: u64) -> Result<Page<LocalCustomer>> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct R {
        #[serde(default)]
        local_customers: Vec<LocalCustomer>,
    }
    let r: R = decode("customers.list", Surface::Admin, resp)?;
    Ok(Page::offset(r.local_customers, start, None, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrate_encodes_the_id_and_sends_no_body() {
        let r = migrate("https://a/noeyeball/1", &PortalCustomerId::new("qm:ab:cd"));
        assert_eq!(r.method, "PUT");
        assert_eq!(r.url, "https://a/noeyeball/1/local-servicedesk-user/migrate-to-atlassian-account-user/qm%3Aab%3Acd");
        assert_eq!(r.body, None);
    }

    #[test]
    fn migrate_answer_with_and_without_account_id() {
        let ok = HttpResponse::new(
            200,
            r#"{"aaUser":{"accountId":"712020:n","emailAddress":"a@b.c"}}"#,
        );
        assert_eq!(
            parse_migrate(&ok).unwrap(),
            Migrated::Done(Some(AccountId::new("712020:n")))
        );
        assert_eq!(
            parse_migrate(&HttpResponse::new(200, "")).unwrap(),
            Migrated::Done(None)
        );
        assert_eq!(
            parse_migrate(&HttpResponse::new(204, "{}")).unwrap(),
            Migrated::Done(None)
        );
    }

    #[test]
    fn migrate_of_a_non_local_customer_is_not_a_plain_failure() {
        let r = HttpResponse::new(
            400,
            r#"{"errorMessages":["qm:x is not a local customer"],"errors":{}}"#,
        );
        assert_eq!(
            parse_migrate(&r).unwrap(),
            Migrated::NotLocalCustomer("qm:x is not a local customer".into())
        );
        assert!(matches!(
            parse_migrate(&HttpResponse::new(404, "{}")).unwrap(),
            Migrated::NotFound(_)
        ));
        assert_eq!(
            parse_migrate(&HttpResponse::new(403, "no"))
                .unwrap_err()
                .status(),
            Some(403)
        );
    }

    #[test]
    fn bulk_rejects_more_than_1000_ids() {
        let ids: Vec<PortalCustomerId> = (0..1001)
            .map(|i| PortalCustomerId::new(format!("qm:{i}")))
            .collect();
        assert!(bulk_migrate("b", &ids).is_err());
        let r = bulk_migrate("b", &ids[..2]).unwrap();
        assert_eq!(
            r.body.as_deref(),
            Some(r#"{"customerAccountIds":["qm:0","qm:1"]}"#)
        );
    }

    #[test]
    fn list_pages_until_an_empty_page_as_max_results_may_be_capped() {
        let body =
            r#"{"localCustomers":[{"username":"qm:1","emailAddress":"a@b.c","displayName":"A"}]}"#;
        let p = parse_list(&HttpResponse::new(200, body), 7).unwrap();
        assert_eq!(p.next_offset(), Some(8));
        assert_eq!(p.items[0].email_address.as_deref(), Some("a@b.c"));
        let p = parse_list(&HttpResponse::new(200, r#"{"localCustomers":[]}"#), 8).unwrap();
        assert_eq!(p.next_offset(), None);
    }
}
