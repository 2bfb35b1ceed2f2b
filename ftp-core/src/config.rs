//! The settings of a connection, shared by the adapters (`ftp-std` and `ftp-tokio` take the
//! same [`Config`], so switching between them changes no setting).
//!
//! [`Config`] wraps the protocol settings of [`SessionConfig`] (data mode, timeouts the
//! session enforces, FTPS mode) and adds what only a driver with sockets needs: connect
//! timeout, source address, data buffer size, the TLS set-up. It is a builder: every
//! setter takes and returns the config.
//!
//! ```
//! use std::time::Duration;
//! use ftp_core::config::Config;
//!
//! let config = Config::new()
//!     .connect_timeout(Duration::from_secs(5))
//!     .reply_timeout(Duration::from_secs(20))
//!     .passive()
//!     .keepalive_interval(Duration::from_secs(30));
//! assert_eq!(config.get_connect_timeout(), Duration::from_secs(5));
//! assert_eq!(config.session().reply_timeout, Duration::from_secs(20));
//! ```

use core::net::IpAddr;
use core::time::Duration;

use alloc::vec::Vec;

use crate::session::{SessionConfig, TlsMode};
use crate::transfer::DataMode;

#[cfg(feature = "rustls")]
use crate::tls::TlsConfig;

/// How names and paths from the server become `String`s (they are bytes on the wire;
/// RFC 2640 makes UTF-8 the default, older servers send Latin-1 or worse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Encoding {
    /// UTF-8, with invalid bytes replaced by U+FFFD (the raw bytes stay available).
    #[default]
    Utf8Lossy,
    /// UTF-8; invalid bytes are an error where a `String` is asked for.
    Utf8Strict,
    /// ISO-8859-1: every byte is the code point of its value.
    Latin1,
}

impl Encoding {
    /// Decodes `bytes`; `None` only for [`Encoding::Utf8Strict`] and invalid UTF-8.
    ///
    /// ```
    /// use ftp_core::config::Encoding;
    /// assert_eq!(Encoding::Latin1.decode(b"caf\xe9").as_deref(), Some("café"));
    /// assert_eq!(Encoding::Utf8Lossy.decode(b"caf\xe9").as_deref(), Some("caf\u{fffd}"));
    /// assert_eq!(Encoding::Utf8Strict.decode(b"caf\xe9"), None);
    /// ```
    pub fn decode(self, bytes: &[u8]) -> Option<alloc::string::String> {
        use alloc::string::String;
        match self {
            Encoding::Utf8Lossy => Some(String::from_utf8_lossy(bytes).into_owned()),
            Encoding::Utf8Strict => core::str::from_utf8(bytes).ok().map(String::from),
            Encoding::Latin1 => Some(bytes.iter().map(|&b| char::from(b)).collect()),
        }
    }
}

/// The settings of one connection. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Config {
    session: SessionConfig,
    connect_timeout: Duration,
    source_ip: Option<IpAddr>,
    buffer_size: usize,
    socket_io_size: usize,
    quit_timeout: Duration,
    encoding: Encoding,
    #[cfg(feature = "rustls")]
    tls: Option<TlsConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

/// The smallest data buffer: big enough for the kernel's socket buffers to stay full.
const MIN_BUFFER: usize = 64 * 1024;

/// The smallest socket read or write of a data connection.
const MIN_SOCKET_IO: usize = 4 * 1024;

impl Config {
    /// Plain FTP, passive mode (EPSV, then PASV), 30 s timeouts for connecting, replies and
    /// data connections, 60 s data idle timeout, 256 KiB data buffer moved through the
    /// data socket 64 KiB at a time.
    pub fn new() -> Self {
        let session = SessionConfig {
            data_idle_timeout: Some(Duration::from_secs(60)),
            ..SessionConfig::default()
        };
        Config {
            session,
            connect_timeout: Duration::from_secs(30),
            source_ip: None,
            buffer_size: 256 * 1024,
            socket_io_size: 64 * 1024,
            quit_timeout: Duration::from_secs(2),
            encoding: Encoding::default(),
            #[cfg(feature = "rustls")]
            tls: None,
        }
    }

    /// How long connecting the control connection may take.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long to wait for the greeting and each reply.
    pub fn reply_timeout(mut self, timeout: Duration) -> Self {
        self.session.reply_timeout = timeout;
        self
    }

