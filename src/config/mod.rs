//! The job configuration (the CLI's config file, the Forge app's settings, the Worker's JSON) and its
//! validation. Errors name the JSON path of the offending value.

use crate::client::{LimitConfig, RetryPolicy};
mod hosts;
mod keys;
mod validate;

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const DEFAULT_ADMIN_URL: &str = "https://admin.atlassian.com";
pub const DEFAULT_API_URL: &str = "https://api.atlassian.com";
pub const MAX_CONCURRENCY: u32 = 32;
pub const MAX_BULK_BATCH: u32 = 1000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    pub site_url: String,
    /// Custom host names that may receive the credentials besides Atlassian's own.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    #[serde(default)]
    pub admin_url: Option<String>,
    #[serde(default)]
    pub api_url: Option<String>,
    #[serde(default)]
    pub cloud_id: Option<String>,
    /// Absent on a site without Assets: no write-back, spaces only from `confluence.spaceBy*`.
    #[serde(default)]
    pub assets: Option<AssetsConfig>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub confluence: Option<ConfluenceConfig>,
    #[serde(default)]
    pub migrate: MigrateConfig,
    #[serde(default)]
    pub comment: CommentConfig,
    #[serde(default)]
    pub concurrency: Option<u32>,
    #[serde(default)]
    pub retry: RetryPolicy,
    /// Per-surface concurrency limits (`jira`, `assets`, `admin`, `confluence`).
    #[serde(default)]
    pub limits: BTreeMap<String, LimitConfig>,
    /// Default company keys for hosts that take none (the demo).
    #[serde(default)]
    pub companies: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssetsConfig {
    #[serde(default)]
    pub workspace_id: Option<String>,
    /// AQL with a `{company}` placeholder, replaced by the quoted, escaped company key.
    pub customer_query: String,
    /// The attribute (name or id) holding the customer's account id.
    pub portal_account_attribute: String,
    /// The attribute (name or id) holding the customer's email, used to reconcile a lost migrate answer.
    #[serde(default)]
    pub email_attribute: Option<String>,
    /// The customer object's attribute (name or id) holding its company key, so a customer found
    /// through any source gets its company (and so its space).
    #[serde(default)]
    pub company_attribute: Option<String>,
    /// AQL with `{company}` finding the company's object (for its Confluence space).
    #[serde(default)]
    pub company_query: Option<String>,
    /// The company attribute (name or id) holding the Confluence space key.
    #[serde(default)]
    pub space_key_attribute: Option<String>,
    /// Page size for AQL searches (the service may cap it).
    #[serde(default)]
    pub page_size: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfluenceConfig {
    /// Extra permissions after `read/space`, as `"key/target"` (e.g. `"create/page"`).
    #[serde(default)]
    pub permissions: Vec<String>,
    /// `rest` (default, documented v1 API) or `graphql` (internal `/cgraphql` mutation).
    #[serde(default)]
    pub mode: SpaceMode,
    /// Space key per JSM organization name, for customers whose company has no space.
    #[serde(default)]
    pub space_by_organization: BTreeMap<String, String>,
    /// Space key per email domain (`acme.com`), the last resort.
    #[serde(default)]
    pub space_by_email_domain: BTreeMap<String, String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SpaceMode {
    #[default]
    Rest,
    Graphql,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MigrateConfig {
    pub mode: MigrateMode,
    pub batch_size: u32,
    /// How long to poll for new accounts by email after a bulk call.
    pub poll_timeout_ms: u64,
}

impl Default for MigrateConfig {
    fn default() -> Self {
        Self {
            mode: MigrateMode::Bulk,
            batch_size: 100,
            poll_timeout_ms: 60_000,
        }
    }
}

/// `bulk` (the default) sends `bulk-migrate-to-atlassian-account`, which the admin UI itself sends even
/// for one customer; `single` the older per-customer route (atlassian-api.md §14).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MigrateMode {
    Single,
    #[default]
    Bulk,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct CommentConfig {
    pub enabled: bool,
    /// Internal note (`sd.public.comment` internal) rather than a reply the customer sees.
    pub internal: bool,
}

impl Default for CommentConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            internal: true,
        }
    }
}

/// The validated configuration with the derived values the engine needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub config: Config,
    pub site_url: String,
    pub admin_url: String,
    pub api_url: String,
    pub concurrency: u32,
    pub space_permissions: Vec<(String, String)>,
}

impl Config {
    /// Parses JSON text; errors name the JSON path.
    pub fn from_json(text: &str) -> Result<Settings> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            Error::config(
                if path == "." {
                    "$".into()
                } else {
                    format!("$.{path}")
                },
                keys::explain(e.into_inner().to_string()),
            )
        })?;
        config.validate()
    }

    pub fn from_value(v: serde_json::Value) -> Result<Settings> {
        Self::from_json(&v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> serde_json::Value {
        serde_json::json!({
            "siteUrl": "https://acme.atlassian.net/",
            "assets": {"customerQuery": "objectTypeId = 4 AND Company = {company}", "portalAccountAttribute": "91"},
            "groups": ["g1"]
        })
    }

    #[test]
    fn valid_config_gets_defaults() {
        let s = Config::from_value(minimal()).unwrap();
        assert_eq!(s.site_url, "https://acme.atlassian.net");
        assert_eq!(s.admin_url, DEFAULT_ADMIN_URL);
        assert_eq!(s.api_url, DEFAULT_API_URL);
        assert_eq!(s.concurrency, 4);
    }

    #[test]
    fn missing_field_names_the_path() {
        let mut v = minimal();
        v["assets"]
            .as_object_mut()
            .unwrap()
            .remove("portalAccountAttribute");
        let e = Config::from_value(v).unwrap_err();
        assert!(
            matches!(&e, Error::Config { path, message } if path == "$.assets" && message.contains("portalAccountAttribute")),
            "{e}"
        );
    }

    #[test]
    fn wrong_type_names_the_path() {
        let mut v = minimal();
        v["groups"] = serde_json::json!([1]);
        let e = Config::from_value(v).unwrap_err();
        assert!(
            matches!(&e, Error::Config { path, .. } if path == "$.groups[0]"),
            "{e}"
        );
    }

    #[test]
    fn unknown_field_is_rejected() {
        let mut v = minimal();
        v["sitUrl"] = "x".into();
        let e = Config::from_value(v).unwrap_err();
        assert!(e.to_string().contains("sitUrl"), "{e}");
    }

    #[test]
    fn query_needs_company_placeholder() {
        let mut v = minimal();
        v["assets"]["customerQuery"] = "objectTypeId = 4".into();
        let e = Config::from_value(v).unwrap_err();
        assert!(matches!(&e, Error::Config { path, .. } if path == "$.assets.customerQuery"));
    }

    #[test]
    fn concurrency_and_batch_bounds() {
        let mut v = minimal();
        v["concurrency"] = 0.into();
        assert!(
            matches!(Config::from_value(v).unwrap_err(), Error::Config { path, .. } if path == "$.concurrency")
        );
        let mut v = minimal();
        v["migrate"] = serde_json::json!({"mode": "bulk", "batchSize": 1001});
        assert!(
            matches!(Config::from_value(v).unwrap_err(), Error::Config { path, .. } if path == "$.migrate.batchSize")
        );
    }

    #[test]
    fn space_permissions_are_checked() {
        let mut v = minimal();
        v["confluence"] = serde_json::json!({"permissions": ["create/page", "administer/page"]});
        let e = Config::from_value(v).unwrap_err();
        assert!(
            matches!(&e, Error::Config { path, .. } if path == "$.confluence.permissions[1]"),
            "{e}"
        );
    }
}
