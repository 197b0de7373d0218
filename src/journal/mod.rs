//! The journal: what a job did, written before and after every step that matters, so a crash or a
//! lost answer is finished on the next run and never repeated (design.md "Rules"). The host supplies
//! the storage ([`Journal`]); [`Records`] is the typed access the engine uses.

mod memory;
mod records;

pub use memory::MemoryJournal;
pub use records::*;

use crate::error::{Error, Result};
use crate::ids::AccountId;
use futures::future::LocalBoxFuture;
use serde::{de::DeserializeOwned, Serialize};

/// Storage supplied by the host (a file for the CLI, KVS in Forge, a Durable Object in a Worker).
/// Values are small JSON texts. `put` must be durable when its future resolves. `claim` and `release`
/// are atomic against every other caller of the same journal (HACKING.md "The journal contract").
pub trait Journal {
    fn get<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<Option<String>, String>>;
    fn put<'a>(&'a self, key: &'a str, value: String) -> LocalBoxFuture<'a, Result<(), String>>;
    fn list<'a>(
        &'a self,
        prefix: &'a str,
    ) -> LocalBoxFuture<'a, Result<Vec<(String, String)>, String>>;
    /// One page of `list`: at most about `limit` entries under `prefix` from `cursor` (`None`: the
    /// start), in key order, and the cursor of the next page (`None`: this was the last). Walks over
    /// every customer use it, so neither side ever holds the whole journal. A journal that cannot
    /// page answers everything as one page.
    fn list_page<'a>(
        &'a self,
        prefix: &'a str,
        cursor: Option<&'a str>,
        limit: usize,
    ) -> LocalBoxFuture<'a, Result<ListPage, String>> {
        let _ = limit;
        Box::pin(whole_as_page(self, prefix, cursor))
    }
    /// Takes `key` for `owner` until `now_ms + lease_ms` unless another owner holds it unexpired.
    fn claim<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease_ms: u64,
        now_ms: u64,
    ) -> LocalBoxFuture<'a, Result<Claim, String>>;
    /// Gives `key` up when `owner` holds it; whether it did.
    fn release<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
    ) -> LocalBoxFuture<'a, Result<bool, String>>;
}

/// `list` as one page: how a journal that cannot page answers `list_page`.
pub async fn whole_as_page<J: Journal + ?Sized>(
    journal: &J,
    prefix: &str,
    cursor: Option<&str>,
) -> Result<ListPage, String> {
    if cursor.is_some() {
        return Ok(ListPage::default());
    }
    Ok(ListPage {
        entries: journal.list(prefix).await?,
        cursor: None,
    })
}

/// A page of a listing (`Journal::list_page`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct ListPage {
    pub entries: Vec<(String, String)>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// Entries asked for per page when a walk reads every record of a prefix.
pub const SCAN_PAGE: usize = 500;
/// Pages any walk reads at most (500 million records): a journal whose cursors never end fails.
const SCAN_MAX_PAGES: usize = 1_000_000;

/// Who holds a key, and until when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lease {
    pub owner: String,
    pub expires_ms: u64,
}

/// The answer to a claim: won or not, the holder now, and the lease that was there before.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    pub won: bool,
    pub owner: String,
    pub expires_ms: u64,
    #[serde(default)]
    pub previous: Option<Lease>,
}

impl Claim {
    /// Won from another owner whose lease had run out (a crashed run): its work must be reconciled.
    pub fn took_over(&self) -> bool {
        self.won
            && self
                .previous
                .as_ref()
                .is_some_and(|p| p.owner != self.owner)
    }
}

/// Typed access over a host journal; a storage failure stops the job (`Error::Journal`).
#[derive(Clone, Copy)]
pub struct Records<'a> {
    pub journal: &'a dyn Journal,
    /// A dry run reads but never writes.
    pub read_only: bool,
    /// The host's secrets, removed from every value written.
    pub redactor: Option<&'a crate::redact::Redactor>,
}

