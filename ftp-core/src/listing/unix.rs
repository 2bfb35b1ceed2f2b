//! Unix `ls -l` lines, as most FTP servers send for LIST.
//!
//! ```text
//! -rw-r--r--   1 owner    group       531 Jan 29 03:26 README
//! lrwxrwxrwx   1 root     other         7 Jan 25  2016 bin -> usr/bin
//! crw-rw-rw-   1 root     sys       13, 2 Mar  1 12:00 null
//! drwxr-xr-x+  5 niels    staff         7 2005-04-08 11:22 data
//! ```
//!
//! Mode (ten characters, optionally followed by `+` (ACL), `.` (SELinux) or `@` (macOS
//! extended attributes)), then up to "links owner group" (any of which servers omit),
//! then the size (or `major, minor` for devices), the date, and the name. The name is
//! everything after the one space that follows the date, so leading, trailing and repeated
//! spaces stay part of it; for a symlink (`l`) the first ` -> ` separates the target.
//!
//! The fields before the size are found by locating the date first, because owner and group
//! names may contain spaces (Cygwin's `Domain Users`), and the date is the first run of
//! tokens that reads as one (see [`date`] for the forms) right after a number.

use super::date::{self, TimeContext};
use super::{Entry, EntryKind, decimal, tokens};

/// At most this many tokens between the mode and the date are examined. Owner and group
/// with spaces take a few; a line with more is not `ls -l`.
const MAX_FIELDS: usize = 24;

/// Parses one `ls -l` line (line end already removed). `None` if it is not one.
///
/// ```
/// use ftp_core::FtpTime;
/// use ftp_core::listing::{unix, EntryKind, TimeContext};
///
/// let ctx = TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0)?);
/// let e = unix::parse(b"lrwxrwxrwx 1 root other 7 Jan 25 00:17 my bin -> usr/bin", &ctx).unwrap();
/// assert_eq!(e.name, b"my bin");
/// assert_eq!(e.kind, EntryKind::Symlink { target: Some(b"usr/bin") });
/// assert_eq!(e.permissions, Some(0o777));
/// assert_eq!(e.modified.unwrap().wall_clock().year(), 2024);
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse<'a>(line: &'a [u8], ctx: &TimeContext) -> Option<Entry<'a>> {
    let mut toks = tokens(line, 0);
    let (m0, m1) = toks.next()?;
    let (type_char, permissions, glued_links) = mode(line.get(m0..m1)?)?;
    if glued_links.is_none()
        && matches!(type_char, b'-' | b'd' | b'l')
        && let Some(e) = classic(line, m1, ctx, type_char, permissions)
    {
        return Some(e);
    }

    scan(line, ctx, toks, type_char, permissions, glued_links)
}

