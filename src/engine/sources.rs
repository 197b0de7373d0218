//! Where customers come from: company keys (through `assets.customerQuery`), a custom AQL query,
//! explicit ids or emails, an issue's reporter, the portal-only directory, and every customer the
//! journal shows unfinished. Each customer comes out once (`work::dedupe`).

use super::ctx::Ctx;
use super::request::MigrationRequest;
use super::resolve;
use super::work::{dedupe, AssetRef, Work};
use crate::api::{assets, customers, users};
use crate::client::Walk;
use crate::error::{Error, Result};
use crate::ids::{CustomerRef, IssueKey};
use crate::journal::{CustomerRecord, Stage, CUSTOMER_PREFIX};
use futures::StreamExt;

const DIRECTORY_PAGE: u32 = 500;

/// Collects every customer of the request, each once.
pub(crate) async fn collect(ctx: &Ctx<'_>, req: &MigrationRequest) -> Result<Vec<Work>> {
    // Companies side by side (the limiter bounds them), kept in order.
    let companies: Vec<Result<Vec<Work>>> =
        futures::stream::iter(req.companies_or(&ctx.s.config.companies))
            .map(|key| async move {
                let mut work = Vec::new();
                let aql = assets::substitute(&ctx.s.config.assets.customer_query, "company", key)?;
                objects_to_work(ctx, &aql, Some(key), &format!("company:{key}"), &mut work).await?;
                // Once per company, before its customers run side by side and would each look it up.
                if let Some(space) = ctx.space_for(Some(key)).await? {
                    resolve::load_grants(&ctx.client, &ctx.urls.site, &ctx.cache, &space).await?;
                }
                Ok(work)
            })
            .buffered(ctx.s.concurrency.max(1) as usize)
            .collect()
            .await;
    let mut work = Vec::new();
    for c in companies {
        work.extend(c?);
    }
    if let Some(aql) = &req.aql {
        objects_to_work(ctx, aql, None, "aql", &mut work).await?;
    }
    let mut explicit: Vec<(CustomerRef, String, Option<String>)> = Vec::new();
    for c in &req.customers {
        let r = CustomerRef::parse(c)
            .ok_or_else(|| Error::request(format!("{c:?} is not a customer id or email")))?;
        explicit.push((r, format!("customer:{c}"), None));
    }
    if let (Some(issue), true) = (&req.issue_key, req.reporter.unwrap_or(true)) {
        let key = IssueKey::new(issue.clone());
        match ctx
            .client
            .call(users::issue_reporter(&ctx.urls.site, &key))
            .await?
        {
            Some(u) => explicit.push((
                CustomerRef::parse(u.account_id.as_str())
                    .unwrap_or(CustomerRef::Account(u.account_id.clone())),
                format!("issue:{issue}"),
                u.email(),
            )),
            None => return Err(Error::request(format!("issue {issue} has no reporter"))),
        }
    }
    if let Some(filter) = &req.portal_customers {
        let domain = filter.email_domain.as_deref();
        directory(ctx, domain, &mut explicit, &mut work).await?;
    }
    for (reference, source, email) in explicit {
        let (asset, asset_email) = match locate(ctx, &reference).await? {
            Some((a, e)) => (Some(a), e),
            None => (None, None),
        };
        work.push(Work {
            reference: Some(reference),
            email: email.or(asset_email),
            company: None,
            asset,
            source,
            skip_reason: None,
        });
    }
    // This job's own customers left open by earlier runs (crash, deadline, a failed step). Other
    // jobs' open customers are theirs to finish: a job runs only what its request names.
    if !ctx.dry_run {
        let records: Vec<CustomerRecord> = ctx.records.list(CUSTOMER_PREFIX).await?;
        let open = records
            .into_iter()
            .filter(|r| r.stage != Stage::Complete && r.job_id == ctx.job_id);
        for r in open {
            let reference = CustomerRef::Portal(r.portal_account_id.clone());
            let asset = match &r.asset_object_id {
                Some(_) => locate(ctx, &reference).await?.map(|(a, _)| a),
                None => None,
            };
            work.push(Work {
                reference: Some(reference),
                email: r.email,
                company: r.company,
                asset,
                source: "journal".into(),
                skip_reason: None,
            });
        }
    }
    Ok(dedupe(work))
}

/// How the directory reads `start-index`: nothing documents it (§2.1, §13).
enum Paging {
    Offset,
    /// `start-index` is a page number; pages hold this many entries.
    PageNumber(u64),
}

/// One probe tells the readings apart: `start-index=1` repeats the first page's second entry first
/// (an offset), brings entries the first page did not have (a page number), or the first page again
/// (paging ignored: the walk then fails clearly on its repeated page).
async fn directory_paging(ctx: &Ctx<'_>) -> Result<Paging> {
    let first = ctx
        .client
        .call(customers::list(&ctx.urls, 0, DIRECTORY_PAGE))
        .await?;
    if first.items.len() < 2 {
        return Ok(Paging::Offset);
    }
    let probe = ctx
        .client
        .call(customers::list(&ctx.urls, 1, DIRECTORY_PAGE))
        .await?;
    let keys: Vec<String> = first.items.iter().map(|c| c.key()).collect();
    Ok(match probe.items.first().map(|c| c.key()) {
        Some(k) if keys.contains(&k) => Paging::Offset,
        Some(_) => Paging::PageNumber(first.items.len() as u64),
        None => Paging::Offset,
    })
}

