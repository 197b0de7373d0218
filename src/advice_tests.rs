use super::*;
use crate::api::{assets, comments, confluence, groups, tenant, Urls};
use crate::http::Surface;
use crate::ids::{AccountId, GroupId, IssueKey, ObjectId, SpaceKey};

fn api(op: &'static str, status: u16, message: &str) -> Error {
    Error::Api {
        op,
        surface: Surface::Jira,
        status,
        message: message.into(),
    }
}

fn not_visible(op: &'static str) -> Error {
    Error::NotYetVisible {
        op,
        surface: Surface::Jira,
        message: "User not found".into(),
    }
}

/// One error per row, each with the sentence it must get: every row is reachable (none is
/// shadowed by an earlier one) and says what it should.
fn examples() -> Vec<(Error, &'static str)> {
    let guest = "com.atlassian.confluence.api.service.exceptions.BadRequestException: Cannot grant space permission: guest already has a space assigned: GLX";
    vec![
        (
            api("confluence.grant", 400, guest),
            "This customer is a Confluence guest",
        ),
        (
            api(
                "confluence.grantGraphql",
                200,
                "the GUEST already has a space",
            ),
            "This customer is a Confluence guest",
        ),
        (
            api("confluence.grant", 403, "no"),
            "The service account may not manage the company's Confluence space",
        ),
        (
            api(
                "confluence.findSpace",
                404,
                "space GLX not found or not visible to the account",
            ),
            "The company's Confluence space does not exist",
        ),
        (
            not_visible("confluence.grant"),
            "Confluence does not see the new account yet",
        ),
        (
            api("groups.addUser", 403, "You must be a site administrator"),
            "Adding group members needs a site admin",
        ),
        (
            not_visible("groups.addUser"),
            "The new account is not in the organization's directory yet",
        ),
        (
            api("customers.bulkMigrate", 403, ""),
            "Migrating portal-only customers needs an organization admin",
        ),
        (
            api("customers.migrate", 401, ""),
            "Migrating portal-only customers needs an organization admin",
        ),
        (
            api("customers.migrate", 404, "No local customer found"),
            "No portal-only customer has this id",
        ),
        (
            api("customers.migrate", 400, "qm:1 is not a local customer"),
            "Atlassian refused to migrate",
        ),
        (
            api("customers.bulkMigrate", 422, ""),
            "Atlassian refused to migrate",
        ),
        (not_visible("users.search"), "The migration was accepted"),
        (
            api("users.get", 404, "account qm:1 not found"),
            "No Jira account has this id",
        ),
        (
            api("users.search", 403, ""),
            "The service account may not look up users",
        ),
        (
            api("assets.updateObject", 400, ""),
            "Assets refused to store the new account id",
        ),
        (
            api("assets.getObject", 404, "Object with id 7 was not found"),
            "The customer's Assets object no longer exists",
        ),
        (
            Error::decode(
                "assets.getObject",
                "Assets does not show the new value in attribute 91 (it holds None)",
            ),
            "Assets accepted the new account id but does not hold it",
        ),
        (
            api("assets.search", 403, ""),
            "The service account may not use Assets",
        ),
        (
            api("comments.add", 413, ""),
            "The issue has reached Jira's limit of comments",
        ),
        (
            api(
                "assets.workspace",
                401,
                "Client must be authenticated to access this resource.",
            ),
            "Atlassian refused the credentials (HTTP 401)",
        ),
        (
            api("groups.find", 403, ""),
            "Atlassian refused the service account this call (HTTP 403)",
        ),
        (
            api("groups.addUser", 409, ""),
            "Atlassian reported a conflict",
        ),
        (
            api("customers.bulkMigrate", 413, ""),
            "Atlassian refused the request as too large",
        ),
        (
            api(
                "users.get",
                429,
                "rate limited until 2026-01-01T00:00:00Z; re-run after that",
            ),
            "Atlassian's rate limit did not lift",
        ),
        (
            api("assets.search", 503, ""),
            "Atlassian had a temporary error",
        ),
        (
            not_visible("comments.list"),
            "Atlassian does not show a change yet",
        ),
        (
            Error::Transport {
                op: "users.get",
                surface: Surface::Jira,
                message: "ECONNRESET".into(),
            },
            "The network failed before Atlassian answered",
        ),
    ]
}

