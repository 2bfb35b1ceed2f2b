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

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::fmt;

use crate::listing::mlsd;
use crate::listing::owned::OwnedEntry;
use crate::mlsx::MlsxEntry;
use crate::reply::OwnedReply;
use crate::session::{Event, OpError, OpId, OpKind, SessionError, Value};
use crate::time::FtpTime;
use crate::transfer::Direction;

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

/// A transfer whose data may move now ([`Event::DataReady`], owned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataReady {
    /// The op.
    pub op: OpId,
    /// Which way the data goes.
    pub direction: Direction,
    /// The size the server announced, if it did.
    pub size: Option<u64>,
}

/// What a driver keeps of the session's events between the caller's calls: the outcome
/// of each op until its caller takes it, the transfer that is ready, the greeting, and
/// whether (and why) the session closed. Both adapters keep their events here.
///
/// ```
/// use ftp_core::driver::Tracker;
/// use ftp_core::session::{Client, Instant, Op, Output, SessionConfig};
/// use ftp_core::transfer::ControlAddresses;
///
/// let addrs = ControlAddresses { local: "127.0.0.1:5000".parse()?, peer: "127.0.0.1:21".parse()? };
/// let mut client = Client::new(SessionConfig { feat_after_login: false, ..Default::default() }, addrs, Instant::ZERO);
/// let noop = client.submit(Op::Noop)?;
/// let mut tracker = Tracker::default();
/// let mut drain = |client: &mut Client, tracker: &mut Tracker| loop {
///     match client.poll_output(Instant::ZERO) {
///         Output::Event(e) => tracker.record(&e),
///         Output::Wait(_) => break,
///         _ => {}
///     }
/// };
/// client.handle_control_data(b"220 hi\r\n", Instant::ZERO);
/// drain(&mut client, &mut tracker);
/// client.handle_control_data(b"200 ok\r\n", Instant::ZERO);
/// drain(&mut client, &mut tracker);
/// assert!(tracker.welcome().is_some());
/// assert!(tracker.take_outcome(noop).is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct Tracker {
    outcomes: VecDeque<(OpId, Outcome)>,
    ready: Option<DataReady>,
    welcome: Option<OwnedReply>,
    closed: Option<Option<SessionError>>,
    /// Why the control connection's TLS handshake failed, as the driver saw it.
    #[cfg(feature = "std")]
    tls_failure: Option<std::boxed::Box<dyn std::error::Error + Send + Sync>>,
}

impl Tracker {
    /// Keeps what `event` says.
    pub fn record(&mut self, event: &Event<'_>) {
        match event {
            Event::Greeting(reply) => self.welcome = Some(reply.to_owned_reply()),
            Event::DataReady {
                op,
                direction,
                size,
            } => {
                self.ready = Some(DataReady {
                    op: *op,
                    direction: *direction,
                    size: *size,
                })
            }
            Event::Closed(reason) => self.closed = Some(*reason),
            other => {
                if let Some(outcome) = Outcome::from_event(other) {
                    self.outcomes.push_back(outcome);
                }
            }
        }
    }

    /// The outcome of `op`, once it ended (taken: asked once).
    pub fn take_outcome(&mut self, op: OpId) -> Option<Outcome> {
        let at = self.outcomes.iter().position(|(id, _)| *id == op)?;
        self.outcomes.remove(at).map(|(_, o)| o)
    }

    /// The data of `op` is ready (taken: asked once).
    pub fn take_ready(&mut self, op: OpId) -> Option<DataReady> {
        let ready = self.ready.filter(|r| r.op == op)?;
        self.ready = None;
        Some(ready)
    }

    /// The server's greeting.
    pub fn welcome(&self) -> Option<&OwnedReply> {
        self.welcome.as_ref()
    }

    /// `Some` once the session closed: `Some(None)` after QUIT, else the fatal reason.
    pub fn closed(&self) -> Option<Option<SessionError>> {
        self.closed
    }
}

