//! Timestamps of MDTM, MFMT and the MLSx `modify`/`create` facts (RFC 3659 §2.3).
//!
//! `time-val = 14DIGIT [ "." 1*DIGIT ]`: `YYYYMMDDHHMMSS` in UTC, optionally followed by a
//! fraction of a second. [`FtpTime`] keeps the fields as sent (no clock, no time zone data:
//! the value is UTC by definition) and converts to a Unix timestamp with integer arithmetic.

use core::fmt;

use crate::error::ParseError;

/// A UTC date and time as FTP writes it, with an optional fraction of a second.
///
/// ```
/// use ftp_core::FtpTime;
///
/// let t = FtpTime::parse(b"19991005213102.014")?;
/// assert_eq!((t.year(), t.month(), t.day()), (1999, 10, 5));
/// assert_eq!(t.millisecond(), 14);
/// assert_eq!(t.unix_timestamp(), 939159062);
/// assert_eq!(t.to_string(), "19991005213102.014");
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FtpTime {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    nanosecond: u32,
    /// How many fraction digits were sent (0 to 9), so the value prints back as it came.
    fraction_digits: u8,
}

impl FtpTime {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: FtpTime = FtpTime {
        year: 1970,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        nanosecond: 0,
        fraction_digits: 0,
    };

