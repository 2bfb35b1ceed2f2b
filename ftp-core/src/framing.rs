//! Reply framing: where each reply of the control channel begins and ends (RFC 959 §4.2).
//!
//! The rules, and the deviations real servers need:
//!
//! - `ddd text` is a whole reply; so is a bare `ddd` line (no text at all).
//! - `ddd-text` opens a multi-line reply that ends at a line starting with the **same**
//!   `ddd` followed by a space (or a bare `ddd`). Lines in between may start with anything:
//!   digits, another code, a space, or nothing (RFC 959 §4.2, the "123-" example).
//! - Lines end in CRLF; a bare LF is accepted too.
//! - Empty lines between replies are skipped (some servers send a stray CRLF).
//! - Opt-in lenient end ([`FramerConfig::lenient_multiline_end`]): any `ddd ` line closes a
//!   multi-line reply, for servers (glFTPd) that close with another code.
//! - A reply longer than [`FramerConfig::max_reply_len`] keeps being framed line by line,
//!   but only its first bytes are stored and it is marked
//!   [truncated](crate::Reply::is_truncated); memory stays bounded whatever the server sends.
//! - A line that does not start with a reply code where a reply must start is a fatal,
//!   sticky [`FramingError::NotAReply`]: the control channel can no longer be trusted.
//!
//! Framing is incremental: bytes may arrive in any chunks, and the result does not depend
//! on how they were cut. It allocates only while its buffer grows to the longest reply
//! seen so far (at most `max_reply_len`); once warm it allocates nothing.

use alloc::vec::Vec;
use core::fmt;

use crate::reply::{Reply, ReplyCode};

/// Settings of a [`ReplyFramer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramerConfig {
    /// How many bytes of one reply are stored; the rest of a longer reply is framed but
    /// dropped, and the reply is marked truncated. Default 64 KiB.
    pub max_reply_len: usize,
    /// Whether any `ddd ` line closes a multi-line reply, not only one with the opening
    /// code. Off by default: RFC 959 allows inner lines such as `300 text` in a `230-` reply.
    pub lenient_multiline_end: bool,
}

impl FramerConfig {
    /// The default limit on one stored reply: 64 KiB.
    pub const DEFAULT_MAX_REPLY_LEN: usize = 64 * 1024;
}

impl Default for FramerConfig {
    fn default() -> Self {
        FramerConfig {
            max_reply_len: Self::DEFAULT_MAX_REPLY_LEN,
            lenient_multiline_end: false,
        }
    }
}

/// The control channel sent something that cannot be framed as replies. Fatal: once
/// returned, every later call returns it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// A reply must start here, but the line does not start with a three-digit code
    /// (first digit 1 to 6) followed by a space, a hyphen or the line end.
    #[error("expected an FTP reply, got a line starting with \"{found}\"")]
    NotAReply {
        /// The first bytes of the offending line.
        found: LineStart,
    },
    /// The connection ended in the middle of a reply.
    #[error("the connection closed in the middle of a reply")]
    IncompleteAtEof,
}

/// Up to four bytes at the start of a line, kept for error reports.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LineStart {
    bytes: [u8; 4],
    len: u8,
}

impl LineStart {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl fmt::Debug for LineStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.as_bytes().escape_ascii())
    }
}

impl fmt::Display for LineStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_bytes().escape_ascii())
    }
}

/// Frames replies out of control-channel bytes.
///
/// Feed bytes with [`push`](ReplyFramer::push); it consumes input up to the end of the next
/// complete reply and stops there, so bytes that follow a reply are never taken before the
/// caller has seen it (after a `234` reply to `AUTH TLS` they must be handed to TLS, or
/// rejected). [`reply`](ReplyFramer::reply) then returns the reply as a view into the
/// framer's buffer, valid until the next `push`.
///
/// ```
/// use ftp_core::{ReplyFramer, ReplyCode};
///
/// let mut framer = ReplyFramer::new();
/// // A reply split over two reads.
/// assert_eq!(framer.push(b"211-Features:\r\n MDTM\r\n")?, 22);
/// assert!(framer.reply().is_none());
/// let rest = b"211 End\r\n150 Opening\r\n";
/// let used = framer.push(rest)?;
/// assert_eq!(used, 9); // stops after the 211 reply
/// let reply = framer.reply().unwrap();
/// assert_eq!(reply.code(), ReplyCode::SYSTEM_STATUS);
/// assert_eq!(reply.lines().count(), 3);
/// # Ok::<(), ftp_core::FramingError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReplyFramer {
    config: FramerConfig,
    /// The stored bytes of the reply in progress (or of the complete one, when `ready`).
    buf: Vec<u8>,
    /// The code of the reply in progress, known once its first line is complete.
    code: Option<ReplyCode>,
    /// The digits of `code`, cached.
    digits: [u8; 3],
    multiline: bool,
    truncated: bool,
    /// The first bytes of the current line: all that framing decisions look at.
    head: [u8; 4],
    head_len: u8,
    /// Bytes of the current line so far, line end excluded.
    line_len: usize,
    ready: bool,
    error: Option<FramingError>,
}

