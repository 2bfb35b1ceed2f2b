//! Directory listings: the lines of a LIST, MLSD or STAT data stream, one entry each.
//!
//! LIST output has no standard (RFC 959 §4.1.3 only says it is "human readable"), so this
//! module recognises the formats servers actually send:
//!
//! | format | example | module |
//! |---|---|---|
//! | Unix `ls -l` | `-rw-r--r-- 1 ftp ftp 531 Jan 29 03:26 README` | [`unix`] |
//! | DOS / IIS `dir` | `04-27-00  09:09PM       <DIR>          pub` | [`dos`] |
//! | EPLF | `+i8388621.48594,m825718503,r,s280,\tdjb.html` | [`eplf`] |
//! | MLSD facts (RFC 3659 §7) | `type=file;size=1024;modify=20201213202400; a b` | [`mlsd`] |
//! | OpenVMS | `1-JUN.LIS;1   9/9   2-JUN-1998 07:32:04  [GROUP,OWNER]  (RWED,RWED,RE,)` | [`vms`] |
//! | IBM i (OS/400) | `QSYS  77824 02/23/00 15:09:55 *DIR  dir/` | [`os400`] |
//! | MVS / z/OS | `SAVE00 3390 2004/06/23 1 1 FB 128 6144 PS INCOMING.D061704` | [`mvs`] |
//! | NetWare | `d [RWCEAFMS] rwinston   512 Nov 24  2005 Favorites` | [`netware`] |
//! | OS/2 | `     0           DIR   12-30-97   12:32  jbrekke` | [`os2`] |
//! | Connect:Enterprise | `-C--E-----FTP B QUA1I1  18128  41 Aug 12 13:56 QUADTEST` | [`connect_enterprise`] |
//! | HP NonStop | `FILE1 101 528 12-Jan-14 14:21:18 255, 0 "oooo"` | [`hp_nonstop`] |
//! | VShell (old) | `206876  Apr 04, 2000 21:06 report.txt` | [`vshell`] |
//! | VxWorks | `2048    Feb-28-1998  05:23:30   folder <DIR>` | [`vxworks`] |
//! | Nortel WfFTP | `boot.cfg  1014196  06/03/04  Thur.   10:20:03` | [`wfftp`] |
//! | OS-9 | `20.20 07/03/29 1026 d-ewrewr 2650 85920 CMDS` | [`os9`] |
//! | numeric `ls` | `0100644   500  101   12345    123456789   report.txt` | [`unix_numeric`] |
//! | z/VM (CMS) | `PROFILE  EXEC  V  65  107  2 2005-10-04 15:28:42 060191` | [`zvm`] |
//!
//! The rule that matters most: **no line is ever lost**. Every line comes back as a
//! [`ParsedLine`]: an [`Entry`], a line known to carry no entry ([`ParsedLine::Skipped`]:
//! `total 12`, blank lines, headers), or [`ParsedLine::Unparsed`] with the raw bytes when no
//! parser understands it. A caller can show, log or hand such lines to its own parser.
//!
//! [`ListingParser::parse_line`] works line by line as data arrives (it holds the detected
//! format and at most one line, not the listing; call [`ListingParser::finish`] at the
//! end); [`ListingParser::parse_all`] runs over a complete buffer, with entries that borrow
//! from it; [`lines`] splits a buffer into lines.
//!
//! ```
//! use ftp_core::FtpTime;
//! use ftp_core::listing::{EntryKind, ListingParser, ParsedLine};
//!
//! let data = b"total 8\r\n-rw-r--r-- 1 ftp ftp 531 Jan 29 03:26 read me\r\nlrwxrwxrwx 1 ftp ftp 7 Jan 25  2016 bin -> usr/bin\r\n";
//! let now = FtpTime::new(2024, 3, 1, 12, 0, 0)?;
//! let mut parser = ListingParser::new(now);
//! let mut names = Vec::new();
//! for parsed in parser.parse_all(data) {
//!     if let ParsedLine::Entry(e) = parsed {
//!         names.push((e.name_str().unwrap_or("?"), e.kind));
//!     }
//! }
//! assert_eq!(names[0].0, "read me");
//! assert_eq!(names[1].1, EntryKind::Symlink { target: Some(b"usr/bin") });
//! # Ok::<(), ftp_core::ParseError>(())
//! ```

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::fmt;

use crate::error::ParseError;
pub(crate) use crate::reply::strip_line_end;

