//! Format detection and the streaming [`ListingParser`].
//!
//! A LIST reply does not say which format it is in. With [`Format::Auto`] every line is
//! tried against each parser, the format of the listing's first entry first (it sticks: one
//! odd line does not switch the listing's format), so a
//! listing that mixes formats (or a server that writes its own header line) still yields
//! every entry it can. The order for a line no format claimed yet: EPLF (starts with `+`),
//! Unix `ls -l` (starts with a mode), DOS (starts with a date), VMS (starts with
//! `NAME;VERSION`), OS/400, NetWare, OS/2, MVS, Connect:Enterprise, HP NonStop, MLSD
//! (starts with facts).
//! An MLSD line without facts (` name`) is taken only once MLSD was detected or forced,
//! because in any other listing it is an unknown line, not an entry named `name`.
//!
//! Lines that carry no entry are classified after the parsers had their chance, so an entry
//! is never mistaken for a header: blank lines, `total N`, and the headers and footers
//! servers wrap listings in.

use super::date::TimeContext;
use super::{
    ParsedLine, SkipReason, connect_enterprise, dos, eplf, hp_nonstop, is_space, mlsd, mvs,
    netware, os2, os400, strip_line_end, unix, vms,
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
}

impl Format {
    /// Every concrete format (all but [`Format::Auto`]), in the order detection tries them.
    pub const ALL: [Format; 11] = [
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
        Format::Mlsd,
    ];
}

/// Parses a listing line by line as it arrives. It keeps the format it detected and the
/// time context, never the listing.
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
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListingParser {
    format: Format,
    detected: Option<Format>,
    ctx: TimeContext,
}

impl ListingParser {
    /// A detecting parser for a server on UTC; `now` (UTC) resolves dates without a year.
    pub const fn new(now: FtpTime) -> Self {
        ListingParser {
            format: Format::Auto,
            detected: None,
            ctx: TimeContext::new(now),
        }
    }

    /// The server's wall clock minus UTC, in minutes (LIST dates are server-local).
    pub const fn with_server_offset(mut self, minutes: i32) -> Self {
        self.ctx.server_offset_minutes = minutes;
        self
    }

    /// Replaces the whole time context ("now", server offset, year rule tolerance).
    pub const fn with_time_context(mut self, ctx: TimeContext) -> Self {
        self.ctx = ctx;
        self
    }

    /// Forces one format ([`Format::Auto`] restores detection).
    pub const fn with_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// The format of the first entry, in [`Format::Auto`] mode; the forced format otherwise.
    pub const fn detected(&self) -> Option<Format> {
        match self.format {
            Format::Auto => self.detected,
            forced => Some(forced),
        }
    }

    /// The "now" and server offset dates are read against.
    pub const fn time_context(&self) -> &TimeContext {
        &self.ctx
    }

    /// Classifies one line; a trailing `\n` or `\r\n` is removed first.
    pub fn parse_line<'l>(&mut self, line: &'l [u8]) -> ParsedLine<'l> {
        let line = strip_line_end(line);
        if line.iter().all(|b| is_space(*b)) {
            return ParsedLine::Skipped(SkipReason::Blank);
        }
        let entry = match self.format {
            Format::Auto => {
                let first = self.detected.into_iter();
                let rest = Format::ALL
                    .into_iter()
                    .filter(|f| Some(*f) != self.detected);
                first.chain(rest).find_map(|format| {
                    // See the module docs: ` name` is an MLSD entry only in an MLSD listing.
                    if format == Format::Mlsd
                        && self.detected != Some(Format::Mlsd)
                        && line.first() == Some(&b' ')
                    {
                        return None;
                    }
                    self.parse_as(format, line).map(|e| (format, e))
                })
            }
            forced => self.parse_as(forced, line).map(|e| (forced, e)),
        };
        match entry {
            Some((format, entry)) => {
                if self.detected.is_none() {
                    self.detected = Some(format);
                }
                ParsedLine::Entry(entry)
            }
            None => match skip_reason(line) {
                Some(reason) => ParsedLine::Skipped(reason),
                None => ParsedLine::Unparsed(line),
            },
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
    }

    #[test]
    fn forced_format() {
        let mut p = parser().with_format(Format::Dos);
        let line = b"-rw-r--r-- 1 ftp ftp 531 Jan 29 03:26 README";
        assert_eq!(p.parse_line(line), ParsedLine::Unparsed(line));
    }
}
