//! Serde's messages for a mistyped key or value, reworded with a "did you mean". Serde already lists
//! the valid names ("unknown field `x`, expected one of `a`, `b`"), so they are read from its
//! message rather than kept here a second time.

use crate::names::closest;

/// `message` with an unknown field or variant reworded; any other message unchanged.
pub fn explain(message: String) -> String {
    for (prefix, what, plural) in [
        ("unknown field `", "key", "keys"),
        ("unknown variant `", "value", "values"),
    ] {
        if let Some(rest) = message.strip_prefix(prefix) {
            if let Some((given, valid)) = split(rest) {
                return reword(what, plural, given, &valid);
            }
        }
    }
    message
}

/// The given name and the valid ones, from "x`, expected one of `a`, `b`" (or "expected `a`", "`a`
/// or `b`", "there are no fields"). The given name may hold a backtick: it ends at the last
/// "`, expected " (the quoted valid names never hold that).
fn split(rest: &str) -> Option<(&str, Vec<&str>)> {
    if let Some(end) = rest.rfind("`, expected ") {
        let list = &rest[end + "`, expected ".len()..];
        return Some((&rest[..end], list.split('`').skip(1).step_by(2).collect()));
    }
    let end = rest.rfind("`, there are no ")?;
    Some((&rest[..end], Vec::new()))
}

fn reword(what: &str, plural: &str, given: &str, valid: &[&str]) -> String {
    match closest(given, valid) {
        Some(best) => format!("unknown {what} {given:?}; did you mean {best:?}?"),
        None if valid.is_empty() => format!("unknown {what} {given:?}"),
        None => format!(
            "unknown {what} {given:?}; valid {plural}: {}",
            valid.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_are_reworded() {
        let cases = [
            (
                "unknown field `asets`, expected one of `siteUrl`, `assets`, `groups`",
                "unknown key \"asets\"; did you mean \"assets\"?",
            ),
            (
                "unknown field `zzz`, expected one of `siteUrl`, `assets`",
                "unknown key \"zzz\"; valid keys: siteUrl, assets",
            ),
            (
                "unknown field `mx`, expected `max`",
                "unknown key \"mx\"; did you mean \"max\"?",
            ),
            (
                "unknown field `a`, b`, expected `max`",
                "unknown key \"a`, b\"; valid keys: max",
            ),
            (
                "unknown field `x`, there are no fields",
                "unknown key \"x\"",
            ),
            (
                "unknown variant `grapql`, expected `rest` or `graphql`",
                "unknown value \"grapql\"; did you mean \"graphql\"?",
            ),
            (
                "invalid type: integer `1`, expected a string",
                "invalid type: integer `1`, expected a string",
            ),
        ];
        for (serde, ours) in cases {
            assert_eq!(explain(serde.into()), ours, "{serde}");
        }
    }

    fn minimal() -> serde_json::Value {
        serde_json::json!({
            "siteUrl": "https://acme.atlassian.net",
            "assets": {"customerQuery": "Company = {company}", "portalAccountAttribute": "91"}
        })
    }

    /// `minimal()` with `value` at `pointer` (parents created), parsed: the config error.
    fn error_with(pointer: &str, value: serde_json::Value) -> String {
        let mut v = minimal();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let mut at = &mut v;
        for p in parent.split('/').filter(|p| !p.is_empty()) {
            at = at
                .as_object_mut()
                .unwrap()
                .entry(p)
                .or_insert_with(|| serde_json::json!({}));
        }
        at[key] = value;
        crate::Config::from_value(v).unwrap_err().to_string()
    }

    #[test]
    fn an_unknown_key_anywhere_names_its_path_and_the_closest_key() {
        let cases = [
            ("/asets", "config $.asets: unknown key \"asets\"; did you mean \"assets\"?"),
            ("/siteurl", "config $.siteurl: unknown key \"siteurl\"; did you mean \"siteUrl\"?"),
            (
                "/assets/customerQuerry",
                "config $.assets.customerQuerry: unknown key \"customerQuerry\"; did you mean \"customerQuery\"?",
            ),
            (
                "/confluence/permisions",
                "config $.confluence.permisions: unknown key \"permisions\"; did you mean \"permissions\"?",
            ),
            (
                "/migrate/batchsize",
                "config $.migrate.batchsize: unknown key \"batchsize\"; did you mean \"batchSize\"?",
            ),
            (
                "/comment/enable",
                "config $.comment.enable: unknown key \"enable\"; did you mean \"enabled\"?",
            ),
            (
                "/retry/maxAttempt",
                "config $.retry.maxAttempt: unknown key \"maxAttempt\"; did you mean \"maxAttempts\"?",
            ),
            (
                "/limits/jira/mx",
                "config $.limits.jira.mx: unknown key \"mx\"; did you mean \"max\"?",
            ),
            (
                "/comment/zzz",
                "config $.comment.zzz: unknown key \"zzz\"; valid keys: enabled, internal",
            ),
        ];
        for (pointer, want) in cases {
            assert_eq!(error_with(pointer, 1.into()), want, "{pointer}");
        }
    }

    #[test]
    fn an_unknown_mode_names_the_closest_value() {
        assert_eq!(
            error_with("/confluence/mode", "grapql".into()),
            "config $.confluence.mode: unknown value \"grapql\"; did you mean \"graphql\"?"
        );
        assert_eq!(
            error_with("/migrate/mode", "x".into()),
            "config $.migrate.mode: unknown value \"x\"; valid values: single, bulk"
        );
    }
}