/// The general scan: see [`parse`].
fn scan<'a>(
    line: &'a [u8],
    ctx: &TimeContext,
    mut toks: super::Tokens<'a>,
    type_char: u8,
    permissions: u16,
    glued_links: Option<u64>,
) -> Option<Entry<'a>> {
    // One left-to-right scan: each column is kept (the ones before the date are the
    // links, owner, group and size), and the date is looked for where it may start. The
    // first date (after a size) with a year up to next year wins, so an owner named `jan`
    // with group `20` and size `4096` is not read as the date `Jan 20 4096`; failing that,
    // the first date with any year, so a file really dated 2100 is still an entry.
    let mut fields = [(0usize, 0usize); MAX_FIELDS];
    let is_device = matches!(type_char, b'b' | b'c');
    let limit = ctx.now.year().saturating_add(1);
    let mut far_future = None;
    let mut found = None;
    let mut pending = toks.next();
    let mut n = 0;
    while let Some(tok) = pending {
        let Some(slot) = fields.get_mut(n) else {
            break;
        };
        *slot = tok;
        pending = toks.next();
        if n >= 1 {
            let token = line.get(tok.0..tok.1)?;
            let next = pending.and_then(|(a, b)| line.get(a..b));
            if date::may_start_ls_date(token, next)
                && let Some(date) = date::ls_date(line, tok.0, ctx)
                && let Some(size) = size_field(line, fields.get(..=n)?, n, is_device)
            {
                if date.time.wall_clock().year() <= limit {
                    found = Some((date, size));
                    break;
                }
                if far_future.is_none() {
                    far_future = Some((date, size));
                }
            }
        }
        n += 1;
    }
    let (found, size_field) = found.or(far_future)?;
    let SizeField {
        size,
        device,
        glued_group,
        middle_end,
    } = size_field;

    // Links, owner, group: whichever of them the server printed.
    let middle = fields.get(..middle_end)?;
    let text = |&(a, b): &(usize, usize)| line.get(a..b);
    let span = |from: &[(usize, usize)]| {
        let first = from.first()?;
        let last = from.last()?;
        line.get(first.0..last.1)
    };
    let mut links = glued_links;
    let mut people = middle;
    if let Some(first) = middle.first().and_then(text) {
        if let Some(count) = decimal(first).filter(|_| middle.len() >= 2 || glued_links.is_none()) {
            if glued_links.is_none() {
                links = Some(count);
                people = middle.get(1..)?;
            }
        } else if first.first().is_some_and(u8::is_ascii_digit)
            && first.iter().any(u8::is_ascii_alphabetic)
        {
            // `1ftp`: a link count glued to the owner is a corrupt line, not a user name.
            return None;
        }
    }
    let (owner, group) = match people {
        [] => (None, glued_group),
        [owner] => (text(owner), glued_group),
        [owner, group] => (text(owner), text(group)),
        [first, rest @ ..] => match columns(people) {
            // `john smith     test group`: the padding between columns is wider than the
            // one space inside a name, so it says where the owner ends.
            Columns2::Two(split) => (span(people.get(..split)?), span(people.get(split..)?)),
            // Single spaces throughout: nothing tells the columns apart; the owner is
            // one word (user names rarely hold a space, Windows group names often do).
            Columns2::One => (text(first), span(rest)),
            // More columns than `ls` prints between the links and the size.
            Columns2::More => return None,
        },
    };

    finish(
        line,
        type_char,
        Columns {
            permissions,
            size,
            device,
            links,
            owner,
            group,
        },
        &found,
    )
}

/// How the tokens between the link count and the size group into columns.
enum Columns2 {
    /// One column: every token is one space from the next.
    One,
    /// Two columns; the second starts at this token.
    Two(usize),
    /// Three or more.
    More,
}

/// Groups `tokens` into columns: `ls` pads between columns, so a gap of two or more
/// blanks separates columns while a single space may sit inside a name (`Domain Users`).
fn columns(tokens: &[(usize, usize)]) -> Columns2 {
    let mut split = None;
    for (i, pair) in tokens.windows(2).enumerate() {
        if let [(_, end), (start, _)] = pair
            && start.saturating_sub(*end) >= 2
        {
            if split.is_some() {
                return Columns2::More;
            }
            split = Some(i + 1);
        }
    }
    split.map_or(Columns2::One, Columns2::Two)
}

/// The columns before the date, read.
struct Columns<'a> {
    permissions: u16,
    size: Option<u64>,
    device: (Option<u32>, Option<u32>),
    links: Option<u64>,
    owner: Option<&'a [u8]>,
    group: Option<&'a [u8]>,
}

/// The entry: the name after the date, the kind from the mode, the columns as read.
fn finish<'a>(
    line: &'a [u8],
    type_char: u8,
    columns: Columns<'a>,
    found: &date::LsDate,
) -> Option<Entry<'a>> {
    let Columns {
        permissions,
        size,
        device,
        links,
        owner,
        group,
    } = columns;
    // The name starts after the one space that ends the date (two after a left-aligned
    // year, which is padded on the right).
    let mut start = found.end;
    let skip = if found.padded {
        line.get(start..)?
            .iter()
            .take_while(|b| super::is_space(**b))
            .count()
            .max(1)
    } else if found.left_aligned_year && line.get(start..start + 2).is_some_and(|s| s == b"  ") {
        2
    } else {
        1
    };
    start += skip;
    // A name of only blanks is a line cut after the date, not a file named " ".
    let name_and_target = line
        .get(start..)
        .filter(|n| !n.iter().all(|b| super::is_space(*b)))?;

    let (name, kind) = match type_char {
        b'd' => (name_and_target, EntryKind::Dir),
        b'l' => match find(name_and_target, b" -> ") {
            Some(at) => (
                name_and_target.get(..at)?,
                EntryKind::Symlink {
                    target: name_and_target.get(at + 4..).filter(|t| !t.is_empty()),
                },
            ),
            None => (name_and_target, EntryKind::Symlink { target: None }),
        },
        b'b' => (
            name_and_target,
            EntryKind::BlockDevice {
                major: device.0,
                minor: device.1,
            },
        ),
        b'c' => (
            name_and_target,
            EntryKind::CharDevice {
                major: device.0,
                minor: device.1,
            },
        ),
        b'p' => (name_and_target, EntryKind::Pipe),
        b's' => (name_and_target, EntryKind::Socket),
        // `f` (some Windows servers), `a` (Plan 9 append-only).
        b'-' | b'f' | b'a' => (name_and_target, EntryKind::File),
        _ => (name_and_target, EntryKind::Other),
    };
    if name.is_empty() {
        return None;
    }
    Some(Entry {
        name,
        kind,
        size,
        modified: Some(found.time),
        permissions: Some(permissions),
        owner,
        group,
        links,
        name_ext: None,
        raw: line,
    })
}

