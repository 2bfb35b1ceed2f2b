//! The loop that drives the sans-IO session over blocking sockets: it writes what the
//! session transmits, performs its actions, keeps its events, and feeds back what the
//! sockets did. No protocol decision is made here.

use std::collections::VecDeque;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant as StdInstant};

use ftp_core::command::redact_line;
use ftp_core::config::Config;
use ftp_core::driver::{Completion, DataReady, Error, Tracker, transcript_line};
use ftp_core::session::{Action, Channel, Client as Session, Instant, Op, OpId, Output};
use ftp_core::tls::TlsSession;
use ftp_core::transfer::{DataEnd, DataFailure};

use ftp_socket::LowWater;

use crate::stream::{self, Stream};

/// How often waits that watch two sockets look at each (accepting an active-mode
/// connection, a data TLS handshake, while a reply may come instead).
const POLL_STEP: Duration = Duration::from_millis(5);

/// A data connection and the op it belongs to.
pub(crate) struct Data {
    pub(crate) op: OpId,
    pub(crate) stream: Stream,
    pub(crate) bytes: u64,
    /// The receive low-water mark of a plain download (`ftp_socket`).
    pub(crate) low_water: LowWater,
}

/// Work on a data socket that must be interleaved with reading the control connection.
enum Pending {
    /// Accept the server's active-mode connection.
    Accept(OpId),
    /// Finish the TLS handshake of the data connection.
    Handshake(OpId, Box<rustls::ClientConnection>),
}

pub(crate) struct Driver {
    pub(crate) session: Session,
    control: Option<Stream>,
    pub(crate) data: Option<Data>,
    listener: Option<(OpId, TcpListener)>,
    /// In order: an accept, then the data handshake (active mode with PROT P).
    pending: VecDeque<Pending>,
    pub(crate) tls: Option<TlsSession>,
    pub(crate) config: Config,
    epoch: StdInstant,
    control_buf: Box<[u8]>,
    pub(crate) tracker: Tracker,
    deadline: Option<Instant>,
    /// Handshake kinds of the data connections (for tests and diagnostics).
    pub(crate) data_handshakes: Vec<rustls::HandshakeKind>,
}

impl Driver {
    pub(crate) fn new(
        session: Session,
        control: TcpStream,
        tls: Option<TlsSession>,
        config: Config,
        epoch: StdInstant,
    ) -> Self {
        Driver {
            session,
            control: Some(Stream::Plain(control)),
            data: None,
            listener: None,
            pending: VecDeque::new(),
            tls,
            config,
            epoch,
            control_buf: vec![0; 16 * 1024].into_boxed_slice(),
            tracker: Tracker::default(),
            deadline: None,
            data_handshakes: Vec::new(),
        }
    }

    pub(crate) fn now(&self) -> Instant {
        Instant::from_duration(self.epoch.elapsed())
    }

    pub(crate) fn submit(&mut self, op: Op<'_>) -> Result<OpId, Error> {
        self.session
            .submit(op)
            .map_err(|e| self.tracker.submit_error(e))
    }

    /// Runs `op` to its end.
    pub(crate) fn run(&mut self, op: Op<'_>) -> Result<Completion, Error> {
        let id = self.submit(op)?;
        self.wait_for(id)
    }

    /// Drives the session until no op is queued or running (see
    /// `session::Client::is_settled`).
    pub(crate) fn settle(&mut self) -> Result<(), Error> {
        loop {
            self.drain()?;
            if self.session.is_settled() || self.session.is_closed() {
                return Ok(());
            }
            self.wait()?;
        }
    }

    /// Drives the session until `op` ended.
    pub(crate) fn wait_for(&mut self, op: OpId) -> Result<Completion, Error> {
        loop {
            self.drain()?;
            if let Some(outcome) = self.tracker.take_outcome(op) {
                return self.tracker.result(outcome);
            }
            self.wait()?;
        }
    }

