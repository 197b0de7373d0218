//! The one place that sends: [`Client::call`] sends an [`Op`] through the host's transport under the
//! per-surface limiter, retries what the op's class allows, waits on rate limits, counts, and parses.
//! Every other wait lives here too: polling for eventual consistency ([`Client::poll`]), resending an
//! irreversible call only after its effect was checked ([`Client::call_once`]), and walking pages
//! ([`Client::all_pages`]). The engine never sleeps.

mod hint;
mod limiter;
mod paging;
mod retry;

pub use hint::{iso, retry_after_ms};
pub use limiter::{LimitConfig, Limiter};
pub use paging::{first_page_is_all, Walk};
pub use retry::{decide, RetryPolicy, RetryReason, Verdict};

use crate::api::Op;
use crate::error::{Error, Result};
use crate::host::{Clock, Host, Progress, ProgressEvent};
use crate::http::{HttpRequest, HttpResponse, RetryClass, Surface, Transport, TransportError};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

pub struct Client<'a> {
    transport: &'a dyn Transport,
    clock: &'a dyn Clock,
    progress: &'a dyn Progress,
    policy: RetryPolicy,
    limiter: Limiter,
    /// Requests sent per surface (each retry counts).
    requests: RefCell<BTreeMap<Surface, u64>>,
    /// Calls made per op (a retry inside one call does not count; a resend does).
    calls: RefCell<BTreeMap<&'static str, u64>>,
    retries: Cell<u64>,
    rate_limited: Cell<u64>,
    /// No wait may run past this (the job's deadline): a longer one ends the call as retryable.
    deadline_ms: Cell<Option<u64>>,
}

/// Why `send` gave no answer.
enum Stop {
    Transport(TransportError),
    /// The service asked to wait until then, longer than this run may wait.
    Wait {
        until_ms: u64,
        status: u16,
    },
}

/// What a poll step saw: the thing, or not yet (with the service's words for it).
pub enum Seen<T> {
    Yes(T),
    NotYet(String),
}

/// How long and how often to poll: the first wait doubles up to `max_ms`, for at most `budget_ms`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    pub first_ms: u64,
    pub max_ms: u64,
    pub budget_ms: u64,
}

impl<'a> Client<'a> {
    pub fn new(host: &Host<'a>, policy: RetryPolicy, limiter: Limiter) -> Self {
        Client {
            transport: host.transport,
            clock: host.clock,
            progress: host.progress,
            policy,
            limiter,
            requests: RefCell::default(),
            calls: RefCell::default(),
            retries: Cell::new(0),
            rate_limited: Cell::new(0),
            deadline_ms: Cell::new(None),
        }
    }

    /// No wait of this client runs past `deadline_ms` (epoch ms).
    pub fn set_deadline(&self, deadline_ms: Option<u64>) {
        self.deadline_ms.set(deadline_ms);
    }

    /// How long a wait may still be, having waited `waited` for this request already.
    fn budget(&self, now: u64, waited: u64) -> u64 {
        let total = self.policy.max_total_wait_ms.saturating_sub(waited);
        match self.deadline_ms.get() {
            Some(d) => total.min(d.saturating_sub(now)),
            None => total,
        }
    }

    pub fn now(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Sends `op` (with the retries its class allows) and parses the answer.
    pub async fn call<T: 'static>(&self, op: Op<T>) -> Result<T> {
        self.count_call(op.name);
        match self.send(&op.request, op.class).await {
            Ok(resp) => op.parse(&resp),
            Err(e) => Err(stop_error(&op, e)),
        }
    }

