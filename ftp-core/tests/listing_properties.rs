//! Properties of `ftp_core::listing`: entries with awkward names survive a render/parse
//! round trip in each format, and no input makes any parser panic or lose a line.

use ftp_core::FtpTime;
use ftp_core::listing::{
    Entry, EntryKind, Format, ListingParser, ParsedLine, SkipReason, TimeContext,
    connect_enterprise, date, dos, eplf, hp_nonstop, lines, mlsd, mvs, netware, os2, os9, os400,
    unix, unix_numeric, vms, vshell, vxworks, wfftp,
};
use proptest::prelude::*;

fn now() -> FtpTime {
    FtpTime::new(2024, 6, 15, 12, 0, 0).unwrap()
}

/// Characters that make names awkward: spaces, separators the formats use, arrows,
/// non-ASCII. No line ends (a listing is line-based) and no tabs (EPLF's separator).
fn awkward_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range('a', 'z'),
        1 => proptest::char::range('0', '9'),
        2 => Just(' '),
        1 => prop::sample::select(vec![
            ';', '=', '-', '>', '.', ',', ':', '[', ']', '<', '(', ')', '\\', '"', '\'', '+', '*',
            'é', 'ß', 'ж', '日', '月', '→', '😀',
        ]),
    ]
}

fn name(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(awkward_char(), 1..max)
        .prop_map(|c| c.into_iter().collect::<String>())
        // A name of only blanks is not a name (see `unix::parse`).
        .prop_filter("not blank", |n| !n.trim().is_empty())
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    File,
    Dir,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![Just(Kind::File), Just(Kind::Dir)]
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `ls -l` date columns: `Mon dd HH:MM` or `Mon dd  YYYY`.
fn ls_date() -> impl Strategy<Value = String> {
    (
        0usize..12,
        1u8..=28,
        0u8..24,
        0u8..60,
        1970u16..2030,
        any::<bool>(),
    )
        .prop_map(|(m, d, h, min, y, recent)| {
            if recent {
                format!("{} {:>2} {:02}:{:02}", MONTHS[m], d, h, min)
            } else {
                format!("{} {:>2}  {}", MONTHS[m], d, y)
            }
        })
}

fn same<'a>(e: &Entry<'a>, name: &str, size: Option<u64>) -> Result<(), TestCaseError> {
    prop_assert_eq!(e.name, name.as_bytes());
    prop_assert_eq!(e.size, size);
    Ok(())
}

