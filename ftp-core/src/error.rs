//! The error shared by the typed reply parsers.

/// Why a typed parser could not extract a value from a reply or a line.
///
/// Every typed parser in this crate ([`passive`](crate::passive), [`path`](crate::path),
/// [`size`](crate::size), [`time`](crate::time), [`feat`](crate::feat), [`mlsx`](crate::mlsx))
/// returns this one type, so a caller can match on the reason whatever the reply was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The text does not contain the value at all (for example a 227 without six numbers).
    #[error("the reply does not contain {what}")]
    Missing {
        /// What was looked for.
        what: &'static str,
    },
    /// The value is there but out of its range (an octet above 255, port 0, month 13, a size
    /// that overflows `u64`).
    #[error("{what} is out of range")]
    OutOfRange {
        /// Which value.
        what: &'static str,
    },
    /// The value has the wrong shape (a 229 with two leading delimiters, a timestamp with a
    /// letter in it, a fact without `=`).
    #[error("malformed {what}")]
    Malformed {
        /// Which value.
        what: &'static str,
    },
    /// A quoted string (a 257 path) has no closing quote.
    #[error("unterminated quoted path")]
    Unterminated,
    /// A 257 reply has no quoted path at all.
    #[error("the 257 reply has no quoted path")]
    Unquoted,
    /// A control character (below 0x20, or DEL) where none is allowed.
    #[error("control character 0x{byte:02x} in {what}")]
    ControlCharacter {
        /// The offending byte.
        byte: u8,
        /// Where it was found.
        what: &'static str,
    },
}
