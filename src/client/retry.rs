//! One pure retry policy for every request the core sends (atlassian-api.md §9, §13).
//!
//! Nothing here sleeps or reads a clock: the client passes `now_ms` (epoch ms) and `jitter` in [0,1)
//! and gets back a [`Verdict`]. The client sleeps, counts `waited_ms`, and calls [`decide`] again.

use super::hint::retry_after_ms;
use crate::http::{HttpResponse, RetryClass, Surface, TransportError};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// Total attempts including the first.
    pub max_attempts: u32,
    /// Total attempts when every failure was a 429 with a wait hint: rate limits are normal, the
    /// server says when to come back, and `max_total_wait_ms` still bounds the wait.
    pub max_rate_limited_attempts: u32,
    /// First backoff for 5xx and transport errors.
    pub base_delay_ms: u64,
    /// First backoff for a 429 without a wait hint (§9.1: initial ≈5 s).
    pub rate_limit_delay_ms: u64,
    /// Cap of one computed backoff. A server hint above it is still honoured.
    pub max_delay_ms: u64,
    /// Cap of all waits for one request.
    pub max_total_wait_ms: u64,
    /// Minimum wait for an Assets 429 without a wait hint (§9.2).
    pub assets_floor_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            max_rate_limited_attempts: 30,
            base_delay_ms: 1000,
            rate_limit_delay_ms: 5000,
            max_delay_ms: 30_000,
            max_total_wait_ms: 120_000,
            assets_floor_ms: 2000,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Success or an answer retrying cannot change: the caller interprets the response (or error).
    Done,
    /// Wait `wait_ms`, then send the same request again.
    Retry { wait_ms: u64, reason: RetryReason },
    /// Retryable failure, but retrying is not allowed (class, attempts or wait budget).
    GiveUp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryReason {
    RateLimited,
    ServerError,
    Transport,
}

/// Whether an HTTP status is worth another attempt (429, 500, 502, 503, 504).
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// Decides what to do after attempt number `attempt` (1-based) got `outcome`.
/// `waited_ms` is the total already waited for this request.
#[allow(clippy::too_many_arguments)]
pub fn decide(
    policy: &RetryPolicy,
    class: RetryClass,
    surface: Surface,
    attempt: u32,
    outcome: Result<&HttpResponse, &TransportError>,
    now_ms: u64,
    waited_ms: u64,
    jitter: f64,
) -> Verdict {
    let (reason, hint) = match outcome {
        Ok(resp) if resp.status == 429 => (RetryReason::RateLimited, retry_after_ms(resp, now_ms)),
        Ok(resp) if is_retryable_status(resp.status) => {
            (RetryReason::ServerError, retry_after_ms(resp, now_ms))
        }
        Ok(_) => return Verdict::Done,
        Err(_) => (RetryReason::Transport, None),
    };
    if class == RetryClass::Never && reason != RetryReason::RateLimited {
        return Verdict::GiveUp;
    }
    let cap = if reason == RetryReason::RateLimited && hint.is_some() {
        policy.max_rate_limited_attempts.max(policy.max_attempts)
    } else {
        policy.max_attempts
    };
    if attempt >= cap {
        return Verdict::GiveUp;
    }
    let jitter = clamp_jitter(jitter);
    let remaining = policy.max_total_wait_ms.saturating_sub(waited_ms);
    let wait_ms = match hint {
        Some(h) => {
            // Never earlier than the server asked; the jitter (≤ +10%) is cut to the budget instead.
            if h > remaining {
                return Verdict::GiveUp;
            }
            let extra = (h as f64 * 0.1 * jitter).floor() as u64;
            h.saturating_add(extra).min(remaining)
        }
        None => {
            let first = if reason == RetryReason::RateLimited {
                policy.rate_limit_delay_ms
            } else {
                policy.base_delay_ms
            };
            let exp = attempt.max(1) - 1;
            let grown = if exp >= 63 {
                u64::MAX
            } else {
                first.saturating_mul(1u64 << exp)
            };
            let capped = grown.min(policy.max_delay_ms);
            // Jitter 0.7–1.3×, and still never above the per-wait cap.
            let mut wait = ((capped as f64) * (0.7 + 0.6 * jitter)).round() as u64;
            wait = wait.min(policy.max_delay_ms);
            if surface == Surface::Assets && reason == RetryReason::RateLimited {
                wait = wait.max(policy.assets_floor_ms);
            }
            if wait > remaining {
                return Verdict::GiveUp;
            }
            wait
        }
    };
    Verdict::Retry { wait_ms, reason }
}

fn clamp_jitter(j: f64) -> f64 {
    if j.is_finite() {
        j.clamp(0.0, 1.0)
    } else {
        0.5
    }
}

#[cfg(test)]
#[path = "retry_tests.rs"]
mod tests;
