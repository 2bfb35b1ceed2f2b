//! Reply-framing throughput of [`ftp_core::ReplyFramer`].
//!
//! Each benchmark frames a ~64 KiB control-channel stream (a realistic unit of replies,
//! repeated) with one framer created outside the timed loop, so its buffer is warm and
//! nothing allocates while timing. Throughput is reported in bytes of input.
//!
//! - `framing/feat`: pure-ftpd's and vsftpd's real FEAT replies.
//! - `framing/transfer_pairs`: pipelined `150` + `226` pairs.
//! - `framing/multiline10`: 10-line `230-` login banners.
//! - `framing/mixed`: a whole session (banner, login, PWD, FEAT, PASV/EPSV, transfers…).
//! - `framing_chunked/mixed_1460`: the mixed stream fed in 1460-byte (TCP MSS) chunks.
//!
//! Run with `cargo bench -p ftp-core --bench reply`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_main};
use ftp_core::ReplyFramer;

/// Size each stream is grown to.
const TARGET_LEN: usize = 64 * 1024;

/// A TCP maximum segment size on Ethernet, for the chunked benchmark.
const MSS: usize = 1460;

/// pure-ftpd 1.0.x FEAT reply (the one in `ftp-core/src/feat.rs`'s tests).
const PURE_FTPD_FEAT: &[u8] = b"211-Extensions supported:\r\n \
EPRT\r\n \
IDLE\r\n \
MDTM\r\n \
SIZE\r\n \
MFMT\r\n \
REST STREAM\r\n \
MLST type*;size*;sizd*;modify*;UNIX.mode*;UNIX.uid*;UNIX.gid*;unique*;\r\n \
MLSD\r\n \
PRET\r\n \
AUTH TLS\r\n \
PBSZ\r\n \
PROT\r\n \
UTF8\r\n \
TVFS\r\n \
ESTA\r\n \
PASV\r\n \
EPSV\r\n\
211 End.\r\n";

/// vsftpd 3.0.x FEAT reply (with `ssl_enable=YES`, default TLS versions).
const VSFTPD_FEAT: &[u8] = b"211-Features:\r\n \
AUTH TLS\r\n \
EPRT\r\n \
EPSV\r\n \
MDTM\r\n \
PASV\r\n \
PBSZ\r\n \
PROT\r\n \
REST STREAM\r\n \
SIZE\r\n \
TVFS\r\n \
UTF8\r\n\
211 End\r\n";

/// One pipelined transfer: the preliminary `150` and the final `226`.
const TRANSFER_PAIR: &[u8] =
    b"150 Opening BINARY mode data connection for file.bin (1048576 bytes).\r\n\
226 Transfer complete.\r\n";

/// A 10-line login banner.
const MULTILINE10: &[u8] = b"230-Welcome to the example.org archive.\r\n\
230-\r\n\
230-This system is for authorized users only. All activity is logged.\r\n\
230-Mirrors of this archive are listed in /pub/MIRRORS.\r\n\
230-Please report problems to ftp-admin@example.org.\r\n\
230-\r\n\
230-You are user 3 of 200 allowed. Local time is Mon Jan 15 14:03:27 2024.\r\n\
230-Disk quota: 1024 MB, used 312 MB.\r\n\
230-Transfers are limited to 10 MB/s per connection.\r\n\
230 Login successful.\r\n";

