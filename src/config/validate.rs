//! Validation of a parsed config: every error names the JSON path of the offending value.

use super::hosts::{self, Role};
use super::{
    AssetsConfig, Config, Settings, SpaceMode, DEFAULT_ADMIN_URL, DEFAULT_API_URL, MAX_BULK_BATCH,
    MAX_CONCURRENCY,
};
use crate::error::{Error, Result};

impl Config {
    pub fn validate(self) -> Result<Settings> {
        let allowed = hosts::allowed(&self.allowed_hosts)?;
        let site_url = hosts::origin("$.siteUrl", &self.site_url, Role::Site, &allowed)?;
        let admin = self.admin_url.as_deref().unwrap_or(DEFAULT_ADMIN_URL);
        let admin_url = hosts::origin("$.adminUrl", admin, Role::Admin, &allowed)?;
        let api = self.api_url.as_deref().unwrap_or(DEFAULT_API_URL);
        let api_url = hosts::origin("$.apiUrl", api, Role::Api, &allowed)?;
        if let Some(c) = &self.cloud_id {
            token("$.cloudId", c)?;
        }
        if let Some(a) = &self.assets {
            assets(a)?;
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
        for (key, l) in &self.limits {
            const SURFACES: [&str; 4] = ["jira", "assets", "admin", "confluence"];
            if !SURFACES.contains(&key.as_str()) {
                let hint = match crate::names::closest(key, &SURFACES) {
                    Some(s) => format!("did you mean \"{s}\"?"),
                    None => format!("valid surfaces: {}", SURFACES.join(", ")),
                };
                return Err(Error::config(
                    format!("$.limits.{key}"),
                    format!("unknown surface {key:?}; {hint}"),
                ));
            }
            let path = |f: &str| format!("$.limits.{key}.{f}");
            range(&path("max"), l.max.into(), 1, MAX_CONCURRENCY.into())?;
            range(&path("min"), l.min.into(), 1, l.max.into())?;
            range(&path("quietMs"), l.quiet_ms, 0, HOUR_MS)?;
            range(
                &path("decreaseCooldownMs"),
                l.decrease_cooldown_ms,
                0,
                HOUR_MS,
            )?;
        }
        let r = &self.retry;
        range("$.retry.maxAttempts", r.max_attempts.into(), 1, 20)?;
        range(
            "$.retry.maxRateLimitedAttempts",
            r.max_rate_limited_attempts.into(),
            r.max_attempts.into(),
            100,
        )?;
        range("$.retry.baseDelayMs", r.base_delay_ms, 1, 15 * MINUTE_MS)?;
        range(
            "$.retry.rateLimitDelayMs",
            r.rate_limit_delay_ms,
            1,
            15 * MINUTE_MS,
        )?;
        range(
            "$.retry.maxDelayMs",
            r.max_delay_ms,
            r.base_delay_ms.max(r.rate_limit_delay_ms),
            15 * MINUTE_MS,
        )?;
        range(
            "$.retry.maxTotalWaitMs",
            r.max_total_wait_ms,
            r.max_delay_ms,
            HOUR_MS,
        )?;
        range(
            "$.retry.assetsFloorMs",
            r.assets_floor_ms,
            0,
            15 * MINUTE_MS,
        )?;
        range(
            "$.migrate.pollTimeoutMs",
            self.migrate.poll_timeout_ms,
            0,
            HOUR_MS,
        )?;
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
            space_map(
                "$.confluence.spaceByOrganization",
                &c.space_by_organization,
                false,
            )?;
            space_map(
                "$.confluence.spaceByEmailDomain",
                &c.space_by_email_domain,
                true,
            )?;
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

fn assets(a: &AssetsConfig) -> Result<()> {
    if let Some(w) = &a.workspace_id {
        token("$.assets.workspaceId", w)?;
    }
    let q = &a.customer_query;
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
        &a.portal_account_attribute,
    )?;
    if let Some(c) = &a.company_attribute {
        nonempty("$.assets.companyAttribute", c)?;
    }
    company_space(a)?;
    if let Some(p) = a.page_size {
        if !(1..=1000).contains(&p) {
            return Err(Error::config(
                "$.assets.pageSize",
                "must be between 1 and 1000",
            ));
        }
    }
    Ok(())
}

/// Space keys are letters and digits (Confluence's rule for global spaces; personal ones start
/// with `~`); email domains are bare host names.
fn space_map(
    path: &str,
    map: &std::collections::BTreeMap<String, String>,
    domains: bool,
) -> Result<()> {
    for (k, v) in map {
        let at = format!("{path}[{k:?}]");
        if k.trim().is_empty() {
            return Err(Error::config(path, "keys must not be empty"));
        }
        if domains {
            let d = k.trim_start_matches('@');
            let ok = d.contains('.')
                && d.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
            if !ok {
                return Err(Error::config(
                    &at,
                    format!("{k:?} is not an email domain (e.g. \"acme.com\")"),
                ));
            }
        }
        crate::ids::SpaceKey::parse(v).map_err(|m| Error::config(&at, m))?;
    }
    Ok(())
}

const MINUTE_MS: u64 = 60_000;
const HOUR_MS: u64 = 60 * MINUTE_MS;

/// `v` within `lo..=hi`, else an error naming the path and the range.
fn range(path: &str, v: u64, lo: u64, hi: u64) -> Result<()> {
    if (lo..=hi).contains(&v) {
        return Ok(());
    }
    Err(Error::config(
        path,
        format!("must be between {lo} and {hi}, not {v}"),
    ))
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

/// `assets.companyQuery` finds a company's object and `assets.spaceKeyAttribute` reads its space:
/// one without the other would skip every space silently.
fn company_space(a: &AssetsConfig) -> Result<()> {
    const BOTH: &str = "give both (or neither)";
    match (&a.company_query, &a.space_key_attribute) {
        (Some(q), _) if !q.contains("{company}") => Err(Error::config(
            "$.assets.companyQuery",
            "must contain the {company} placeholder",
        )),
        (Some(_), None) => Err(Error::config(
            "$.assets.companyQuery",
            format!("needs $.assets.spaceKeyAttribute, the company attribute holding the Confluence space key: {BOTH}"),
        )),
        (None, Some(_)) => Err(Error::config(
            "$.assets.spaceKeyAttribute",
            format!("needs $.assets.companyQuery, the AQL with {{company}} finding the company's object: {BOTH}"),
        )),
        _ => Ok(()),
    }
}

/// Every valid permission, `key/target`, in the table's order.
fn valid_permissions() -> Vec<String> {
    PERMISSIONS
        .iter()
        .flat_map(|(k, ts)| ts.iter().map(move |t| format!("{k}/{t}")))
        .collect()
}

fn permission(path: &str, v: &str) -> Result<(String, String)> {
    let valid = valid_permissions();
    if valid.iter().any(|p| p == v) {
        let (k, t) = v.split_once('/').unwrap_or_default();
        return Ok((k.to_string(), t.to_string()));
    }
    let names: Vec<&str> = valid.iter().map(String::as_str).collect();
    let near = crate::names::closest(v, &names)
        .map(|n| format!("; did you mean \"{n}\"?"))
        .unwrap_or_default();
    Err(Error::config(
        path,
        format!(
            "\"{v}\" is not a valid Confluence space permission{near} (valid: {})",
            names.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use crate::Config;

    fn error_with(assets: serde_json::Value, confluence: serde_json::Value) -> String {
        let mut a = serde_json::json!({"customerQuery": "Company = {company}", "portalAccountAttribute": "91"});
        a.as_object_mut()
            .unwrap()
            .extend(assets.as_object().unwrap().clone());
        let v = serde_json::json!({"siteUrl": "https://acme.atlassian.net", "assets": a, "confluence": confluence});
        Config::from_value(v).unwrap_err().to_string()
    }

    const VALID: &str = "read/space, create/page, create/blogpost, create/comment, create/attachment, delete/page, delete/blogpost, delete/comment, delete/attachment, delete/space, export/space, administer/space, archive/page, restrict_content/space";

    #[test]
    fn an_invalid_permission_lists_the_valid_ones() {
        let e = error_with(
            serde_json::json!({}),
            serde_json::json!({"permissions": ["create/page", "administer/page"]}),
        );
        assert_eq!(
            e,
            format!("config $.confluence.permissions[1]: \"administer/page\" is not a valid Confluence space permission; did you mean \"administer/space\"? (valid: {VALID})")
        );
        let e = error_with(
            serde_json::json!({}),
            serde_json::json!({"permissions": ["write everything"]}),
        );
        assert_eq!(
            e,
            format!("config $.confluence.permissions[0]: \"write everything\" is not a valid Confluence space permission (valid: {VALID})")
        );
    }

    #[test]
    fn company_query_and_space_key_attribute_come_together() {
        let none = serde_json::json!({});
        assert_eq!(
            error_with(serde_json::json!({"spaceKeyAttribute": "Space"}), none.clone()),
            "config $.assets.spaceKeyAttribute: needs $.assets.companyQuery, the AQL with {company} finding the company's object: give both (or neither)"
        );
        assert_eq!(
            error_with(serde_json::json!({"companyQuery": "Key = {company}"}), none.clone()),
            "config $.assets.companyQuery: needs $.assets.spaceKeyAttribute, the company attribute holding the Confluence space key: give both (or neither)"
        );
        assert_eq!(
            error_with(
                serde_json::json!({"companyQuery": "Key = 1", "spaceKeyAttribute": "S"}),
                none
            ),
            "config $.assets.companyQuery: must contain the {company} placeholder"
        );
    }

    #[test]
    fn an_unknown_surface_names_the_closest() {
        let v = |limits| {
            serde_json::json!({"siteUrl": "https://acme.atlassian.net", "limits": limits,
            "assets": {"customerQuery": "Company = {company}", "portalAccountAttribute": "91"}})
        };
        let e = Config::from_value(v(serde_json::json!({"jiar": {}}))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "config $.limits.jiar: unknown surface \"jiar\"; did you mean \"jira\"?"
        );
        let e = Config::from_value(v(serde_json::json!({"zzzzzz": {}}))).unwrap_err();
        assert_eq!(e.to_string(), "config $.limits.zzzzzz: unknown surface \"zzzzzz\"; valid surfaces: jira, assets, admin, confluence");
    }
}
