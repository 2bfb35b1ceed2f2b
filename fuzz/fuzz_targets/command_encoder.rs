//! Fuzz target: the `Command` encoder with arbitrary arguments, for every variant.
//!
//! Asserts:
//! - `encode` fails exactly when a byte argument contains `\r`, `\n` or `\0`
//!   (`CommandError::ForbiddenByte` with the first such byte and its offset), or is empty
//!   for a variant that needs a non-empty argument (`CommandError::EmptyArgument`, checked
//!   first); `validate` gives the same answer;
//! - on error the output buffer is unchanged (it starts with arbitrary bytes in it);
//! - on success exactly one line is appended: it ends with `\r\n` and holds no other
//!   `\r`, `\n` or `\0`; it reads back as `VERB SP argument` (`Raw`: the argument itself;
//!   an absent optional argument: `VERB` alone), and the typed arguments read back to
//!   their values (`PORT` through `parse_pasv`, `EPRT` through `std`'s address parsers,
//!   `REST`/`ALLO`/`PBSZ` numbers, `MFMT`/`MDTM` times through `FtpTime::parse`);
//! - `Debug` and `redacted()` never show a password (a raw `PASS …` line included) and
//!   never contain a raw line break;
//!   `command::redact_line` on the encoded line gives the same text as `redacted()` (for
//!   `Raw`: `PASS ****` for any line starting with `PASS`, else the line escaped).

#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use arbitrary::Arbitrary;
use ftp_core::command::{
    AuthMechanism, FileStructure, Password, ProtectionLevel, TransferMode, TransferType,
    redact_line,
};
use ftp_core::{Command, CommandError, FtpTime};
use libfuzzer_sys::fuzz_target;

/// Which command to build. Byte arguments come from `Input::arg`.
#[derive(Debug, Clone, Copy, Arbitrary)]
enum Variant {
    User,
    Pass,
    Acct,
    Cwd,
    Cdup,
    Pwd,
    Mkd,
    Rmd,
    Dele,
    Rnfr,
    Rnto,
    Type(u8, u8),
    Mode(u8),
    Stru(u8),
    Pasv,
    Epsv,
    Port([u8; 4], u16),
    Eprt4([u8; 4], u16),
    Eprt6(u128, u16, u32, u32),
    Rest(u64),
    Retr,
    Stor,
    /// `true`: with the argument; `false`: `None`.
    Stou(bool),
    Appe,
    Allo(u64),
    List(bool),
    Nlst(bool),
    Mlsd(bool),
    Mlst(bool),
    Size,
    Mdtm,
    MdtmSet(Time),
    Mfmt(Time),
    Feat,
    Opts,
    Syst,
    Stat(bool),
    Help(bool),
    Noop,
    Site,
    Auth(bool),
    Pbsz(u32),
    Prot(u8),
    Ccc,
    Host,
    Clnt,
    Abor,
    Quit,
    Raw,
}

/// Fields of an `FtpTime`; out-of-range ones fall back to a fixed valid time.
#[derive(Debug, Clone, Copy, Arbitrary)]
struct Time {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    nanosecond: u32,
    digits: u8,
}

impl Time {
    fn get(self) -> FtpTime {
        let digits = self.digits % 10;
        let unit = 10u32.pow(9 - u32::from(digits));
        let nanos = self.nanosecond % 1_000_000_000 / unit * unit;
        FtpTime::new(
            self.year % 10_000,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
        )
        .and_then(|t| t.with_nanosecond(nanos, digits))
        .unwrap_or_else(|_| FtpTime::parse(b"20201213202400").unwrap())
    }
}

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    variant: Variant,
    /// What the output buffer already holds before `encode`.
    prefix: &'a [u8],
    /// The byte argument (takes the rest of the fuzzer's input, as is).
    arg: &'a [u8],
}

/// What kind of byte argument a variant takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArgKind {
    /// No byte argument.
    None,
    /// Must not be empty.
    NonEmpty,
    /// May be empty (`PASS`, `ACCT`).
    MaybeEmpty,
    /// `Option` given as `None`.
    Absent,
}

