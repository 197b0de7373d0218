//! `doctor`: read-only checks of a configuration against the site, each with a fix when it fails.

use crate::api::{assets, confluence, customers, groups, tenant, Urls};
use crate::client::{Client, Limiter};
use crate::config::{AssetsConfig, Settings};
use crate::engine::{resolve_groups, resolve_space, Cache};
use crate::host::Host;
use crate::ids::ObjectTypeId;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    pub name: String,
    /// Passed, or skipped (a skipped check fails nothing but proves nothing: hosts show it apart).
    pub ok: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

fn skipped(name: &str, why: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        ok: true,
        skipped: true,
        detail: why.into(),
        fix: None,
    }
}

fn pass(name: &str, detail: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        ok: true,
        skipped: false,
        detail: detail.into(),
        fix: None,
    }
}

fn failed(name: &str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        ok: false,
        skipped: false,
        detail: detail.into(),
        fix: Some(fix.into()),
    }
}

/// Runs every check it can; a failed prerequisite (site, credentials) ends the list early.
/// `company` picks the company whose customers and space are checked (default: the config's first
/// `companies` entry); without one, those checks are skipped rather than guessed.
pub async fn doctor(s: &Settings, host: &Host<'_>, company: Option<&str>) -> Vec<Check> {
    let client = Client::new(
        host,
        s.config.retry.clone(),
        Limiter::uniform(Default::default()),
    );
    let mut out = Vec::new();
    let site = &s.site_url;

    let cloud_id = match client.call(tenant::tenant_info(site)).await {
        Ok(c) => {
            out.push(pass("site reachable", format!("{site} (cloudId {c})")));
            s.config.cloud_id.clone().unwrap_or(c.0)
        }
        Err(e) => {
            out.push(failed(
                "site reachable",
                e.to_string(),
                "check siteUrl (https://YOURSITE.atlassian.net) and the network",
            ));
            return out;
        }
    };

    match client.call(tenant::myself(site)).await {
        Ok(()) => out.push(pass("credentials valid", "the API token is accepted")),
        Err(e) => {
            let fix = if e.status().is_some() {
                crate::advice::CREDENTIALS_FIX
            } else {
                "check the network"
            };
            out.push(failed("credentials valid", e.to_string(), fix));
            return out;
        }
    }

    let workspace = match s.config.assets.as_ref().map(|a| &a.workspace_id) {
        None => {
            out.push(skipped(
                "Assets workspace",
                "skipped: no \"assets\" in the config (no write-back; spaces from confluence.spaceBy*)",
            ));
            String::new()
        }
        Some(Some(w)) => {
            out.push(pass("Assets workspace", format!("{w} (from config)")));
            w.clone()
        }
        Some(None) => match client.call(tenant::workspace(site)).await {
            Ok(w) => {
                out.push(pass("Assets workspace", w.0.clone()));
                w.0
            }
            Err(e) => {
                out.push(failed(
                    "Assets workspace",
                    e.to_string(),
                    "enable Assets on the JSM site, or set assets.workspaceId",
                ));
                return out;
            }
        },
    };
    let urls = Urls::new(site, &s.admin_url, &s.api_url, &cloud_id, &workspace);
    let cache = Cache::default();

    let company = company
        .map(str::to_string)
        .or_else(|| s.config.companies.first().cloned());
    if let Some(cfg) = &s.config.assets {
        let first = customer_query(&client, cfg, &urls, company.as_deref(), &mut out).await;
        let first = first.filter(|p| !p.items.is_empty() || !p.meta.is_empty());
        match type_attributes(&client, cfg, &urls, first).await {
            Some((type_id, attrs)) => attributes(cfg, type_id, &attrs, &mut out),
            None => out.push(skipped(
                "attribute portalAccountAttribute",
                "skipped: the customer query found no object and names no object type; give a company (doctor --company KEY)",
            )),
        }
    }
    match resolve_groups(&client, s).await {
        Ok(ids) if ids.is_empty() => out.push(pass("groups resolved", "no groups configured")),
        Ok(ids) => {
            // An id is taken as given by the job; here it must also exist.
            let mut missing = Vec::new();
            for g in &ids {
                match client.call(groups::missing(site, g)).await {
                    Ok(None) => {}
                    Ok(Some(m)) => missing.push(format!("{g}: {m}")),
                    Err(e) => missing.push(format!("{g}: {e}")),
                }
            }
            let list = ids
                .iter()
                .map(|g| g.0.clone())
                .collect::<Vec<_>>()
                .join(", ");
            if missing.is_empty() {
                out.push(pass("groups resolved", list));
            } else {
                out.push(failed(
                    "groups resolved",
                    missing.join("; "),
                    "use a group id or exact name in groups",
                ));
            }
        }
        Err(e) => out.push(failed(
            "groups resolved",
            e.to_string(),
            "use a group id or exact name in groups",
        )),
    }

    match client.call(tenant::my_groups(site)).await {
        Ok(g) if g.iter().any(|n| n.eq_ignore_ascii_case(tenant::SITE_ADMINS)) => out.push(pass(
            "may add group members",
            format!("the account is in {}", tenant::SITE_ADMINS),
        )),
        Ok(_) => out.push(failed(
            "may add group members",
            format!("the account is not in {} (adding group members needs site admin, not only Administer Jira)", tenant::SITE_ADMINS),
            "use a service account that is a site admin (and an org admin)",
        )),
        Err(e) => {
            let fix = if e.status().is_some() {
                "use a site-admin account"
            } else {
                "check the network"
            };
            out.push(failed("may add group members", e.to_string(), fix));
        }
    }

    let company_spaces = s
        .config
        .assets
        .as_ref()
        .is_some_and(|a| a.company_query.is_some());
    if company_spaces && company.is_none() {
        out.push(skipped(
            "Confluence space visible",
            "skipped: give a company (doctor --company KEY) to check its space",
        ));
    }
    if let (Some(company), true) = (&company, company_spaces) {
        out.push(space(&client, s, &urls, &cache, company).await);
    }
    if let Some(c) = configured_spaces(&client, s).await {
        out.push(c);
    }

    match client.call(customers::list(&urls, 0, 1)).await {
        Ok(_) => out.push(pass(
            "admin gateway reachable",
            "customer-management API answers",
        )),
        Err(e) => {
            let fix = if e.status().is_some() {
                "the token's account must be an org admin; check adminUrl and cloudId"
            } else {
                "check adminUrl and the network"
            };
            out.push(failed("admin gateway reachable", e.to_string(), fix));
        }
    }
    out
}

