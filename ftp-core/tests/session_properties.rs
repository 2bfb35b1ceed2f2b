//! Property tests of the session: random op sequences against a server answering random
//! (valid, odd and invalid) replies in random chunks never panic, every submitted op ends
//! in exactly one terminal event, and the outcome does not depend on chunking.

use std::collections::BTreeMap;
use std::time::Duration;

use ftp_core::FtpTime;
use ftp_core::session::{Client, Event, Instant, Op, OpId, Output, SessionConfig};
use proptest::prelude::*;

const OPS: usize = 18;

fn op(i: usize) -> Op<'static> {
    match i % OPS {
        0 => Op::Login {
            user: b"u",
            password: b"p",
            account: Some(b"a"),
        },
        1 => Op::Cwd(b"/d"),
        2 => Op::Pwd,
        3 => Op::Size(b"f"),
        4 => Op::Mdtm(b"f"),
        5 => Op::Rename {
            from: b"a",
            to: b"b",
        },
        6 => Op::SetMtime {
            path: b"f",
            time: FtpTime::UNIX_EPOCH,
        },
        7 => Op::Feat,
        8 => Op::Noop,
        9 => Op::Raw(b"SITE X"),
        10 => Op::Mkd(b"m"),
        11 => Op::Stat(None),
        12 => Op::ANONYMOUS,
        13 => Op::Retr {
            path: b"f",
            offset: 7,
        },
        14 => Op::Stor {
            path: b"f",
            mode: ftp_core::transfer::StoreMode::Replace,
            offset: 0,
        },
        15 => Op::List(None),
        16 => Op::Mlst(Some(b"f")),
        _ => Op::Quit,
    }
}

const REPLIES: &[&str] = &[
    "110 MARK a = b\r\n",
    "120 soon\r\n",
    "150 Opening (12 bytes)\r\n",
    "200 ok\r\n",
    "202 superfluous\r\n",
    "211-Features:\r\n SIZE\r\n UTF8\r\n MFMT\r\n211 End\r\n",
    "213 12345\r\n",
    "213 junk\r\n",
    "213 20201213202400\r\n",
    "215 UNIX Type: L8\r\n",
    "220 hello\r\n",
    "221 bye\r\n",
    "226 done\r\n",
    "230 in\r\n",
    "250-multi\r\n250-line\r\n250 end\r\n",
    "257 \"/x\" ok\r\n",
    "257 unquoted\r\n",
    "331 pass?\r\n",
    "332 acct?\r\n",
    "350 pending\r\n",
    "421 going away\r\n",
    "425 no data\r\n",
    "500 what\r\n",
    "502 not implemented\r\n",
    "530 not logged in\r\n",
    "550 no\r\n",
    "garbage\r\n",
    "200 a\r\n200 two replies at once\r\n",
    "\r\n",
    "229 Entering Extended Passive Mode (|||40001|)\r\n",
    "227 Entering Passive Mode (127,0,0,1,156,65)\r\n",
    "229 broken (|||0|)\r\n",
    "250-x\r\n type=file;size=3; f\r\n250 End\r\n",
    "226-multi\r\n226 done\r\n",
    "426 aborted\r\n",
    "234 Proceed with negotiation.\r\n",
    "225 No transfer to abort.\r\n",
];

#[derive(Debug, Clone)]
enum Step {
    Submit(usize),
    Reply(usize),
    Time(u64),
    Eof,
    /// A data-channel fact for the op submitted `n`th from the end.
    Data(usize, DataFact),
    /// The caller aborts the op submitted `n`th from the end.
    Abort(usize),
    /// A TLS handshake finished: control (`None`) or the data connection of an op.
    TlsReady(Option<usize>),
}