    /// Drives the session until the data channel of `op` is ready, or `op` ended.
    pub(crate) fn wait_ready(&mut self, op: OpId) -> Result<DataReady, Error> {
        loop {
            self.drain()?;
            if let Some(ready) = self.tracker.take_ready(op) {
                self.prepare_data()?;
                return Ok(ready);
            }
            if let Some(outcome) = self.tracker.take_outcome(op) {
                // Ended without data: refused or failed (a success here would be a
                // transfer without a data channel, which the session never reports).
                self.tracker.result(outcome)?;
                return Err(Error::Closed(None));
            }
            self.wait()?;
        }
    }

    /// Sets the data socket's timeouts for the transfer: reads wake up for the idle
    /// timeout and keepalive NOOPs.
    fn prepare_data(&mut self) -> Result<(), Error> {
        let session = self.config.session();
        let wake = match (session.data_idle_timeout, session.keepalive_interval) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(data) = &self.data {
            data.stream.tcp().set_read_timeout(wake)?;
            data.stream.tcp().set_write_timeout(wake)?;
        }
        Ok(())
    }

    /// Calls the session's timer if its deadline passed (keepalive NOOPs, idle data).
    pub(crate) fn tick(&mut self) -> Result<(), Error> {
        let now = self.now();
        if self.deadline.is_some_and(|d| d <= now) {
            self.session.handle_timeout(now);
            self.drain()?;
        }
        Ok(())
    }

    /// Hands out everything the session has to say, performing it.
    pub(crate) fn drain(&mut self) -> Result<(), Error> {
        loop {
            let now = self.now();
            match self.session.poll_output(now) {
                Output::Transmit(bytes) => {
                    tracing::debug!(target: "ftp::transcript", "> {}", redact_line(bytes));
                    let written = match self.control.as_mut() {
                        Some(control) => control.write_all(bytes).and_then(|()| control.flush()),
                        None => Err(io::Error::from(ErrorKind::NotConnected)),
                    };
                    if let Err(e) = written {
                        tracing::debug!(target: "ftp::transcript", "control write failed: {e}");
                        self.session.handle_control_eof(now);
                    }
                }
                Output::Action(action) => self.act(action)?,
                Output::Event(event) => {
                    if let Some(line) = transcript_line(&event) {
                        tracing::debug!(target: "ftp::transcript", "{line}");
                    }
                    self.tracker.record(&event);
                }
                Output::Wait(deadline) => {
                    self.deadline = deadline;
                    return Ok(());
                }
            }
        }
    }

