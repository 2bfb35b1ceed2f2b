//! Data streams: a download is a [`DataReader`] (`AsyncRead`), an upload a [`DataWriter`]
//! (`AsyncWrite`). Both borrow the client for the transfer's length; the session decides
//! when the transfer is complete (the final reply **and** the data end, in either order).
//!
//! Their `poll_*` methods drive the whole session, not only the data socket: control
//! replies are read while data moves (a `421` or an early `226` is seen), keepalive NOOPs
//! go out and the idle timeout runs.

use std::future::poll_fn;
use std::io::{self, ErrorKind};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use ftp_core::driver::{Completion, Error, Progress};
use ftp_core::session::{OpError, OpId, OpKind};
use ftp_core::transfer::{Direction, SMALL_DOWNLOAD};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

use crate::client::Client;
use crate::stream::Stream;

/// Where a transfer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Data moves.
    Open,
    /// The data end was reported; waiting for the op's outcome. `early`: the data
    /// connection went away before its end (a success is then still a failure).
    Ending { early: Option<ErrorKind> },
    /// An upload flushes its last bytes before the shutdown.
    Flushing,
    /// ABOR is on its way.
    Aborting,
    /// The outcome is in `result`.
    Done,
}

/// State both halves share.
struct Transfer<'a> {
    client: &'a mut Client,
    op: OpId,
    kind: OpKind,
    total: Option<u64>,
    direction: Direction,
    bytes: u64,
    state: State,
    /// The transfer's end, once known.
    result: Option<Result<Completion, Error>>,
}

impl<'a> Transfer<'a> {
    async fn open(
        client: &'a mut Client,
        op: OpId,
        kind: OpKind,
        total: Option<u64>,
    ) -> Result<Self, Error> {
        let ready = client.driver().wait_ready(op).await?;
        Ok(Transfer {
            client,
            op,
            kind,
            total: total.or(ready.size),
            direction: ready.direction,
            bytes: 0,
            state: State::Open,
            result: None,
        })
    }

    fn report(&mut self, n: usize) {
        self.bytes += n as u64;
        let driver = self.client.driver();
        if let Some(data) = driver.data.as_mut() {
            data.bytes += n as u64;
        }
        let now = driver.now();
        driver.session.handle_data_activity(self.op, now);
        let progress = Progress {
            kind: self.kind,
            bytes: self.bytes,
            total: self.total,
        };
        self.client.report_progress(progress);
    }

    /// Waits for the op's outcome once the data side ended (or went away).
    fn poll_end(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let early = match self.state {
            State::Ending { early } => early,
            _ => return Poll::Ready(()),
        };
        let outcome = ready!(self.client.driver().poll_outcome(cx, self.op));
        self.result = Some(match (outcome, early) {
            // The server said 226 but the data did not all arrive: still a failure.
            (Ok(_), Some(kind)) => Err(Error::Io(io::Error::new(
                kind,
                "the data connection closed early",
            ))),
            (outcome, _) => outcome,
        });
        self.state = State::Done;
        Poll::Ready(())
    }

    /// The stored outcome as a `poll_read`/`poll_write` result.
    fn stored(&self) -> Option<io::Result<()>> {
        match &self.result {
            Some(Ok(_)) => Some(Ok(())),
            Some(Err(e)) => Some(Err(e.to_io_error())),
            None => None,
        }
    }

    /// Lets the session run; true while the data connection of this transfer is there.
    fn background(&mut self, cx: &mut Context<'_>) -> bool {
        let driver = self.client.driver();
        driver.poll_background(cx);
        if driver.has_data(self.op) {
            return true;
        }
        // The session closed it (a failure, the idle timeout, the server went away).
        self.state = State::Ending {
            early: Some(ErrorKind::UnexpectedEof),
        };
        false
    }

