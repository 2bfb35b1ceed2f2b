//! Conformance of `ftp_core::listing` against the directory-listing cases other projects'
//! test suites assert (`tests/conformance/*.jsonl`, see the README there for the sources,
//! the record schema and where the sources disagree).
//!
//! Every record of the listing files is run. A record passes when each value its source
//! asserts under `expect` is produced exactly (`expect_source_convention`, `derived` and
//! `reference_output` are not assertions and are not checked). A `reject` of kind
//! `malformed` must come back [`ParsedLine::Unparsed`]; `ignorable_line` must give no entry
//! (Skipped or Unparsed). Other reject kinds (`unsupported_format`, `strict_validation`,
//! `lenient_reader_policy`, `ambiguous`, …) are a source's policy, not a line syntax
//! verdict: they are counted under `n/a`, as are `lenient` records (FluentFTP's own "known
//! broken" values) and records whose only assertions are about things a listing entry does
//! not carry (MLSD `perm` letters, ACL flags). A record that does not pass must be listed in
//! `tests/conformance/listing-allow-list.txt` with a one-line reason; a listed record that
//! passes fails the test too, so the list never goes stale. Each entry carries its class:
//! `[contested file:line]` names the record of another source that asserts something
//! different on the same or an equivalent input (checked: it exists, is asserted, and
//! differs), `[convention]` marks a source's own convention. The test prints the pass rate
//! per file and overall, and the rate over the records no other source contradicts, which
//! it holds above a floor (see the README, "This project's allow-list").
//!
//! Conventions the checker applies, as a caller of the listing module would:
//! * `mlsd.jsonl` records are parsed with [`Format::Mlsd`] forced (the client sent MLSD),
//!   everything else with [`Format::Auto`].
//! * Sources that compare a whole listing drop `.`/`..` (and MLSD `cdir`/`pdir`); we return
//!   them, so the checker drops them before comparing an `entries` list that lacks them, and
//!   before counting entries for basic-ftp and Cyberduck, which drop them.
//! * A `malformed` line that is empty or all blanks may come back `Skipped(Blank)`: it
//!   carries no entry either way.
//! * The sources know only file/dir/symlink/unknown: a device, pipe or socket is a "file" to
//!   them, and our [`EntryKind::Other`] is their "unknown".
//! * "now" is `context.now` when given, else 2026-11-25T12:00:00Z (the day the corpus was
//!   collected); `context.time_shift_seconds` is the server's UTC offset.

use std::collections::BTreeMap;
use std::fs;

use ftp_core::FtpTime;
use ftp_core::listing::{
    self, DateOrder, Entry, EntryKind, Format, ListingParser, ParsedLine, Precision, SkipReason,
    TimeContext, date,
};
use ftp_core::mlsx::{self, EntryType};
use ftp_tests::Verdict;
use serde_json::{Map, Value};

const FILES: [&str; 8] = [
    "unix.jsonl",
    "dos.jsonl",
    "eplf.jsonl",
    "mlsd.jsonl",
    "vms.jsonl",
    "other.jsonl",
    "nlst.jsonl",
    "datefragments.jsonl",
];

/// `Ok(true)`: every assertion matched. `Ok(false)`: nothing this module answers for was
/// asserted (see the module docs). `Err`: a mismatch.
type Outcome = Result<bool, String>;