impl<'a> Records<'a> {
    pub fn new(journal: &'a dyn Journal) -> Self {
        Records {
            journal,
            read_only: false,
            redactor: None,
        }
    }
}

/// Secrets never reach the journal: every value is redacted on the way in.
fn clean(text: String, redactor: Option<&crate::redact::Redactor>) -> String {
    match redactor {
        Some(r) => r.redact(&text),
        None => crate::redact::patterns(&text),
    }
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
        let text = clean(text, self.redactor);
        self.journal
            .put(key, text)
            .await
            .map_err(|m| Error::Journal {
                message: format!("put {key}: {m}"),
            })
    }

    /// Every record under `prefix`, read a page at a time (`Journal::list_page`) and handed to
    /// `each` in key order: memory holds one page, never the whole journal.
    pub async fn scan<T: DeserializeOwned>(
        &self,
        prefix: &str,
        mut each: impl FnMut(T),
    ) -> Result<()> {
        let fail = |m: String| Error::Journal {
            message: format!("list {prefix}: {m}"),
        };
        let mut cursor: Option<String> = None;
        for _ in 0..SCAN_MAX_PAGES {
            let page = self
                .journal
                .list_page(prefix, cursor.as_deref(), SCAN_PAGE)
                .await
                .map_err(fail)?;
            for (k, v) in page.entries {
                each(serde_json::from_str(&v).map_err(|e| Error::Journal {
                    message: format!("{k} is unreadable: {e}"),
                })?);
            }
            match page.cursor {
                None => return Ok(()),
                Some(next) if cursor.as_ref() == Some(&next) => {
                    return Err(fail(format!(
                        "the journal answered cursor {next:?} twice (a listing that never ends)"
                    )))
                }
                next => cursor = next,
            }
        }
        Err(fail(format!(
            "more than {SCAN_MAX_PAGES} pages (a listing that never ends)"
        )))
    }

    pub async fn job(&self, id: &crate::ids::JobId) -> Result<Option<JobRecord>> {
        self.get(&job_key(id)).await
    }

    pub async fn put_job(&self, job: &JobRecord) -> Result<()> {
        self.put(&job_key(&job.job_id), job).await
    }

    pub async fn customer(
        &self,
        id: &crate::ids::PortalCustomerId,
    ) -> Result<Option<CustomerRecord>> {
        self.get(&customer_key(id)).await
    }

    /// Writes a customer record, and on migration the account → portal id index after it.
    pub async fn put_customer(&self, rec: &CustomerRecord) -> Result<()> {
        self.put(&customer_key(&rec.portal_account_id), rec).await?;
        if let (Stage::Migrated, Some(a)) = (rec.stage, &rec.account_id) {
            self.put(&account_key(a), &rec.portal_account_id).await?;
        }
        Ok(())
    }

    pub async fn claim(&self, key: &str, owner: &str, lease_ms: u64, now_ms: u64) -> Result<Claim> {
        self.journal
            .claim(key, owner, lease_ms, now_ms)
            .await
            .map_err(|m| Error::Journal {
                message: format!("claim {key}: {m}"),
            })
    }

    pub async fn release(&self, key: &str, owner: &str) -> Result<bool> {
        self.journal
            .release(key, owner)
            .await
            .map_err(|m| Error::Journal {
                message: format!("release {key}: {m}"),
            })
    }

    /// The record of the customer that `account` was migrated from, if this journal saw it.
    pub async fn customer_of_account(&self, account: &AccountId) -> Result<Option<CustomerRecord>> {
        match self
            .get::<crate::ids::PortalCustomerId>(&account_key(account))
            .await?
        {
            Some(portal) => self.customer(&portal).await,
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn read_only_records_never_write() {
        let j = MemoryJournal::default();
        let r = Records {
            journal: &j,
            read_only: true,
            redactor: None,
        };
        block_on(r.put("job/x", &1)).unwrap();
        assert!(j.entries.borrow().is_empty());
    }
}