    fn act(&mut self, action: Action) -> Result<(), Error> {
        let now = self.now();
        let timeout = self.config.session().data_timeout;
        match action {
            Action::ConnectData { op, addr } => {
                match stream::connect(addr, self.config.get_source_ip(), timeout) {
                    Ok(sock) => {
                        let peer = sock.peer_addr().unwrap_or(addr);
                        self.data = Some(Data {
                            op,
                            stream: Stream::Plain(sock),
                            bytes: 0,
                            low_water: LowWater::new(),
                        });
                        self.session.handle_data_connected(op, peer, self.now());
                    }
                    Err(e) => {
                        tracing::debug!(target: "ftp::transcript", "data connect to {addr} failed: {e}");
                        let failure = if e.kind() == ErrorKind::TimedOut {
                            DataFailure::Timeout
                        } else {
                            DataFailure::Connect
                        };
                        self.session.handle_data_failed(op, failure, now)
                    }
                }
            }
            Action::ListenData { op, ip, ports } => match listen(ip, ports) {
                Ok(listener) => {
                    let addr = listener.local_addr()?;
                    listener.set_nonblocking(true)?;
                    self.listener = Some((op, listener));
                    self.session.handle_data_listening(op, addr, now);
                }
                Err(_) => self
                    .session
                    .handle_data_failed(op, DataFailure::Listen, now),
            },
            Action::AcceptData { op } => self.pending.push_back(Pending::Accept(op)),
            Action::StartTls {
                channel: Channel::Control,
            } => {
                let result = match (self.control.take(), &self.tls) {
                    (Some(control), Some(tls)) => {
                        control.start_tls(tls, self.config.session().reply_timeout)
                    }
                    _ => Err(io::Error::other("no TLS configured")),
                };
                match result {
                    Ok(stream) => {
                        if let (Some(tls), crate::stream::Stream::Tls(s)) = (&self.tls, &stream) {
                            tls.set_control_version(s.conn.protocol_version());
                        }
                        self.control = Some(stream);
                        self.session.handle_tls_ready(Channel::Control, self.now());
                    }
                    Err(e) => {
                        tracing::debug!(target: "ftp::transcript", "control TLS handshake failed: {e}");
                        self.tracker.set_tls_failure(e);
                        self.session.handle_tls_failed(self.now());
                    }
                }
            }
            Action::StartTls {
                channel: Channel::Data(op),
            } => {
                if let Some(tls) = &self.tls {
                    tracing::debug!(target: "ftp::transcript", "data TLS: {} TLS 1.3 tickets stored", tls.tls13_tickets());
                }
                // After the accept in active mode (the data connection is made then).
                match self.tls.as_ref().map(TlsSession::connection) {
                    Some(Ok(conn)) => self
                        .pending
                        .push_back(Pending::Handshake(op, Box::new(conn))),
                    _ => self.session.handle_data_failed(op, DataFailure::Tls, now),
                }
            }
            Action::StopControlTls => {
                if let Some(control) = self.control.take() {
                    match control.stop_tls(self.config.session().reply_timeout) {
                        Ok(plain) => self.control = Some(plain),
                        Err(_) => self.session.handle_control_eof(self.now()),
                    }
                }
            }
            Action::ShutdownData { op } => {
                let end = match self.data.take() {
                    Some(mut data) if data.op == op => {
                        let clean = data.stream.finish_upload(timeout);
                        DataEnd {
                            bytes: data.bytes,
                            clean,
                        }
                    }
                    other => {
                        self.data = other;
                        DataEnd {
                            bytes: 0,
                            clean: false,
                        }
                    }
                };
                self.session.handle_data_end(op, end, self.now());
            }
            Action::CloseData { op } | Action::DrainData { op, .. } => {
                if let Some(mut data) = self.data.take_if(|d| d.op == op) {
                    match action {
                        Action::DrainData {
                            max_bytes,
                            max_wait,
                            ..
                        } => data.stream.drain_until_closed(max_bytes, max_wait),
                        _ => data.stream.drain_tls_close(),
                    }
                }
                // What is still being set up for `op` goes too.
                if self.listener.as_ref().is_some_and(|(id, _)| *id == op) {
                    self.listener = None;
                }
                self.pending.retain(
                    |p| !matches!(p, Pending::Accept(id) | Pending::Handshake(id, _) if *id == op),
                );
            }
            Action::CloseControl => {
                if let Some(control) = self.control.take() {
                    let _ = control.tcp().shutdown(std::net::Shutdown::Both);
                }
                self.data = None;
                self.listener = None;
                self.pending.clear();
            }
            _ => {}
        }
        Ok(())
    }

    /// Waits for something to happen: control bytes, a pending data-socket step, or the
    /// session's deadline; feeds it to the session.
    pub(crate) fn wait(&mut self) -> Result<(), Error> {
        self.wait_at_most(Duration::from_secs(3600))
    }

    /// [`wait`](Self::wait), for at most `cap`.
    pub(crate) fn wait_at_most(&mut self, cap: Duration) -> Result<(), Error> {
        if self.control.is_none() {
            return Err(self.closed_error());
        }
        let now = self.now();
        let until_deadline = match self.deadline {
            Some(d) if d <= now => {
                self.session.handle_timeout(now);
                return Ok(());
            }
            Some(d) => (d.as_duration() - now.as_duration()).min(cap),
            None => cap,
        };
        let wait = if !self.pending.is_empty() {
            if self.step_pending()? {
                return Ok(());
            }
            until_deadline.min(POLL_STEP)
        } else {
            until_deadline
        };
        self.read_control(wait)
    }

    /// Reads the control connection for at most `wait`.
    fn read_control(&mut self, wait: Duration) -> Result<(), Error> {
        let Some(control) = self.control.as_mut() else {
            return Ok(());
        };
        control
            .tcp()
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
        let result = control.read(&mut self.control_buf);
        let now = self.now();
        match result {
            Ok(0) => self.session.handle_control_eof(now),
            Ok(n) => self
                .session
                .handle_control_data(&self.control_buf[..n], now),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if self.deadline.is_some_and(|d| d <= now) {
                    self.session.handle_timeout(now);
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                tracing::debug!(target: "ftp::transcript", "control read failed: {e}");
                self.session.handle_control_eof(now);
            }
        }
        Ok(())
    }