/// Bytes as the record's text: Latin-1 when the input was given as hex (the README says
/// `input` is then Latin-1 decoded), UTF-8 otherwise.
fn text(record: &Value, bytes: &[u8]) -> String {
    if record.get("input_hex").is_some() {
        bytes.iter().map(|&b| char::from(b)).collect()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `2017-03-10T23:00:00Z` or `Tue, 15 Nov 1994 12:45:26 GMT`.
fn parse_now(now: &str) -> FtpTime {
    let num = |s: &str| s.parse::<u16>().unwrap();
    if let Some((_, rest)) = now.split_once(", ") {
        let parts: Vec<&str> = rest.split([' ', ':']).collect();
        let month = MONTHS.iter().position(|m| *m == parts[1]).unwrap() as u8 + 1;
        return FtpTime::new(
            num(parts[2]),
            month,
            num(parts[0]) as u8,
            num(parts[3]) as u8,
            num(parts[4]) as u8,
            num(parts[5]) as u8,
        )
        .unwrap();
    }
    let digits: String = now.chars().filter(char::is_ascii_digit).take(14).collect();
    FtpTime::parse(format!("{digits:0<14}").as_bytes()).unwrap()
}

fn time_context(record: &Value) -> TimeContext {
    let context = &record["context"];
    let now = context
        .get("now")
        .and_then(Value::as_str)
        .map(parse_now)
        .unwrap_or_else(|| FtpTime::new(2026, 11, 25, 12, 0, 0).unwrap());
    let mut ctx = TimeContext::new(now);
    if let Some(shift) = context.get("time_shift_seconds").and_then(Value::as_i64) {
        ctx.server_offset_minutes = i32::try_from(shift / 60).unwrap();
    }
    // Each source's rule for the year of a `Mon dd HH:MM` date (README, "Reference times"),
    // set the way a client copying that tool would set it.
    let source = record["source"].as_str().unwrap();
    if source.starts_with("jlaffaye/") || source.starts_with("veeso/") {
        // "Current year unless more than 6 months in the future": six calendar months.
        let (y, m) = (now.year(), now.month());
        let (y, m) = if m > 6 { (y + 1, m - 6) } else { (y, m + 6) };
        let later = FtpTime::new(
            y,
            m,
            now.day().min(28),
            now.hour(),
            now.minute(),
            now.second(),
        )
        .unwrap();
        ctx.max_future_seconds = later.unix_timestamp() - now.unix_timestamp() - 1;
    } else if source.starts_with("chromium/") {
        // "A date later than now belongs to the previous year."
        ctx.max_future_seconds = 0;
    }
    // The order of an all-numeric OS/400 date (README, "Where the sources disagree" 6), as a
    // client configured like each tool would set it; FileZilla's is our `Auto`.
    if source.starts_with("apache/") {
        let option = context["option"].as_str().unwrap_or_default();
        ctx.date_order = if option.contains("MM/dd/yy") {
            DateOrder::MonthDayYear
        } else {
            DateOrder::YearMonthDay
        };
    } else if source.starts_with("robinrodricks/") {
        ctx.date_order = DateOrder::DayMonthYear;
    }
    ctx
}

fn parser(file: &str, record: &Value, ctx: &TimeContext) -> ListingParser {
    let context = &record["context"];
    // A caller that knows the server is z/OS (FileZilla's server type, Commons Net's
    // member-list mode) forces MVS, which reads a lone word as a member name.
    let mvs = context["server_type"] == "MVS"
        || context["listing_mode"]
            .as_str()
            .is_some_and(|m| m.contains("member"));
    let format = if file == "mlsd.jsonl" {
        Format::Mlsd
    } else if mvs {
        Format::Mvs
    } else {
        Format::Auto
    };
    ListingParser::new(ctx.now)
        .with_time_context(*ctx)
        .with_format(format)
}

fn eq<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

fn kind_name(kind: &EntryKind) -> &'static str {
    match kind {
        EntryKind::Dir => "dir",
        EntryKind::Symlink { .. } => "symlink",
        EntryKind::Other => "unknown",
        _ => "file",
    }
}

fn type_char(kind: &EntryKind) -> char {
    match kind {
        EntryKind::File => '-',
        EntryKind::Dir => 'd',
        EntryKind::Symlink { .. } => 'l',
        EntryKind::BlockDevice { .. } => 'b',
        EntryKind::CharDevice { .. } => 'c',
        EntryKind::Pipe => 'p',
        EntryKind::Socket => 's',
        EntryKind::Other => '?',
    }
}

fn type_bits(kind: &EntryKind) -> u32 {
    match kind {
        EntryKind::File | EntryKind::Other => 0o100000,
        EntryKind::Dir => 0o040000,
        EntryKind::Symlink { .. } => 0o120000,
        EntryKind::BlockDevice { .. } => 0o060000,
        EntryKind::CharDevice { .. } => 0o020000,
        EntryKind::Pipe => 0o010000,
        EntryKind::Socket => 0o140000,
    }
}

/// `rwsr-xr-T`, as `ls` prints the bits.
fn render_perms(mode: u16) -> String {
    let mut out = String::new();
    for (i, special) in [(0, 0o4000), (1, 0o2000), (2, 0o1000)] {
        let shift = 6 - 3 * i;
        let bits = (mode >> shift) & 7;
        out.push(if bits & 4 != 0 { 'r' } else { '-' });
        out.push(if bits & 2 != 0 { 'w' } else { '-' });
        let x = bits & 1 != 0;
        let s = mode & special != 0;
        let (on, off) = if i == 2 { ('t', 'T') } else { ('s', 'S') };
        out.push(match (x, s) {
            (true, true) => on,
            (false, true) => off,
            (true, false) => 'x',
            (false, false) => '-',
        });
    }
    out
}

fn letters(bits: u16) -> String {
    let mut s = String::new();
    if bits & 4 != 0 {
        s.push('r');
    }
    if bits & 2 != 0 {
        s.push('w');
    }
    if bits & 1 != 0 {
        s.push('x');
    }
    s
}

fn perms(e: &Entry) -> Result<u16, String> {
    e.permissions.ok_or_else(|| "no permissions".to_owned())
}

fn mlsx_of<'a>(e: &Entry<'a>) -> Option<mlsx::MlsxEntry<'a>> {
    mlsx::parse_entry(e.raw).ok()
}

