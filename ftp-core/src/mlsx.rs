//! MLST and MLSD entries (RFC 3659 §7).
//!
//! ```text
//! type=file;size=1024;modify=20201213202400;perm=adfrw; report; final.txt
//! ```
//!
//! An entry is a list of facts, each `name=value;`, then exactly one space, then the
//! path name, which may itself contain `;`, `=` and spaces (everything after that space
//! is the name, leading and trailing spaces included). Fact names are case-insensitive.
//! A line that starts with a space has no facts. MLSD sends one entry per data-channel
//! line; MLST sends one inside a multi-line control reply, indented by one space.
//!
//! Deviations real servers send are accepted where the line stays unambiguous:
//! * a fact with an empty value (`Size=;`) is present but carries nothing: the typed field
//!   stays `None`;
//! * a tab instead of the space before the name;
//! * a last fact without its `;` (`type=file name`, servers that implemented the drafts
//!   before mlst-07): the fact runs to the first blank, which must come before any `;`,
//!   and its value must not be empty.

use core::fmt;

use crate::error::ParseError;
use crate::reply::{Reply, strip_line_end};
use crate::time::FtpTime;

/// The `type` fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryType<'a> {
    /// `type=file`.
    File,
    /// `type=dir`.
    Dir,
    /// `type=cdir`: the listed directory itself.
    Cdir,
    /// `type=pdir`: a parent of the listed directory.
    Pdir,
    /// `type=OS.unix=slink:target` (or `symlink`), the target if the server gave one; also
    /// the non-standard `type=link` and `type=symlink`.
    Symlink {
        /// The link target, when present after `:`.
        target: Option<&'a [u8]>,
    },
    /// Another `OS.`-prefixed type (`OS.unix=blk`, …), the whole value.
    OsSpecific(&'a [u8]),
    /// Any other value, as sent.
    Other(&'a [u8]),
}

impl<'a> EntryType<'a> {
    #[inline]
    pub(crate) fn parse(value: &'a [u8]) -> Self {
        const SLINK: &[u8] = b"os.unix=slink";
        const SYMLINK: &[u8] = b"os.unix=symlink";
        let lower_starts = |prefix: &[u8]| {
            value.len() >= prefix.len() && value[..prefix.len()].eq_ignore_ascii_case(prefix)
        };
        // The usual values, as servers spell them.
        match value {
            b"file" => return EntryType::File,
            b"dir" => return EntryType::Dir,
            b"cdir" => return EntryType::Cdir,
            b"pdir" => return EntryType::Pdir,
            _ => {}
        }
        if value.eq_ignore_ascii_case(b"file") {
            EntryType::File
        } else if value.eq_ignore_ascii_case(b"dir") {
            EntryType::Dir
        } else if value.eq_ignore_ascii_case(b"cdir") {
            EntryType::Cdir
        } else if value.eq_ignore_ascii_case(b"pdir") {
            EntryType::Pdir
        } else if value.eq_ignore_ascii_case(b"link") || value.eq_ignore_ascii_case(b"symlink") {
            // Not RFC 3659, but what some servers send for a symlink whose target they hide.
            EntryType::Symlink { target: None }
        } else if lower_starts(SYMLINK) || lower_starts(SLINK) {
            let len = if lower_starts(SYMLINK) {
                SYMLINK.len()
            } else {
                SLINK.len()
            };
            let target = value[len..].strip_prefix(b":").filter(|t| !t.is_empty());
            EntryType::Symlink { target }
        } else if lower_starts(b"os.") {
            EntryType::OsSpecific(value)
        } else {
            EntryType::Other(value)
        }
    }
}

/// One MLST/MLSD entry, borrowed from the line. Facts the entry did not carry are `None`;
/// any fact is also reachable by name through [`fact`](MlsxEntry::fact).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MlsxEntry<'a> {
    /// The path name, exactly as sent (may contain spaces and `;`).
    pub name: &'a [u8],
    /// The raw facts section, up to and including the last `;`.
    pub facts: &'a [u8],
    /// `type`.
    pub kind: Option<EntryType<'a>>,
    /// `size` (or pure-ftpd's `sizd` for directories).
    pub size: Option<u64>,
    /// `modify`.
    pub modify: Option<FtpTime>,
    /// `create`.
    pub create: Option<FtpTime>,
    /// `perm`: the permission letters (`a c d e f l m p r w`).
    pub perm: Option<&'a [u8]>,
    /// `unique`: an identifier of the file on the server.
    pub unique: Option<&'a [u8]>,
    /// `UNIX.mode`, octal.
    pub unix_mode: Option<u32>,
    /// `UNIX.uid`.
    pub unix_uid: Option<u32>,
    /// `UNIX.gid`.
    pub unix_gid: Option<u32>,
    /// `UNIX.owner` (a name or a number, as the server chose).
    pub unix_owner: Option<&'a [u8]>,
    /// `UNIX.group` (a name or a number, as the server chose).
    pub unix_group: Option<&'a [u8]>,
}

impl<'a> MlsxEntry<'a> {
    /// Every fact as `(name, value)`, in order.
    pub fn fact_pairs(&self) -> Facts<'a> {
        Facts { rest: self.facts }
    }

    /// The value of the fact `name` (case-insensitive), if present.
    pub fn fact(&self, name: &str) -> Option<&'a [u8]> {
        self.fact_pairs()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }
}

impl fmt::Debug for MlsxEntry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MlsxEntry")
            .field("name", &format_args!("\"{}\"", self.name.escape_ascii()))
            .field("kind", &self.kind)
            .field("size", &self.size)
            .field("modify", &self.modify)
            .field("facts", &format_args!("\"{}\"", self.facts.escape_ascii()))
            .finish()
    }
}

/// The `(name, value)` facts of an entry. See [`MlsxEntry::fact_pairs`].
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Facts<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        // The facts section was validated when the entry was parsed.
        let (pair, rest) = fact(self.rest).or_else(|| unterminated(self.rest))?;
        self.rest = rest;
        Some(pair)
    }
}

/// A fact's name and value.
type NameValue<'a> = (&'a [u8], &'a [u8]);

