//! What `lookup` read ahead for the customers about to run, kept in the run's `Ctx` until each
//! one's `check` takes it. Data only (no calls), so the context does not depend on the lookups.

use crate::api::users::User;
use crate::ids::CustomerRef;
use crate::journal::CustomerRecord;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// What was read ahead for one customer: its journal record, and its account when listed.
pub(crate) struct Ahead {
    pub record: Option<CustomerRecord>,
    pub user: Option<User>,
}

#[derive(Default)]
pub(crate) struct Lookups {
    /// By portal or account id; taken by `check`. At most a few groups (see `read_ahead`).
    pub ahead: RefCell<HashMap<String, Ahead>>,
    /// A bulk answer listed a portal-only customer: this site's bulk lookup lists them, so an id
    /// it listed as a customer and omits later no longer reads as one.
    pub lists_customers: Cell<bool>,
    /// Failed bulk lookups; a 4xx, or a third failure, turns them off (one by one from then on).
    pub failures: Cell<u32>,
    pub off: Cell<bool>,
}

impl Lookups {
    pub fn take(&self, r: &CustomerRef) -> Option<Ahead> {
        self.ahead.borrow_mut().remove(key(r)?)
    }

    pub fn lists_customers(&self) -> bool {
        self.lists_customers.get()
    }
}

pub(crate) fn key(r: &CustomerRef) -> Option<&str> {
    match r {
        CustomerRef::Portal(p) => Some(p.as_str()),
        CustomerRef::Account(a) => Some(a.as_str()),
        CustomerRef::Email(_) => None,
    }
}
