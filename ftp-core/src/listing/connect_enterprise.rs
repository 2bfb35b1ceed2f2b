//! Sterling Connect:Enterprise (and Commerce) listings of mailbox batches.
//!
//! ```text
//! -C--E-----FTP B QUA1I1      18128       41 Aug 12 13:56 QUADTEST
//! -C--E-----FTP A QUA1I1      18128       41 Apr 1 2014 QUADTEST3
//! ```
//!
//! A ten-column flag field followed by the protocol that added the batch (`FTP`), a
//! one-letter batch state, the mailbox owner, a batch number (reported as the group, the
//! column `ls` has there), the size, an `ls`-style date (see [`date`]) and the
//! name after one blank. The flags describe the batch (collected, extracted, …), not
//! access rights, so `permissions` is `None`.

use super::date::{self, TimeContext};
use super::{Entry, EntryKind, decimal, tokens};

/// Parses one Connect:Enterprise line (line end already removed). `None` if it is not one.
///
/// ```
/// use ftp_core::FtpTime;
/// use ftp_core::listing::{connect_enterprise, TimeContext};
///
/// let ctx = TimeContext::new(FtpTime::new(2024, 9, 1, 0, 0, 0)?);
/// let line = b"-C--E-----FTP B QUA1I1      18128       41 Aug 12 13:56 QUADTEST";
/// let e = connect_enterprise::parse(line, &ctx).unwrap();
/// assert_eq!((e.name, e.size, e.owner), (&b"QUADTEST"[..], Some(41), Some(&b"QUA1I1"[..])));
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse<'a>(line: &'a [u8], ctx: &TimeContext) -> Option<Entry<'a>> {
    let mut toks = tokens(line, 0);
    let (f0, f1) = toks.next()?;
    let flags = line.get(f0..f1)?;
    if f0 != 0 || flags.len() != 13 || flags.get(10..)? != b"FTP" {
        return None;
    }
    let kind = match flags.first()? {
        b'-' => EntryKind::File,
        b'd' => EntryKind::Dir,
        _ => return None,
    };
    if !flags
        .get(1..10)?
        .iter()
        .all(|b| *b == b'-' || b.is_ascii_uppercase())
    {
        return None;
    }
    let (s0, s1) = toks.next()?;
    let state = line.get(s0..s1)?;
    if state.len() != 1 || !state[0].is_ascii_uppercase() {
        return None;
    }
    let (o0, o1) = toks.next()?;
    let (g0, g1) = toks.next()?;
    let (z0, z1) = toks.next()?;
    let size = decimal(line.get(z0..z1)?)?;
    let (d0, _) = toks.next()?;
    let found = date::ls_date(line, d0, ctx)?;
    let mut start = found.end + 1;
    if found.left_aligned_year && line.get(found.end..start + 1) == Some(b"  ") {
        start += 1;
    }
    let name = line.get(start..).filter(|n| !n.is_empty())?;
    if line.get(found.end) != Some(&b' ') {
        return None;
    }
    Some(Entry {
        size: Some(size),
        modified: Some(found.time),
        owner: line.get(o0..o1),
        group: line.get(g0..g1),
        ..Entry::new(name, kind, line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FtpTime;
    use crate::listing::Precision;

    #[test]
    fn shapes() {
        let ctx = TimeContext::new(FtpTime::new(2024, 9, 1, 0, 0, 0).unwrap());
        let e = parse(
            b"-C--E-----FTP A QUA1I1      18128       41 Apr 1 2014 QUADTEST3",
            &ctx,
        )
        .unwrap();
        assert_eq!(e.name, b"QUADTEST3");
        assert_eq!(e.modified.unwrap().precision(), Precision::Day);
        assert_eq!(e.group, Some(&b"18128"[..]));
        assert!(parse(b"-rw-r--r--   1 ftp  nogroup  126552 Jan 22  2001 x", &ctx).is_none());
    }
}