fn is_cdir_or_pdir(e: &Entry) -> bool {
    e.is_self_or_parent()
        || mlsx_of(e).is_some_and(|m| matches!(m.kind, Some(EntryType::Cdir | EntryType::Pdir)))
}

/// Keys of `expect` (and of `entries` items) that describe something other than one entry's
/// values, or that are descriptions rather than assertions.
const NOT_ENTRY_KEYS: [&str; 3] = ["source_error", "note", "lenient"];

/// Checks one entry against the asserted fields; `unknown` collects keys the checker
/// cannot verify (things an `Entry` does not carry). Returns how many keys were checked.
fn check_entry(
    record: &Value,
    e: &Entry,
    expect: &Map<String, Value>,
    unknown: &mut Vec<String>,
) -> Result<usize, String> {
    let mut checked = 0;
    for (key, want) in expect {
        checked += 1;
        match key.as_str() {
            "name" => {
                let (mut got, mut want) = (
                    text(record, &e.full_name()),
                    want.as_str().unwrap().to_owned(),
                );
                // Chromium lower-cases VMS names: a display convention, flagged as such.
                let lowercased = record["context"]["vms_name_style"]
                    .as_str()
                    .is_some_and(|s| s.contains("lower-cased"));
                if lowercased || record["expect_source_convention"]["name_lowercased"] == true {
                    got = got.to_lowercase();
                    want = want.to_lowercase();
                }
                eq("name", got, want)?
            }
            "kind" => eq("kind", kind_name(&e.kind), want.as_str().unwrap())?,
            "size" => eq("size", e.size, want.as_u64())?,
            "link_target" => {
                let got = match e.kind {
                    EntryKind::Symlink { target } => target.map(|t| text(record, t)),
                    _ => None,
                };
                eq("link target", got.as_deref(), want.as_str())?
            }
            "user" | "st_uid" => eq(
                "owner",
                e.owner.map(|o| text(record, o)),
                want.as_str().map(str::to_owned),
            )?,
            "group" | "st_gid" => eq(
                "group",
                e.group.map(|g| text(record, g)),
                want.as_str().map(str::to_owned),
            )?,
            "owner_group" if want.as_str().unwrap().contains(',') => {
                // FileZilla prints a VMS or NonStop owner as listed: `GROUP,OWNER` (NonStop
                // may put a blank after the comma).
                let got = match (e.group, e.owner) {
                    (Some(g), Some(o)) => format!("{},{}", text(record, g), text(record, o)),
                    _ => String::new(),
                };
                let want = want.as_str().unwrap().replace(", ", ",");
                eq("owner and group", got, want)?
            }
            "owner_group" => {
                let got = match (e.owner, e.group) {
                    (Some(o), Some(g)) => format!("{} {}", text(record, o), text(record, g)),
                    (Some(o), None) => text(record, o),
                    _ => String::new(),
                };
                eq("owner and group", got.as_str(), want.as_str().unwrap())?
            }
            "uid" | "gid" => {
                let fact = if key == "uid" { "unix.uid" } else { "unix.gid" };
                let got = match mlsx_of(e) {
                    Some(m) => m.fact(fact).map(|v| text(record, v)),
                    None => if key == "uid" { e.owner } else { e.group }.map(|v| text(record, v)),
                };
                let got = got.and_then(|g| g.parse::<u64>().ok());
                eq(key, got, want.as_u64())?
            }
            "hard_links" | "st_nlink" => eq("links", e.links, want.as_u64())?,
            "perm_bits" | "perms" => {
                // Commons Net: a letter grants the bit unless it is `-` or upper case.
                let want = want.as_str().unwrap();
                let mode = perms(e)?;
                for (i, c) in want.chars().enumerate() {
                    let bit = 1u16 << (8 - i);
                    let wanted = c != '-' && !c.is_ascii_uppercase();
                    eq(&format!("permission bit {i}"), mode & bit != 0, wanted)?;
                }
            }
            "permissions" => {
                let want = want.as_str().unwrap();
                let mode = perms(e)?;
                if let Some(rights) = want
                    .strip_prefix(['d', '-'])
                    .and_then(|w| w.strip_prefix(" ["))
                    .and_then(|w| w.strip_suffix(']'))
                {
                    // NetWare rights: R and W are the user's read and write.
                    let mut bits = 0u16;
                    if rights.contains('R') {
                        bits |= 0o400;
                    }
                    if rights.contains('W') {
                        bits |= 0o200;
                    }
                    eq("permissions", mode, bits)?;
                } else if want.len() == 8
                    && want
                        .bytes()
                        .zip(b"dsewrewr".iter())
                        .all(|(c, w)| c == b'-' || c == *w)
                {
                    // OS-9 attributes: public e/w/r are the others' x/w/r, owner's the owner's.
                    let mut bits = 0u16;
                    let on = [(2, 0o001), (3, 0o002), (4, 0o004), (5, 0o100), (6, 0o200)];
                    for (i, bit) in on.into_iter().chain([(7, 0o400)]) {
                        if want.as_bytes()[i] != b'-' {
                            bits |= bit;
                        }
                    }
                    eq("permissions", mode, bits)?;
                } else if let Some(rwep) = want.strip_prefix('"').and_then(|w| w.strip_suffix('"'))
                {
                    // HP NonStop security: who holds Read, Write, Execute (Purge has no bit).
                    let mut bits = 0u16;
                    for (who, bit) in rwep.chars().zip([4u16, 2, 1, 0]) {
                        let mask = match who {
                            'o' | 'u' => 0o100,
                            'g' | 'c' => 0o110,
                            'a' | 'n' => 0o111,
                            _ => 0,
                        };
                        bits |= mask * bit;
                    }
                    eq("permissions", mode, bits)?;
                } else if want.contains(',') {
                    // VMS `system,owner,group,world`, each a subset of RWED: owner, group
                    // and world R/W/E are the Unix r/w/x bits.
                    let fields: Vec<&str> = want.split(',').collect();
                    let mut bits = 0u16;
                    for (field, shift) in fields[1..].iter().zip([6, 3, 0]) {
                        for (letter, bit) in [('R', 4), ('W', 2), ('E', 1)] {
                            if field.contains(letter) {
                                bits |= bit << shift;
                            }
                        }
                    }
                    eq("permissions", mode, bits)?;
                } else if want.chars().all(|c| c.is_ascii_digit()) {
                    // `0100644`: st_mode, type bits included.
                    let want = u32::from_str_radix(want, 8).unwrap();
                    let got = if want > 0o7777 {
                        type_bits(&e.kind) | u32::from(mode)
                    } else {
                        u32::from(mode)
                    };
                    eq("mode", got, want)?;
                } else if want.len() == 9 {
                    eq("permissions", render_perms(mode).as_str(), want)?;
                } else {
                    let got = format!("{}{}", type_char(&e.kind), render_perms(mode));
                    eq("permissions", got.as_str(), want)?;
                }
            }
            "mode" | "permissions_octal" => {
                let got = format!("{:o}", perms(e)?);
                eq("mode", got.as_str(), want.as_str().unwrap())?
            }
            "permissions_octal_digits" | "rights" => {
                let mode = perms(e)?;
                for (who, shift) in [("user", 6), ("group", 3), ("world", 0), ("other", 0)] {
                    if let Some(w) = want.get(who) {
                        let bits = (mode >> shift) & 7;
                        match w {
                            Value::String(s) => eq(who, letters(bits).as_str(), s.as_str())?,
                            _ => eq(who, u64::from(bits), w.as_u64().unwrap())?,
                        }
                    }
                }
            }
            "st_mode" | "st_mode_octal" => {
                let got = type_bits(&e.kind) | u32::from(perms(e)?);
                match want {
                    Value::String(s) => eq(
                        "st_mode",
                        got,
                        u32::from_str_radix(s.trim_start_matches("0o"), 8).unwrap(),
                    )?,
                    _ => eq("st_mode", u64::from(got), want.as_u64().unwrap())?,
                }
            }
            "sticky" | "setuid" | "setgid" => {
                let bit = match key.as_str() {
                    "sticky" => 0o1000,
                    "setgid" => 0o2000,
                    _ => 0o4000,
                };
                eq(key, perms(e)? & bit != 0, want.as_bool().unwrap())?
            }
            k if k.ends_with("_read") || k.ends_with("_write") || k.ends_with("_execute") => {
                let (who, what) = k.split_once('_').unwrap();
                // `user_can_read`: Commons Net's accessor names.
                let what = what.strip_prefix("can_").unwrap_or(what);
                let shift = match who {
                    "user" => 6,
                    "group" => 3,
                    _ => 0,
                };
                let bit = match what {
                    "read" => 4,
                    "write" => 2,
                    _ => 1,
                };
                eq(k, perms(e)? & (bit << shift) != 0, want.as_bool().unwrap())?
            }
            "perm_bits_true" => {
                let mode = perms(e)?;
                let names = ["ur", "uw", "ux", "gr", "gw", "gx", "wr", "ww", "wx"];
                let want: Vec<&str> = want
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect();
                for (i, bit) in names.iter().enumerate() {
                    let set = mode & (1 << (8 - i)) != 0;
                    eq(bit, set, want.contains(bit))?;
                }
            }
            "mtime" if want.is_null() => eq("has mtime", e.modified.is_some(), false)?,
            "mtime" => check_mtime(e, want)?,
            "mtime_present" => eq("has mtime", e.modified.is_some(), want.as_bool().unwrap())?,
            "mtime_precision" => {
                let got = e.modified.map(|t| match t.precision() {
                    Precision::Day => "day",
                    Precision::Minute => "minute",
                    Precision::Second => "second",
                    Precision::SubSecond => "millisecond",
                });
                eq("precision", got, want.as_str())?
            }
            "facts" => {
                let m = mlsx_of(e).ok_or("not an MLSx line")?;
                for (name, value) in want.as_object().unwrap() {
                    let got = m.fact(name).map(|v| text(record, v));
                    eq(name, got.as_deref(), value.as_str())?;
                }
            }
            "parsed" | "entries_non_null" | "list_ok" => {}
            k if NOT_ENTRY_KEYS.contains(&k) => checked -= 1,
            _ => {
                checked -= 1;
                unknown.push(key.clone());
            }
        }
    }
    Ok(checked)
}