/// The shape nearly every server sends for a file, directory or symlink: `mode links
/// owner group size Mon dd HH:MM|YYYY name`, read column by column without the general
/// search. It answers only when the general scan would find the same date at the same
/// column (none of owner, group and size can start a date, the date's year is not past
/// next year), so the result is the same; otherwise `None`, and the general scan runs.
fn classic<'a>(
    line: &'a [u8],
    mode_end: usize,
    ctx: &TimeContext,
    type_char: u8,
    permissions: u16,
) -> Option<Entry<'a>> {
    let mut cols = [(0usize, 0usize); 7];
    let mut toks = tokens(line, mode_end);
    for slot in &mut cols {
        *slot = toks.next()?;
    }
    let text = |(a, b): (usize, usize)| line.get(a..b);
    let [links, owner, group, size, month, day, time] = cols;
    let links = decimal(text(links)?)?;
    let size_text = text(size)?;
    let size = decimal(size_text)?;
    let (owner, group) = (text(owner)?, text(group)?);
    // (The size, all digits, cannot start a date here: a digits-only token starts one
    // only as `month day` or `day month` followed by a time or a year, and what follows
    // is the English month and its day.)
    if date::may_start_ls_date(owner, Some(group))
        || date::may_start_ls_date(group, Some(size_text))
    {
        return None;
    }
    let found = date::english_date_at(line, month, day, time, ctx)?;
    if found.time.wall_clock().year() > ctx.now.year().saturating_add(1) {
        return None;
    }
    finish(
        line,
        type_char,
        Columns {
            permissions,
            size: Some(size),
            device: (None, None),
            links: Some(links),
            owner: Some(owner),
            group: Some(group),
        },
        &found,
    )
}

/// What the column(s) before the date say.
struct SizeField<'a> {
    size: Option<u64>,
    device: (Option<u32>, Option<u32>),
    /// A group glued to the size (`longgroup123456`).
    glued_group: Option<&'a [u8]>,
    /// Where the links/owner/group fields end.
    middle_end: usize,
}

/// The size for a date at field `date_at`: a number, `major, minor` for devices (one token
/// `13,2` or two `13,` `2`), a negative number (a 32-bit overflow on the server: unknown),
/// an `ls -h` size, or a group glued to the size.
fn size_field<'a>(
    line: &'a [u8],
    fields: &[(usize, usize)],
    date_at: usize,
    is_device: bool,
) -> Option<SizeField<'a>> {
    let middle_end = date_at.checked_sub(1)?;
    let &(s0, s1) = fields.get(middle_end)?;
    let size_tok = line.get(s0..s1)?;
    let mut out = SizeField {
        size: None,
        device: (None, None),
        glued_group: None,
        middle_end,
    };
    if let Some(s) = decimal(size_tok) {
        let prev = middle_end
            .checked_sub(1)
            .and_then(|i| fields.get(i))
            .and_then(|&(a, b)| line.get(a..b));
        match prev.and_then(|p| p.strip_suffix(b",")).and_then(decimal) {
            Some(major) if is_device => {
                out.device = (u32::try_from(major).ok(), u32::try_from(s).ok());
                out.middle_end = middle_end.checked_sub(1)?;
            }
            _ => out.size = Some(s),
        }
    } else if is_device {
        let comma = size_tok.iter().position(|b| *b == b',')?;
        let major = decimal(size_tok.get(..comma)?)?;
        let minor = decimal(size_tok.get(comma + 1..)?)?;
        out.device = (u32::try_from(major).ok(), u32::try_from(minor).ok());
    } else if let Some(digits) = size_tok.strip_prefix(b"-")
        && decimal(digits).is_some()
    {
        // Unknown size.
    } else if let Some(human) = human_size(size_tok) {
        out.size = Some(human);
    } else {
        let digits = size_tok
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let group_len = size_tok.len().checked_sub(digits)?;
        if digits == 0 || !size_tok.first().is_some_and(u8::is_ascii_alphabetic) {
            return None;
        }
        out.size = Some(decimal(size_tok.get(group_len..)?)?);
        out.glued_group = size_tok.get(..group_len);
    }
    Some(out)
}

