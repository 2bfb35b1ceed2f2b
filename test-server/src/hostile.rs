//! The hostile-server catalogue: named scenarios, each a [`Script`] playing a server that
//! misbehaves, the client [`Config`] to meet it with, one thing the client does, and what
//! must come of it: a result, or an error of a named kind, and the session's state after
//! (still usable, or closed). Both adapters run the same catalogue with their own client
//! (`ftp-std/tests/hostile.rs`, `ftp-tokio/tests/hostile.rs`), so every scenario is
//! written once.
//!
//! Every script ends with what the client must do after the scenario: a `NOOP` answered
//! `200` when the session must stay usable (the proof that client and server are still in
//! step), nothing when it must be closed.

use std::net::Ipv4Addr;
use std::time::Duration;

use ftp_core::config::Config;
use ftp_core::driver::{Error, Timeout};
use ftp_core::session::{OpError, SessionError};
use ftp_core::tls::TlsConfig;

use crate::{Leaf, Script, TestPki};

/// What the client does in a scenario, after connecting (and logging in, unless
/// [`Scenario::login`] is false).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing more than connecting (and logging in).
    Connect,
    /// `NOOP`.
    Noop,
    /// Download a file, reading it to the end.
    Retr(&'static str),
    /// Upload these bytes.
    Stor(&'static str, Vec<u8>),
    /// `LIST`, parsed.
    List,
}

/// What must come of the step.
#[derive(Debug, Clone)]
pub enum Expect {
    /// Success; a download must have exactly these bytes (an upload: the server must have
    /// received them, see the script's log).
    Ok(Option<Vec<u8>>),
    /// An error that `matches` accepts (`what` names it for the failure message).
    Err {
        /// The kind of error, in words.
        what: &'static str,
        /// Whether an error is of that kind.
        matches: fn(&Error) -> bool,
    },
}

/// The session's state after the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Usable: a `NOOP` succeeds.
    Usable,
    /// Closed: the next call fails, nothing more is sent.
    Closed,
}

/// One named scenario.
pub struct Scenario {
    /// Its name.
    pub name: &'static str,
    /// The server.
    pub script: Script,
    /// The client's settings.
    pub config: Config,
    /// Connect to `localhost` (for TLS names) rather than the IP.
    pub use_host_name: bool,
    /// Log in as `user`/`pass` before the step.
    pub login: bool,
    /// What the client does.
    pub step: Step,
    /// What must come of it.
    pub expect: Expect,
    /// The session's state after.
    pub after: After,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("step", &self.step)
            .field("after", &self.after)
            .finish()
    }
}

/// The client settings scenarios start from: short timeouts (so a hang shows up as a
/// failure within seconds), no FEAT after login (scripts stay short).
pub fn base_config() -> Config {
    Config::new()
        .reply_timeout(Duration::from_secs(2))
        .data_timeout(Duration::from_secs(2))
        .idle_timeout(Some(Duration::from_secs(2)))
        .feat_after_login(false)
        .quit_timeout(Duration::from_millis(200))
}

fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// The start of every logged-in script.
fn logged_in() -> Script {
    Script::new().greet().login("user", "pass")
}

/// Logged in, `TYPE I` answered, then `verb` (EPSV or PASV) is expected: the start of
/// every binary transfer scenario.
fn binary(verb: &str) -> Script {
    logged_in()
        .expect("TYPE I")
        .reply("200 binary")
        .expect(verb)
}

/// [`binary`] with a passive listener opened by EPSV, then `command` expected.
fn epsv_then(command: &str) -> Script {
    binary("EPSV").epsv().expect(command)
}

/// The end of a script whose session must stay usable.
fn usable(script: Script) -> Script {
    script.expect("NOOP").reply("200 still in step")
}

/// The op failed on a reply whose content could not be read; the session goes on.
fn unreadable_reply() -> Expect {
    Expect::Err {
        what: "an unreadable reply",
        matches: |e| {
            matches!(
                e,
                Error::Protocol {
                    error: OpError::Parse(_),
                    ..
                }
            )
        },
    }
}

