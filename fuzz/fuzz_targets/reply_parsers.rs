//! Fuzz target: every typed reply parser of `ftp_core` on arbitrary bytes.
//!
//! The input is used three ways: as a reply text, as a whole raw reply (`Reply::new` with
//! the code taken from its first bytes, multi-line or not), and as a control-channel
//! stream framed by `ReplyFramer`, whose replies' texts go through the parsers again.
//!
//! Asserts (beyond "nothing panics"):
//! - `parse_pasv`: a returned address, written back as `(a,b,c,d,p1,p2)`, parses to the
//!   same address;
//! - `parse_epsv`: a returned port is not 0 and `(|||port|)` parses back to it;
//! - `parse_257`: `to_cow()` holds no control character, and the path quoted again
//!   (`"` doubled) parses back to the same path;
//! - `FtpTime::parse` / `FtpTime::find`: `FtpTime::parse(t.to_string())` gives `t` back;
//!   a found time's 14 digits are in the text; Unix-time round trip where it is defined;
//! - `parse_size`: the value's decimal digits are in the text; `parse_transfer_size` too;
//! - `feature_lines` / `Capabilities`: `has(f)` agrees with the feature lines, names have
//!   no space and are not empty, parameters are trimmed;
//! - `mlsx::parse_entry`: `facts + " " + name` rebuilds the line (line end removed),
//!   the fact pairs rebuild `facts`, the name is not empty; `parse_mlst_reply` likewise.

#![no_main]

use std::borrow::Cow;

use ftp_core::feat::{Feature, feature_lines};
use ftp_core::mlsx::{MlsxEntry, parse_entry, parse_mlst_reply};
use ftp_core::passive::{parse_epsv, parse_pasv};
use ftp_core::path::parse_257;
use ftp_core::size::{parse_size, parse_transfer_size};
use ftp_core::{Capabilities, FramerConfig, FtpTime, Reply, ReplyCode, ReplyFramer};
use libfuzzer_sys::fuzz_target;

/// Every `Feature` variant.
const FEATURES: [Feature; 20] = Feature::ALL;

fuzz_target!(|data: &[u8]| {
    // 1. The bytes as a reply text, and as one MLSD line.
    check_text(data);
    check_entry(data);
    check_time_parse(data);

    // 2. The bytes as one whole raw reply.
    let code = data
        .get(..3)
        .and_then(|d| ReplyCode::from_digits([d[0], d[1], d[2]]))
        .unwrap_or(ReplyCode::SYSTEM_STATUS);
    for multiline in [false, true] {
        check_reply(&Reply::new(code, data, multiline, false));
    }
    check_capabilities(data);

    // 3. The bytes as a control-channel stream: parse every reply framed out of it.
    let mut framer = ReplyFramer::with_config(FramerConfig {
        max_reply_len: 4096,
        lenient_multiline_end: data.first().is_some_and(|b| b & 1 == 1),
    });
    let mut rest = data;
    while !rest.is_empty() {
        let Ok(n) = framer.push(rest) else { break };
        rest = &rest[n..];
        if let Some(reply) = framer.reply() {
            check_reply(&reply);
            check_text(reply.text());
            for line in reply.text_lines() {
                check_entry(line);
            }
            check_capabilities(reply.raw());
        }
    }
    if let Ok(Some(reply)) = framer.finish() {
        check_reply(&reply);
        check_text(reply.text());
    }
});