/// Whether `token` reads as an `ls -l` mode, the check auto-detection uses.
pub fn looks_like_mode(token: &[u8]) -> bool {
    mode(token).is_some()
}

/// `drwxr-xr-x` and its suffixes: the type character, the permission bits, and a link
/// count glued on when the count is too wide for its column (`drwxr-x---+1464`).
fn mode(token: &[u8]) -> Option<(u8, u16, Option<u64>)> {
    let (&type_char, rest) = token.split_first()?;
    // `-` file, `f` file (some Windows servers), `d` `l` `b` `c` `p` `s`, `D` (Solaris door),
    // `n` (HP-UX network special).
    if !matches!(
        type_char,
        b'-' | b'd' | b'l' | b'b' | b'c' | b'p' | b's' | b'f' | b'a' | b'D' | b'n'
    ) {
        return None;
    }
    let (perms, tail) = (rest.get(..9)?, rest.get(9..)?);
    let bits = match plain_bits(perms) {
        Some(bits) => bits,
        None => all_bits(perms)?,
    };
    let tail = match tail.first() {
        Some(b'+' | b'.' | b'@') => tail.get(1..)?,
        _ => tail,
    };
    let links = if tail.is_empty() {
        None
    } else {
        Some(decimal(tail)?)
    };
    Some((type_char, bits, links))
}

/// The nine permission characters with every letter `ls` may print (setuid, sticky,
/// mandatory locking, …).
fn all_bits(perms: &[u8]) -> Option<u16> {
    let mut bits = 0u16;
    for (i, &c) in perms.iter().enumerate() {
        // Which triplet (user, group, other) and which letter in it.
        let shift = 6 - 3 * (i / 3) as u16;
        let special = match i / 3 {
            0 => 0o4000,
            1 => 0o2000,
            _ => 0o1000,
        };
        bits |= match (i % 3, c) {
            (_, b'-') => 0,
            (0, b'r') => 4 << shift,
            (1, b'w') => 2 << shift,
            (2, b'x') => 1 << shift,
            (2, b's') if i < 6 => special | 1 << shift,
            (2, b'S') if i < 6 => special,
            (2, b't') if i == 8 => special | 1 << shift,
            (2, b'T') if i == 8 => special,
            // Mandatory locking (`l`/`L` in the group execute column): setgid, no x.
            (2, b'l' | b'L') if i == 5 => special,
            _ => return None,
        };
    }
    Some(bits)
}

/// The nine permission characters when each is `-` or the letter `ls` prints for that bit
/// (`rwxr-x---`): the bits, read without the special cases (`s`, `t`, `l`, …).
fn plain_bits(perms: &[u8]) -> Option<u16> {
    let perms: &[u8; 9] = perms.try_into().ok()?;
    let mut bits = 0u16;
    for (&c, &letter) in perms.iter().zip(b"rwxrwxrwx") {
        bits <<= 1;
        if c == letter {
            bits |= 1;
        } else if c != b'-' {
            return None;
        }
    }
    Some(bits)
}

