//! The job's summary comment on its issue, posted at most once per job: journaled before (`Sending`)
//! and after (`Posted`); after a lost answer the issue's comments are searched for the job's marker.
//! The body stays well under Jira's limit; a comment Jira refuses is recorded, and the job still ends.

use crate::api::comments;
use crate::engine::ctx::Ctx;
use crate::error::{Error, Result};
use crate::ids::IssueKey;
use crate::journal::{CommentRecord, CommentState, JobRecord};
use crate::report::{CustomerReport, Report, Status};

/// Jira rejects comments over 32,767 characters ("The entered text is too long", atlassian-api.md
/// §14); this leaves room for the ADF structure and any counting difference.
pub(crate) const MAX_COMMENT_CHARS: usize = 30_000;

/// `Ok(Ok(id))` posted (the id when this run posted it); `Ok(Err(e))` not posted, recorded; `Err` a
/// journal failure.
pub(crate) async fn once(
    ctx: &Ctx<'_>,
    job: &mut JobRecord,
    issue: &IssueKey,
    report: &Report,
) -> Result<Result<Option<String>, Error>> {
    let marker = format!("[portal-migrate {}]", ctx.job_id);
    let site = &ctx.urls.site;
    // A comment record speaks for its own issue only.
    let mine = job.comment.as_ref().filter(|c| &c.issue == issue);
    match mine.map(|c| c.state) {
        Some(CommentState::Posted) => {
            return Ok(Ok(job.comment.as_ref().and_then(|c| c.id.clone())))
        }
        Some(CommentState::Sending) => {
            // The answer was lost: it may have been posted.
            let found = ctx
                .client
                .call(comments::has_marker(site, issue, &marker))
                .await;
            match found {
                Ok(true) => {
                    record(ctx, job, issue, CommentState::Posted, None, None).await?;
                    return Ok(Ok(None));
                }
                Ok(false) => {}
                Err(e) => return Ok(Err(e)),
            }
        }
        Some(CommentState::Failed) | None => {}
    }
    record(ctx, job, issue, CommentState::Sending, None, None).await?;
    let lines = lines(report, &marker);
    let internal = ctx.s.config.comment.internal;
    match ctx
        .client
        .call(comments::add(site, issue, &lines, internal))
        .await
    {
        Ok(id) => {
            record(
                ctx,
                job,
                issue,
                CommentState::Posted,
                Some(id.clone()),
                None,
            )
            .await?;
            Ok(Ok(Some(id)))
        }
        Err(e) => {
            // A 4xx was not posted; anything else may have been, so `Sending` stays for the next run.
            if e.status()
                .is_some_and(|s| (400..500).contains(&s) && s != 429)
            {
                let message = Some(e.to_string());
                record(ctx, job, issue, CommentState::Failed, None, message).await?;
            }
            Ok(Err(e))
        }
    }
}

async fn record(
    ctx: &Ctx<'_>,
    job: &mut JobRecord,
    issue: &IssueKey,
    state: CommentState,
    id: Option<String>,
    error: Option<String>,
) -> Result<()> {
    job.comment = Some(CommentRecord {
        issue: issue.clone(),
        state,
        id,
        error,
    });
    ctx.records.put_job(job).await
}

fn line(c: &CustomerReport) -> String {
    let who = c
        .email
        .clone()
        .or(c.portal_account_id.as_ref().map(|p| p.0.clone()))
        .unwrap_or_default();
    let account = c.account_id.as_ref().map_or("?", |a| a.as_str());
    match c.status {
        Status::Migrated => format!("Migrated {who}: new account {account}"),
        Status::AlreadyMigrated => format!("Already migrated {who}: account {account}"),
        Status::Failed => format!(
            "FAILED {who} at {}: {}",
            c.failed_step.map_or("?", |s| s.as_str()),
            c.error.as_deref().unwrap_or("")
        ),
        Status::Skipped => format!("Skipped {who}: {}", c.error.as_deref().unwrap_or("")),
        Status::Planned => format!("Would migrate {who}"),
    }
}

fn chars(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The totals, then failures first, then the rest, as long as they fit; then how many were left out.
fn lines(report: &Report, marker: &str) -> Vec<String> {
    let t = &report.totals;
    let mut lines = vec![format!(
        "Portal customer migration {marker}: {} migrated, {} already migrated, {} failed, {} skipped.",
        t.migrated, t.already_migrated, t.failed, t.skipped
    )];
    let mut used = chars(&lines[0]);
    let reserve = 80; // the closing "and N more" line
    let failed = report
        .customers
        .iter()
        .filter(|c| c.status == Status::Failed);
    let rest = report
        .customers
        .iter()
        .filter(|c| c.status != Status::Failed);
    let mut left = 0usize;
    for c in failed.chain(rest) {
        let mut l = line(c);
        if chars(&l) > 1_000 {
            l = l.chars().take(1_000).collect::<String>() + "…";
        }
        if left == 0 && used + chars(&l) + reserve <= MAX_COMMENT_CHARS {
            used += chars(&l);
            lines.push(l);
        } else {
            left += 1;
        }
    }
    // Rows a big job streamed to its host instead of keeping.
    left += report.omitted;
    if left > 0 {
        lines.push(format!(
            "… and {left} more: see the report of job {}.",
            report.job_id
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Step, Steps};

    fn row(i: usize, status: Status) -> CustomerReport {
        CustomerReport {
            portal_account_id: None,
            account_id: Some(format!("712020:{i:036}").into()),
            email: Some(format!("customer-{i}@a-rather-long-company-name.example")),
            company: None,
            asset_object_id: None,
            source: String::new(),
            status,
            steps: Steps::default(),
            failed_step: (status == Status::Failed).then_some(Step::Groups),
            error: (status == Status::Failed)
                .then(|| "groups.addUser (jira): HTTP 500: boom".into()),
            retryable: None,
            space: None,
            notes: Vec::new(),
            plan: None,
        }
    }

    #[test]
    fn a_big_job_fits_its_comment_with_failures_first() {
        let mut r = Report {
            customers: (0..600).map(|i| row(i, Status::Migrated)).collect(),
            ..Report::default()
        };
        r.customers.push(row(900, Status::Failed));
        r.compute_totals(0);
        let l = lines(&r, "[m]");
        let total: usize = l.iter().map(|x| chars(x)).sum();
        assert!(total <= MAX_COMMENT_CHARS, "{total}");
        assert!(l[1].starts_with("FAILED customer-900@"), "{}", l[1]);
        let last = l.last().unwrap();
        assert!(
            last.starts_with("… and ") && last.ends_with("more: see the report of job ."),
            "{last}"
        );
        let n: usize = last.split(' ').nth(2).unwrap().parse().unwrap();
        assert_eq!(l.len() - 2 + n, 601, "every customer is listed or counted");
    }

    #[test]
    fn a_small_job_lists_everyone() {
        let mut r = Report {
            customers: (0..3).map(|i| row(i, Status::Migrated)).collect(),
            ..Report::default()
        };
        r.compute_totals(0);
        assert_eq!(lines(&r, "[m]").len(), 4);
    }
}
