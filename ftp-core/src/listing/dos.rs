//! DOS / Windows / IIS `dir`-style lines (IIS's default LIST format).
//!
//! ```text
//! 04-27-00  09:09PM       <DIR>          licensed
//! 07-18-00  10:16AM                 1,234 readme.htm
//! 2013-09-02  18:48       <DIR>          Folder16
//! ```
//!
//! Date `MM-DD-YY`, `MM-DD-YYYY` or `YYYY-MM-DD` (`/` also accepted as separator), time
//! `HH:MM` with `AM`/`PM` (attached or after a space) or in 24-hour form, then `<DIR>` or a
//! size (commas allowed), then the name. Two-digit years below 80 are 20xx, others 19xx
//! (Chromium's pivot; IIS has no files from before 1980); a three-digit year is years since
//! 1900 (OS/2 prints `103` for 2003). `12:xxAM` is 00:xx and `12:xxPM` is 12:xx.
//!
//! The name is everything after the whitespace following `<DIR>` (IIS pads that column),
//! or after the one space following a size (sizes are right-aligned, so a name may start
//! with spaces there).

use super::date::{ListingTime, Precision, TimeContext, clock, iso_day};
use super::{Entry, EntryKind, decimal, is_space, small, tokens};
use crate::time::FtpTime;

/// Parses one DOS/IIS line (line end already removed). `None` if it is not one.
///
/// ```
/// use ftp_core::FtpTime;
/// use ftp_core::listing::{dos, EntryKind, TimeContext};
///
/// let ctx = TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0)?);
/// let e = dos::parse(b"12-25-10  12:00AM             1,234 Christmas Midnight.txt", &ctx).unwrap();
/// assert_eq!(e.name, b"Christmas Midnight.txt");
/// assert_eq!(e.size, Some(1234));
/// assert_eq!(e.modified.unwrap().wall_clock().hour(), 0);
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse<'a>(line: &'a [u8], ctx: &TimeContext) -> Option<Entry<'a>> {
    let (time, end) = date_time(line, ctx)?;
    let (f0, f1) = tokens(line, end).next()?;
    let field = line.get(f0..f1)?;
    let after = line.get(f1..)?;
    let (kind, size, name) = if field.eq_ignore_ascii_case(b"<DIR>") {
        let pad = after.iter().take_while(|b| is_space(**b)).count();
        (EntryKind::Dir, None, after.get(pad..)?)
    } else if field.eq_ignore_ascii_case(b"<JUNCTION>")
        || field.eq_ignore_ascii_case(b"<SYMLINK>")
        || field.eq_ignore_ascii_case(b"<SYMLINKD>")
    {
        // `dir` on NTFS: `name [target]`.
        let pad = after.iter().take_while(|b| is_space(**b)).count();
        let rest = after.get(pad..)?;
        let (name, target) = match rest.strip_suffix(b"]").and_then(|r| {
            let at = r.windows(2).rposition(|w| w == b" [")?;
            Some((r.get(..at)?, r.get(at + 2..)?))
        }) {
            Some((name, target)) => (name, Some(target)),
            None => (rest, None),
        };
        (EntryKind::Symlink { target }, None, name)
    } else {
        let size = size(field)?;
        let name = after
            .strip_prefix(b" ")
            .or_else(|| after.strip_prefix(b"\t"))?;
        (EntryKind::File, Some(size), name)
    };
    // DOS names are never empty or all blanks: such a line is a truncated one.
    if name.iter().all(|b| is_space(*b)) {
        return None;
    }
    Some(Entry {
        size,
        modified: Some(time),
        ..Entry::new(name, kind, line)
    })
}

/// `1,234,567` or `1234567`.
fn size(field: &[u8]) -> Option<u64> {
    if field.first() == Some(&b',') || field.last() == Some(&b',') {
        return None;
    }
    let mut total = 0u64;
    for &b in field {
        if b == b',' {
            continue;
        }
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        total = total.checked_mul(10)?.checked_add(u64::from(digit))?;
    }
    Some(total)
}

