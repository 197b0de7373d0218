//! Jira issue comments, documented: `POST /rest/api/3/issue/{key}/comment` (`atlassian-api.md` §8).
//! Not idempotent: the engine journals the comment and sends it once per job.

use super::Op;
use crate::http::{HttpRequest, RetryClass, Surface};
use crate::ids::{pct, IssueKey};
use serde::Deserialize;
use serde_json::{json, Value};

/// An ADF document with one paragraph per line.
pub fn adf(lines: &[String]) -> Value {
    let content: Vec<Value> = lines
        .iter()
        .map(|l| {
            if l.is_empty() {
                json!({"type": "paragraph", "content": []})
            } else {
                json!({"type": "paragraph", "content": [{"type": "text", "text": l}]})
            }
        })
        .collect();
    json!({"type": "doc", "version": 1, "content": content})
}

/// `POST /rest/api/3/issue/{key}/comment`; the new comment's id. Not idempotent: sent once (§8).
pub fn add(site: &str, issue: &IssueKey, lines: &[String], internal: bool) -> Op<String> {
    #[derive(Deserialize)]
    struct C {
        id: crate::ids::ObjectId,
    }
    let mut body = json!({ "body": adf(lines) });
    if internal {
        body["properties"] = json!([{"key": "sd.public.comment", "value": {"internal": true}}]);
    }
    Op::new(
        "comments.add",
        RetryClass::Never,
        HttpRequest::json(
            Surface::Jira,
            "POST",
            format!("{site}/rest/api/3/issue/{}/comment", pct(issue.as_str())),
            &body,
        ),
        |r| Ok(r.json::<C>()?.id.0),
    )
}

/// Whether any of the issue's recent comments contains `marker` (dedupe after a lost answer, §8).
pub fn has_marker(site: &str, issue: &IssueKey, marker: &str) -> Op<bool> {
    let marker = marker.to_string();
    Op::safe(
        "comments.list",
        HttpRequest::get(
            Surface::Jira,
            format!(
                "{site}/rest/api/3/issue/{}/comment?startAt=0&maxResults=100&orderBy=-created",
                pct(issue.as_str())
            ),
        ),
        move |r| {
            let v: Value = r.json()?;
            let comments = v
                .get("comments")
                .and_then(|c| c.as_array())
                .cloned()
                .unwrap_or_default();
            Ok(comments.iter().any(|c| {
                c.get("body")
                    .is_some_and(|b| b.to_string().contains(&marker))
            }))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::testing::answer;

    #[test]
    fn internal_comment_carries_the_sd_public_comment_property() {
        let r = add("https://s", &IssueKey::new("SUP-1"), &["a".into()], true).request;
        let v: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
        assert_eq!(v["properties"][0]["key"], "sd.public.comment");
        assert_eq!(v["properties"][0]["value"]["internal"], true);
        assert_eq!(v["body"]["content"][0]["content"][0]["text"], "a");
        let p = add("https://s", &IssueKey::new("SUP-1"), &["a".into()], false).request;
        assert!(!p.body.unwrap().contains("properties"));
    }

    #[test]
    fn parses_comment_id() {
        let op = add("https://s", &IssueKey::new("SUP-1"), &["a".into()], true);
        assert_eq!(op.class, RetryClass::Never);
        assert_eq!(
            answer(&op, 201, r#"{"id":"10001","jsdPublic":false}"#).unwrap(),
            "10001"
        );
    }
}