/// One `name=value;` fact at the start of `input`, and what follows it. The name has no
/// `=`, `;` or space and is not empty; the value runs to the next `;`. A plain byte scan:
/// this runs once per fact of every MLSD line.
fn fact(input: &[u8]) -> Option<(NameValue<'_>, &[u8])> {
    // Two tight scans (the name up to `=`, the value up to `;`): facts are short, so this
    // beats memchr, whose set-up costs more than the scan.
    let eq = input
        .iter()
        .position(|&b| matches!(b, b'=' | b';' | b' ' | b'\t'))?;
    if eq == 0 || input.get(eq) != Some(&b'=') {
        return None;
    }
    let name = input.get(..eq)?;
    let after = input.get(eq + 1..)?;
    let semi = after.iter().position(|&b| b == b';')?;
    Some(((name, after.get(..semi)?), after.get(semi + 1..)?))
}

/// A last fact without its `;` (pre-mlst-07 servers): `name=value` up to the first blank
/// (or the end), with no `;` in it and a value that is not empty.
fn unterminated(input: &[u8]) -> Option<(NameValue<'_>, &[u8])> {
    let end = input
        .iter()
        .position(|b| is_blank(*b))
        .unwrap_or(input.len());
    let (item, rest) = input.split_at(end);
    if item.contains(&b';') {
        return None;
    }
    let eq = memchr::memchr(b'=', item)?;
    let (name, value) = item.split_at(eq);
    let value = value.get(1..)?;
    if name.is_empty() || value.is_empty() {
        return None;
    }
    Some(((name, value), rest))
}

/// A line that starts with blanks has no facts (RFC 3659: the name follows the one space
/// after the facts), unless what follows the blanks is itself a fact list: `;`-terminated
/// `name=value` facts up to the next blank. Servers (and MLST replies indented by more than
/// one space) send such lines, and a path name that starts with a blank and then reads as
/// facts is not a name anyone lists; so the blanks are an indent, and are skipped.
fn skip_indent(line: &[u8]) -> &[u8] {
    if !line.first().copied().is_some_and(is_blank) {
        return line;
    }
    let start = line
        .iter()
        .position(|b| !is_blank(*b))
        .unwrap_or(line.len());
    let rest = &line[start..];
    let first = &rest[..rest.iter().position(|b| is_blank(*b)).unwrap_or(rest.len())];
    let facts = first.last() == Some(&b';') && fact(first).is_some();
    if facts && first.len() < rest.len() {
        rest
    } else {
        line
    }
}

/// The separator before the name: a space, or a tab some servers send.
const fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

#[inline]
pub(crate) fn decimal(value: &[u8], what: &'static str) -> Result<u64, ParseError> {
    if value.is_empty() {
        return Err(ParseError::Malformed { what });
    }
    if value.len() <= 19 {
        // At most 19 digits cannot overflow a u64: no checked arithmetic per digit.
        let mut n = 0u64;
        for &d in value {
            let v = d.wrapping_sub(b'0');
            if v > 9 {
                return Err(ParseError::Malformed { what });
            }
            n = n * 10 + u64::from(v);
        }
        return Ok(n);
    }
    if !value.iter().all(u8::is_ascii_digit) {
        return Err(ParseError::Malformed { what });
    }
    value
        .iter()
        .try_fold(0u64, |acc, d| {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .ok_or(ParseError::OutOfRange { what })
}

pub(crate) fn octal(value: &[u8]) -> Result<u32, ParseError> {
    let what = "the UNIX.mode fact";
    if value.is_empty() || value.len() > 11 || !value.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return Err(ParseError::Malformed { what });
    }
    let mode = value
        .iter()
        .fold(0u64, |acc, d| acc * 8 + u64::from(d - b'0'));
    u32::try_from(mode).map_err(|_| ParseError::OutOfRange { what })
}

/// What [`scan`] hands each fact to: a closure, or a reader of its own (whose method is
/// then inlined at each place the scan calls it, the fact known there).
pub(crate) trait Reader<'a> {
    fn fact(&mut self, fact: Fact, value: Value<'a>) -> Result<(), ParseError>;
}

impl<'a, F: FnMut(Fact, Value<'a>) -> Result<(), ParseError>> Reader<'a> for F {
    #[inline(always)]
    fn fact(&mut self, fact: Fact, value: Value<'a>) -> Result<(), ParseError> {
        self(fact, value)
    }
}

/// A fact's value as [`scan`] hands it over: its bytes, and what the scan already read
/// from them (the number of a `size`, `UNIX.uid`, `UNIX.gid` or `UNIX.mode` of up to
/// eight digits, a `modify` time), so that the readers below do not read it twice.
#[derive(Clone, Copy)]
pub(crate) struct Value<'a> {
    pub bytes: &'a [u8],
    number: Option<u64>,
    time: Option<FtpTime>,
}

impl<'a> Value<'a> {
    const fn of(bytes: &'a [u8]) -> Self {
        Value {
            bytes,
            number: None,
            time: None,
        }
    }

    /// [`decimal`] of the value.
    #[inline(always)]
    pub(crate) fn decimal(self, what: &'static str) -> Result<u64, ParseError> {
        match self.number {
            Some(n) => Ok(n),
            None => decimal(self.bytes, what),
        }
    }

    /// [`octal`] of the value.
    #[inline(always)]
    pub(crate) fn octal(self) -> Result<u32, ParseError> {
        match self.number {
            // (At most eight octal digits: no overflow.)
            Some(n) => Ok(n as u32),
            None => octal(self.bytes),
        }
    }

    /// The value as a `u32` (`UNIX.uid`, `UNIX.gid`).
    #[inline(always)]
    pub(crate) fn small(self, what: &'static str) -> Result<u32, ParseError> {
        u32::try_from(self.decimal(what)?).map_err(|_| ParseError::OutOfRange { what })
    }

    /// [`timestamp`] of the value.
    #[inline(always)]
    pub(crate) fn timestamp(self) -> Result<FtpTime, ParseError> {
        match self.time {
            Some(t) => Ok(t),
            None => timestamp(self.bytes),
        }
    }
}

