//! The report as CSV: one row per customer, formula-safe for spreadsheets.

use super::{CustomerReport, Report};

/// The CSV's first line (with its newline).
pub const CSV_HEADER: &str = "portal_account_id,account_id,email,company,asset_object_id,status,failed_step,error,migrate,write_back,groups,space,space_key,retryable,next,notes\n";

impl Report {
    /// One row per customer: old id, new id, email, company, status, failed step, error; then each
    /// step's outcome, the space, whether a re-run can fix a failure, and what to do next.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(CSV_HEADER);
        for c in &self.customers {
            out.push_str(&c.csv_line());
        }
        out
    }
}

impl CustomerReport {
    /// This customer's CSV row (with its newline), in `CSV_HEADER`'s columns.
    pub fn csv_line(&self) -> String {
        let c = self;
        let retryable = match c.retryable {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        };
        let (next, notes) = (c.next(), c.notes.join("; "));
        let row = [
            c.portal_account_id.as_ref().map_or("", |x| x.as_str()),
            c.account_id.as_ref().map_or("", |x| x.as_str()),
            c.email.as_deref().unwrap_or(""),
            c.company.as_deref().unwrap_or(""),
            c.asset_object_id.as_ref().map_or("", |x| x.as_str()),
            c.status.as_str(),
            c.failed_step.map_or("", |s| s.as_str()),
            c.error.as_deref().unwrap_or(""),
            c.steps.migrate.as_str(),
            c.steps.write_back.as_str(),
            c.steps.groups.as_str(),
            c.steps.space.as_str(),
            c.space.as_deref().unwrap_or(""),
            retryable,
            &next,
            &notes,
        ];
        let mut out = row.iter().map(|f| field(f)).collect::<Vec<_>>().join(",");
        out.push('\n');
        out
    }
}

/// Quotes a CSV field when needed; a leading `=`, `+`, `-`, `@`, tab or carriage return is prefixed
/// with `'` so a spreadsheet does not run it as a formula (OWASP "CSV injection").
fn field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_string()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::row;
    use super::super::*;
    use super::field;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let r = Report {
            customers: vec![row(Status::Failed, Some("=HYPERLINK(\"x\"), bad"))],
            ..Report::default()
        };
        let csv = r.to_csv();
        let line = csv.lines().nth(1).unwrap();
        assert_eq!(field("\t=1+2"), "'\t=1+2");
        assert_eq!(field("\r=1"), "\"'\r=1\"");
        assert_eq!(
            line,
            "qm:1,712020:a,a@b.example,ACME,88,failed,groups,\"'=HYPERLINK(\"\"x\"\"), bad\",pending,pending,pending,pending,,,\"fix the cause in the error, then re-run\","
        );
    }
}
