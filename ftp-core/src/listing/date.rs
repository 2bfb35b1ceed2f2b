//! Listing timestamps: what a LIST line says about a file's modification time, with the
//! precision it said it in.
//!
//! `ls -l` writes `Mon dd HH:MM` for recent files (no year, server-local time) and
//! `Mon dd  YYYY` for older ones (no time); `--time-style=long-iso` writes `YYYY-MM-DD HH:MM`.
//! DOS/IIS writes `MM-DD-YY  HH:MMAM`. MLSD and EPLF give UTC to the second.
//!
//! # The year of a `Mon dd HH:MM` date
//!
//! Such a date is resolved against a caller-supplied "now" (UTC, [`TimeContext::now`]) moved
//! to the server's wall clock by [`TimeContext::server_offset_minutes`]: the year is the
//! latest one for which the listed date and time is **at most one day (86 400 s) after
//! now**. `ls` shows this form for files modified in the last six months, so the date is
//! normally in the past; the one day of slack absorbs clock skew and time zones the caller
//! did not configure (FileZilla uses the same tolerance). A `Feb 29` goes back to the latest
//! leap year that satisfies the rule. The result is marked [`ListingTime::year_inferred`].

use core::fmt;

use super::{small, tokens};
use crate::error::ParseError;
use crate::time::FtpTime;

/// How much of the time the listing gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Precision {
    /// The date only (`Mon dd  YYYY`, `YYYY-MM-DD`); the time reads as 00:00:00.
    Day,
    /// Date, hour and minute; the seconds read as 0.
    Minute,
    /// Date and time to the second (MLSD, EPLF, `ls --full-time`).
    Second,
    /// Date and time with a fraction of a second (MLSD `modify=20141022065102.999`, VMS
    /// hundredths); [`FtpTime::fraction_digits`] says how many digits were listed.
    SubSecond,
}

/// The "now" and time zone that listing dates are read against. There is no clock in
/// `ftp-core`: the caller supplies both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeContext {
    /// The current time, UTC.
    pub now: FtpTime,
    /// The server's wall clock minus UTC, in minutes (`60` for a server on UTC+1). LIST
    /// times are in the server's local time; MLSD and EPLF times are UTC and ignore this.
    pub server_offset_minutes: i32,
    /// How far past "now" a date without a year may be and still be this year (see the
    /// [module docs](self)); [`DEFAULT_MAX_FUTURE_SECONDS`] unless changed. Clients that
    /// copy another tool's rule set it: 0 for Chromium's "no date in the future", about six
    /// months for jlaffaye/ftp's.
    pub max_future_seconds: i64,
    /// How an all-numeric date such as OS/400's `04/03/24` is read; [`DateOrder::Auto`]
    /// unless changed (servers print it in their locale's order and do not say which).
    pub date_order: DateOrder,
}

/// The field order of an all-numeric date with a two-digit year (`04/03/24`), where the
/// listing itself does not say which field is which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DateOrder {
    /// The first of month/day/year, day/month/year, year/month/day that is a valid date;
    /// a dotted date (`18.09.06`) is read day/month/year, as European locales write it.
    #[default]
    Auto,
    /// `yy/mm/dd` (OS/400 `*YMD`).
    YearMonthDay,
    /// `mm/dd/yy` (OS/400 `*MDY`).
    MonthDayYear,
    /// `dd/mm/yy` (OS/400 `*DMY`).
    DayMonthYear,
}

/// A two-digit year: below 80 is 20xx, otherwise 19xx (no FTP server lists files from
/// before 1980); a three-digit year counts from 1900 (OS/2 prints `103` for 2003).
pub(crate) fn pivot_year(digits: &[u8]) -> Option<u16> {
    let n = u16::try_from(super::decimal(digits)?).ok()?;
    match digits.len() {
        2 if n < 80 => Some(2000 + n),
        2 | 3 => Some(1900 + n),
        4 => Some(n),
        _ => None,
    }
}

/// A numeric date `a/b/c` (or `.`, `-`) of two-digit fields (the year may have four), read
/// in `order`. `None` if it is not one or names no valid day.
pub(crate) fn numeric_date(token: &[u8], order: DateOrder) -> Option<(u16, u8, u8)> {
    let sep = *token.iter().find(|b| !b.is_ascii_digit())?;
    if !matches!(sep, b'/' | b'.' | b'-') {
        return None;
    }
    let mut parts = token.split(|b| *b == sep);
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || a.is_empty() || b.len() != 2 || c.is_empty() {
        return None;
    }
    let valid = |(y, m, d): (u16, u8, u8)| FtpTime::new(y, m, d, 0, 0, 0).ok().map(|_| (y, m, d));
    let ymd = || {
        Some((
            pivot_year(a)?,
            small(b)?,
            small(c).filter(|_| c.len() == 2)?,
        ))
    };
    let mdy = || {
        Some((
            pivot_year(c)?,
            small(a).filter(|_| a.len() == 2)?,
            small(b)?,
        ))
    };
    let dmy = || {
        Some((
            pivot_year(c)?,
            small(b)?,
            small(a).filter(|_| a.len() == 2)?,
        ))
    };
    match order {
        DateOrder::YearMonthDay => ymd().and_then(valid),
        DateOrder::MonthDayYear => mdy().and_then(valid),
        DateOrder::DayMonthYear => dmy().and_then(valid),
        DateOrder::Auto if sep == b'.' => dmy().and_then(valid),
        DateOrder::Auto if a.len() == 4 => ymd().and_then(valid),
        DateOrder::Auto => mdy()
            .and_then(valid)
            .or_else(|| dmy().and_then(valid))
            .or_else(|| ymd().and_then(valid)),
    }
}

