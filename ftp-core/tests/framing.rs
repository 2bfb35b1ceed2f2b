//! Reply framing against hand-written cases: the RFC 959 §4.2 rules and the deviations
//! real servers need.

use ftp_core::{FramerConfig, FramingError, ReplyCode, ReplyFramer};

#[derive(Debug, PartialEq)]
struct Framed {
    code: u16,
    raw: Vec<u8>,
    multiline: bool,
    truncated: bool,
}

/// Frames `input` fed in chunks of `chunk` bytes, then calls `finish`.
fn frame(input: &[u8], chunk: usize, config: FramerConfig) -> Result<Vec<Framed>, FramingError> {
    let mut framer = ReplyFramer::with_config(config);
    let mut out = Vec::new();
    for mut piece in input.chunks(chunk.max(1)) {
        while !piece.is_empty() {
            let used = framer.push(piece)?;
            assert!(used > 0, "push must make progress");
            piece = &piece[used..];
            if let Some(r) = framer.reply() {
                out.push(Framed {
                    code: r.code().get(),
                    raw: r.raw().to_vec(),
                    multiline: r.is_multiline(),
                    truncated: r.is_truncated(),
                });
            }
        }
    }
    if let Some(r) = framer.finish()? {
        out.push(Framed {
            code: r.code().get(),
            raw: r.raw().to_vec(),
            multiline: r.is_multiline(),
            truncated: r.is_truncated(),
        });
    }
    Ok(out)
}

fn codes(input: &[u8]) -> Vec<u16> {
    let all = frame(input, usize::MAX, FramerConfig::default()).unwrap();
    for chunk in 1..8 {
        assert_eq!(
            frame(input, chunk, FramerConfig::default()).unwrap(),
            all,
            "chunk {chunk}"
        );
    }
    all.iter().map(|f| f.code).collect()
}

#[test]
fn single_and_multi_line() {
    assert_eq!(codes(b"220 Ready\r\n"), [220]);
    assert_eq!(codes(b"220-Hi\r\n220 Ready\r\n331 Pass\r\n"), [220, 331]);
    // RFC 959's own example: inner lines may start with another code.
    assert_eq!(
        codes(b"123-First line\r\nSecond line\r\n  234 A line beginning with numbers\r\n123 The last line\r\n"),
        [123]
    );
    // A digit-led inner line with another code and a space does not close it.
    assert_eq!(codes(b"230-x\r\n300 still inside\r\n230 end\r\n"), [230]);
    // An indented copy of the closing line does not close it either.
    assert_eq!(codes(b"230-x\r\n 230 not yet\r\n230 end\r\n"), [230]);
}

#[test]
fn bare_codes_and_lf_only() {
    assert_eq!(codes(b"200\r\n"), [200]);
    assert_eq!(codes(b"200\n226 ok\n"), [200, 226]);
    assert_eq!(codes(b"200-A\r\n200-B\r\n200\r\n"), [200]);
    assert_eq!(codes(b"220 \r\n"), [220]);
    // Pipelined 150 and 226 in one read.
    assert_eq!(codes(b"150 Opening\r\n226 Done\r\n"), [150, 226]);
}

#[test]
fn empty_lines_between_replies_are_skipped() {
    assert_eq!(codes(b"\r\n200 a\r\n\n\r\n226 b\r\n"), [200, 226]);
}

#[test]
fn lenient_end_is_opt_in() {
    let input = b"230-glftpd\r\n200 closes with another code\r\n230 later\r\n";
    let strict = frame(input, usize::MAX, FramerConfig::default()).unwrap();
    assert_eq!(strict.len(), 1);
    let lenient = FramerConfig {
        lenient_multiline_end: true,
        ..FramerConfig::default()
    };
    let framed = frame(input, usize::MAX, lenient).unwrap();
    assert_eq!(framed.len(), 2);
    assert_eq!(framed[0].code, 230);
    assert_eq!(
        framed[0].raw,
        b"230-glftpd\r\n200 closes with another code\r\n"
    );
}

