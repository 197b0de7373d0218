//! Claims that make at-least-once, concurrent delivery safe: one run owns a job at a time (a lease,
//! renewed while it works), and one run owns a customer's migrate. A run that loses a claim adopts
//! the winner's outcome; a lease that ran out (a crashed owner) is taken over through the
//! customer's reconciliation, never by a blind resend (design.md "Rules").

use super::ctx::Ctx;
use crate::client::Seen;
use crate::error::{Error, Result};
use crate::ids::{JobId, PortalCustomerId};
use crate::journal::{Lease, Records};

/// How long a job's claim lasts without renewal; a crashed run's job is free again after this.
pub const JOB_LEASE_MS: u64 = 10 * 60_000;
/// How long a customer's migrate claim lasts (longer than the migrate step can take).
pub const CUSTOMER_LEASE_MS: u64 = 30 * 60_000;

pub fn job_key(id: &JobId) -> String {
    format!("lease/job/{id}")
}

pub fn customer_key(id: &PortalCustomerId) -> String {
    format!("lease/customer/{id}")
}

/// A name for this run: unique per invocation.
pub fn owner(job: &JobId, now_ms: u64, random: f64) -> String {
    let r = (random.clamp(0.0, 1.0) * 4_294_967_295.0) as u64;
    format!("{job}@{now_ms:x}.{r:08x}")
}

/// Takes the job for this run: its lease's end, or the holder when another run has it.
pub async fn take_job(
    records: &Records<'_>,
    job: &JobId,
    owner: &str,
    now_ms: u64,
) -> Result<Result<u64, Lease>> {
    let c = records
        .claim(&job_key(job), owner, JOB_LEASE_MS, now_ms)
        .await?;
    Ok(if c.won {
        Ok(c.expires_ms)
    } else {
        Err(Lease {
            owner: c.owner,
            expires_ms: c.expires_ms,
        })
    })
}

/// Renews the job's lease when half of it is gone; a run whose lease was taken over stops.
pub async fn keep_job(ctx: &Ctx<'_>) -> Result<()> {
    if ctx.dry_run || ctx.now().saturating_add(JOB_LEASE_MS / 2) < ctx.lease_until.get() {
        return Ok(());
    }
    let now = ctx.now();
    let c = ctx
        .records
        .claim(&job_key(&ctx.job_id), &ctx.owner, JOB_LEASE_MS, now)
        .await?;
    if c.won {
        ctx.lease_until.set(c.expires_ms);
        return Ok(());
    }
    let e = Error::Busy {
        message: format!(
            "job {} was taken over by another run ({}) while this one paused; this run stops",
            ctx.job_id, c.owner
        ),
    };
    ctx.stop(e.clone());
    Err(e)
}

/// How a customer's migrate claim was won.
pub enum Won {
    /// Free: nobody else was migrating it.
    Free,
    /// Another run held it and its lease ran out: what it did must be reconciled first.
    TookOver,
}

/// Claims a customer's migrate, waiting (bounded) while another run holds it. An error a re-run can
/// fix when the other run keeps it.
pub async fn take_customer(ctx: &Ctx<'_>, id: &PortalCustomerId) -> Result<Won> {
    let key = customer_key(id);
    let b = ctx.migrate_poll();
    let seen = ctx
        .client
        .poll(b, async || {
            let now = ctx.now();
            let c = ctx
                .records
                .claim(&key, &ctx.owner, CUSTOMER_LEASE_MS, now)
                .await?;
            Ok(match (c.won, c.took_over()) {
                (true, true) => Seen::Yes(Won::TookOver),
                (true, false) => Seen::Yes(Won::Free),
                (false, _) => Seen::NotYet(c.owner),
            })
        })
        .await?;
    match seen {
        Seen::Yes(w) => Ok(w),
        Seen::NotYet(holder) => Err(Error::Busy {
            message: format!("{id} is being migrated by another run ({holder}); re-run later"),
        }),
    }
}

/// Gives a customer's claim up (best effort: it runs out by itself).
pub async fn drop_customer(ctx: &Ctx<'_>, id: &PortalCustomerId) {
    let _ = ctx.records.release(&customer_key(id), &ctx.owner).await;
}
