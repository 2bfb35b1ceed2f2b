//! The poll-based driver of the sans-IO session over tokio sockets. Every piece of I/O
//! state lives in [`Driver`] (the control stream, the bytes still to write, the data
//! connection, the futures of connects, accepts, handshakes and data ends, the timer), so
//! a future that polls it can be dropped at any await point and the driver stays
//! consistent: what was started goes on the next time anything polls it. No protocol
//! decision is made here.

use std::collections::VecDeque;
use std::io::{self, ErrorKind};
use std::pin::Pin;
use std::task::{Context, Poll};

use ftp_core::command::redact_line;
use ftp_core::config::Config;
use ftp_core::driver::{Completion, DataReady, Error, Tracker, transcript_line};
use ftp_core::session::{Action, Channel, Client as Session, Instant, Op, OpId, OpKind, Output};
use ftp_core::tls::TlsSession;
use ftp_core::transfer::{DataEnd, DataFailure, listen_addrs};
use ftp_socket::LowWater;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;

use crate::stream::{self, Stream, Task};

/// A data connection and the op it belongs to.
pub(crate) struct Data {
    pub(crate) op: OpId,
    pub(crate) stream: Stream,
    pub(crate) bytes: u64,
    /// The receive low-water mark of a plain download (`ftp_socket`).
    pub(crate) low_water: LowWater,
}

/// The control connection.
enum Control {
    Ready(Stream),
    /// TLS starting (AUTH TLS, implicit FTPS) or stopping (CCC).
    Switching(Task<io::Result<Stream>>, bool),
    /// Gone: closed, failed, or read to EOF.
    Gone,
}

/// Work on data sockets, done in order (an accept, then the data handshake).
enum DataTask {
    Connect(OpId, Task<io::Result<TcpStream>>),
    Accept(OpId),
    /// Start the data handshake once the connection of `op` is there.
    StartTls(OpId),
    Handshake(
        OpId,
        Task<io::Result<tokio_rustls::client::TlsStream<TcpStream>>>,
    ),
}

impl DataTask {
    fn op(&self) -> OpId {
        match self {
            DataTask::Connect(op, _)
            | DataTask::Accept(op)
            | DataTask::StartTls(op)
            | DataTask::Handshake(op, _) => *op,
        }
    }
}

/// The end of a data connection in progress: an upload's shutdown (reported to the
/// session when done) or a download's close_notify (not reported).
struct Ending {
    report: Option<(OpId, u64)>,
    task: Task<bool>,
}

pub(crate) struct Driver {
    pub(crate) session: Session,
    control: Control,
    /// Control bytes not yet written, from `out_pos` on.
    out: Vec<u8>,
    out_pos: usize,
    flush_needed: bool,
    /// A TLS switch of the control connection waiting for `out` to be written first.
    control_switch: Option<bool>,
    control_buf: Box<[u8]>,
    pub(crate) data: Option<Data>,
    listener: Option<(OpId, TcpListener)>,
    tasks: VecDeque<DataTask>,
    endings: Vec<Ending>,
    pub(crate) tls: Option<TlsSession>,
    pub(crate) config: Config,
    epoch: tokio::time::Instant,
    pub(crate) tracker: Tracker,
    deadline: Option<Instant>,
    sleep: Pin<Box<Sleep>>,
    sleep_armed: Option<tokio::time::Instant>,
    /// The op a caller is waiting for; still set on the next call when that caller's
    /// future was dropped.
    waiting: Option<(OpId, OpKind)>,
    /// Ops nobody waits for any more: their outcomes are discarded.
    orphans: Vec<OpId>,
    /// The QUIT on the wire, if any.
    pub(crate) quit: Option<OpId>,
    /// Handshake kinds of the data connections (for tests and diagnostics).
    pub(crate) data_handshakes: Vec<rustls::HandshakeKind>,
}

impl Driver {
    pub(crate) fn new(
        session: Session,
        control: TcpStream,
        tls: Option<TlsSession>,
        config: Config,
        epoch: tokio::time::Instant,
    ) -> Self {
        Driver {
            session,
            control: Control::Ready(Stream::Plain(control)),
            out: Vec::new(),
            out_pos: 0,
            flush_needed: false,
            control_switch: None,
            control_buf: vec![0; 16 * 1024].into_boxed_slice(),
            data: None,
            listener: None,
            tasks: VecDeque::new(),
            endings: Vec::new(),
            tls,
            config,
            epoch,
            tracker: Tracker::default(),
            deadline: None,
            sleep: Box::pin(tokio::time::sleep_until(epoch)),
            sleep_armed: None,
            waiting: None,
            orphans: Vec::new(),
            quit: None,
            data_handshakes: Vec::new(),
        }
    }