/// One day: the default [`TimeContext::max_future_seconds`].
pub const DEFAULT_MAX_FUTURE_SECONDS: i64 = 86_400;

impl TimeContext {
    /// A context at `now` for a server on UTC, with the one-day rule.
    pub const fn new(now: FtpTime) -> Self {
        TimeContext {
            now,
            server_offset_minutes: 0,
            max_future_seconds: DEFAULT_MAX_FUTURE_SECONDS,
            date_order: DateOrder::Auto,
        }
    }

    fn offset_seconds(&self) -> i64 {
        i64::from(self.server_offset_minutes) * 60
    }
}

/// A listing timestamp: the wall-clock fields as listed (with the year filled in when the
/// listing left it out), the [`Precision`] they came with, and the UTC offset they are in.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListingTime {
    wall: FtpTime,
    precision: Precision,
    year_inferred: bool,
    offset_minutes: i32,
}

impl ListingTime {
    /// A UTC time to the second, or to the fraction it carries (MLSD, EPLF).
    pub const fn utc(time: FtpTime) -> Self {
        ListingTime {
            wall: time,
            precision: if time.fraction_digits() > 0 {
                Precision::SubSecond
            } else {
                Precision::Second
            },
            year_inferred: false,
            offset_minutes: 0,
        }
    }

    /// A wall-clock time on a server `offset_minutes` ahead of UTC, with its precision.
    pub const fn local(
        wall: FtpTime,
        precision: Precision,
        year_inferred: bool,
        offset_minutes: i32,
    ) -> Self {
        ListingTime {
            wall,
            precision,
            year_inferred,
            offset_minutes,
        }
    }

    /// The fields as the server listed them, in its local time (fields below the
    /// precision are 0).
    pub const fn wall_clock(&self) -> FtpTime {
        self.wall
    }

    /// How much of the time was listed.
    pub const fn precision(&self) -> Precision {
        self.precision
    }

    /// Whether the year was not listed and was inferred (see the [module docs](self)).
    pub const fn year_inferred(&self) -> bool {
        self.year_inferred
    }

    /// The server's UTC offset in minutes this time was read with (0 for UTC formats).
    pub const fn offset_minutes(&self) -> i32 {
        self.offset_minutes
    }

    /// Seconds since the Unix epoch, UTC.
    pub fn unix_timestamp(&self) -> i64 {
        self.wall.unix_timestamp() - i64::from(self.offset_minutes) * 60
    }

    /// The time in UTC (an error only if the offset moves it outside years 0–9999).
    pub fn to_utc(&self) -> Result<FtpTime, ParseError> {
        if self.offset_minutes == 0 {
            return Ok(self.wall);
        }
        FtpTime::from_unix_timestamp(self.unix_timestamp()).map_err(|_| super::TIME_RANGE)
    }
}

impl fmt::Debug for ListingTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ListingTime({} {:?}", self.wall, self.precision)?;
        if self.year_inferred {
            f.write_str(" year inferred")?;
        }
        if self.offset_minutes != 0 {
            write!(f, " offset {}min", self.offset_minutes)?;
        }
        f.write_str(")")
    }
}

/// The year for a listed month, day, hour and minute without one: see the
/// [module docs](self) for the rule.
pub fn infer_year(month: u8, day: u8, hour: u8, minute: u8, ctx: &TimeContext) -> Option<FtpTime> {
    // The common case without any timestamp arithmetic: a server on UTC, the usual
    // tolerance, not in December (so next year is out of reach), and a date not after
    // now: it is this year's.
    let now = ctx.now;
    if ctx.server_offset_minutes == 0
        && (0..=28 * 86_400).contains(&ctx.max_future_seconds)
        && now.month() < 12
        && (month, day, hour, minute) <= (now.month(), now.day(), now.hour(), now.minute())
        && let Ok(t) = FtpTime::new(now.year(), month, day, hour, minute, 0)
    {
        return Some(t);
    }
    // Same conditions, a date after now: this year's if within the tolerance, else last
    // year's (every day of last year is before now).
    if ctx.server_offset_minutes == 0
        && (0..=28 * 86_400).contains(&ctx.max_future_seconds)
        && now.month() < 12
        && let Ok(this_year) = FtpTime::new(now.year(), month, day, hour, minute, 0)
    {
        if this_year.unix_timestamp() <= now.unix_timestamp() + ctx.max_future_seconds {
            return Some(this_year);
        }
        if let Ok(t) = FtpTime::new(now.year().wrapping_sub(1), month, day, hour, minute, 0)
            && now.year() > 0
        {
            return Some(t);
        }
    }
    let local_now = ctx.now.unix_timestamp() + ctx.offset_seconds();
    let limit = local_now.saturating_add(ctx.max_future_seconds);
    // The server's current year: "now"'s own, unless the offset may cross a new year (this
    // runs for most lines of a listing; the conversion is the slow part).
    let near_new_year = matches!((ctx.now.month(), ctx.now.day()), (1, 1) | (12, 31));
    let now_year = if ctx.server_offset_minutes == 0
        || (ctx.server_offset_minutes.unsigned_abs() < 24 * 60 && !near_new_year)
    {
        ctx.now.year()
    } else {
        FtpTime::from_unix_timestamp(local_now).ok()?.year()
    };
    let newest = now_year.saturating_add(1).min(9999);
    // Eight years back always reaches a leap year, for `Feb 29`.
    let oldest = now_year.saturating_sub(8);
    (oldest..=newest).rev().find_map(|year| {
        FtpTime::new(year, month, day, hour, minute, 0)
            .ok()
            .filter(|t| t.unix_timestamp() <= limit)
    })
}

