//! Conformance of ftp-core's reply framing and typed reply parsers against the cases other
//! projects' test suites assert (`tests/conformance/*.jsonl`, see the README there for the
//! sources and the record schema).
//!
//! Every record is run. A record passes when each value its source asserts is produced
//! exactly, and when a `reject` is rejected. A record that does not pass must be listed in
//! `tests/conformance/allow-list.txt` with a one-line reason; a listed record that passes
//! fails the test too, so the list never goes stale.

use std::fs;

use ftp_core::feat::Feature;
use ftp_core::{Capabilities, FramingError, FtpTime, OwnedReply, ReplyFramer, passive, path, size};
use ftp_tests::Verdict;
use serde_json::Value;

const FILES: [&str; 6] = [
    "pasv227.jsonl",
    "epsv229.jsonl",
    "pwd257.jsonl",
    "size213.jsonl",
    "mdtm.jsonl",
    "multiline.jsonl",
];

type Outcome = Result<(), String>;

/// Frames a whole byte stream; the error (if any) ends it.
struct Framed {
    replies: Vec<OwnedReply>,
    error: Option<FramingError>,
}

fn frame(input: &[u8]) -> Framed {
    frame_chunks(&[input])
}

fn frame_chunks(chunks: &[&[u8]]) -> Framed {
    let mut framer = ReplyFramer::new();
    let mut replies = Vec::new();
    for chunk in chunks {
        let mut rest = *chunk;
        while !rest.is_empty() {
            match framer.push(rest) {
                Ok(used) => rest = &rest[used..],
                Err(error) => {
                    return Framed {
                        replies,
                        error: Some(error),
                    };
                }
            }
            if let Some(r) = framer.reply() {
                replies.push(r.to_owned_reply());
            }
        }
    }
    // The sources treat the end of their input as the end of the stream.
    let error = match framer.finish() {
        Ok(Some(r)) => {
            replies.push(r.to_owned_reply());
            None
        }
        Ok(None) => None,
        Err(e) => Some(e),
    };
    Framed { replies, error }
}

/// Whether the input is a whole reply (`ddd text`) rather than the text a source's
/// helper is given.
fn is_reply(input: &[u8]) -> bool {
    input.len() >= 4 && input[..3].iter().all(u8::is_ascii_digit) && matches!(input[3], b' ' | b'-')
}

/// The text a typed parser reads: the reply text if the input is a reply, else the input.
fn parser_text(input: &[u8]) -> Result<Vec<u8>, String> {
    if !is_reply(input) {
        return Ok(input.to_vec());
    }
    let framed = frame(input);
    if let Some(e) = framed.error {
        return Err(format!("framing failed: {e}"));
    }
    match framed.replies.first() {
        Some(r) => Ok(r.text().to_vec()),
        None => Err("no reply framed".into()),
    }
}

fn expect_reject<T: std::fmt::Debug, E>(result: Result<T, E>) -> Outcome {
    match result {
        Ok(v) => Err(format!("expected a rejection, got {v:?}")),
        Err(_) => Ok(()),
    }
}

