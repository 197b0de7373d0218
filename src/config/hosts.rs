//! The one rule for where the credentials may go (design.md "One host rule, in the core"): each URL
//! of the config is parsed strictly (`origin.rs`) and must be its own origin; `siteUrl` must be
//! `https://<site>.atlassian.net`, `adminUrl` `https://admin.atlassian.com`, `apiUrl`
//! `https://api.atlassian.com`, unless the host is listed in `allowedHosts`; plain http only for
//! literal loopback (the simulator). Hosts receive the exact origins (`credential_origins`) and
//! compare parsed origins, never strings.

use super::Settings;
use crate::error::{Error, Result};
use crate::origin::Origin;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Role {
    Site,
    Admin,
    Api,
}

impl Role {
    fn expected(self) -> &'static str {
        match self {
            Role::Site => "https://<site>.atlassian.net",
            Role::Admin => "https://admin.atlassian.com",
            Role::Api => "https://api.atlassian.com",
        }
    }

    fn accepts(self, host: &str) -> bool {
        match self {
            Role::Site => host.strip_suffix(".atlassian.net").is_some_and(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            }),
            Role::Admin => host == "admin.atlassian.com",
            Role::Api => host == "api.atlassian.com",
        }
    }
}

/// The config's `allowedHosts`: exact host names (lower case), each a plain DNS name.
pub fn allowed(hosts: &[String]) -> Result<Vec<String>> {
    hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let path = format!("$.allowedHosts[{i}]");
            match Origin::of(&format!("https://{}", h.trim())) {
                Ok(o) if o.port.is_none() && o.host != "[::1]" && !h.contains(['/', ':', '@']) => {
                    Ok(o.host)
                }
                _ => Err(Error::config(
                    path,
                    format!(
                        "{h:?} is not a host name (give the name only, e.g. \"jira.example.com\")"
                    ),
                )),
            }
        })
        .collect()
}

/// Checks one URL of the config and answers its canonical origin (no trailing slash). A refusal
/// ends with the fix when one is certain: the URL's origin, with `https://` (added or instead of
/// `http://`) and without a path, provided the rule accepts it.
pub fn origin(path: &str, raw: &str, role: Role, allowed: &[String]) -> Result<String> {
    check(raw.trim(), role, allowed).map_err(|m| {
        let fix = fixed(raw.trim(), role, allowed)
            .map(|f| format!("; did you mean \"{f}\"?"))
            .unwrap_or_default();
        Error::config(path, format!("{m}{fix}"))
    })
}

fn check(v: &str, role: Role, allowed: &[String]) -> Result<String, String> {
    let o = Origin::of(v)?;
    let rest = &v[v.find("://").map_or(0, |i| i + 3)..];
    let tail = &rest[rest.find(['/', '?', '#']).unwrap_or(rest.len())..];
    if !(tail.is_empty() || tail == "/") {
        return Err("must be an origin only, without a path, query or fragment".into());
    }
    if o.is_loopback() {
        return Ok(o.to_string());
    }
    if !o.https {
        return Err("plain http is only allowed for literal loopback addresses (127.0.0.1, [::1], localhost)".into());
    }
    if role.accepts(&o.host) || allowed.contains(&o.host) {
        return Ok(o.to_string());
    }
    Err(format!(
        "{} is not an Atlassian host: it must be {} (or a host listed in allowedHosts)",
        o.host,
        role.expected()
    ))
}

/// The origin the user most likely meant, only when the rule accepts it: a site's bare name gets
/// `.atlassian.net`; a missing scheme or plain http becomes https (loopback keeps http).
fn fixed(v: &str, role: Role, allowed: &[String]) -> Option<String> {
    let bare = role == Role::Site
        && !v.is_empty()
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let url = match v.find("://") {
        _ if bare => format!("https://{v}.atlassian.net"),
        Some(_) => v.to_string(),
        None => format!("https://{v}"),
    };
    let mut o = Origin::of(&url).ok()?;
    if !o.is_loopback() && !o.https {
        o = Origin {
            https: true,
            port: None,
            ..o
        };
    }
    let fix = o.to_string();
    (fix != v && check(&fix, role, allowed).ok()? == fix).then_some(fix)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The table every host's tests run too (tests/js/url-rule.test.js): the origin accepted, or for
    /// a refusal the fix its message suggests (none unless given).
    #[test]
    fn the_url_rule_table() {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Table {
            allowed_hosts: Vec<String>,
            cases: Vec<Case>,
        }
        #[derive(serde::Deserialize)]
        struct Case {
            url: String,
            role: String,
            origin: Option<String>,
            #[serde(default)]
            fix: Option<String>,
        }
        let t: Table = serde_json::from_str(include_str!("../../tests/url-cases.json")).unwrap();
        let allowed = allowed(&t.allowed_hosts).unwrap();
        for c in t.cases {
            let role = match c.role.as_str() {
                "site" => Role::Site,
                "admin" => Role::Admin,
                _ => Role::Api,
            };
            let got = origin("$.x", &c.url, role, &allowed);
            assert_eq!(
                got.as_ref().ok(),
                c.origin.as_ref(),
                "{:?} as {role:?}",
                c.url
            );
            let suggested = got.err().and_then(|e| {
                let m = e.to_string();
                let (_, f) = m.split_once("; did you mean \"")?;
                Some(f.strip_suffix("\"?")?.to_string())
            });
            assert_eq!(suggested, c.fix, "fix for {:?} as {role:?}", c.url);
            if let Some(f) = &suggested {
                assert_eq!(origin("$.x", f, role, &allowed).ok().as_ref(), Some(f));
            }
        }
    }

    #[test]
    fn errors_say_what_to_give_and_the_fix() {
        let cases = [
            (
                "mysite.atlassian.net",
                "config $.siteUrl: must be an absolute http(s) URL; did you mean \"https://mysite.atlassian.net\"?",
            ),
            (
                "http://mysite.atlassian.net",
                "config $.siteUrl: plain http is only allowed for literal loopback addresses (127.0.0.1, [::1], localhost); did you mean \"https://mysite.atlassian.net\"?",
            ),
            (
                "https://x.atlassian.net/jira/servicedesk",
                "config $.siteUrl: must be an origin only, without a path, query or fragment; did you mean \"https://x.atlassian.net\"?",
            ),
            (
                "https://acme.atlassian.net.evil.example",
                "config $.siteUrl: acme.atlassian.net.evil.example is not an Atlassian host: it must be https://<site>.atlassian.net (or a host listed in allowedHosts)",
            ),
        ];
        for (url, want) in cases {
            let e = origin("$.siteUrl", url, Role::Site, &[]).unwrap_err();
            assert_eq!(e.to_string(), want);
        }
        assert!(allowed(&["https://x.example".into()]).is_err());
        assert!(allowed(&["x.example:8443".into()]).is_err());
    }
}