    pub(crate) fn now(&self) -> Instant {
        Instant::from_duration(self.epoch.elapsed())
    }

    /// Submits `op`, after settling what a dropped earlier call left behind.
    pub(crate) fn submit(&mut self, op: Op<'_>) -> Result<OpId, Error> {
        self.reap();
        let kind = op.kind();
        let id = self
            .session
            .submit(op)
            .map_err(|e| self.tracker.submit_error(e))?;
        if kind == OpKind::Quit {
            self.quit = Some(id);
        }
        self.waiting = Some((id, kind));
        Ok(id)
    }

    /// The caller of the op it waited for went away (its future was dropped): a transfer
    /// is aborted, any op's outcome is discarded when it comes.
    pub(crate) fn reap(&mut self) {
        if let Some((op, kind)) = self.waiting.take() {
            if kind.is_transfer() {
                self.abandon_transfer(op);
            } else {
                self.orphan(op);
            }
        }
    }

    /// Discards the outcome of `op` now or when it comes.
    pub(crate) fn orphan(&mut self, op: OpId) {
        if self.tracker.take_outcome(op).is_none() {
            self.orphans.push(op);
        }
        let _ = self.tracker.take_ready(op);
    }

    /// Aborts a transfer nobody reads or writes any more (ABOR, in the background) and
    /// discards its outcome.
    pub(crate) fn abandon_transfer(&mut self, op: OpId) {
        // Retired now (a TLS stream is read briefly in the background), not left for the
        // session's `DrainData`: ABOR goes out only with the next call, and a download
        // nobody reads until then stalls the server's writes (the TLS cancellation test
        // took 13 s instead of 1 that way).
        self.retire_data(op);
        if self.tracker.take_outcome(op).is_none() {
            let _ = self.session.abort(op);
            self.orphans.push(op);
        }
        let _ = self.tracker.take_ready(op);
    }

    /// The op the caller waited for ended (or handed over its data): nothing to reap.
    fn done_waiting(&mut self, op: OpId) {
        if self.waiting.is_some_and(|(id, _)| id == op) {
            self.waiting = None;
        }
    }

    /// Drives the session until `op` ended.
    pub(crate) async fn wait_for(&mut self, op: OpId) -> Result<Completion, Error> {
        std::future::poll_fn(|cx| self.poll_outcome(cx, op)).await
    }

    /// Runs `op` to its end.
    pub(crate) async fn run(&mut self, op: Op<'_>) -> Result<Completion, Error> {
        let id = self.submit(op)?;
        self.wait_for(id).await
    }

    /// Drives the session until the data channel of `op` is ready, or `op` ended.
    pub(crate) async fn wait_ready(&mut self, op: OpId) -> Result<DataReady, Error> {
        std::future::poll_fn(|cx| {
            self.poll_until(cx, |d| {
                if let Some(ready) = d.tracker.take_ready(op) {
                    d.done_waiting(op);
                    return Some(Ok(ready));
                }
                let outcome = d.tracker.take_outcome(op)?;
                d.done_waiting(op);
                // Ended without data: refused or failed (a success here would be a
                // transfer without a data channel, which the session never reports).
                Some(d.tracker.result(outcome).and(Err(Error::Closed(None))))
            })
        })
        .await
    }

    /// Polls until `op` ended.
    pub(crate) fn poll_outcome(
        &mut self,
        cx: &mut Context<'_>,
        op: OpId,
    ) -> Poll<Result<Completion, Error>> {
        self.poll_until(cx, |d| {
            let outcome = d.tracker.take_outcome(op)?;
            d.done_waiting(op);
            Some(d.tracker.result(outcome))
        })
    }