fn check_mtime(e: &Entry, want: &Value) -> Result<(), String> {
    let t = e.modified.ok_or("no mtime")?;
    let wall = t.wall_clock();
    let want = want.as_object().unwrap();
    let fields: [(&str, u64); 6] = [
        ("year", wall.year().into()),
        ("month", wall.month().into()),
        ("day", wall.day().into()),
        ("hour", wall.hour().into()),
        ("minute", wall.minute().into()),
        ("second", wall.second().into()),
    ];
    for (name, got) in fields {
        // A year given as text describes the source's inference rule, not a value.
        if let Some(w) = want.get(name).and_then(Value::as_u64) {
            eq(name, got, w)?;
        }
    }
    if let Some(ms) = want.get("millisecond").and_then(Value::as_u64) {
        eq(
            "millisecond",
            u64::from(t.to_utc().unwrap().millisecond()),
            ms,
        )?;
    }
    if let Some(epoch) = want.get("epoch").and_then(Value::as_i64) {
        eq("epoch", t.unix_timestamp(), epoch)?;
    }
    if let Some(ms) = want.get("epoch_ms").and_then(Value::as_i64) {
        eq("epoch_ms", t.unix_timestamp() * 1000, ms)?;
    }
    if let Some(utc) = want.get("utc_in_source").and_then(Value::as_str) {
        let u = t.to_utc().map_err(|e| e.to_string())?;
        let got = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            u.year(),
            u.month(),
            u.day(),
            u.hour(),
            u.minute(),
            u.second()
        );
        // `<year>`: the source inferred the year from its own clock.
        let want = utc.replace("<year>", &got[..4]);
        eq("UTC time", got, want)?;
    }
    Ok(())
}

