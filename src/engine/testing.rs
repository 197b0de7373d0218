//! Test bed for step-level unit tests: a scripted transport (answers by "METHOD url" substring, in
//! order; the last answer of a route repeats), a virtual clock, and a `Ctx` built around them.

use super::ctx::{Ctx, Job};
use crate::api::Urls;
use crate::client::{Client, Limiter};
use crate::config::{Config, Settings};
use crate::host::{Clock, Host, NoProgress};
use crate::http::{HttpRequest, HttpResponse, Transport, TransportError};
use crate::ids::JobId;
use crate::journal::{MemoryJournal, Records};
use futures::future::{ready, LocalBoxFuture};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

pub const SITE: &str = "https://acme.atlassian.net";

type Answer = Result<HttpResponse, TransportError>;

#[derive(Default)]
pub struct Script {
    routes: RefCell<Vec<(String, VecDeque<Answer>)>>,
    pub log: RefCell<Vec<String>>,
}

impl Script {
    /// Answers requests whose "METHOD url" contains `pattern` with `status` and `body`, after the
    /// answers given before for the same pattern.
    pub fn on(self, pattern: &str, status: u16, body: &str) -> Self {
        self.push(pattern, Ok(HttpResponse::new(status, body)))
    }

    /// The connection drops (the request may or may not have been processed).
    pub fn reset(self, pattern: &str) -> Self {
        self.push(
            pattern,
            Err(TransportError {
                code: "ECONNRESET".into(),
                message: "socket hang up".into(),
            }),
        )
    }

    fn push(self, pattern: &str, answer: Answer) -> Self {
        {
            let mut routes = self.routes.borrow_mut();
            match routes.iter_mut().find(|(p, _)| p == pattern) {
                Some((_, q)) => q.push_back(answer),
                None => routes.push((pattern.into(), VecDeque::from([answer]))),
            }
        }
        self
    }

    pub fn count(&self, needle: &str) -> usize {
        self.log
            .borrow()
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }
}

impl Transport for Script {
    fn send(&self, req: HttpRequest) -> LocalBoxFuture<'_, Result<HttpResponse, TransportError>> {
        let line = format!("{} {}", req.method, req.url);
        self.log.borrow_mut().push(line.clone());
        let mut routes = self.routes.borrow_mut();
        let answer = match routes.iter_mut().find(|(p, _)| line.contains(p.as_str())) {
            Some((_, q)) if q.len() > 1 => q.pop_front().unwrap(),
            Some((_, q)) => q.front().cloned().unwrap(),
            None => Ok(HttpResponse::new(
                501,
                format!("no scripted answer for {line}"),
            )),
        };
        Box::pin(ready(answer))
    }
}

#[derive(Default)]
pub struct VirtualClock {
    pub slept: Cell<u64>,
}

impl Clock for VirtualClock {
    fn now_ms(&self) -> u64 {
        1_700_000_000_000 + self.slept.get()
    }
    fn sleep(&self, ms: u64) -> LocalBoxFuture<'_, ()> {
        self.slept.set(self.slept.get() + ms);
        Box::pin(ready(()))
    }
    fn random(&self) -> f64 {
        0.5
    }
}

/// A customer by id, as a test source found it (ann@acme.example, no company or object).
pub fn work(id: &str) -> super::work::Work {
    super::work::Work {
        reference: crate::ids::CustomerRef::parse(id),
        email: Some("ann@acme.example".into()),
        company: None,
        asset: None,
        source: "test".into(),
        skip_reason: None,
        space: None,
    }
}

pub fn settings(extra: serde_json::Value) -> Settings {
    let mut v = serde_json::json!({
        "siteUrl": SITE,
        "assets": {"customerQuery": "objectTypeId = 4 AND Company = {company}", "portalAccountAttribute": "91"},
        "retry": {"baseDelayMs": 10, "rateLimitDelayMs": 10, "assetsFloorMs": 10},
        "migrate": {"pollTimeoutMs": 2000}
    });
    if let (Some(base), Some(more)) = (v.as_object_mut(), extra.as_object()) {
        for (k, x) in more {
            base.insert(k.clone(), x.clone());
        }
    }
    Config::from_value(v).unwrap()
}

/// Runs `f` with a `Ctx` over `script` and a fresh journal; returns its result and the virtual time slept.
pub fn with_ctx<T>(
    script: &Script,
    s: &Settings,
    f: impl AsyncFnOnce(&mut Ctx<'_>) -> T,
) -> (T, u64) {
    let clock = VirtualClock::default();
    let journal = MemoryJournal::default();
    let host = Host {
        transport: script,
        clock: &clock,
        journal: &journal,
        progress: &NoProgress,
        rows: None,
        redactor: &crate::redact::NO_SECRETS,
    };
    let client = Client::new(
        &host,
        s.config.retry.clone(),
        Limiter::uniform(Default::default()),
    );
    let records = Records {
        journal: &journal,
        read_only: false,
        redactor: None,
    };
    let urls = Urls::new(SITE, &s.admin_url, &s.api_url, "cloud-1", "ws-1");
    let job = Job {
        id: JobId::new("job-test"),
        dry_run: false,
        continuing: false,
        known: false,
        deadline_ms: None,
        owner: "test-run".into(),
        lease_until: u64::MAX,
    };
    let mut ctx = Ctx::new(s, client, records, &NoProgress, urls, job);
    let out = futures::executor::block_on(f(&mut ctx));
    (out, clock.slept.get())
}
