//! The command encoder (RFC 959 §5.3; RFC 2228, 2389, 2428, 3659, 4217, 7151 for the
//! extensions).
//!
//! A [`Command`] borrows its arguments and writes itself as one `VERB[ SP argument] CRLF`
//! line into a caller's buffer. **CR, LF and NUL are refused in every argument, raw
//! commands included, before a byte is written**: a path such as `a\r\nDELE b` would
//! otherwise smuggle a second command onto the control channel.
//!
//! Arguments are bytes: RFC 2640 makes UTF-8 the norm, but not every server is UTF-8, and
//! a path must reach the server as the user gave it (leading and trailing spaces included).

use alloc::vec::Vec;
use core::fmt::{self, Write as _};
use core::net::{SocketAddr, SocketAddrV4};

use crate::time::FtpTime;

/// Why a command was not encoded. Nothing was written to the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// An argument contains CR, LF or NUL, which would end the command line early.
    #[error("argument of {verb} contains the forbidden byte 0x{byte:02x} at offset {offset}")]
    ForbiddenByte {
        /// The command verb.
        verb: &'static str,
        /// The byte (`\r`, `\n` or `\0`).
        byte: u8,
        /// Its offset within the argument.
        offset: usize,
    },
    /// The command needs a non-empty argument.
    #[error("{verb} needs a non-empty argument")]
    EmptyArgument {
        /// The command verb.
        verb: &'static str,
    },
}

/// A password: its bytes never appear in `Debug` output or transcripts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Password<'a>(pub &'a [u8]);

impl fmt::Debug for Password<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(****)")
    }
}

/// `TYPE` argument (RFC 959 §3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferType {
    /// `A`: ASCII, lines converted to CRLF on the wire.
    Ascii,
    /// `I`: image (binary), bytes as they are.
    Image,
    /// `E`: EBCDIC.
    Ebcdic,
    /// `L n`: local byte size.
    Local(u8),
}

/// `MODE` argument (RFC 959 §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferMode {
    /// `S`: stream.
    Stream,
    /// `B`: block.
    Block,
    /// `C`: compressed.
    Compressed,
}

/// `STRU` argument (RFC 959 §3.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileStructure {
    /// `F`: file.
    File,
    /// `R`: record.
    Record,
    /// `P`: page.
    Page,
}

/// `PROT` argument (RFC 2228 §3, RFC 4217 §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtectionLevel {
    /// `C`: clear, the data channel is not protected.
    Clear,
    /// `S`: safe (integrity only).
    Safe,
    /// `E`: confidential.
    Confidential,
    /// `P`: private: TLS on the data channel.
    Private,
}

/// `AUTH` argument (RFC 4217 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMechanism {
    /// `TLS`.
    Tls,
    /// `SSL` (older servers).
    Ssl,
}

