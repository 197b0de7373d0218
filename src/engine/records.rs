//! Every journal write of a job, in one place: the job record, a customer's stage before and right
//! after migrate, its final record, and the closing of a customer whose migrate failed for good.

use super::ctx::Ctx;
use super::work::Work;
use crate::engine::request::MigrationRequest;
use crate::error::Error;
use crate::error::Result;
use crate::ids::{AccountId, CustomerRef, PortalCustomerId};
use crate::journal::{CustomerRecord, Done, JobEnd, JobRecord, Records, Stage};
use crate::report::{CustomerReport, Status};

/// Writes the job's record as this run starts it (the request kept so `resume` can run it again).
pub(crate) async fn start_job(
    records: &Records<'_>,
    previous: Option<JobRecord>,
    request: &MigrationRequest,
    now: u64,
) -> Result<JobRecord> {
    let mut stored = request.clone();
    stored.job_id = Some(request.job_id().0);
    stored.deadline_ms = None;
    let mut job = previous.unwrap_or(JobRecord {
        job_id: request.job_id(),
        request: serde_json::Value::Null,
        started_ms: now,
        finished: false,
        comment: None,
        ended: None,
        collected: None,
    });
    job.finished = false;
    job.ended = None;
    job.request = serde_json::to_value(&stored).unwrap_or_default();
    records.put_job(&job).await?;
    Ok(job)
}

/// A job that failed before any irreversible call is closed as failed, so it blocks nothing; a
/// continuing job stays open for its customers. Answers the error to report.
pub(crate) async fn end_early(
    records: &Records<'_>,
    job: &mut JobRecord,
    continuing: bool,
    error: Error,
) -> Error {
    if continuing {
        return error;
    }
    job.finished = true;
    job.ended = Some(JobEnd::Failed {
        error: error.to_string(),
    });
    match records.put_job(job).await {
        Ok(()) => error,
        Err(journal) => journal,
    }
}

/// The journal's record of a customer named by a portal id or by its new account.
pub(crate) async fn of(ctx: &Ctx<'_>, r: &CustomerRef) -> Result<Option<CustomerRecord>> {
    match r {
        CustomerRef::Portal(p) => ctx.records.customer(p).await,
        CustomerRef::Account(a) => ctx.records.customer_of_account(a).await,
        CustomerRef::Email(_) => Ok(None),
    }
}

/// Whether this (continuing) job already finished the customer.
pub(crate) async fn finished_in_this_job(ctx: &Ctx<'_>, w: &Work) -> Result<bool> {
    if !ctx.continuing {
        return Ok(false);
    }
    let Some(r) = &w.reference else {
        return Ok(false);
    };
    Ok(of(ctx, r)
        .await?
        .is_some_and(|r| r.finished_by(&ctx.job_id)))
}

/// Journals a customer's stage (intent before migrate, migrated right after), keeping what an earlier
/// record knew.
pub(crate) async fn stage(
    ctx: &Ctx<'_>,
    w: &Work,
    id: &PortalCustomerId,
    email: Option<&str>,
    stage: Stage,
    account: Option<&AccountId>,
) -> Result<()> {
    let prev = ctx.records.customer(id).await?;
    let rec = CustomerRecord {
        portal_account_id: id.clone(),
        job_id: ctx.job_id.clone(),
        stage,
        email: email
            .map(str::to_string)
            .or_else(|| prev.as_ref().and_then(|p| p.email.clone())),
        asset_object_id: w
            .asset
            .as_ref()
            .map(|a| a.object.clone())
            .or_else(|| prev.as_ref().and_then(|p| p.asset_object_id.clone())),
        company: w
            .company
            .clone()
            .or_else(|| prev.as_ref().and_then(|p| p.company.clone())),
        space: w
            .space
            .as_ref()
            .map(|k| k.0.clone())
            .or_else(|| prev.as_ref().and_then(|p| p.space.clone())),
        account_id: account.cloned(),
        migrated_by_job: if stage == Stage::Migrated {
            Some(ctx.job_id.clone())
        } else {
            prev.as_ref().and_then(|p| p.migrated_by_job.clone())
        },
        done: Vec::new(),
        status: None,
        updated_ms: ctx.now(),
    };
    ctx.records.put_customer(&rec).await
}

/// The record after write back, groups and space. A failure a re-run can fix stays open, so any later
/// run finishes it; a permanent one is closed (its new id is recorded) so it does not fail every
/// unrelated run after it.
pub(crate) async fn finished(
    ctx: &Ctx<'_>,
    rep: &CustomerReport,
    account: &AccountId,
    email: Option<String>,
    done: Vec<Done>,
) -> Result<()> {
    let Some(portal) = &rep.portal_account_id else {
        return Ok(());
    };
    let prev = ctx.records.customer(portal).await?;
    let open = rep.status == Status::Failed && rep.retryable == Some(true);
    let rec = CustomerRecord {
        portal_account_id: portal.clone(),
        job_id: ctx.job_id.clone(),
        stage: if open {
            Stage::Migrated
        } else {
            Stage::Complete
        },
        email: email.or_else(|| prev.as_ref().and_then(|r| r.email.clone())),
        asset_object_id: rep.asset_object_id.clone(),
        company: rep.company.clone(),
        space: prev.as_ref().and_then(|r| r.space.clone()),
        account_id: Some(account.clone()),
        migrated_by_job: prev.and_then(|r| r.migrated_by_job),
        done,
        status: Some(rep.status),
        updated_ms: ctx.now(),
    };
    ctx.records.put_customer(&rec).await
}

/// Closes the record of a customer whose migrate failed for good (unknown id, no permission…), so
/// later runs do not resume it; the report of this run says why.
pub(crate) async fn close_failed(
    ctx: &Ctx<'_>,
    id: &PortalCustomerId,
    rep: &CustomerReport,
) -> Result<()> {
    if ctx.dry_run {
        return Ok(());
    }
    let Some(mut rec) = ctx.records.customer(id).await? else {
        return Ok(());
    };
    if rec.stage != Stage::Intent {
        return Ok(());
    }
    rec.stage = Stage::Complete;
    rec.status = Some(rep.status);
    rec.updated_ms = ctx.now();
    ctx.records.put_customer(&rec).await
}
