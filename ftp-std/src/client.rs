//! The blocking client: ftplib's vocabulary over [`Driver`].

use std::io::{self, BufRead, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Instant as StdInstant;

use ftp_core::config::Config;
use ftp_core::driver::{Completion, Error, Progress, Timeout, decode_name, host_of, now_utc};
use ftp_core::feat::Capabilities;
use ftp_core::listing::owned::{LineCollector, Listing, ListingCollector};
use ftp_core::listing::{Format, ListingParser};
use ftp_core::reply::OwnedReply;
use ftp_core::session::{Client as Session, Instant, Op, OpId, OpKind};
use ftp_core::transfer::{ControlAddresses, Direction, StoreMode};

use ftp_core::tls::TlsSession;

use crate::driver::Driver;
use crate::transfer::{DataReader, DataStream, DataWriter};

/// A progress observer: called with the bytes moved so far and the total when known.
pub type ProgressFn = Box<dyn FnMut(Progress) + Send>;

/// A blocking FTP or FTPS session. See the [crate docs](crate).
pub struct Client {
    pub(crate) driver: Driver,
    pub(crate) progress: Option<ProgressFn>,
    /// The upload buffer (`Config::buffer_size`), reused by every transfer.
    pub(crate) buffer: Vec<u8>,
    /// The download buffer (`Config::socket_io_size`), reused by every transfer: its own
    /// small allocation, measured faster to receive into than a part of a larger buffer
    /// (BENCHMARKS.md, transfers, point 1).
    pub(crate) read_buffer: Vec<u8>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("open", &self.driver.is_open())
            .field("tls", &self.driver.control_is_tls())
            .finish()
    }
}

impl Client {
    /// Connects to `address` (`host:port`, `[v6]:port`), reads the greeting and, with
    /// FTPS configured, secures the control connection. The host part is the name TLS
    /// certificates are checked against.
    pub fn connect(address: &str, config: Config) -> Result<Client, Error> {
        let host = host_of(address);
        let addrs: Vec<SocketAddr> = address.to_socket_addrs()?.collect();
        let mut last = Error::Io(io::Error::new(
            io::ErrorKind::NotFound,
            "the address resolved to nothing",
        ));
        for addr in addrs {
            match Self::connect_with_name(addr, host, config.clone()) {
                Ok(client) => return Ok(client),
                Err(e @ (Error::Io(_) | Error::Timeout(Timeout::Connect))) => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// Connects to `addr`; TLS certificates are checked against the IP address (or the
    /// name set with [`TlsConfig::server_name`](ftp_core::tls::TlsConfig::server_name)).
    pub fn connect_addr(addr: SocketAddr, config: Config) -> Result<Client, Error> {
        Self::connect_with_name(addr, &addr.ip().to_string(), config)
    }

    fn connect_with_name(addr: SocketAddr, host: &str, config: Config) -> Result<Client, Error> {
        let tls = config.tls_session(host)?;
        let control =
            crate::stream::connect(addr, config.get_source_ip(), config.get_connect_timeout())
                .map_err(|e| match e.kind() {
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                        Error::Timeout(Timeout::Connect)
                    }
                    _ => Error::Io(e),
                })?;
        control.set_nodelay(true)?;
        let addrs = ControlAddresses {
            local: control.local_addr()?,
            peer: control.peer_addr()?,
        };
        let epoch = StdInstant::now();
        let mut session_config = config.session().clone();
        // Every reply goes to the transcript.
        session_config.report_all_replies = true;
        let session = Session::new(session_config, addrs, Instant::ZERO);
        let mut driver = Driver::new(session, control, tls, config, epoch);
        // The greeting (and with FTPS the handshake) before anything else.
        loop {
            driver.drain()?;
            if driver.tracker.closed().is_some() {
                return Err(driver.closed_error());
            }
            if driver.tracker.welcome().is_some()
                && (driver.tls.is_none() || driver.control_is_tls())
            {
                break;
            }
            driver.wait()?;
        }
        Ok(Client {
            driver,
            progress: None,
            buffer: Vec::new(),
            read_buffer: Vec::new(),
        })
    }

    /// The server's greeting.
    pub fn welcome(&self) -> Option<&OwnedReply> {
        self.driver.tracker.welcome()
    }

    /// Sets (or removes) the progress observer for transfers.
    pub fn set_progress(&mut self, observer: Option<ProgressFn>) {
        self.progress = observer;
    }

    fn run(&mut self, op: Op<'_>) -> Result<Completion, Error> {
        self.driver.run(op)
    }

    fn settle(&mut self) -> Result<(), Error> {
        self.driver.settle()
    }

    /// Submits a transfer, first refreshing TLS 1.3 tickets when none is left (see
    /// [`TlsSession::ticket_refresh`](ftp_core::tls::TlsSession::ticket_refresh)).
    fn submit_transfer(&mut self, op: Op<'_>) -> Result<OpId, Error> {
        let refresh =
            TlsSession::refresh_before_transfer(self.driver.tls.as_ref(), &self.driver.session);
        if let Some(refresh) = refresh {
            tracing::debug!(target: "ftp::transcript", "no TLS 1.3 ticket left: a listing to get fresh ones");
            let id = self.driver.submit(refresh)?;
            // Its outcome does not matter (servers that demand reuse refuse it).
            let _ = self.collect_lines(id, OpKind::Nlst);
        }
        self.driver.submit(op)
    }

    fn decode(&self, bytes: &[u8]) -> Result<String, Error> {
        decode_name(self.driver.config.get_encoding(), bytes)
    }

    ftp_core::client_commands!(blocking);

    /// Whether the control connection runs TLS.
    pub fn is_secure(&self) -> bool {
        self.driver.control_is_tls()
    }

    /// What the server announced in FEAT after login, if it was asked.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.driver.session.capabilities()
    }

    /// Sends a raw command that opens a data connection (ftplib's `transfercmd`) and
    /// returns the data stream: read it for a download, write it for an upload.
    pub fn transfercmd(
        &mut self,
        line: impl AsRef<[u8]>,
        direction: Direction,
        ascii: bool,
    ) -> Result<DataStream<'_>, Error> {
        let op = self.submit_transfer(Op::RawData {
            command: line.as_ref(),
            direction,
            ascii,
        })?;
        DataStream::open(self, op, OpKind::RawData)
    }