/// English month abbreviations, then the common localized ones servers send (German,
/// French, Spanish, Italian, Hungarian, Russian): the three-letter prefixes seen in the wild.
const MONTHS: [(&[u8], u8); 44] = [
    (b"jan", 1),
    (b"feb", 2),
    (b"mar", 3),
    (b"apr", 4),
    (b"may", 5),
    (b"jun", 6),
    (b"jul", 7),
    (b"aug", 8),
    (b"sep", 9),
    (b"oct", 10),
    (b"nov", 11),
    (b"dec", 12),
    (b"m\xc3\xa4r", 3),
    (b"mrz", 3),
    (b"mai", 5),
    (b"okt", 10),
    (b"dez", 12),
    (b"fev", 2),
    (b"f\xc3\xa9v", 2),
    (b"avr", 4),
    (b"jui", 7),
    (b"ao\xc3\xbb", 8),
    (b"aou", 8),
    (b"ene", 1),
    (b"abr", 4),
    (b"ago", 8),
    (b"dic", 12),
    (b"gen", 1),
    (b"mag", 5),
    (b"giu", 6),
    (b"lug", 7),
    (b"set", 9),
    ("янв".as_bytes(), 1),
    ("фев".as_bytes(), 2),
    ("мар".as_bytes(), 3),
    ("апр".as_bytes(), 4),
    ("май".as_bytes(), 5),
    ("июн".as_bytes(), 6),
    ("июл".as_bytes(), 7),
    ("авг".as_bytes(), 8),
    ("сен".as_bytes(), 9),
    ("окт".as_bytes(), 10),
    ("ноя".as_bytes(), 11),
    ("дек".as_bytes(), 12),
];

/// Longer month words servers print (full names, four-letter forms); anything else must be
/// one of the three-letter [`MONTHS`] exactly, so that owner names like `mary` or `decker`
/// are not months.
const LONG_MONTHS: [(&[u8], u8); 31] = [
    (b"january", 1),
    (b"janv", 1),
    (b"januar", 1),
    (b"janvier", 1),
    (b"february", 2),
    (b"februar", 2),
    (b"f\xc3\xa9vr", 2),
    (b"march", 3),
    (b"m\xc3\xa4rz", 3),
    (b"april", 4),
    (b"avril", 4),
    (b"june", 6),
    (b"juni", 6),
    (b"juin", 6),
    (b"july", 7),
    (b"juli", 7),
    (b"juil", 7),
    (b"juillet", 7),
    (b"august", 8),
    (b"ao\xc3\xbbt", 8),
    (b"sept", 9),
    (b"szept", 9),
    (b"september", 9),
    (b"septembre", 9),
    (b"october", 10),
    (b"oktober", 10),
    (b"octobre", 10),
    (b"november", 11),
    (b"novembre", 11),
    (b"december", 12),
    (b"dezember", 12),
];

/// For each lower-case ASCII letter, the set (bit `n`: letter `a + n`) of ASCII letters
/// that follow it at the start of a name in [`MONTHS`] or [`LONG_MONTHS`].
const NAME_STARTS: [u32; 26] = {
    let mut set = [0u32; 26];
    let mut i = 0;
    while i < MONTHS.len() + LONG_MONTHS.len() {
        let name = if i < MONTHS.len() {
            MONTHS[i].0
        } else {
            LONG_MONTHS[i - MONTHS.len()].0
        };
        if name.len() >= 2 && name[0].is_ascii_lowercase() && name[1].is_ascii_lowercase() {
            set[(name[0] - b'a') as usize] |= 1 << (name[1] - b'a');
        }
        i += 1;
    }
    set
};

