//! A scripted transport (a tiny in-memory tenant answering by method and path), a virtual clock and
//! helpers for the engine tests. No sleeping: `sleep` advances the virtual clock.

#![allow(dead_code)]

use futures::future::{ready, LocalBoxFuture};
use portal_migrate::host::{Clock, Host, NoProgress};
use portal_migrate::http::{HttpRequest, HttpResponse, Transport, TransportError};
use portal_migrate::journal::MemoryJournal;
use portal_migrate::report::Status;
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

pub struct VirtualClock {
    pub now: Cell<u64>,
    pub slept: Cell<u64>,
}

impl VirtualClock {
    pub fn new() -> Self {
        VirtualClock {
            now: Cell::new(1_700_000_000_000),
            slept: Cell::new(0),
        }
    }
}

impl Clock for VirtualClock {
    fn now_ms(&self) -> u64 {
        self.now.get()
    }
    fn sleep(&self, ms: u64) -> LocalBoxFuture<'_, ()> {
        self.now.set(self.now.get() + ms);
        self.slept.set(self.slept.get() + ms);
        Box::pin(ready(()))
    }
    fn random(&self) -> f64 {
        0.5
    }
}

/// A customer of the fake tenant.
#[derive(Clone, Debug)]
pub struct Cust {
    pub qm: String,
    pub email: String,
    pub object: String,
    pub company: String,
    /// The Assets attribute value.
    pub attr: String,
    /// Set once migrated.
    pub account: Option<String>,
}

/// A scripted fault: for requests whose "METHOD path" contains `pattern`, the next `count` answers.
pub struct Fault {
    pub pattern: String,
    pub count: u32,
    pub kind: FaultKind,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FaultKind {
    Status(u16, Option<u64>),
    Reset,
    /// Do the work, then lose the answer.
    CommitDrop,
}

#[derive(Default)]
pub struct Tenant {
    pub customers: RefCell<Vec<Cust>>,
    pub members: RefCell<BTreeMap<String, Vec<String>>>,
    pub grants: RefCell<Vec<(String, String, String, String)>>,
    pub comments: RefCell<Vec<Value>>,
    pub log: RefCell<Vec<String>>,
    pub migrations: RefCell<Vec<String>>,
    pub faults: RefCell<Vec<Fault>>,
    pub page_cap: Cell<usize>,
    /// Answer `isLast` as a string, the documented example's form.
    pub is_last_as_string: Cell<bool>,
}

pub const SITE: &str = "https://acme.atlassian.net";
pub const GROUP: &str = "0c1b8e5e-0000-4000-8000-000000000001";

impl Tenant {
    pub fn with_customers(n: usize, company: &str) -> Self {
        let t = Tenant {
            page_cap: Cell::new(25),
            ..Default::default()
        };
        for i in 0..n {
            t.customers.borrow_mut().push(Cust {
                qm: format!("qm:00000000-0000-4000-8000-{i:012}:{i:024x}"),
                email: format!("c{i}@{}.example", company.to_lowercase()),
                object: format!("{}", 100 + i),
                company: company.into(),
                attr: format!("qm:00000000-0000-4000-8000-{i:012}:{i:024x}"),
                account: None,
            });
        }
        t.members.borrow_mut().insert(GROUP.into(), vec![]);
        t
    }

    pub fn count(&self, needle: &str) -> usize {
        self.log
            .borrow()
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }

    fn fault_for(&self, line: &str) -> Option<FaultKind> {
        let mut faults = self.faults.borrow_mut();
        let f = faults
            .iter_mut()
            .find(|f| f.count > 0 && line.contains(&f.pattern))?;
        f.count -= 1;
        Some(f.kind)
    }

    fn object_json(c: &Cust) -> Value {
        json!({"id": c.object, "objectKey": format!("CUS-{}", c.object), "label": c.email,
               "objectType": {"id": "4", "name": "Customer"},
               "attributes": [
                 {"objectTypeAttributeId": "91", "objectAttributeValues": if c.attr.is_empty() { json!([]) } else { json!([{"value": c.attr}]) }},
                 {"objectTypeAttributeId": "92", "objectAttributeValues": [{"value": c.email}]},
                 {"objectTypeAttributeId": "93", "objectAttributeValues": [{"value": c.company}]}]})
    }

