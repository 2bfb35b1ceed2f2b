//! The session state machine driven by arbitrary server bytes, data-channel facts, ops,
//! aborts and clock steps. Asserts: no panic; every drain ends in `Wait`; nothing is
//! output after `Closed`; every submitted op ends exactly once (checked after a final
//! EOF, when nothing can still be pending); a transfer only completes after a data end
//! was reported for it.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use arbitrary::Arbitrary;
use ftp_core::FtpTime;
use ftp_core::session::{
    Channel, Client, Event, Instant, Op, OpId, Output, SessionConfig, TlsMode,
};
use ftp_core::transfer::{ControlAddresses, DataEnd, DataFailure, DataMode, StoreMode};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum OpSel {
    Login,
    Cwd,
    Pwd,
    Size,
    Mdtm,
    Rename,
    SetMtime,
    Feat,
    Noop,
    Raw,
    Mkd,
    Retr,
    Stor,
    Appe,
    List,
    Mlsd,
    Mlst,
    Ccc,
    ProtP,
    Quit,
}

#[derive(Arbitrary, Debug)]
enum Fact {
    Listening(u16),
    Connected(bool),
    End(u64, bool),
    Failed,
    Activity,
    FinishUpload,
    TlsReady,
}

#[derive(Arbitrary, Debug)]
enum Step {
    Submit(OpSel, Vec<u8>, u32),
    Server(Vec<u8>),
    Eof,
    Time(u16),
    Data(u8, Fact),
    Abort(u8),
    ControlTlsReady,
}

#[derive(Arbitrary, Debug)]
struct Input {
    flags: u8,
    max_reply: u16,
    steps: Vec<Step>,
}

fn op<'a>(sel: &OpSel, arg: &'a [u8], n: u32) -> Op<'a> {
    match sel {
        OpSel::Login => Op::Login {
            user: arg,
            password: arg,
            account: (n % 2 == 0).then_some(arg),
        },
        OpSel::Cwd => Op::Cwd(arg),
        OpSel::Pwd => Op::Pwd,
        OpSel::Size => Op::Size(arg),
        OpSel::Mdtm => Op::Mdtm(arg),
        OpSel::Rename => Op::Rename { from: arg, to: arg },
        OpSel::SetMtime => Op::SetMtime {
            path: arg,
            time: FtpTime::UNIX_EPOCH,
        },
        OpSel::Feat => Op::Feat,
        OpSel::Noop => Op::Noop,
        OpSel::Raw => Op::Raw(arg),
        OpSel::Mkd => Op::Mkd(arg),
        OpSel::Retr => Op::Retr {
            path: arg,
            offset: u64::from(n % 3),
        },
        OpSel::Stor => Op::Stor {
            path: arg,
            mode: StoreMode::Replace,
            offset: 0,
        },
        OpSel::Appe => Op::Stor {
            path: arg,
            mode: StoreMode::Append,
            offset: 0,
        },
        OpSel::List => Op::List((n % 2 == 0).then_some(arg)),
        OpSel::Mlsd => Op::Mlsd(None),
        OpSel::Mlst => Op::Mlst(Some(arg)),
        OpSel::Ccc => Op::Ccc,
        OpSel::ProtP => Op::ProtectData(n % 2 == 0),
        OpSel::Quit => Op::Quit,
    }
}

struct Tracker {
    terminal: BTreeMap<OpId, u32>,
    ended_data: BTreeSet<OpId>,
    closed: bool,
}

fn drain(client: &mut Client, now: Instant, t: &mut Tracker) {
    for _ in 0..100_000 {
        let output = client.poll_output(now);
        if let Output::Wait(_) = output {
            return;
        }
        assert!(!t.closed, "output after Closed: {output:?}");
        if let Output::Event(event) = output {
            match event {
                Event::Completed { op, kind, .. } => {
                    if kind.is_transfer() {
                        assert!(
                            t.ended_data.contains(&op),
                            "{kind:?} completed without a data end"
                        );
                    }
                    *t.terminal.entry(op).or_default() += 1;
                }
                Event::Rejected { op, .. } | Event::Failed { op, .. } => {
                    *t.terminal.entry(op).or_default() += 1;
                }
                Event::Closed(_) => t.closed = true,
                _ => {}
            }
        }
    }
    panic!("poll_output never returned Wait");
}

