//! Fuzz target: `ReplyFramer` over an arbitrary byte stream cut into arbitrary chunks.
//!
//! Asserts, for every input:
//! - nothing panics;
//! - `push` makes progress: it returns at least 1 for non-empty input (unless it errors),
//!   never more than it was given, and stops early only right after a line end that
//!   completed a reply;
//! - every reply's `raw()` is at most `max_reply_len` bytes; a truncated one is exactly
//!   `max_reply_len` bytes and a prefix of the reply's bytes in the stream;
//! - a non-truncated reply's `raw()` is exactly the stream bytes that `push` consumed for
//!   it, starting at or after the end of the previous reply, with only empty lines
//!   (`\r\n`, `\n`) skipped in between;
//! - the result (the replies as `(code, raw, multiline, truncated, end offset)` and the
//!   error, if any) is the same whatever the chunking: the chunked run is compared with
//!   a run that pushes the whole stream in one loop, and both with a simple line-based
//!   reference model of the framing rules documented in `ftp_core::framing`;
//! - an error is sticky: every later `push` and `finish` returns the same error.

#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use ftp_core::{FramerConfig, FramingError, Reply, ReplyFramer};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    /// `FramerConfig::max_reply_len`, 0 to 4096.
    #[arbitrary(with = |u: &mut Unstructured| u.int_in_range(0..=4096usize))]
    max_reply_len: usize,
    /// `FramerConfig::lenient_multiline_end`.
    lenient: bool,
    /// Chunk lengths, used in turn (cycling); 0 means "push an empty slice, then 1 byte".
    chunks: &'a [u8],
    /// The control-channel bytes (takes the rest of the fuzzer's input, as is).
    stream: &'a [u8],
}

/// One reply as observed, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    code: u16,
    raw: Vec<u8>,
    multiline: bool,
    truncated: bool,
    /// Offset in the stream just after the reply's last byte.
    end: usize,
}

/// An error as observed, owned and comparable with the model's.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Failure {
    /// `FramingError::NotAReply` and the line start it reports.
    NotAReply(Vec<u8>),
    /// `FramingError::IncompleteAtEof`.
    IncompleteAtEof,
}