    fn handle(&self, req: &HttpRequest) -> HttpResponse {
        let url = req.url.clone();
        let (path, query) = url.split_once('?').unwrap_or((&url, ""));
        let path = path
            .trim_start_matches(SITE)
            .trim_start_matches("https://api.atlassian.com")
            .trim_start_matches("https://admin.atlassian.com");
        let q: BTreeMap<String, String> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), decode(v)))
            .collect();
        let body: Value = req
            .body
            .as_deref()
            .map(|b| serde_json::from_str(b).unwrap())
            .unwrap_or(Value::Null);
        let ok = |v: Value| HttpResponse::new(200, v.to_string());
        let err = |s: u16, m: &str| {
            HttpResponse::new(s, json!({"errorMessages": [m], "errors": {}}).to_string())
        };
        match (req.method.as_str(), path) {
            ("GET", "/_edge/tenant_info") => ok(json!({"cloudId": "cloud-1"})),
            ("GET", "/rest/servicedeskapi/assets/workspace") => ok(
                json!({"size":1,"start":0,"limit":50,"isLastPage":true,"values":[{"workspaceId":"ws-1"}]}),
            ),
            ("GET", "/rest/api/3/group/bulk") => {
                let found = q.get("groupId").is_some_and(|g| g == GROUP)
                    || q.get("groupName").is_some_and(|g| g == "portal-migrated");
                ok(
                    json!({"values": if found { json!([{"groupId": GROUP, "name": "portal-migrated"}]) } else { json!([]) }, "isLast": true}),
                )
            }
            ("GET", "/rest/api/3/groups/picker") => {
                ok(json!({"groups": [{"groupId": GROUP, "name": "portal-migrated"}]}))
            }
            ("POST", "/jsm/assets/workspace/ws-1/v1/object/aql") => {
                let aql = body["qlQuery"].as_str().unwrap_or("").to_string();
                let start: usize = q["startAt"].parse().unwrap();
                let max: usize = q["maxResults"]
                    .parse::<usize>()
                    .unwrap()
                    .min(self.page_cap.get());
                let custs = self.customers.borrow();
                let matching: Vec<&Cust> = custs
                    .iter()
                    .filter(|c| {
                        aql.contains(&format!("\"{}\"", c.company))
                            || aql.contains(&format!("\"{}\"", c.attr))
                            || aql.contains(&format!("\"{}\"", c.email))
                    })
                    .collect();
                let values: Vec<Value> = matching
                    .iter()
                    .skip(start)
                    .take(max)
                    .map(|c| Self::object_json(c))
                    .collect();
                let last = start + values.len() >= matching.len();
                let is_last = if self.is_last_as_string.get() {
                    json!(last.to_string())
                } else {
                    json!(last)
                };
                ok(
                    json!({"startAt": start, "maxResults": max, "isLast": is_last, "values": values,
                          "objectTypeAttributes": [{"id":"91","name":"Portal Account"},{"id":"92","name":"Email"},{"id":"93","name":"Company"}]}),
                )
            }
            ("PUT", p) if p.starts_with("/jsm/assets/workspace/ws-1/v1/object/") => {
                let id = p.rsplit('/').next().unwrap();
                let v = body["attributes"][0]["objectAttributeValues"][0]["value"]
                    .as_str()
                    .unwrap()
                    .to_string();
                let mut custs = self.customers.borrow_mut();
                match custs.iter_mut().find(|c| c.object == id) {
                    Some(c) => {
                        c.attr = v;
                        ok(Self::object_json(c))
                    }
                    None => err(404, "No object"),
                }
            }
            ("GET", "/rest/api/3/user") => {
                let id = &q["accountId"];
                let custs = self.customers.borrow();
                if let Some(c) = custs.iter().find(|c| &c.qm == id && c.account.is_none()) {
                    return ok(
                        json!({"accountId": c.qm, "accountType": "customer", "emailAddress": c.email, "displayName": c.email}),
                    );
                }
                if let Some(c) = custs.iter().find(|c| c.account.as_ref() == Some(id)) {
                    return ok(
                        json!({"accountId": id, "accountType": "atlassian", "emailAddress": c.email}),
                    );
                }
                err(
                    404,
                    "Specified user does not exist or you do not have required permissions",
                )
            }
            ("GET", "/rest/api/3/user/bulk") => {
                // Every accountId asked, as GET user would answer it; one page of maxResults.
                let ids: Vec<String> = query
                    .split('&')
                    .filter_map(|kv| kv.strip_prefix("accountId="))
                    .map(decode)
                    .collect();
                let start: usize = q["startAt"].parse().unwrap();
                let max: usize = q["maxResults"].parse().unwrap();
                let custs = self.customers.borrow();
                let users: Vec<Value> = ids
                    .iter()
                    .filter_map(|id| {
                        custs.iter().find_map(|c| {
                            if &c.qm == id && c.account.is_none() {
                                Some(json!({"accountId": c.qm, "accountType": "customer", "emailAddress": c.email}))
                            } else if c.account.as_ref() == Some(id) {
                                Some(json!({"accountId": id, "accountType": "atlassian", "emailAddress": c.email}))
                            } else {
                                None
                            }
                        })
                    })
                    .collect();
                let page: Vec<Value> = users.iter().skip(start).take(max).cloned().collect();
                let last = start + page.len() >= users.len();
                ok(
                    json!({"startAt": start, "maxResults": max, "total": users.len(), "isLast": last, "values": page}),
                )
            }
            ("GET", "/rest/api/3/user/search") => {
                let query = q["query"].to_lowercase();
                let custs = self.customers.borrow();
                let users: Vec<Value> = custs
                    .iter()
                    .filter(|c| c.email.starts_with(&query))
                    .map(|c| match &c.account {
                        Some(a) => json!({"accountId": a, "accountType": "atlassian", "emailAddress": c.email}),
                        None => json!({"accountId": c.qm, "accountType": "customer", "emailAddress": c.email}),
                    })
                    .collect();
                ok(Value::Array(users))
            }
            ("PUT", p) if p.contains("/migrate-to-atlassian-account-user/") => {
                let id = decode(p.rsplit('/').next().unwrap());
                let mut custs = self.customers.borrow_mut();
                match custs.iter_mut().find(|c| c.qm == id) {
                    Some(c) if c.account.is_none() => {
                        let acc = format!("712020:{}", &c.qm[3..39]);
                        c.account = Some(acc.clone());
                        self.migrations.borrow_mut().push(id.clone());
                        ok(json!({"aaUser": {"accountId": acc, "emailAddress": c.email}}))
                    }
                    Some(_) => err(400, &format!("{id} is not a local customer")),
                    None => err(404, "not found"),
                }
            }
            ("PUT", p) if p.ends_with("/bulk-migrate-to-atlassian-account") => {
                let ids: Vec<String> =
                    serde_json::from_value(body["customerAccountIds"].clone()).unwrap();
                if ids.len() > 1000 {
                    return err(400, "too many");
                }
                let mut custs = self.customers.borrow_mut();
                for id in ids {
                    if let Some(c) = custs.iter_mut().find(|c| c.qm == id && c.account.is_none()) {
                        c.account = Some(format!("712020:{}", &c.qm[3..39]));
                        self.migrations.borrow_mut().push(id.clone());
                    }
                }
                ok(json!({}))
            }
            ("POST", "/rest/api/3/group/user") => {
                let acc = body["accountId"].as_str().unwrap().to_string();
                let mut m = self.members.borrow_mut();
                let Some(list) = m.get_mut(&q["groupId"]) else {
                    return err(404, "Group not found");
                };
                if list.contains(&acc) {
                    return err(
                        400,
                        "Cannot add user. User is already a member of 'portal-migrated'",
                    );
                }
                list.push(acc);
                HttpResponse::new(
                    201,
                    json!({"name": "portal-migrated", "groupId": GROUP}).to_string(),
                )
            }
            ("POST", "/rest/api/3/issue/SUP-1/comment") => {
                self.comments.borrow_mut().push(body.clone());
                HttpResponse::new(
                    201,
                    json!({"id": format!("{}", 10000 + self.comments.borrow().len())}).to_string(),
                )
            }
            ("GET", "/rest/api/3/issue/SUP-1/comment") => {
                ok(json!({"comments": self.comments.borrow().clone()}))
            }
            _ => err(501, &format!("no fake route for {} {}", req.method, path)),
        }
    }
}

