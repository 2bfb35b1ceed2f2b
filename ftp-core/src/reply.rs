//! Replies: the three-digit [`ReplyCode`] and the borrowed [`Reply`] view (RFC 959 §4.2).
//!
//! A reply is one line `ddd text`, or several lines opened by `ddd-` and closed by a line
//! that starts with the same `ddd` and a space. [`ReplyFramer`](crate::ReplyFramer) finds
//! where replies begin and end; this module gives them a type.

use alloc::vec::Vec;
use core::fmt;

/// A three-digit FTP reply code (RFC 959 §4.2, RFC 2228 §4 for the 6yz class).
///
/// The first digit gives the [`class`](ReplyCode::class) of the reply, the second its
/// [`function`](ReplyCode::function) group.
///
/// ```
/// use ftp_core::ReplyCode;
///
/// let code = ReplyCode::new(550).unwrap();
/// assert!(code.is_permanent_negative());
/// assert_eq!(code.to_string(), "550");
/// assert_eq!(ReplyCode::new(777), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

/// The class of a reply, from its first digit (RFC 959 §4.2.1, RFC 2228 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplyClass {
    /// `1yz`: the action is starting; expect another reply.
    PositivePreliminary,
    /// `2yz`: the action completed.
    PositiveCompletion,
    /// `3yz`: the command was accepted; the server waits for another one.
    PositiveIntermediate,
    /// `4yz`: the action did not happen; trying again may work.
    TransientNegative,
    /// `5yz`: the action did not happen and will not on a retry.
    PermanentNegative,
    /// `6yz`: a protected reply (RFC 2228), its content is encoded.
    Protected,
}

