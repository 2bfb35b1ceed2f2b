//! FEAT replies (RFC 2389 §3) and the [`Capabilities`] they announce.
//!
//! ```text
//! 211-Features:
//!  MDTM
//!  REST STREAM
//!  MLST type*;size*;modify*;
//!  AUTH TLS
//! 211 End
//! ```
//!
//! Each line between the first and the last is one feature: a name, then optional
//! parameters after a space. Names are case-insensitive. Features this crate knows are
//! typed as [`Feature`]; all others are kept by name.

use alloc::vec::Vec;
use core::fmt;

use crate::reply::Reply;

/// Features the client acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Feature {
    /// EPSV (RFC 2428).
    Epsv,
    /// EPRT (RFC 2428).
    Eprt,
    /// MLST and MLSD (RFC 3659); parameters are the supported facts, `*` for enabled ones.
    Mlst,
    /// MDTM (RFC 3659).
    Mdtm,
    /// SIZE (RFC 3659).
    Size,
    /// REST STREAM (RFC 3659): restartable transfers.
    RestStream,
    /// UTF8 (RFC 2640): paths are UTF-8.
    Utf8,
    /// TVFS (RFC 3659): Unix-like path names.
    Tvfs,
    /// AUTH (RFC 2228, RFC 4217); parameters name the mechanisms (TLS, SSL).
    Auth,
    /// PBSZ (RFC 2228).
    Pbsz,
    /// PROT (RFC 2228).
    Prot,
    /// CCC (RFC 2228): clear the control channel.
    Ccc,
    /// MFMT: set the modification time.
    Mfmt,
    /// MFCT: set the creation time.
    Mfct,
    /// MFF: set facts; parameters are the settable facts.
    Mff,
    /// HASH; parameters are the algorithms, `*` for the selected one.
    Hash,
    /// HOST (RFC 7151): virtual hosts.
    Host,
    /// CLNT: client name.
    Clnt,
    /// PRET: announce the next transfer command before PASV (distributed servers).
    Pret,
    /// LANG (RFC 2640); parameters are the languages, `*` for the selected one.
    Lang,
}

impl Feature {
    /// Every feature this crate types.
    pub const ALL: [Feature; 20] = [
        Feature::Epsv,
        Feature::Eprt,
        Feature::Mlst,
        Feature::Mdtm,
        Feature::Size,
        Feature::RestStream,
        Feature::Utf8,
        Feature::Tvfs,
        Feature::Auth,
        Feature::Pbsz,
        Feature::Prot,
        Feature::Ccc,
        Feature::Mfmt,
        Feature::Mfct,
        Feature::Mff,
        Feature::Hash,
        Feature::Host,
        Feature::Clnt,
        Feature::Pret,
        Feature::Lang,
    ];
}

impl Feature {
    /// The feature's name as FEAT lists it.
    pub const fn name(self) -> &'static str {
        match self {
            Feature::Epsv => "EPSV",
            Feature::Eprt => "EPRT",
            Feature::Mlst => "MLST",
            Feature::Mdtm => "MDTM",
            Feature::Size => "SIZE",
            Feature::RestStream => "REST",
            Feature::Utf8 => "UTF8",
            Feature::Tvfs => "TVFS",
            Feature::Auth => "AUTH",
            Feature::Pbsz => "PBSZ",
            Feature::Prot => "PROT",
            Feature::Ccc => "CCC",
            Feature::Mfmt => "MFMT",
            Feature::Mfct => "MFCT",
            Feature::Mff => "MFF",
            Feature::Hash => "HASH",
            Feature::Host => "HOST",
            Feature::Clnt => "CLNT",
            Feature::Pret => "PRET",
            Feature::Lang => "LANG",
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }

    fn from_line(name: &[u8], params: &[u8]) -> Option<Feature> {
        let feature = Self::ALL
            .into_iter()
            .find(|f| f.name().as_bytes().eq_ignore_ascii_case(name))?;
        // REST alone (or REST with another mode) is not REST STREAM.
        if feature == Feature::RestStream
            && !params
                .split(|b| *b == b' ' || *b == b';')
                .any(|p| p.eq_ignore_ascii_case(b"STREAM"))
        {
            return None;
        }
        Some(feature)
    }
}