fn check_date(record: &Value, ctx: &TimeContext) -> Outcome {
    let expect = &record["expect"];
    let input = ftp_tests::input_bytes(record);
    let parsed = match record["input_kind"].as_str().unwrap() {
        "ls_date" => date::parse_ls_date(&input, ctx),
        _ => date::parse_dos_date(&input, ctx),
    };
    if expect["reject"] == true {
        return match (parsed, expect["reject_kind"].as_str()) {
            (None, _) => Ok(true),
            (Some(_), Some("malformed")) => Err(format!("parsed {parsed:?}, want a rejection")),
            (Some(_), _) => Ok(false),
        };
    }
    let t = parsed.ok_or("not parsed")?;
    let entry = Entry {
        modified: Some(t),
        ..Entry::new(b"", EntryKind::File, b"")
    };
    check_mtime(&entry, expect)?;
    Ok(true)
}

/// The listing lines of a STAT or MLST reply: the lines between the first and the last,
/// without a leading `ddd-` prefix.
fn reply_body(input: &[u8]) -> Vec<Vec<u8>> {
    let lines: Vec<&[u8]> = listing::lines(input).collect();
    let inner = if lines.len() >= 2 {
        &lines[1..lines.len() - 1]
    } else {
        &lines[..]
    };
    inner
        .iter()
        .map(|l| {
            let coded = l.len() >= 4 && l[..3].iter().all(u8::is_ascii_digit) && l[3] == b'-';
            if coded { l[4..].to_vec() } else { l.to_vec() }
        })
        .collect()
}

fn leak(bytes: &[u8]) -> &'static [u8] {
    Box::leak(bytes.to_vec().into_boxed_slice())
}

