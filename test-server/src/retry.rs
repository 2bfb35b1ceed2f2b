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
    /// The files that must have arrived, each with [`CONTENT`].
    pub arrives: &'static [&'static str],
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
        for file in self.arrives {
            let got = std::fs::read(local.join(file)).expect("the mirrored file");
            assert_eq!(got, CONTENT, "{name}: content of {file}");
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

/// Login (no FEAT, so no MLST announced) and the `PWD` with which the pool notes where
/// the session starts: what each new control connection of the pool sees.
fn logged_in(script: Script) -> Script {
    script
        .greet()
        .login("user", "pass")
        .expect("PWD")
        .reply("257 \"/\" is the current directory")
}

/// A session, then the walk: `CWD`+`PWD` for the root, and `LIST` (as against vsftpd,
/// which has no MLSD) of `a.txt`.
fn walked() -> Script {
    walked_files(&["a.txt"])
}

/// [`walked`] for a folder of `files`, each of [`CONTENT`]'s size.
fn walked_files(files: &[&str]) -> Script {
    let listing: String = files
        .iter()
        .map(|name| {
            format!(
                "-rw-r--r--    1 0        0              {} Jan 01  2020 {name}\r\n",
                CONTENT.len()
            )
        })
        .collect();
    logged_in(Script::new())
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
        .data_send(listing.into_bytes())
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

/// A `RETR` (after `REST offset` if not 0) of `a.txt` that sends `data` and ends with `end`.
fn sent(script: Script, offset: usize, data: &[u8], end: &str) -> Script {
    sent_file(script, "a.txt", offset, data, end)
}

/// [`sent`] for `file`.
fn sent_file(script: Script, file: &str, offset: usize, data: &[u8], end: &str) -> Script {
    let script = script.expect("EPSV").epsv();
    let script = if offset > 0 {
        script
            .expect(format!("REST {offset}"))
            .reply(format!("350 Restarting at {offset}"))
    } else {
        script
    };
    script
        .expect(format!("RETR /r/{file}"))
        .reply("150 Opening BINARY mode data connection")
        .accept_data()
        .data_send(data.to_vec())
        .data_close()
        // The data is read before the reply that ends the transfer.
        .sleep(Duration::from_millis(100))
        .reply(end)
}

/// The `RETR` of `file` meets `answer` (raw bytes), and the server drops the connection.
fn dropped(script: Script, file: &str, answer: &str) -> Script {
    script
        .expect("EPSV")
        .epsv()
        .expect(format!("RETR /r/{file}"))
        .send(answer)
        .close_control()
}

/// The pool's new control connection after the last one was lost: a new session, which
/// sets the transfer type again.
fn reconnected(script: Script) -> Script {
    logged_in(script.accept_control())
        .expect("TYPE I")
        .reply("200 binary")
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
            arrives: &["a.txt"],
            retr_commands: 3,
        },
        RetryCase {
            name: "550 is permanent: one attempt, no retry",
            script: quit(refused(walked(), "550 Permission denied", false)),
            policy: policy(5),
            transferred: 0,
            retries: 0,
            failed_attempts: Some(1),
            arrives: &[],
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
            arrives: &[],
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
            arrives: &["a.txt"],
            retr_commands: 2,
        },
        RetryCase {
            name: "the policy 'never': a transient refusal is not retried",
            script: quit(refused(walked(), "450 busy", false)),
            policy: RetryPolicy::never(),
            transferred: 0,
            retries: 0,
            failed_attempts: Some(1),
            arrives: &[],
            retr_commands: 1,
        },
        RetryCase {
            name: "the connection ends in the middle of a reply (a server restarting): \
                   reconnected and retried",
            script: quit(sent(
                reconnected(dropped(walked(), "a.txt", "150 Opening BIN")),
                0,
                CONTENT,
                "226 Transfer complete",
            )),
            policy: policy(5),
            transferred: 1,
            retries: 1,
            failed_attempts: None,
            arrives: &["a.txt"],
            retr_commands: 2,
        },
        RetryCase {
            name: "a session that died for good on one file (a line that is no reply) \
                   is replaced before the next file",
            script: quit(sent_file(
                reconnected(dropped(
                    walked_files(&["a.txt", "b.txt"]),
                    "a.txt",
                    "garbage\r\n",
                )),
                "b.txt",
                0,
                CONTENT,
                "226 Transfer complete",
            )),
            policy: policy(5),
            transferred: 1,
            retries: 0,
            failed_attempts: Some(1),
            arrives: &["b.txt"],
            retr_commands: 2,
        },
    ]
}