/// One line of a FEAT reply, borrowed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FeatureLine<'a> {
    /// The feature name as sent.
    pub name: &'a [u8],
    /// The parameters after the name (may be empty).
    pub params: &'a [u8],
    /// The feature, if it is one this crate knows.
    pub feature: Option<Feature>,
}

impl fmt::Debug for FeatureLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FeatureLine({} {})",
            self.name.escape_ascii(),
            self.params.escape_ascii()
        )
    }
}

/// One item of a `;`-separated feature parameter list (MLST facts, HASH algorithms, LANG
/// tags), with its `*` marker (enabled, selected) removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListItem<'a> {
    /// The item, without the `*`.
    pub name: &'a [u8],
    /// Whether it carried a `*`.
    pub marked: bool,
}

/// The feature lines of a FEAT reply's bytes: every line but the first (`211-Features:`)
/// and the closing `211 End`. A single-line reply (`211 No features`) has none.
///
/// ```
/// use ftp_core::feat::{feature_lines, Feature};
///
/// let raw = b"211-Features:\r\n MDTM\r\n REST STREAM\r\n XCRC\r\n211 End\r\n";
/// let names: Vec<_> = feature_lines(raw).map(|l| (l.name, l.feature)).collect();
/// assert_eq!(names, [
///     (&b"MDTM"[..], Some(Feature::Mdtm)),
///     (b"REST", Some(Feature::RestStream)),
///     (b"XCRC", None),
/// ]);
/// ```
pub fn feature_lines(raw: &[u8]) -> impl Iterator<Item = FeatureLine<'_>> + '_ {
    let mut lines =
        crate::reply::Reply::new(crate::ReplyCode::SYSTEM_STATUS, raw, true, false).lines();
    let first = lines.next();
    let multiline = first.is_some_and(|l| l.get(3) == Some(&b'-'));
    let code = first.and_then(|l| l.get(..3));
    lines
        .filter(move |_| multiline)
        .filter(move |line| {
            // The closing line: the same code and a space (or nothing).
            !(line.get(..3) == code && matches!(line.get(3), None | Some(b' ')))
        })
        .filter_map(parse_feature_line)
}

fn parse_feature_line(line: &[u8]) -> Option<FeatureLine<'_>> {
    let line = line.trim_ascii();
    if line.is_empty() {
        return None;
    }
    let (name, params) = match line.iter().position(|b| *b == b' ') {
        Some(i) => (&line[..i], line[i + 1..].trim_ascii()),
        None => (line, &b""[..]),
    };
    Some(FeatureLine {
        name,
        params,
        feature: Feature::from_line(name, params),
    })
}

/// Splits a feature parameter list on `;` (and spaces), dropping empty items.
pub fn list_items(params: &[u8]) -> impl Iterator<Item = ListItem<'_>> + '_ {
    params
        .split(|b| *b == b';' || *b == b' ')
        .filter(|item| !item.is_empty())
        .map(|item| match item.strip_suffix(b"*") {
            Some(name) => ListItem { name, marked: true },
            None => ListItem {
                name: item,
                marked: false,
            },
        })
}

/// What a server announced in its FEAT reply. Owned (one copy of the reply), built once
/// per session; every query reads the stored lines.
///
/// ```
/// use ftp_core::{Capabilities, feat::Feature};
///
/// let caps = Capabilities::from_raw(
///     b"211-Features:\r\n AUTH TLS\r\n MLST type*;size*;modify*;perm;\r\n UTF8\r\n211 End\r\n",
/// );
/// assert!(caps.has(Feature::Utf8));
/// assert!(caps.supports_auth(b"TLS"));
/// assert!(!caps.has(Feature::Mfmt));
/// let facts: Vec<_> = caps.mlst_facts().filter(|f| f.marked).map(|f| f.name).collect();
/// assert_eq!(facts, [&b"type"[..], b"size", b"modify"]);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    raw: Vec<u8>,
    known: u32,
}

