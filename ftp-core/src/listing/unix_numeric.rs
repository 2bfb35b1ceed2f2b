//! A numeric variant of `ls -l` some embedded servers send: octal mode, numeric owner and
//! group, size, and the time as seconds since the Unix epoch.
//!
//! ```text
//! 0100644   500  101   12345    123456789       report.txt
//! 0040755   500  101    4096   1700000000       folder
//! ```
//!
//! The mode is the `st_mode` value in octal (type bits and permission bits); the name is
//! whatever follows the blanks after the time. The time is UTC to the second.

use super::date::ListingTime;
use super::{Entry, EntryKind, decimal, is_space, tokens};
use crate::time::FtpTime;

/// Parses one numeric line (line end already removed). `None` if it is not one.
///
/// ```
/// use ftp_core::listing::{unix_numeric, EntryKind};
///
/// let e = unix_numeric::parse(b"0100644   500  101   12345    123456789       a file").unwrap();
/// assert_eq!((e.name, e.kind, e.permissions), (&b"a file"[..], EntryKind::File, Some(0o644)));
/// assert_eq!(e.modified.unwrap().wall_clock().year(), 1973);
/// ```
pub fn parse(line: &[u8]) -> Option<Entry<'_>> {
    let mut toks = tokens(line, 0);
    let (m0, m1) = toks.next()?;
    let mode_text = line.get(m0..m1)?;
    // `0100644`: a leading zero, then the type and permission digits.
    if m0 != 0 || mode_text.len() != 7 || mode_text.first() != Some(&b'0') {
        return None;
    }
    let mode = mode_text.iter().try_fold(0u32, |acc, &d| {
        (b'0'..=b'7')
            .contains(&d)
            .then(|| acc * 8 + u32::from(d - b'0'))
    })?;
    let kind = match mode & 0o170000 {
        0o100000 => EntryKind::File,
        0o040000 => EntryKind::Dir,
        0o120000 => EntryKind::Symlink { target: None },
        0o010000 => EntryKind::Pipe,
        0o140000 => EntryKind::Socket,
        0o060000 => EntryKind::BlockDevice {
            major: None,
            minor: None,
        },
        0o020000 => EntryKind::CharDevice {
            major: None,
            minor: None,
        },
        _ => return None,
    };
    let (o0, o1) = toks.next()?;
    let (g0, g1) = toks.next()?;
    let (s0, s1) = toks.next()?;
    let (t0, t1) = toks.next()?;
    let (owner, group) = (line.get(o0..o1)?, line.get(g0..g1)?);
    decimal(owner)?;
    decimal(group)?;
    let size = decimal(line.get(s0..s1)?)?;
    let seconds = i64::try_from(decimal(line.get(t0..t1)?)?).ok()?;
    let time = FtpTime::from_unix_timestamp(seconds).ok()?;
    let rest = line.get(t1..)?;
    let pad = rest.iter().take_while(|b| is_space(**b)).count();
    let name = rest.get(pad..).filter(|n| !n.is_empty() && pad > 0)?;
    Some(Entry {
        size: Some(size),
        modified: Some(ListingTime::utc(time)),
        permissions: u16::try_from(mode & 0o7777).ok(),
        owner: Some(owner),
        group: Some(group),
        ..Entry::new(name, kind, line)
    })
}
