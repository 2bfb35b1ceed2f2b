//! Sizes: the 213 reply to SIZE (RFC 3659 §4) and the byte count some servers put in the
//! 150 reply that opens a download (`150 Opening BINARY mode data connection for f (1234 bytes)`).

use crate::error::ParseError;

fn digits_value(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// Reads the size from a 213 reply's text: the last number in it (`213 1024`, or
/// `213 file: 213, Size =51` from servers that add words).
///
/// ```
/// use ftp_core::size::parse_size;
///
/// assert_eq!(parse_size(b"3204427776")?, 3_204_427_776);
/// assert!(parse_size(b"99999999999999999999999999999999").is_err());
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse_size(text: &[u8]) -> Result<u64, ParseError> {
    let end = text
        .iter()
        .rposition(u8::is_ascii_digit)
        .ok_or(ParseError::Missing { what: "a size" })?
        + 1;
    let start = text[..end]
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |i| i + 1);
    digits_value(&text[start..end]).ok_or(ParseError::OutOfRange { what: "the size" })
}

/// Reads the byte count of a 150 reply's text, `(N bytes)`, if the server sent one.
///
/// ```
/// use ftp_core::size::parse_transfer_size;
///
/// assert_eq!(parse_transfer_size(b"Binary data connection for 126 () (22 bytes)."), Some(22));
/// assert_eq!(parse_transfer_size(b"File status okay. About to open data connection."), None);
/// ```
pub fn parse_transfer_size(text: &[u8]) -> Option<u64> {
    let mut found = None;
    for (i, _) in text.iter().enumerate().filter(|(_, b)| **b == b'(') {
        let rest = &text[i + 1..];
        let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            continue;
        }
        let after = &rest[n..];
        let unit = after.strip_prefix(b" ").unwrap_or(after);
        if unit.len() >= 5 && unit[..5].eq_ignore_ascii_case(b"bytes") {
            found = digits_value(&rest[..n]);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size(b"512   ").unwrap(), 512);
        assert_eq!(parse_size(b" 512 1024 2048").unwrap(), 2048);
        assert_eq!(parse_size(b"0").unwrap(), 0);
        assert_eq!(parse_size(b"18446744073709551615").unwrap(), u64::MAX);
        assert!(parse_size(b"18446744073709551616").is_err());
        assert!(parse_size(b"no").is_err());
    }

    #[test]
    fn transfer_sizes() {
        assert_eq!(
            parse_transfer_size(b"Opening BINARY mode data connection for a b (1234 bytes)."),
            Some(1234)
        );
        assert_eq!(parse_transfer_size(b"(12 BYTES)"), Some(12));
        assert_eq!(parse_transfer_size(b"()"), None);
        assert_eq!(
            parse_transfer_size(b"(99999999999999999999999 bytes)"),
            None
        );
    }
}