fuzz_target!(|input: Input<'_>| {
    let arg = input.arg;
    let (command, verb, kind) = build(input.variant, arg);

    // The expected verdict.
    let expected = match kind {
        ArgKind::None | ArgKind::Absent => Ok(()),
        ArgKind::NonEmpty if arg.is_empty() => Err(CommandError::EmptyArgument { verb }),
        ArgKind::NonEmpty | ArgKind::MaybeEmpty => {
            match arg.iter().position(|b| matches!(b, b'\r' | b'\n' | 0)) {
                Some(offset) => Err(CommandError::ForbiddenByte {
                    verb,
                    byte: arg[offset],
                    offset,
                }),
                None => Ok(()),
            }
        }
    };

    assert_eq!(command.verb(), verb, "verb()");
    assert_eq!(command.validate(), expected, "validate()");
    let mut out = input.prefix.to_vec();
    let result = command.encode(&mut out);
    assert_eq!(result, expected, "encode() of {command:?}");

    // Printable forms: no raw line break, no password.
    let redacted = command.redacted().to_string();
    let debug = format!("{command:?}");
    for s in [&redacted, &debug] {
        assert!(!s.contains(['\r', '\n', '\0']), "raw line break in {s:?}");
    }
    if let Variant::Pass = input.variant {
        assert_eq!(redacted, "PASS ****");
        assert_eq!(debug, "Command(PASS ****)");
    }
    if result.is_err() {
        let _ = result.unwrap_err().to_string();
        assert_eq!(out, input.prefix, "encode wrote bytes before failing");
        return;
    }

    // One line appended, CRLF-terminated, nothing else that ends a line.
    assert!(
        out.starts_with(input.prefix),
        "encode changed existing bytes"
    );
    let written = &out[input.prefix.len()..];
    let line = written
        .strip_suffix(b"\r\n")
        .expect("the command line does not end in CRLF");
    assert!(
        !line.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)),
        "CR, LF or NUL inside the command line {:?}",
        line.escape_ascii().to_string()
    );

    // The transcript form of the wire line: the same as `redacted()`, never a password.
    let from_wire = redact_line(written).to_string();
    if let Variant::Raw = input.variant {
        // A raw line whose verb is PASS is masked like the typed command.
        let verb = line.split(|b| *b == b' ').next().unwrap_or_default();
        let expected = if verb.eq_ignore_ascii_case(b"PASS") {
            "PASS ****".to_string()
        } else {
            line.escape_ascii().to_string()
        };
        assert_eq!(from_wire, expected, "redact_line of a raw line");
    }
    assert_eq!(from_wire, redacted, "redact_line disagrees with redacted()");

    // The line reads back.
    if let Variant::Raw = input.variant {
        assert_eq!(line, arg, "Raw line");
        return;
    }
    let rest = line
        .strip_prefix(verb.as_bytes())
        .expect("the line does not start with the verb");
    match kind {
        ArgKind::Absent => assert_eq!(rest, b"", "absent argument written"),
        ArgKind::NonEmpty | ArgKind::MaybeEmpty => {
            let written_arg = rest.strip_prefix(b" ").expect("no space after the verb");
            match input.variant {
                Variant::MdtmSet(time) | Variant::Mfmt(time) => {
                    let t = time.get();
                    let ts = t.to_string();
                    let path = written_arg
                        .strip_prefix(ts.as_bytes())
                        .and_then(|p| p.strip_prefix(b" "))
                        .expect("MFMT/MDTM: no `time SP` before the path");
                    assert_eq!(path, arg, "MFMT/MDTM path");
                    assert_eq!(FtpTime::parse(ts.as_bytes()), Ok(t), "time reads back");
                }
                _ => assert_eq!(written_arg, arg, "argument"),
            }
        }
        ArgKind::None => check_typed(input.variant, rest),
    }
});

