//! Typed ids, so a portal-only `qm:` id cannot be passed where an Atlassian account id is expected.
//!
//! Atlassian treats ids as opaque strings (`atlassian-api.md` §6); Assets sends numeric ids as strings.
//! Deserialisation accepts a string or a number.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub String);

        impl $name {
            pub fn new(s: impl Into<String>) -> Self { Self(s.into()) }
            pub fn as_str(&self) -> &str { &self.0 }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) }
        }
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str { &self.0 }
        }
        impl From<&str> for $name { fn from(s: &str) -> Self { Self(s.to_string()) } }
        impl From<String> for $name { fn from(s: String) -> Self { Self(s) } }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(&self.0) }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(Self(string_or_number(d)?))
            }
        }
    )*};
}

id_type!(
    /// A JSM portal-only customer id, `qm:<uuid>:<hex>`.
    PortalCustomerId,
    /// An Atlassian account id (AAID), e.g. `712020:<uuid>` or 24 hex digits.
    AccountId,
    /// An Assets object id (a numeric string).
    ObjectId,
    /// An Assets object type id.
    ObjectTypeId,
    /// An Assets object type attribute id.
    AttributeId,
    /// A Jira group id (UUID).
    GroupId,
    /// A Confluence space key.
    SpaceKey,
    /// The site's cloud id.
    CloudId,
    /// The Assets workspace id.
    WorkspaceId,
    /// A Jira issue key or id.
    IssueKey,
    /// A job: derived from its request, so the same request is the same job.
    JobId,
);

/// Accepts a JSON string or number as a string.
pub fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        S(String),
        N(serde_json::Number),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::S(s) => s,
        Raw::N(n) => n.to_string(),
    })
}

/// What an id found in a customer source looks like. Only a hint: the account type from
/// `GET /rest/api/3/user` decides (`atlassian-api.md` §6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomerRef {
    Portal(PortalCustomerId),
    Account(AccountId),
    Email(String),
}

impl CustomerRef {
    /// Classifies a raw value; `None` when it is empty or not a plausible id or email.
    pub fn parse(raw: &str) -> Option<Self> {
        let v = raw.trim();
        if v.is_empty() || v.len() > 254 || v.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return None;
        }
        if v.starts_with("qm:") {
            return Some(Self::Portal(PortalCustomerId::new(v)));
        }
        if v.contains('@') {
            return is_email(v).then(|| Self::Email(v.to_string()));
        }
        let ok = v.len() <= 128
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ':' || c == '-');
        ok.then(|| Self::Account(AccountId::new(v)))
    }
}

/// Whether `v` has the shape of an Atlassian account id (atlassian-api.md §6: opaque, at most 128
/// characters; seen as 24 hex digits or `<digits>:<uuid>`): letters, digits, `:`, `-` and `_` only,
/// and not a portal-only `qm:` id. A value from an answer is written to Assets and spliced into
/// requests only after this check.
pub fn is_account_id(v: &str) -> bool {
    (1..=128).contains(&v.len())
        && !v.starts_with("qm:")
        && v != "unknown"
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b':' || b == b'-' || b == b'_')
}

/// A deliberately loose email check: one `@`, something on each side, a dot in the domain.
pub fn is_email(v: &str) -> bool {
    let mut parts = v.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(l), Some(d), None) => {
            !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        }
        _ => false,
    }
}

/// `8-4-4-4-12` hex digits, the shape of Jira group ids.
pub fn is_uuid(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Percent-encodes a value for a path segment or query value (RFC 3986 unreserved kept).
pub fn pct(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Decodes `%XX` escapes (and `+` as a space) of a query value; an invalid escape stays as it is.
pub fn unpct(v: &str) -> String {
    let b = v.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl SpaceKey {
    /// A space key as Confluence allows it: alphanumeric, up to 255 characters
    /// (support.atlassian.com/confluence-cloud/docs/choose-a-space-key/); personal spaces are `~` and
    /// an id.
    pub fn parse(s: &str) -> Result<SpaceKey, String> {
        let body = s.strip_prefix('~').unwrap_or(s);
        let ok = !body.is_empty()
            && s.len() <= 255
            && body.chars().all(|c| {
                c.is_ascii_alphanumeric() || (s.starts_with('~') && (c == ':' || c == '-'))
            });
        if ok {
            Ok(SpaceKey::new(s))
        } else {
            Err(format!(
                "{s:?} is not a Confluence space key (letters and digits, e.g. \"ACME\")"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_ref_classifies_portal_account_and_email() {
        assert_eq!(
            CustomerRef::parse("qm:a713c8ea-1075-4e30-9d96-891a7d181739:5ad6d3581db05e2a66fa80b"),
            Some(CustomerRef::Portal(PortalCustomerId::new(
                "qm:a713c8ea-1075-4e30-9d96-891a7d181739:5ad6d3581db05e2a66fa80b"
            )))
        );
        assert_eq!(
            CustomerRef::parse("712020:cecf4c53-ae66-45ff-b4b0-de6e2a18a71b"),
            Some(CustomerRef::Account(AccountId::new(
                "712020:cecf4c53-ae66-45ff-b4b0-de6e2a18a71b"
            )))
        );
        assert_eq!(
            CustomerRef::parse(" a.b@x.example "),
            Some(CustomerRef::Email("a.b@x.example".into()))
        );
        assert_eq!(CustomerRef::parse(""), None);
        assert_eq!(CustomerRef::parse("not an id"), None);
        assert_eq!(CustomerRef::parse("a@b"), None);
        assert_eq!(CustomerRef::parse("x/../y"), None);
    }

    #[test]
    fn ids_deserialize_from_string_or_number() {
        let a: ObjectId = serde_json::from_str("88").unwrap();
        let b: ObjectId = serde_json::from_str("\"88\"").unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn account_ids_from_answers_are_checked() {
        for ok in [
            "5b10ac8d82e05b22cc7d4ef5",
            "557058:d6b5955a-e193-41e1-b051-79cdb0755d68",
            "712020:x_y",
        ] {
            assert!(is_account_id(ok), "{ok}");
        }
        let long = "a".repeat(129);
        for bad in [
            "",
            "qm:1:2",
            "unknown",
            "../../rest/api/3/x?y#z",
            "\t=HYPERLINK(1)",
            "a b",
            long.as_str(),
        ] {
            assert!(!is_account_id(bad), "{bad}");
        }
    }

    #[test]
    fn uuid_shape() {
        assert!(is_uuid("0c1b8e5e-0000-4000-8000-000000000001"));
        assert!(!is_uuid("portal-migrated"));
        assert!(!is_uuid("0c1b8e5e-0000-4000-8000-00000000000g"));
    }

    #[test]
    fn unpct_reverses_pct_and_keeps_broken_escapes() {
        assert_eq!(unpct(&pct("a b/é:%")), "a b/é:%");
        assert_eq!(unpct("100%"), "100%");
        assert_eq!(unpct("%zz+x"), "%zz x");
        assert_eq!(unpct("b2Zm%3D"), "b2Zm=");
    }

    #[test]
    fn pct_encodes_colon_and_keeps_unreserved() {
        assert_eq!(pct("qm:ab-1_c.d~"), "qm%3Aab-1_c.d~");
        assert_eq!(pct("a b/é"), "a%20b%2F%C3%A9");
    }
}
