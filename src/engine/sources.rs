//! Where customers come from: company keys (through `assets.customerQuery`), a custom AQL query,
//! explicit ids or emails, an issue's reporter, the portal-only directory, and every customer the
//! journal shows unfinished. `collect` reads what must be known before anything changes (every
//! company's first page, so an unknown company is refused first); `feed.rs` streams the rest. Each
//! customer comes out once (`work::Dedupe`).

use super::ctx::Ctx;
use super::request::MigrationRequest;
use super::resolve;
use super::work::{AssetRef, Work, WorkList};
use crate::api::{assets, customers, users};
use crate::client::Walk;
use crate::error::{Error, Result};
use crate::ids::{CustomerRef, IssueKey, SpaceKey};
use crate::journal::{CustomerRecord, Stage, CUSTOMER_PREFIX};
use futures::StreamExt;

const DIRECTORY_PAGE: u32 = 500;

/// A customer named by id or email (a request's list, an issue's reporter, the directory).
struct Explicit {
    reference: CustomerRef,
    source: String,
    email: Option<String>,
    /// The space the request names for it (a `space` column of a customers file).
    space: Option<SpaceKey>,
}

/// Customers of a company source held from `collect` (its first page) and where its walk goes on.
pub(crate) struct Company {
    pub key: String,
    pub aql: String,
    pub held: WorkList,
    /// The offset its walk goes on from (`None`: `held` is all of it).
    pub rest_from: Option<u64>,
}

/// What `collect` found before any customer starts.
pub(crate) struct Sources {
    pub companies: Vec<Company>,
    /// The other sources' customers (a custom AQL query, explicit ids, an issue's reporter, the
    /// directory, the journal's open customers), after every company's.
    pub rest: WorkList,
}

impl Sources {
    /// Customers known so far (before dedupe; the walks still to come add theirs).
    pub fn known(&self) -> usize {
        self.companies.iter().map(|c| c.held.len()).sum::<usize>() + self.rest.len()
    }
}

/// First pages held across all companies, at most: a company beyond it is walked again from its
/// start when its turn comes (one request more), so a job of 100,000 customers never waits whole
/// in memory, while a job of small companies (each one page) costs no request more.
const HOLD: usize = 5_000;

