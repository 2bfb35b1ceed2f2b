//! What every driver of a [`Client`](crate::session::Client) needs beside the session:
//! owned outcomes of ops (replies copied out of the session's buffer, so they live across
//! calls and `.await`s) and, with the `std` feature, the one [`Error`] type both adapters
//! return. Keeping them here means `ftp-std` and `ftp-tokio` map events to results the
//! same way, in one place.
//!
//! ```
//! use ftp_core::driver::{Outcome, OwnedValue};
//! use ftp_core::session::{Event, OpKind, Value};
//! use ftp_core::{Reply, ReplyCode};
//!
//! let reply = Reply::new(ReplyCode::FILE_STATUS, b"213 42", false, false);
//! # let op = {
//! #   let mut c = ftp_core::session::Client::new(Default::default(),
//! #       ftp_core::transfer::ControlAddresses { local: "127.0.0.1:1".parse().unwrap(), peer: "127.0.0.1:2".parse().unwrap() },
//! #       ftp_core::session::Instant::ZERO);
//! #   c.submit(ftp_core::session::Op::Noop).unwrap()
//! # };
//! let event = Event::Completed { op, kind: OpKind::Size, reply, value: Value::Size(42) };
//! let (id, outcome) = Outcome::from_event(&event).unwrap();
//! assert_eq!(id, op);
//! assert!(matches!(outcome, Outcome::Completed { value: OwnedValue::Size(42), .. }));
//! ```

use alloc::vec::Vec;

use crate::listing::mlsd;
use crate::listing::owned::OwnedEntry;
use crate::mlsx::MlsxEntry;
use crate::reply::OwnedReply;
use crate::session::{Event, OpError, OpId, OpKind, Value};
use crate::time::FtpTime;

/// A typed result of a completed op, owned. See [`Value`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OwnedValue {
    /// Nothing beyond the reply.
    None,
    /// A path from a 257 reply (PWD, MKD), unquoted (`""` → `"`).
    Path(Vec<u8>),
    /// A size (SIZE).
    Size(u64),
    /// A time (MDTM).
    Time(FtpTime),
    /// FEAT succeeded.
    Features,
    /// A transfer completed: the bytes moved.
    Transferred(u64),
    /// The entry of an MLST reply.
    Entry(OwnedEntry),
}

impl OwnedValue {
    /// Copies a borrowed value.
    pub fn from_value(value: &Value<'_>) -> Self {
        match value {
            Value::None => OwnedValue::None,
            Value::Path(p) => OwnedValue::Path(p.to_cow().into_owned()),
            Value::Size(n) => OwnedValue::Size(*n),
            Value::Time(t) => OwnedValue::Time(*t),
            Value::Features => OwnedValue::Features,
            Value::Transferred(n) => OwnedValue::Transferred(*n),
            Value::Entry(e) => OwnedValue::Entry(mlst_entry(e)),
        }
    }
}

fn mlst_entry(e: &MlsxEntry<'_>) -> OwnedEntry {
    OwnedEntry::from(&mlsd::from_mlsx(e, e.name))
}

/// How an op ended, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It completed: its final reply and typed value.
    Completed {
        /// The op's kind.
        kind: OpKind,
        /// The final reply.
        reply: OwnedReply,
        /// The typed value.
        value: OwnedValue,
    },
    /// The server refused it (4xx/5xx).
    Rejected {
        /// The op's kind.
        kind: OpKind,
        /// The refusal.
        reply: OwnedReply,
    },
    /// It failed locally.
    Failed {
        /// The op's kind.
        kind: OpKind,
        /// Why.
        error: OpError,
    },
}

impl Outcome {
    /// The op and its outcome, if `event` ends an op.
    pub fn from_event(event: &Event<'_>) -> Option<(OpId, Outcome)> {
        Some(match event {
            Event::Completed {
                op,
                kind,
                reply,
                value,
            } => (
                *op,
                Outcome::Completed {
                    kind: *kind,
                    reply: reply.to_owned_reply(),
                    value: OwnedValue::from_value(value),
                },
            ),
            Event::Rejected { op, kind, reply } => (
                *op,
                Outcome::Rejected {
                    kind: *kind,
                    reply: reply.to_owned_reply(),
                },
            ),
            Event::Failed { op, kind, error } => (
                *op,
                Outcome::Failed {
                    kind: *kind,
                    error: *error,
                },
            ),
            _ => return None,
        })
    }
}

/// A completed op: its final reply and typed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The final reply.
    pub reply: OwnedReply,
    /// The typed value.
    pub value: OwnedValue,
}

/// Progress of a transfer, for a progress observer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The op.
    pub kind: OpKind,
    /// Bytes moved so far (from the transfer's start offset).
    pub bytes: u64,
    /// The total, when known (SIZE, or the count in the 150 reply).
    pub total: Option<u64>,
}

#[cfg(feature = "std")]
mod error {
    use std::boxed::Box;
    use std::io;

    use crate::command::CommandError;
    use crate::reply::{OwnedReply, ReplyCode};
    use crate::session::{OpError, OpKind, SessionError, SubmitError, UsageError};
    use crate::transfer::DataFailure;