#[derive(Debug, Clone)]
enum DataFact {
    Listening,
    Connected,
    ConnectedForeign,
    End(u64, bool),
    Failed,
    FinishUpload,
    Activity,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..OPS).prop_map(Step::Submit),
        6 => (0..REPLIES.len()).prop_map(Step::Reply),
        1 => (0u64..40).prop_map(Step::Time),
        1 => Just(Step::Eof),
        4 => (0usize..3, prop_oneof![
            Just(DataFact::Listening),
            Just(DataFact::Connected),
            Just(DataFact::ConnectedForeign),
            (any::<u64>(), any::<bool>()).prop_map(|(n, c)| DataFact::End(n, c)),
            Just(DataFact::Failed),
            Just(DataFact::FinishUpload),
            Just(DataFact::Activity),
        ]).prop_map(|(n, f)| Step::Data(n, f)),
        1 => (0usize..3).prop_map(Step::Abort),
        1 => prop::option::of(0usize..3).prop_map(Step::TlsReady),
    ]
}

/// Runs the steps; replies are fed cut at `cuts`. Returns the outputs, described, and
/// checks the per-op invariants.
fn run(steps: &[Step], cuts: &[usize], variant: u8) -> Result<Vec<String>, TestCaseError> {
    let active = variant & 1 != 0;
    let mut now = Instant::ZERO;
    let config = SessionConfig {
        data_mode: if active {
            ftp_core::transfer::DataMode::Active {
                external_ip: None,
                ports: None,
            }
        } else {
            ftp_core::transfer::DataMode::Auto
        },
        keepalive_interval: (variant & 2 != 0).then(|| Duration::from_secs(10)),
        data_idle_timeout: (variant & 4 != 0).then(|| Duration::from_secs(15)),
        tls: if variant & 8 != 0 {
            ftp_core::session::TlsMode::Explicit
        } else {
            ftp_core::session::TlsMode::None
        },
        ..SessionConfig::default()
    };
    let mut client = Client::new(
        config,
        ftp_core::transfer::ControlAddresses {
            local: "127.0.0.1:40000".parse().unwrap(),
            peer: "127.0.0.1:21".parse().unwrap(),
        },
        now,
    );
    let mut submitted: Vec<OpId> = Vec::new();
    let mut terminal: BTreeMap<OpId, usize> = BTreeMap::new();
    let mut closed = false;
    let mut quit_submitted = false;
    let mut quit_aborted = false;
    let mut log = Vec::new();
    let mut cut = cuts.iter().cycle();
    let drain = |client: &mut Client,
                 now: Instant,
                 log: &mut Vec<String>,
                 terminal: &mut BTreeMap<OpId, usize>,
                 closed: &mut bool|
     -> Result<(), TestCaseError> {
        for _ in 0..1000 {
            let output = client.poll_output(now);
            if let Output::Wait(deadline) = output {
                prop_assert!(
                    !*closed || deadline.is_none(),
                    "a closed session has no deadline"
                );
                return Ok(());
            }
            prop_assert!(!*closed, "output after Closed: {output:?}");
            log.push(format!("{output:?}"));
            match output {
                Output::Event(
                    Event::Completed { op, .. }
                    | Event::Rejected { op, .. }
                    | Event::Failed { op, .. },
                ) => *terminal.entry(op).or_default() += 1,
                Output::Event(Event::Closed(_)) => *closed = true,
                _ => {}
            }
        }
        Err(TestCaseError::fail("poll_output never returned Wait"))
    };
    drain(&mut client, now, &mut log, &mut terminal, &mut closed)?;
    for step in steps {
        match step {
            Step::Submit(i) => match client.submit(op(*i)) {
                Ok(id) => {
                    prop_assert!(!quit_submitted, "no op is accepted after QUIT");
                    quit_submitted = *i % OPS == OPS - 1;
                    submitted.push(id);
                }
                Err(_) => prop_assert!(client.is_closed() || quit_submitted || quit_aborted),
            },
            Step::Reply(i) => {
                let bytes = REPLIES[*i].as_bytes();
                let n = cut.next().map_or(bytes.len(), |c| c % (bytes.len() + 1));
                client.handle_control_data(&bytes[..n], now);
                client.handle_control_data(&bytes[n..], now);
            }
            Step::Time(s) => {
                now = now + Duration::from_secs(*s);
                client.handle_timeout(now);
            }
            Step::Eof => client.handle_control_eof(now),
            Step::Abort(back) => {
                if let Some(&op) = submitted.iter().rev().nth(*back)
                    && client.abort(op).is_ok()
                    && quit_submitted
                    && submitted.last() == Some(&op)
                {
                    // An aborted QUIT: if it was still queued, the session goes on.
                    quit_submitted = false;
                    quit_aborted = true;
                }
            }
            Step::TlsReady(None) => {
                client.handle_tls_ready(ftp_core::session::Channel::Control, now)
            }
            Step::TlsReady(Some(back)) => {
                if let Some(&op) = submitted.iter().rev().nth(*back) {
                    client.handle_tls_ready(ftp_core::session::Channel::Data(op), now);
                }
            }
            Step::Data(back, fact) => {
                if let Some(&op) = submitted.iter().rev().nth(*back) {
                    match fact {
                        DataFact::Listening => client.handle_data_listening(
                            op,
                            "127.0.0.1:50000".parse().unwrap(),
                            now,
                        ),
                        DataFact::Connected => client.handle_data_connected(
                            op,
                            "127.0.0.1:40001".parse().unwrap(),
                            now,
                        ),
                        DataFact::ConnectedForeign => {
                            client.handle_data_connected(op, "10.0.0.1:20".parse().unwrap(), now)
                        }
                        DataFact::End(bytes, clean) => client.handle_data_end(
                            op,
                            ftp_core::transfer::DataEnd {
                                bytes: *bytes,
                                clean: *clean,
                            },
                            now,
                        ),
                        DataFact::Failed => client.handle_data_failed(
                            op,
                            ftp_core::transfer::DataFailure::Broken,
                            now,
                        ),
                        DataFact::FinishUpload => {
                            let _ = client.finish_upload(op);
                        }
                        DataFact::Activity => client.handle_data_activity(op, now),
                    }
                }
            }
        }
        drain(&mut client, now, &mut log, &mut terminal, &mut closed)?;
    }
    // Whatever is still pending ends when the connection does.
    client.handle_control_eof(now);
    drain(&mut client, now, &mut log, &mut terminal, &mut closed)?;
    prop_assert!(closed, "the session must be closed after EOF");
    for id in &submitted {
        prop_assert_eq!(
            terminal.get(id).copied(),
            Some(1),
            "op {:?} must end exactly once",
            id
        );
    }
    prop_assert_eq!(terminal.len(), submitted.len());
    Ok(log)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn every_op_ends_exactly_once_and_nothing_panics(
        steps in prop::collection::vec(step(), 0..60),
        cuts in prop::collection::vec(any::<usize>(), 1..10),
        variant in 0u8..16,
    ) {
        run(&steps, &cuts, variant)?;
    }

    #[test]
    fn sessions_do_not_depend_on_chunking(
        steps in prop::collection::vec(step(), 0..60),
        cuts in prop::collection::vec(any::<usize>(), 1..10),
    ) {
        let whole = run(&steps, &[], 0)?;
        let cut = run(&steps, &cuts, 0)?;
        prop_assert_eq!(whole, cut);
    }
}

