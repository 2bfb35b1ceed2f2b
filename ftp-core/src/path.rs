//! 257 replies to PWD and MKD: the quoted path (RFC 959 Appendix II).
//!
//! The path is the text between the first `"` and the next `"` that is not doubled; a
//! doubled `""` inside stands for one `"`. Text before and after the quotes is commentary.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use crate::error::ParseError;

/// The path of a 257 reply, borrowed from the reply, still escaped (`""` for `"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotedPath<'a> {
    escaped: &'a [u8],
}

impl<'a> QuotedPath<'a> {
    /// The bytes between the quotes, as sent (doubled quotes kept).
    pub fn escaped(&self) -> &'a [u8] {
        self.escaped
    }

    /// The path bytes with each `""` turned into `"`.
    pub fn bytes(&self) -> impl Iterator<Item = u8> + 'a {
        let mut escaped = self.escaped.iter();
        core::iter::from_fn(move || {
            let b = *escaped.next()?;
            if b == b'"' {
                // The parser guarantees quotes come in pairs here.
                escaped.next();
            }
            Some(b)
        })
    }

    /// The path, borrowed when it has no doubled quotes.
    pub fn to_cow(&self) -> Cow<'a, [u8]> {
        if self.escaped.contains(&b'"') {
            Cow::Owned(self.bytes().collect::<Vec<u8>>())
        } else {
            Cow::Borrowed(self.escaped)
        }
    }
}

/// Reads the quoted path of a 257 reply's text.
///
/// Errors: no `"` at all ([`ParseError::Unquoted`]), no closing quote
/// ([`ParseError::Unterminated`]), a control character inside the quotes
/// ([`ParseError::ControlCharacter`]).
///
/// ```
/// use ftp_core::path::parse_257;
///
/// let path = parse_257(br#""/foo/b""ar" created"#)?;
/// assert_eq!(&*path.to_cow(), b"/foo/b\"ar");
/// assert!(parse_257(br#""/unterminated"#).is_err());
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse_257(text: &[u8]) -> Result<QuotedPath<'_>, ParseError> {
    let open = memchr::memchr(b'"', text).ok_or(ParseError::Unquoted)?;
    let body = &text[open + 1..];
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'"' if body.get(i + 1) == Some(&b'"') => i += 2,
            b'"' => {
                return Ok(QuotedPath {
                    escaped: &body[..i],
                });
            }
            b if b < 0x20 || b == 0x7f => {
                return Err(ParseError::ControlCharacter {
                    byte: b,
                    what: "the 257 path",
                });
            }
            _ => i += 1,
        }
    }
    Err(ParseError::Unterminated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &[u8]) -> Vec<u8> {
        parse_257(text).unwrap().to_cow().into_owned()
    }

    #[test]
    fn quotes() {
        assert_eq!(path(br#""/""hello""""#), br#"/"hello""#);
        assert_eq!(path(br#""""#), b"");
        assert_eq!(path(br#"rubbish "/x" more "y""#), b"/x");
        assert_eq!(parse_257(b"/bar"), Err(ParseError::Unquoted));
        assert_eq!(parse_257(br#""/x"#), Err(ParseError::Unterminated));
        assert!(parse_257(b"\"/\r\"").is_err());
        assert!(matches!(
            parse_257(b"\"/\x03\""),
            Err(ParseError::ControlCharacter { byte: 3, .. })
        ));
    }
}
