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
//! This first step covers the control channel: greeting, login (HOST, USER, PASS, ACCT),
//! FEAT and `OPTS UTF8 ON` after login, CLNT, directory and file commands, raw commands,
//! QUIT, the reply timeout and unsolicited 421. Data transfers, TLS and ABOR come next.
//!
//! # Example: a complete exchange on a scripted server
//!
//! ```
//! use core::time::Duration;
//! use ftp_core::session::{Client, Event, Instant, Op, Output, SessionConfig, Value};
//!
//! let mut client = Client::new(SessionConfig::default(), Instant::ZERO);
//! let login = client.submit(Op::Login { user: b"alice", password: b"secret", account: None })?;
//! let size = client.submit(Op::Size(b"big.iso"))?;
//!
//! // What a server would answer to each command line, in order.
//! let script: &[(&[u8], &[u8])] = &[
//!     (b"USER alice\r\n", b"331 Password required\r\n"),
//!     (b"PASS secret\r\n", b"230 Logged in\r\n"),
//!     (b"FEAT\r\n", b"211-Features:\r\n SIZE\r\n211 End\r\n"),
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

use crate::command::{Command, CommandError, Password};
use crate::error::ParseError;
use crate::feat::{Capabilities, Feature};
use crate::framing::{FramerConfig, FramingError, ReplyFramer};
use crate::path::{QuotedPath, parse_257};
use crate::reply::{Reply, ReplyCode};
use crate::time::FtpTime;

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
        }
    }
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
}

/// Something the driver must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Close the control connection (after QUIT's reply, or on a fatal error).
    CloseControl,
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
}

#[derive(Debug, Clone, Copy)]
enum Record {
    Transmit { range: (u32, u32), arms_timer: bool },
    Action(Action),
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
    state: State,
    framer: ReplyFramer,
    /// Ops not yet finished; the front one is on the wire when `in_flight`.
    queue: VecDeque<Pending>,
    in_flight: bool,
    /// Argument bytes of queued ops.
    args: Vec<u8>,
    /// Outputs not yet drained, and the bytes they refer to.
    records: VecDeque<Record>,
    arena: Vec<u8>,
    next_id: u64,
    reply_deadline: Option<Instant>,
    capabilities: Option<Capabilities>,
    utf8_on: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("state", &self.state)
            .field("queued", &self.queue.len())
            .field("in_flight", &self.in_flight)
            .field("reply_deadline", &self.reply_deadline)
            .finish()
    }
}

impl Client {
    /// A session whose control connection was just established at `now`: it waits for
    /// the greeting (for implicit TLS, start `now` when the handshake is done).
    pub fn new(config: SessionConfig, now: Instant) -> Self {
        let framer = ReplyFramer::with_config(config.framer);
        let reply_deadline = Some(now + config.reply_timeout);
        Client {
            config,
            state: State::Greeting,
            framer,
            queue: VecDeque::new(),
            in_flight: false,
            args: Vec::new(),
            records: VecDeque::new(),
            arena: Vec::new(),
            next_id: 0,
            reply_deadline,
            capabilities: None,
            utf8_on: false,
        }
    }

