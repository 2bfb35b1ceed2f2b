//! HP NonStop (Tandem) Guardian listings.
//!
//! ```text
//! File         Code             EOF  Last Modification    Owner  RWEP
//! FILE3        101            16354 14-Mar-14 15:09:12 244, 10 "oooo"
//! ```
//!
//! File name, file code, end-of-file position (the size in bytes), the date `D-Mon-YY`
//! and time `HH:MM:SS`, the owner as `group,user` numbers (a blank after the comma is
//! allowed), and the security string in quotes: one letter per right (Read, Write,
//! Execute, Purge), each saying who holds it. The group and user numbers are reported as
//! group and owner. Security maps to Unix bits as closely as it can: `o`/`u` (owner)
//! grants the owner's bit, `g`/`c` (group, community) the owner's and the group's, `a`/`n`
//! (any local or network user) all three; `-` (super ID only) none. Purge has no Unix bit.
//! A quoted column that is no such string leaves `permissions` `None`.

use super::date::{ListingTime, Precision, TimeContext, clock, month, pivot_year};
use super::{Entry, EntryKind, decimal, small, tokens};
use crate::time::FtpTime;

/// Parses one HP NonStop line (line end already removed). `None` if it is not one.
///
/// ```
/// use ftp_core::FtpTime;
/// use ftp_core::listing::{hp_nonstop, TimeContext};
///
/// let ctx = TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0)?);
/// let e = hp_nonstop::parse(b"FILE1 101 528 12-Jan-14 14:21:18 255, 0 \"oooo\"", &ctx).unwrap();
/// assert_eq!((e.name, e.size, e.group, e.owner), (&b"FILE1"[..], Some(528), Some(&b"255"[..]), Some(&b"0"[..])));
/// assert_eq!(e.permissions, Some(0o700));
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse<'a>(line: &'a [u8], ctx: &TimeContext) -> Option<Entry<'a>> {
    let mut toks = tokens(line, 0);
    let (n0, n1) = toks.next()?;
    if n0 != 0 {
        return None;
    }
    let (c0, c1) = toks.next()?;
    decimal(line.get(c0..c1)?)?;
    let (e0, e1) = toks.next()?;
    let size = decimal(line.get(e0..e1)?)?;
    let (d0, d1) = toks.next()?;
    let (year, month, day) = day_month_year(line.get(d0..d1)?)?;
    let (t0, t1) = toks.next()?;
    let (hour, minute, second) = clock(line.get(t0..t1)?)?;
    let wall = FtpTime::new(year, month, day, hour, minute, second?).ok()?;
    // `255,255` or `255, 0`.
    let (g0, g1) = toks.next()?;
    let group_tok = line.get(g0..g1)?;
    let comma = group_tok.iter().position(|b| *b == b',')?;
    let group = group_tok.get(..comma)?;
    let mut user = group_tok.get(comma + 1..)?;
    if user.is_empty() {
        let (u0, u1) = toks.next()?;
        user = line.get(u0..u1)?;
    }
    decimal(group)?;
    decimal(user)?;
    let (s0, s1) = toks.next()?;
    let security = line.get(s0..s1)?;
    if security.len() < 2 || !security.starts_with(b"\"") || !security.ends_with(b"\"") {
        return None;
    }
    // Not every server fills the column with RWEP letters; the entry stands without them.
    let permissions = rwep(security);
    if toks.next().is_some() {
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
        permissions,
        owner: Some(user),
        group: Some(group),
        ..Entry::new(line.get(n0..n1)?, EntryKind::File, line)
    })
}

/// `"RWEP"` security in quotes, as Unix bits (see the [module docs](self)).
pub(crate) fn rwep(security: &[u8]) -> Option<u16> {
    let inner = security.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    if inner.len() != 4 {
        return None;
    }
    let mut bits = 0;
    for (&who, bit) in inner.iter().zip([4u16, 2, 1, 0]) {
        let mask = match who.to_ascii_lowercase() {
            b'o' | b'u' => 0o100,
            b'g' | b'c' => 0o110,
            b'a' | b'n' => 0o111,
            b'-' => 0,
            _ => return None,
        };
        bits |= mask * bit;
    }
    Some(bits)
}

/// `12-Jan-14` or `6-Apr-07`.
fn day_month_year(token: &[u8]) -> Option<(u16, u8, u8)> {
    let mut parts = token.split(|b| *b == b'-');
    let day = parts.next().filter(|d| !d.is_empty()).and_then(small)?;
    let month = parts
        .next()
        .filter(|m| m.len() == 3 && m.iter().all(u8::is_ascii_alphabetic))
        .and_then(month)?;
    let year = pivot_year(parts.next().filter(|y| y.len() == 2 || y.len() == 4)?)?;
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
        let e = parse(
            b"57-HP_NonStop 101 528 6-Apr-07 14:21:18 255,255 \"ogan\"",
            &ctx,
        )
        .unwrap();
        assert_eq!(e.permissions, Some(0o731));
        assert_eq!(e.modified.unwrap().wall_clock().year(), 2007);
        let header = b"File         Code             EOF  Last Modification    Owner  RWEP";
        assert!(parse(header, &ctx).is_none());
    }
}
