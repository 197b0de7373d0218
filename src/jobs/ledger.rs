//! The jobs a journal holds, as an admin sees them (status, sources, counts), and discarding one.

use crate::engine::MigrationRequest;
use crate::error::{Error, Result};
use crate::ids::JobId;
use crate::journal::{
    CustomerRecord, Done, JobEnd, JobRecord, Records, Stage, CUSTOMER_PREFIX, JOB_PREFIX,
};
use crate::report::Status;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum JobStatus {
    /// Its customers are not all finished: resume it (or discard it).
    Unfinished,
    Done,
    /// Failed before anything irreversible happened: nothing to resume.
    Failed,
    Discarded,
}

/// What the journal knows of a job's customers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub customers: usize,
    pub migrated: usize,
    pub failed: usize,
    /// Not finished yet (a crash, a deadline, a step a re-run can fix).
    pub open: usize,
    /// How many customers the job's sources selected, once its last run had collected them (the
    /// counts above cover only the customers it reached).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collected: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSummary {
    pub job_id: JobId,
    pub request: serde_json::Value,
    pub started_ms: u64,
    pub finished: bool,
    pub status: JobStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the request selects, e.g. `company:ACME`, `issue:SUP-1`, `3 customers`.
    pub sources: Vec<String>,
    pub counts: Counts,
}

fn summary(j: JobRecord, counts: Counts) -> JobSummary {
    // A run that reached everyone can still leave customers open (a step a re-run can fix): the
    // job is not done until they are, or nothing would ever offer them again.
    let (status, error) = match (&j.ended, j.finished) {
        (Some(JobEnd::Failed { error }), _) => (JobStatus::Failed, Some(error.clone())),
        (Some(JobEnd::Discarded { .. }), _) => (JobStatus::Discarded, None),
        (None, true) if counts.open == 0 => (JobStatus::Done, None),
        (None, _) => (JobStatus::Unfinished, None),
    };
    let counts = Counts {
        collected: j.collected,
        ..counts
    };
    JobSummary {
        sources: sources(&j.request),
        job_id: j.job_id,
        request: j.request,
        started_ms: j.started_ms,
        finished: j.finished,
        status,
        error,
        counts,
    }
}

fn sources(request: &serde_json::Value) -> Vec<String> {
    let Ok(r) = MigrationRequest::from_value(request.clone()) else {
        return Vec::new();
    };
    let mut out: Vec<String> = r.companies.iter().map(|c| format!("company:{c}")).collect();
    match r.customers.len() {
        0 => {}
        1 => out.push(format!("customer:{}", r.customers[0])),
        n => out.push(format!("{n} customers")),
    }
    if let Some(i) = &r.issue_key {
        out.push(format!("issue:{i}"));
    }
    if r.aql.is_some() {
        out.push("aql".into());
    }
    if r.portal_customers.is_some() {
        out.push("directory".into());
    }
    if out.is_empty() {
        out.push("the config's companies".into());
    }
    out
}

/// Each job's counts, from one pass over the customer records (none of them kept).
async fn counts_by_job(records: &Records<'_>) -> Result<BTreeMap<JobId, Counts>> {
    let mut by: BTreeMap<JobId, Counts> = BTreeMap::new();
    records
        .scan(CUSTOMER_PREFIX, |r: CustomerRecord| {
            by.entry(r.job_id.clone()).or_default().add(&r)
        })
        .await?;
    Ok(by)
}

impl Counts {
    fn add(&mut self, r: &CustomerRecord) {
        self.customers += 1;
        if r.stage != Stage::Intent && r.account_id.is_some() {
            self.migrated += 1;
        }
        if r.status == Some(Status::Failed) {
            self.failed += 1;
        }
        if r.stage != Stage::Complete {
            self.open += 1;
        }
    }
}

/// One job of a journal.
pub async fn get(records: &Records<'_>, id: &JobId) -> Result<Option<JobSummary>> {
    let Some(j) = records.job(id).await? else {
        return Ok(None);
    };
    let by = counts_by_job(records).await?;
    Ok(Some(summary(j, by.get(id).cloned().unwrap_or_default())))
}

