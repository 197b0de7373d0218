//! The admin gateway's internal customer-management ("noeyeball") endpoints. UNDOCUMENTED: shapes come
//! from public code and a community thread (`atlassian-api.md` §2); §13 says what the client must do
//! whichever way the real service behaves.

use super::{Op, Urls};
use crate::error::{Error, Result};
use crate::http::{HttpRequest, RetryClass, Surface};
use crate::ids::{pct, AccountId, PortalCustomerId};
use crate::page::Page;
use serde::Deserialize;
use serde_json::json;

pub const MIGRATE: &str = "customers.migrate";
pub const BULK_MIGRATE: &str = "customers.bulkMigrate";

/// What a single migrate answer means.
#[derive(Clone, Debug, PartialEq)]
pub enum Migrated {
    /// 2xx; the new account id when the body carried `aaUser.accountId` (else find it by email).
    Done(Option<AccountId>),
    /// 4xx saying the id is no longer a local customer: check whether it is already migrated (§13).
    NotLocalCustomer(Error),
    /// 404: the `qm:` id does not exist. Permanent.
    NotFound(Error),
}

/// `PUT .../local-servicedesk-user/migrate-to-atlassian-account-user/{qmId}`, no body (§2.2). The one
/// irreversible call: never resent blindly.
pub fn migrate(urls: &Urls, id: &PortalCustomerId) -> Op<Migrated> {
    let mut req = HttpRequest::new(
        Surface::Admin,
        "PUT",
        format!(
            "{}/local-servicedesk-user/migrate-to-atlassian-account-user/{}",
            urls.customers,
            pct(id.as_str())
        ),
    );
    req.headers
        .insert("content-type".into(), "application/json".into());
    Op::new(MIGRATE, RetryClass::Never, req, |r| match r.status() {
        200..=299 => {
            let id = serde_json::from_str::<serde_json::Value>(&r.resp.body)
                .ok()
                .and_then(|v| {
                    v.pointer("/aaUser/accountId")
                        .and_then(|a| a.as_str())
                        .map(str::to_string)
                })
                // An id the answer names is believed only in the documented shape (§6); else
                // the new account is looked for by email.
                .filter(|s| crate::ids::is_account_id(s))
                .map(AccountId::new);
            Ok(Migrated::Done(id))
        }
        404 => Ok(Migrated::NotFound(r.error())),
        400 | 409 | 422 => Ok(Migrated::NotLocalCustomer(r.error())),
        _ => Err(r.error()),
    })
}

/// `PUT .../bulk-migrate-to-atlassian-account` with at most 1,000 ids (§2.3). The body of the answer is
/// not relied on: new accounts are found by email afterwards (§13).
pub fn bulk_migrate(urls: &Urls, ids: &[PortalCustomerId]) -> Result<Op<()>> {
    if ids.is_empty() || ids.len() > 1000 {
        return Err(Error::request(format!(
            "a bulk migrate takes 1 to 1000 ids, not {}",
            ids.len()
        )));
    }
    Ok(Op::new(
        BULK_MIGRATE,
        RetryClass::Never,
        HttpRequest::json(
            Surface::Admin,
            "PUT",
            format!(
                "{}/local-servicedesk-user/bulk-migrate-to-atlassian-account",
                urls.customers
            ),
            &json!({ "customerAccountIds": ids }),
        ),
        |r| r.ok(),
    ))
}

/// A directory entry. Its fields are not documented (§2.1): the id may come as `username` (seen),
/// `accountId` or `id`; an entry with none of them is kept so it can be reported.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalCustomer {
    #[serde(default)]
    username: Option<PortalCustomerId>,
    #[serde(default)]
    account_id: Option<PortalCustomerId>,
    #[serde(default)]
    id: Option<PortalCustomerId>,
    #[serde(default)]
    pub email_address: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

impl LocalCustomer {
    pub fn id(&self) -> Option<&PortalCustomerId> {
        [&self.username, &self.account_id, &self.id]
            .into_iter()
            .flatten()
            .find(|i| !i.is_empty())
    }

    /// What identifies the entry in a listing, with or without an id.
    pub fn key(&self) -> String {
        match self.id() {
            Some(i) => i.0.clone(),
            None => format!(
                "no id: {} {}",
                self.email_address.as_deref().unwrap_or(""),
                self.display_name.as_deref().unwrap_or("")
            ),
        }
    }
}

