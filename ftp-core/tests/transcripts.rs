//! Transcript tests of the session state machine: each file in `tests/transcripts/` is a
//! conversation with a server, in a small text format.
//!
//! Inputs (each is fed to the client, then all its output is drained):
//!
//! - `config: key=value …` (first, optional): `host=`, `client_name=`, `feat=on|off`,
//!   `utf8=on|off`, `timeout=<secs>`, `max_reply=<bytes>`, `lenient=on`
//! - `>> op args…`: submit an op (`login user pass [acct]`, `cwd path`, `size path`, …;
//!   the rest of the line is one argument, `\r`, `\n`, `\xNN` escapes allowed)
//! - `S: text`: server bytes, CRLF appended; `S! text`: server bytes as written
//! - `T: +N`: the clock moves N seconds (fractions allowed), then `handle_timeout`
//! - `D: #N fact`: a data-connection fact for the op submitted Nth (`listening ADDR`,
//!   `connected ADDR`, `end BYTES clean|unclean`, `failed KIND`, `finish` for
//!   `finish_upload`)
//! - `TLS: control` / `TLS: #N`: a TLS handshake finished; `TLS-FAILED: control`
//! - `ABORT: #N`: the caller aborts the op submitted Nth
//! - `EOF`: the server closes the control connection
//!
//! Expected output, in order, until the next input: `C: command line` (CRLF implied),
//! `A: close-control`, `E: event` (see `describe`). A `!! reason` line expects `submit`
//! of the preceding `>>` to fail with that error. Lines starting with `#` are comments.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::time::Duration;

use ftp_core::FtpTime;
use ftp_core::session::{
    Action, Channel, Client, Event, Instant, Op, OpId, Output, SessionConfig, Value,
};
use ftp_core::transfer::{ControlAddresses, DataEnd, DataFailure, DataMode, Direction, StoreMode};

