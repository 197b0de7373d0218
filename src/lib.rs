//! portal-migrate: migrate Jira Service Management portal-only customers to Atlassian accounts and
//! finish the job (Assets write-back, groups, Confluence space, issue comment), safely.
//!
//! Every decision lives in this crate; hosts (Forge, a Cloudflare Worker, the Node CLI) supply IO
//! through [`host::Host`]. Modules:
//! - [`ids`] typed ids; [`config`] the configuration and its validation; [`error`] the error type;
//! - [`http`] request/response values and the `Transport` trait; [`api`] one module per surface;
//! - [`page`] paging; [`retry`] the retry policy; [`limiter`] per-surface concurrency;
//! - [`client`] sends with retries and limits; [`journal`] the durable record of a job;
//! - [`engine`] runs a job; [`report`] its results.

pub mod api;
pub mod client;
pub mod config;
pub mod doctor;
pub mod engine;
pub mod error;
pub mod host;
pub mod http;
pub mod ids;
pub mod journal;
pub mod limiter;
pub mod names;
pub mod page;
pub mod report;
pub mod retry;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use config::{Config, Settings};
pub use engine::{run, MigrationRequest, Outcome};
pub use error::{Error, Result};
