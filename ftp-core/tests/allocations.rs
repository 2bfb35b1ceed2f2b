//! Zero heap allocations once warm (DESIGN.md §2), counted by a global allocator: over
//! 10 000 mixed replies framed, parsed and answered (issue #2), 10 000 SIZE requests
//! through the session (issue #3), and 9 000 listing lines (issue #4).
//!
//! Only allocations made on each test's own thread are counted: the test harness's main
//! thread wakes up now and then and allocates on its own, and tests run in parallel.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ftp_core::command::Password;
use ftp_core::session::{Client, Event, Instant, Op, Output, SessionConfig, Value};
use ftp_core::{Command, FtpTime, ReplyCode, ReplyFramer, mlsx, passive, path, size};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
    }
}

/// Allocations made so far on this thread (while counting).
fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: forwards to the system allocator; only counts calls.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const REPLIES: &[&[u8]] = &[
    b"220-Welcome to Pure-FTPd.\r\n220-You are user number 1 of 50 allowed.\r\n220-Local time is now 12:00. Server port: 21.\r\n220-This is a private system - No anonymous login\r\n220 You will be disconnected after 15 minutes of inactivity.\r\n",
    b"331 Please specify the password.\r\n",
    b"230 Login successful.\r\n",
    b"257 \"/home/u\"\"ser\" is the current directory\r\n",
    b"227 Entering Passive Mode (127,0,0,1,195,80).\r\n",
    b"229 Entering Extended Passive Mode (|||50000|)\r\n",
    b"150 Opening BINARY mode data connection for big.bin (1048576 bytes).\r\n",
    b"226-File successfully transferred\r\n226 0.003 seconds (measured here), 300 Mbytes per second\r\n",
    b"213 1048576\r\n",
    b"213 20201213202400.123\r\n",
    b"250-Listing /x\r\n type=file;size=3;modify=20201213202400;perm=r; /x\r\n250 End\r\n",
    b"211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n UTF8\r\n211 End\r\n",
    b"200 Switching to Binary mode.\r\n",
    b"550 Failed to open file.\r\n",
];

/// Frames every reply of `stream`, runs the typed parser that fits its code, and encodes
/// a command for it. Returns a checksum so nothing is optimised away.
fn session_round(framer: &mut ReplyFramer, stream: &[u8], out: &mut Vec<u8>) -> u64 {
    let mut sum = 0u64;
    let mut input = stream;
    while !input.is_empty() {
        let used = framer.push(input).unwrap();
        input = &input[used..];
        let Some(reply) = framer.reply() else {
            continue;
        };
        sum += u64::from(reply.code().get());
        sum += reply.lines().count() as u64;
        out.clear();
        let text = reply.text();
        match reply.code() {
            ReplyCode::ENTERING_PASSIVE_MODE => {
                sum += u64::from(passive::parse_pasv(text).unwrap().port());
                Command::Retr(b"big.bin").encode(out).unwrap();
            }
            ReplyCode::ENTERING_EXTENDED_PASSIVE_MODE => {
                sum += u64::from(passive::parse_epsv(text).unwrap());
                Command::Epsv.encode(out).unwrap();
            }
            ReplyCode::PATH_CREATED => {
                sum += path::parse_257(text).unwrap().bytes().count() as u64;
                Command::Pwd.encode(out).unwrap();
            }
            ReplyCode::FILE_STATUS => {
                sum += size::parse_size(text).unwrap_or(0);
                let t = FtpTime::find(text).ok();
                sum += t.map_or(0, |t| t.unix_timestamp() as u64);
                Command::Size(b"big.bin").encode(out).unwrap();
            }
            ReplyCode::ABOUT_TO_OPEN_DATA => {
                sum += size::parse_transfer_size(text).unwrap_or(0);
            }
            ReplyCode::FILE_ACTION_OK => {
                sum += mlsx::parse_mlst_reply(&reply).unwrap().size.unwrap_or(0);
                Command::Mlst(Some(b"/x")).encode(out).unwrap();
            }
            ReplyCode::SYSTEM_STATUS => {
                sum += ftp_core::feat::feature_lines(reply.raw()).count() as u64;
                Command::Feat.encode(out).unwrap();
            }
            ReplyCode::NEED_PASSWORD => Command::Pass(Password(b"secret")).encode(out).unwrap(),
            _ => Command::Noop.encode(out).unwrap(),
        }
        sum += out.len() as u64;
    }
    sum
}

