//! The server's wait hint on a 429 or 5xx: `Retry-After` (seconds or an HTTP-date) and
//! `X-RateLimit-Reset` (`atlassian-api.md` §9.1). Pure: the caller passes `now_ms`.

use crate::http::HttpResponse;

/// The server's wait hint: `Retry-After` in seconds (integer or decimal; an HTTP-date too, relative to now_ms),
/// else `X-RateLimit-Reset` (ISO-8601 `yyyy-MM-ddTHH:mmZ`, also accept seconds and a full RFC3339 timestamp) minus now
/// (at least 0). None when absent or unparsable. (`Beta-Retry-After` is in no public source,
/// atlassian-api.md §14: not read.)
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

/// `yyyy-MM-ddTHH:mm:ssZ` of an epoch-ms time (Howard Hinnant's civil_from_days).
pub fn iso(ms: u64) -> String {
    let secs = (ms / 1000) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
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
mod tests {
    use super::*;

    const NOW: u64 = 1_774_540_800_000; // 2026-03-26T16:00:00Z

    fn resp(status: u16) -> HttpResponse {
        HttpResponse::new(status, "")
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
    fn iso_times_print_as_utc() {
        assert_eq!(iso(NOW), "2026-03-26T16:00:00Z");
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_709_164_800_000 + 3_723_000), "2024-02-29T01:02:03Z");
    }

    #[test]
    fn the_invented_beta_retry_after_header_is_not_read() {
        let r = resp(429).with_header("Beta-Retry-After", "4");
        assert_eq!(retry_after_ms(&r, NOW), None);
        let both = resp(429)
            .with_header("Beta-Retry-After", "4")
            .with_header("Retry-After", "2");
        assert_eq!(retry_after_ms(&both, NOW), Some(2000));
    }
}