#[test]
fn garbage_is_fatal_and_sticky() {
    let mut framer = ReplyFramer::new();
    let err = framer.push(b"Non-numeric\r\n").unwrap_err();
    assert!(matches!(err, FramingError::NotAReply { .. }));
    assert_eq!(
        err.to_string(),
        "expected an FTP reply, got a line starting with \"N\""
    );
    assert_eq!(framer.push(b"200 ok\r\n"), Err(err));
    // Detected without waiting for a line end that may never come.
    assert!(ReplyFramer::new().push(b"HTTP/1.1 400").is_err());
    for bad in [
        &b"777 OK?\r\n"[..],
        b"099 x\r\n",
        b"2000 x\r\n",
        b"20\r\n",
        b"20x x\r\n",
        b" 200 x\r\n",
        b"\r\r\n",
    ] {
        assert!(
            frame(bad, usize::MAX, FramerConfig::default()).is_err(),
            "{}",
            bad.escape_ascii()
        );
    }
}

#[test]
fn overlong_reply_is_truncated_but_framed() {
    let config = FramerConfig {
        max_reply_len: 64,
        ..FramerConfig::default()
    };
    let mut input = b"250-".to_vec();
    input.extend(std::iter::repeat_n(b'A', 10_000));
    input.extend_from_slice(b"\r\n");
    for _ in 0..100 {
        input.extend_from_slice(b"250-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n");
    }
    input.extend_from_slice(b"250 End\r\n200 next\r\n");
    for chunk in [1, 7, 4096, usize::MAX] {
        let framed = frame(&input, chunk, config).unwrap();
        assert_eq!(framed.len(), 2);
        assert_eq!(framed[0].code, 250);
        assert!(framed[0].truncated);
        assert_eq!(framed[0].raw.len(), 64);
        assert_eq!(framed[1].raw, b"200 next\r\n");
        assert!(!framed[1].truncated);
    }
}

#[test]
fn endless_reply_stays_bounded() {
    let config = FramerConfig {
        max_reply_len: 1024,
        ..FramerConfig::default()
    };
    let mut framer = ReplyFramer::with_config(config);
    framer.push(b"220-endless\r\n").unwrap();
    let line = b"220-more more more more more more\r\n";
    for _ in 0..100_000 {
        assert_eq!(framer.push(line).unwrap(), line.len());
        assert!(framer.reply().is_none());
    }
    assert!(framer.has_partial_reply());
    assert_eq!(framer.finish(), Err(FramingError::IncompleteAtEof));
}

#[test]
fn stops_after_each_reply() {
    // After 234 the rest must stay with the caller (it belongs to TLS, or is an attack).
    let mut framer = ReplyFramer::new();
    let input = b"234 AUTH TLS ok\r\n\x16\x03\x01";
    let used = framer.push(input).unwrap();
    assert_eq!(used, 17);
    assert_eq!(framer.reply().unwrap().code(), ReplyCode::AUTH_OK);
}

#[test]
fn eof_completes_an_unterminated_last_line() {
    let mut framer = ReplyFramer::new();
    framer.push(b"421 Timeout").unwrap();
    assert!(framer.reply().is_none());
    let r = framer.finish().unwrap().unwrap();
    assert_eq!(r.code(), ReplyCode::SERVICE_NOT_AVAILABLE);
    assert_eq!(r.text(), b"Timeout");
    let mut framer = ReplyFramer::new();
    assert_eq!(framer.finish(), Ok(None));
    framer.push(b"200-a\r\n200-b").unwrap();
    assert_eq!(framer.finish(), Err(FramingError::IncompleteAtEof));
}

#[test]
fn views() {
    let mut framer = ReplyFramer::new();
    framer
        .push(b"211-Features:\r\n MDTM\r\n211-SIZE\r\n211 End\r\n")
        .unwrap();
    let r = framer.reply().unwrap();
    let lines: Vec<&[u8]> = r.lines().collect();
    assert_eq!(
        lines,
        [&b"211-Features:"[..], b" MDTM", b"211-SIZE", b"211 End"]
    );
    let text: Vec<&[u8]> = r.text_lines().collect();
    assert_eq!(text, [&b"Features:"[..], b" MDTM", b"SIZE", b"End"]);
    assert_eq!(r.first_line_text(), b"Features:");
    assert_eq!(r.to_string(), "211-Features:\n MDTM\n211-SIZE\n211 End");
    let owned = r.to_owned_reply();
    assert_eq!(owned.as_reply(), r);
}