/// Parses one MLSD line (or the entry line of an MLST reply, its leading space removed).
/// A trailing line end is ignored.
///
/// ```
/// use ftp_core::mlsx::{parse_entry, EntryType};
///
/// let e = parse_entry(b"type=file;size=1024;modify=20201213202400; report; final.txt\r\n")?;
/// assert_eq!(e.name, b"report; final.txt");
/// assert_eq!(e.kind, Some(EntryType::File));
/// assert_eq!(e.size, Some(1024));
/// assert_eq!(e.modify.unwrap().year(), 2020);
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse_entry(line: &[u8]) -> Result<MlsxEntry<'_>, ParseError> {
    parse_entry_with(line, &mut Names::default())
}

/// The raw values of the facts a listing entry shows as owner and group, gathered in the
/// same pass as the typed ones (see [`crate::listing::mlsd`]).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Names<'a> {
    pub ownername: Option<&'a [u8]>,
    pub groupname: Option<&'a [u8]>,
    pub uid: Option<&'a [u8]>,
    pub gid: Option<&'a [u8]>,
}

/// [`parse_entry`], also filling `names`.
pub(crate) fn parse_entry_with<'a>(
    line: &'a [u8],
    names: &mut Names<'a>,
) -> Result<MlsxEntry<'a>, ParseError> {
    let mut entry = MlsxEntry {
        name: &[],
        facts: &[],
        kind: None,
        size: None,
        modify: None,
        create: None,
        perm: None,
        unique: None,
        unix_mode: None,
        unix_uid: None,
        unix_gid: None,
        unix_owner: None,
        unix_group: None,
    };
    let (facts, name) = scan(line, |fact, value: Value<'a>| {
        let bytes = value.bytes;
        match fact {
            Fact::Type => entry.kind = Some(EntryType::parse(bytes)),
            Fact::Size => entry.size = Some(value.decimal("the size fact")?),
            Fact::Sizd if entry.size.is_none() => {
                entry.size = Some(value.decimal("the sizd fact")?);
            }
            Fact::Perm => entry.perm = Some(bytes),
            Fact::Modify => entry.modify = Some(value.timestamp()?),
            Fact::Create => entry.create = Some(value.timestamp()?),
            Fact::Unique => entry.unique = Some(bytes),
            Fact::UnixMode => entry.unix_mode = Some(value.octal()?),
            Fact::UnixUid => {
                entry.unix_uid = Some(value.small("the UNIX.uid fact")?);
                names.uid = Some(bytes);
            }
            Fact::UnixGid => {
                entry.unix_gid = Some(value.small("the UNIX.gid fact")?);
                names.gid = Some(bytes);
            }
            Fact::UnixOwner => entry.unix_owner = Some(bytes),
            Fact::UnixGroup => entry.unix_group = Some(bytes),
            Fact::UnixOwnerName => names.ownername = Some(bytes),
            Fact::UnixGroupName => names.groupname = Some(bytes),
            Fact::Sizd | Fact::Other => {}
        }
        Ok(())
    })?;
    entry.facts = facts;
    entry.name = name;
    Ok(entry)
}

/// The facts this crate reads, recognised by name (case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fact {
    Type,
    Size,
    Sizd,
    Perm,
    Modify,
    Create,
    Unique,
    UnixMode,
    UnixUid,
    UnixGid,
    UnixOwner,
    UnixGroup,
    UnixOwnerName,
    UnixGroupName,
    Other,
}

/// Up to eight bytes of a name as a little-endian word, zero-padded: a `const` key.
const fn key(name: &[u8], from: usize) -> u64 {
    let mut word = 0u64;
    let mut i = 0;
    while i < 8 && from + i < name.len() {
        word |= (name[from + i] as u64) << (8 * i);
        i += 1;
    }
    word
}

