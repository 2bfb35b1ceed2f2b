//! EPLF, the Easily Parsed LIST Format (D. J. Bernstein, <https://cr.yp.to/ftp/list/eplf.html>).
//!
//! ```text
//! +i8388621.48594,m825718503,r,s280,up755\tdjb.html
//! ```
//!
//! A `+`, comma-separated facts, a tab, the name (anything up to the line end). Facts:
//! `r` (RETR works: a file), `/` (CWD works: a directory), `s<bytes>`, `m<unix seconds>`
//! (UTC), `up<octal mode>`, `i<id>`. Unknown and empty facts are ignored, as the format
//! asks. An entry with neither `r` nor `/` is [`EntryKind::Other`].

use super::date::ListingTime;
use super::{Entry, EntryKind, decimal};
use crate::time::FtpTime;

/// Parses one EPLF line (line end already removed). `None` if it is not one.
///
/// ```
/// use ftp_core::listing::{eplf, EntryKind};
///
/// let e = eplf::parse(b"+i8388621.48594,m825718503,r,s280,up755\tdjb.html").unwrap();
/// assert_eq!((e.name, e.kind, e.size), (&b"djb.html"[..], EntryKind::File, Some(280)));
/// assert_eq!(e.modified.unwrap().unix_timestamp(), 825718503);
/// assert_eq!(e.permissions, Some(0o755));
/// ```
pub fn parse(line: &[u8]) -> Option<Entry<'_>> {
    let body = line.strip_prefix(b"+")?;
    let tab = memchr::memchr(b'\t', body)?;
    let (facts, name) = (body.get(..tab)?, body.get(tab + 1..)?);
    if name.is_empty() {
        return None;
    }
    let mut entry = Entry::new(name, EntryKind::Other, line);
    let (mut file, mut dir) = (false, false);
    for fact in facts.split(|b| *b == b',') {
        match fact.split_first() {
            Some((b'r', [])) => file = true,
            Some((b'/', [])) => dir = true,
            Some((b's', size)) => entry.size = Some(decimal(size)?),
            Some((b'm', secs)) => {
                let secs = i64::try_from(decimal(secs)?).ok()?;
                entry.modified = Some(ListingTime::utc(FtpTime::from_unix_timestamp(secs).ok()?));
            }
            Some((b'u', mode)) => {
                if let Some(octal) = mode.strip_prefix(b"p") {
                    entry.permissions = Some(octal_mode(octal)?);
                }
            }
            _ => {}
        }
    }
    entry.kind = match (dir, file) {
        (true, _) => EntryKind::Dir,
        (false, true) => EntryKind::File,
        (false, false) => EntryKind::Other,
    };
    Some(entry)
}

fn octal_mode(digits: &[u8]) -> Option<u16> {
    if digits.is_empty() || digits.len() > 6 {
        return None;
    }
    digits
        .iter()
        .try_fold(0u16, |acc, d| match d {
            b'0'..=b'7' => acc.checked_mul(8)?.checked_add(u16::from(d - b'0')),
            _ => None,
        })
        .map(|m| m & 0o7777)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts() {
        let e = parse(b"+,m825718503,,r,s280,,\tdjb.html").unwrap();
        assert_eq!((e.kind, e.size), (EntryKind::File, Some(280)));
        let e = parse(b"+/,up153,\t514").unwrap();
        assert_eq!((e.kind, e.permissions), (EntryKind::Dir, Some(0o153)));
        assert_eq!(
            parse(b"+m825718503,\tuseless").unwrap().kind,
            EntryKind::Other
        );
        assert!(parse(b"+r,s1234,  notabinfront").is_none());
        assert!(parse(b"+r,\t").is_none());
        assert!(parse(b"+r,sx,\tbad size").is_none());
    }
}
