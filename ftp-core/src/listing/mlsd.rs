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
use crate::mlsx::{self, EntryType, Fact, MlsxEntry, Value};

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
    let mut entry = Entry::new(b"", EntryKind::Other, line);
    parse_into(line, &mut entry).then_some(entry)
}

/// [`parse`] into `entry`, which holds `Entry::new(_, _, line)`: the facts an entry
/// shows are written straight into it (in the listing, that is the caller's result: no
/// copy of the entry per line). `false` if the line is no MLSD entry; `entry` is then
/// partly filled.
#[inline(always)]
pub(crate) fn parse_into<'a>(line: &'a [u8], entry: &mut Entry<'a>) -> bool {
    // The other facts are still checked, so a line is an entry exactly when
    // `mlsx::parse_entry` accepts it.
    let shown = Shown {
        entry: &mut *entry,
        owner_rank: 0,
        group_rank: 0,
    };
    let Ok((_, name)) = mlsx::scan(line, shown) else {
        return false;
    };
    entry.name = name;
    true
}

/// An entry being filled from an MLSD line's facts.
struct Shown<'a, 'e> {
    entry: &'e mut Entry<'a>,
    /// Which fact gave the owner (and the group): names where the server gave them
    /// (`UNIX.ownername`, 3), else `UNIX.owner` (2), else the number (`UNIX.uid`, 1).
    owner_rank: u8,
    group_rank: u8,
}

impl<'a> mlsx::Reader<'a> for Shown<'a, '_> {
    #[inline(always)]
    fn fact(&mut self, fact: Fact, value: Value<'a>) -> Result<(), crate::ParseError> {
        let e = &mut *self.entry;
        let bytes = value.bytes;
        match fact {
            // (The last `type` fact counts, as in `mlsx::parse_entry`.)
            Fact::Type => {
                // The usual spellings first, without the call.
                e.kind = match bytes {
                    b"file" => EntryKind::File,
                    b"dir" => EntryKind::Dir,
                    _ => kind_of(Some(EntryType::parse(bytes))),
                };
            }
            Fact::Size => e.size = Some(value.decimal("the size fact")?),
            Fact::Sizd => {
                let sizd = value.decimal("the sizd fact")?;
                e.size = e.size.or(Some(sizd));
            }
            Fact::Modify => e.modified = Some(ListingTime::utc(value.timestamp()?)),
            Fact::Create => {
                value.timestamp()?;
            }
            // The type bits of UNIX.mode are the `type` fact's business.
            Fact::UnixMode => e.permissions = Some((value.octal()? & 0o7777) as u16),
            Fact::UnixUid => {
                value.small("the UNIX.uid fact")?;
                self.owner(bytes, 1);
            }
            Fact::UnixGid => {
                value.small("the UNIX.gid fact")?;
                self.group(bytes, 1);
            }
            Fact::UnixOwner => self.owner(bytes, 2),
            Fact::UnixGroup => self.group(bytes, 2),
            Fact::UnixOwnerName => self.owner(bytes, 3),
            Fact::UnixGroupName => self.group(bytes, 3),
            Fact::Perm | Fact::Unique | Fact::Other => {}
        }
        Ok(())
    }
}

impl<'a> Shown<'a, '_> {
    /// The last value of the highest-ranked fact wins.
    fn owner(&mut self, value: &'a [u8], rank: u8) {
        if rank >= self.owner_rank {
            self.entry.owner = Some(value);
            self.owner_rank = rank;
        }
    }

    fn group(&mut self, value: &'a [u8], rank: u8) {
        if rank >= self.group_rank {
            self.entry.group = Some(value);
            self.group_rank = rank;
        }
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
        let lines: [&[u8]; 16] = [
            b"UNIX.uid=7;UNIX.owner=8;UNIX.ownername=bob;UNIX.owner=9;UNIX.gid=3;UNIX.group=4; x",
            b"UNIX.owner=9;UNIX.uid=7;UNIX.groupname=g;UNIX.gid=1;UNIX.groupname=h; y",
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