fn eq<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Outcome {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

fn check_pasv(record: &Value) -> Outcome {
    let expect = &record["expect"];
    let text = parser_text(&ftp_tests::input_bytes(record));
    if expect.get("host_used").is_some() {
        return Err("which host to dial is session policy (issue #3), not a parser value".into());
    }
    let parsed = text.and_then(|t| passive::parse_pasv(&t).map_err(|e| e.to_string()));
    if expect["reject"] == true {
        return expect_reject(parsed);
    }
    let addr = parsed?;
    eq(
        "host",
        addr.ip().to_string().as_str(),
        expect["host"].as_str().unwrap(),
    )?;
    eq(
        "port",
        u64::from(addr.port()),
        expect["port"].as_u64().unwrap(),
    )
}

fn check_epsv(record: &Value) -> Outcome {
    let expect = &record["expect"];
    let parsed = parser_text(&ftp_tests::input_bytes(record))
        .and_then(|t| passive::parse_epsv(&t).map_err(|e| e.to_string()));
    if expect["reject"] == true {
        return expect_reject(parsed);
    }
    eq("port", u64::from(parsed?), expect["port"].as_u64().unwrap())
}

fn check_257(record: &Value) -> Outcome {
    let expect = &record["expect"];
    let input = ftp_tests::input_bytes(record);
    if expect["reject_kind"] == "wrong_code" {
        return Err("which codes carry a path is session policy (issue #3)".into());
    }
    if let Some(lines) = expect.get("reply_lines") {
        let framed = frame(&input);
        let reply = framed.replies.first().ok_or("no reply framed")?;
        let got: Vec<String> = reply
            .as_reply()
            .lines()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect();
        let want: Vec<String> = serde_json::from_value(lines.clone()).unwrap();
        return eq("lines", got, want);
    }
    let parsed = parser_text(&input).and_then(|t| {
        path::parse_257(&t)
            .map(|p| p.to_cow().into_owned())
            .map_err(|e| e.to_string())
    });
    if expect["reject"] == true {
        return expect_reject(parsed);
    }
    eq(
        "path",
        String::from_utf8_lossy(&parsed?).into_owned(),
        expect["path"].as_str().unwrap().to_owned(),
    )
}

fn check_size(record: &Value) -> Outcome {
    let expect = &record["expect"];
    let parsed = parser_text(&ftp_tests::input_bytes(record))
        .and_then(|t| size::parse_size(&t).map_err(|e| e.to_string()));
    if expect["reject"] == true {
        return expect_reject(parsed);
    }
    eq("size", parsed?, expect["size"].as_u64().unwrap())
}

fn check_time(record: &Value) -> Outcome {
    let expect = &record["expect"];
    let input = ftp_tests::input_bytes(record);
    let kind = record["input_kind"].as_str().unwrap_or("text");
    let parsed = match kind {
        // A bare value, as an MLSx fact or a date helper gets it: the whole input.
        "mlsx_time_value" | "mdtm_time_value" => FtpTime::parse(&input).map_err(|e| e.to_string()),
        _ => parser_text(&input).and_then(|t| FtpTime::find(&t).map_err(|e| e.to_string())),
    };
    if expect["reject"] == true {
        return expect_reject(parsed);
    }
    let t = parsed?;
    let fields: [(&str, u64); 7] = [
        ("year", t.year().into()),
        ("month", t.month().into()),
        ("day", t.day().into()),
        ("hour", t.hour().into()),
        ("minute", t.minute().into()),
        ("second", t.second().into()),
        ("millisecond", t.millisecond().into()),
    ];
    for (name, got) in fields {
        if let Some(want) = expect.get(name) {
            eq(name, got, want.as_u64().unwrap())?;
        }
    }
    if let Some(ms) = expect.get("epoch_ms") {
        let got = t.unix_timestamp() * 1000 + i64::from(t.millisecond());
        eq("epoch_ms", got, ms.as_i64().unwrap())?;
    }
    if let Some(utc) = expect.get("utc").and_then(Value::as_str) {
        let mut got = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        if utc.contains('.') {
            got.push_str(&format!(".{:03}", t.millisecond()));
        }
        got.push('Z');
        eq("utc", got.as_str(), utc)?;
    }
    Ok(())
}

fn joined_lines(reply: &OwnedReply) -> String {
    let lines: Vec<String> = reply
        .as_reply()
        .lines()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect();
    lines.join("\n")
}

fn check_features(reply: &OwnedReply, expect: &Value) -> Outcome {
    let caps = Capabilities::from_reply(&reply.as_reply());
    if let Some(names) = expect.get("features_include") {
        for name in names.as_array().unwrap() {
            let name = name.as_str().unwrap();
            if caps.get(name).is_none() {
                return Err(format!("feature {name} missing"));
            }
        }
    }
    if let Some(features) = expect.get("features").and_then(Value::as_object) {
        eq("feature count", caps.lines().count(), features.len())?;
        for (name, params) in features {
            let got = caps.get(name).ok_or(format!("feature {name} missing"))?;
            let want = params.as_str().unwrap_or("");
            eq(name, String::from_utf8_lossy(got).as_ref(), want)?;
        }
    }
    if let Some(v) = expect.get("mdtm_supported") {
        eq("MDTM", caps.has(Feature::Mdtm), v.as_bool().unwrap())?;
    }
    if let Some(v) = expect.get("mfmt_supported") {
        eq("MFMT", caps.has(Feature::Mfmt), v.as_bool().unwrap())?;
    }
    Ok(())
}

fn check_multiline(record: &Value) -> Outcome {
    let expect = &record["expect"];
    let input = ftp_tests::input_bytes(record);
    let kind = record["input_kind"].as_str().unwrap_or("reply");
    match kind {
        "stat_reply" => Err("STAT listings are parsed by the listing module (issue #4)".into()),
        "reply_line" => {
            // Does this line close a `211-` reply?
            let mut stream = b"211-Features:\r\n".to_vec();
            stream.extend_from_slice(&input);
            stream.extend_from_slice(b"\r\n");
            let mut framer = ReplyFramer::new();
            let used = framer.push(&stream).map_err(|e| e.to_string())?;
            let closes = used == stream.len() && framer.reply().is_some();
            eq(
                "closes the reply",
                closes,
                expect["is_last_line_of_211"] == true,
            )
        }
        _ => {
            let chunks: Vec<Vec<u8>> = match record["context"].get("chunks") {
                Some(c) => c
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().as_bytes().to_vec())
                    .collect(),
                None => vec![input.clone()],
            };
            let chunk_refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
            let framed = frame_chunks(&chunk_refs);
            if expect["reject"] == true {
                return match (&framed.error, expect["reject_kind"].as_str()) {
                    (Some(_), _) => Ok(()),
                    (None, Some("malformed")) if expect.get("features").is_none() => Err(format!(
                        "framed {} replies, expected a rejection",
                        framed.replies.len()
                    )),
                    _ => Err("a rejection by a client's session or FEAT policy".into()),
                };
            }
            if let Some(messages) = expect.get("messages") {
                let got: Vec<String> = framed.replies.iter().map(joined_lines).collect();
                let want: Vec<String> = serde_json::from_value(messages.clone()).unwrap();
                eq("messages", got, want)?;
                let rest_expected = expect["rest"].as_str().is_some_and(|r| !r.is_empty());
                return eq(
                    "incomplete rest",
                    framed.error == Some(FramingError::IncompleteAtEof),
                    rest_expected,
                );
            }
            if let Some(e) = framed.error {
                return Err(format!("framing failed: {e}"));
            }
            if let Some(codes) = expect.get("replies") {
                let got: Vec<u64> = framed
                    .replies
                    .iter()
                    .map(|r| r.code().get().into())
                    .collect();
                let want: Vec<u64> = serde_json::from_value(codes.clone()).unwrap();
                eq("reply codes", got, want)?;
            }
            let first = framed.replies.first().ok_or("no reply framed")?;
            if let Some(code) = expect.get("code") {
                eq(
                    "code",
                    u64::from(first.code().get()),
                    code.as_u64().unwrap(),
                )?;
            }
            if let Some(lines) = expect.get("lines") {
                let want: Vec<String> = serde_json::from_value(lines.clone()).unwrap();
                // Chromium's lines are the text after the code; Twisted's the raw lines.
                let source_is_chromium = record["source"].as_str().unwrap().contains("chromium")
                    || record["source"].as_str().unwrap().contains("cobalt");
                let reply = first.as_reply();
                let got: Vec<String> = if source_is_chromium {
                    reply
                        .text_lines()
                        .map(|l| String::from_utf8_lossy(l).into_owned())
                        .collect()
                } else {
                    reply
                        .lines()
                        .map(|l| String::from_utf8_lossy(l).into_owned())
                        .collect()
                };
                eq("lines", got, want)?;
            }
            if let Some(n) = expect.get("line_count") {
                eq(
                    "line count",
                    first.as_reply().lines().count() as u64,
                    n.as_u64().unwrap(),
                )?;
            }
            if expect.get("size_from_150").is_some() {
                let want = expect["size_from_150"].as_u64();
                eq("150 size", size::parse_transfer_size(first.text()), want)?;
            }
            if expect.get("login_ok").is_some() {
                eq("login ok", first.code().is_completion(), true)?;
            }
            check_features(first, expect)
        }
    }
}

