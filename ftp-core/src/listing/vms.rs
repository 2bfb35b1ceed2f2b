//! OpenVMS (and MultiNet, UCX, TCPware) `DIRECTORY/FULL`-style lines.
//!
//! ```text
//! 1-JUN.LIS;1              9/9           2-JUN-1998 07:32:04  [GROUP,OWNER]    (RWED,RWED,RWED,RE)
//! DATA.DIR;1               1/9           2-JUN-1998 07:32:04  [TRANSLATED]     (,RWED,RWED,RE)
//! README.TXT;4  2  18-APR-2000 10:40:39.90
//! ```
//!
//! The file specification `NAME.EXT;VERSION` comes first. The other columns follow in the
//! order the server chose (servers differ): the size in blocks (`used` or `used/allocated`,
//! a block is 512 bytes; also `2KB`, or `******` when too wide: unknown), the date
//! `DD-MMM-YYYY`, an optional time `HH:MM[:SS[.cc]]`, an optional owner (`[GROUP,OWNER]`,
//! `[OWNER]` or a bare word) and an optional protection `(system,owner,group,world)`, each
//! a subset of `RWED` in that order. Size and date are required; a column that appears twice
//! or reads as none of these makes the line Unparsed.
//!
//! The entry name is the file name without `;VERSION`, and a directory (`NAME.DIR`) is
//! named without `.DIR`: that is the name `CWD`, `RETR` and `DELE` take. The case is kept
//! as listed. Permissions map owner/group/world `R`, `W`, `E` to Unix r, w, x (`D`,
//! delete, has no Unix bit; the system field is not mapped).
//!
//! Entries wrapped over two lines (a long name alone on its line, the columns on the next)
//! are joined by [`ListingParser`](super::ListingParser), which keeps the name line until
//! the next one arrives ([`wrapped_name`], [`parse_wrapped`]).

use super::date::{ListingTime, Precision, TimeContext, clock, month};
use super::{Entry, EntryKind, decimal, small, tokens};
use crate::time::FtpTime;

/// Parses one VMS listing line (line end already removed). `None` if it is not one.
///
/// ```
/// use ftp_core::FtpTime;
/// use ftp_core::listing::{vms, EntryKind, TimeContext};
///
/// let ctx = TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0)?);
/// let line = b"DATA.DIR;1   1/9   2-JUN-1998 07:32:04  [GROUP,OWNER]  (RWED,RWED,RE,)";
/// let e = vms::parse(line, &ctx).unwrap();
/// assert_eq!((e.name, e.kind, e.size), (&b"DATA"[..], EntryKind::Dir, Some(512)));
/// assert_eq!(e.owner, Some(&b"OWNER"[..]));
/// assert_eq!(e.permissions, Some(0o750));
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse<'a>(line: &'a [u8], ctx: &TimeContext) -> Option<Entry<'a>> {
    let mut toks = tokens(line, 0);
    let (n0, n1) = toks.next()?;
    // The listing starts at the first column: no leading blanks before a file name.
    if n0 != 0 {
        return None;
    }
    let (name, kind) = spec(line.get(n0..n1)?)?;
    columns(name, kind, line, n1, ctx)
}

/// The name and kind of a line that holds only a file specification (`NAME.EXT;1`, blanks
/// after it allowed): the first line of an entry wrapped over two, when the name is too
/// long for its column. `None` for any other line.
///
/// ```
/// use ftp_core::listing::{vms, EntryKind};
///
/// assert_eq!(vms::wrapped_name(b"LONG_NAME.DIR;1  "), Some((&b"LONG_NAME"[..], EntryKind::Dir)));
/// assert_eq!(vms::wrapped_name(b"A.TXT;1  2/4  2-JUN-1998"), None);
/// ```
pub fn wrapped_name(line: &[u8]) -> Option<(&[u8], EntryKind<'_>)> {
    let mut toks = tokens(line, 0);
    let (n0, n1) = toks.next()?;
    if n0 != 0 || toks.next().is_some() {
        return None;
    }
    spec(line.get(n0..n1)?)
}

/// The entry of a wrapped pair: `name_line` holds only the file specification (see
/// [`wrapped_name`]), `columns` the size, date and the other columns. The entry's
/// [`raw`](Entry::raw) is `columns`; the name borrows from `name_line`.
///
/// ```
/// use ftp_core::FtpTime;
/// use ftp_core::listing::{vms, TimeContext};
///
/// let ctx = TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0)?);
/// let e = vms::parse_wrapped(b"UCX$REXECD_STARTUP.LOG;1098", b"    4/15  24-FEB-2003 13:17:24", &ctx).unwrap();
/// assert_eq!((e.name, e.size), (&b"UCX$REXECD_STARTUP.LOG"[..], Some(2048)));
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse_wrapped<'a>(
    name_line: &'a [u8],
    columns_line: &'a [u8],
    ctx: &TimeContext,
) -> Option<Entry<'a>> {
    let (name, kind) = wrapped_name(name_line)?;
    columns(name, kind, columns_line, 0, ctx)
}

