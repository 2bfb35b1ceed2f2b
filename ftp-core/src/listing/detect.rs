//! Format detection and the streaming [`ListingParser`].
//!
//! A LIST reply does not say which format it is in. With [`Format::Auto`] every line is
//! tried against each parser, the format of the listing's first entry first (it sticks: one
//! odd line does not switch the listing's format), so a
//! listing that mixes formats (or a server that writes its own header line) still yields
//! every entry it can. The order for a line no format claimed yet: EPLF (starts with `+`),
//! Unix `ls -l` (starts with a mode), DOS (starts with a date), VMS (starts with
//! `NAME;VERSION`), OS/400, NetWare, OS/2, MVS, Connect:Enterprise, HP NonStop, VShell,
//! VxWorks, WfFTP, OS-9, numeric `ls`, z/VM, MLSD (starts with facts).
//! An MLSD line without facts (` name`), or whose facts lack every `;` (`a=b name`, a
//! pre-RFC form), is taken only once MLSD was detected or forced, because in any other
//! listing it is an unknown line, not an entry.
//!
//! Lines that carry no entry are classified after the parsers had their chance, so an entry
//! is never mistaken for a header: blank lines, `total N`, and the headers and footers
//! servers wrap listings in.

use super::date::TimeContext;
use alloc::vec::Vec;

use super::{
    Entry, EntryKind, ParsedLine, SkipReason, connect_enterprise, dos, eplf, hp_nonstop, is_space,
    mlsd, mvs, netware, os2, os9, os400, strip_listing_line_end, unix, unix_numeric, vms, vshell,
    vxworks, wfftp, zvm,
};
use crate::time::FtpTime;

/// A listing format, or [`Format::Auto`] to detect it line by line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Format {
    /// Detect: see the [module docs](self).
    #[default]
    Auto,
    /// Unix `ls -l` ([`unix`]).
    Unix,
    /// DOS / IIS ([`dos`]).
    Dos,
    /// EPLF ([`eplf`]).
    Eplf,
    /// MLSD facts ([`mlsd`]).
    Mlsd,
    /// OpenVMS ([`vms`]).
    Vms,
    /// IBM i / OS/400 ([`os400`]).
    Os400,
    /// MVS / z/OS data sets, members and JES jobs ([`mvs`]). Forcing it also makes a
    /// lone word a member name.
    Mvs,
    /// Novell NetWare ([`netware`]).
    Netware,
    /// OS/2 ([`os2`]).
    Os2,
    /// Sterling Connect:Enterprise ([`connect_enterprise`]).
    ConnectEnterprise,
    /// HP NonStop / Tandem Guardian ([`hp_nonstop`]).
    HpNonStop,
    /// VShell's old format ([`vshell`]).
    Vshell,
    /// VxWorks ([`vxworks`]).
    VxWorks,
    /// Nortel WfFTP ([`wfftp`]).
    WfFtp,
    /// OS-9 ([`os9`]).
    Os9,
    /// Numeric `ls` ([`unix_numeric`]).
    UnixNumeric,
    /// z/VM CMS ([`zvm`]).
    Zvm,
}

impl Format {
    /// Every concrete format (all but [`Format::Auto`]), in the order detection tries them.
    pub const ALL: [Format; 17] = [
        Format::Eplf,
        Format::Unix,
        Format::Dos,
        Format::Vms,
        Format::Os400,
        Format::Netware,
        Format::Os2,
        Format::Mvs,
        Format::ConnectEnterprise,
        Format::HpNonStop,
        Format::Vshell,
        Format::VxWorks,
        Format::WfFtp,
        Format::Os9,
        Format::UnixNumeric,
        Format::Zvm,
        Format::Mlsd,
    ];
}

