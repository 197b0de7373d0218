//! A customer's Confluence space, from the most specific source that names one:
//! 1. the request (a `space` column of a customers file),
//! 2. its company's Assets object (`assets.companyQuery` + `spaceKeyAttribute`; the company from a
//!    company source or the customer object's `assets.companyAttribute`),
//! 3. its JSM organization (`confluence.spaceByOrganization`),
//! 4. its email domain (`confluence.spaceByEmailDomain`).

use super::ctx::Ctx;
use super::work::Work;
use crate::api::organizations;
use crate::client::Walk;
use crate::config::Settings;
use crate::error::Result;
use crate::ids::{AccountId, CustomerRef, SpaceKey};

/// Where a customer's space came from, or why it has none.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Space {
    /// No source of spaces is configured: the step does not apply.
    NotConfigured,
    Found {
        key: SpaceKey,
        from: String,
    },
    /// Spaces are configured but none names one for this customer: what was tried.
    Missing(String),
}

/// Whether any source of spaces is configured (a request's own spaces count).
pub(crate) fn configured(s: &Settings, w: &Work) -> bool {
    let company = s
        .config
        .assets
        .as_ref()
        .is_some_and(|a| a.company_query.is_some());
    let maps = s.config.confluence.as_ref().is_some_and(|c| {
        !c.space_by_organization.is_empty() || !c.space_by_email_domain.is_empty()
    });
    company || maps || w.space.is_some()
}

/// The customer's space. `account` is its new account (organizations are looked up by it and by
/// the portal id: whether migration re-points memberships is not documented, §2.5); `email` the
/// best address known for it (the account's, the source's, or the id it was given by).
pub(crate) async fn of(
    ctx: &Ctx<'_>,
    w: &Work,
    account: Option<&AccountId>,
    email: Option<&str>,
) -> Result<Space> {
    if !configured(ctx.s, w) {
        return Ok(Space::NotConfigured);
    }
    if let Some(k) = &w.space {
        return Ok(found(k.clone(), "the request"));
    }
    let mut tried = Vec::new();
    if ctx
        .s
        .config
        .assets
        .as_ref()
        .is_some_and(|a| a.company_query.is_some())
    {
        match w.company.as_deref() {
            Some(c) => match ctx.space_for(Some(c)).await? {
                Some(k) => return Ok(found(k, &format!("company {c}"))),
                None => tried.push(format!("company {c} has no space key in Assets")),
            },
            None => tried.push(if w.asset.is_some() {
                "its Assets object names no company (assets.companyAttribute)".to_string()
            } else {
                "it has no Assets object naming its company".to_string()
            }),
        }
    }
    let Some(c) = &ctx.s.config.confluence else {
        return Ok(Space::Missing(tried.join("; ")));
    };
    if !c.space_by_organization.is_empty() {
        let mut names = Vec::new();
        let ids: Vec<&str> = [account.map(|a| a.as_str()), w.portal_id()]
            .into_iter()
            .flatten()
            .collect();
        for id in ids {
            names = organizations_of(ctx, id).await?;
            if !names.is_empty() {
                break;
            }
        }
        if let Some((org, key)) = names
            .iter()
            .find_map(|n| c.space_by_organization.get(n).map(|k| (n, k)))
        {
            return Ok(found(
                SpaceKey::new(key.clone()),
                &format!("organization {org}"),
            ));
        }
        tried.push(match names.len() {
            0 => "it is in no JSM organization".to_string(),
            _ => format!(
                "none of its organizations ({}) is in confluence.spaceByOrganization",
                names.join(", ")
            ),
        });
    }
    if !c.space_by_email_domain.is_empty() {
        let given = match &w.reference {
            Some(CustomerRef::Email(e)) => Some(e.as_str()),
            _ => None,
        };
        let domain = email
            .or(w.email.as_deref())
            .or(given)
            .and_then(|e| e.rsplit_once('@'))
            .map(|(_, d)| d.to_ascii_lowercase());
        match domain {
            Some(d) => {
                let hit = c
                    .space_by_email_domain
                    .iter()
                    .find(|(k, _)| k.trim_start_matches('@').eq_ignore_ascii_case(&d));
                if let Some((_, key)) = hit {
                    return Ok(found(
                        SpaceKey::new(key.clone()),
                        &format!("email domain {d}"),
                    ));
                }
                tried.push(format!(
                    "its email domain {d} is not in confluence.spaceByEmailDomain"
                ));
            }
            None => tried.push("its email is not known (hidden by the profile's privacy)".into()),
        }
    }
    Ok(Space::Missing(tried.join("; ")))
}