/// All parsers that read a reply text.
fn check_text(text: &[u8]) {
    // 227
    if let Ok(addr) = parse_pasv(text) {
        let [a, b, c, d] = addr.ip().octets();
        let [p1, p2] = addr.port().to_be_bytes();
        let again = format!("({a},{b},{c},{d},{p1},{p2})");
        assert_eq!(parse_pasv(again.as_bytes()), Ok(addr), "PASV round trip");
    }

    // 229
    if let Ok(port) = parse_epsv(text) {
        assert_ne!(port, 0, "EPSV port 0 accepted");
        let again = format!("Entering Extended Passive Mode (|||{port}|)");
        assert_eq!(parse_epsv(again.as_bytes()), Ok(port), "EPSV round trip");
    }

    // 257
    if let Ok(path) = parse_257(text) {
        let cow = path.to_cow();
        assert!(
            !cow.iter().any(|b| *b < 0x20 || *b == 0x7f),
            "control character in a 257 path: {:?}",
            cow.escape_ascii().to_string()
        );
        assert_eq!(cow.len(), path.bytes().count());
        assert!(matches!(
            (path.escaped().contains(&b'"'), &cow),
            (true, Cow::Owned(_)) | (false, Cow::Borrowed(_))
        ));
        let mut quoted = b"\"".to_vec();
        for b in cow.iter() {
            quoted.push(*b);
            if *b == b'"' {
                quoted.push(b'"');
            }
        }
        quoted.extend_from_slice(b"\" created");
        assert_eq!(&quoted[1..quoted.len() - 9], path.escaped());
        let again = parse_257(&quoted).expect("a re-quoted 257 path must parse");
        assert_eq!(again.to_cow(), cow, "257 round trip");
    }

    // 213 SIZE and the 150 byte count
    if let Ok(size) = parse_size(text) {
        assert!(
            contains(text, size.to_string().as_bytes()),
            "size not in text"
        );
    }
    if let Some(size) = parse_transfer_size(text) {
        assert!(
            contains(text, size.to_string().as_bytes()),
            "byte count not in text"
        );
    }

    // MDTM
    if let Ok(t) = FtpTime::find(text) {
        check_time(t);
        let s = t.to_string();
        assert!(
            contains(text, &s.as_bytes()[..14]),
            "found time not in text"
        );
    }
}

/// `FtpTime::parse` on the whole input, and the time value checks.
fn check_time_parse(value: &[u8]) {
    if let Ok(t) = FtpTime::parse(value) {
        check_time(t);
        if value.len() <= 24 {
            // 14 digits, `.`, at most 9 fraction digits: printed back as it came.
            assert_eq!(
                t.to_string().as_bytes(),
                value,
                "FtpTime prints differently"
            );
        }
    }
    // Arbitrary fields through the checked constructor.
    if value.len() >= 8 {
        let year = u16::from_le_bytes([value[0], value[1]]);
        if let Ok(t) = FtpTime::new(year, value[2], value[3], value[4], value[5], value[6]) {
            check_time(t);
            // A fraction that fits its digit count, so that it prints without loss.
            let digits = value[5] % 10;
            let unit = 10u32.pow(9 - u32::from(digits));
            let nanos = u32::from_le_bytes([value[7], value[2], value[3], value[4]]);
            let nanos = nanos % 1_000_000_000 / unit * unit;
            let t = t
                .with_nanosecond(nanos, digits)
                .expect("a fraction in range must be accepted");
            check_time(t);
            assert_eq!(t.nanosecond(), nanos);
        }
    }
    if value.len() >= 8 {
        let secs = i64::from_le_bytes(value[..8].try_into().unwrap());
        if let Ok(t) = FtpTime::from_unix_timestamp(secs) {
            assert_eq!(t.unix_timestamp(), secs, "Unix time round trip for {secs}");
            check_time(t);
        }
    }
}

fn check_time(t: FtpTime) {
    let s = t.to_string();
    let again = FtpTime::parse(s.as_bytes())
        .unwrap_or_else(|e| panic!("FtpTime {s} does not parse back: {e}"));
    assert_eq!(again, t, "FtpTime round trip through {s}");
    assert!((1..=12).contains(&t.month()));
    assert!((1..=31).contains(&t.day()));
    assert!(t.hour() <= 23 && t.minute() <= 59 && t.second() <= 60);
    assert!(t.nanosecond() <= 999_999_999);
    assert!(u32::from(t.millisecond()) == t.nanosecond() / 1_000_000);
    let secs = t.unix_timestamp();
    if t.second() < 60 {
        let back = FtpTime::from_unix_timestamp(secs)
            .unwrap_or_else(|e| panic!("FtpTime {s} = {secs} s does not convert back: {e}"));
        let whole = t.with_nanosecond(0, 0).unwrap();
        assert_eq!(back, whole, "Unix time round trip of {s}");
    }
}

/// MLSD line checks.
fn check_entry(line: &[u8]) {
    if let Ok(entry) = parse_entry(line) {
        let stripped = strip_line_end(line);
        check_entry_shape(&entry, stripped);
    }
}

