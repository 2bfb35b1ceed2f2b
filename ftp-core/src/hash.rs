//! File digests a server computes: the 213 reply to `HASH` (draft-bryan-ftpext-hash-02
//! §3: the server hashes a file, or a range of it, with the algorithm selected by `OPTS
//! HASH`; FEAT lists the algorithms with `*` on the selected one), and the older,
//! unstandardised `XMD5` and `XCRC` (a 250 or 213 reply with the hex digest).
//!
//! ```text
//! C> HASH big.iso
//! S> 213 SHA-256 0-1073741823 3e9c…c3 big.iso
//! C> XCRC big.iso
//! S> 250 8C1A0E3F
//! ```

use crate::error::ParseError;
use crate::feat::Capabilities;

/// A digest a server can compute for a file, in the order a client prefers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Digest {
    /// `HASH` with SHA-256.
    Sha256,
    /// `XMD5`.
    Md5,
    /// `XCRC` (CRC-32, the zlib/PNG polynomial).
    Crc32,
}

impl Digest {
    /// The best digest FEAT offers: `HASH` with SHA-256, else `XMD5`, else `XCRC`.
    ///
    /// ```
    /// use ftp_core::feat::Capabilities;
    /// use ftp_core::hash::Digest;
    ///
    /// let feat = |lines: &str| Capabilities::from_raw(format!("211-F\r\n{lines}211 E\r\n").as_bytes());
    /// assert_eq!(Digest::offered(&feat(" HASH SHA-1*;SHA-256\r\n XCRC\r\n")), Some(Digest::Sha256));
    /// assert_eq!(Digest::offered(&feat(" HASH SHA-1*;MD5\r\n XCRC\r\n")), Some(Digest::Crc32));
    /// assert_eq!(Digest::offered(&feat(" SIZE\r\n")), None);
    /// ```
    pub fn offered(caps: &Capabilities) -> Option<Digest> {
        if caps
            .hash_algorithms()
            .any(|a| a.name.eq_ignore_ascii_case(b"SHA-256"))
        {
            Some(Digest::Sha256)
        } else if caps.get("XMD5").is_some() {
            Some(Digest::Md5)
        } else if caps.get("XCRC").is_some() {
            Some(Digest::Crc32)
        } else {
            None
        }
    }

    /// The command that asks for it.
    pub fn command(self) -> &'static [u8] {
        match self {
            Digest::Sha256 => b"HASH",
            Digest::Md5 => b"XMD5",
            Digest::Crc32 => b"XCRC",
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Digest::Sha256 => "SHA-256",
            Digest::Md5 => "MD5",
            Digest::Crc32 => "CRC-32",
        }
    }

    /// Whether a reply's text carries exactly the digest `expected` (its bytes; for
    /// CRC-32 the four bytes big-endian). `HASH` replies are read with [`parse_hash`]; an
    /// `XMD5` or `XCRC` reply holds the hex digest as one of its words (some servers
    /// add the file name; CRC-32 may come without leading zeros).
    ///
    /// ```
    /// use ftp_core::hash::Digest;
    /// assert!(Digest::Crc32.matches(b"1A2B3C", &[0x00, 0x1a, 0x2b, 0x3c]));
    /// assert!(Digest::Md5.matches(b"d41d8cd98f00b204e9800998ecf8427e  empty.txt",
    ///     &[0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04, 0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e]));
    /// assert!(!Digest::Crc32.matches(b"not a digest", &[0, 0, 0, 1]));
    /// ```
    pub fn matches(self, text: &[u8], expected: &[u8]) -> bool {
        match self {
            Digest::Sha256 => parse_hash(text)
                .is_ok_and(|h| h.algorithm.eq_ignore_ascii_case(b"SHA-256") && h.matches(expected)),
            Digest::Md5 => text.split(|b| *b == b' ').any(|word| {
                FileHash {
                    algorithm: b"MD5",
                    range: None,
                    hex: word,
                    name: b"",
                }
                .matches(expected)
            }),
            Digest::Crc32 => {
                let want = expected
                    .iter()
                    .fold(0u64, |acc, b| acc << 8 | u64::from(*b));
                text.split(|b| *b == b' ').any(|word| {
                    (1..=8).contains(&word.len())
                        && word.iter().all(u8::is_ascii_hexdigit)
                        && word.iter().fold(0u64, |acc, b| {
                            acc << 4 | u64::from((*b as char).to_digit(16).unwrap_or(0))
                        }) == want
                })
            }
        }
    }
}

