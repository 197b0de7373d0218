//! Plain words for the Atlassian errors an admin can meet: one table, keyed by the call (the op's
//! name, which also names the step), what went wrong (an HTTP status, "not visible yet", the
//! network) and, where Atlassian's text is known, a fragment of it. The report's error and the
//! hosts' job errors read it; Atlassian's own message is always kept next to it.
//!
//! Rows are tried in order, the most specific first. A row that relies on a status or a text
//! Atlassian sends cites where that is written down; where nothing is, it says so and matches the
//! status only.

use crate::error::Error;

/// What kind of fix an error needs. Hosts switch on it (`as_str`): the CLI exits 2 for credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The credentials, or the service account's rights: nothing runs until they are fixed.
    Credentials,
    /// Temporary: a later run finishes it, nothing is lost.
    Transient,
    /// Something about this customer, the site or the config.
    Action,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Credentials => "credentials",
            Kind::Transient => "transient",
            Kind::Action => "action",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Advice {
    /// What happened, in plain words (no final period).
    pub sentence: &'static str,
    /// What to do (no final period).
    pub fix: &'static str,
    pub kind: Kind,
}

/// The fix for refused credentials; doctor's "credentials valid" check says the same.
pub const CREDENTIALS_FIX: &str = "set ATLASSIAN_EMAIL and ATLASSIAN_API_TOKEN to an admin's email and a classic API token (https://id.atlassian.com/manage-profile/security/api-tokens)";

/// The advice for `e`, if the table has a row for it.
pub fn advise(e: &Error) -> Option<Advice> {
    row_of(e).map(|i| ROWS[i].advice)
}

/// The text a report shows for `e`: "<sentence>. Fix: <fix>. (Atlassian: <e>)", or `e` itself when
/// the table has no row for it.
pub fn explain(e: &Error) -> String {
    match advise(e) {
        Some(a) => format!("{}. Fix: {}. ({}: {e})", a.sentence, a.fix, source(e)),
        None => e.to_string(),
    }
}

/// Whose words the detail is: Atlassian's answer, or what the client saw.
pub fn source(e: &Error) -> &'static str {
    if e.status().is_some() {
        "Atlassian"
    } else {
        "detail"
    }
}

/// What went wrong, as the table matches it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum On {
    /// An answer with a status in this range.
    Status(u16, u16),
    /// An answer with one of these statuses.
    Codes(&'static [u16]),
    /// A change Atlassian made is not visible yet after every wait.
    NotVisible,
    /// The network failed after every retry.
    Network,
    /// A 2xx answer that does not show what it should.
    Unreadable,
}

struct Row {
    /// Op names (`groups.addUser`), or prefixes ending in '.' (`assets.`); empty: any call.
    ops: &'static [&'static str],
    on: On,
    /// Lower-case fragments of the message, any of which matches; empty: any message.
    text: &'static [&'static str],
    advice: Advice,
}

const fn row(
    ops: &'static [&'static str],
    on: On,
    text: &'static [&'static str],
    sentence: &'static str,
    fix: &'static str,
    kind: Kind,
) -> Row {
    Row {
        ops,
        on,
        text,
        advice: Advice {
            sentence,
            fix,
            kind,
        },
    }
}

const GRANT: &[&str] = &["confluence.grant", "confluence.grantGraphql"];
const SPACE: &[&str] = &[
    "confluence.grant",
    "confluence.grantGraphql",
    "confluence.findSpace",
    "confluence.spacePermissions",
];
const MIGRATE: &[&str] = &[
    crate::api::customers::MIGRATE,
    crate::api::customers::BULK_MIGRATE,
];
const USERS: &[&str] = &[crate::api::users::GET, crate::api::users::SEARCH];
const OBJECT: &[&str] = &["assets.updateObject", crate::api::assets::GET_OBJECT];
const ANY: &[&str] = &[];

use Kind::{Action, Credentials, Transient};
use On::{Codes, Network, NotVisible, Status, Unreadable};

