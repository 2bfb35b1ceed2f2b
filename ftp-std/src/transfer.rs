//! Data streams: a download is a [`DataReader`] (`impl Read`), an upload a [`DataWriter`]
//! (`impl Write`). Both borrow the client for the transfer's length; the session decides
//! when the transfer is complete (the final reply **and** the data end, in either order).

use std::io::{self, ErrorKind, Read, Write};

use ftp_core::driver::{Completion, Error, Progress};
use ftp_core::session::{OpId, OpKind};
use ftp_core::transfer::{DataEnd, DataFailure, Direction, SMALL_DOWNLOAD};

use crate::client::Client;
use crate::stream::Stream;

/// State both halves share.
struct Transfer<'a> {
    client: &'a mut Client,
    op: OpId,
    kind: OpKind,
    total: Option<u64>,
    direction: Direction,
    bytes: u64,
    /// The transfer's end, once known (`Some` = nothing more to do on drop).
    result: Option<Result<Completion, Error>>,
}

impl<'a> Transfer<'a> {
    fn open(
        client: &'a mut Client,
        op: OpId,
        kind: OpKind,
        total: Option<u64>,
    ) -> Result<Self, Error> {
        let ready = client.driver.wait_ready(op)?;
        Ok(Transfer {
            client,
            op,
            kind,
            total: total.or(ready.size),
            direction: ready.direction,
            bytes: 0,
            result: None,
        })
    }

    fn report(&mut self, n: usize) {
        self.bytes += n as u64;
        let driver = &mut self.client.driver;
        if let Some(data) = driver.data.as_mut() {
            data.bytes += n as u64;
        }
        let now = driver.now();
        driver.session.handle_data_activity(self.op, now);
        if let Some(progress) = self.client.progress.as_mut() {
            progress(Progress {
                kind: self.kind,
                bytes: self.bytes,
                total: self.total,
            });
        }
    }

    /// Lets the session's timers run (keepalive NOOPs, the idle timeout).
    fn tick(&mut self) -> io::Result<()> {
        self.client.driver.tick().map_err(|e| self.fail_with(e))
    }

    /// Whether the data connection of this op is still there (the session closes it when
    /// the transfer failed, e.g. on the idle timeout).
    fn has_data(&self) -> bool {
        self.client
            .driver
            .data
            .as_ref()
            .is_some_and(|d| d.op == self.op)
    }

    /// Reports the data end and waits for the op's outcome.
    fn end(&mut self, clean: bool) {
        let driver = &mut self.client.driver;
        let bytes = driver.data.as_ref().map_or(self.bytes, |d| d.bytes);
        driver.data = None;
        let now = driver.now();
        driver
            .session
            .handle_data_end(self.op, DataEnd { bytes, clean }, now);
        self.result = Some(driver.wait_for(self.op));
    }

    /// The data connection broke: tell the session, wait for the op's outcome.
    fn broken(&mut self, error: io::Error) -> io::Error {
        let driver = &mut self.client.driver;
        driver.data = None;
        let now = driver.now();
        driver
            .session
            .handle_data_failed(self.op, DataFailure::Broken, now);
        let outcome = driver.wait_for(self.op);
        self.result = Some(match outcome {
            // The server said 226 but the data did not all arrive: still a failure.
            Ok(_) => Err(Error::Io(io::Error::new(error.kind(), error.to_string()))),
            Err(e) => Err(e),
        });
        error
    }

    /// The transfer ended without its data (the session closed the data connection):
    /// wait for the op's outcome and return it as an I/O error.
    fn ended_early(&mut self) -> io::Error {
        let outcome = self.client.driver.wait_for(self.op);
        let error = match &outcome {
            Ok(_) => io::Error::new(ErrorKind::UnexpectedEof, "the data connection closed early"),
            Err(e) => to_io(e),
        };
        self.result = Some(match outcome {
            Ok(_) => Err(Error::Io(io::Error::new(
                ErrorKind::UnexpectedEof,
                "the data connection closed early",
            ))),
            Err(e) => Err(e),
        });
        error
    }

    fn fail_with(&mut self, e: Error) -> io::Error {
        let io = to_io(&e);
        self.result = Some(Err(e));
        io
    }

    /// The stored error as an I/O error, if the transfer already failed.
    fn stored_error(&self) -> Option<io::Error> {
        match &self.result {
            Some(Err(e)) => Some(to_io(e)),
            _ => None,
        }
    }

