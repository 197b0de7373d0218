//! One customer's pipeline: check → migrate → write back → groups → space. Every step is
//! check-before-act, journaled, and treats Atlassian's "already done" answers as success.

use super::Ctx;
use crate::api::{assets, confluence, customers, groups, users};
use crate::error::{Error, Result};
use crate::ids::{AccountId, AttributeId, CustomerRef, ObjectId, PortalCustomerId, SpaceKey};
use crate::journal::{customer_key, CustomerRecord, Stage};
use crate::report::{CustomerReport, Outcome, Status, Steps};
use crate::retry::RetryClass;

/// One customer to process, as found by a source.
#[derive(Clone, Debug, PartialEq)]
pub struct Work {
    /// `None` when the source found an object without a usable id (reported as skipped).
    pub reference: Option<CustomerRef>,
    pub email: Option<String>,
    pub company: Option<String>,
    /// The Assets object and the attribute holding the account id, with its current value.
    pub asset: Option<AssetRef>,
    pub source: String,
    /// Why the customer is skipped, when `reference` is `None`.
    pub skip_reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AssetRef {
    pub object: ObjectId,
    pub attribute: AttributeId,
    pub value: Option<String>,
}

pub enum Processed {
    Done(CustomerReport),
    /// Not started: the deadline came first.
    Unstarted,
    /// Another source already yields this customer.
    Duplicate,
}

/// The result of `check`.
pub(crate) enum Checked {
    /// A portal-only customer to migrate.
    Portal {
        id: PortalCustomerId,
        email: Option<String>,
    },
    /// Already an Atlassian account.
    Account {
        id: AccountId,
        email: Option<String>,
    },
    Skip(String),
}

/// A step failure: which step, and the error.
pub(crate) struct StepError {
    pub step: &'static str,
    pub error: Error,
}

pub(crate) fn step_err(step: &'static str) -> impl Fn(Error) -> StepError {
    move |error| StepError { step, error }
}

pub(crate) fn new_report(w: &Work) -> CustomerReport {
    let (portal, account) = match &w.reference {
        Some(CustomerRef::Portal(p)) => (Some(p.0.clone()), None),
        Some(CustomerRef::Account(a)) => (None, Some(a.0.clone())),
        _ => (None, None),
    };
    CustomerReport {
        portal_account_id: portal,
        account_id: account,
        email: w.email.clone(),
        company: w.company.clone(),
        asset_object_id: w.asset.as_ref().map(|a| a.object.0.clone()),
        source: w.source.clone(),
        status: Status::Skipped,
        steps: Steps::default(),
        failed_step: None,
        error: None,
        retryable: None,
    }
}

pub(crate) fn fail(rep: &mut CustomerReport, e: StepError) {
    rep.status = Status::Failed;
    rep.failed_step = Some(e.step.to_string());
    rep.retryable = Some(e.error.retryable());
    rep.error = Some(e.error.to_string());
    let o = Outcome::Failed;
    match e.step {
        "check" => rep.steps.check = o,
        "migrate" => rep.steps.migrate = o,
        "writeBack" => rep.steps.write_back = o,
        "groups" => rep.steps.groups = o,
        _ => rep.steps.space = o,
    }
}

/// Runs one customer through every step (single mode).
pub async fn process(ctx: &Ctx<'_>, w: Work) -> Result<Processed> {
    // A customer this job already finished costs no API call, so the deadline does not hold it back.
    if !ctx.may_start() && !finished_in_this_job(ctx, &w).await? {
        return Ok(Processed::Unstarted);
    }
    let started = ctx.now();
    let Some(mut state) = begin(ctx, &w).await? else {
        return Ok(Processed::Duplicate);
    };
    if state.finished {
        ctx.customer_done(&state.rep, started);
        return Ok(Processed::Done(state.rep));
    }
    if let Checked::Portal { id, email } = &state.checked {
        match migrate_single(ctx, &w, id, email.as_deref()).await {
            Ok(Some(account)) => {
                let email = email.clone();
                state.migrated(ctx, account, email);
            }
            Ok(None) => {
                state.rep.status = Status::Planned;
                state.rep.steps.migrate = Outcome::Planned;
            }
            Err(e) => {
                fail(&mut state.rep, e);
                if state.rep.retryable == Some(false) {
                    close_failed(ctx, id, &state.rep).await?;
                }
                ctx.customer_done(&state.rep, started);
                return Ok(Processed::Done(state.rep));
            }
        }
    }
    let rep = finish(ctx, &w, state).await?;
    ctx.customer_done(&rep, started);
    Ok(Processed::Done(rep))
}

async fn finished_in_this_job(ctx: &Ctx<'_>, w: &Work) -> Result<bool> {
    if !ctx.continuing {
        return Ok(false);
    }
    let record = match &w.reference {
        Some(CustomerRef::Portal(p)) => {
            ctx.records
                .get::<CustomerRecord>(&customer_key(p.as_str()))
                .await?
        }
        Some(CustomerRef::Account(a)) => ctx.records.customer_of_account(a.as_str()).await?,
        _ => None,
    };
    Ok(record.is_some_and(|r| {
        r.stage == Stage::Complete
            && r.job_id == ctx.job_id
            && r.status.as_deref() != Some(Status::Failed.as_str())
    }))
}

/// A customer after `begin`: its report so far and what `check` found.
pub(crate) struct State {
    pub rep: CustomerReport,
    pub checked: Checked,
    pub record: Option<CustomerRecord>,
    /// Nothing left to do (skipped, failed check, or finished earlier in this job).
    pub finished: bool,
}

impl State {
    /// This job's migrate made `account`: report it and carry on with the account.
    pub(crate) fn migrated(&mut self, ctx: &Ctx<'_>, account: AccountId, email: Option<String>) {
        // Another source may name the same customer by its new account.
        claim(ctx, account.as_str());
        self.rep.account_id = Some(account.0.clone());
        self.rep.status = Status::Migrated;
        self.rep.steps.migrate = Outcome::Done;
        self.checked = Checked::Account { id: account, email };
    }
}

/// Locates the Assets object, reads the journal, and checks the account. `None` for a duplicate.
pub(crate) async fn begin(ctx: &Ctx<'_>, w: &Work) -> Result<Option<State>> {
    let mut rep = new_report(w);
    let Some(reference) = &w.reference else {
        rep.status = Status::Skipped;
        rep.steps = Steps {
            check: Outcome::Skipped,
            ..skipped_steps()
        };
        rep.error = w.skip_reason.clone();
        return Ok(Some(State {
            rep,
            checked: Checked::Skip(String::new()),
            record: None,
            finished: true,
        }));
    };
    let record: Option<CustomerRecord> = match reference {
        CustomerRef::Portal(p) => ctx.records.get(&customer_key(p.as_str())).await?,
        CustomerRef::Account(a) => ctx.records.customer_of_account(a.as_str()).await?,
        CustomerRef::Email(_) => None,
    };
    if rep.portal_account_id.is_none() {
        rep.portal_account_id = record.as_ref().map(|r| r.portal_account_id.clone());
    }
    // Finished earlier in this same (unfinished) job: report it without calling Atlassian again.
    if let Some(r) = &record {
        let failed = r.status.as_deref() == Some(Status::Failed.as_str());
        if r.stage == Stage::Complete && r.job_id == ctx.job_id && ctx.continuing && !failed {
            if let Some(status) = r.status.as_deref().and_then(Status::parse) {
                let ids = [Some(r.portal_account_id.as_str()), r.account_id.as_deref()];
                if !claim_all(ctx, &ids) {
                    return Ok(None);
                }
                rep.status = status;
                rep.account_id = r.account_id.clone();
                rep.email = r.email.clone().or(rep.email);
                rep.steps = Steps {
                    check: Outcome::Done,
                    migrate: Outcome::Done,
                    write_back: Outcome::Done,
                    groups: Outcome::Done,
                    space: Outcome::Done,
                };
                return Ok(Some(State {
                    rep,
                    checked: Checked::Skip(String::new()),
                    record,
                    finished: true,
                }));
            }
        }
    }
    let checked = match check(ctx, w, reference, record.as_ref()).await {
        Ok(c) => c,
        Err(e) => {
            fail(&mut rep, e);
            return Ok(Some(State {
                rep,
                checked: Checked::Skip(String::new()),
                record,
                finished: true,
            }));
        }
    };
    let key = match &checked {
        Checked::Portal { id, .. } => id.0.clone(),
        Checked::Account { id, .. } => id.0.clone(),
        Checked::Skip(_) => String::new(),
    };
    // Claim every id the customer goes by, so the same customer met by its old id in one source and
    // its new id in another (Assets after a crash) runs once.
    let portal = record.as_ref().map(|r| r.portal_account_id.as_str());
    let account = record.as_ref().and_then(|r| r.account_id.as_deref());
    if !key.is_empty() && !claim_all(ctx, &[Some(key.as_str()), portal, account]) {
        return Ok(None);
    }
    rep.steps.check = Outcome::Done;
    match &checked {
        Checked::Portal { id, email } => {
            rep.portal_account_id = Some(id.0.clone());
            rep.email = email.clone().or(rep.email);
        }
        Checked::Account { id, email } => {
            rep.account_id = Some(id.0.clone());
            rep.email = email.clone().or(rep.email);
            rep.status = Status::AlreadyMigrated;
            rep.steps.migrate = Outcome::Already;
            if let Some(r) = &record {
                // This job's own migration: journaled as such, or an intent whose answer was lost
                // in a crash (the check now finds the customer migrated).
                let intent = r.stage == Stage::Intent && r.job_id == ctx.job_id;
                if (r.migrated_by_job.as_deref() == Some(ctx.job_id.as_str()) || intent)
                    && ctx.continuing
                {
                    rep.status = Status::Migrated;
                    rep.steps.migrate = Outcome::Done;
                }
                if intent {
                    let portal = PortalCustomerId::new(r.portal_account_id.clone());
                    journal_stage(ctx, w, &portal, email.as_deref(), Stage::Migrated, Some(id))
                        .await?;
                }
            }
        }
        Checked::Skip(reason) => {
            rep.status = Status::Skipped;
            rep.steps = Steps {
                check: Outcome::Done,
                ..skipped_steps()
            };
            rep.error = Some(reason.clone());
            return Ok(Some(State {
                rep,
                checked,
                record,
                finished: true,
            }));
        }
    }
    Ok(Some(State {
        rep,
        checked,
        record,
        finished: false,
    }))
}

fn skipped_steps() -> Steps {
    Steps {
        check: Outcome::Skipped,
        migrate: Outcome::Skipped,
        write_back: Outcome::Skipped,
        groups: Outcome::Skipped,
        space: Outcome::Skipped,
    }
}

pub(crate) fn claim(ctx: &Ctx<'_>, key: &str) -> bool {
    ctx.claimed.borrow_mut().insert(key.to_string())
}

/// Claims all given ids, or none when any is taken.
fn claim_all(ctx: &Ctx<'_>, ids: &[Option<&str>]) -> bool {
    let mut claimed = ctx.claimed.borrow_mut();
    if ids.iter().flatten().any(|id| claimed.contains(*id)) {
        return false;
    }
    for id in ids.iter().flatten() {
        claimed.insert(id.to_string());
    }
    true
}

/// Is this still a portal-only customer? Uses the journal first (a migrated record holds the new id),
/// then `GET /rest/api/3/user`, then the email (§13).
async fn check(
    ctx: &Ctx<'_>,
    w: &Work,
    reference: &CustomerRef,
    record: Option<&CustomerRecord>,
) -> Result<Checked, StepError> {
    let e = step_err("check");
    if let Some(r) = record {
        if let (Some(acc), true) = (&r.account_id, r.stage != Stage::Intent) {
            return Ok(Checked::Account {
                id: AccountId::new(acc.clone()),
                email: r.email.clone(),
            });
        }
    }
    let email_hint = w
        .email
        .clone()
        .or_else(|| record.and_then(|r| r.email.clone()));
    let site = &ctx.urls.site;
    match reference {
        CustomerRef::Email(email) => {
            let resp = ctx
                .client
                .send("users.search", users::search(site, email), RetryClass::Safe)
                .await
                .map_err(&e)?;
            let found = users::parse_search(&resp).map_err(&e)?;
            if let Some(acc) = users::atlassian_account_for(&found, email) {
                return Ok(Checked::Account {
                    id: acc,
                    email: Some(email.clone()),
                });
            }
            let portal = found.iter().find(|u| {
                u.account_type == users::AccountType::Customer
                    && u.email().is_some_and(|m| m.eq_ignore_ascii_case(email))
            });
            match portal {
                Some(u) => Ok(Checked::Portal {
                    id: PortalCustomerId::new(u.account_id.0.clone()),
                    email: Some(email.clone()),
                }),
                None => Err(e(Error::request(format!(
                    "no portal-only customer or Atlassian account has the email {email}"
                )))),
            }
        }
        CustomerRef::Portal(_) | CustomerRef::Account(_) => {
            let raw = match reference {
                CustomerRef::Portal(p) => p.0.clone(),
                CustomerRef::Account(a) => a.0.clone(),
                CustomerRef::Email(_) => unreachable!(),
            };
            let resp = ctx
                .client
                .send("users.get", users::get(site, &raw), RetryClass::Safe)
                .await
                .map_err(&e)?;
            match users::parse_get(&resp).map_err(&e)? {
                Some(u) => match u.account_type {
                    users::AccountType::Customer => Ok(Checked::Portal {
                        id: PortalCustomerId::new(raw),
                        email: u.email().or(email_hint),
                    }),
                    users::AccountType::Atlassian => Ok(Checked::Account {
                        id: u.account_id.clone(),
                        email: u.email().or(email_hint),
                    }),
                    other => Ok(Checked::Skip(format!(
                        "account {raw} is of type {other:?}, not a customer"
                    ))),
                },
                // A migrated qm: id no longer resolves (§13): find the account by email.
                None => match email_hint {
                    Some(email) => match find_by_email(ctx, &email).await.map_err(&e)? {
                        Some(acc) => Ok(Checked::Account {
                            id: acc,
                            email: Some(email),
                        }),
                        None => Err(e(Error::Api {
                            op: "users.get",
                            surface: crate::http::Surface::Jira,
                            status: 404,
                            message: format!(
                                "account {raw} not found and no Atlassian account has {email}"
                            ),
                        })),
                    },
                    None => Err(e(Error::Api {
                        op: "users.get",
                        surface: crate::http::Surface::Jira,
                        status: 404,
                        message: format!("account {raw} not found"),
                    })),
                },
            }
        }
    }
}

/// The Atlassian account holding `email`, if any.
pub(crate) async fn find_by_email(ctx: &Ctx<'_>, email: &str) -> Result<Option<AccountId>> {
    let resp = ctx
        .client
        .send(
            "users.search",
            users::search(&ctx.urls.site, email),
            RetryClass::Safe,
        )
        .await?;
    Ok(users::atlassian_account_for(
        &users::parse_search(&resp)?,
        email,
    ))
}

/// Polls `find_by_email` with backoff for at most `migrate.pollTimeoutMs` (new accounts may take a
/// moment to become searchable, §13).
pub(crate) async fn poll_by_email(ctx: &Ctx<'_>, email: &str) -> Result<Option<AccountId>> {
    let until = ctx.now() + ctx.s.config.migrate.poll_timeout_ms;
    let mut wait = 250u64;
    loop {
        if let Some(a) = find_by_email(ctx, email).await? {
            return Ok(Some(a));
        }
        if ctx.now() + wait > until {
            return Ok(None);
        }
        ctx.host.clock.sleep(wait).await;
        wait = (wait * 2).min(5_000);
    }
}

/// After an ambiguous migrate (lost answer, 5xx, "not a local customer"): has it happened? Returns
/// the account when it has, `None` when the id is still a portal-only customer. When the service
/// itself said the id is no longer a local customer (`not_local`), the email decides even if the old
/// id still reads as a customer (a lagging read).
pub(crate) async fn reconcile(
    ctx: &Ctx<'_>,
    id: &PortalCustomerId,
    email: Option<&str>,
    not_local: bool,
) -> Result<Option<AccountId>> {
    let resp = ctx
        .client
        .send(
            "users.get",
            users::get(&ctx.urls.site, id.as_str()),
            RetryClass::Safe,
        )
        .await?;
    match users::parse_get(&resp)? {
        Some(u) if u.account_type == users::AccountType::Customer && !not_local => Ok(None),
        Some(u) if u.account_type == users::AccountType::Atlassian => Ok(Some(u.account_id)),
        _ => match email {
            Some(e) => poll_by_email(ctx, e).await,
            None => Ok(None),
        },
    }
}

/// Closes the record of a customer whose migrate failed for good (unknown id, no permission…), so
/// later runs do not resume it; the report of this run says why.
async fn close_failed(ctx: &Ctx<'_>, id: &PortalCustomerId, rep: &CustomerReport) -> Result<()> {
    if ctx.dry_run {
        return Ok(());
    }
    let key = customer_key(id.as_str());
    let Some(mut rec) = ctx.records.get::<CustomerRecord>(&key).await? else {
        return Ok(());
    };
    if rec.stage != Stage::Intent {
        return Ok(());
    }
    rec.stage = Stage::Complete;
    rec.status = Some(rep.status.as_str().into());
    rec.updated_ms = ctx.now();
    ctx.records.put(&key, &rec).await
}

/// Journals a customer's stage, keeping what an earlier record knew.
pub(crate) async fn journal_stage(
    ctx: &Ctx<'_>,
    w: &Work,
    id: &PortalCustomerId,
    email: Option<&str>,
    stage: Stage,
    account: Option<&AccountId>,
) -> Result<()> {
    let key = customer_key(id.as_str());
    let prev: Option<CustomerRecord> = ctx.records.get(&key).await?;
    let rec = CustomerRecord {
        portal_account_id: id.0.clone(),
        job_id: ctx.job_id.clone(),
        stage,
        email: email
            .map(str::to_string)
            .or_else(|| prev.as_ref().and_then(|p| p.email.clone())),
        asset_object_id: w
            .asset
            .as_ref()
            .map(|a| a.object.0.clone())
            .or_else(|| prev.as_ref().and_then(|p| p.asset_object_id.clone())),
        company: w
            .company
            .clone()
            .or_else(|| prev.as_ref().and_then(|p| p.company.clone())),
        account_id: account.map(|a| a.0.clone()),
        migrated_by_job: if stage == Stage::Migrated {
            Some(ctx.job_id.clone())
        } else {
            prev.as_ref().and_then(|p| p.migrated_by_job.clone())
        },
        done: Vec::new(),
        status: None,
        updated_ms: ctx.now(),
    };
    ctx.records.put_customer(&rec).await
}

/// The journaled single migrate. `Ok(None)` in a dry run.
async fn migrate_single(
    ctx: &Ctx<'_>,
    w: &Work,
    id: &PortalCustomerId,
    email: Option<&str>,
) -> Result<Option<AccountId>, StepError> {
    let e = step_err("migrate");
    if ctx.dry_run {
        return Ok(None);
    }
    journal_stage(ctx, w, id, email, Stage::Intent, None)
        .await
        .map_err(&e)?;
    let mut last_error = None;
    let mut waited = 0u64;
    for attempt in 1..=ctx.s.config.retry.max_attempts.max(1) {
        ctx.migrate_calls.set(ctx.migrate_calls.get() + 1);
        let sent = ctx
            .client
            .send(
                "customers.migrate",
                customers::migrate(&ctx.urls.customers, id),
                RetryClass::Never,
            )
            .await;
        // The answer's wait hint, kept for a resend after reconciliation.
        let answer = sent.as_ref().ok().cloned();
        let outcome = sent.and_then(|r| customers::parse_migrate(&r));
        let account = match outcome {
            Ok(customers::Migrated::Done(Some(a))) => Some(a),
            Ok(customers::Migrated::Done(None)) => match email {
                Some(m) => poll_by_email(ctx, m).await.map_err(&e)?,
                None => None,
            }
            .or(None),
            Ok(customers::Migrated::NotFound(m)) => {
                return Err(e(Error::Api {
                    op: "customers.migrate",
                    surface: crate::http::Surface::Admin,
                    status: 404,
                    message: m,
                }))
            }
            Ok(customers::Migrated::NotLocalCustomer(m)) => {
                match reconcile(ctx, id, email, true).await.map_err(&e)? {
                    Some(a) => Some(a),
                    None => {
                        return Err(e(Error::Api {
                            op: "customers.migrate",
                            surface: crate::http::Surface::Admin,
                            status: 400,
                            message: m,
                        }))
                    }
                }
            }
            // Ambiguous: the service may have committed. Look before sending again.
            Err(err) if ambiguous(&err) => {
                match reconcile(ctx, id, email, false).await.map_err(&e)? {
                    Some(a) => Some(a),
                    None => {
                        // Still a portal-only customer: resending is safe, after the same back-off
                        // (and Retry-After) as any other retry.
                        let outcome = match &answer {
                            Some(r) => Ok(r),
                            None => Err(&crate::http::TransportError {
                                code: "LOST".into(),
                                message: err.to_string(),
                            }),
                        };
                        let verdict = crate::retry::decide(
                            &ctx.s.config.retry,
                            RetryClass::Safe,
                            crate::http::Surface::Admin,
                            attempt,
                            outcome,
                            ctx.now(),
                            waited,
                            ctx.host.clock.random(),
                        );
                        last_error = Some(err);
                        match verdict {
                            crate::retry::Verdict::Retry { wait_ms, .. } => {
                                ctx.client.count_retry();
                                ctx.host.clock.sleep(wait_ms).await;
                                waited += wait_ms;
                                continue;
                            }
                            _ => break,
                        }
                    }
                }
            }
            Err(err) => return Err(e(err)),
        };
        let Some(account) = account else {
            return Err(e(Error::not_yet_visible(
                "migrated, but the new account id was neither in the answer nor found by email yet; re-run to finish",
            )));
        };
        journal_stage(ctx, w, id, email, Stage::Migrated, Some(&account))
            .await
            .map_err(&e)?;
        return Ok(Some(account));
    }
    Err(e(
        last_error.unwrap_or_else(|| Error::request("migrate gave up"))
    ))
}

fn ambiguous(e: &Error) -> bool {
    match e {
        Error::Transport { .. } => true,
        Error::Api { status, .. } => *status >= 500 || *status == 429,
        _ => false,
    }
}

/// Write back, groups and space for a customer whose account is known.
pub(crate) async fn finish(ctx: &Ctx<'_>, w: &Work, mut state: State) -> Result<CustomerReport> {
    let (account, email) = match &state.checked {
        Checked::Account { id, email } => (Some(id.clone()), email.clone()),
        _ => (None, None),
    };
    let rep = &mut state.rep;
    let portal = rep.portal_account_id.clone().map(PortalCustomerId::new);
    let mut done: Vec<String> = state
        .record
        .as_ref()
        .filter(|r| r.account_id.is_some())
        .map(|r| r.done.clone())
        .unwrap_or_default();
    let planned = account.is_none(); // dry run of a portal customer
                                     // The three steps only need the account, so they run side by side: fewer round trips per
                                     // customer, and one failing step does not hold back the others.
    let acc = account.as_ref();
    let (mut d1, mut d2, mut d3) = (done.clone(), done.clone(), done.clone());
    let (wb, gr, sp) = futures::join!(
        write_back(ctx, w, acc, &mut d1),
        add_groups(ctx, acc, &mut d2),
        grant_space(ctx, w, acc, &mut d3)
    );
    for m in d1.into_iter().chain(d2).chain(d3) {
        if !done.contains(&m) {
            done.push(m);
        }
    }
    let mut first_error = None;
    for (slot, r) in [
        (&mut rep.steps.write_back, wb),
        (&mut rep.steps.groups, gr),
        (&mut rep.steps.space, sp),
    ] {
        match r {
            Ok(o) => *slot = o,
            Err(e) => {
                *slot = Outcome::Failed;
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        fail(rep, e);
    }
    if planned {
        return Ok(state.rep);
    }
    if let (Some(p), Some(a)) = (&portal, &account) {
        let key = customer_key(p.as_str());
        let prev: Option<CustomerRecord> = ctx.records.get(&key).await?;
        let rec = CustomerRecord {
            portal_account_id: p.0.clone(),
            job_id: ctx.job_id.clone(),
            // A failure a re-run can fix stays open, so any later run finishes it; a permanent one is
            // closed (its new id is recorded) so it does not fail every unrelated run after it.
            stage: if rep.status == Status::Failed && rep.retryable == Some(true) {
                Stage::Migrated
            } else {
                Stage::Complete
            },
            email: email.or_else(|| prev.as_ref().and_then(|r| r.email.clone())),
            asset_object_id: rep.asset_object_id.clone(),
            company: rep.company.clone(),
            account_id: Some(a.0.clone()),
            migrated_by_job: prev.and_then(|r| r.migrated_by_job),
            done,
            status: Some(rep.status.as_str().into()),
            updated_ms: ctx.now(),
        };
        ctx.records.put_customer(&rec).await?;
    }
    Ok(state.rep)
}

async fn write_back(
    ctx: &Ctx<'_>,
    w: &Work,
    account: Option<&AccountId>,
    done: &mut Vec<String>,
) -> Result<Outcome, StepError> {
    let Some(asset) = &w.asset else {
        return Ok(Outcome::Skipped);
    };
    let Some(account) = account else {
        return Ok(Outcome::Planned);
    };
    if asset.value.as_deref() == Some(account.as_str()) {
        return Ok(Outcome::Already);
    }
    if ctx.dry_run {
        return Ok(Outcome::Planned);
    }
    let e = step_err("writeBack");
    let req = assets::update_attribute(
        &ctx.urls.assets,
        &asset.object,
        &asset.attribute,
        account.as_str(),
    );
    let resp = ctx
        .client
        .send("assets.updateObject", req, RetryClass::Safe)
        .await
        .map_err(&e)?;
    assets::parse_update(&resp).map_err(&e)?;
    done.push("writeBack".into());
    Ok(Outcome::Done)
}

async fn add_groups(
    ctx: &Ctx<'_>,
    account: Option<&AccountId>,
    done: &mut Vec<String>,
) -> Result<Outcome, StepError> {
    if ctx.groups.is_empty() {
        return Ok(Outcome::Skipped);
    }
    let Some(account) = account else {
        return Ok(Outcome::Planned);
    };
    if ctx.dry_run {
        return Ok(Outcome::Planned);
    }
    let e = step_err("groups");
    let mut any_added = false;
    for g in &ctx.groups {
        let mark = format!("group:{g}");
        if done.contains(&mark) {
            continue;
        }
        let added = until_visible(ctx, || async {
            let resp = ctx
                .client
                .send(
                    "groups.addUser",
                    groups::add_user(&ctx.urls.site, g, account),
                    RetryClass::Safe,
                )
                .await?;
            Ok(match groups::parse_add_user(&resp)? {
                groups::Added::Added => Visible::Yes(true),
                groups::Added::AlreadyMember => Visible::Yes(false),
                groups::Added::NotFound(m) => Visible::NotYet(m),
            })
        })
        .await
        .map_err(&e)?;
        any_added |= added;
        done.push(mark);
    }
    Ok(if any_added {
        Outcome::Done
    } else {
        Outcome::Already
    })
}

pub(crate) enum Visible<T> {
    Yes(T),
    NotYet(String),
}

/// Repeats a step that answers 404 for a new account until it is visible, with backoff, for at most
/// `migrate.pollTimeoutMs` (§13).
async fn until_visible<T, F, Fut>(ctx: &Ctx<'_>, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Visible<T>>>,
{
    let until = ctx.now() + ctx.s.config.migrate.poll_timeout_ms;
    let mut wait = 500u64;
    loop {
        match f().await? {
            Visible::Yes(t) => return Ok(t),
            Visible::NotYet(m) => {
                if ctx.now() + wait > until {
                    return Err(Error::not_yet_visible(m));
                }
                ctx.host.clock.sleep(wait).await;
                wait = (wait * 2).min(8_000);
            }
        }
    }
}

async fn grant_space(
    ctx: &Ctx<'_>,
    w: &Work,
    account: Option<&AccountId>,
    done: &mut Vec<String>,
) -> Result<Outcome, StepError> {
    let e = step_err("space");
    let Some(key) = super::sources::space_for(ctx, w.company.as_deref())
        .await
        .map_err(&e)?
    else {
        return Ok(Outcome::Skipped);
    };
    let Some(account) = account else {
        return Ok(Outcome::Planned);
    };
    if ctx.dry_run {
        return Ok(Outcome::Planned);
    }
    if done.iter().any(|d| d == "space") {
        return Ok(Outcome::Already);
    }
    let any = grant_all(ctx, &key, account).await.map_err(&e)?;
    done.push("space".into());
    Ok(if any { Outcome::Done } else { Outcome::Already })
}

/// `read/space` first, then the extra permissions; returns whether anything was newly granted.
async fn grant_all(ctx: &Ctx<'_>, key: &SpaceKey, account: &AccountId) -> Result<bool> {
    let graphql = ctx
        .s
        .config
        .confluence
        .as_ref()
        .is_some_and(|c| c.mode == crate::config::SpaceMode::Graphql);
    let mut ops: Vec<(String, String)> = vec![("read".into(), "space".into())];
    if !graphql {
        ops.extend(
            ctx.s
                .space_permissions
                .iter()
                .filter(|p| !(p.0 == "read" && p.1 == "space"))
                .cloned(),
        );
    }
    let mut any = false;
    for (k, t) in &ops {
        let granted = until_visible(ctx, || async {
            let (req, parse): (
                _,
                fn(&crate::http::HttpResponse) -> Result<confluence::Granted>,
            ) = if graphql {
                (
                    confluence::grant_graphql(&ctx.urls.site, key, account),
                    confluence::parse_grant_graphql,
                )
            } else {
                (
                    confluence::grant(&ctx.urls.site, key, account, (k, t)),
                    confluence::parse_grant,
                )
            };
            let resp = ctx
                .client
                .send("confluence.grant", req, RetryClass::Safe)
                .await?;
            match parse(&resp)? {
                confluence::Granted::Granted => Ok(Visible::Yes(true)),
                confluence::Granted::AlreadyGranted => Ok(Visible::Yes(false)),
                confluence::Granted::NotFound(m) => Ok(Visible::NotYet(m)),
                confluence::Granted::GuestHasOtherSpace(m) => Err(Error::Api {
                    op: "confluence.grant",
                    surface: crate::http::Surface::Confluence,
                    status: resp.status,
                    message: m,
                }),
            }
        })
        .await?;
        any |= granted;
    }
    Ok(any)
}