    /// Reads into `buf`, one socket read of at most `cap` bytes.
    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
        cap: usize,
    ) -> Poll<io::Result<()>> {
        loop {
            ready!(self.poll_end(cx));
            if let Some(result) = self.stored() {
                return Poll::Ready(result);
            }
            if self.state != State::Open || buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            if !self.background(cx) {
                continue;
            }
            let driver = self.client.driver();
            let data = driver.data.as_mut().expect("checked");
            // At most `cap` bytes: through a window over the initialized part of `buf`
            // (never zero-filled here: a buffer not yet initialized that far is read
            // whole, as tokio's own streams do, and the cap does not apply).
            let initialized = buf.initialized().len() - buf.filled().len();
            let read = if buf.remaining() > cap && initialized >= cap {
                let mut window = ReadBuf::new(buf.initialize_unfilled_to(cap));
                let read = ready!(Pin::new(&mut data.stream).poll_read(cx, &mut window))
                    .map(|()| window.filled().len());
                if let Ok(n) = read {
                    buf.advance(n);
                }
                read
            } else {
                let before = buf.filled().len();
                ready!(Pin::new(&mut data.stream).poll_read(cx, buf))
                    .map(|()| buf.filled().len() - before)
            };
            match read {
                Ok(n) if n > 0 => {
                    // 32 KiB or more of plain data at once: wake for 64 KiB at a time now
                    // (the driver releases the mark for a trickle when a timer is due).
                    if let Stream::Plain(tcp) = &data.stream {
                        data.low_water.after_read(tcp.into(), n);
                    }
                    self.report(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(_) => {
                    driver.end_download(self.op, true);
                    self.state = State::Ending { early: None };
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                // TLS: the peer closed without close_notify; the data may be truncated.
                Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
                    driver.end_download(self.op, false);
                    self.state = State::Ending {
                        early: Some(ErrorKind::UnexpectedEof),
                    };
                }
                Err(e) => {
                    tracing::debug!(target: "ftp::transcript", "data read failed: {e}");
                    driver.data_broken(self.op);
                    self.state = State::Ending {
                        early: Some(e.kind()),
                    };
                }
            }
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.poll_end(cx));
            if let Some(result) = self.stored() {
                return Poll::Ready(result.and(Err(io::Error::new(
                    ErrorKind::BrokenPipe,
                    "the upload has ended",
                ))));
            }
            if self.state != State::Open {
                return Poll::Ready(Err(io::Error::new(
                    ErrorKind::BrokenPipe,
                    "the upload is ending",
                )));
            }
            if !self.background(cx) {
                continue;
            }
            let driver = self.client.driver();
            let cap = buf.len().min(driver.config.get_socket_io_size());
            let data = driver.data.as_mut().expect("checked");
            match ready!(Pin::new(&mut data.stream).poll_write(cx, &buf[..cap])) {
                Ok(n) => {
                    self.report(n);
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    tracing::debug!(target: "ftp::transcript", "data write failed: {e}");
                    driver.data_broken(self.op);
                    self.state = State::Ending {
                        early: Some(e.kind()),
                    };
                }
            }
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let op = self.op;
        let driver = self.client.driver();
        driver.poll_background(cx);
        match driver.data.as_mut() {
            Some(d) if d.op == op => Pin::new(&mut d.stream).poll_flush(cx),
            _ => Poll::Ready(Ok(())),
        }
    }

    /// Ends an upload: flush, then the session's shutdown (close_notify, FIN, read to
    /// EOF), then the final reply.
    fn poll_finish_upload(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match self.state {
                State::Open => {
                    if !self.client.driver().has_data(self.op) {
                        self.state = State::Ending {
                            early: Some(ErrorKind::UnexpectedEof),
                        };
                        continue;
                    }
                    self.state = State::Flushing;
                }
                State::Flushing => {
                    if let Err(e) = ready!(self.poll_flush(cx)) {
                        self.client.driver().data_broken(self.op);
                        self.state = State::Ending {
                            early: Some(e.kind()),
                        };
                        continue;
                    }
                    let driver = self.client.driver();
                    self.state = match driver.session.finish_upload(self.op) {
                        Ok(()) => State::Ending { early: None },
                        Err(_) => State::Ending {
                            early: Some(ErrorKind::UnexpectedEof),
                        },
                    };
                }
                State::Ending { .. } => ready!(self.poll_end(cx)),
                State::Aborting | State::Done => return Poll::Ready(()),
            }
        }
    }

    /// Reads what is left of a download, discarding it.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut scratch = [0u8; 4096];
        loop {
            let mut buf = ReadBuf::new(&mut scratch);
            match ready!(self.poll_read(cx, &mut buf, usize::MAX)) {
                Ok(()) if buf.filled().is_empty() => return Poll::Ready(()),
                Ok(()) => {}
                Err(e) => {
                    if self.result.is_none() {
                        self.result = Some(Err(Error::Io(e)));
                        self.state = State::Done;
                    }
                    return Poll::Ready(());
                }
            }
        }
    }

    /// Aborts a transfer that has not ended: ABOR, then waits until the session is in
    /// step again.
    async fn abort(&mut self) -> Result<(), Error> {
        if matches!(self.state, State::Done) {
            return Ok(());
        }
        if self.state != State::Aborting {
            let driver = self.client.driver();
            // The session's abort closes an upload's data connection (`CloseData`) and
            // drains a download's after ABOR (`DrainData`).
            if driver.session.abort(self.op).is_err() && !matches!(self.state, State::Ending { .. })
            {
                // It already ended: nothing to abort, its outcome is not wanted.
                driver.retire_data(self.op);
                driver.orphan(self.op);
                self.state = State::Done;
                return Ok(());
            }
            self.state = State::Aborting;
        }
        let op = self.op;
        let outcome = self.client.driver().wait_for(op).await;
        self.state = State::Done;
        self.result = Some(Err(Error::Protocol {
            kind: self.kind,
            error: OpError::Aborted,
        }));
        match outcome {
            Ok(_) | Err(Error::Protocol { .. }) | Err(Error::Rejected { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The typed error behind a failed read or write, whose I/O error the caller got; the
    /// I/O error is kept in its place for `finish`.
    fn typed_error(&mut self, e: io::Error) -> Error {
        match self.result.take() {
            Some(Err(typed)) => {
                self.result = Some(Err(Error::Io(e)));
                typed
            }
            other => {
                self.result = other;
                Error::Io(e)
            }
        }
    }

    fn take_result(&mut self) -> Result<Completion, Error> {
        self.result.take().unwrap_or(Err(Error::Closed(None)))
    }
}

impl Drop for Transfer<'_> {
    /// A transfer dropped before its end: one still moving data is aborted (ABOR in the
    /// background, settled by the next call); one whose end is under way finishes in
    /// the background. Either way its outcome is discarded.
    fn drop(&mut self) {
        let op = self.op;
        match self.state {
            State::Done => {}
            State::Open | State::Flushing => self.client.driver().abandon_transfer(op),
            State::Ending { .. } | State::Aborting => self.client.driver().orphan(op),
        }
    }
}

/// A download in progress. Read it to the end (EOF comes only once the transfer is
/// complete: data end and final reply), then call [`finish`](Self::finish) for the
/// reply.
///
/// Cancellation: dropping it (or a `finish`/`copy_to` future holding it) before the end
/// aborts the transfer: the data connection is closed at once and ABOR goes out with the
/// next call on the client, which first settles the abort, so the session stays in step.
pub struct DataReader<'a> {
    t: Transfer<'a>,
}

impl std::fmt::Debug for DataReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataReader")
            .field("kind", &self.t.kind)
            .field("bytes", &self.t.bytes)
            .field("total", &self.t.total)
            .finish()
    }
}

