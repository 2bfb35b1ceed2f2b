//! Fuzz target: the directory-listing parsers and the auto-detector on arbitrary data.
//!
//! Asserts, for every input and every format (auto-detected and each forced one):
//! - nothing panics;
//! - no line is lost: every line of the buffer is accounted for, in order, by the results
//!   of `parse_line` and `finish` (an entry's `raw`, or an unparsed line, is the line itself,
//!   line end removed, a CR before it kept; `Skipped(Continued)` defers a line, and a VMS
//!   entry joined from two lines stands for both);
//! - an entry's name is non-empty and part of its line (of the held line, when joined);
//! - a listed time converts to UTC or reports an error, never panics.
#![no_main]

use arbitrary::Arbitrary;
use ftp_core::FtpTime;
use ftp_core::listing::{Format, ListingParser, ParsedLine, SkipReason, lines};
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
    // `lines` removes the line end (`\n` or `\r\n`); a CR left before it is part of the
    // line (a Mac `Icon\r` name), and the parser keeps it too.
    let want: Vec<&[u8]> = lines(input.data).collect();
    for format in core::iter::once(Format::Auto).chain(Format::ALL) {
        let mut parser = ListingParser::new(now)
            .with_server_offset(i32::from(input.offset))
            .with_format(format);
        // Which line the next result stands for.
        let mut cursor = 0;
        let mut account = |parsed: ParsedLine<'_>| match parsed {
            // The line is held: its result (or a joined entry) comes with a later call.
            ParsedLine::Skipped(SkipReason::Continued) => {}
            ParsedLine::Entry(e) => {
                assert!(
                    !e.name.is_empty(),
                    "empty name from {:?}",
                    e.raw.escape_ascii().to_string()
                );
                // A VMS entry joined from two lines: the name is on the first.
                if !within(e.name, e.raw) {
                    assert_eq!(
                        want.get(cursor).map(|l| l.ends_with(e.name) || l.starts_with(e.name)),
                        Some(true),
                        "joined name is not on the held line"
                    );
                    cursor += 1;
                }
                assert_eq!(Some(&e.raw), want.get(cursor), "entry raw is not its line");
                if let Some(t) = e.modified {
                    let _ = t.to_utc();
                    let _ = t.unix_timestamp();
                }
                cursor += 1;
            }
            ParsedLine::Unparsed(raw) => {
                assert_eq!(Some(&raw), want.get(cursor), "unparsed raw is not its line");
                cursor += 1;
            }
            ParsedLine::Skipped(_) => cursor += 1,
        };
        for line in lines(input.data) {
            account(parser.parse_line(line));
        }
        if let Some(last) = parser.finish() {
            account(last);
        }
        assert_eq!(cursor, want.len(), "a line was lost or counted twice");
    }
});
