//! The migration request a host hands the core: which customers, where to report, dry run, deadline.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MigrationRequest {
    /// Company keys, each run through `assets.customerQuery`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub companies: Vec<String>,
    /// Portal account ids, account ids or emails.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customers: Vec<String>,
    /// A Confluence space per entry of `customers` (a `space` column of a customers file); it wins
    /// over every lookup.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub customer_spaces: BTreeMap<String, String>,
    /// The issue the job came from: its reporter is a customer (unless `reporter` is false) and it gets
    /// the summary comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<bool>,
    /// A custom AQL query selecting customer objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aql: Option<String>,
    /// Every portal-only customer in the directory, optionally filtered by email domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal_customers: Option<DirectoryFilter>,
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// Epoch ms after which no customer is started; the rest comes back as a continuation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirectoryFilter {
    #[serde(default)]
    pub email_domain: Option<String>,
}

impl MigrationRequest {
    pub fn from_value(v: serde_json::Value) -> Result<Self> {
        serde_json::from_str(&v.to_string()).map_err(|e| Error::request(e.to_string()))
    }

    /// Whether the request names any customers itself (else it means the config's companies).
    pub fn selects_any(&self) -> bool {
        !self.companies.is_empty()
            || !self.customers.is_empty()
            || self.issue_key.is_some()
            || self.aql.is_some()
            || self.portal_customers.is_some()
    }

    /// The companies to run: the request's, or the config's when the request selects nothing.
    pub fn companies_or<'a>(&'a self, config_companies: &'a [String]) -> &'a [String] {
        if self.selects_any() {
            &self.companies
        } else {
            config_companies
        }
    }

    pub fn validate(&self, default_companies: &[String]) -> Result<()> {
        for (i, c) in self.companies.iter().enumerate() {
            if c.trim().is_empty() || c.len() > 255 {
                return Err(Error::request(format!(
                    "companies[{i}] must be a non-empty key"
                )));
            }
            crate::api::assets::quote(c)?;
        }
        for (i, c) in self.customers.iter().enumerate() {
            if crate::ids::CustomerRef::parse(c).is_none() {
                return Err(Error::request(format!(
                    "customers[{i}] {c:?} is not a portal account id, account id or email"
                )));
            }
        }
        for (c, k) in &self.customer_spaces {
            if !self.customers.contains(c) {
                return Err(Error::request(format!(
                    "customerSpaces names {c:?}, which is not in customers"
                )));
            }
            crate::ids::SpaceKey::parse(k)
                .map_err(|m| Error::request(format!("customerSpaces[{c:?}]: {m}")))?;
        }
        if let Some(k) = &self.issue_key {
            let ok = !k.is_empty()
                && k.len() <= 64
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return Err(Error::request(format!(
                    "issueKey {k:?} is not an issue key"
                )));
            }
        }
        if let Some(a) = &self.aql {
            if a.trim().is_empty() {
                return Err(Error::request("aql must not be empty"));
            }
        }
        if let Some(c) = self.concurrency {
            if !(1..=crate::config::MAX_CONCURRENCY).contains(&c) {
                return Err(Error::request(format!(
                    "concurrency must be between 1 and {}",
                    crate::config::MAX_CONCURRENCY
                )));
            }
        }
        if let Some(j) = &self.job_id {
            if j.is_empty()
                || j.len() > 64
                || !j
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(Error::request(
                    "jobId must be 1-64 letters, digits, '-' or '_'",
                ));
            }
        }
        if !self.selects_any() && default_companies.is_empty() {
            return Err(Error::request("no customers selected: give companies, customers, an issue, an AQL query or the portal directory"));
        }
        Ok(())
    }

    /// The job's id: its own, or the one derived from its content.
    pub fn job_id(&self) -> crate::ids::JobId {
        match &self.job_id {
            Some(j) => crate::ids::JobId::new(j.clone()),
            None => self.derive_job_id(),
        }
    }

    /// What the request selects and reports, without its run options (dry run, deadline,
    /// concurrency, job id): two requests with the same canonical text are the same job.
    pub fn canonical(&self) -> String {
        let mut canon = self.clone();
        canon.dry_run = false;
        canon.deadline_ms = None;
        canon.concurrency = None;
        canon.job_id = None;
        canon.companies.sort();
        canon.customers.sort();
        serde_json::to_string(&canon).unwrap_or_default()
    }

    /// Whether a job record's stored request is this request (a job id belongs to its request).
    pub fn same_job_as(&self, stored: &serde_json::Value) -> bool {
        Self::from_value(stored.clone()).is_ok_and(|r| r.canonical() == self.canonical())
    }

    /// A stable id for the job: the same request gives the same job, so a re-run or a resumed run
    /// never repeats the job's comment.
    pub fn derive_job_id(&self) -> crate::ids::JobId {
        let text = self.canonical();
        let mut h: u64 = 0xcbf29ce484222325;
        for b in text.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
        crate::ids::JobId(format!("job-{h:016x}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_id_ignores_order_and_run_options() {
        let a = MigrationRequest {
            companies: vec!["B".into(), "A".into()],
            dry_run: true,
            ..Default::default()
        };
        let b = MigrationRequest {
            companies: vec!["A".into(), "B".into()],
            deadline_ms: Some(5),
            ..Default::default()
        };
        assert_eq!(a.derive_job_id(), b.derive_job_id());
        let c = MigrationRequest {
            companies: vec!["A".into()],
            ..Default::default()
        };
        assert_ne!(a.derive_job_id(), c.derive_job_id());
    }

    #[test]
    fn bad_inputs_are_named() {
        let r = MigrationRequest {
            customers: vec!["nope nope".into()],
            ..Default::default()
        };
        assert_eq!(
            r.validate(&[]).unwrap_err().to_string(),
            "request: customers[0] \"nope nope\" is not a portal account id, account id or email"
        );
        let r = MigrationRequest {
            companies: vec!["A\\B".into()],
            ..Default::default()
        };
        assert!(r
            .validate(&[])
            .unwrap_err()
            .to_string()
            .contains("backslash"));
        assert!(MigrationRequest::default()
            .validate(&[])
            .unwrap_err()
            .to_string()
            .contains("no customers selected"));
        let e = MigrationRequest::from_value(serde_json::json!({"companys": ["A"]})).unwrap_err();
        assert!(e.to_string().contains("companys"), "{e}");
    }
}