    /// An irreversible call. An ambiguous failure (lost answer, 5xx, a 429 past its budget) is never
    /// resent blindly: `settle` looks at the world first and answers `Some` when the call took
    /// effect after all; only on `None` is it sent again, after the same back-off as any retry.
    pub async fn call_once<T: 'static>(
        &self,
        make: impl Fn() -> Op<T>,
        mut settle: impl AsyncFnMut(&Error) -> Result<Option<T>>,
    ) -> Result<T> {
        let mut waited = 0u64;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let op = make();
            self.count_call(op.name);
            let sent = self.send(&op.request, op.class).await;
            let answer = sent.as_ref().ok().cloned();
            let err = match sent {
                Ok(resp) => match op.parse(&resp) {
                    Err(e) if ambiguous(&e) => e,
                    other => return other,
                },
                // Stopped before sending (a pause longer than the budget): nothing to settle.
                Err(w @ Stop::Wait { .. }) => return Err(stop_error(&op, w)),
                Err(e) => stop_error(&op, e),
            };
            if let Some(done) = settle(&err).await? {
                return Ok(done);
            }
            // It did not happen: resending is safe, after the normal back-off (and Retry-After).
            let lost = TransportError {
                code: "LOST".into(),
                message: err.to_string(),
            };
            let outcome = answer.as_ref().ok_or(&lost);
            let verdict = decide(
                &self.policy,
                RetryClass::Safe,
                op.surface(),
                attempt,
                outcome,
                self.now(),
                waited,
                self.clock.random(),
            );
            match verdict {
                Verdict::Retry { wait_ms, reason } if attempt < self.policy.max_attempts => {
                    self.wait(op.surface(), wait_ms, reason).await;
                    waited += wait_ms;
                }
                _ => return Err(err),
            }
        }
    }

    /// Repeats `step` with back-off until it sees what it waits for or the budget runs out; returns
    /// the last answer (`Seen::NotYet` after the budget).
    pub async fn poll<T>(
        &self,
        b: Backoff,
        mut step: impl AsyncFnMut() -> Result<Seen<T>>,
    ) -> Result<Seen<T>> {
        let until = self.now().saturating_add(b.budget_ms);
        let mut wait = b.first_ms.max(1);
        loop {
            match step().await? {
                Seen::Yes(t) => return Ok(Seen::Yes(t)),
                Seen::NotYet(m) => {
                    if self.now().saturating_add(wait) > until {
                        return Ok(Seen::NotYet(m));
                    }
                    self.clock.sleep(wait).await;
                    wait = wait.saturating_mul(2).min(b.max_ms.max(1));
                }
            }
        }
    }

    /// Sends one request, retrying what the op's class allows. Returns the last HTTP answer, even a
    /// failing one (the op interprets it), or the last transport failure.
    async fn send(&self, request: &HttpRequest, class: RetryClass) -> Result<HttpResponse, Stop> {
        let surface = request.surface;
        let endpoint = endpoint_of(request);
        let mut waited = 0u64;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let result = {
                let _permit = self.limiter.acquire(surface).await;
                let now = self.now();
                if let Some(until) = self.limiter.paused_until(surface, &endpoint) {
                    if until > now {
                        // A pause (someone's Retry-After) longer than this run may wait ends the call.
                        if until - now > self.budget(now, waited) {
                            return Err(Stop::Wait {
                                until_ms: until,
                                status: 429,
                            });
                        }
                        self.clock.sleep(until - now).await;
                    }
                }
                *self.requests.borrow_mut().entry(surface).or_default() += 1;
                self.transport.send(request.clone()).await
            };
            let now = self.now();
            if let Ok(r) = &result {
                if r.status == 429 {
                    self.rate_limited.set(self.rate_limited.get() + 1);
                    let scope = per_endpoint(r).then_some(endpoint.as_str());
                    self.limiter
                        .on_rate_limited(surface, now, retry_after_ms(r, now), scope);
                } else if near_limit(r) {
                    self.limiter.on_near_limit(surface, now);
                } else if r.status < 500 {
                    self.limiter.on_success(surface, now);
                }
            }
            let verdict = decide(
                &self.policy,
                class,
                surface,
                attempt,
                result.as_ref(),
                now,
                waited,
                self.clock.random(),
            );
            // A hint (or back-off) past the budget ends the call as retryable, never a sleep past it.
            let hint = result
                .as_ref()
                .ok()
                .and_then(|r| retry_after_ms(r, now).map(|h| (r.status, h)));
            match (verdict, hint) {
                (Verdict::Retry { wait_ms, .. }, _) | (Verdict::GiveUp, Some((_, wait_ms)))
                    if wait_ms > self.budget(now, waited) =>
                {
                    return match result {
                        Ok(r) => Err(Stop::Wait {
                            until_ms: now.saturating_add(wait_ms),
                            status: r.status,
                        }),
                        Err(e) => Err(Stop::Transport(e)),
                    };
                }
                (Verdict::Retry { wait_ms, reason }, _) => {
                    self.wait(surface, wait_ms, reason).await;
                    waited += wait_ms;
                }
                (Verdict::Done | Verdict::GiveUp, _) => return result.map_err(Stop::Transport),
            }
        }
    }

    async fn wait(&self, surface: Surface, ms: u64, reason: RetryReason) {
        self.retries.set(self.retries.get() + 1);
        let reason = match reason {
            RetryReason::RateLimited => "rate limited",
            RetryReason::ServerError => "server error",
            RetryReason::Transport => "connection failed",
        };
        self.progress.event(&ProgressEvent::Waiting {
            surface: surface.to_string(),
            ms,
            reason: reason.into(),
        });
        self.clock.sleep(ms).await;
    }

    fn count_call(&self, op: &'static str) {
        *self.calls.borrow_mut().entry(op).or_default() += 1;
    }

    /// Requests sent per surface.
    pub fn requests(&self) -> BTreeMap<String, u64> {
        self.requests
            .borrow()
            .iter()
            .map(|(s, n)| (s.to_string(), *n))
            .collect()
    }

    /// Calls made of the named ops.
    pub fn calls_of(&self, ops: &[&str]) -> u64 {
        let calls = self.calls.borrow();
        ops.iter().map(|o| calls.get(o).copied().unwrap_or(0)).sum()
    }

    pub fn retries(&self) -> u64 {
        self.retries.get()
    }

    pub fn rate_limited(&self) -> u64 {
        self.rate_limited.get()
    }
}