    use super::{Completion, Outcome};

    /// Which wait ran out.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum Timeout {
        /// Connecting the control connection.
        Connect,
        /// Waiting for the greeting or a reply.
        Reply,
        /// Connecting or accepting a data connection, or a data connection that stayed idle.
        Data,
        /// A TLS handshake.
        Handshake,
    }

    /// Everything a call on a client can fail with. Match on the variant; a server's
    /// refusal keeps its code and text.
    #[derive(Debug, thiserror::Error)]
    #[non_exhaustive]
    pub enum Error {
        /// A socket failed.
        #[error("I/O error: {0}")]
        Io(#[from] io::Error),
        /// TLS failed: handshake, certificate verification, or the record layer.
        #[error("TLS: {0}")]
        Tls(#[source] Box<dyn std::error::Error + Send + Sync>),
        /// The server refused the op (4xx transient, 5xx permanent).
        #[error("{kind:?} refused: {reply}")]
        Rejected {
            /// The op.
            kind: OpKind,
            /// The server's reply.
            reply: OwnedReply,
        },
        /// The op failed locally (an unreadable reply, a data connection that failed or
        /// ended uncleanly, an abort). The session is still usable.
        #[error("{kind:?} failed: {error}")]
        Protocol {
            /// The op.
            kind: OpKind,
            /// Why.
            error: OpError,
        },
        /// A wait ran out.
        #[error("timed out: {0:?}")]
        Timeout(Timeout),
        /// An argument cannot be sent (CR, LF or NUL in it, or empty).
        #[error("invalid argument: {0}")]
        InvalidArgument(#[from] CommandError),
        /// The session is closed: `None` after QUIT or `close`, else the fatal reason.
        #[error("the session is closed{}", match .0 { Some(e) => alloc::format!(": {e}"), None => alloc::string::String::new() })]
        Closed(Option<SessionError>),
        /// A call that does not fit the session's state.
        #[error("{0}")]
        Usage(#[from] UsageError),
    }

    impl Error {
        /// A TLS error from anything that describes it.
        pub fn tls(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
            Error::Tls(error.into())
        }

        /// The reply code of a refusal.
        pub fn code(&self) -> Option<ReplyCode> {
            match self {
                Error::Rejected { reply, .. } => Some(reply.code()),
                _ => None,
            }
        }

        /// Whether trying again later may succeed: a 4xx refusal, a broken or timed-out
        /// connection, a server going away (421).
        pub fn is_transient(&self) -> bool {
            match self {
                Error::Io(_) | Error::Timeout(_) => true,
                Error::Rejected { reply, .. } => reply.code().is_transient_negative(),
                Error::Protocol { error, .. } => matches!(
                    error,
                    OpError::Data(
                        DataFailure::Connect
                            | DataFailure::Accept
                            | DataFailure::Broken
                            | DataFailure::Timeout
                            | DataFailure::Listen
                    ) | OpError::UncleanDataEnd { .. }
                        | OpError::ShortData { .. }
                        | OpError::SessionClosed
                ),
                Error::Closed(Some(e)) => matches!(
                    e,
                    SessionError::ReplyTimeout
                        | SessionError::ConnectionLost
                        | SessionError::ServiceNotAvailable
                ),
                _ => false,
            }
        }

        /// Whether trying again as it is will fail the same way: a 5xx refusal, a bad
        /// argument, a certificate or TLS policy failure, a misuse.
        pub fn is_permanent(&self) -> bool {
            match self {
                Error::Rejected { reply, .. } => reply.code().is_permanent_negative(),
                Error::InvalidArgument(_) | Error::Usage(_) | Error::Tls(_) => true,
                Error::Closed(Some(e)) => matches!(
                    e,
                    SessionError::TlsRefused { .. } | SessionError::BadGreeting { .. }
                ),
                _ => false,
            }
        }
    }

    impl From<SubmitError> for Error {
        fn from(e: SubmitError) -> Self {
            match e {
                SubmitError::InvalidArgument(e) => Error::InvalidArgument(e),
                _ => Error::Closed(None),
            }
        }
    }

    impl From<SessionError> for Error {
        fn from(e: SessionError) -> Self {
            match e {
                SessionError::ReplyTimeout => Error::Timeout(Timeout::Reply),
                e => Error::Closed(Some(e)),
            }
        }
    }

    impl Outcome {
        /// The result a caller sees: a completion, or the refusal or failure as an
        /// [`Error`].
        pub fn into_result(self) -> Result<Completion, Error> {
            match self {
                Outcome::Completed { reply, value, .. } => Ok(Completion { reply, value }),
                Outcome::Rejected { kind, reply } => Err(Error::Rejected { kind, reply }),
                Outcome::Failed { kind, error } => Err(match error {
                    OpError::Data(DataFailure::Timeout) => Error::Timeout(Timeout::Data),
                    OpError::Data(DataFailure::Tls) => {
                        Error::tls(alloc::format!("{kind:?}: the data connection's TLS failed"))
                    }
                    error => Error::Protocol { kind, error },
                }),
            }
        }
    }
}

#[cfg(feature = "std")]
pub use error::{Error, Timeout};