/// One FTP command with borrowed arguments.
///
/// ```
/// use ftp_core::Command;
///
/// let mut out = Vec::new();
/// Command::Retr(b"/pub/file name.txt").encode(&mut out)?;
/// assert_eq!(out, b"RETR /pub/file name.txt\r\n");
///
/// out.clear();
/// let err = Command::Dele(b"a\r\nDELE b").encode(&mut out).unwrap_err();
/// assert!(matches!(err, ftp_core::CommandError::ForbiddenByte { byte: b'\r', .. }));
/// assert!(out.is_empty());
/// # Ok::<(), ftp_core::CommandError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command<'a> {
    /// `USER name`.
    User(&'a [u8]),
    /// `PASS password` (empty allowed; never shown in `Debug`).
    Pass(Password<'a>),
    /// `ACCT account`.
    Acct(&'a [u8]),
    /// `CWD path`.
    Cwd(&'a [u8]),
    /// `CDUP`.
    Cdup,
    /// `PWD`.
    Pwd,
    /// `MKD path`.
    Mkd(&'a [u8]),
    /// `RMD path`.
    Rmd(&'a [u8]),
    /// `DELE path`.
    Dele(&'a [u8]),
    /// `RNFR path`.
    Rnfr(&'a [u8]),
    /// `RNTO path`.
    Rnto(&'a [u8]),
    /// `TYPE A|I|E|L n`.
    Type(TransferType),
    /// `MODE S|B|C`.
    Mode(TransferMode),
    /// `STRU F|R|P`.
    Stru(FileStructure),
    /// `PASV`.
    Pasv,
    /// `EPSV`.
    Epsv,
    /// `PORT h1,h2,h3,h4,p1,p2`.
    Port(SocketAddrV4),
    /// `EPRT |1|ip|port|` or `EPRT |2|ip6|port|`.
    Eprt(SocketAddr),
    /// `REST offset`.
    Rest(u64),
    /// `RETR path`.
    Retr(&'a [u8]),
    /// `STOR path`.
    Stor(&'a [u8]),
    /// `STOU` (with an optional name hint, which some servers accept).
    Stou(Option<&'a [u8]>),
    /// `APPE path`.
    Appe(&'a [u8]),
    /// `ALLO bytes`.
    Allo(u64),
    /// `LIST [path]`.
    List(Option<&'a [u8]>),
    /// `NLST [path]`.
    Nlst(Option<&'a [u8]>),
    /// `MLSD [path]`.
    Mlsd(Option<&'a [u8]>),
    /// `MLST [path]`.
    Mlst(Option<&'a [u8]>),
    /// `SIZE path`.
    Size(&'a [u8]),
    /// `MDTM path`: read the modification time.
    Mdtm(&'a [u8]),
    /// `MDTM time path`: set the modification time, the way vsftpd does it.
    MdtmSet(FtpTime, &'a [u8]),
    /// `MFMT time path`: set the modification time.
    Mfmt(FtpTime, &'a [u8]),
    /// `FEAT`.
    Feat,
    /// `OPTS arguments` (for example `UTF8 ON`).
    Opts(&'a [u8]),
    /// `SYST`.
    Syst,
    /// `STAT [path]`.
    Stat(Option<&'a [u8]>),
    /// `HELP [command]`.
    Help(Option<&'a [u8]>),
    /// `NOOP`.
    Noop,
    /// `SITE arguments`.
    Site(&'a [u8]),
    /// `AUTH TLS|SSL`.
    Auth(AuthMechanism),
    /// `PBSZ size` (0 for TLS).
    Pbsz(u32),
    /// `PROT C|S|E|P`.
    Prot(ProtectionLevel),
    /// `CCC`.
    Ccc,
    /// `HOST name` (RFC 7151).
    Host(&'a [u8]),
    /// `CLNT name`.
    Clnt(&'a [u8]),
    /// `ABOR`.
    Abor,
    /// `QUIT`.
    Quit,
    /// A whole command line written as given (without the CRLF, which the encoder adds).
    Raw(&'a [u8]),
}

/// The argument of a command, before encoding.
enum Arg<'a> {
    None,
    /// Bytes that must be non-empty.
    Bytes(&'a [u8]),
    /// Bytes that may be empty (PASS, ACCT).
    MaybeEmpty(&'a [u8]),
    Optional(Option<&'a [u8]>),
    Static(&'static str),
    Number(u64),
    /// `TYPE L n`.
    Local(u8),
    Port(SocketAddrV4),
    Eprt(SocketAddr),
    TimeAndPath(FtpTime, &'a [u8]),
}

impl fmt::Display for Arg<'_> {
    /// The non-byte arguments as text (byte arguments are written separately).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Static(s) => f.write_str(s),
            Arg::Number(n) => write!(f, "{n}"),
            Arg::Local(n) => write!(f, "L {n}"),
            Arg::Port(addr) => {
                let [a, b, c, d] = addr.ip().octets();
                let [p1, p2] = addr.port().to_be_bytes();
                write!(f, "{a},{b},{c},{d},{p1},{p2}")
            }
            Arg::Eprt(SocketAddr::V4(a)) => write!(f, "|1|{}|{}|", a.ip(), a.port()),
            Arg::Eprt(SocketAddr::V6(a)) => write!(f, "|2|{}|{}|", a.ip(), a.port()),
            Arg::TimeAndPath(t, _) => write!(f, "{t}"),
            Arg::None | Arg::Bytes(_) | Arg::MaybeEmpty(_) | Arg::Optional(_) => Ok(()),
        }
    }
}

impl<'a> Command<'a> {
    /// The command verb (`RETR`, `PASS`, …; `Raw` for a raw command).
    pub fn verb(&self) -> &'static str {
        self.parts().0
    }

    fn parts(&self) -> (&'static str, Arg<'a>) {
        use Command::*;
        match *self {
            User(a) => ("USER", Arg::Bytes(a)),
            Pass(p) => ("PASS", Arg::MaybeEmpty(p.0)),
            Acct(a) => ("ACCT", Arg::MaybeEmpty(a)),
            Cwd(a) => ("CWD", Arg::Bytes(a)),
            Cdup => ("CDUP", Arg::None),
            Pwd => ("PWD", Arg::None),
            Mkd(a) => ("MKD", Arg::Bytes(a)),
            Rmd(a) => ("RMD", Arg::Bytes(a)),
            Dele(a) => ("DELE", Arg::Bytes(a)),
            Rnfr(a) => ("RNFR", Arg::Bytes(a)),
            Rnto(a) => ("RNTO", Arg::Bytes(a)),
            Type(TransferType::Local(n)) => ("TYPE", Arg::Local(n)),
            Type(t) => (
                "TYPE",
                Arg::Static(match t {
                    TransferType::Ascii => "A",
                    TransferType::Image => "I",
                    TransferType::Ebcdic | TransferType::Local(_) => "E",
                }),
            ),
            Mode(m) => (
                "MODE",
                Arg::Static(match m {
                    TransferMode::Stream => "S",
                    TransferMode::Block => "B",
                    TransferMode::Compressed => "C",
                }),
            ),
            Stru(s) => (
                "STRU",
                Arg::Static(match s {
                    FileStructure::File => "F",
                    FileStructure::Record => "R",
                    FileStructure::Page => "P",
                }),
            ),
            Pasv => ("PASV", Arg::None),
            Epsv => ("EPSV", Arg::None),
            Port(addr) => ("PORT", Arg::Port(addr)),
            Eprt(addr) => ("EPRT", Arg::Eprt(addr)),
            Rest(n) => ("REST", Arg::Number(n)),
            Retr(a) => ("RETR", Arg::Bytes(a)),
            Stor(a) => ("STOR", Arg::Bytes(a)),
            Stou(a) => ("STOU", Arg::Optional(a)),
            Appe(a) => ("APPE", Arg::Bytes(a)),
            Allo(n) => ("ALLO", Arg::Number(n)),
            List(a) => ("LIST", Arg::Optional(a)),
            Nlst(a) => ("NLST", Arg::Optional(a)),
            Mlsd(a) => ("MLSD", Arg::Optional(a)),
            Mlst(a) => ("MLST", Arg::Optional(a)),
            Size(a) => ("SIZE", Arg::Bytes(a)),
            Mdtm(a) => ("MDTM", Arg::Bytes(a)),
            MdtmSet(t, a) => ("MDTM", Arg::TimeAndPath(t, a)),
            Mfmt(t, a) => ("MFMT", Arg::TimeAndPath(t, a)),
            Feat => ("FEAT", Arg::None),
            Opts(a) => ("OPTS", Arg::Bytes(a)),
            Syst => ("SYST", Arg::None),
            Stat(a) => ("STAT", Arg::Optional(a)),
            Help(a) => ("HELP", Arg::Optional(a)),
            Noop => ("NOOP", Arg::None),
            Site(a) => ("SITE", Arg::Bytes(a)),
            Auth(m) => (
                "AUTH",
                Arg::Static(match m {
                    AuthMechanism::Tls => "TLS",
                    AuthMechanism::Ssl => "SSL",
                }),
            ),
            Pbsz(n) => ("PBSZ", Arg::Number(u64::from(n))),
            Prot(p) => (
                "PROT",
                Arg::Static(match p {
                    ProtectionLevel::Clear => "C",
                    ProtectionLevel::Safe => "S",
                    ProtectionLevel::Confidential => "E",
                    ProtectionLevel::Private => "P",
                }),
            ),
            Ccc => ("CCC", Arg::None),
            Host(a) => ("HOST", Arg::Bytes(a)),
            Clnt(a) => ("CLNT", Arg::Bytes(a)),
            Abor => ("ABOR", Arg::None),
            Quit => ("QUIT", Arg::None),
            Raw(a) => ("Raw", Arg::Bytes(a)),
        }
    }

    /// Checks the arguments without writing anything.
    pub fn validate(&self) -> Result<(), CommandError> {
        let (verb, arg) = self.parts();
        let check = |bytes: &[u8], may_be_empty: bool| {
            if bytes.is_empty() && !may_be_empty {
                return Err(CommandError::EmptyArgument { verb });
            }
            match bytes.iter().position(|b| matches!(b, b'\r' | b'\n' | 0)) {
                Some(offset) => Err(CommandError::ForbiddenByte {
                    verb,
                    byte: bytes[offset],
                    offset,
                }),
                None => Ok(()),
            }
        };
        match arg {
            Arg::None
            | Arg::Static(_)
            | Arg::Number(_)
            | Arg::Local(_)
            | Arg::Port(_)
            | Arg::Eprt(_) => Ok(()),
            Arg::Bytes(b) | Arg::TimeAndPath(_, b) => check(b, false),
            Arg::MaybeEmpty(b) => check(b, true),
            Arg::Optional(b) => b.map_or(Ok(()), |b| check(b, false)),
        }
    }

    /// Appends the command line, CRLF included, to `out`. On error nothing is appended.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), CommandError> {
        self.validate()?;
        let raw = matches!(self, Command::Raw(_));
        let (verb, arg) = self.parts();
        if !raw {
            out.extend_from_slice(verb.as_bytes());
        }
        match arg {
            Arg::None | Arg::Optional(None) => {}
            Arg::Bytes(b) | Arg::MaybeEmpty(b) | Arg::Optional(Some(b)) => {
                if !raw {
                    out.push(b' ');
                }
                out.extend_from_slice(b);
            }
            Arg::TimeAndPath(_, path) => {
                // Writing to a Vec cannot fail.
                let _ = write!(VecWriter(out), " {arg} ");
                out.extend_from_slice(path);
            }
            Arg::Static(_) | Arg::Number(_) | Arg::Local(_) | Arg::Port(_) | Arg::Eprt(_) => {
                let _ = write!(VecWriter(out), " {arg}");
            }
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// A printable form for transcripts and logs: the command line without CRLF, the
    /// password replaced by `****`, non-printable bytes escaped.
    ///
    /// ```
    /// use ftp_core::command::{Command, Password};
    ///
    /// assert_eq!(Command::Pass(Password(b"hunter2")).redacted().to_string(), "PASS ****");
    /// assert_eq!(Command::Cwd(b"/d\xc3\xa9j\xff").redacted().to_string(), "CWD /d\\xc3\\xa9j\\xff");
    /// ```
    pub fn redacted(&self) -> Redacted<'_, 'a> {
        Redacted(self)
    }
}

impl fmt::Debug for Command<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Command({})", self.redacted())
    }
}

/// The printable form of a command. See [`Command::redacted`].
pub struct Redacted<'c, 'a>(&'c Command<'a>);

impl fmt::Display for Redacted<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let raw = matches!(self.0, Command::Raw(_));
        let (verb, arg) = self.0.parts();
        if !raw {
            f.write_str(verb)?;
        }
        match arg {
            Arg::None | Arg::Optional(None) => Ok(()),
            Arg::MaybeEmpty(_) if matches!(self.0, Command::Pass(_)) => f.write_str(" ****"),
            // A raw `PASS …` is masked like a typed one.
            Arg::Bytes(b) | Arg::MaybeEmpty(b) | Arg::Optional(Some(b)) if raw => {
                fmt::Display::fmt(&RedactedLine(b), f)
            }
            Arg::Bytes(b) | Arg::MaybeEmpty(b) | Arg::Optional(Some(b)) => {
                write!(f, " {}", b.escape_ascii())
            }
            Arg::TimeAndPath(_, p) => write!(f, " {arg} {}", p.escape_ascii()),
            Arg::Static(_) | Arg::Number(_) | Arg::Local(_) | Arg::Port(_) | Arg::Eprt(_) => {
                write!(f, " {arg}")
            }
        }
    }
}

/// A command line as written to the wire, printable for transcripts: the argument of
/// `PASS` replaced by `****`, the line end dropped, non-printable bytes escaped.
///
/// Drivers that log what they transmit use this, so no driver needs to know which
/// command carries a secret.
///
/// ```
/// use ftp_core::command::redact_line;
///
/// assert_eq!(redact_line(b"PASS hunter2\r\n").to_string(), "PASS ****");
/// assert_eq!(redact_line(b"RETR a\xffb\r\n").to_string(), "RETR a\\xffb");
/// ```
pub fn redact_line(line: &[u8]) -> RedactedLine<'_> {
    let line = crate::reply::strip_line_end(line);
    RedactedLine(line)
}

/// See [`redact_line`].
pub struct RedactedLine<'a>(&'a [u8]);

impl fmt::Display for RedactedLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.0;
        let verb = line.split(|b| *b == b' ').next().unwrap_or_default();
        if verb.eq_ignore_ascii_case(b"PASS") {
            return f.write_str("PASS ****");
        }
        write!(f, "{}", line.escape_ascii())
    }
}

struct VecWriter<'a>(&'a mut Vec<u8>);

impl fmt::Write for VecWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use core::net::{Ipv4Addr, Ipv6Addr, SocketAddrV6};

    fn enc(c: Command<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        c.encode(&mut out).unwrap();
        out
    }

    #[test]
    fn addresses() {
        let v4 = SocketAddrV4::new(Ipv4Addr::new(132, 235, 1, 2), 6275);
        assert_eq!(enc(Command::Port(v4)), b"PORT 132,235,1,2,24,131\r\n");
        assert_eq!(
            enc(Command::Eprt(v4.into())),
            b"EPRT |1|132.235.1.2|6275|\r\n"
        );
        let v6 = SocketAddrV6::new(Ipv6Addr::LOCALHOST, 5282, 0, 0);
        assert_eq!(enc(Command::Eprt(v6.into())), b"EPRT |2|::1|5282|\r\n");
    }

    #[test]
    fn arguments() {
        let t = FtpTime::parse(b"20201213202400").unwrap();
        assert_eq!(
            enc(Command::Mfmt(t, b" a b ")),
            b"MFMT 20201213202400  a b \r\n"
        );
        assert_eq!(enc(Command::MdtmSet(t, b"x")), b"MDTM 20201213202400 x\r\n");
        assert_eq!(enc(Command::Type(TransferType::Local(8))), b"TYPE L 8\r\n");
        assert_eq!(
            enc(Command::Rest(u64::MAX)),
            b"REST 18446744073709551615\r\n"
        );
        assert_eq!(enc(Command::List(None)), b"LIST\r\n");
        assert_eq!(enc(Command::Pass(Password(b""))), b"PASS \r\n");
        assert_eq!(
            enc(Command::Raw(b"SITE CHMOD 644 x")),
            b"SITE CHMOD 644 x\r\n"
        );
        assert_eq!(enc(Command::Prot(ProtectionLevel::Private)), b"PROT P\r\n");
        assert_eq!(enc(Command::Auth(AuthMechanism::Tls)), b"AUTH TLS\r\n");
        assert_eq!(enc(Command::Pbsz(0)), b"PBSZ 0\r\n");
    }

    #[test]
    fn refuses_line_breaks_everywhere() {
        let mut out = Vec::new();
        for bad in [&b"a\rb"[..], b"a\nb", b"a\0b"] {
            assert!(Command::Raw(bad).encode(&mut out).is_err());
            assert!(Command::Pass(Password(bad)).encode(&mut out).is_err());
            assert!(Command::List(Some(bad)).encode(&mut out).is_err());
            assert!(Command::Site(bad).encode(&mut out).is_err());
        }
        assert_eq!(
            Command::Cwd(b"").encode(&mut out),
            Err(CommandError::EmptyArgument { verb: "CWD" })
        );
        assert!(out.is_empty());
    }

    #[test]
    fn password_never_shows() {
        for c in [
            Command::Pass(Password(b"hunter2")),
            Command::Raw(b"PASS hunter2"),
            Command::Raw(b"pass hunter2"),
        ] {
            let debug = alloc::format!("{c:?}");
            assert!(!debug.contains("hunter2"), "{debug}");
            assert!(!c.redacted().to_string().contains("hunter2"));
            let mut line = Vec::new();
            c.encode(&mut line).unwrap();
            assert_eq!(redact_line(&line).to_string(), "PASS ****");
        }
        // Other commands that merely start with the letters are not masked.
        assert_eq!(
            Command::Raw(b"PASSIVE x").redacted().to_string(),
            "PASSIVE x"
        );
    }
}