#[test]
fn no_allocation_per_reply_once_warm() {
    COUNTING.with(|c| c.set(true));
    let stream: Vec<u8> = REPLIES.concat();
    let mut framer = ReplyFramer::new();
    let mut out = Vec::with_capacity(512);
    // Warm up: the framer's buffer grows to the longest reply once.
    let expected = session_round(&mut framer, &stream, &mut out);

    let rounds = 10_000usize.div_ceil(REPLIES.len());
    let before = allocations();
    let mut total = 0u64;
    for _ in 0..rounds {
        total += session_round(&mut framer, &stream, &mut out);
    }
    let after = allocations();
    assert_eq!(total, expected * rounds as u64);
    assert_eq!(
        after - before,
        0,
        "{} allocations over {} replies",
        after - before,
        rounds * REPLIES.len()
    );
    // The counter does count: a fresh framer allocates when it first stores a reply.
    let mut cold = ReplyFramer::new();
    cold.push(REPLIES[0]).unwrap();
    assert!(allocations() > after);
}

/// One SIZE request through the session: submit, transmit, reply, completion.
fn size_round(client: &mut Client, reply: &[u8]) -> u64 {
    let mut got = 0;
    client.submit(Op::Size(b"big.bin")).unwrap();
    loop {
        match client.poll_output(Instant::ZERO) {
            Output::Transmit(bytes) => got += bytes.len() as u64,
            Output::Wait(_) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    client.handle_control_data(reply, Instant::ZERO);
    loop {
        match client.poll_output(Instant::ZERO) {
            Output::Event(Event::Completed {
                value: Value::Size(n),
                ..
            }) => got += n,
            Output::Wait(_) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    got
}

#[test]
fn no_allocation_per_session_command_once_warm() {
    COUNTING.with(|c| c.set(true));
    let config = SessionConfig {
        feat_after_login: false,
        ..SessionConfig::default()
    };
    let mut client = Client::new(
        config,
        ftp_core::transfer::ControlAddresses {
            local: "127.0.0.1:40000".parse().unwrap(),
            peer: "127.0.0.1:21".parse().unwrap(),
        },
        Instant::ZERO,
    );
    client.handle_control_data(b"220 ready\r\n", Instant::ZERO);
    while !matches!(client.poll_output(Instant::ZERO), Output::Wait(_)) {}
    // The first SIZE goes out after TYPE I (SIZE is asked in image mode).
    client.submit(Op::Size(b"big.bin")).unwrap();
    while !matches!(client.poll_output(Instant::ZERO), Output::Wait(_)) {}
    client.handle_control_data(b"200 Switching to Binary mode.\r\n", Instant::ZERO);
    while !matches!(client.poll_output(Instant::ZERO), Output::Wait(_)) {}
    client.handle_control_data(b"213 1\r\n", Instant::ZERO);
    while !matches!(client.poll_output(Instant::ZERO), Output::Wait(_)) {}
    let reply = b"213 1048576\r\n";
    // Warm up: queues and buffers reach their working size.
    for _ in 0..10 {
        size_round(&mut client, reply);
    }
    let before = allocations();
    let mut total = 0;
    for _ in 0..10_000 {
        total += size_round(&mut client, reply);
    }
    let after = allocations();
    assert_eq!(
        total,
        10_000 * (1_048_576 + b"SIZE big.bin\r\n".len() as u64)
    );
    assert_eq!(
        after - before,
        0,
        "{} allocations over 10 000 SIZE requests",
        after - before
    );
}

#[test]
fn no_allocation_per_listing_line() {
    use ftp_core::listing::{Format, ListingParser, ParsedLine, lines};
    COUNTING.with(|c| c.set(true));
    let listing: &[u8] = b"total 12\r\n\
-rw-r--r--    1 1000     1000     10485760 Nov 25 21:14 big.bin\r\n\
lrwxrwxrwx    1 0        0               7 Mar 14  2023 bin -> usr/bin\r\n\
drwxr-xr-x    2 ftp      ftp          4096 Jan 02  2024 a dir with spaces\r\n\
this line is no listing at all\r\n";
    let mlsd: &[u8] = b"type=file;size=3;modify=20201213202400;perm=r;UNIX.owner=1000; a;b c\r\n\
type=OS.unix=slink:/usr/bin;size=7; bin\r\n";
    let dos: &[u8] = b"04-27-00  09:09PM       <DIR>          pub\r\n\
08-07-15  07:50PM                  718 Post.dat\r\n";
    let now = FtpTime::new(2026, 11, 25, 12, 0, 0).unwrap();
    let count = |data: &[u8], format: Format| {
        let mut parser = ListingParser::new(now).with_format(format);
        let mut entries = 0u64;
        for line in lines(data) {
            if let ParsedLine::Entry(e) = parser.parse_line(line) {
                entries += e.name.len() as u64 + e.size.unwrap_or(0);
            }
        }
        entries
    };
    let expected =
        count(listing, Format::Auto) + count(mlsd, Format::Mlsd) + count(dos, Format::Auto);
    let before = allocations();
    let mut total = 0;
    for _ in 0..1_000 {
        total +=
            count(listing, Format::Auto) + count(mlsd, Format::Mlsd) + count(dos, Format::Auto);
    }
    let after = allocations();
    assert_eq!(total, expected * 1_000);
    assert_eq!(
        after - before,
        0,
        "{} allocations over 9 000 listing lines",
        after - before
    );
}
