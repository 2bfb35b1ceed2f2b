//! Microware OS-9 listings.
//!
//! ```text
//! 20.20 07/03/29 1026 d-ewrewr 2650 85920 CMDS
//!  0.0  07/03/29 1026 ----r-wr 1a40   412 startup
//! ```
//!
//! Owner (`group.user`), date `YY/MM/DD`, time `HHMM`, attributes, the starting sector,
//! size, and the name after one blank. The attributes are eight columns: `d` directory,
//! `s` non-sharable, then public execute/write/read and owner execute/write/read, which
//! map to the Unix "others" and "owner" bits (OS-9 has no group permissions).

use super::date::{ListingTime, Precision, TimeContext, pivot_year};
use super::{Entry, EntryKind, decimal, small, tokens};
use crate::time::FtpTime;

/// Parses one OS-9 line (line end already removed). `None` if it is not one.
///
/// ```
/// use ftp_core::FtpTime;
/// use ftp_core::listing::{os9, EntryKind, TimeContext};
///
/// let ctx = TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0)?);
/// let e = os9::parse(b"20.20 07/03/29 1026 d-ewrewr 2650 85920 CMDS", &ctx).unwrap();
/// assert_eq!((e.name, e.kind, e.size), (&b"CMDS"[..], EntryKind::Dir, Some(85920)));
/// assert_eq!(e.permissions, Some(0o707));
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse<'a>(line: &'a [u8], ctx: &TimeContext) -> Option<Entry<'a>> {
    let mut toks = tokens(line, 0);
    let (o0, o1) = toks.next()?;
    let owner = line.get(o0..o1)?;
    let dot = owner.iter().position(|b| *b == b'.')?;
    decimal(owner.get(..dot)?)?;
    decimal(owner.get(dot + 1..)?)?;
    let (d0, d1) = toks.next()?;
    let mut parts = line.get(d0..d1)?.split(|b| *b == b'/');
    let year = pivot_year(parts.next().filter(|y| y.len() == 2)?)?;
    let month = small(parts.next().filter(|m| m.len() == 2)?)?;
    let day = small(parts.next().filter(|d| d.len() == 2)?)?;
    if parts.next().is_some() {
        return None;
    }
    let (t0, t1) = toks.next()?;
    let time = line.get(t0..t1)?;
    let (hour, minute) = match *time {
        [h0, h1, m0, m1] => (small(&[h0, h1])?, small(&[m0, m1])?),
        _ => return None,
    };
    let wall = FtpTime::new(year, month, day, hour, minute, 0).ok()?;
    let (a0, a1) = toks.next()?;
    let attributes = line.get(a0..a1)?;
    if attributes.len() != 8 {
        return None;
    }
    let mut permissions = 0u16;
    for (i, (&got, want)) in attributes.iter().zip(b"dsewrewr").enumerate() {
        if got == b'-' {
            continue;
        }
        if got != *want {
            return None;
        }
        // Public e/w/r (columns 2-4) are the others' x/w/r; owner's (5-7) the owner's.
        permissions |= match i {
            2 => 0o001,
            3 => 0o002,
            4 => 0o004,
            5 => 0o100,
            6 => 0o200,
            7 => 0o400,
            _ => 0,
        };
    }
    let kind = if attributes.first() == Some(&b'd') {
        EntryKind::Dir
    } else {
        EntryKind::File
    };
    let (s0, s1) = toks.next()?;
    if !line.get(s0..s1)?.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let (z0, z1) = toks.next()?;
    let size = decimal(line.get(z0..z1)?)?;
    let name = line
        .get(z1..)?
        .strip_prefix(b" ")
        .filter(|n| !n.is_empty())?;
    Some(Entry {
        size: Some(size),
        modified: Some(ListingTime::local(
            wall,
            Precision::Minute,
            false,
            ctx.server_offset_minutes,
        )),
        permissions: Some(permissions),
        owner: Some(owner),
        ..Entry::new(name, kind, line)
    })
}
