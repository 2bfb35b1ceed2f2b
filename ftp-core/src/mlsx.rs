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
    fn parse(value: &'a [u8]) -> Self {
        const SLINK: &[u8] = b"os.unix=slink";
        const SYMLINK: &[u8] = b"os.unix=symlink";
        let lower_starts = |prefix: &[u8]| {
            value.len() >= prefix.len() && value[..prefix.len()].eq_ignore_ascii_case(prefix)
        };
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

fn decimal(value: &[u8], what: &'static str) -> Result<u64, ParseError> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(ParseError::Malformed { what });
    }
    value
        .iter()
        .try_fold(0u64, |acc, d| {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .ok_or(ParseError::OutOfRange { what })
}

fn small(value: &[u8], what: &'static str) -> Result<u32, ParseError> {
    u32::try_from(decimal(value, what)?).map_err(|_| ParseError::OutOfRange { what })
}

fn octal(value: &[u8]) -> Result<u32, ParseError> {
    let what = "the UNIX.mode fact";
    if value.is_empty() || value.len() > 11 || !value.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return Err(ParseError::Malformed { what });
    }
    let mode = value
        .iter()
        .fold(0u64, |acc, d| acc * 8 + u64::from(d - b'0'));
    u32::try_from(mode).map_err(|_| ParseError::OutOfRange { what })
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
    let line = skip_indent(strip_line_end(line));
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
    // One pass: each fact is checked and, if it is one we type, read.
    let mut rest = line;
    while let Some(&first) = rest.first()
        && !is_blank(first)
    {
        let ((fact_name, value), after) =
            fact(rest)
                .or_else(|| unterminated(rest))
                .ok_or(ParseError::Malformed {
                    what: "MLSx facts (each must be name=value;)",
                })?;
        rest = after;
        if value.is_empty() {
            // `Size=;`: the fact is there but says nothing.
            continue;
        }
        // Dispatch on the length first: one comparison instead of a dozen per fact.
        let is = |n: &[u8]| fact_name.eq_ignore_ascii_case(n);
        match fact_name.len() {
            4 if is(b"type") => entry.kind = Some(EntryType::parse(value)),
            4 if is(b"size") => entry.size = Some(decimal(value, "the size fact")?),
            4 if is(b"sizd") && entry.size.is_none() => {
                entry.size = Some(decimal(value, "the sizd fact")?);
            }
            4 if is(b"perm") => entry.perm = Some(value),
            6 if is(b"modify") => entry.modify = Some(FtpTime::parse(value)?),
            6 if is(b"create") => entry.create = Some(FtpTime::parse(value)?),
            6 if is(b"unique") => entry.unique = Some(value),
            9 if is(b"unix.mode") => entry.unix_mode = Some(octal(value)?),
            8 if is(b"unix.uid") => {
                entry.unix_uid = Some(small(value, "the UNIX.uid fact")?);
                names.uid = Some(value);
            }
            8 if is(b"unix.gid") => {
                entry.unix_gid = Some(small(value, "the UNIX.gid fact")?);
                names.gid = Some(value);
            }
            10 if is(b"unix.owner") => entry.unix_owner = Some(value),
            10 if is(b"unix.group") => entry.unix_group = Some(value),
            14 if is(b"unix.ownername") => names.ownername = Some(value),
            14 if is(b"unix.groupname") => names.groupname = Some(value),
            _ => {}
        }
    }
    entry.facts = &line[..line.len() - rest.len()];
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
    entry.name = name;
    Ok(entry)
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
    fn mlst_reply() {
        let raw = b"250-Listing /x\r\n type=dir;perm=el; /x\r\n250 End\r\n";
        let reply = Reply::new(crate::ReplyCode::FILE_ACTION_OK, raw, true, false);
        let e = parse_mlst_reply(&reply).unwrap();
        assert_eq!(e.name, b"/x");
        assert_eq!(e.kind, Some(EntryType::Dir));
        assert_eq!(e.perm, Some(&b"el"[..]));
    }
}
