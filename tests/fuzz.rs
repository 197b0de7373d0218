//! Property tests with a fixed seed and a bounded number of cases: no config and no answer makes the
//! core panic; every failure is a typed error naming what it is about (a JSON path for config, the
//! op and surface for answers).

use portal_migrate::api::{assets, comments, confluence, customers, groups, tenant, users, Urls};
use portal_migrate::http::HttpResponse;
use portal_migrate::ids::{
    AccountId, AttributeId, GroupId, IssueKey, ObjectId, ObjectTypeId, PortalCustomerId, SpaceKey,
};
use portal_migrate::{Config, Error};
use serde_json::{json, Value};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const STRINGS: &[&str] = &[
    "",
    " ",
    "x",
    "ACME",
    "{company}",
    "objectTypeId = 4 AND Company = {company}",
    "91",
    "Portal Account",
    "https://acme.atlassian.net",
    "http://127.0.0.1:1",
    "https://:443",
    "http://[::1",
    "\u{0}",
    "é",
    "\\",
    "qm:1:2",
    "712020:abc",
    "../../x",
    "\"",
    "999999999999999999999",
    "-1",
    "true",
    "null",
];

/// A random JSON value, depth-bounded.
fn value(r: &mut Rng, depth: u32) -> Value {
    match r.below(if depth == 0 { 5 } else { 8 }) {
        0 => Value::Null,
        1 => json!(r.below(2) == 0),
        2 => json!((r.next() % 2_000_001) as i64 - 1_000_000),
        3 => json!(*r.pick(STRINGS)),
        4 => json!(r.next() as f64 / 7.0),
        5 | 6 => {
            let mut m = serde_json::Map::new();
            for _ in 0..r.below(5) {
                let k = *r.pick(&[
                    "siteUrl",
                    "assets",
                    "groups",
                    "retry",
                    "limits",
                    "migrate",
                    "confluence",
                    "comment",
                    "concurrency",
                    "values",
                    "isLast",
                    "total",
                    "maxResults",
                    "errorMessages",
                    "errors",
                    "aaUser",
                    "accountId",
                    "accountType",
                    "results",
                    "_links",
                    "id",
                    "attributes",
                    "name",
                    "groupId",
                    "cloudId",
                    "localCustomers",
                    "username",
                ]);
                m.insert(k.into(), value(r, depth - 1));
            }
            Value::Object(m)
        }
        _ => Value::Array((0..r.below(4)).map(|_| value(r, depth - 1)).collect()),
    }
}

/// A plausible config with one part replaced by noise.
fn config(r: &mut Rng) -> Value {
    let mut c = json!({
        "siteUrl": "https://acme.atlassian.net",
        "assets": {"customerQuery": "objectTypeId = 4 AND Company = {company}", "portalAccountAttribute": "91"},
        "groups": ["g"], "retry": {"maxAttempts": 3}, "limits": {"jira": {"max": 4}},
    });
    let paths: &[&[&str]] = &[
        &["siteUrl"],
        &["assets"],
        &["assets", "customerQuery"],
        &["groups"],
        &["retry"],
        &["retry", "maxAttempts"],
        &["limits", "jira"],
        &["migrate"],
        &["confluence"],
        &["concurrency"],
        &["comment"],
        &["unknownKey"],
    ];
    for _ in 0..1 + r.below(3) {
        let p = *r.pick(paths);
        let v = value(r, 3);
        let mut at = &mut c;
        for k in &p[..p.len() - 1] {
            at = at.as_object_mut().unwrap().entry(*k).or_insert(json!({}));
            if !at.is_object() {
                *at = json!({});
            }
        }
        at.as_object_mut().unwrap().insert(p[p.len() - 1].into(), v);
    }
    c
}

#[test]
fn no_config_panics_and_every_rejection_names_a_json_path() {
    let mut r = Rng(0x5eed_cafe);
    let (mut ok, mut rejected) = (0, 0);
    for _ in 0..3_000 {
        let c = config(&mut r);
        match Config::from_value(c.clone()) {
            Ok(_) => ok += 1,
            Err(Error::Config { path, message }) => {
                assert!(path.starts_with('$'), "{path} for {c}");
                assert!(!message.is_empty());
                rejected += 1;
            }
            Err(other) => panic!("not a config error: {other} for {c}"),
        }
    }
    assert!(ok > 0 && rejected > 1_000, "ok {ok}, rejected {rejected}");
}

#[test]
fn no_answer_panics_a_parser_and_every_error_names_its_op() {
    let urls = Urls::new("https://s", "https://a", "https://api", "c", "w");
    let mut r = Rng(42);
    let statuses = [200u16, 201, 204, 400, 401, 403, 404, 409, 429, 500, 503];
    for _ in 0..2_000 {
        let body = if r.below(4) == 0 {
            STRINGS[r.below(STRINGS.len())].to_string()
        } else {
            value(&mut r, 4).to_string()
        };
        let resp = HttpResponse::new(*r.pick(&statuses), body);
        // Each op's parser over the same answer: typed errors only, each naming the op.
        macro_rules! check {
            ($op:expr) => {{
                let op = $op;
                if let Err(e) = op.parse(&resp) {
                    // A request error (an issue that does not exist) names the op inside.
                    let named = e.to_string().starts_with(op.name)
                        || (e.code() == "REQUEST" && e.to_string().contains(op.name));
                    assert!(named, "{} for {:?}: {e}", op.name, resp);
                }
            }};
        }
        check!(tenant::tenant_info("https://s"));
        check!(tenant::workspace("https://s"));
        check!(tenant::my_groups("https://s"));
        check!(assets::search(&urls, "q", 0, 25));
        check!(assets::type_attributes(&urls, &ObjectTypeId::new("4")));
        check!(assets::update_attribute(
            &urls,
            &ObjectId::new("1"),
            None,
            &AttributeId::new("91"),
            "712020:a"
        ));
        check!(assets::object(&urls, &ObjectId::new("1")));
        check!(customers::migrate(&urls, &PortalCustomerId::new("qm:1")));
        check!(customers::list(&urls, 0, 50));
        check!(users::get("https://s", "qm:1"));
        check!(users::search("https://s", "a@b.c"));
        check!(users::issue_reporter("https://s", &IssueKey::new("SUP-1")));
        check!(groups::add_user(
            "https://s",
            &GroupId::new("g"),
            &AccountId::new("712020:a")
        ));
        check!(groups::picker("https://s", ""));
        check!(groups::missing("https://s", &GroupId::new("g")));
        check!(confluence::find_space("https://s", &SpaceKey::new("A")));
        check!(confluence::space_permissions("https://s", "98", None));
        check!(confluence::grant(
            "https://s",
            &SpaceKey::new("A"),
            &AccountId::new("712020:a"),
            ("read", "space")
        ));
        check!(confluence::grant_graphql(
            "https://s",
            &SpaceKey::new("A"),
            &AccountId::new("712020:a")
        ));
        check!(comments::add(
            "https://s",
            &IssueKey::new("SUP-1"),
            &["x".into()],
            true
        ));
        check!(comments::has_marker(
            "https://s",
            &IssueKey::new("SUP-1"),
            "[m]"
        ));
    }
}