/// A copy of `line` that outlives the parser (test memory only; a few KB per run).
fn detach(line: ParsedLine<'_>) -> ParsedLine<'static> {
    match line {
        ParsedLine::Entry(e) => ParsedLine::Entry(Entry {
            name: leak(e.name),
            kind: match e.kind {
                EntryKind::Symlink { target } => EntryKind::Symlink {
                    target: target.map(leak),
                },
                EntryKind::File => EntryKind::File,
                EntryKind::Dir => EntryKind::Dir,
                EntryKind::BlockDevice { major, minor } => EntryKind::BlockDevice { major, minor },
                EntryKind::CharDevice { major, minor } => EntryKind::CharDevice { major, minor },
                EntryKind::Pipe => EntryKind::Pipe,
                EntryKind::Socket => EntryKind::Socket,
                EntryKind::Other => EntryKind::Other,
            },
            owner: e.owner.map(leak),
            group: e.group.map(leak),
            name_ext: e.name_ext.map(leak),
            raw: leak(e.raw),
            ..e
        }),
        ParsedLine::Skipped(reason) => ParsedLine::Skipped(reason),
        ParsedLine::Unparsed(raw) => ParsedLine::Unparsed(leak(raw)),
    }
}

fn show(line: &ParsedLine) -> String {
    match line {
        ParsedLine::Unparsed(raw) => format!("Unparsed(\"{}\")", raw.escape_ascii()),
        other => format!("{other:?}"),
    }
}

fn check_record(file: &str, record: &Value, unknown: &mut Vec<String>) -> Outcome {
    let ctx = time_context(record);
    let kind = record["input_kind"].as_str().unwrap_or("line");
    if matches!(kind, "ls_date" | "dos_date") {
        return check_date(record, &ctx);
    }
    let expect = record["expect"].as_object().unwrap();
    let input = ftp_tests::input_bytes(record);
    if matches!(kind, "nlst_data" | "list_data") {
        // NLST is names, one a line: `lines` is all a caller needs.
        let got: Vec<String> = listing::lines(&input).map(|l| text(record, l)).collect();
        let want = expect.get("names").or(expect.get("lines")).unwrap();
        let want: Vec<String> = serde_json::from_value(want.clone()).unwrap();
        eq("lines", got, want)?;
        return Ok(true);
    }
    let mut p = parser(file, record, &ctx);
    let lines: Vec<Vec<u8>> = match kind {
        "stat_reply" => reply_body(&input),
        "mlst_reply" => {
            // RFC 3659 §7.2: the entry line is indented by exactly one space.
            let line = reply_body(&input)
                .into_iter()
                .find(|l| l.first() == Some(&b' '))
                .ok_or("no MLST entry line")?;
            vec![line[1..].to_vec()]
        }
        // A "line" that wraps (VMS: the name, then the columns) is two lines of a listing.
        "line" if !input.contains(&b'\n') => vec![input.clone()],
        _ => listing::lines(&input).map(<[u8]>::to_vec).collect(),
    };
    // Each result is kept past the next call, so it is detached from the parser (the
    // parser lends results: they may borrow the line it held back).
    let mut parsed: Vec<ParsedLine<'static>> =
        lines.iter().map(|l| detach(p.parse_line(l))).collect();
    parsed.extend(p.finish().map(detach));
    // The first line's own result, for a single-line record: a held line's comes later.
    parsed.retain(|l| *l != ParsedLine::Skipped(SkipReason::Continued) || lines.len() > 1);
    let entries: Vec<Entry> = parsed.iter().filter_map(|l| l.entry()).collect();

    if record["expect"].get("lenient") == Some(&Value::Bool(true)) {
        return Ok(false);
    }
    if expect.get("reject") == Some(&Value::Bool(true)) {
        let reject_kind = expect["reject_kind"].as_str().unwrap();
        let single = (kind == "line").then(|| parsed[0]);
        return match reject_kind {
            "malformed" => match single {
                Some(ParsedLine::Unparsed(_)) => Ok(true),
                // An empty or all-blank line carries nothing to lose: Skipped(Blank) is its
                // rejection.
                Some(ParsedLine::Skipped(SkipReason::Blank)) => Ok(true),
                Some(other) => Err(format!("want Unparsed, got {}", show(&other))),
                None if entries.is_empty() => Ok(true),
                None => Err(format!("want no entry, got {entries:?}")),
            },
            "ignorable_line" if entries.is_empty() => Ok(true),
            // `.` and `..` are returned as entries on purpose (Entry::is_self_or_parent).
            "ignorable_line" if entries.iter().all(Entry::is_self_or_parent) => Ok(false),
            "ignorable_line" => Err(format!("want no entry, got {:?}", entries[0])),
            // A source's policy: whatever we return, it is not a verdict on the syntax.
            _ => Ok(false),
        };
    }

    let mut checked = 0;
    let mut whole_listing = 0;
    if let Some(want) = expect.get("entries") {
        let want = want.as_array().unwrap();
        let keep_dots = want
            .iter()
            .any(|w| matches!(w["name"].as_str(), Some("." | "..")));
        let got: Vec<&Entry> = entries
            .iter()
            .filter(|e| keep_dots || !is_cdir_or_pdir(e))
            .collect();
        eq("entry count", got.len(), want.len())?;
        for (e, w) in got.iter().zip(want) {
            checked += check_entry(record, e, w.as_object().unwrap(), unknown)?;
        }
        whole_listing += 1;
    }
    if let Some(n) = expect.get("entry_count") {
        // basic-ftp and Cyberduck count a listing without `.`/`..` (README, "Where the
        // sources disagree" 3); a caller copying them skips those with is_self_or_parent.
        let source = record["source"].as_str().unwrap();
        let drops_dots = source.starts_with("patrickjuchli/") || source.starts_with("iterate-ch/");
        let counted = entries
            .iter()
            .filter(|e| !(drops_dots && is_cdir_or_pdir(e)))
            .count();
        eq("entry count", counted as u64, n.as_u64().unwrap())?;
        whole_listing += 1;
    }
    if let Some(v) = expect.get("entries_are_symlinks") {
        let all = entries
            .iter()
            .all(|e| matches!(e.kind, EntryKind::Symlink { .. }));
        eq("all symlinks", all, v.as_bool().unwrap())?;
        whole_listing += 1;
    }
    for key in ["names_include", "names_exclude"] {
        if let Some(names) = expect.get(key) {
            for name in names.as_array().unwrap() {
                let present = entries
                    .iter()
                    .any(|e| text(record, &e.full_name()) == name.as_str().unwrap());
                eq(name.as_str().unwrap(), present, key == "names_include")?;
            }
            whole_listing += 1;
        }
    }
    if let Some(keys) = expect.get("each_has") {
        for e in &entries {
            for key in keys.as_array().unwrap() {
                let has = match key.as_str().unwrap() {
                    "name" => !e.name.is_empty(),
                    "user" => e.owner.is_some(),
                    "group" => e.group.is_some(),
                    other => return Err(format!("unknown each_has key {other}")),
                };
                eq(key.as_str().unwrap(), has, true)?;
            }
        }
        whole_listing += 1;
    }
    // The remaining keys describe one entry: the line's, or in a listing the one entry the
    // source asserted on.
    let rest: Map<String, Value> = expect
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "entries"
                    | "entry_count"
                    | "entries_are_symlinks"
                    | "names_include"
                    | "names_exclude"
                    | "each_has"
                    | "each_entry_has_facts"
                    | "names_non_empty"
                    | "listing_still_valid"
                    | "listing_invalid"
            )
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !rest.is_empty() {
        let e = match entries.first() {
            Some(e) => e,
            None => {
                return Err(match parsed.first() {
                    Some(line) => format!("no entry: {}", show(line)),
                    None => "no entry".to_owned(),
                });
            }
        };
        checked += check_entry(record, e, &rest, unknown)?;
    }
    Ok(checked + whole_listing > 0)
}

