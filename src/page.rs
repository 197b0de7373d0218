//! One `Page<T>` over Atlassian's paging styles: Jira/Assets (`startAt`/`maxResults`/`isLast`), JSM
//! (`start`/`limit`/`isLastPage`), the admin gateway (`start-index`/`max-results`, no total) and
//! Confluence v2 cursors. Callers never write their own stop condition.

use serde::{Deserialize, Deserializer};

#[derive(Clone, Debug, PartialEq)]
pub enum PageRequest {
    Offset(u64),
    Cursor(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<PageRequest>,
}

impl<T> Page<T> {
    /// An offset page. `reported_max` is the page size the *response* reports (the service may cap
    /// the one asked for). Stops on `is_last`, on a short page, or on an empty page (§13); the next
    /// offset advances by the number of items received.
    pub fn offset(
        items: Vec<T>,
        start: u64,
        reported_max: Option<u64>,
        is_last: Option<bool>,
    ) -> Self {
        let n = items.len() as u64;
        let short = reported_max.is_some_and(|m| n < m);
        let last = is_last == Some(true) || n == 0 || short;
        Page {
            next: (!last).then_some(PageRequest::Offset(start + n)),
            items,
        }
    }

    pub fn cursor(items: Vec<T>, next: Option<String>) -> Self {
        let next = if items.is_empty() {
            None
        } else {
            next.filter(|c| !c.is_empty()).map(PageRequest::Cursor)
        };
        Page { items, next }
    }

    pub fn next_offset(&self) -> Option<u64> {
        match self.next {
            Some(PageRequest::Offset(o)) => Some(o),
            _ => None,
        }
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
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
    fn offset_page_advances_by_items_received() {
        let p = Page::offset(vec![1, 2, 3], 10, Some(3), Some(false));
        assert_eq!(p.next, Some(PageRequest::Offset(13)));
    }

    #[test]
    fn offset_page_stops_on_is_last_short_or_empty() {
        assert_eq!(Page::offset(vec![1, 2], 0, Some(2), Some(true)).next, None);
        assert_eq!(Page::offset(vec![1], 0, Some(25), None).next, None);
        assert_eq!(
            Page::offset(Vec::<u8>::new(), 0, None, Some(false)).next,
            None
        );
        // the service capped the page: 100 asked, 50 reported and received, not last
        assert_eq!(
            Page::offset(vec![0; 50], 0, Some(50), Some(false)).next,
            Some(PageRequest::Offset(50))
        );
    }

    #[test]
    fn cursor_page_ends_without_next() {
        assert_eq!(
            Page::cursor(vec![1], Some("abc".into())).next,
            Some(PageRequest::Cursor("abc".into()))
        );
        assert_eq!(Page::cursor(vec![1], None).next, None);
    }

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
}
