//! MLSD lines (RFC 3659 §7) as listing [`Entry`] values: a thin layer over
//! [`crate::mlsx::parse_entry`], which implements the format.
//!
//! ```text
//! type=file;size=1024;modify=20201213202400;UNIX.mode=0644; report; final.txt
//! ```
//!
//! `type=cdir` and `type=pdir` are directories; `OS.unix=slink:target` (or `symlink`) a
//! symlink; `OS.unix=chr-M/m` / `blk-M/m` devices; other types [`EntryKind::Other`]. An
//! entry without a `type` fact is `Other` too: RFC 3659 makes no fact mandatory.

use super::date::ListingTime;
use super::{Entry, EntryKind, decimal};
use crate::mlsx::{self, EntryType, MlsxEntry};

/// Parses one MLSD line (line end already removed). `None` if it is not one.
///
/// ```
/// use ftp_core::listing::{mlsd, EntryKind};
///
/// let e = mlsd::parse(b"type=file;size=1024;UNIX.mode=0644; report; final.txt").unwrap();
/// assert_eq!((e.name, e.kind, e.size), (&b"report; final.txt"[..], EntryKind::File, Some(1024)));
/// assert_eq!(e.permissions, Some(0o644));
/// ```
pub fn parse(line: &[u8]) -> Option<Entry<'_>> {
    let mut names = mlsx::Names::default();
    let e = mlsx::parse_entry_with(line, &mut names).ok()?;
    Some(entry(&e, &names, line))
}

/// The listing view of an already parsed MLST/MLSD entry; `raw` is the line it came from.
pub fn from_mlsx<'a>(e: &MlsxEntry<'a>, raw: &'a [u8]) -> Entry<'a> {
    let names = mlsx::Names {
        ownername: e.fact("unix.ownername"),
        groupname: e.fact("unix.groupname"),
        uid: e.unix_uid.and_then(|_| e.fact("unix.uid")),
        gid: e.unix_gid.and_then(|_| e.fact("unix.gid")),
    };
    entry(e, &names, raw)
}

fn entry<'a>(e: &MlsxEntry<'a>, names: &mlsx::Names<'a>, raw: &'a [u8]) -> Entry<'a> {
    let kind = match e.kind {
        Some(EntryType::File) => EntryKind::File,
        Some(EntryType::Dir | EntryType::Cdir | EntryType::Pdir) => EntryKind::Dir,
        Some(EntryType::Symlink { target }) => EntryKind::Symlink { target },
        Some(EntryType::OsSpecific(value)) => os_specific(value),
        Some(EntryType::Other(_)) | None => EntryKind::Other,
    };
    Entry {
        size: e.size,
        modified: e.modify.map(ListingTime::utc),
        // The type bits of UNIX.mode are the `type` fact's business.
        permissions: e.unix_mode.map(|m| (m & 0o7777) as u16),
        // Names where the server gave them, numbers otherwise.
        owner: names.ownername.or(e.unix_owner).or(names.uid),
        group: names.groupname.or(e.unix_group).or(names.gid),
        ..Entry::new(e.name, kind, raw)
    }
}

/// `OS.unix=chr-13/29`, `OS.unix=blk-8/1`, `OS.unix=fifo`, `OS.unix=socket`.
fn os_specific(value: &[u8]) -> EntryKind<'static> {
    let lower_starts = |prefix: &[u8]| {
        value
            .get(..prefix.len())
            .is_some_and(|v| v.eq_ignore_ascii_case(prefix))
    };
    let numbers = |rest: Option<&[u8]>| {
        let rest = rest.and_then(|r| r.strip_prefix(b"-"));
        let mut parts = rest.unwrap_or_default().split(|b| *b == b'/');
        let major = parts.next().and_then(number);
        let minor = parts.next().and_then(number);
        (major, minor)
    };
    if lower_starts(b"os.unix=chr") {
        let (major, minor) = numbers(value.get(11..));
        EntryKind::CharDevice { major, minor }
    } else if lower_starts(b"os.unix=blk") {
        let (major, minor) = numbers(value.get(11..));
        EntryKind::BlockDevice { major, minor }
    } else if lower_starts(b"os.unix=fifo") {
        EntryKind::Pipe
    } else if lower_starts(b"os.unix=socket") {
        EntryKind::Socket
    } else {
        EntryKind::Other
    }
}

fn number(digits: &[u8]) -> Option<u32> {
    decimal(digits).and_then(|n| u32::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let e = parse(b"type=OS.unix=chr-13/29; null").unwrap();
        assert_eq!(
            e.kind,
            EntryKind::CharDevice {
                major: Some(13),
                minor: Some(29)
            }
        );
        let e = parse(b"type=cdir;perm=el; .").unwrap();
        assert_eq!(e.kind, EntryKind::Dir);
        let e = parse(b"type=OS.unix=slink:/a b; link").unwrap();
        assert_eq!(
            e.kind,
            EntryKind::Symlink {
                target: Some(b"/a b")
            }
        );
        assert_eq!(parse(b" only a name").unwrap().kind, EntryKind::Other);
        assert!(parse(b"type=file;size=x; bad").is_none());
    }
}