impl<'a> DataReader<'a> {
    pub(crate) async fn open(
        client: &'a mut Client,
        op: OpId,
        kind: OpKind,
        total: Option<u64>,
    ) -> Result<Self, Error> {
        Ok(DataReader {
            t: Transfer::open(client, op, kind, total).await?,
        })
    }

    /// The size the server announced (150 reply) or SIZE gave, when known.
    pub fn total(&self) -> Option<u64> {
        self.t.total
    }

    /// Bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.t.bytes
    }

    /// Reads to the end (discarding what is left), then returns the completion: the
    /// final reply, and the bytes transferred. Dropping this future before it is done
    /// aborts the transfer if data was still moving (see the type's docs).
    pub async fn finish(mut self) -> Result<Completion, Error> {
        poll_fn(|cx| self.t.poll_drain(cx)).await;
        self.t.take_result()
    }

    /// Aborts the download (ABOR) and waits until the session is in step again; the
    /// session stays usable. Dropping this future leaves the abort to finish with the
    /// next call on the client.
    pub async fn abort(mut self) -> Result<(), Error> {
        self.t.abort().await
    }

    /// Copies the rest of the download into `sink` with the client's reused buffer;
    /// returns the bytes copied. Unlike `AsyncRead` use (socket reads of at most
    /// `Config::socket_io_size`), each socket read here may fill the whole buffer
    /// (`Config::buffer_size`) and goes to `sink` as one write: every write to a
    /// `tokio::fs::File` is a trip through the blocking pool, and 64 KiB writes made a
    /// 1 GiB download to a tmpfs file about 2x slower than 256 KiB ones (BENCHMARKS.md).
    pub async fn copy_to<W: AsyncWrite + Unpin + ?Sized>(
        &mut self,
        sink: &mut W,
    ) -> Result<u64, Error> {
        // Socket reads of `socket_io_size` into a buffer of that size (cheapest for the
        // kernel's copies, as in ftp-std) while the sink takes each write at once (a
        // socket, `tokio::io::sink`); from the first write the sink makes us wait for
        // (`tokio::fs` goes through the blocking pool), whole-buffer reads, so each of
        // its slow writes moves as much as possible.
        let mut small = vec![0; self.t.client.config().get_socket_io_size()];
        let mut big = self.t.client.take_buffer();
        let mut sink_waits = false;
        let mut copied = 0;
        let result = loop {
            let buf = if sink_waits { &mut big } else { &mut small };
            let mut read = ReadBuf::new(buf);
            let n = match poll_fn(|cx| self.t.poll_read(cx, &mut read, usize::MAX)).await {
                Ok(()) => read.filled().len(),
                Err(e) => break Err(self.typed_error(e)),
            };
            if n == 0 {
                break Ok(copied);
            }
            let mut write = std::pin::pin!(sink.write_all(&buf[..n]));
            let written = poll_fn(|cx| {
                let polled = write.as_mut().poll(cx);
                sink_waits |= polled.is_pending();
                polled
            })
            .await;
            if let Err(e) = written {
                break Err(Error::Io(e));
            }
            copied += n as u64;
        };
        self.t.client.put_buffer(big);
        result
    }

    /// Writes the rest of the download into a local file; returns the bytes written.
    ///
    /// Up to 64 KiB (a small file) is written with one trip through tokio's blocking pool
    /// once the download is complete. Past that, the file is written by one blocking
    /// thread fed through a channel (up to four chunks of `Config::buffer_size` ahead,
    /// buffers recycled), while this task keeps reading the data connection. A
    /// `tokio::fs::File` sink instead costs a trip through the blocking pool per write
    /// and lets only one write be in flight: an FTPS download of 512 MiB to a tmpfs file
    /// took 1.32 s (median of 5, 0.89-2.70 s) against 1.12 s for writes made in place on
    /// the task's thread (BENCHMARKS.md, issue #6). The bytes go where the file's cursor
    /// is; on a read error, what arrived before it is written first (a resumed download
    /// starts after it). Dropping this future mid-way drops the writer's queue: what was
    /// already handed to it is still written, and the download is aborted as on any
    /// drop.
    pub async fn copy_to_file(&mut self, file: &mut std::fs::File) -> Result<u64, Error> {
        self.copy_to_file_counting(file, |_| {}).await
    }

    /// [`copy_to_file`](Self::copy_to_file), telling `count` each amount handed to the
    /// writer (the jobs' meter).
    pub(crate) async fn copy_to_file_counting(
        &mut self,
        file: &mut std::fs::File,
        mut count: impl FnMut(u64),
    ) -> Result<u64, Error> {
        let mut file = file.try_clone()?;
        let (head, all) = self.read_head(SMALL_DOWNLOAD).await;
        match all {
            Ok(false) => self.copy_into_file(file, head, count).await,
            // All of it, or what came before an error (so that a retry resumes after
            // what the file holds): one trip through the pool. A writer thread for each
            // file made a mirror of 2000 files of 1 KiB 5-16 % slower.
            done => {
                use std::io::Write;
                let n = head.len() as u64;
                let written = match n {
                    0 => Ok(()),
                    _ => tokio::task::spawn_blocking(move || file.write_all(&head))
                        .await
                        .unwrap_or_else(|e| Err(io::Error::other(e))),
                };
                if written.is_ok() {
                    count(n);
                }
                // A read error comes first: it is why the download stopped.
                done?;
                written?;
                Ok(n)
            }
        }
    }

    /// [`copy_to_file`](Self::copy_to_file) after writing `head`, the bytes already read
    /// (counted in what it returns).
    pub(crate) async fn copy_into_file(
        &mut self,
        mut file: std::fs::File,
        head: Vec<u8>,
        mut count: impl FnMut(u64),
    ) -> Result<u64, Error> {
        use std::io::Write;
        const AHEAD: usize = 4;
        let chunk = self.t.client.config().get_buffer_size().max(1);
        let (full_tx, mut full_rx) = tokio::sync::mpsc::channel::<Vec<u8>>(AHEAD);
        // Written buffers go back to this task (no allocation per chunk once warm).
        let (empty_tx, mut empty_rx) = tokio::sync::mpsc::channel::<Vec<u8>>(AHEAD + 2);
        let writer = tokio::task::spawn_blocking(move || -> io::Result<()> {
            while let Some(buf) = full_rx.blocking_recv() {
                file.write_all(&buf)?;
                let _ = empty_tx.try_send(buf);
            }
            file.flush()
        });
        let mut copied = 0u64;
        let mut pending = (!head.is_empty()).then_some(head);
        let result = loop {
            let buf = match pending.take() {
                Some(buf) => buf,
                None => {
                    let mut buf = empty_rx.try_recv().unwrap_or_default();
                    buf.resize(chunk, 0);
                    match self.fill(&mut buf).await {
                        Ok(0) => break Ok(()),
                        Ok(n) => buf.truncate(n),
                        Err(e) => break Err(self.typed_error(e)),
                    }
                    buf
                }
            };
            let n = buf.len() as u64;
            if full_tx.send(buf).await.is_err() {
                // The writer stopped: its error is below.
                break Ok(());
            }
            copied += n;
            count(n);
        };
        drop(full_tx);
        let written = writer.await.map_err(io::Error::other).and_then(|r| r);
        result?;
        written?;
        Ok(copied)
    }

    /// Reads into `buf` until it is full, the download ends, or (with something read)
    /// the data connection has nothing more for now; 0 at the end. Each socket read may
    /// take all the room left (64 KiB reads gathered into the chunk cost the client a
    /// third more CPU here than whole-chunk reads).
    async fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        poll_fn(|cx| {
            while filled < buf.len() {
                let mut read = ReadBuf::new(&mut buf[filled..]);
                match self.t.poll_read(cx, &mut read, usize::MAX) {
                    Poll::Ready(Ok(())) if read.filled().is_empty() => break,
                    Poll::Ready(Ok(())) => filled += read.filled().len(),
                    // What came before goes first; the next read gives the error again.
                    Poll::Ready(Err(e)) if filled == 0 => return Poll::Ready(Err(e)),
                    Poll::Ready(Err(_)) => break,
                    Poll::Pending if filled == 0 => return Poll::Pending,
                    Poll::Pending => break,
                }
            }
            Poll::Ready(Ok(filled))
        })
        .await
    }

    /// Hands each chunk of the rest of the download to `each`, in the client's reused
    /// buffer.
    pub(crate) async fn for_each_chunk(
        &mut self,
        mut each: impl FnMut(&[u8]),
    ) -> Result<(), Error> {
        let mut buf = self.t.client.take_buffer();
        let result = loop {
            match self.read(&mut buf).await {
                Ok(0) => break Ok(()),
                Ok(n) => each(&buf[..n]),
                Err(e) => break Err(self.typed_error(e)),
            }
        };
        self.t.client.put_buffer(buf);
        result
    }

    /// Reads until the download ends or `limit` bytes arrived (through the client's
    /// buffer); returns what arrived, and whether that is all of it (or the error that
    /// stopped it: what came before it is still returned).
    pub(crate) async fn read_head(&mut self, limit: usize) -> (Vec<u8>, Result<bool, Error>) {
        let mut buf = self.t.client.take_buffer();
        let limit = limit.min(buf.len());
        let mut filled = 0;
        let result = loop {
            if filled == limit {
                break Ok(false);
            }
            match self.read(&mut buf[filled..limit]).await {
                Ok(0) => break Ok(true),
                Ok(n) => filled += n,
                Err(e) => break Err(self.typed_error(e)),
            }
        };
        let head = buf[..filled].to_vec();
        self.t.client.put_buffer(buf);
        (head, result)
    }

    /// The typed error behind a failed read (kept for `finish` as an I/O error).
    fn typed_error(&mut self, e: io::Error) -> Error {
        self.t.typed_error(e)
    }
}

