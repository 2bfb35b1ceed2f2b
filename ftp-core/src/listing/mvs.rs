//! IBM MVS / z/OS listings: data sets, partitioned data set (PDS) members, and JES jobs.
//!
//! ```text
//! Volume Unit    Referred Ext Used Recfm Lrecl BlkSz Dsorg Dsname
//! SAVE00 3390   2004/06/23  1    1  FB     128  6144  PS    INCOMING.RPTBM023.D061704
//! SAVE01 3390   2004/06/23  1    1  FB     128  6144  PO    INCOMING.RPTBM024.D061704
//! NRP004 3390   **NONE**    1   15  NONE     0     0  PO    NONEDATE.DATASET
//! Migrated                                                  HSM.MIGRATED.FILE
//!
//!  Name     VV.MM   Created       Changed      Size  Init   Mod   Id
//! SAVE03    01.03 2002/09/12 2002/10/11 09:37    11    11     0 KIL001
//!
//!  Name      Size     TTR   Alias-of AC --------- Attributes --------- Amode Rmode
//! EAGKCPT   000058   000009          00 FO             RN RU            31    ANY
//!
//! IBMUSER  JOB01906 IBMUSER  OUTPUT A        RC=0000 3 spool files
//! ```
//!
//! * **Data sets** (`LIST` of a high-level qualifier): the name is the last column (data
//!   set names have no blanks), the organisation before it says the kind: a partitioned
//!   data set (`PO`, `PO-E`) is a [`EntryKind::Dir`] (its members are listed by `CWD`ing
//!   into it), anything else a file. The referred date (`YYYY/MM/DD`, or `**NONE**`) is
//!   the only time; the listing has no byte size (only tracks), so `size` is `None`. The
//!   middle columns run together when a value is wide (`1+++++`, `213000`); they are not
//!   interpreted. Migrated, tape, VSAM and "Not Direct Access Device" data sets list just
//!   the name.
//! * **PDS members** with ISPF statistics: `modified` is the Changed date and time, and
//!   `size` is the Size column, which ISPF counts in records (lines), not bytes.
//! * **Load-module members**: `size` is the hexadecimal Size column (bytes).
//! * **JES jobs** (`SITE FILETYPE=JES`): the entry is named by its job id (`JOB01906`), the
//!   name `RETR` takes; the owner is listed at JES interface level 2.
//! * A member without statistics is listed as its name alone. Such a line cannot be told
//!   from any other one-word line, so it is an entry only when the format is forced to
//!   [`Format::Mvs`](super::Format::Mvs) (the caller knows the server is z/OS).
//!
//! Column headers are no entries: see [`skip_reason`](super::detect::skip_reason).

use super::date::{ListingTime, Precision, TimeContext, clock, iso_day};
use super::{Entry, EntryKind, decimal, tokens};
use crate::time::FtpTime;

/// At most this many columns are examined (a data set line has ten).
const MAX_COLUMNS: usize = 12;

/// Parses one MVS line (line end already removed). `None` if it is not one. A lone word
/// is a member name only with `forced` (see the [module docs](self)).
///
/// ```
/// use ftp_core::FtpTime;
/// use ftp_core::listing::{mvs, EntryKind, TimeContext};
///
/// let ctx = TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0)?);
/// let line = b"SAVE01 3390   2004/06/23  1    1  FB     128  6144  PO    INCOMING.RPTBM024";
/// let e = mvs::parse(line, &ctx, false).unwrap();
/// assert_eq!((e.name, e.kind), (&b"INCOMING.RPTBM024"[..], EntryKind::Dir));
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse<'a>(line: &'a [u8], ctx: &TimeContext, forced: bool) -> Option<Entry<'a>> {
    let mut cols = [(0usize, 0usize); MAX_COLUMNS];
    let mut n = 0;
    for tok in tokens(line, 0) {
        *cols.get_mut(n)? = tok;
        n += 1;
    }
    let cols = cols.get(..n)?;
    let col = |i: usize| cols.get(i).and_then(|&(a, b)| line.get(a..b));
    let first = cols.first()?;
    if first.0 != 0 {
        return None;
    }
    let last = col(n - 1)?;
    let file = |name| Some(Entry::new(name, EntryKind::File, line));
    match n {
        1 if forced => return file(last),
        2 if col(0)? == b"Migrated" => return file(last),
        3 if col(1)? == b"Tape" => return file(last),
        4 if col(2)? == b"VSAM" => return file(last),
        6 if cols
            .get(1..5)?
            .iter()
            .zip(["Not", "Direct", "Access", "Device"])
            .all(|(&(a, b), word)| line.get(a..b) == Some(word.as_bytes())) =>
        {
            return file(last);
        }
        _ => {}
    }
    data_set(line, cols, ctx)
        .or_else(|| ispf_member(line, cols, ctx))
        .or_else(|| load_module(line, cols))
        .or_else(|| jes_job(line, cols))
}

