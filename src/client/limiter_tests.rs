//! Tests of `limiter.rs`.

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
    limiter.on_rate_limited(Surface::Jira, 10_000, None, None);
    assert_eq!(limiter.limit(Surface::Jira), 4);
    limiter.on_rate_limited(Surface::Jira, 10_500, None, None);
    limiter.on_rate_limited(Surface::Jira, 10_999, None, None);
    assert_eq!(
        limiter.limit(Surface::Jira),
        4,
        "within the cooldown window"
    );
    limiter.on_rate_limited(Surface::Jira, 11_000, None, None);
    assert_eq!(limiter.limit(Surface::Jira), 2);
    assert_eq!(
        limiter.limit(Surface::Assets),
        8,
        "other surfaces unaffected"
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
        limiter.on_rate_limited(Surface::Admin, t * 10, None, None);
    }
    assert_eq!(limiter.limit(Surface::Admin), 3);
    // min 0 is treated as 1
    let l0 = Limiter::uniform(LimitConfig {
        max: 2,
        min: 0,
        quiet_ms: 0,
        decrease_cooldown_ms: 0,
    });
    for t in 0..4 {
        l0.on_rate_limited(Surface::Jira, t, None, None);
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
    limiter.on_rate_limited(Surface::Jira, 1000, None, None);
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
    limiter.on_rate_limited(Surface::Jira, 60_000, None, None);
    limiter.on_success(Surface::Jira, 64_000);
    assert_eq!(limiter.limit(Surface::Jira), 2);
    limiter.on_success(Surface::Jira, 65_000);
    assert_eq!(limiter.limit(Surface::Jira), 3);
}

#[test]
fn limiter_raise_wakes_a_waiter() {
    let limiter = Limiter::uniform(LimitConfig {
        max: 2,
        min: 1,
        quiet_ms: 100,
        decrease_cooldown_ms: 0,
    });
    limiter.on_rate_limited(Surface::Jira, 0, None, None);
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
    limiter.on_rate_limited(Surface::Confluence, 0, None, None);
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
    assert_eq!(limiter.paused_until(Surface::Jira, "GET /x"), None);
    limiter.on_rate_limited(Surface::Jira, 1000, None, None);
    assert_eq!(
        limiter.paused_until(Surface::Jira, "GET /x"),
        None,
        "a 429 without a hint does not pause"
    );
    limiter.on_rate_limited(Surface::Jira, 1000, Some(3000), None);
    assert_eq!(limiter.paused_until(Surface::Jira, "GET /x"), Some(4000));
    limiter.on_rate_limited(Surface::Jira, 2000, Some(1000), None);
    assert_eq!(
        limiter.paused_until(Surface::Jira, "GET /x"),
        Some(4000),
        "a shorter wait does not shorten the pause"
    );
    limiter.on_rate_limited(Surface::Jira, 2000, Some(5000), None);
    assert_eq!(limiter.paused_until(Surface::Jira, "GET /x"), Some(7000));
    assert_eq!(limiter.paused_until(Surface::Assets, "GET /x"), None);
}

#[test]
fn limiter_per_surface_config_and_camel_case_config() {
    let limiter = Limiter::new(|s| match s {
        Surface::Admin => LimitConfig {
            max: 1,
            ..LimitConfig::default()
        },
        _ => LimitConfig::default(),
    });
    assert_eq!(limiter.limit(Surface::Admin), 1);
    assert_eq!(limiter.limit(Surface::Jira), 4);
    limiter.on_rate_limited(Surface::Jira, 0, Some(10), None);
    assert_eq!(limiter.limit(Surface::Jira), 2, "a 429 halves the limit");
    assert_eq!(
        limiter.limit(Surface::Admin),
        1,
        "other surfaces unaffected"
    );
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

#[test]
fn limiter_a_per_endpoint_limit_pauses_only_that_endpoint() {
    let limiter = Limiter::uniform(cfg(4, 1));
    limiter.on_rate_limited(
        Surface::Jira,
        1000,
        Some(3000),
        Some("POST /rest/api/3/group/user"),
    );
    assert_eq!(
        limiter.paused_until(Surface::Jira, "POST /rest/api/3/group/user"),
        Some(4000)
    );
    assert_eq!(
        limiter.paused_until(Surface::Jira, "GET /rest/api/3/user"),
        None
    );
    limiter.on_rate_limited(Surface::Jira, 2000, Some(500), None);
    assert_eq!(
        limiter.paused_until(Surface::Jira, "GET /rest/api/3/user"),
        Some(2500)
    );
    assert_eq!(
        limiter.paused_until(Surface::Jira, "POST /rest/api/3/group/user"),
        Some(4000)
    );
}

#[test]
fn limiter_near_limit_slows_down_by_one() {
    let limiter = Limiter::uniform(cfg(4, 2));
    limiter.on_near_limit(Surface::Assets, 0);
    assert_eq!(limiter.limit(Surface::Assets), 3);
    limiter.on_near_limit(Surface::Assets, 10);
    assert_eq!(limiter.limit(Surface::Assets), 3, "once per cooldown");
    limiter.on_near_limit(Surface::Assets, 5_000);
    limiter.on_near_limit(Surface::Assets, 10_000);
    assert_eq!(limiter.limit(Surface::Assets), 2, "never below min");
    assert_eq!(
        limiter.paused_until(Surface::Assets, "GET /x"),
        None,
        "no pause"
    );
}