/// `NAME.EXT;VERSION` into the entry name (no version, no `.DIR`) and kind.
fn spec(spec: &[u8]) -> Option<(&[u8], EntryKind<'_>)> {
    let semi = spec.iter().rposition(|b| *b == b';')?;
    let (file, version) = (spec.get(..semi)?, spec.get(semi + 1..)?);
    if file.is_empty() || decimal(version).is_none() {
        return None;
    }
    Some(
        match file
            .len()
            .checked_sub(4)
            .and_then(|at| file.split_at_checked(at))
        {
            Some((stem, ext)) if ext.eq_ignore_ascii_case(b".DIR") && !stem.is_empty() => {
                (stem, EntryKind::Dir)
            }
            _ => (file, EntryKind::File),
        },
    )
}

/// The columns of `line` from byte `from` on, for the entry `name`.
fn columns<'a>(
    name: &'a [u8],
    kind: EntryKind<'a>,
    line: &'a [u8],
    from: usize,
    ctx: &TimeContext,
) -> Option<Entry<'a>> {
    let toks = tokens(line, from);
    let mut size: Option<Option<u64>> = None;
    let mut day: Option<(u16, u8, u8)> = None;
    let mut time: Option<(u8, u8, Option<u8>, u32)> = None;
    let mut owner: Option<Owner<'_>> = None;
    let mut permissions: Option<u16> = None;
    for (a, b) in toks {
        let tok = line.get(a..b)?;
        // Each column at most once.
        if let Some(s) = blocks(tok) {
            size = set_once(size, s)?;
        } else if let Some(d) = vms_day(tok) {
            day = set_once(day, d)?;
        } else if let Some(t) = vms_time(tok) {
            time = set_once(time, t)?;
        } else if let Some(p) = protection(tok) {
            permissions = set_once(permissions, p)?;
        } else if let Some(o) = owner_group(tok) {
            owner = set_once(owner, o)?;
        } else {
            return None;
        }
    }
    let size = size?;
    let (y, m, d) = day?;
    let (wall, precision) = match time {
        Some((hour, minute, Some(second), nanos)) => (
            FtpTime::new(y, m, d, hour, minute, second)
                .ok()?
                .with_nanosecond(nanos, if nanos == 0 { 0 } else { 2 })
                .ok()?,
            if nanos == 0 {
                Precision::Second
            } else {
                Precision::SubSecond
            },
        ),
        Some((hour, minute, None, _)) => (
            FtpTime::new(y, m, d, hour, minute, 0).ok()?,
            Precision::Minute,
        ),
        None => (FtpTime::new(y, m, d, 0, 0, 0).ok()?, Precision::Day),
    };
    let (group, owner) = owner.unwrap_or((None, None));
    Some(Entry {
        size,
        modified: Some(ListingTime::local(
            wall,
            precision,
            false,
            ctx.server_offset_minutes,
        )),
        permissions,
        owner,
        group,
        ..Entry::new(name, kind, line)
    })
}

fn set_once<T>(slot: Option<T>, value: T) -> Option<Option<T>> {
    match slot {
        Some(_) => None,
        None => Some(Some(value)),
    }
}

/// `used`, `used/allocated` (blocks of 512 bytes), `2KB`, or `******` (unknown).
fn blocks(tok: &[u8]) -> Option<Option<u64>> {
    if !tok.is_empty() && tok.iter().all(|b| *b == b'*') {
        return Some(None);
    }
    if let Some(kb) = tok.strip_suffix(b"KB").or_else(|| tok.strip_suffix(b"kB")) {
        return decimal(kb)?.checked_mul(1024).map(Some);
    }
    let used = match tok.iter().position(|b| *b == b'/') {
        Some(slash) => {
            decimal(tok.get(slash + 1..)?)?;
            tok.get(..slash)?
        }
        None => tok,
    };
    decimal(used)?.checked_mul(512).map(Some)
}

/// `2-JUN-1998`.
fn vms_day(tok: &[u8]) -> Option<(u16, u8, u8)> {
    let mut parts = tok.split(|b| *b == b'-');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || d.is_empty() || d.len() > 2 || y.len() != 4 {
        return None;
    }
    let year = u16::try_from(decimal(y)?).ok()?;
    Some((year, month(m)?, small(d)?))
}

/// `HH:MM`, `HH:MM:SS`, `HH:MM:SS.cc` (hundredths): hour, minute, second, nanoseconds.
fn vms_time(tok: &[u8]) -> Option<(u8, u8, Option<u8>, u32)> {
    let (whole, fraction) = match tok.iter().position(|b| *b == b'.') {
        Some(dot) => (tok.get(..dot)?, Some(tok.get(dot + 1..)?)),
        None => (tok, None),
    };
    let (hour, minute, second) = clock(whole)?;
    if whole.get(whole.len().checked_sub(3)?..)?.first() != Some(&b':') {
        // `10:4`: VMS always prints two-digit minutes and seconds.
        return None;
    }
    let nanos = match (fraction, second) {
        (None, _) => 0,
        (Some(f), Some(_)) if !f.is_empty() && f.len() <= 2 => {
            let n = u32::try_from(decimal(f)?).ok()?;
            if f.len() == 1 {
                n * 100_000_000
            } else {
                n * 10_000_000
            }
        }
        _ => return None,
    };
    Some((hour, minute, second, nanos))
}