    /// Steps of the pending data-socket work; true when one finished (success or not).
    fn step_pending(&mut self) -> Result<bool, Error> {
        let now = self.now();
        match self.pending.pop_front() {
            Some(Pending::Accept(op)) => {
                let Some((_, listener)) = self.listener.as_ref() else {
                    return Ok(true);
                };
                match listener.accept() {
                    Ok((sock, peer)) => {
                        sock.set_nonblocking(false)?;
                        stream::no_delay(&sock);
                        self.listener = None;
                        self.data = Some(Data {
                            op,
                            stream: Stream::Plain(sock),
                            bytes: 0,
                            low_water: LowWater::new(),
                        });
                        self.session.handle_data_connected(op, peer, now);
                        Ok(true)
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        self.pending.push_front(Pending::Accept(op));
                        Ok(false)
                    }
                    Err(_) => {
                        self.listener = None;
                        self.session
                            .handle_data_failed(op, DataFailure::Accept, now);
                        Ok(true)
                    }
                }
            }
            Some(Pending::Handshake(op, mut conn)) => {
                let Some(data) = self.data.as_mut().filter(|d| d.op == op) else {
                    return Ok(true);
                };
                let Stream::Plain(sock) = &mut data.stream else {
                    return Ok(true);
                };
                sock.set_read_timeout(Some(POLL_STEP))?;
                let mut failed = false;
                while conn.is_handshaking() {
                    match conn.complete_io(sock) {
                        Ok(_) => {}
                        Err(e)
                            if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                        {
                            break;
                        }
                        Err(e) => {
                            tracing::debug!(target: "ftp::transcript", "data TLS handshake failed: {e}");
                            failed = true;
                            break;
                        }
                    }
                }
                if failed {
                    self.data = None;
                    self.session.handle_data_failed(op, DataFailure::Tls, now);
                    return Ok(true);
                }
                if conn.is_handshaking() {
                    self.pending.push_front(Pending::Handshake(op, conn));
                    return Ok(false);
                }
                if let Some(kind) = conn.handshake_kind() {
                    tracing::debug!(target: "ftp::transcript", "data TLS handshake: {kind:?}");
                    self.data_handshakes.push(kind);
                }
                let Some(data) = self.data.take() else {
                    return Ok(true);
                };
                let Stream::Plain(sock) = data.stream else {
                    return Ok(true);
                };
                self.data = Some(Data {
                    stream: Stream::Tls(Box::new(rustls::StreamOwned::new(*conn, sock))),
                    ..data
                });
                self.session.handle_tls_ready(Channel::Data(op), now);
                Ok(true)
            }
            None => Ok(true),
        }
    }

    /// The error of a closed session: the TLS failure or the session's reason.
    pub(crate) fn closed_error(&mut self) -> Error {
        self.tracker.closed_error()
    }

    /// Whether the control connection is still open.
    pub(crate) fn is_open(&self) -> bool {
        self.control.is_some() && self.tracker.closed().is_none()
    }

    /// Closes both connections without QUIT.
    pub(crate) fn close(&mut self) {
        self.data = None;
        self.listener = None;
        self.pending.clear();
        if let Some(control) = self.control.take() {
            let _ = control.tcp().shutdown(std::net::Shutdown::Both);
        }
    }

    /// Whether the control connection runs TLS.
    pub(crate) fn control_is_tls(&self) -> bool {
        self.control.as_ref().is_some_and(Stream::is_tls)
    }
}

/// Binds a listener on `ip`, on a port of `ports` if given.
fn listen(ip: std::net::IpAddr, ports: Option<(u16, u16)>) -> io::Result<TcpListener> {
    let mut last_error = io::Error::from(ErrorKind::AddrInUse);
    for addr in ftp_core::transfer::listen_addrs(ip, ports) {
        match TcpListener::bind(addr) {
            Ok(l) => return Ok(l),
            Err(e) => last_error = e,
        }
    }
    Err(last_error)
}