    /// A time from its fields, checked: month 1–12, a day that exists in that month, hour
    /// 0–23, minute 0–59, second 0–60 (a leap second), year 0–9999.
    #[inline]
    pub fn new(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Result<Self, ParseError> {
        // Every month has the days up to the 28th: most times are settled by these few
        // comparisons, inlined into the parsers; the rest (and every error) by `checked`.
        if year <= 9999
            && month.wrapping_sub(1) < 12
            && day.wrapping_sub(1) < 28
            && hour < 24
            && minute < 60
            && second <= 60
        {
            return Ok(Self::whole(year, month, day, hour, minute, second));
        }
        Self::checked(year, month, day, hour, minute, second)
    }

    /// [`new`](Self::new) in full.
    #[inline(never)]
    fn checked(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Result<Self, ParseError> {
        let out_of_range = |what| Err(ParseError::OutOfRange { what });
        if year > 9999 {
            return out_of_range("year");
        }
        if !(1..=12).contains(&month) {
            return out_of_range("month");
        }
        if day == 0 || day > days_in_month(year, month) {
            return out_of_range("day");
        }
        if hour > 23 {
            return out_of_range("hour");
        }
        if minute > 59 {
            return out_of_range("minute");
        }
        if second > 60 {
            return out_of_range("second");
        }
        Ok(Self::whole(year, month, day, hour, minute, second))
    }

    /// A time of whole seconds from fields already checked.
    #[inline(always)]
    const fn whole(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Self {
        FtpTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            nanosecond: 0,
            fraction_digits: 0,
        }
    }

    /// The same time with a fraction of a second (0 to 999 999 999 ns), printed with
    /// `digits` fraction digits (0 to 9; 0 prints no fraction).
    pub fn with_nanosecond(mut self, nanosecond: u32, digits: u8) -> Result<Self, ParseError> {
        if nanosecond > 999_999_999 || digits > 9 {
            return Err(ParseError::OutOfRange {
                what: "fraction of a second",
            });
        }
        self.nanosecond = nanosecond;
        self.fraction_digits = digits;
        Ok(self)
    }

    /// Parses exactly one `time-val` (`YYYYMMDDHHMMSS[.F…]`), nothing before or after it.
    /// Fraction digits past the ninth are accepted and dropped.
    pub fn parse(value: &[u8]) -> Result<Self, ParseError> {
        // A plain scan: this runs for every `modify` fact of every MLSD line.
        let malformed = ParseError::Malformed {
            what: "timestamp (YYYYMMDDHHMMSS[.fff])",
        };
        let (digits, tail) = value.split_at_checked(14).ok_or(malformed)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(malformed);
        }
        let fraction = match tail {
            [] => None,
            [b'.', fraction @ ..]
                if !fraction.is_empty() && fraction.iter().all(u8::is_ascii_digit) =>
            {
                Some(fraction)
            }
            _ => return Err(malformed),
        };
        Self::from_digits(digits, fraction)
    }

    /// Finds a timestamp anywhere in a reply text (`213 20201213202400`, or with words
    /// around it): the first run of exactly 14 digits, with its fraction if one follows.
    ///
    /// ```
    /// # use ftp_core::FtpTime;
    /// let t = FtpTime::find(b"213 20201213202400")?;
    /// assert_eq!(t.hour(), 20);
    /// assert!(FtpTime::find(b"213 2003040a102659").is_err());
    /// # Ok::<(), ftp_core::ParseError>(())
    /// ```
    pub fn find(text: &[u8]) -> Result<Self, ParseError> {
        let mut i = 0;
        while i < text.len() {
            if !text[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let run = text[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            // A fraction belongs to the run only right after it.
            if run == 14 {
                let after = &text[i + 14..];
                let fraction = after
                    .strip_prefix(b".")
                    .map(|f| {
                        let n = f.iter().take_while(|b| b.is_ascii_digit()).count();
                        &f[..n]
                    })
                    .filter(|f| !f.is_empty());
                return Self::from_digits(&text[i..i + 14], fraction);
            }
            i += run;
        }
        Err(ParseError::Missing {
            what: "a timestamp (YYYYMMDDHHMMSS)",
        })
    }

    fn from_digits(digits: &[u8], fraction: Option<&[u8]>) -> Result<Self, ParseError> {
        let num = |range: core::ops::Range<usize>| {
            digits[range]
                .iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        };
        let time = Self::new(
            num(0..4) as u16,
            num(4..6) as u8,
            num(6..8) as u8,
            num(8..10) as u8,
            num(10..12) as u8,
            num(12..14) as u8,
        )?;
        match fraction {
            None => Ok(time),
            Some(fraction) => {
                let kept = &fraction[..fraction.len().min(9)];
                let mut nanos = 0u32;
                for (i, d) in kept.iter().enumerate() {
                    nanos += u32::from(d - b'0') * 10u32.pow(8 - i as u32);
                }
                time.with_nanosecond(nanos, kept.len() as u8)
            }
        }
    }

    /// The year.
    pub const fn year(&self) -> u16 {
        self.year
    }
    /// The month, 1 to 12.
    pub const fn month(&self) -> u8 {
        self.month
    }
    /// The day of the month, from 1.
    pub const fn day(&self) -> u8 {
        self.day
    }
    /// The hour, 0 to 23.
    pub const fn hour(&self) -> u8 {
        self.hour
    }
    /// The minute, 0 to 59.
    pub const fn minute(&self) -> u8 {
        self.minute
    }
    /// The second, 0 to 60.
    pub const fn second(&self) -> u8 {
        self.second
    }
    /// The fraction of the second in nanoseconds.
    pub const fn nanosecond(&self) -> u32 {
        self.nanosecond
    }
    /// The fraction of the second in milliseconds (truncated).
    pub const fn millisecond(&self) -> u16 {
        (self.nanosecond / 1_000_000) as u16
    }

    /// How many fraction digits the value was given with (0 to 9): its precision.
    pub const fn fraction_digits(&self) -> u8 {
        self.fraction_digits
    }

    /// Seconds since 1970-01-01T00:00:00Z (negative before), ignoring the fraction.
    pub fn unix_timestamp(&self) -> i64 {
        let days = days_from_civil(i64::from(self.year), self.month, self.day);
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// The time at `secs` seconds since the Unix epoch (UTC), for years 0 to 9999.
    pub fn from_unix_timestamp(secs: i64) -> Result<Self, ParseError> {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        if !(0..=9999).contains(&year) {
            return Err(ParseError::OutOfRange { what: "year" });
        }
        Self::new(
            year as u16,
            month,
            day,
            (rem / 3600) as u8,
            (rem / 60 % 60) as u8,
            (rem % 60) as u8,
        )
    }
}

impl fmt::Display for FtpTime {
    /// `YYYYMMDDHHMMSS`, then `.` and the fraction digits if the value had any.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )?;
        if self.fraction_digits > 0 {
            let digits = u32::from(self.fraction_digits);
            let value = self.nanosecond / 10u32.pow(9 - digits);
            write!(f, ".{:0width$}", value, width = digits as usize)?;
        }
        Ok(())
    }
}

impl fmt::Debug for FtpTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FtpTime({self})")
    }
}

const fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let (m, d) = (i64::from(month), i64::from(day));
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn parses_and_checks_ranges() {
        let t = FtpTime::parse(b"20201213202400").unwrap();
        assert_eq!(
            (
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            ),
            (2020, 12, 13, 20, 24, 0)
        );
        assert!(FtpTime::parse(b"20201313202400").is_err());
        assert!(FtpTime::parse(b"20210229000000").is_err());
        assert!(FtpTime::parse(b"20200229000000").is_ok());
        assert!(FtpTime::parse(b"20201213242400").is_err());
        assert!(FtpTime::parse(b"2020121320240").is_err());
        assert!(FtpTime::parse(b"20201213202400Z").is_err());
        assert!(FtpTime::parse(b"20201213202400.").is_err());
    }

    #[test]
    fn fraction_keeps_its_digits() {
        let t = FtpTime::parse(b"19850530060825.1").unwrap();
        assert_eq!(t.millisecond(), 100);
        assert_eq!(t.to_string(), "19850530060825.1");
        let t = FtpTime::parse(b"19850530060825.1234567891").unwrap();
        assert_eq!(t.nanosecond(), 123_456_789);
    }

    #[test]
    fn unix_round_trip() {
        for secs in [
            0i64,
            1_373_368_321,
            -1,
            951_782_400,
            253_402_300_799,
            -62_167_219_200,
        ] {
            let t = FtpTime::from_unix_timestamp(secs).unwrap();
            assert_eq!(t.unix_timestamp(), secs, "{t}");
        }
        assert_eq!(
            FtpTime::parse(b"20130709111201").unwrap().unix_timestamp(),
            1_373_368_321
        );
    }
}