/// `(RWED,RWED,RE,)`: system, owner, group, world; owner/group/world as Unix bits.
fn protection(tok: &[u8]) -> Option<u16> {
    let inner = tok.strip_prefix(b"(")?.strip_suffix(b")")?;
    let mut fields = inner.split(|b| *b == b',');
    let mut bits = 0u16;
    let system = fields.next()?;
    rwed(system)?;
    for shift in [6u16, 3, 0] {
        let field = rwed(fields.next()?)?;
        bits |= field << shift;
    }
    fields.next().is_none().then_some(bits)
}

/// A subset of `RWED`, in that order, as Unix `rwx` bits (D has none).
fn rwed(field: &[u8]) -> Option<u16> {
    let mut rest = field;
    let mut bits = 0;
    for (letter, bit) in [(b'R', 4), (b'W', 2), (b'E', 1), (b'D', 0)] {
        if let Some(after) = rest.strip_prefix(&[letter]) {
            rest = after;
            bits |= bit;
        }
    }
    rest.is_empty().then_some(bits)
}

/// (group, owner) as a VMS line lists them.
type Owner<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

/// `[GROUP,OWNER]`, `[OWNER]`, or a bare `OWNER`: (group, owner). A bracket some servers
/// leave unclosed when the name fills the column is accepted.
fn owner_group(tok: &[u8]) -> Option<Owner<'_>> {
    let valid = |s: &[u8]| {
        !s.is_empty()
            && s.iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'$' | b'_' | b'.'))
    };
    let inner = match tok.strip_prefix(b"[") {
        Some(rest) => rest.strip_suffix(b"]").unwrap_or(rest),
        None => {
            // A bare owner: a word, not a number (a number is a size).
            return (valid(tok) && !tok.iter().all(u8::is_ascii_digit))
                .then_some((None, Some(tok)));
        }
    };
    match inner.iter().position(|b| *b == b',') {
        Some(comma) => {
            let (group, owner) = (inner.get(..comma)?, inner.get(comma + 1..)?);
            (valid(group) && valid(owner)).then_some((Some(group), Some(owner)))
        }
        None => valid(inner).then_some((None, Some(inner))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> TimeContext {
        TimeContext::new(FtpTime::new(2024, 1, 1, 0, 0, 0).unwrap())
    }

    #[test]
    fn columns_in_any_order() {
        let e = parse(
            b"43-vms-alternate-field-order-file;1       17-JUN-1994 17:25:37     6308/13     (RWED,RWED,R,)",
            &ctx(),
        )
        .unwrap();
        assert_eq!(e.size, Some(6308 * 512));
        let e = parse(
            b"42-vms-alternate-field-order-file;1   [SUMMARY]    1/3     2-AUG-2006 13:05  (RWE,RWE,RE,)",
            &ctx(),
        )
        .unwrap();
        assert_eq!(e.owner, Some(&b"SUMMARY"[..]));
        assert_eq!(e.modified.unwrap().precision(), Precision::Minute);
        let e = parse(b"pdf-file;1       155   2-JUL-2003 10:30:13.64", &ctx()).unwrap();
        assert_eq!(e.modified.unwrap().wall_clock().millisecond(), 640);
        let e = parse(
            b"VMS721.ISO;2 ******  6-MAY-2008 09:29 [ANONY,ANONYMOUS] (RE,RWED,RE,RE)",
            &ctx(),
        )
        .unwrap();
        assert_eq!(e.size, None);
    }

    #[test]
    fn rejects() {
        for line in [
            &b"README.TXT 2 18-APR-2000 10:40:39"[..],
            b"DATA.DIR; 1 1/9 2-JUN-1998 07:32:04",
            b"README.TXT;1 -2 18-APR-2000 10:40:39",
            b"README.TXT;1 2 18-APR 10:40:39",
            b"README.TXT;1 2 18-APR-2000 10",
            b"README.TXT;1 2 18-APR-2000 10:40.25",
            b"X.TXT;2 1 12-MAR-2005 08:44:57 [X] (RWED,DEWR,RE,RE)",
            b"X.TXT;2 1 12-MAR-2005 08:44:57 [X] (RWED,RWED,RE,RE,RE)",
            b"120196.TXT;1 118/126 14-APR-1997 12:45:27 PM  [GROUP,OWNER] (RWED,,RWED,RE)",
            b"README.TXT;1  9223372036854775807  18-APR-2000 10:40:39.90",
            b"30CHARBAR.TXT;1 11/18 2-JUN-1998 08:38:42 [GROUP-1,OWNER] (RWED,RWED,RWED,RE)",
        ] {
            assert!(parse(line, &ctx()).is_none(), "{}", line.escape_ascii());
        }
    }
}