    /// How long a data connection may take to connect or be accepted.
    pub fn data_timeout(mut self, timeout: Duration) -> Self {
        self.session.data_timeout = timeout;
        self
    }

    /// Fail a transfer whose data connection moves nothing for this long (`None`: wait
    /// forever, which lets a dead server hang a download).
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.session.data_idle_timeout = timeout;
        self
    }

    /// The local IP to connect from (control and passive data connections).
    pub fn source_ip(mut self, ip: IpAddr) -> Self {
        self.source_ip = Some(ip);
        self
    }

    /// How data connections are made.
    pub fn data_mode(mut self, mode: DataMode) -> Self {
        self.session.data_mode = mode;
        self
    }

    /// Passive mode with PASV only (IPv4).
    pub fn passive(self) -> Self {
        self.data_mode(DataMode::Passive)
    }

    /// Passive mode with EPSV only.
    pub fn extended_passive(self) -> Self {
        self.data_mode(DataMode::ExtendedPassive)
    }

    /// Active mode (EPRT, then PORT): the server connects to us. `external_ip` is the
    /// address to announce behind NAT; `ports` a range to listen in.
    pub fn active(self, external_ip: Option<IpAddr>, ports: Option<(u16, u16)>) -> Self {
        self.data_mode(DataMode::Active { external_ip, ports })
    }

    /// Dial the address a 227 reply names instead of the control peer's. **Off by
    /// default**, and dangerous: a server (or a man in the middle of a plain control
    /// connection) can point the client anywhere (CVE-2020-8284, CVE-2021-4189).
    pub fn trust_pasv_address(mut self, trust: bool) -> Self {
        self.session.trust_pasv_address = trust;
        self
    }

    /// Accept an active-mode data connection from another IP than the control peer's.
    pub fn accept_foreign_data_peer(mut self, accept: bool) -> Self {
        self.session.accept_foreign_data_peer = accept;
        self
    }

    /// Let any `ddd ` line end a multi-line reply (glFTPd and a few others need it).
    pub fn lenient_multiline_end(mut self, lenient: bool) -> Self {
        self.session.framer.lenient_multiline_end = lenient;
        self
    }

    /// Send NOOP this often on the control connection while a transfer runs.
    pub fn keepalive_interval(mut self, interval: Duration) -> Self {
        self.session.keepalive_interval = Some(interval);
        self
    }

    /// The most bytes one reply may have before it is truncated (default 64 KiB).
    pub fn max_reply_size(mut self, bytes: usize) -> Self {
        self.session.framer.max_reply_len = bytes;
        self
    }

    /// How names and paths become `String`s.
    pub fn encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// `HOST name` before login (RFC 7151).
    pub fn host_name(mut self, name: impl Into<Vec<u8>>) -> Self {
        self.session.host = Some(name.into());
        self
    }

    /// `CLNT name` after login.
    pub fn client_name(mut self, name: impl Into<Vec<u8>>) -> Self {
        self.session.client_name = Some(name.into());
        self
    }

    /// Ask FEAT after login (default on).
    pub fn feat_after_login(mut self, feat: bool) -> Self {
        self.session.feat_after_login = feat;
        self
    }

    /// Send `OPTS UTF8 ON` when the server lists UTF8 (default on).
    pub fn utf8(mut self, utf8: bool) -> Self {
        self.session.utf8 = utf8;
        self
    }

    /// Report every reply, also those that only move an op along, to the transcript
    /// (ftplib's debug level 1).
    pub fn transcript(mut self, all_replies: bool) -> Self {
        self.session.report_all_replies = all_replies;
        self
    }

    /// The data buffer size (at least 64 KiB, default 256 KiB; one buffer per connection,
    /// reused): how much an upload reads from its source at once (`stor_from`,
    /// `copy_from`), and in ftp-tokio's `retr_to`/`copy_to` the most one socket read, and
    /// so one write to the sink, moves (each write to a `tokio::fs::File` is a trip through
    /// the blocking pool: few, large ones). What crosses the data socket otherwise goes in
    /// reads and writes of at most [`socket_io_size`](Self::socket_io_size).
    pub fn buffer_size(mut self, bytes: usize) -> Self {
        self.buffer_size = bytes.max(MIN_BUFFER);
        self
    }

    /// The most one read or write on a data socket moves (at least 4 KiB, default 64 KiB,
    /// never more than [`buffer_size`](Self::buffer_size)): every upload write, every read
    /// of ftp-std's downloads (one sink write each) and of `AsyncRead` use of ftp-tokio's
    /// (into an initialized buffer: one not initialized that far is read whole rather than
    /// zero-filled). Measured on loopback (BENCHMARKS.md, transfers, point 1), reads into
    /// one reused 64 KiB buffer cost less CPU than 256 KiB reads for the same bytes, and a
    /// file written 64 KiB at a time costs about as much as 256 KiB at a time with
    /// `std::fs`.
    /// Set it to the buffer size to move whole buffers per call.
    ///
    /// Once one read of a plain download brings 32 KiB or more, both
    /// adapters ask the kernel to wake them only when 64 KiB are queued or the stream
    /// ends (`ftp-socket`'s receive low-water mark): one wake-up per segment cost a
    /// quarter of the time of a fast download. With reads under 32 KiB it stays off.
    pub fn socket_io_size(mut self, bytes: usize) -> Self {
        self.socket_io_size = bytes.max(MIN_SOCKET_IO);
        self
    }

    /// How long dropping a client waits for QUIT's reply.
    pub fn quit_timeout(mut self, timeout: Duration) -> Self {
        self.quit_timeout = timeout;
        self
    }

    /// Explicit FTPS (`AUTH TLS` after the greeting, RFC 4217), data protected unless
    /// [`protect_data(false)`](Self::protect_data).
    #[cfg(feature = "rustls")]
    pub fn explicit_tls(mut self, tls: TlsConfig) -> Self {
        self.session.tls = TlsMode::Explicit;
        self.tls = Some(tls);
        self
    }

    /// Implicit FTPS (TLS from the first byte, usually port 990).
    #[cfg(feature = "rustls")]
    pub fn implicit_tls(mut self, tls: TlsConfig) -> Self {
        self.session.tls = TlsMode::Implicit;
        self.tls = Some(tls);
        self
    }

    /// With TLS: protect data connections (`PBSZ 0` + `PROT P`, the default) or not.
    pub fn protect_data(mut self, protect: bool) -> Self {
        self.session.protect_data = protect;
        self
    }

    /// Changes the protocol settings directly.
    pub fn with_session(mut self, f: impl FnOnce(&mut SessionConfig)) -> Self {
        f(&mut self.session);
        self
    }

    /// The protocol settings the session runs with.
    pub fn session(&self) -> &SessionConfig {
        &self.session
    }

    /// The connect timeout.
    pub fn get_connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The source IP, if one is set.
    pub fn get_source_ip(&self) -> Option<IpAddr> {
        self.source_ip
    }

    /// The data buffer size.
    pub fn get_buffer_size(&self) -> usize {
        self.buffer_size
    }

    /// The most one data socket read or write moves (never more than the buffer size).
    ///
    /// ```
    /// use ftp_core::config::Config;
    /// assert_eq!(Config::new().get_socket_io_size(), 64 * 1024);
    /// let whole = Config::new().buffer_size(128 * 1024).socket_io_size(1 << 20);
    /// assert_eq!(whole.get_socket_io_size(), 128 * 1024);
    /// ```
    pub fn get_socket_io_size(&self) -> usize {
        self.socket_io_size.min(self.buffer_size)
    }

    /// How long dropping a client waits for QUIT's reply.
    pub fn get_quit_timeout(&self) -> Duration {
        self.quit_timeout
    }

    /// The encoding policy.
    pub fn get_encoding(&self) -> Encoding {
        self.encoding
    }

    /// The TLS mode.
    pub fn tls_mode(&self) -> TlsMode {
        self.session.tls
    }

    /// The TLS set-up, with FTPS.
    #[cfg(feature = "rustls")]
    pub fn tls(&self) -> Option<&TlsConfig> {
        self.tls.as_ref()
    }

    /// The TLS state for one control connection to `host` (`None` for plain FTP): what
    /// an adapter makes once per connection and uses for the control connection and every
    /// data connection of it.
    #[cfg(feature = "rustls")]
    pub fn tls_session(
        &self,
        host: &str,
    ) -> Result<Option<crate::tls::TlsSession>, crate::driver::Error> {
        use crate::driver::Error;
        match (self.tls_mode(), &self.tls) {
            (TlsMode::None, _) => Ok(None),
            (_, Some(tls)) => tls.session(host).map(Some).map_err(Error::tls),
            (_, None) => Err(Error::tls("FTPS configured without a TLS config")),
        }
    }
}
