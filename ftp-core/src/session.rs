//! The session: the client's protocol state machine, without I/O (RFC 959 §5.4, RFC 1123
//! §4.1, RFC 2389, RFC 7151).
//!
//! [`Client`] decides which command follows which reply; its driver (an adapter, a test,
//! a runtime of your own) only moves bytes and reports what happened. The contract is
//! "mutate, then drain":
//!
//! - **inputs**: [`handle_control_data`](Client::handle_control_data) with control-channel
//!   bytes as they arrive (any chunking), [`handle_control_eof`](Client::handle_control_eof),
//!   [`handle_timeout`](Client::handle_timeout);
//! - **requests**: [`submit`](Client::submit) an [`Op`]; ops queue FIFO and one is on the
//!   wire at a time;
//! - **output**: call [`poll_output`](Client::poll_output) until it returns
//!   [`Output::Wait`]: control bytes to write, actions to perform, events for the caller,
//!   in the one order they must happen.
//!
//! Time is an argument ([`Instant`], any monotonic clock the driver likes); the session
//! owns the timeout policy, so every driver behaves the same and tests run on a virtual
//! clock. A server's "no" (4xx/5xx) is an outcome of its op ([`Event::Rejected`], code and
//! text kept); a local failure of one op ([`Event::Failed`]) leaves the session usable;
//! only a control channel that can no longer be trusted (framing broken, reply timeout,
//! a reply nobody asked for, EOF without 221/421) closes it, with
//! [`Event::Closed`] carrying the [`SessionError`].
//!
//! What it covers: the greeting, login (HOST, USER, PASS, ACCT), FEAT, `OPTS UTF8 ON` and
//! CLNT after login, directory and file commands, raw commands, transfers over passive
//! (EPSV → PASV) or active (EPRT → PORT) data connections with REST offsets, explicit and
//! implicit FTPS (AUTH TLS, PBSZ, PROT, CCC), ABOR, keepalive NOOPs, and the reply,
//! data-connect and data-idle timeouts. Data bytes never pass through the session: the
//! driver moves them and reports how the data connection ended (see
//! [`transfer`](crate::transfer) for the rule that ends a transfer).
//!
//! # Driving a transfer
//!
//! A download, from the driver's side: [`Action::ConnectData`] (connect, then
//! [`Client::handle_data_connected`]); with PROT P, [`Action::StartTls`] for the data
//! channel right after the command went out ([`Client::handle_tls_ready`]);
//! [`Event::DataReady`] (read to EOF, then [`Client::handle_data_end`]); the op's
//! [`Event::Completed`] comes once the server's 226 and the data end are both in. An
//! upload writes after `DataReady`, calls [`Client::finish_upload`], performs
//! [`Action::ShutdownData`] (close_notify, FIN, read to EOF) and reports
//! `handle_data_end`. `ftp-core/examples/blocking_session.rs` is a complete driver.
//!
//! # Example: a complete exchange on a scripted server
//!
//! ```
//! use core::time::Duration;
//! use ftp_core::session::{Client, Event, Instant, Op, Output, SessionConfig, Value};
//! use ftp_core::transfer::ControlAddresses;
//!
//! let addrs = ControlAddresses {
//!     local: "127.0.0.1:40000".parse().unwrap(),
//!     peer: "127.0.0.1:21".parse().unwrap(),
//! };
//! let mut client = Client::new(SessionConfig::default(), addrs, Instant::ZERO);
//! let login = client.submit(Op::Login { user: b"alice", password: b"secret", account: None })?;
//! let size = client.submit(Op::Size(b"big.iso"))?;
//!
//! // What a server would answer to each command line, in order.
//! let script: &[(&[u8], &[u8])] = &[
//!     (b"USER alice\r\n", b"331 Password required\r\n"),
//!     (b"PASS secret\r\n", b"230 Logged in\r\n"),
//!     (b"FEAT\r\n", b"211-Features:\r\n SIZE\r\n211 End\r\n"),
//!     // SIZE is asked in image mode (RFC 3659 §4).
//!     (b"TYPE I\r\n", b"200 Switching to Binary mode.\r\n"),
//!     (b"SIZE big.iso\r\n", b"213 4700000000\r\n"),
//! ];
//! let mut now = Instant::ZERO;
//! client.handle_control_data(b"220 Ready\r\n", now);
//! let mut replies = script.iter();
//! let mut sizes = Vec::new();
//! loop {
//!     match client.poll_output(now) {
//!         Output::Transmit(bytes) => {
//!             let (expected, answer) = replies.next().expect("a command the script knows");
//!             assert_eq!(bytes, *expected);
//!             now = now + Duration::from_millis(5);
//!             client.handle_control_data(answer, now);
//!         }
//!         Output::Event(Event::Completed { op, value: Value::Size(n), .. }) if op == size => {
//!             sizes.push(n);
//!         }
//!         Output::Event(Event::Completed { op, reply, .. }) if op == login => {
//!             assert_eq!(reply.text(), b"Logged in");
//!         }
//!         Output::Event(_) | Output::Action(_) => {}
//!         Output::Wait(_) => break,
//!     }
//! }
//! assert_eq!(sizes, [4_700_000_000]);
//! # Ok::<(), ftp_core::session::SubmitError>(())
//! ```

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::fmt;
use core::ops::Add;
use core::time::Duration;

use core::net::{IpAddr, SocketAddr};

use crate::command::{
    AuthMechanism, Command, CommandError, Password, ProtectionLevel, TransferType,
};
use crate::error::ParseError;
use crate::feat::{Capabilities, Feature};
use crate::framing::{FramerConfig, FramingError, ReplyFramer};
use crate::mlsx::{MlsxEntry, parse_mlst_reply};
use crate::passive::{parse_epsv, parse_pasv};
use crate::path::{QuotedPath, parse_257};
use crate::reply::{Reply, ReplyCode};
use crate::size::parse_transfer_size;
use crate::time::FtpTime;
use crate::transfer::{
    ControlAddresses, DataEnd, DataFailure, DataMode, Direction, Join, JoinOutcome, StoreMode,
};

/// A point in time on the driver's monotonic clock, as a duration since any fixed start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(Duration);

impl Instant {
    /// The clock's start.
    pub const ZERO: Instant = Instant(Duration::ZERO);

    /// The instant `since_start` after the clock's start.
    pub const fn from_duration(since_start: Duration) -> Self {
        Instant(since_start)
    }

    /// The duration since the clock's start.
    pub const fn as_duration(self) -> Duration {
        self.0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_add(rhs))
    }
}

/// Settings of a [`Client`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Reply framing (buffer limit, lenient multi-line end).
    pub framer: FramerConfig,
    /// How long to wait for the greeting and for the reply to each command. Default 30 s.
    pub reply_timeout: Duration,
    /// `HOST name` before USER (RFC 7151), for name-based virtual hosts.
    pub host: Option<Vec<u8>>,
    /// `CLNT name` after login, for servers that like to know the client.
    pub client_name: Option<Vec<u8>>,
    /// Ask FEAT after login and keep the [`Capabilities`]. Default on.
    pub feat_after_login: bool,
    /// Send `OPTS UTF8 ON` when FEAT lists UTF8 (RFC 2640). A refusal is harmless
    /// (pure-ftpd answers 504 although it lists UTF8). Default on.
    pub utf8: bool,
    /// How data connections are made. Default: EPSV, falling back to PASV.
    pub data_mode: DataMode,
    /// Dial the address a 227 reply names instead of the control peer's. Off by default:
    /// the address can point anywhere (CVE-2020-8284, CVE-2021-4189); turn it on only for
    /// servers that really put data on another host.
    pub trust_pasv_address: bool,
    /// In active mode, accept a data connection from another IP than the control peer.
    /// Off by default.
    pub accept_foreign_data_peer: bool,
    /// How long a data connection may take to connect or be accepted. Default 30 s.
    pub data_timeout: Duration,
    /// Send `NOOP` on the control connection this often while a transfer runs, so NAT
    /// boxes and firewalls do not drop an idle control connection during a long
    /// transfer. Their replies are matched up and never desynchronise the session.
    /// Default off.
    pub keepalive_interval: Option<Duration>,
    /// Fail a transfer whose data connection moves no byte for this long (the driver
    /// reports progress with [`Client::handle_data_activity`]). Default off.
    pub data_idle_timeout: Option<Duration>,
    /// TLS on the control connection (RFC 4217). Default none.
    pub tls: TlsMode,
    /// With TLS: protect data connections too (`PBSZ 0` + `PROT P`, the default), or
    /// leave them in the clear (no PBSZ/PROT is sent).
    pub protect_data: bool,
    /// With protected data: how long after the transfer command the data connection's
    /// TLS handshake may wait for the server to accept the command (its 1xx). The
    /// handshake starts at the 1xx (as Python's ftplib and curl do), so a refused command
    /// (a missing file) never starts one: under TLS 1.3 its ClientHello would use up a
    /// session ticket, and servers that require session reuse (vsftpd) end the session
    /// when a later data connection cannot resume. A server that wants the handshake
    /// before its 1xx gets it after this wait. Default 1 s.
    pub data_tls_wait: Duration,
    /// Report every reply, also those that only move an op along (200 to TYPE, 229,
    /// 331, 350, the replies to the session's own FEAT and OPTS), as [`Event::Info`]: for
    /// transcripts such as ftplib's debug output. Off by default.
    pub report_all_replies: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            framer: FramerConfig::default(),
            reply_timeout: Duration::from_secs(30),
            host: None,
            client_name: None,
            feat_after_login: true,
            utf8: true,
            data_mode: DataMode::Auto,
            trust_pasv_address: false,
            accept_foreign_data_peer: false,
            data_timeout: Duration::from_secs(30),
            report_all_replies: false,
            tls: TlsMode::None,
            protect_data: true,
            data_tls_wait: Duration::from_secs(1),
            keepalive_interval: None,
            data_idle_timeout: None,
        }
    }
}

/// TLS on the control connection (RFC 4217).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Plain FTP.
    #[default]
    None,
    /// Explicit FTPS: `AUTH TLS` after the greeting, before anything else.
    Explicit,
    /// Implicit FTPS: TLS from the first byte (port 990); the session asks for the
    /// handshake before it expects the greeting.
    Implicit,
}

/// A connection TLS is started on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// The control connection.
    Control,
    /// The data connection of an op.
    Data(OpId),
}

/// The identity of a submitted op, in its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpId(u64);

