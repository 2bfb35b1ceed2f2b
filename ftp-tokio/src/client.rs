//! The async client: ftplib's vocabulary over [`Driver`], method for method the same as
//! `ftp-std`'s blocking client.
//!
//! # Cancellation
//!
//! Every method's future can be dropped at any await point; the client stays usable or
//! is closed with a clear error, never out of step with the server:
//!
//! - a simple command (`cwd`, `size`, `noop`, `sendcmd`, `login`, …) dropped after it was
//!   submitted still completes: its reply is read and discarded by the next call;
//! - a transfer whose future is dropped before it handed out its stream (`retr`, `stor`,
//!   `list`, `retr_to`, `stor_from`, …) is aborted: not started, it is dequeued; started,
//!   its data connection is closed and ABOR goes out with the next call, which reads the
//!   replies ABOR brings before its own;
//! - a [`DataReader`](crate::DataReader) or [`DataWriter`](crate::DataWriter) dropped
//!   before its end aborts the same way; a dropped `finish` of an upload whose shutdown
//!   began lets it end in the background;
//! - a dropped `connect` closes what it opened; a dropped `quit`, like a dropped client,
//!   leaves QUIT to a background task (see [`Client`]'s `Drop`).

use std::io;
use std::net::SocketAddr;
use std::sync::Mutex;

use ftp_core::config::Config;
use ftp_core::driver::{Completion, Error, Progress, Timeout, decode_name, host_of, now_utc};
use ftp_core::feat::Capabilities;
use ftp_core::listing::owned::{LineCollector, Listing, ListingCollector};
use ftp_core::listing::{Format, ListingParser};
use ftp_core::reply::OwnedReply;
use ftp_core::session::{Client as Session, Instant, Op, OpId, OpKind};
use ftp_core::transfer::{ControlAddresses, Direction, StoreMode};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt};

use crate::driver::Driver;
use crate::transfer::{DataReader, DataStream, DataWriter};

/// A progress observer: called with the bytes moved so far and the total when known.
pub type ProgressFn = Box<dyn FnMut(Progress) + Send>;

/// An async FTP or FTPS session. See the [crate docs](crate) and the
/// [cancellation rules](crate#cancellation).
///
/// Dropping a client that is still open sends QUIT best-effort from a task spawned on the
/// current tokio runtime (waiting at most [`Config::quit_timeout`]); outside a runtime it
/// just closes the connection.
pub struct Client {
    /// `None` only while dropping.
    driver: Option<Box<Driver>>,
    progress: Option<Mutex<ProgressFn>>,
    /// The one data buffer, reused by every transfer.
    buffer: Vec<u8>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let driver = self.driver.as_deref();
        f.debug_struct("Client")
            .field("open", &driver.is_some_and(Driver::is_open))
            .field("tls", &driver.is_some_and(Driver::control_is_tls))
            .finish()
    }
}

