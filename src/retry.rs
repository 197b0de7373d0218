//! One pure retry policy for every request the core sends (atlassian-api.md §9, §13).
//!
//! Nothing here sleeps or reads a clock: the caller passes `now_ms` (epoch ms) and `jitter` in [0,1)
//! and gets back a [`Verdict`]. The caller sleeps, counts `waited_ms`, and calls [`decide`] again.

use crate::http::{HttpResponse, Surface, TransportError};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
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

/// How a request may be repeated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryClass {
    /// Reads, idempotent writes, and writes whose repeat answers "already done": retry on 429/5xx/transport errors.
    Safe,
    /// Not safe to resend blindly (migrate, issue comment): retry only answers that prove the request was
    /// NOT processed: a 429 (rate limited before processing). A 5xx or transport error → give up (the caller reconciles).
    Never,
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

/// The server's wait hint: `Retry-After` in seconds (integer or decimal; an HTTP-date too, relative to now_ms),
/// else `X-RateLimit-Reset` (ISO-8601 `yyyy-MM-ddTHH:mmZ`, also accept seconds and a full RFC3339 timestamp) minus now
/// (at least 0). Also `Beta-Retry-After` (seconds) as a fallback. None when absent or unparsable.
///
/// A numeric `X-RateLimit-Reset` below 10^9 is read as seconds to wait, from 10^9 as epoch seconds,
/// from 10^12 as epoch milliseconds.
pub fn retry_after_ms(resp: &HttpResponse, now_ms: u64) -> Option<u64> {
    if let Some(v) = resp.header("retry-after") {
        let v = v.trim();
        if let Some(ms) = parse_seconds_ms(v) {
            return Some(ms);
        }
        if let Some(at) = parse_http_date_ms(v) {
            return Some(until(at, now_ms));
        }
    }
    if let Some(v) = resp.header("x-ratelimit-reset") {
        let v = v.trim();
        if let Some(ms) = parse_seconds_ms(v) {
            let secs = ms / 1000;
            if secs >= 1_000_000_000_000 {
                return Some(until(secs as i64, now_ms)); // epoch milliseconds
            }
            if secs >= 1_000_000_000 {
                return Some(until(ms as i64, now_ms)); // epoch seconds
            }
            return Some(ms);
        }
        if let Some(at) = parse_rfc3339_ms(v).or_else(|| parse_http_date_ms(v)) {
            return Some(until(at, now_ms));
        }
    }
    if let Some(v) = resp.header("beta-retry-after") {
        if let Some(ms) = parse_seconds_ms(v.trim()) {
            return Some(ms);
        }
    }
    None
}

fn until(at_ms: i64, now_ms: u64) -> u64 {
    let now = i64::try_from(now_ms).unwrap_or(i64::MAX);
    at_ms.saturating_sub(now).max(0) as u64
}

/// `"120"`, `"1.5"` → milliseconds (rounded up). Only digits and one dot; no sign, exponent, inf or nan.
fn parse_seconds_ms(s: &str) -> Option<u64> {
    if s.is_empty() || s.starts_with('.') || s.ends_with('.') {
        return None;
    }
    if !s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || s.bytes().filter(|&b| b == b'.').count() > 1
    {
        return None;
    }
    let secs: f64 = s.parse().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    // Round away float noise before ceiling ("0.1" * 1000 must be 100, not 101).
    let ms = secs * 1000.0;
    let ms = if (ms - ms.round()).abs() < 1e-6 {
        ms.round()
    } else {
        ms.ceil()
    };
    Some(ms as u64) // saturating cast
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = ((m + 9) % 12) as i64; // March = 0
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

fn epoch_ms(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, frac_ms: u32) -> Option<i64> {
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60
    {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some(((days * 24 + h as i64) * 60 + mi as i64) * 60_000 + s as i64 * 1000 + frac_ms as i64)
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 9 {
        return None;
    }
    s.parse().ok()
}

/// `yyyy-MM-ddTHH:mm[:ss[.fff]](Z|±HH:MM|±HHMM)` (also a space or lower-case `t`/`z`) → epoch ms.
fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 17
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
    {
        return None;
    }
    let y = num(s.get(0..4)?)? as i64;
    let mo = num(s.get(5..7)?)?;
    let d = num(s.get(8..10)?)?;
    let h = num(s.get(11..13)?)?;
    let mi = num(s.get(14..16)?)?;
    let mut rest = s.get(16..)?;
    let (mut sec, mut frac_ms) = (0, 0);
    if let Some(r) = rest.strip_prefix(':') {
        sec = num(r.get(0..2)?)?;
        rest = &r[2..];
        if let Some(r) = rest.strip_prefix('.') {
            let digits = r.bytes().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                return None;
            }
            let f = &r[..digits];
            let mut ms = 0u32;
            for (i, c) in f.bytes().take(3).enumerate() {
                ms += (c - b'0') as u32 * [100, 10, 1][i];
            }
            frac_ms = ms;
            rest = &r[digits..];
        }
    }
    let offset_min: i64 = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let o = &rest[1..];
            let (oh, om) = if o.len() == 5 && o.as_bytes()[2] == b':' {
                (num(&o[0..2])?, num(&o[3..5])?)
            } else if o.len() == 4 {
                (num(&o[0..2])?, num(&o[2..4])?)
            } else {
                return None;
            };
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh as i64 * 60 + om as i64)
        }
    };
    Some(epoch_ms(y, mo, d, h, mi, sec, frac_ms)? - offset_min * 60_000)
}

