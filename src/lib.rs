//! portal-migrate: migrate Jira Service Management portal-only customers to Atlassian accounts and
//! finish the job (Assets write-back, groups, Confluence space, issue comment), safely.
//!
//! Every decision lives in this crate; hosts (Forge, a Cloudflare Worker, the Node CLI) supply IO
//! through [`host::Host`]. Modules, from the bottom up:
//! - [`ids`] typed ids; [`error`] the error type; [`http`] request/response values and `Transport`;
//!   [`page`] what a page of a listing says; [`names`] "did you mean"; [`origin`] the URL rule;
//! - [`api`] one [`api::Op`] per Atlassian call, per surface;
//! - [`client`] the only place that sends, retries, waits, polls and walks pages;
//! - [`config`] the configuration; [`journal`] the durable record of a job; [`report`] its results;
//! - [`engine`] runs a job; [`doctor`] checks a config; [`jobs`] what hosts decide about jobs;
//!   [`advice`] a plain sentence and a fix for each Atlassian error an admin can meet.

pub mod advice;
pub mod api;
pub mod client;
pub mod config;
pub mod doctor;
pub mod engine;
pub mod error;
pub mod host;
pub mod http;
pub mod ids;
pub mod jobs;
pub mod journal;
pub mod names;
pub mod origin;
pub mod page;
pub mod redact;
pub mod report;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use config::{Config, Settings};
pub use engine::{run, MigrationRequest, Outcome};
pub use error::{Error, Result};