#[test]
fn every_row_says_what_it_should_and_none_is_shadowed() {
    let mut hit = vec![false; ROWS.len()];
    for (e, sentence) in examples() {
        let i = row_of(&e).unwrap_or_else(|| panic!("no row for {e}"));
        assert!(
            ROWS[i].advice.sentence.starts_with(sentence),
            "{e}: got {:?}",
            ROWS[i].advice.sentence
        );
        hit[i] = true;
    }
    let missed: Vec<&str> = ROWS
        .iter()
        .zip(&hit)
        .filter(|(_, h)| !**h)
        .map(|(r, _)| r.advice.sentence)
        .collect();
    assert!(missed.is_empty(), "rows without an example: {missed:?}");
}

#[test]
fn the_report_text_keeps_atlassians_message() {
    let e = api("groups.addUser", 403, "You must be a site administrator (a member of the site-admins group) to add users to groups.");
    assert_eq!(
        explain(&e),
        "Adding group members needs a site admin, and the service account is not one. Fix: make the service account a site admin (admin.atlassian.com → Directory → Users), then re-run. (Atlassian: groups.addUser (jira): HTTP 403: You must be a site administrator (a member of the site-admins group) to add users to groups.)"
    );
    let e = Error::Transport {
        op: "users.get",
        surface: Surface::Jira,
        message: "ECONNRESET".into(),
    };
    assert!(
        explain(&e).ends_with(". (detail: users.get (jira): ECONNRESET)"),
        "{}",
        explain(&e)
    );
}

#[test]
fn an_error_without_a_row_passes_through_unchanged() {
    for e in [
        api(
            "assets.search",
            400,
            "AQL: the attribute \"Emial\" does not exist",
        ),
        api(
            "issues.get",
            404,
            "Issue does not exist or you do not have permission to see it.",
        ),
        api("confluence.grant", 400, "Permission already exists"),
        Error::request("no portal-only customer or Atlassian account has the email x@y"),
        Error::config("$.groups[0]", "must not be empty"),
        Error::Busy {
            message: "held".into(),
        },
        Error::decode("users.get", "expected a user"),
    ] {
        assert_eq!(advise(&e), None, "{e}");
        assert_eq!(explain(&e), e.to_string());
    }
}

#[test]
fn credentials_are_the_kind_hosts_switch_on() {
    let kind = |e: Error| advise(&e).map(|a| a.kind.as_str());
    assert_eq!(kind(api("assets.workspace", 401, "")), Some("credentials"));
    assert_eq!(kind(api("customers.list", 403, "")), Some("credentials"));
    assert_eq!(kind(api("assets.search", 500, "")), Some("transient"));
    assert_eq!(kind(api("customers.migrate", 400, "")), Some("action"));
    assert_eq!(
        advise(&api("assets.workspace", 401, "")).unwrap().fix,
        CREDENTIALS_FIX
    );
}

/// The table names ops by string where the api module has no constant: they must be real names.
#[test]
fn the_ops_the_table_names_exist() {
    let urls = Urls::new("https://s", "https://a", "https://p", "c", "w");
    let (key, acc) = (SpaceKey::new("K"), AccountId::new("a"));
    let real = [
        confluence::grant("https://s", &key, &acc, ("read", "space")).name,
        confluence::grant_graphql("https://s", &key, &acc).name,
        confluence::find_space("https://s", &key).name,
        confluence::space_permissions("https://s", "1", None).name,
        groups::add_user("https://s", &GroupId::new("g"), &acc).name,
        assets::update_attribute(
            &urls,
            &ObjectId::new("1"),
            None,
            &crate::ids::AttributeId::new("9"),
            "v",
        )
        .name,
        assets::object(&urls, &ObjectId::new("1")).name,
        comments::add("https://s", &IssueKey::new("S-1"), &[], true).name,
        assets::search(&urls, "x", 0, 1).name,
        tenant::workspace("https://s").name,
    ];
    for r in ROWS {
        for op in r.ops {
            let known = real
                .iter()
                .any(|n| n == op || (op.ends_with('.') && n.starts_with(op)))
                || MIGRATE.contains(op)
                || USERS.contains(op);
            assert!(known, "{op} is not an op name");
        }
    }
}