/// Whether an `ls -l` date may start at `token` (`next` is the token after it): false only
/// where [`ls_date`] surely finds none, so the owner, group and size columns are passed over
/// without trying every date form on them.
#[inline]
pub(crate) fn may_start_ls_date(token: &[u8], next: Option<&[u8]>) -> bool {
    let Some(&first) = token.first() else {
        return false;
    };
    if first.is_ascii_digit() {
        // `2005-04-08`, `26.`, `3月`, `09-26`: not a plain number.
        if !token.iter().all(u8::is_ascii_digit) {
            return true;
        }
        match *token {
            // A day or a numeric month (never 0, never above 31).
            [d] => d != b'0',
            [d0, d1] => matches!((d0 - b'0') * 10 + (d1 - b'0'), 1..=31),
            // A year before a number with a unit (`2003 3월`).
            [_, _, _, _] => next
                .and_then(|n| n.iter().find(|b| !b.is_ascii_digit()))
                .is_some_and(|b| !b.is_ascii()),
            // No day, month or year has three or five and more digits.
            _ => false,
        }
    } else if first.is_ascii() {
        // Only a month name starts with a letter.
        month(trim_comma(token)).is_some()
    } else {
        true
    }
}

/// A month name, exactly: a three-letter abbreviation (English `jan`…`dec`; German, French,
/// Spanish, Italian, Russian ones such as `mär`, `okt`, `dez`, `fév`, `ene`, `янв`) or a
/// longer form (`july`, `juli`, `juil`, `sept`, `szept`, `januar`, …), any ASCII case, a
/// trailing `.` allowed; or CJK `3月`. Near misses (`mary`, `decker`) are not months, so an
/// owner name is not read as a date.
pub fn month(token: &[u8]) -> Option<u8> {
    // Most tokens tried here are owner and group names: a pair of ASCII letters no month
    // name starts with rules them out at once.
    if let [a, b, ..] = *token
        && a.is_ascii_alphabetic()
        && b.is_ascii_alphabetic()
        && NAME_STARTS[usize::from(a.to_ascii_lowercase() - b'a')]
            & (1 << (b.to_ascii_lowercase() - b'a'))
            == 0
    {
        return None;
    }
    let token = token.strip_suffix(b".").unwrap_or(token);
    // `3月` (Chinese/Japanese locales).
    if let Some(n) = token.strip_suffix("月".as_bytes()) {
        return small(n).filter(|m| (1..=12).contains(m));
    }
    // Fast paths: this runs on many tokens of every Unix line while the date is searched.
    if token.first().is_none_or(u8::is_ascii_digit) || token.len() > 9 {
        return None;
    }
    if let [a, b, c] = *token
        && let Some(m) = english_month([a, b, c])
    {
        return Some(m);
    }
    let is = |name: &[u8]| {
        token.len() == name.len()
            && token
                .iter()
                .zip(name)
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
    };
    MONTHS
        .iter()
        .chain(LONG_MONTHS.iter())
        .find(|(name, _)| is(name))
        .map(|(_, m)| *m)
}

/// `HH:MM` or `HH:MM:SS` (one-digit hours allowed).
pub(crate) fn clock(token: &[u8]) -> Option<(u8, u8, Option<u8>)> {
    // The common `HH:MM` directly (the same answer the general reading gives).
    if let &[h0, h1, b':', m0, m1] = token
        && [h0, h1, m0, m1].iter().all(u8::is_ascii_digit)
    {
        let (hour, minute) = (
            (h0 - b'0') * 10 + (h1 - b'0'),
            (m0 - b'0') * 10 + (m1 - b'0'),
        );
        return (hour <= 23 && minute <= 59).then_some((hour, minute, None));
    }
    let mut parts = token.split(|b| *b == b':');
    let hour = parts.next().filter(|h| !h.is_empty() && h.len() <= 2)?;
    // One-digit minutes (`00:0`) come from a few broken servers; the value is unambiguous.
    let minute = parts.next().filter(|m| !m.is_empty() && m.len() <= 2)?;
    let second = match parts.next() {
        Some(s) => {
            // `ls --full-time` adds a fraction: keep the whole seconds.
            let whole = s.split(|b| *b == b'.').next()?;
            Some(small(whole).filter(|s| whole.len() == 2 && *s <= 60)?)
        }
        None => None,
    };
    if parts.next().is_some() {
        return None;
    }
    let (hour, minute) = (small(hour)?, small(minute)?);
    (hour <= 23 && minute <= 59).then_some((hour, minute, second))
}

/// What a date in an `ls -l` line looked like, for where the name starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LsDate {
    pub time: ListingTime,
    /// Byte offset just after the date's last token.
    pub end: usize,
    /// A year written right after the day with one space (`Feb 18 2005`): such servers pad
    /// after the year instead of before it.
    pub left_aligned_year: bool,
    /// A date column padded after the date (`2004.07.15   name`): every blank before
    /// the name is padding.
    pub padded: bool,
}

