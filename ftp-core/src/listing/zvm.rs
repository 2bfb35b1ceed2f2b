//! z/VM (CMS minidisk and SFS) listings.
//!
//! ```text
//! PROFILE  EXEC     V        65      107        2 2005-10-04 15:28:42 060191
//! DATA     FILE     F        80       20        1 2012-01-03 09:01:12 -
//! ```
//!
//! File name, file type, record format (`F` fixed, `V` variable, `DIR` for an SFS
//! directory), record length, records, blocks, date `YYYY-MM-DD`, time, and an owner or
//! label column. CMS keeps a file's name and type apart; the file is `NAME.TYPE` on the
//! FTP command line, so the type is [`Entry::name_ext`] and [`Entry::full_name`] joins
//! them.
//!
//! The listing gives no byte size, only records and their length: the size is their
//! product, exact for fixed-length (`F`) files and the most a variable-length (`V`) file
//! can hold (the same figure FileZilla shows). A directory has no size.

use super::date::{ListingTime, Precision, TimeContext, clock, iso_day};
use super::{Entry, EntryKind, decimal, tokens};
use crate::time::FtpTime;

/// Parses one z/VM line (line end already removed). `None` if it is not one.
///
/// ```
/// use ftp_core::FtpTime;
/// use ftp_core::listing::{zvm, TimeContext};
///
/// let ctx = TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0)?);
/// let line = b"PROFILE  EXEC     V        65      107        2 2005-10-04 15:28:42 060191";
/// let e = zvm::parse(line, &ctx).unwrap();
/// assert_eq!(&e.full_name()[..], b"PROFILE.EXEC");
/// assert_eq!((e.size, e.owner), (Some(6955), Some(&b"060191"[..])));
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse<'a>(line: &'a [u8], ctx: &TimeContext) -> Option<Entry<'a>> {
    let mut toks = tokens(line, 0);
    let mut next = || toks.next().and_then(|(a, b)| line.get(a..b));
    let name = next()?;
    // The name column starts the line.
    if line.first() != name.first() {
        return None;
    }
    let ext = next()?;
    let format = next()?;
    let dir = format == b"DIR";
    if !dir && format != b"F" && format != b"V" {
        return None;
    }
    let mut numbers = [0u64; 3];
    for n in &mut numbers {
        let token = next()?;
        *n = match decimal(token) {
            Some(v) => v,
            // A directory lists `-` for the record columns.
            None if dir && token == b"-" => 0,
            None => return None,
        };
    }
    let [lrecl, records, _blocks] = numbers;
    let (y, m, d) = iso_day(next()?)?;
    let (hour, minute, second) = clock(next()?)?;
    let owner = next();
    if next().is_some() {
        return None;
    }
    let wall = FtpTime::new(y, m, d, hour, minute, second.unwrap_or(0)).ok()?;
    let precision = if second.is_some() {
        Precision::Second
    } else {
        Precision::Minute
    };
    let kind = if dir { EntryKind::Dir } else { EntryKind::File };
    Some(Entry {
        size: if dir {
            None
        } else {
            lrecl.checked_mul(records)
        },
        modified: Some(ListingTime::local(
            wall,
            precision,
            false,
            ctx.server_offset_minutes,
        )),
        owner: owner.filter(|o| *o != b"-"),
        name_ext: Some(ext),
        ..Entry::new(name, kind, line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> TimeContext {
        TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0).unwrap())
    }

    #[test]
    fn files_and_directories() {
        let line = b"70-ZVMFILE  TRACE   V        65      107        2 2005-10-04 15:28:42 060191";
        let e = parse(line, &ctx()).unwrap();
        assert_eq!(
            (e.name, e.name_ext),
            (&b"70-ZVMFILE"[..], Some(&b"TRACE"[..]))
        );
        assert_eq!(&e.full_name()[..], b"70-ZVMFILE.TRACE");
        assert_eq!((e.kind, e.size), (EntryKind::File, Some(6955)));
        let t = e.modified.unwrap();
        assert_eq!(
            (t.wall_clock().second(), t.precision()),
            (42, Precision::Second)
        );
        let e = parse(
            b"DATA     FILE     F        80       20        1 2012-01-03 09:01",
            &ctx(),
        )
        .unwrap();
        assert_eq!((e.size, e.owner), (Some(1600), None));
        let e = parse(
            b"SUBDIR   DIR      DIR       -        -        - 2012-01-03 09:01:12 -",
            &ctx(),
        )
        .unwrap();
        assert_eq!((e.kind, e.size, e.owner), (EntryKind::Dir, None, None));
        // Not z/VM: an unknown record format, a date in another form, an indented name.
        assert!(parse(b"A B X 80 20 1 2012-01-03 09:01:12 OWN", &ctx()).is_none());
        assert!(parse(b"A B F 80 20 1 01/03/12 09:01:12 OWN", &ctx()).is_none());
        assert!(parse(b" A B F 80 20 1 2012-01-03 09:01:12 OWN", &ctx()).is_none());
        assert!(parse(b"A B F 80 20 1 2012-01-03 09:01:12 OWN extra", &ctx()).is_none());
    }
}
