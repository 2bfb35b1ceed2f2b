//! A connection, plain or TLS, as one `Read + Write` type; connecting and TLS handshakes.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use ftp_core::tls::TlsSession;
use rustls::{ClientConnection, StreamOwned};
use socket2::{Domain, Protocol, Socket, Type};

/// A TCP connection, with or without TLS on it.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
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

    /// Starts TLS on a plain stream and completes the handshake within `timeout`.
    pub(crate) fn start_tls(self, tls: &TlsSession, timeout: Duration) -> io::Result<Stream> {
        let Stream::Plain(mut sock) = self else {
            return Err(io::Error::other("TLS is already on"));
        };
        let mut conn = tls.connection().map_err(io::Error::other)?;
        sock.set_read_timeout(Some(timeout))?;
        sock.set_write_timeout(Some(timeout))?;
        while conn.is_handshaking() {
            conn.complete_io(&mut sock)?;
        }
        sock.set_write_timeout(None)?;
        Ok(Stream::Tls(Box::new(StreamOwned::new(conn, sock))))
    }

    /// Ends TLS (close_notify, and the peer's) and goes on in the clear: CCC.
    pub(crate) fn stop_tls(self, timeout: Duration) -> io::Result<Stream> {
        let Stream::Tls(mut s) = self else {
            return Ok(self);
        };
        s.conn.send_close_notify();
        s.flush()?;
        s.sock.set_read_timeout(Some(timeout))?;
        // Read until the server's close_notify: what follows is plaintext.
        let mut scratch = [0u8; 512];
        loop {
            match s.read(&mut scratch) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Stream::Plain(s.sock))
    }

    /// Ends an upload: close_notify under TLS, FIN, then reads to EOF so no unread byte
    /// (a TLS ticket) makes the kernel reset the connection. Returns whether it was clean.
    pub(crate) fn finish_upload(&mut self, timeout: Duration) -> bool {
        let mut clean = true;
        if let Stream::Tls(s) = self {
            s.conn.send_close_notify();
            clean &= s.flush().is_ok();
        }
        clean &= self.tcp().shutdown(Shutdown::Write).is_ok();
        let _ = self.tcp().set_read_timeout(Some(timeout));
        let mut scratch = [0u8; 4096];
        loop {
            match self.read(&mut scratch) {
                Ok(0) => break,
                Ok(_) => {}
                // The server may close without its close_notify after our FIN: the upload
                // is still complete, our side ended cleanly.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                Err(_) => {
                    clean = false;
                    break;
                }
            }
        }
        clean
    }

    /// Before dropping a TLS data connection the session closed (refused or aborted):
    /// read briefly what is already there, so TLS 1.3 tickets the server sent on it are
    /// stored (a refused connection still brings them) and no unread byte turns the close
    /// into a reset. Bounded in time and bytes: an aborted download is not read on.
    pub(crate) fn drain_tls_close(&mut self) {
        let Stream::Tls(s) = self else {
            return;
        };
        let _ = s
            .sock
            .set_read_timeout(Some(std::time::Duration::from_millis(50)));
        let mut scratch = [0u8; 16 * 1024];
        let mut budget = 256 * 1024;
        while budget > 0 {
            match s.read(&mut scratch) {
                Ok(0) | Err(_) => break,
                Ok(n) => budget -= n.min(budget),
            }
        }
    }

    /// Reads and discards until the peer closes the connection, `max_bytes` were read or
    /// `max_wait` passed (an aborted download: see `Action::DrainData`).
    pub(crate) fn drain_until_closed(&mut self, max_bytes: u64, max_wait: Duration) {
        let deadline = std::time::Instant::now() + max_wait;
        let mut scratch = vec![0u8; 64 * 1024];
        let mut left = max_bytes;
        while left > 0 {
            let now = std::time::Instant::now();
            if now >= deadline || self.tcp().set_read_timeout(Some(deadline - now)).is_err() {
                break;
            }
            match self.read(&mut scratch) {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n as u64),
            }
        }
    }

    /// After a download's EOF: answer the server's close_notify with ours.
    pub(crate) fn close_download(&mut self) {
        if let Stream::Tls(s) = self {
            s.conn.send_close_notify();
            let _ = s.flush();
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

/// Connects to `addr` within `timeout`, from `source` if given.
pub(crate) fn connect(
    addr: SocketAddr,
    source: Option<std::net::IpAddr>,
    timeout: Duration,
) -> io::Result<TcpStream> {
    let stream = match source {
        None => TcpStream::connect_timeout(&addr, timeout)?,
        Some(ip) => {
            let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
            socket.bind(&SocketAddr::new(ip, 0).into())?;
            socket.connect_timeout(&addr.into(), timeout)?;
            socket.into()
        }
    };
    no_delay(&stream);
    Ok(stream)
}

/// Turns Nagle's algorithm off on a data connection. Writes of 64 KiB leave a tail
/// smaller than a loopback segment (MSS 65483), which Nagle holds back until the last
/// segment is acknowledged: uploads to vsftpd ran at 0.68x curl's speed with it on.
pub(crate) fn no_delay(stream: &TcpStream) {
    // (A socket that refuses it still works, only slower.)
    let _ = stream.set_nodelay(true);
}
