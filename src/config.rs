//! The job configuration (the CLI's config file, the Forge app's settings, the Worker's JSON) and its
//! validation. Errors name the JSON path of the offending value.

use crate::client::{LimitConfig, RetryPolicy};
use crate::error::{Error, Result};
use crate::origin::Origin;
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
    #[serde(default)]
    pub admin_url: Option<String>,
    #[serde(default)]
    pub api_url: Option<String>,
    #[serde(default)]
    pub cloud_id: Option<String>,
    pub assets: AssetsConfig,
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

impl Settings {
    /// The exact origins that may receive the Atlassian credentials: the site, the admin gateway and
    /// the API host. Hosts compare parsed origins against these, never strings.
    pub fn credential_origins(&self) -> Vec<Origin> {
        let mut out: Vec<Origin> = [&self.site_url, &self.admin_url, &self.api_url]
            .iter()
            .filter_map(|u| Origin::of(u).ok())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Whether a request to `url` may carry the credentials.
    pub fn may_receive_credentials(&self, url: &str) -> bool {
        Origin::of(url).is_ok_and(|o| self.credential_origins().contains(&o))
    }
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
                e.into_inner().to_string(),
            )
        })?;
        config.validate()
    }

    pub fn from_value(v: serde_json::Value) -> Result<Settings> {
        Self::from_json(&v.to_string())
    }

    pub fn validate(self) -> Result<Settings> {
        let site_url = base_url("$.siteUrl", &self.site_url)?;
        let admin_url = base_url(
            "$.adminUrl",
            self.admin_url.as_deref().unwrap_or(DEFAULT_ADMIN_URL),
        )?;
        let api_url = base_url(
            "$.apiUrl",
            self.api_url.as_deref().unwrap_or(DEFAULT_API_URL),
        )?;
        if let Some(c) = &self.cloud_id {
            token("$.cloudId", c)?;
        }
        if let Some(w) = &self.assets.workspace_id {
            token("$.assets.workspaceId", w)?;
        }
        let q = &self.assets.customer_query;
        if q.trim().is_empty() {
            return Err(Error::config("$.assets.customerQuery", "must not be empty"));
        }
        if !q.contains("{company}") {
            return Err(Error::config(
                "$.assets.customerQuery",
                "must contain the {company} placeholder",
            ));
        }
        nonempty(
            "$.assets.portalAccountAttribute",
            &self.assets.portal_account_attribute,
        )?;
        if let Some(cq) = &self.assets.company_query {
            if !cq.contains("{company}") {
                return Err(Error::config(
                    "$.assets.companyQuery",
                    "must contain the {company} placeholder",
                ));
            }
            if self.assets.space_key_attribute.is_none() {
                return Err(Error::config(
                    "$.assets.spaceKeyAttribute",
                    "is required with assets.companyQuery",
                ));
            }
        }
        if let Some(p) = self.assets.page_size {
            if !(1..=1000).contains(&p) {
                return Err(Error::config(
                    "$.assets.pageSize",
                    "must be between 1 and 1000",
                ));
            }
        }
        for (i, g) in self.groups.iter().enumerate() {
            nonempty(&format!("$.groups[{i}]"), g)?;
        }
        let concurrency = self.concurrency.unwrap_or(4);
        if !(1..=MAX_CONCURRENCY).contains(&concurrency) {
            return Err(Error::config(
                "$.concurrency",
                format!("must be between 1 and {MAX_CONCURRENCY}"),
            ));
        }
        if self.migrate.batch_size == 0 || self.migrate.batch_size > MAX_BULK_BATCH {
            return Err(Error::config(
                "$.migrate.batchSize",
                format!("must be between 1 and {MAX_BULK_BATCH}"),
            ));
        }
        for key in self.limits.keys() {
            if !["jira", "assets", "admin", "confluence"].contains(&key.as_str()) {
                return Err(Error::config(
                    format!("$.limits.{key}"),
                    "unknown surface (expected jira, assets, admin or confluence)",
                ));
            }
        }
        let mut space_permissions = Vec::new();
        if let Some(c) = &self.confluence {
            if c.mode == SpaceMode::Graphql && !c.permissions.is_empty() {
                return Err(Error::config(
                    "$.confluence.permissions",
                    "graphql mode grants the guest VIEW_SPACE only; extra permissions need mode \"rest\"",
                ));
            }
            for (i, p) in c.permissions.iter().enumerate() {
                space_permissions.push(permission(&format!("$.confluence.permissions[{i}]"), p)?);
            }
        }
        Ok(Settings {
            site_url,
            admin_url,
            api_url,
            concurrency,
            space_permissions,
            config: self,
        })
    }
}