/// The function group of a reply, from its second digit (RFC 959 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplyFunction {
    /// `x0z`: syntax.
    Syntax,
    /// `x1z`: information.
    Information,
    /// `x2z`: connections.
    Connections,
    /// `x3z`: authentication and accounting.
    Authentication,
    /// `x4z`: unspecified.
    Unspecified,
    /// `x5z`: file system.
    FileSystem,
    /// A second digit RFC 959 does not define (6 to 9).
    Other,
}

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $value:literal;)*) => {
        impl ReplyCode {
            $($(#[$doc])* pub const $name: ReplyCode = ReplyCode($value);)*
        }
    };
}

codes! {
    /// 110: restart marker reply.
    RESTART_MARKER = 110;
    /// 120: service ready in nnn minutes.
    SERVICE_READY_LATER = 120;
    /// 125: data connection already open; transfer starting.
    DATA_ALREADY_OPEN = 125;
    /// 150: file status okay; about to open data connection.
    ABOUT_TO_OPEN_DATA = 150;
    /// 200: command okay.
    COMMAND_OK = 200;
    /// 202: command not implemented, superfluous at this site.
    SUPERFLUOUS = 202;
    /// 211: system status, or system help reply (FEAT uses it).
    SYSTEM_STATUS = 211;
    /// 212: directory status.
    DIRECTORY_STATUS = 212;
    /// 213: file status (SIZE, MDTM).
    FILE_STATUS = 213;
    /// 214: help message.
    HELP_MESSAGE = 214;
    /// 215: NAME system type.
    SYSTEM_TYPE = 215;
    /// 220: service ready for new user.
    SERVICE_READY = 220;
    /// 221: service closing control connection.
    CLOSING = 221;
    /// 225: data connection open; no transfer in progress.
    DATA_OPEN_NO_TRANSFER = 225;
    /// 226: closing data connection; requested action successful.
    TRANSFER_COMPLETE = 226;
    /// 227: entering passive mode (h1,h2,h3,h4,p1,p2).
    ENTERING_PASSIVE_MODE = 227;
    /// 229: entering extended passive mode (|||port|).
    ENTERING_EXTENDED_PASSIVE_MODE = 229;
    /// 230: user logged in, proceed.
    LOGGED_IN = 230;
    /// 232: user logged in, authorized by security data exchange (RFC 2228).
    LOGGED_IN_SECURITY = 232;
    /// 234: security data exchange complete (AUTH TLS accepted, RFC 4217).
    AUTH_OK = 234;
    /// 250: requested file action okay, completed.
    FILE_ACTION_OK = 250;
    /// 257: "PATHNAME" created.
    PATH_CREATED = 257;
    /// 331: user name okay, need password.
    NEED_PASSWORD = 331;
    /// 332: need account for login.
    NEED_ACCOUNT = 332;
    /// 350: requested file action pending further information.
    FILE_ACTION_PENDING = 350;
    /// 421: service not available, closing control connection.
    SERVICE_NOT_AVAILABLE = 421;
    /// 425: can't open data connection.
    CANT_OPEN_DATA = 425;
    /// 426: connection closed; transfer aborted.
    TRANSFER_ABORTED = 426;
    /// 450: requested file action not taken (file unavailable).
    FILE_UNAVAILABLE = 450;
    /// 451: requested action aborted: local error in processing.
    LOCAL_ERROR = 451;
    /// 452: requested action not taken: insufficient storage.
    INSUFFICIENT_STORAGE = 452;
    /// 500: syntax error, command unrecognized.
    SYNTAX_ERROR = 500;
    /// 501: syntax error in parameters or arguments.
    SYNTAX_ERROR_ARGUMENTS = 501;
    /// 502: command not implemented.
    NOT_IMPLEMENTED = 502;
    /// 503: bad sequence of commands.
    BAD_SEQUENCE = 503;
    /// 504: command not implemented for that parameter.
    NOT_IMPLEMENTED_PARAMETER = 504;
    /// 522: network protocol not supported (EPRT/EPSV, RFC 2428); vsftpd also uses it for
    /// a refused data TLS session.
    NETWORK_PROTOCOL_NOT_SUPPORTED = 522;
    /// 530: not logged in.
    NOT_LOGGED_IN = 530;
    /// 532: need account for storing files.
    NEED_ACCOUNT_FOR_STORING = 532;
    /// 550: requested action not taken: file unavailable.
    FILE_NOT_FOUND = 550;
    /// 551: requested action aborted: page type unknown.
    PAGE_TYPE_UNKNOWN = 551;
    /// 552: requested file action aborted: exceeded storage allocation.
    EXCEEDED_STORAGE = 552;
    /// 553: requested action not taken: file name not allowed.
    FILE_NAME_NOT_ALLOWED = 553;
}

impl ReplyCode {
    /// The code for `code`, if it is a reply code: three digits, the first from 1 to 6.
    pub const fn new(code: u16) -> Option<Self> {
        if code >= 100 && code <= 699 {
            Some(Self(code))
        } else {
            None
        }
    }

    /// The code spelled by three ASCII digits, as they start a reply line.
    ///
    /// ```
    /// # use ftp_core::ReplyCode;
    /// assert_eq!(ReplyCode::from_digits(*b"226"), Some(ReplyCode::TRANSFER_COMPLETE));
    /// assert_eq!(ReplyCode::from_digits(*b"2x6"), None);
    /// ```
    pub const fn from_digits(digits: [u8; 3]) -> Option<Self> {
        let [a, b, c] = digits;
        if !a.is_ascii_digit() || !b.is_ascii_digit() || !c.is_ascii_digit() {
            return None;
        }
        Self::new((a - b'0') as u16 * 100 + (b - b'0') as u16 * 10 + (c - b'0') as u16)
    }

    /// The numeric value, 100 to 699.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The three ASCII digits of the code.
    pub const fn digits(self) -> [u8; 3] {
        [
            b'0' + (self.0 / 100) as u8,
            b'0' + (self.0 / 10 % 10) as u8,
            b'0' + (self.0 % 10) as u8,
        ]
    }

    /// The class named by the first digit.
    pub const fn class(self) -> ReplyClass {
        match self.0 / 100 {
            1 => ReplyClass::PositivePreliminary,
            2 => ReplyClass::PositiveCompletion,
            3 => ReplyClass::PositiveIntermediate,
            4 => ReplyClass::TransientNegative,
            5 => ReplyClass::PermanentNegative,
            _ => ReplyClass::Protected,
        }
    }

    /// The function group named by the second digit.
    pub const fn function(self) -> ReplyFunction {
        match self.0 / 10 % 10 {
            0 => ReplyFunction::Syntax,
            1 => ReplyFunction::Information,
            2 => ReplyFunction::Connections,
            3 => ReplyFunction::Authentication,
            4 => ReplyFunction::Unspecified,
            5 => ReplyFunction::FileSystem,
            _ => ReplyFunction::Other,
        }
    }

    /// `1yz`: another reply follows.
    pub const fn is_preliminary(self) -> bool {
        self.0 / 100 == 1
    }

    /// `2yz`: the action completed.
    pub const fn is_completion(self) -> bool {
        self.0 / 100 == 2
    }

    /// `3yz`: the server waits for the next command of a sequence.
    pub const fn is_intermediate(self) -> bool {
        self.0 / 100 == 3
    }

    /// `4yz`: refused for now; a retry may succeed.
    pub const fn is_transient_negative(self) -> bool {
        self.0 / 100 == 4
    }

    /// `5yz`: refused; a retry will not help.
    pub const fn is_permanent_negative(self) -> bool {
        self.0 / 100 == 5
    }

    /// `4yz` or `5yz`.
    pub const fn is_negative(self) -> bool {
        self.is_transient_negative() || self.is_permanent_negative()
    }

    /// `1yz`, `2yz` or `3yz`.
    pub const fn is_positive(self) -> bool {
        self.0 < 400
    }

    /// `6yz`: a protected reply (RFC 2228).
    pub const fn is_protected(self) -> bool {
        self.0 / 100 == 6
    }
}

impl fmt::Debug for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplyCode({})", self.0)
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<ReplyCode> for u16 {
    fn from(code: ReplyCode) -> u16 {
        code.0
    }
}

/// One complete reply, borrowed from the framer's buffer (or any byte slice).
///
/// `raw` holds the reply exactly as received, line ends included. If the reply was longer
/// than the framer's limit, only its first bytes are kept and [`is_truncated`] is true: the
/// code is still right and framing is intact, but an operation that needs the content
/// must not trust it.
///
/// [`is_truncated`]: Reply::is_truncated
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Reply<'a> {
    code: ReplyCode,
    raw: &'a [u8],
    multiline: bool,
    truncated: bool,
}