    /// What the server announced in FEAT, once asked.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.capabilities.as_ref()
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
        let buf = &mut self.args;
        let mut store = |slot: usize, bytes: &[u8]| args[slot] = Some(push_arg(buf, bytes));
        let stage = match op {
            Op::Login {
                user,
                password,
                account,
            } => {
                store(0, user);
                store(1, password);
                if let Some(account) = account {
                    store(2, account);
                }
                if self.config.host.is_some() {
                    Stage::Host
                } else {
                    Stage::User
                }
            }
            Op::Rename { from, to } => {
                store(0, from);
                store(1, to);
                Stage::Rnfr
            }
            Op::SetMtime { path, time: t } => {
                store(0, path);
                time = Some(t);
                Stage::Mfmt
            }
            Op::Cwd(a)
            | Op::Mkd(a)
            | Op::Rmd(a)
            | Op::Delete(a)
            | Op::Size(a)
            | Op::Mdtm(a)
            | Op::Site(a)
            | Op::Opts(a)
            | Op::Raw(a)
            | Op::Stat(Some(a))
            | Op::Help(Some(a)) => {
                store(0, a);
                Stage::Single
            }
            Op::Cdup
            | Op::Pwd
            | Op::Noop
            | Op::Syst
            | Op::Feat
            | Op::Quit
            | Op::Stat(None)
            | Op::Help(None) => Stage::Single,
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
            Op::Cdup | Op::Pwd | Op::Noop | Op::Syst | Op::Feat | Op::Quit => Ok(()),
        }
    }

    /// Control-channel bytes as they arrived (after TLS, if any). Takes them all.
    pub fn handle_control_data(&mut self, mut data: &[u8], now: Instant) {
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
            }
        }
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
        if self.state != State::Closed && self.reply_deadline.is_some_and(|d| d <= now) {
            self.fail(SessionError::ReplyTimeout);
        }
    }

    /// The next output, in the order the driver must act on them. Call until it returns
    /// [`Output::Wait`].
    pub fn poll_output(&mut self, now: Instant) -> Output<'_> {
        let Some(record) = self.records.pop_front() else {
            // Everything handed out was acted on: the buffers can be reused.
            self.arena.clear();
            return Output::Wait(self.reply_deadline);
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
                Output::Transmit(&self.arena[range.0 as usize..range.1 as usize])
            }
            Record::Action(action) => Output::Action(action),
            Record::Greeting(s) => Output::Event(Event::Greeting(reply(s))),
            Record::Info(op, s) => Output::Event(Event::Info {
                op,
                reply: reply(s),
            }),
            Record::Completed(op, kind, s, value) => {
                let reply = reply(s);
                let value = match value {
                    StoredValue::None => Value::None,
                    // Checked when the reply arrived.
                    StoredValue::Path => parse_257(reply.text()).map_or(Value::None, Value::Path),
                    StoredValue::Size(n) => Value::Size(n),
                    StoredValue::Time(t) => Value::Time(t),
                    StoredValue::Features => Value::Features,
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

    /// Sends the next command if nothing is on the wire.
    fn advance(&mut self) {
        if self.state != State::Ready || self.in_flight {
            return;
        }
        let Some(&pending) = self.queue.front() else {
            return;
        };
        self.send(&pending);
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
        let _ = now;
        let code = reply.code;
        match self.state {
            State::Closed => {}
            State::Greeting => match code.get() {
                120 => self.records.push_back(Record::Info(None, reply)),
                220 => {
                    self.records.push_back(Record::Greeting(reply));
                    self.state = State::Ready;
                    self.reply_deadline = None;
                    self.advance();
                }
                421 => self.fail(SessionError::ServiceNotAvailable),
                _ => self.fail(SessionError::BadGreeting { code }),
            },
            State::Ready => {
                let Some(&pending) = self.queue.front().filter(|_| self.in_flight) else {
                    let error = if code == ReplyCode::SERVICE_NOT_AVAILABLE {
                        SessionError::ServiceNotAvailable
                    } else {
                        SessionError::UnsolicitedReply { code }
                    };
                    self.fail(error);
                    return;
                };
                if code.is_preliminary() {
                    // Not expected for control-only commands, but a final reply follows:
                    // report it and keep waiting.
                    let op = (!pending.internal).then_some(pending.id);
                    self.records.push_back(Record::Info(op, reply));
                    return;
                }
                self.in_flight = false;
                self.reply_deadline = None;
                if code == ReplyCode::SERVICE_NOT_AVAILABLE {
                    if !pending.internal {
                        self.records
                            .push_back(Record::Rejected(pending.id, pending.kind, reply));
                    }
                    self.queue.pop_front();
                    self.fail(SessionError::ServiceNotAvailable);
                    return;
                }
                let step = self.step(&pending, reply);
                self.apply(pending, reply, step);
            }
        }
    }

    /// The reply tables (RFC 959 §5.4, with the deviations real servers need).
    fn step(&mut self, p: &Pending, reply: StoredReply) -> Step {
        let code = reply.code;
        let n = code.get();
        let unexpected = Step::Failed(OpError::UnexpectedReply { kind: p.kind, code });
        if code.is_negative() {
            return match (p.kind, p.stage, n) {
                // HOST is optional: a server without it goes on with USER (RFC 7151 §3.1).
                (OpKind::Login, Stage::Host, 500 | 502) => Step::Next(Stage::User),
                // No MFMT: try vsftpd's two-argument MDTM.
                (OpKind::SetMtime, Stage::Mfmt, 500 | 502) => Step::Next(Stage::MdtmSet),
                _ => Step::Rejected,
            };
        }
        match (p.kind, p.stage) {
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
            (OpKind::Feat, _) if code.is_completion() => {
                let stored = &self.arena[reply.range.0 as usize..reply.range.1 as usize];
                self.capabilities = Some(Capabilities::from_raw(stored));
                Step::Done(StoredValue::Features)
            }
            (OpKind::Raw, _) => Step::Done(StoredValue::None),
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
                | OpKind::Clnt,
                _,
            ) if code.is_completion() => Step::Done(StoredValue::None),
            _ => unexpected,
        }
    }

    fn apply(&mut self, pending: Pending, reply: StoredReply, step: Step) {
        let (id, kind) = (pending.id, pending.kind);
        match step {
            Step::Next(stage) => {
                if let Some(front) = self.queue.front_mut() {
                    front.stage = stage;
                }
            }
            Step::Done(value) => {
                self.finish_op(Record::Completed(id, kind, reply, value));
                match kind {
                    OpKind::Login => self.after_login(),
                    OpKind::Feat if pending.internal => self.after_feat(),
                    OpKind::Opts if pending.internal => self.utf8_on = true,
                    _ => {}
                }
            }
            Step::Rejected => {
                if kind == OpKind::Feat && pending.internal {
                    self.capabilities = Some(Capabilities::default());
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
    }

    fn push_internal_front(&mut self, kind: OpKind, arg: Option<&[u8]>) {
        let args = [arg.map(|a| push_arg(&mut self.args, a)), None, None];
        self.queue.push_front(Pending {
            id: OpId(u64::MAX),
            kind,
            internal: true,
            args,
            time: None,
            stage: Stage::Single,
        });
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
