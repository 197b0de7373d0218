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
#[serde(rename_all = "camelCase", default)]
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

/// Per-surface counters, serialisable for reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SurfaceStats {
    /// Current limit.
    pub limit: u32,
    /// Lowest limit seen.
    pub lowest_limit: u32,
    /// Number of times the limit was lowered.
    pub decreases: u32,
    /// Number of 429s reported.
    pub rate_limited: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct LimiterStats {
    pub surfaces: BTreeMap<Surface, SurfaceStats>,
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
    last_429_ms: Option<u64>,
    last_decrease_ms: Option<u64>,
    last_raise_ms: Option<u64>,
    waiters: VecDeque<Rc<WaiterSlot>>,
    stats: SurfaceStats,
}

impl SurfaceState {
    fn new(config: LimitConfig) -> Self {
        let config = config.normalised();
        let limit = config.max;
        Self {
            limit,
            in_flight: 0,
            paused_until_ms: None,
            last_429_ms: None,
            last_decrease_ms: None,
            last_raise_ms: None,
            waiters: VecDeque::new(),
            stats: SurfaceStats {
                limit,
                lowest_limit: limit,
                decreases: 0,
                rate_limited: 0,
            },
            config,
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

    /// The time until which the surface is paused (a 429 with a wait hint pauses every request on the
    /// surface), if any. The value may lie in the past; compare it with the current time.
    pub fn paused_until(&self, surface: Surface) -> Option<u64> {
        self.with(surface, |st| st.paused_until_ms)
    }

    /// How long a request on `surface` must still wait at `now_ms` (0 when not paused).
    pub fn pause_remaining_ms(&self, surface: Surface, now_ms: u64) -> u64 {
        self.paused_until(surface)
            .map_or(0, |t| t.saturating_sub(now_ms))
    }

    /// Feed back a 429 on `surface` at `now_ms`, with the server's wait (ms) if any. Halves the limit
    /// (not below `min`) at most once per `decrease_cooldown_ms`, and with a wait pauses the surface
    /// until `max(current pause, now + wait)`. (Measured on the bench's S2: pausing without halving
    /// reached the same wall time with 8× the 429s and 30% more requests.)
    pub fn on_rate_limited(&self, surface: Surface, now_ms: u64, wait_ms: Option<u64>) {
        self.with(surface, |st| {
            st.stats.rate_limited += 1;
            st.last_429_ms = Some(now_ms);
            let cooled = st
                .last_decrease_ms
                .is_none_or(|t| now_ms >= t.saturating_add(st.config.decrease_cooldown_ms));
            if cooled {
                let halved = (st.limit / 2).max(st.config.min);
                if halved < st.limit {
                    st.limit = halved;
                    st.last_decrease_ms = Some(now_ms);
                    st.stats.decreases += 1;
                    st.stats.limit = halved;
                    st.stats.lowest_limit = st.stats.lowest_limit.min(halved);
                }
            }
            if let Some(w) = wait_ms {
                let until = now_ms.saturating_add(w);
                st.paused_until_ms = Some(st.paused_until_ms.map_or(until, |p| p.max(until)));
            }
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
            st.stats.limit = st.limit;
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

    pub fn stats(&self) -> LimiterStats {
        LimiterStats {
            surfaces: self
                .states
                .borrow()
                .iter()
                .map(|(s, st)| (*s, st.stats.clone()))
                .collect(),
        }
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

impl Permit<'_> {
    pub fn surface(&self) -> Surface {
        self.surface
    }
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
mod tests {
    use super::*;
    use futures::executor::{block_on, LocalPool};
    use futures::task::{waker, ArcWake, LocalSpawnExt};
    use futures::FutureExt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn cfg(max: u32, min: u32) -> LimitConfig {
        LimitConfig {
            max,
            min,
            quiet_ms: 5000,
            decrease_cooldown_ms: 1000,
        }
    }

    /// Returns Pending once, waking itself, so other tasks run.
    struct YieldNow(bool);
    impl Future for YieldNow {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    struct CountWaker(AtomicUsize);
    impl ArcWake for CountWaker {
        fn wake_by_ref(arc_self: &Arc<Self>) {
            arc_self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn counting() -> (Arc<CountWaker>, Waker) {
        let c = Arc::new(CountWaker(AtomicUsize::new(0)));
        let w = waker(c.clone());
        (c, w)
    }
    fn woken(c: &Arc<CountWaker>) -> usize {
        c.0.load(Ordering::SeqCst)
    }

    #[test]
    fn limiter_never_grants_more_than_limit_permits_at_once() {
        for limit in [1u32, 3, 4] {
            let limiter = Rc::new(Limiter::uniform(cfg(limit, 1)));
            let current = Rc::new(Cell::new(0u32));
            let peak = Rc::new(Cell::new(0u32));
            let finished = Rc::new(Cell::new(0u32));
            let mut pool = LocalPool::new();
            let spawner = pool.spawner();
            for _ in 0..20 {
                let (limiter, current, peak, finished) = (
                    limiter.clone(),
                    current.clone(),
                    peak.clone(),
                    finished.clone(),
                );
                spawner
                    .spawn_local(async move {
                        let _p = limiter.acquire(Surface::Jira).await;
                        current.set(current.get() + 1);
                        peak.set(peak.get().max(current.get()));
                        YieldNow(false).await;
                        YieldNow(false).await;
                        current.set(current.get() - 1);
                        finished.set(finished.get() + 1);
                    })
                    .unwrap();
            }
            pool.run();
            assert_eq!(finished.get(), 20);
            assert_eq!(
                peak.get(),
                limit,
                "peak concurrency must reach but never exceed the limit"
            );
            assert_eq!(limiter.in_flight(Surface::Jira), 0);
            assert_eq!(limiter.waiting(Surface::Jira), 0);
        }
    }

    #[test]
    fn limiter_surfaces_are_independent() {
        let limiter = Limiter::uniform(cfg(1, 1));
        let _j = limiter.acquire(Surface::Jira).now_or_never().expect("free");
        assert!(limiter.acquire(Surface::Jira).now_or_never().is_none());
        let _a = limiter
            .acquire(Surface::Assets)
            .now_or_never()
            .expect("other surface is free");
    }

    #[test]
    fn limiter_wakes_waiters_in_fifo_order() {
        let limiter = Limiter::uniform(cfg(1, 1));
        let held = block_on(limiter.acquire(Surface::Jira));
        let (ca, wa) = counting();
        let (cb, wb) = counting();
        let (cc, wc) = counting();
        let mut a = Box::pin(limiter.acquire(Surface::Jira));
        let mut b = Box::pin(limiter.acquire(Surface::Jira));
        let mut c = Box::pin(limiter.acquire(Surface::Jira));
        // Register in the order C, A, B (different from creation order).
        assert!(c.as_mut().poll(&mut Context::from_waker(&wc)).is_pending());
        assert!(a.as_mut().poll(&mut Context::from_waker(&wa)).is_pending());
        assert!(b.as_mut().poll(&mut Context::from_waker(&wb)).is_pending());
        drop(held);
        assert_eq!(
            (woken(&ca), woken(&cb), woken(&cc)),
            (0, 0, 1),
            "only the oldest waiter is woken"
        );
        // Polling the others first must not let them jump the queue.
        assert!(a.as_mut().poll(&mut Context::from_waker(&wa)).is_pending());
        assert!(b.as_mut().poll(&mut Context::from_waker(&wb)).is_pending());
        let pc = match c.as_mut().poll(&mut Context::from_waker(&wc)) {
            Poll::Ready(p) => p,
            Poll::Pending => panic!("C was first in line"),
        };
        // A newcomer does not overtake the queue either.
        let mut late = Box::pin(limiter.acquire(Surface::Jira));
        let (cl, wl) = counting();
        drop(pc);
        assert!(late
            .as_mut()
            .poll(&mut Context::from_waker(&wl))
            .is_pending());
        assert_eq!(woken(&ca), 1);
        let pa = match a.as_mut().poll(&mut Context::from_waker(&wa)) {
            Poll::Ready(p) => p,
            Poll::Pending => panic!("A was next"),
        };
        drop(pa);
        assert_eq!((woken(&cb), woken(&cl)), (1, 0));
        assert!(matches!(
            b.as_mut().poll(&mut Context::from_waker(&wb)),
            Poll::Ready(_)
        ));
        assert_eq!(
            woken(&cl),
            1,
            "B's permit dropped immediately, passing to the newcomer"
        );
    }

    #[test]
    fn limiter_fifo_order_on_local_pool() {
        let limiter = Rc::new(Limiter::uniform(cfg(1, 1)));
        let order = Rc::new(RefCell::new(Vec::new()));
        let mut pool = LocalPool::new();
        let spawner = pool.spawner();
        let held = block_on(limiter.acquire(Surface::Assets));
        for i in 0..6 {
            let (limiter, order) = (limiter.clone(), order.clone());
            spawner
                .spawn_local(async move {
                    let _p = limiter.acquire(Surface::Assets).await;
                    order.borrow_mut().push(i);
                    YieldNow(false).await;
                })
                .unwrap();
        }
        pool.run_until_stalled();
        assert!(order.borrow().is_empty());
        drop(held);
        pool.run();
        assert_eq!(*order.borrow(), vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn limiter_dropped_waiter_leaves_queue_and_passes_on_granted_slot() {
        let limiter = Limiter::uniform(cfg(1, 1));
        let held = block_on(limiter.acquire(Surface::Jira));
        let (_ca, wa) = counting();
        let (cb, wb) = counting();
        let mut a = Box::pin(limiter.acquire(Surface::Jira));
        let mut b = Box::pin(limiter.acquire(Surface::Jira));
        assert!(a.as_mut().poll(&mut Context::from_waker(&wa)).is_pending());
        assert!(b.as_mut().poll(&mut Context::from_waker(&wb)).is_pending());
        drop(held); // granted to A
        drop(a); // A never picks it up: B gets it
        assert_eq!(woken(&cb), 1);
        assert!(matches!(
            b.as_mut().poll(&mut Context::from_waker(&wb)),
            Poll::Ready(_)
        ));
        drop(b);
        assert_eq!(limiter.in_flight(Surface::Jira), 0);
        // A queued waiter that is dropped simply leaves.
        let held = block_on(limiter.acquire(Surface::Jira));
        let mut c = Box::pin(limiter.acquire(Surface::Jira));
        assert!(c.as_mut().poll(&mut Context::from_waker(&wa)).is_pending());
        assert_eq!(limiter.waiting(Surface::Jira), 1);
        drop(c);
        assert_eq!(limiter.waiting(Surface::Jira), 0);
        drop(held);
        assert_eq!(limiter.in_flight(Surface::Jira), 0);
    }

    #[test]
    fn limiter_halves_on_429_once_per_cooldown() {
        let limiter = Limiter::uniform(LimitConfig {
            max: 8,
            min: 1,
            quiet_ms: 5000,
            decrease_cooldown_ms: 1000,
        });
        limiter.on_rate_limited(Surface::Jira, 10_000, None);
        assert_eq!(limiter.limit(Surface::Jira), 4);
        limiter.on_rate_limited(Surface::Jira, 10_500, None);
        limiter.on_rate_limited(Surface::Jira, 10_999, None);
        assert_eq!(
            limiter.limit(Surface::Jira),
            4,
            "within the cooldown window"
        );
        limiter.on_rate_limited(Surface::Jira, 11_000, None);
        assert_eq!(limiter.limit(Surface::Jira), 2);
        assert_eq!(
            limiter.limit(Surface::Assets),
            8,
            "other surfaces unaffected"
        );
        let s = &limiter.stats().surfaces[&Surface::Jira];
        assert_eq!(
            *s,
            SurfaceStats {
                limit: 2,
                lowest_limit: 2,
                decreases: 2,
                rate_limited: 4
            }
        );
    }

    #[test]
    fn limiter_never_goes_below_min() {
        let limiter = Limiter::uniform(LimitConfig {
            max: 8,
            min: 3,
            quiet_ms: 5000,
            decrease_cooldown_ms: 0,
        });
        for t in 0..5 {
            limiter.on_rate_limited(Surface::Admin, t * 10, None);
        }
        assert_eq!(limiter.limit(Surface::Admin), 3);
        let s = &limiter.stats().surfaces[&Surface::Admin];
        assert_eq!((s.lowest_limit, s.decreases, s.rate_limited), (3, 2, 5));
        // min 0 is treated as 1
        let l0 = Limiter::uniform(LimitConfig {
            max: 2,
            min: 0,
            quiet_ms: 0,
            decrease_cooldown_ms: 0,
        });
        for t in 0..4 {
            l0.on_rate_limited(Surface::Jira, t, None);
        }
        assert_eq!(l0.limit(Surface::Jira), 1);
    }

    #[test]
    fn limiter_raises_by_one_after_quiet_period() {
        let limiter = Limiter::uniform(LimitConfig {
            max: 4,
            min: 1,
            quiet_ms: 5000,
            decrease_cooldown_ms: 1000,
        });
        limiter.on_rate_limited(Surface::Jira, 1000, None);
        assert_eq!(limiter.limit(Surface::Jira), 2);
        limiter.on_success(Surface::Jira, 5999);
        assert_eq!(limiter.limit(Surface::Jira), 2, "not quiet long enough");
        limiter.on_success(Surface::Jira, 6000);
        assert_eq!(limiter.limit(Surface::Jira), 3);
        limiter.on_success(Surface::Jira, 7000);
        assert_eq!(
            limiter.limit(Surface::Jira),
            3,
            "one raise per quiet period"
        );
        limiter.on_success(Surface::Jira, 11_000);
        assert_eq!(limiter.limit(Surface::Jira), 4);
        limiter.on_success(Surface::Jira, 50_000);
        assert_eq!(limiter.limit(Surface::Jira), 4, "never above max");
        // A new 429 restarts the quiet period.
        limiter.on_rate_limited(Surface::Jira, 60_000, None);
        limiter.on_success(Surface::Jira, 64_000);
        assert_eq!(limiter.limit(Surface::Jira), 2);
        limiter.on_success(Surface::Jira, 65_000);
        assert_eq!(limiter.limit(Surface::Jira), 3);
        let s = &limiter.stats().surfaces[&Surface::Jira];
        assert_eq!((s.limit, s.lowest_limit, s.decreases), (3, 2, 2));
    }

    #[test]
    fn limiter_raise_wakes_a_waiter() {
        let limiter = Limiter::uniform(LimitConfig {
            max: 2,
            min: 1,
            quiet_ms: 100,
            decrease_cooldown_ms: 0,
        });
        limiter.on_rate_limited(Surface::Jira, 0, None);
        assert_eq!(limiter.limit(Surface::Jira), 1);
        let _held = block_on(limiter.acquire(Surface::Jira));
        let (c, w) = counting();
        let mut waiting = Box::pin(limiter.acquire(Surface::Jira));
        assert!(waiting
            .as_mut()
            .poll(&mut Context::from_waker(&w))
            .is_pending());
        limiter.on_success(Surface::Jira, 100);
        assert_eq!(limiter.limit(Surface::Jira), 2);
        assert_eq!(woken(&c), 1);
        assert!(matches!(
            waiting.as_mut().poll(&mut Context::from_waker(&w)),
            Poll::Ready(_)
        ));
    }

    #[test]
    fn limiter_shrunk_below_in_flight_grants_nothing_until_below_limit() {
        let limiter = Limiter::uniform(cfg(4, 1));
        let mut held: Vec<_> = (0..4)
            .map(|_| block_on(limiter.acquire(Surface::Confluence)))
            .collect();
        limiter.on_rate_limited(Surface::Confluence, 0, None);
        assert_eq!(limiter.limit(Surface::Confluence), 2);
        let (c, w) = counting();
        let mut waiting = Box::pin(limiter.acquire(Surface::Confluence));
        assert!(waiting
            .as_mut()
            .poll(&mut Context::from_waker(&w))
            .is_pending());
        held.pop(); // 3 in flight
        held.pop(); // 2 in flight
        assert_eq!(woken(&c), 0);
        assert!(waiting
            .as_mut()
            .poll(&mut Context::from_waker(&w))
            .is_pending());
        held.pop(); // 1 in flight → a slot
        assert_eq!(woken(&c), 1);
        let Poll::Ready(_p) = waiting.as_mut().poll(&mut Context::from_waker(&w)) else {
            panic!("slot expected")
        };
        assert_eq!(limiter.in_flight(Surface::Confluence), 2);
    }

    #[test]
    fn limiter_pause_propagates_to_the_surface_and_only_extends() {
        let limiter = Limiter::uniform(cfg(4, 1));
        assert_eq!(limiter.paused_until(Surface::Jira), None);
        limiter.on_rate_limited(Surface::Jira, 1000, None);
        assert_eq!(
            limiter.paused_until(Surface::Jira),
            None,
            "a 429 without a hint does not pause"
        );
        limiter.on_rate_limited(Surface::Jira, 1000, Some(3000));
        assert_eq!(limiter.paused_until(Surface::Jira), Some(4000));
        assert_eq!(limiter.pause_remaining_ms(Surface::Jira, 2500), 1500);
        assert_eq!(limiter.pause_remaining_ms(Surface::Jira, 9000), 0);
        limiter.on_rate_limited(Surface::Jira, 2000, Some(1000));
        assert_eq!(
            limiter.paused_until(Surface::Jira),
            Some(4000),
            "a shorter wait does not shorten the pause"
        );
        limiter.on_rate_limited(Surface::Jira, 2000, Some(5000));
        assert_eq!(limiter.paused_until(Surface::Jira), Some(7000));
        assert_eq!(limiter.paused_until(Surface::Assets), None);
    }

    #[test]
    fn limiter_per_surface_config_and_serialisable_stats() {
        let limiter = Limiter::new(|s| match s {
            Surface::Admin => LimitConfig {
                max: 1,
                ..LimitConfig::default()
            },
            _ => LimitConfig::default(),
        });
        assert_eq!(limiter.limit(Surface::Admin), 1);
        assert_eq!(limiter.limit(Surface::Jira), 4);
        limiter.on_rate_limited(Surface::Jira, 0, Some(10));
        assert_eq!(limiter.limit(Surface::Jira), 2, "a 429 halves the limit");
        limiter.on_rate_limited(Surface::Jira, 0, None);
        let v = serde_json::to_value(limiter.stats()).unwrap();
        assert_eq!(v["surfaces"]["jira"]["limit"], 2);
        assert_eq!(v["surfaces"]["jira"]["lowestLimit"], 2);
        assert_eq!(v["surfaces"]["jira"]["rateLimited"], 2);
        assert_eq!(v["surfaces"]["admin"]["decreases"], 0);
        let c: LimitConfig = serde_json::from_str(r#"{"max":8,"quietMs":10}"#).unwrap();
        assert_eq!(
            c,
            LimitConfig {
                max: 8,
                quiet_ms: 10,
                ..LimitConfig::default()
            }
        );
    }
}
