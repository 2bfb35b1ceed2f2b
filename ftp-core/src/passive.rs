//! Passive-mode replies: 227 to PASV (RFC 959 §4.1.2) and 229 to EPSV (RFC 2428 §3).
//!
//! These parsers only read the reply. Which address to dial is the session's decision: by
//! default the control connection's peer with the port from the reply, since the address
//! in a 227 can point anywhere (CVE-2020-8284, CVE-2021-4189).

use core::net::{Ipv4Addr, SocketAddrV4};

use nom::Parser;
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::space0;
use nom::combinator::verify;
use nom::sequence::preceded;

use crate::error::ParseError;

type NomResult<'a, T> = nom::IResult<&'a [u8], T, nom::error::Error<&'a [u8]>>;

fn number(input: &[u8]) -> NomResult<'_, &[u8]> {
    take_while1(|b: u8| b.is_ascii_digit()).parse(input)
}

fn comma_number(input: &[u8]) -> NomResult<'_, &[u8]> {
    preceded((space0, tag(&b","[..]), space0), number).parse(input)
}

fn six_numbers(input: &[u8]) -> NomResult<'_, [&[u8]; 6]> {
    let (rest, (a, b, c, d, e, f)) = (
        number,
        comma_number,
        comma_number,
        comma_number,
        comma_number,
        comma_number,
    )
        .parse(input)?;
    Ok((rest, [a, b, c, d, e, f]))
}

fn octet(digits: &[u8]) -> Option<u8> {
    // More than three digits can only be out of range (leading zeros are not a thing here).
    if digits.len() > 3 {
        return None;
    }
    let value = digits
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    u8::try_from(value).ok()
}

/// Reads the address and port of a 227 reply: the first six comma-separated numbers
/// anywhere in the text, with or without parentheses (`h1,h2,h3,h4,p1,p2`, port
/// `p1 * 256 + p2`). A number above 255 is an error, not a reason to look further.
///
/// ```
/// use ftp_core::passive::parse_pasv;
///
/// let addr = parse_pasv(b"Entering Passive Mode (192,168,1,100,10,229).")?;
/// assert_eq!(addr.to_string(), "192.168.1.100:2789");
/// assert!(parse_pasv(b"Entering Passive Mode (192,168,1,999,10,229)").is_err());
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse_pasv(text: &[u8]) -> Result<SocketAddrV4, ParseError> {
    for start in 0..text.len() {
        let at_number_start = text[start].is_ascii_digit()
            && (start == 0 || !matches!(text[start - 1], b'0'..=b'9' | b'-' | b'+'));
        if !at_number_start {
            continue;
        }
        let Ok((_, numbers)) = six_numbers(&text[start..]) else {
            continue;
        };
        let mut bytes = [0u8; 6];
        for (byte, digits) in bytes.iter_mut().zip(numbers) {
            *byte = octet(digits).ok_or(ParseError::OutOfRange {
                what: "a 227 address or port number",
            })?;
        }
        let ip = Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]);
        let port = u16::from(bytes[4]) << 8 | u16::from(bytes[5]);
        return Ok(SocketAddrV4::new(ip, port));
    }
    Err(ParseError::Missing {
        what: "six comma-separated numbers (h1,h2,h3,h4,p1,p2)",
    })
}

/// `(` d d d port d `)` with one delimiter character d from `!` to `~` (not a digit).
fn epsv_tuple(input: &[u8]) -> NomResult<'_, &[u8]> {
    let (rest, _) = tag(&b"("[..]).parse(input)?;
    let delimiter = match rest.first() {
        Some(&d) if (33..=126).contains(&d) && !d.is_ascii_digit() => d,
        _ => {
            return Err(nom::Err::Error(nom::error::Error::new(
                rest,
                nom::error::ErrorKind::Char,
            )));
        }
    };
    let d = [delimiter];
    let (rest, (_, _, _, port, _, _)) = (
        tag(&d[..]),
        tag(&d[..]),
        tag(&d[..]),
        verify(number, |n: &[u8]| !n.is_empty()),
        tag(&d[..]),
        tag(&b")"[..]),
    )
        .parse(rest)?;
    Ok((rest, port))
}

/// Reads the port of a 229 reply: `(|||port|)` anywhere in the text, with any delimiter
/// from `!` to `~` (RFC 2428 §3). The network-protocol and address fields must be empty;
/// the port must be 1 to 65535.
///
/// ```
/// use ftp_core::passive::parse_epsv;
///
/// assert_eq!(parse_epsv(b"Entering Extended Passive Mode (|||6446|)")?, 6446);
/// assert_eq!(parse_epsv(b"Entering Extended Passive Mode (!!!6446!)")?, 6446);
/// assert!(parse_epsv(b"Entering Extended Passive Mode (|||6446)").is_err());
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
pub fn parse_epsv(text: &[u8]) -> Result<u16, ParseError> {
    for (start, _) in text.iter().enumerate().filter(|(_, b)| **b == b'(') {
        let Ok((_, digits)) = epsv_tuple(&text[start..]) else {
            continue;
        };
        let port = if digits.len() > 5 {
            None
        } else {
            let value = digits
                .iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
            u16::try_from(value).ok().filter(|p| *p != 0)
        };
        return port.ok_or(ParseError::OutOfRange {
            what: "the 229 port",
        });
    }
    Err(ParseError::Malformed {
        what: "229 reply: no (|||port|) in it",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn pasv_variants() {
        let ok = |t: &[u8]| parse_pasv(t).unwrap().to_string();
        assert_eq!(
            ok(b"Entering Passive Mode (127,0,0,1,123,123)"),
            "127.0.0.1:31611"
        );
        assert_eq!(
            ok(b"Entering Passive Mode 127,0,0,1,123,123"),
            "127.0.0.1:31611"
        );
        assert_eq!(ok(b"=127, 0, 0, 1, 4, 1"), "127.0.0.1:1025");
        assert!(parse_pasv(b"(127,0,0,1,-100,100)").is_err());
        assert!(parse_pasv(b"(1216,256,2,127,127,127)").is_err());
        assert!(parse_pasv(b"(127,0,0,").is_err());
        assert!(parse_pasv(b"").is_err());
    }

    #[test]
    fn epsv_variants() {
        assert_eq!(parse_epsv(b"x ($$$31744$)").unwrap(), 31744);
        assert!(parse_epsv(b"(|||0|)").is_err());
        assert!(parse_epsv(b"(|||65536|)").is_err());
        assert!(parse_epsv(b"(|||4294973296|)").is_err());
        assert!(parse_epsv(b"(|2|::1|31744|)").is_err());
        assert!(parse_epsv(b"(111222|)").is_err());
        assert!(parse_epsv(b"(\x00\x00\x00773\x00)").is_err());
        assert!(parse_epsv(b"(").is_err());
    }
}