const ROWS: &[Row] = &[
    // CONFCLOUD-74916 (Atlassian PM): "the space permission endpoint will return an error if the
    // guest user already has a space assigned" (atlassian-api.md §7.3); the exact text is not
    // published, so any message naming a guest or an assigned space (`api::confluence::classify`).
    row(
        GRANT,
        Status(200, 499),
        &["guest", "assigned"],
        "This customer is a Confluence guest who already has another space, and a guest can have one space only",
        "remove the guest from its other space, or give the account a Confluence licence, then re-run",
        Action,
    ),
    // v1 space permissions need 'Admin' permission for the space (developer.atlassian.com/cloud/
    // confluence/rest/v1/api-group-space-permissions/, §7.1); the 403 text is not published.
    row(
        SPACE,
        Status(403, 403),
        ANY,
        "The service account may not manage the company's Confluence space",
        "make the service account an admin of that space (Space settings → Permissions), then re-run",
        Credentials,
    ),
    // Our own 404 after `GET /wiki/api/v2/spaces?keys=` found nothing (§7.2).
    row(
        SPACE,
        Status(404, 404),
        ANY,
        "The company's Confluence space does not exist, or the service account cannot see it",
        "check the configured space key, and that the service account can view that space",
        Action,
    ),
    // §13: a new account may be invisible to Confluence for a while (assumed; no source).
    row(
        GRANT,
        NotVisible,
        ANY,
        "Confluence does not see the new account yet",
        "re-run later to finish the space; nothing is done twice",
        Transient,
    ),
    // "Permissions required: Site administration (that is, member of the site-admin group)"
    // (developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-groups/
    // #api-rest-api-3-group-user-post, §4.5); the 403 text is not published.
    row(
        &["groups.addUser"],
        Status(403, 403),
        ANY,
        "Adding group members needs a site admin, and the service account is not one",
        "make the service account a site admin (admin.atlassian.com → Directory → Users), then re-run",
        Credentials,
    ),
    // KB "How to add uninvited users to groups using REST API on Atlassian Cloud"
    // (confluence.atlassian.com/cloudkb/...-1384125493.html): an account not yet in the org
    // directory gets 404 "User not found"; `finish` polls it, then reports it as not visible.
    row(
        &["groups.addUser"],
        NotVisible,
        ANY,
        "The new account is not in the organization's directory yet, so Jira cannot add it to the group",
        "re-run later; if it stays, invite the account in admin.atlassian.com (Directory → Users), then re-run",
        Transient,
    ),
    // Only org admins (or site admins, in the original user management) may migrate: support page
    // "Migrate a portal-only customer to Atlassian account" (§2.5). The route is undocumented: its
    // statuses and texts are unknown (§2.2), so 401/403 on it, whatever the text.
    row(
        MIGRATE,
        Status(401, 403),
        ANY,
        "Migrating portal-only customers needs an organization admin, and the service account is not one",
        "use the email and API token of an org admin (admin.atlassian.com → Settings → Administrators), then re-run",
        Credentials,
    ),
    // Unknown id (assumed 404, §13), checked against the old id before it is believed (`migrate`).
    row(
        MIGRATE,
        Status(404, 404),
        ANY,
        "No portal-only customer has this id any more",
        "check the id in the source (the Assets attribute, --customer or the CSV)",
        Action,
    ),
    // The refusals `api::customers` reads as "not a local customer" (assumed, §2.2, §13) that the
    // check of the old id and the email did not settle; texts unknown.
    row(
        MIGRATE,
        Codes(&[400, 409, 422]),
        ANY,
        "Atlassian refused to migrate this portal-only customer",
        "migrate it once in admin.atlassian.com (Jira Service Management → Portal-only customers → Migrate to Atlassian account) to see why, then re-run",
        Action,
    ),
    // §13: the migration was accepted but the new account is not found in time.
    row(
        USERS,
        NotVisible,
        ANY,
        "The migration was accepted, but Atlassian does not show the new account yet",
        "re-run later to finish; nobody is migrated twice",
        Transient,
    ),
    // `GET /rest/api/3/user` 404 "not found" (SPEC-JIRA, §4.1); `check` words the message.
    row(
        USERS,
        Status(404, 404),
        ANY,
        "No Jira account has this id",
        "check the id given (a portal-only id starts with qm:) or the value held in assets.portalAccountAttribute",
        Action,
    ),
    // 403: "needs Browse users and groups" (SPEC-JIRA, §4.1); text not published.
    row(
        USERS,
        Status(403, 403),
        ANY,
        "The service account may not look up users",
        "give it the Browse users and groups global permission (site admins have it), then re-run",
        Credentials,
    ),
    // `PUT /object/{id}`: 400 is documented, with no body (SPEC-ASSETS, §3.5): status only.
    row(
        &["assets.updateObject"],
        Status(400, 400),
        ANY,
        "Assets refused to store the new account id",
        "check assets.portalAccountAttribute: it must be an editable text attribute of the customer's object type",
        Action,
    ),
    // 404 documented for `GET|PUT /object/{id}` (SPEC-ASSETS, §3.5).
    row(
        OBJECT,
        Status(404, 404),
        ANY,
        "The customer's Assets object no longer exists",
        "check the object in Assets, then re-run",
        Action,
    ),
    // Our own check of the answer or the read-back (`assets::shows`).
    row(
        OBJECT,
        Unreadable,
        &["does not show the new value"],
        "Assets accepted the new account id but does not hold it",
        "check assets.portalAccountAttribute: it must be an editable text attribute (not a user or reference attribute)",
        Action,
    ),
    // 401/403 are documented for the Assets calls (SPEC-ASSETS, §3.1–3.5); texts not published.
    row(
        &["assets."],
        Status(403, 403),
        ANY,
        "The service account may not use Assets, or not this object schema",
        "give the service account a role on the customer object schema that may edit objects, then re-run",
        Credentials,
    ),
    // "413 (per-issue limit on comments or attachments reached)" (SPEC-JIRA comment POST, §8).
    row(
        &["comments.add"],
        Status(413, 413),
        ANY,
        "The issue has reached Jira's limit of comments",
        "set comment.enabled to false, or use another issue",
        Action,
    ),
    // Any call: 401 means the credentials themselves (every surface, §1); the text varies.
    row(
        ANY,
        Status(401, 401),
        ANY,
        "Atlassian refused the credentials (HTTP 401)",
        CREDENTIALS_FIX,
        Credentials,
    ),
    row(
        ANY,
        Status(403, 403),
        ANY,
        "Atlassian refused the service account this call (HTTP 403)",
        "use a service account that is an org admin and a site admin (README: Pointing it at a real site), then re-run",
        Credentials,
    ),
    // 409 is documented for none of these calls (§4, §7): status only.
    row(
        ANY,
        Status(409, 409),
        ANY,
        "Atlassian reported a conflict with a change made at the same time",
        "re-run: every step looks before it acts",
        Action,
    ),
    // 413 beyond comments: not documented for these calls; a request too large to accept.
    row(
        ANY,
        Status(413, 413),
        ANY,
        "Atlassian refused the request as too large",
        "lower migrate.batchSize, then re-run",
        Action,
    ),
    // developer.atlassian.com/cloud/jira/platform/rate-limiting (§9): 429 with Retry-After.
    row(
        ANY,
        Status(429, 429),
        ANY,
        "Atlassian's rate limit did not lift within the retry budget",
        "re-run later, nothing is lost; a lower concurrency makes it rarer",
        Transient,
    ),
    row(
        ANY,
        Status(500, 599),
        ANY,
        "Atlassian had a temporary error",
        "re-run later, nothing is lost",
        Transient,
    ),
    row(
        ANY,
        NotVisible,
        ANY,
        "Atlassian does not show a change yet",
        "re-run later to finish, nothing is done twice",
        Transient,
    ),
    row(
        ANY,
        Network,
        ANY,
        "The network failed before Atlassian answered",
        "re-run later; if it persists, check the network or proxy",
        Transient,
    ),
];

/// The first row matching `e`.
fn row_of(e: &Error) -> Option<usize> {
    let (op, on, message) = match e {
        Error::Api {
            op,
            status,
            message,
            ..
        } => (*op, Status(*status, *status), message),
        Error::NotYetVisible { op, message, .. } => (*op, NotVisible, message),
        Error::Transport { op, message, .. } => (*op, Network, message),
        Error::Decode { op, message } => (*op, Unreadable, message),
        _ => return None,
    };
    let message = message.to_ascii_lowercase();
    ROWS.iter().position(|r| {
        let op_ok = r.ops.is_empty()
            || r.ops
                .iter()
                .any(|o| *o == op || (o.ends_with('.') && op.starts_with(o)));
        let on_ok = match (r.on, on) {
            (Status(lo, hi), Status(s, _)) => (lo..=hi).contains(&s),
            (Codes(c), Status(s, _)) => c.contains(&s),
            (a, b) => a == b,
        };
        let text_ok = r.text.is_empty() || r.text.iter().any(|t| message.contains(t));
        op_ok && on_ok && text_ok
    })
}

#[cfg(test)]
#[path = "advice_tests.rs"]
mod tests;
