//! Names the config gives, resolved against the site once per job: groups (id or name), Assets
//! attributes (id or name, per object type) and each company's Confluence space. Doctor uses the same.

use crate::api::confluence::{self, Grant};
use crate::api::{assets, groups, Urls};
use crate::client::{Client, Walk};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::ids::{AttributeId, GroupId, SpaceKey};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// What a job resolved already.
#[derive(Default)]
pub struct Cache {
    /// (object type, wanted name or id) → attribute id
    attributes: RefCell<BTreeMap<(String, String), AttributeId>>,
    /// company → its space
    spaces: RefCell<BTreeMap<String, Option<SpaceKey>>>,
    /// space key → its id and the grants its users hold, read once per job and kept up to date
    grants: RefCell<BTreeMap<SpaceKey, Option<SpaceGrants>>>,
    /// Every attribute of the workspace's schemas by id, read once when one is needed by id.
    schema_attributes: RefCell<Option<BTreeMap<String, assets::TypeAttribute>>>,
}

/// A space's id and the grants each user holds in it.
#[derive(Clone, Debug, Default)]
struct SpaceGrants {
    by_user: BTreeMap<String, BTreeSet<Grant>>,
}

/// The grants `account` holds in the space (read once per job), or `None` when the space is not
/// found or not visible to the caller.
pub async fn held(
    client: &Client<'_>,
    site: &str,
    cache: &Cache,
    key: &SpaceKey,
    account: &str,
) -> Result<Option<BTreeSet<Grant>>> {
    load_grants(client, site, cache, key).await?;
    Ok(cache
        .grants
        .borrow()
        .get(key)
        .and_then(|g| g.as_ref())
        .map(|g| g.by_user.get(account).cloned().unwrap_or_default()))
}

/// Reads the space's permissions once per job (`GET /wiki/api/v2/spaces/{id}/permissions`, §7.2).
pub async fn load_grants(
    client: &Client<'_>,
    site: &str,
    cache: &Cache,
    key: &SpaceKey,
) -> Result<()> {
    if cache.grants.borrow().contains_key(key) {
        return Ok(());
    }
    let grants = match client.call(confluence::find_space(site, key)).await? {
        None => None,
        Some(id) => {
            let mut g = SpaceGrants::default();
            client
                .cursor_pages(
                    &Walk::new(format!("the permissions of space {key}")),
                    |c| confluence::space_permissions(site, &id, c),
                    |items| {
                        for (kind, principal, grant) in items {
                            if kind == "user" {
                                g.by_user.entry(principal).or_default().insert(grant);
                            }
                        }
                    },
                )
                .await?;
            Some(g)
        }
    };
    cache.grants.borrow_mut().insert(key.clone(), grants);
    Ok(())
}

/// Remembers a grant this job made.
pub fn granted(cache: &Cache, key: &SpaceKey, account: &str, grant: Grant) {
    if let Some(Some(g)) = cache.grants.borrow_mut().get_mut(key) {
        g.by_user
            .entry(account.to_string())
            .or_default()
            .insert(grant);
    }
}

/// Groups by id or name; an unknown name lists close matches.
pub async fn groups(client: &Client<'_>, s: &Settings) -> Result<Vec<GroupId>> {
    let site = &s.site_url;
    let mut out = Vec::new();
    for (i, g) in s.config.groups.iter().enumerate() {
        // A group id is used as it is (group add answers 404 for a wrong one); only names need a
        // lookup, which not every site's API offers the same way.
        if crate::ids::is_uuid(g) {
            out.push(GroupId::new(g.clone()));
            continue;
        }
        let by_id = client.call(groups::find_by_id(site, g)).await?;
        if let Some(found) = by_id
            .unwrap_or_default()
            .into_iter()
            .find(|x| x.group_id.as_str() == g)
        {
            out.push(found.group_id);
            continue;
        }
        let by_name = client.call(groups::find_by_name(site, g)).await?;
        if let Some(found) = by_name
            .unwrap_or_default()
            .into_iter()
            .find(|x| x.name.eq_ignore_ascii_case(g))
        {
            out.push(found.group_id);
            continue;
        }
        let known: Vec<String> = client
            .call(groups::picker(site, ""))
            .await?
            .into_iter()
            .map(|x| x.name)
            .collect();
        let refs: Vec<&str> = known.iter().map(String::as_str).collect();
        return Err(Error::config(
            format!("$.groups[{i}]"),
            format!(
                "no group with id or name {g:?}{}",
                crate::names::suggest(g, &refs)
            ),
        ));
    }
    Ok(out)
}