/// Parses a listing line by line as it arrives. It keeps the format it detected, the
/// time context and, for an OpenVMS entry wrapped over two lines, the first of them;
/// never the listing.
///
/// Each call classifies one line. The result borrows from the line and from the parser,
/// so it is used (or copied) before the next call. Two things take more than one call:
///
/// * An OpenVMS name alone on its line (`LONG_FILE_NAME.TXT;1`, the columns on the next
///   line) comes back [`SkipReason::Continued`]; the next call returns the joined entry.
/// * If the line after such a name does not continue it, the name comes back as an entry
///   with what is known (name and kind), and from then on each call returns the previous
///   line's result (the parser holds one line back; the order is kept).
///
/// So after the last line call [`finish`](Self::finish): it returns what is still held,
/// if anything. Nothing is ever dropped.
///
/// ```
/// use ftp_core::FtpTime;
/// use ftp_core::listing::{Format, ListingParser, ParsedLine, SkipReason};
///
/// let mut p = ListingParser::new(FtpTime::new(2024, 3, 1, 12, 0, 0)?).with_server_offset(60);
/// assert_eq!(p.parse_line(b"total 4\r\n"), ParsedLine::Skipped(SkipReason::Total));
/// let e = p.parse_line(b"04-27-00  09:09PM       <DIR>          pub\r\n").entry().unwrap();
/// assert_eq!(e.name, b"pub");
/// assert_eq!(p.detected(), Some(Format::Dos));
/// assert_eq!(p.parse_line(b"Hello!"), ParsedLine::Unparsed(b"Hello!"));
/// assert_eq!(p.finish(), None);
///
/// let mut p = ListingParser::new(FtpTime::new(2024, 3, 1, 12, 0, 0)?);
/// let held = p.parse_line(b"A_VERY_LONG_FILE_NAME.TXT;1");
/// assert_eq!(held, ParsedLine::Skipped(SkipReason::Continued));
/// let e = p.parse_line(b"    9/9   2-JUN-1998 07:32:04").entry().unwrap();
/// assert_eq!((e.name, e.size), (&b"A_VERY_LONG_FILE_NAME.TXT"[..], Some(4608)));
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingParser {
    core: Core,
    /// A line held back: see [`Held`].
    held: Vec<u8>,
    /// The held line being returned by the current call.
    out: Vec<u8>,
    state: Held,
}

/// What [`ListingParser::held`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// Nothing.
    Nothing,
    /// A VMS name line waiting for its columns.
    Name,
    /// A line whose result the next call returns.
    Line,
}

/// The part of the parser that classifies lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Core {
    format: Format,
    detected: Option<Format>,
    ctx: TimeContext,
}

impl ListingParser {
    /// A detecting parser for a server on UTC; `now` (UTC) resolves dates without a year.
    pub const fn new(now: FtpTime) -> Self {
        ListingParser {
            core: Core {
                format: Format::Auto,
                detected: None,
                ctx: TimeContext::new(now),
            },
            held: Vec::new(),
            out: Vec::new(),
            state: Held::Nothing,
        }
    }

    /// The server's wall clock minus UTC, in minutes (LIST dates are server-local).
    pub const fn with_server_offset(mut self, minutes: i32) -> Self {
        self.core.ctx.server_offset_minutes = minutes;
        self
    }

    /// Replaces the whole time context ("now", server offset, year rule tolerance).
    pub const fn with_time_context(mut self, ctx: TimeContext) -> Self {
        self.core.ctx = ctx;
        self
    }

    /// Forces one format ([`Format::Auto`] restores detection).
    pub const fn with_format(mut self, format: Format) -> Self {
        self.core.format = format;
        self
    }

    /// The format of the first entry, in [`Format::Auto`] mode; the forced format otherwise.
    pub const fn detected(&self) -> Option<Format> {
        match self.core.format {
            Format::Auto => self.core.detected,
            forced => Some(forced),
        }
    }

    /// The "now" and server offset dates are read against.
    pub const fn time_context(&self) -> &TimeContext {
        &self.core.ctx
    }

    /// Classifies one line; a trailing `\n` or `\r\n` is removed first (a CR alone
    /// is part of the line: see [`lines`](super::lines)). See the
    /// [type docs](Self) for the one case where the result is another line's.
    #[inline]
    pub fn parse_line<'a>(&'a mut self, line: &'a [u8]) -> ParsedLine<'a> {
        // Inlined, so that `out` is the caller's own variable: an entry is written where
        // the caller reads it, not copied there (~170 bytes a line).
        let mut out = ParsedLine::Unparsed(line);
        self.parse_line_into(line, &mut out);
        out
    }