/// Checks the text after the verb of a command without byte argument.
fn check_typed(variant: Variant, rest: &[u8]) {
    let rest = std::str::from_utf8(rest).expect("typed argument not ASCII");
    let value = rest.strip_prefix(' ');
    match variant {
        Variant::Cdup
        | Variant::Pwd
        | Variant::Pasv
        | Variant::Epsv
        | Variant::Feat
        | Variant::Syst
        | Variant::Noop
        | Variant::Ccc
        | Variant::Abor
        | Variant::Quit => assert_eq!(rest, ""),
        Variant::Type(sel, n) => {
            let expected = match sel % 4 {
                0 => "A".to_string(),
                1 => "I".to_string(),
                2 => "E".to_string(),
                _ => format!("L {n}"),
            };
            assert_eq!(value, Some(&*expected));
        }
        Variant::Mode(sel) => assert_eq!(value, Some(["S", "B", "C"][usize::from(sel % 3)])),
        Variant::Stru(sel) => assert_eq!(value, Some(["F", "R", "P"][usize::from(sel % 3)])),
        Variant::Prot(sel) => {
            assert_eq!(value, Some(["C", "S", "E", "P"][usize::from(sel % 4)]))
        }
        Variant::Auth(tls) => assert_eq!(value, Some(if tls { "TLS" } else { "SSL" })),
        Variant::Rest(n) | Variant::Allo(n) => {
            assert_eq!(value.and_then(|v| v.parse::<u64>().ok()), Some(n))
        }
        Variant::Pbsz(n) => assert_eq!(value.and_then(|v| v.parse::<u32>().ok()), Some(n)),
        Variant::Port(ip, port) => {
            let addr = SocketAddrV4::new(Ipv4Addr::from(ip), port);
            let value = value.expect("PORT without argument");
            assert!(!value.contains(' '));
            assert_eq!(
                ftp_core::passive::parse_pasv(value.as_bytes()),
                Ok(addr),
                "PORT argument reads back"
            );
        }
        Variant::Eprt4(..) | Variant::Eprt6(..) => {
            let addr = eprt_addr(variant);
            let value = value.expect("EPRT without argument");
            let fields: Vec<&str> = value.split('|').collect();
            assert_eq!(fields.len(), 5, "EPRT fields: {value}");
            assert_eq!((fields[0], fields[4]), ("", ""));
            let ip: IpAddr = match fields[1] {
                "1" => IpAddr::V4(fields[2].parse().expect("EPRT IPv4")),
                "2" => IpAddr::V6(fields[2].parse().expect("EPRT IPv6")),
                other => panic!("EPRT protocol {other}"),
            };
            assert_eq!(fields[1] == "1", addr.is_ipv4());
            assert_eq!(ip, addr.ip());
            assert_eq!(fields[3].parse::<u16>().ok(), Some(addr.port()));
        }
        _ => unreachable!("{variant:?} has a byte argument"),
    }
}

fn eprt_addr(variant: Variant) -> SocketAddr {
    match variant {
        Variant::Eprt4(ip, port) => SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(ip), port)),
        Variant::Eprt6(ip, port, flow, scope) => {
            SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(ip), port, flow, scope))
        }
        _ => unreachable!(),
    }
}

