//! One `Page<T>` over Atlassian's offset paging styles: Jira/Assets (`startAt`/`maxResults`/`isLast`,
//! `total` optional), JSM (`start`/`limit`/`isLastPage`) and the admin gateway (`start-index`/
//! `max-results`, no total). A page only says what the answer said; when to stop is decided in one
//! place, the client's walker (`client::paging`), never by a page's length (`atlassian-api.md` §13).

use serde::{Deserialize, Deserializer};

/// `M` is whatever else a page brings that the caller needs (Assets sends the attribute definitions).
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T, M = ()> {
    pub items: Vec<T>,
    /// `isLast` / `last` / `isLastPage` when the answer had one.
    pub is_last: Option<bool>,
    /// `total` when the answer had one.
    pub total: Option<u64>,
    pub meta: M,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, is_last: Option<bool>, total: Option<u64>) -> Self {
        Page {
            items,
            is_last,
            total,
            meta: (),
        }
    }
}

/// `isLast` arrives as a boolean or as the string `"true"`/`"false"` (`atlassian-api.md` §3.2).
pub fn bool_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        B(bool),
        S(String),
        N(i64),
    }
    Ok(match Option::<Raw>::deserialize(d)? {
        Some(Raw::B(b)) => Some(b),
        Some(Raw::S(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        Some(Raw::N(n)) => Some(n != 0),
        None => None,
    })
}

/// A number that may arrive as a JSON string.
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        N(u64),
        S(String),
    }
    Ok(match Option::<Raw>::deserialize(d)? {
        Some(Raw::N(n)) => Some(n),
        Some(Raw::S(s)) => s.trim().parse().ok(),
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_last_accepts_bool_and_string() {
        #[derive(Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "bool_or_string")]
            v: Option<bool>,
        }
        for (j, want) in [
            (r#"{"v":true}"#, Some(true)),
            (r#"{"v":"false"}"#, Some(false)),
            (r#"{"v":"TRUE"}"#, Some(true)),
            (r#"{}"#, None),
            (r#"{"v":null}"#, None),
        ] {
            assert_eq!(serde_json::from_str::<T>(j).unwrap().v, want, "{j}");
        }
    }

    #[test]
    fn numbers_may_be_strings() {
        #[derive(Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "opt_u64")]
            v: Option<u64>,
        }
        assert_eq!(
            serde_json::from_str::<T>(r#"{"v":"25"}"#).unwrap().v,
            Some(25)
        );
        assert_eq!(serde_json::from_str::<T>(r#"{"v":7}"#).unwrap().v, Some(7));
        assert_eq!(serde_json::from_str::<T>(r#"{}"#).unwrap().v, None);
    }
}