impl OpId {
    /// The number of the op: 0 for the first one submitted, then counting up.
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// An operation to run, with borrowed arguments (copied into the session on submit).
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op<'a> {
    /// Log in: USER, then PASS on 331, then ACCT on 332 (with `account`).
    Login {
        /// User name.
        user: &'a [u8],
        /// Password (sent only if the server asks).
        password: &'a [u8],
        /// Account (sent only if the server asks).
        account: Option<&'a [u8]>,
    },
    /// Change the working directory (`CWD`).
    Cwd(&'a [u8]),
    /// Go to the parent directory (`CDUP`).
    Cdup,
    /// The working directory (`PWD`): [`Value::Path`].
    Pwd,
    /// Make a directory (`MKD`): [`Value::Path`] when the server names it.
    Mkd(&'a [u8]),
    /// Remove a directory (`RMD`).
    Rmd(&'a [u8]),
    /// Delete a file (`DELE`).
    Delete(&'a [u8]),
    /// Rename (`RNFR`, then `RNTO` on 350).
    Rename {
        /// The current name.
        from: &'a [u8],
        /// The new name.
        to: &'a [u8],
    },
    /// A file's size (`SIZE`): [`Value::Size`].
    Size(&'a [u8]),
    /// A file's modification time (`MDTM`): [`Value::Time`].
    Mdtm(&'a [u8]),
    /// Set a file's modification time: `MFMT`, or the two-argument `MDTM` of servers such
    /// as vsftpd when FEAT lists no MFMT or MFMT is not implemented.
    SetMtime {
        /// The file.
        path: &'a [u8],
        /// The new time (UTC).
        time: FtpTime,
    },
    /// `SITE arguments`.
    Site(&'a [u8]),
    /// `NOOP`.
    Noop,
    /// `SYST`.
    Syst,
    /// `STAT [path]`.
    Stat(Option<&'a [u8]>),
    /// `HELP [command]`.
    Help(Option<&'a [u8]>),
    /// `FEAT`: refreshes [`Client::capabilities`]; [`Value::Features`].
    Feat,
    /// `OPTS arguments`.
    Opts(&'a [u8]),
    /// A raw command line; its final reply is the outcome (a 3xx included: the caller
    /// runs the sequence).
    Raw(&'a [u8]),
    /// `QUIT`: closes the session after the reply.
    Quit,
    /// Download a file (`TYPE I`, `REST offset` when `offset > 0`, `RETR`).
    Retr {
        /// The file.
        path: &'a [u8],
        /// Where to start, for a resumed download.
        offset: u64,
    },
    /// Upload a file (`TYPE I`, then `STOR`, `APPE` or `STOU`; `REST offset` + `STOR` to
    /// resume). The driver writes the data after [`Event::DataReady`] and calls
    /// [`Client::finish_upload`] at the end.
    Stor {
        /// The file (a name hint for `STOU`; empty for none).
        path: &'a [u8],
        /// Replace, append or unique.
        mode: StoreMode,
        /// Where to resume (with [`StoreMode::Replace`]).
        offset: u64,
    },
    /// `LIST [path]` (`TYPE A`): the raw listing on the data channel.
    List(Option<&'a [u8]>),
    /// `NLST [path]` (`TYPE A`): names on the data channel.
    Nlst(Option<&'a [u8]>),
    /// `MLSD [path]` (`TYPE A`): machine-readable entries on the data channel.
    Mlsd(Option<&'a [u8]>),
    /// `MLST [path]`: one machine-readable entry on the control channel:
    /// [`Value::Entry`].
    Mlst(Option<&'a [u8]>),
    /// `CCC`: back to a clear control channel after login (RFC 4217 §11), for NAT
    /// helpers that must read PORT/PASV; data protection is unchanged.
    Ccc,
    /// Switch data protection: `PROT P` (true) or `PROT C` (false), with `PBSZ 0` first
    /// if it was not sent yet (ftplib's `prot_p`/`prot_c`).
    ProtectData(bool),
    /// A raw command that opens a data channel (ftplib's `transfercmd`).
    RawData {
        /// The command line.
        command: &'a [u8],
        /// Which way the data goes.
        direction: Direction,
        /// `TYPE A` (true) or `TYPE I` (false) first.
        ascii: bool,
    },
}

impl fmt::Debug for Op<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Op::{:?}", self.kind())
    }
}

impl Op<'_> {
    /// The anonymous login of RFC 1635: user `anonymous`, password `anonymous@`.
    pub const ANONYMOUS: Op<'static> = Op::Login {
        user: b"anonymous",
        password: b"anonymous@",
        account: None,
    };

    /// What kind of op this is.
    pub fn kind(&self) -> OpKind {
        match self {
            Op::Login { .. } => OpKind::Login,
            Op::Cwd(_) => OpKind::Cwd,
            Op::Cdup => OpKind::Cdup,
            Op::Pwd => OpKind::Pwd,
            Op::Mkd(_) => OpKind::Mkd,
            Op::Rmd(_) => OpKind::Rmd,
            Op::Delete(_) => OpKind::Delete,
            Op::Rename { .. } => OpKind::Rename,
            Op::Size(_) => OpKind::Size,
            Op::Mdtm(_) => OpKind::Mdtm,
            Op::SetMtime { .. } => OpKind::SetMtime,
            Op::Site(_) => OpKind::Site,
            Op::Noop => OpKind::Noop,
            Op::Syst => OpKind::Syst,
            Op::Stat(_) => OpKind::Stat,
            Op::Help(_) => OpKind::Help,
            Op::Feat => OpKind::Feat,
            Op::Opts(_) => OpKind::Opts,
            Op::Raw(_) => OpKind::Raw,
            Op::Quit => OpKind::Quit,
            Op::Retr { .. } => OpKind::Retr,
            Op::Stor { .. } => OpKind::Stor,
            Op::List(_) => OpKind::List,
            Op::Nlst(_) => OpKind::Nlst,
            Op::Mlsd(_) => OpKind::Mlsd,
            Op::Mlst(_) => OpKind::Mlst,
            Op::RawData { .. } => OpKind::RawData,
            Op::Ccc => OpKind::Ccc,
            Op::ProtectData(_) => OpKind::ProtectData,
        }
    }
}

/// The kind of an op, as events report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OpKind {
    /// [`Op::Login`].
    Login,
    /// [`Op::Cwd`].
    Cwd,
    /// [`Op::Cdup`].
    Cdup,
    /// [`Op::Pwd`].
    Pwd,
    /// [`Op::Mkd`].
    Mkd,
    /// [`Op::Rmd`].
    Rmd,
    /// [`Op::Delete`].
    Delete,
    /// [`Op::Rename`].
    Rename,
    /// [`Op::Size`].
    Size,
    /// [`Op::Mdtm`].
    Mdtm,
    /// [`Op::SetMtime`].
    SetMtime,
    /// [`Op::Site`].
    Site,
    /// [`Op::Noop`].
    Noop,
    /// [`Op::Syst`].
    Syst,
    /// [`Op::Stat`].
    Stat,
    /// [`Op::Help`].
    Help,
    /// [`Op::Feat`].
    Feat,
    /// [`Op::Opts`].
    Opts,
    /// [`Op::Raw`].
    Raw,
    /// [`Op::Quit`].
    Quit,
    /// The session's own `CLNT` after login.
    Clnt,
    /// [`Op::Retr`].
    Retr,
    /// [`Op::Stor`].
    Stor,
    /// [`Op::List`].
    List,
    /// [`Op::Nlst`].
    Nlst,
    /// [`Op::Mlsd`].
    Mlsd,
    /// [`Op::Mlst`].
    Mlst,
    /// [`Op::RawData`].
    RawData,
    /// [`Op::Ccc`].
    Ccc,
    /// [`Op::ProtectData`].
    ProtectData,
    /// The session's own `AUTH TLS`.
    AuthTls,
}

impl OpKind {
    /// Whether the op moves data over a data connection.
    pub fn is_transfer(self) -> bool {
        matches!(
            self,
            OpKind::Retr
                | OpKind::Stor
                | OpKind::List
                | OpKind::Nlst
                | OpKind::Mlsd
                | OpKind::RawData
        )
    }
}

/// A call that does not fit the session's state (a programming error of the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// `finish_upload` for an op that is not an upload whose data channel is ready.
    #[error("no upload of that op is in progress")]
    NoUploadInProgress,
    /// `abort` for an op that is not queued or running.
    #[error("that op is not queued or running")]
    NoSuchOp,
}

/// Why [`Client::submit`] refused an op. Nothing was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// An argument cannot be sent (CR, LF or NUL in it, or empty where one is needed).
    #[error("invalid argument: {0}")]
    InvalidArgument(#[from] CommandError),
    /// The session is closed (or closing after QUIT).
    #[error("the session is closed")]
    Closed,
}

/// Why one op failed locally. The session goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpError {
    /// The reply's content could not be read (a 213 without a number, a PWD reply without
    /// a quoted path).
    #[error("unreadable reply: {0}")]
    Parse(#[from] ParseError),
    /// The reply was longer than the framer's limit and this op needs its content.
    #[error("the reply was too long to read its content")]
    Truncated,
    /// The server asked for an account (332) and the op has none.
    #[error("the server requires an account (332)")]
    AccountRequired,
    /// A positive reply that does not fit the command (for example a 3xx to CWD).
    #[error("unexpected reply {code} to {kind:?}")]
    UnexpectedReply {
        /// The op.
        kind: OpKind,
        /// The reply code.
        code: ReplyCode,
    },
    /// A configured HOST or CLNT name cannot be sent (CR, LF or NUL in it, or empty).
    #[error("invalid configured name: {0}")]
    InvalidConfig(CommandError),
    /// The data channel failed; the server's final reply was positive, but the data did
    /// not all arrive (or was never sent).
    #[error("data connection failed: {0:?}")]
    Data(DataFailure),
    /// The data channel ended without a clean close (a TLS download without
    /// close_notify): the data may be truncated.
    #[error("the data connection ended uncleanly after {bytes} bytes")]
    UncleanDataEnd {
        /// Bytes received.
        bytes: u64,
    },
    /// A download from the start ended cleanly with fewer bytes than its 1xx reply
    /// announced: the file arrived truncated.
    #[error("the download ended after {received} of the {expected} bytes announced")]
    ShortData {
        /// The size the server announced.
        expected: u64,
        /// Bytes received.
        received: u64,
    },
    /// A transferred file's digest differs from the server's (`HASH`): the copy is
    /// corrupt.
    #[error("the {algorithm} digest differs from the server's")]
    DigestMismatch {
        /// The algorithm (`SHA-256`).
        algorithm: &'static str,
    },
    /// The caller aborted the op ([`Client::abort`]).
    #[error("aborted")]
    Aborted,
    /// The session closed before the op could finish.
    #[error("the session closed before the op finished")]
    SessionClosed,
}

/// Why the session closed. Fatal: the control channel can no longer be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The control channel does not carry FTP replies.
    #[error("control channel: {0}")]
    Framing(#[from] FramingError),
    /// No reply (or greeting) within the reply timeout.
    #[error("no reply within the reply timeout")]
    ReplyTimeout,
    /// The server closed the control connection without 221 or 421.
    #[error("the server closed the control connection")]
    ConnectionLost,
    /// The server is not available (421), at the greeting or later.
    #[error("service not available (421)")]
    ServiceNotAvailable,
    /// A reply that answers nothing the client sent: client and server are out of step.
    #[error("unsolicited reply {code}")]
    UnsolicitedReply {
        /// The reply code.
        code: ReplyCode,
    },
    /// The server refused `AUTH TLS` (or PBSZ/PROT) although TLS was required: nothing
    /// more is sent in the clear.
    #[error("the server refused TLS ({code})")]
    TlsRefused {
        /// The refusal's code.
        code: ReplyCode,
    },
    /// Bytes arrived on the control connection where only TLS may come: behind the `234`
    /// reply to AUTH TLS in the same read, or before the handshake finished. They were
    /// not parsed: plaintext injected ahead of TLS is an attack (the STARTTLS command
    /// injection class, CVE-2011-0411).
    #[error("plaintext on the control connection where TLS was expected")]
    PlaintextAfterAuth,
    /// The TLS handshake on the control connection failed.
    #[error("the control connection's TLS handshake failed")]
    TlsHandshake,
    /// A greeting other than 120, 220 or 421.
    #[error("unexpected greeting {code}")]
    BadGreeting {
        /// The reply code.
        code: ReplyCode,
    },
}

/// A typed result of a completed op, beside its final reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Value<'a> {
    /// Nothing beyond the reply.
    None,
    /// A path from a 257 reply (PWD, MKD).
    Path(QuotedPath<'a>),
    /// A size from a 213 reply (SIZE).
    Size(u64),
    /// A time from a 213 reply (MDTM).
    Time(FtpTime),
    /// FEAT succeeded; see [`Client::capabilities`].
    Features,
    /// A transfer completed: the bytes moved over the data channel.
    Transferred(u64),
    /// The entry of an MLST reply.
    Entry(MlsxEntry<'a>),
}

/// How much of an aborted download [`Action::DrainData`] reads at most: what can be in
/// flight on a fast link (both sides' socket buffers) before the server takes the ABOR.
pub const ABORT_DRAIN_BYTES: u64 = 16 << 20;
/// How long [`Action::DrainData`] reads at most.
pub const ABORT_DRAIN_WAIT: Duration = Duration::from_secs(2);

/// Something the driver must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Close the control connection (after QUIT's reply, or on a fatal error).
    CloseControl,
    /// Open the data connection of `op` to `addr`, then report
    /// [`Client::handle_data_connected`] (or [`Client::handle_data_failed`]).
    ConnectData {
        /// The op.
        op: OpId,
        /// Where to connect.
        addr: SocketAddr,
    },
    /// Listen for the active-mode data connection of `op` on `ip`, on a free port of
    /// `ports` (or any free port), then report [`Client::handle_data_listening`].
    ListenData {
        /// The op.
        op: OpId,
        /// The local address to bind.
        ip: IpAddr,
        /// The port range to bind in, first to last, if one is configured.
        ports: Option<(u16, u16)>,
    },
    /// Accept the server's connection on the listener of `op`, then report
    /// [`Client::handle_data_connected`] with the peer's address.
    AcceptData {
        /// The op.
        op: OpId,
    },
    /// The upload of `op` is finished: end the data stream (TLS close_notify, then FIN,
    /// then read to EOF), then report [`Client::handle_data_end`].
    ShutdownData {
        /// The op.
        op: OpId,
    },
    /// Close the data connection of `op` now, without waiting (the transfer failed).
    CloseData {
        /// The op.
        op: OpId,
    },
    /// `ABOR` for the TLS-protected download `op` has gone out: read its data
    /// connection until the server closes it, discarding what comes, then close it; stop
    /// early after `max_bytes` or `max_wait` (a server that goes on sending is cut off).
    /// Closing it before the server has taken the ABOR makes its next write fail, which
    /// proftpd's mod_tls answers by ending the session.
    DrainData {
        /// The op.
        op: OpId,
        /// At most this many bytes are read.
        max_bytes: u64,
        /// For at most this long.
        max_wait: Duration,
    },
    /// Start TLS on `channel` as a client, then report [`Client::handle_tls_ready`] (or
    /// [`Client::handle_data_failed`] with [`DataFailure::Tls`] for a data channel,
    /// [`Client::handle_tls_failed`] for the control channel). Data connections must
    /// resume the control connection's TLS session.
    StartTls {
        /// Which connection.
        channel: Channel,
    },
    /// End TLS on the control connection (close_notify) and go on in the clear (CCC).
    StopControlTls,
}

/// Something that happened, for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The server's 220 greeting.
    Greeting(Reply<'a>),
    /// A preliminary reply (120 before the greeting, a 1xx to a command that completes
    /// later): informational.
    Info {
        /// The op it belongs to, if any.
        op: Option<OpId>,
        /// The reply.
        reply: Reply<'a>,
    },
    /// An op completed: its final reply and typed value.
    Completed {
        /// The op.
        op: OpId,
        /// Its kind.
        kind: OpKind,
        /// The final reply.
        reply: Reply<'a>,
        /// The typed value read from it.
        value: Value<'a>,
    },
    /// The server refused an op (4xx/5xx): the reply says why.
    Rejected {
        /// The op.
        op: OpId,
        /// Its kind.
        kind: OpKind,
        /// The refusal.
        reply: Reply<'a>,
    },
    /// An op failed locally; the session goes on (unless a `Closed` follows).
    Failed {
        /// The op.
        op: OpId,
        /// Its kind.
        kind: OpKind,
        /// Why.
        error: OpError,
    },
    /// The session is closed: `None` after QUIT, else the fatal error.
    Closed(Option<SessionError>),
    /// The data connection of a transfer is up and the server accepted the command: move
    /// the data now. A download reads to EOF and reports [`Client::handle_data_end`]; an
    /// upload writes, then calls [`Client::finish_upload`].
    DataReady {
        /// The op.
        op: OpId,
        /// Which way the data goes.
        direction: Direction,
        /// The size the server announced in its 1xx reply, if it did.
        size: Option<u64>,
    },
}

/// The next thing the driver must do. See [`Client::poll_output`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output<'a> {
    /// Write these bytes to the control connection.
    Transmit(&'a [u8]),
    /// Perform this action.
    Action(Action),
    /// Hand this event to the caller.
    Event(Event<'a>),
    /// Nothing to do until input arrives or the deadline (if any) passes; then call
    /// [`Client::handle_timeout`].
    Wait(Option<Instant>),
}

/// A reply copied into the session's arena.
#[derive(Debug, Clone, Copy)]
struct StoredReply {
    code: ReplyCode,
    range: (u32, u32),
    multiline: bool,
    truncated: bool,
}

#[derive(Debug, Clone, Copy)]
enum StoredValue {
    None,
    Path,
    Size(u64),
    Time(FtpTime),
    Features,
    Transferred(u64),
    Entry,
}

#[derive(Debug, Clone, Copy)]
enum Record {
    Transmit {
        range: (u32, u32),
        arms_timer: bool,
    },
    Action(Action),
    /// An action that starts the data timer when handed out.
    DataAction(Action),
    DataReady(OpId, Direction, Option<u64>),
    Greeting(StoredReply),
    Info(Option<OpId>, StoredReply),
    Completed(OpId, OpKind, StoredReply, StoredValue),
    Rejected(OpId, OpKind, StoredReply),
    Failed(OpId, OpKind, OpError),
    Closed(Option<SessionError>),
}

/// Where an op is in its command sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Host,
    User,
    Pass,
    Acct,
    Rnfr,
    Rnto,
    Mfmt,
    MdtmSet,
    /// The op's only command.
    Single,
    Type,
    Epsv,
    Pasv,
    /// Waiting for the active-mode listener.
    Listen,
    Eprt,
    Port,
    /// Waiting for the passive-mode connection.
    Connect,
    Rest,
    /// The transfer command is out: waiting for its replies and the data channel's end.
    Transfer,
    Pbsz,
}

/// A queued op: arguments live in `args` (a reused buffer), as ranges.
#[derive(Debug, Clone, Copy)]
struct Pending {
    id: OpId,
    kind: OpKind,
    /// Run by the session itself (FEAT, OPTS UTF8, CLNT after login): no events.
    internal: bool,
    args: [Option<(u32, u32)>; 3],
    time: Option<FtpTime>,
    stage: Stage,
    /// Its first command (or action) went out: it owns the wire until it ends.
    started: bool,
    offset: u64,
    store: StoreMode,
    direction: Direction,
    ascii: bool,
    /// The passive address to dial, or the active listener's address.
    data_addr: Option<SocketAddr>,
    join: Join,
    /// For ProtectData: PROT P (true) or PROT C.
    protect: bool,
    /// ABOR is out: replies are absorbed until the NOOP marker's 200.
    aborting: bool,
    /// The NOOP marker behind ABOR is out (sent after ABOR's first final reply).
    marker_sent: bool,
    /// Final replies received since ABOR went out.
    abort_finals: u8,
    /// The caller asked to abort while a command was on the wire: end at its reply.
    abort_requested: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for the 220.
    Greeting,
    /// Logged in or not, ready for ops.
    Ready,
    /// QUIT sent or fatal error: nothing more goes out.
    Closed,
}

/// What the reply to the current command means for its op.
enum Step {
    /// Send the op's next command.
    Next(Stage),
    /// The op completed.
    Done(StoredValue),
    /// The server refused it.
    Rejected,
    /// It failed locally.
    Failed(OpError),
}

/// The sans-IO FTP client session. See the [module docs](self).
pub struct Client {
    config: SessionConfig,
    addrs: ControlAddresses,
    state: State,
    framer: ReplyFramer,
    /// Ops not yet finished; the front one owns the wire once `started`.
    queue: VecDeque<Pending>,
    /// A command is on the wire, waiting for its (final) reply.
    in_flight: bool,
    /// Argument bytes of queued ops.
    args: Vec<u8>,
    /// Outputs not yet drained, and the bytes they refer to.
    records: VecDeque<Record>,
    arena: Vec<u8>,
    /// The final reply of a transfer whose data channel has not ended yet.
    held: Vec<u8>,
    held_meta: Option<(ReplyCode, bool, bool)>,
    next_id: u64,
    reply_deadline: Option<Instant>,
    data_deadline: Option<Instant>,
    capabilities: Option<Capabilities>,
    utf8_on: bool,
    /// The TYPE in force: `Some(true)` ASCII, `Some(false)` image.
    ascii_type: Option<bool>,
    epsv_refused: bool,
    eprt_refused: bool,
    /// A transfer got its final reply without a 1xx: one late 1xx may still come.
    late_preliminary: Option<OpId>,
    /// StartTls(Control) was asked for and the handshake is not done: no control bytes
    /// may arrive and none go out.
    control_tls_pending: bool,
    /// PBSZ 0 was accepted.
    pbsz_done: bool,
    /// PROT P is in force: data connections start TLS.
    protect_data: bool,
    /// Keepalive NOOPs sent whose replies have not come yet.
    pending_noops: u32,
    keepalive_deadline: Option<Instant>,
    /// The front transfer's data TLS waits for the 1xx until then (see
    /// [`SessionConfig::data_tls_wait`]); `arm_data_tls` sets it when the command goes out.
    data_tls_deadline: Option<Instant>,
    arm_data_tls: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("state", &self.state)
            .field("queued", &self.queue.len())
            .field("in_flight", &self.in_flight)
            .field("reply_deadline", &self.reply_deadline)
            .field("data_deadline", &self.data_deadline)
            .finish()
    }
}

impl Client {
    /// A session whose control connection between `addrs` was just established at `now`:
    /// it waits for the greeting (for implicit TLS, start `now` when the handshake is done).
    pub fn new(config: SessionConfig, addrs: ControlAddresses, now: Instant) -> Self {
        let framer = ReplyFramer::with_config(config.framer);
        let reply_deadline = Some(now + config.reply_timeout);
        let mut client = Client {
            config,
            addrs,
            state: State::Greeting,
            framer,
            queue: VecDeque::new(),
            in_flight: false,
            args: Vec::new(),
            records: VecDeque::new(),
            arena: Vec::new(),
            held: Vec::new(),
            held_meta: None,
            next_id: 0,
            reply_deadline,
            data_deadline: None,
            capabilities: None,
            utf8_on: false,
            ascii_type: None,
            epsv_refused: false,
            eprt_refused: false,
            late_preliminary: None,
            control_tls_pending: false,
            pbsz_done: false,
            protect_data: false,
            pending_noops: 0,
            keepalive_deadline: None,
            data_tls_deadline: None,
            arm_data_tls: false,
        };
        if client.config.tls == TlsMode::Implicit {
            client.control_tls_pending = true;
            client.records.push_back(Record::Action(Action::StartTls {
                channel: Channel::Control,
            }));
        }
        client
    }

    /// What the server announced in FEAT, once asked.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.capabilities.as_ref()
    }

    /// Whether no op is queued or running, the session's own included (the FEAT, `OPTS
    /// UTF8 ON` and CLNT it sends after login): a driver that waits for this after login
    /// has [`capabilities`](Self::capabilities) filled in.
    pub fn is_settled(&self) -> bool {
        self.queue.is_empty() && !self.in_flight
    }

    /// Whether data connections are protected with TLS now (`PROT P` accepted).
    pub fn data_protected(&self) -> bool {
        self.protect_data
    }

    /// Whether the server accepted `OPTS UTF8 ON`.
    pub fn utf8_enabled(&self) -> bool {
        self.utf8_on
    }

    /// Whether the session is closed (after QUIT or a fatal error).
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Queues an op. Arguments are checked now: one that cannot be sent is refused here,
    /// before anything is written.
    pub fn submit(&mut self, op: Op<'_>) -> Result<OpId, SubmitError> {
        if self.state == State::Closed || self.queue.back().is_some_and(|p| p.kind == OpKind::Quit)
        {
            return Err(SubmitError::Closed);
        }
        Self::validate(&op)?;
        if self.queue.is_empty() {
            self.args.clear();
        }
        let mut args = [None; 3];
        let mut time = None;
        let (mut offset, mut store, mut direction, mut ascii, mut protect) =
            (0, StoreMode::Replace, Direction::Download, false, false);
        let pbsz_done = self.pbsz_done;
        let buf = &mut self.args;
        let mut keep = |slot: usize, bytes: &[u8]| args[slot] = Some(push_arg(buf, bytes));
        let stage = match op {
            Op::Login {
                user,
                password,
                account,
            } => {
                keep(0, user);
                keep(1, password);
                if let Some(account) = account {
                    keep(2, account);
                }
                if self.config.host.is_some() {
                    Stage::Host
                } else {
                    Stage::User
                }
            }
            Op::Rename { from, to } => {
                keep(0, from);
                keep(1, to);
                Stage::Rnfr
            }
            Op::SetMtime { path, time: t } => {
                keep(0, path);
                time = Some(t);
                Stage::Mfmt
            }
            Op::Retr { path, offset: o } => {
                keep(0, path);
                offset = o;
                Stage::Type
            }
            Op::Stor {
                path,
                mode,
                offset: o,
            } => {
                keep(0, path);
                (offset, store, direction) = (o, mode, Direction::Upload);
                Stage::Type
            }
            Op::List(a) | Op::Nlst(a) | Op::Mlsd(a) => {
                if let Some(a) = a {
                    keep(0, a);
                }
                ascii = true;
                Stage::Type
            }
            Op::RawData {
                command,
                direction: d,
                ascii: a,
            } => {
                keep(0, command);
                (direction, ascii) = (d, a);
                Stage::Type
            }
            Op::Size(a) => {
                // RFC 3659 §4: the size depends on the TYPE, and some servers refuse
                // SIZE in ASCII mode (pyftpdlib: 550): ask it in image mode, as a
                // transfer would move the file.
                keep(0, a);
                Stage::Type
            }
            Op::Cwd(a)
            | Op::Mkd(a)
            | Op::Rmd(a)
            | Op::Delete(a)
            | Op::Mdtm(a)
            | Op::Site(a)
            | Op::Opts(a)
            | Op::Raw(a)
            | Op::Stat(Some(a))
            | Op::Help(Some(a))
            | Op::Mlst(Some(a)) => {
                keep(0, a);
                Stage::Single
            }
            Op::ProtectData(p) => {
                protect = p;
                if pbsz_done {
                    Stage::Single
                } else {
                    Stage::Pbsz
                }
            }
            Op::Cdup
            | Op::Pwd
            | Op::Noop
            | Op::Syst
            | Op::Feat
            | Op::Quit
            | Op::Ccc
            | Op::Stat(None)
            | Op::Help(None)
            | Op::Mlst(None) => Stage::Single,
        };
        let id = OpId(self.next_id);
        self.next_id += 1;
        self.queue.push_back(Pending {
            id,
            kind: op.kind(),
            internal: false,
            args,
            time,
            stage,
            started: false,
            offset,
            store,
            direction,
            ascii,
            data_addr: None,
            join: Join::default(),
            protect,
            aborting: false,
            marker_sent: false,
            abort_finals: 0,
            abort_requested: false,
        });
        self.advance();
        Ok(id)
    }

    fn validate(op: &Op<'_>) -> Result<(), CommandError> {
        match *op {
            Op::Login {
                user,
                password,
                account,
            } => {
                Command::User(user).validate()?;
                Command::Pass(Password(password)).validate()?;
                account.map_or(Ok(()), |a| Command::Acct(a).validate())
            }
            Op::Rename { from, to } => {
                Command::Rnfr(from).validate()?;
                Command::Rnto(to).validate()
            }
            Op::SetMtime { path, time } => Command::Mfmt(time, path).validate(),
            Op::Cwd(a) => Command::Cwd(a).validate(),
            Op::Mkd(a) => Command::Mkd(a).validate(),
            Op::Rmd(a) => Command::Rmd(a).validate(),
            Op::Delete(a) => Command::Dele(a).validate(),
            Op::Size(a) => Command::Size(a).validate(),
            Op::Mdtm(a) => Command::Mdtm(a).validate(),
            Op::Site(a) => Command::Site(a).validate(),
            Op::Opts(a) => Command::Opts(a).validate(),
            Op::Raw(a) => Command::Raw(a).validate(),
            Op::Stat(a) => Command::Stat(a).validate(),
            Op::Help(a) => Command::Help(a).validate(),
            Op::Retr { path, .. } => Command::Retr(path).validate(),
            Op::Stor {
                path,
                mode: StoreMode::Unique,
                ..
            } => Command::Stou((!path.is_empty()).then_some(path)).validate(),
            Op::Stor { path, .. } => Command::Stor(path).validate(),
            Op::List(a) => Command::List(a).validate(),
            Op::Nlst(a) => Command::Nlst(a).validate(),
            Op::Mlsd(a) => Command::Mlsd(a).validate(),
            Op::Mlst(a) => Command::Mlst(a).validate(),
            Op::RawData { command, .. } => Command::Raw(command).validate(),
            Op::Cdup
            | Op::Pwd
            | Op::Noop
            | Op::Syst
            | Op::Feat
            | Op::Quit
            | Op::Ccc
            | Op::ProtectData(_) => Ok(()),
        }
    }

    /// Control-channel bytes as they arrived (after TLS, if any). Takes them all.
    pub fn handle_control_data(&mut self, mut data: &[u8], now: Instant) {
        if self.control_tls_pending && !data.is_empty() && self.state != State::Closed {
            // Only the TLS handshake may come now, and the driver handles it.
            self.fail(SessionError::PlaintextAfterAuth);
            return;
        }
        while !data.is_empty() && self.state != State::Closed {
            match self.framer.push(data) {
                Ok(used) => data = &data[used..],
                Err(error) => {
                    self.fail(SessionError::Framing(error));
                    return;
                }
            }
            if let Some(reply) = self.framer.reply() {
                let stored = store_reply(&mut self.arena, &reply);
                self.on_reply(stored, now);
                if self.control_tls_pending && !data.is_empty() {
                    // Bytes behind the 234 in the same read were sent before our TLS
                    // started: never parse them.
                    self.fail(SessionError::PlaintextAfterAuth);
                    return;
                }
            }
        }
    }

    /// The TLS handshake on `channel` is done.
    pub fn handle_tls_ready(&mut self, channel: Channel, now: Instant) {
        let _ = now;
        if self.state == State::Closed {
            return;
        }
        match channel {
            Channel::Control => {
                if self.control_tls_pending {
                    self.control_tls_pending = false;
                    self.advance();
                }
            }
            Channel::Data(op) => {
                if self.transfer_front(op).is_some()
                    && let Some(front) = self.queue.front_mut()
                    && front.join.tls_pending
                {
                    front.join.tls_pending = false;
                    self.report_ready();
                }
            }
        }
    }

    /// The TLS handshake on the control connection failed: fatal.
    pub fn handle_tls_failed(&mut self, now: Instant) {
        let _ = now;
        self.fail(SessionError::TlsHandshake);
    }

    /// The server closed the control connection.
    pub fn handle_control_eof(&mut self, now: Instant) {
        if self.state == State::Closed {
            return;
        }
        match self.framer.finish() {
            Ok(Some(reply)) => {
                let stored = store_reply(&mut self.arena, &reply);
                self.on_reply(stored, now);
            }
            Ok(None) => {}
            Err(error) => {
                self.fail(SessionError::Framing(error));
                return;
            }
        }
        if self.state != State::Closed {
            self.fail(SessionError::ConnectionLost);
        }
    }

    /// Time has passed: fires the deadlines that are due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state == State::Closed {
            return;
        }
        if self.reply_deadline.is_some_and(|d| d <= now) {
            self.fail(SessionError::ReplyTimeout);
            return;
        }
        if self.data_tls_deadline.is_some_and(|d| d <= now) {
            // No 1xx yet: this server may want the handshake first.
            self.start_data_tls();
        }
        if self.keepalive_deadline.is_some_and(|d| d <= now) {
            self.keepalive_deadline = None;
            let running = self.queue.front().is_some_and(|p| {
                p.stage == Stage::Transfer
                    && p.join.final_positive.is_none()
                    && !p.aborting
                    && self.in_flight
            });
            if let (true, Some(interval)) = (running, self.config.keepalive_interval) {
                let start = self.arena.len() as u32;
                let _ = Command::Noop.encode(&mut self.arena);
                // No reply timer: servers may answer only after the transfer.
                self.records.push_back(Record::Transmit {
                    range: (start, self.arena.len() as u32),
                    arms_timer: false,
                });
                self.pending_noops += 1;
                self.keepalive_deadline = Some(now + interval);
            }
        }
        if self.data_deadline.is_some_and(|d| d <= now) {
            self.data_deadline = None;
            if let Some(op) = self.active_transfer() {
                let server_mid_transfer = self.queue.front().is_some_and(|p| {
                    p.id == op
                        && p.stage == Stage::Transfer
                        && p.join.command_sent
                        && p.join.final_positive.is_none()
                        && !p.aborting
                });
                if server_mid_transfer {
                    // The server thinks the transfer runs (it may never send its final
                    // reply, or only after its own long timeout): ABOR puts both sides
                    // back in step, and the op ends with the timeout, not "aborted".
                    // (Nothing is coming on the data connection: closed, not drained.)
                    let _ = self.abort_op(op, false);
                    if let Some(front) = self.queue.front_mut() {
                        front.join.failure = Some(DataFailure::Timeout);
                    }
                } else {
                    self.records
                        .push_back(Record::Action(Action::CloseData { op }));
                    self.data_failed(DataFailure::Timeout, now);
                }
            }
        }
    }

    /// The active-mode listener of `op` is bound to `addr`.
    pub fn handle_data_listening(&mut self, op: OpId, addr: SocketAddr, now: Instant) {
        let _ = now;
        let Some(p) = self.transfer_front(op) else {
            return;
        };
        if p.stage != Stage::Listen {
            return;
        }
        self.data_deadline = None;
        let announced = match self.config.data_mode {
            DataMode::Active {
                external_ip: Some(ip),
                ..
            } => SocketAddr::new(ip, addr.port()),
            _ => addr,
        };
        let use_port = self.eprt_refused && announced.is_ipv4();
        if let Some(front) = self.queue.front_mut() {
            front.data_addr = Some(announced);
        }
        self.enter(if use_port { Stage::Port } else { Stage::Eprt });
    }

    /// The data connection of `op` is up; `peer` is the server's end.
    pub fn handle_data_connected(&mut self, op: OpId, peer: SocketAddr, now: Instant) {
        let active = matches!(self.config.data_mode, DataMode::Active { .. });
        let Some(p) = self.transfer_front(op) else {
            return;
        };
        if p.join.connected || p.join.data_done() {
            return;
        }
        self.data_deadline = None;
        if active && !self.config.accept_foreign_data_peer && peer.ip() != self.addrs.peer.ip() {
            // Someone else connected to our listener: never take data from it.
            self.records
                .push_back(Record::Action(Action::CloseData { op }));
            self.data_failed(DataFailure::ForeignPeer, now);
            return;
        }
        if let Some(front) = self.queue.front_mut() {
            front.join.connected = true;
        }
        if p.stage == Stage::Connect {
            self.after_data_setup();
        } else {
            self.report_ready();
        }
    }

    /// Bytes moved on the data connection of `op`: restarts its idle timer.
    pub fn handle_data_activity(&mut self, op: OpId, now: Instant) {
        if let (Some(idle), Some(active)) = (self.config.data_idle_timeout, self.active_transfer())
            && active == op
            && self.data_deadline.is_some()
        {
            self.data_deadline = Some(now + idle);
        }
    }

    /// The data channel of `op` ended: EOF of a download, or the end of the shutdown of an
    /// upload (after [`Action::ShutdownData`]).
    pub fn handle_data_end(&mut self, op: OpId, end: DataEnd, now: Instant) {
        if self.live_transfer(op).is_none() {
            return;
        }
        self.data_deadline = None;
        if let Some(front) = self.queue.front_mut() {
            front.join.data_end = Some(end);
        }
        self.try_finish_transfer(now);
    }

    /// The data channel of `op` failed (connect, accept, TLS, reset, …).
    pub fn handle_data_failed(&mut self, op: OpId, failure: DataFailure, now: Instant) {
        if self.live_transfer(op).is_none() {
            return;
        }
        self.data_deadline = None;
        self.data_failed(failure, now);
    }

    /// Aborts `op`. A queued op is dropped; a running transfer is stopped with `ABOR`
    /// (its data connection closed), and a `NOOP` behind it marks where the replies of
    /// the transfer and the ABOR end, whichever of {426 + 226}, {226}, {225} or
    /// {226 + 225/226} the server sends, so the session stays in step; any other
    /// running op ends at its next reply instead of sending its next command. The op
    /// ends with [`OpError::Aborted`] (unless it completes first).
    pub fn abort(&mut self, op: OpId) -> Result<(), UsageError> {
        self.abort_op(op, true)
    }

    /// [`abort`](Self::abort); a running download's data connection is drained after
    /// ABOR if `drain` ([`Action::DrainData`]), else closed before it.
    fn abort_op(&mut self, op: OpId, drain: bool) -> Result<(), UsageError> {
        if self.state == State::Closed {
            return Err(UsageError::NoSuchOp);
        }
        let Some(index) = self.queue.iter().position(|p| p.id == op && !p.internal) else {
            return Err(UsageError::NoSuchOp);
        };
        let p = self.queue[index];
        if !p.started {
            self.queue.remove(index);
            self.records
                .push_back(Record::Failed(p.id, p.kind, OpError::Aborted));
            return Ok(());
        }
        if p.aborting {
            return Ok(());
        }
        if p.stage == Stage::Transfer && p.join.command_sent {
            // A protected download's data connection is drained after ABOR, until the
            // server closes it (RFC 959 §4.1.3: the server closes it on ABOR). Closed
            // first, the server's next write fails, and proftpd's mod_tls then ends the
            // whole session ("unexpected OpenSSL error, disconnecting"). Others are
            // closed first: a failed plain write is a 426 everywhere, and draining costs
            // up to its limits against servers that take ABOR only after the transfer
            // (vsftpd, without the Telnet Synch); an upload has nothing to drain.
            let drain = drain
                && self.protect_data
                && !p.join.data_done()
                && p.direction == Direction::Download;
            if !p.join.data_done() && !drain {
                self.records
                    .push_back(Record::Action(Action::CloseData { op }));
            }
            let start = self.arena.len() as u32;
            // Encoding fixed commands cannot fail. The NOOP marker follows only after
            // ABOR's first final reply: pure-ftpd reads the control connection raw while
            // a transfer runs and drops a NOOP that arrives with the ABOR.
            let _ = Command::Abor.encode(&mut self.arena);
            self.records.push_back(Record::Transmit {
                range: (start, self.arena.len() as u32),
                arms_timer: true,
            });
            if drain {
                self.records.push_back(Record::Action(Action::DrainData {
                    op,
                    max_bytes: ABORT_DRAIN_BYTES,
                    max_wait: ABORT_DRAIN_WAIT,
                }));
            }
            if let Some(front) = self.queue.front_mut() {
                front.aborting = true;
                front.join.data_closed = true;
            }
            self.in_flight = true;
            self.data_deadline = None;
            return Ok(());
        }
        if matches!(p.stage, Stage::Connect | Stage::Listen) {
            // No command on the wire: end now.
            self.records
                .push_back(Record::Action(Action::CloseData { op }));
            self.finish_op(Record::Failed(p.id, p.kind, OpError::Aborted));
            self.advance();
            return Ok(());
        }
        if let Some(front) = self.queue.front_mut() {
            front.abort_requested = true;
        }
        Ok(())
    }

    /// The caller has written all of an upload: the session asks the driver to shut the
    /// data channel down ([`Action::ShutdownData`]), then waits for its end and the reply.
    pub fn finish_upload(&mut self, op: OpId) -> Result<(), UsageError> {
        let Some(p) = self.transfer_front(op) else {
            return Err(UsageError::NoUploadInProgress);
        };
        let j = p.join;
        if p.direction != Direction::Upload || !j.ready_reported || j.data_done() {
            return Err(UsageError::NoUploadInProgress);
        }
        self.records
            .push_back(Record::Action(Action::ShutdownData { op }));
        Ok(())
    }

    /// The next output, in the order the driver must act on them. Call until it returns
    /// [`Output::Wait`].
    pub fn poll_output(&mut self, now: Instant) -> Output<'_> {
        let Some(record) = self.records.pop_front() else {
            // Everything handed out was acted on: the buffers can be reused.
            self.arena.clear();
            let deadline = [
                self.reply_deadline,
                self.data_deadline,
                self.keepalive_deadline,
                self.data_tls_deadline,
            ]
            .into_iter()
            .flatten()
            .min();
            return Output::Wait(deadline);
        };
        let arena = &self.arena;
        let reply = |s: StoredReply| {
            Reply::new(
                s.code,
                &arena[s.range.0 as usize..s.range.1 as usize],
                s.multiline,
                s.truncated,
            )
        };
        match record {
            Record::Transmit { range, arms_timer } => {
                // A reply may already have closed the session (replies pipelined
                // behind the command's predecessor): then there is nothing to wait for.
                if arms_timer && self.state != State::Closed {
                    self.reply_deadline = Some(now + self.config.reply_timeout);
                }
                if core::mem::take(&mut self.arm_data_tls) && self.state != State::Closed {
                    self.data_tls_deadline = Some(now + self.config.data_tls_wait);
                }
                Output::Transmit(&self.arena[range.0 as usize..range.1 as usize])
            }
            Record::Action(action) => Output::Action(action),
            Record::DataAction(action) => {
                if self.state != State::Closed {
                    self.data_deadline = Some(now + self.config.data_timeout);
                }
                Output::Action(action)
            }
            Record::DataReady(op, direction, size) => {
                if self.state != State::Closed && self.active_transfer() == Some(op) {
                    if let Some(idle) = self.config.data_idle_timeout {
                        self.data_deadline = Some(now + idle);
                    }
                    if let Some(interval) = self.config.keepalive_interval {
                        self.keepalive_deadline = Some(now + interval);
                    }
                }
                Output::Event(Event::DataReady {
                    op,
                    direction,
                    size,
                })
            }
            Record::Greeting(s) => Output::Event(Event::Greeting(reply(s))),
            Record::Info(op, s) => Output::Event(Event::Info {
                op,
                reply: reply(s),
            }),
            Record::Completed(op, kind, s, value) => {
                let reply = reply(s);
                // Path and Entry were checked when the reply arrived.
                let value = match value {
                    StoredValue::None => Value::None,
                    StoredValue::Path => parse_257(reply.text()).map_or(Value::None, Value::Path),
                    StoredValue::Entry => {
                        parse_mlst_reply(&reply).map_or(Value::None, Value::Entry)
                    }
                    StoredValue::Size(n) => Value::Size(n),
                    StoredValue::Time(t) => Value::Time(t),
                    StoredValue::Features => Value::Features,
                    StoredValue::Transferred(n) => Value::Transferred(n),
                };
                Output::Event(Event::Completed {
                    op,
                    kind,
                    reply,
                    value,
                })
            }
            Record::Rejected(op, kind, s) => Output::Event(Event::Rejected {
                op,
                kind,
                reply: reply(s),
            }),
            Record::Failed(op, kind, error) => Output::Event(Event::Failed { op, kind, error }),
            Record::Closed(error) => Output::Event(Event::Closed(error)),
        }
    }

    /// The front op, if it is the transfer `op` in progress.
    fn transfer_front(&self, op: OpId) -> Option<Pending> {
        if self.state == State::Closed {
            return None;
        }
        self.queue
            .front()
            .filter(|p| p.id == op && p.started && p.kind.is_transfer())
            .copied()
    }

    /// The front op, if it is the transfer `op` and its data channel has not ended.
    fn live_transfer(&self, op: OpId) -> Option<Pending> {
        self.transfer_front(op).filter(|p| !p.join.data_done())
    }

    /// The transfer whose data channel is being set up or used, if any.
    fn active_transfer(&self) -> Option<OpId> {
        self.queue
            .front()
            .filter(|p| p.started && p.kind.is_transfer() && !p.join.data_done())
            .map(|p| p.id)
    }

    /// Starts the front op if nothing owns the wire.
    fn advance(&mut self) {
        if self.state != State::Ready || self.control_tls_pending || self.pending_noops > 0 {
            // After keepalive NOOPs, the next command waits for their replies: a 200
            // must never be taken for the answer to something else.
            return;
        }
        let Some(front) = self.queue.front_mut() else {
            return;
        };
        if front.started {
            return;
        }
        front.started = true;
        if front.kind == OpKind::SetMtime
            && front.stage == Stage::Mfmt
            && self
                .capabilities
                .as_ref()
                .is_some_and(|c| !c.has(Feature::Mfmt) && c.has(Feature::Mdtm))
        {
            // FEAT lists MDTM but no MFMT (vsftpd): its way is the two-argument MDTM.
            front.stage = Stage::MdtmSet;
        }
        let stage = front.stage;
        let wants_ascii = front.ascii;
        if stage == Stage::Type && self.ascii_type == Some(wants_ascii) {
            // TYPE only when it changes.
            self.after_type();
        } else {
            self.enter(stage);
        }
    }

    /// The data setup that follows TYPE (SIZE, which is asked in image mode too, has
    /// none).
    fn after_type(&mut self) {
        if self.queue.front().is_some_and(|p| p.kind == OpKind::Size) {
            self.enter(Stage::Single);
            return;
        }
        let stage = match self.config.data_mode {
            DataMode::Auto if self.epsv_refused => Stage::Pasv,
            DataMode::Auto | DataMode::ExtendedPassive => Stage::Epsv,
            DataMode::Passive => Stage::Pasv,
            DataMode::Active { .. } => Stage::Listen,
        };
        self.enter(stage);
    }

    /// What follows a working data connection setup: REST for an offset, then the command.
    fn after_data_setup(&mut self) {
        let offset = self.queue.front().map_or(0, |p| p.offset);
        self.enter(if offset > 0 {
            Stage::Rest
        } else {
            Stage::Transfer
        });
    }

    /// Moves the front op to `stage` and does what that stage starts with.
    fn enter(&mut self, stage: Stage) {
        let Some(front) = self.queue.front_mut() else {
            return;
        };
        front.stage = stage;
        let p = *front;
        match stage {
            Stage::Listen => {
                let ip = self.addrs.local.ip();
                let ports = match self.config.data_mode {
                    DataMode::Active { ports, .. } => ports,
                    _ => None,
                };
                self.records
                    .push_back(Record::DataAction(Action::ListenData {
                        op: p.id,
                        ip,
                        ports,
                    }));
            }
            Stage::Connect => {
                if let Some(addr) = p.data_addr {
                    self.records
                        .push_back(Record::DataAction(Action::ConnectData { op: p.id, addr }));
                }
            }
            _ => {
                self.send(&p);
                if stage == Stage::Transfer && self.state != State::Closed {
                    let protect = self.protect_data;
                    if let Some(front) = self.queue.front_mut() {
                        front.join.command_sent = true;
                        front.join.tls_pending = protect;
                        front.join.tls_deferred = protect;
                    }
                    if matches!(self.config.data_mode, DataMode::Active { .. }) {
                        self.records
                            .push_back(Record::DataAction(Action::AcceptData { op: p.id }));
                    }
                    // Not before the command (servers start their TLS side only while
                    // processing it), and not before they accept it: at the 1xx, or
                    // after `data_tls_wait` (see `start_data_tls`).
                    self.arm_data_tls = protect;
                }
            }
        }
    }

    fn send(&mut self, pending: &Pending) {
        let args = &self.args;
        let arg = |slot: usize| pending.args[slot].map(|(a, b)| &args[a as usize..b as usize]);
        let arg0 = arg(0).unwrap_or_default();
        let time = pending.time.unwrap_or(FtpTime::UNIX_EPOCH);
        let config = &self.config;
        let command = match (pending.kind, pending.stage) {
            (OpKind::Login, Stage::Host) => {
                Command::Host(config.host.as_deref().unwrap_or_default())
            }
            (OpKind::Login, Stage::User) => Command::User(arg0),
            (OpKind::Login, Stage::Pass) => Command::Pass(Password(arg(1).unwrap_or_default())),
            (OpKind::Login, _) => Command::Acct(arg(2).unwrap_or_default()),
            (OpKind::Rename, Stage::Rnfr) => Command::Rnfr(arg0),
            (OpKind::Rename, _) => Command::Rnto(arg(1).unwrap_or_default()),
            (OpKind::SetMtime, Stage::MdtmSet) => Command::MdtmSet(time, arg0),
            (OpKind::SetMtime, _) => Command::Mfmt(time, arg0),
            (_, Stage::Type) => Command::Type(if pending.ascii {
                TransferType::Ascii
            } else {
                TransferType::Image
            }),
            (_, Stage::Epsv) => Command::Epsv,
            (_, Stage::Pasv) => Command::Pasv,
            (_, Stage::Eprt) => match pending.data_addr {
                Some(addr) => Command::Eprt(addr),
                None => Command::Epsv,
            },
            (_, Stage::Port) => match pending.data_addr {
                Some(SocketAddr::V4(addr)) => Command::Port(addr),
                _ => Command::Pasv,
            },
            (_, Stage::Rest) => Command::Rest(pending.offset),
            (OpKind::Retr, _) => Command::Retr(arg0),
            (OpKind::Stor, _) => match pending.store {
                StoreMode::Replace => Command::Stor(arg0),
                StoreMode::Append => Command::Appe(arg0),
                StoreMode::Unique => Command::Stou(arg(0).filter(|a| !a.is_empty())),
            },
            (OpKind::List, _) => Command::List(arg(0)),
            (OpKind::Nlst, _) => Command::Nlst(arg(0)),
            (OpKind::Mlsd, _) => Command::Mlsd(arg(0)),
            (OpKind::Mlst, _) => Command::Mlst(arg(0)),
            (OpKind::RawData, _) => Command::Raw(arg0),
            (OpKind::Cwd, _) => Command::Cwd(arg0),
            (OpKind::Cdup, _) => Command::Cdup,
            (OpKind::Pwd, _) => Command::Pwd,
            (OpKind::Mkd, _) => Command::Mkd(arg0),
            (OpKind::Rmd, _) => Command::Rmd(arg0),
            (OpKind::Delete, _) => Command::Dele(arg0),
            (OpKind::Size, _) => Command::Size(arg0),
            (OpKind::Mdtm, _) => Command::Mdtm(arg0),
            (OpKind::Site, _) => Command::Site(arg0),
            (OpKind::Noop, _) => Command::Noop,
            (OpKind::Syst, _) => Command::Syst,
            (OpKind::Stat, _) => Command::Stat(arg(0)),
            (OpKind::Help, _) => Command::Help(arg(0)),
            (OpKind::Feat, _) => Command::Feat,
            (OpKind::Opts, _) => Command::Opts(arg0),
            (OpKind::Raw, _) => Command::Raw(arg0),
            (OpKind::Quit, _) => Command::Quit,
            (OpKind::AuthTls, _) => Command::Auth(AuthMechanism::Tls),
            (OpKind::Ccc, _) => Command::Ccc,
            (OpKind::ProtectData, Stage::Pbsz) => Command::Pbsz(0),
            (OpKind::ProtectData, _) => Command::Prot(if pending.protect {
                ProtectionLevel::Private
            } else {
                ProtectionLevel::Clear
            }),
            (OpKind::Clnt, _) => Command::Clnt(config.client_name.as_deref().unwrap_or_default()),
        };
        let start = self.arena.len() as u32;
        if let Err(error) = command.encode(&mut self.arena) {
            // Op arguments were checked on submit; a configured HOST or CLNT name was not.
            let p = *pending;
            self.finish_op(Record::Failed(p.id, p.kind, OpError::InvalidConfig(error)));
            self.advance();
            return;
        }
        let range = (start, self.arena.len() as u32);
        self.records.push_back(Record::Transmit {
            range,
            arms_timer: true,
        });
        self.in_flight = true;
    }

    fn on_reply(&mut self, reply: StoredReply, now: Instant) {
        let code = reply.code;
        match self.state {
            State::Closed => {}
            State::Greeting => match code.get() {
                120 => self.records.push_back(Record::Info(None, reply)),
                220 => {
                    self.records.push_back(Record::Greeting(reply));
                    self.state = State::Ready;
                    self.reply_deadline = None;
                    self.queue_tls_setup();
                    self.advance();
                }
                421 => self.fail(SessionError::ServiceNotAvailable),
                _ => self.fail(SessionError::BadGreeting { code }),
            },
            State::Ready => {
                if code.is_preliminary()
                    && let Some(op) = self.late_preliminary.take()
                {
                    // A 1xx after a transfer's final reply (servers that send the 2xx
                    // first): informational, nothing is out of step.
                    self.records.push_back(Record::Info(Some(op), reply));
                    return;
                }
                if self.pending_noops > 0 && !code.is_preliminary() {
                    let transfer_waits_for_final = self.in_flight
                        && self
                            .queue
                            .front()
                            .is_some_and(|p| p.stage == Stage::Transfer && !p.aborting);
                    // A transfer's final reply is never 200; a NOOP's is.
                    if !transfer_waits_for_final || code == ReplyCode::COMMAND_OK {
                        self.pending_noops -= 1;
                        if self.pending_noops == 0 && !self.in_flight {
                            self.reply_deadline = None;
                        }
                        self.records.push_back(Record::Info(None, reply));
                        self.advance();
                        return;
                    }
                }
                if !code.is_preliminary() {
                    self.late_preliminary = None;
                }
                let Some(&pending) = self.queue.front().filter(|_| self.in_flight) else {
                    let error = if code == ReplyCode::SERVICE_NOT_AVAILABLE {
                        SessionError::ServiceNotAvailable
                    } else {
                        SessionError::UnsolicitedReply { code }
                    };
                    self.fail(error);
                    return;
                };
                if pending.aborting {
                    self.on_abort_reply(pending, reply);
                    return;
                }
                if pending.stage == Stage::Transfer {
                    self.on_transfer_reply(pending, reply, now);
                    return;
                }
                if code.is_preliminary() {
                    // Not expected outside a transfer, but a final reply follows:
                    // report it and keep waiting.
                    let op = (!pending.internal).then_some(pending.id);
                    self.records.push_back(Record::Info(op, reply));
                    return;
                }
                self.in_flight = false;
                self.reply_deadline = None;
                if code == ReplyCode::SERVICE_NOT_AVAILABLE {
                    self.end_with_421(pending, reply);
                    return;
                }
                let step = self.step(&pending, reply);
                self.apply(pending, reply, step);
            }
        }
    }

    /// Replies after ABOR: the transfer's and the ABOR's are absorbed. Once ABOR's own
    /// reply is in (see below), the NOOP marker goes out; its 200 ends the op, whatever
    /// else the server still says before it.
    fn on_abort_reply(&mut self, pending: Pending, reply: StoredReply) {
        let code = reply.code;
        let finals = if code.is_preliminary() {
            pending.abort_finals
        } else {
            pending.abort_finals.saturating_add(1)
        };
        if let Some(front) = self.queue.front_mut() {
            front.abort_finals = finals;
        }
        // A 4xx first (426: the transfer broke) is followed by ABOR's own reply: 226 from
        // most servers, 451 from pure-ftpd after an upload. The marker goes out after
        // that second reply, or after a first one that is not a 4xx (226 or 225 alone).
        if !pending.marker_sent
            && !code.is_preliminary()
            && (finals >= 2 || !code.is_transient_negative())
            && code != ReplyCode::SERVICE_NOT_AVAILABLE
        {
            let start = self.arena.len() as u32;
            let _ = Command::Noop.encode(&mut self.arena);
            self.records.push_back(Record::Transmit {
                range: (start, self.arena.len() as u32),
                arms_timer: true,
            });
            if let Some(front) = self.queue.front_mut() {
                front.marker_sent = true;
            }
            self.records
                .push_back(Record::Info(Some(pending.id), reply));
            return;
        }
        match code.get() {
            421 => self.end_with_421(pending, reply),
            200 if pending.marker_sent => {
                self.reply_deadline = None;
                self.late_preliminary = None;
                // Aborted by the caller, or by the session after a data timeout.
                let error = pending.join.failure.map_or(OpError::Aborted, OpError::Data);
                self.finish_op(Record::Failed(pending.id, pending.kind, error));
                self.advance();
            }
            _ => self
                .records
                .push_back(Record::Info(Some(pending.id), reply)),
        }
    }

    /// A 421 ends the op with it and closes the session.
    fn end_with_421(&mut self, pending: Pending, reply: StoredReply) {
        if pending.kind.is_transfer() && pending.started && !pending.join.data_done() {
            self.records
                .push_back(Record::Action(Action::CloseData { op: pending.id }));
        }
        if !pending.internal {
            self.records
                .push_back(Record::Rejected(pending.id, pending.kind, reply));
        }
        self.queue.pop_front();
        self.fail(SessionError::ServiceNotAvailable);
    }

    /// A reply to the transfer command: a 1xx (the data is coming), or the final one.
    fn on_transfer_reply(&mut self, pending: Pending, reply: StoredReply, now: Instant) {
        let code = reply.code;
        if code.is_preliminary() {
            let size = parse_transfer_size(stored_text(&self.arena, reply));
            if let Some(front) = self.queue.front_mut() {
                front.join.accepted = true;
                front.join.size_hint = size;
            }
            self.start_data_tls();
            // The final reply comes after the data: the data channel's own timers
            // (connect, idle) watch the transfer meanwhile.
            self.reply_deadline = None;
            self.records
                .push_back(Record::Info(Some(pending.id), reply));
            self.report_ready();
            return;
        }
        self.in_flight = false;
        self.reply_deadline = None;
        self.keepalive_deadline = None;
        if code == ReplyCode::SERVICE_NOT_AVAILABLE {
            self.end_with_421(pending, reply);
            return;
        }
        // Keep the final reply until the data channel has ended too.
        self.held.clear();
        self.held
            .extend_from_slice(&self.arena[reply.range.0 as usize..reply.range.1 as usize]);
        self.held_meta = Some((code, reply.multiline, reply.truncated));
        let positive = code.is_completion();
        if !pending.join.accepted {
            self.late_preliminary = Some(pending.id);
        }
        if let Some(front) = self.queue.front_mut() {
            front.join.final_positive = Some(positive);
            if positive {
                // A 2xx without a 1xx: the server accepted the command all the same.
                front.join.accepted = true;
            }
        }
        if positive {
            self.start_data_tls();
        } else {
            // Refused: no handshake is started for it (its ticket stays unused).
            self.data_tls_deadline = None;
            self.arm_data_tls = false;
            if let Some(front) = self.queue.front_mut() {
                front.join.tls_deferred = false;
            }
        }
        if positive {
            self.report_ready();
        }
        self.try_finish_transfer(now);
    }

    /// Starts TLS on the front transfer's data connection if it waits for that (see
    /// [`SessionConfig::data_tls_wait`]).
    fn start_data_tls(&mut self) {
        self.data_tls_deadline = None;
        self.arm_data_tls = false;
        let Some(front) = self.queue.front_mut() else {
            return;
        };
        if front.stage == Stage::Transfer && front.join.tls_deferred {
            front.join.tls_deferred = false;
            let op = front.id;
            self.records.push_back(Record::Action(Action::StartTls {
                channel: Channel::Data(op),
            }));
        }
    }

    /// Reports `DataReady` once the command is accepted and the connection is up.
    fn report_ready(&mut self) {
        let Some(front) = self.queue.front_mut() else {
            return;
        };
        let j = &mut front.join;
        if j.ready_reported || !j.accepted || !j.connected || j.tls_pending || j.data_done() {
            return;
        }
        j.ready_reported = true;
        let (op, direction, size) = (front.id, front.direction, j.size_hint);
        self.records
            .push_back(Record::DataReady(op, direction, size));
    }

    /// The data channel failed; before the command went out the op ends at once, after
    /// it the server's final reply is still awaited so the session stays in step.
    fn data_failed(&mut self, failure: DataFailure, now: Instant) {
        let Some(front) = self.queue.front_mut() else {
            return;
        };
        if !front.join.command_sent {
            let p = *front;
            self.finish_op(Record::Failed(p.id, p.kind, OpError::Data(failure)));
            self.advance();
            return;
        }
        front.join.failure = Some(failure);
        self.try_finish_transfer(now);
    }

    /// Ends the front transfer if both its final reply and its data end are in.
    fn try_finish_transfer(&mut self, now: Instant) {
        let Some(&p) = self.queue.front() else {
            return;
        };
        let Some(outcome) = p.join.outcome() else {
            if p.join.final_positive.is_none() && p.join.data_done() && p.join.command_sent {
                // The data is over; the final reply must follow promptly.
                self.reply_deadline = Some(now + self.config.reply_timeout);
            }
            return;
        };
        if !p.join.data_done() {
            // Refused while the data connection is open: close it, never read on.
            self.records
                .push_back(Record::Action(Action::CloseData { op: p.id }));
        }
        let reply = match self.held_meta.take() {
            Some((code, multiline, truncated)) => {
                let start = self.arena.len() as u32;
                self.arena.extend_from_slice(&self.held);
                StoredReply {
                    code,
                    range: (start, self.arena.len() as u32),
                    multiline,
                    truncated,
                }
            }
            None => return,
        };
        let record = match outcome {
            JoinOutcome::Completed(bytes) => match p.join.size_hint {
                // The 150 announced the file's size and less arrived, cleanly: the file
                // is truncated (a server that lost it, or a middlebox), not downloaded.
                // Only a binary download from the start: ASCII sizes differ on the wire,
                // and servers disagree on what they announce after REST.
                Some(expected)
                    if p.kind == OpKind::Retr && !p.ascii && p.offset == 0 && bytes < expected =>
                {
                    Record::Failed(
                        p.id,
                        p.kind,
                        OpError::ShortData {
                            expected,
                            received: bytes,
                        },
                    )
                }
                _ => Record::Completed(p.id, p.kind, reply, StoredValue::Transferred(bytes)),
            },
            JoinOutcome::Rejected => Record::Rejected(p.id, p.kind, reply),
            JoinOutcome::Failed(failure) => Record::Failed(p.id, p.kind, OpError::Data(failure)),
            JoinOutcome::Unclean(bytes) => {
                Record::Failed(p.id, p.kind, OpError::UncleanDataEnd { bytes })
            }
        };
        self.finish_op(record);
        if self.pending_noops > 0 {
            // The keepalive NOOPs' replies are due now.
            self.reply_deadline = Some(now + self.config.reply_timeout);
        }
        self.advance();
    }

    /// The reply tables (RFC 959 §5.4, with the deviations real servers need).
    fn step(&mut self, p: &Pending, reply: StoredReply) -> Step {
        let code = reply.code;
        let n = code.get();
        let unexpected = Step::Failed(OpError::UnexpectedReply { kind: p.kind, code });
        let refused = matches!(n, 500..=502);
        if code.is_negative() {
            return match (p.kind, p.stage) {
                // HOST is optional: a server without it goes on with USER (RFC 7151 §3.1).
                (OpKind::Login, Stage::Host) if refused => Step::Next(Stage::User),
                // No MFMT: try vsftpd's two-argument MDTM.
                (OpKind::SetMtime, Stage::Mfmt) if refused => Step::Next(Stage::MdtmSet),
                // No EPSV: PASV from now on, where PASV can work (IPv4).
                (_, Stage::Epsv)
                    if refused
                        && self.config.data_mode == DataMode::Auto
                        && self.addrs.peer.is_ipv4() =>
                {
                    self.epsv_refused = true;
                    Step::Next(Stage::Pasv)
                }
                // No EPRT: PORT from now on, for IPv4.
                (_, Stage::Eprt) if refused && p.data_addr.is_some_and(|a| a.is_ipv4()) => {
                    self.eprt_refused = true;
                    Step::Next(Stage::Port)
                }
                _ => Step::Rejected,
            };
        }
        match (p.kind, p.stage) {
            (_, Stage::Type) if code.is_completion() => {
                self.ascii_type = Some(p.ascii);
                Step::Next(Stage::Type)
            }
            (_, Stage::Epsv) if n == 229 => match parse_epsv(stored_text(&self.arena, reply)) {
                Ok(port) => {
                    // EPSV names only a port: the data goes to the control peer.
                    self.set_data_addr(SocketAddr::new(self.addrs.peer.ip(), port));
                    Step::Next(Stage::Connect)
                }
                Err(e) => Step::Failed(OpError::Parse(e)),
            },
            (_, Stage::Pasv) if n == 227 => match parse_pasv(stored_text(&self.arena, reply)) {
                Ok(addr) => {
                    let addr = if self.config.trust_pasv_address {
                        SocketAddr::V4(addr)
                    } else {
                        SocketAddr::new(self.addrs.peer.ip(), addr.port())
                    };
                    self.set_data_addr(addr);
                    Step::Next(Stage::Connect)
                }
                Err(e) => Step::Failed(OpError::Parse(e)),
            },
            (_, Stage::Eprt | Stage::Port) if code.is_completion() => Step::Next(Stage::Rest),
            (_, Stage::Rest) if n == 350 => Step::Next(Stage::Transfer),
            (OpKind::Login, Stage::Host) if code.is_completion() => Step::Next(Stage::User),
            (OpKind::Login, Stage::User | Stage::Pass | Stage::Acct) => match n {
                331 if p.stage == Stage::User => Step::Next(Stage::Pass),
                332 if p.stage != Stage::Acct => {
                    if p.args[2].is_some() {
                        Step::Next(Stage::Acct)
                    } else {
                        Step::Failed(OpError::AccountRequired)
                    }
                }
                _ if code.is_completion() => Step::Done(StoredValue::None),
                _ => unexpected,
            },
            (OpKind::Rename, Stage::Rnfr) if n == 350 => Step::Next(Stage::Rnto),
            (OpKind::Rename, Stage::Rnto) if code.is_completion() => Step::Done(StoredValue::None),
            (OpKind::Pwd | OpKind::Mkd, _) if code.is_completion() => {
                if reply.truncated {
                    return Step::Failed(OpError::Truncated);
                }
                let text = stored_text(&self.arena, reply);
                match parse_257(text) {
                    Ok(_) if n == 257 => Step::Done(StoredValue::Path),
                    // MKD answered with 200, or a 257 without quotes: done, no path.
                    _ if p.kind == OpKind::Mkd => Step::Done(StoredValue::None),
                    Ok(_) => Step::Done(StoredValue::Path),
                    Err(e) => Step::Failed(OpError::Parse(e)),
                }
            }
            (OpKind::Size, _) if code.is_completion() => {
                if reply.truncated {
                    return Step::Failed(OpError::Truncated);
                }
                match crate::size::parse_size(stored_text(&self.arena, reply)) {
                    Ok(size) => Step::Done(StoredValue::Size(size)),
                    Err(e) => Step::Failed(OpError::Parse(e)),
                }
            }
            (OpKind::Mdtm, _) if code.is_completion() => {
                if reply.truncated {
                    return Step::Failed(OpError::Truncated);
                }
                match FtpTime::find(stored_text(&self.arena, reply)) {
                    Ok(t) => Step::Done(StoredValue::Time(t)),
                    Err(e) => Step::Failed(OpError::Parse(e)),
                }
            }
            (OpKind::Mlst, _) if code.is_completion() => {
                if reply.truncated {
                    return Step::Failed(OpError::Truncated);
                }
                let raw = &self.arena[reply.range.0 as usize..reply.range.1 as usize];
                let view = Reply::new(code, raw, reply.multiline, reply.truncated);
                match parse_mlst_reply(&view) {
                    Ok(_) => Step::Done(StoredValue::Entry),
                    Err(e) => Step::Failed(OpError::Parse(e)),
                }
            }
            (OpKind::Feat, _) if code.is_completion() => {
                let stored = &self.arena[reply.range.0 as usize..reply.range.1 as usize];
                self.capabilities = Some(Capabilities::from_raw(stored));
                Step::Done(StoredValue::Features)
            }
            (OpKind::Raw, _) => Step::Done(StoredValue::None),
            (OpKind::AuthTls, _) if n == 234 => Step::Done(StoredValue::None),
            (OpKind::AuthTls, _) => Step::Rejected,
            (OpKind::ProtectData, Stage::Pbsz) if code.is_completion() => {
                self.pbsz_done = true;
                Step::Next(Stage::Single)
            }
            (
                OpKind::Cwd
                | OpKind::Cdup
                | OpKind::Rmd
                | OpKind::Delete
                | OpKind::SetMtime
                | OpKind::Site
                | OpKind::Noop
                | OpKind::Syst
                | OpKind::Stat
                | OpKind::Help
                | OpKind::Opts
                | OpKind::Quit
                | OpKind::Clnt
                | OpKind::Ccc
                | OpKind::ProtectData,
                _,
            ) if code.is_completion() => Step::Done(StoredValue::None),
            _ => unexpected,
        }
    }

    fn set_data_addr(&mut self, addr: SocketAddr) {
        if let Some(front) = self.queue.front_mut() {
            front.data_addr = Some(addr);
        }
    }

    fn apply(&mut self, pending: Pending, reply: StoredReply, step: Step) {
        let (id, kind) = (pending.id, pending.kind);
        let ends_op = !matches!(step, Step::Next(_));
        if self.config.report_all_replies && (!ends_op || pending.internal) {
            // Replies that end no op of the caller's (TYPE, EPSV, USER's 331, the
            // session's own FEAT): reported for transcripts.
            let op = (!pending.internal).then_some(id);
            self.records.push_back(Record::Info(op, reply));
        }
        if pending.abort_requested && !ends_op {
            // The caller aborted while this command was out: stop here.
            if pending.join.connected && !pending.join.data_done() {
                self.records
                    .push_back(Record::Action(Action::CloseData { op: id }));
            }
            self.finish_op(Record::Failed(id, kind, OpError::Aborted));
            self.advance();
            return;
        }
        match step {
            Step::Next(stage) => {
                match (pending.stage, stage) {
                    (Stage::Type, _) => self.after_type(),
                    // Active setup done: REST if there is an offset, then the command.
                    (Stage::Eprt | Stage::Port, Stage::Rest) => self.after_data_setup(),
                    _ => self.enter(stage),
                }
                return;
            }
            Step::Done(value) => {
                self.finish_op(Record::Completed(id, kind, reply, value));
                match kind {
                    OpKind::Login => self.after_login(),
                    OpKind::Feat if pending.internal => self.after_feat(),
                    OpKind::Opts if pending.internal => self.utf8_on = true,
                    OpKind::AuthTls => {
                        // Nothing more is read or written in the clear.
                        self.control_tls_pending = true;
                        self.records.push_back(Record::Action(Action::StartTls {
                            channel: Channel::Control,
                        }));
                    }
                    OpKind::ProtectData => self.protect_data = pending.protect,
                    OpKind::Ccc => self
                        .records
                        .push_back(Record::Action(Action::StopControlTls)),
                    _ => {}
                }
            }
            Step::Rejected | Step::Failed(_)
                if pending.internal && matches!(kind, OpKind::AuthTls | OpKind::ProtectData) =>
            {
                // TLS was required: never go on in the clear.
                self.queue.pop_front();
                self.fail(SessionError::TlsRefused { code: reply.code });
                return;
            }
            Step::Rejected => {
                if kind == OpKind::Feat && pending.internal {
                    self.capabilities = Some(Capabilities::default());
                }
                if kind.is_transfer() && pending.join.connected && !pending.join.data_done() {
                    // Refused after the data connection was made (REST refused, …).
                    self.records
                        .push_back(Record::Action(Action::CloseData { op: id }));
                }
                self.finish_op(Record::Rejected(id, kind, reply));
            }
            Step::Failed(error) => self.finish_op(Record::Failed(id, kind, error)),
        }
        if kind == OpKind::Quit {
            // Any final reply to QUIT ends the session.
            self.state = State::Closed;
            self.close(None);
        } else {
            self.advance();
        }
    }

    /// Pops the front op and reports its terminal event (internal ops report nothing).
    fn finish_op(&mut self, record: Record) {
        if let Some(p) = self.queue.pop_front()
            && !p.internal
        {
            self.records.push_back(record);
        }
        self.in_flight = false;
        self.data_deadline = None;
        self.keepalive_deadline = None;
    }

    fn push_internal_front(&mut self, kind: OpKind, arg: Option<&[u8]>) {
        self.push_internal_front_at(kind, arg, Stage::Single, false);
    }

    fn push_internal_front_at(
        &mut self,
        kind: OpKind,
        arg: Option<&[u8]>,
        stage: Stage,
        protect: bool,
    ) {
        let args = [arg.map(|a| push_arg(&mut self.args, a)), None, None];
        self.queue.push_front(Pending {
            id: OpId(u64::MAX),
            kind,
            internal: true,
            args,
            time: None,
            stage,
            started: false,
            offset: 0,
            store: StoreMode::Replace,
            direction: Direction::Download,
            ascii: false,
            data_addr: None,
            join: Join::default(),
            protect,
            aborting: false,
            marker_sent: false,
            abort_finals: 0,
            abort_requested: false,
        });
    }

    /// After the greeting: AUTH TLS (explicit), then PBSZ 0 + PROT P, ahead of every op.
    fn queue_tls_setup(&mut self) {
        if self.config.tls == TlsMode::None {
            return;
        }
        // Pushed to the front in reverse order.
        if self.config.protect_data {
            self.push_internal_front_at(OpKind::ProtectData, None, Stage::Pbsz, true);
        }
        if self.config.tls == TlsMode::Explicit {
            self.push_internal_front(OpKind::AuthTls, None);
        }
    }

    fn after_login(&mut self) {
        // Pushed to the front in reverse: FEAT runs first, then CLNT.
        if self.config.client_name.is_some() {
            self.push_internal_front(OpKind::Clnt, None);
        }
        if self.config.feat_after_login {
            self.push_internal_front(OpKind::Feat, None);
        }
    }

    fn after_feat(&mut self) {
        let utf8 = self
            .capabilities
            .as_ref()
            .is_some_and(|c| c.has(Feature::Utf8));
        if self.config.utf8 && utf8 {
            self.push_internal_front(OpKind::Opts, Some(b"UTF8 ON"));
        }
    }

    /// A fatal error: every op still queued fails, the control connection closes.
    fn fail(&mut self, error: SessionError) {
        if self.state == State::Closed {
            return;
        }
        self.state = State::Closed;
        self.close(Some(error));
    }

    fn close(&mut self, error: Option<SessionError>) {
        self.in_flight = false;
        self.reply_deadline = None;
        self.data_deadline = None;
        self.keepalive_deadline = None;
        if let Some(op) = self.active_transfer() {
            self.records
                .push_back(Record::Action(Action::CloseData { op }));
        }
        while let Some(p) = self.queue.pop_front() {
            if !p.internal {
                self.records
                    .push_back(Record::Failed(p.id, p.kind, OpError::SessionClosed));
            }
        }
        self.records.push_back(Record::Action(Action::CloseControl));
        self.records.push_back(Record::Closed(error));
    }
}

fn push_arg(buf: &mut Vec<u8>, bytes: &[u8]) -> (u32, u32) {
    let start = buf.len() as u32;
    buf.extend_from_slice(bytes);
    (start, buf.len() as u32)
}

fn store_reply(arena: &mut Vec<u8>, reply: &Reply<'_>) -> StoredReply {
    let start = arena.len() as u32;
    arena.extend_from_slice(reply.raw());
    StoredReply {
        code: reply.code(),
        range: (start, arena.len() as u32),
        multiline: reply.is_multiline(),
        truncated: reply.is_truncated(),
    }
}

fn stored_text(arena: &[u8], reply: StoredReply) -> &[u8] {
    let raw = &arena[reply.range.0 as usize..reply.range.1 as usize];
    Reply::new(reply.code, raw, reply.multiline, reply.truncated).text()
}