fn decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

impl Transport for Tenant {
    fn send(&self, req: HttpRequest) -> LocalBoxFuture<'_, Result<HttpResponse, TransportError>> {
        let line = format!("{} {}", req.method, req.url);
        self.log.borrow_mut().push(line.clone());
        let out = match self.fault_for(&line) {
            Some(FaultKind::Status(s, ra)) => {
                let mut r = HttpResponse::new(s, "{}");
                if let Some(ra) = ra {
                    r = r.with_header("Retry-After", &ra.to_string());
                }
                Ok(r)
            }
            Some(FaultKind::Reset) => Err(TransportError {
                code: "ECONNRESET".into(),
                message: "socket hang up".into(),
            }),
            Some(FaultKind::CommitDrop) => {
                let _ = self.handle(&req);
                Err(TransportError {
                    code: "ECONNRESET".into(),
                    message: "socket hang up".into(),
                })
            }
            None => Ok(self.handle(&req)),
        };
        Box::pin(ready(out))
    }
}

pub fn config(extra: Value) -> portal_migrate::Settings {
    let mut v = json!({
        "siteUrl": SITE,
        "assets": {"customerQuery": "objectTypeId = 4 AND Company = {company}", "portalAccountAttribute": "Portal Account", "emailAttribute": "Email"},
        "groups": [GROUP],
        "migrate": {"mode": "single"},
        "retry": {"baseDelayMs": 100, "rateLimitDelayMs": 100, "assetsFloorMs": 100}
    });
    merge(&mut v, extra);
    portal_migrate::Config::from_value(v).unwrap()
}

