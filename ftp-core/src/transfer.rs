//! Data transfers: how the data connection is set up and when a transfer is over
//! (RFC 959 §3.2–3.3 and §5.4, RFC 2428 for EPSV/EPRT, RFC 3659 §5 for REST STREAM).
//!
//! The rule every transfer follows (DESIGN.md §4): a transfer completes only when **both**
//! the final 2xx reply **and** the end of the data channel (EOF for a download, the end of
//! our own shutdown for an upload) have been seen, in either order. An early 226 never
//! truncates a download; a negative final reply or an unclean end fails the transfer;
//! nothing truncated is reported as success.

use core::net::{IpAddr, SocketAddr};

/// A download into a local file of up to this many bytes is read whole, then written in
/// one piece; a larger one streams into the file through a writer thread. Both adapters'
/// `DataReader::copy_to_file` and `Client::retr_to_path` follow it: for a small file a
/// writer thread (in ftp-tokio, any trip through the blocking pool) costs more than the
/// write itself.
pub const SMALL_DOWNLOAD: usize = 64 * 1024;

/// How data connections are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DataMode {
    /// Passive: EPSV first, PASV from then on if the server refuses EPSV (500/501/502) and
    /// the control connection is IPv4 (PASV cannot name an IPv6 address).
    #[default]
    Auto,
    /// Passive with PASV only (IPv4).
    Passive,
    /// Passive with EPSV only.
    ExtendedPassive,
    /// Active: the client listens and the server connects. EPRT first, PORT from then on
    /// if the server refuses EPRT and the address is IPv4.
    Active {
        /// The address to announce instead of the control connection's local address
        /// (behind NAT). The listener still binds the local address.
        external_ip: Option<IpAddr>,
        /// The local ports to listen on, first to last (for firewalls that open only a
        /// range); `None` for any free port.
        ports: Option<(u16, u16)>,
    },
}

/// The addresses of the control connection, which data connections are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlAddresses {
    /// Our end.
    pub local: SocketAddr,
    /// The server's end: passive data connections go to this IP.
    pub peer: SocketAddr,
}

/// Which way the bytes of a transfer go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Server to client (RETR, LIST, NLST, MLSD).
    Download,
    /// Client to server (STOR, APPE, STOU).
    Upload,
}

/// How an upload treats an existing file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StoreMode {
    /// `STOR`: replace it (with an offset: `REST` then `STOR`, resuming an upload).
    #[default]
    Replace,
    /// `APPE`: append to it.
    Append,
    /// `STOU`: let the server pick a unique name.
    Unique,
}

/// How a data channel ended, as its driver saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataEnd {
    /// Bytes moved over the data channel.
    pub bytes: u64,
    /// Whether the end was clean: for TLS, the peer's close_notify was received
    /// (downloads) or our shutdown completed (uploads); for plain TCP, an orderly FIN.
    pub clean: bool,
}

/// The addresses to try binding, in order, for an active-mode listener
/// ([`Action::ListenData`](crate::session::Action::ListenData)): `ip` with any port, or
/// each port of the configured range. Both adapters bind in this order.
///
/// ```
/// use ftp_core::transfer::listen_addrs;
/// let ip = "127.0.0.1".parse().unwrap();
/// assert_eq!(listen_addrs(ip, None).map(|a| a.port()).collect::<Vec<_>>(), [0]);
/// assert_eq!(listen_addrs(ip, Some((5000, 5002))).count(), 3);
/// ```
pub fn listen_addrs(ip: IpAddr, ports: Option<(u16, u16)>) -> impl Iterator<Item = SocketAddr> {
    let (first, last) = ports.unwrap_or((0, 0));
    (first..=last).map(move |port| SocketAddr::new(ip, port))
}

/// Why a data channel failed, as its driver saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataFailure {
    /// Connecting to the server's passive address failed.
    Connect,
    /// Listening for an active-mode connection failed.
    Listen,
    /// Accepting the server's active-mode connection failed.
    Accept,
    /// The connection was reset or broke while data moved.
    Broken,
    /// The TLS handshake or record layer on the data channel failed.
    Tls,
    /// The data connection was not made in time, or stayed idle too long.
    Timeout,
    /// The active-mode connection came from another IP than the control peer.
    ForeignPeer,
}

/// The join of a transfer's two halves: the final reply and the data channel's end.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Join {
    /// The transfer command has been written.
    pub command_sent: bool,
    /// A 1xx or the final 2xx answered the command: the server accepted it.
    pub accepted: bool,
    /// The data connection is up.
    pub connected: bool,
    /// TLS was started on the data connection and is not ready yet.
    pub tls_pending: bool,
    /// The data connection's TLS waits for the server to accept the command.
    pub tls_deferred: bool,
    /// `DataReady` was reported.
    pub ready_reported: bool,
    /// The size the 1xx announced.
    pub size_hint: Option<u64>,
    /// The final reply: `Some(true)` positive, `Some(false)` negative.
    pub final_positive: Option<bool>,
    pub data_end: Option<DataEnd>,
    pub failure: Option<DataFailure>,
    /// The data connection was closed (or never opened), nothing more will be reported.
    pub data_closed: bool,
}

/// How a transfer ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinOutcome {
    Completed(u64),
    Rejected,
    Failed(DataFailure),
    Unclean(u64),
}

impl Join {
    /// Whether the data channel is finished with: ended, failed or closed.
    pub fn data_done(&self) -> bool {
        self.data_end.is_some() || self.failure.is_some() || self.data_closed
    }

    /// The outcome, once both halves are in; `None` while one is missing.
    pub fn outcome(&self) -> Option<JoinOutcome> {
        match self.final_positive? {
            false => Some(JoinOutcome::Rejected),
            true => {
                if let Some(failure) = self.failure {
                    return Some(JoinOutcome::Failed(failure));
                }
                let end = self.data_end?;
                Some(if end.clean {
                    JoinOutcome::Completed(end.bytes)
                } else {
                    JoinOutcome::Unclean(end.bytes)
                })
            }
        }
    }
}