fn text<'a>(line: &'a [u8], cols: &[(usize, usize)], i: usize) -> Option<&'a [u8]> {
    cols.get(i).and_then(|&(a, b)| line.get(a..b))
}

/// `VOLUME UNIT REFERRED EXT USED RECFM LRECL BLKSZ DSORG DSNAME`.
fn data_set<'a>(line: &'a [u8], cols: &[(usize, usize)], ctx: &TimeContext) -> Option<Entry<'a>> {
    let n = cols.len();
    if !(7..=10).contains(&n) {
        return None;
    }
    let volume = text(line, cols, 0)?;
    let unit = text(line, cols, 1)?;
    if volume.len() > 6
        || !volume.iter().all(u8::is_ascii_alphanumeric)
        || unit.len() > 8
        || !unit.iter().all(u8::is_ascii_alphanumeric)
    {
        return None;
    }
    let referred = text(line, cols, 2)?;
    let modified = if referred == b"**NONE**" {
        None
    } else {
        let (y, m, d) = slash_date(referred)?;
        let wall = FtpTime::new(y, m, d, 0, 0, 0).ok()?;
        Some(ListingTime::local(
            wall,
            Precision::Day,
            false,
            ctx.server_offset_minutes,
        ))
    };
    let dsorg = text(line, cols, n - 2)?;
    let kind = match dsorg {
        b"PO" | b"PO-E" => EntryKind::Dir,
        b"PS" | b"DA" | b"IS" | b"VS" | b"HFS" | b"U" => EntryKind::File,
        _ => return None,
    };
    Some(Entry {
        modified,
        ..Entry::new(text(line, cols, n - 1)?, kind, line)
    })
}

/// `NAME VV.MM CREATED CHANGED HH:MM SIZE INIT MOD [ID]`.
fn ispf_member<'a>(
    line: &'a [u8],
    cols: &[(usize, usize)],
    ctx: &TimeContext,
) -> Option<Entry<'a>> {
    if !(8..=9).contains(&cols.len()) {
        return None;
    }
    let version = text(line, cols, 1)?;
    let (vv, mm) = version.split_at_checked(2)?;
    if mm.first() != Some(&b'.') || decimal(vv).is_none() || decimal(mm.get(1..)?).is_none() {
        return None;
    }
    slash_date(text(line, cols, 2)?)?;
    let (y, m, d) = slash_date(text(line, cols, 3)?)?;
    let (hour, minute, second) = clock(text(line, cols, 4)?)?;
    let size = decimal(text(line, cols, 5)?)?;
    decimal(text(line, cols, 6)?)?;
    decimal(text(line, cols, 7)?)?;
    let wall = FtpTime::new(y, m, d, hour, minute, second.unwrap_or(0)).ok()?;
    let precision = if second.is_some() {
        Precision::Second
    } else {
        Precision::Minute
    };
    Some(Entry {
        size: Some(size),
        modified: Some(ListingTime::local(
            wall,
            precision,
            false,
            ctx.server_offset_minutes,
        )),
        owner: text(line, cols, 8),
        ..Entry::new(text(line, cols, 0)?, EntryKind::File, line)
    })
}

/// `NAME SIZE TTR [ALIAS-OF] AC ATTRIBUTES… AMODE RMODE`, size and TTR six hex digits.
fn load_module<'a>(line: &'a [u8], cols: &[(usize, usize)]) -> Option<Entry<'a>> {
    if cols.len() < 4 {
        return None;
    }
    let size = hex6(text(line, cols, 1)?)?;
    hex6(text(line, cols, 2)?)?;
    Some(Entry {
        size: Some(size),
        ..Entry::new(text(line, cols, 0)?, EntryKind::File, line)
    })
}