/// Reads every source up to what must be known before anything changes; `feed` streams the rest.
pub(crate) async fn collect(ctx: &Ctx<'_>, req: &MigrationRequest) -> Result<Sources> {
    let companies = req.companies_or(&ctx.s.config.companies);
    let assets_cfg = ctx.s.config.assets.as_ref();
    if let (Some(first), None) = (companies.first(), assets_cfg) {
        return Err(Error::request(format!(
            "company {first:?}: a company source needs assets.customerQuery in the config (this config has no \"assets\")"
        )));
    }
    // Companies side by side (the limiter bounds them), kept in order: each one's first page.
    let walks = futures::stream::iter(companies)
        .filter_map(|key| async move { assets_cfg.map(|cfg| (key, cfg)) })
        .map(|(key, cfg)| async move {
            let aql = assets::substitute(&cfg.customer_query, "company", key)?;
            let first = ctx
                .client
                .call(assets::search(&ctx.urls, &aql, 0, page_size(ctx)))
                .await?;
            let received = first.items.len() as u64;
            let whole = received == 0 || crate::client::first_page_is_all(&first);
            let works = page_works(ctx, &first, Some(key), &format!("company:{key}")).await?;
            if works.is_empty() && whole {
                known_company(ctx, key, &aql).await?;
            }
            // Once per company, before its customers run side by side and would each look it up.
            if let Some(space) = ctx.space_for(Some(key)).await? {
                resolve::load_grants(&ctx.client, &ctx.urls.site, &ctx.cache, &space).await?;
            }
            Ok((key.clone(), aql, works, (!whole).then_some(received)))
        })
        .buffered(ctx.s.concurrency.max(1) as usize);
    // Packed as each first page arrives; every walk runs to its end even after one failed (a
    // future dropped mid-wait would leave the host's timer calling into a dead closure).
    let mut walks = std::pin::pin!(walks);
    let mut held = 0usize;
    let mut out: Vec<Company> = Vec::new();
    let mut failed = None;
    while let Some(c) = walks.next().await {
        match c {
            Ok((key, aql, works, rest_from)) if failed.is_none() => {
                let (works, rest_from) = if held + works.len() > HOLD {
                    (Vec::new(), Some(0))
                } else {
                    (works, rest_from)
                };
                held += works.len();
                out.push(Company {
                    key,
                    aql,
                    held: WorkList::from(works),
                    rest_from,
                });
            }
            Ok(_) => {}
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    // The other sources, in order, as one more part.
    let mut work = Vec::new();
    if let Some(aql) = &req.aql {
        if assets_cfg.is_none() {
            return Err(Error::request(
                "an AQL source needs the \"assets\" section in the config",
            ));
        }
        objects_to_work(ctx, aql, None, "aql", &mut work).await?;
    }
    let mut explicit: Vec<Explicit> = Vec::new();
    for c in &req.customers {
        let r = CustomerRef::parse(c)
            .ok_or_else(|| Error::request(format!("{c:?} is not a customer id or email")))?;
        explicit.push(Explicit {
            reference: r,
            source: format!("customer:{c}"),
            email: None,
            space: req.customer_spaces.get(c).map(|k| SpaceKey::new(k.clone())),
        });
    }
    if let (Some(issue), true) = (&req.issue_key, req.reporter.unwrap_or(true)) {
        let key = IssueKey::new(issue.clone());
        match ctx
            .client
            .call(users::issue_reporter(&ctx.urls.site, &key))
            .await?
        {
            Some(u) => explicit.push(Explicit {
                reference: CustomerRef::parse(u.account_id.as_str())
                    .unwrap_or(CustomerRef::Account(u.account_id.clone())),
                source: format!("issue:{issue}"),
                email: u.email(),
                space: None,
            }),
            None => return Err(Error::request(format!("issue {issue} has no reporter"))),
        }
    }
    if let Some(filter) = &req.portal_customers {
        let domain = filter.email_domain.as_deref();
        directory(ctx, domain, &mut explicit, &mut work).await?;
    }
    for e in explicit {
        let found = locate(ctx, &e.reference).await?;
        work.push(Work {
            reference: Some(e.reference),
            email: e.email.or(found.as_ref().and_then(|f| f.email.clone())),
            company: found.as_ref().and_then(|f| f.company.clone()),
            asset: found.and_then(|f| f.asset),
            source: e.source,
            skip_reason: None,
            space: e.space,
        });
    }
    // This job's own customers left open by earlier runs (crash, deadline, a failed step). Other
    // jobs' open customers are theirs to finish: a job runs only what its request names. A job the
    // journal never saw has none (its record is written before any customer's), so a new job on a
    // site with a big journal does not read every record back.
    if !ctx.dry_run && ctx.known {
        let mut open: Vec<CustomerRecord> = Vec::new();
        ctx.records
            .scan(CUSTOMER_PREFIX, |r: CustomerRecord| {
                if r.stage != Stage::Complete && r.job_id == ctx.job_id {
                    open.push(r);
                }
            })
            .await?;
        for r in open {
            let reference = CustomerRef::Portal(r.portal_account_id.clone());
            let found = match &r.asset_object_id {
                Some(_) => locate(ctx, &reference).await?,
                None => None,
            };
            work.push(Work {
                reference: Some(reference),
                email: r.email,
                company: r
                    .company
                    .or_else(|| found.as_ref().and_then(|f| f.company.clone())),
                asset: found.and_then(|f| f.asset),
                source: "journal".into(),
                skip_reason: None,
                space: r.space.map(SpaceKey::new),
            });
        }
    }
    Ok(Sources {
        companies: out,
        rest: WorkList::from(work),
    })
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
    out: &mut Vec<Explicit>,
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
                        Some(id) => out.push(Explicit {
                            reference: CustomerRef::Portal(id.clone()),
                            source: "directory".into(),
                            email,
                            space: None,
                        }),
                        None => skipped.push(Work {
                            reference: None,
                            email,
                            company: None,
                            asset: None,
                            source: "directory".into(),
                            skip_reason: Some(
                                "a directory entry without username, accountId or id".into(),
                            ),
                            space: None,
                        }),
                    }
                }
                Ok(())
            },
        )
        .await
}

fn page_size(ctx: &Ctx<'_>) -> u32 {
    ctx.s
        .config
        .assets
        .as_ref()
        .and_then(|a| a.page_size)
        .unwrap_or(100)
}

/// A company whose query found no customer: an error naming it unless its company object exists
/// (then it simply has no customers). Nothing has changed yet when this fails.
async fn known_company(ctx: &Ctx<'_>, key: &str, aql: &str) -> Result<()> {
    let Some(cfg) = &ctx.s.config.assets else {
        return Ok(());
    };
    if let Some(q) = &cfg.company_query {
        let find = assets::substitute(q, "company", key)?;
        if !ctx
            .client
            .call(assets::search(&ctx.urls, &find, 0, 1))
            .await?
            .items
            .is_empty()
        {
            return Ok(());
        }
    }
    let known: Vec<&str> = ctx.s.config.companies.iter().map(String::as_str).collect();
    Err(Error::request(format!(
        "no company {key:?}: assets.customerQuery ({aql}) found no customer{}{}",
        if cfg.company_query.is_some() {
            " and assets.companyQuery no company object"
        } else {
            ""
        },
        crate::names::suggest(key, &known)
    )))
}

/// What an Assets object says of its customer.
struct Found {
    asset: Option<AssetRef>,
    email: Option<String>,
    company: Option<String>,
}

