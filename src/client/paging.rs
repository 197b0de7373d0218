//! The one page walker. When to stop is decided here and nowhere else (`atlassian-api.md` §13):
//! `isLast` is authoritative when the answer has it; else `total`; else a page that brings no new
//! items. A page shorter than asked (or than the size the answer reports) proves nothing. Every walk
//! is bounded, and a listing that ignores its offset fails clearly instead of looping.

use super::Client;
use crate::api::Op;
use crate::error::{Error, Result};
use crate::page::Page;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

/// What is being walked, for errors ("AQL query \"…\"", "the portal-only directory"), and its bounds.
pub struct Walk {
    pub what: String,
    pub max_pages: u32,
    pub max_items: u64,
}

impl Walk {
    /// Bounds generous enough for the largest service desks (100,000 customers) and no more.
    pub fn new(what: impl Into<String>) -> Self {
        Walk {
            what: what.into(),
            max_pages: 20_000,
            max_items: 2_000_000,
        }
    }
}

fn digest<K: Hash>(k: &K) -> u64 {
    let mut h = DefaultHasher::new();
    k.hash(&mut h);
    h.finish()
}

/// Whether a first page (offset 0) proves that it is the whole listing: its `isLast` says so, or
/// its `total` is no more than it holds. Without either nothing short of the next page can tell.
pub fn first_page_is_all<T, M>(page: &Page<T, M>) -> bool {
    let received = page.items.len() as u64;
    match page.is_last {
        Some(last) => last || received == 0,
        None => page.total.is_some_and(|t| received >= t),
    }
}

impl Client<'_> {
    /// Walks an offset-paged listing from offset 0: `op_at(offset)` builds each page's call, `key`
    /// identifies an item, and `each` gets every page with only the items not seen before.
    pub async fn all_pages<T: 'static, M: 'static, K: Hash>(
        &self,
        walk: &Walk,
        op_at: impl Fn(u64) -> Op<Page<T, M>>,
        key: impl Fn(&T) -> K,
        each: impl AsyncFnMut(Page<T, M>) -> Result<()>,
    ) -> Result<()> {
        self.all_pages_from(walk, 0, op_at, key, each).await
    }

    /// `all_pages` from `start`: the rest of a listing whose first items the caller already read.
    pub async fn all_pages_from<T: 'static, M: 'static, K: Hash>(
        &self,
        walk: &Walk,
        start: u64,
        op_at: impl Fn(u64) -> Op<Page<T, M>>,
        key: impl Fn(&T) -> K,
        mut each: impl AsyncFnMut(Page<T, M>) -> Result<()>,
    ) -> Result<()> {
        let mut seen: HashSet<u64> = HashSet::new();
        let mut previous: Vec<u64> = Vec::new();
        let mut offset = start;
        for number in 0..walk.max_pages {
            let op = op_at(offset);
            let (name, surface) = (op.name, op.surface());
            let fail = |message: String| Error::Paging {
                op: name,
                surface,
                message: format!("{}: {message}", walk.what),
            };
            let mut page = self.call(op).await?;
            let keys: Vec<u64> = page.items.iter().map(|i| digest(&key(i))).collect();
            let received = keys.len() as u64;
            if received > 0 && keys == previous {
                return Err(fail(format!(
                    "page {} repeats page {number}: the listing ignores paging",
                    number + 1
                )));
            }
            let fresh: Vec<bool> = keys.iter().map(|k| seen.insert(*k)).collect();
            let new = fresh.iter().filter(|f| **f).count() as u64;
            if seen.len() as u64 > walk.max_items {
                return Err(fail(format!(
                    "more than {} items; narrow the selection",
                    walk.max_items
                )));
            }
            if new < received {
                let mut it = fresh.iter();
                page.items.retain(|_| *it.next().unwrap_or(&false));
            }
            let (is_last, total) = (page.is_last, page.total);
            if new > 0 {
                each(page).await?;
            }
            offset += received;
            let done = match is_last {
                Some(last) => last || received == 0,
                None => match total {
                    Some(t) => offset >= t || received == 0,
                    None => new == 0,
                },
            };
            if done {
                return Ok(());
            }
            previous = keys;
        }
        let op = op_at(offset);
        Err(Error::Paging {
            op: op.name,
            surface: op.surface(),
            message: format!(
                "{}: more than {} pages; narrow the selection",
                walk.what, walk.max_pages
            ),
        })
    }
}