impl Default for ReplyFramer {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplyFramer {
    /// A framer with the default [`FramerConfig`].
    pub fn new() -> Self {
        Self::with_config(FramerConfig::default())
    }

    /// A framer with the given settings.
    pub fn with_config(config: FramerConfig) -> Self {
        ReplyFramer {
            config,
            buf: Vec::new(),
            code: None,
            digits: [0; 3],
            multiline: false,
            truncated: false,
            head: [0; 4],
            head_len: 0,
            line_len: 0,
            ready: false,
            error: None,
        }
    }

    /// The settings in use.
    pub fn config(&self) -> &FramerConfig {
        &self.config
    }

    /// Consumes `input` up to and including the end of the next complete reply, and returns
    /// how many bytes it took. If a reply completed, [`reply`](Self::reply) returns it until
    /// the next call. Takes all of `input` if no reply completes in it.
    ///
    /// An error is fatal and sticky: the stream is not FTP replies.
    pub fn push(&mut self, input: &[u8]) -> Result<usize, FramingError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if self.ready {
            self.start_next_reply();
        }
        let result = self.push_inner(input);
        if let Err(error) = result {
            self.error = Some(error);
        }
        result
    }

    fn push_inner(&mut self, input: &[u8]) -> Result<usize, FramingError> {
        let mut pos = 0;
        // Bytes from here to `pos` are framed but not yet stored: they are copied into the
        // buffer in one piece when the reply completes or the input runs out.
        let mut unstored = 0;
        while pos < input.len() {
            let rest = &input[pos..];
            let (segment, line_complete) = match memchr::memchr(b'\n', rest) {
                Some(i) => (&rest[..=i], true),
                None => (rest, false),
            };
            let content = if line_complete {
                &segment[..segment.len() - 1]
            } else {
                segment
            };
            self.note_line_start(content)?;
            self.line_len += content.len();
            pos += segment.len();
            if line_complete {
                if self.code.is_none() {
                    // A first line (or an empty line that end_line drops): store it now, so
                    // that end_line sees the buffer as it expects.
                    self.store(&input[unstored..pos]);
                    unstored = pos;
                }
                if self.end_line()? {
                    self.ready = true;
                    break;
                }
            }
        }
        if unstored < pos {
            self.store(&input[unstored..pos]);
        }
        Ok(pos)
    }

