//! Property tests of the codec layer: framing does not depend on chunking, generated
//! replies round-trip, the encoder refuses line breaks and writes exactly one line, and the
//! typed parsers never panic.

use std::net::{Ipv4Addr, SocketAddrV4};

use ftp_core::command::Password;
use ftp_core::{Command, CommandError, FramerConfig, ReplyFramer, passive, path, size};
use proptest::prelude::*;

/// One generated reply: its code, its exact bytes, and whether it is multi-line.
#[derive(Debug, Clone)]
struct GenReply {
    code: u16,
    bytes: Vec<u8>,
}

/// Text bytes for one line: anything but CR and LF.
fn line_text() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        any::<u8>().prop_filter("no line end", |b| *b != b'\r' && *b != b'\n'),
        0..40,
    )
}

/// An inner line of a multi-line reply: often digit-led (another code, the same code
/// with a hyphen, a bare other code), never one that closes the reply.
fn inner_line(code: u16) -> impl Strategy<Value = Vec<u8>> {
    let digits = code.to_string().into_bytes();
    prop_oneof![
        line_text(),
        (
            100u16..700,
            prop_oneof![Just(b' '), Just(b'-')],
            line_text()
        )
            .prop_map(|(c, sep, t)| {
                let mut l = c.to_string().into_bytes();
                l.push(sep);
                l.extend(t);
                l
            }),
        line_text().prop_map(move |t| {
            let mut l = digits.clone();
            l.push(b'-');
            l.extend(t);
            l
        }),
    ]
    .prop_filter("must not close the reply", move |l| {
        let d = code.to_string().into_bytes();
        !(l.len() >= 3 && l[..3] == d[..] && matches!(l.get(3), None | Some(b' ')))
    })
}

fn line_end() -> impl Strategy<Value = &'static [u8]> {
    prop_oneof![3 => Just(&b"\r\n"[..]), 1 => Just(&b"\n"[..])]
}

fn reply() -> impl Strategy<Value = GenReply> {
    (100u16..600, any::<bool>()).prop_flat_map(|(code, multi)| {
        let first = (line_text(), line_end());
        let inner = prop::collection::vec(
            (inner_line(code), line_end()),
            if multi { 0..6 } else { 0..1 },
        );
        let last = (line_text(), line_end());
        (first, inner, last).prop_map(move |((t1, e1), inner, (tl, el))| {
            let digits = code.to_string().into_bytes();
            let mut bytes = digits.clone();
            if multi {
                bytes.push(b'-');
                bytes.extend(t1);
                bytes.extend_from_slice(e1);
                for (line, end) in inner {
                    bytes.extend(line);
                    bytes.extend_from_slice(end);
                }
                bytes.extend_from_slice(&digits);
                bytes.push(b' ');
                bytes.extend(tl);
                bytes.extend_from_slice(el);
            } else {
                bytes.push(b' ');
                bytes.extend(t1);
                bytes.extend_from_slice(e1);
            }
            GenReply { code, bytes }
        })
    })
}