fn month_from_name(s: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = s.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| lower == *m)
        .map(|i| i as u32 + 1)
}

/// HTTP-date (RFC 9110 §5.6.7): IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, obsolete RFC 850
/// `Sunday, 06-Nov-94 08:49:37 GMT` and asctime `Sun Nov  6 08:49:37 1994` → epoch ms (GMT).
fn parse_http_date_ms(s: &str) -> Option<i64> {
    let mut month = None;
    let mut time = None;
    let mut numbers: Vec<&str> = Vec::new();
    for tok in s.split([' ', ',', '-']).filter(|t| !t.is_empty()) {
        if tok.contains(':') {
            let parts: Vec<&str> = tok.split(':').collect();
            if parts.len() != 3 || time.is_some() {
                return None;
            }
            time = Some((num(parts[0])?, num(parts[1])?, num(parts[2])?));
        } else if tok.bytes().all(|b| b.is_ascii_digit()) {
            numbers.push(tok);
        } else if let Some(m) = month_from_name(tok) {
            if month.is_some() {
                return None;
            }
            month = Some(m);
        } else if tok.eq_ignore_ascii_case("GMT") || tok.eq_ignore_ascii_case("UTC") {
        } else if tok.len() >= 3 && tok.bytes().all(|b| b.is_ascii_alphabetic()) {
            // weekday name
        } else {
            return None;
        }
    }
    // In all three formats the day comes before the year.
    if numbers.len() != 2 {
        return None;
    }
    let d = num(numbers[0])?;
    let mut y = num(numbers[1])? as i64;
    match numbers[1].len() {
        2 => y += if y >= 70 { 1900 } else { 2000 },
        4 => {}
        _ => return None,
    }
    let (h, mi, sec) = time?;
    epoch_ms(y, month?, d, h, mi, sec, 0)
}

#[cfg(test)]
mod rate_limit_cap_tests {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn civil_date_conversion_matches_known_epochs() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(epoch_ms(2026, 3, 26, 16, 0, 0, 0), Some(NOW as i64));
        assert_eq!(epoch_ms(2024, 2, 29, 0, 0, 0, 0), Some(1_709_164_800_000));
        assert_eq!(epoch_ms(2023, 2, 29, 0, 0, 0, 0), None);
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
    fn retry_after_accepts_decimal_seconds() {
        assert_eq!(
            retry_after_ms(&resp(429).with_header("retry-after", "1.5"), NOW),
            Some(1500)
        );
        assert_eq!(
            retry_after_ms(&resp(429).with_header("retry-after", "0.1"), NOW),
            Some(100)
        );
        assert_eq!(
            retry_after_ms(&resp(429).with_header("retry-after", " 2 "), NOW),
            Some(2000)
        );
    }

    #[test]
    fn retry_after_rejects_garbage_and_negative_values() {
        for bad in ["-3", "abc", "", "1e3", "inf", "NaN", "1.2.3", "."] {
            assert_eq!(
                retry_after_ms(&resp(429).with_header("retry-after", bad), NOW),
                None,
                "{bad:?}"
            );
        }
        assert_eq!(retry_after_ms(&resp(429), NOW), None);
    }

    #[test]
    fn retry_after_accepts_http_dates_relative_to_now() {
        let imf = resp(429).with_header("retry-after", "Thu, 26 Mar 2026 16:00:30 GMT");
        assert_eq!(retry_after_ms(&imf, NOW), Some(30_000));
        let rfc850 = resp(429).with_header("retry-after", "Thursday, 26-Mar-26 16:01:00 GMT");
        assert_eq!(retry_after_ms(&rfc850, NOW), Some(60_000));
        let asctime = resp(429).with_header("retry-after", "Thu Mar  26 16:00:05 2026");
        assert_eq!(retry_after_ms(&asctime, NOW), Some(5_000));
        // A date in the past means "now".
        let past = resp(429).with_header("retry-after", "Thu, 26 Mar 2026 15:00:00 GMT");
        assert_eq!(retry_after_ms(&past, NOW), Some(0));
        let bad = resp(429).with_header("retry-after", "Thu, 31 Feb 2026 15:00:00 GMT");
        assert_eq!(retry_after_ms(&bad, NOW), None);
    }

