//! A TCP stream that is either plain or server-side TLS, with the helpers the steps share.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rustls::{HandshakeKind, ServerConfig, ServerConnection, StreamOwned};

/// Control or data socket, plain or TLS.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
}

impl Stream {
    pub(crate) fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }

    pub(crate) fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }

    /// Sets both socket timeouts (a zero duration would mean "none" to std, so it is raised to 1 ms).
    pub(crate) fn set_timeouts(&self, timeout: Duration) -> io::Result<()> {
        let t = Some(timeout.max(Duration::from_millis(1)));
        self.tcp().set_read_timeout(t)?;
        self.tcp().set_write_timeout(t)
    }

    /// Runs the server side of a TLS handshake over a plain stream. `pending` holds plaintext-era bytes
    /// already read from the socket (they belong to the TLS stream). On failure the plain socket is
    /// returned with the error so the caller can still reset or close it.
    pub(crate) fn upgrade(
        self,
        config: Arc<ServerConfig>,
        pending: &[u8],
    ) -> Result<(Stream, HandshakeKind), (io::Error, Option<TcpStream>)> {
        let mut tcp = match self {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(s) => {
                return Err((
                    io::Error::other("TLS is already active on this connection"),
                    Some(s.sock),
                ));
            }
        };
        let mut conn = match ServerConnection::new(config) {
            Ok(c) => c,
            Err(e) => return Err((io::Error::other(e), Some(tcp))),
        };
        let mut rest = pending;
        while !rest.is_empty() {
            if let Err(e) = conn.read_tls(&mut rest) {
                return Err((e, Some(tcp)));
            }
        }
        while conn.is_handshaking() {
            if let Err(e) = conn.complete_io(&mut tcp) {
                return Err((e, Some(tcp)));
            }
        }
        // Flush what the handshake left queued (TLS 1.3 session tickets).
        while conn.wants_write() {
            if let Err(e) = conn.write_tls(&mut tcp) {
                return Err((e, Some(tcp)));
            }
        }
        let kind = conn.handshake_kind().unwrap_or(HandshakeKind::Full);
        Ok((Stream::Tls(Box::new(StreamOwned::new(conn, tcp))), kind))
    }

    /// Sends close_notify when TLS is active (best effort) and shuts down writing.
    pub(crate) fn close_write(&mut self, close_notify: bool) -> io::Result<()> {
        if let Stream::Tls(s) = self
            && close_notify
        {
            s.conn.send_close_notify();
            s.flush()?;
        }
        self.tcp().shutdown(Shutdown::Write)
    }

    /// Makes the next close of this socket send RST (SO_LINGER 0).
    pub(crate) fn arm_reset(&self) -> io::Result<()> {
        socket2::SockRef::from(self.tcp()).set_linger(Some(Duration::ZERO))
    }

    /// Reads what is already buffered without blocking, then lets the socket go. Reading first keeps the
    /// kernel from answering unread bytes (a late close_notify) with RST.
    pub(crate) fn drain_and_drop(mut self) {
        if self.tcp().set_nonblocking(true).is_err() {
            return;
        }
        let mut buf = [0u8; 16 * 1024];
        for _ in 0..1024 {
            match self.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// True for the error kinds a socket timeout produces.
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