impl Capabilities {
    /// The capabilities in a FEAT reply.
    pub fn from_reply(reply: &Reply<'_>) -> Self {
        Self::from_raw(reply.raw())
    }

    /// The capabilities in the bytes of a FEAT reply.
    pub fn from_raw(raw: &[u8]) -> Self {
        let known = feature_lines(raw)
            .filter_map(|line| line.feature)
            .fold(0, |bits, f| bits | f.bit());
        Capabilities {
            raw: raw.to_vec(),
            known,
        }
    }

    /// Whether the server announced `feature`.
    pub fn has(&self, feature: Feature) -> bool {
        self.known & feature.bit() != 0
    }

    /// All feature lines, known or not.
    pub fn lines(&self) -> impl Iterator<Item = FeatureLine<'_>> + '_ {
        feature_lines(&self.raw)
    }

    /// The parameters of the first line named `name` (case-insensitive), if the server
    /// listed it: this is how features without a [`Feature`] variant are queried.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.lines()
            .find(|l| l.name.eq_ignore_ascii_case(name.as_bytes()))
            .map(|l| l.params)
    }

    /// The parameter items of every line of `feature` (servers may list AUTH once per
    /// mechanism, or once with `TLS;SSL`).
    pub fn items(&self, feature: Feature) -> impl Iterator<Item = ListItem<'_>> + '_ {
        self.lines()
            .filter(move |l| l.feature == Some(feature))
            .flat_map(|l| list_items(l.params))
    }

    /// The MLST facts, `marked` where enabled.
    pub fn mlst_facts(&self) -> impl Iterator<Item = ListItem<'_>> + '_ {
        self.items(Feature::Mlst)
    }

    /// The HASH algorithms, `marked` for the selected one.
    pub fn hash_algorithms(&self) -> impl Iterator<Item = ListItem<'_>> + '_ {
        self.items(Feature::Hash)
    }

    /// The LANG languages, `marked` for the selected one.
    pub fn languages(&self) -> impl Iterator<Item = ListItem<'_>> + '_ {
        self.items(Feature::Lang)
    }

    /// Whether AUTH lists `mechanism` (`TLS`, `SSL`), case-insensitive.
    pub fn supports_auth(&self, mechanism: &[u8]) -> bool {
        self.items(Feature::Auth)
            .any(|i| i.name.eq_ignore_ascii_case(mechanism))
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.lines()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pure_ftpd_feat() {
        let raw = b"211-Extensions supported:\r\n EPRT\r\n IDLE\r\n MDTM\r\n SIZE\r\n MFMT\r\n REST STREAM\r\n MLST type*;size*;sizd*;modify*;UNIX.mode*;UNIX.uid*;UNIX.gid*;unique*;\r\n MLSD\r\n PRET\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n UTF8\r\n TVFS\r\n ESTA\r\n PASV\r\n EPSV\r\n211 End.\r\n";
        let caps = Capabilities::from_raw(raw);
        for f in [
            Feature::Eprt,
            Feature::Mdtm,
            Feature::Size,
            Feature::Mfmt,
            Feature::RestStream,
            Feature::Mlst,
            Feature::Pret,
            Feature::Auth,
            Feature::Pbsz,
            Feature::Prot,
            Feature::Utf8,
            Feature::Tvfs,
            Feature::Epsv,
        ] {
            assert!(caps.has(f), "{f:?}");
        }
        assert!(!caps.has(Feature::Hash));
        assert_eq!(caps.get("idle"), Some(&b""[..]));
        assert_eq!(caps.get("NOPE"), None);
        assert_eq!(caps.mlst_facts().count(), 8);
    }

    #[test]
    fn rest_without_stream_is_not_rest_stream() {
        let caps = Capabilities::from_raw(b"211-x\r\n REST\r\n211 End\r\n");
        assert!(!caps.has(Feature::RestStream));
        assert_eq!(caps.get("rest"), Some(&b""[..]));
    }

    #[test]
    fn single_line_has_no_features() {
        assert_eq!(feature_lines(b"211 No features\r\n").count(), 0);
    }
}