/// The download transfer join: feeds {1xx, connected, data EOF, 226} in the given order
/// (active mode, so the connection may come at any point after the command), and checks
/// the op completes exactly once, with the byte count, only after both the 226 and the
/// EOF.
fn download_join(order: &[usize], bytes: u64, tls: bool) -> Result<(), TestCaseError> {
    use ftp_core::session::{Channel, TlsMode};
    use ftp_core::transfer::{DataEnd, DataMode};
    let config = SessionConfig {
        feat_after_login: false,
        data_mode: DataMode::Active {
            external_ip: None,
            ports: None,
        },
        tls: if tls {
            TlsMode::Explicit
        } else {
            TlsMode::None
        },
        ..SessionConfig::default()
    };
    let addrs = ftp_core::transfer::ControlAddresses {
        local: "127.0.0.1:40000".parse().unwrap(),
        peer: "127.0.0.1:21".parse().unwrap(),
    };
    let now = Instant::ZERO;
    let mut client = Client::new(config, addrs, now);
    let mut completions = Vec::new();
    let ready = std::cell::Cell::new(false);
    let drain = |client: &mut Client, completions: &mut Vec<(OpId, u64)>| loop {
        match client.poll_output(now) {
            Output::Wait(_) => break,
            Output::Event(Event::DataReady { .. }) => ready.set(true),
            Output::Event(Event::Completed {
                op,
                value: ftp_core::session::Value::Transferred(n),
                ..
            }) => completions.push((op, n)),
            Output::Event(
                e @ (Event::Failed { .. } | Event::Rejected { .. } | Event::Closed(_)),
            ) => panic!("the transfer must not fail: {e:?}"),
            _ => {}
        }
    };
    client.handle_control_data(b"220 ready\r\n", now);
    if tls {
        drain(&mut client, &mut completions);
        client.handle_control_data(b"234 Proceed\r\n", now);
        drain(&mut client, &mut completions);
        client.handle_tls_ready(Channel::Control, now);
        drain(&mut client, &mut completions);
        client.handle_control_data(b"200 PBSZ=0\r\n", now);
        drain(&mut client, &mut completions);
        client.handle_control_data(b"200 PROT P\r\n", now);
    }
    let op = client
        .submit(Op::Retr {
            path: b"f",
            offset: 0,
        })
        .unwrap();
    drain(&mut client, &mut completions);
    client.handle_control_data(b"200 type ok\r\n", now);
    drain(&mut client, &mut completions);
    client.handle_data_listening(op, "127.0.0.1:50000".parse().unwrap(), now);
    drain(&mut client, &mut completions);
    client.handle_control_data(b"200 eprt ok\r\n", now);
    drain(&mut client, &mut completions);
    let (mut seen_226, mut seen_eof, mut seen_tls) = (false, false, !tls);
    let (mut seen_150, mut seen_connected) = (false, false);
    for &step in order {
        match step {
            4 if !tls => continue,
            4 => {
                client.handle_tls_ready(Channel::Data(op), now);
                seen_tls = true;
            }
            0 => client.handle_control_data(b"150 Opening (12 bytes)\r\n", now),
            1 => client.handle_data_connected(op, "127.0.0.1:20".parse().unwrap(), now),
            2 => {
                client.handle_data_end(op, DataEnd { bytes, clean: true }, now);
                seen_eof = true;
            }
            _ => {
                client.handle_control_data(b"226 Transfer complete\r\n", now);
                seen_226 = true;
            }
        }
        drain(&mut client, &mut completions);
        match step {
            0 => seen_150 = true,
            1 => seen_connected = true,
            _ => {}
        }
        if ready.get() {
            // Data may move only on an accepted command over a connected, handshaken
            // data connection.
            prop_assert!(
                seen_connected && seen_tls && (seen_150 || seen_226),
                "ready too early: {order:?}"
            );
        }
        if !(seen_226 && seen_eof) {
            prop_assert!(
                completions.is_empty(),
                "completed early after {order:?}: {completions:?}"
            );
        }
    }
    prop_assert_eq!(completions, vec![(op, bytes)]);
    // The session is still in step.
    client.submit(Op::Noop).unwrap();
    drain(&mut client, &mut Vec::new());
    client.handle_control_data(b"200 ok\r\n", now);
    let mut done = false;
    loop {
        match client.poll_output(now) {
            Output::Wait(_) => break,
            Output::Event(Event::Completed { .. }) => done = true,
            _ => {}
        }
    }
    prop_assert!(done);
    Ok(())
}

proptest! {
    #[test]
    fn download_completes_once_in_every_order(
        order in Just(vec![0usize, 1, 2, 3, 4]).prop_shuffle(),
        bytes in any::<u64>(),
        tls in any::<bool>(),
    ) {
        // The data flows only once connected and (with TLS) handshaken: put connected (1),
        // TLS ready (4) and EOF (2) in that order, wherever they fall.
        let mut order = order;
        let mut slots: Vec<usize> = order
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s, 1 | 2 | 4))
            .map(|(i, _)| i)
            .collect();
        slots.sort_unstable();
        for (slot, step) in slots.into_iter().zip([1, 4, 2]) {
            order[slot] = step;
        }
        download_join(&order, bytes, tls)?;
    }
}
