//! An in-memory journal for tests and one-shot runs.

use super::{Claim, Journal, Lease, ListPage};
use futures::future::{ready, LocalBoxFuture};
use std::cell::RefCell;
use std::collections::BTreeMap;

#[derive(Default)]
pub struct MemoryJournal {
    pub entries: RefCell<BTreeMap<String, String>>,
    /// Claims, a namespace of their own.
    pub leases: RefCell<BTreeMap<String, Lease>>,
}

impl Journal for MemoryJournal {
    fn get<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<Option<String>, String>> {
        Box::pin(ready(Ok(self.entries.borrow().get(key).cloned())))
    }
    fn put<'a>(&'a self, key: &'a str, value: String) -> LocalBoxFuture<'a, Result<(), String>> {
        self.entries.borrow_mut().insert(key.to_string(), value);
        Box::pin(ready(Ok(())))
    }
    fn list<'a>(
        &'a self,
        prefix: &'a str,
    ) -> LocalBoxFuture<'a, Result<Vec<(String, String)>, String>> {
        let v = self
            .entries
            .borrow()
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Box::pin(ready(Ok(v)))
    }
    fn list_page<'a>(
        &'a self,
        prefix: &'a str,
        cursor: Option<&'a str>,
        limit: usize,
    ) -> LocalBoxFuture<'a, Result<ListPage, String>> {
        use std::ops::Bound;
        let entries = self.entries.borrow();
        let from = match cursor {
            Some(c) => Bound::Excluded(c.to_string()),
            None => Bound::Included(prefix.to_string()),
        };
        let mut page: Vec<(String, String)> = entries
            .range((from, Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit.max(1) + 1)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let more = page.len() > limit.max(1);
        page.truncate(limit.max(1));
        let cursor = more.then(|| page.last().map(|(k, _)| k.clone())).flatten();
        Box::pin(ready(Ok(ListPage {
            entries: page,
            cursor,
        })))
    }
    fn claim<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease_ms: u64,
        now_ms: u64,
    ) -> LocalBoxFuture<'a, Result<Claim, String>> {
        let mut leases = self.leases.borrow_mut();
        let previous = leases.get(key).cloned();
        let free = previous
            .as_ref()
            .is_none_or(|p| p.expires_ms <= now_ms || p.owner == owner);
        let claim = if free {
            let lease = Lease {
                owner: owner.into(),
                expires_ms: now_ms.saturating_add(lease_ms),
            };
            leases.insert(key.into(), lease.clone());
            Claim {
                won: true,
                owner: lease.owner,
                expires_ms: lease.expires_ms,
                previous,
            }
        } else {
            let p = previous.clone().unwrap_or(Lease {
                owner: String::new(),
                expires_ms: 0,
            });
            Claim {
                won: false,
                owner: p.owner,
                expires_ms: p.expires_ms,
                previous,
            }
        };
        Box::pin(ready(Ok(claim)))
    }
    fn release<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
    ) -> LocalBoxFuture<'a, Result<bool, String>> {
        let mut leases = self.leases.borrow_mut();
        let held = leases.get(key).is_some_and(|l| l.owner == owner);
        if held {
            leases.remove(key);
        }
        Box::pin(ready(Ok(held)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn memory_journal_lists_by_prefix() {
        let j = MemoryJournal::default();
        block_on(async {
            j.put("customer/a", "1".into()).await.unwrap();
            j.put("customer/b", "2".into()).await.unwrap();
            j.put("job/x", "3".into()).await.unwrap();
            let l = j.list("customer/").await.unwrap();
            assert_eq!(
                l,
                vec![
                    ("customer/a".into(), "1".into()),
                    ("customer/b".into(), "2".into())
                ]
            );
            assert_eq!(j.get("job/x").await.unwrap().as_deref(), Some("3"));
            assert_eq!(j.get("job/y").await.unwrap(), None);
        });
    }

    #[test]
    fn scan_reads_every_record_a_page_at_a_time_in_key_order() {
        let j = MemoryJournal::default();
        let n = crate::journal::SCAN_PAGE * 2 + 7;
        block_on(async {
            for i in 0..n {
                j.put(&format!("customer/{i:05}"), i.to_string())
                    .await
                    .unwrap();
            }
            j.put("job/x", "99999".into()).await.unwrap();
            let first = j.list_page("customer/", None, 10).await.unwrap();
            assert_eq!(first.entries.len(), 10);
            assert_eq!(first.cursor.as_deref(), Some("customer/00009"));
            let mut seen: Vec<usize> = Vec::new();
            crate::journal::Records::new(&j)
                .scan("customer/", |v: usize| seen.push(v))
                .await
                .unwrap();
            assert_eq!(seen, (0..n).collect::<Vec<_>>(), "all, once, in order");
        });
    }

    /// A journal whose every page points back at itself.
    struct Stuck;
    impl Journal for Stuck {
        fn get<'a>(&'a self, _: &'a str) -> LocalBoxFuture<'a, Result<Option<String>, String>> {
            Box::pin(ready(Ok(None)))
        }
        fn put<'a>(&'a self, _: &'a str, _: String) -> LocalBoxFuture<'a, Result<(), String>> {
            Box::pin(ready(Ok(())))
        }
        fn list<'a>(
            &'a self,
            _: &'a str,
        ) -> LocalBoxFuture<'a, Result<Vec<(String, String)>, String>> {
            Box::pin(ready(Ok(vec![])))
        }
        fn list_page<'a>(
            &'a self,
            _: &'a str,
            _: Option<&'a str>,
            _: usize,
        ) -> LocalBoxFuture<'a, Result<ListPage, String>> {
            Box::pin(ready(Ok(ListPage {
                entries: vec![("customer/a".into(), "1".into())],
                cursor: Some("customer/a".into()),
            })))
        }
        fn claim<'a>(
            &'a self,
            _: &'a str,
            _: &'a str,
            _: u64,
            _: u64,
        ) -> LocalBoxFuture<'a, Result<Claim, String>> {
            Box::pin(ready(Err("no claims".into())))
        }
        fn release<'a>(
            &'a self,
            _: &'a str,
            _: &'a str,
        ) -> LocalBoxFuture<'a, Result<bool, String>> {
            Box::pin(ready(Ok(false)))
        }
    }

    #[test]
    fn a_listing_whose_cursor_repeats_fails_instead_of_looping() {
        let mut seen = 0;
        let e =
            block_on(crate::journal::Records::new(&Stuck).scan("customer/", |_: u32| seen += 1))
                .unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
        assert_eq!(seen, 2, "the first page and its repeat, then the stop");
    }

    #[test]
    fn a_claim_is_won_once_until_it_expires_or_is_released() {
        let j = MemoryJournal::default();
        block_on(async {
            let a = j.claim("lease/x", "a", 100, 1000).await.unwrap();
            assert!(a.won && a.previous.is_none());
            let b = j.claim("lease/x", "b", 100, 1050).await.unwrap();
            assert_eq!((b.won, b.owner.as_str(), b.expires_ms), (false, "a", 1100));
            assert!(
                j.claim("lease/x", "a", 100, 1060).await.unwrap().won,
                "renewed by its owner"
            );
            let c = j.claim("lease/x", "c", 100, 1200).await.unwrap();
            assert!(c.won && c.took_over(), "expired: taken over");
            assert!(!j.release("lease/x", "a").await.unwrap());
            assert!(j.release("lease/x", "c").await.unwrap());
            assert!(
                j.list("lease/").await.unwrap().is_empty(),
                "claims are not entries"
            );
        });
    }
}