    /// [`parse_line`](Self::parse_line) into `out`.
    fn parse_line_into<'a>(&'a mut self, line: &'a [u8], out: &mut ParsedLine<'a>) {
        let line = strip_listing_line_end(line);
        if self.state == Held::Nothing
            && !(self.core.may_wrap() && vms::wrapped_name(line).is_some())
        {
            self.core.classify_into(line, out);
        } else {
            *out = self.parse_held(line);
        }
    }

    /// [`parse_line`](Self::parse_line) where a line is or will be held back.
    #[inline(never)]
    fn parse_held<'a>(&'a mut self, line: &'a [u8]) -> ParsedLine<'a> {
        match self.state {
            Held::Nothing => {
                self.hold(line, Held::Name);
                ParsedLine::Skipped(SkipReason::Continued)
            }
            Held::Name => {
                // (Checked, then built: returning a borrow from one branch only is beyond
                // today's borrow checker.)
                if vms::parse_wrapped(&self.held, line, &self.core.ctx).is_some() {
                    self.state = Held::Nothing;
                    self.core.found(Format::Vms);
                    return vms::parse_wrapped(&self.held, line, &self.core.ctx)
                        .map_or(ParsedLine::Unparsed(line), ParsedLine::Entry);
                }
                // Not continued: the name alone, and this line waits for the next call.
                core::mem::swap(&mut self.held, &mut self.out);
                self.hold(line, Held::Line);
                lone_name(&self.out)
            }
            Held::Line => {
                core::mem::swap(&mut self.held, &mut self.out);
                let previous = &self.out[..];
                if vms::wrapped_name(previous).is_some() && self.core.may_wrap() {
                    if let Some(e) = vms::parse_wrapped(previous, line, &self.core.ctx) {
                        self.state = Held::Nothing;
                        self.core.found(Format::Vms);
                        return ParsedLine::Entry(e);
                    }
                    self.held.clear();
                    self.held.extend_from_slice(line);
                    return lone_name(&self.out);
                }
                self.held.clear();
                self.held.extend_from_slice(line);
                self.core.classify(&self.out)
            }
        }
    }

    /// Ends the listing: the line still held back, if any (see the [type docs](Self)).
    /// The parser can then start on a new listing with the format it detected.
    pub fn finish(&mut self) -> Option<ParsedLine<'_>> {
        let state = core::mem::replace(&mut self.state, Held::Nothing);
        match state {
            Held::Nothing => None,
            Held::Name => Some(lone_name(&self.held)),
            Held::Line if vms::wrapped_name(&self.held).is_some() && self.core.may_wrap() => {
                Some(lone_name(&self.held))
            }
            Held::Line => Some(self.core.classify(&self.held)),
        }
    }

    /// Classifies every line of a complete listing buffer, as [`parse_line`](Self::parse_line)
    /// would line by line, but with results that borrow only `data`, so they can be kept
    /// (collected into a `Vec`, say). A wrapped OpenVMS entry is joined by looking at the
    /// next line of the buffer: it comes back as one entry, with no `Continued` line.
    ///
    /// ```
    /// use ftp_core::FtpTime;
    /// use ftp_core::listing::{ListingParser, ParsedLine};
    ///
    /// let data = b"Directory DISK$USER:[ME]\r\n\r\nA_VERY_LONG_NAME.TXT;1\r\n   9/9  2-JUN-1998 07:32:04\r\nB.DIR;1  1/3  2-JUN-1998 07:32:04\r\n";
    /// let mut p = ListingParser::new(FtpTime::new(2024, 3, 1, 12, 0, 0)?);
    /// let entries: Vec<_> = p.parse_all(data).filter_map(ParsedLine::entry).collect();
    /// assert_eq!(entries.len(), 2);
    /// assert_eq!(entries[0].name, b"A_VERY_LONG_NAME.TXT");
    /// # Ok::<(), ftp_core::ParseError>(())
    /// ```
    pub fn parse_all<'p, 'l>(&'p mut self, data: &'l [u8]) -> ParseAll<'p, 'l> {
        ParseAll {
            core: &mut self.core,
            lines: super::lines(data).peekable(),
        }
    }

    fn hold(&mut self, line: &[u8], state: Held) {
        self.held.clear();
        self.held.extend_from_slice(line);
        self.state = state;
    }
}

/// The iterator of [`ListingParser::parse_all`]: one [`ParsedLine`] per line of the
/// buffer, or one per pair for a wrapped OpenVMS entry.
#[derive(Debug)]
pub struct ParseAll<'p, 'l> {
    core: &'p mut Core,
    lines: core::iter::Peekable<super::Lines<'l>>,
}