/// Eight copies of `b`.
const fn splat(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

const LOW_BITS: u64 = splat(0x01);
const HIGH_BITS: u64 = splat(0x80);

/// ASCII upper-case letters to lower case, eight bytes at once (other bytes unchanged).
const fn fold(word: u64) -> u64 {
    let seven = word & !HIGH_BITS;
    let above_z = seven.wrapping_add(splat(0x7f - b'Z'));
    let from_a = seven.wrapping_add(splat(0x80 - b'A'));
    let upper = from_a & !above_z & !word & HIGH_BITS;
    word | (upper >> 2)
}

/// The bytes of `word` equal to `b`, flagged by their high bit: the lowest flag is the
/// first such byte (flags above a true one may be false).
const fn bytes_equal(word: u64, b: u8) -> u64 {
    let x = word ^ splat(b);
    x.wrapping_sub(LOW_BITS) & !x & HIGH_BITS
}

/// The bytes of `word` that end a fact's name (`=`, `;`, a blank), flagged as by
/// [`bytes_equal`].
const fn name_ends(word: u64) -> u64 {
    bytes_equal(word, b'=')
        | bytes_equal(word, b';')
        | bytes_equal(word, b' ')
        | bytes_equal(word, b'\t')
}

/// The low `n` bytes of `word` (n < 8).
const fn low_bytes(word: u64, n: u32) -> u64 {
    word & low_mask(n)
}

/// The name of the fact starting at `start`: where it stops (at `=`, `;`, a blank or the
/// end of the line) and which fact it is. Eight bytes are examined at once, and the same
/// words give the (case-folded) key.
fn fact_name(line: &[u8], start: usize) -> (usize, Fact) {
    let mut words = [0u64; 2];
    let mut at = start;
    for slot in &mut words {
        let Some(chunk) = line.get(at..at + 8) else {
            break;
        };
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let ends = name_ends(word);
        if ends != 0 {
            let n = ends.trailing_zeros() / 8;
            *slot = low_bytes(word, n);
            let stop = at + n as usize;
            return (stop, Fact::of(stop - start, words));
        }
        *slot = word;
        at += 8;
    }
    // Near the end of the line, or a long name: byte by byte.
    while let Some(&b) = line.get(at)
        && !matches!(b, b'=' | b';' | b' ' | b'\t')
    {
        if let Some(slot) = words.get_mut((at - start) / 8) {
            *slot |= u64::from(b) << (8 * ((at - start) % 8));
        }
        at += 1;
    }
    (at, Fact::of(at - start, words))
}

impl Fact {
    /// The fact named by `len` bytes, given as two little-endian words (zero-padded).
    fn of(len: usize, words: [u64; 2]) -> Fact {
        const TYPE: u64 = key(b"type", 0);
        const SIZE: u64 = key(b"size", 0);
        const SIZD: u64 = key(b"sizd", 0);
        const PERM: u64 = key(b"perm", 0);
        const MODIFY: u64 = key(b"modify", 0);
        const CREATE: u64 = key(b"create", 0);
        const UNIQUE: u64 = key(b"unique", 0);
        const UID: u64 = key(b"unix.uid", 0);
        const GID: u64 = key(b"unix.gid", 0);
        const MODE_0: u64 = key(b"unix.mode", 0);
        const MODE_8: u64 = key(b"unix.mode", 8);
        const OWNER_0: u64 = key(b"unix.owner", 0);
        const OWNER_8: u64 = key(b"unix.owner", 8);
        const GROUP_0: u64 = key(b"unix.group", 0);
        const GROUP_8: u64 = key(b"unix.group", 8);
        const OWNERNAME_8: u64 = key(b"unix.ownername", 8);
        const GROUPNAME_8: u64 = key(b"unix.groupname", 8);
        let [first, second] = words;
        match len {
            4 => match fold(first) {
                TYPE => Fact::Type,
                SIZE => Fact::Size,
                SIZD => Fact::Sizd,
                PERM => Fact::Perm,
                _ => Fact::Other,
            },
            6 => match fold(first) {
                MODIFY => Fact::Modify,
                CREATE => Fact::Create,
                UNIQUE => Fact::Unique,
                _ => Fact::Other,
            },
            8 => match fold(first) {
                UID => Fact::UnixUid,
                GID => Fact::UnixGid,
                _ => Fact::Other,
            },
            9 | 10 | 14 => match (len, fold(first), fold(second)) {
                (9, MODE_0, MODE_8) => Fact::UnixMode,
                (10, OWNER_0, OWNER_8) => Fact::UnixOwner,
                (10, GROUP_0, GROUP_8) => Fact::UnixGroup,
                (14, OWNER_0, OWNERNAME_8) => Fact::UnixOwnerName,
                (14, GROUP_0, GROUPNAME_8) => Fact::UnixGroupName,
                _ => Fact::Other,
            },
            _ => Fact::Other,
        }
    }
}

/// The word of the eight bytes at `at`, if the line goes on that far.
#[inline(always)]
fn word_at(line: &[u8], at: usize) -> Option<u64> {
    // (Not `get(at..at + 8)`, which also checks `at + 8` for overflow.)
    let bytes = line.get(at..)?.first_chunk::<8>()?;
    Some(u64::from_le_bytes(*bytes))
}

/// The facts this crate reads, recognised with their `=` by comparing case-folded words:
/// which fact, and where its value starts. `None` for any other name, or near the end of
/// the line; the byte-wise reading ([`slow_fact`]) then decides.
#[inline(always)]
fn known_fact(line: &[u8], start: usize) -> Option<(Fact, usize)> {
    const TYPE: u64 = key(b"type=", 0);
    const SIZE: u64 = key(b"size=", 0);
    const SIZD: u64 = key(b"sizd=", 0);
    const PERM: u64 = key(b"perm=", 0);
    const MODIFY: u64 = key(b"modify=", 0);
    const CREATE: u64 = key(b"create=", 0);
    const UNIQUE: u64 = key(b"unique=", 0);
    const UNIX: u64 = key(b"unix.", 0);
    const UID: u64 = key(b"unix.uid", 0);
    const GID: u64 = key(b"unix.gid", 0);
    const MODE: u64 = key(b"unix.mod", 0);
    const OWN: u64 = key(b"unix.own", 0);
    const GRO: u64 = key(b"unix.gro", 0);
    const EQ: u64 = key(b"=", 0);
    const E_EQ: u64 = key(b"e=", 0);
    const ER_EQ: u64 = key(b"er=", 0);
    const UP_EQ: u64 = key(b"up=", 0);
    const ERNAME_EQ: u64 = key(b"ername=", 0);
    const UPNAME_EQ: u64 = key(b"upname=", 0);
    // Setting bit 5 of every byte folds the letters of a name to lower case; it also maps
    // a few control bytes onto `=` and `.`, which are checked for real below.
    let word = word_at(line, start)? | splat(0x20);
    let (fact, len) = match word & low_mask(5) {
        TYPE => (Fact::Type, 5),
        SIZE => (Fact::Size, 5),
        PERM => (Fact::Perm, 5),
        SIZD => (Fact::Sizd, 5),
        UNIX if line.get(start + 4) == Some(&b'.') => {
            let next = word_at(line, start + 8)? | splat(0x20);
            match (
                word,
                next & low_mask(1),
                next & low_mask(2),
                next & low_mask(3),
            ) {
                (UID, EQ, _, _) => (Fact::UnixUid, 9),
                (GID, EQ, _, _) => (Fact::UnixGid, 9),
                (MODE, _, E_EQ, _) => (Fact::UnixMode, 10),
                (OWN, _, _, ER_EQ) => (Fact::UnixOwner, 11),
                (GRO, _, _, UP_EQ) => (Fact::UnixGroup, 11),
                (OWN, _, _, _) if next & low_mask(7) == ERNAME_EQ => (Fact::UnixOwnerName, 15),
                (GRO, _, _, _) if next & low_mask(7) == UPNAME_EQ => (Fact::UnixGroupName, 15),
                _ => return None,
            }
        }
        _ => match word & low_mask(7) {
            MODIFY => (Fact::Modify, 7),
            UNIQUE => (Fact::Unique, 7),
            CREATE => (Fact::Create, 7),
            _ => return None,
        },
    };
    let value = start + len;
    (line.get(value - 1) == Some(&b'=')).then_some((fact, value))
}

/// The first `;` at or after `from`, a word at a time.
#[inline(always)]
fn semicolon(line: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(word) = word_at(line, at) {
        let found = bytes_equal(word, b';');
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = line.get(at..)?;
    tail.iter().position(|&b| b == b';').map(|i| at + i)
}

/// The low `n` bytes (n < 8) of a word, as a mask.
const fn low_mask(n: u32) -> u64 {
    (1u64 << (8 * n)) - 1
}

/// The first `needle` in `haystack`, eight bytes at a time.
#[inline]
fn find_byte(needle: u8, haystack: &[u8]) -> Option<usize> {
    let pattern = splat(needle);
    let mut chunks = haystack.chunks_exact(8);
    let mut at = 0;
    for chunk in chunks.by_ref() {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])) ^ pattern;
        // A zero byte of `word` is a match; the lowest flagged byte is the first one.
        let zero = word.wrapping_sub(LOW_BITS) & !word & HIGH_BITS;
        if zero != 0 {
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == needle)
        .map(|i| at + i)
}

