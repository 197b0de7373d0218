//! An in-memory journal for tests and one-shot runs.

use super::Journal;
use futures::future::{ready, LocalBoxFuture};
use std::cell::RefCell;
use std::collections::BTreeMap;

#[derive(Default)]
pub struct MemoryJournal {
    pub entries: RefCell<BTreeMap<String, String>>,
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
}
