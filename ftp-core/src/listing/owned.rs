//! Listings as they arrive over a data connection: [`ListingStream`] splits chunks into
//! lines (holding only the unfinished last line) and classifies each with a
//! [`ListingParser`]; [`OwnedEntry`] is an [`Entry`] that owns its bytes, for callers that
//! keep entries beyond the line (the adapters' `list()` and `mlsd()`).
//!
//! ```
//! use ftp_core::FtpTime;
//! use ftp_core::listing::owned::{ListingStream, OwnedEntry};
//! use ftp_core::listing::{ListingParser, ParsedLine};
//!
//! let mut stream = ListingStream::new(ListingParser::new(FtpTime::new(2024, 3, 1, 0, 0, 0)?));
//! let mut names = Vec::new();
//! // A line split across two reads is put back together.
//! for chunk in [&b"-rw-r--r-- 1 ftp ftp 5 Jan 2"[..], b"9 03:26 a b\r\ntotal 0\r\n"] {
//!     stream.push(chunk, |line| {
//!         if let ParsedLine::Entry(e) = line {
//!             names.push(OwnedEntry::from(&e).name);
//!         }
//!     });
//! }
//! stream.finish(|_| {});
//! assert_eq!(names, [b"a b".to_vec()]);
//! # Ok::<(), ftp_core::ParseError>(())
//! ```

use alloc::vec::Vec;

use super::{Entry, EntryKind, ListingParser, ListingTime, ParsedLine};

/// The kind of an [`OwnedEntry`]. See [`EntryKind`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OwnedKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link, with its target when listed.
    Symlink {
        /// The target.
        target: Option<Vec<u8>>,
    },
    /// A block device.
    BlockDevice {
        /// The major device number.
        major: Option<u32>,
        /// The minor device number.
        minor: Option<u32>,
    },
    /// A character device.
    CharDevice {
        /// The major device number.
        major: Option<u32>,
        /// The minor device number.
        minor: Option<u32>,
    },
    /// A named pipe.
    Pipe,
    /// A socket.
    Socket,
    /// Anything else.
    Other,
}

/// A listed entry that owns its bytes. See [`Entry`] for the fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedEntry {
    /// The name, as listed.
    pub name: Vec<u8>,
    /// What the entry is.
    pub kind: OwnedKind,
    /// The size in bytes, when listed.
    pub size: Option<u64>,
    /// The modification time, with its precision.
    pub modified: Option<ListingTime>,
    /// Unix permission bits, when known.
    pub permissions: Option<u16>,
    /// The owner, as listed.
    pub owner: Option<Vec<u8>>,
    /// The group, as listed.
    pub group: Option<Vec<u8>>,
    /// The hard-link count.
    pub links: Option<u64>,
    /// The whole line.
    pub raw: Vec<u8>,
}

impl OwnedEntry {
    /// The name as text, if it is UTF-8.
    pub fn name_str(&self) -> Option<&str> {
        core::str::from_utf8(&self.name).ok()
    }

    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.kind == OwnedKind::Dir
    }

    /// Whether this is a regular file.
    pub fn is_file(&self) -> bool {
        self.kind == OwnedKind::File
    }

    /// Whether the name is `.` or `..`.
    pub fn is_self_or_parent(&self) -> bool {
        self.name == b"." || self.name == b".."
    }
}

impl From<&Entry<'_>> for OwnedEntry {
    fn from(e: &Entry<'_>) -> Self {
        let kind = match e.kind {
            EntryKind::File => OwnedKind::File,
            EntryKind::Dir => OwnedKind::Dir,
            EntryKind::Symlink { target } => OwnedKind::Symlink {
                target: target.map(<[u8]>::to_vec),
            },
            EntryKind::BlockDevice { major, minor } => OwnedKind::BlockDevice { major, minor },
            EntryKind::CharDevice { major, minor } => OwnedKind::CharDevice { major, minor },
            EntryKind::Pipe => OwnedKind::Pipe,
            EntryKind::Socket => OwnedKind::Socket,
            EntryKind::Other => OwnedKind::Other,
        };
        OwnedEntry {
            name: e.full_name().into_owned(),
            kind,
            size: e.size,
            modified: e.modified,
            permissions: e.permissions,
            owner: e.owner.map(<[u8]>::to_vec),
            group: e.group.map(<[u8]>::to_vec),
            links: e.links,
            raw: e.raw.to_vec(),
        }
    }
}

/// Lines out of a data stream that arrives in chunks: holds only the unfinished last
/// line. Each line is handed out without its `\n` or `\r\n`.
///
/// ```
/// use ftp_core::listing::owned::LineBuffer;
///
/// let mut lines = LineBuffer::new();
/// let mut got = Vec::new();
/// lines.push(b"one\r\ntw", |l| got.push(l.to_vec()));
/// lines.push(b"o\nthree", |l| got.push(l.to_vec()));
/// lines.finish(|l| got.push(l.to_vec()));
/// assert_eq!(got, [b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct LineBuffer {
    partial: Vec<u8>,
}

impl LineBuffer {
    /// An empty buffer.
    pub const fn new() -> Self {
        LineBuffer {
            partial: Vec::new(),
        }
    }