/// The fact at `start` read byte by byte (what [`known_fact`] leaves): which fact, where
/// its value is, and where the next fact starts.
#[inline(never)]
fn slow_fact(
    line: &[u8],
    start: usize,
) -> Result<(Fact, core::ops::Range<usize>, usize), ParseError> {
    let (eq, fact) = fact_name(line, start);
    let semi = (eq > start && line.get(eq) == Some(&b'='))
        .then(|| find_byte(b';', line.get(eq + 1..).unwrap_or_default()))
        .flatten();
    Ok(match semi {
        Some(semi) => (fact, eq + 1..eq + 1 + semi, eq + 2 + semi),
        None => {
            // A last fact without its `;` (see the module docs): its name is the one read,
            // or the line is malformed.
            let rest = line.get(start..).unwrap_or_default();
            let (_, after) = unterminated(rest).ok_or(ParseError::Malformed {
                what: "MLSx facts (each must be name=value;)",
            })?;
            let end = line.len() - after.len();
            (fact, eq + 1..end, end)
        }
    })
}

/// Splits an entry line into its facts and its name, calling `each` with every fact this
/// crate reads that has a value, in order; the errors are [`parse_entry`]'s. Returns the
/// facts section and the name.
pub(crate) fn scan<'a>(
    line: &'a [u8],
    mut each: impl Reader<'a>,
) -> Result<(&'a [u8], &'a [u8]), ParseError> {
    let line = skip_indent(strip_line_end(line));
    let mut pos = 0;
    loop {
        if let Some(next) = quick_fact(line, pos, &mut each)? {
            pos = next;
            continue;
        }
        match line.get(pos) {
            Some(&first) if !is_blank(first) => {}
            _ => break,
        }
        let known = known_fact(line, pos)
            .and_then(|(fact, value)| Some((fact, value, semicolon(line, value)?)));
        let (fact, value, next) = match known {
            Some((fact, value, semi)) => (fact, value..semi, semi + 1),
            None => slow_fact(line, pos)?,
        };
        pos = next;
        // (`Size=;`: the fact is there but says nothing.)
        if fact != Fact::Other && !value.is_empty() {
            each.fact(fact, Value::of(line.get(value).unwrap_or_default()))?;
        }
    }
    split_name(line, pos)
}

/// The facts section (`..pos`) and the name after the blank at `pos`.
fn split_name(line: &[u8], pos: usize) -> Result<(&[u8], &[u8]), ParseError> {
    let facts = line.get(..pos).unwrap_or_default();
    let rest = line.get(pos..).unwrap_or_default();
    let name = rest
        .strip_prefix(b" ")
        .or_else(|| rest.strip_prefix(b"\t"))
        .ok_or(ParseError::Missing {
            what: "the space between MLSx facts and the name",
        })?;
    if name.is_empty() {
        return Err(ParseError::Missing {
            what: "an MLSx entry name",
        });
    }
    Ok((facts, name))
}

/// The facts servers send most, in the shapes they send them, read straight from the words
/// they start with, value and all: `each` is called as [`scan`] calls it, and the result
/// is where the next fact starts. `None` (before any call) for anything else: another
/// fact, a value of another shape, the end of the line near; the general reading then
/// decides, and decides the same.
#[inline(always)]
fn quick_fact<'a, F>(line: &'a [u8], pos: usize, each: &mut F) -> Result<Option<usize>, ParseError>
where
    F: Reader<'a>,
{
    const fn head(name: &[u8; 4]) -> u32 {
        u32::from_le_bytes(*name)
    }
    const TYPE: u32 = head(b"type");
    const SIZE: u32 = head(b"size");
    const PERM: u32 = head(b"perm");
    const MODI: u32 = head(b"modi");
    const UNIQ: u32 = head(b"uniq");
    const UNIX: u32 = head(b"unix");
    const MODE: u32 = head(b"mode");
    const OWNE: u32 = head(b"owne");
    const GROU: u32 = head(b"grou");
    const UID: u32 = head(b"uid=");
    const GID: u32 = head(b"gid=");
    // Bit 5 set where the name has a letter, and only there: a letter then matches in
    // either case, and `=` and `.` match only themselves.
    const LETTERS: u32 = 0x2020_2020;
    const LETTERS_EQ: u32 = 0x0020_2020;
    let Some(word) = word_at(line, pos) else {
        return Ok(None);
    };
    let byte = |word: u64, i: u32| (word >> (8 * i)) as u8;
    let letter = |word: u64, i: u32| byte(word, i) | 0x20;
    match word as u32 | LETTERS {
        TYPE if byte(word, 4) == b'=' => quick_bytes(Fact::Type, line, pos + 5, each),
        SIZE if byte(word, 4) == b'=' => quick_number(Fact::Size, 10, line, pos + 5, each),
        PERM if byte(word, 4) == b'=' => quick_bytes(Fact::Perm, line, pos + 5, each),
        MODI if letter(word, 4) == b'f' && letter(word, 5) == b'y' && byte(word, 6) == b'=' => {
            quick_time(Fact::Modify, line, pos + 7, each)
        }
        UNIQ if letter(word, 4) == b'u' && letter(word, 5) == b'e' && byte(word, 6) == b'=' => {
            quick_bytes(Fact::Unique, line, pos + 7, each)
        }
        UNIX if byte(word, 4) == b'.' => {
            let Some(word) = word_at(line, pos + 5) else {
                return Ok(None);
            };
            match word as u32 | LETTERS {
                MODE if byte(word, 4) == b'=' => {
                    quick_number(Fact::UnixMode, 8, line, pos + 10, each)
                }
                OWNE if letter(word, 4) == b'r' && byte(word, 5) == b'=' => {
                    quick_bytes(Fact::UnixOwner, line, pos + 11, each)
                }
                GROU if letter(word, 4) == b'p' && byte(word, 5) == b'=' => {
                    quick_bytes(Fact::UnixGroup, line, pos + 11, each)
                }
                _ => match word as u32 | LETTERS_EQ {
                    UID => quick_number(Fact::UnixUid, 10, line, pos + 9, each),
                    GID => quick_number(Fact::UnixGid, 10, line, pos + 9, each),
                    _ => Ok(None),
                },
            }
        }
        _ => Ok(None),
    }
}