proptest! {
    // Failures are reported with their minimal input; no regression file is written into
    // the source tree.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn unix_round_trip(
        name in name(40),
        kind in kind(),
        size in any::<u64>(),
        date in ls_date(),
        owner in "[a-z][a-z0-9_]{0,8}",
        // Group names may hold single spaces (`Domain Users`); a wider gap is the padding
        // between columns.
        group in "[a-z]{1,3}( [a-z0-9]{1,3}){0,2}",
        links in 1u32..2000,
    ) {
        let mode = match kind { Kind::File => "-rw-r--r--", Kind::Dir => "drwxr-xr-x" };
        let line = format!("{mode} {links:>3} {owner:<8} {group:<8} {size:>12} {date} {name}\r\n");
        let mut p = ListingParser::new(now());
        let e = p.parse_line(line.as_bytes()).entry();
        prop_assert!(e.is_some(), "not parsed: {line:?}");
        let e = e.unwrap();
        same(&e, &name, Some(size))?;
        let want = match kind { Kind::File => EntryKind::File, Kind::Dir => EntryKind::Dir };
        prop_assert_eq!(e.kind, want);
        prop_assert_eq!(e.links, Some(u64::from(links)));
        prop_assert_eq!(e.owner, Some(owner.as_bytes()));
        prop_assert_eq!(e.group, Some(group.as_bytes()));
        prop_assert_eq!(p.detected(), Some(Format::Unix));
    }

    #[test]
    fn unix_symlink_round_trip(
        name in name(30).prop_filter("no arrow", |n| !n.contains(" -> ")),
        target in name(30),
        date in ls_date(),
    ) {
        let line = format!("lrwxrwxrwx 1 root root {} {date} {name} -> {target}", target.len());
        let e = unix::parse(line.as_bytes(), &TimeContext::new(now()));
        prop_assert!(e.is_some(), "not parsed: {line:?}");
        let e = e.unwrap();
        prop_assert_eq!(e.name, name.as_bytes());
        prop_assert_eq!(e.kind, EntryKind::Symlink { target: Some(target.as_bytes()) });
    }

    #[test]
    fn dos_round_trip(
        name in name(40),
        kind in kind(),
        size in any::<u64>(),
        (month, day, year, hour, minute) in (1u8..=12, 1u8..=28, 1980u16..2079, 0u8..24, 0u8..60),
        twelve_hour in any::<bool>(),
        commas in any::<bool>(),
    ) {
        // IIS pads after `<DIR>`, so a directory name cannot start with blanks there.
        let name = match kind { Kind::Dir => name.trim_start().to_owned(), Kind::File => name };
        prop_assume!(!name.is_empty());
        let time = if twelve_hour {
            let h12 = match hour % 12 { 0 => 12, h => h };
            format!("{h12:02}:{minute:02}{}", if hour < 12 { "AM" } else { "PM" })
        } else {
            format!("{hour:02}:{minute:02}")
        };
        let size_text = if commas { with_commas(size) } else { size.to_string() };
        let column = match kind {
            Kind::Dir => "<DIR>         ".to_owned(),
            Kind::File => format!("{size_text:>14}"),
        };
        let line = format!("{month:02}-{day:02}-{:02}  {time}  {column} {name}\r\n", year % 100);
        let mut p = ListingParser::new(now());
        let e = p.parse_line(line.as_bytes()).entry();
        prop_assert!(e.is_some(), "not parsed: {line:?}");
        let e = e.unwrap();
        let (want_kind, want_size) = match kind {
            Kind::File => (EntryKind::File, Some(size)),
            Kind::Dir => (EntryKind::Dir, None),
        };
        same(&e, &name, want_size)?;
        prop_assert_eq!(e.kind, want_kind);
        let t = e.modified.unwrap().wall_clock();
        prop_assert_eq!((t.year(), t.month(), t.day(), t.hour(), t.minute()),
            (year, month, day, hour, minute));
        prop_assert_eq!(p.detected(), Some(Format::Dos));
    }

    #[test]
    fn mlsd_round_trip(
        // MLSD names may start with blanks and contain `;` and `=`.
        name in proptest::collection::vec(awkward_char(), 1..40)
            .prop_map(|c| c.into_iter().collect::<String>()),
        kind in kind(),
        size in any::<u64>(),
    ) {
        let kind_fact = match kind { Kind::File => "file", Kind::Dir => "dir" };
        let line = format!("type={kind_fact};size={size};modify=20201213202400;UNIX.mode=0644; {name}\r\n");
        let mut p = ListingParser::new(now()).with_format(Format::Mlsd);
        let e = p.parse_line(line.as_bytes()).entry();
        prop_assert!(e.is_some(), "not parsed: {line:?}");
        let e = e.unwrap();
        same(&e, &name, Some(size))?;
        let want = match kind { Kind::File => EntryKind::File, Kind::Dir => EntryKind::Dir };
        prop_assert_eq!(e.kind, want);
        prop_assert_eq!(e.permissions, Some(0o644));
        prop_assert_eq!(mlsd::parse(&line.as_bytes()[..line.len() - 2]).map(|e| e.name),
            Some(name.as_bytes()));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_never_vanish(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let ctx = TimeContext::new(now());
        let _ = unix::parse(&data, &ctx);
        let _ = dos::parse(&data, &ctx);
        let _ = eplf::parse(&data);
        let _ = mlsd::parse(&data);
        let _ = vms::parse(&data, &ctx);
        let _ = os400::parse(&data, &ctx);
        let _ = mvs::parse(&data, &ctx, true);
        let _ = netware::parse(&data, &ctx);
        let _ = os2::parse(&data, &ctx);
        let _ = connect_enterprise::parse(&data, &ctx);
        let _ = hp_nonstop::parse(&data, &ctx);
        let _ = vshell::parse(&data, &ctx);
        let _ = vxworks::parse(&data, &ctx);
        let _ = wfftp::parse(&data, &ctx);
        let _ = os9::parse(&data, &ctx);
        let _ = unix_numeric::parse(&data);
        let _ = date::parse_ls_date(&data, &ctx);
        let _ = date::parse_dos_date(&data, &ctx);
        for format in core::iter::once(Format::Auto).chain(Format::ALL) {
            let all: Vec<&[u8]> = lines(&data).collect();
            check_listing(ListingParser::new(now()).with_format(format), &all)?;
            check_listing(ListingParser::new(now()).with_format(format), &[&data])?;
            // The whole-buffer API accounts for the same lines, without holding any back.
            let mut p = ListingParser::new(now()).with_format(format);
            let mut cursor = 0;
            for parsed in p.parse_all(&data) {
                match parsed {
                    ParsedLine::Entry(e) if !within(e.name, e.raw) => cursor += 2,
                    ParsedLine::Skipped(SkipReason::Continued) => prop_assert!(false),
                    _ => cursor += 1,
                }
            }
            prop_assert_eq!(cursor, all.len());
        }
    }

    #[test]
    fn listing_shaped_noise_never_panics(
        parts in proptest::collection::vec(prop::sample::select(vec![
            "-rw-r--r--", "drwxr-xr-x+", "lrwxrwxrwx", "crw-------", "1", "0,", "12", "13,2",
            "root", "Jan", "Feb", "29", "31", "03:26", "24:00", "2005-04-08", "11:22:33.5",
            "+0100", "2005", "12-25-10", "12:00AM", "<DIR>", "1,234", "-5", "33.5k", "9.9G",
            "->", " ", "  ", "\t", "日", "3月", "2日", "2003年", "Oct", "08,", "26.", "Juli,",
            "24-04-2003", "01-jun-99", "09-26", "1999/10/12", "x", "+r,s1,m1,", "type=dir;",
            "99999999999999999999999", "18446744073709551616", "00:0", ";", "\u{0}", "\u{ff}",
            "A.TXT;1", "DATA.DIR;12", "9/9", "******", "2KB", "2-JUN-1998", "07:32:04.64",
            "[GROUP,OWNER]", "[X", "(RWED,RWED,RE,)", "(,,,)",
        ]), 0..16),
        offset in -1440i32..1440,
        tolerance in prop_oneof![Just(0i64), Just(86_400), Just(i64::MAX), Just(i64::MIN)],
        now_secs in -62_167_219_200i64..253_402_300_799,
    ) {
        let line = parts.concat();
        let mut ctx = TimeContext::new(FtpTime::from_unix_timestamp(now_secs).unwrap());
        ctx.server_offset_minutes = offset;
        ctx.max_future_seconds = tolerance;
        let p = ListingParser::new(ctx.now).with_time_context(ctx);
        check_listing(p, &[line.as_bytes(), line.as_bytes()])?;
        let _ = date::parse_ls_date(line.as_bytes(), &ctx);
        let _ = date::parse_dos_date(line.as_bytes(), &ctx);
    }
}