/// A TLS failure (handshake, certificate).
fn tls_error() -> Expect {
    Expect::Err {
        what: "a TLS error",
        matches: |e| matches!(e, Error::Tls(_)),
    }
}

fn is_timeout(e: &Error, which: Timeout) -> bool {
    matches!(e, Error::Timeout(t) if *t == which)
}

/// What an adapter's test runs: the whole [`catalogue`], then every download scenario
/// again, marked `true`: that run downloads into a local file (`retr_to_path`, whose
/// writer thread must pass every failure on the same way).
pub fn runs(pki: &TestPki) -> Vec<(Scenario, bool)> {
    let into_files = catalogue(pki)
        .into_iter()
        .filter(|s| matches!(s.step, Step::Retr(_)))
        .map(|s| (s, true));
    catalogue(pki)
        .into_iter()
        .map(|s| (s, false))
        .chain(into_files)
        .collect()
}

/// The whole catalogue. `pki` makes the certificates of the TLS scenarios.
pub fn catalogue(pki: &TestPki) -> Vec<Scenario> {
    let file = content(300_000);
    let small = content(1000);
    let tls_client =
        || TlsConfig::from_ca_pem(pki.ca_pem().as_bytes()).expect("the test CA parses");
    let mut all = Vec::new();
    let mut add = |name, script, config, step, expect, after| {
        all.push(Scenario {
            name,
            script,
            config,
            use_host_name: false,
            login: true,
            step,
            expect,
            after,
        })
    };

    // ----- the transfer rule: the final reply and the data end, in either order -----
    add(
        "226 before data EOF",
        usable(
            epsv_then("RETR f")
                .reply("150 here it comes")
                .accept_data()
                .reply("226 done (said early)")
                .sleep(Duration::from_millis(200))
                .data_send(file.clone())
                .data_close(),
        ),
        base_config(),
        Step::Retr("f"),
        Expect::Ok(Some(file.clone())),
        After::Usable,
    );
    add(
        "data EOF long before 226",
        usable(
            epsv_then("RETR f")
                .reply("150 here it comes")
                .accept_data()
                .data_send(file.clone())
                .data_close()
                .sleep(Duration::from_millis(800))
                .reply("226 done (said late)"),
        ),
        base_config(),
        Step::Retr("f"),
        Expect::Ok(Some(file.clone())),
        After::Usable,
    );
    add(
        "no 1xx at all",
        usable(
            epsv_then("RETR f")
                .accept_data()
                .data_send(small.clone())
                .data_close()
                .reply("226 done"),
        ),
        base_config(),
        Step::Retr("f"),
        Expect::Ok(Some(small.clone())),
        After::Usable,
    );
    add(
        "2xx before 1xx",
        usable(
            epsv_then("RETR f")
                .accept_data()
                .data_send(small.clone())
                .data_close()
                .reply("226 done")
                .reply("150 a late preliminary reply"),
        ),
        base_config(),
        Step::Retr("f"),
        Expect::Ok(Some(small.clone())),
        After::Usable,
    );
    add(
        "reset mid-download, then 426",
        usable(
            epsv_then("RETR f")
                .reply("150 here it comes")
                .accept_data()
                .data_send(content(100_000))
                .sleep(Duration::from_millis(100))
                .data_reset()
                .reply("426 connection closed; transfer aborted"),
        ),
        base_config(),
        Step::Retr("f"),
        Expect::Err {
            what: "a refusal (426) or a broken data connection",
            matches: |e| {
                e.is_transient()
                    && matches!(
                        e,
                        Error::Rejected { .. } | Error::Protocol { .. } | Error::Io(_)
                    )
            },
        },
        After::Usable,
    );
    add(
        "reset mid-download, then 226 (nothing truncated is a success)",
        usable(
            epsv_then("RETR f")
                .reply("150 here it comes")
                .accept_data()
                .data_send(content(100_000))
                .sleep(Duration::from_millis(100))
                .data_reset()
                .reply("226 done, says the server"),
        ),
        base_config(),
        Step::Retr("f"),
        Expect::Err {
            what: "a broken data connection",
            matches: |e| e.is_transient() && !matches!(e, Error::Rejected { .. }),
        },
        After::Usable,
    );
    add(
        "reset mid-upload",
        usable(
            epsv_then("STOR up")
                .reply("150 send it")
                .accept_data()
                .data_receive_exact(10_000)
                .data_reset()
                .reply("426 connection reset; transfer aborted"),
        ),
        base_config(),
        Step::Stor("up", content(20 << 20)),
        Expect::Err {
            what: "a refusal (426) or a broken data connection",
            matches: |e| e.is_transient(),
        },
        After::Usable,
    );
    add(
        "data closed early with 226 while the 150 announced more",
        usable(
            epsv_then("RETR f")
                .reply("150 Opening BINARY mode data connection for f (300000 bytes)")
                .accept_data()
                .data_send(content(1000))
                .data_close()
                .reply("226 done"),
        ),
        base_config(),
        Step::Retr("f"),
        Expect::Err {
            what: "a short transfer",
            matches: |e| {
                matches!(
                    e,
                    Error::Protocol {
                        error: OpError::ShortData { .. },
                        ..
                    }
                )
            },
        },
        After::Usable,
    );

    // A fast start puts a low-water mark on the data socket (`ftp_socket`: the reader
    // wakes for 64 KiB at a time); bytes that then trickle in below the mark are still
    // activity, not an idle connection, and all of them arrive.
    let fast_then_slow: Vec<u8> = content(1 << 20).into_iter().chain(content(600)).collect();
    add(
        "a fast download that slows to a trickle",
        usable(
            epsv_then("RETR f")
                .reply("150 here it comes")
                .accept_data()
                .data_send(content(1 << 20))
                .data_send_slowly(content(600), 100, Duration::from_millis(300))
                .data_close()
                .reply("226 done"),
        ),
        base_config().idle_timeout(Some(Duration::from_millis(500))),
        Step::Retr("f"),
        Expect::Ok(Some(fast_then_slow)),
        After::Usable,
    );

    // ----- replies that are too big, too slow, or not replies -----
    add(
        "a 1 MiB reply line",
        usable(logged_in().expect("NOOP").send({
            let mut line = b"200 ".to_vec();
            line.extend(std::iter::repeat_n(b'x', 1 << 20));
            line.extend_from_slice(b"\r\n");
            line
        })),
        base_config(),
        Step::Noop,
        Expect::Ok(None),
        After::Usable,
    );
    add(
        "an endless multi-line reply",
        logged_in()
            .expect("NOOP")
            .send("200-here comes a lot\r\n")
            .send_until_closed(&b"200-and more, and more, and more\r\n"[..], 64 << 20),
        base_config(),
        Step::Noop,
        Expect::Err {
            what: "a reply timeout",
            matches: |e| is_timeout(e, Timeout::Reply) || matches!(e, Error::Closed(Some(_))),
        },
        After::Closed,
    );
    add(
        "garbage instead of a reply code",
        logged_in()
            .expect("NOOP")
            .send("HTTP/1.1 400 Bad Request\r\n\r\n"),
        base_config(),
        Step::Noop,
        Expect::Err {
            what: "a framing error that closes the session",
            matches: |e| matches!(e, Error::Closed(Some(SessionError::Framing(_)))),
        },
        After::Closed,
    );
    add(
        "one byte per 300 ms against a 1 s reply timeout",
        logged_in().expect("NOOP").step(
            "drip a reply, one byte per 300 ms, until the client gives up",
            |s| {
                // The client closing mid-drip is the expected end.
                let _ = s.drip(b"200 slowly but surely\r\n", Duration::from_millis(300));
                Ok(())
            },
        ),
        base_config().reply_timeout(Duration::from_secs(1)),
        Step::Noop,
        Expect::Err {
            what: "a reply timeout",
            matches: |e| is_timeout(e, Timeout::Reply),
        },
        After::Closed,
    );
    add(
        "120 then 220",
        usable(
            Script::new()
                .reply("120 Service ready in 1 minute")
                .sleep(Duration::from_millis(100))
                .greet()
                .login("user", "pass"),
        ),
        base_config(),
        Step::Connect,
        Expect::Ok(None),
        After::Usable,
    );
    add(
        "421 during a transfer",
        epsv_then("RETR f")
            .reply("150 here it comes")
            .accept_data()
            .data_send(content(10_000))
            .reply("421 shutting down")
            .data_reset()
            .close_control(),
        base_config(),
        Step::Retr("f"),
        Expect::Err {
            what: "service not available, transient",
            matches: |e| e.is_transient(),
        },
        After::Closed,
    );

    // ----- passive addresses -----
    add(
        "227 with a foreign IP: the client dials the control peer",
        usable(
            binary("PASV")
                .pasv_foreign(Ipv4Addr::new(127, 0, 0, 2))
                .expect("RETR f")
                .reply("150 here it comes")
                .accept_data()
                .data_send(small.clone())
                .data_close()
                .reply("226 done"),
        ),
        base_config().passive(),
        Step::Retr("f"),
        Expect::Ok(Some(small.clone())),
        After::Usable,
    );
    add(
        "malformed 227",
        usable(binary("PASV").reply("227 Entering Passive Mode (1,2,3)")),
        base_config().passive(),
        Step::Retr("f"),
        unreadable_reply(),
        After::Usable,
    );
    add(
        "malformed 229",
        usable(binary("EPSV").reply("229 Entering Extended Passive Mode (|||99999|)")),
        base_config().extended_passive(),
        Step::Retr("f"),
        unreadable_reply(),
        After::Usable,
    );

    // ----- active mode -----
    add(
        "active mode: the server never connects",
        usable(
            logged_in()
                .expect("TYPE I")
                .reply("200 binary")
                .expect_prefix("EPRT")
                .reply("200 EPRT ok")
                .expect("RETR f")
                .reply("150 connecting (not really)")
                .expect("ABOR")
                .reply("426 aborted")
                .reply("226 abort done")
                .expect("NOOP")
                .reply("200 marker"),
        ),
        base_config().active(None, None),
        Step::Retr("f"),
        Expect::Err {
            what: "a data timeout",
            matches: |e| is_timeout(e, Timeout::Data),
        },
        After::Usable,
    );
    add(
        "active mode: a data connection from another IP is refused",
        usable(
            logged_in()
                .expect("TYPE I")
                .reply("200 binary")
                .expect_prefix("EPRT")
                .reply("200 EPRT ok")
                .expect("RETR f")
                .reply("150 connecting")
                .connect_active_from("127.0.0.2".parse().expect("an IP"))
                .data_send(small.clone())
                .data_close()
                .reply("226 done"),
        ),
        base_config().active(None, None),
        Step::Retr("f"),
        Expect::Err {
            what: "a foreign data peer",
            matches: |e| {
                matches!(
                    e,
                    Error::Protocol {
                        error: OpError::Data(ftp_core::transfer::DataFailure::ForeignPeer),
                        ..
                    }
                )
            },
        },
        After::Usable,
    );

    // ----- TLS -----
    let tls = pki.server_config(Leaf::Valid);
    let mut tls_scenario = |name, script: Script, step, expect, after, leaf: Option<Leaf>| {
        let script = script.tls(leaf.map_or(tls.clone(), |l| pki.server_config(l)));
        all.push(Scenario {
            name,
            script,
            config: base_config().explicit_tls(tls_client()),
            use_host_name: true,
            login: true,
            step,
            expect,
            after,
        });
    };
    tls_scenario(
        "explicit TLS: data resumes the control session",
        usable(
            Script::new()
                .greet()
                .auth_tls()
                .login("user", "pass")
                .expect("TYPE I")
                .reply("200 binary")
                .epsv_download_tls("RETR", file.clone())
                .step("the data connection resumed the control session", |s| {
                    if s.log().data_resumed() == [true] {
                        Ok(())
                    } else {
                        Err(format!("data handshakes: {:?}", s.log().data_tls).into())
                    }
                }),
        ),
        Step::Retr("f"),
        Expect::Ok(Some(file.clone())),
        After::Usable,
        None,
    );
    tls_scenario(
        "TLS download ends without close_notify",
        usable(
            Script::new()
                .greet()
                .auth_tls()
                .login("user", "pass")
                .expect("TYPE I")
                .reply("200 binary")
                .expect("EPSV")
                .epsv()
                .expect("RETR f")
                .reply("150 here it comes")
                .accept_data()
                .start_tls_data()
                .data_send(small.clone())
                .data_close_without_close_notify()
                .reply("226 done"),
        ),
        Step::Retr("f"),
        Expect::Err {
            what: "an unclean data end",
            matches: |e| {
                matches!(
                    e,
                    Error::Protocol {
                        error: OpError::UncleanDataEnd { .. },
                        ..
                    }
                )
            },
        },
        After::Usable,
        None,
    );
    tls_scenario(
        "plaintext injected after 234",
        Script::new()
            .greet()
            .expect("AUTH TLS")
            .send("234 go ahead\r\n230 you are logged in, trust me\r\n"),
        Step::Connect,
        Expect::Err {
            what: "plaintext after AUTH TLS closes the session",
            matches: |e| matches!(e, Error::Closed(Some(SessionError::PlaintextAfterAuth))),
        },
        After::Closed,
        None,
    );
    tls_scenario(
        "TLS handshake failure (the server closes)",
        Script::new()
            .greet()
            .expect("AUTH TLS")
            .reply("234 go ahead")
            .close_control(),
        Step::Connect,
        tls_error(),
        After::Closed,
        None,
    );
    tls_scenario(
        "a certificate for another host name",
        Script::new()
            .greet()
            .expect("AUTH TLS")
            .reply("234 go ahead")
            .start_tls_control_expect_failure(),
        Step::Connect,
        Expect::Err {
            what: "a TLS error",
            matches: |e| matches!(e, Error::Tls(_)) && e.is_permanent(),
        },
        After::Closed,
        Some(Leaf::WrongName),
    );
    tls_scenario(
        "an expired certificate",
        Script::new()
            .greet()
            .expect("AUTH TLS")
            .reply("234 go ahead")
            .start_tls_control_expect_failure(),
        Step::Connect,
        tls_error(),
        After::Closed,
        Some(Leaf::Expired),
    );
    tls_scenario(
        "AUTH TLS refused: nothing is sent in the clear",
        Script::new()
            .greet()
            .expect("AUTH TLS")
            .reply("500 AUTH not understood")
            .expect_close(),
        Step::Connect,
        Expect::Err {
            what: "TLS refused",
            matches: |e| matches!(e, Error::Closed(Some(SessionError::TlsRefused { .. }))),
        },
        After::Closed,
        None,
    );
    all.push(Scenario {
        name: "implicit TLS",
        script: usable(
            Script::new()
                .tls(tls.clone())
                .start_tls_control()
                .greet()
                .expect("PBSZ 0")
                .reply("200 PBSZ=0")
                .expect("PROT P")
                .reply("200 PROT P")
                .login("user", "pass")
                .expect("TYPE I")
                .reply("200 binary")
                .epsv_download_tls("RETR", small.clone()),
        ),
        config: base_config().implicit_tls(tls_client()),
        use_host_name: true,
        login: true,
        step: Step::Retr("f"),
        expect: Expect::Ok(Some(small.clone())),
        after: After::Usable,
    });
    all
}