    /// The reply completed by the last [`push`](Self::push) or [`finish`](Self::finish).
    pub fn reply(&self) -> Option<Reply<'_>> {
        match (self.ready, self.code) {
            (true, Some(code)) => Some(Reply::new(code, &self.buf, self.multiline, self.truncated)),
            _ => None,
        }
    }

    /// Call at control-channel EOF. A final line without its line end is judged as if the
    /// line end had come (a server may write `421 Bye` and close); if that completes a
    /// reply it is returned. `Ok(None)`: nothing was pending.
    /// [`FramingError::IncompleteAtEof`]: a reply was cut off.
    pub fn finish(&mut self) -> Result<Option<Reply<'_>>, FramingError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if self.ready {
            self.start_next_reply();
        }
        let had_partial_line = self.head_len > 0 || self.line_len > 0;
        if had_partial_line {
            match self.end_line() {
                Ok(true) => {
                    self.ready = true;
                    return Ok(self.reply());
                }
                Ok(false) => {}
                Err(error) => {
                    self.error = Some(error);
                    return Err(error);
                }
            }
        }
        if self.code.is_none() {
            Ok(None)
        } else {
            self.error = Some(FramingError::IncompleteAtEof);
            Err(FramingError::IncompleteAtEof)
        }
    }

    /// Whether part of a reply is buffered, waiting for more bytes.
    pub fn has_partial_reply(&self) -> bool {
        !self.ready && (self.code.is_some() || self.head_len > 0 || self.line_len > 0)
    }

    fn start_next_reply(&mut self) {
        self.buf.clear();
        self.code = None;
        self.multiline = false;
        self.truncated = false;
        self.ready = false;
    }

    fn store(&mut self, segment: &[u8]) {
        let room = self.config.max_reply_len.saturating_sub(self.buf.len());
        if segment.len() <= room {
            self.buf.extend_from_slice(segment);
        } else {
            self.buf.extend_from_slice(&segment[..room]);
            self.truncated = true;
        }
    }

    fn not_a_reply(&self) -> FramingError {
        let len = usize::from(self.head_len);
        let mut bytes = [0; 4];
        bytes[..len].copy_from_slice(&self.head[..len]);
        FramingError::NotAReply {
            found: LineStart {
                bytes,
                len: self.head_len,
            },
        }
    }

    /// Records the first bytes of the current line and, on the first line of a reply,
    /// checks them as soon as they arrive: garbage is reported without waiting for a line
    /// end that may never come.
    fn note_line_start(&mut self, content: &[u8]) -> Result<(), FramingError> {
        let have = usize::from(self.head_len);
        if have >= 4 || content.is_empty() {
            return Ok(());
        }
        if let (0, Some(first)) = (have, content.first_chunk::<4>()) {
            // The common case: a whole line start in one piece, a single 4-byte copy.
            self.head = *first;
            self.head_len = 4;
        } else {
            let take = (4 - have).min(content.len());
            for (slot, &byte) in self.head[have..have + take].iter_mut().zip(content) {
                *slot = byte;
            }
            self.head_len += take as u8;
        }
        if self.code.is_some() {
            return Ok(());
        }
        for i in have..usize::from(self.head_len) {
            let byte = self.head[i];
            let ok = match i {
                // A lone CR may start an empty line between replies.
                0 => matches!(byte, b'1'..=b'6') || byte == b'\r',
                1 | 2 => byte.is_ascii_digit() && self.head[0] != b'\r',
                _ => matches!(byte, b' ' | b'-' | b'\r'),
            };
            if !ok {
                // Report up to the offending byte only, so the error does not depend on
                // how the input was chunked.
                self.head_len = i as u8 + 1;
                return Err(self.not_a_reply());
            }
        }
        Ok(())
    }

    /// The current line has ended; returns whether it ends the reply.
    #[inline(always)]
    fn end_line(&mut self) -> Result<bool, FramingError> {
        let head_len = usize::from(self.head_len);
        let head = self.head;
        let line_len = self.line_len;
        self.head_len = 0;
        self.line_len = 0;
        match self.code {
            None => {
                if line_len == 0 || (line_len == 1 && head[0] == b'\r') {
                    // An empty line between replies: drop it.
                    self.buf.clear();
                    self.truncated = false;
                    return Ok(false);
                }
                if head_len < 3 {
                    self.head_len = head_len as u8;
                    return Err(self.not_a_reply());
                }
                let code = ReplyCode::from_digits([head[0], head[1], head[2]]);
                let Some(code) = code else {
                    self.head_len = head_len as u8;
                    return Err(self.not_a_reply());
                };
                self.code = Some(code);
                self.digits = [head[0], head[1], head[2]];
                if head_len >= 4 && head[3] == b'-' {
                    self.multiline = true;
                    Ok(false)
                } else {
                    Ok(true)
                }
            }
            Some(_) => {
                if head_len < 3 {
                    return Ok(false);
                }
                let same_code = head[..3] == self.digits;
                let ends = if head_len == 3 {
                    same_code
                } else {
                    match head[3] {
                        b' ' => {
                            same_code
                                || (self.config.lenient_multiline_end
                                    && head[..3].iter().all(u8::is_ascii_digit))
                        }
                        b'\r' => same_code && line_len == 4,
                        _ => false,
                    }
                };
                Ok(ends)
            }
        }
    }
}
