//! Tests of `retry.rs`.

use super::*;

#[test]
fn rate_limits_with_a_hint_get_more_attempts_than_errors() {
    let p = RetryPolicy::default();
    let limited = HttpResponse::new(429, "").with_header("Retry-After", "1");
    let v = decide(
        &p,
        RetryClass::Safe,
        Surface::Jira,
        6,
        Ok(&limited),
        0,
        6_000,
        0.5,
    );
    assert!(matches!(v, Verdict::Retry { .. }), "{v:?}");
    let v = decide(
        &p,
        RetryClass::Safe,
        Surface::Jira,
        30,
        Ok(&limited),
        0,
        30_000,
        0.5,
    );
    assert_eq!(v, Verdict::GiveUp);
    let bare = HttpResponse::new(429, "");
    assert_eq!(
        decide(&p, RetryClass::Safe, Surface::Jira, 6, Ok(&bare), 0, 0, 0.5),
        Verdict::GiveUp
    );
    let err = HttpResponse::new(503, "");
    assert_eq!(
        decide(&p, RetryClass::Safe, Surface::Jira, 6, Ok(&err), 0, 0, 0.5),
        Verdict::GiveUp
    );
}

const NOW: u64 = 1_774_540_800_000; // 2026-03-26T16:00:00Z

fn resp(status: u16) -> HttpResponse {
    HttpResponse::new(status, "")
}
fn transport() -> TransportError {
    TransportError {
        code: "ECONNRESET".into(),
        message: "reset".into(),
    }
}
fn dec(
    p: &RetryPolicy,
    class: RetryClass,
    s: Surface,
    attempt: u32,
    r: &HttpResponse,
    waited: u64,
    j: f64,
) -> Verdict {
    decide(p, class, s, attempt, Ok(r), NOW, waited, j)
}
fn wait_of(v: Verdict) -> u64 {
    match v {
        Verdict::Retry { wait_ms, .. } => wait_ms,
        other => panic!("expected Retry, got {other:?}"),
    }
}
/// The wait of a safe Jira request after `attempt`, nothing waited yet.
fn dj(p: &RetryPolicy, attempt: u32, r: &HttpResponse, j: f64) -> u64 {
    wait_of(dec(p, RetryClass::Safe, Surface::Jira, attempt, r, 0, j))
}

#[test]
fn retry_honours_retry_after_seconds() {
    let r = resp(429).with_header("Retry-After", "7");
    assert_eq!(retry_after_ms(&r, NOW), Some(7000));
    let p = RetryPolicy::default();
    // jitter 0 → exactly the hint
    let v = dec(&p, RetryClass::Safe, Surface::Jira, 1, &r, 0, 0.0);
    assert_eq!(
        v,
        Verdict::Retry {
            wait_ms: 7000,
            reason: RetryReason::RateLimited
        }
    );
}

#[test]
fn retry_hint_jitter_adds_at_most_ten_percent_never_less() {
    let p = RetryPolicy::default();
    let r = resp(429).with_header("Retry-After", "10");
    for j in [0.0, 0.25, 0.5, 0.999_999] {
        let w = wait_of(dec(&p, RetryClass::Safe, Surface::Jira, 2, &r, 0, j));
        assert!((10_000..=11_000).contains(&w), "{w}");
    }
    assert!(wait_of(dec(&p, RetryClass::Safe, Surface::Jira, 2, &r, 0, 0.999)) > 10_500);
}

#[test]
fn retry_server_error_with_retry_after_waits_the_hint() {
    let p = RetryPolicy::default();
    let r = resp(503).with_header("Retry-After", "3");
    assert_eq!(
        dec(&p, RetryClass::Safe, Surface::Jira, 1, &r, 0, 0.0),
        Verdict::Retry {
            wait_ms: 3000,
            reason: RetryReason::ServerError
        }
    );
}