/// `GET .../local-servicedesk-user?active-filter=active&start-index&max-results` (§2.1). No total or
/// isLast is known for this endpoint, and the service may cap `max-results` silently.
pub fn list(urls: &Urls, start: u64, max: u32) -> Op<Page<LocalCustomer>> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct R {
        #[serde(default)]
        local_customers: Vec<LocalCustomer>,
    }
    Op::safe(
        "customers.list",
        HttpRequest::get(
            Surface::Admin,
            format!(
                "{}/local-servicedesk-user?active-filter=active&start-index={start}&max-results={max}",
                urls.customers
            ),
        ),
        |r| Ok(Page::new(r.json::<R>()?.local_customers, None, None)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::testing::answer;

    fn urls() -> Urls {
        Urls {
            site: "https://s".into(),
            customers: "https://a/noeyeball/1".into(),
            assets: "https://api/ws/v1".into(),
        }
    }

    #[test]
    fn migrate_encodes_the_id_and_sends_no_body() {
        let op = migrate(&urls(), &PortalCustomerId::new("qm:ab:cd"));
        assert_eq!(op.class, RetryClass::Never);
        assert_eq!(op.request.method, "PUT");
        assert_eq!(op.request.url, "https://a/noeyeball/1/local-servicedesk-user/migrate-to-atlassian-account-user/qm%3Aab%3Acd");
        assert_eq!(op.request.body, None);
    }

    #[test]
    fn migrate_answer_with_and_without_account_id() {
        let op = migrate(&urls(), &PortalCustomerId::new("qm:x"));
        assert_eq!(
            answer(
                &op,
                200,
                r#"{"aaUser":{"accountId":"712020:n","emailAddress":"a@b.c"}}"#
            )
            .unwrap(),
            Migrated::Done(Some(AccountId::new("712020:n")))
        );
        assert_eq!(answer(&op, 200, "").unwrap(), Migrated::Done(None));
        assert_eq!(answer(&op, 204, "{}").unwrap(), Migrated::Done(None));
        for hostile in ["../../rest/api/3/x?y#z", "\t=HYPERLINK(\"x\")"] {
            let body = serde_json::json!({"aaUser": {"accountId": hostile}}).to_string();
            assert_eq!(
                answer(&op, 200, &body).unwrap(),
                Migrated::Done(None),
                "{hostile}"
            );
        }
        let long = serde_json::json!({"aaUser": {"accountId": "a".repeat(200_000)}}).to_string();
        assert_eq!(answer(&op, 200, &long).unwrap(), Migrated::Done(None));
    }

    #[test]
    fn migrate_of_a_non_local_customer_is_not_a_plain_failure() {
        let op = migrate(&urls(), &PortalCustomerId::new("qm:x"));
        let not_local = answer(
            &op,
            400,
            r#"{"errorMessages":["qm:x is not a local customer"],"errors":{}}"#,
        );
        assert!(matches!(
            not_local.unwrap(),
            Migrated::NotLocalCustomer(e) if e.to_string() == "customers.migrate (admin): HTTP 400: qm:x is not a local customer"
        ));
        assert!(matches!(
            answer(&op, 404, "{}").unwrap(),
            Migrated::NotFound(_)
        ));
        assert_eq!(answer(&op, 403, "no").unwrap_err().status(), Some(403));
    }

    #[test]
    fn bulk_rejects_more_than_1000_ids() {
        let ids: Vec<PortalCustomerId> = (0..1001)
            .map(|i| PortalCustomerId::new(format!("qm:{i}")))
            .collect();
        assert!(bulk_migrate(&urls(), &ids).is_err());
        let op = bulk_migrate(&urls(), &ids[..2]).unwrap();
        assert_eq!(
            op.request.body.as_deref(),
            Some(r#"{"customerAccountIds":["qm:0","qm:1"]}"#)
        );
    }

    #[test]
    fn list_reads_local_customers_without_paging_fields() {
        let body =
            r#"{"localCustomers":[{"username":"qm:1","emailAddress":"a@b.c","displayName":"A"}]}"#;
        let p = answer(&list(&urls(), 7, 500), 200, body).unwrap();
        assert_eq!((p.is_last, p.total), (None, None));
        assert_eq!(p.items[0].email_address.as_deref(), Some("a@b.c"));
        assert_eq!(p.items[0].id().map(|i| i.as_str()), Some("qm:1"));
    }

    #[test]
    fn a_directory_entry_may_name_its_id_three_ways_or_not_at_all() {
        let body =
            r#"{"localCustomers":[{"accountId":"qm:2"},{"id":"qm:3"},{"emailAddress":"x@y.z"}]}"#;
        let p = answer(&list(&urls(), 0, 500), 200, body).unwrap();
        let ids: Vec<Option<&str>> = p.items.iter().map(|c| c.id().map(|i| i.as_str())).collect();
        assert_eq!(ids, vec![Some("qm:2"), Some("qm:3"), None]);
        assert_eq!(p.items[2].key(), "no id: x@y.z ");
    }
}