/// `JOBNAME JOBID [OWNER] STATUS …` (JES interface level 1 or 2).
fn jes_job<'a>(line: &'a [u8], cols: &[(usize, usize)]) -> Option<Entry<'a>> {
    let id = text(line, cols, 1)?;
    let (prefix, number) = id.split_at_checked(3)?;
    if !matches!(prefix, b"JOB" | b"TSU" | b"STC") || number.len() != 5 || decimal(number).is_none()
    {
        return None;
    }
    let status = |i| {
        matches!(
            text(line, cols, i),
            Some(b"OUTPUT" | b"ACTIVE" | b"INPUT" | b"HELD")
        )
    };
    let owner = if status(2) {
        None
    } else if status(3) {
        text(line, cols, 2)
    } else {
        return None;
    };
    Some(Entry {
        owner,
        ..Entry::new(id, EntryKind::File, line)
    })
}

/// `YYYY/MM/DD`.
fn slash_date(token: &[u8]) -> Option<(u16, u8, u8)> {
    if token.get(4) != Some(&b'/') || token.len() != 10 {
        return None;
    }
    let mut iso = [0u8; 10];
    for (out, &b) in iso.iter_mut().zip(token) {
        *out = if b == b'/' { b'-' } else { b };
    }
    iso_day(&iso)
}

fn hex6(token: &[u8]) -> Option<u64> {
    if token.len() != 6 {
        return None;
    }
    token.iter().try_fold(0u64, |acc, &b| {
        let digit = char::from(b).to_digit(16)?;
        Some(acc * 16 + u64::from(digit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> TimeContext {
        TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0).unwrap())
    }

    fn p(line: &str) -> Entry<'_> {
        parse(line.as_bytes(), &ctx(), false).unwrap_or_else(|| panic!("no entry: {line}"))
    }

    #[test]
    fn data_sets() {
        let e = p("WYOSPT 3420   2003/05/21  1  200  FB      80  8053  PS  60-MVS.FILE");
        assert_eq!(
            (e.name, e.kind, e.size),
            (&b"60-MVS.FILE"[..], EntryKind::File, None)
        );
        assert_eq!(e.modified.unwrap().precision(), Precision::Day);
        let e = p("NRP004 3390   **NONE**    1   15  NONE     0     0  PO  62-MVS.DATASET");
        assert_eq!((e.kind, e.modified), (EntryKind::Dir, None));
        let e = p("TSO005 3390   2005/06/06 213000 U 0 27998 PO 63-MVS.DATASET");
        assert_eq!(e.kind, EntryKind::Dir);
        let e = p("YNSABH 3390   2022/02/18  1+++++  VBS  32767 27966  PS  $.BDATA.XBB");
        assert_eq!(e.name, b"$.BDATA.XBB");
        assert_eq!(p("Migrated\t\t\t\t69-SOME.FILE").name, b"69-SOME.FILE");
        assert_eq!(
            p("V43525 Tape        73-MSV-TAPE.FILE").name,
            b"73-MSV-TAPE.FILE"
        );
        assert_eq!(p("TSO004 3390   VSAM 64-mvs-file").name, b"64-mvs-file");
        assert_eq!(
            p("ARCIVE Not Direct Access Device         NAME").name,
            b"NAME"
        );
        for bad in [
            &b"Volume Unit    Referred Ext Used Recfm Lrecl BlkSz Dsorg Dsname"[..],
            b"MigratedP201.$FTXPBI1.$CF2ITB.$AAB0402.I",
            b"PSMLC133902005/04/041VB2799427998PSfile1.I",
            b"file2.O",
        ] {
            assert_eq!(parse(bad, &ctx(), false), None, "{}", bad.escape_ascii());
        }
        assert_eq!(parse(b"file2.O", &ctx(), true).unwrap().name, b"file2.O");
    }

    #[test]
    fn members_and_jobs() {
        let e = p("66-MVSPDSMEMBER 01.01 2004/06/22 2004/06/22 16:32   128   128    0 BOBY12");
        assert_eq!((e.size, e.owner), (Some(128), Some(&b"BOBY12"[..])));
        assert_eq!(e.modified.unwrap().wall_clock().hour(), 16);
        let e = p("67-MVSPDSMEMBER2 00B308 000411  00 FO                31    ANY");
        assert_eq!(e.size, Some(45832));
        let e = p("IBMUSER2 JOB01906 IBMUSER  OUTPUT A        RC=0000 3 spool files");
        assert_eq!((e.name, e.owner), (&b"JOB01906"[..], Some(&b"IBMUSER"[..])));
        assert_eq!(p("IBMUSER1  JOB01906  OUTPUT    3 Spool Files").owner, None);
        let header = b"Name      VV.MM   Created       Changed      Size  Init   Mod   Id";
        assert_eq!(parse(header, &ctx(), false), None);
    }
}