fn found(key: SpaceKey, from: &str) -> Space {
    Space::Found {
        key,
        from: from.to_string(),
    }
}

/// The names of the organizations `account` belongs to (every page, bounded).
async fn organizations_of(ctx: &Ctx<'_>, account: &str) -> Result<Vec<String>> {
    let mut names = Vec::new();
    ctx.client
        .all_pages(
            &Walk::new(format!("the organizations of {account}")),
            |start| organizations::of_account(&ctx.urls.site, account, start),
            |o| o.id.clone(),
            async |page| {
                names.extend(page.items.into_iter().map(|o| o.name));
                Ok(())
            },
        )
        .await?;
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{settings, with_ctx, Script};

    fn work(email: &str, company: Option<&str>, space: Option<&str>) -> Work {
        Work {
            reference: CustomerRef::parse("qm:1:a"),
            email: Some(email.into()),
            company: company.map(str::to_string),
            asset: None,
            source: "customer:x".into(),
            skip_reason: None,
            space: space.map(SpaceKey::new),
        }
    }

    fn all_sources() -> Settings {
        settings(serde_json::json!({
            "assets": {"customerQuery": "objectTypeId = 4 AND Company = {company}", "portalAccountAttribute": "91",
                       "companyQuery": "objectTypeId = 1 AND Key = {company}", "spaceKeyAttribute": "77"},
            "confluence": {"spaceByOrganization": {"Acme Corp": "ORG"}, "spaceByEmailDomain": {"acme.example": "DOM"}}
        }))
    }

    const COMPANY: &str = r#"{"values":[{"id":"5","objectType":{"id":"1"},"attributes":[{"objectTypeAttributeId":"77","objectAttributeValues":[{"value":"CO"}]}]}],"isLast":true}"#;
    const NO_COMPANY: &str = r#"{"values":[],"isLast":true}"#;
    const IN_ORG: &str = r#"{"values":[{"id":3,"name":"Acme Corp"}],"isLastPage":true}"#;
    const NO_ORG: &str = r#"{"values":[],"isLastPage":true}"#;

    fn space(script: Script, w: Work) -> Space {
        let s = all_sources();
        let acc = AccountId::new("712020:n");
        with_ctx(&script, &s, async |ctx| {
            of(ctx, &w, Some(&acc), None).await.unwrap()
        })
        .0
    }

    fn key(s: &Space) -> &str {
        match s {
            Space::Found { key, .. } => key.as_str(),
            other => panic!("no space: {other:?}"),
        }
    }

    #[test]
    fn the_most_specific_source_wins() {
        let answers = || {
            Script::default()
                .on("/object/aql", 200, COMPANY)
                .on("/organization?", 200, IN_ORG)
        };
        assert_eq!(
            key(&space(
                answers(),
                work("a@acme.example", Some("ACME"), Some("REQ"))
            )),
            "REQ"
        );
        assert_eq!(
            key(&space(
                answers(),
                work("a@acme.example", Some("ACME"), None)
            )),
            "CO"
        );
        assert_eq!(
            key(&space(answers(), work("a@acme.example", None, None))),
            "ORG"
        );
        let no_org = Script::default().on("/organization?", 200, NO_ORG);
        let s = space(no_org, work("a@ACME.example", None, None));
        assert_eq!(key(&s), "DOM");
        assert!(matches!(&s, Space::Found { from, .. } if from == "email domain acme.example"));
    }

    #[test]
    fn organizations_are_asked_by_the_new_account_then_the_portal_id() {
        let script = Script::default()
            .on("/organization?accountId=712020", 200, NO_ORG)
            .on("/organization?accountId=qm", 200, IN_ORG);
        let s = space(script, work("a@other.example", None, None));
        assert!(
            matches!(&s, Space::Found { from, .. } if from == "organization Acme Corp"),
            "{s:?}"
        );
    }

    #[test]
    fn a_customer_no_source_names_is_missing_with_every_reason() {
        let script =
            Script::default()
                .on("/object/aql", 200, NO_COMPANY)
                .on("/organization?", 200, NO_ORG);
        let s = space(script, work("a@other.example", Some("NOPE"), None));
        assert_eq!(
            s,
            Space::Missing(
                "company NOPE has no space key in Assets; it is in no JSM organization; its email domain other.example is not in confluence.spaceByEmailDomain".into()
            )
        );
        let plain = settings(serde_json::json!({}));
        let w = work("a@b.example", Some("ACME"), None);
        let got = with_ctx(&Script::default(), &plain, async |ctx| {
            of(ctx, &w, None, None).await.unwrap()
        })
        .0;
        assert_eq!(got, Space::NotConfigured);
    }
}
