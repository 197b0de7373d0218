//! The journal: what a job did, written before and after every step that matters, so a crash or a
//! lost answer is finished on the next run and never repeated (design.md "Rules").
//!
//! Keys: `job/{jobId}` → [`JobRecord`]; `customer/{portalId}` → [`CustomerRecord`] (keyed by the
//! portal id, not the job, so every later job sees an earlier job's intent).

use crate::error::{Error, Result};
use futures::future::{ready, LocalBoxFuture};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// Storage supplied by the host (a file for the CLI, KVS in Forge, a Durable Object in a Worker).
/// Values are small JSON texts. `put` must be durable when its future resolves.
pub trait Journal {
    fn get<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<Option<String>, String>>;
    fn put<'a>(&'a self, key: &'a str, value: String) -> LocalBoxFuture<'a, Result<(), String>>;
    fn list<'a>(
        &'a self,
        prefix: &'a str,
    ) -> LocalBoxFuture<'a, Result<Vec<(String, String)>, String>>;
}

/// An in-memory journal for tests and one-shot runs.
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub job_id: String,
    /// The request as given, so `resume` can run it again.
    pub request: serde_json::Value,
    pub started_ms: u64,
    pub finished: bool,
    #[serde(default)]
    pub comment: Option<CommentRecord>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentRecord {
    pub issue: String,
    /// `sending` before the POST, `posted` after.
    pub state: String,
    #[serde(default)]
    pub id: Option<String>,
}

/// How far a customer got. Written before migrate (`Intent`), right after (`Migrated`), after each
/// later step, and `Complete` at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Stage {
    Intent,
    Migrated,
    Complete,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerRecord {
    pub portal_account_id: String,
    pub job_id: String,
    pub stage: Stage,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub asset_object_id: Option<String>,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub account_id: Option<String>,
    /// Whether this job's migrate call made the account (vs. found it already migrated).
    #[serde(default)]
    pub migrated_by_job: Option<String>,
    /// Steps finished after migrate: `writeBack`, `group:{id}`, `space`.
    #[serde(default)]
    pub done: Vec<String>,
    #[serde(default)]
    pub status: Option<String>,
    pub updated_ms: u64,
}

pub fn job_key(job_id: &str) -> String {
    format!("job/{job_id}")
}

pub fn customer_key(portal_id: &str) -> String {
    format!("customer/{portal_id}")
}

/// `account/{accountId}` → the portal id it was migrated from, so a job that meets the new id (in
/// Assets, after a crash) finds the customer's record.
pub fn account_key(account_id: &str) -> String {
    format!("account/{account_id}")
}

/// Typed access over a host journal; a storage failure stops the job (`Error::Journal`).
pub struct Records<'a> {
    pub journal: &'a dyn Journal,
    /// A dry run reads but never writes.
    pub read_only: bool,
}

impl Records<'_> {
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let raw = self.journal.get(key).await.map_err(|m| Error::Journal {
            message: format!("get {key}: {m}"),
        })?;
        match raw {
            None => Ok(None),
            Some(s) => serde_json::from_str(&s)
                .map(Some)
                .map_err(|e| Error::Journal {
                    message: format!("{key} is unreadable: {e}"),
                }),
        }
    }

    pub async fn put<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        if self.read_only {
            return Ok(());
        }
        let text = serde_json::to_string(value).map_err(|e| Error::Journal {
            message: e.to_string(),
        })?;
        self.journal
            .put(key, text)
            .await
            .map_err(|m| Error::Journal {
                message: format!("put {key}: {m}"),
            })
    }

    /// Writes a customer record, and on migration the account → portal id index after it.
    pub async fn put_customer(&self, rec: &CustomerRecord) -> Result<()> {
        self.put(&customer_key(&rec.portal_account_id), rec).await?;
        if let (Stage::Migrated, Some(a)) = (rec.stage, &rec.account_id) {
            self.put(&account_key(a), &rec.portal_account_id).await?;
        }
        Ok(())
    }

    /// The record of the customer that `account_id` was migrated from, if this journal saw it.
    pub async fn customer_of_account(&self, account_id: &str) -> Result<Option<CustomerRecord>> {
        match self.get::<String>(&account_key(account_id)).await? {
            Some(portal) => self.get(&customer_key(&portal)).await,
            None => Ok(None),
        }
    }

    pub async fn list<T: DeserializeOwned>(&self, prefix: &str) -> Result<Vec<T>> {
        let rows = self
            .journal
            .list(prefix)
            .await
            .map_err(|m| Error::Journal {
                message: format!("list {prefix}: {m}"),
            })?;
        rows.into_iter()
            .map(|(k, v)| {
                serde_json::from_str(&v).map_err(|e| Error::Journal {
                    message: format!("{k} is unreadable: {e}"),
                })
            })
            .collect()
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
    fn read_only_records_never_write() {
        let j = MemoryJournal::default();
        let r = Records {
            journal: &j,
            read_only: true,
        };
        block_on(r.put("job/x", &1)).unwrap();
        assert!(j.entries.borrow().is_empty());
    }
}
