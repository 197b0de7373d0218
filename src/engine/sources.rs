//! Where customers come from (company keys, explicit ids or emails, an issue's reporter, a custom AQL
//! query, the portal-only directory), name resolution, company spaces, and the once-per-job comment.

use super::customer::{AssetRef, Work};
use super::{Ctx, MigrationRequest};
use crate::api::{assets, comments, customers, groups, users};
use crate::error::{Error, Result};
use crate::ids::{AttributeId, CustomerRef, GroupId, IssueKey, SpaceKey};
use crate::journal::{CommentRecord, CustomerRecord, JobRecord, Stage};
use crate::report::{Report, Status};
use crate::retry::RetryClass;
use std::collections::{BTreeMap, HashSet};

const DIRECTORY_PAGE: u32 = 500;

fn page_size(ctx: &Ctx<'_>) -> u32 {
    ctx.s.config.assets.page_size.unwrap_or(100)
}

/// Groups by id or name, resolved once per job; an unknown name lists close matches.
pub(crate) async fn resolve_groups(ctx: &Ctx<'_>) -> Result<Vec<GroupId>> {
    let mut out = Vec::new();
    for (i, g) in ctx.s.config.groups.iter().enumerate() {
        let path = format!("$.groups[{i}]");
        // A group id is used as it is (group add answers 404 for a wrong one); only names need a
        // lookup, which not every site's API offers the same way.
        if crate::ids::is_uuid(g) {
            out.push(GroupId::new(g.clone()));
            continue;
        }
        let by_id = ctx
            .client
            .send(
                "groups.find",
                groups::find_by_id(&ctx.urls.site, g),
                RetryClass::Safe,
            )
            .await?;
        if by_id.is_success() {
            if let Some(found) = groups::parse_bulk(&by_id)?
                .into_iter()
                .find(|x| x.group_id.as_str() == g)
            {
                out.push(found.group_id);
                continue;
            }
        }
        let by_name = ctx
            .client
            .send(
                "groups.find",
                groups::find_by_name(&ctx.urls.site, g),
                RetryClass::Safe,
            )
            .await?;
        if by_name.is_success() {
            if let Some(found) = groups::parse_bulk(&by_name)?
                .into_iter()
                .find(|x| x.name.eq_ignore_ascii_case(g))
            {
                out.push(found.group_id);
                continue;
            }
        }
        let picker = ctx
            .client
            .send(
                "groups.picker",
                groups::picker(&ctx.urls.site, ""),
                RetryClass::Safe,
            )
            .await?;
        let known: Vec<String> = groups::parse_picker(&picker)
            .unwrap_or_default()
            .into_iter()
            .map(|x| x.name)
            .collect();
        let refs: Vec<&str> = known.iter().map(String::as_str).collect();
        return Err(Error::config(
            path,
            format!(
                "no group with id or name {g:?}{}",
                crate::names::suggest(g, &refs)
            ),
        ));
    }
    Ok(out)
}

/// Resolves `wanted` (attribute id or name) for the object type of `obj` using what the search sent
/// along, or the object type's attribute list.
async fn attribute(
    ctx: &Ctx<'_>,
    cache: &mut BTreeMap<(String, String), AttributeId>,
    page: &assets::SearchPage,
    obj: &assets::AssetObject,
    wanted: &str,
    path: &str,
) -> Result<AttributeId> {
    if !wanted.is_empty() && wanted.chars().all(|c| c.is_ascii_digit()) {
        return Ok(AttributeId::new(wanted));
    }
    let type_id = obj.type_id().map(|t| t.0.clone()).unwrap_or_default();
    if let Some(a) = cache.get(&(type_id.clone(), wanted.to_string())) {
        return Ok(a.clone());
    }
    let of_type: Vec<assets::TypeAttribute> = page
        .type_attributes
        .iter()
        .filter(|a| a.object_type.as_ref().is_none_or(|t| t.id.0 == type_id))
        .cloned()
        .collect();
    let resolved = match assets::resolve_attribute(&of_type, wanted, path) {
        Ok(a) => a,
        Err(first) => match obj.type_id() {
            Some(t) => {
                let r = ctx
                    .client
                    .send(
                        "assets.objectTypeAttributes",
                        assets::type_attributes(&ctx.urls.assets, t),
                        RetryClass::Safe,
                    )
                    .await?;
                assets::resolve_attribute(&assets::parse_type_attributes(&r)?, wanted, path)?
            }
            None => return Err(first),
        },
    };
    cache.insert((type_id, wanted.to_string()), resolved.clone());
    Ok(resolved)
}