impl AsyncRead for DataReader<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let t = &mut self.get_mut().t;
        let cap = t.client.config().get_socket_io_size();
        t.poll_read(cx, buf, cap)
    }
}

/// An upload in progress. Write the content, then call [`finish`](Self::finish): it ends
/// the data stream (TLS close_notify, FIN, read to EOF) and waits for the final reply.
/// `AsyncWriteExt::shutdown` does the same without handing out the reply.
///
/// Cancellation: dropping it without `finish` (or dropping a write future) aborts the
/// upload (the server keeps a partial file); ABOR goes out with the next call. Dropping a
/// `finish` future once the shutdown started lets the upload end in the background; its
/// outcome is then discarded.
pub struct DataWriter<'a> {
    t: Transfer<'a>,
}

impl std::fmt::Debug for DataWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataWriter")
            .field("kind", &self.t.kind)
            .field("bytes", &self.t.bytes)
            .finish()
    }
}

impl<'a> DataWriter<'a> {
    pub(crate) async fn open(
        client: &'a mut Client,
        op: OpId,
        kind: OpKind,
        total: Option<u64>,
    ) -> Result<Self, Error> {
        Ok(DataWriter {
            t: Transfer::open(client, op, kind, total).await?,
        })
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.t.bytes
    }

    /// Ends the upload and returns the completion (final reply, bytes sent).
    pub async fn finish(mut self) -> Result<Completion, Error> {
        poll_fn(|cx| self.t.poll_finish_upload(cx)).await;
        self.t.take_result()
    }