#[test]
fn reply_conformance() {
    let mut tally = ftp_tests::Tally::new("allow-list.txt");
    println!(
        "{:<16} {:>7} {:>6} {:>8} {:>7}",
        "file", "records", "pass", "allowed", "fail"
    );
    for file in FILES {
        let text = fs::read_to_string(ftp_tests::conformance_dir().join(file)).unwrap();
        let (mut pass, mut allowed, mut fail, mut total) = (0, 0, 0, 0);
        for (i, line) in text.lines().enumerate() {
            let record: Value = serde_json::from_str(line).unwrap();
            total += 1;
            let key = format!("{file}:{}", i + 1);
            let outcome = match file {
                "pasv227.jsonl" => check_pasv(&record),
                "epsv229.jsonl" => check_epsv(&record),
                "pwd257.jsonl" => check_257(&record),
                "size213.jsonl" => check_size(&record),
                "mdtm.jsonl" => check_time(&record),
                _ => check_multiline(&record),
            };
            match tally.judge(&key, &record, outcome.map(|()| true)) {
                Verdict::Pass | Verdict::NotAsserted => pass += 1,
                Verdict::Allowed => allowed += 1,
                Verdict::Fail => fail += 1,
            }
        }
        println!("{file:<16} {total:>7} {pass:>6} {allowed:>8} {fail:>7}");
    }
    tally.finish(&FILES);
}
