//! Per-surface adaptive concurrency (AIMD) with pauses (atlassian-api.md §9).
//!
//! Single-threaded (the core runs on wasm): `Rc`/`RefCell`/`Cell`, no `Send` bounds, no clock.
//! Time comes in as `now_ms` (epoch ms).
//!
//! Usage by the client:
//! ```ignore
//! let _p = limiter.acquire(surface).await;
//! if let Some(t) = limiter.paused_until(surface) { if t > now { sleep(t - now).await } }
//! // send, then limiter.on_success(..) or limiter.on_rate_limited(..)
//! ```
//! Permits are handed to waiters in FIFO order when a permit drops or the limit rises. When the limit
//! shrinks below the number in flight, no permit is granted until `in_flight < limit`.

use crate::http::Surface;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct LimitConfig {
    /// Highest (and starting) concurrency.
    pub max: u32,
    /// Lowest concurrency a 429 can push the limit to (at least 1).
    pub min: u32,
    /// Raise the limit by 1 after this long without a 429 (and since the last raise).
    pub quiet_ms: u64,
    /// Halve the limit at most once per this window.
    pub decrease_cooldown_ms: u64,
}

impl Default for LimitConfig {
    fn default() -> Self {
        Self {
            max: 4,
            min: 1,
            quiet_ms: 5000,
            decrease_cooldown_ms: 1000,
        }
    }
}

impl LimitConfig {
    /// `min >= 1` and `max >= min`.
    fn normalised(mut self) -> Self {
        self.min = self.min.max(1);
        self.max = self.max.max(self.min);
        self
    }
}

/// One queued `acquire`. `granted` is set (and `in_flight` already counted) when a permit is handed over.
struct WaiterSlot {
    granted: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

struct SurfaceState {
    config: LimitConfig,
    limit: u32,
    in_flight: u32,
    paused_until_ms: Option<u64>,
    /// Pauses of single endpoints ("METHOD /path/{}/template") under a per-endpoint limit.
    endpoint_pauses: BTreeMap<String, u64>,
    last_429_ms: Option<u64>,
    last_decrease_ms: Option<u64>,
    last_raise_ms: Option<u64>,
    waiters: VecDeque<Rc<WaiterSlot>>,
}

impl SurfaceState {
    fn new(config: LimitConfig) -> Self {
        let config = config.normalised();
        let limit = config.max;
        Self {
            limit,
            in_flight: 0,
            paused_until_ms: None,
            endpoint_pauses: BTreeMap::new(),
            last_429_ms: None,
            last_decrease_ms: None,
            last_raise_ms: None,
            waiters: VecDeque::new(),
            config,
        }
    }

    /// Lowers the limit to `to(limit)` (not below `min`) at most once per `decrease_cooldown_ms`.
    fn lower(&mut self, now_ms: u64, to: impl Fn(u32) -> u32) {
        let cooled = self
            .last_decrease_ms
            .is_none_or(|t| now_ms >= t.saturating_add(self.config.decrease_cooldown_ms));
        let lowered = to(self.limit).max(self.config.min);
        if cooled && lowered < self.limit {
            self.limit = lowered;
            self.last_decrease_ms = Some(now_ms);
        }
    }

    /// Hands free slots to the oldest waiters; returns the wakers to call after the borrow ends.
    fn dispatch(&mut self) -> Vec<Waker> {
        let mut wake = Vec::new();
        while self.in_flight < self.limit {
            let Some(slot) = self.waiters.pop_front() else {
                break;
            };
            self.in_flight += 1;
            slot.granted.set(true);
            let taken = slot.waker.borrow_mut().take();
            if let Some(w) = taken {
                wake.push(w);
            }
        }
        wake
    }
}

/// Adaptive per-surface concurrency limiter. Not `Send`; share it by reference or `Rc`.
pub struct Limiter {
    states: RefCell<BTreeMap<Surface, SurfaceState>>,
}

impl Limiter {
    /// One config per surface.
    pub fn new(config: impl Fn(Surface) -> LimitConfig) -> Self {
        let states = Surface::ALL
            .iter()
            .map(|&s| (s, SurfaceState::new(config(s))))
            .collect();
        Self {
            states: RefCell::new(states),
        }
    }

    /// The same config for every surface.
    pub fn uniform(config: LimitConfig) -> Self {
        Self::new(|_| config.clone())
    }

    fn with<R>(&self, surface: Surface, f: impl FnOnce(&mut SurfaceState) -> R) -> R {
        let mut states = self.states.borrow_mut();
        let st = states.get_mut(&surface).expect("every surface has a state");
        f(st)
    }

    fn wake_all(wakers: Vec<Waker>) {
        for w in wakers {
            w.wake();
        }
    }

    /// Waits for a slot on `surface`; the permit releases on drop. Waiters are served in FIFO order.
    pub fn acquire(&self, surface: Surface) -> Acquire<'_> {
        Acquire {
            limiter: self,
            surface,
            slot: None,
            done: false,
        }
    }