    /// Aborts the upload (ABOR) and waits until the session is in step again.
    pub async fn abort(mut self) -> Result<(), Error> {
        self.t.abort().await
    }

    /// Copies everything `source` yields into the upload with the client's reused
    /// buffer; returns the bytes copied.
    pub async fn copy_from<R: AsyncRead + Unpin + ?Sized>(
        &mut self,
        source: &mut R,
    ) -> Result<u64, Error> {
        let mut buf = self.t.client.take_buffer();
        let mut copied = 0u64;
        let result = loop {
            let n = match source.read(&mut buf).await {
                Ok(0) => break Ok(copied),
                Ok(n) => n,
                Err(e) => break Err(Error::Io(e)),
            };
            if let Err(e) = self.write_all(&buf[..n]).await {
                break Err(self.t.typed_error(e));
            }
            copied += n as u64;
        };
        self.t.client.put_buffer(buf);
        result
    }
}

impl DataWriter<'_> {
    /// Copies the rest of `file` into the upload; returns the bytes copied. A blocking
    /// thread reads the file 64 KiB at a time, up to four reads ahead, and hands each
    /// buffer to this task over a channel, so the runtime's thread never waits for the
    /// disk. On loopback against vsftpd this took 0.69 s for 512 MiB where `sendfile` took
    /// 0.96 s (the server copies out of colder pages) and a `tokio::fs::File` source, a
    /// blocking-pool trip per read, longer still (BENCHMARKS.md, issue #6).
    pub async fn copy_from_file(&mut self, file: &mut std::fs::File) -> Result<u64, Error> {
        use std::io::Read;
        const CHUNK: usize = 64 * 1024;
        const AHEAD: usize = 4;
        let mut source = file.try_clone()?;
        let (full_tx, mut full_rx) = tokio::sync::mpsc::channel::<io::Result<Vec<u8>>>(AHEAD);
        // Written buffers go back to the reader (no allocation per read once warm).
        let (empty_tx, mut empty_rx) = tokio::sync::mpsc::channel::<Vec<u8>>(AHEAD + 2);
        let reader = tokio::task::spawn_blocking(move || {
            loop {
                let mut buf = empty_rx.try_recv().unwrap_or_default();
                buf.resize(CHUNK, 0);
                let read = loop {
                    match source.read(&mut buf) {
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        other => break other,
                    }
                };
                let last = !matches!(read, Ok(n) if n > 0);
                let message = read.map(|n| {
                    buf.truncate(n);
                    buf
                });
                if full_tx.blocking_send(message).is_err() || last {
                    return;
                }
            }
        });
        let mut copied = 0u64;
        let result = loop {
            let buf = match full_rx.recv().await {
                None => break Ok(copied),
                Some(Err(e)) => break Err(Error::Io(e)),
                Some(Ok(buf)) if buf.is_empty() => break Ok(copied),
                Some(Ok(buf)) => buf,
            };
            if let Err(e) = self.write_all(&buf).await {
                break Err(self.t.typed_error(e));
            }
            copied += buf.len() as u64;
            let _ = empty_tx.try_send(buf);
        };
        // A reader waiting to hand over a buffer stops once the channel is closed.
        drop(full_rx);
        let _ = reader.await;
        result
    }
}