/// A session as a pure-ftpd-like server would answer it, FEAT and login included.
fn mixed_session() -> Vec<u8> {
    let mut session = Vec::new();
    session.extend_from_slice(
        b"220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n\
220-You are user number 1 of 50 allowed.\r\n\
220-Local time is now 14:03. Server port: 21.\r\n\
220-This is a private system - No anonymous login\r\n\
220 You will be disconnected after 15 minutes of inactivity.\r\n\
331 User alice OK. Password required\r\n\
230 OK. Current restricted directory is /\r\n\
257 \"/\" is your current location\r\n",
    );
    session.extend_from_slice(PURE_FTPD_FEAT);
    session.extend_from_slice(
        b"200 TYPE is now 8-bit binary\r\n\
213 1048576\r\n\
213 20240115140327\r\n\
227 Entering Passive Mode (192,168,1,10,195,80)\r\n\
150 Accepted data connection\r\n\
226-File successfully transferred\r\n\
226 0.004 seconds (measured here), 249.51 Mbytes per second\r\n\
250 OK. Current directory is /pub/releases\r\n\
229 Extended Passive mode OK (|||50001|)\r\n\
150 Opening BINARY mode data connection for file.bin (1048576 bytes).\r\n\
226 Transfer complete.\r\n\
221-Goodbye. You uploaded 0 and downloaded 1025 kbytes.\r\n\
221 Logout.\r\n",
    );
    session
}

/// `unit` repeated whole until the stream is at least [`TARGET_LEN`] bytes.
fn repeat_to_target(unit: &[u8]) -> Vec<u8> {
    let copies = TARGET_LEN.div_ceil(unit.len());
    unit.repeat(copies)
}

/// Frames all of `input`; returns how many replies completed.
fn frame_all(framer: &mut ReplyFramer, mut input: &[u8]) -> usize {
    let mut replies = 0;
    while !input.is_empty() {
        let used = framer.push(input).expect("valid reply stream");
        input = &input[used..];
        if let Some(reply) = framer.reply() {
            black_box(reply.code());
            replies += 1;
        }
    }
    replies
}

/// Frames all of `input`, handed over in `chunk_len`-byte reads; returns the reply count.
fn frame_chunked(framer: &mut ReplyFramer, input: &[u8], chunk_len: usize) -> usize {
    input
        .chunks(chunk_len)
        .map(|chunk| frame_all(framer, chunk))
        .sum()
}

/// How many replies a stream holds, counted by a fresh framer; also checks that it frames
/// cleanly and ends on a reply boundary, so the timed loop measures a valid stream.
fn reply_count(input: &[u8]) -> usize {
    let mut framer = ReplyFramer::new();
    let count = frame_all(&mut framer, input);
    assert!(!framer.has_partial_reply(), "stream ends mid-reply");
    assert!(count > 0);
    count
}

fn bench_framing(c: &mut Criterion) {
    let mut feat_unit = PURE_FTPD_FEAT.to_vec();
    feat_unit.extend_from_slice(VSFTPD_FEAT);
    let streams: [(&str, Vec<u8>); 4] = [
        ("feat", repeat_to_target(&feat_unit)),
        ("transfer_pairs", repeat_to_target(TRANSFER_PAIR)),
        ("multiline10", repeat_to_target(MULTILINE10)),
        ("mixed", repeat_to_target(&mixed_session())),
    ];

    let mut group = c.benchmark_group("framing");
    for (name, input) in &streams {
        let expected = reply_count(input);
        let mut framer = ReplyFramer::new();
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| {
                let replies = frame_all(&mut framer, black_box(input));
                debug_assert_eq!(replies, expected);
                replies
            });
        });
    }
    group.finish();

    let mixed = &streams[3].1;
    let expected = reply_count(mixed);
    assert_eq!(
        frame_chunked(&mut ReplyFramer::new(), mixed, MSS),
        expected,
        "chunking changed the framing"
    );
    let mut group = c.benchmark_group("framing_chunked");
    let mut framer = ReplyFramer::new();
    group.throughput(Throughput::Bytes(mixed.len() as u64));
    group.bench_function("mixed_1460", |b| {
        b.iter(|| frame_chunked(&mut framer, black_box(mixed), MSS));
    });
    group.finish();
}

/// Holds the `pub fn` that `criterion_group!` generates, out of the crate's public API.
mod groups {
    criterion::criterion_group!(benches, super::bench_framing);
}

criterion_main!(groups::benches);
