//! An in-memory journal for tests and one-shot runs.

use super::{Claim, Journal, Lease};
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