/// An event as one transcript line (ftplib's debug output): `< 226 Transfer complete`,
/// `Retr failed: …`, `closed: …`; `None` for events that are not replies or failures.
///
/// ```
/// use ftp_core::driver::transcript_line;
/// use ftp_core::session::Event;
/// use ftp_core::{Reply, ReplyCode};
///
/// let greeting = Event::Greeting(Reply::new(ReplyCode::SERVICE_READY, b"220 hi", false, false));
/// assert_eq!(transcript_line(&greeting).unwrap().to_string(), "< 220 hi");
/// ```
pub fn transcript_line<'a>(event: &'a Event<'a>) -> Option<impl fmt::Display + 'a> {
    struct Line<'a>(&'a Event<'a>);
    impl fmt::Display for Line<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self.0 {
                Event::Greeting(r)
                | Event::Info { reply: r, .. }
                | Event::Completed { reply: r, .. }
                | Event::Rejected { reply: r, .. } => write!(f, "< {r}"),
                Event::Failed { kind, error, .. } => write!(f, "{kind:?} failed: {error}"),
                Event::Closed(reason) => write!(f, "closed: {reason:?}"),
                _ => Ok(()),
            }
        }
    }
    match event {
        Event::DataReady { .. } => None,
        event => Some(Line(event)),
    }
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

    use super::{Completion, Outcome, Tracker};

    impl Tracker {
        /// Keeps the driver's reason for a failed control TLS handshake, for the error
        /// the caller gets (the session only knows that it failed).
        pub fn set_tls_failure(
            &mut self,
            error: impl Into<Box<dyn std::error::Error + Send + Sync>>,
        ) {
            self.tls_failure = Some(error.into());
        }

        /// The error of a closed session: its reason (with the TLS failure's detail).
        pub fn closed_error(&mut self) -> Error {
            match self.closed {
                Some(Some(SessionError::TlsHandshake)) if self.tls_failure.is_some() => {
                    Error::Tls(self.tls_failure.take().expect("checked"))
                }
                Some(Some(reason)) => Error::from(reason),
                _ => Error::Closed(None),
            }
        }

        /// Why `submit` refused an op, as its caller sees it: an op submitted to a session
        /// that has closed reports why the session closed (a lost connection stays
        /// transient, so a retry reconnects instead of giving up).
        pub fn submit_error(&mut self, error: SubmitError) -> Error {
            match error {
                SubmitError::Closed => self.closed_error(),
                error => Error::from(error),
            }
        }

        /// An op's outcome as its caller sees it: an op ended by the session closing
        /// reports why the session closed.
        pub fn result(&mut self, outcome: Outcome) -> Result<Completion, Error> {
            match outcome {
                Outcome::Failed {
                    error: OpError::SessionClosed,
                    ..
                } if matches!(self.closed, Some(Some(_))) => Err(self.closed_error()),
                outcome => outcome.into_result(),
            }
        }
    }

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
                // A connection that ended in the middle of a reply was lost like any
                // other (a server restarting while it answers).
                Error::Closed(Some(e)) => matches!(
                    e,
                    SessionError::ReplyTimeout
                        | SessionError::ConnectionLost
                        | SessionError::ServiceNotAvailable
                        | SessionError::Framing(crate::framing::FramingError::IncompleteAtEof)
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

    impl Error {
        /// A completed op whose value could not be read from its reply.
        pub fn unreadable(kind: OpKind) -> Self {
            Error::Protocol {
                kind,
                error: OpError::Parse(crate::ParseError::Missing { what: "the value" }),
            }
        }

        /// `reply` must be a completion (2xx), as ftplib's `voidcmd` wants; a 1xx/3xx is
        /// a protocol error of `kind`.
        pub fn require_completion(kind: OpKind, reply: OwnedReply) -> Result<OwnedReply, Error> {
            if reply.code().is_completion() {
                Ok(reply)
            } else {
                Err(Error::Protocol {
                    kind,
                    error: OpError::UnexpectedReply {
                        kind,
                        code: reply.code(),
                    },
                })
            }
        }

        /// This error as an `io::Error` for a data stream's `read`/`write` (the kind says
        /// timeout, truncation or the I/O error's own kind; the text is the error's).
        pub fn to_io_error(&self) -> io::Error {
            let kind = match self {
                Error::Io(io) => io.kind(),
                Error::Timeout(_) => io::ErrorKind::TimedOut,
                Error::Protocol { .. } => io::ErrorKind::UnexpectedEof,
                _ => io::ErrorKind::Other,
            };
            io::Error::new(kind, alloc::string::ToString::to_string(self))
        }
    }

    /// Decodes a name the server sent (a path, a listing name) with `encoding`.
    pub fn decode_name(
        encoding: crate::config::Encoding,
        bytes: &[u8],
    ) -> Result<alloc::string::String, Error> {
        encoding.decode(bytes).ok_or_else(|| {
            Error::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                "a name is not valid UTF-8",
            ))
        })
    }

    /// The host part of `host:port` / `[v6]:port`: the name TLS certificates are checked
    /// against.
    ///
    /// ```
    /// use ftp_core::driver::host_of;
    /// assert_eq!(host_of("ftp.example.com:21"), "ftp.example.com");
    /// assert_eq!(host_of("[::1]:21"), "::1");
    /// ```
    pub fn host_of(address: &str) -> &str {
        if let Some(rest) = address.strip_prefix('[') {
            return rest.split(']').next().unwrap_or(rest);
        }
        match address.rsplit_once(':') {
            Some((host, _)) => host,
            None => address,
        }
    }

    /// Now, UTC, for the year of listing dates that leave it out.
    pub fn now_utc() -> crate::FtpTime {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        crate::FtpTime::from_unix_timestamp(secs).unwrap_or(crate::FtpTime::UNIX_EPOCH)
    }

    /// An MDTM time as a `SystemTime`.
    pub fn system_time(t: crate::FtpTime) -> std::time::SystemTime {
        let secs = t.unix_timestamp();
        let epoch = std::time::UNIX_EPOCH;
        if secs >= 0 {
            epoch + std::time::Duration::from_secs(secs as u64)
        } else {
            epoch - std::time::Duration::from_secs(secs.unsigned_abs())
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
pub use error::{Error, Timeout, decode_name, host_of, now_utc, system_time};
