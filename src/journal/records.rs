//! The journal's records and their keys: `job/{jobId}` → [`JobRecord`], `customer/{portalId}` →
//! [`CustomerRecord`] (keyed by the portal id, not the job, so every later job sees an earlier job's
//! intent), `account/{accountId}` → the portal id it was migrated from.

use crate::ids::{AccountId, GroupId, IssueKey, JobId, ObjectId, PortalCustomerId};
use crate::report::Status;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub job_id: JobId,
    /// The request as given, so `resume` can run it again.
    pub request: serde_json::Value,
    pub started_ms: u64,
    pub finished: bool,
    #[serde(default)]
    pub comment: Option<CommentRecord>,
    /// Why the job ended without finishing its customers (it failed before anything irreversible
    /// happened, or an admin discarded it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<JobEnd>,
    /// How many customers the sources selected, written once they are collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected: Option<usize>,
}

/// How a job ended early.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum JobEnd {
    /// Failed before any irreversible call: nothing to resume.
    Failed { error: String },
    /// Discarded by an admin.
    #[serde(rename_all = "camelCase")]
    Discarded { at_ms: u64 },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentRecord {
    pub issue: IssueKey,
    pub state: CommentState,
    #[serde(default)]
    pub id: Option<String>,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The issue comment is journaled `Sending` before the POST and `Posted` after; `Failed` when Jira
/// refused it (it was not posted, so the next run may send it again).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommentState {
    Sending,
    Posted,
    Failed,
}

/// How far a customer got. Written before migrate (`Intent`), right after (`Migrated`), after the
/// later steps, and `Complete` at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Stage {
    Intent,
    Migrated,
    Complete,
}

/// A step finished after migrate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Done {
    WriteBack,
    Group(GroupId),
    Space,
}

impl Serialize for Done {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Done::WriteBack => s.serialize_str("writeBack"),
            Done::Group(g) => s.serialize_str(&format!("group:{g}")),
            Done::Space => s.serialize_str("space"),
        }
    }
}

impl<'de> Deserialize<'de> for Done {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "writeBack" => Ok(Done::WriteBack),
            "space" => Ok(Done::Space),
            _ => match s.strip_prefix("group:") {
                Some(g) => Ok(Done::Group(GroupId::new(g))),
                None => Err(serde::de::Error::custom(format!("unknown step {s:?}"))),
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerRecord {
    pub portal_account_id: PortalCustomerId,
    pub job_id: JobId,
    pub stage: Stage,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub asset_object_id: Option<ObjectId>,
    #[serde(default)]
    pub company: Option<String>,
    /// The space the request named for it, kept for the runs that finish it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub space: Option<String>,
    #[serde(default)]
    pub account_id: Option<AccountId>,
    /// The job whose migrate call made the account (vs. found it already migrated).
    #[serde(default)]
    pub migrated_by_job: Option<JobId>,
    #[serde(default)]
    pub done: Vec<Done>,
    #[serde(default)]
    pub status: Option<Status>,
    pub updated_ms: u64,
}

impl CustomerRecord {
    /// Finished by this job earlier (a continuation reports it without calling Atlassian again).
    pub fn finished_by(&self, job: &JobId) -> bool {
        self.stage == Stage::Complete && &self.job_id == job && self.status != Some(Status::Failed)
    }
}

pub fn job_key(job_id: &JobId) -> String {
    format!("job/{job_id}")
}

pub fn customer_key(portal_id: &PortalCustomerId) -> String {
    format!("customer/{portal_id}")
}

pub fn account_key(account_id: &AccountId) -> String {
    format!("account/{account_id}")
}

pub const JOB_PREFIX: &str = "job/";
pub const CUSTOMER_PREFIX: &str = "customer/";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_steps_keep_their_journal_spelling() {
        let d = vec![
            Done::WriteBack,
            Done::Group(GroupId::new("g-1")),
            Done::Space,
        ];
        let text = serde_json::to_string(&d).unwrap();
        assert_eq!(text, r#"["writeBack","group:g-1","space"]"#);
        assert_eq!(serde_json::from_str::<Vec<Done>>(&text).unwrap(), d);
        assert!(serde_json::from_str::<Done>(r#""nope""#).is_err());
    }

    #[test]
    fn comment_state_is_lower_case() {
        assert_eq!(
            serde_json::to_string(&CommentState::Posted).unwrap(),
            r#""posted""#
        );
    }
}