    /// Hands out every line `chunk` completes, in order.
    pub fn push(&mut self, mut chunk: &[u8], mut each: impl FnMut(&[u8])) {
        while let Some(end) = memchr::memchr(b'\n', chunk) {
            let (line, rest) = chunk.split_at(end + 1);
            chunk = rest;
            if self.partial.is_empty() {
                each(super::strip_line_end(line));
            } else {
                self.partial.extend_from_slice(line);
                each(super::strip_line_end(&self.partial));
                self.partial.clear();
            }
        }
        self.partial.extend_from_slice(chunk);
    }

    /// The stream ended: hands out a last line that had no line end.
    pub fn finish(&mut self, mut each: impl FnMut(&[u8])) {
        if !self.partial.is_empty() {
            each(super::strip_line_end(&self.partial));
            self.partial.clear();
        }
    }
}

/// A listing parsed as its chunks arrive. Holds the parser and the unfinished last line,
/// never the listing.
#[derive(Debug, Clone)]
pub struct ListingStream {
    parser: ListingParser,
    lines: LineBuffer,
}

impl ListingStream {
    /// A stream classifying lines with `parser`.
    pub fn new(parser: ListingParser) -> Self {
        ListingStream {
            parser,
            lines: LineBuffer::new(),
        }
    }

    /// Classifies every line `chunk` completes, in order.
    pub fn push(&mut self, chunk: &[u8], mut each: impl FnMut(ParsedLine<'_>)) {
        let parser = &mut self.parser;
        self.lines.push(chunk, |line| each(parser.parse_line(line)));
    }

    /// The listing ended: classifies a last line that had no line end.
    pub fn finish(&mut self, mut each: impl FnMut(ParsedLine<'_>)) {
        let parser = &mut self.parser;
        self.lines.finish(|line| each(parser.parse_line(line)));
        // A line the parser still holds (a VMS name whose details never came).
        if let Some(last) = self.parser.finish() {
            each(last);
        }
    }

    /// The parser (its detected format).
    pub fn parser(&self) -> &ListingParser {
        &self.parser
    }
}

/// A listing: the entries, and every line that is not one (never dropped silently).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// The entries, in the server's order.
    pub entries: Vec<OwnedEntry>,
    /// Lines no parser understood, as sent (line end removed).
    pub unparsed: Vec<Vec<u8>>,
}

/// Builds a [`Listing`] from the chunks of a listing's data connection (what both
/// adapters' `list`/`mlsd` do).
///
/// ```
/// use ftp_core::FtpTime;
/// use ftp_core::listing::ListingParser;
/// use ftp_core::listing::owned::ListingCollector;
///
/// let mut collector = ListingCollector::new(ListingParser::new(FtpTime::new(2024, 3, 1, 0, 0, 0)?));
/// collector.push(b"-rw-r--r-- 1 u g 5 Jan 1 2024 a\r\n??");
/// let listing = collector.finish();
/// assert_eq!(listing.entries.len(), 1);
/// assert_eq!(listing.unparsed, [b"??".to_vec()]);
/// # Ok::<(), ftp_core::ParseError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ListingCollector {
    stream: ListingStream,
    listing: Listing,
}

impl ListingCollector {
    /// A collector classifying lines with `parser`.
    pub fn new(parser: ListingParser) -> Self {
        ListingCollector {
            stream: ListingStream::new(parser),
            listing: Listing::default(),
        }
    }

    /// Takes the lines `chunk` completes.
    pub fn push(&mut self, chunk: &[u8]) {
        let listing = &mut self.listing;
        self.stream.push(chunk, |line| keep(listing, line));
    }

    /// The listing ended: the last line, and the listing.
    pub fn finish(mut self) -> Listing {
        let listing = &mut self.listing;
        self.stream.finish(|line| keep(listing, line));
        self.listing
    }
}

fn keep(listing: &mut Listing, line: ParsedLine<'_>) {
    match line {
        ParsedLine::Entry(e) => listing.entries.push(OwnedEntry::from(&e)),
        ParsedLine::Unparsed(raw) => listing.unparsed.push(raw.to_vec()),
        _ => {}
    }
}

/// Collects the lines of a data connection (NLST, raw LIST lines), line ends removed.
#[derive(Debug, Clone, Default)]
pub struct LineCollector {
    buffer: LineBuffer,
    lines: Vec<Vec<u8>>,
}

impl LineCollector {
    /// An empty collector.
    pub fn new() -> Self {
        LineCollector::default()
    }

    /// Takes the lines `chunk` completes.
    pub fn push(&mut self, chunk: &[u8]) {
        let lines = &mut self.lines;
        self.buffer.push(chunk, |l| lines.push(l.to_vec()));
    }

    /// The data ended: the last line, and all lines.
    pub fn finish(mut self) -> Vec<Vec<u8>> {
        let lines = &mut self.lines;
        self.buffer.finish(|l| lines.push(l.to_vec()));
        self.lines
    }
}

/// A line without its line end (`\n` or `\r\n`): what ASCII uploads (`stor_lines`) send
/// before their CRLF.
///
/// ```
/// use ftp_core::listing::owned::strip_line_end;
/// assert_eq!(strip_line_end(b"one\r\n"), b"one");
/// assert_eq!(strip_line_end(b"two\n"), b"two");
/// assert_eq!(strip_line_end(b"three"), b"three");
/// ```
pub fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}
