//! IBM i (OS/400, AS/400) listings, as its FTP server sends them in `LISTFMT 0`.
//!
//! ```text
//! QSYS            77824 02/23/00 15:09:55 *DIR       dir1/
//! PEP              4019 04/03/18 18:58:16 *STMF      einladung.zip
//! CFT                                     *MEM       ANTHONY1.FILE/ANTHONY1.MBR
//! ```
//!
//! Owner, size, date, time, object type (`*STMF`, `*DIR`, `*FILE`, `*MEM`, `*LIB`, …),
//! then the name (the rest of the line, spaces included). A member (`*MEM`) lists no size
//! and no date; every other type lists both. The date is numeric with a two-digit year in
//! the server's locale order, which the line does not reveal: see
//! [`TimeContext::date_order`] (by default the first of month/day/year, day/month/year,
//! year/month/day that is a valid date; dotted dates are day/month/year).
//!
//! Directories (`*DIR`, `*LIB`, `*FLR`, `*DDIR`) come back as [`EntryKind::Dir`] without
//! the `/` the server appends. A name listed as an absolute path (`/DRV/A/B.PDF`, when the
//! path was given to LIST) is reduced to its last component, the name within the listed
//! directory like every other entry's.

use super::date::{ListingTime, Precision, TimeContext, clock, numeric_date};
use super::{Entry, EntryKind, decimal, tokens};
use crate::time::FtpTime;

/// Parses one OS/400 line (line end already removed). `None` if it is not one.
///
/// ```
/// use ftp_core::FtpTime;
/// use ftp_core::listing::{os400, EntryKind, TimeContext};
///
/// let ctx = TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0)?);
/// let e = os400::parse(b"QSYS  77824 02/23/00 15:09:55 *DIR  my dir/", &ctx).unwrap();
/// assert_eq!((e.name, e.kind, e.size), (&b"my dir"[..], EntryKind::Dir, Some(77824)));
/// assert_eq!(e.modified.unwrap().wall_clock().year(), 2000);
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse<'a>(line: &'a [u8], ctx: &TimeContext) -> Option<Entry<'a>> {
    let mut toks = tokens(line, 0);
    let (o0, o1) = toks.next()?;
    if o0 != 0 {
        return None;
    }
    let owner = line.get(o0..o1)?;
    let (a0, a1) = toks.next()?;
    let first = line.get(a0..a1)?;
    let (size, modified, (t0, t1)) = if first.first() == Some(&b'*') {
        (None, None, (a0, a1))
    } else {
        let size = decimal(first)?;
        let (d0, d1) = toks.next()?;
        let (y, m, d) = numeric_date(line.get(d0..d1)?, ctx.date_order)?;
        let (c0, c1) = toks.next()?;
        let (hour, minute, second) = clock(line.get(c0..c1)?)?;
        let wall = FtpTime::new(y, m, d, hour, minute, second?).ok()?;
        let time = ListingTime::local(wall, Precision::Second, false, ctx.server_offset_minutes);
        (Some(size), Some(time), toks.next()?)
    };
    let object_type = line.get(t0..t1)?;
    let type_name = object_type.strip_prefix(b"*")?;
    if type_name.is_empty() || !type_name.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    // A member lists neither size nor date; every other object lists both.
    let member = type_name == b"MEM";
    if member != size.is_none() {
        return None;
    }
    let (n0, _) = toks.next()?;
    let mut name = line.get(n0..)?;
    let kind = match type_name {
        b"DIR" | b"LIB" | b"FLR" | b"DDIR" => EntryKind::Dir,
        _ => EntryKind::File,
    };
    if name.len() > 1 {
        name = name.strip_suffix(b"/").unwrap_or(name);
    }
    if name.first() == Some(&b'/')
        && let Some(slash) = name.iter().rposition(|b| *b == b'/')
        && slash + 1 < name.len()
    {
        name = name.get(slash + 1..)?;
    }
    Some(Entry {
        size,
        modified,
        owner: Some(owner),
        ..Entry::new(name, kind, line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::DateOrder;

    fn ctx() -> TimeContext {
        TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0).unwrap())
    }

    #[test]
    fn shapes() {
        let e = parse(
            b"CFT                 *MEM ANTHONY1.FILE/ANTHONY1.MBR",
            &ctx(),
        )
        .unwrap();
        assert_eq!(e.name, b"ANTHONY1.FILE/ANTHONY1.MBR");
        assert_eq!((e.size, e.modified), (None, None));
        let e = parse(
            b"ZFTPDEV 9069 05/20/15 15:36:52 *STMF /DRV/AUDWRK.PDF",
            &ctx(),
        )
        .unwrap();
        assert_eq!(e.name, b"AUDWRK.PDF");
        let e = parse(
            b"QPGMR 36864 18.09.06 14:21:26 *FILE      55-AS400.FILE",
            &ctx(),
        )
        .unwrap();
        assert_eq!(e.modified.unwrap().wall_clock().month(), 9);
        for bad in [
            &b"PEP              4019 04/03/18 18:58:16 STMF       einladung.zip"[..],
            b"PEP               422 03/24 14:06:26 *STMF      readme",
            b"PEP              6409 04/03/24 30:06:29 *STMF      build.xml",
            b"PEP USR         36864 04/03/24 14:06:34 *DIR       dir1/",
            b"QPGMR          135168 04/03/18 13:18:19 *FILE",
            b"QPGMR                                   *MEM       ",
            b"QPGMR          135168 04/03/18 13:18:19 *MEM       A.FILE/B.MBR",
            b"QPGMR                 04/03/18 13:18:19 *MEM       A.FILE/B.MBR",
        ] {
            assert_eq!(parse(bad, &ctx()), None, "{}", bad.escape_ascii());
        }
    }

    #[test]
    fn date_order() {
        let mut c = ctx();
        let line = b"PEP 422 04/03/24 14:06:26 *STMF readme";
        let day = |c: &TimeContext| {
            let t = parse(line, c).unwrap().modified.unwrap().wall_clock();
            (t.year(), t.month(), t.day())
        };
        assert_eq!(day(&c), (2024, 4, 3));
        c.date_order = DateOrder::YearMonthDay;
        assert_eq!(day(&c), (2004, 3, 24));
        c.date_order = DateOrder::DayMonthYear;
        assert_eq!(day(&c), (2024, 3, 4));
    }
}