fuzz_target!(|input: Input| {
    let flags = input.flags;
    let mut config = SessionConfig {
        report_all_replies: flags & 1 != 0,
        data_mode: match (flags >> 1) & 3 {
            0 => DataMode::Auto,
            1 => DataMode::Passive,
            2 => DataMode::ExtendedPassive,
            _ => DataMode::Active {
                external_ip: None,
                ports: Some((50000, 50010)),
            },
        },
        tls: match (flags >> 3) & 3 {
            1 => TlsMode::Explicit,
            2 => TlsMode::Implicit,
            _ => TlsMode::None,
        },
        keepalive_interval: (flags & 32 != 0).then(|| Duration::from_secs(5)),
        data_idle_timeout: (flags & 64 != 0).then(|| Duration::from_secs(7)),
        ..SessionConfig::default()
    };
    config.framer.max_reply_len = usize::from(input.max_reply.max(16));
    config.framer.lenient_multiline_end = flags & 128 != 0;
    let addrs = ControlAddresses {
        local: "127.0.0.1:40000".parse().unwrap(),
        peer: "127.0.0.1:21".parse().unwrap(),
    };
    let mut now = Instant::ZERO;
    let mut client = Client::new(config, addrs, now);
    let mut submitted: Vec<OpId> = Vec::new();
    let mut t = Tracker {
        terminal: BTreeMap::new(),
        ended_data: BTreeSet::new(),
        closed: false,
    };
    drain(&mut client, now, &mut t);
    for step in input.steps.iter().take(200) {
        match step {
            Step::Submit(sel, arg, n) => {
                if let Ok(id) = client.submit(op(sel, arg, *n)) {
                    submitted.push(id);
                }
            }
            Step::Server(bytes) => client.handle_control_data(bytes, now),
            Step::Eof => client.handle_control_eof(now),
            Step::Time(s) => {
                now = now + Duration::from_millis(u64::from(*s) * 100);
                client.handle_timeout(now);
            }
            Step::Abort(back) => {
                if let Some(&op) = submitted.iter().rev().nth(usize::from(*back % 4)) {
                    let _ = client.abort(op);
                }
            }
            Step::ControlTlsReady => client.handle_tls_ready(Channel::Control, now),
            Step::Data(back, fact) => {
                let Some(&op) = submitted.iter().rev().nth(usize::from(*back % 4)) else {
                    continue;
                };
                match fact {
                    Fact::Listening(port) => {
                        client.handle_data_listening(op, ([127, 0, 0, 1], *port).into(), now)
                    }
                    Fact::Connected(foreign) => {
                        let peer = if *foreign {
                            [10, 0, 0, 1]
                        } else {
                            [127, 0, 0, 1]
                        };
                        client.handle_data_connected(op, (peer, 20).into(), now)
                    }
                    Fact::End(bytes, clean) => {
                        t.ended_data.insert(op);
                        client.handle_data_end(
                            op,
                            DataEnd {
                                bytes: *bytes,
                                clean: *clean,
                            },
                            now,
                        )
                    }
                    Fact::Failed => client.handle_data_failed(op, DataFailure::Broken, now),
                    Fact::Activity => client.handle_data_activity(op, now),
                    Fact::FinishUpload => {
                        let _ = client.finish_upload(op);
                    }
                    Fact::TlsReady => client.handle_tls_ready(Channel::Data(op), now),
                }
            }
        }
        drain(&mut client, now, &mut t);
        for (op, n) in &t.terminal {
            assert_eq!(*n, 1, "op {op:?} ended {n} times");
        }
    }
    client.handle_control_eof(now);
    drain(&mut client, now, &mut t);
    assert!(t.closed, "the session must be closed after EOF");
    for op in &submitted {
        assert_eq!(
            t.terminal.get(op),
            Some(&1),
            "op {op:?} must end exactly once"
        );
    }
});
