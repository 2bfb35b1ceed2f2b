//! The state a script runs against: the control connection, the data listener and connection, the log.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rustls::{HandshakeKind, ServerConfig};

use crate::stream::{Stream, is_timeout};

/// Why a step failed: a message saying what was expected and what happened instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError(pub String);

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StepError {}

impl From<String> for StepError {
    fn from(s: String) -> Self {
        StepError(s)
    }
}

impl From<&str> for StepError {
    fn from(s: &str) -> Self {
        StepError(s.to_owned())
    }
}

impl From<io::Error> for StepError {
    fn from(e: io::Error) -> Self {
        StepError(format!("I/O error: {e}"))
    }
}

/// What a step returns.
pub type StepResult<T = ()> = Result<T, StepError>;

/// How an upload's data connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadEnd {
    /// Plain TCP: the client shut down its side (FIN).
    Fin,
    /// TLS: the client sent close_notify before its FIN.
    CloseNotify,
    /// TLS: the TCP stream ended without close_notify (a truncation attack looks the same).
    UncleanTls,
    /// The connection was reset.
    Reset,
    /// The script stopped reading after a fixed count ([`Session::data_receive_exact`]).
    Partial,
}

/// One upload received on a data connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Every byte received, in order.
    pub bytes: Vec<u8>,
    /// How the stream ended.
    pub end: UploadEnd,
}

/// What the server saw, returned by [`Server::finish`](crate::Server::finish).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Log {
    /// Every command line received on the control connection, without its line end, in order.
    pub commands: Vec<String>,
    /// The control connection's TLS handshake, if TLS was started on it.
    pub control_tls: Option<HandshakeKind>,
    /// Each data connection's TLS handshake, in order (`Resumed` when the client resumed a session).
    pub data_tls: Vec<HandshakeKind>,
    /// Each upload received ([`Session::data_receive`]), in order.
    pub uploads: Vec<Upload>,
    /// The peer address of each data connection, accepted or made, in order.
    pub data_peers: Vec<SocketAddr>,
    /// Free-form notes from steps (for example a TLS handshake that was expected to fail, and why).
    pub notes: Vec<String>,
}

impl Log {
    /// For each data TLS handshake, whether it was a resumption.
    pub fn data_resumed(&self) -> Vec<bool> {
        self.data_tls
            .iter()
            .map(|k| *k == HandshakeKind::Resumed)
            .collect()
    }
}

/// A passive-mode listener, with an optional trap on the address a 227 reply advertised falsely.
struct DataListener {
    listener: TcpListener,
    trap: Option<TcpListener>,
}

/// Longest command line accepted before a step fails (keeps a runaway client from eating memory).
const MAX_LINE: usize = 64 * 1024;

/// The connection state a script's steps act on. Custom steps ([`Script::step`](crate::Script::step)) get a
/// `&mut Session` and may call any of these methods; each built-in step is one of them.
///
/// Every wait (a command, the client's EOF, a data connection, upload bytes) fails with a [`StepError`]
/// after the script's timeout without progress.
pub struct Session {
    control: Option<Stream>,
    /// The control listener, kept when the script accepts later control connections.
    control_listener: Option<TcpListener>,
    /// Control bytes read but not yet consumed as lines (plaintext view).
    inbuf: Vec<u8>,
    listener: Option<DataListener>,
    data: Option<Stream>,
    /// Data connections closed for writing, kept until the end so that unread bytes cause no RST.
    closing: Vec<Stream>,
    active_target: Option<SocketAddr>,
    tls: Option<Arc<ServerConfig>>,
    timeout: Duration,
    local: SocketAddr,
    peer: SocketAddr,
    pub(crate) log: Log,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("local", &self.local)
            .field("peer", &self.peer)
            .field("control_tls", &self.control.as_ref().map(Stream::is_tls))
            .field("data_open", &self.data.is_some())
            .field("active_target", &self.active_target)
            .field("log", &self.log)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(
        control: TcpStream,
        tls: Option<Arc<ServerConfig>>,
        timeout: Duration,
    ) -> io::Result<Self> {
        let local = control.local_addr()?;
        let peer = control.peer_addr()?;
        control.set_nodelay(true)?;
        let control = Stream::Plain(control);
        control.set_timeouts(timeout)?;
        Ok(Self {
            control: Some(control),
            control_listener: None,
            inbuf: Vec::new(),
            listener: None,
            data: None,
            closing: Vec::new(),
            active_target: None,
            tls,
            timeout,
            local,
            peer,
            log: Log::default(),
        })
    }