fn unescape(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 1 < bytes.len() {
            match bytes[i + 1] {
                b'r' => out.push(b'\r'),
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'0' => out.push(0),
                b'\\' => out.push(b'\\'),
                b'x' => {
                    let hex = &text[i + 2..i + 4];
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 2;
                }
                other => panic!("unknown escape \\{}", other as char),
            }
            i += 2;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn describe(output: &Output<'_>) -> Option<String> {
    let line = match output {
        Output::Transmit(bytes) => {
            let line = bytes.strip_suffix(b"\r\n").expect("commands end in CRLF");
            format!("C: {}", line.escape_ascii())
        }
        Output::Action(action) => match action {
            Action::CloseControl => "A: close-control".into(),
            Action::ConnectData { op, addr } => format!("A: connect #{} {addr}", op.get()),
            Action::ListenData { op, ip, ports } => match ports {
                Some((a, b)) => format!("A: listen #{} {ip} ports {a}-{b}", op.get()),
                None => format!("A: listen #{} {ip}", op.get()),
            },
            Action::AcceptData { op } => format!("A: accept #{}", op.get()),
            Action::ShutdownData { op } => format!("A: shutdown #{}", op.get()),
            Action::CloseData { op } => format!("A: close-data #{}", op.get()),
            Action::DrainData { op, .. } => format!("A: drain-data #{}", op.get()),
            Action::StartTls {
                channel: Channel::Control,
            } => "A: start-tls control".into(),
            Action::StartTls {
                channel: Channel::Data(op),
            } => format!("A: start-tls #{}", op.get()),
            Action::StopControlTls => "A: stop-tls control".into(),
            other => format!("A: {other:?}"),
        },
        Output::Event(event) => {
            let mut s = String::from("E: ");
            match event {
                Event::Greeting(r) => write!(s, "greeting {}", r.code()).unwrap(),
                Event::Info { op, reply } => match op {
                    Some(op) => write!(s, "info #{} {}", op.get(), reply.code()).unwrap(),
                    None => write!(s, "info - {}", reply.code()).unwrap(),
                },
                Event::Completed {
                    op,
                    kind,
                    reply,
                    value,
                } => {
                    write!(s, "completed #{} {kind:?} {}", op.get(), reply.code()).unwrap();
                    match value {
                        Value::None => {}
                        Value::Path(p) => write!(s, " path={}", p.to_cow().escape_ascii()).unwrap(),
                        Value::Size(n) => write!(s, " size={n}").unwrap(),
                        Value::Time(t) => write!(s, " time={t}").unwrap(),
                        Value::Features => s.push_str(" features"),
                        Value::Transferred(n) => write!(s, " bytes={n}").unwrap(),
                        Value::Entry(e) => write!(s, " entry={}", e.name.escape_ascii()).unwrap(),
                        other => write!(s, " {other:?}").unwrap(),
                    }
                }
                Event::Rejected { op, kind, reply } => {
                    write!(s, "rejected #{} {kind:?} {}", op.get(), reply.code()).unwrap()
                }
                Event::Failed { op, kind, error } => {
                    write!(s, "failed #{} {kind:?} {error:?}", op.get()).unwrap()
                }
                Event::DataReady {
                    op,
                    direction,
                    size,
                } => {
                    write!(s, "ready #{} {direction:?}", op.get()).unwrap();
                    if let Some(n) = size {
                        write!(s, " size={n}").unwrap();
                    }
                }
                Event::Closed(None) => s.push_str("closed"),
                Event::Closed(Some(e)) => write!(s, "closed {e:?}").unwrap(),
                other => write!(s, "{other:?}").unwrap(),
            }
            s
        }
        Output::Wait(_) => return None,
    };
    Some(line)
}

fn drain(client: &mut Client, now: Instant) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..10_000 {
        let output = client.poll_output(now);
        match describe(&output) {
            Some(line) => out.push(line),
            None => return out,
        }
    }
    panic!("poll_output never returned Wait");
}

fn parse_op<'a>(words: &'a [Vec<u8>]) -> Op<'a> {
    let verb = std::str::from_utf8(&words[0]).unwrap();
    let arg = |i: usize| words.get(i).map(Vec::as_slice);
    let req = |i: usize| arg(i).unwrap_or_else(|| panic!("{verb} needs argument {i}"));
    match verb {
        "login" => Op::Login {
            user: req(1),
            password: arg(2).unwrap_or(b""),
            account: arg(3),
        },
        "anonymous" => Op::ANONYMOUS,
        "cwd" => Op::Cwd(req(1)),
        "cdup" => Op::Cdup,
        "pwd" => Op::Pwd,
        "mkd" => Op::Mkd(req(1)),
        "rmd" => Op::Rmd(req(1)),
        "delete" => Op::Delete(req(1)),
        "rename" => Op::Rename {
            from: req(1),
            to: req(2),
        },
        "size" => Op::Size(req(1)),
        "mdtm" => Op::Mdtm(req(1)),
        "set_mtime" => Op::SetMtime {
            path: req(2),
            time: FtpTime::parse(req(1)).unwrap(),
        },
        "site" => Op::Site(req(1)),
        "noop" => Op::Noop,
        "syst" => Op::Syst,
        "stat" => Op::Stat(arg(1)),
        "help" => Op::Help(arg(1)),
        "feat" => Op::Feat,
        "opts" => Op::Opts(req(1)),
        "raw" => Op::Raw(req(1)),
        "quit" => Op::Quit,
        "retr" => Op::Retr {
            path: req(1),
            offset: 0,
        },
        "retr_from" => Op::Retr {
            path: req(2),
            offset: std::str::from_utf8(req(1)).unwrap().parse().unwrap(),
        },
        "stor" => Op::Stor {
            path: req(1),
            mode: StoreMode::Replace,
            offset: 0,
        },
        "stor_from" => Op::Stor {
            path: req(2),
            mode: StoreMode::Replace,
            offset: std::str::from_utf8(req(1)).unwrap().parse().unwrap(),
        },
        "appe" => Op::Stor {
            path: req(1),
            mode: StoreMode::Append,
            offset: 0,
        },
        "stou" => Op::Stor {
            path: arg(1).unwrap_or(b""),
            mode: StoreMode::Unique,
            offset: 0,
        },
        "list" => Op::List(arg(1)),
        "nlst" => Op::Nlst(arg(1)),
        "mlsd" => Op::Mlsd(arg(1)),
        "mlst" => Op::Mlst(arg(1)),
        "ccc" => Op::Ccc,
        "prot_p" => Op::ProtectData(true),
        "prot_c" => Op::ProtectData(false),
        "rawdata_down" => Op::RawData {
            command: req(1),
            direction: Direction::Download,
            ascii: false,
        },
        other => panic!("unknown op {other}"),
    }
}

/// Splits `>> op a b` into words; ops whose argument is a path take the rest of the line.
fn op_words(rest: &str) -> Vec<Vec<u8>> {
    let (verb, tail) = rest.split_once(' ').unwrap_or((rest, ""));
    let mut words = vec![verb.as_bytes().to_vec()];
    match verb {
        "login" | "rename" | "set_mtime" | "retr_from" | "stor_from" => {
            words.extend(tail.split(' ').filter(|w| !w.is_empty()).map(unescape));
        }
        _ if !tail.is_empty() => words.push(unescape(tail)),
        _ => {}
    }
    words
}

