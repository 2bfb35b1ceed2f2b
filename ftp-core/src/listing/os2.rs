//! OS/2 (IBM TCP/IP for OS/2 `ftpd`) listings.
//!
//! ```text
//!      0           DIR   12-30-97   12:32  jbrekke
//! 587823    RSA    DIR   01-08-97   13:58  OS2KRNL
//!  33280      A          02-09-97   13:49  OS2LDR
//!  36611      A    04-23-103  10:57  24-os2 file
//! ```
//!
//! Size, then up to two columns of upper-case attribute letters (`A` archive, `R`
//! read-only, `S` system, `H` hidden) and the word `DIR` for a directory, then the date
//! `MM-DD-YY` (or `MM-DD-YYYY`, or a three-digit year counted from 1900 as some servers
//! print it), a 24-hour `HH:MM`, and the name after the blanks that follow the time.

use super::date::{ListingTime, Precision, TimeContext, clock, pivot_year};
use super::{Entry, EntryKind, decimal, is_space, small, tokens};
use crate::time::FtpTime;

/// Parses one OS/2 line (line end already removed). `None` if it is not one.
///
/// ```
/// use ftp_core::FtpTime;
/// use ftp_core::listing::{os2, EntryKind, TimeContext};
///
/// let ctx = TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0)?);
/// let e = os2::parse(b"     0           DIR   05-12-97   16:52  Maintenance Desktop", &ctx).unwrap();
/// assert_eq!((e.name, e.kind), (&b"Maintenance Desktop"[..], EntryKind::Dir));
/// assert_eq!(e.modified.unwrap().wall_clock().year(), 1997);
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse<'a>(line: &'a [u8], ctx: &TimeContext) -> Option<Entry<'a>> {
    let mut toks = tokens(line, 0);
    let (s0, s1) = toks.next()?;
    let size = decimal(line.get(s0..s1)?)?;
    let mut kind = EntryKind::File;
    let mut date = None;
    // Attributes and `DIR`, in either order, then the date.
    for _ in 0..3 {
        let (a0, a1) = toks.next()?;
        let tok = line.get(a0..a1)?;
        if tok == b"DIR" && kind == EntryKind::File {
            kind = EntryKind::Dir;
        } else if !tok.is_empty()
            && tok.len() <= 4
            && tok.iter().all(|b| matches!(b, b'A' | b'R' | b'S' | b'H'))
        {
        } else {
            date = Some(month_day_year(tok)?);
            break;
        }
    }
    let (year, month, day) = date?;
    let (c0, c1) = toks.next()?;
    let (hour, minute, second) = clock(line.get(c0..c1)?)?;
    let wall = FtpTime::new(year, month, day, hour, minute, second.unwrap_or(0)).ok()?;
    let precision = if second.is_some() {
        Precision::Second
    } else {
        Precision::Minute
    };
    let rest = line.get(c1..)?;
    let pad = rest.iter().take_while(|b| is_space(**b)).count();
    if pad == 0 {
        return None;
    }
    let name = rest.get(pad..).filter(|n| !n.is_empty())?;
    Some(Entry {
        size: Some(size),
        modified: Some(ListingTime::local(
            wall,
            precision,
            false,
            ctx.server_offset_minutes,
        )),
        ..Entry::new(name, kind, line)
    })
}

/// `MM-DD-YY`, `MM-DD-YYY` (years since 1900) or `MM-DD-YYYY`.
fn month_day_year(token: &[u8]) -> Option<(u16, u8, u8)> {
    let mut parts = token.split(|b| *b == b'-');
    let month = parts.next().filter(|p| p.len() == 2).and_then(small)?;
    let day = parts.next().filter(|p| p.len() == 2).and_then(small)?;
    let year = pivot_year(parts.next()?)?;
    if parts.next().is_some() {
        return None;
    }
    Some((year, month, day))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let ctx = TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0).unwrap());
        let e = parse(b" 1123 DIR  A    10-05-100  23:38  27-os2 dir", &ctx).unwrap();
        assert_eq!((e.kind, e.size), (EntryKind::Dir, Some(1123)));
        assert_eq!(e.modified.unwrap().wall_clock().year(), 2000);
        let e = parse(b"     0           DIR   05-19-2000 12:56  local", &ctx).unwrap();
        assert_eq!(e.name, b"local");
        for bad in [
            &b"                 DIR   12-30-97   12:32  jbrekke"[..],
            b"     0    rsa    DIR   11-25-97   09:42  junk",
            b"     0           dir   05-12-97   16:44  LANGUAGE",
            b"     0           DIR   13-05-97   25:49  MPTN",
            b"587823    RSA    DIR   Jan-08-97   13:58  OS2KRNL",
            b" 33280      A          1997-02-03  13:49  OS2LDR",
            b"12-05-96  05:03PM       <DIR>          absoft2",
        ] {
            assert_eq!(parse(bad, &ctx), None, "{}", bad.escape_ascii());
        }
    }
}