/// Reads an `ls -l` date starting at byte `start` of `line`. Accepted, as servers send them:
///
/// * `Mon dd HH:MM` (year inferred), `Mon dd  YYYY`, `Mon dd HH:MM:SS YYYY` (BSD `ls -T`),
///   `dd Mon HH:MM|YYYY`, `M D HH:MM|YYYY` (numeric month), `MM-DD HH:MM|YYYY`;
/// * `Mon dd, YYYY HH:MM` (VShell), `dd. Mon., HH:MM` (German locales; any month name
///   [`month`] knows, a trailing `.` or `,` allowed), CJK `3月 2日 2003年`;
/// * `YYYY-MM-DD HH:MM[:SS[.frac]] [+zzzz]` (`--time-style=long-iso`/`full-iso`),
///   `YYYY/MM/DD HH:MM`, `DD-MM-YYYY HH:MM` (or `MM-DD-YYYY`, whichever is a valid date
///   with the day above 12), `DD-Mon-YY` (date only).
pub(crate) fn ls_date(line: &[u8], start: usize, ctx: &TimeContext) -> Option<LsDate> {
    english_date(line, start, ctx)
        .or_else(|| common_date(line, start, ctx))
        .or_else(|| unit_date(line, start, ctx))
}

/// `Mon dd HH:MM` and `Mon dd YYYY` with an English month, a plain day and a two-digit
/// minute: what nearly every Unix line carries, read without trying the other forms. When
/// it answers, it is what [`common_date`] would answer; otherwise that runs.
fn english_date(line: &[u8], start: usize, ctx: &TimeContext) -> Option<LsDate> {
    let mut toks = tokens(line, start);
    english_date_at(line, toks.next()?, toks.next()?, toks.next()?, ctx)
}

/// [`english_date`] on the three columns at these byte ranges.
pub(crate) fn english_date_at(
    line: &[u8],
    (a0, a1): (usize, usize),
    (b0, b1): (usize, usize),
    (c0, c1): (usize, usize),
    ctx: &TimeContext,
) -> Option<LsDate> {
    let &[m0, m1, m2] = line.get(a0..a1)? else {
        return None;
    };
    let month = english_month([m0, m1, m2])?;
    let digit = |b: u8| b.is_ascii_digit().then(|| b - b'0');
    let day = match *line.get(b0..b1)? {
        [d] => digit(d)?,
        [d0, d1] => digit(d0)? * 10 + digit(d1)?,
        _ => return None,
    };
    if !(1..=31).contains(&day) {
        return None;
    }
    let (hour, minute) = match *line.get(c0..c1)? {
        [h, b':', n0, n1] => (digit(h)?, digit(n0)? * 10 + digit(n1)?),
        [y0, y1, y2, y3] => {
            let year = [y0, y1, y2, y3]
                .iter()
                .try_fold(0u16, |acc, b| Some(acc * 10 + u16::from(digit(*b)?)))?;
            let wall = FtpTime::new(year, month, day, 0, 0, 0).ok()?;
            return Some(LsDate {
                time: ListingTime::local(wall, Precision::Day, false, ctx.server_offset_minutes),
                end: c1,
                left_aligned_year: c0 == b1 + 1,
                padded: false,
            });
        }
        [h0, h1, b':', n0, n1] => (digit(h0)? * 10 + digit(h1)?, digit(n0)? * 10 + digit(n1)?),
        _ => return None,
    };
    if hour > 23 || minute > 59 {
        return None;
    }
    let wall = infer_year(month, day, hour, minute, ctx)?;
    Some(LsDate {
        time: ListingTime::local(wall, Precision::Minute, true, ctx.server_offset_minutes),
        end: c1,
        left_aligned_year: false,
        padded: false,
    })
}

/// `jan`…`dec`, any ASCII case.
fn english_month(name: [u8; 3]) -> Option<u8> {
    Some(match name.map(|b| b.to_ascii_lowercase()) {
        [b'j', b'a', b'n'] => 1,
        [b'f', b'e', b'b'] => 2,
        [b'm', b'a', b'r'] => 3,
        [b'a', b'p', b'r'] => 4,
        [b'm', b'a', b'y'] => 5,
        [b'j', b'u', b'n'] => 6,
        [b'j', b'u', b'l'] => 7,
        [b'a', b'u', b'g'] => 8,
        [b's', b'e', b'p'] => 9,
        [b'o', b'c', b't'] => 10,
        [b'n', b'o', b'v'] => 11,
        [b'd', b'e', b'c'] => 12,
        _ => return None,
    })
}

/// Numbers followed by a locale's units, in whatever encoding the server used: `4月 18日
/// 2003年` (UTF-8 or Shift-JIS bytes), `2005년 1월 6일`, `2003 3월 20`, `8월 17 08:52`.
/// A unit is whatever follows the digits, starting with a non-ASCII byte; at least one of the first two
/// numbers must carry one. Year first (four digits) or month first; a time may follow.
fn unit_date(line: &[u8], start: usize, ctx: &TimeContext) -> Option<LsDate> {
    let mut toks = tokens(line, start);
    let mut next = || toks.next().and_then(|(a, b)| Some((line.get(a..b)?, b)));
    let ((n1, u1, _), (n2, u2, _)) = (unit_number(next()?.0)?, unit_number(next()?.0)?);
    if !(u1 || u2) {
        return None;
    }
    let (third, third_end) = next()?;
    let local = |wall, precision, inferred| {
        ListingTime::local(wall, precision, inferred, ctx.server_offset_minutes)
    };
    let found = |time, end| {
        Some(LsDate {
            time,
            end,
            left_aligned_year: false,
            padded: false,
        })
    };
    let (_, _, year_digits) = unit_number(third).unwrap_or((0, false, 0));
    if let Some((hour, minute, second)) = clock(third).filter(|_| n1 < 1000) {
        let month = u8::try_from(n1).ok()?;
        let day = u8::try_from(n2).ok()?;
        let wall = infer_year(month, day, hour, minute, ctx)?;
        let wall = FtpTime::new(wall.year(), month, day, hour, minute, second.unwrap_or(0)).ok()?;
        let precision = if second.is_some() {
            Precision::Second
        } else {
            Precision::Minute
        };
        return found(local(wall, precision, true), third_end);
    }
    let (n3, _, _) = unit_number(third)?;
    let (year, month, day) = if n1 >= 1000 {
        (n1, n2, n3)
    } else if year_digits == 4 {
        (n3, n1, n2)
    } else {
        return None;
    };
    let (month, day) = (u8::try_from(month).ok()?, u8::try_from(day).ok()?);
    let wall = FtpTime::new(year, month, day, 0, 0, 0).ok()?;
    found(local(wall, Precision::Day, false), third_end)
}

