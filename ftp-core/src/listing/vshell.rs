//! VanDyke VShell's old listing format (VShell 1.x; later versions send `ls -l`).
//!
//! ```text
//! 206876  Apr 04, 2000 21:06 report.txt
//! 0  Dec 12, 2002 02:13 folder/
//! ```
//!
//! Size, `Mon DD, YYYY HH:MM`, and the name after one blank; a directory's name ends in
//! `/`, which is not part of it.

use super::date::{self, Precision, TimeContext};
use super::{Entry, EntryKind, decimal, tokens};

/// Parses one VShell line (line end already removed). `None` if it is not one.
///
/// ```
/// use ftp_core::FtpTime;
/// use ftp_core::listing::{vshell, EntryKind, TimeContext};
///
/// let ctx = TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0)?);
/// let e = vshell::parse(b"0  Dec 12, 2002 02:13 my dir/", &ctx).unwrap();
/// assert_eq!((e.name, e.kind, e.size), (&b"my dir"[..], EntryKind::Dir, Some(0)));
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
    // The day carries the comma: `Apr 04,`.
    let (_, day_end) = toks.next()?;
    if line.get(day_end - 1) != Some(&b',')
        || !line.get(d0..d1)?.iter().all(u8::is_ascii_alphabetic)
    {
        return None;
    }
    let found = date::ls_date(line, d0, ctx)?;
    if found.time.precision() != Precision::Minute || found.time.year_inferred() {
        return None;
    }
    let name = line.get(found.end..)?.strip_prefix(b" ")?;
    let (name, kind) = match name.strip_suffix(b"/") {
        Some(dir) => (dir, EntryKind::Dir),
        None => (name, EntryKind::File),
    };
    if name.is_empty() {
        return None;
    }
    Some(Entry {
        size: Some(size),
        modified: Some(found.time),
        ..Entry::new(name, kind, line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FtpTime;

    #[test]
    fn shapes() {
        let ctx = TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0).unwrap());
        let e = parse(b"206876  Apr 04, 2000 21:06 21-vshell-old file", &ctx).unwrap();
        assert_eq!((e.name, e.size), (&b"21-vshell-old file"[..], Some(206876)));
        assert_eq!(e.modified.unwrap().wall_clock().hour(), 21);
        assert!(parse(b"206876  Apr 04 21:06 x", &ctx).is_none());
    }
}