impl<'a> Reply<'a> {
    /// A view over `raw`, one reply as framed by [`ReplyFramer`](crate::ReplyFramer).
    pub const fn new(code: ReplyCode, raw: &'a [u8], multiline: bool, truncated: bool) -> Self {
        Reply {
            code,
            raw,
            multiline,
            truncated,
        }
    }

    /// The reply code.
    pub const fn code(&self) -> ReplyCode {
        self.code
    }

    /// The bytes of the reply as received, line ends included.
    pub const fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Whether the reply spans several lines (`ddd-` … `ddd `).
    pub const fn is_multiline(&self) -> bool {
        self.multiline
    }

    /// Whether the reply was longer than the framer's limit and only its start is kept.
    pub const fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// Everything after the code and its separator, without the final line end.
    ///
    /// For a multi-line reply this spans all lines (inner line ends included); the typed
    /// parsers search it for their values.
    ///
    /// ```
    /// # use ftp_core::{Reply, ReplyCode};
    /// let reply = Reply::new(ReplyCode::COMMAND_OK, b"200 Type set to I\r\n", false, false);
    /// assert_eq!(reply.text(), b"Type set to I");
    /// ```
    pub fn text(&self) -> &'a [u8] {
        let body = self.raw.get(4..).unwrap_or(&[]);
        strip_line_end(body)
    }

    /// The text of the first line, after the code and its separator.
    pub fn first_line_text(&self) -> &'a [u8] {
        let first = self.lines().next().unwrap_or(&[]);
        first.get(4..).unwrap_or(&[])
    }

    /// The lines of the reply as received (code prefixes kept), without line ends.
    pub fn lines(&self) -> Lines<'a> {
        Lines { rest: self.raw }
    }

    /// The lines of the reply with the `ddd-` / `ddd ` prefix removed where a line carries
    /// this reply's own code; other lines (a FEAT line starting with a space, a line starting
    /// with another code) are returned unchanged.
    ///
    /// ```
    /// # use ftp_core::{Reply, ReplyCode};
    /// let raw = b"230-Hello\r\n 230 indented\r\nplain\r\n230 Done\r\n";
    /// let reply = Reply::new(ReplyCode::LOGGED_IN, raw, true, false);
    /// let lines: Vec<&[u8]> = reply.text_lines().collect();
    /// assert_eq!(lines, [&b"Hello"[..], b" 230 indented", b"plain", b"Done"]);
    /// ```
    pub fn text_lines(&self) -> TextLines<'a> {
        TextLines {
            lines: self.lines(),
            digits: self.code.digits(),
        }
    }

    /// An owned copy, for callers that must keep the reply past the framer's next input.
    pub fn to_owned_reply(&self) -> OwnedReply {
        OwnedReply {
            code: self.code,
            raw: self.raw.to_vec(),
            multiline: self.multiline,
            truncated: self.truncated,
        }
    }
}