/// An attribute's value on `obj`, the attribute given by name or id.
async fn read(
    ctx: &Ctx<'_>,
    meta: &[assets::TypeAttribute],
    obj: &assets::AssetObject,
    wanted: &Option<String>,
    path: &str,
) -> Result<Option<String>> {
    let Some(w) = wanted else { return Ok(None) };
    let a = resolve::attribute(&ctx.client, &ctx.urls, &ctx.cache, meta, obj, w, path).await?;
    Ok(obj.value(&a))
}

/// Turns the objects an AQL query finds (every page) into work items.
async fn objects_to_work(
    ctx: &Ctx<'_>,
    aql: &str,
    company: Option<&str>,
    source: &str,
    out: &mut Vec<Work>,
) -> Result<()> {
    if ctx.s.config.assets.is_none() {
        return Ok(());
    }
    ctx.client
        .all_pages(
            &Walk::new(format!("AQL query {aql:?}")),
            |start| assets::search(&ctx.urls, aql, start, page_size(ctx)),
            |o| o.id.0.clone(),
            async |page| {
                out.extend(page_works(ctx, &page, company, source).await?);
                Ok(())
            },
        )
        .await
}

/// The rest of a company's walk from `start`, a page at a time into `each`.
pub(crate) async fn company_pages(
    ctx: &Ctx<'_>,
    c: &Company,
    start: u64,
    mut each: impl AsyncFnMut(Vec<Work>) -> Result<()>,
) -> Result<()> {
    let source = format!("company:{}", c.key);
    ctx.client
        .all_pages_from(
            &Walk::new(format!("AQL query {:?}", c.aql)),
            start,
            |at| assets::search(&ctx.urls, &c.aql, at, page_size(ctx)),
            |o| o.id.0.clone(),
            async |page| each(page_works(ctx, &page, Some(&c.key), &source).await?).await,
        )
        .await
}

/// One page of Assets objects as work items.
async fn page_works(
    ctx: &Ctx<'_>,
    page: &assets::SearchPage,
    company: Option<&str>,
    source: &str,
) -> Result<Vec<Work>> {
    let Some(cfg) = &ctx.s.config.assets else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(page.items.len());
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
        let email = read(
            ctx,
            &page.meta,
            obj,
            &cfg.email_attribute,
            "$.assets.emailAttribute",
        )
        .await?;
        // The source's company wins (a company source is what the admin asked for).
        let company = match company {
            Some(c) => Some(c.to_string()),
            None => read(
                ctx,
                &page.meta,
                obj,
                &cfg.company_attribute,
                "$.assets.companyAttribute",
            )
            .await?
            .filter(|c| !c.trim().is_empty()),
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
            company,
            asset: Some(AssetRef {
                object: obj.id.clone(),
                object_type: obj.type_id().cloned(),
                attribute: attr,
                value,
            }),
            source: source.to_string(),
            skip_reason,
            space: None,
        });
    }
    Ok(out)
}

/// The attribute's name for AQL, and the object type it belongs to when it was given by id.
async fn aql_name(ctx: &Ctx<'_>, wanted: &str, path: &str) -> Result<(String, Option<String>)> {
    if !wanted.chars().all(|c| c.is_ascii_digit()) {
        return Ok((wanted.to_string(), None));
    }
    let a = resolve::attribute_by_id(&ctx.client, &ctx.urls, &ctx.cache, wanted, path).await?;
    Ok((a.name, a.object_type.map(|t| t.id.0)))
}

/// Finds the Assets object of a customer given by id or email (the attribute by name or id).
async fn locate(ctx: &Ctx<'_>, reference: &CustomerRef) -> Result<Option<Found>> {
    let Some(cfg) = &ctx.s.config.assets else {
        return Ok(None);
    };
    let ((attr, path), value) = match reference {
        CustomerRef::Portal(p) => (
            (
                &cfg.portal_account_attribute,
                "$.assets.portalAccountAttribute",
            ),
            p.as_str(),
        ),
        CustomerRef::Account(a) => (
            (
                &cfg.portal_account_attribute,
                "$.assets.portalAccountAttribute",
            ),
            a.as_str(),
        ),
        CustomerRef::Email(e) => match &cfg.email_attribute {
            Some(n) => ((n, "$.assets.emailAttribute"), e.as_str()),
            None => return Ok(None),
        },
    };
    let (name, object_type) = aql_name(ctx, attr, path).await?;
    let clause = format!("{} = {}", assets::quote(&name)?, assets::quote(value)?);
    let aql = match object_type {
        Some(t) if t.chars().all(|c| c.is_ascii_digit()) => {
            format!("objectTypeId = {t} AND {clause}")
        }
        _ => clause,
    };
    let mut found = Vec::new();
    objects_to_work(ctx, &aql, None, "", &mut found).await?;
    Ok(found.into_iter().next().map(|w| Found {
        asset: w.asset,
        email: w.email,
        company: w.company,
    }))
}