/// The command for a variant, its verb, and what its byte argument must be.
fn build(variant: Variant, arg: &[u8]) -> (Command<'_>, &'static str, ArgKind) {
    use ArgKind::{Absent, MaybeEmpty, NonEmpty};
    let opt = |with: bool| if with { Some(arg) } else { None };
    let opt_kind = |with: bool| if with { NonEmpty } else { Absent };
    match variant {
        Variant::User => (Command::User(arg), "USER", NonEmpty),
        Variant::Pass => (Command::Pass(Password(arg)), "PASS", MaybeEmpty),
        Variant::Acct => (Command::Acct(arg), "ACCT", MaybeEmpty),
        Variant::Cwd => (Command::Cwd(arg), "CWD", NonEmpty),
        Variant::Cdup => (Command::Cdup, "CDUP", ArgKind::None),
        Variant::Pwd => (Command::Pwd, "PWD", ArgKind::None),
        Variant::Mkd => (Command::Mkd(arg), "MKD", NonEmpty),
        Variant::Rmd => (Command::Rmd(arg), "RMD", NonEmpty),
        Variant::Dele => (Command::Dele(arg), "DELE", NonEmpty),
        Variant::Rnfr => (Command::Rnfr(arg), "RNFR", NonEmpty),
        Variant::Rnto => (Command::Rnto(arg), "RNTO", NonEmpty),
        Variant::Type(sel, n) => {
            let t = match sel % 4 {
                0 => TransferType::Ascii,
                1 => TransferType::Image,
                2 => TransferType::Ebcdic,
                _ => TransferType::Local(n),
            };
            (Command::Type(t), "TYPE", ArgKind::None)
        }
        Variant::Mode(sel) => {
            let m = [
                TransferMode::Stream,
                TransferMode::Block,
                TransferMode::Compressed,
            ][usize::from(sel % 3)];
            (Command::Mode(m), "MODE", ArgKind::None)
        }
        Variant::Stru(sel) => {
            let s = [
                FileStructure::File,
                FileStructure::Record,
                FileStructure::Page,
            ][usize::from(sel % 3)];
            (Command::Stru(s), "STRU", ArgKind::None)
        }
        Variant::Pasv => (Command::Pasv, "PASV", ArgKind::None),
        Variant::Epsv => (Command::Epsv, "EPSV", ArgKind::None),
        Variant::Port(ip, port) => (
            Command::Port(SocketAddrV4::new(Ipv4Addr::from(ip), port)),
            "PORT",
            ArgKind::None,
        ),
        Variant::Eprt4(..) | Variant::Eprt6(..) => {
            (Command::Eprt(eprt_addr(variant)), "EPRT", ArgKind::None)
        }
        Variant::Rest(n) => (Command::Rest(n), "REST", ArgKind::None),
        Variant::Retr => (Command::Retr(arg), "RETR", NonEmpty),
        Variant::Stor => (Command::Stor(arg), "STOR", NonEmpty),
        Variant::Stou(with) => (Command::Stou(opt(with)), "STOU", opt_kind(with)),
        Variant::Appe => (Command::Appe(arg), "APPE", NonEmpty),
        Variant::Allo(n) => (Command::Allo(n), "ALLO", ArgKind::None),
        Variant::List(with) => (Command::List(opt(with)), "LIST", opt_kind(with)),
        Variant::Nlst(with) => (Command::Nlst(opt(with)), "NLST", opt_kind(with)),
        Variant::Mlsd(with) => (Command::Mlsd(opt(with)), "MLSD", opt_kind(with)),
        Variant::Mlst(with) => (Command::Mlst(opt(with)), "MLST", opt_kind(with)),
        Variant::Size => (Command::Size(arg), "SIZE", NonEmpty),
        Variant::Mdtm => (Command::Mdtm(arg), "MDTM", NonEmpty),
        Variant::MdtmSet(t) => (Command::MdtmSet(t.get(), arg), "MDTM", NonEmpty),
        Variant::Mfmt(t) => (Command::Mfmt(t.get(), arg), "MFMT", NonEmpty),
        Variant::Feat => (Command::Feat, "FEAT", ArgKind::None),
        Variant::Opts => (Command::Opts(arg), "OPTS", NonEmpty),
        Variant::Syst => (Command::Syst, "SYST", ArgKind::None),
        Variant::Stat(with) => (Command::Stat(opt(with)), "STAT", opt_kind(with)),
        Variant::Help(with) => (Command::Help(opt(with)), "HELP", opt_kind(with)),
        Variant::Noop => (Command::Noop, "NOOP", ArgKind::None),
        Variant::Site => (Command::Site(arg), "SITE", NonEmpty),
        Variant::Auth(tls) => {
            let m = if tls {
                AuthMechanism::Tls
            } else {
                AuthMechanism::Ssl
            };
            (Command::Auth(m), "AUTH", ArgKind::None)
        }
        Variant::Pbsz(n) => (Command::Pbsz(n), "PBSZ", ArgKind::None),
        Variant::Prot(sel) => {
            let p = [
                ProtectionLevel::Clear,
                ProtectionLevel::Safe,
                ProtectionLevel::Confidential,
                ProtectionLevel::Private,
            ][usize::from(sel % 4)];
            (Command::Prot(p), "PROT", ArgKind::None)
        }
        Variant::Ccc => (Command::Ccc, "CCC", ArgKind::None),
        Variant::Host => (Command::Host(arg), "HOST", NonEmpty),
        Variant::Clnt => (Command::Clnt(arg), "CLNT", NonEmpty),
        Variant::Abor => (Command::Abor, "ABOR", ArgKind::None),
        Variant::Quit => (Command::Quit, "QUIT", ArgKind::None),
        Variant::Raw => (Command::Raw(arg), "Raw", NonEmpty),
    }
}