/// [`quick_fact`]: a value up to the next `;`.
#[inline(always)]
fn quick_bytes<'a, F>(
    fact: Fact,
    line: &'a [u8],
    value: usize,
    each: &mut F,
) -> Result<Option<usize>, ParseError>
where
    F: Reader<'a>,
{
    let Some(semi) = semicolon(line, value) else {
        return Ok(None);
    };
    if semi > value {
        each.fact(fact, Value::of(line.get(value..semi).unwrap_or_default()))?;
    }
    Ok(Some(semi + 1))
}

/// [`quick_fact`]: up to eight digits in `base` (10, or 8 for `UNIX.mode`), then `;`,
/// read as one word.
#[inline(always)]
fn quick_number<'a, F>(
    fact: Fact,
    base: u64,
    line: &'a [u8],
    value: usize,
    each: &mut F,
) -> Result<Option<usize>, ParseError>
where
    F: Reader<'a>,
{
    let Some(word) = word_at(line, value) else {
        return Ok(None);
    };
    let digits = word ^ splat(b'0');
    let len = (not_digits(digits, base).trailing_zeros() / 8) as usize;
    if line.get(value + len) != Some(&b';') {
        return Ok(None);
    }
    if len > 0 {
        // The digits to the top of the word, behind zeros: the same number.
        let number = eight_digits(digits << (64 - 8 * len as u32), base);
        let bytes = line.get(value..value + len).unwrap_or_default();
        each.fact(
            fact,
            Value {
                bytes,
                number: Some(number),
                time: None,
            },
        )?;
    }
    Ok(Some(value + len + 1))
}

/// The bytes of `digits` (a word of ASCII text with `0` taken away by `^ splat(b'0')`)
/// that are no digit in `base` (at most 10), flagged by their high bit: the lowest flag is
/// the first such byte (a carry out of a byte only leaves a flagged one).
const fn not_digits(digits: u64, base: u64) -> u64 {
    (digits.wrapping_add(splat(0x80 - base as u8)) | digits) & HIGH_BITS
}

/// Eight digits in `base` (values below it, the first in the lowest byte) as one number:
/// pairs, then fours, then all eight.
const fn eight_digits(digits: u64, base: u64) -> u64 {
    let pairs = (digits * base + (digits >> 8)) & 0x00ff_00ff_00ff_00ff;
    let fours = (pairs * (base * base) + (pairs >> 16)) & 0x0000_ffff_0000_ffff;
    (fours.wrapping_mul(base * base * base * base) + (fours >> 32)) & 0xffff_ffff
}

/// [`quick_fact`]: a `modify` time, if it reads as one; else the general reading gives
/// its error (or, for `modify=;`, nothing).
#[inline(always)]
fn quick_time<'a, F>(
    fact: Fact,
    line: &'a [u8],
    value: usize,
    each: &mut F,
) -> Result<Option<usize>, ParseError>
where
    F: Reader<'a>,
{
    // The usual `YYYYMMDDHHMMSS;`, from two words (the second overlaps: `DDhhmmss`).
    if line.get(value + 14) == Some(&b';')
        && let (Some(date), Some(time)) = (word_at(line, value), word_at(line, value + 6))
        && let (Some(date), Some(time)) = (pairs(date), pairs(time))
        && let Ok(time) = time_of(date, time)
    {
        let bytes = line.get(value..value + 14).unwrap_or_default();
        each.fact(
            fact,
            Value {
                bytes,
                number: None,
                time: Some(time),
            },
        )?;
        return Ok(Some(value + 15));
    }
    // A valid time has 14 digits before any `;`, so the first `;` is at or after them.
    let Some(semi) = semicolon(line, value + 14) else {
        return Ok(None);
    };
    let bytes = line.get(value..semi).unwrap_or_default();
    let Ok(time) = timestamp(bytes) else {
        return Ok(None);
    };
    each.fact(
        fact,
        Value {
            bytes,
            number: None,
            time: Some(time),
        },
    )?;
    Ok(Some(semi + 1))
}

/// `modify` and `create`: `YYYYMMDDHHMMSS[.fff]` read eight digits at a time (fractions
/// of up to nine digits), anything else (longer fractions, errors) by [`FtpTime::parse`],
/// which gives the same value.
#[inline(always)]
pub(crate) fn timestamp(value: &[u8]) -> Result<FtpTime, ParseError> {
    // The second word overlaps the first: `DDhhmmss`.
    if let (Some(date), Some(time)) = (value.get(..8), value.get(6..14))
        && (value.len() == 14 || (value.get(14) == Some(&b'.') && value.len() <= 24))
    {
        let date = u64::from_le_bytes(date.try_into().unwrap_or([0; 8]));
        let time = u64::from_le_bytes(time.try_into().unwrap_or([0; 8]));
        let fraction = value.get(15..).unwrap_or_default();
        if let (Some(date), Some(time)) = (pairs(date), pairs(time))
            && (value.len() == 14 || (!fraction.is_empty() && fraction.len() <= 9))
        {
            let whole = time_of(date, time);
            if value.len() == 14 {
                return whole;
            }
            let mut nanos = 0u32;
            for &d in fraction {
                let v = d.wrapping_sub(b'0');
                if v > 9 {
                    return FtpTime::parse(value);
                }
                nanos = nanos * 10 + u32::from(v);
            }
            let scale = 10u32.pow(9 - fraction.len() as u32);
            return whole?.with_nanosecond(nanos * scale, fraction.len() as u8);
        }
    }
    FtpTime::parse(value)
}