/// Every portal-only customer of the directory, optionally of one email domain; an entry without an
/// id is reported as skipped.
async fn directory(
    ctx: &Ctx<'_>,
    email_domain: Option<&str>,
    out: &mut Vec<(CustomerRef, String, Option<String>)>,
    skipped: &mut Vec<Work>,
) -> Result<()> {
    let domain =
        email_domain.map(|d| format!("@{}", d.trim_start_matches('@').to_ascii_lowercase()));
    let paging = directory_paging(ctx).await?;
    let start_index = |offset: u64| match paging {
        Paging::Offset => offset,
        // The page after the last one received (a short last page still counts as a page).
        Paging::PageNumber(size) => offset.div_ceil(size.max(1)),
    };
    ctx.client
        .all_pages(
            &Walk::new("the portal-only directory"),
            |offset| customers::list(&ctx.urls, start_index(offset), DIRECTORY_PAGE),
            |c| c.key(),
            async |page| {
                for c in page.items {
                    let email = c.email_address.clone().filter(|e| !e.is_empty());
                    if let Some(d) = &domain {
                        let ok = email
                            .as_deref()
                            .is_some_and(|e| e.to_ascii_lowercase().ends_with(d.as_str()));
                        if !ok {
                            continue;
                        }
                    }
                    match c.id() {
                        Some(id) => {
                            out.push((CustomerRef::Portal(id.clone()), "directory".into(), email))
                        }
                        None => skipped.push(Work {
                            reference: None,
                            email,
                            company: None,
                            asset: None,
                            source: "directory".into(),
                            skip_reason: Some(
                                "a directory entry without username, accountId or id".into(),
                            ),
                        }),
                    }
                }
                Ok(())
            },
        )
        .await
}

fn page_size(ctx: &Ctx<'_>) -> u32 {
    ctx.s.config.assets.page_size.unwrap_or(100)
}

/// Turns the objects an AQL query finds (every page) into work items.
async fn objects_to_work(
    ctx: &Ctx<'_>,
    aql: &str,
    company: Option<&str>,
    source: &str,
    out: &mut Vec<Work>,
) -> Result<()> {
    let cfg = &ctx.s.config.assets;
    let size = page_size(ctx);
    ctx.client
        .all_pages(
            &Walk::new(format!("AQL query {aql:?}")),
            |start| assets::search(&ctx.urls, aql, start, size),
            |o| o.id.0.clone(),
            async |page| {
                for obj in &page.items {
                    let attr = resolve::attribute(
                        &ctx.client,
                        &ctx.urls,
                        &ctx.cache,
                        &page.meta,
                        obj,
                        &cfg.portal_account_attribute,
                        "$.assets.portalAccountAttribute",
                    )
                    .await?;
                    let email = match &cfg.email_attribute {
                        Some(e) => obj.value(
                            &resolve::attribute(
                                &ctx.client,
                                &ctx.urls,
                                &ctx.cache,
                                &page.meta,
                                obj,
                                e,
                                "$.assets.emailAttribute",
                            )
                            .await?,
                        ),
                        None => None,
                    };
                    let value = obj.value(&attr);
                    let reference = value.as_deref().and_then(CustomerRef::parse);
                    let skip_reason = match (&value, &reference) {
                        (None, _) => Some(format!(
                            "object {} has no value in {:?}",
                            obj.object_key.as_deref().unwrap_or(obj.id.as_str()),
                            cfg.portal_account_attribute
                        )),
                        (Some(v), None) => Some(format!("{v:?} is not an account id")),
                        _ => None,
                    };
                    out.push(Work {
                        reference,
                        email,
                        company: company.map(str::to_string),
                        asset: Some(AssetRef {
                            object: obj.id.clone(),
                            object_type: obj.type_id().cloned(),
                            attribute: attr,
                            value,
                        }),
                        source: source.to_string(),
                        skip_reason,
                    });
                }
                Ok(())
            },
        )
        .await
}

/// Finds the Assets object of a customer given by id or email, when the attribute is given by name.
async fn locate(
    ctx: &Ctx<'_>,
    reference: &CustomerRef,
) -> Result<Option<(AssetRef, Option<String>)>> {
    let cfg = &ctx.s.config.assets;
    let (attr_name, value) = match reference {
        CustomerRef::Portal(p) => (cfg.portal_account_attribute.as_str(), p.as_str()),
        CustomerRef::Account(a) => (cfg.portal_account_attribute.as_str(), a.as_str()),
        CustomerRef::Email(e) => match &cfg.email_attribute {
            Some(n) => (n.as_str(), e.as_str()),
            None => return Ok(None),
        },
    };
    if attr_name.chars().all(|c| c.is_ascii_digit()) {
        return Ok(None); // AQL needs the attribute's name
    }
    let aql = format!("{} = {}", assets::quote(attr_name)?, assets::quote(value)?);
    let mut found = Vec::new();
    objects_to_work(ctx, &aql, None, "", &mut found).await?;
    Ok(found
        .into_iter()
        .next()
        .and_then(|w| w.asset.map(|a| (a, w.email))))
}
