//! # ftp-tokio: the async FTP/FTPS client
//!
//! A thin adapter that drives [`ftp_core`]'s session state machine over tokio sockets and
//! tokio-rustls. Every protocol decision (which command follows which reply, which
//! address a data connection goes to, when a transfer is complete, what ABOR expects) is
//! the core's; this crate moves bytes, performs the core's actions and turns its events
//! into results. The API is `ftp-std`'s, method for method, with `async`: switching is a
//! matter of adding `.await`.
//!
//! ```no_run
//! use ftp_tokio::{Client, Config};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut ftp = Client::connect("ftp.example.com:21", Config::new()).await?;
//! ftp.login_anonymous().await?;
//! ftp.cwd("pub").await?;
//! for entry in ftp.list(None).await?.entries {
//!     println!("{:>10} {}", entry.size.unwrap_or(0), String::from_utf8_lossy(&entry.name));
//! }
//! let mut readme = Vec::new(); // any `AsyncWrite`: a buffer, a socket, …
//! ftp.retr_to("README", &mut readme).await?;
//! // To a local file: written by a blocking thread of its own, faster than `tokio::fs`.
//! ftp.retr_to_path("README", "/tmp/README").await?;
//! ftp.quit().await?;
//! # Ok(())
//! # }
//! ```
//!
//! FTPS (RFC 4217): [`Config::explicit_tls`] or [`Config::implicit_tls`] with a
//! [`TlsConfig`]; data connections are protected (`PROT P`) and resume the control
//! connection's TLS session, as vsftpd and proftpd require.
//!
//! ```no_run
//! use ftp_tokio::{Client, Config, TlsConfig};
//! use tokio::io::AsyncReadExt;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let ca = std::fs::read("ca.pem")?;
//! let config = Config::new().explicit_tls(TlsConfig::from_ca_pem(&ca)?);
//! let mut ftp = Client::connect("localhost:2121", config).await?;
//! ftp.login("alice", "secret").await?;
//! let mut reader = ftp.retr("report.pdf").await?;
//! let mut content = Vec::new();
//! reader.read_to_end(&mut content).await?;
//! let done = reader.finish().await?; // the 226, after the data's clean TLS end
//! println!("{}", done.reply);
//! # Ok(())
//! # }
//! ```
//!
//! # The driver
//!
//! All I/O state of a session (the control stream and the bytes still to write, the
//! data connection, the pending connect, accept, handshake and shutdown futures, the
//! timer of the core's next deadline) lives in one poll-based driver inside [`Client`].
//! The async methods are thin `poll_fn` wrappers over it, and [`DataReader`] /
//! [`DataWriter`] poll it too: while data moves, control replies are read (a `421` or an
//! early `226` is seen), keepalive NOOPs go out ([`Config::keepalive_interval`]) and the
//! core's timeouts run on `tokio::time`.
//!
//! # Cancellation
//!
//! Any future of this crate can be dropped at any point (`select!`, `timeout`); the
//! session is then either still usable or closed with a clear error, never out of step:
//!
//! | dropped | what is left behind |
//! |---|---|
//! | a simple command (`cwd`, `size`, `noop`, `login`, `sendcmd`, …) | it completes in the background: the next call reads and discards its reply first |
//! | a transfer call before it returned its stream (`retr`, `stor`, `list`, `nlst`, `mlsd`, `transfercmd`, …) or a convenience transfer (`retr_to`, `stor_from`, `stor_file`, `retr_lines`, …) | the transfer is aborted: dequeued if not started, else the data connection is closed and ABOR goes out with the next call, which settles the abort's replies first |
//! | a [`DataReader`] / [`DataWriter`] before its end (or its `copy_to` / `copy_to_file` / `copy_from` / `copy_from_file` / write future) | the same abort (what `copy_to_file` already handed to its writer thread is still written) |
//! | `DataReader::finish` | the same abort if data was still moving; nothing if it was done |
//! | `DataWriter::finish` once the shutdown began | the upload ends in the background (close_notify, FIN, the 226); its result is discarded |
//! | `abort` | the abort finishes with the next call |
//! | `connect` | everything it opened is closed |
//! | `quit`, or the [`Client`] itself | QUIT (or its reply) is seen to by a task spawned on the current runtime, for at most [`Config::quit_timeout`] |
//!
//! Errors are one [`Error`] enum: a server's refusal keeps its code and text
//! ([`Error::Rejected`]), and [`Error::is_transient`] / [`Error::is_permanent`] say whether
//! trying again may help. Every command and reply is a `tracing` debug event on the
//! target `ftp::transcript` (passwords masked).
#![forbid(unsafe_code)]

mod client;
mod driver;
pub mod jobs;
mod pool;
mod stream;
mod transfer;

pub use client::{Client, ProgressFn};
pub use pool::{Pool, PooledClient};
pub use transfer::{DataReader, DataStream, DataWriter};

pub use ftp_core;
pub use ftp_core::FtpTime;
pub use ftp_core::config::{Config, Encoding};
pub use ftp_core::driver::{Completion, Error, OwnedValue, Progress, Timeout};
pub use ftp_core::listing::owned::{Listing, OwnedEntry, OwnedKind};
pub use ftp_core::reply::{OwnedReply, ReplyCode};
pub use ftp_core::session::OpKind;
pub use ftp_core::tls::TlsConfig;
pub use ftp_core::transfer::{DataMode, Direction};

// Clients fit in pools and spawned tasks; streams cross threads with their client.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Client>();
    assert_send_sync::<DataReader<'static>>();
    assert_send_sync::<DataWriter<'static>>();
    assert_send_sync::<DataStream<'static>>();
};