fn nonempty(path: &str, v: &str) -> Result<()> {
    if v.trim().is_empty() {
        return Err(Error::config(path, "must not be empty"));
    }
    Ok(())
}

fn token(path: &str, v: &str) -> Result<()> {
    if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(Error::config(
            path,
            "must be an id of letters, digits and '-'",
        ));
    }
    Ok(())
}

/// Valid `key/target` pairs of the v1 space permission API (`atlassian-api.md` §7.1).
const PERMISSIONS: &[(&str, &[&str])] = &[
    ("read", &["space"]),
    ("create", &["page", "blogpost", "comment", "attachment"]),
    (
        "delete",
        &["page", "blogpost", "comment", "attachment", "space"],
    ),
    ("export", &["space"]),
    ("administer", &["space"]),
    ("archive", &["page"]),
    ("restrict_content", &["space"]),
];

fn permission(path: &str, v: &str) -> Result<(String, String)> {
    let (k, t) = v
        .split_once('/')
        .ok_or_else(|| Error::config(path, "must be \"key/target\", e.g. \"create/page\""))?;
    let ok = PERMISSIONS
        .iter()
        .any(|(key, targets)| *key == k && targets.contains(&t));
    if !ok {
        return Err(Error::config(
            path,
            format!("\"{v}\" is not a valid Confluence space permission"),
        ));
    }
    Ok((k.to_string(), t.to_string()))
}

/// An `https` origin, or plain `http` only for loopback hosts (the simulator). Returns it without a
/// trailing slash.
pub fn base_url(path: &str, raw: &str) -> Result<String> {
    let v = raw.trim().trim_end_matches('/');
    let (scheme, rest) = v
        .split_once("://")
        .ok_or_else(|| Error::config(path, "must be an absolute URL"))?;
    let host_port = rest.split('/').next().unwrap_or("");
    if rest.contains(['?', '#', '@']) || host_port.is_empty() || rest.contains(char::is_whitespace)
    {
        return Err(Error::config(
            path,
            "must be a plain origin like https://example.atlassian.net",
        ));
    }
    let host = if let Some(stripped) = host_port.strip_prefix('[') {
        stripped.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    match scheme {
        "https" => Ok(v.to_string()),
        "http" if is_loopback(host) => Ok(v.to_string()),
        "http" => Err(Error::config(
            path,
            "plain http is only allowed for loopback hosts (127.0.0.1, localhost)",
        )),
        _ => Err(Error::config(path, "must use https")),
    }
}

pub fn is_loopback(host: &str) -> bool {
    host == "localhost" || host == "::1" || host.starts_with("127.")
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
    fn plain_http_only_for_loopback() {
        assert!(base_url("$.siteUrl", "http://127.0.0.1:8080").is_ok());
        assert!(base_url("$.siteUrl", "http://localhost:1").is_ok());
        assert!(base_url("$.siteUrl", "http://[::1]:9").is_ok());
        let e = base_url("$.siteUrl", "http://acme.atlassian.net").unwrap_err();
        assert_eq!(e.to_string(), "config $.siteUrl: plain http is only allowed for loopback hosts (127.0.0.1, localhost)");
        assert!(base_url("$.siteUrl", "https://u:p@acme.atlassian.net").is_err());
        assert!(base_url("$.siteUrl", "ftp://x").is_err());
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