    /// The time until which requests to `endpoint` on `surface` are paused (a 429 with a wait hint
    /// pauses the surface, or one endpoint), if any. The value may lie in the past.
    pub fn paused_until(&self, surface: Surface, endpoint: &str) -> Option<u64> {
        self.with(surface, |st| {
            let e = st.endpoint_pauses.get(endpoint).copied();
            match (st.paused_until_ms, e) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            }
        })
    }

    /// Feed back a 429 on `surface` at `now_ms`, with the server's wait (ms) if any. Halves the limit
    /// (not below `min`) at most once per `decrease_cooldown_ms`, and with a wait pauses until
    /// `max(current pause, now + wait)`: the whole surface, or only `endpoint` when the limit is
    /// per endpoint (Jira's `jira-burst-based`). (Measured on the bench's S2: pausing without halving
    /// reached the same wall time with 8× the 429s and 30% more requests.)
    pub fn on_rate_limited(
        &self,
        surface: Surface,
        now_ms: u64,
        wait_ms: Option<u64>,
        endpoint: Option<&str>,
    ) {
        self.with(surface, |st| {
            st.last_429_ms = Some(now_ms);
            st.lower(now_ms, |l| l / 2);
            if let Some(w) = wait_ms {
                let until = now_ms.saturating_add(w);
                let slot = match endpoint {
                    Some(e) => st.endpoint_pauses.entry(e.to_string()).or_insert(0),
                    None => st.paused_until_ms.get_or_insert(0),
                };
                *slot = (*slot).max(until);
            }
        })
    }

    /// Feed back an answer that says the budget is nearly spent (`X-RateLimit-NearLimit`): one fewer
    /// request in flight (not below `min`, at most once per cooldown), and no raise for a quiet period.
    pub fn on_near_limit(&self, surface: Surface, now_ms: u64) {
        self.with(surface, |st| {
            st.last_429_ms = Some(now_ms);
            st.lower(now_ms, |l| l.saturating_sub(1));
        })
    }

    /// Feed back a successful (not rate-limited) answer on `surface` at `now_ms`. Raises the limit by 1
    /// (not above `max`) when `quiet_ms` has passed since the last 429 and since the last raise; wakes
    /// waiters when the limit grows.
    pub fn on_success(&self, surface: Surface, now_ms: u64) {
        let wakers = self.with(surface, |st| {
            if st.limit >= st.config.max {
                return Vec::new();
            }
            let quiet = st.config.quiet_ms;
            let since = |t: Option<u64>| t.is_none_or(|t| now_ms >= t.saturating_add(quiet));
            if !since(st.last_429_ms) || !since(st.last_raise_ms) {
                return Vec::new();
            }
            st.limit += 1;
            st.last_raise_ms = Some(now_ms);
            st.dispatch()
        });
        Self::wake_all(wakers);
    }

    /// The current concurrency limit of `surface`.
    pub fn limit(&self, surface: Surface) -> u32 {
        self.with(surface, |st| st.limit)
    }

    /// Permits currently held (or handed over but not yet picked up) on `surface`.
    pub fn in_flight(&self, surface: Surface) -> u32 {
        self.with(surface, |st| st.in_flight)
    }

    /// Number of `acquire`s waiting on `surface`.
    pub fn waiting(&self, surface: Surface) -> usize {
        self.with(surface, |st| st.waiters.len())
    }

    fn release(&self, surface: Surface) {
        let wakers = self.with(surface, |st| {
            st.in_flight = st.in_flight.saturating_sub(1);
            st.dispatch()
        });
        Self::wake_all(wakers);
    }
}

/// A slot on one surface; released when dropped.
pub struct Permit<'a> {
    limiter: &'a Limiter,
    surface: Surface,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.limiter.release(self.surface);
    }
}

impl std::fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Permit")
            .field("surface", &self.surface)
            .finish()
    }
}

/// The future returned by [`Limiter::acquire`]. Dropping it before completion gives up its place
/// (or its already-granted slot) cleanly.
pub struct Acquire<'a> {
    limiter: &'a Limiter,
    surface: Surface,
    slot: Option<Rc<WaiterSlot>>,
    done: bool,
}

impl<'a> Future for Acquire<'a> {
    type Output = Permit<'a>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit<'a>> {
        let this = self.get_mut();
        assert!(!this.done, "Acquire polled after completion");
        let limiter = this.limiter;
        let surface = this.surface;
        let ready = match &this.slot {
            Some(slot) => {
                if slot.granted.get() {
                    true
                } else {
                    *slot.waker.borrow_mut() = Some(cx.waker().clone());
                    false
                }
            }
            None => limiter.with(surface, |st| {
                if st.waiters.is_empty() && st.in_flight < st.limit {
                    st.in_flight += 1;
                    true
                } else {
                    let slot = Rc::new(WaiterSlot {
                        granted: Cell::new(false),
                        waker: RefCell::new(Some(cx.waker().clone())),
                    });
                    st.waiters.push_back(slot.clone());
                    this.slot = Some(slot);
                    false
                }
            }),
        };
        if ready {
            this.done = true;
            this.slot = None;
            Poll::Ready(Permit { limiter, surface })
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let Some(slot) = self.slot.take() else { return };
        if slot.granted.get() {
            // Handed a slot we never used: pass it on.
            self.limiter.release(self.surface);
        } else {
            self.limiter.with(self.surface, |st| {
                st.waiters.retain(|w| !Rc::ptr_eq(w, &slot))
            });
        }
    }
}

#[cfg(test)]
#[path = "limiter_tests.rs"]
mod tests;
