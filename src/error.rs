//! The crate's one error type. Each variant says when it happens and whether a re-run can help.

use crate::http::Surface;
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is invalid; `path` is the JSON path of the offending value. Fix the config.
    Config { path: String, message: String },
    /// The migration request (customers, issue, flags) is invalid. Fix the request.
    Request { message: String },
    /// Atlassian answered with a status the step cannot accept. Re-running helps only for 5xx/429.
    Api {
        op: &'static str,
        surface: Surface,
        status: u16,
        message: String,
    },
    /// The request failed below HTTP (reset, timeout, DNS) after every allowed retry. A re-run may help.
    Transport {
        op: &'static str,
        surface: Surface,
        message: String,
    },
    /// Atlassian answered 2xx with a body the client cannot read. Re-running will not help.
    Decode { op: &'static str, message: String },
    /// Something Atlassian did is not visible yet (a new account, §13) after every allowed wait; a
    /// later run will see it.
    NotYetVisible {
        op: &'static str,
        surface: Surface,
        message: String,
    },
    /// An undocumented route this job needs answered 404 for a customer that exists: the route is gone
    /// (or moved) on this site. The job stops with nothing closed, so it can be resumed once fixed.
    Unavailable {
        op: &'static str,
        surface: Surface,
        message: String,
    },
    /// Another run holds what this one needs (the job, or a customer's migrate). A re-run later helps.
    Busy { message: String },
    /// A listing did not page as documented (ignored its offset, or went past every bound). A re-run
    /// meets the same service.
    Paging {
        op: &'static str,
        surface: Surface,
        message: String,
    },
    /// The journal's state forbids what was asked (discarding a job a customer of which waits for
    /// its write-back). Do what the message says first.
    Refused { message: String },
    /// The host's journal failed; the job stops rather than risk losing what it did. Re-run after fixing storage.
    Journal { message: String },
}

impl Error {
    /// The stable code JS hosts switch on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Config { .. } => "CONFIG",
            Error::Request { .. } => "REQUEST",
            Error::Api { status: 429, .. } => "RATE_LIMITED",
            Error::Api { .. } => "ATLASSIAN_API",
            Error::Transport { .. } => "TRANSPORT",
            Error::Decode { .. } => "DECODE",
            Error::NotYetVisible { .. } => "NOT_YET_VISIBLE",
            Error::Paging { .. } => "PAGING",
            Error::Unavailable { .. } => "ROUTE_UNAVAILABLE",
            Error::Busy { .. } => "BUSY",
            Error::Refused { .. } => "REFUSED",
            Error::Journal { .. } => "JOURNAL",
        }
    }

    /// Whether running the job again (later) can fix this failure.
    pub fn retryable(&self) -> bool {
        match self {
            Error::Api { status, .. } => *status == 429 || *status >= 500,
            Error::Transport { .. }
            | Error::Journal { .. }
            | Error::NotYetVisible { .. }
            | Error::Busy { .. } => true,
            _ => false,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn surface(&self) -> Option<Surface> {
        match self {
            Error::Api { surface, .. }
            | Error::Transport { surface, .. }
            | Error::NotYetVisible { surface, .. }
            | Error::Paging { surface, .. }
            | Error::Unavailable { surface, .. } => Some(*surface),
            _ => None,
        }
    }

    pub fn config(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            path: path.into(),
            message: message.into(),
        }
    }
    pub fn refused(message: impl Into<String>) -> Self {
        Error::Refused {
            message: message.into(),
        }
    }
    pub fn request(message: impl Into<String>) -> Self {
        Error::Request {
            message: message.into(),
        }
    }
    pub fn decode(op: &'static str, message: impl fmt::Display) -> Self {
        Error::Decode {
            op,
            message: message.to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config { path, message } => write!(f, "config {path}: {message}"),
            Error::Request { message } => write!(f, "request: {message}"),
            Error::Api {
                op,
                surface,
                status,
                message,
            } => write!(f, "{op} ({surface}): HTTP {status}: {message}"),
            Error::Transport {
                op,
                surface,
                message,
            } => write!(f, "{op} ({surface}): {message}"),
            Error::Decode { op, message } => write!(f, "{op}: unreadable response: {message}"),
            Error::NotYetVisible {
                op,
                surface,
                message,
            } => write!(f, "{op} ({surface}): not visible yet: {message}"),
            Error::Paging {
                op,
                surface,
                message,
            }
            | Error::Unavailable {
                op,
                surface,
                message,
            } => write!(f, "{op} ({surface}): {message}"),
            Error::Journal { message } => write!(f, "journal: {message}"),
            Error::Busy { message } => write!(f, "busy: {message}"),
            Error::Refused { message } => write!(f, "refused: {message}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
