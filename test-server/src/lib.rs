//! An in-process FTP server for the client adapters' tests, over real loopback sockets.
//!
//! Test support only: deterministic, std threads, no async runtime. Three parts:
//!
//! - [`TestPki`]: a CA and leaf certificates made at test time with rcgen ([`Leaf::Valid`],
//!   [`Leaf::WrongName`], [`Leaf::Expired`], [`Leaf::SelfSigned`]), and rustls server configs that support
//!   session resumption, so a client resuming the control session on its data connections is observable.
//! - [`Server`] running a [`Script`]: one control connection, whose every step (send, expect, open a passive
//!   listener, accept or connect a data connection, TLS on either, send slowly, reset, ...) is written by
//!   the test. It plays the servers no real server will be on purpose: early `226`, resets, giant or
//!   dripping replies, a foreign address in `227`, an unclean TLS end. Every wait on the client times out
//!   (10 s by default), so a broken client fails its test instead of hanging it, and
//!   [`Server::finish`] panics with the failing step and what was received.
//! - [`MemoryServer`]: a small functional FTP/FTPS server over an in-memory tree ([`MemoryFs`]), a thread
//!   per session, for tests that need a real conversation: listings, resumed transfers, ABOR, 50
//!   concurrent sessions, and (with `require_session_reuse`) vsftpd's 522 for a data TLS connection that
//!   did not resume the control session.
//!
//! The [`Log`] returned by `finish` has every command line received, whether each data TLS handshake
//! resumed a session, and the bytes of each upload.
//!
//! # Example
//!
//! A passive download, driven here by a raw socket where a client test would use the client under test:
//!
//! ```
//! use std::io::{BufRead, BufReader, Read, Write};
//! use std::net::{SocketAddr, TcpStream};
//! use ftp_test_server::{Script, Server};
//!
//! let server = Server::start(
//!     Script::new()
//!         .greet()                                  // 220
//!         .login("alice", "secret")                 // USER/331/PASS/230
//!         .epsv_download("RETR", &b"hello"[..])     // EPSV/229, RETR/150, data, 226
//!         .quit(),                                  // QUIT/221
//! );
//!
//! let mut control = BufReader::new(TcpStream::connect(server.addr()).unwrap());
//! let mut line = String::new();
//! let mut command = |c: &mut BufReader<TcpStream>, cmd: &str, line: &mut String| {
//!     if !cmd.is_empty() {
//!         c.get_mut().write_all(format!("{cmd}\r\n").as_bytes()).unwrap();
//!     }
//!     line.clear();
//!     c.read_line(line).unwrap();
//! };
//! command(&mut control, "", &mut line);
//! assert!(line.starts_with("220"));
//! command(&mut control, "USER alice", &mut line);
//! command(&mut control, "PASS secret", &mut line);
//! assert!(line.starts_with("230"));
//! command(&mut control, "EPSV", &mut line);
//! let port: u16 = line.split('|').nth(3).unwrap().parse().unwrap(); // 229 ... (|||port|)
//! let mut data = TcpStream::connect(SocketAddr::new(server.addr().ip(), port)).unwrap();
//! command(&mut control, "RETR file.txt", &mut line);
//! assert!(line.starts_with("150"));
//! let mut content = Vec::new();
//! data.read_to_end(&mut content).unwrap();
//! command(&mut control, "", &mut line);
//! assert!(line.starts_with("226"));
//! command(&mut control, "QUIT", &mut line);
//!
//! let log = server.finish();
//! assert_eq!(content, b"hello");
//! assert_eq!(log.commands, ["USER alice", "PASS secret", "EPSV", "RETR file.txt", "QUIT"]);
//! ```
//!
//! For TLS, give the script a config with [`Script::tls`] (`pki.server_config(Leaf::Valid)`) and use
//! [`Script::auth_tls`], [`Script::start_tls_data`] and friends; `log.data_resumed()` then tells whether
//! the client resumed the control session on each data connection. Custom behaviour goes in
//! [`Script::step`], a closure over the [`Session`]:
//!
//! ```
//! use ftp_test_server::{Leaf, Script, TestPki};
//! use std::time::Duration;
//!
//! let pki = TestPki::new();
//! let script = Script::new()
//!     .tls(pki.server_config(Leaf::Valid))
//!     .timeout(Duration::from_secs(2))
//!     .greet()
//!     .auth_tls()                              // AUTH TLS/234, handshake, PBSZ 0, PROT P
//!     .login("alice", "pw")
//!     .epsv_download_tls("RETR", &b"data"[..]) // data TLS after the 150, close_notify at the end
//!     .expect("EPSV")
//!     .epsv()
//!     .expect_prefix("RETR")
//!     .reply("150 here it comes")
//!     .reply("226 done before the data")      // early 226
//!     .accept_data()
//!     .start_tls_data()
//!     .data_send_slowly(vec![0u8; 1000], 100, Duration::from_millis(5))
//!     .data_close_without_close_notify()       // unclean end: the client must report truncation
//!     .step("421 and hang up", |s| {
//!         s.reply("421 Service not available")?;
//!         s.close_control()
//!     });
//! // `Server::start(script)`, run the client under test against `server.addr()`, then
//! // `let log = server.finish(); assert_eq!(log.data_resumed(), [true, true]);`
//! # let _ = script;
//! ```

pub mod hostile;
mod memory;
mod pki;
pub mod retry;
mod script;
mod server;
mod session;
mod stream;
pub mod tree;

pub use memory::{HashMode, MemoryFs, MemoryServer, MemoryServerBuilder, MemoryStats};
pub use pki::{Leaf, ServerTlsOptions, TestPki};
pub use script::{DEFAULT_TIMEOUT, Script};
pub use server::Server;
pub use session::{Log, Session, StepError, StepResult, Upload, UploadEnd};

/// The rustls version this crate builds configs with, re-exported so tests use the same types.
pub use rustls;
