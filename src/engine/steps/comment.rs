//! The job's summary comment on its issue, posted at most once per job: journaled before (`Sending`)
//! and after (`Posted`); after a lost answer the issue's comments are searched for the job's marker.

use crate::api::comments;
use crate::engine::ctx::Ctx;
use crate::error::Result;
use crate::ids::IssueKey;
use crate::journal::{CommentRecord, CommentState, JobRecord};
use crate::report::{Report, Status};

pub(crate) async fn once(
    ctx: &Ctx<'_>,
    job: &mut JobRecord,
    issue: &IssueKey,
    report: &Report,
) -> Result<Option<String>> {
    let marker = format!("[portal-migrate {}]", ctx.job_id);
    let site = &ctx.urls.site;
    if let Some(c) = &job.comment {
        if c.state == CommentState::Posted {
            return Ok(c.id.clone());
        }
        if ctx
            .client
            .call(comments::has_marker(site, issue, &marker))
            .await?
        {
            record(ctx, job, issue, CommentState::Posted, None).await?;
            return Ok(None);
        }
    }
    record(ctx, job, issue, CommentState::Sending, None).await?;
    let lines = lines(report, &marker);
    let internal = ctx.s.config.comment.internal;
    let id = ctx
        .client
        .call(comments::add(site, issue, &lines, internal))
        .await?;
    record(ctx, job, issue, CommentState::Posted, Some(id.clone())).await?;
    Ok(Some(id))
}

async fn record(
    ctx: &Ctx<'_>,
    job: &mut JobRecord,
    issue: &IssueKey,
    state: CommentState,
    id: Option<String>,
) -> Result<()> {
    job.comment = Some(CommentRecord {
        issue: issue.clone(),
        state,
        id,
    });
    ctx.records.put_job(job).await
}

fn lines(report: &Report, marker: &str) -> Vec<String> {
    let t = &report.totals;
    let mut lines = vec![format!(
        "Portal customer migration {marker}: {} migrated, {} already migrated, {} failed, {} skipped.",
        t.migrated, t.already_migrated, t.failed, t.skipped
    )];
    for c in &report.customers {
        let who = c
            .email
            .clone()
            .or(c.portal_account_id.as_ref().map(|p| p.0.clone()))
            .unwrap_or_default();
        let account = c.account_id.as_ref().map_or("?", |a| a.as_str());
        let line = match c.status {
            Status::Migrated => format!("Migrated {who}: new account {account}"),
            Status::AlreadyMigrated => format!("Already migrated {who}: account {account}"),
            Status::Failed => format!(
                "FAILED {who} at {}: {}",
                c.failed_step.map_or("?", |s| s.as_str()),
                c.error.as_deref().unwrap_or("")
            ),
            Status::Skipped => format!("Skipped {who}: {}", c.error.as_deref().unwrap_or("")),
            Status::Planned => format!("Would migrate {who}"),
        };
        lines.push(line);
    }
    lines
}
