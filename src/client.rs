//! Sends requests through the host's transport with the retry policy, per-surface limits and call
//! counts. The only place that waits, retries or counts.

use crate::error::{Error, Result};
use crate::host::{Clock, Progress, ProgressEvent};
use crate::http::{HttpRequest, HttpResponse, Surface, Transport};
use crate::limiter::Limiter;
use crate::retry::{decide, retry_after_ms, RetryClass, RetryPolicy, RetryReason, Verdict};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

pub struct Client<'a> {
    pub transport: &'a dyn Transport,
    pub clock: &'a dyn Clock,
    pub progress: &'a dyn Progress,
    pub policy: RetryPolicy,
    pub limiter: Limiter,
    calls: RefCell<BTreeMap<Surface, u64>>,
    retries: Cell<u64>,
    rate_limited: Cell<u64>,
}

impl<'a> Client<'a> {
    pub fn new(
        transport: &'a dyn Transport,
        clock: &'a dyn Clock,
        progress: &'a dyn Progress,
        policy: RetryPolicy,
        limiter: Limiter,
    ) -> Self {
        Client {
            transport,
            clock,
            progress,
            policy,
            limiter,
            calls: RefCell::default(),
            retries: Cell::new(0),
            rate_limited: Cell::new(0),
        }
    }

    /// Sends `req`, retrying what `class` allows. Returns the last HTTP answer, even a failing one (the
    /// API module interprets it); a transport failure after the last attempt is `Error::Transport`.
    pub async fn send(
        &self,
        op: &'static str,
        req: HttpRequest,
        class: RetryClass,
    ) -> Result<HttpResponse> {
        let surface = req.surface;
        let mut waited = 0u64;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let result = {
                let _permit = self.limiter.acquire(surface).await;
                let now = self.clock.now_ms();
                if let Some(until) = self.limiter.paused_until(surface) {
                    if until > now {
                        self.clock.sleep(until - now).await;
                    }
                }
                *self.calls.borrow_mut().entry(surface).or_default() += 1;
                self.transport.send(req.clone()).await
            };
            let now = self.clock.now_ms();
            if let Ok(r) = &result {
                if r.status == 429 {
                    self.rate_limited.set(self.rate_limited.get() + 1);
                    self.limiter
                        .on_rate_limited(surface, now, retry_after_ms(r, now));
                } else if r.status < 500 {
                    self.limiter.on_success(surface, now);
                }
            }
            match decide(
                &self.policy,
                class,
                surface,
                attempt,
                result.as_ref(),
                now,
                waited,
                self.clock.random(),
            ) {
                Verdict::Retry { wait_ms, reason } => {
                    self.retries.set(self.retries.get() + 1);
                    let reason = match reason {
                        RetryReason::RateLimited => "rate limited",
                        RetryReason::ServerError => "server error",
                        RetryReason::Transport => "connection failed",
                    };
                    self.progress.event(&ProgressEvent::Waiting {
                        surface: surface.to_string(),
                        ms: wait_ms,
                        reason: reason.into(),
                    });
                    self.clock.sleep(wait_ms).await;
                    waited += wait_ms;
                }
                Verdict::Done | Verdict::GiveUp => {
                    return result.map_err(|e| Error::Transport {
                        op,
                        surface,
                        message: e.to_string(),
                    });
                }
            }
        }
    }

    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.calls
            .borrow()
            .iter()
            .map(|(s, n)| (s.to_string(), *n))
            .collect()
    }
    /// Counts a retry made outside `send` (a migrate resent after reconciliation).
    pub fn count_retry(&self) {
        self.retries.set(self.retries.get() + 1);
    }
    pub fn retries(&self) -> u64 {
        self.retries.get()
    }
    pub fn rate_limited(&self) -> u64 {
        self.rate_limited.get()
    }
}
