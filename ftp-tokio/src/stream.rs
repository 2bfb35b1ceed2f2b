//! A connection, plain or TLS, as one `AsyncRead + AsyncWrite` type; connecting, TLS
//! handshakes and the ends of data connections, as futures the driver polls.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use ftp_core::tls::TlsSession;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// A TCP connection, with or without TLS on it.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    pub(crate) fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A boxed future the driver keeps in its state and polls. The `Mutex` makes it `Sync`
/// (it is only ever reached through `&mut`, so it is never locked).
pub(crate) struct Task<T>(Mutex<Pin<Box<dyn Future<Output = T> + Send>>>);

impl<T> Task<T> {
    pub(crate) fn new(future: impl Future<Output = T> + Send + 'static) -> Self {
        Task(Mutex::new(Box::pin(future)))
    }

    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<T> {
        match self.0.get_mut() {
            Ok(f) => f.as_mut().poll(cx),
            Err(poisoned) => poisoned.into_inner().as_mut().poll(cx),
        }
    }
}

impl<T> Future for Task<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Task::poll(self.get_mut(), cx)
    }
}

/// A data connection nobody wants any more (an aborted or failed transfer): under TLS,
/// read briefly what is already there before closing it (briefly: vsftpd, still reading
/// an aborted upload, answers ABOR only once the connection is closed), so the session
/// tickets the server sent after the handshake reach the resumption store.
/// rustls uses each TLS 1.3 ticket once: a data connection closed unread would leave the
/// next one without a ticket, and servers that require session reuse would refuse it.
/// Bounded in time and bytes: an aborted download is not read on.
pub(crate) async fn discard(stream: Stream, timeout: Duration) -> bool {
    if let Stream::Tls(mut s) = stream {
        let draining = async {
            let mut scratch = [0u8; 4096];
            let mut budget = 256 * 1024usize;
            while let Ok(n) = s.read(&mut scratch).await {
                if n == 0 || budget <= n {
                    break;
                }
                budget -= n;
            }
        };
        let _ = tokio::time::timeout(timeout.min(DISCARD_WAIT), draining).await;
    }
    true
}

/// Reads and discards until the peer closes `stream`, `max_bytes` were read or `max_wait`
/// passed, then drops it (an aborted download: `Action::DrainData`).
pub(crate) async fn drain(mut stream: Stream, max_bytes: u64, max_wait: Duration) -> bool {
    let draining = async {
        let mut scratch = vec![0u8; 64 * 1024];
        let mut left = max_bytes;
        while left > 0 {
            match stream.read(&mut scratch).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n as u64),
            }
        }
    };
    let _ = tokio::time::timeout(max_wait, draining).await;
    true
}

/// How long an abandoned TLS data connection is read for its tickets.
const DISCARD_WAIT: Duration = Duration::from_millis(200);

/// Connects to `addr` within `timeout`, from `source` if given.
pub(crate) async fn connect(
    addr: SocketAddr,
    source: Option<IpAddr>,
    timeout: Duration,
) -> io::Result<TcpStream> {
    let connecting = async {
        let stream = match source {
            None => TcpStream::connect(addr).await?,
            Some(ip) => {
                let socket =
                    Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
                socket.bind(&SocketAddr::new(ip, 0).into())?;
                socket.set_nonblocking(true)?;
                let socket = tokio::net::TcpSocket::from_std_stream(socket.into());
                socket.connect(addr).await?
            }
        };
        stream.set_nodelay(true)?;
        Ok(stream)
    };
    match tokio::time::timeout(timeout, connecting).await {
        Ok(result) => result,
        Err(_) => Err(io::Error::from(io::ErrorKind::TimedOut)),
    }
}

/// Starts TLS on a plain stream and completes the handshake within `timeout`. A data
/// connection resumes the control connection's session: the same `Arc<ClientConfig>`
/// and server name.
pub(crate) async fn start_tls(
    sock: TcpStream,
    tls: &TlsSession,
    timeout: Duration,
) -> io::Result<TlsStream<TcpStream>> {
    let connector = TlsConnector::from(tls.config().clone());
    let handshake = connector.connect(tls.server_name().clone(), sock);
    match tokio::time::timeout(timeout, handshake).await {
        Ok(result) => result,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the TLS handshake timed out",
        )),
    }
}

/// Ends TLS on the control connection (close_notify, then the peer's) and goes on in the
/// clear: CCC.
pub(crate) async fn stop_tls(stream: Stream, timeout: Duration) -> io::Result<Stream> {
    let Stream::Tls(mut s) = stream else {
        return Ok(stream);
    };
    let ending = async {
        s.get_mut().1.send_close_notify();
        s.flush().await?;
        // Read until the server's close_notify: what follows is plaintext.
        let mut scratch = [0u8; 512];
        while s.read(&mut scratch).await? != 0 {}
        io::Result::Ok(())
    };
    match tokio::time::timeout(timeout, ending).await {
        Ok(result) => result?,
        Err(_) => return Err(io::Error::from(io::ErrorKind::TimedOut)),
    }
    Ok(Stream::Plain(s.into_inner().0))
}

/// Ends an upload: close_notify under TLS, FIN, then reads to EOF so no unread byte (a TLS
/// ticket) makes the kernel reset the connection. Returns whether it was clean.
pub(crate) async fn finish_upload(mut stream: Stream, timeout: Duration) -> bool {
    let ending = async {
        let mut clean = stream.shutdown().await.is_ok();
        let mut scratch = [0u8; 4096];
        loop {
            match stream.read(&mut scratch).await {
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
    };
    tokio::time::timeout(timeout, ending).await.unwrap_or(false)
}

/// After a download's EOF: answer the server's close_notify with ours.
pub(crate) async fn close_download(stream: Stream, timeout: Duration) -> bool {
    if let Stream::Tls(mut s) = stream {
        s.get_mut().1.send_close_notify();
        let _ = tokio::time::timeout(timeout, s.flush()).await;
    }
    true
}