impl<'l> Iterator for ParseAll<'_, 'l> {
    type Item = ParsedLine<'l>;

    fn next(&mut self) -> Option<ParsedLine<'l>> {
        let line = strip_listing_line_end(self.lines.next()?);
        if self.core.may_wrap() && vms::wrapped_name(line).is_some() {
            let next = self.lines.peek().map(|l| strip_listing_line_end(l));
            if let Some(e) = next.and_then(|n| vms::parse_wrapped(line, n, &self.core.ctx)) {
                self.lines.next();
                self.core.found(Format::Vms);
                return Some(ParsedLine::Entry(e));
            }
            return Some(lone_name(line));
        }
        Some(self.core.classify(line))
    }
}

/// Whether `line` starts with at least one `;`-terminated fact, the MLSD shape that is
/// safe to detect in a listing of unknown format.
fn strict_facts(line: &[u8]) -> bool {
    let first_blank = line.iter().position(|b| is_space(*b)).unwrap_or(line.len());
    line.get(..first_blank)
        .is_some_and(|facts| facts.contains(&b';'))
}

/// A wrapped VMS name whose columns never came: an entry with what is known.
fn lone_name(line: &[u8]) -> ParsedLine<'_> {
    match vms::wrapped_name(line) {
        Some((name, kind)) => ParsedLine::Entry(Entry::new(name, kind, line)),
        None => ParsedLine::Unparsed(line),
    }
}

impl Core {
    /// Whether a lone VMS name line may be the first half of a wrapped entry here.
    fn may_wrap(&self) -> bool {
        match self.format {
            Format::Vms => true,
            Format::Auto => matches!(self.detected, None | Some(Format::Vms)),
            _ => false,
        }
    }

    fn found(&mut self, format: Format) {
        if self.detected.is_none() {
            self.detected = Some(format);
        }
    }

    fn classify<'l>(&mut self, line: &'l [u8]) -> ParsedLine<'l> {
        let mut out = ParsedLine::Unparsed(line);
        self.classify_into(line, &mut out);
        out
    }

    /// [`classify`](Self::classify) into `out`: an entry is written where the caller keeps
    /// its result, not moved there.
    #[inline(always)]
    fn classify_into<'l>(&mut self, line: &'l [u8], out: &mut ParsedLine<'l>) {
        if line.iter().all(|b| is_space(*b)) {
            *out = ParsedLine::Skipped(SkipReason::Blank);
            return;
        }
        let format = match self.format {
            // The listing's format first, without setting up the search.
            Format::Auto => match self.detected {
                Some(detected) => {
                    if self.parse_into(detected, line, out) {
                        return;
                    }
                    self.search(line)
                }
                None => self.search(line),
            },
            forced => Some(forced),
        };
        if let Some(format) = format
            && self.parse_into(format, line, out)
        {
            self.found(format);
            return;
        }
        *out = match skip_reason(line) {
            Some(reason) => ParsedLine::Skipped(reason),
            None => ParsedLine::Unparsed(line),
        };
    }

    /// The first format other than the detected one that reads `line` (see the module
    /// docs: ` name`, and `fact=value name` without any `;`, is an MLSD entry only in an
    /// MLSD listing).
    fn search(&self, line: &[u8]) -> Option<Format> {
        Format::ALL
            .into_iter()
            .filter(|f| Some(*f) != self.detected)
            .find(|&format| {
                if format == Format::Mlsd
                    && self.detected != Some(Format::Mlsd)
                    && !strict_facts(line)
                {
                    return false;
                }
                self.parse_as(format, line).is_some()
            })
    }

    /// [`parse_as`](Self::parse_as) into `out`; MLSD writes its entry there, field by
    /// field. If `line` is no entry in `format`, `out` holds anything: the caller then
    /// writes its result over it.
    #[inline(always)]
    fn parse_into<'l>(&self, format: Format, line: &'l [u8], out: &mut ParsedLine<'l>) -> bool {
        if format == Format::Mlsd {
            *out = ParsedLine::Entry(Entry::new(b"", EntryKind::Other, line));
            return match out {
                ParsedLine::Entry(entry) => mlsd::parse_into(line, entry),
                _ => false,
            };
        }
        match self.parse_as(format, line) {
            Some(entry) => {
                *out = ParsedLine::Entry(entry);
                true
            }
            None => false,
        }
    }

    fn parse_as<'l>(&self, format: Format, line: &'l [u8]) -> Option<super::Entry<'l>> {
        match format {
            Format::Unix => unix::parse(line, &self.ctx),
            Format::Dos => dos::parse(line, &self.ctx),
            Format::Eplf => eplf::parse(line),
            Format::Mlsd => mlsd::parse(line),
            Format::Vms => vms::parse(line, &self.ctx),
            Format::Os400 => os400::parse(line, &self.ctx),
            Format::Mvs => mvs::parse(line, &self.ctx, self.format == Format::Mvs),
            Format::Netware => netware::parse(line, &self.ctx),
            Format::Os2 => os2::parse(line, &self.ctx),
            Format::ConnectEnterprise => connect_enterprise::parse(line, &self.ctx),
            Format::HpNonStop => hp_nonstop::parse(line, &self.ctx),
            Format::Vshell => vshell::parse(line, &self.ctx),
            Format::VxWorks => vxworks::parse(line, &self.ctx),
            Format::WfFtp => wfftp::parse(line, &self.ctx),
            Format::Os9 => os9::parse(line, &self.ctx),
            Format::UnixNumeric => unix_numeric::parse(line),
            Format::Zvm => zvm::parse(line, &self.ctx),
            Format::Auto => None,
        }
    }
}