fn stop_error<T: 'static>(op: &Op<T>, s: Stop) -> Error {
    match s {
        Stop::Transport(e) => Error::Transport {
            op: op.name,
            surface: op.surface(),
            message: e.to_string(),
        },
        Stop::Wait { until_ms, status } => Error::Api {
            op: op.name,
            surface: op.surface(),
            status,
            message: format!(
                "rate limited until {}; re-run after that (the wait is longer than this run may wait)",
                iso(until_ms)
            ),
        },
    }
}

/// `METHOD /path/{}/template`: the endpoint a per-endpoint limit counts (segments holding ids
/// become `{}`).
fn endpoint_of(r: &HttpRequest) -> String {
    let path = r.url.split(['?', '#']).next().unwrap_or("");
    let path = path.split_once("://").map_or(path, |(_, rest)| rest);
    let segments: Vec<&str> = path
        .split('/')
        .map(|s| {
            if s.bytes().any(|b| b.is_ascii_digit() || b == b'%') {
                "{}"
            } else {
                s
            }
        })
        .collect();
    format!("{} {}", r.method, segments.join("/"))
}

/// Jira's burst limits count per tenant, endpoint and method: a 429 for one says nothing about the
/// others (atlassian-api.md §9.1, "RateLimit-Reason: jira-burst-based").
fn per_endpoint(r: &HttpResponse) -> bool {
    r.header("ratelimit-reason")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("jira-burst-based"))
}

/// `X-RateLimit-NearLimit: true` (or its beta twin): less than 20% of a budget is left (§9.1).
fn near_limit(r: &HttpResponse) -> bool {
    ["x-ratelimit-nearlimit", "x-beta-ratelimit-nearlimit"]
        .iter()
        .any(|h| {
            r.header(h)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        })
}

/// A failure after which the service may or may not have done the work.
fn ambiguous(e: &Error) -> bool {
    match e {
        Error::Transport { .. } => true,
        Error::Api { status, .. } => *status >= 500 || *status == 429,
        _ => false,
    }
}