/// The customer query with the company (or a probe value) on its first page.
async fn customer_query(
    client: &Client<'_>,
    cfg: &AssetsConfig,
    urls: &Urls,
    company: Option<&str>,
    out: &mut Vec<Check>,
) -> Option<assets::SearchPage> {
    let probe = company.unwrap_or("portal-migrate-doctor");
    let q = match assets::substitute(&cfg.customer_query, "company", probe) {
        Ok(q) => q,
        Err(e) => {
            out.push(failed(
                "customer query valid",
                e.to_string(),
                "fix assets.customerQuery",
            ));
            return None;
        }
    };
    match client.call(assets::search(urls, &q, 0, 1)).await {
        Ok(p) => {
            out.push(pass(
                "customer query valid",
                format!("{q} → {} object(s) on the first page", p.items.len()),
            ));
            Some(p)
        }
        Err(e) => {
            out.push(failed(
                "customer query valid",
                e.to_string(),
                "fix the AQL in assets.customerQuery (attribute names must exist)",
            ));
            None
        }
    }
}

/// The customer object type and its attributes: from the first customer found, else from the object
/// type the customer query names (by id, or by name through one object of that type).
async fn type_attributes(
    client: &Client<'_>,
    cfg: &AssetsConfig,
    urls: &Urls,
    first: Option<assets::SearchPage>,
) -> Option<(Option<ObjectTypeId>, Vec<assets::TypeAttribute>)> {
    let query = &cfg.customer_query;
    let page = match first {
        Some(p) => Some(p),
        None => match assets::object_type_name_in(query) {
            Some(name) => {
                let aql = format!("objectType = {}", assets::quote(&name).ok()?);
                client.call(assets::search(urls, &aql, 0, 1)).await.ok()
            }
            None => None,
        },
    };
    let type_id = page
        .as_ref()
        .and_then(|p| p.items.first())
        .and_then(|o| o.type_id().cloned())
        .or_else(|| assets::object_type_in(query));
    let mut attrs = page.map(|p| p.meta).unwrap_or_default();
    if attrs.is_empty() {
        attrs = client
            .call(assets::type_attributes(urls, type_id.as_ref()?))
            .await
            .unwrap_or_default();
    }
    (!attrs.is_empty()).then_some((type_id, attrs))
}