/// Why a line that is no entry carries none, if it is a known kind of non-entry.
pub fn skip_reason(line: &[u8]) -> Option<SkipReason> {
    let trimmed = trim(line);
    if trimmed.is_empty() {
        return Some(SkipReason::Blank);
    }
    let starts = |prefix: &[u8]| {
        trimmed
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    if let Some(count) = starts(b"total ").then(|| trimmed.get(6..)).flatten()
        && trim(count).iter().all(u8::is_ascii_digit)
    {
        return Some(SkipReason::Total);
    }
    // VMS and server banners around a listing.
    if starts(b"directory ") || starts(b"total of ") || starts(b"grand total") {
        return Some(SkipReason::Header);
    }
    // Column headers: MVS data sets, PDS members (ISPF and load modules), HP NonStop.
    let has = |word: &[u8]| {
        trimmed
            .windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word))
    };
    if (starts(b"volume ") && has(b" dsname"))
        || (starts(b"name ") && (has(b" vv.mm ") || has(b" ttr ")))
        || (starts(b"file ") && has(b" code ") && has(b" eof "))
    {
        return Some(SkipReason::Header);
    }
    None
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().take_while(|b| is_space(**b)).count();
    let rest = bytes.get(start..).unwrap_or_default();
    let end = rest.iter().rev().take_while(|b| is_space(**b)).count();
    rest.get(..rest.len() - end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::EntryKind;

    fn parser() -> ListingParser {
        ListingParser::new(FtpTime::new(2024, 3, 1, 12, 0, 0).unwrap())
    }

    #[test]
    fn detects_and_never_drops() {
        let mut p = parser();
        assert_eq!(
            p.parse_line(b"\r\n"),
            ParsedLine::Skipped(SkipReason::Blank)
        );
        assert_eq!(
            p.parse_line(b"total 112"),
            ParsedLine::Skipped(SkipReason::Total)
        );
        let e = p
            .parse_line(b" drwxr-xr-x+  5 patrick  staff    170 Dec 11 17:24 lib\n")
            .entry()
            .unwrap();
        assert_eq!((e.name, e.kind), (&b"lib"[..], EntryKind::Dir));
        assert_eq!(p.detected(), Some(Format::Unix));
        // Not an MLSD entry in a Unix listing.
        assert_eq!(p.parse_line(b" lonely"), ParsedLine::Unparsed(b" lonely"));
        assert_eq!(
            p.parse_line(b"Directory DISK$USER:[ME]"),
            ParsedLine::Skipped(SkipReason::Header)
        );
        // An MLSD-looking line is still an entry, but the listing stays Unix.
        assert!(p.parse_line(b"type=dir; sub").entry().is_some());
        assert_eq!(p.detected(), Some(Format::Unix));
        let mut p = parser();
        assert!(p.parse_line(b"type=dir; sub").entry().is_some());
        assert_eq!(p.detected(), Some(Format::Mlsd));
        assert!(p.parse_line(b" lonely").entry().is_some());
        let mut p = parser();
        assert_eq!(
            p.parse_line(b"user=bob logged in"),
            ParsedLine::Unparsed(b"user=bob logged in")
        );
    }

    #[test]
    fn wrapped_vms_entries() {
        let columns = b"    9/9   2-JUN-1998 07:32:04  [GROUP,OWNER]  (RWED,RWED,RE,)";
        let mut p = parser();
        let e = |l: ParsedLine| l.entry().map(|e| (e.name.to_vec(), e.size));
        assert_eq!(
            p.parse_line(b"LONG_FILE_NAME.TXT;1\r\n"),
            ParsedLine::Skipped(SkipReason::Continued)
        );
        assert_eq!(
            e(p.parse_line(columns)),
            Some((b"LONG_FILE_NAME.TXT".to_vec(), Some(4608)))
        );
        assert_eq!(p.detected(), Some(Format::Vms));
        // A name at the end of the listing: finish returns it with what is known.
        assert_eq!(
            p.parse_line(b"LAST.DIR;1"),
            ParsedLine::Skipped(SkipReason::Continued)
        );
        let last = p.finish().unwrap().entry().unwrap();
        assert_eq!(
            (last.name, last.kind, last.size),
            (&b"LAST"[..], EntryKind::Dir, None)
        );
        assert_eq!(p.finish(), None);

        // A name not continued: it comes back alone, and every later line one call late,
        // in order, until finish.
        let mut p = parser();
        let lines: [&[u8]; 5] = [
            b"ALONE.TXT;1",
            b"Hello!",
            b"SECOND.TXT;2",
            columns,
            b"A.TXT;1  2/4  2-JUN-1998 07:32:04",
        ];
        let mut got = Vec::new();
        for line in lines {
            got.push(alloc::format!("{:?}", p.parse_line(line)));
        }
        got.push(alloc::format!("{:?}", p.finish()));
        assert!(got[0].contains("Continued"), "{got:?}");
        assert!(got[1].contains("ALONE.TXT"), "{got:?}");
        assert!(got[2].starts_with("Unparsed([72, 101"), "{got:?}");
        // The held `SECOND.TXT;2` meets its columns: joined, and the lag ends.
        assert!(
            got[3].contains("SECOND.TXT") && got[3].contains("4608"),
            "{got:?}"
        );
        assert!(got[4].contains("\"A.TXT\""), "{got:?}");
        assert_eq!(got[5], "None");
        // In a Unix listing a lone `x;1` is no VMS name.
        let mut p = parser();
        p.parse_line(b"-rw-r--r-- 1 ftp ftp 531 Jan 29 03:26 README");
        assert_eq!(p.parse_line(b"x;1"), ParsedLine::Unparsed(b"x;1"));
    }

    #[test]
    fn a_cr_without_lf_is_part_of_the_name() {
        let mut p = parser();
        let line = b"drwxr--r--   1 user     group          0 Feb 29 18:14 Icon\r";
        assert_eq!(p.parse_line(line).entry().unwrap().name, b"Icon\r");
        let line = b"drwxr--r--   1 user     group          0 Feb 29 18:14 Icon\r\r\n";
        assert_eq!(p.parse_line(line).entry().unwrap().name, b"Icon\r");
        let line = b"drwxr--r--   1 user     group          0 Feb 29 18:14 Icon\r\n";
        assert_eq!(p.parse_line(line).entry().unwrap().name, b"Icon");
        let data =
            b"-rw-r--r-- 1 a b 0 Feb 29 18:14 Icon\r\r\n-rw-r--r-- 1 a b 0 Feb 29 18:14 x\r\n";
        let names: Vec<&[u8]> = parser()
            .parse_all(data)
            .filter_map(|l| l.entry().map(|e| e.name))
            .collect();
        assert_eq!(names, [&b"Icon\r"[..], b"x"]);
    }

    #[test]
    fn forced_format() {
        let mut p = parser().with_format(Format::Dos);
        let line = b"-rw-r--r-- 1 ftp ftp 531 Jan 29 03:26 README";
        assert_eq!(p.parse_line(line), ParsedLine::Unparsed(line));
    }
}