/// Leading ASCII digits (one to four) and whether a unit (starting with a non-ASCII byte)
/// follows them.
fn unit_number(token: &[u8]) -> Option<(u16, bool, usize)> {
    let digits = token.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 4 {
        return None;
    }
    // Multi-byte encodings may have an ASCII byte after the first (Shift-JIS `年` is
    // `\x94N`): the unit starts with a non-ASCII byte.
    let unit = token.get(digits..)?;
    if unit.first().is_some_and(u8::is_ascii) {
        return None;
    }
    let n = u16::try_from(super::decimal(token.get(..digits)?)?).ok()?;
    Some((n, !unit.is_empty(), digits))
}

fn common_date(line: &[u8], start: usize, ctx: &TimeContext) -> Option<LsDate> {
    let mut toks = tokens(line, start);
    let (a0, a1) = toks.next()?;
    let first = trim_comma(line.get(a0..a1)?);
    let local = |wall, precision, inferred| {
        ListingTime::local(wall, precision, inferred, ctx.server_offset_minutes)
    };
    let date_only = |(y, m, d): (u16, u8, u8), end| {
        let wall = FtpTime::new(y, m, d, 0, 0, 0).ok()?;
        Some(LsDate {
            time: local(wall, Precision::Day, false),
            end,
            left_aligned_year: false,
            padded: false,
        })
    };

    // A whole date in the first token, a time after it.
    if let Some((y, m, d)) = whole_date(first) {
        let (b0, b1) = toks.next()?;
        let (hour, minute, second) = clock(line.get(b0..b1)?)?;
        let wall = FtpTime::new(y, m, d, hour, minute, second.unwrap_or(0)).ok()?;
        let precision = if second.is_some() {
            Precision::Second
        } else {
            Precision::Minute
        };
        let mut end = b1;
        // `--full-time` appends the zone (`+0100`): the wall clock already says it all.
        let mut rest = tokens(line, b1);
        if let Some((z0, z1)) = rest.next()
            && let Some(zone) = line.get(z0..z1)
            && zone.len() == 5
            && matches!(zone.first(), Some(b'+' | b'-'))
            && zone.iter().skip(1).all(u8::is_ascii_digit)
            && rest.next().is_some()
        {
            end = z1;
        }
        return Some(LsDate {
            time: local(wall, precision, false),
            end,
            left_aligned_year: false,
            padded: false,
        });
    }
    // `01-jun-99`: a date without a time.
    if let Some(ymd) = day_month_name_year(first) {
        return date_only(ymd, a1);
    }
    // `2004.07.15`: a date without a time, in a column padded after it.
    if let Some(ymd) = dotted_day(first) {
        return date_only(ymd, a1).map(|d| LsDate { padded: true, ..d });
    }

    // Month and day, in one token (`09-26`) or two.
    let (month, day, day_end, day_had_comma) = match month_dash_day(first) {
        Some((m, d)) => (m, d, a1, false),
        None => {
            let (b0, b1) = toks.next()?;
            let raw_second = line.get(b0..b1)?;
            let second_tok = trim_comma(raw_second);
            let (m, d) = match (month(first), month(second_tok)) {
                (Some(m), None) => (m, day_of_month(second_tok)?),
                (None, Some(m)) => (m, day_of_month(first)?),
                // `3 29 03:26`: a numeric month only with a time or year right after.
                _ => (
                    small(first).filter(|m| (1..=12).contains(m) && first.len() <= 2)?,
                    day_of_month(second_tok)?,
                ),
            };
            (m, d, b1, raw_second.ends_with(b","))
        }
    };
    let (c0, c1) = tokens(line, day_end).next()?;
    let third = line.get(c0..c1)?;
    let third = third.strip_suffix("年".as_bytes()).unwrap_or(third);
    if let Some((hour, minute, second)) = clock(third).or_else(|| midnight_24(third)) {
        // `Mon dd HH:MM:SS YYYY` (BSD `ls -T`).
        let mut rest = tokens(line, c1);
        if let Some(second) = second
            && let Some((d0, d1)) = rest.next()
            && let Some(year) = year(line.get(d0..d1)?)
        {
            let wall = FtpTime::new(year, month, day, hour, minute, second).ok()?;
            return Some(LsDate {
                time: local(wall, Precision::Second, false),
                end: d1,
                left_aligned_year: false,
                padded: false,
            });
        }
        let (hour, minute, midnight) = match (hour, minute) {
            // `Apr  4 24:00`: the midnight that ends the 4th, read as the 5th at 00:00.
            (24, 0) => (23, 59, true),
            _ => (hour, minute, false),
        };
        let wall = infer_year(month, day, hour, minute, ctx)?;
        let wall = if midnight {
            FtpTime::from_unix_timestamp(wall.unix_timestamp() + 60).ok()?
        } else {
            wall
        };
        let (wall, precision) = match second {
            Some(s) => (
                FtpTime::new(wall.year(), month, day, hour, minute, s).ok()?,
                Precision::Second,
            ),
            None => (wall, Precision::Minute),
        };
        return Some(LsDate {
            time: local(wall, precision, true),
            end: c1,
            left_aligned_year: false,
            padded: false,
        });
    }
    let year = year(third)?;
    // `Oct 08, 2002 09:47` (VShell): the comma says a time follows the year.
    if day_had_comma
        && let Some((d0, d1)) = tokens(line, c1).next()
        && let Some((hour, minute, None)) = line.get(d0..d1).and_then(clock)
    {
        let wall = FtpTime::new(year, month, day, hour, minute, 0).ok()?;
        return Some(LsDate {
            time: local(wall, Precision::Minute, false),
            end: d1,
            left_aligned_year: false,
            padded: false,
        });
    }
    let wall = FtpTime::new(year, month, day, 0, 0, 0).ok()?;
    Some(LsDate {
        time: local(wall, Precision::Day, false),
        end: c1,
        left_aligned_year: c0 == day_end + 1 && third.len() == 4,
        padded: false,
    })
}