/// Resolves `wanted` (attribute id or name) for the object type of `obj`, from the definitions the
/// search sent along or the object type's attribute list.
pub async fn attribute(
    client: &Client<'_>,
    urls: &Urls,
    cache: &Cache,
    page_attributes: &[assets::TypeAttribute],
    obj: &assets::AssetObject,
    wanted: &str,
    path: &str,
) -> Result<AttributeId> {
    if !wanted.is_empty() && wanted.chars().all(|c| c.is_ascii_digit()) {
        return Ok(AttributeId::new(wanted));
    }
    let type_id = obj.type_id().map(|t| t.0.clone()).unwrap_or_default();
    let key = (type_id.clone(), wanted.to_string());
    if let Some(a) = cache.attributes.borrow().get(&key) {
        return Ok(a.clone());
    }
    let of_type: Vec<assets::TypeAttribute> = page_attributes
        .iter()
        .filter(|a| a.object_type.as_ref().is_none_or(|t| t.id.0 == type_id))
        .cloned()
        .collect();
    let resolved = match assets::resolve_attribute(&of_type, wanted, path) {
        Ok(a) => a,
        Err(first) => match obj.type_id() {
            Some(t) => {
                let attrs = client.call(assets::type_attributes(urls, t)).await?;
                assets::resolve_attribute(&attrs, wanted, path)?
            }
            None => return Err(first),
        },
    };
    cache.attributes.borrow_mut().insert(key, resolved.clone());
    Ok(resolved)
}

/// The attribute `id` (its name and object type), from the workspace's schemas (read once per job):
/// AQL names attributes, so a customer looked up by id needs the attribute's name.
pub async fn attribute_by_id(
    client: &Client<'_>,
    urls: &Urls,
    cache: &Cache,
    id: &str,
    path: &str,
) -> Result<assets::TypeAttribute> {
    if cache.schema_attributes.borrow().is_none() {
        let mut schemas = Vec::new();
        client
            .all_pages(
                &Walk::new("the Assets object schemas"),
                |start| assets::schemas(urls, start),
                |s| s.clone(),
                async |page| {
                    schemas.extend(page.items);
                    Ok(())
                },
            )
            .await?;
        let mut all = BTreeMap::new();
        for schema in schemas {
            for a in client
                .call(assets::schema_attributes(urls, &schema))
                .await?
            {
                all.insert(a.id.0.clone(), a);
            }
        }
        *cache.schema_attributes.borrow_mut() = Some(all);
    }
    cache
        .schema_attributes
        .borrow()
        .as_ref()
        .and_then(|all| all.get(id).cloned())
        .ok_or_else(|| {
            Error::config(
                path,
                format!(
                    "no Assets attribute has the id {id:?} in any object schema of this workspace"
                ),
            )
        })
}

/// The company's Confluence space key, from its Assets object (once per company and job).
pub async fn space(
    client: &Client<'_>,
    s: &Settings,
    urls: &Urls,
    cache: &Cache,
    company: Option<&str>,
) -> Result<Option<SpaceKey>> {
    let Some(cfg) = &s.config.assets else {
        return Ok(None);
    };
    let (Some(company), Some(query), Some(attr)) =
        (company, &cfg.company_query, &cfg.space_key_attribute)
    else {
        return Ok(None);
    };
    if let Some(k) = cache.spaces.borrow().get(company) {
        return Ok(k.clone());
    }
    let aql = assets::substitute(query, "company", company)?;
    let page = client.call(assets::search(urls, &aql, 0, 1)).await?;
    let key = match page.items.first() {
        Some(obj) => {
            let a = attribute(
                client,
                urls,
                cache,
                &page.meta,
                obj,
                attr,
                "$.assets.spaceKeyAttribute",
            )
            .await?;
            obj.value(&a).map(SpaceKey::new)
        }
        None => None,
    };
    cache
        .spaces
        .borrow_mut()
        .insert(company.to_string(), key.clone());
    Ok(key)
}