fn check_entry_shape(entry: &MlsxEntry<'_>, line: &[u8]) {
    assert!(!entry.name.is_empty(), "empty MLSx name");
    // Blanks before a fact list are an indent (MLST replies indented by more than one
    // space, servers that pad): the facts start after them.
    let indent = line
        .len()
        .checked_sub(entry.facts.len() + entry.name.len() + 1)
        .expect("facts, separator and name are longer than the line");
    let indent = if entry.facts.is_empty() { 0 } else { indent };
    assert!(
        line[..indent].iter().all(|b| matches!(b, b' ' | b'\t')),
        "something other than blanks before the facts"
    );
    let line = &line[indent..];
    // The separator is one space (RFC 3659 §7), or a tab from servers that bend it.
    let separator = line.get(entry.facts.len()).copied();
    assert!(
        matches!(separator, Some(b' ' | b'\t')),
        "no space or tab between facts and name"
    );
    let mut rebuilt = entry.facts.to_vec();
    rebuilt.extend(separator);
    rebuilt.extend_from_slice(entry.name);
    assert_eq!(rebuilt, line, "facts + separator + name is not the line");
    let mut facts = Vec::new();
    for (name, value) in entry.fact_pairs() {
        assert!(!name.is_empty());
        assert!(!name.iter().any(|b| matches!(b, b'=' | b';' | b' ')));
        assert!(!value.contains(&b';'));
        facts.extend_from_slice(name);
        facts.push(b'=');
        facts.extend_from_slice(value);
        facts.push(b';');
        let by_name = entry.fact(&String::from_utf8_lossy(name));
        if name.is_ascii() {
            assert!(by_name.is_some(), "fact() misses a fact");
        }
    }
    // A last fact without its `;` is accepted (real servers send it).
    let mut expected = entry.facts.to_vec();
    if !expected.is_empty() && !expected.ends_with(b";") {
        expected.push(b';');
    }
    assert_eq!(facts, expected, "fact pairs do not rebuild the facts");
    if let Some(t) = entry.modify {
        check_time(t);
    }
    if let Some(t) = entry.create {
        check_time(t);
    }
    let _ = format!("{entry:?}");
}

/// The `Reply` accessors and the parsers that take a reply.
fn check_reply(reply: &Reply<'_>) {
    let raw = reply.raw();
    let text = reply.text();
    assert!(text.len() <= raw.len());
    let lines = reply.lines().count();
    assert_eq!(reply.text_lines().count(), lines);
    for (line, text_line) in reply.lines().zip(reply.text_lines()) {
        assert!(!line.contains(&b'\n'));
        assert!(
            line.ends_with(text_line),
            "text_lines() is not a suffix of lines()"
        );
    }
    let _ = reply.first_line_text();
    let _ = format!("{reply} {reply:?}");
    let owned = reply.to_owned_reply();
    assert_eq!(owned.as_reply(), *reply);
    assert_eq!(owned.text(), text);
    let _ = format!("{owned} {owned:?}");

    if let Ok(entry) = parse_mlst_reply(reply) {
        let line = reply
            .lines()
            .skip(1)
            .find(|l| l.first() == Some(&b' '))
            .expect("parse_mlst_reply succeeded without an entry line");
        check_entry_shape(&entry, strip_line_end(&line[1..]));
    }
    let caps = Capabilities::from_reply(reply);
    assert_eq!(caps, Capabilities::from_raw(raw));
}

/// FEAT parsing of raw reply bytes.
fn check_capabilities(raw: &[u8]) {
    let caps = Capabilities::from_raw(raw);
    let lines: Vec<_> = feature_lines(raw).collect();
    for line in &lines {
        assert!(!line.name.is_empty(), "empty feature name");
        assert!(!line.name.contains(&b' '), "space in a feature name");
        assert_eq!(
            line.params,
            line.params.trim_ascii(),
            "untrimmed parameters"
        );
        let _ = format!("{line:?}");
        if let Some(f) = line.feature {
            assert!(line.name.eq_ignore_ascii_case(f.name().as_bytes()));
        }
    }
    for f in FEATURES {
        let listed = lines.iter().any(|l| l.feature == Some(f));
        assert_eq!(caps.has(f), listed, "has({f:?}) disagrees with the lines");
        for item in caps.items(f) {
            assert!(!item.name.contains(&b';'));
            assert!(!item.name.contains(&b' '));
        }
        if let Some(params) = caps.get(f.name()) {
            assert_eq!(params, params.trim_ascii());
        }
    }
    assert_eq!(caps.lines().count(), lines.len());
    let _ = caps.mlst_facts().count();
    let _ = caps.hash_algorithms().count();
    let _ = caps.languages().count();
    let _ = caps.supports_auth(b"TLS");
    let _ = format!("{caps:?}");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

fn strip_line_end(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}