/// A line without its line end: `\r\n` or `\n`. A CR without a LF after it is no line
/// end and stays: it ends the name of a classic Mac `Icon\r` file, which a CRLF listing
/// sends as `Icon\r\r\n` and [`lines`] hands over as `Icon\r`.
pub(crate) fn strip_listing_line_end(line: &[u8]) -> &[u8] {
    match line.strip_suffix(b"\n") {
        Some(line) => line.strip_suffix(b"\r").unwrap_or(line),
        None => line,
    }
}

pub mod connect_enterprise;
pub mod date;
pub mod detect;
pub mod dos;
pub mod eplf;
pub mod hp_nonstop;
pub mod mlsd;
pub mod mvs;
pub mod netware;
pub mod os2;
pub mod os400;
pub mod os9;
pub mod owned;
pub mod unix;
pub mod unix_numeric;
pub mod vms;
pub mod vshell;
pub mod vxworks;
pub mod wfftp;
pub mod zvm;

pub use date::{DEFAULT_MAX_FUTURE_SECONDS, DateOrder, ListingTime, Precision, TimeContext};
pub use detect::{Format, ListingParser, ParseAll};

/// What kind of file system object an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind<'a> {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link, with its target when the listing shows one (`a -> b`).
    Symlink {
        /// The link target, as listed.
        target: Option<&'a [u8]>,
    },
    /// A block device (`b` in `ls -l`), with its device numbers when listed (`8, 1`).
    BlockDevice {
        /// The major device number.
        major: Option<u32>,
        /// The minor device number.
        minor: Option<u32>,
    },
    /// A character device (`c` in `ls -l`), with its device numbers when listed.
    CharDevice {
        /// The major device number.
        major: Option<u32>,
        /// The minor device number.
        minor: Option<u32>,
    },
    /// A named pipe (`p`).
    Pipe,
    /// A socket (`s`).
    Socket,
    /// Anything else the listing names (a Solaris door, an EPLF entry that is neither `r`
    /// nor `/`, an MLSD `type` this module does not know): see [`Entry::raw`].
    Other,
}

/// One listed entry, borrowed from its line. Values the line did not carry are `None`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The name, exactly as listed (spaces, `;` and non-UTF-8 bytes included; for a
    /// symlink, without the ` -> target` part).
    pub name: &'a [u8],
    /// What the entry is.
    pub kind: EntryKind<'a>,
    /// The size in bytes, when listed (devices list numbers instead, see [`EntryKind`]).
    pub size: Option<u64>,
    /// The modification time, with the precision the listing gave.
    pub modified: Option<ListingTime>,
    /// Unix permission bits (`0o7777`: setuid, setgid, sticky, rwx × 3), when known.
    pub permissions: Option<u16>,
    /// The owner, a name or a number as listed.
    pub owner: Option<&'a [u8]>,
    /// The group, a name or a number as listed.
    pub group: Option<&'a [u8]>,
    /// The hard-link count.
    pub links: Option<u64>,
    /// A second part of the name, printed in a column of its own: z/VM (CMS) lists a
    /// file's name and type apart (`PROFILE  EXEC`), and the file is `PROFILE.EXEC`
    /// ([`full_name`](Self::full_name) joins them). `None` in every other format, where
    /// [`name`](Self::name) is the whole name.
    pub name_ext: Option<&'a [u8]>,
    /// The whole line the entry came from (line end removed).
    pub raw: &'a [u8],
}

impl<'a> Entry<'a> {
    /// An entry with only a name and a kind; every other field `None`.
    pub const fn new(name: &'a [u8], kind: EntryKind<'a>, raw: &'a [u8]) -> Self {
        Entry {
            name,
            kind,
            size: None,
            modified: None,
            permissions: None,
            owner: None,
            group: None,
            links: None,
            name_ext: None,
            raw,
        }
    }

    /// The name a command takes: [`name`](Self::name), or `name.ext` when the listing
    /// printed the name in two columns (see [`name_ext`](Self::name_ext)); borrowed
    /// unless it has to be joined.
    pub fn full_name(&self) -> Cow<'a, [u8]> {
        match self.name_ext {
            None => Cow::Borrowed(self.name),
            Some(ext) => {
                let mut joined = Vec::with_capacity(self.name.len() + 1 + ext.len());
                joined.extend_from_slice(self.name);
                joined.push(b'.');
                joined.extend_from_slice(ext);
                Cow::Owned(joined)
            }
        }
    }

    /// The name as text, if it is UTF-8.
    pub fn name_str(&self) -> Option<&'a str> {
        core::str::from_utf8(self.name).ok()
    }

    /// Whether the name is `.` or `..`. Those are returned like any entry (servers differ
    /// in whether they list them, and `.` may carry the directory's own facts); a caller
    /// walking a tree skips them with this.
    pub fn is_self_or_parent(&self) -> bool {
        self.name == b"." || self.name == b".."
    }
}

