//! Wind River VxWorks `ftpd` listings (Nortel and other embedded devices).
//!
//! ```text
//! 2048    Feb-28-1998  05:23:30   folder <DIR>
//! 1014    Feb-28-1998  05:23:30   boot.cfg
//! ```
//!
//! Size, `Mon-DD-YYYY`, `HH:MM:SS`, and the name after the blanks that pad the time; a
//! directory's name is followed by ` <DIR>`, which is not part of it.

use super::date::{ListingTime, Precision, TimeContext, clock, month};
use super::{Entry, EntryKind, decimal, is_space, small, tokens};
use crate::time::FtpTime;

/// Parses one VxWorks line (line end already removed). `None` if it is not one.
///
/// ```
/// use ftp_core::FtpTime;
/// use ftp_core::listing::{vxworks, EntryKind, TimeContext};
///
/// let ctx = TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0)?);
/// let e = vxworks::parse(b"2048    Feb-28-1998  05:23:30   my dir <DIR>", &ctx).unwrap();
/// assert_eq!((e.name, e.kind, e.size), (&b"my dir"[..], EntryKind::Dir, Some(2048)));
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse<'a>(line: &'a [u8], ctx: &TimeContext) -> Option<Entry<'a>> {
    let mut toks = tokens(line, 0);
    let (s0, s1) = toks.next()?;
    if s0 != 0 {
        return None;
    }
    let size = decimal(line.get(s0..s1)?)?;
    let (d0, d1) = toks.next()?;
    let mut parts = line.get(d0..d1)?.split(|b| *b == b'-');
    let month = month(parts.next().filter(|m| m.len() == 3)?)?;
    let day = small(parts.next().filter(|d| d.len() == 2)?)?;
    let year = decimal(parts.next().filter(|y| y.len() == 4)?)?;
    if parts.next().is_some() {
        return None;
    }
    let (c0, c1) = toks.next()?;
    let (hour, minute, second) = clock(line.get(c0..c1)?)?;
    let wall = FtpTime::new(u16::try_from(year).ok()?, month, day, hour, minute, second?).ok()?;
    let rest = line.get(c1..)?;
    let pad = rest.iter().take_while(|b| is_space(**b)).count();
    let name = rest.get(pad..).filter(|n| !n.is_empty() && pad > 0)?;
    let (name, kind) = match name.strip_suffix(b" <DIR>") {
        Some(dir) => (dir, EntryKind::Dir),
        None => (name, EntryKind::File),
    };
    if name.is_empty() {
        return None;
    }
    Some(Entry {
        size: Some(size),
        modified: Some(ListingTime::local(
            wall,
            Precision::Second,
            false,
            ctx.server_offset_minutes,
        )),
        ..Entry::new(name, kind, line)
    })
}