    /// Downloads a file: returns a reader. Read it to the end, then
    /// [`finish`](DataReader::finish) for the server's final reply; dropping it early
    /// aborts the transfer (ABOR) and leaves the session usable.
    pub fn retr(&mut self, path: impl AsRef<[u8]>) -> Result<DataReader<'_>, Error> {
        self.retr_from(path, 0)
    }

    /// Downloads a file from byte `offset` on (REST): resumes a download.
    pub fn retr_from(
        &mut self,
        path: impl AsRef<[u8]>,
        offset: u64,
    ) -> Result<DataReader<'_>, Error> {
        let path = path.as_ref();
        let total = if self.progress.is_some() {
            self.size(path).ok()
        } else {
            None
        };
        let op = self.submit_transfer(Op::Retr { path, offset })?;
        DataReader::open(
            self,
            op,
            OpKind::Retr,
            total.map(|t| t.saturating_sub(offset)),
        )
    }

    /// Downloads a file into `sink`, then flushes it (a `BufWriter` holds nothing back
    /// when this returns); returns the bytes written.
    pub fn retr_to(&mut self, path: impl AsRef<[u8]>, sink: &mut impl Write) -> Result<u64, Error> {
        let mut reader = self.retr(path)?;
        let n = reader.copy_to(sink)?;
        reader.finish()?;
        sink.flush()?;
        Ok(n)
    }

    /// Downloads a file into the local file `local`; returns the bytes written, through
    /// [`DataReader::copy_to_file`](crate::DataReader::copy_to_file) (a writer thread
    /// for anything past 64 KiB).
    ///
    /// `local` is created (or emptied) only once the server has started the transfer: a
    /// refused download (`550`) leaves an existing local file as it was, and creates
    /// none. If it cannot be created, that is an [`Error::Io`] and the transfer is
    /// aborted; the session stays usable. On a later error the local file may hold part
    /// of the download. `ftp-tokio`'s `retr_to_path` does the same.
    pub fn retr_to_path(
        &mut self,
        path: impl AsRef<[u8]>,
        local: impl AsRef<std::path::Path>,
    ) -> Result<u64, Error> {
        let mut reader = self.retr(path)?;
        // (On an error here, dropping the reader aborts the transfer.)
        let mut file = std::fs::File::create(local)?;
        let n = reader.copy_to_file(&mut file)?;
        reader.finish()?;
        Ok(n)
    }

    /// Uploads a file: returns a writer. Write the content, then
    /// [`finish`](DataWriter::finish) (close_notify, FIN, the server's 226); dropping it
    /// without `finish` aborts the upload.
    pub fn stor(&mut self, path: impl AsRef<[u8]>) -> Result<DataWriter<'_>, Error> {
        self.stor_mode(path.as_ref(), StoreMode::Replace, 0)
    }

    /// Resumes an upload at `offset` (REST + STOR).
    pub fn stor_at(
        &mut self,
        path: impl AsRef<[u8]>,
        offset: u64,
    ) -> Result<DataWriter<'_>, Error> {
        self.stor_mode(path.as_ref(), StoreMode::Replace, offset)
    }

    /// Appends to a file (APPE).
    pub fn append(&mut self, path: impl AsRef<[u8]>) -> Result<DataWriter<'_>, Error> {
        self.stor_mode(path.as_ref(), StoreMode::Append, 0)
    }

    /// Uploads under a name the server picks (STOU); the final reply names it.
    pub fn stor_unique(&mut self) -> Result<DataWriter<'_>, Error> {
        self.stor_mode(b"", StoreMode::Unique, 0)
    }

    fn stor_mode(
        &mut self,
        path: &[u8],
        mode: StoreMode,
        offset: u64,
    ) -> Result<DataWriter<'_>, Error> {
        let op = self.submit_transfer(Op::Stor { path, mode, offset })?;
        DataWriter::open(self, op, OpKind::Stor, None)
    }

    /// Uploads everything `source` yields; returns the bytes sent.
    pub fn stor_from(
        &mut self,
        path: impl AsRef<[u8]>,
        source: &mut impl Read,
    ) -> Result<u64, Error> {
        let mut writer = self.stor(path)?;
        let n = writer.copy_from(source)?;
        writer.finish()?;
        Ok(n)
    }

    /// Uploads a local file (64 KiB reads and socket writes, see
    /// [`DataWriter::copy_from_file`]). Returns the bytes sent.
    pub fn stor_file(
        &mut self,
        path: impl AsRef<[u8]>,
        file: &mut std::fs::File,
    ) -> Result<u64, Error> {
        let mut writer = self.stor(path)?;
        let n = writer.copy_from_file(file)?;
        writer.finish()?;
        Ok(n)
    }

    /// Appends everything `source` yields; returns the bytes sent.
    pub fn append_from(
        &mut self,
        path: impl AsRef<[u8]>,
        source: &mut impl Read,
    ) -> Result<u64, Error> {
        let mut writer = self.append(path)?;
        let n = writer.copy_from(source)?;
        writer.finish()?;
        Ok(n)
    }

    /// Downloads a text file in ASCII mode (TYPE A), one line at a time without its line
    /// end (ftplib's `retrlines`).
    pub fn retr_lines(
        &mut self,
        path: impl AsRef<[u8]>,
        mut each: impl FnMut(&[u8]),
    ) -> Result<OwnedReply, Error> {
        let mut line = b"RETR ".to_vec();
        line.extend_from_slice(path.as_ref());
        let op = self.submit_transfer(Op::RawData {
            command: &line,
            direction: Direction::Download,
            ascii: true,
        })?;
        let mut reader = DataReader::open(self, op, OpKind::RawData, None)?;
        let mut lines = ftp_core::listing::owned::LineBuffer::new();
        reader.for_each_chunk(|chunk| {
            lines.push(chunk, &mut each);
            Ok(())
        })?;
        lines.finish(&mut each);
        Ok(reader.finish()?.reply)
    }

    /// Uploads text lines in ASCII mode (TYPE A), each sent with CRLF (ftplib's
    /// `storlines`).
    pub fn stor_lines(
        &mut self,
        path: impl AsRef<[u8]>,
        source: &mut impl BufRead,
    ) -> Result<OwnedReply, Error> {
        let mut line = b"STOR ".to_vec();
        line.extend_from_slice(path.as_ref());
        let op = self.submit_transfer(Op::RawData {
            command: &line,
            direction: Direction::Upload,
            ascii: true,
        })?;
        let mut writer = DataWriter::open(self, op, OpKind::RawData, None)?;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if source.read_until(b'\n', &mut buf)? == 0 {
                break;
            }
            let text = ftp_core::listing::owned::strip_line_end(&buf);
            writer.write_all(text)?;
            writer.write_all(b"\r\n")?;
        }
        Ok(writer.finish()?.reply)
    }

    /// Lists a directory (LIST) and parses each line (Unix, DOS/IIS, EPLF, VMS, MLSD
    /// shapes, detected). Lines no parser understands are in [`Listing::unparsed`].
    pub fn list(&mut self, path: Option<&str>) -> Result<Listing, Error> {
        let op = self.submit_transfer(Op::List(path.map(str::as_bytes)))?;
        self.collect_listing(op, OpKind::List, Format::Auto)
    }

    /// The raw lines of a LIST (line ends removed).
    pub fn list_lines(&mut self, path: Option<&str>) -> Result<Vec<Vec<u8>>, Error> {
        let op = self.submit_transfer(Op::List(path.map(str::as_bytes)))?;
        self.collect_lines(op, OpKind::List)
    }

    /// Names in a directory (NLST).
    pub fn nlst(&mut self, path: Option<&str>) -> Result<Vec<String>, Error> {
        let op = self.submit_transfer(Op::Nlst(path.map(str::as_bytes)))?;
        let lines = self.collect_lines(op, OpKind::Nlst)?;
        lines
            .iter()
            .filter(|l| !l.is_empty())
            .map(|l| self.decode(l))
            .collect()
    }

    /// A directory's machine-readable listing (MLSD, RFC 3659).
    pub fn mlsd(&mut self, path: Option<&str>) -> Result<Listing, Error> {
        let op = self.submit_transfer(Op::Mlsd(path.map(str::as_bytes)))?;
        self.collect_listing(op, OpKind::Mlsd, Format::Mlsd)
    }

    fn collect_lines(
        &mut self,
        op: ftp_core::session::OpId,
        kind: OpKind,
    ) -> Result<Vec<Vec<u8>>, Error> {
        let mut reader = DataReader::open(self, op, kind, None)?;
        let mut lines = LineCollector::new();
        reader.for_each_chunk(|chunk| {
            lines.push(chunk);
            Ok(())
        })?;
        reader.finish()?;
        Ok(lines.finish())
    }

    fn collect_listing(
        &mut self,
        op: ftp_core::session::OpId,
        kind: OpKind,
        format: Format,
    ) -> Result<Listing, Error> {
        let parser = ListingParser::new(now_utc()).with_format(format);
        let mut listing = ListingCollector::new(parser);
        let mut reader = DataReader::open(self, op, kind, None)?;
        reader.for_each_chunk(|chunk| {
            listing.push(chunk);
            Ok(())
        })?;
        reader.finish()?;
        Ok(listing.finish())
    }

    /// Whether the session has ended (QUIT, `close`, or a fatal failure): every further
    /// command fails with [`Error::Closed`].
    pub fn is_closed(&self) -> bool {
        self.driver.session.is_closed() || self.driver.tracker.closed().is_some()
    }

    /// Ends the session politely (QUIT) and closes the connection.
    pub fn quit(mut self) -> Result<OwnedReply, Error> {
        let reply = self.run(Op::Quit)?.reply;
        self.driver.close();
        Ok(reply)
    }

    /// Closes the connection without QUIT.
    pub fn close(mut self) {
        self.driver.close();
    }

    /// How many data connections resumed the control connection's TLS session, and how
    /// many made a full handshake (diagnostics for servers that require reuse).
    pub fn data_tls_resumptions(&self) -> (usize, usize) {
        let resumed = self
            .driver
            .data_handshakes
            .iter()
            .filter(|k| **k == rustls::HandshakeKind::Resumed)
            .count();
        (resumed, self.driver.data_handshakes.len() - resumed)
    }
}

impl Drop for Client {
    /// Sends QUIT best-effort, waiting at most the configured quit timeout.
    fn drop(&mut self) {
        if !self.driver.is_open() {
            return;
        }
        let timeout = self.driver.config.get_quit_timeout();
        if let Ok(op) = self.driver.submit(Op::Quit) {
            let started = StdInstant::now();
            while let Some(left) = timeout.checked_sub(started.elapsed()) {
                if self.driver.drain().is_err() || self.driver.tracker.take_outcome(op).is_some() {
                    break;
                }
                if self.driver.wait_at_most(left).is_err() {
                    break;
                }
            }
        }
        self.driver.close();
    }
}