fn config_from(line: &str) -> SessionConfig {
    let mut config = SessionConfig::default();
    for pair in line.split_whitespace() {
        let (key, value) = pair.split_once('=').expect("key=value");
        let on = value == "on";
        match key {
            "host" => config.host = Some(unescape(value)),
            "client_name" => config.client_name = Some(unescape(value)),
            "feat" => config.feat_after_login = on,
            "utf8" => config.utf8 = on,
            "timeout" => config.reply_timeout = Duration::from_secs(value.parse().unwrap()),
            "max_reply" => config.framer.max_reply_len = value.parse().unwrap(),
            "lenient" => config.framer.lenient_multiline_end = on,
            "mode" => {
                config.data_mode = match value {
                    "auto" => DataMode::Auto,
                    "pasv" => DataMode::Passive,
                    "epsv" => DataMode::ExtendedPassive,
                    "active" => DataMode::Active {
                        external_ip: None,
                        ports: None,
                    },
                    "active:ports" => DataMode::Active {
                        external_ip: None,
                        ports: Some((50000, 50100)),
                    },
                    v => DataMode::Active {
                        external_ip: Some(v.strip_prefix("active:").unwrap().parse().unwrap()),
                        ports: None,
                    },
                }
            }
            "trust_pasv" => config.trust_pasv_address = on,
            "foreign_peer" => config.accept_foreign_data_peer = on,
            "data_timeout" => config.data_timeout = Duration::from_secs(value.parse().unwrap()),
            "all_replies" => config.report_all_replies = on,
            "keepalive" => {
                config.keepalive_interval = Some(Duration::from_secs(value.parse().unwrap()))
            }
            "idle" => config.data_idle_timeout = Some(Duration::from_secs(value.parse().unwrap())),
            "tls" => {
                config.tls = match value {
                    "explicit" => ftp_core::session::TlsMode::Explicit,
                    "implicit" => ftp_core::session::TlsMode::Implicit,
                    _ => ftp_core::session::TlsMode::None,
                }
            }
            "protect_data" => config.protect_data = on,
            "local" | "peer" => {}
            other => panic!("unknown config key {other}"),
        }
    }
    config
}

/// The id of the op submitted `n`th in this transcript.
fn op_id(n: u64) -> OpId {
    OP_IDS.with(|ids| ids.borrow()[n as usize])
}