/// Whether `part` lies inside `whole` (a borrowed sub-slice, pointer-wise).
fn within(part: &[u8], whole: &[u8]) -> bool {
    let (p, w) = (part.as_ptr() as usize, whole.as_ptr() as usize);
    p >= w && p + part.len() <= w + whole.len()
}

/// Feeds `input` line by line, then `finish`, and checks that every line is accounted for,
/// in order: each result stands for the next line (an entry or unparsed line holds it
/// whole, line end removed), except that `Skipped(Continued)` defers a line and a joined
/// VMS entry (its name outside its `raw`) stands for two.
fn check_listing(mut p: ListingParser, input: &[&[u8]]) -> Result<(), TestCaseError> {
    // The line end is `\n` or `\r\n`; a CR without a LF is part of the line.
    let strip = |line: &[u8]| match line.strip_suffix(b"\n") {
        Some(line) => line.strip_suffix(b"\r").unwrap_or(line).to_vec(),
        None => line.to_vec(),
    };
    let want: Vec<Vec<u8>> = input.iter().map(|l| strip(l)).collect();
    let mut cursor = 0;
    let mut account = |parsed: ParsedLine<'_>| -> Result<(), TestCaseError> {
        match parsed {
            ParsedLine::Skipped(SkipReason::Continued) => return Ok(()),
            ParsedLine::Entry(e) => {
                if let Some(t) = e.modified {
                    let _ = t.to_utc();
                    let _ = t.unix_timestamp();
                }
                prop_assert!(!e.name.is_empty());
                if !within(e.name, e.raw) {
                    cursor += 1;
                }
                prop_assert_eq!(Some(e.raw), want.get(cursor).map(Vec::as_slice));
            }
            ParsedLine::Unparsed(raw) => {
                prop_assert_eq!(Some(raw), want.get(cursor).map(Vec::as_slice))
            }
            ParsedLine::Skipped(_) => {}
        }
        cursor += 1;
        Ok(())
    };
    for line in input {
        account(p.parse_line(line))?;
    }
    if let Some(last) = p.finish() {
        account(last)?;
    }
    prop_assert_eq!(cursor, want.len());
    Ok(())
}

fn with_commas(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