/// `33.5k`, `9.0M`: `ls -h` sizes (binary multiples), truncated to whole bytes. The exact
/// size is lost on the server side; this is the best the line says.
fn human_size(token: &[u8]) -> Option<u64> {
    let (&unit, number) = token.split_last()?;
    let shift = match unit.to_ascii_uppercase() {
        b'K' => 10,
        b'M' => 20,
        b'G' => 30,
        b'T' => 40,
        _ => return None,
    };
    let (whole, fraction) = match number.iter().position(|b| *b == b'.') {
        Some(dot) => (number.get(..dot)?, number.get(dot + 1..)?),
        None => (number, &b""[..]),
    };
    if fraction.len() > 3 {
        return None;
    }
    let scale = 10u64.pow(fraction.len() as u32);
    let fraction = if fraction.is_empty() {
        0
    } else {
        decimal(fraction)?
    };
    let tenths = decimal(whole)?.checked_mul(scale)?.checked_add(fraction)?;
    tenths.checked_mul(1 << shift).map(|b| b / scale)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FtpTime;
    use crate::listing::Precision;

    fn ctx() -> TimeContext {
        TimeContext::new(FtpTime::new(2017, 3, 10, 23, 0, 0).unwrap())
    }

    fn p(line: &str) -> Entry<'_> {
        parse(line.as_bytes(), &ctx()).unwrap_or_else(|| panic!("no entry: {line}"))
    }

    #[test]
    fn spaces_stay_in_names() {
        let e = p("-rwxr-xr-x    3 110      1002    1234567 Dec 02  2009  foo bar ");
        assert_eq!(e.name, b" foo bar ");
        assert_eq!(e.size, Some(1234567));
        assert_eq!(e.links, Some(3));
        assert_eq!(e.owner, Some(&b"110"[..]));
        let e = p("drwxr-xr-x   2 user group  4096 Mar  2 15:13   zxbox");
        assert_eq!(e.name, b"  zxbox");
        // A left-aligned year is padded after, not before.
        let e = p("-rw-r--r-- 1 ftp ftp 5 Feb 18 2005  D3I0_515.fmr");
        assert_eq!(e.name, b"D3I0_515.fmr");
        let e = p("-r--r--r--    1 23   23   1234567 Jan 1  2000 01 1234 foo.mp3");
        assert_eq!(e.name, b"01 1234 foo.mp3");
    }

    #[test]
    fn owner_and_group_variants() {
        let e = p("drwxr-xr-x               folder        0 Aug 15 05:49 !!!-Tipp des Haus!");
        assert_eq!(
            (e.links, e.owner, e.group),
            (None, Some(&b"folder"[..]), None)
        );
        let e = p("-rw-r--r--   1 1        3518644 May 25 12:12 std");
        assert_eq!(
            (e.links, e.owner, e.size),
            (Some(1), Some(&b"1"[..]), Some(3518644))
        );
        let e = p("drwx------ 4 maxm Domain Users 512 Oct 2 10:59 .metadata");
        assert_eq!(e.group, Some(&b"Domain Users"[..]));
        // Padding wider than one space separates owner from group, names with spaces
        // included; a third padded column is not `ls -l`.
        let e = p("drwxr-xr-x   2 john smith     test group         4096 Mar  2 15:13 zxbox");
        assert_eq!(
            (e.owner, e.group),
            (Some(&b"john smith"[..]), Some(&b"test group"[..]))
        );
        let e = p("drwxr-xr-x   2 john smith     group         4096 Mar  2 15:13 zxbox");
        assert_eq!(
            (e.owner, e.group),
            (Some(&b"john smith"[..]), Some(&b"group"[..]))
        );
        let e = p("drwx------ 4 maxm  Domain Users 512 Oct 2 10:59 .metadata");
        assert_eq!(
            (e.owner, e.group),
            (Some(&b"maxm"[..]), Some(&b"Domain Users"[..]))
        );
        assert!(
            parse(
                b"----rwxr-x   1 PEP      0  xx        422 Mar 24 14:06 readme",
                &ctx()
            )
            .is_none()
        );
        let e = p("drwxr-x---+1464 chrism   chrism     41472 Feb 25 13:17 20090225");
        assert_eq!(e.links, Some(1464));
        assert_eq!(e.owner, Some(&b"chrism"[..]));
        assert!(
            parse(
                b"-rw-r--r--   1ftp       nogroup    126552 Jan 22  2001 x",
                &ctx()
            )
            .is_none()
        );
    }

    #[test]
    fn kinds_and_modes() {
        let e = p("crw-r----- 1 root kmem 0, 27 Jan 30 11:42 kmem");
        assert_eq!(
            e.kind,
            EntryKind::CharDevice {
                major: Some(0),
                minor: Some(27)
            }
        );
        assert_eq!(e.size, None);
        assert_eq!(e.group, Some(&b"kmem"[..]));
        let e = p("crw-------   1 root     sys      109,767 Jul  2  2004 pci@1c,600000:devctl");
        assert_eq!(
            e.kind,
            EntryKind::CharDevice {
                major: Some(109),
                minor: Some(767)
            }
        );
        let e = p("-rwsrwSr-T 1 dkocher dkocher         0 Sep  6 22:27 t");
        assert_eq!(e.permissions, Some(0o7764));
        let e = p("lrwxrwxrwx 1 sss 7 Nov 2 2015 bin");
        assert_eq!(e.kind, EntryKind::Symlink { target: None });
        let e = p("-rwxrw-r--+  1 521      101         2080 May 21 10:53 data.csv");
        assert_eq!(e.permissions, Some(0o764));
        assert!(parse(b"Zrwxrwxrwx   1 root other 7 Jan 25 00:17 bin", &ctx()).is_none());
        assert!(parse(b"dxrwr-xr-x   2 root root 4096 Aug 24  2001 zxjdbc", &ctx()).is_none());
    }

    /// The general scan alone (what `parse` does when `classic` declines).
    fn general(line: &[u8]) -> Option<Entry<'_>> {
        let ctx = ctx();
        let mut toks = tokens(line, 0);
        let (m0, m1) = toks.next()?;
        let (type_char, permissions, _) = mode(line.get(m0..m1)?)?;
        classic(line, m1, &ctx, type_char, permissions)?;
        // `classic` answered: hide it to get the general answer.
        scan(line, &ctx, toks, type_char, permissions, None)
    }

    #[test]
    fn classic_shape_answers_as_the_general_scan() {
        let lines = [
            "-rw-r--r--    1 1000     1000     10485760 Nov 25 21:14 big.bin",
            "drwxr-xr-x    2 1000     1000         4096 Mar  9 21:14 ftp-rs demo",
            "-rw-r--r--    1 1000     1000        12004 Jan 02  2024 source file.rs",
            "-rw-r--r--    1 1000     1000        12004 Jan 02 2024  padded after",
            "lrwxrwxrwx    1 root     root           17 Mar 14  2023 bin -> usr/bin",
            "-rw-r--r--   1 ftp      ftp        531 Jan 29 03:26  two spaces",
            "-rw-r--r--   1 mary     jan      4096 Mar  5 12:00 x",
            "-rw-r--r--   1 ftp      ftp      999 Dec 31 23:59 late",
            "-rw-r--r--   1 ftp      ftp      999 Jan  1  2100 far",
            "-rw-r--r--   1 ftp      ftp      999 Feb 29 12:00 leap",
            "-rw-r--r--   1 ftp      ftp      999 Feb 30 12:00 bad",
            "-rw-r--r--   1 ftp      ftp      999 Jan 29 3:26 one-digit hour",
            "-rw-r--r--   1 ftp      ftp      999 JAN 29 03:26 upper",
            "lrwxrwxrwx    1 0        0               7 Mar 14  2023 bin -> usr/bin",
            "-rw-r--r--   1 ftp      ftp       12 Jan  5 10:00 small size",
            "-rw-r--r--   1 ftp      ftp        3 Dec 29  2003 smaller",
            "-rw-r--r--   1 3        29      2003 Jan  5 10:00 numeric owner",
            "-rw-r--r--   1 ftp      ftp       31 Feb 29 12:00 leap day",
        ];
        for line in lines {
            let c = ctx();
            let mut toks = tokens(line.as_bytes(), 0);
            let (m0, m1) = toks.next().unwrap();
            let (t, p, _) = mode(&line.as_bytes()[m0..m1]).unwrap();
            if let Some(fast) = classic(line.as_bytes(), m1, &c, t, p) {
                assert_eq!(Some(fast), general(line.as_bytes()), "{line}");
            }
        }
    }

    #[test]
    fn plain_permissions_read_as_the_full_rules() {
        for perms in [
            "rwxrwxrwx",
            "---------",
            "rw-r--r--",
            "rwxr-x---",
            "r--r--r--",
            "-w--w--w-",
            "--x--x--x",
        ] {
            assert_eq!(
                plain_bits(perms.as_bytes()),
                all_bits(perms.as_bytes()),
                "{perms}"
            );
        }
        for perms in [
            "rwsr-xr-x",
            "rwxrwxrwt",
            "rw-r-lr--",
            "rwxrwxrwX",
            "xwrrwxrwx",
        ] {
            assert_eq!(plain_bits(perms.as_bytes()), None, "{perms}");
        }
        assert_eq!(all_bits(b"rwsr-xr-t"), Some(0o5755));
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_size(b"33.5k"), Some(34304));
        assert_eq!(human_size(b"9.0M"), Some(9437184));
        assert_eq!(human_size(b"172.4k"), Some(176537));
        assert_eq!(human_size(b"12"), None);
        assert_eq!(human_size(b".k"), None);
    }

    #[test]
    fn dates() {
        let e = p("-rwxr-xr-x    1 user group        9 Oct 08, 2002 09:47 23-vshell-new file");
        let t = e.modified.unwrap().wall_clock();
        assert_eq!(
            (t.year(), t.hour(), e.name),
            (2002, 9, &b"23-vshell-new file"[..])
        );
        let e = p("-r-xr-xr-x   2 root     other      2235 24-04-2003 17:12 31-datetest file");
        assert_eq!(e.modified.unwrap().wall_clock().month(), 4);
        let e = p("dr-xr-xr-x   2 root     other      2235 26. Juli, 20:10 28-datetest-ger dir");
        assert_eq!(e.modified.unwrap().wall_clock().month(), 7);
        let e = p("-r-xr-xr-x 2 owner group 4512 01-jun-99 47_unix_shortdatemonth file");
        assert_eq!(e.modified.unwrap().wall_clock().year(), 1999);
        let e = p("-rw-r--r--   1 root     other        531 09-26 13:45 06-unix-date file");
        assert_eq!(e.name, b"06-unix-date file");
        let e = p("-rw-r-----   1 neeme neeme   346 2005-04-08 11:22 services.vsp");
        let t = e.modified.unwrap();
        assert_eq!(
            (t.wall_clock().year(), t.precision()),
            (2005, Precision::Minute)
        );
        let e = p("-rw-r--r--   1 root     other        531 3 29 03:26 02-unix-std file");
        assert_eq!(e.name, b"02-unix-std file");
        assert_eq!(e.modified.unwrap().wall_clock().year(), 2016);
        let e = p("-rw-rw---- 1 ep1adm sapsys 0 8月 17日 20:10 caerrinf");
        assert_eq!(e.modified.unwrap().wall_clock().month(), 8);
        // Units in other encodings and orders, and a dotted date padded after.
        let ymd = |line: &[u8]| {
            let e = parse(line, &ctx()).unwrap();
            let t = e.modified.unwrap().wall_clock();
            (e.name.to_vec(), t.year(), t.month(), t.day())
        };
        let day = |name: &[u8], y, m, d| (name.to_vec(), y, m, d);
        assert_eq!(
            ymd(b"-rw-r--r-- 1 root sys 8473  4\x8c\x8e 18\x93\xfa 2003\x94N a file"),
            day(b"a file", 2003, 4, 18)
        );
        assert_eq!(
            ymd("drwxr-xr-x 5 root sys 512 2005년  1월  6일 b dir".as_bytes()),
            day(b"b dir", 2005, 1, 6)
        );
        assert_eq!(
            ymd(b"-rwxrwxrwx 1 root staff 0 2003   3\xed\xef 20 c"),
            day(b"c", 2003, 3, 20)
        );
        assert_eq!(
            ymd(b"-r-xr-xr-x 2 root root 96 2004.07.15   d  e"),
            day(b"d  e", 2004, 7, 15)
        );
        assert!(parse(b"drwxr-xr-x 3 110 1002 3 Dec 02  209 pub", &ctx()).is_none());
        assert!(parse(b"drwxr-xr-x 2 root 99 4096 Feb 23 30:01 zzplayer", &ctx()).is_none());
        // An owner named like a month: the real date is the later one.
        let e = p("-rw-r--r-- 1 jan 20 4096 Mar  5 12:00 x");
        assert_eq!(
            (e.owner, e.group, e.size),
            (Some(&b"jan"[..]), Some(&b"20"[..]), Some(4096))
        );
        let e = p("-rw-r--r-- 1 mary 20 4096 Mar  5 12:00 x");
        assert_eq!(e.owner, Some(&b"mary"[..]));
        // A file really dated far ahead is still an entry.
        let e = p("-rw-r--r-- 1 ftp ftp 12 Jan  1  2100 future");
        assert_eq!(e.modified.unwrap().wall_clock().year(), 2100);
    }
}
