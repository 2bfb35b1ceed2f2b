//! # ftp-core: the FTP/FTPS client protocol, without I/O
//!
//! `ftp-core` is the protocol half of an FTP client, written as pure functions and state
//! machines over byte slices. It owns no socket, no thread and no clock, so the same code
//! drives the blocking adapter (`ftp-std`), the async adapter (`ftp-tokio`), a fuzzer, or a
//! runtime of your own. It is `#![no_std]` (with `alloc`) and contains no `unsafe`.
//!
//! Two layers: a codec (pure functions over `&[u8]`: framing, typed parsers, the encoder,
//! listings) and the flow layer ([`session::Client`], which decides every step of a
//! session and tells its driver what to do with sockets and TLS).
//!
//! | module | what it is | spec |
//! |---|---|---|
//! | [`reply`] | [`ReplyCode`] and the borrowed [`Reply`] view | RFC 959 §4.2 |
//! | [`framing`] | [`ReplyFramer`]: replies out of a byte stream, any chunking | RFC 959 §4.2 |
//! | [`passive`] | 227 (PASV) and 229 (EPSV) replies | RFC 959 §4.1.2, RFC 2428 §3 |
//! | [`path`] | 257 replies (PWD, MKD) | RFC 959 Appendix II |
//! | [`size`] | 213 SIZE replies and the byte count in 150 replies | RFC 3659 §4 |
//! | [`time`] | [`FtpTime`]: MDTM / MFMT / MLSx timestamps | RFC 3659 §2.3, §3 |
//! | [`feat`] | FEAT replies and the [`Capabilities`] they announce | RFC 2389 §3 |
//! | [`mlsx`] | MLST / MLSD fact lines | RFC 3659 §7 |
//! | [`listing`] | LIST / MLSD directory listings: Unix, DOS/IIS, EPLF, MLSD, VMS; nothing dropped | RFC 959 §4.1.3, RFC 3659 §7 |
//! | [`command`] | [`Command`]: the command encoder | RFC 959 §5.3, RFC 2428, RFC 3659, RFC 4217 |
//! | [`transfer`] | data-channel modes and the rule that ends a transfer | RFC 959 §3.2, RFC 2428 |
//! | [`driver`] | owned outcomes for drivers; with `std`, the adapters' `Error` | |
//! | `config` (`std`) | the adapters' shared `Config` builder | |
//! | `tls` (`rustls`) | rustls set-up: roots, pinning, one resumption store per control connection | RFC 4217 §10 |
//! | [`session`] | [`Client`](session::Client): the session state machine: ops, transfers, FTPS, ABOR, timers | RFC 959 §5.4, RFC 2389, RFC 4217, RFC 7151 |
//!
//! # Example: frame a reply stream and read a typed reply
//!
//! ```
//! use ftp_core::{ReplyFramer, ReplyCode, passive};
//!
//! let mut framer = ReplyFramer::new();
//! let mut input: &[u8] = b"220-Welcome\r\n220 Ready\r\n227 Entering Passive Mode (127,0,0,1,4,1)\r\n";
//! let mut codes = Vec::new();
//! while !input.is_empty() {
//!     let used = framer.push(input)?;
//!     input = &input[used..];
//!     if let Some(reply) = framer.reply() {
//!         codes.push(reply.code());
//!         if reply.code() == ReplyCode::ENTERING_PASSIVE_MODE {
//!             let pasv = passive::parse_pasv(reply.text())?;
//!             assert_eq!(pasv.port(), 1025);
//!         }
//!     }
//! }
//! assert_eq!(codes, [ReplyCode::SERVICE_READY, ReplyCode::ENTERING_PASSIVE_MODE]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "std")]
pub mod api;
pub mod command;
#[cfg(feature = "std")]
pub mod config;
pub mod driver;
mod error;
pub mod feat;
pub mod framing;
pub mod hash;
#[cfg(feature = "std")]
pub mod jobs;
pub mod listing;
#[cfg(feature = "std")]
pub mod mirror;
pub mod mlsx;
pub mod passive;
pub mod path;
pub mod reply;
pub mod retry;
pub mod session;
pub mod size;
pub mod time;
#[cfg(feature = "rustls")]
pub mod tls;
pub mod transfer;

pub use command::{Command, CommandError};
pub use error::ParseError;
pub use feat::Capabilities;
pub use framing::{FramerConfig, FramingError, ReplyFramer};
pub use reply::{OwnedReply, Reply, ReplyCode};
pub use time::FtpTime;

/// The README's example compiles and runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctest;