/// Runs an AQL query over every page.
pub(crate) async fn search_all(
    ctx: &Ctx<'_>,
    aql: &str,
    mut each: impl FnMut(&assets::SearchPage),
) -> Result<()> {
    let mut start = 0u64;
    for _ in 0..100_000 {
        let r = ctx
            .client
            .send(
                "assets.search",
                assets::search(&ctx.urls.assets, aql, start, page_size(ctx)),
                RetryClass::Safe,
            )
            .await?;
        let page = assets::parse_search(&r, start)?;
        each(&page);
        match page.page.next_offset() {
            Some(n) => start = n,
            None => return Ok(()),
        }
    }
    Err(Error::request(format!(
        "AQL query {aql:?} returned more pages than allowed"
    )))
}

/// Turns objects found by a query into work items.
async fn objects_to_work(
    ctx: &Ctx<'_>,
    aql: &str,
    company: Option<&str>,
    source: &str,
    out: &mut Vec<Work>,
) -> Result<()> {
    let mut pages = Vec::new();
    search_all(ctx, aql, |p| pages.push(p.clone())).await?;
    let cfg = &ctx.s.config.assets;
    let mut cache = BTreeMap::new();
    for page in &pages {
        for obj in &page.page.items {
            let attr = attribute(
                ctx,
                &mut cache,
                page,
                obj,
                &cfg.portal_account_attribute,
                "$.assets.portalAccountAttribute",
            )
            .await?;
            let email = match &cfg.email_attribute {
                Some(e) => obj.value(
                    &attribute(ctx, &mut cache, page, obj, e, "$.assets.emailAttribute").await?,
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
                    attribute: attr,
                    value,
                }),
                source: source.to_string(),
                skip_reason,
            });
        }
    }
    Ok(())
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

