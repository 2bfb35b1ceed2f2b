//! MLSD lines (RFC 3659 §7) as listing [`Entry`] values: the format is
//! [`crate::mlsx`]'s; this reads, in the same single scan, only the facts an entry shows
//! (and checks the others as [`crate::mlsx::parse_entry`] does).
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
use crate::mlsx::{self, EntryType, Fact, MlsxEntry};

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
    // The facts an entry shows, read in the scan; the others are still checked, so a line
    // is an entry exactly when `mlsx::parse_entry` accepts it.
    let mut shown = Shown::default();
    let (_, name) = mlsx::scan(line, |fact, value| shown.fact(fact, value)).ok()?;
    let Shown {
        kind,
        size,
        modify,
        mode,
        names,
        unix_owner,
        unix_group,
    } = shown;
    Some(Entry {
        size,
        modified: modify.map(ListingTime::utc),
        // The type bits of UNIX.mode are the `type` fact's business.
        permissions: mode.map(|m| (m & 0o7777) as u16),
        // Names where the server gave them, numbers otherwise.
        owner: names.ownername.or(unix_owner).or(names.uid),
        group: names.groupname.or(unix_group).or(names.gid),
        ..Entry::new(name, kind_of(kind), line)
    })
}

/// What an MLSD line says that a listing entry shows.
#[derive(Default)]
struct Shown<'a> {
    kind: Option<EntryType<'a>>,
    size: Option<u64>,
    modify: Option<crate::FtpTime>,
    mode: Option<u32>,
    names: mlsx::Names<'a>,
    unix_owner: Option<&'a [u8]>,
    unix_group: Option<&'a [u8]>,
}

impl<'a> Shown<'a> {
    #[inline(always)]
    fn fact(&mut self, fact: Fact, value: &'a [u8]) -> Result<(), crate::ParseError> {
        match fact {
            Fact::Type => self.kind = Some(EntryType::parse(value)),
            Fact::Size => self.size = Some(mlsx::decimal(value, "the size fact")?),
            Fact::Sizd => {
                let sizd = mlsx::decimal(value, "the sizd fact")?;
                self.size = self.size.or(Some(sizd));
            }
            Fact::Modify => self.modify = Some(mlsx::timestamp(value)?),
            Fact::Create => {
                mlsx::timestamp(value)?;
            }
            Fact::UnixMode => self.mode = Some(mlsx::octal(value)?),
            Fact::UnixUid => {
                mlsx::small(value, "the UNIX.uid fact")?;
                self.names.uid = Some(value);
            }
            Fact::UnixGid => {
                mlsx::small(value, "the UNIX.gid fact")?;
                self.names.gid = Some(value);
            }
            Fact::UnixOwner => self.unix_owner = Some(value),
            Fact::UnixGroup => self.unix_group = Some(value),
            Fact::UnixOwnerName => self.names.ownername = Some(value),
            Fact::UnixGroupName => self.names.groupname = Some(value),
            Fact::Perm | Fact::Unique | Fact::Other => {}
        }
        Ok(())
    }
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

fn kind_of(kind: Option<EntryType<'_>>) -> EntryKind<'_> {
    match kind {
        Some(EntryType::File) => EntryKind::File,
        Some(EntryType::Dir | EntryType::Cdir | EntryType::Pdir) => EntryKind::Dir,
        Some(EntryType::Symlink { target }) => EntryKind::Symlink { target },
        Some(EntryType::OsSpecific(value)) => os_specific(value),
        Some(EntryType::Other(_)) | None => EntryKind::Other,
    }
}

fn entry<'a>(e: &MlsxEntry<'a>, names: &mlsx::Names<'a>, raw: &'a [u8]) -> Entry<'a> {
    let kind = kind_of(e.kind);
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

    /// `parse` reads in one scan what `mlsx::parse_entry` reads: the same entries, and the
    /// same lines refused.
    #[test]
    fn the_same_as_the_mlsx_entry() {
        let lines: [&[u8]; 14] = [
            b"modify=20201213202400;perm=adfrw;size=10485760;type=file;unique=801U1C;UNIX.group=1000;UNIX.mode=0644;UNIX.owner=1000; big.bin",
            b"type=file;size=12004;modify=20240102101112;UNIX.mode=0644;UNIX.uid=1000;UNIX.gid=1000;unique=803g1; source file.rs",
            b"Type=dir;Modify=20240102101112.5;UNIX.ownername=bob;UNIX.groupname=staff;UNIX.uid=7; d",
            b"sizd=4096;size=1; s",
            b"size=1;sizd=4096; s",
            b"type=OS.unix=slink:/a b;create=x; bad create",
            b"type=file;UNIX.uid=99999999999; bad uid",
            b"type=file;UNIX.mode=0999; bad mode",
            b"type=file;size=3 77 no trailing semicolon",
            b"Size=;type=file; /empty/size",
            b"  Type=file;Size=42; indented",
            b" no facts",
            b"type=file;x",
            b"weird\x1dname=1;type=file; w",
        ];
        for line in lines {
            let mut names = mlsx::Names::default();
            let via_mlsx = mlsx::parse_entry_with(line, &mut names)
                .ok()
                .map(|e| entry(&e, &names, line));
            assert_eq!(parse(line), via_mlsx, "{}", line.escape_ascii());
        }
    }
}
