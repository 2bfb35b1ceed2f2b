//! Retry-policy scenarios for the mirror executors of both adapters, written once: a
//! one-file mirror down over a scripted server whose `RETR` answers are set per attempt.
//! What is retried (4xx, a data connection that ended early), how often (the policy's
//! attempts), from where (`REST` after what arrived), and what is not (5xx).

use std::path::Path;
use std::time::Duration;

use ftp_core::config::Config;
use ftp_core::jobs::Report;
use ftp_core::retry::RetryPolicy;

use crate::Script;
use crate::hostile::base_config;

/// The one file the scenarios mirror: `/r/a.txt`.
pub const CONTENT: &[u8] = b"hello, retries";

/// One scenario.
pub struct RetryCase {
    /// What it shows.
    pub name: &'static str,
    /// The server's side.
    pub script: Script,
    /// The policy the mirror runs with.
    pub policy: RetryPolicy,
    /// Files transferred in the end (0 or 1).
    pub transferred: usize,
    /// Attempts that failed and were retried.
    pub retries: usize,
    /// For a file that failed for good: its attempts.
    pub failed_attempts: Option<u32>,
    /// `RETR` commands the server must have seen.
    pub retr_commands: usize,
}

impl std::fmt::Debug for RetryCase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl RetryCase {
    /// Checks a mirror's report, the server's log and the local folder the mirror wrote
    /// against this case; panics with the case's name on a difference.
    pub fn check(&self, report: &Report, log: &crate::Log, local: &Path) {
        let name = self.name;
        assert_eq!(report.transferred, self.transferred, "{name}: transferred");
        assert_eq!(report.retries, self.retries, "{name}: retries");
        assert_eq!(
            report.failed.first().map(|f| f.attempts),
            self.failed_attempts,
            "{name}: attempts of the failed file"
        );
        let retrs = log
            .commands
            .iter()
            .filter(|c| c.starts_with("RETR"))
            .count();
        assert_eq!(retrs, self.retr_commands, "{name}: RETR commands");
        if self.transferred == 1 {
            let got = std::fs::read(local.join("a.txt")).expect("the mirrored file");
            assert_eq!(got, CONTENT, "{name}: content");
        }
    }
}

/// The client settings: the hostile suite's short timeouts.
pub fn config() -> Config {
    base_config()
}

fn policy(attempts: u32) -> RetryPolicy {
    RetryPolicy::new(attempts).with_backoff(Duration::from_millis(10), Duration::from_millis(40))
}

/// Login (no FEAT, so no MLST announced), then the walk: `CWD`+`PWD` for the root, and
/// `LIST` (as against vsftpd, which has no MLSD).
fn walked() -> Script {
    Script::new()
        .greet()
        .login("user", "pass")
        // The pool notes where the session starts.
        .expect("PWD")
        .reply("257 \"/\" is the current directory")
        .expect("CWD /r")
        .reply("250 ok")
        .expect("PWD")
        .reply("257 \"/r\" is the current directory")
        .expect("CWD /r")
        .reply("250 ok")
        .expect("TYPE A")
        .reply("200 ascii")
        .expect("EPSV")
        .epsv()
        .expect("LIST")
        .reply("150 Here comes the listing")
        .accept_data()
        .data_send(
            format!(
                "-rw-r--r--    1 0        0              {} Jan 01  2020 a.txt\r\n",
                CONTENT.len()
            )
            .into_bytes(),
        )
        .data_close()
        .reply("226 Directory send OK")
        .expect("TYPE I")
        .reply("200 binary")
}

/// A `RETR` refused with `reply`, then the `NOOP` of the recovery.
fn refused(script: Script, reply: &str, recover: bool) -> Script {
    let script = script
        .expect("EPSV")
        .epsv()
        .expect("RETR /r/a.txt")
        .reply(reply);
    if recover {
        script.expect("NOOP").reply("200 ok")
    } else {
        script
    }
}

/// A `RETR` (after `REST offset` if not 0) that sends `data` and ends with `end`.
fn sent(script: Script, offset: usize, data: &[u8], end: &str) -> Script {
    let script = script.expect("EPSV").epsv();
    let script = if offset > 0 {
        script
            .expect(format!("REST {offset}"))
            .reply(format!("350 Restarting at {offset}"))
    } else {
        script
    };
    script
        .expect("RETR /r/a.txt")
        .reply("150 Opening BINARY mode data connection")
        .accept_data()
        .data_send(data.to_vec())
        .data_close()
        // The data is read before the reply that ends the transfer.
        .sleep(Duration::from_millis(100))
        .reply(end)
}

fn quit(script: Script) -> Script {
    script.expect("QUIT").reply("221 Goodbye")
}

/// Every scenario.
pub fn catalogue() -> Vec<RetryCase> {
    vec![
        RetryCase {
            name: "450 twice, then the file: retried until it arrives",
            script: quit(sent(
                refused(
                    refused(walked(), "450 File busy", true),
                    "450 File busy",
                    true,
                ),
                0,
                CONTENT,
                "226 Transfer complete",
            )),
            policy: policy(5),
            transferred: 1,
            retries: 2,
            failed_attempts: None,
            retr_commands: 3,
        },
        RetryCase {
            name: "550 is permanent: one attempt, no retry",
            script: quit(refused(walked(), "550 Permission denied", false)),
            policy: policy(5),
            transferred: 0,
            retries: 0,
            failed_attempts: Some(1),
            retr_commands: 1,
        },
        RetryCase {
            name: "450 on every attempt: given up after the policy's 3",
            script: quit(refused(
                refused(refused(walked(), "450 busy", true), "450 busy", true),
                "450 busy",
                false,
            )),
            policy: policy(3),
            transferred: 0,
            retries: 2,
            failed_attempts: Some(3),
            retr_commands: 3,
        },
        RetryCase {
            name: "426 after part of the file: resumed with REST from what arrived",
            script: quit(
                sent(
                    walked(),
                    0,
                    &CONTENT[..5],
                    "426 Connection closed; transfer aborted",
                )
                .expect("NOOP")
                .reply("200 ok")
                .then(sent(
                    Script::new(),
                    5,
                    &CONTENT[5..],
                    "226 Transfer complete",
                )),
            ),
            policy: policy(5),
            transferred: 1,
            retries: 1,
            failed_attempts: None,
            retr_commands: 2,
        },
        RetryCase {
            name: "the policy 'never': a transient refusal is not retried",
            script: quit(refused(walked(), "450 busy", false)),
            policy: RetryPolicy::never(),
            transferred: 0,
            retries: 0,
            failed_attempts: Some(1),
            retr_commands: 1,
        },
    ]
}