    pub(crate) fn with_control_listener(mut self, listener: Option<TcpListener>) -> Self {
        self.control_listener = listener;
        self
    }

    /// Waits for the next control connection (within the step timeout) and makes it the
    /// control connection; whatever is left of the old one is closed.
    pub fn accept_control(&mut self) -> StepResult {
        let listener = self
            .control_listener
            .as_ref()
            .ok_or("the script does not accept later control connections")?;
        let deadline = Instant::now() + self.timeout;
        let stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(format!("accepting a control connection: {e}").into()),
            }
            if Instant::now() >= deadline {
                return Err("no new control connection came".into());
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        stream.set_nonblocking(false)?;
        stream.set_nodelay(true)?;
        self.peer = stream.peer_addr()?;
        let stream = Stream::Plain(stream);
        stream.set_timeouts(self.timeout)?;
        if let Some(mut old) = self.control.replace(stream) {
            let _ = old.close_write(true);
            self.closing.push(old);
        }
        self.inbuf.clear();
        self.note("a new control connection");
        Ok(())
    }

    /// Closes whatever is still open at the end of a script, draining first so no RST is provoked.
    pub(crate) fn shutdown(&mut self) {
        if let Some(d) = self.data.take() {
            d.drain_and_drop();
        }
        for d in self.closing.drain(..) {
            d.drain_and_drop();
        }
        if let Some(mut c) = self.control.take() {
            let _ = c.close_write(true);
            c.drain_and_drop();
        }
    }

    /// The log so far (commands, TLS handshakes, uploads, notes).
    pub fn log(&self) -> &Log {
        &self.log
    }

    /// Adds a free-form note to the log.
    pub fn note(&mut self, note: impl Into<String>) {
        self.log.notes.push(note.into());
    }

    /// The step timeout in force.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Changes the step timeout for the following steps.
    pub fn set_timeout(&mut self, timeout: Duration) -> StepResult {
        self.timeout = timeout;
        if let Some(c) = &self.control {
            c.set_timeouts(timeout)?;
        }
        if let Some(d) = &self.data {
            d.set_timeouts(timeout)?;
        }
        Ok(())
    }

    /// The server's address on the control connection.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The client's address on the control connection.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// The address from the last `PORT` or `EPRT` command received, if it parsed.
    pub fn active_target(&self) -> Option<SocketAddr> {
        self.active_target
    }

    /// Replaces the TLS config used by the following TLS steps.
    pub fn set_tls(&mut self, config: Arc<ServerConfig>) {
        self.tls = Some(config);
    }

    fn control(&mut self) -> StepResult<&mut Stream> {
        self.control
            .as_mut()
            .ok_or_else(|| StepError::from("the control connection is already closed"))
    }

    fn tls_config(&self) -> StepResult<Arc<ServerConfig>> {
        self.tls
            .clone()
            .ok_or_else(|| StepError::from("no TLS config: call Script::tls before TLS steps"))
    }

    // ----- control: sending -----

    /// Sends raw bytes on the control connection (through TLS when it is active).
    pub fn send(&mut self, bytes: &[u8]) -> StepResult {
        let c = self.control()?;
        c.write_all(bytes)
            .and_then(|()| c.flush())
            .map_err(|e| StepError(format!("writing {} control bytes failed: {e}", bytes.len())))
    }

    /// Sends one reply line; CRLF is added.
    pub fn reply(&mut self, line: &str) -> StepResult {
        let mut bytes = Vec::with_capacity(line.len() + 2);
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        self.send(&bytes)
    }

    /// Sends `bytes` one byte at a time, sleeping `interval` before each byte.
    pub fn drip(&mut self, bytes: &[u8], interval: Duration) -> StepResult {
        for b in bytes {
            thread::sleep(interval);
            self.send(std::slice::from_ref(b))?;
        }
        Ok(())
    }