impl AsyncWrite for DataWriter<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().t.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().t.poll_flush(cx)
    }

    /// Ends the upload like [`finish`](DataWriter::finish); the outcome stays for
    /// `finish`.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let t = &mut self.get_mut().t;
        ready!(t.poll_finish_upload(cx));
        Poll::Ready(t.stored().unwrap_or(Ok(())))
    }
}

/// The data stream of a raw data command ([`Client::transfercmd`]).
#[derive(Debug)]
pub enum DataStream<'a> {
    /// The server sends.
    Download(DataReader<'a>),
    /// The client sends.
    Upload(DataWriter<'a>),
}

impl<'a> DataStream<'a> {
    pub(crate) async fn open(
        client: &'a mut Client,
        op: OpId,
        kind: OpKind,
    ) -> Result<Self, Error> {
        let t = Transfer::open(client, op, kind, None).await?;
        Ok(match t.direction {
            Direction::Download => DataStream::Download(DataReader { t }),
            Direction::Upload => DataStream::Upload(DataWriter { t }),
        })
    }

    /// Ends the transfer: a download is read to its end, an upload finished.
    pub async fn finish(self) -> Result<Completion, Error> {
        match self {
            DataStream::Download(r) => r.finish().await,
            DataStream::Upload(w) => w.finish().await,
        }
    }
}
