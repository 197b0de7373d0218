//! `doctor`: read-only checks of a configuration against the site, each with a fix when it fails.

use crate::api::{self, assets, confluence, customers, tenant, Urls};
use crate::client::Client;
use crate::config::Settings;
use crate::engine::Ctx;
use crate::host::Host;
use crate::http::{HttpRequest, Surface};
use crate::ids::ObjectTypeId;
use crate::journal::Records;
use crate::limiter::Limiter;
use crate::retry::RetryClass;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

fn pass(name: &str, detail: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        ok: true,
        detail: detail.into(),
        fix: None,
    }
}

fn failed(name: &str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        ok: false,
        detail: detail.into(),
        fix: Some(fix.into()),
    }
}

/// Runs every check it can; a failed prerequisite (site, credentials) ends the list early.
/// `company` picks the company whose customers and space are checked (default: the config's first
/// `companies` entry); without one, those checks are skipped rather than guessed.
pub async fn doctor(s: &Settings, host: &Host<'_>, company: Option<&str>) -> Vec<Check> {
    let client = Client::new(
        host.transport,
        host.clock,
        host.progress,
        s.config.retry.clone(),
        Limiter::uniform(Default::default()),
    );
    let mut out = Vec::new();
    let site = &s.site_url;

    let cloud_id = match client
        .send("tenant.info", tenant::tenant_info(site), RetryClass::Safe)
        .await
        .and_then(|r| tenant::parse_tenant_info(&r))
    {
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

    match client
        .send(
            "users.myself",
            HttpRequest::get(Surface::Jira, format!("{site}/rest/api/3/myself")),
            RetryClass::Safe,
        )
        .await
    {
        Ok(r) if r.is_success() => out.push(pass("credentials valid", "the API token is accepted")),
        Ok(r) => {
            out.push(failed(
                "credentials valid",
                api::map_error("users.myself", Surface::Jira, &r).to_string(),
                "set ATLASSIAN_EMAIL and ATLASSIAN_API_TOKEN to an admin's email and a classic API token",
            ));
            return out;
        }
        Err(e) => {
            out.push(failed(
                "credentials valid",
                e.to_string(),
                "check the network",
            ));
            return out;
        }
    }

    let workspace = match &s.config.assets.workspace_id {
        Some(w) => {
            out.push(pass("Assets workspace", format!("{w} (from config)")));
            w.clone()
        }
        None => match client
            .send(
                "assets.workspace",
                tenant::workspace(site),
                RetryClass::Safe,
            )
            .await
            .and_then(|r| tenant::parse_workspace(&r))
        {
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

    let company = company
        .map(str::to_string)
        .or_else(|| s.config.companies.first().cloned());
    let probe = company
        .clone()
        .unwrap_or_else(|| "portal-migrate-doctor".into());
    let query = assets::substitute(&s.config.assets.customer_query, "company", &probe);
    let mut first: Option<assets::SearchPage> = None;
    match query {
        Err(e) => out.push(failed(
            "customer query valid",
            e.to_string(),
            "fix assets.customerQuery",
        )),
        Ok(q) => match client
            .send(
                "assets.search",
                assets::search(&urls.assets, &q, 0, 1),
                RetryClass::Safe,
            )
            .await
            .and_then(|r| assets::parse_search(&r, 0))
        {
            Ok(p) => {
                out.push(pass(
                    "customer query valid",
                    format!("{q} → {} object(s) on the first page", p.page.items.len()),
                ));
                first = Some(p);
            }
            Err(e) => out.push(failed(
                "customer query valid",
                e.to_string(),
                "fix the AQL in assets.customerQuery (attribute names must exist)",
            )),
        },
    }

    let skip = |name: &str| {
        pass(
            name,
            "skipped: give a company (doctor --company KEY) to check it",
        )
    };
    let first = first.filter(|p| !p.page.items.is_empty() || !p.type_attributes.is_empty());
    if company.is_none() || first.is_none() {
        out.push(skip("attribute portalAccountAttribute"));
    }
    if let Some(page) = &first {
        let cfg = &s.config.assets;
        let type_id = page.page.items.first().and_then(|o| o.type_id().cloned());
        let mut attrs = page.type_attributes.clone();
        if attrs.is_empty() {
            if let Some(t) = &type_id {
                if let Ok(r) = client
                    .send(
                        "assets.objectTypeAttributes",
                        assets::type_attributes(&urls.assets, t),
                        RetryClass::Safe,
                    )
                    .await
                {
                    attrs = assets::parse_type_attributes(&r).unwrap_or_default();
                }
            }
        }
        let wanted = [
            Some(("portalAccountAttribute", &cfg.portal_account_attribute)),
            cfg.email_attribute.as_ref().map(|e| ("emailAttribute", e)),
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

    let records = Records {
        journal: host.journal,
        read_only: true,
    };
    let ctx = Ctx::new(
        s,
        client,
        records,
        host,
        urls.clone(),
        "doctor".into(),
        true,
        false,
        None,
    );
    match crate::engine::resolve_groups(&ctx).await {
        Ok(ids) if ids.is_empty() => out.push(pass("groups resolved", "no groups configured")),
        Ok(ids) => {
            // An id is taken as given by the job; here it must also exist.
            let mut missing = Vec::new();
            for g in &ids {
                let url = format!(
                    "{site}/rest/api/3/group/member?groupId={}&maxResults=1",
                    crate::ids::pct(g.as_str())
                );
                match ctx
                    .client
                    .send(
                        "groups.members",
                        HttpRequest::get(Surface::Jira, url),
                        RetryClass::Safe,
                    )
                    .await
                {
                    Ok(r) if r.is_success() => {}
                    Ok(r) => missing.push(format!("{g}: {}", api::error_message(&r.body))),
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

    let perm = HttpRequest::get(
        Surface::Jira,
        format!("{site}/rest/api/3/mypermissions?permissions=ADMINISTER"),
    );
    match ctx
        .client
        .send("users.mypermissions", perm, RetryClass::Safe)
        .await
    {
        Ok(r) if r.is_success() => {
            let v: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
            if v.pointer("/permissions/ADMINISTER/havePermission")
                .and_then(|b| b.as_bool())
                == Some(true)
            {
                out.push(pass(
                    "may add group members",
                    "the account has Administer Jira",
                ));
            } else {
                out.push(failed(
                    "may add group members",
                    "the account lacks Administer Jira / site admin",
                    "use a site-admin (and org-admin) service account",
                ));
            }
        }
        Ok(r) => out.push(failed(
            "may add group members",
            api::map_error("users.mypermissions", Surface::Jira, &r).to_string(),
            "use a site-admin account",
        )),
        Err(e) => out.push(failed(
            "may add group members",
            e.to_string(),
            "check the network",
        )),
    }

    if s.config.assets.company_query.is_some() && company.is_none() {
        out.push(skip("Confluence space visible"));
    }
    if let (Some(company), true) = (&company, s.config.assets.company_query.is_some()) {
        match crate::engine::space_for(&ctx, Some(company)).await {
            Ok(Some(key)) => match ctx
                .client
                .send(
                    "confluence.findSpace",
                    confluence::find_space(site, &key),
                    RetryClass::Safe,
                )
                .await
                .and_then(|r| confluence::parse_find_space(&r, &key))
            {
                Ok(true) => out.push(pass(
                    "Confluence space visible",
                    format!("{key} (company {company})"),
                )),
                Ok(false) => out.push(failed(
                    "Confluence space visible",
                    format!("space {key} not found or not visible"),
                    "give the account space admin on the company's space",
                )),
                Err(e) => out.push(failed(
                    "Confluence space visible",
                    e.to_string(),
                    "check Confluence on the site",
                )),
            },
            Ok(None) => out.push(failed(
                "Confluence space visible",
                format!("company {company} has no space key"),
                "fill the company's space key attribute or fix assets.companyQuery",
            )),
            Err(e) => out.push(failed(
                "Confluence space visible",
                e.to_string(),
                "fix assets.companyQuery / assets.spaceKeyAttribute",
            )),
        }
    }

    match ctx
        .client
        .send(
            "customers.list",
            customers::list(&urls.customers, 0, 1),
            RetryClass::Safe,
        )
        .await
    {
        Ok(r) if r.is_success() => out.push(pass(
            "admin gateway reachable",
            "customer-management API answers",
        )),
        Ok(r) => out.push(failed(
            "admin gateway reachable",
            api::map_error("customers.list", Surface::Admin, &r).to_string(),
            "the token's account must be an org admin; check adminUrl and cloudId",
        )),
        Err(e) => out.push(failed(
            "admin gateway reachable",
            e.to_string(),
            "check adminUrl and the network",
        )),
    }
    out
}
