//! Fuzz target: the directory-listing parsers and the auto-detector on arbitrary data.
//!
//! Asserts, for every input and every format (auto-detected and each forced one):
//! - nothing panics;
//! - no line is lost: every line of the buffer gives exactly one `ParsedLine`, and an
//!   entry's `raw`, or an unparsed line, is the line itself (line end removed);
//! - an entry's name is a non-empty part of its line;
//! - a listed time converts to UTC or reports an error, never panics.
#![no_main]

use arbitrary::Arbitrary;
use ftp_core::FtpTime;
use ftp_core::listing::{Format, ListingParser, ParsedLine, lines};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// "Now", as seconds since the Unix epoch.
    now: u32,
    /// The server's UTC offset in minutes.
    offset: i16,
    data: &'a [u8],
}


/// Whether `part` lies inside `whole` (pointer-wise: a borrowed sub-slice).
fn within(part: &[u8], whole: &[u8]) -> bool {
    let (p, w) = (part.as_ptr() as usize, whole.as_ptr() as usize);
    p >= w && p + part.len() <= w + whole.len()
}

fuzz_target!(|input: Input| {
    let Ok(now) = FtpTime::from_unix_timestamp(i64::from(input.now)) else {
        return;
    };
    let count = lines(input.data).count();
    for format in core::iter::once(Format::Auto).chain(Format::ALL) {
        let mut parser = ListingParser::new(now)
            .with_server_offset(i32::from(input.offset))
            .with_format(format);
        let mut seen = 0;
        for line in lines(input.data) {
            seen += 1;
            let bare = line.strip_suffix(b"\r").unwrap_or(line);
            match parser.parse_line(line) {
                ParsedLine::Entry(e) => {
                    assert_eq!(e.raw, bare, "entry raw is not its line");
                    assert!(
                        !e.name.is_empty(),
                        "empty name from {:?}",
                        bare.escape_ascii().to_string()
                    );
                    assert!(within(e.name, line), "name is not part of the line");
                    if let Some(t) = e.modified {
                        let _ = t.to_utc();
                        let _ = t.unix_timestamp();
                    }
                }
                ParsedLine::Unparsed(raw) => assert_eq!(raw, bare, "unparsed raw is not its line"),
                ParsedLine::Skipped(_) => {}
            }
        }
        assert_eq!(seen, count);
    }
});