/// The date and time at the start of `line`, and the byte offset after them.
pub(crate) fn date_time(line: &[u8], ctx: &TimeContext) -> Option<(ListingTime, usize)> {
    let mut toks = tokens(line, 0);
    let (d0, d1) = toks.next()?;
    // The date must start the line: a DOS listing has no leading columns.
    if d0 != 0 {
        return None;
    }
    let (year, month, day) = day(line.get(d0..d1)?)?;
    let (t0, t1) = toks.next()?;
    let time = line.get(t0..t1)?;
    let (clock_part, suffix) = split_meridiem(time);
    let (mut hour, minute, second) = clock(clock_part)?;
    let mut end = t1;
    let meridiem = match suffix {
        Some(m) => Some(m),
        None => {
            // `03:09 PM`, with a space.
            let mut rest = tokens(line, t1);
            match rest.next() {
                Some((a, b)) => match line.get(a..b).and_then(meridiem) {
                    Some(m) => {
                        end = b;
                        Some(m)
                    }
                    None => None,
                },
                None => None,
            }
        }
    };
    if let Some(pm) = meridiem {
        if hour == 0 || hour > 12 {
            return None;
        }
        hour = match (pm, hour) {
            (false, 12) => 0,
            (true, 12) => 12,
            (true, h) => h + 12,
            (false, h) => h,
        };
    }
    let wall = FtpTime::new(year, month, day, hour, minute, second.unwrap_or(0)).ok()?;
    let precision = if second.is_some() {
        Precision::Second
    } else {
        Precision::Minute
    };
    Some((
        ListingTime::local(wall, precision, false, ctx.server_offset_minutes),
        end,
    ))
}

/// `MM-DD-YY`, `MM-DD-YYYY`, `MM/DD/YY`, or `YYYY-MM-DD`.
fn day(token: &[u8]) -> Option<(u16, u8, u8)> {
    if let Some(ymd) = iso_day(token) {
        return Some(ymd);
    }
    let sep = *token.get(2)?;
    if sep != b'-' && sep != b'/' {
        return None;
    }
    let mut parts = token.split(|b| *b == sep);
    let month = parts.next().filter(|p| p.len() == 2).and_then(small)?;
    let day = parts.next().filter(|p| p.len() == 2).and_then(small)?;
    let year = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let number = u16::try_from(decimal(year)?).ok()?;
    let year = match year.len() {
        2 if number < 80 => 2000 + number,
        2 => 1900 + number,
        3 => 1900 + number,
        4 => number,
        _ => return None,
    };
    Some((year, month, day))
}

/// `03:09PM` into `03:09` and PM (`true`).
fn split_meridiem(token: &[u8]) -> (&[u8], Option<bool>) {
    match token
        .len()
        .checked_sub(2)
        .and_then(|at| token.split_at_checked(at))
    {
        Some((clock, suffix)) if !clock.is_empty() => match meridiem(suffix) {
            Some(pm) => (clock, Some(pm)),
            None => (token, None),
        },
        _ => (token, None),
    }
}

fn meridiem(token: &[u8]) -> Option<bool> {
    if token.eq_ignore_ascii_case(b"AM") {
        Some(false)
    } else if token.eq_ignore_ascii_case(b"PM") {
        Some(true)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> TimeContext {
        TimeContext::new(FtpTime::new(2020, 1, 1, 0, 0, 0).unwrap())
    }

    #[test]
    fn dirs_files_and_times() {
        let e = parse(
            b"12-03-96  06:38       <DIR>           10 years and under",
            &ctx(),
        )
        .unwrap();
        assert_eq!(
            (e.name, e.kind),
            (&b"10 years and under"[..], EntryKind::Dir)
        );
        let e = parse(b"05-22-97  12:08                  5000000000  two", &ctx()).unwrap();
        assert_eq!((e.name, e.size), (&b" two"[..], Some(5_000_000_000)));
        let e = parse(b"04-08-14  03:09 PM       1234 readme.txt", &ctx()).unwrap();
        assert_eq!(e.modified.unwrap().wall_clock().hour(), 15);
        let e = parse(b"01-06-79  02:42AM                  458 Corner4", &ctx()).unwrap();
        assert_eq!(e.modified.unwrap().wall_clock().year(), 2079);
        let e = parse(
            b"01-06-80  12:42AM                  458 Corner3.txt",
            &ctx(),
        )
        .unwrap();
        let t = e.modified.unwrap().wall_clock();
        assert_eq!((t.year(), t.hour()), (1980, 0));
        let e = parse(b"2013-09-02  19:06                9,730 File17", &ctx()).unwrap();
        assert_eq!(e.size, Some(9730));
    }

    #[test]
    fn rejects() {
        for line in [
            &b"07-27-01  11:16AM                      Test"[..],
            b"12-07-10  12:05AM       <DIR>    ",
            b"11-02-09  05:32PM       <GARBAGE>      NT",
            b"11-FEB-09 05:32PM       <DIR>          NT",
            b"11-02-09  05:32PM                 -1   NT",
            b"12-25-10  12:00ZM                  0   what",
            b"12-25-10  13:00PM                  0   x",
            b"20-05-97  03:31PM                  681 .bash_history",
            b"07-17-00  02:08AM           1226672x test.exe",
        ] {
            assert!(parse(line, &ctx()).is_none(), "{}", line.escape_ascii());
        }
    }
}