    /// Aborts a transfer that has not ended: ABOR, then wait until the session is in
    /// step again.
    fn abort(&mut self) -> Result<(), Error> {
        if self.result.is_some() {
            return Ok(());
        }
        let driver = &mut self.client.driver;
        if self.direction == Direction::Upload {
            // (A download's data connection is drained after ABOR: the session's
            // `DrainData`.)
            driver.data = None;
        }
        let result = match driver.session.abort(self.op) {
            Ok(()) => match driver.wait_for(self.op) {
                Ok(_) | Err(Error::Protocol { .. }) | Err(Error::Rejected { .. }) => Ok(()),
                Err(e) => Err(e),
            },
            Err(_) => Ok(()),
        };
        self.result = Some(Err(Error::Protocol {
            kind: self.kind,
            error: ftp_core::session::OpError::Aborted,
        }));
        result
    }

    /// The typed error behind a failed read or write, whose I/O error the caller got; an
    /// I/O error like it is kept in its place for `finish`.
    fn typed_error(&mut self, e: io::Error) -> Error {
        match self.result.take() {
            Some(Err(typed)) => {
                self.result = Some(Err(Error::Io(io::Error::new(e.kind(), e.to_string()))));
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

fn to_io(e: &Error) -> io::Error {
    e.to_io_error()
}

/// A download in progress. Read it to the end (`Ok(0)` comes only once the transfer is
/// complete: data end and final reply), then call [`finish`](Self::finish) for the reply.
/// Dropping it before the end aborts the transfer (ABOR) and keeps the session in step.
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
    pub(crate) fn open(
        client: &'a mut Client,
        op: OpId,
        kind: OpKind,
        total: Option<u64>,
    ) -> Result<Self, Error> {
        Ok(DataReader {
            t: Transfer::open(client, op, kind, total)?,
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
    /// final reply, and the bytes transferred.
    pub fn finish(mut self) -> Result<Completion, Error> {
        if self.t.result.is_none() {
            let mut scratch = [0u8; 16 * 1024];
            loop {
                match self.read(&mut scratch) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => {
                        if self.t.result.is_none() {
                            self.t.result = Some(Err(Error::Io(e)));
                        }
                        break;
                    }
                }
            }
        }
        self.t.take_result()
    }

    /// Aborts the download (ABOR); the session stays usable.
    pub fn abort(mut self) -> Result<(), Error> {
        self.t.abort()
    }

    /// Copies the rest of the download into `sink` with the client's reused buffer;
    /// returns the bytes copied. Each socket read (at most `Config::socket_io_size`, into
    /// the client's reused read buffer of that size) goes to `sink` as one write.
    pub fn copy_to(&mut self, sink: &mut impl Write) -> Result<u64, Error> {
        let mut copied = 0;
        self.for_each_chunk(|chunk| {
            copied += chunk.len() as u64;
            sink.write_all(chunk)
        })?;
        Ok(copied)
    }

    /// Writes the rest of the download into a local file, where its cursor is; returns
    /// the bytes written.
    ///
    /// Up to 64 KiB (a small file) is written in place. Past that, a scoped thread
    /// writes the file while this one keeps reading the data connection, up to eight
    /// chunks of `Config::socket_io_size` ahead (buffers recycled): the socket and the
    /// file no longer wait for each other. A 512 MiB download to a tmpfs file went from
    /// 0.62 s to 0.41 s against vsftpd here, and from 0.67 s to 0.49 s against pyftpdlib
    /// (medians of 6; the same design as `ftp-tokio`'s; BENCHMARKS.md, issue #8). If the
    /// thread cannot be started, that is an `Error::Io` and the download is left to be
    /// aborted, as on any error. On a read error, what arrived before it is written
    /// first, so a resumed download can start after what the file holds.
    pub fn copy_to_file(&mut self, file: &mut std::fs::File) -> Result<u64, Error> {
        self.copy_to_file_counting(file, |_| {})
    }

    /// [`copy_to_file`](Self::copy_to_file), telling `count` each amount handed to the
    /// file (the jobs' meter).
    pub(crate) fn copy_to_file_counting(
        &mut self,
        file: &mut std::fs::File,
        mut count: impl FnMut(u64),
    ) -> Result<u64, Error> {
        let size = self.t.client.driver.config.get_socket_io_size();
        // The head goes through the client's reused read buffer.
        let mut buf = std::mem::take(&mut self.t.client.read_buffer);
        if buf.len() < SMALL_DOWNLOAD {
            buf.resize(SMALL_DOWNLOAD, 0);
        }
        let (filled, failed) = self.fill(&mut buf[..SMALL_DOWNLOAD]);
        // All of it, or what came before an error: written here (a retry resumes after
        // what the file holds).
        let over = (failed.is_some() || filled < SMALL_DOWNLOAD).then(|| {
            let written = file.write_all(&buf[..filled]);
            if written.is_ok() {
                count(filled as u64);
            }
            match failed {
                Some(e) => Err(e),
                None => written.map(|()| filled as u64).map_err(Error::Io),
            }
        });
        let head = if over.is_none() {
            buf[..filled].to_vec()
        } else {
            Vec::new()
        };
        self.t.client.read_buffer = buf;
        if let Some(over) = over {
            return over;
        }
        let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(WRITE_AHEAD);
        // Written buffers come back (no allocation per read once warm).
        let (empty_tx, empty_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(WRITE_AHEAD + 2);
        std::thread::scope(|scope| {
            let writer = std::thread::Builder::new()
                .name("ftp-std file writer".into())
                .spawn_scoped(scope, move || -> io::Result<()> {
                    for buf in full_rx {
                        file.write_all(&buf)?;
                        let _ = empty_tx.try_send(buf);
                    }
                    Ok(())
                })?;
            let mut copied = 0;
            let mut next = Some(head);
            let mut failed = None;
            loop {
                let buf = match next.take() {
                    Some(buf) => buf,
                    None => {
                        let mut buf = empty_rx.try_recv().unwrap_or_default();
                        buf.resize(size, 0);
                        let (n, error) = self.fill(&mut buf);
                        buf.truncate(n);
                        failed = error;
                        buf
                    }
                };
                if buf.is_empty() {
                    break;
                }
                let n = buf.len() as u64;
                // What came before a read error is written too.
                if full_tx.send(buf).is_err() {
                    // The writer stopped: its error is below.
                    break;
                }
                copied += n;
                count(n);
                if failed.is_some() {
                    break;
                }
            }
            drop(full_tx);
            let written = match writer.join() {
                Ok(written) => written,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            if let Some(e) = failed {
                return Err(e);
            }
            written?;
            Ok(copied)
        })
    }

    /// Reads until `buf` is full, the download ends or a read fails; returns how much
    /// it holds, and the error. A TLS read gives one record (16 KiB): whole chunks keep
    /// the writer's wake-ups few.
    fn fill(&mut self, buf: &mut [u8]) -> (usize, Option<Error>) {
        let mut filled = 0;
        while filled < buf.len() {
            match self.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return (filled, Some(self.t.typed_error(e))),
            }
        }
        (filled, None)
    }

    /// Hands each chunk of the rest of the download to `each`, one socket read each, in
    /// the client's reused read buffer (`Config::socket_io_size` bytes).
    pub(crate) fn for_each_chunk(
        &mut self,
        mut each: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<(), Error> {
        let size = self.t.client.driver.config.get_socket_io_size();
        let mut buf = std::mem::take(&mut self.t.client.read_buffer);
        if buf.len() < size {
            buf = vec![0; size];
        }
        let result = loop {
            match self.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    if let Err(e) = each(&buf[..n]) {
                        break Err(Error::Io(e));
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    break Err(self.t.typed_error(e));
                }
            }
        };
        self.t.client.read_buffer = buf;
        result
    }
}

impl Read for DataReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(result) = &self.t.result {
            return match result {
                Ok(_) => Ok(0),
                Err(e) => Err(to_io(e)),
            };
        }
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            self.t.tick()?;
            if !self.t.has_data() {
                return Err(self.t.ended_early());
            }
            let cap = buf
                .len()
                .min(self.t.client.driver.config.get_socket_io_size());
            let data = self.t.client.driver.data.as_mut().expect("checked");
            match data.stream.read(&mut buf[..cap]) {
                Ok(0) => {
                    data.stream.close_download();
                    self.t.end(true);
                    return match self.t.stored_error() {
                        Some(e) => Err(e),
                        None => Ok(0),
                    };
                }
                Ok(n) => {
                    // 32 KiB or more of plain data at once: wake for 64 KiB at a time now.
                    // A trickle below the mark still comes back when the read's timeout
                    // (the session's next wake-up) expires.
                    if let Stream::Plain(tcp) = &data.stream {
                        data.low_water.after_read(tcp.into(), n);
                    }
                    self.t.report(n);
                    return Ok(n);
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    let driver = &mut self.t.client.driver;
                    let now = driver.now();
                    driver.session.handle_timeout(now);
                    if let Err(e) = driver.drain() {
                        return Err(self.t.fail_with(e));
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                // TLS: the peer closed without close_notify; the data may be truncated.
                Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
                    self.t.end(false);
                    return Err(self.t.stored_error().unwrap_or(e));
                }
                Err(e) => return Err(self.t.broken(e)),
            }
        }
    }
}

/// How many chunks [`DataReader::copy_to_file`] may read ahead of the file's writes.
const WRITE_AHEAD: usize = 8;

impl Drop for DataReader<'_> {
    fn drop(&mut self) {
        let _ = self.t.abort();
    }
}

/// An upload in progress. Write the content, then call [`finish`](Self::finish): it ends
/// the data stream (TLS close_notify, FIN, read to EOF) and waits for the final reply.
/// Dropping it without `finish` aborts the upload (the server keeps a partial file).
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
    pub(crate) fn open(
        client: &'a mut Client,
        op: OpId,
        kind: OpKind,
        total: Option<u64>,
    ) -> Result<Self, Error> {
        Ok(DataWriter {
            t: Transfer::open(client, op, kind, total)?,
        })
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.t.bytes
    }

    /// Ends the upload and returns the completion (final reply, bytes sent).
    pub fn finish(mut self) -> Result<Completion, Error> {
        if self.t.result.is_none() {
            if self.t.has_data() {
                let flushed = self.t.client.driver.data.as_mut().map(|d| d.stream.flush());
                if let Some(Err(e)) = flushed {
                    self.t.broken(e);
                    return self.t.take_result();
                }
            }
            let driver = &mut self.t.client.driver;
            match driver.session.finish_upload(self.t.op) {
                Ok(()) => self.t.result = Some(driver.wait_for(self.t.op)),
                Err(_) => {
                    let e = self.t.ended_early();
                    if self.t.result.is_none() {
                        self.t.result = Some(Err(Error::Io(e)));
                    }
                }
            }
        }
        self.t.take_result()
    }

    /// Aborts the upload (ABOR); the session stays usable.
    pub fn abort(mut self) -> Result<(), Error> {
        self.t.abort()
    }

    /// Copies the rest of `file` into the upload; returns the bytes copied. This is
    /// [`copy_from`](Self::copy_from): on loopback against vsftpd, `sendfile` took about
    /// 1.3x as long as 64 KiB reads and writes (the server copies out of colder pages),
    /// for a fifth of the client's CPU (BENCHMARKS.md, issue #8).
    pub fn copy_from_file(&mut self, file: &mut std::fs::File) -> Result<u64, Error> {
        self.copy_from(file)
    }

    /// Copies everything `source` yields into the upload with the client's reused
    /// buffer, `Config::socket_io_size` bytes at a time (read, then one socket write);
    /// returns the bytes copied. Reads of the whole 256 KiB buffer made uploads slower:
    /// a 64 KiB buffer is still in the cache when it is written.
    pub fn copy_from(&mut self, source: &mut impl Read) -> Result<u64, Error> {
        let size = self.t.client.driver.config.get_socket_io_size();
        let mut buf = std::mem::take(&mut self.t.client.buffer);
        if buf.len() < size {
            buf = vec![0; size];
        }
        let mut copied = 0u64;
        let result = loop {
            let n = match source.read(&mut buf[..size]) {
                Ok(0) => break Ok(copied),
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => break Err(Error::Io(e)),
            };
            if let Err(e) = self.write_all(&buf[..n]) {
                break Err(self.t.typed_error(e));
            }
            copied += n as u64;
        };
        self.t.client.buffer = buf;
        result
    }
}

impl Write for DataWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(e) = self.t.stored_error() {
            return Err(e);
        }
        if self.t.result.is_some() {
            return Err(io::Error::new(
                ErrorKind::BrokenPipe,
                "the upload has ended",
            ));
        }
        loop {
            self.t.tick()?;
            if !self.t.has_data() {
                return Err(self.t.ended_early());
            }
            let cap = buf
                .len()
                .min(self.t.client.driver.config.get_socket_io_size());
            let data = self.t.client.driver.data.as_mut().expect("checked");
            match data.stream.write(&buf[..cap]) {
                Ok(n) => {
                    self.t.report(n);
                    return Ok(n);
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    let driver = &mut self.t.client.driver;
                    let now = driver.now();
                    driver.session.handle_timeout(now);
                    if let Err(e) = driver.drain() {
                        return Err(self.t.fail_with(e));
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(self.t.broken(e)),
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.t.client.driver.data.as_mut() {
            Some(d) if d.op == self.t.op => d.stream.flush(),
            _ => Ok(()),
        }
    }
}

impl Drop for DataWriter<'_> {
    fn drop(&mut self) {
        let _ = self.t.abort();
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
    pub(crate) fn open(client: &'a mut Client, op: OpId, kind: OpKind) -> Result<Self, Error> {
        let t = Transfer::open(client, op, kind, None)?;
        Ok(match t.direction {
            Direction::Download => DataStream::Download(DataReader { t }),
            Direction::Upload => DataStream::Upload(DataWriter { t }),
        })
    }

    /// Ends the transfer: a download is read to its end, an upload finished.
    pub fn finish(self) -> Result<Completion, Error> {
        match self {
            DataStream::Download(r) => r.finish(),
            DataStream::Upload(w) => w.finish(),
        }
    }
}
