//! One customer's pipeline: `check` → `migrate` → `finish` (write back, groups, space side by side).
//! Every step is check-before-act, journaled (`engine::records`), and treats Atlassian's "already
//! done" answers as success. `comment` runs once per job.

pub(crate) mod check;
pub(crate) mod comment;
pub(crate) mod finish;
pub(crate) mod migrate;

use super::ctx::Ctx;
use super::work::Work;
use super::{lease, records};
use crate::error::{Error, Result};
use crate::ids::{AccountId, CustomerRef, PortalCustomerId};
use crate::journal::CustomerRecord;
use crate::report::{CustomerReport, Outcome, Status, Step, Steps};

/// What `check` found.
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
    pub step: Step,
    pub error: Error,
}

pub(crate) fn step_err(step: Step) -> impl Fn(Error) -> StepError {
    move |error| StepError { step, error }
}

/// A customer after `check::begin`: its report so far and what `check` found.
pub(crate) struct State {
    pub rep: CustomerReport,
    pub checked: Checked,
    pub record: Option<CustomerRecord>,
    /// Nothing left to do (skipped, failed check, or finished earlier in this job).
    pub finished: bool,
}

impl State {
    pub fn done(rep: CustomerReport, record: Option<CustomerRecord>) -> Self {
        State {
            rep,
            checked: Checked::Skip(String::new()),
            record,
            finished: true,
        }
    }

    /// This job's migrate made `account`: report it and carry on with the account.
    pub fn migrated(&mut self, ctx: &Ctx<'_>, account: AccountId, email: Option<String>) {
        // Another source may name the same customer by its new account.
        ctx.claims.claim(account.as_str());
        self.rep.account_id = Some(account.clone());
        self.rep.status = Status::Migrated;
        self.rep.steps.migrate = Outcome::Done;
        self.checked = Checked::Account { id: account, email };
    }

    pub fn fail(&mut self, e: StepError) {
        fail(&mut self.rep, e);
    }
}

pub(crate) fn new_report(w: &Work) -> CustomerReport {
    let (portal, account) = match &w.reference {
        Some(CustomerRef::Portal(p)) => (Some(p.clone()), None),
        Some(CustomerRef::Account(a)) => (None, Some(a.clone())),
        _ => (None, None),
    };
    CustomerReport {
        portal_account_id: portal,
        account_id: account,
        email: w.email.clone(),
        company: w.company.clone(),
        asset_object_id: w.asset.as_ref().map(|a| a.object.clone()),
        source: w.source.clone(),
        status: Status::Skipped,
        steps: Steps::default(),
        failed_step: None,
        error: None,
        retryable: None,
        space: None,
        notes: Vec::new(),
        plan: None,
    }
}

pub(crate) fn fail(rep: &mut CustomerReport, e: StepError) {
    rep.status = Status::Failed;
    rep.failed_step = Some(e.step);
    rep.retryable = Some(e.error.retryable());
    // A plain sentence and a fix next to Atlassian's own message (`advice.rs`).
    rep.error = Some(crate::advice::explain(&e.error));
    *rep.steps.get_mut(e.step) = Outcome::Failed;
}

/// What became of one work item.
// Short-lived (one per customer, consumed at once): boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Processed {
    Done(CustomerReport),
    /// Not started: the deadline came first.
    Unstarted,
    /// Another source already yields this customer.
    Duplicate,
}

/// Runs one customer through every step (single mode).
pub(crate) async fn process(ctx: &Ctx<'_>, w: Work) -> Result<Processed> {
    if ctx.stopped() {
        return Ok(Processed::Unstarted);
    }
    lease::keep_job(ctx).await?;
    // A customer this job already finished costs no API call, so the deadline does not hold it back.
    if !ctx.may_start() && !records::finished_in_this_job(ctx, &w).await? {
        return Ok(Processed::Unstarted);
    }
    let started = ctx.now();
    let Some(mut state) = check::begin(ctx, &w).await? else {
        return Ok(Processed::Duplicate);
    };
    if state.finished {
        ctx.customer_done(&state.rep, started);
        return Ok(Processed::Done(state.rep));
    }
    if let Checked::Portal { id, email } = &state.checked {
        let (id, email) = (id.clone(), email.clone());
        match migrate::single(ctx, &w, &id, email.as_deref()).await {
            Ok(Some(account)) => state.migrated(ctx, account, email),
            Ok(None) => {
                state.rep.status = Status::Planned;
                state.rep.steps.migrate = Outcome::Planned;
            }
            Err(migrate::Failure::Job(e)) => {
                ctx.stop(e.clone());
                return Err(e);
            }
            Err(migrate::Failure::Step(e)) => {
                state.fail(e);
                if state.rep.retryable == Some(false) {
                    records::close_failed(ctx, &id, &state.rep).await?;
                }
                ctx.customer_done(&state.rep, started);
                return Ok(Processed::Done(state.rep));
            }
        }
    }
    let rep = finish::finish(ctx, &w, state).await?;
    ctx.customer_done(&rep, started);
    Ok(Processed::Done(rep))
}