impl fmt::Debug for Reply<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("code", &self.code.0)
            .field("text", &format_args!("\"{}\"", self.text().escape_ascii()))
            .field("multiline", &self.multiline)
            .field("truncated", &self.truncated)
            .finish()
    }
}

impl fmt::Display for Reply<'_> {
    /// The reply as the server wrote it, line ends as `\n`; UTF-8 text as it is, control
    /// characters and bytes that are not UTF-8 escaped (`\x1b`, `\xff`), so a reply cannot
    /// drive the terminal it is printed on.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, line) in self.lines().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            for chunk in line.utf8_chunks() {
                for c in chunk.valid().chars() {
                    if c.is_control() {
                        write!(f, "{}", c.escape_default())?;
                    } else {
                        write!(f, "{c}")?;
                    }
                }
                for b in chunk.invalid() {
                    write!(f, "\\x{b:02x}")?;
                }
            }
        }
        Ok(())
    }
}

/// An owned reply: the same as [`Reply`], holding its bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct OwnedReply {
    code: ReplyCode,
    raw: Vec<u8>,
    multiline: bool,
    truncated: bool,
}

impl OwnedReply {
    /// The borrowed view of this reply.
    pub fn as_reply(&self) -> Reply<'_> {
        Reply::new(self.code, &self.raw, self.multiline, self.truncated)
    }

    /// The reply code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// See [`Reply::text`].
    pub fn text(&self) -> &[u8] {
        self.as_reply().text()
    }
}

impl fmt::Debug for OwnedReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.as_reply(), f)
    }
}

impl fmt::Display for OwnedReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.as_reply(), f)
    }
}

/// Lines without their line ends (`\r\n` or a bare `\n`): of a reply ([`Reply::lines`])
/// or of a listing ([`crate::listing::lines`]). A last line without a line end is
/// returned too; the empty text after a final line end is not.
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    rest: &'a [u8],
}

impl<'a> Lines<'a> {
    /// The lines of `bytes`.
    pub const fn new(bytes: &'a [u8]) -> Self {
        Lines { rest: bytes }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        match memchr::memchr(b'\n', self.rest) {
            Some(i) => {
                let line = &self.rest[..i];
                self.rest = &self.rest[i + 1..];
                Some(line.strip_suffix(b"\r").unwrap_or(line))
            }
            None => {
                // A truncated reply, or one framed at EOF, may end without a line end.
                let line = self.rest;
                self.rest = &[];
                Some(line.strip_suffix(b"\r").unwrap_or(line))
            }
        }
    }
}

/// The lines of a reply with this reply's code prefix removed. See [`Reply::text_lines`].
#[derive(Debug, Clone)]
pub struct TextLines<'a> {
    lines: Lines<'a>,
    digits: [u8; 3],
}

impl<'a> Iterator for TextLines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let line = self.lines.next()?;
        if line.len() >= 3 && line[..3] == self.digits {
            match line.get(3) {
                None => return Some(&line[3..]),
                Some(b'-' | b' ') => return Some(&line[4..]),
                Some(_) => {}
            }
        }
        Some(line)
    }
}

/// `bytes` without one trailing `\n` or `\r\n`.
pub(crate) fn strip_line_end(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}