impl Client<'_> {
    /// Walks a cursor-paged listing (Confluence v2): `op_at(cursor)` builds each page's call, whose
    /// `meta` is the next cursor. Bounded; a cursor that comes back again fails clearly.
    pub async fn cursor_pages<T: 'static>(
        &self,
        walk: &Walk,
        op_at: impl Fn(Option<&str>) -> Op<Page<T, Option<String>>>,
        mut each: impl FnMut(Vec<T>),
    ) -> Result<()> {
        let mut cursor: Option<String> = None;
        let mut seen: HashSet<String> = HashSet::new();
        let mut items = 0u64;
        for _ in 0..walk.max_pages {
            let op = op_at(cursor.as_deref());
            let (name, surface) = (op.name, op.surface());
            let page = self.call(op).await?;
            items += page.items.len() as u64;
            let fail = |message: String| Error::Paging {
                op: name,
                surface,
                message: format!("{}: {message}", walk.what),
            };
            if items > walk.max_items {
                return Err(fail(format!("more than {} items", walk.max_items)));
            }
            let empty = page.items.is_empty();
            each(page.items);
            match page.meta {
                Some(next) if !empty => {
                    if !seen.insert(next.clone()) {
                        return Err(fail(
                            "the next cursor repeats: the listing ignores paging".into(),
                        ));
                    }
                    cursor = Some(next);
                }
                _ => return Ok(()),
            }
        }
        let op = op_at(cursor.as_deref());
        Err(Error::Paging {
            op: op.name,
            surface: op.surface(),
            message: format!("{}: more than {} pages", walk.what, walk.max_pages),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{Limiter, RetryPolicy};
    use crate::host::{Clock, Host, NoProgress};
    use crate::http::{HttpRequest, HttpResponse, Surface, Transport, TransportError};
    use crate::journal::MemoryJournal;
    use futures::executor::block_on;
    use futures::future::{ready, LocalBoxFuture};
    use std::cell::{Cell, RefCell};

    /// Pages of `total` numbered items, `cap` per page; `mode` shapes the paging fields.
    struct Listing {
        total: u64,
        cap: u64,
        mode: &'static str,
        requests: Cell<u32>,
    }

    impl Transport for Listing {
        fn send(
            &self,
            req: HttpRequest,
        ) -> LocalBoxFuture<'_, Result<HttpResponse, TransportError>> {
            self.requests.set(self.requests.get() + 1);
            let start: u64 = req.url.rsplit('=').next().unwrap().parse().unwrap();
            let start = if self.mode == "ignores" { 0 } else { start };
            let items: Vec<u64> = (start..(start + self.cap).min(self.total)).collect();
            let last = start + (items.len() as u64) >= self.total;
            let body = match self.mode {
                "isLast" => serde_json::json!({"values": items, "isLast": last.to_string()}),
                "total" => serde_json::json!({"values": items, "total": self.total}),
                _ => serde_json::json!({"values": items}),
            };
            Box::pin(ready(Ok(HttpResponse::new(200, body.to_string()))))
        }
    }

    struct Clk;
    impl Clock for Clk {
        fn now_ms(&self) -> u64 {
            0
        }
        fn sleep(&self, _: u64) -> LocalBoxFuture<'_, ()> {
            Box::pin(ready(()))
        }
        fn random(&self) -> f64 {
            0.5
        }
    }

    fn walk(l: &Listing, bounds: Walk) -> (Result<()>, Vec<u64>) {
        let j = MemoryJournal::default();
        let host = Host {
            transport: l,
            clock: &Clk,
            journal: &j,
            progress: &NoProgress,
            rows: None,
            redactor: &crate::redact::NO_SECRETS,
        };
        let client = Client::new(
            &host,
            RetryPolicy::default(),
            Limiter::uniform(Default::default()),
        );
        let got = RefCell::new(Vec::new());
        let r = block_on(client.all_pages(
            &bounds,
            |at| {
                Op::safe(
                    "test.list",
                    HttpRequest::get(Surface::Assets, format!("https://x/?at={at}")),
                    |r| {
                        #[derive(serde::Deserialize)]
                        #[serde(rename_all = "camelCase")]
                        struct P {
                            values: Vec<u64>,
                            #[serde(default, deserialize_with = "crate::page::bool_or_string")]
                            is_last: Option<bool>,
                            #[serde(default)]
                            total: Option<u64>,
                        }
                        let p: P = r.json()?;
                        Ok(Page::new(p.values, p.is_last, p.total))
                    },
                )
            },
            |i| *i,
            async |p| {
                got.borrow_mut().extend(p.items);
                Ok(())
            },
        ));
        (r, got.into_inner())
    }

    fn listing(total: u64, cap: u64, mode: &'static str) -> Listing {
        Listing {
            total,
            cap,
            mode,
            requests: Cell::new(0),
        }
    }

    #[test]
    fn capped_pages_are_followed_by_is_last_total_or_no_new_items() {
        for mode in ["isLast", "total", "bare"] {
            let l = listing(60, 50, mode);
            let (r, got) = walk(&l, Walk::new("q"));
            r.unwrap();
            assert_eq!(got, (0..60).collect::<Vec<_>>(), "{mode}");
        }
        // isLast said "false" on a short page: keep going (the service capped it)
        let l = listing(120, 50, "isLast");
        assert_eq!(walk(&l, Walk::new("q")).1.len(), 120);
        assert_eq!(l.requests.get(), 3);
    }

    #[test]
    fn a_listing_that_ignores_its_offset_fails_clearly() {
        let l = listing(80, 50, "ignores");
        let (r, got) = walk(&l, Walk::new("the portal-only directory"));
        assert_eq!(
            r.unwrap_err().to_string(),
            "test.list (assets): the portal-only directory: page 2 repeats page 1: the listing ignores paging"
        );
        assert_eq!(got.len(), 50, "the first page was delivered once");
        assert_eq!(l.requests.get(), 2);
    }

    #[test]
    fn every_walk_is_bounded() {
        let l = listing(1000, 10, "bare");
        let (r, _) = walk(
            &l,
            Walk {
                what: "AQL query \"x\"".into(),
                max_pages: 5,
                max_items: 1000,
            },
        );
        assert_eq!(
            r.unwrap_err().to_string(),
            "test.list (assets): AQL query \"x\": more than 5 pages; narrow the selection"
        );
        let (r, _) = walk(
            &l,
            Walk {
                what: "q".into(),
                max_pages: 100,
                max_items: 25,
            },
        );
        assert!(r.unwrap_err().to_string().contains("more than 25 items"));
    }
}