fn merge(a: &mut Value, b: Value) {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(Value::Null), v);
            }
        }
        (a, b) => *a = b,
    }
}

pub struct Env {
    pub tenant: Tenant,
    pub clock: VirtualClock,
    pub journal: MemoryJournal,
}

impl Env {
    pub fn new(tenant: Tenant) -> Self {
        Env {
            tenant,
            clock: VirtualClock::new(),
            journal: MemoryJournal::default(),
        }
    }
    pub fn host(&self) -> Host<'_> {
        Host {
            transport: &self.tenant,
            clock: &self.clock,
            journal: &self.journal,
            progress: &NoProgress,
            rows: None,
            redactor: &portal_migrate::redact::NO_SECRETS,
        }
    }
    pub fn run(
        &self,
        settings: &portal_migrate::Settings,
        req: Value,
    ) -> portal_migrate::Result<portal_migrate::Outcome> {
        let req = portal_migrate::MigrationRequest::from_value(req).unwrap();
        futures::executor::block_on(portal_migrate::run(settings, req, &self.host()))
    }
}

pub fn statuses(o: &portal_migrate::Outcome) -> Vec<Status> {
    o.report.customers.iter().map(|c| c.status).collect()
}

/// Every customer migrated once, written back and in the group.
pub fn assert_converged(t: &Tenant) {
    let custs = t.customers.borrow();
    let members = t.members.borrow();
    for c in custs.iter() {
        let acc = c.account.as_ref().expect("migrated");
        assert_eq!(&c.attr, acc, "write-back for {}", c.email);
        assert!(
            members[GROUP].contains(acc),
            "group membership for {}",
            c.email
        );
    }
    let mut m = t.migrations.borrow().clone();
    let n = m.len();
    m.sort();
    m.dedup();
    assert_eq!(m.len(), n, "a customer was migrated twice");
    assert_eq!(n, custs.len());
}
