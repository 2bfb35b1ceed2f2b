//! Novell NetWare listings.
//!
//! ```text
//! d [RWCEAFMS] rwinston                          512 Nov 24  2005 Favorites
//! - [R----F--] rhesus             214059       Oct 20 15:27    cx.exe
//! ```
//!
//! Type (`d` or `-`), the caller's effective rights in brackets (eight columns, each a
//! letter of `RWCEAFMS` or `-`: Read, Write, Create, Erase, Access control, File scan,
//! Modify, Supervisor), the owner, the size, an `ls`-style date (see [`date`]),
//! and the name. Servers pad before the name, so leading blanks are not part of it.
//!
//! Permissions: NetWare rights are not Unix bits; `R` and `W` are reported as the owner's
//! read and write bits (the rights listed are those of the logged-in user), nothing else.

use super::date::{self, TimeContext};
use super::{Entry, EntryKind, decimal, is_space, tokens};

/// Parses one NetWare line (line end already removed). `None` if it is not one.
///
/// ```
/// use ftp_core::FtpTime;
/// use ftp_core::listing::{netware, EntryKind, TimeContext};
///
/// let ctx = TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0)?);
/// let line = b"- [R-CEAFMS] rwinston   19968 Mar 12 15:20 Summary 2.doc";
/// let e = netware::parse(line, &ctx).unwrap();
/// assert_eq!((e.name, e.kind, e.size), (&b"Summary 2.doc"[..], EntryKind::File, Some(19968)));
/// assert_eq!(e.permissions, Some(0o400));
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse<'a>(line: &'a [u8], ctx: &TimeContext) -> Option<Entry<'a>> {
    let kind = match line.first()? {
        b'd' => EntryKind::Dir,
        b'-' => EntryKind::File,
        _ => return None,
    };
    if line.get(1) != Some(&b' ') || line.get(2) != Some(&b'[') || line.get(11) != Some(&b']') {
        return None;
    }
    let rights = line.get(3..11)?;
    let mut permissions = 0u16;
    for (&c, letter) in rights.iter().zip(b"RWCEAFMS") {
        if c == *letter {
            permissions |= match c {
                b'R' => 0o400,
                b'W' => 0o200,
                _ => 0,
            };
        } else if c != b'-' {
            return None;
        }
    }
    let mut toks = tokens(line, 12);
    let (o0, o1) = toks.next()?;
    let (s0, s1) = toks.next()?;
    let size = decimal(line.get(s0..s1)?)?;
    let (d0, _) = toks.next()?;
    let found = date::ls_date(line, d0, ctx)?;
    let rest = line.get(found.end..)?;
    let pad = rest.iter().take_while(|b| is_space(**b)).count();
    if pad == 0 {
        return None;
    }
    let name = rest.get(pad..).filter(|n| !n.is_empty())?;
    Some(Entry {
        size: Some(size),
        modified: Some(found.time),
        permissions: Some(permissions),
        owner: line.get(o0..o1),
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
        let ctx = TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0).unwrap());
        let e = parse(
            b"d [R----F--] supervisor            512       Jan 16 18:53    09-netware dir",
            &ctx,
        )
        .unwrap();
        assert_eq!(e.name, b"09-netware dir");
        assert_eq!(e.owner, Some(&b"supervisor"[..]));
        let e = parse(
            b"d [RWCEAFMS] rwinston                          512 Nov 24  2005 Favorites",
            &ctx,
        )
        .unwrap();
        assert_eq!(e.modified.unwrap().precision(), Precision::Day);
        assert_eq!(e.permissions, Some(0o600));
        assert!(parse(b"a [-----F--] SCION_SYS   512 Apr 13 23:52 SYS", &ctx).is_none());
        assert!(parse(b"d [----AF--]    0     512 10-04-2001 _ADMIN", &ctx).is_none());
    }
}
