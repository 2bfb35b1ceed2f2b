//! # ftp-std: the blocking FTP/FTPS client
//!
//! A thin adapter that drives [`ftp_core`]'s session state machine over `std::net`
//! sockets and rustls. Every protocol decision (which command follows which reply, which
//! address a data connection goes to, when a transfer is complete, what ABOR expects) is
//! the core's; this crate moves bytes, performs the core's actions and turns its events
//! into results. The vocabulary is Python ftplib's, in Rust form.
//!
//! ```no_run
//! use ftp_std::{Client, Config};
//!
//! let mut ftp = Client::connect("ftp.example.com:21", Config::new())?;
//! ftp.login_anonymous()?;
//! ftp.cwd("pub")?;
//! for entry in ftp.list(None)?.entries {
//!     println!("{:>10} {}", entry.size.unwrap_or(0), String::from_utf8_lossy(&entry.name));
//! }
//! let mut file = std::fs::File::create("README")?;
//! ftp.retr_to("README", &mut file)?;
//! ftp.quit()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! FTPS (RFC 4217): [`Config::explicit_tls`] or [`Config::implicit_tls`] with a
//! [`TlsConfig`]; data connections are protected (`PROT P`) and resume the control
//! connection's TLS session, as vsftpd and proftpd require.
//!
//! ```no_run
//! use ftp_std::{Client, Config, TlsConfig};
//!
//! let ca = std::fs::read("ca.pem")?;
//! let config = Config::new().explicit_tls(TlsConfig::from_ca_pem(&ca)?);
//! let mut ftp = Client::connect("localhost:2121", config)?;
//! ftp.login("alice", "secret")?;
//! let mut reader = ftp.retr("report.pdf")?;
//! std::io::copy(&mut reader, &mut std::io::sink())?;
//! let done = reader.finish()?; // the 226, after the data's clean TLS end
//! println!("{}", done.reply);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
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
