//! The hostile-server catalogue (`ftp_test_server::hostile`) against the blocking client:
//! each scenario must end in its expected result or error kind, within its timeouts, and
//! leave the session usable or closed as the scenario says.

use std::io::Read;

use ftp_std::{Client, Error};
use ftp_test_server::hostile::{After, Expect, Scenario, Step, runs};
use ftp_test_server::{Server, TestPki};

/// Runs one scenario; a download goes to a local file with `retr_to_path` when
/// `to_path` (its writer thread past 64 KiB), else through `read_to_end`.
fn run(scenario: Scenario, to_path: bool) -> Result<(), String> {
    let name = scenario.name;
    let mut server = Server::start(scenario.script);
    let local = std::env::temp_dir().join(format!(
        "ftp-rs-hostile-{}-{}",
        std::process::id(),
        server.addr().port()
    ));
    let address = if scenario.use_host_name {
        format!("localhost:{}", server.addr().port())
    } else {
        server.addr().to_string()
    };
    let mut client = None;
    let result: Result<Option<Vec<u8>>, Error> = (|| {
        let ftp = client.insert(Client::connect(&address, scenario.config)?);
        if scenario.login {
            ftp.login("user", "pass")?;
        }
        Ok(match &scenario.step {
            Step::Connect => None,
            Step::Noop => {
                ftp.noop()?;
                None
            }
            Step::Retr(path) if to_path => {
                ftp.retr_to_path(path, &local)?;
                Some(std::fs::read(&local)?)
            }
            Step::Retr(path) => {
                let mut reader = ftp.retr(path)?;
                let mut bytes = Vec::new();
                match reader.read_to_end(&mut bytes) {
                    Ok(_) => {
                        reader.finish()?;
                        Some(bytes)
                    }
                    Err(_) => {
                        return Err(reader
                            .finish()
                            .expect_err("a failed read finishes with its error"));
                    }
                }
            }
            Step::Stor(path, data) => {
                ftp.stor_from(path, &mut &data[..])?;
                None
            }
            Step::List => {
                ftp.list(None)?;
                None
            }
        })
    })();
    let check = match (&scenario.expect, &result) {
        (Expect::Ok(want), Ok(got)) => match (want, got) {
            (Some(want), Some(got)) if want != got => Err(format!(
                "downloaded {} bytes, expected {}",
                got.len(),
                want.len()
            )),
            _ => Ok(()),
        },
        (Expect::Ok(_), Err(e)) => Err(format!("expected success, got {e:?}")),
        (Expect::Err { what, matches }, Err(e)) => {
            if matches(e) {
                Ok(())
            } else {
                Err(format!("expected {what}, got {e:?}"))
            }
        }
        (Expect::Err { what, .. }, Ok(_)) => Err(format!("expected {what}, got success")),
    };
    let _ = std::fs::remove_file(&local);
    check.map_err(|e| format!("{name}: {e}"))?;
    // The session's state afterwards. A failed call hands back no client; the state is
    // then checked on the script's side (a usable session's NOOP must have arrived).
    match (scenario.after, client) {
        (After::Usable, Some(mut ftp)) => {
            ftp.noop()
                .map_err(|e| format!("{name}: NOOP after the scenario: {e:?}"))?;
        }
        (After::Usable, None) => {
            return Err(format!(
                "{name}: the session should be usable but connecting failed"
            ));
        }
        (After::Closed, Some(mut ftp)) => match ftp.noop() {
            // A later call says why the session closed (a lost connection stays
            // transient, so a retry policy reconnects), not just that it did.
            Err(Error::Closed(Some(_))) | Err(Error::Timeout(_)) | Err(Error::Tls(_)) => {}
            other => {
                return Err(format!(
                    "{name}: the session should be closed, NOOP gave {other:?}"
                ));
            }
        },
        (After::Closed, None) => {}
    }
    server
        .try_finish()
        .map_err(|e| format!("{name}: server script: {e}"))?;
    Ok(())
}

#[test]
fn hostile_catalogue() {
    if std::env::var_os("FTP_TRACE").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_test_writer()
            .try_init();
    }
    let only = std::env::var("FTP_SCENARIO").ok();
    let pki = TestPki::new();
    let mut failures = Vec::new();
    let scenarios = runs(&pki);
    let total = scenarios.len();
    for (scenario, to_path) in scenarios {
        let name = scenario.name;
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let started = std::time::Instant::now();
        let result = run(scenario, to_path);
        println!(
            "{:<70} {} ({:.1?})",
            format!("{name}{}", if to_path { " (retr_to_path)" } else { "" }),
            if result.is_ok() { "ok" } else { "FAILED" },
            started.elapsed()
        );
        if let Err(e) = result {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} scenarios failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