impl fmt::Debug for Entry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("name", &format_args!("\"{}\"", self.name.escape_ascii()))
            .field("name_ext", &self.name_ext.map(<[u8]>::escape_ascii))
            .field("kind", &self.kind)
            .field("size", &self.size)
            .field("modified", &self.modified)
            .field("permissions", &self.permissions.map(Octal))
            .finish_non_exhaustive()
    }
}

struct Octal(u16);

impl fmt::Debug for Octal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0o{:o}", self.0)
    }
}

/// Why a line carries no entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// An empty line, or one of only spaces and tabs.
    Blank,
    /// `total 112`: the block count `ls -l` prints first.
    Total,
    /// A header or footer a server wraps its listing in (`Directory listing of /x`,
    /// VMS `Directory DISK$USER:[ME]` and `Total of 3 files, 12 blocks.`).
    Header,
    /// The line is the first half of an entry wrapped over two lines (an OpenVMS name too
    /// long for its column); the entry comes with the next line, or, if none continues
    /// it, alone. See [`ListingParser`].
    Continued,
}

/// One line of a listing, classified. See the [module docs](self): nothing is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParsedLine<'a> {
    /// The line lists an entry.
    Entry(Entry<'a>),
    /// The line carries no entry, and is known not to.
    Skipped(SkipReason),
    /// No parser understood the line; here it is, line end removed.
    Unparsed(&'a [u8]),
}

impl<'a> ParsedLine<'a> {
    /// The entry, if the line is one.
    pub fn entry(self) -> Option<Entry<'a>> {
        match self {
            ParsedLine::Entry(e) => Some(e),
            _ => None,
        }
    }
}

/// The lines of a complete listing buffer, each without its `\n` or `\r\n`. A last line
/// without a line end is returned too; the empty text after a final line end is not.
/// (A name that itself ends in CR, the classic Mac `Icon\r`, keeps that CR in a CRLF
/// listing, `Icon\r\r\n`; in a listing of bare LF lines it cannot be told from a line
/// end and is lost.)
///
/// ```
/// let got: Vec<&[u8]> = ftp_core::listing::lines(b"a\r\nb c\n\nd").collect();
/// assert_eq!(got, [&b"a"[..], b"b c", b"", b"d"]);
/// ```
pub fn lines(data: &[u8]) -> Lines<'_> {
    Lines::new(data)
}

/// The iterator returned by [`lines`]: the same line splitting as a reply's.
pub use crate::reply::Lines;

/// A decimal number of ASCII digits only, without overflow.
#[inline]
pub(crate) fn decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    if digits.len() <= 19 {
        // At most 19 digits cannot overflow a u64: no checked arithmetic per digit.
        let mut n = 0u64;
        for &d in digits {
            let v = d.wrapping_sub(b'0');
            if v > 9 {
                return None;
            }
            n = n * 10 + u64::from(v);
        }
        return Some(n);
    }
    digits.iter().try_fold(0u64, |acc, &d| {
        if d.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        } else {
            None
        }
    })
}

/// A small decimal number (a date or time field).
pub(crate) fn small(digits: &[u8]) -> Option<u8> {
    if digits.len() > 3 {
        return None;
    }
    decimal(digits).and_then(|n| u8::try_from(n).ok())
}

/// Byte offsets of whitespace-separated tokens (space and tab), from `from` on.
pub(crate) fn tokens(line: &[u8], from: usize) -> Tokens<'_> {
    Tokens { line, pos: from }
}

/// See [`tokens`].
pub(crate) struct Tokens<'a> {
    line: &'a [u8],
    pos: usize,
}

impl Iterator for Tokens<'_> {
    /// `(start, end)` byte offsets.
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        // A plain index scan: this runs for every column of every line. (Each index is
        // checked against the length first, so the indexing cannot fail.) Tokens and the
        // blanks between them are a few bytes long, so this beats a word-at-a-time scan,
        // whose set-up costs more than it saves.
        let line = self.line;
        let len = line.len();
        let mut start = self.pos;
        while start < len && is_space(line[start]) {
            start += 1;
        }
        let mut end = start;
        while end < len && !is_space(line[end]) {
            end += 1;
        }
        if end == start {
            self.pos = line.len();
            return None;
        }
        self.pos = end;
        Some((start, end))
    }
}

pub(crate) const fn is_space(b: u8) -> bool {
    // Most bytes are above the space: one comparison settles them.
    b <= b' ' && (b == b' ' || b == b'\t')
}

/// A `ParseError` for the conversions of [`ListingTime`].
pub(crate) const TIME_RANGE: ParseError = ParseError::OutOfRange {
    what: "listing time",
};