/// Collects every customer of the request, each once.
pub(crate) async fn collect(ctx: &Ctx<'_>, req: &MigrationRequest) -> Result<Vec<Work>> {
    let mut work = Vec::new();
    let companies: Vec<String> = if req.companies.is_empty()
        && req.customers.is_empty()
        && req.issue_key.is_none()
        && req.aql.is_none()
        && req.portal_customers.is_none()
    {
        ctx.s.config.companies.clone()
    } else {
        req.companies.clone()
    };
    for key in &companies {
        let aql = assets::substitute(&ctx.s.config.assets.customer_query, "company", key)?;
        objects_to_work(ctx, &aql, Some(key), &format!("company:{key}"), &mut work).await?;
        // Once per company, before its customers run side by side and would each look it up.
        space_for(ctx, Some(key)).await?;
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
        let r = ctx
            .client
            .send(
                "issues.get",
                users::issue_reporter(&ctx.urls.site, &IssueKey::new(issue.clone())),
                RetryClass::Safe,
            )
            .await?;
        match users::parse_issue_reporter(&r)? {
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
        let domain = filter
            .email_domain
            .as_ref()
            .map(|d| format!("@{}", d.trim_start_matches('@').to_ascii_lowercase()));
        let mut start = 0u64;
        loop {
            let r = ctx
                .client
                .send(
                    "customers.list",
                    customers::list(&ctx.urls.customers, start, DIRECTORY_PAGE),
                    RetryClass::Safe,
                )
                .await?;
            let page = customers::parse_list(&r, start)?;
            let next = page.next_offset();
            for c in page.items {
                let email = c.email_address.clone().filter(|e| !e.is_empty());
                if let Some(d) = &domain {
                    if !email
                        .as_deref()
                        .is_some_and(|e| e.to_ascii_lowercase().ends_with(d.as_str()))
                    {
                        continue;
                    }
                }
                explicit.push((CustomerRef::Portal(c.username), "directory".into(), email));
            }
            match next {
                Some(n) => start = n,
                None => break,
            }
        }
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
    // Unfinished customers of earlier runs (crash, deadline, failed step) are finished too.
    if !ctx.dry_run {
        let records: Vec<CustomerRecord> = ctx.records.list("customer/").await?;
        for r in records.into_iter().filter(|r| r.stage != Stage::Complete) {
            let reference = CustomerRef::Portal(crate::ids::PortalCustomerId::new(
                r.portal_account_id.clone(),
            ));
            let asset = match (&r.asset_object_id, &reference) {
                (Some(_), _) => locate(ctx, &reference).await?.map(|(a, _)| a),
                _ => None,
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

/// Keeps the first work item per customer: the same Assets object, or the same id or email, counts
/// once. Company sources come first, so a customer also named explicitly keeps its company (and space).
fn dedupe(work: Vec<Work>) -> Vec<Work> {
    let mut objects = HashSet::new();
    let mut refs = HashSet::new();
    work.into_iter()
        .filter(|w| {
            let Some(reference) = &w.reference else {
                return true;
            };
            if let Some(a) = &w.asset {
                if !objects.insert(a.object.0.clone()) {
                    return false;
                }
            }
            refs.insert(match reference {
                CustomerRef::Portal(p) => p.0.clone(),
                CustomerRef::Account(a) => a.0.clone(),
                CustomerRef::Email(e) => e.to_ascii_lowercase(),
            })
        })
        .collect()
}

/// The company's Confluence space key, from its Assets object (cached per company).
pub(crate) async fn space_for(ctx: &Ctx<'_>, company: Option<&str>) -> Result<Option<SpaceKey>> {
    let cfg = &ctx.s.config.assets;
    let (Some(company), Some(query), Some(attr)) =
        (company, &cfg.company_query, &cfg.space_key_attribute)
    else {
        return Ok(None);
    };
    if let Some(k) = ctx.spaces.borrow().get(company) {
        return Ok(k.clone());
    }
    let aql = assets::substitute(query, "company", company)?;
    let r = ctx
        .client
        .send(
            "assets.search",
            assets::search(&ctx.urls.assets, &aql, 0, 1),
            RetryClass::Safe,
        )
        .await?;
    let page = assets::parse_search(&r, 0)?;
    let key = match page.page.items.first() {
        Some(obj) => {
            let mut cache = BTreeMap::new();
            let a = attribute(
                ctx,
                &mut cache,
                &page,
                obj,
                attr,
                "$.assets.spaceKeyAttribute",
            )
            .await?;
            obj.value(&a).map(SpaceKey::new)
        }
        None => None,
    };
    ctx.spaces
        .borrow_mut()
        .insert(company.to_string(), key.clone());
    Ok(key)
}

/// Posts the job's summary comment at most once per job: journaled before (`sending`) and after
/// (`posted`); after a lost answer the issue's comments are searched for the job marker.
pub(crate) async fn comment_once(
    ctx: &Ctx<'_>,
    job: &mut JobRecord,
    issue: &str,
    report: &Report,
) -> Result<Option<String>> {
    let key = IssueKey::new(issue);
    let marker = format!("[portal-migrate {}]", ctx.job_id);
    if let Some(c) = &job.comment {
        if c.state == "posted" {
            return Ok(c.id.clone());
        }
        let r = ctx
            .client
            .send(
                "comments.list",
                comments::list(&ctx.urls.site, &key),
                RetryClass::Safe,
            )
            .await?;
        if comments::parse_list_has(&r, &marker)? {
            job.comment = Some(CommentRecord {
                issue: issue.into(),
                state: "posted".into(),
                id: None,
            });
            ctx.records
                .put(&crate::journal::job_key(&ctx.job_id), job)
                .await?;
            return Ok(None);
        }
    }
    job.comment = Some(CommentRecord {
        issue: issue.into(),
        state: "sending".into(),
        id: None,
    });
    ctx.records
        .put(&crate::journal::job_key(&ctx.job_id), job)
        .await?;
    let lines = comment_lines(report, &marker);
    let r = ctx
        .client
        .send(
            "comments.add",
            comments::add(&ctx.urls.site, &key, &lines, ctx.s.config.comment.internal),
            RetryClass::Never,
        )
        .await?;
    let id = comments::parse_add(&r)?;
    job.comment = Some(CommentRecord {
        issue: issue.into(),
        state: "posted".into(),
        id: Some(id.clone()),
    });
    ctx.records
        .put(&crate::journal::job_key(&ctx.job_id), job)
        .await?;
    Ok(Some(id))
}

fn comment_lines(report: &Report, marker: &str) -> Vec<String> {
    let t = &report.totals;
    let mut lines = vec![format!(
        "Portal customer migration {marker}: {} migrated, {} already migrated, {} failed, {} skipped.",
        t.migrated, t.already_migrated, t.failed, t.skipped
    )];
    for c in &report.customers {
        let who = c
            .email
            .clone()
            .or(c.portal_account_id.clone())
            .unwrap_or_default();
        let line = match c.status {
            Status::Migrated => format!(
                "Migrated {who}: new account {}",
                c.account_id.as_deref().unwrap_or("?")
            ),
            Status::AlreadyMigrated => format!(
                "Already migrated {who}: account {}",
                c.account_id.as_deref().unwrap_or("?")
            ),
            Status::Failed => format!(
                "FAILED {who} at {}: {}",
                c.failed_step.as_deref().unwrap_or("?"),
                c.error.as_deref().unwrap_or("")
            ),
            Status::Skipped => format!("Skipped {who}: {}", c.error.as_deref().unwrap_or("")),
            Status::Planned => format!("Would migrate {who}"),
        };
        lines.push(line);
    }
    lines
}