#[test]
fn retry_backoff_doubles_per_attempt_and_is_capped() {
    let p = RetryPolicy {
        max_attempts: 20,
        max_total_wait_ms: u64::MAX,
        ..RetryPolicy::default()
    };
    // jitter 0.5 → factor exactly 1.0
    let w: Vec<u64> = (1..=7).map(|a| dj(&p, a, &resp(500), 0.5)).collect();
    assert_eq!(w, vec![1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    let w429: Vec<u64> = (1..=4).map(|a| dj(&p, a, &resp(429), 0.5)).collect();
    assert_eq!(w429, vec![5000, 10000, 20000, 30000]);
    // huge attempt numbers do not overflow
    assert_eq!(dj(&p, 19, &resp(502), 0.5), 30000);
    let p2 = RetryPolicy {
        max_attempts: u32::MAX,
        ..p
    };
    assert_eq!(dj(&p2, 1000, &resp(504), 0.5), 30000);
}

#[test]
fn retry_backoff_jitter_stays_within_point_seven_and_one_point_three() {
    let p = RetryPolicy::default();
    let lo = dj(&p, 2, &resp(503), 0.0);
    let hi = dj(&p, 2, &resp(503), 0.999_999);
    assert_eq!(lo, 1400);
    assert_eq!(hi, 2600);
    for i in 0..100 {
        let j = i as f64 / 100.0;
        let w = dj(&p, 2, &resp(503), j);
        assert!((1400..=2600).contains(&w), "{j} → {w}");
    }
    // out-of-range jitter is clamped, not trusted
    let w = dj(&p, 2, &resp(503), 50.0);
    assert!(w <= 2600);
    // jitter near the cap never exceeds max_delay_ms
    let p10 = RetryPolicy {
        max_attempts: 10,
        ..RetryPolicy::default()
    };
    assert_eq!(dj(&p10, 6, &resp(503), 0.99), p.max_delay_ms);
    assert_eq!(dj(&p10, 6, &resp(503), 0.0), 21_000);
}

#[test]
fn retry_assets_429_without_hint_waits_at_least_the_floor() {
    let p = RetryPolicy {
        rate_limit_delay_ms: 500,
        assets_floor_ms: 2000,
        ..RetryPolicy::default()
    };
    let assets = wait_of(dec(
        &p,
        RetryClass::Safe,
        Surface::Assets,
        1,
        &resp(429),
        0,
        0.0,
    ));
    assert_eq!(assets, 2000);
    let jira = dj(&p, 1, &resp(429), 0.0);
    assert_eq!(jira, 350);
    // The floor is for 429s only; a hint is honoured as given.
    let e = wait_of(dec(
        &p,
        RetryClass::Safe,
        Surface::Assets,
        1,
        &resp(503),
        0,
        0.0,
    ));
    assert_eq!(e, 700);
    let hinted = resp(429).with_header("Retry-After", "1");
    assert_eq!(
        wait_of(dec(
            &p,
            RetryClass::Safe,
            Surface::Assets,
            1,
            &hinted,
            0,
            0.0
        )),
        1000
    );
}

#[test]
fn retry_never_class_gives_up_on_server_and_transport_errors_but_retries_429() {
    let p = RetryPolicy::default();
    for status in [500, 502, 503, 504] {
        assert_eq!(
            dec(
                &p,
                RetryClass::Never,
                Surface::Admin,
                1,
                &resp(status),
                0,
                0.5
            ),
            Verdict::GiveUp
        );
    }
    let hinted503 = resp(503).with_header("Retry-After", "1");
    assert_eq!(
        dec(&p, RetryClass::Never, Surface::Admin, 1, &hinted503, 0, 0.5),
        Verdict::GiveUp
    );
    let t = transport();
    assert_eq!(
        decide(
            &p,
            RetryClass::Never,
            Surface::Admin,
            1,
            Err(&t),
            NOW,
            0,
            0.5
        ),
        Verdict::GiveUp
    );
    assert!(matches!(
        dec(&p, RetryClass::Never, Surface::Admin, 1, &resp(429), 0, 0.5),
        Verdict::Retry {
            reason: RetryReason::RateLimited,
            ..
        }
    ));
    // The Safe class retries the same failures.
    assert!(matches!(
        decide(
            &p,
            RetryClass::Safe,
            Surface::Admin,
            1,
            Err(&t),
            NOW,
            0,
            0.5
        ),
        Verdict::Retry {
            wait_ms: 1000,
            reason: RetryReason::Transport
        }
    ));
    assert!(matches!(
        dec(&p, RetryClass::Safe, Surface::Admin, 1, &resp(503), 0, 0.5),
        Verdict::Retry {
            reason: RetryReason::ServerError,
            ..
        }
    ));
}

#[test]
fn retry_done_on_success_and_non_retryable_statuses() {
    let p = RetryPolicy::default();
    for status in [200, 201, 204, 301, 400, 401, 403, 404, 409, 501, 505] {
        assert_eq!(
            dec(
                &p,
                RetryClass::Safe,
                Surface::Jira,
                1,
                &resp(status),
                0,
                0.5
            ),
            Verdict::Done,
            "{status}"
        );
    }
    // Done wins over the attempt bound too.
    assert_eq!(
        dec(&p, RetryClass::Never, Surface::Jira, 99, &resp(200), 0, 0.5),
        Verdict::Done
    );
}

#[test]
fn retry_gives_up_after_max_attempts() {
    let p = RetryPolicy {
        max_attempts: 3,
        max_total_wait_ms: u64::MAX,
        ..RetryPolicy::default()
    };
    assert!(matches!(
        dec(&p, RetryClass::Safe, Surface::Jira, 1, &resp(503), 0, 0.5),
        Verdict::Retry { .. }
    ));
    assert!(matches!(
        dec(&p, RetryClass::Safe, Surface::Jira, 2, &resp(503), 0, 0.5),
        Verdict::Retry { .. }
    ));
    assert_eq!(
        dec(&p, RetryClass::Safe, Surface::Jira, 3, &resp(503), 0, 0.5),
        Verdict::GiveUp
    );
    let hinted = resp(429).with_header("Retry-After", "1");
    let capped = RetryPolicy {
        max_rate_limited_attempts: 3,
        ..p
    };
    assert_eq!(
        dec(&capped, RetryClass::Safe, Surface::Jira, 3, &hinted, 0, 0.5),
        Verdict::GiveUp
    );
}

#[test]
fn retry_gives_up_when_total_wait_budget_would_be_exceeded() {
    let p = RetryPolicy {
        max_total_wait_ms: 10_000,
        ..RetryPolicy::default()
    };
    // 1000 ms wait fits with 9000 already waited, not with 9001.
    assert_eq!(
        wait_of(dec(
            &p,
            RetryClass::Safe,
            Surface::Jira,
            1,
            &resp(500),
            9000,
            0.5
        )),
        1000
    );
    assert_eq!(
        dec(
            &p,
            RetryClass::Safe,
            Surface::Jira,
            1,
            &resp(500),
            9001,
            0.5
        ),
        Verdict::GiveUp
    );
    let hinted = resp(429).with_header("Retry-After", "5");
    assert_eq!(
        dec(&p, RetryClass::Safe, Surface::Jira, 1, &hinted, 5001, 0.0),
        Verdict::GiveUp
    );
    // The hint fits but its jitter would not: the jitter is cut, the hint is kept.
    assert_eq!(
        wait_of(dec(
            &p,
            RetryClass::Safe,
            Surface::Jira,
            1,
            &hinted,
            5000,
            0.9
        )),
        5000
    );
}

#[test]
fn retry_honours_hint_above_max_delay_within_budget() {
    let p = RetryPolicy::default(); // max_delay 30 s, budget 120 s
    let r = resp(429).with_header("Retry-After", "90");
    assert_eq!(
        wait_of(dec(&p, RetryClass::Safe, Surface::Jira, 1, &r, 0, 0.0)),
        90_000
    );
    // Over the remaining budget → give up rather than retry early.
    assert_eq!(
        dec(&p, RetryClass::Safe, Surface::Jira, 1, &r, 40_000, 0.0),
        Verdict::GiveUp
    );
    let r2 = resp(429).with_header("Retry-After", "600");
    assert_eq!(
        dec(&p, RetryClass::Safe, Surface::Jira, 1, &r2, 0, 0.0),
        Verdict::GiveUp
    );
}

#[test]
fn retry_policy_deserialises_with_defaults_in_camel_case() {
    let p: RetryPolicy = serde_json::from_str(r#"{"maxAttempts":3,"assetsFloorMs":100}"#).unwrap();
    assert_eq!(
        p,
        RetryPolicy {
            max_attempts: 3,
            assets_floor_ms: 100,
            ..RetryPolicy::default()
        }
    );
    let v = serde_json::to_value(RetryPolicy::default()).unwrap();
    assert_eq!(v["rateLimitDelayMs"], 5000);
    assert_eq!(v["maxTotalWaitMs"], 120_000);
}