    /// Drives everything until `check` has an answer.
    pub(crate) fn poll_until<T>(
        &mut self,
        cx: &mut Context<'_>,
        mut check: impl FnMut(&mut Self) -> Option<Result<T, Error>>,
    ) -> Poll<Result<T, Error>> {
        loop {
            self.drain();
            if let Some(result) = check(self) {
                return Poll::Ready(result);
            }
            if matches!(self.control, Control::Gone) {
                return Poll::Ready(Err(self.tracker.closed_error()));
            }
            if self.poll_io(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }

    /// Lets the session and the sockets move on without waiting (while a transfer runs:
    /// control replies, keepalive NOOPs, the idle timeout). Registers the wakers.
    pub(crate) fn poll_background(&mut self, cx: &mut Context<'_>) {
        loop {
            self.drain();
            if self.poll_io(cx).is_pending() {
                return;
            }
        }
    }

    /// Hands out everything the session has to say, performing it.
    pub(crate) fn drain(&mut self) {
        loop {
            // While the control connection switches (CCC: TLS off), what the session says
            // next must wait: it goes out in the clear once the switch is done.
            if self.control_switch == Some(false)
                || matches!(self.control, Control::Switching(_, false))
            {
                break;
            }
            let now = self.now();
            match self.session.poll_output(now) {
                Output::Transmit(bytes) => {
                    tracing::debug!(target: "ftp::transcript", "> {}", redact_line(bytes));
                    if matches!(self.control, Control::Gone) {
                        self.session.handle_control_eof(now);
                    } else {
                        self.out.extend_from_slice(bytes);
                    }
                }
                Output::Action(action) => self.act(action),
                Output::Event(event) => {
                    if let Some(line) = transcript_line(&event) {
                        tracing::debug!(target: "ftp::transcript", "{line}");
                    }
                    self.tracker.record(&event);
                }
                Output::Wait(deadline) => {
                    self.deadline = deadline;
                    break;
                }
            }
        }
        if !self.orphans.is_empty() {
            let tracker = &mut self.tracker;
            self.orphans
                .retain(|op| tracker.take_outcome(*op).is_none() && tracker.closed().is_none());
        }
    }

    fn act(&mut self, action: Action) {
        let now = self.now();
        let timeout = self.config.session().data_timeout;
        match action {
            Action::ConnectData { op, addr } => {
                let source = self.config.get_source_ip();
                self.tasks.push_back(DataTask::Connect(
                    op,
                    Task::new(stream::connect(addr, source, timeout)),
                ));
            }
            Action::ListenData { op, ip, ports } => match listen(ip, ports) {
                Ok((listener, addr)) => {
                    self.listener = Some((op, listener));
                    self.session.handle_data_listening(op, addr, now);
                }
                Err(e) => {
                    tracing::debug!(target: "ftp::transcript", "listening on {ip} failed: {e}");
                    self.session
                        .handle_data_failed(op, DataFailure::Listen, now)
                }
            },
            Action::AcceptData { op } => self.tasks.push_back(DataTask::Accept(op)),
            Action::StartTls {
                channel: Channel::Control,
            } => self.control_switch = Some(true),
            Action::StartTls {
                channel: Channel::Data(op),
            } => {
                if self.tls.is_some() {
                    self.tasks.push_back(DataTask::StartTls(op));
                } else {
                    self.session.handle_data_failed(op, DataFailure::Tls, now);
                }
            }
            Action::StopControlTls => self.control_switch = Some(false),
            Action::ShutdownData { op } => match self.data.take() {
                Some(data) if data.op == op => self.endings.push(Ending {
                    report: Some((op, data.bytes)),
                    task: Task::new(stream::finish_upload(data.stream, timeout)),
                }),
                other => {
                    self.data = other;
                    let end = DataEnd {
                        bytes: 0,
                        clean: false,
                    };
                    self.session.handle_data_end(op, end, now);
                }
            },
            Action::CloseData { op } | Action::DrainData { op, .. } => {
                // Drained: read to its end in the background. Either way, what is still
                // being set up for `op` (listener, accept, handshake) goes as below.
                if let Action::DrainData {
                    max_bytes,
                    max_wait,
                    ..
                } = action
                    && let Some(data) = self.data.take_if(|d| d.op == op)
                {
                    self.endings.push(Ending {
                        report: None,
                        task: Task::new(stream::drain(data.stream, max_bytes, max_wait)),
                    });
                }
                self.retire_data(op);
                if self.listener.as_ref().is_some_and(|(id, _)| *id == op) {
                    self.listener = None;
                }
                for task in std::mem::take(&mut self.tasks) {
                    match task {
                        // A data handshake under way finishes in the background, so its
                        // session tickets are not lost (see `stream::discard`).
                        DataTask::Handshake(id, handshake) if id == op => {
                            self.endings.push(Ending {
                                report: None,
                                task: Task::new(async move {
                                    match tokio::time::timeout(timeout, handshake).await {
                                        Ok(Ok(tls)) => {
                                            stream::discard(Stream::Tls(Box::new(tls)), timeout)
                                                .await
                                        }
                                        _ => false,
                                    }
                                }),
                            })
                        }
                        task if task.op() == op => {}
                        task => self.tasks.push_back(task),
                    }
                }
                self.endings
                    .retain(|e| e.report.is_none_or(|(id, _)| id != op));
            }
            Action::CloseControl => self.close(),
            _ => {}
        }
    }

    /// One round over every source of progress; `Ready` if anything moved (poll again),
    /// `Pending` with every waker registered otherwise.
    fn poll_io(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut moved = self.poll_control_write(cx);
        moved |= self.poll_control_switch(cx);
        moved |= self.poll_control_read(cx);
        moved |= self.poll_tasks(cx);
        moved |= self.poll_endings(cx);
        moved |= self.poll_timer(cx);
        if moved {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    fn poll_control_write(&mut self, cx: &mut Context<'_>) -> bool {
        let Control::Ready(control) = &mut self.control else {
            return false;
        };
        let mut moved = false;
        let mut failed = None;
        while self.out_pos < self.out.len() {
            match Pin::new(&mut *control).poll_write(cx, &self.out[self.out_pos..]) {
                Poll::Ready(Ok(0)) => {
                    failed = Some(io::Error::from(ErrorKind::WriteZero));
                    break;
                }
                Poll::Ready(Ok(n)) => {
                    self.out_pos += n;
                    self.flush_needed = true;
                    moved = true;
                }
                Poll::Ready(Err(e)) => {
                    failed = Some(e);
                    break;
                }
                Poll::Pending => return moved,
            }
        }
        if failed.is_none() {
            self.out.clear();
            self.out_pos = 0;
            if self.flush_needed {
                match Pin::new(&mut *control).poll_flush(cx) {
                    Poll::Ready(Ok(())) => {
                        self.flush_needed = false;
                        moved = true;
                    }
                    Poll::Ready(Err(e)) => failed = Some(e),
                    Poll::Pending => {}
                }
            }
        }
        if let Some(e) = failed {
            tracing::debug!(target: "ftp::transcript", "control write failed: {e}");
            self.lose_control();
            moved = true;
        }
        moved
    }

    /// The control connection failed: tell the session, stop using it.
    fn lose_control(&mut self) {
        self.control = Control::Gone;
        self.out.clear();
        self.out_pos = 0;
        self.flush_needed = false;
        let now = self.now();
        self.session.handle_control_eof(now);
    }

    fn poll_control_switch(&mut self, cx: &mut Context<'_>) -> bool {
        if let Some(start) = self.control_switch
            && self.out.is_empty()
            && !self.flush_needed
            && matches!(self.control, Control::Ready(_))
        {
            self.control_switch = None;
            let Control::Ready(stream) = std::mem::replace(&mut self.control, Control::Gone) else {
                return false;
            };
            let timeout = self.config.session().reply_timeout;
            let task = match (start, stream, self.tls.clone()) {
                (true, Stream::Plain(sock), Some(tls)) => Task::new(async move {
                    Ok(Stream::Tls(Box::new(
                        stream::start_tls(sock, &tls, timeout).await?,
                    )))
                }),
                (true, _, _) => Task::new(async { Err(io::Error::other("no TLS configured")) }),
                (false, stream, _) => Task::new(stream::stop_tls(stream, timeout)),
            };
            self.control = Control::Switching(task, start);
            return true;
        }
        let Control::Switching(task, start) = &mut self.control else {
            return false;
        };
        let start = *start;
        let Poll::Ready(result) = task.poll(cx) else {
            return false;
        };
        let now = self.now();
        match result {
            Ok(stream) => {
                if let (Some(tls), crate::stream::Stream::Tls(s)) = (&self.tls, &stream) {
                    tls.set_control_version(s.get_ref().1.protocol_version());
                }
                self.control = Control::Ready(stream);
                if start {
                    self.session.handle_tls_ready(Channel::Control, now);
                }
            }
            Err(e) if start => {
                tracing::debug!(target: "ftp::transcript", "control TLS handshake failed: {e}");
                self.control = Control::Gone;
                self.tracker.set_tls_failure(e);
                self.session.handle_tls_failed(now);
            }
            Err(e) => {
                tracing::debug!(target: "ftp::transcript", "ending control TLS failed: {e}");
                self.lose_control();
            }
        }
        true
    }

    fn poll_control_read(&mut self, cx: &mut Context<'_>) -> bool {
        let Control::Ready(control) = &mut self.control else {
            return false;
        };
        let mut buf = ReadBuf::new(&mut self.control_buf);
        match Pin::new(control).poll_read(cx, &mut buf) {
            Poll::Pending => false,
            Poll::Ready(Ok(())) if !buf.filled().is_empty() => {
                let now = Instant::from_duration(self.epoch.elapsed());
                self.session.handle_control_data(buf.filled(), now);
                true
            }
            Poll::Ready(Ok(())) => {
                self.lose_control();
                true
            }
            Poll::Ready(Err(e)) if e.kind() == ErrorKind::Interrupted => true,
            Poll::Ready(Err(e)) => {
                tracing::debug!(target: "ftp::transcript", "control read failed: {e}");
                self.lose_control();
                true
            }
        }
    }

    fn poll_tasks(&mut self, cx: &mut Context<'_>) -> bool {
        let now = self.now();
        let Some(task) = self.tasks.front_mut() else {
            return false;
        };
        match task {
            DataTask::Connect(op, connecting) => {
                let op = *op;
                let Poll::Ready(result) = connecting.poll(cx) else {
                    return false;
                };
                self.tasks.pop_front();
                match result.and_then(|sock| Ok((sock.peer_addr()?, sock))) {
                    Ok((peer, sock)) => {
                        self.data = Some(Data {
                            op,
                            stream: Stream::Plain(sock),
                            bytes: 0,
                            low_water: LowWater::new(),
                        });
                        self.session.handle_data_connected(op, peer, now);
                    }
                    Err(e) => {
                        tracing::debug!(target: "ftp::transcript", "data connect failed: {e}");
                        let failure = if e.kind() == ErrorKind::TimedOut {
                            DataFailure::Timeout
                        } else {
                            DataFailure::Connect
                        };
                        self.session.handle_data_failed(op, failure, now);
                    }
                }
            }
            DataTask::Accept(op) => {
                let op = *op;
                let Some((_, listener)) = self.listener.as_ref() else {
                    self.tasks.pop_front();
                    return true;
                };
                let Poll::Ready(result) = listener.poll_accept(cx) else {
                    return false;
                };
                self.tasks.pop_front();
                self.listener = None;
                match result {
                    Ok((sock, peer)) => {
                        let _ = sock.set_nodelay(true);
                        self.data = Some(Data {
                            op,
                            stream: Stream::Plain(sock),
                            bytes: 0,
                            low_water: LowWater::new(),
                        });
                        self.session.handle_data_connected(op, peer, now);
                    }
                    Err(_) => self
                        .session
                        .handle_data_failed(op, DataFailure::Accept, now),
                }
            }
            DataTask::StartTls(op) => {
                let op = *op;
                self.tasks.pop_front();
                // Built now, after the transfer command went out (and a reply was read
                // since the control handshake), so it resumes the control session.
                match (self.data.take(), self.tls.clone()) {
                    (
                        Some(Data {
                            stream: Stream::Plain(sock),
                            op: id,
                            ..
                        }),
                        Some(tls),
                    ) if id == op => {
                        let timeout = self.config.session().data_timeout;
                        self.tasks.push_front(DataTask::Handshake(
                            op,
                            Task::new(async move { stream::start_tls(sock, &tls, timeout).await }),
                        ));
                    }
                    (other, _) => {
                        self.data = other;
                        self.session.handle_data_failed(op, DataFailure::Tls, now);
                    }
                }
            }
            DataTask::Handshake(op, handshake) => {
                let op = *op;
                let Poll::Ready(result) = handshake.poll(cx) else {
                    return false;
                };
                self.tasks.pop_front();
                match result {
                    Ok(tls) => {
                        if let Some(kind) = tls.get_ref().1.handshake_kind() {
                            self.data_handshakes.push(kind);
                        }
                        self.data = Some(Data {
                            op,
                            stream: Stream::Tls(Box::new(tls)),
                            bytes: 0,
                            low_water: LowWater::new(),
                        });
                        self.session.handle_tls_ready(Channel::Data(op), now);
                    }
                    Err(e) => {
                        tracing::debug!(target: "ftp::transcript", "data TLS handshake failed: {e}");
                        self.session.handle_data_failed(op, DataFailure::Tls, now);
                    }
                }
            }
        }
        true
    }

    fn poll_endings(&mut self, cx: &mut Context<'_>) -> bool {
        let mut moved = false;
        let mut i = 0;
        while i < self.endings.len() {
            if let Poll::Ready(clean) = self.endings[i].task.poll(cx) {
                let ending = self.endings.swap_remove(i);
                if let Some((op, bytes)) = ending.report {
                    let now = self.now();
                    self.session
                        .handle_data_end(op, DataEnd { bytes, clean }, now);
                }
                moved = true;
            } else {
                i += 1;
            }
        }
        moved
    }

    fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(deadline) = self.deadline else {
            self.sleep_armed = None;
            return false;
        };
        let when = self.epoch + deadline.as_duration();
        if self.sleep_armed != Some(when) {
            self.sleep.as_mut().reset(when);
            self.sleep_armed = Some(when);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.sleep_armed = None;
            let now = self.now();
            // Bytes queued below a download's low-water mark are activity, not idleness:
            // release them to the reader before the session judges the data connection.
            if let Some(data) = self.data.as_mut()
                && let Stream::Plain(tcp) = &data.stream
                && data.low_water.release_if_waiting(tcp.into())
            {
                self.session.handle_data_activity(data.op, now);
            }
            self.session.handle_timeout(now);
            return true;
        }
        false
    }

    /// A download reached EOF (`clean`: the TLS close_notify came, or plain FIN): report
    /// it and answer with our close_notify in the background.
    pub(crate) fn end_download(&mut self, op: OpId, clean: bool) {
        let Some(data) = self.data.take_if(|d| d.op == op) else {
            return;
        };
        let timeout = self.config.session().data_timeout;
        self.endings.push(Ending {
            report: None,
            task: Task::new(stream::close_download(data.stream, timeout)),
        });
        let now = self.now();
        self.session.handle_data_end(
            op,
            DataEnd {
                bytes: data.bytes,
                clean,
            },
            now,
        );
    }

    /// Closes the data connection of `op`, if it is there; under TLS it is read to its
    /// end in the background first (see `stream::discard`).
    pub(crate) fn retire_data(&mut self, op: OpId) {
        if let Some(data) = self.data.take_if(|d| d.op == op)
            && data.stream.is_tls()
        {
            let timeout = self.config.session().data_timeout;
            self.endings.push(Ending {
                report: None,
                task: Task::new(stream::discard(data.stream, timeout)),
            });
        }
    }

    /// The data connection of `op` broke.
    pub(crate) fn data_broken(&mut self, op: OpId) {
        self.data.take_if(|d| d.op == op);
        let now = self.now();
        self.session
            .handle_data_failed(op, DataFailure::Broken, now);
    }

    /// Whether the data connection of `op` is there.
    pub(crate) fn has_data(&self, op: OpId) -> bool {
        self.data.as_ref().is_some_and(|d| d.op == op)
    }

    /// Whether the control connection is still open.
    pub(crate) fn is_open(&self) -> bool {
        !matches!(self.control, Control::Gone) && self.tracker.closed().is_none()
    }

    /// Closes both connections without QUIT.
    pub(crate) fn close(&mut self) {
        self.control = Control::Gone;
        self.data = None;
        self.listener = None;
        self.tasks.clear();
        self.endings.clear();
        self.out.clear();
        self.out_pos = 0;
    }

    /// Whether the control connection runs TLS.
    pub(crate) fn control_is_tls(&self) -> bool {
        // A switch the session asked for counts as done: after `ccc()` returns the
        // control connection is (about to be, before anything else is sent) in the clear.
        match &self.control {
            Control::Ready(s) => s.is_tls() && self.control_switch != Some(false),
            _ => false,
        }
    }

    /// Waits for QUIT's reply (sending it if the caller has not) and closes: what a
    /// dropped client does in the background.
    pub(crate) async fn quit_in_background(mut self) {
        self.reap();
        let op = match self.quit {
            Some(op) => Some(op),
            None => self.submit(Op::Quit).ok(),
        };
        if let Some(op) = op {
            let _ = self.wait_for(op).await;
        }
        self.close();
    }
}

/// Binds a listener on `ip`, on a port of `ports` if given.
fn listen(
    ip: std::net::IpAddr,
    ports: Option<(u16, u16)>,
) -> io::Result<(TcpListener, std::net::SocketAddr)> {
    let mut last_error = io::Error::from(ErrorKind::AddrInUse);
    for addr in listen_addrs(ip, ports) {
        match std::net::TcpListener::bind(addr) {
            Ok(l) => {
                l.set_nonblocking(true)?;
                let addr = l.local_addr()?;
                return Ok((TcpListener::from_std(l)?, addr));
            }
            Err(e) => last_error = e,
        }
    }
    Err(last_error)
}