impl Client {
    /// Connects to `address` (`host:port`, `[v6]:port`), reads the greeting and, with
    /// FTPS configured, secures the control connection. The host part is the name TLS
    /// certificates are checked against.
    ///
    /// Dropping the future closes whatever it opened.
    pub async fn connect(address: &str, config: Config) -> Result<Client, Error> {
        let host = host_of(address);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host(address).await?.collect();
        let mut last = Error::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "the address resolved to nothing",
        ));
        for addr in addrs {
            match Self::connect_with_name(addr, host, config.clone()).await {
                Ok(client) => return Ok(client),
                Err(e @ (Error::Io(_) | Error::Timeout(Timeout::Connect))) => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// Connects to `addr`; TLS certificates are checked against the IP address (or the
    /// name set with [`TlsConfig::server_name`](ftp_core::tls::TlsConfig::server_name)).
    pub async fn connect_addr(addr: SocketAddr, config: Config) -> Result<Client, Error> {
        Self::connect_with_name(addr, &addr.ip().to_string(), config).await
    }

    async fn connect_with_name(
        addr: SocketAddr,
        host: &str,
        config: Config,
    ) -> Result<Client, Error> {
        let tls = config.tls_session(host)?;
        let control =
            crate::stream::connect(addr, config.get_source_ip(), config.get_connect_timeout())
                .await
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::TimedOut => Error::Timeout(Timeout::Connect),
                    _ => Error::Io(e),
                })?;
        let addrs = ControlAddresses {
            local: control.local_addr()?,
            peer: control.peer_addr()?,
        };
        let epoch = tokio::time::Instant::now();
        let mut session_config = config.session().clone();
        // Every reply goes to the transcript.
        session_config.report_all_replies = true;
        let session = Session::new(session_config, addrs, Instant::ZERO);
        let mut driver = Box::new(Driver::new(session, control, tls, config, epoch));
        // The greeting (and with FTPS the handshake) before anything else.
        std::future::poll_fn(|cx| {
            driver.poll_until(cx, |d| {
                if d.tracker.closed().is_some() {
                    return Some(Err(d.tracker.closed_error()));
                }
                let secured = d.tls.is_none() || d.control_is_tls();
                (d.tracker.welcome().is_some() && secured).then_some(Ok(()))
            })
        })
        .await?;
        Ok(Client {
            driver: Some(driver),
            progress: None,
            buffer: Vec::new(),
        })
    }

    pub(crate) fn driver(&mut self) -> &mut Driver {
        self.driver
            .as_deref_mut()
            .expect("the driver is there until drop")
    }

    fn driver_ref(&self) -> &Driver {
        self.driver
            .as_deref()
            .expect("the driver is there until drop")
    }

    pub(crate) fn report_progress(&mut self, progress: Progress) {
        if let Some(observer) = self.progress.as_mut() {
            let observer = match observer.get_mut() {
                Ok(o) => o,
                Err(poisoned) => poisoned.into_inner(),
            };
            observer(progress);
        }
    }

    /// The reused data buffer (at least the configured buffer size).
    pub(crate) fn take_buffer(&mut self) -> Vec<u8> {
        let size = self.driver_ref().config.get_buffer_size();
        let mut buf = std::mem::take(&mut self.buffer);
        if buf.len() < size {
            buf = vec![0; size];
        }
        buf
    }

    /// The settings this client runs with.
    pub(crate) fn config(&self) -> &Config {
        &self.driver_ref().config
    }

    pub(crate) fn put_buffer(&mut self, buffer: Vec<u8>) {
        self.buffer = buffer;
    }

    /// The server's greeting.
    pub fn welcome(&self) -> Option<&OwnedReply> {
        self.driver_ref().tracker.welcome()
    }

    /// Sets (or removes) the progress observer for transfers.
    pub fn set_progress(&mut self, observer: Option<ProgressFn>) {
        self.progress = observer.map(Mutex::new);
    }

    async fn run(&mut self, op: Op<'_>) -> Result<Completion, Error> {
        self.driver().run(op).await
    }

    async fn settle(&mut self) -> Result<(), Error> {
        let driver = self.driver();
        std::future::poll_fn(|cx| {
            driver.poll_until(cx, |d| {
                (d.session.is_settled() || d.session.is_closed()).then_some(Ok(()))
            })
        })
        .await
    }

    fn decode(&self, bytes: &[u8]) -> Result<String, Error> {
        decode_name(self.driver_ref().config.get_encoding(), bytes)
    }

    ftp_core::client_commands!(async);

    /// Whether the control connection runs TLS.
    pub fn is_secure(&self) -> bool {
        self.driver_ref().control_is_tls()
    }

    /// What the server announced in FEAT after login, if it was asked.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.driver_ref().session.capabilities()
    }

    /// Sends a raw command that opens a data connection (ftplib's `transfercmd`) and
    /// returns the data stream: read it for a download, write it for an upload.
    ///
    /// Cancellation: dropping this future before it returns the stream aborts the transfer
    /// (dequeued if not started, else its data connection closed and ABOR sent with the
    /// next call, which settles the abort first).
    pub async fn transfercmd(
        &mut self,
        line: impl AsRef<[u8]>,
        direction: Direction,
        ascii: bool,
    ) -> Result<DataStream<'_>, Error> {
        let command = line.as_ref();
        let op = self
            .submit_transfer(Op::RawData {
                command,
                direction,
                ascii,
            })
            .await?;
        DataStream::open(self, op, OpKind::RawData).await
    }

    /// Downloads a file: returns a reader. Read it to the end, then
    /// [`finish`](DataReader::finish) for the server's final reply; dropping it early
    /// aborts the transfer (ABOR) and leaves the session usable.
    ///
    /// Cancellation: dropping this future before it returns the stream aborts the transfer
    /// (dequeued if not started, else its data connection closed and ABOR sent with the
    /// next call, which settles the abort first).
    pub async fn retr(&mut self, path: impl AsRef<[u8]>) -> Result<DataReader<'_>, Error> {
        self.retr_from(path, 0).await
    }

    /// Downloads a file from byte `offset` on (REST): resumes a download.
    ///
    /// Cancellation: dropping this future before it returns the stream aborts the transfer
    /// (dequeued if not started, else its data connection closed and ABOR sent with the
    /// next call, which settles the abort first).
    pub async fn retr_from(
        &mut self,
        path: impl AsRef<[u8]>,
        offset: u64,
    ) -> Result<DataReader<'_>, Error> {
        let path = path.as_ref();
        let total = match self.progress.is_some() {
            true => self.size(path).await.ok(),
            false => None,
        };
        let op = self.submit_transfer(Op::Retr { path, offset }).await?;
        let total = total.map(|t| t.saturating_sub(offset));
        DataReader::open(self, op, OpKind::Retr, total).await
    }

    /// Downloads a file into `sink`, then flushes it (a `BufWriter` holds nothing back
    /// when this returns); returns the bytes written.
    ///
    /// Cancellation: dropping this future at any point aborts the transfer as the next call
    /// goes out (ABOR, settled before that call's own command); the session stays in step.
    /// A local file may hold a partial download, the server a partial upload.
    pub async fn retr_to<W: AsyncWrite + Unpin + ?Sized>(
        &mut self,
        path: impl AsRef<[u8]>,
        sink: &mut W,
    ) -> Result<u64, Error> {
        let mut reader = self.retr(path).await?;
        let n = reader.copy_to(sink).await?;
        reader.finish().await?;
        sink.flush().await?;
        Ok(n)
    }

    /// Downloads a file into the local file `local`; returns the bytes written. A
    /// download of up to 64 KiB is written with one trip through tokio's blocking pool
    /// once it is complete (`tokio::fs` costs a trip to create the file and one for each
    /// write, which made many small files about 20 % slower than with `ftp-std`); a
    /// larger one streams into the file through one blocking writer thread, as
    /// [`DataReader::copy_to_file`](crate::DataReader::copy_to_file) does.
    ///
    /// `local` is created (or emptied) only once the server has started the transfer: a
    /// refused download (`550`) leaves an existing local file as it was, and creates
    /// none. If it cannot be created, that is an [`Error::Io`] (for a small download,
    /// after it completed; for a larger one, the transfer is aborted); the session stays
    /// usable. On a later error the local file may be missing or hold part of the
    /// download. `ftp-std`'s `retr_to_path` does the same.
    ///
    /// Cancellation: as [`retr_to`](Self::retr_to).
    pub async fn retr_to_path(
        &mut self,
        path: impl AsRef<[u8]>,
        local: impl AsRef<std::path::Path>,
    ) -> Result<u64, Error> {
        let local = local.as_ref();
        let mut reader = self.retr(path).await?;
        let (head, all) = reader.read_head(ftp_core::transfer::SMALL_DOWNLOAD).await;
        let all = all?;
        if all {
            reader.finish().await?;
            let n = head.len() as u64;
            let local = local.to_owned();
            tokio::task::spawn_blocking(move || std::fs::write(local, head))
                .await
                .map_err(io::Error::other)??;
            return Ok(n);
        }
        let local = local.to_owned();
        let file = tokio::task::spawn_blocking(move || std::fs::File::create(local))
            .await
            .map_err(io::Error::other)??;
        let n = reader.copy_into_file(file, head, |_| {}).await?;
        reader.finish().await?;
        Ok(n)
    }

    /// Uploads a file: returns a writer. Write the content, then
    /// [`finish`](DataWriter::finish) (close_notify, FIN, the server's 226); dropping it
    /// without `finish` aborts the upload.
    ///
    /// Cancellation: dropping this future before it returns the stream aborts the transfer
    /// (dequeued if not started, else its data connection closed and ABOR sent with the
    /// next call, which settles the abort first).
    pub async fn stor(&mut self, path: impl AsRef<[u8]>) -> Result<DataWriter<'_>, Error> {
        self.stor_mode(path.as_ref(), StoreMode::Replace, 0).await
    }

    /// Resumes an upload at `offset` (REST + STOR).
    ///
    /// Cancellation: dropping this future before it returns the stream aborts the transfer
    /// (dequeued if not started, else its data connection closed and ABOR sent with the
    /// next call, which settles the abort first).
    pub async fn stor_at(
        &mut self,
        path: impl AsRef<[u8]>,
        offset: u64,
    ) -> Result<DataWriter<'_>, Error> {
        self.stor_mode(path.as_ref(), StoreMode::Replace, offset)
            .await
    }

    /// Appends to a file (APPE).
    ///
    /// Cancellation: dropping this future before it returns the stream aborts the transfer
    /// (dequeued if not started, else its data connection closed and ABOR sent with the
    /// next call, which settles the abort first).
    pub async fn append(&mut self, path: impl AsRef<[u8]>) -> Result<DataWriter<'_>, Error> {
        self.stor_mode(path.as_ref(), StoreMode::Append, 0).await
    }

    /// Uploads under a name the server picks (STOU); the final reply names it.
    ///
    /// Cancellation: dropping this future before it returns the stream aborts the transfer
    /// (dequeued if not started, else its data connection closed and ABOR sent with the
    /// next call, which settles the abort first).
    pub async fn stor_unique(&mut self) -> Result<DataWriter<'_>, Error> {
        self.stor_mode(b"", StoreMode::Unique, 0).await
    }

    async fn stor_mode(
        &mut self,
        path: &[u8],
        mode: StoreMode,
        offset: u64,
    ) -> Result<DataWriter<'_>, Error> {
        let op = self
            .submit_transfer(Op::Stor { path, mode, offset })
            .await?;
        DataWriter::open(self, op, OpKind::Stor, None).await
    }

    /// Uploads everything `source` yields; returns the bytes sent.
    ///
    /// Cancellation: dropping this future at any point aborts the transfer as the next call
    /// goes out (ABOR, settled before that call's own command); the session stays in step.
    /// A local file may hold a partial download, the server a partial upload.
    pub async fn stor_from<R: AsyncRead + Unpin + ?Sized>(
        &mut self,
        path: impl AsRef<[u8]>,
        source: &mut R,
    ) -> Result<u64, Error> {
        let mut writer = self.stor(path).await?;
        let n = writer.copy_from(source).await?;
        writer.finish().await?;
        Ok(n)
    }

    /// Uploads a local file, read by a blocking thread 64 KiB at a time
    /// ([`DataWriter::copy_from_file`]). Returns the bytes sent.
    ///
    /// Cancellation: dropping this future at any point aborts the transfer as the next call
    /// goes out (ABOR, settled before that call's own command); the session stays in step.
    /// The server may keep a partial upload.
    pub async fn stor_file(
        &mut self,
        path: impl AsRef<[u8]>,
        file: &mut std::fs::File,
    ) -> Result<u64, Error> {
        let mut writer = self.stor(path).await?;
        let n = writer.copy_from_file(file).await?;
        writer.finish().await?;
        Ok(n)
    }

    /// Appends everything `source` yields; returns the bytes sent.
    ///
    /// Cancellation: dropping this future at any point aborts the transfer as the next call
    /// goes out (ABOR, settled before that call's own command); the session stays in step.
    /// A local file may hold a partial download, the server a partial upload.
    pub async fn append_from<R: AsyncRead + Unpin + ?Sized>(
        &mut self,
        path: impl AsRef<[u8]>,
        source: &mut R,
    ) -> Result<u64, Error> {
        let mut writer = self.append(path).await?;
        let n = writer.copy_from(source).await?;
        writer.finish().await?;
        Ok(n)
    }

    /// Downloads a text file in ASCII mode (TYPE A), one line at a time without its line
    /// end (ftplib's `retrlines`).
    ///
    /// Cancellation: dropping this future at any point aborts the transfer as the next call
    /// goes out (ABOR, settled before that call's own command); the session stays in step.
    /// A local file may hold a partial download, the server a partial upload.
    pub async fn retr_lines(
        &mut self,
        path: impl AsRef<[u8]>,
        mut each: impl FnMut(&[u8]),
    ) -> Result<OwnedReply, Error> {
        let command = [b"RETR ", path.as_ref()].concat();
        let op = self
            .submit_transfer(Op::RawData {
                command: &command,
                direction: Direction::Download,
                ascii: true,
            })
            .await?;
        let mut reader = DataReader::open(self, op, OpKind::RawData, None).await?;
        let mut lines = ftp_core::listing::owned::LineBuffer::new();
        reader
            .for_each_chunk(|chunk| lines.push(chunk, &mut each))
            .await?;
        lines.finish(&mut each);
        Ok(reader.finish().await?.reply)
    }

    /// Uploads text lines in ASCII mode (TYPE A), each sent with CRLF (ftplib's
    /// `storlines`).
    ///
    /// Cancellation: dropping this future at any point aborts the transfer as the next call
    /// goes out (ABOR, settled before that call's own command); the session stays in step.
    /// A local file may hold a partial download, the server a partial upload.
    pub async fn stor_lines<R: AsyncBufRead + Unpin + ?Sized>(
        &mut self,
        path: impl AsRef<[u8]>,
        source: &mut R,
    ) -> Result<OwnedReply, Error> {
        let command = [b"STOR ", path.as_ref()].concat();
        let op = self
            .submit_transfer(Op::RawData {
                command: &command,
                direction: Direction::Upload,
                ascii: true,
            })
            .await?;
        let mut writer = DataWriter::open(self, op, OpKind::RawData, None).await?;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if source.read_until(b'\n', &mut buf).await? == 0 {
                break;
            }
            let text = ftp_core::listing::owned::strip_line_end(&buf);
            writer.write_all(text).await?;
            writer.write_all(b"\r\n").await?;
        }
        Ok(writer.finish().await?.reply)
    }

    /// Lists a directory (LIST) and parses each line (Unix, DOS/IIS, EPLF, VMS, MLSD
    /// shapes, detected). Lines no parser understands are in [`Listing::unparsed`].
    ///
    /// Cancellation: dropping this future at any point aborts the transfer as the next call
    /// goes out (ABOR, settled before that call's own command); the session stays in step.
    pub async fn list(&mut self, path: Option<&str>) -> Result<Listing, Error> {
        let op = self
            .submit_transfer(Op::List(path.map(str::as_bytes)))
            .await?;
        self.collect_listing(op, OpKind::List, Format::Auto).await
    }

    /// The raw lines of a LIST (line ends removed).
    ///
    /// Cancellation: dropping this future at any point aborts the transfer as the next call
    /// goes out (ABOR, settled before that call's own command); the session stays in step.
    pub async fn list_lines(&mut self, path: Option<&str>) -> Result<Vec<Vec<u8>>, Error> {
        let op = self
            .submit_transfer(Op::List(path.map(str::as_bytes)))
            .await?;
        self.collect_lines(op, OpKind::List).await
    }

    /// Names in a directory (NLST).
    ///
    /// Cancellation: dropping this future at any point aborts the transfer as the next call
    /// goes out (ABOR, settled before that call's own command); the session stays in step.
    pub async fn nlst(&mut self, path: Option<&str>) -> Result<Vec<String>, Error> {
        let op = self
            .submit_transfer(Op::Nlst(path.map(str::as_bytes)))
            .await?;
        let lines = self.collect_lines(op, OpKind::Nlst).await?;
        let names = lines.iter().filter(|l| !l.is_empty());
        names.map(|l| self.decode(l)).collect()
    }

    /// A directory's machine-readable listing (MLSD, RFC 3659).
    ///
    /// Cancellation: dropping this future at any point aborts the transfer as the next call
    /// goes out (ABOR, settled before that call's own command); the session stays in step.
    pub async fn mlsd(&mut self, path: Option<&str>) -> Result<Listing, Error> {
        let op = self
            .submit_transfer(Op::Mlsd(path.map(str::as_bytes)))
            .await?;
        self.collect_listing(op, OpKind::Mlsd, Format::Mlsd).await
    }

    /// Submits a transfer, first refreshing TLS 1.3 tickets when none is left (see
    /// [`TlsSession::ticket_refresh`](ftp_core::tls::TlsSession::ticket_refresh)).
    async fn submit_transfer(&mut self, op: Op<'_>) -> Result<OpId, Error> {
        let driver = self.driver();
        let refresh = ftp_core::tls::TlsSession::refresh_before_transfer(
            driver.tls.as_ref(),
            &driver.session,
        );
        if let Some(refresh) = refresh {
            tracing::debug!(target: "ftp::transcript", "no TLS 1.3 ticket left: a listing to get fresh ones");
            let id = self.driver().submit(refresh)?;
            // Its outcome does not matter (servers that demand reuse refuse it).
            let _ = self.collect_lines(id, OpKind::Nlst).await;
        }
        self.driver().submit(op)
    }

    async fn collect_lines(&mut self, op: OpId, kind: OpKind) -> Result<Vec<Vec<u8>>, Error> {
        let mut reader = DataReader::open(self, op, kind, None).await?;
        let mut lines = LineCollector::new();
        reader.for_each_chunk(|chunk| lines.push(chunk)).await?;
        reader.finish().await?;
        Ok(lines.finish())
    }

    async fn collect_listing(
        &mut self,
        op: OpId,
        kind: OpKind,
        format: Format,
    ) -> Result<Listing, Error> {
        let parser = ListingParser::new(now_utc()).with_format(format);
        let mut listing = ListingCollector::new(parser);
        let mut reader = DataReader::open(self, op, kind, None).await?;
        reader.for_each_chunk(|chunk| listing.push(chunk)).await?;
        reader.finish().await?;
        Ok(listing.finish())
    }

    /// Ends the session politely (QUIT) and closes the connection. Dropping this future
    /// leaves the QUIT to the background task of `Drop`.
    pub async fn quit(mut self) -> Result<OwnedReply, Error> {
        let reply = self.run(Op::Quit).await?.reply;
        self.driver().close();
        Ok(reply)
    }

    /// Whether the session has ended (QUIT, `close`, or a fatal failure): every further
    /// command fails with [`Error::Closed`].
    pub fn is_closed(&self) -> bool {
        let driver = self.driver_ref();
        !driver.is_open() || driver.session.is_closed()
    }

    /// Closes the connection without QUIT.
    pub fn close(mut self) {
        self.driver().close();
    }

    /// How many data connections resumed the control connection's TLS session, and how
    /// many made a full handshake (diagnostics for servers that require reuse).
    pub fn data_tls_resumptions(&self) -> (usize, usize) {
        let kinds = &self.driver_ref().data_handshakes;
        let resumed = kinds
            .iter()
            .filter(|k| **k == rustls::HandshakeKind::Resumed)
            .count();
        (resumed, kinds.len() - resumed)
    }
}

impl Drop for Client {
    /// Sends QUIT best-effort from a task on the current runtime (settling what dropped
    /// calls left behind first), waiting at most the configured quit timeout.
    fn drop(&mut self) {
        let Some(driver) = self.driver.take() else {
            return;
        };
        if !driver.is_open() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let timeout = driver.config.get_quit_timeout();
        runtime.spawn(async move {
            let _ = tokio::time::timeout(timeout, driver.quit_in_background()).await;
        });
    }
}