/// How an allow-list entry classes its record (README.md, "This project's allow-list").
#[derive(Debug, Clone, PartialEq, Eq)]
enum Class {
    /// Another source asserts something different on the same or an equivalent input:
    /// the record named (`file.jsonl:LINE`).
    Contested(String),
    /// Only a source's own convention.
    Convention,
}

/// The class of every allow-list entry; an entry without one fails the test.
fn classes() -> BTreeMap<String, Class> {
    ftp_tests::load_allow_list("listing-allow-list.txt")
        .into_iter()
        .map(|(key, reason)| {
            let class = if let Some(rest) = reason.strip_prefix("[contested ") {
                let named = rest.split(']').next().unwrap_or_default();
                assert!(
                    named.contains(".jsonl:") && rest.contains(']'),
                    "{key}: `[contested file.jsonl:LINE]` names no record"
                );
                Class::Contested(named.to_owned())
            } else if reason.starts_with("[convention]") {
                Class::Convention
            } else {
                panic!(
                    "{key}: the reason must start with `[contested file:line]` or `[convention]`"
                )
            };
            (key, class)
        })
        .collect()
}

/// A record's entry-level assertions: its own, plus those of the first entry it lists.
fn flat(expect: &Value) -> Map<String, Value> {
    let mut out = expect.as_object().cloned().unwrap_or_default();
    if let Some(Value::Array(entries)) = expect.get("entries")
        && let [Value::Object(first), ..] = entries.as_slice()
    {
        for (k, v) in first {
            out.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    out
}

/// Whether the record asserts that the input yields an entry.
fn yields_entry(expect: &Value) -> bool {
    expect["reject"] != true && expect.get("entries") != Some(&Value::Array(Vec::new()))
}

/// Whether two records' `expect` assert something different: one yields an entry and the
/// other does not, a value asserted by both differs, or one calls the entries symlinks and
/// the other not.
fn asserts_differently(a: &Value, b: &Value) -> bool {
    if yields_entry(a) != yields_entry(b) {
        return true;
    }
    let (fa, fb) = (flat(a), flat(b));
    let symlink = |f: &Map<String, Value>| match (f.get("kind"), f.get("entries_are_symlinks")) {
        (Some(kind), _) => Some(kind == "symlink"),
        (None, Some(all)) => all.as_bool(),
        _ => None,
    };
    if let (Some(x), Some(y)) = (symlink(&fa), symlink(&fb))
        && x != y
    {
        return true;
    }
    fa.iter()
        .filter(|(k, _)| !NOT_ENTRY_KEYS.contains(&k.as_str()) && *k != "entries")
        .any(|(k, v)| fb.get(k).is_some_and(|w| w != v))
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// The target (#4): this share of the records with an asserted value match.
const TARGET_PERCENT: f64 = 98.0;

/// What this project reaches over the records no other source contradicts, and holds as a
/// floor: below the target because of the `[convention]` records (README.md, "This
/// project's allow-list", has the arithmetic).
const UNCONTESTED_FLOOR_PERCENT: f64 = 96.7;

#[test]
fn listing_conformance() {
    let mut tally = ftp_tests::Tally::new("listing-allow-list.txt");
    let classes = classes();
    let mut unknown_keys: BTreeMap<String, usize> = BTreeMap::new();
    let mut expects: BTreeMap<String, Value> = BTreeMap::new();
    let mut verdicts: BTreeMap<String, Verdict> = BTreeMap::new();
    let (mut all_asserted, mut all_pass, mut all_contested) = (0, 0, 0);
    println!(
        "{:<20} {:>7} {:>8} {:>6} {:>8} {:>5} {:>5} {:>7} {:>10} {:>13}",
        "file",
        "records",
        "asserted",
        "pass",
        "allowed",
        "fail",
        "n/a",
        "pass %",
        "contested",
        "uncontested %"
    );
    for file in FILES {
        let text = fs::read_to_string(ftp_tests::conformance_dir().join(file)).unwrap();
        let (mut pass, mut allowed, mut fail, mut total, mut na, mut contested) =
            (0, 0, 0, 0, 0, 0);
        for (i, line) in text.lines().enumerate() {
            let record: Value = serde_json::from_str(line).unwrap();
            total += 1;
            let key = format!("{file}:{}", i + 1);
            let mut unknown = Vec::new();
            let outcome = check_record(file, &record, &mut unknown);
            if std::env::var_os("LISTING_VERBOSE").is_some()
                && let Err(why) = &outcome
            {
                println!("{key}: {why}");
            }
            for k in unknown {
                *unknown_keys.entry(k).or_default() += 1;
            }
            let verdict = tally.judge(&key, &record, outcome);
            match verdict {
                Verdict::NotAsserted => na += 1,
                Verdict::Pass => pass += 1,
                Verdict::Allowed => allowed += 1,
                Verdict::Fail => fail += 1,
            }
            if verdict == Verdict::Allowed && matches!(classes.get(&key), Some(Class::Contested(_)))
            {
                contested += 1;
            }
            expects.insert(key.clone(), record["expect"].clone());
            verdicts.insert(key, verdict);
        }
        let asserted = pass + allowed + fail;
        all_asserted += asserted;
        all_pass += pass;
        all_contested += contested;
        println!(
            "{file:<20} {total:>7} {asserted:>8} {pass:>6} {allowed:>8} {fail:>5} {na:>5} {:>6.1}% {contested:>10} {:>12.1}%",
            percent(pass, asserted),
            percent(pass, asserted - contested),
        );
    }
    let overall = percent(all_pass, all_asserted);
    let uncontested = percent(all_pass, all_asserted - all_contested);
    println!(
        "{:<20} {:>7} {:>8} {:>6} {:>8} {:>5} {:>5} {:>6.1}% {:>10} {:>12.1}%",
        "all", "", all_asserted, all_pass, "", "", "", overall, all_contested, uncontested
    );
    println!(
        "{overall:.1}% of asserted records pass; {uncontested:.1}% of those no other source \
         contradicts ({} of {}; issue target {TARGET_PERCENT}%)",
        all_pass,
        all_asserted - all_contested
    );
    println!("asserted keys an Entry does not carry (not checked): {unknown_keys:?}");

    // A contested entry names a record that exists, is asserted, and asserts otherwise.
    for (key, class) in &classes {
        let Class::Contested(named) = class else {
            continue;
        };
        let (Some(mine), Some(theirs)) = (expects.get(key), expects.get(named)) else {
            panic!("{key}: the contradicting record {named} does not exist");
        };
        assert_ne!(key, named, "{key} names itself as contradicting");
        assert!(
            matches!(verdicts[named], Verdict::Pass | Verdict::Allowed),
            "{key}: {named} asserts nothing this test checks"
        );
        assert!(
            asserts_differently(mine, theirs),
            "{key}: {named} does not assert anything different"
        );
    }
    tally.finish(&FILES);
    assert!(
        uncontested >= UNCONTESTED_FLOOR_PERCENT,
        "{uncontested:.2}% of uncontested records pass, below {UNCONTESTED_FLOOR_PERCENT}%"
    );
}