/// A parsed HASH reply, borrowing the reply's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileHash<'a> {
    /// The algorithm, as the server names it (`SHA-256`, `SHA-1`, `MD5`, `CRC32`).
    pub algorithm: &'a [u8],
    /// The byte range hashed, both ends included (`0-1023`), when given.
    pub range: Option<(u64, u64)>,
    /// The digest as hex text.
    pub hex: &'a [u8],
    /// The file name, as the server echoes it (may contain spaces).
    pub name: &'a [u8],
}

impl FileHash<'_> {
    /// Whether this is the digest `expected` (bytes), compared with the hex text
    /// case-insensitively.
    pub fn matches(&self, expected: &[u8]) -> bool {
        fn nibble(b: u8) -> Option<u8> {
            (b as char).to_digit(16).map(|d| d as u8)
        }
        self.hex.len() == expected.len() * 2
            && self.hex.chunks(2).zip(expected).all(|(pair, byte)| {
                match (nibble(pair[0]), nibble(pair[1])) {
                    (Some(hi), Some(lo)) => hi << 4 | lo == *byte,
                    _ => false,
                }
            })
    }
}

/// Reads a 213 HASH reply's text: `ALGORITHM START-END HEX NAME`.
///
/// ```
/// use ftp_core::hash::parse_hash;
///
/// let h = parse_hash(b"SHA-256 0-3 88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589 a b.txt")?;
/// assert_eq!(h.algorithm, b"SHA-256");
/// assert_eq!(h.range, Some((0, 3)));
/// assert_eq!(h.name, b"a b.txt");
/// assert!(h.matches(&[0x88, 0xd4, 0x26, 0x6f, 0xd4, 0xe6, 0x33, 0x8d, 0x13, 0xb8, 0x45,
///     0xfc, 0xf2, 0x89, 0x57, 0x9d, 0x20, 0x9c, 0x89, 0x78, 0x23, 0xb9, 0x21, 0x7d, 0xa3,
///     0xe1, 0x61, 0x93, 0x6f, 0x03, 0x15, 0x89]));
/// assert!(parse_hash(b"SHA-256 0-3 zz a.txt").is_err());
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse_hash(text: &[u8]) -> Result<FileHash<'_>, ParseError> {
    let mut rest = text;
    let mut field = |what: &'static str| -> Result<&[u8], ParseError> {
        let start = rest
            .iter()
            .position(|b| *b != b' ')
            .ok_or(ParseError::Missing { what })?;
        let tail = &rest[start..];
        let end = tail.iter().position(|b| *b == b' ').unwrap_or(tail.len());
        rest = &tail[end..];
        Ok(&tail[..end])
    };
    let algorithm = field("a hash algorithm")?;
    let second = field("a hash")?;
    // The range is optional in some servers' replies: a field with a `-` between digits.
    let (range, hex) = match split_range(second) {
        Some(range) => (Some(range), field("a hash")?),
        None => (None, second),
    };
    if hex.is_empty() || hex.len() % 2 != 0 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return Err(ParseError::Malformed { what: "hash" });
    }
    let name = rest.strip_prefix(b" ").unwrap_or(rest);
    Ok(FileHash {
        algorithm,
        range,
        hex,
        name,
    })
}

fn split_range(field: &[u8]) -> Option<(u64, u64)> {
    let dash = field.iter().position(|b| *b == b'-')?;
    let number = |digits: &[u8]| -> Option<u64> {
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        digits.iter().try_fold(0u64, |acc, d| {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
    };
    Some((number(&field[..dash])?, number(&field[dash + 1..])?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let h = parse_hash(b"MD5 0-9 0123456789abcdefABCDEF0123456789 f").unwrap();
        assert_eq!(
            (h.algorithm, h.range, h.name),
            (&b"MD5"[..], Some((0, 9)), &b"f"[..])
        );
        // Without a range.
        let h = parse_hash(b"CRC32 deadbeef name with  spaces").unwrap();
        assert_eq!((h.range, h.hex), (None, &b"deadbeef"[..]));
        assert_eq!(h.name, b"name with  spaces");
        assert!(h.matches(&[0xde, 0xad, 0xbe, 0xef]));
        assert!(!h.matches(&[0xde, 0xad, 0xbe]));
        assert!(parse_hash(b"").is_err());
        assert!(parse_hash(b"SHA-1").is_err());
        assert!(parse_hash(b"SHA-1 0-1 abc f").is_err(), "odd length");
        // A range that overflows is not a range: then it is read as the hash and fails.
        assert!(parse_hash(b"SHA-1 0-99999999999999999999999 ab f").is_err());
    }
}
