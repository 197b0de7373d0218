//! The one redactor every string passes before it leaves the core (errors, reports, the journal):
//! the host's secrets (the token and the Basic credential it builds) and any `Authorization` /
//! `Cookie` value or `Basic`/`Bearer` credential an answer echoes are replaced, and long messages are
//! cut. A hostile or careless service must never turn the admin's token into report text.

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";
/// The longest message kept from an answer (the rest is cut).
pub const MAX_MESSAGE: usize = 2_048;

#[derive(Clone, Debug, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

/// A redactor without secrets: only the patterns.
pub static NO_SECRETS: Redactor = Redactor {
    secrets: Vec::new(),
};

impl Redactor {
    /// `secrets`: exact strings to remove (the host's token, its Basic credential, …); short ones
    /// (under 6 characters) are ignored, as removing them would garble ordinary text.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| s.len() >= 6).collect();
        // Longest first, so a secret containing another is removed whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        patterns(&out)
    }
}

/// Removes credential-looking values whatever the secrets: `Authorization: …`, `Cookie: …`,
/// `Basic <base64>`, `Bearer <token>` (case-insensitive).
pub fn patterns(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let b = text.as_bytes();
    while i < b.len() {
        let rest = &lower[i..];
        let hit = ["authorization", "cookie", "basic ", "bearer "]
            .iter()
            .find(|k| rest.starts_with(**k) && word_start(b, i));
        let Some(k) = hit else {
            let ch = text[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
            continue;
        };
        let mut j = i + k.len();
        if k.ends_with(' ') {
            // `Basic xxx` / `Bearer xxx`: the credential is the next run of token characters.
            let end = token_end(b, j);
            if end - j < 8 {
                out.push_str(&text[i..j]);
                i = j;
                continue;
            }
            out.push_str(&text[i..j]);
            out.push_str(REDACTED);
            i = end;
            continue;
        }
        // `Authorization` / `Cookie` then `"`, `:`, `=` or spaces, then the value.
        while j < b.len() && matches!(b[j], b'"' | b'\'' | b':' | b'=' | b' ' | b'\t' | b'\\') {
            j += 1;
        }
        if j == i + k.len() {
            out.push_str(&text[i..j]);
            i = j;
            continue;
        }
        out.push_str(&text[i..j]);
        let mut end = token_end(b, j);
        // `Authorization: Basic abc…`: the scheme and its credential together.
        if (k == &"authorization") && end < b.len() && b[end] == b' ' {
            end = token_end(b, end + 1);
        }
        if k == &"cookie" {
            end = j + text[j..]
                .find(['"', '\n', '\r', '}'])
                .unwrap_or(text.len() - j);
        }
        out.push_str(REDACTED);
        i = end.max(j + 1).min(b.len());
    }
    out
}

fn word_start(b: &[u8], i: usize) -> bool {
    i == 0 || !b[i - 1].is_ascii_alphanumeric()
}

fn token_end(b: &[u8], mut j: usize) -> usize {
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b"+/=._~-:%".contains(&b[j])) {
        j += 1;
    }
    j
}

/// At most `max` characters of `s`, marked when cut.
pub fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!(
            "{}… ({} more characters)",
            &s[..at],
            s[at..].chars().count()
        ),
        None => s.to_string(),
    }
}

/// An id (or any value) short enough for a message.
pub fn short(s: &str) -> String {
    cut(s, 80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_credential_looking_values_are_removed() {
        let r = Redactor::new([
            "s3cr3t-token-1".to_string(),
            "YWRtaW5AeDpzM2NyM3Q=".to_string(),
            "abc".to_string(),
        ]);
        let echoed = r#"{"errorMessages":["bad request from Authorization: Basic YWRtaW5AeDpzM2NyM3Q= (admin@x:s3cr3t-token-1)"],"headers":{"authorization":"Bearer eyJhbGciOi.x.y","Cookie":"cloud.session.token=zzz; other=1"}}"#;
        let out = r.redact(echoed);
        for leak in ["s3cr3t", "YWRtaW5", "eyJhbGciOi", "cloud.session.token=zzz"] {
            assert!(!out.contains(leak), "{leak} in {out}");
        }
        assert!(
            out.contains("bad request from Authorization: [redacted]"),
            "{out}"
        );
        assert!(
            serde_json::from_str::<serde_json::Value>(&out).is_ok(),
            "still JSON: {out}"
        );
        assert_eq!(
            r.redact("a basic idea"),
            "a basic idea",
            "ordinary words stay"
        );
        assert_eq!(r.redact("abc"), "abc", "short secrets are ignored");
    }

    #[test]
    fn long_text_is_cut_and_marked() {
        assert_eq!(cut("abcdef", 3), "abc… (3 more characters)");
        assert_eq!(cut("ab", 3), "ab");
        let s = short(&"x".repeat(5_000_000));
        assert_eq!(
            s.chars().count(),
            80 + "… (4999920 more characters)".chars().count()
        );
    }
}