/// The jobs of a journal, oldest first; only the unfinished ones when asked.
pub async fn list(records: &Records<'_>, unfinished_only: bool) -> Result<Vec<JobSummary>> {
    let rows = records
        .journal
        .list(JOB_PREFIX)
        .await
        .map_err(|m| Error::Journal {
            message: format!("list {JOB_PREFIX}: {m}"),
        })?;
    // A record that is not a job (or unreadable) is the run's to report, not the listing's.
    let jobs: Vec<JobRecord> = rows
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_str::<JobRecord>(&v).ok())
        .filter(|j| j.request.is_object())
        .collect();
    let by = counts_by_job(records).await?;
    let mut out: Vec<JobSummary> = jobs
        .into_iter()
        .map(|j| {
            let c = by.get(&j.job_id).cloned().unwrap_or_default();
            summary(j, c)
        })
        .filter(|s| !unfinished_only || s.status == JobStatus::Unfinished)
        .collect();
    out.sort_by_key(|j| j.started_ms);
    Ok(out)
}

/// Discards an unfinished job, so nothing offers to resume it. Refused while a customer of it is
/// between migrate and write-back: its new id would be lost to Assets.
pub async fn discard(records: &Records<'_>, id: &JobId, now_ms: u64) -> Result<JobSummary> {
    let Some(mut j) = records.job(id).await? else {
        return Err(Error::request(format!("no job {id} in this journal")));
    };
    // Counted a page at a time: only the first customer caught between the two steps is kept.
    let mut c = Counts::default();
    let (mut between, mut first) = (0usize, None);
    records
        .scan(CUSTOMER_PREFIX, |r: CustomerRecord| {
            if &r.job_id != id {
                return;
            }
            c.add(&r);
            if r.stage == Stage::Intent
                || (r.stage == Stage::Migrated
                    && r.asset_object_id.is_some()
                    && !r.done.contains(&Done::WriteBack))
            {
                between += 1;
                first.get_or_insert(r.portal_account_id);
            }
        })
        .await?;
    if let Some(first) = first {
        return Err(Error::refused(format!(
            "job {id} cannot be discarded: {between} customer(s) are between migrate and write-back (e.g. {first}), so their new account ids are not in Assets yet; finish them first: portal-migrate resume {id}"
        )));
    }
    if j.ended.is_none() && (!j.finished || c.open > 0) {
        j.finished = true;
        j.ended = Some(JobEnd::Discarded { at_ms: now_ms });
        records.put_job(&j).await?;
    }
    Ok(summary(j, c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PortalCustomerId;
    use crate::journal::MemoryJournal;
    use futures::executor::block_on;

    fn job(id: &str, request: serde_json::Value, finished: bool) -> JobRecord {
        JobRecord {
            job_id: JobId::new(id),
            request,
            started_ms: 1,
            finished,
            comment: None,
            ended: None,
            collected: None,
        }
    }

    fn customer(qm: &str, job: &str, stage: Stage, write_back: bool) -> CustomerRecord {
        CustomerRecord {
            portal_account_id: PortalCustomerId::new(qm),
            job_id: JobId::new(job),
            stage,
            email: None,
            asset_object_id: Some("88".into()),
            company: None,
            space: None,
            account_id: (stage != Stage::Intent).then(|| "712020:a".into()),
            migrated_by_job: None,
            done: if write_back {
                vec![Done::WriteBack]
            } else {
                vec![]
            },
            status: None,
            updated_ms: 1,
        }
    }

    #[test]
    fn jobs_are_listed_with_their_sources_status_and_counts() {
        let j = MemoryJournal::default();
        let r = Records {
            journal: &j,
            read_only: false,
            redactor: None,
        };
        block_on(async {
            r.put_job(&job(
                "job-a",
                serde_json::json!({"companies": ["ACME"], "issueKey": "SUP-1"}),
                false,
            ))
            .await
            .unwrap();
            r.put_job(&job(
                "job-b",
                serde_json::json!({"customers": ["a@b.example", "c@d.example"]}),
                true,
            ))
            .await
            .unwrap();
            r.put_customer(&customer("qm:1", "job-a", Stage::Complete, true))
                .await
                .unwrap();
            r.put_customer(&customer("qm:2", "job-a", Stage::Migrated, true))
                .await
                .unwrap();
            let all = list(&r, false).await.unwrap();
            assert_eq!(all.len(), 2);
            assert_eq!(all[0].sources, vec!["company:ACME", "issue:SUP-1"]);
            assert_eq!(all[0].status, JobStatus::Unfinished);
            assert_eq!(
                all[0].counts,
                Counts {
                    customers: 2,
                    migrated: 2,
                    failed: 0,
                    open: 1,
                    collected: None,
                }
            );
            assert_eq!(all[1].sources, vec!["2 customers"]);
            assert_eq!(all[1].status, JobStatus::Done);
            assert_eq!(list(&r, true).await.unwrap().len(), 1);
            // A finished run that left a customer open (a write-back to retry) is not done.
            r.put_customer(&customer("qm:3", "job-b", Stage::Migrated, false))
                .await
                .unwrap();
            let b = get(&r, &JobId::new("job-b")).await.unwrap().unwrap();
            assert_eq!(b.status, JobStatus::Unfinished);
            assert_eq!(list(&r, true).await.unwrap().len(), 2);
        });
    }

    #[test]
    fn a_job_is_not_discarded_while_a_customer_waits_for_its_write_back() {
        let j = MemoryJournal::default();
        let r = Records {
            journal: &j,
            read_only: false,
            redactor: None,
        };
        block_on(async {
            r.put_job(&job(
                "job-a",
                serde_json::json!({"companies": ["ACME"]}),
                false,
            ))
            .await
            .unwrap();
            r.put_customer(&customer("qm:1", "job-a", Stage::Migrated, false))
                .await
                .unwrap();
            let e = discard(&r, &JobId::new("job-a"), 5).await.unwrap_err();
            assert!(
                e.to_string()
                    .contains("between migrate and write-back (e.g. qm:1)"),
                "{e}"
            );
            r.put_customer(&customer("qm:1", "job-a", Stage::Migrated, true))
                .await
                .unwrap();
            let s = discard(&r, &JobId::new("job-a"), 5).await.unwrap();
            assert_eq!(s.status, JobStatus::Discarded);
            assert!(
                list(&r, true).await.unwrap().is_empty(),
                "no longer offered for resume"
            );
            assert!(discard(&r, &JobId::new("job-x"), 5).await.is_err());
        });
    }

    #[test]
    fn counts_and_discard_cover_every_page_of_a_big_journal() {
        let j = MemoryJournal::default();
        let r = Records::new(&j);
        let n = crate::journal::SCAN_PAGE * 2 + 3;
        block_on(async {
            r.put_job(&job("job-a", serde_json::json!({"companies": ["A"]}), true))
                .await
                .unwrap();
            r.put_job(&job(
                "job-b",
                serde_json::json!({"companies": ["B"]}),
                false,
            ))
            .await
            .unwrap();
            for i in 0..n {
                let owner = if i % 2 == 0 { "job-a" } else { "job-b" };
                r.put_customer(&customer(
                    &format!("qm:{i:05}"),
                    owner,
                    Stage::Complete,
                    true,
                ))
                .await
                .unwrap();
            }
            // The last page holds job-b's only customer caught between the two steps.
            r.put_customer(&customer("qm:99999", "job-b", Stage::Intent, false))
                .await
                .unwrap();
            let all = list(&r, false).await.unwrap();
            assert_eq!(all[0].counts.customers, n.div_ceil(2));
            assert_eq!(all[1].counts.customers, n / 2 + 1);
            assert_eq!(all[1].counts.open, 1);
            let e = discard(&r, &JobId::new("job-b"), 5).await.unwrap_err();
            assert!(e.to_string().contains("1 customer(s)"), "{e}");
            assert!(e.to_string().contains("qm:99999"), "{e}");
        });
    }
}