/// `24:00`, which some servers print for the end of a day.
fn midnight_24(token: &[u8]) -> Option<(u8, u8, Option<u8>)> {
    (token == b"24:00").then_some((24, 0, None))
}

fn trim_comma(token: &[u8]) -> &[u8] {
    token.strip_suffix(b",").unwrap_or(token)
}

/// `YYYY-MM-DD`, `YYYY/MM/DD`, `DD-MM-YYYY` / `MM-DD-YYYY`: a date that needs a time after
/// it to be taken for one.
fn whole_date(token: &[u8]) -> Option<(u16, u8, u8)> {
    if let Some(ymd) = iso_day(token) {
        return Some(ymd);
    }
    let sep = match (token.get(2), token.get(4)) {
        (Some(&s @ (b'-' | b'/')), _) | (_, Some(&s @ (b'-' | b'/'))) => s,
        _ => return None,
    };
    let mut parts = token.split(|b| *b == sep);
    let (p0, p1, p2) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || p1.len() != 2 {
        return None;
    }
    match (p0.len(), p2.len()) {
        (4, 2) => Some((year(p0)?, small(p1)?, small(p2)?)),
        (2, 4) => {
            let (a, b, y) = (small(p0)?, small(p1)?, year(p2)?);
            // The day is the number above 12; MM-DD when both could be months.
            if a > 12 {
                Some((y, b, a))
            } else {
                Some((y, a, b))
            }
        }
        _ => None,
    }
}

/// `2004.07.15`.
fn dotted_day(token: &[u8]) -> Option<(u16, u8, u8)> {
    if token.len() != 10 || token.get(4) != Some(&b'.') || token.get(7) != Some(&b'.') {
        return None;
    }
    Some((
        year(token.get(..4)?)?,
        small(token.get(5..7)?)?,
        small(token.get(8..)?)?,
    ))
}

/// `01-jun-99` / `01-Jun-1999`.
fn day_month_name_year(token: &[u8]) -> Option<(u16, u8, u8)> {
    let mut parts = token.split(|b| *b == b'-');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let month = month(m)?;
    let day = day_of_month(d)?;
    let year = match y.len() {
        2 => {
            let n = u16::from(small(y)?);
            if n < 70 { 2000 + n } else { 1900 + n }
        }
        4 => year(y)?,
        _ => return None,
    };
    Some((year, month, day))
}

/// `09-26`: month and day in one token.
fn month_dash_day(token: &[u8]) -> Option<(u8, u8)> {
    let (m, d) = (token.get(..2)?, token.get(3..)?);
    if token.get(2) != Some(&b'-') || d.len() != 2 {
        return None;
    }
    let m = small(m).filter(|m| (1..=12).contains(m))?;
    Some((m, day_of_month(d)?))
}

/// A day of the month, 1–31 (`2日` and `2.` accepted); the month checks the rest.
fn day_of_month(token: &[u8]) -> Option<u8> {
    let token = token.strip_suffix("日".as_bytes()).unwrap_or(token);
    let token = token.strip_suffix(b".").unwrap_or(token);
    small(token).filter(|d| (1..=31).contains(d) && token.len() <= 2)
}