/// Frames `stream` cut at `cuts`, returning (code, raw bytes) of each reply.
fn frame_cut(stream: &[u8], cuts: &[usize], config: FramerConfig) -> Vec<(u16, Vec<u8>, bool)> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
    points.push(0);
    points.push(stream.len());
    points.sort_unstable();
    let mut framer = ReplyFramer::with_config(config);
    let mut out = Vec::new();
    for w in points.windows(2) {
        let mut piece = &stream[w[0]..w[1]];
        while !piece.is_empty() {
            let used = framer.push(piece).expect("generated replies frame");
            piece = &piece[used..];
            if let Some(r) = framer.reply() {
                out.push((r.code().get(), r.raw().to_vec(), r.is_truncated()));
            }
        }
    }
    assert!(!framer.has_partial_reply());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_replies_round_trip_under_any_chunking(
        replies in prop::collection::vec(reply(), 1..12),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let stream: Vec<u8> = replies.iter().flat_map(|r| r.bytes.clone()).collect();
        let framed = frame_cut(&stream, &cuts, FramerConfig::default());
        prop_assert_eq!(framed.len(), replies.len());
        for (got, want) in framed.iter().zip(&replies) {
            prop_assert_eq!(got.0, want.code);
            prop_assert_eq!(&got.1, &want.bytes);
            prop_assert!(!got.2);
        }
    }

    #[test]
    fn truncation_does_not_depend_on_chunking(
        replies in prop::collection::vec(reply(), 1..12),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
        max in 1usize..64,
    ) {
        let stream: Vec<u8> = replies.iter().flat_map(|r| r.bytes.clone()).collect();
        let config = FramerConfig { max_reply_len: max, ..FramerConfig::default() };
        let whole = frame_cut(&stream, &[], config);
        let cut = frame_cut(&stream, &cuts, config);
        prop_assert_eq!(&whole, &cut);
        prop_assert_eq!(whole.len(), replies.len());
        for (got, want) in whole.iter().zip(&replies) {
            prop_assert_eq!(got.0, want.code);
            prop_assert!(got.1.len() <= max);
            prop_assert_eq!(got.2, want.bytes.len() > max);
            prop_assert!(want.bytes.starts_with(&got.1));
        }
    }

    #[test]
    fn arbitrary_streams_frame_the_same_under_any_chunking(
        stream in prop::collection::vec(
            prop_oneof![Just(b'2'), Just(b'0'), Just(b' '), Just(b'-'), Just(b'\r'), Just(b'\n'), any::<u8>()],
            0..300,
        ),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let run = |cuts: &[usize]| {
            let mut points: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
            points.extend([0, stream.len()]);
            points.sort_unstable();
            let mut framer = ReplyFramer::new();
            let mut out = Vec::new();
            for w in points.windows(2) {
                let mut piece = &stream[w[0]..w[1]];
                while !piece.is_empty() {
                    match framer.push(piece) {
                        Ok(used) => piece = &piece[used..],
                        Err(e) => return (out, Some(e)),
                    }
                    if let Some(r) = framer.reply() {
                        out.push(r.raw().to_vec());
                    }
                }
            }
            (out, None)
        };
        prop_assert_eq!(run(&[]), run(&cuts));
    }

    #[test]
    fn encoder_refuses_line_breaks_or_writes_one_line(arg in prop::collection::vec(any::<u8>(), 0..64)) {
        let forbidden = arg.iter().any(|b| matches!(b, b'\r' | b'\n' | 0));
        let commands = [
            Command::Retr(&arg),
            Command::Stor(&arg),
            Command::Cwd(&arg),
            Command::Dele(&arg),
            Command::Site(&arg),
            Command::List(Some(&arg)),
            Command::Pass(Password(&arg)),
            Command::Raw(&arg),
        ];
        for command in commands {
            let mut out = b"keep".to_vec();
            match command.encode(&mut out) {
                Err(CommandError::ForbiddenByte { byte, offset, .. }) => {
                    prop_assert!(forbidden);
                    prop_assert_eq!(arg[offset], byte);
                    prop_assert_eq!(&out, b"keep");
                }
                Err(CommandError::EmptyArgument { .. }) => {
                    prop_assert!(arg.is_empty());
                    prop_assert_eq!(&out, b"keep");
                }
                Err(e) => prop_assert!(false, "unexpected {e:?}"),
                Ok(()) => {
                    prop_assert!(!forbidden);
                    let line = &out[4..];
                    prop_assert!(line.ends_with(b"\r\n"));
                    let body = &line[..line.len() - 2];
                    prop_assert!(!body.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)));
                    // It parses back: the verb, one space, the argument as given.
                    let back = if matches!(command, Command::Raw(_)) {
                        body
                    } else {
                        let (verb, rest) = body.split_at(command.verb().len());
                        prop_assert_eq!(verb, command.verb().as_bytes());
                        &rest[1..]
                    };
                    prop_assert_eq!(back, &arg[..]);
                }
            }
        }
    }

    #[test]
    fn typed_parsers_never_panic(text in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = passive::parse_pasv(&text);
        let _ = passive::parse_epsv(&text);
        let _ = path::parse_257(&text).map(|p| p.to_cow());
        let _ = size::parse_size(&text);
        let _ = size::parse_transfer_size(&text);
        let _ = ftp_core::FtpTime::find(&text);
        let _ = ftp_core::FtpTime::parse(&text);
        let _ = ftp_core::mlsx::parse_entry(&text);
        let _ = ftp_core::Capabilities::from_raw(&text);
    }

    #[test]
    fn pasv_round_trips(ip in any::<u32>(), port in any::<u16>(), prefix in "[A-Za-z ]{0,30}") {
        let addr = SocketAddrV4::new(Ipv4Addr::from(ip), port);
        let [a, b, c, d] = addr.ip().octets();
        let text = format!("{prefix}({a},{b},{c},{d},{},{}).", port >> 8, port & 0xff);
        prop_assert_eq!(passive::parse_pasv(text.as_bytes()).unwrap(), addr);
    }

    #[test]
    fn epsv_round_trips(port in 1u16.., delimiter in 33u8..127) {
        prop_assume!(!delimiter.is_ascii_digit());
        let d = delimiter as char;
        let text = format!("Entering Extended Passive Mode ({d}{d}{d}{port}{d})");
        prop_assert_eq!(passive::parse_epsv(text.as_bytes()).unwrap(), port);
    }

    #[test]
    fn quoted_paths_round_trip(p in prop::collection::vec(any::<u8>().prop_filter("printable", |b| *b >= 0x20 && *b != 0x7f), 0..40)) {
        let mut text = b"\"".to_vec();
        for &b in &p {
            text.push(b);
            if b == b'"' {
                text.push(b'"');
            }
        }
        text.extend_from_slice(b"\" is the current directory");
        prop_assert_eq!(path::parse_257(&text).unwrap().to_cow().into_owned(), p);
    }
}