    /// Sends `chunk` again and again until the client stops reading or closes (a write fails or times out),
    /// or `limit` bytes have been sent. Returns how many bytes were written; never fails.
    pub fn send_until_closed(&mut self, chunk: &[u8], limit: usize) -> StepResult<usize> {
        let mut sent = 0;
        let c = self.control()?;
        while sent < limit && !chunk.is_empty() {
            match c.write(chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => sent += n,
            }
        }
        let _ = c.flush();
        Ok(sent)
    }

    // ----- control: receiving -----

    /// Waits for the next command line and records it in the log (line end removed).
    pub fn read_command(&mut self) -> StepResult<String> {
        let timeout = self.timeout;
        loop {
            if let Some(pos) = self.inbuf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.inbuf.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                let line = String::from_utf8_lossy(&line).into_owned();
                self.note_active_target(&line);
                self.log.commands.push(line.clone());
                return Ok(line);
            }
            if self.inbuf.len() > MAX_LINE {
                return Err(StepError(format!(
                    "command line longer than {MAX_LINE} bytes: {:?}...",
                    String::from_utf8_lossy(&self.inbuf[..80])
                )));
            }
            let mut buf = [0u8; 4096];
            let partial = String::from_utf8_lossy(&self.inbuf).into_owned();
            let n = match self.control()?.read(&mut buf) {
                Ok(0) => {
                    return Err(StepError(format!(
                        "the client closed the control connection while a command was expected \
                         (partial line: {partial:?})"
                    )));
                }
                Ok(n) => n,
                Err(e) if is_timeout(&e) => {
                    return Err(StepError(format!(
                        "timed out after {timeout:?} waiting for a command (partial line: {partial:?})"
                    )));
                }
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Err(StepError(format!(
                        "the client closed the TLS control connection without close_notify while a \
                         command was expected (partial line: {partial:?})"
                    )));
                }
                Err(e) => return Err(StepError(format!("reading a command failed: {e}"))),
            };
            self.inbuf.extend_from_slice(&buf[..n]);
        }
    }

    fn note_active_target(&mut self, line: &str) {
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        let parsed = if verb.eq_ignore_ascii_case("PORT") {
            Some(parse_port(arg.trim()))
        } else if verb.eq_ignore_ascii_case("EPRT") {
            Some(parse_eprt(arg.trim()))
        } else {
            None
        };
        if let Some(addr) = parsed {
            self.active_target = addr;
        }
    }

    /// Waits for a command line equal to `line` (exact, case-sensitive).
    pub fn expect(&mut self, line: &str) -> StepResult<String> {
        let got = self.read_command()?;
        if got == line {
            Ok(got)
        } else {
            Err(StepError(format!(
                "expected command {line:?}, received {got:?}"
            )))
        }
    }

    /// Waits for a command line that starts with `prefix` (ASCII case-insensitive).
    pub fn expect_prefix(&mut self, prefix: &str) -> StepResult<String> {
        let got = self.read_command()?;
        let matches = got.len() >= prefix.len()
            && got.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes());
        if matches {
            Ok(got)
        } else {
            Err(StepError(format!(
                "expected a command starting with {prefix:?}, received {got:?}"
            )))
        }
    }

    /// Waits for the client to close the control connection (EOF, with or without TLS close_notify).
    /// Anything received instead fails the step.
    pub fn expect_close(&mut self) -> StepResult {
        if !self.inbuf.is_empty() {
            return Err(StepError(format!(
                "expected the client to close the control connection, received {:?}",
                String::from_utf8_lossy(&self.inbuf)
            )));
        }
        let timeout = self.timeout;
        let mut buf = [0u8; 4096];
        match self.control()?.read(&mut buf) {
            Ok(0) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Ok(()),
            Ok(n) => Err(StepError(format!(
                "expected the client to close the control connection, received {:?}",
                String::from_utf8_lossy(&buf[..n])
            ))),
            Err(e) if is_timeout(&e) => Err(StepError(format!(
                "timed out after {timeout:?} waiting for the client to close the control connection"
            ))),
            Err(e) => Err(StepError(format!(
                "waiting for the client to close the control connection failed: {e}"
            ))),
        }
    }

    // ----- control: TLS and closing -----

    /// Runs the server side of the TLS handshake on the control connection (send the `234` reply first).
    /// Records the handshake kind in [`Log::control_tls`].
    pub fn start_tls_control(&mut self) -> StepResult {
        let config = self.tls_config()?;
        let control = self
            .control
            .take()
            .ok_or("the control connection is closed")?;
        let pending = std::mem::take(&mut self.inbuf);
        match control.upgrade(config, &pending) {
            Ok((stream, kind)) => {
                stream.set_timeouts(self.timeout)?;
                self.control = Some(stream);
                self.log.control_tls = Some(kind);
                Ok(())
            }
            Err((e, tcp)) => {
                self.control = tcp.map(Stream::Plain);
                Err(StepError(format!("control TLS handshake failed: {e}")))
            }
        }
    }

    /// Runs the control TLS handshake and requires it to fail (a client rejecting the certificate); the
    /// error is recorded in [`Log::notes`] and the control connection is closed.
    pub fn start_tls_control_expect_failure(&mut self) -> StepResult {
        let config = self.tls_config()?;
        let control = self
            .control
            .take()
            .ok_or("the control connection is closed")?;
        let pending = std::mem::take(&mut self.inbuf);
        match control.upgrade(config, &pending) {
            Ok((stream, kind)) => {
                self.control = Some(stream);
                Err(StepError(format!(
                    "control TLS handshake succeeded ({kind:?}) but was expected to fail"
                )))
            }
            Err((e, tcp)) => {
                self.log
                    .notes
                    .push(format!("control TLS handshake failed as expected: {e}"));
                if let Some(tcp) = tcp {
                    Stream::Plain(tcp).drain_and_drop();
                }
                Ok(())
            }
        }
    }

    /// Closes the control connection cleanly: close_notify under TLS, then FIN. Bytes the client sends
    /// afterwards are drained at the end of the script.
    pub fn close_control(&mut self) -> StepResult {
        let mut c = self
            .control
            .take()
            .ok_or("the control connection is already closed")?;
        let _ = c.close_write(true);
        self.closing.push(c);
        Ok(())
    }

    /// Resets the control connection (SO_LINGER 0, then close: the client sees ECONNRESET).
    ///
    /// The client's kernel discards whatever it received but the client had not read yet: to reset
    /// after the client has seen some bytes, wait for a sign from it first (an expected command).
    pub fn reset_control(&mut self) -> StepResult {
        let c = self
            .control
            .take()
            .ok_or("the control connection is already closed")?;
        c.arm_reset()?;
        drop(c);
        Ok(())
    }

    // ----- passive mode -----

    /// Opens a passive data listener on the control connection's local IP, port chosen by the system.
    /// Returns its address. Replaces (closes) any earlier listener.
    pub fn open_data_listener(&mut self) -> StepResult<SocketAddr> {
        let listener = TcpListener::bind(SocketAddr::new(self.local.ip(), 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        self.listener = Some(DataListener {
            listener,
            trap: None,
        });
        Ok(addr)
    }

    fn listener_port(&self) -> StepResult<u16> {
        let l = self
            .listener
            .as_ref()
            .ok_or("no data listener is open: open one (epsv/pasv) first")?;
        Ok(l.listener.local_addr()?.port())
    }

    /// Opens a data listener and answers `229 Entering Extended Passive Mode (|||port|)`.
    pub fn epsv(&mut self) -> StepResult {
        self.open_data_listener()?;
        let port = self.listener_port()?;
        self.reply(&format!("229 Entering Extended Passive Mode (|||{port}|)"))
    }

    /// Opens a data listener and answers `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).` with the real
    /// IPv4 address. Fails on an IPv6 control connection (227 cannot carry IPv6).
    pub fn pasv(&mut self) -> StepResult {
        let ip = match self.local.ip() {
            IpAddr::V4(ip) => ip,
            IpAddr::V6(ip) => {
                return Err(StepError(format!(
                    "PASV needs an IPv4 control connection, this one is on {ip}"
                )));
            }
        };
        self.open_data_listener()?;
        let port = self.listener_port()?;
        self.reply(&pasv_line(ip, port))
    }

    /// Opens a data listener on the real IP but advertises `ip` in the 227 reply, to check that the client
    /// dials the control peer instead. When `ip` is a loopback address other than the real one, a trap
    /// listener is opened on `ip` with the same port: a client that dials it makes
    /// [`accept_data`](Self::accept_data) fail with a clear message.
    ///
    /// Use loopback addresses only (such as 127.0.0.2): a faulty client must not send traffic off the machine.
    pub fn pasv_foreign(&mut self, ip: Ipv4Addr) -> StepResult {
        if !self.local.is_ipv4() {
            return Err("PASV needs an IPv4 control connection".into());
        }
        self.open_data_listener()?;
        let port = self.listener_port()?;
        if ip.is_loopback() && IpAddr::V4(ip) != self.local.ip() {
            match TcpListener::bind(SocketAddr::new(IpAddr::V4(ip), port)) {
                Ok(trap) => {
                    trap.set_nonblocking(true)?;
                    if let Some(l) = self.listener.as_mut() {
                        l.trap = Some(trap);
                    }
                }
                Err(e) => self
                    .log
                    .notes
                    .push(format!("could not open trap listener on {ip}:{port}: {e}")),
            }
        }
        self.reply(&pasv_line(ip, port))
    }

    /// Waits for the client to connect to the data listener (then closes the listener). The accepted
    /// connection becomes the current data connection; its peer is logged.
    pub fn accept_data(&mut self) -> StepResult {
        let l = self
            .listener
            .take()
            .ok_or("no data listener is open: use epsv/pasv first")?;
        let deadline = Instant::now() + self.timeout;
        loop {
            match l.listener.accept() {
                Ok((stream, peer)) => {
                    stream.set_nonblocking(false)?;
                    stream.set_nodelay(true)?;
                    self.set_data(Stream::Plain(stream), peer)?;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => {
                    return Err(StepError(format!(
                        "accepting the data connection failed: {e}"
                    )));
                }
            }
            if let Some(trap) = &l.trap
                && let Ok((_, peer)) = trap.accept()
            {
                let advertised = trap.local_addr()?;
                return Err(StepError(format!(
                    "the client dialed the address advertised in 227 ({advertised}) from {peer} \
                     instead of the control peer's address"
                )));
            }
            if Instant::now() >= deadline {
                return Err(StepError(format!(
                    "timed out after {:?} waiting for the client's data connection",
                    self.timeout
                )));
            }
            thread::sleep(Duration::from_millis(2));
        }
    }

    fn set_data(&mut self, stream: Stream, peer: SocketAddr) -> StepResult {
        stream.set_timeouts(self.timeout)?;
        if let Some(old) = self.data.replace(stream) {
            old.drain_and_drop();
        }
        self.log.data_peers.push(peer);
        Ok(())
    }

    // ----- active mode -----

    /// Connects to the address of the last `PORT`/`EPRT` command received (within the step timeout).
    pub fn connect_active(&mut self) -> StepResult {
        self.connect_active_inner(None)
    }

    /// Like [`connect_active`](Self::connect_active) but from the local IP `from` (any 127.x.y.z works on
    /// Linux loopback): a client must refuse a data connection from an address other than the control peer.
    pub fn connect_active_from(&mut self, from: IpAddr) -> StepResult {
        self.connect_active_inner(Some(from))
    }

    fn connect_active_inner(&mut self, from: Option<IpAddr>) -> StepResult {
        let target = self
            .active_target
            .ok_or("no PORT/EPRT address was received (or it did not parse)")?;
        let domain = socket2::Domain::for_address(target);
        let socket = socket2::Socket::new(domain, socket2::Type::STREAM, None)?;
        if let Some(ip) = from {
            socket.bind(&SocketAddr::new(ip, 0).into())?;
        }
        socket
            .connect_timeout(&target.into(), self.timeout)
            .map_err(|e| {
                StepError(format!(
                    "connecting to the client's active address {target} failed: {e}"
                ))
            })?;
        let stream: TcpStream = socket.into();
        stream.set_nodelay(true)?;
        self.set_data(Stream::Plain(stream), target)
    }

    // ----- data connection -----

    fn data(&mut self) -> StepResult<&mut Stream> {
        self.data
            .as_mut()
            .ok_or_else(|| StepError::from("no data connection is open"))
    }

    /// Runs the server side of a TLS handshake on the data connection and records whether it resumed a
    /// session ([`Log::data_tls`]).
    pub fn start_tls_data(&mut self) -> StepResult {
        let config = self.tls_config()?;
        self.start_tls_data_with(config)
    }

    /// Like [`start_tls_data`](Self::start_tls_data) with another config (for example a clone of the
    /// script's config that sends no TLS 1.3 tickets; a clone shares the session cache and ticketer).
    pub fn start_tls_data_with(&mut self, config: Arc<ServerConfig>) -> StepResult {
        let data = self.data.take().ok_or("no data connection is open")?;
        match data.upgrade(config, &[]) {
            Ok((stream, kind)) => {
                stream.set_timeouts(self.timeout)?;
                self.data = Some(stream);
                self.log.data_tls.push(kind);
                Ok(())
            }
            Err((e, tcp)) => {
                if let Some(tcp) = tcp {
                    Stream::Plain(tcp).drain_and_drop();
                }
                Err(StepError(format!("data TLS handshake failed: {e}")))
            }
        }
    }

    /// Sends bytes on the data connection.
    pub fn data_send(&mut self, bytes: &[u8]) -> StepResult {
        let d = self.data()?;
        d.write_all(bytes)
            .and_then(|()| d.flush())
            .map_err(|e| StepError(format!("writing {} data bytes failed: {e}", bytes.len())))
    }

    /// Sends bytes on the data connection in chunks of `chunk` bytes, sleeping `delay` after each chunk
    /// but the last.
    pub fn data_send_slowly(&mut self, bytes: &[u8], chunk: usize, delay: Duration) -> StepResult {
        let mut chunks = bytes.chunks(chunk.max(1)).peekable();
        while let Some(c) = chunks.next() {
            self.data_send(c)?;
            if chunks.peek().is_some() {
                thread::sleep(delay);
            }
        }
        Ok(())
    }

    /// Reads the data connection to its end and records the bytes as an [`Upload`]. Fails if no byte
    /// arrives for the step timeout.
    pub fn data_receive(&mut self) -> StepResult<Upload> {
        let timeout = self.timeout;
        let d = self.data()?;
        let mut bytes = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        let tls = d.is_tls();
        let end = loop {
            match d.read(&mut buf) {
                Ok(0) => {
                    break if tls {
                        UploadEnd::CloseNotify
                    } else {
                        UploadEnd::Fin
                    };
                }
                Ok(n) => bytes.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && tls => {
                    break UploadEnd::UncleanTls;
                }
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break UploadEnd::Reset,
                Err(e) if is_timeout(&e) => {
                    return Err(StepError(format!(
                        "timed out after {timeout:?} waiting for upload bytes ({} received so far)",
                        bytes.len()
                    )));
                }
                Err(e) => {
                    return Err(StepError(format!(
                        "reading the upload failed after {} bytes: {e}",
                        bytes.len()
                    )));
                }
            }
        };
        let upload = Upload { bytes, end };
        self.log.uploads.push(upload.clone());
        Ok(upload)
    }

    /// Reads exactly `n` bytes of an upload and records them as a [`UploadEnd::Partial`] upload, leaving
    /// the connection open (to reset or close it mid-upload next).
    pub fn data_receive_exact(&mut self, n: usize) -> StepResult<Upload> {
        let timeout = self.timeout;
        let d = self.data()?;
        let mut bytes = vec![0u8; n];
        let mut got = 0;
        while got < n {
            match d.read(&mut bytes[got..]) {
                Ok(0) => {
                    return Err(StepError(format!(
                        "the upload ended after {got} of the {n} bytes expected"
                    )));
                }
                Ok(k) => got += k,
                Err(e) if is_timeout(&e) => {
                    return Err(StepError(format!(
                        "timed out after {timeout:?} waiting for upload bytes ({got} of {n} received)"
                    )));
                }
                Err(e) => {
                    return Err(StepError(format!(
                        "reading the upload failed after {got} of {n} bytes: {e}"
                    )));
                }
            }
        }
        let upload = Upload {
            bytes,
            end: UploadEnd::Partial,
        };
        self.log.uploads.push(upload.clone());
        Ok(upload)
    }

    /// Ends the data connection cleanly: close_notify under TLS, then FIN. The socket is kept (and drained)
    /// until the end of the script, so a late byte from the client cannot turn the close into a reset.
    /// Never fails: if the client already closed or reset the connection, a note is logged.
    pub fn data_close(&mut self) -> StepResult {
        let mut d = self.data.take().ok_or("no data connection is open")?;
        if let Err(e) = d.close_write(true) {
            // The client may have reset or closed first; that is its business, not a script failure.
            self.log
                .notes
                .push(format!("closing the data connection: {e}"));
        }
        self.closing.push(d);
        Ok(())
    }

    /// Ends the data connection with a FIN but, under TLS, without close_notify: an unclean end that a
    /// client must not take for a complete download.
    pub fn data_close_without_close_notify(&mut self) -> StepResult {
        let mut d = self.data.take().ok_or("no data connection is open")?;
        if let Err(e) = d.close_write(false) {
            self.log
                .notes
                .push(format!("closing the data connection: {e}"));
        }
        self.closing.push(d);
        Ok(())
    }

    /// Resets the data connection (SO_LINGER 0, then close). As with
    /// [`reset_control`](Self::reset_control), bytes the client has not read yet are lost.
    pub fn data_reset(&mut self) -> StepResult {
        let d = self.data.take().ok_or("no data connection is open")?;
        d.arm_reset()?;
        drop(d);
        Ok(())
    }
}

fn pasv_line(ip: Ipv4Addr, port: u16) -> String {
    let [a, b, c, d] = ip.octets();
    format!(
        "227 Entering Passive Mode ({a},{b},{c},{d},{},{}).",
        port >> 8,
        port & 0xff
    )
}

/// Parses `h1,h2,h3,h4,p1,p2`.
pub(crate) fn parse_port(arg: &str) -> Option<SocketAddr> {
    let nums: Vec<u8> = arg
        .split(',')
        .map(|s| s.trim().parse::<u8>())
        .collect::<Result<_, _>>()
        .ok()?;
    let [a, b, c, d, p1, p2] = nums[..] else {
        return None;
    };
    Some(SocketAddr::new(
        IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
        u16::from(p1) << 8 | u16::from(p2),
    ))
}

/// Parses `<d>proto<d>addr<d>port<d>` (RFC 2428).
pub(crate) fn parse_eprt(arg: &str) -> Option<SocketAddr> {
    let delim = arg.chars().next()?;
    let parts: Vec<&str> = arg.split(delim).collect();
    let [_, proto, addr, port, ""] = parts[..] else {
        return None;
    };
    let ip: IpAddr = addr.parse().ok()?;
    match (proto, ip) {
        ("1", IpAddr::V4(_)) | ("2", IpAddr::V6(_)) => {}
        _ => return None,
    }
    Some(SocketAddr::new(ip, port.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_and_eprt_parse() {
        assert_eq!(
            parse_port("127,0,0,1,4,1"),
            Some("127.0.0.1:1025".parse().unwrap())
        );
        assert_eq!(parse_port("127,0,0,1,4"), None);
        assert_eq!(
            parse_eprt("|1|127.0.0.1|2000|"),
            Some("127.0.0.1:2000".parse().unwrap())
        );
        assert_eq!(
            parse_eprt("|2|::1|2000|"),
            Some("[::1]:2000".parse().unwrap())
        );
        assert_eq!(parse_eprt("|1|::1|2000|"), None);
        assert_eq!(
            pasv_line(Ipv4Addr::new(127, 0, 0, 1), 1025),
            "227 Entering Passive Mode (127,0,0,1,4,1)."
        );
    }
}