impl From<FramingError> for Failure {
    fn from(error: FramingError) -> Self {
        match error {
            FramingError::NotAReply { found } => Failure::NotAReply(found.as_bytes().to_vec()),
            FramingError::IncompleteAtEof => Failure::IncompleteAtEof,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    replies: Vec<Seen>,
    error: Option<Failure>,
}

fuzz_target!(|input: Input<'_>| {
    let config = FramerConfig {
        max_reply_len: input.max_reply_len,
        lenient_multiline_end: input.lenient,
    };
    let stream = input.stream;

    let whole = run(config, stream, &[]);
    let chunked = run(config, stream, input.chunks);
    assert_eq!(chunked, whole, "chunking changed the result");

    let expected = model(config, stream);
    assert_eq!(whole, expected, "framer disagrees with the reference model");
});

/// Feeds `stream` to a fresh framer in chunks of the given lengths (all of it at once if
/// `chunks` is empty), the way an I/O adapter would: each chunk is pushed until it is used
/// up, then `finish` is called. Checks the per-call invariants on the way.
fn run(config: FramerConfig, stream: &[u8], chunks: &[u8]) -> Outcome {
    let mut framer = ReplyFramer::with_config(config);
    let mut out = Outcome {
        replies: Vec::new(),
        error: None,
    };
    let mut pos = 0;
    let mut next_chunk = 0;
    while pos < stream.len() {
        let len = if chunks.is_empty() {
            stream.len() - pos
        } else {
            let c = chunks[next_chunk % chunks.len()];
            next_chunk += 1;
            if c == 0 {
                // An empty read: must take nothing and report nothing.
                match framer.push(&[]) {
                    Ok(n) => {
                        assert_eq!(n, 0, "push(&[]) consumed bytes");
                        assert!(framer.reply().is_none(), "push(&[]) produced a reply");
                    }
                    Err(e) => {
                        out.error = Some(e.into());
                        check_sticky(&mut framer, e, &stream[pos..]);
                        return out;
                    }
                }
            }
            usize::from(c).clamp(1, stream.len() - pos)
        };
        let mut chunk = &stream[pos..pos + len];
        while !chunk.is_empty() {
            match framer.push(chunk) {
                Ok(n) => {
                    assert!(n > 0, "push made no progress on {} bytes", chunk.len());
                    assert!(n <= chunk.len(), "push consumed more than it was given");
                    pos += n;
                    let done = &chunk[..n];
                    chunk = &chunk[n..];
                    match framer.reply() {
                        Some(reply) => {
                            assert_eq!(
                                done.last(),
                                Some(&b'\n'),
                                "a reply completed without a line end"
                            );
                            assert!(!framer.has_partial_reply());
                            record(&mut out, config, stream, reply, pos);
                        }
                        None => assert!(
                            chunk.is_empty(),
                            "push stopped early without completing a reply"
                        ),
                    }
                }
                Err(e) => {
                    out.error = Some(e.into());
                    assert!(
                        framer.reply().is_none(),
                        "a reply is visible after an error"
                    );
                    check_sticky(&mut framer, e, &stream[pos..]);
                    return out;
                }
            }
        }
    }
    match framer.finish() {
        Ok(Some(reply)) => {
            record(&mut out, config, stream, reply, stream.len());
            assert!(!framer.has_partial_reply());
        }
        Ok(None) => {
            assert!(
                !framer.has_partial_reply(),
                "finish found nothing but a partial reply is pending"
            );
        }
        Err(e) => {
            out.error = Some(e.into());
            check_sticky(&mut framer, e, &[]);
        }
    }
    out
}

/// After an error, every further call returns the same error.
fn check_sticky(framer: &mut ReplyFramer, error: FramingError, rest: &[u8]) {
    assert_eq!(framer.push(rest), Err(error), "error not sticky (rest)");
    assert_eq!(
        framer.push(b"220 Ready\r\n"),
        Err(error),
        "error not sticky"
    );
    assert_eq!(framer.push(&[]), Err(error), "error not sticky (empty)");
    assert!(framer.reply().is_none());
    assert_eq!(framer.finish().map(|r| r.is_some()), Err(error));
    assert_eq!(framer.finish().map(|r| r.is_some()), Err(error));
}

/// Checks one reply against the stream and records it.
fn record(out: &mut Outcome, config: FramerConfig, stream: &[u8], reply: Reply<'_>, end: usize) {
    let raw = reply.raw();
    let max = config.max_reply_len;
    assert!(
        raw.len() <= max,
        "raw() is {} bytes, limit {max}",
        raw.len()
    );

    // Where the reply starts: after the previous one, past empty lines only.
    let prev_end = out.replies.last().map_or(0, |r| r.end);
    assert!(prev_end < end, "reply does not advance in the stream");
    let start = skip_empty_lines(stream, prev_end);
    assert!(start < end, "reply made only of empty lines");
    let span = &stream[start..end];
    if reply.is_truncated() {
        assert_eq!(raw.len(), max, "a truncated reply must fill the buffer");
        assert!(span.len() > max, "truncated, but the reply fits the limit");
        assert_eq!(
            raw,
            &span[..max],
            "truncated raw() is not the reply's first bytes"
        );
    } else {
        assert_eq!(raw, span, "raw() is not the stream bytes of the reply");
    }

    // The accessors agree with the bytes, and none of them panics.
    let code = reply.code();
    assert_eq!(code.digits(), [span[0], span[1], span[2]]);
    assert_eq!(
        reply.is_multiline(),
        span.get(3) == Some(&b'-'),
        "multiline flag"
    );
    let text = reply.text();
    assert!(text.len() <= raw.len());
    let lines = reply.lines().count();
    assert_eq!(reply.text_lines().count(), lines);
    if !reply.is_truncated() {
        let newlines = raw.iter().filter(|b| **b == b'\n').count();
        let expected = newlines + usize::from(raw.last() != Some(&b'\n'));
        assert_eq!(lines, expected, "lines() count");
        for line in reply.lines() {
            assert!(!line.contains(&b'\n'));
        }
    }
    let _ = reply.first_line_text();
    let _ = format!("{reply} {reply:?}");
    assert_eq!(reply.to_owned_reply().as_reply(), reply);

    out.replies.push(Seen {
        code: code.get(),
        raw: raw.to_vec(),
        multiline: reply.is_multiline(),
        truncated: reply.is_truncated(),
        end,
    });
}

/// The offset of the first line at or after `pos` that is not empty (`\n` or `\r\n`).
fn skip_empty_lines(stream: &[u8], mut pos: usize) -> usize {
    loop {
        let rest = &stream[pos..];
        if rest.starts_with(b"\n") {
            pos += 1;
        } else if rest.starts_with(b"\r\n") {
            pos += 2;
        } else {
            return pos;
        }
    }
}

/// A line-based reference of the framing rules, on the whole stream at once.
fn model(config: FramerConfig, stream: &[u8]) -> Outcome {
    let mut out = Outcome {
        replies: Vec::new(),
        error: None,
    };
    // (content without the `\n`, offset after the line, whether a `\n` ended it)
    let line_at = |pos: usize| -> (&[u8], usize, bool) {
        let rest = &stream[pos..];
        match rest.iter().position(|b| *b == b'\n') {
            Some(i) => (&rest[..i], pos + i + 1, true),
            None => (rest, stream.len(), false),
        }
    };
    let mut pos = 0;
    while pos < stream.len() {
        let (content, next, _) = line_at(pos);
        if content.is_empty() || content == b"\r" {
            pos = next;
            continue;
        }
        // The first line of a reply: `[1-6]dd` then ` `, `-`, `\r` or the end of the line.
        // The error reports the line up to and including the first offending byte, or the
        // whole line if it ends after fewer than three bytes.
        let bad = content
            .iter()
            .take(4)
            .enumerate()
            .position(|(i, b)| match i {
                // A lone `\r` may start an empty line: refused only at the next byte.
                0 => !matches!(b, b'1'..=b'6' | b'\r'),
                1 | 2 => !b.is_ascii_digit() || content[0] == b'\r',
                _ => !matches!(b, b' ' | b'-' | b'\r'),
            });
        if let Some(i) = bad {
            out.error = Some(Failure::NotAReply(content[..=i].to_vec()));
            return out;
        }
        if content.len() < 3 {
            out.error = Some(Failure::NotAReply(content.to_vec()));
            return out;
        }
        let start = pos;
        let digits = &content[..3];
        let multiline = content.get(3) == Some(&b'-');
        let mut end = next;
        if multiline {
            let mut closed = false;
            while end < stream.len() {
                let (line, after, _) = line_at(end);
                end = after;
                let closes = line.len() >= 3 && {
                    let same = &line[..3] == digits;
                    match line.get(3) {
                        None => same,
                        Some(b' ') => {
                            same || (config.lenient_multiline_end
                                && line[..3].iter().all(u8::is_ascii_digit))
                        }
                        Some(b'\r') => same && line.len() == 4,
                        Some(_) => false,
                    }
                };
                if closes {
                    closed = true;
                    break;
                }
            }
            if !closed {
                out.error = Some(Failure::IncompleteAtEof);
                return out;
            }
        }
        let span = &stream[start..end];
        let max = config.max_reply_len;
        out.replies.push(Seen {
            code: u16::from(digits[0] - b'0') * 100
                + u16::from(digits[1] - b'0') * 10
                + u16::from(digits[2] - b'0'),
            raw: span[..span.len().min(max)].to_vec(),
            multiline,
            truncated: span.len() > max,
            end,
        });
        pos = end;
    }
    out
}
