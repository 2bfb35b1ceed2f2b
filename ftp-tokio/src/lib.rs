//! # ftp-tokio: the async FTP/FTPS client
//!
//! A thin adapter that will drive [`ftp_core`]'s session state machine over tokio
//! sockets and tokio-rustls (issue #6). It makes no protocol decision of its own. Until the
//! session layer of `ftp-core` lands (issue #3) this crate only re-exports the core so
//! that the workspace layout is in place.
#![forbid(unsafe_code)]

pub use ftp_core as core;