/// The time of `YYYYMMDD` and `DDhhmmss` read by [`pairs`].
#[inline(always)]
fn time_of(date: u64, time: u64) -> Result<FtpTime, ParseError> {
    let pair = |word: u64, i: u32| ((word >> (16 * i)) & 0xff) as u8;
    FtpTime::new(
        u16::from(pair(date, 0)) * 100 + u16::from(pair(date, 1)),
        pair(date, 2),
        pair(date, 3),
        pair(time, 1),
        pair(time, 2),
        pair(time, 3),
    )
}

/// Eight ASCII digits as four two-digit numbers, one per 16-bit lane (in text order), or
/// `None` if any byte is not a digit.
const fn pairs(word: u64) -> Option<u64> {
    let digits = word ^ splat(b'0');
    if not_digits(digits, 10) != 0 {
        return None;
    }
    // Little-endian: the first digit of a pair is the lower byte.
    Some((digits * 10 + (digits >> 8)) & 0x00ff_00ff_00ff_00ff)
}

/// Parses the entry of an MLST reply (`250-Listing x` / ` facts name` / `250 End`): the
/// first line after the opening one that starts with a space.
pub fn parse_mlst_reply<'a>(reply: &Reply<'a>) -> Result<MlsxEntry<'a>, ParseError> {
    let line = reply
        .lines()
        .skip(1)
        .find(|l| l.first() == Some(&b' '))
        .ok_or(ParseError::Missing {
            what: "the MLST entry line",
        })?;
    parse_entry(&line[1..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn names_keep_spaces_and_semicolons() {
        let e = parse_entry(b"type=file;size=1;   leading").unwrap();
        assert_eq!(e.name, b"  leading");
        let e = parse_entry(b" only a name").unwrap();
        assert_eq!(e.name, b"only a name");
        assert_eq!(e.facts, b"");
        // Blanks before a fact list are an indent, not an empty fact list.
        let e = parse_entry(b"     Type=file;Size=3;Modify=20230328150158.830; a b").unwrap();
        assert_eq!((e.name, e.size), (&b"a b"[..], Some(3)));
        assert_eq!(e.kind, Some(EntryType::File));
        let e = parse_entry(b" Type=file;Size=42; magic").unwrap();
        assert_eq!(e.name, b"magic");
        // What does not read as facts stays the name.
        let e = parse_entry(b"  a=b c").unwrap();
        assert_eq!(e.name, b" a=b c");
        let e = parse_entry(b"  type=file;").unwrap();
        assert_eq!(e.name, b" type=file;");
        let e = parse_entry(b"Type=OS.unix=slink:/a b;UNIX.mode=0777; link").unwrap();
        assert_eq!(
            e.kind,
            Some(EntryType::Symlink {
                target: Some(b"/a b")
            })
        );
        assert_eq!(e.unix_mode, Some(0o777));
        assert_eq!(e.fact("unix.MODE"), Some(&b"0777"[..]));
    }

    #[test]
    fn malformed() {
        assert!(parse_entry(b"type=file;size=1;").is_err());
        assert!(parse_entry(b"type=file;size=1; ").is_err());
        assert!(parse_entry(b"type=file;size=1;x=;y z").is_err());
        assert!(parse_entry(b"Type= missing value").is_err());
        assert!(parse_entry(b"/no/space").is_err());
        assert!(parse_entry(b"type;size=1; x").is_err());
        assert!(parse_entry(b"size=x1; x").is_err());
        assert!(parse_entry(b"modify=2020; x").is_err());
        assert!(parse_entry(b"").is_err());
    }

    #[test]
    fn deviations_real_servers_send() {
        let e = parse_entry(b"Size=;type=file; /empty/size").unwrap();
        assert_eq!((e.size, e.kind), (None, Some(EntryType::File)));
        assert_eq!(e.fact("size"), Some(&b""[..]));
        let e = parse_entry(b"size=12;type=file;\tname with  spaces").unwrap();
        assert_eq!((e.name, e.size), (&b"name with  spaces"[..], Some(12)));
        let e = parse_entry(b"type=file;size=3 77 no trailing semicolon").unwrap();
        assert_eq!(e.name, b"77 no trailing semicolon");
        assert_eq!((e.kind, e.size), (Some(EntryType::File), Some(3)));
        assert_eq!(e.fact_pairs().count(), 2);
    }

    #[test]
    fn word_reading_agrees_with_byte_reading() {
        let names = [
            "type",
            "TYPE",
            "Type",
            "size",
            "Size",
            "sizd",
            "perm",
            "PERM",
            "modify",
            "Modify",
            "create",
            "unique",
            "UNIX.mode",
            "unix.MODE",
            "UNIX.uid",
            "UNIX.gid",
            "UNIX.owner",
            "unix.group",
            "UNIX.ownername",
            "UNIX.groupname",
            "lang",
            "media-type",
            "typ",
            "types",
            "unix.modes",
            "unix-mode",
            "t\x1dpe",
            "type\x1d",
            "unix\x0emode",
            "UNIX.own",
            "x",
            "sizd\x1d",
            "modify\x1d",
            "UNIX.uid\x1d",
        ];
        let values = [
            "file",
            "",
            "20201213202400",
            "a=b",
            "OS.unix=slink:/x y",
            "0644",
            "12345678901234567890",
        ];
        for name in names {
            for value in values {
                for tail in ["; n", ";x=y; n", ";"] {
                    let line = alloc::format!("{name}={value}{tail}");
                    let line = line.as_bytes();
                    let quick = known_fact(line, 0)
                        .and_then(|(fact, value)| Some((fact, value, semicolon(line, value)?)));
                    if let Some((fact, value, semi)) = quick {
                        let slow = slow_fact(line, 0).unwrap();
                        assert_eq!(
                            (fact, value..semi, semi + 1),
                            slow,
                            "{}",
                            line.escape_ascii()
                        );
                    }
                }
            }
        }
    }

    /// The facts a scan passed on, in order.
    type Seen<'a> = Vec<(Fact, &'a [u8])>;

    /// [`scan`] as it reads without [`quick_fact`] and [`known_fact`]: byte by byte.
    fn scan_bytewise(line: &[u8]) -> Result<(Seen<'_>, &[u8], &[u8]), ParseError> {
        let line = skip_indent(strip_line_end(line));
        let mut pos = 0;
        let mut facts = Vec::new();
        while let Some(&first) = line.get(pos)
            && !is_blank(first)
        {
            let (fact, value, next) = slow_fact(line, pos)?;
            pos = next;
            if fact != Fact::Other && !value.is_empty() {
                facts.push((fact, &line[value]));
            }
        }
        let (section, name) = split_name(line, pos)?;
        Ok((facts, section, name))
    }

    /// What the readers make of a value: its bytes, and its number or time where the fact
    /// has one.
    type Read<'a> = (
        Fact,
        &'a [u8],
        Option<Result<u64, ParseError>>,
        Option<Result<FtpTime, ParseError>>,
    );

    fn read(fact: Fact, value: Value<'_>) -> Read<'_> {
        let number = match fact {
            Fact::Size | Fact::UnixUid | Fact::UnixGid => Some(value.decimal("a number")),
            Fact::UnixMode => Some(value.octal().map(u64::from)),
            _ => None,
        };
        let time = matches!(fact, Fact::Modify | Fact::Create).then(|| value.timestamp());
        (fact, value.bytes, number, time)
    }

    fn scan_read<'a>(
        line: &'a [u8],
        seen: &mut Vec<Read<'a>>,
    ) -> Result<(&'a [u8], &'a [u8]), ParseError> {
        scan(line, |fact, value: Value<'a>| {
            seen.push(read(fact, value));
            Ok(())
        })
    }

    #[test]
    fn quick_reading_agrees_with_byte_reading() {
        let names = [
            "type",
            "TYPE",
            "tYpE",
            "size",
            "Size",
            "perm",
            "PERM",
            "modify",
            "MODIFY",
            "Modify",
            "unique",
            "UNIQUE",
            "UNIX.mode",
            "unix.MODE",
            "UNIX.owner",
            "UNIX.OWNER",
            "UNIX.group",
            "UNIX.uid",
            "unix.UID",
            "UNIX.gid",
            "UNIX.ownername",
            "UNIX.groupname",
            "sizd",
            "create",
            "typ",
            "types",
            "sizes",
            "modifx",
            "modif",
            "uniqu",
            "unix.mod",
            "unix.modes",
            "unix.uidx",
            "unix.own",
            "unix.grou",
            "t\x1dpe",
            "type\x1d",
            "modify\x1d",
            "modi\x06y",
            "unix\x0emode",
            "unix.uid\x1d",
            "unix.ui\x04",
            "unix.owne\x12",
            "x",
        ];
        let values = [
            "",
            "0",
            "7",
            "12",
            "123",
            "1234",
            "12345",
            "123456",
            "1234567",
            "12345678",
            "123456789",
            "18446744073709551615",
            "99999999999999999999",
            "00000000",
            "1x",
            "x1",
            "12:",
            "1/3",
            ":",
            "/",
            "1 2",
            "file",
            "dir",
            "OS.unix=slink:/a",
            "20201213202400",
            "20201213202400.5",
            "20201213202400.123456789",
            "20201213202400.1234567891",
            "20201213202400.",
            "2020121320240",
            "202012132024001",
            "20201313202400",
            "20200230202400",
            "20201213202400Z",
            "2020;213202400",
            "20201213202;00",
            "a=b",
            "0644",
            "0999",
            "0778",
            "8",
            "17777777",
            "777777777",
            "37777777777",
            "40000000000",
        ];
        let tails = ["; n", ";", ";x=y; n", ";size=5;type=dir; n", " n", ""];
        let mut lines = Vec::new();
        for name in names {
            for value in values {
                for tail in tails {
                    lines.push(alloc::format!("{name}={value}{tail}"));
                }
                lines.push(alloc::format!("size=1;{name}={value}; n"));
                lines.push(alloc::format!("{name}={value};{name}=2; n"));
                lines.push(alloc::format!("{name}={value};modify=20201213202400; n"));
                lines.push(alloc::format!("type=file;{name}={value};perm=r; n"));
            }
        }
        for line in &lines {
            let line = line.as_bytes();
            let mut quick = Vec::new();
            let got = scan_read(line, &mut quick);
            let want = scan_bytewise(line);
            let want_facts: Vec<Read<'_>> = match &want {
                Ok((facts, _, _)) => facts.iter().map(|&(f, v)| read(f, Value::of(v))).collect(),
                Err(_) => Vec::new(),
            };
            let want = want.map(|(_, section, name)| (section, name));
            assert_eq!(got, want, "{}", line.escape_ascii());
            if got.is_ok() {
                assert_eq!(quick, want_facts, "{}", line.escape_ascii());
            }
        }
    }

    #[test]
    fn timestamps_read_as_ftp_time_parse_reads_them() {
        let values = [
            "20201213202400",
            "19700101000000",
            "99991231235960",
            "20240229120000",
            "20230229120000",
            "20201313202400",
            "2020121320240",
            "202012132024000",
            "2020121320240a",
            "20201213202400.1",
            "20201213202400.123456789",
            "20201213202400.1234567891",
            "20201213202400.",
            "20201213202400.12a",
            "20201213202400Z",
            "/0201213202400",
            ":0201213202400",
            "20201213202400 ",
        ];
        for value in values {
            assert_eq!(
                timestamp(value.as_bytes()),
                FtpTime::parse(value.as_bytes()),
                "{value}"
            );
        }
    }

    #[test]
    fn mlst_reply() {
        let raw = b"250-Listing /x\r\n type=dir;perm=el; /x\r\n250 End\r\n";
        let reply = Reply::new(crate::ReplyCode::FILE_ACTION_OK, raw, true, false);
        let e = parse_mlst_reply(&reply).unwrap();
        assert_eq!(e.name, b"/x");
        assert_eq!(e.kind, Some(EntryType::Dir));
        assert_eq!(e.perm, Some(&b"el"[..]));
    }
}