/// A four-digit year.
fn year(token: &[u8]) -> Option<u16> {
    if token.len() != 4 {
        return None;
    }
    super::decimal(token).and_then(|y| u16::try_from(y).ok())
}

/// `YYYY-MM-DD`.
pub(crate) fn iso_day(token: &[u8]) -> Option<(u16, u8, u8)> {
    let mut parts = token.split(|b| *b == b'-');
    let y = year(parts.next()?)?;
    let m = parts.next().filter(|m| m.len() == 2).and_then(small)?;
    let d = parts.next().filter(|d| d.len() == 2).and_then(small)?;
    parts.next().is_none().then_some((y, m, d))
}

/// Reads a date fragment as `ls -l` prints it (`Feb 10 23:00`, `Jan 23  2019`, …), the
/// whole input and nothing else.
///
/// ```
/// use ftp_core::FtpTime;
/// use ftp_core::listing::{date, Precision, TimeContext};
///
/// let ctx = TimeContext::new(FtpTime::new(2017, 3, 10, 23, 0, 0)?);
/// let t = date::parse_ls_date(b"Mar 11 22:00", &ctx).unwrap();
/// assert_eq!(t.wall_clock().year(), 2017); // less than a day ahead: this year
/// let t = date::parse_ls_date(b"Mar 12 00:00", &ctx).unwrap();
/// assert_eq!(t.wall_clock().year(), 2016);
/// assert_eq!(date::parse_ls_date(b"Dec  2  2009", &ctx).unwrap().precision(), Precision::Day);
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse_ls_date(fragment: &[u8], ctx: &TimeContext) -> Option<ListingTime> {
    let d = ls_date(fragment, 0, ctx)?;
    let rest = fragment.get(d.end..)?;
    rest.iter().all(|b| super::is_space(*b)).then_some(d.time)
}

/// Reads a DOS/IIS date and time (`04-27-00  09:09PM`, `2013-09-02  18:48`), the whole
/// input and nothing else. See [`dos`](super::dos) for the accepted forms.
pub fn parse_dos_date(fragment: &[u8], ctx: &TimeContext) -> Option<ListingTime> {
    let (time, end) = super::dos::date_time(fragment, ctx)?;
    let rest = fragment.get(end..)?;
    rest.iter().all(|b| super::is_space(*b)).then_some(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(y: u16, m: u8, d: u8, h: u8) -> TimeContext {
        TimeContext::new(FtpTime::new(y, m, d, h, 0, 0).unwrap())
    }

    #[test]
    fn year_inference_allows_one_day_ahead() {
        let c = ctx(2024, 6, 15, 12);
        assert_eq!(infer_year(6, 16, 12, 0, &c).unwrap().year(), 2024);
        assert_eq!(infer_year(6, 16, 12, 1, &c).unwrap().year(), 2023);
        assert_eq!(infer_year(12, 15, 12, 0, &c).unwrap().year(), 2023);
        // New Year's Eve: tomorrow's January date is next year.
        let c = ctx(2023, 12, 31, 20);
        assert_eq!(infer_year(1, 1, 8, 0, &c).unwrap().year(), 2024);
        // Feb 29 goes back to a leap year.
        let c = ctx(2023, 6, 1, 0);
        assert_eq!(infer_year(2, 29, 1, 0, &c).unwrap().year(), 2020);
    }

    #[test]
    fn offset_moves_now_to_the_server_clock() {
        // 23:30 UTC is already the 16th on a UTC+2 server.
        let mut c = TimeContext::new(FtpTime::new(2024, 6, 15, 23, 30, 0).unwrap());
        c.server_offset_minutes = 120;
        let t = parse_ls_date(b"Jun 17 01:00", &c).unwrap();
        assert_eq!(t.wall_clock().year(), 2024);
        assert_eq!(
            t.to_utc().unwrap(),
            FtpTime::new(2024, 6, 16, 23, 0, 0).unwrap()
        );
    }

    #[test]
    fn months() {
        assert_eq!(month(b"Jan"), Some(1));
        assert_eq!(month(b"DEC"), Some(12));
        assert_eq!(month("Mär".as_bytes()), Some(3));
        assert_eq!(month("3月".as_bytes()), Some(3));
        assert_eq!(month(b"juil."), Some(7));
        assert_eq!(month(b"Jam"), None);
        assert_eq!(month(b"Ja"), None);
        assert_eq!(month(b"mary"), None);
        assert_eq!(month(b"decker"), None);
        assert_eq!(month(b"Juli"), Some(7));
        assert_eq!(month(b"szept"), Some(9));
    }

    #[test]
    fn fragments() {
        let c = ctx(2017, 3, 10, 23);
        assert!(parse_ls_date(b"Feb 31 2018", &c).is_none());
        assert!(parse_ls_date(b"Feb 15 25:32", &c).is_none());
        let t = parse_ls_date(b"2005-04-08 11:22", &c).unwrap();
        assert_eq!(t.precision(), Precision::Minute);
        let t = parse_ls_date(b"Dec 11 14:35:12 2019", &c).unwrap();
        assert_eq!(t.wall_clock().second(), 12);
    }
}
