//! Nortel WfFTP (Bay Networks router) listings.
//!
//! ```text
//! boot.cfg       1014196  06/03/04  Thur.   10:20:03
//! ```
//!
//! Name (one word), size, date `MM/DD/YY`, weekday, time `HH:MM:SS`. Routers list files
//! only.

use super::date::{DateOrder, ListingTime, Precision, TimeContext, clock, numeric_date};
use super::{Entry, EntryKind, decimal, tokens};
use crate::time::FtpTime;

/// Parses one WfFTP line (line end already removed). `None` if it is not one.
///
/// ```
/// use ftp_core::FtpTime;
/// use ftp_core::listing::{wfftp, TimeContext};
///
/// let ctx = TimeContext::new(FtpTime::new(2024, 3, 1, 0, 0, 0)?);
/// let e = wfftp::parse(b"boot.cfg       1014196  06/03/04  Thur.   10:20:03", &ctx).unwrap();
/// assert_eq!((e.name, e.size), (&b"boot.cfg"[..], Some(1014196)));
/// assert_eq!(e.modified.unwrap().wall_clock().month(), 6);
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse<'a>(line: &'a [u8], ctx: &TimeContext) -> Option<Entry<'a>> {
    let mut toks = tokens(line, 0);
    let mut next = || toks.next().and_then(|(a, b)| line.get(a..b));
    let name = next()?;
    if line.first() != name.first() {
        return None;
    }
    let size = decimal(next()?)?;
    let date = next()?;
    if date.get(2) != Some(&b'/') {
        return None;
    }
    let (y, m, d) = numeric_date(date, DateOrder::MonthDayYear)?;
    let weekday = next()?;
    let letters = weekday.strip_suffix(b".").unwrap_or(weekday);
    if !(3..=4).contains(&letters.len()) || !letters.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let (hour, minute, second) = clock(next()?)?;
    if next().is_some() {
        return None;
    }
    let wall = FtpTime::new(y, m, d, hour, minute, second?).ok()?;
    Some(Entry {
        size: Some(size),
        modified: Some(ListingTime::local(
            wall,
            Precision::Second,
            false,
            ctx.server_offset_minutes,
        )),
        ..Entry::new(name, EntryKind::File, line)
    })
}
