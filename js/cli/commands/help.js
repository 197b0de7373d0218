// Usage text.
export const USAGE = `usage: portal-migrate <command> [options]

Moves Jira Service Management portal-only customers to Atlassian accounts, then writes the new id
back to Assets, adds group memberships and grants the company's Confluence space.

commands:
  run --config FILE [sources] [options]   migrate the selected customers
  resume --journal FILE [--config FILE]   finish the unfinished job(s) in a journal
  sim [--port N] [--seed N] [--config-out FILE] [--email E] [--api-token T]
                                          run the Atlassian Cloud simulator until Ctrl-C
  demo                                    migrate the demo companies on an in-process simulator, twice
  doctor --config FILE [--company KEY]    check config, credentials and permissions (read-only)
  help, --help                            this text
  --version                               the version

sources (repeatable; without any, the config's "companies"):
  --company KEY            customers of a company (Assets customerQuery)
  --customer ID_OR_EMAIL   a portal account id (qm:...), account id or email
  --customers-file CSV     ids from a CSV column customer, email, accountId or portalAccountId
                           (else the first column); the first line is the header
  --issue KEY              the issue's reporter; the issue gets a summary comment
  --aql QUERY              customer objects selected by an AQL query
  --portal-customers [--email-domain D]   every portal-only customer (optionally of one domain)

options:
  --dry-run                report what would happen; writes nothing
  --report FILE            the report as JSON
  --report-csv FILE        the report as CSV, one row per customer
  --concurrency N          customers in flight (default: the config's, else 4)
  --journal FILE           default: $PORTAL_MIGRATE_STATE_DIR (or ~/.portal-migrate)/<site>/journal.jsonl
  --max-duration SECONDS   start no customer after this; the rest is left for resume
  --progress auto|bar|json|none   progress on stderr (auto: a bar on a terminal, else none)
  --job-id ID              name the job (default: derived from the request)
  --quiet                  no table, only the summary line

environment:
  ATLASSIAN_EMAIL, ATLASSIAN_API_TOKEN   the credentials (never in the config)
  PORTAL_MIGRATE_TIMEOUT_MS              per-request timeout (default 60000)
  PORTAL_MIGRATE_STATE_DIR               where default journals live

exit codes: 0 done, no failures; 1 a customer failed (or an error); 2 bad usage, config or
secrets; 3 unfinished (run the printed resume command).
`;