thread_local! {
    static OP_IDS: std::cell::RefCell<Vec<OpId>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs one transcript; returns the first mismatch.
fn run(path: &Path) -> Result<usize, String> {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines().enumerate().peekable();
    let mut config = SessionConfig::default();
    while let Some((_, line)) = lines.peek() {
        if line.starts_with('#') || line.trim().is_empty() {
            lines.next();
        } else if let Some(rest) = line.strip_prefix("config:") {
            config = config_from(rest);
            lines.next();
        } else {
            break;
        }
    }
    let mut now = Instant::ZERO;
    let mut addrs = ControlAddresses {
        local: "127.0.0.1:40000".parse().unwrap(),
        peer: "127.0.0.1:21".parse().unwrap(),
    };
    for line in text.lines().filter(|l| l.starts_with("config:")) {
        for pair in line["config:".len()..].split_whitespace() {
            match pair.split_once('=') {
                Some(("local", v)) => addrs.local = v.parse().unwrap(),
                Some(("peer", v)) => addrs.peer = v.parse().unwrap(),
                _ => {}
            }
        }
    }
    OP_IDS.with(|ids| ids.borrow_mut().clear());
    let mut client = Client::new(config, addrs, now);
    let mut produced: Vec<String> = drain(&mut client, now);
    let mut produced_at = 0;
    let mut expected: Vec<(usize, String)> = Vec::new();
    let mut checks = 0;

    let compare = |produced: &[String], expected: &[(usize, String)], at: usize| {
        for (i, want) in expected.iter().enumerate() {
            match produced.get(i) {
                Some(got) if got == &want.1 => {}
                Some(got) => {
                    return Err(format!(
                        "line {}: expected `{}`, got `{got}`",
                        want.0 + 1,
                        want.1
                    ));
                }
                None => {
                    return Err(format!(
                        "line {}: expected `{}`, got nothing",
                        want.0 + 1,
                        want.1
                    ));
                }
            }
        }
        if produced.len() > expected.len() {
            return Err(format!(
                "after line {}: unexpected output `{}`",
                at + 1,
                produced[expected.len()]
            ));
        }
        Ok(())
    };

    for (n, line) in lines {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let is_expectation = ["C: ", "E: ", "A: ", "!! "]
            .iter()
            .any(|p| line.starts_with(p))
            || line == "C:";
        if is_expectation {
            if let Some(reason) = line.strip_prefix("!! ") {
                // Only right after a `>>` whose submit failed.
                let got = produced.first().cloned().unwrap_or_default();
                if got != format!("!! {reason}") {
                    return Err(format!(
                        "line {}: expected submit error `{reason}`, got `{got}`",
                        n + 1
                    ));
                }
                produced.remove(0);
                checks += 1;
                continue;
            }
            expected.push((n, line.to_owned()));
            continue;
        }
        // An input: check what the previous input produced first.
        compare(&produced, &expected, produced_at)?;
        checks += expected.len();
        expected.clear();
        produced_at = n;
        produced = Vec::new();
        if let Some(rest) = line.strip_prefix(">> ") {
            let words = op_words(rest);
            match client.submit(parse_op(&words)) {
                Ok(id) => OP_IDS.with(|ids| ids.borrow_mut().push(id)),
                Err(e) => produced.push(format!("!! {e}")),
            }
        } else if let Some(rest) = line.strip_prefix("S: ") {
            let mut bytes = unescape(rest);
            bytes.extend_from_slice(b"\r\n");
            client.handle_control_data(&bytes, now);
        } else if line == "S:" {
            client.handle_control_data(b"\r\n", now);
        } else if let Some(rest) = line.strip_prefix("S! ") {
            client.handle_control_data(&unescape(rest), now);
        } else if let Some(rest) = line.strip_prefix("T: +") {
            now = now + Duration::from_secs_f64(rest.trim_end_matches('s').parse().unwrap());
            client.handle_timeout(now);
        } else if let Some(rest) = line.strip_prefix("D: #") {
            let (id, rest) = rest.split_once(' ').unwrap();
            let op = op_id(id.parse().unwrap());
            let (what, arg) = rest.split_once(' ').unwrap_or((rest, ""));
            match what {
                "listening" => client.handle_data_listening(op, arg.parse().unwrap(), now),
                "connected" => client.handle_data_connected(op, arg.parse().unwrap(), now),
                "end" => {
                    let (bytes, how) = arg.split_once(' ').unwrap();
                    let end = DataEnd {
                        bytes: bytes.parse().unwrap(),
                        clean: how == "clean",
                    };
                    client.handle_data_end(op, end, now);
                }
                "failed" => {
                    let failure = match arg {
                        "connect" => DataFailure::Connect,
                        "listen" => DataFailure::Listen,
                        "accept" => DataFailure::Accept,
                        "broken" => DataFailure::Broken,
                        "tls" => DataFailure::Tls,
                        other => panic!("unknown failure {other}"),
                    };
                    client.handle_data_failed(op, failure, now);
                }
                "activity" => client.handle_data_activity(op, now),
                "finish" => {
                    if let Err(e) = client.finish_upload(op) {
                        produced.push(format!("!! {e}"));
                    }
                }
                other => panic!("unknown data fact {other}"),
            }
        } else if line == "TLS: control" {
            client.handle_tls_ready(Channel::Control, now);
        } else if let Some(id) = line.strip_prefix("TLS: #") {
            client.handle_tls_ready(Channel::Data(op_id(id.parse().unwrap())), now);
        } else if line == "TLS-FAILED: control" {
            client.handle_tls_failed(now);
        } else if let Some(id) = line.strip_prefix("ABORT: #") {
            if let Err(e) = client.abort(op_id(id.parse().unwrap())) {
                produced.push(format!("!! {e}"));
            }
        } else if line == "EOF" {
            client.handle_control_eof(now);
        } else {
            return Err(format!("line {}: cannot read `{line}`", n + 1));
        }
        produced.extend(drain(&mut client, now));
    }
    compare(&produced, &expected, produced_at)?;
    checks += expected.len();
    Ok(checks)
}

#[test]
fn transcripts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ftp"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    for file in &files {
        match run(file) {
            Ok(checks) => {
                assert!(checks > 0, "{} checks nothing", file.display());
                println!(
                    "ok   {} ({checks} checks)",
                    file.file_name().unwrap().to_string_lossy()
                );
            }
            Err(e) => failures.push(format!(
                "{}: {e}",
                file.file_name().unwrap().to_string_lossy()
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} transcripts fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