    #[test]
    fn retry_after_falls_back_to_x_ratelimit_reset() {
        let iso = resp(429).with_header("X-RateLimit-Reset", "2026-03-26T16:02Z");
        assert_eq!(retry_after_ms(&iso, NOW), Some(120_000));
        let full = resp(429).with_header("X-RateLimit-Reset", "2026-03-26T16:00:10.250Z");
        assert_eq!(retry_after_ms(&full, NOW), Some(10_250));
        let offset = resp(429).with_header("X-RateLimit-Reset", "2026-03-26T18:00:20+02:00");
        assert_eq!(retry_after_ms(&offset, NOW), Some(20_000));
        let secs = resp(429).with_header("X-RateLimit-Reset", "12");
        assert_eq!(retry_after_ms(&secs, NOW), Some(12_000));
        let epoch = resp(429).with_header("X-RateLimit-Reset", &((NOW / 1000) + 9).to_string());
        assert_eq!(retry_after_ms(&epoch, NOW), Some(9_000));
        let past = resp(429).with_header("X-RateLimit-Reset", "2026-03-26T15:00Z");
        assert_eq!(retry_after_ms(&past, NOW), Some(0));
        // Retry-After wins over the reset time.
        let both = resp(429)
            .with_header("Retry-After", "3")
            .with_header("X-RateLimit-Reset", "2026-03-26T16:02Z");
        assert_eq!(retry_after_ms(&both, NOW), Some(3000));
        // An unparsable Retry-After does not hide a good reset time.
        let junk = resp(429)
            .with_header("Retry-After", "soon")
            .with_header("X-RateLimit-Reset", "2026-03-26T16:01Z");
        assert_eq!(retry_after_ms(&junk, NOW), Some(60_000));
        let bad = resp(429).with_header("X-RateLimit-Reset", "2026-13-26T16:02Z");
        assert_eq!(retry_after_ms(&bad, NOW), None);
    }

    #[test]
    fn retry_after_falls_back_to_beta_retry_after() {
        let r = resp(429).with_header("Beta-Retry-After", "4");
        assert_eq!(retry_after_ms(&r, NOW), Some(4000));
        let both = resp(429)
            .with_header("Beta-Retry-After", "4")
            .with_header("Retry-After", "2");
        assert_eq!(retry_after_ms(&both, NOW), Some(2000));
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
        let w: Vec<u64> = (1..=7)
            .map(|a| {
                wait_of(dec(
                    &p,
                    RetryClass::Safe,
                    Surface::Jira,
                    a,
                    &resp(500),
                    0,
                    0.5,
                ))
            })
            .collect();
        assert_eq!(w, vec![1000, 2000, 4000, 8000, 16000, 30000, 30000]);
        let w429: Vec<u64> = (1..=4)
            .map(|a| {
                wait_of(dec(
                    &p,
                    RetryClass::Safe,
                    Surface::Jira,
                    a,
                    &resp(429),
                    0,
                    0.5,
                ))
            })
            .collect();
        assert_eq!(w429, vec![5000, 10000, 20000, 30000]);
        // huge attempt numbers do not overflow
        assert_eq!(
            wait_of(dec(
                &p,
                RetryClass::Safe,
                Surface::Jira,
                19,
                &resp(502),
                0,
                0.5
            )),
            30000
        );
        let p2 = RetryPolicy {
            max_attempts: u32::MAX,
            ..p
        };
        assert_eq!(
            wait_of(dec(
                &p2,
                RetryClass::Safe,
                Surface::Jira,
                1000,
                &resp(504),
                0,
                0.5
            )),
            30000
        );
    }

    #[test]
    fn retry_backoff_jitter_stays_within_point_seven_and_one_point_three() {
        let p = RetryPolicy::default();
        let lo = wait_of(dec(
            &p,
            RetryClass::Safe,
            Surface::Jira,
            2,
            &resp(503),
            0,
            0.0,
        ));
        let hi = wait_of(dec(
            &p,
            RetryClass::Safe,
            Surface::Jira,
            2,
            &resp(503),
            0,
            0.999_999,
        ));
        assert_eq!(lo, 1400);
        assert_eq!(hi, 2600);
        for i in 0..100 {
            let j = i as f64 / 100.0;
            let w = wait_of(dec(
                &p,
                RetryClass::Safe,
                Surface::Jira,
                2,
                &resp(503),
                0,
                j,
            ));
            assert!((1400..=2600).contains(&w), "{j} → {w}");
        }
        // out-of-range jitter is clamped, not trusted
        let w = wait_of(dec(
            &p,
            RetryClass::Safe,
            Surface::Jira,
            2,
            &resp(503),
            0,
            50.0,
        ));
        assert!(w <= 2600);
        // jitter near the cap never exceeds max_delay_ms
        let p10 = RetryPolicy {
            max_attempts: 10,
            ..RetryPolicy::default()
        };
        assert_eq!(
            wait_of(dec(
                &p10,
                RetryClass::Safe,
                Surface::Jira,
                6,
                &resp(503),
                0,
                0.99
            )),
            p.max_delay_ms
        );
        assert_eq!(
            wait_of(dec(
                &p10,
                RetryClass::Safe,
                Surface::Jira,
                6,
                &resp(503),
                0,
                0.0
            )),
            21_000
        );
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
        let jira = wait_of(dec(
            &p,
            RetryClass::Safe,
            Surface::Jira,
            1,
            &resp(429),
            0,
            0.0,
        ));
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
        let p: RetryPolicy =
            serde_json::from_str(r#"{"maxAttempts":3,"assetsFloorMs":100}"#).unwrap();
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
}