/// The customer object's attributes the config names.
fn attributes(
    cfg: &AssetsConfig,
    type_id: Option<ObjectTypeId>,
    attrs: &[assets::TypeAttribute],
    out: &mut Vec<Check>,
) {
    let wanted = [
        Some(("portalAccountAttribute", &cfg.portal_account_attribute)),
        cfg.email_attribute.as_ref().map(|e| ("emailAttribute", e)),
        cfg.company_attribute
            .as_ref()
            .map(|e| ("companyAttribute", e)),
    ];
    for (field, name) in wanted.into_iter().flatten() {
        let of_type: Vec<_> = attrs
            .iter()
            .filter(|a| {
                type_id.as_ref().is_none_or(|t: &ObjectTypeId| {
                    a.object_type.as_ref().is_none_or(|o| &o.id == t)
                })
            })
            .cloned()
            .collect();
        match assets::resolve_attribute(&of_type, name, &format!("$.assets.{field}")) {
            Ok(id) => out.push(pass(
                &format!("attribute {field}"),
                format!("{name:?} → id {id}"),
            )),
            Err(e) => out.push(failed(
                &format!("attribute {field}"),
                e.to_string(),
                "use an attribute name or id of the customer object type",
            )),
        }
    }
}

/// Every space `confluence.spaceByOrganization` / `spaceByEmailDomain` names exists and is visible.
async fn configured_spaces(client: &Client<'_>, s: &Settings) -> Option<Check> {
    const NAME: &str = "configured spaces visible";
    let c = s.config.confluence.as_ref()?;
    let keys: std::collections::BTreeSet<&String> = c
        .space_by_organization
        .values()
        .chain(c.space_by_email_domain.values())
        .collect();
    if keys.is_empty() {
        return None;
    }
    let mut missing = Vec::new();
    for k in &keys {
        let key = crate::ids::SpaceKey::new(k.as_str());
        match client.call(confluence::find_space(&s.site_url, &key)).await {
            Ok(Some(_)) => {}
            Ok(None) => missing.push(format!("{k} not found or not visible")),
            Err(e) => missing.push(format!("{k}: {e}")),
        }
    }
    let list = keys
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    Some(if missing.is_empty() {
        pass(NAME, list)
    } else {
        failed(
            NAME,
            missing.join("; "),
            "fix the space keys in confluence.spaceByOrganization / spaceByEmailDomain, or give the account space admin on them",
        )
    })
}

/// The company's space exists and is visible.
async fn space(
    client: &Client<'_>,
    s: &Settings,
    urls: &Urls,
    cache: &Cache,
    company: &str,
) -> Check {
    const NAME: &str = "Confluence space visible";
    match resolve_space(client, s, urls, cache, Some(company)).await {
        Ok(Some(key)) => match client.call(confluence::find_space(&s.site_url, &key)).await {
            Ok(Some(_)) => pass(NAME, format!("{key} (company {company})")),
            Ok(None) => failed(
                NAME,
                format!("space {key} not found or not visible"),
                "give the account space admin on the company's space",
            ),
            Err(e) => failed(NAME, e.to_string(), "check Confluence on the site"),
        },
        Ok(None) => failed(
            NAME,
            format!("company {company} has no space key"),
            "fill the company's space key attribute or fix assets.companyQuery",
        ),
        Err(e) => failed(
            NAME,
            e.to_string(),
            "fix assets.companyQuery / assets.spaceKeyAttribute",
        ),
    }
}
