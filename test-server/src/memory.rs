//! A small functional FTP server over an in-memory file tree: many sessions, a thread each.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rustls::{HandshakeKind, ServerConfig};

use crate::session::{parse_eprt, parse_port};
use crate::stream::{Stream, is_timeout};

// ---------------------------------------------------------------------------------------------------------
// The file tree
// ---------------------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Node {
    File { data: Arc<Vec<u8>>, mtime: i64 },
    Dir { mtime: i64 },
}

/// An in-memory file tree shared by a [`MemoryServer`] and the test (cheap to clone; all clones are one
/// tree). Paths are absolute, `/`-separated; relative paths are taken from the root.
#[derive(Clone, Default)]
pub struct MemoryFs {
    nodes: Arc<Mutex<BTreeMap<String, Node>>>,
}

impl fmt::Debug for MemoryFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.lock().keys()).finish()
    }
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Joins `path` to `cwd` and resolves `.` and `..` (never above `/`).
fn resolve(cwd: &str, path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let full = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("{cwd}/{path}")
    };
    for p in full.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

impl MemoryFs {
    /// An empty tree (only `/`).
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Node>> {
        self.nodes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates or replaces a file, creating missing parent directories.
    pub fn put(&self, path: &str, data: impl Into<Vec<u8>>) {
        let path = resolve("/", path);
        self.mkdir_all(parent(&path));
        self.lock().insert(
            path,
            Node::File {
                data: Arc::new(data.into()),
                mtime: now_unix(),
            },
        );
    }

    /// The content of a file, if there is one at `path`.
    pub fn get(&self, path: &str) -> Option<Vec<u8>> {
        match self.lock().get(&resolve("/", path)) {
            Some(Node::File { data, .. }) => Some(data.to_vec()),
            _ => None,
        }
    }

    /// Creates a directory and its missing parents.
    pub fn mkdir_all(&self, path: &str) {
        let path = resolve("/", path);
        let mut nodes = self.lock();
        let mut cur = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            cur.push('/');
            cur.push_str(part);
            nodes
                .entry(cur.clone())
                .or_insert(Node::Dir { mtime: now_unix() });
        }
    }

    /// True if a file or directory exists at `path`.
    pub fn exists(&self, path: &str) -> bool {
        let path = resolve("/", path);
        path == "/" || self.lock().contains_key(&path)
    }

    /// The names in directory `path`, sorted.
    pub fn list(&self, path: &str) -> Vec<String> {
        let path = resolve("/", path);
        children(&self.lock(), &path)
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    }

    /// Sets a file's or directory's modification time (seconds since the Unix epoch).
    pub fn set_mtime(&self, path: &str, unix_secs: i64) -> bool {
        match self.lock().get_mut(&resolve("/", path)) {
            Some(Node::File { mtime, .. } | Node::Dir { mtime }) => {
                *mtime = unix_secs;
                true
            }
            None => false,
        }
    }

    /// Every file under directory `root`, by path relative to it (`/`-separated).
    pub fn files_under(&self, root: &str) -> BTreeMap<String, Vec<u8>> {
        let root = resolve("/", root);
        let prefix = if root == "/" {
            root
        } else {
            format!("{root}/")
        };
        self.lock()
            .iter()
            .filter_map(|(path, node)| match node {
                Node::File { data, .. } => {
                    Some((path.strip_prefix(&prefix)?.to_owned(), data.to_vec()))
                }
                Node::Dir { .. } => None,
            })
            .collect()
    }

    /// A file's or directory's modification time (seconds since the Unix epoch).
    pub fn mtime(&self, path: &str) -> Option<i64> {
        match self.lock().get(&resolve("/", path)) {
            Some(Node::File { mtime, .. } | Node::Dir { mtime }) => Some(*mtime),
            None => None,
        }
    }
}

fn children(nodes: &BTreeMap<String, Node>, dir: &str) -> Vec<(String, Node)> {
    let prefix = if dir == "/" {
        "/".to_owned()
    } else {
        format!("{dir}/")
    };
    nodes
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter(|(k, _)| !k[prefix.len()..].contains('/'))
        .map(|(k, n)| (k[prefix.len()..].to_owned(), n.clone()))
        .collect()
}

// ---------------------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------------------

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's civil_from_days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// (year, month, day) to days since 1970-01-01 (days_from_civil).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn split_time(t: i64) -> (i64, u32, u32, i64, i64, i64) {
    let (y, mo, d) = civil(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    (y, mo, d, s / 3600, s % 3600 / 60, s % 60)
}

/// `YYYYMMDDHHMMSS`.
fn mdtm_string(t: i64) -> String {
    let (y, mo, d, h, mi, s) = split_time(t);
    format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}")
}

/// Parses `YYYYMMDDHHMMSS` (fractions ignored) to Unix seconds.
fn parse_mdtm(s: &str) -> Option<i64> {
    let s = s.split('.').next()?;
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().ok();
    let (y, mo, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
    let (h, mi, sec) = (n(8..10)?, n(10..12)?, n(12..14)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(y, mo as u32, d as u32) * 86_400 + h * 3600 + mi * 60 + sec)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// One `ls -l` line (recent files show the time, older ones the year).
fn list_line(name: &str, node: &Node, now: i64) -> String {
    let (perm, size, mtime) = match node {
        Node::File { data, mtime } => ("-rw-r--r--", data.len(), *mtime),
        Node::Dir { mtime } => ("drwxr-xr-x", 0, *mtime),
    };
    let (y, mo, d, h, mi, _) = split_time(mtime);
    let month = MONTHS[(mo - 1) as usize];
    let when = if (now - mtime).abs() < 180 * 86_400 {
        format!("{month} {d:>2} {h:02}:{mi:02}")
    } else {
        format!("{month} {d:>2}  {y}")
    };
    format!("{perm} 1 ftp ftp {size:>12} {when} {name}")
}

/// One MLSD/MLST fact line (without the leading space MLST adds).
fn mlsx_line(name: &str, node: &Node) -> String {
    match node {
        Node::File { data, mtime } => format!(
            "type=file;size={};modify={};perm=adfrw; {name}",
            data.len(),
            mdtm_string(*mtime)
        ),
        Node::Dir { mtime } => format!(
            "type=dir;modify={};perm=flcdmpe; {name}",
            mdtm_string(*mtime)
        ),
    }
}

// ---------------------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------------------

/// Counters a test can read while or after clients ran.
#[derive(Debug, Default)]
pub struct MemoryStats {
    sessions: AtomicUsize,
    active: AtomicUsize,
    data_tls_full: AtomicUsize,
    data_tls_resumed: AtomicUsize,
    refused_no_reuse: AtomicUsize,
    aborts: AtomicUsize,
}

impl MemoryStats {
    /// Control connections accepted so far.
    pub fn sessions(&self) -> usize {
        self.sessions.load(Ordering::SeqCst)
    }
    /// Control connections open now.
    pub fn active_sessions(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }
    /// Data TLS handshakes that were full handshakes.
    pub fn data_tls_full(&self) -> usize {
        self.data_tls_full.load(Ordering::SeqCst)
    }
    /// Data TLS handshakes that resumed a session.
    pub fn data_tls_resumed(&self) -> usize {
        self.data_tls_resumed.load(Ordering::SeqCst)
    }
    /// Data connections refused with 522 because they did not resume (`require_session_reuse`).
    pub fn refused_no_reuse(&self) -> usize {
        self.refused_no_reuse.load(Ordering::SeqCst)
    }
    /// Transfers ended by ABOR.
    pub fn aborts(&self) -> usize {
        self.aborts.load(Ordering::SeqCst)
    }
}

struct Shared {
    fs: MemoryFs,
    user: String,
    pass: String,
    anonymous: bool,
    tls: Option<Arc<ServerConfig>>,
    require_session_reuse: bool,
    hash: HashMode,
    legacy_digests: (bool, bool, bool),
    timeout: Duration,
    stats: MemoryStats,
    stop: AtomicBool,
    controls: Mutex<Vec<TcpStream>>,
}

/// Configures and starts a [`MemoryServer`].
#[derive(Debug, Clone)]
pub struct MemoryServerBuilder {
    ip: IpAddr,
    user: String,
    pass: String,
    anonymous: bool,
    tls: Option<Arc<ServerConfig>>,
    require_session_reuse: bool,
    hash: HashMode,
    legacy_digests: (bool, bool, bool),
    timeout: Duration,
    fs: MemoryFs,
}

impl MemoryServerBuilder {
    /// The IP to bind (default 127.0.0.1; `::1` for IPv6).
    pub fn ip(mut self, ip: IpAddr) -> Self {
        self.ip = ip;
        self
    }
    /// The one named user (default `user` / `pass`).
    pub fn user(mut self, user: &str, pass: &str) -> Self {
        self.user = user.to_owned();
        self.pass = pass.to_owned();
        self
    }
    /// Whether `anonymous` / `ftp` may log in with any password (default yes).
    pub fn anonymous(mut self, allowed: bool) -> Self {
        self.anonymous = allowed;
        self
    }
    /// Enables explicit TLS (`AUTH TLS`, `PBSZ`, `PROT`) with this config.
    pub fn tls(mut self, config: Arc<ServerConfig>) -> Self {
        self.tls = Some(config);
        self
    }
    /// Refuses (522, like vsftpd) a data TLS connection that did not resume the control session.
    pub fn require_session_reuse(mut self, required: bool) -> Self {
        self.require_session_reuse = required;
        self
    }
    /// Offers `HASH` (draft-bryan-ftpext-hash): FEAT `HASH SHA-1*;SHA-256`, `OPTS HASH`,
    /// and `HASH path` answered with the file's SHA-256 ([`HashMode::Honest`]) or a wrong
    /// one ([`HashMode::Wrong`]). Default off.
    pub fn hash(mut self, mode: HashMode) -> Self {
        self.hash = mode;
        self
    }
    /// Offers the older digest commands: `XMD5` (`md5`) and `XCRC` (`crc`), answered
    /// `250 HEX`, the digest of other bytes if `wrong`. Default neither.
    pub fn legacy_digests(mut self, md5: bool, crc: bool, wrong: bool) -> Self {
        self.legacy_digests = (md5, crc, wrong);
        self
    }
    /// How long to wait for a data connection, and for data to move (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    /// Serves this tree (default: a new empty one).
    pub fn fs(mut self, fs: MemoryFs) -> Self {
        self.fs = fs;
        self
    }

    /// Binds port 0 on the chosen IP and starts accepting control connections.
    pub fn start(self) -> io::Result<MemoryServer> {
        let listener = TcpListener::bind(SocketAddr::new(self.ip, 0))?;
        let addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let shared = Arc::new(Shared {
            fs: self.fs,
            user: self.user,
            pass: self.pass,
            anonymous: self.anonymous,
            tls: self.tls,
            require_session_reuse: self.require_session_reuse,
            hash: self.hash,
            legacy_digests: self.legacy_digests,
            timeout: self.timeout,
            stats: MemoryStats::default(),
            stop: AtomicBool::new(false),
            controls: Mutex::new(Vec::new()),
        });
        let acceptor = {
            let shared = shared.clone();
            thread::Builder::new()
                .name(format!("memory-ftp {addr}"))
                .spawn(move || accept_loop(listener, shared))?
        };
        Ok(MemoryServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }
}

/// A functional FTP server over a [`MemoryFs`], one thread per session, for tests that need a real
/// conversation rather than a script: concurrency, cancellation, listings, resumed transfers.
///
/// Commands: USER, PASS (one user and anonymous), SYST, FEAT, OPTS UTF8, TYPE, MODE, STRU, EPSV, PASV, EPRT,
/// PORT, RETR, STOR, APPE, STOU, REST, LIST, NLST, MLSD, MLST, SIZE, MDTM, MFMT, DELE, RNFR/RNTO, MKD, RMD,
/// CWD, CDUP, PWD, NOOP, ABOR (426 then 226 during a transfer, else 225), STAT, HELP, SITE, QUIT, and
/// explicit TLS (AUTH TLS, PBSZ, PROT P/C, TLS on data connections). Dropping the server stops it and
/// closes every session.
pub struct MemoryServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl fmt::Debug for MemoryServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryServer")
            .field("addr", &self.addr)
            .field("stats", &self.shared.stats)
            .finish_non_exhaustive()
    }
}

impl MemoryServer {
    /// A builder with the defaults: 127.0.0.1, user `user`/`pass`, anonymous allowed, no TLS, 10 s timeout.
    pub fn builder() -> MemoryServerBuilder {
        MemoryServerBuilder {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            user: "user".to_owned(),
            pass: "pass".to_owned(),
            anonymous: true,
            tls: None,
            require_session_reuse: false,
            hash: HashMode::Off,
            legacy_digests: (false, false, false),
            timeout: crate::DEFAULT_TIMEOUT,
            fs: MemoryFs::new(),
        }
    }

    /// Starts a server with the defaults. Panics if 127.0.0.1 cannot be bound.
    pub fn start() -> MemoryServer {
        Self::builder().start().expect("bind the memory server")
    }

    /// Starts an explicit-TLS server (a valid certificate from `pki`) that refuses data
    /// connections which do not resume the control session, as vsftpd and proftpd do;
    /// returns it with the address that reaches it by its certificate's name. Panics if
    /// 127.0.0.1 cannot be bound.
    pub fn start_tls_requiring_reuse(pki: &crate::TestPki) -> (MemoryServer, String) {
        let server = Self::builder()
            .tls(pki.server_config(crate::Leaf::Valid))
            .require_session_reuse(true)
            .start()
            .expect("bind the memory server");
        let address = format!("localhost:{}", server.addr().port());
        (server, address)
    }

    /// The control address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The served tree (the same tree, not a copy).
    pub fn fs(&self) -> &MemoryFs {
        &self.shared.fs
    }

    /// Counters: sessions, data TLS handshakes, refusals, aborts.
    pub fn stats(&self) -> &MemoryStats {
        &self.shared.stats
    }
}

impl Drop for MemoryServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
        for c in self
            .shared
            .controls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let Ok(clone) = stream.try_clone() else {
                    continue;
                };
                shared
                    .controls
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(clone);
                shared.stats.sessions.fetch_add(1, Ordering::SeqCst);
                shared.stats.active.fetch_add(1, Ordering::SeqCst);
                let shared = shared.clone();
                let spawned = thread::Builder::new()
                    .name("memory-ftp session".to_owned())
                    .spawn(move || {
                        if let Ok(mut s) = FtpSession::new(stream, shared.clone()) {
                            s.run();
                        }
                        shared.stats.active.fetch_sub(1, Ordering::SeqCst);
                    });
                if spawned.is_err() {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(2));
            }
            Err(_) => thread::sleep(Duration::from_millis(2)),
        }
    }
}

enum DataSetup {
    None,
    Passive(TcpListener),
    Active(SocketAddr),
}

/// How a transfer's data phase ended.
enum Transfer {
    Done(Vec<u8>),
    Aborted,
    Failed(String),
}

/// How long a session may sit idle on the control connection before it is closed.
const IDLE: Duration = Duration::from_secs(300);

/// Whether and how a [`MemoryServer`] answers `HASH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashMode {
    /// Not offered.
    Off,
    /// The file's true SHA-256.
    Honest,
    /// A digest of other bytes: a client that verifies must notice.
    Wrong,
}

struct FtpSession {
    ctl: Option<Stream>,
    inbuf: Vec<u8>,
    peer: SocketAddr,
    local: SocketAddr,
    shared: Arc<Shared>,
    pending_user: Option<String>,
    logged_in: bool,
    cwd: String,
    data: DataSetup,
    prot_p: bool,
    rest: u64,
    hash_sha256: bool,
    rnfr: Option<String>,
    closing: Vec<Stream>,
    stou_counter: usize,
}

/// The verb (upper-cased, with any Telnet IP/Synch bytes before it dropped) and the argument.
fn split_command(line: &str) -> (String, String) {
    let line = line.trim_start_matches(|c: char| !c.is_ascii_alphabetic());
    let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
    (verb.to_ascii_uppercase(), arg.to_owned())
}

impl FtpSession {
    fn new(stream: TcpStream, shared: Arc<Shared>) -> io::Result<Self> {
        stream.set_nonblocking(false)?;
        stream.set_nodelay(true)?;
        let peer = stream.peer_addr()?;
        let local = stream.local_addr()?;
        let ctl = Stream::Plain(stream);
        ctl.tcp().set_read_timeout(Some(IDLE))?;
        ctl.tcp().set_write_timeout(Some(shared.timeout))?;
        Ok(Self {
            ctl: Some(ctl),
            inbuf: Vec::new(),
            peer,
            local,
            shared,
            pending_user: None,
            logged_in: false,
            cwd: "/".to_owned(),
            data: DataSetup::None,
            prot_p: false,
            rest: 0,
            hash_sha256: false,
            rnfr: None,
            closing: Vec::new(),
            stou_counter: 0,
        })
    }

    fn ctl(&mut self) -> io::Result<&mut Stream> {
        self.ctl
            .as_mut()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "control closed"))
    }

    fn reply(&mut self, line: &str) -> io::Result<()> {
        let c = self.ctl()?;
        c.write_all(line.as_bytes())?;
        c.write_all(b"\r\n")?;
        c.flush()
    }

    /// A multi-line reply: `code-first`, the lines (each prefixed with a space), `code last`.
    fn reply_multi(
        &mut self,
        code: u16,
        first: &str,
        lines: &[String],
        last: &str,
    ) -> io::Result<()> {
        let mut out = format!("{code}-{first}\r\n");
        for l in lines {
            out.push(' ');
            out.push_str(l);
            out.push_str("\r\n");
        }
        out.push_str(&format!("{code} {last}\r\n"));
        let c = self.ctl()?;
        c.write_all(out.as_bytes())?;
        c.flush()
    }

    fn take_line(&mut self) -> Option<String> {
        let pos = self.inbuf.iter().position(|&b| b == b'\n')?;
        let mut line: Vec<u8> = self.inbuf.drain(..=pos).collect();
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Some(String::from_utf8_lossy(&line).into_owned())
    }

    /// Blocks for the next command; `None` when the client left (or the session idled out).
    fn read_line(&mut self) -> Option<String> {
        loop {
            if let Some(l) = self.take_line() {
                return Some(l);
            }
            if self.inbuf.len() > 64 * 1024 {
                return None;
            }
            let mut buf = [0u8; 4096];
            match self.ctl().ok()?.read(&mut buf) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.inbuf.extend_from_slice(&buf[..n]),
            }
        }
    }

    /// Reads what the control connection has without blocking; true if the next line is ABOR (consumed).
    fn poll_abort(&mut self) -> bool {
        let Some(ctl) = self.ctl.as_mut() else {
            return false;
        };
        if ctl.tcp().set_nonblocking(true).is_ok() {
            let mut buf = [0u8; 1024];
            if let Ok(n) = ctl.read(&mut buf) {
                self.inbuf.extend_from_slice(&buf[..n]);
            }
            if let Some(ctl) = self.ctl.as_ref() {
                let _ = ctl.tcp().set_nonblocking(false);
            }
        }
        let Some(pos) = self.inbuf.iter().position(|&b| b == b'\n') else {
            return false;
        };
        let line = String::from_utf8_lossy(&self.inbuf[..pos]).into_owned();
        if split_command(line.trim_end()).0 == "ABOR" {
            self.inbuf.drain(..=pos);
            true
        } else {
            false
        }
    }

    fn run(&mut self) {
        if self
            .reply("220 ftp-test-server MemoryServer ready")
            .is_err()
        {
            return;
        }
        while let Some(line) = self.read_line() {
            let (verb, arg) = split_command(&line);
            match self.handle(&verb, &arg) {
                Ok(true) => {}
                Ok(false) | Err(_) => break,
            }
        }
        self.data = DataSetup::None;
        for d in self.closing.drain(..) {
            d.drain_and_drop();
        }
        if let Some(mut c) = self.ctl.take() {
            let _ = c.close_write(true);
            c.drain_and_drop();
        }
    }

    fn path(&self, arg: &str) -> String {
        resolve(&self.cwd, arg)
    }

    /// Handles one command; `Ok(false)` ends the session.
    fn handle(&mut self, verb: &str, arg: &str) -> io::Result<bool> {
        const OPEN: &[&str] = &[
            "USER", "PASS", "AUTH", "PBSZ", "PROT", "FEAT", "SYST", "QUIT", "NOOP", "HELP", "OPTS",
            "ABOR",
        ];
        if !self.logged_in && !OPEN.contains(&verb) {
            self.reply("530 Please login with USER and PASS")?;
            return Ok(true);
        }
        if verb != "RNTO" && verb != "RNFR" {
            self.rnfr = None;
        }
        match verb {
            "USER" => {
                self.logged_in = false;
                self.pending_user = Some(arg.to_owned());
                self.reply("331 Please specify the password")?;
            }
            "PASS" => {
                let ok = match self.pending_user.take() {
                    Some(u) if (u == "anonymous" || u == "ftp") && self.shared.anonymous => true,
                    Some(u) => u == self.shared.user && arg == self.shared.pass,
                    None => {
                        self.reply("503 Login with USER first")?;
                        return Ok(true);
                    }
                };
                if ok {
                    self.logged_in = true;
                    self.reply("230 Login successful")?;
                } else {
                    self.reply("530 Login incorrect")?;
                }
            }
            "AUTH" => self.auth(arg)?,
            "PBSZ" => {
                if self.ctl.as_ref().is_some_and(Stream::is_tls) {
                    self.reply("200 PBSZ=0")?;
                } else {
                    self.reply("503 PBSZ needs a TLS control connection")?;
                }
            }
            "PROT" => {
                let tls = self.ctl.as_ref().is_some_and(Stream::is_tls);
                match arg.to_ascii_uppercase().as_str() {
                    "P" if tls => {
                        self.prot_p = true;
                        self.reply("200 Protection level set to Private")?;
                    }
                    "C" => {
                        self.prot_p = false;
                        self.reply("200 Protection level set to Clear")?;
                    }
                    "P" => self.reply("503 PROT P needs a TLS control connection")?,
                    _ => self.reply("504 Unsupported protection level")?,
                }
            }
            "SYST" => self.reply("215 UNIX Type: L8")?,
            "FEAT" => {
                let mut lines: Vec<String> = [
                    "MLST type*;size*;modify*;perm*;",
                    "SIZE",
                    "MDTM",
                    "MFMT",
                    "REST STREAM",
                    "EPSV",
                    "UTF8",
                ]
                .iter()
                .map(|s| (*s).to_owned())
                .collect();
                if self.shared.tls.is_some() {
                    lines.extend(["AUTH TLS", "PBSZ", "PROT"].map(str::to_owned));
                }
                if self.shared.legacy_digests.0 {
                    lines.push("XMD5".to_owned());
                }
                if self.shared.legacy_digests.1 {
                    lines.push("XCRC".to_owned());
                }
                if self.shared.hash != HashMode::Off {
                    lines.push(if self.hash_sha256 {
                        "HASH SHA-1;SHA-256*".to_owned()
                    } else {
                        "HASH SHA-1*;SHA-256".to_owned()
                    });
                }
                self.reply_multi(211, "Features:", &lines, "End")?;
            }
            "OPTS" => {
                if arg.eq_ignore_ascii_case("UTF8 ON") || arg.eq_ignore_ascii_case("UTF8") {
                    self.reply("200 Always in UTF8 mode")?;
                } else if self.shared.hash != HashMode::Off
                    && arg.eq_ignore_ascii_case("HASH SHA-256")
                {
                    self.hash_sha256 = true;
                    self.reply("200 SHA-256")?;
                } else {
                    self.reply("501 Option not understood")?;
                }
            }
            "TYPE" => match arg.to_ascii_uppercase().as_str() {
                "I" | "L 8" => self.reply("200 Switching to Binary mode")?,
                "A" | "A N" => self.reply("200 Switching to ASCII mode")?,
                _ => self.reply("504 Unsupported type")?,
            },
            "MODE" | "STRU" => {
                if arg.eq_ignore_ascii_case("S") || arg.eq_ignore_ascii_case("F") {
                    self.reply("200 Ok")?;
                } else {
                    self.reply("504 Unsupported")?;
                }
            }
            "EPSV" => {
                if arg.eq_ignore_ascii_case("ALL") {
                    self.reply("200 EPSV ALL ok")?;
                } else {
                    let l = TcpListener::bind(SocketAddr::new(self.local.ip(), 0))?;
                    l.set_nonblocking(true)?;
                    let port = l.local_addr()?.port();
                    self.data = DataSetup::Passive(l);
                    self.reply(&format!("229 Entering Extended Passive Mode (|||{port}|)"))?;
                }
            }
            "PASV" => match self.local.ip() {
                IpAddr::V4(ip) => {
                    let l = TcpListener::bind(SocketAddr::new(self.local.ip(), 0))?;
                    l.set_nonblocking(true)?;
                    let port = l.local_addr()?.port();
                    self.data = DataSetup::Passive(l);
                    let [a, b, c, d] = ip.octets();
                    self.reply(&format!(
                        "227 Entering Passive Mode ({a},{b},{c},{d},{},{}).",
                        port >> 8,
                        port & 0xff
                    ))?;
                }
                IpAddr::V6(_) => self.reply("522 Use EPSV on IPv6")?,
            },
            "PORT" | "EPRT" => {
                let target = if verb == "PORT" {
                    parse_port(arg)
                } else {
                    parse_eprt(arg)
                };
                match target {
                    Some(t) if t.ip() == self.peer.ip() => {
                        self.data = DataSetup::Active(t);
                        self.reply(&format!("200 {verb} command successful"))?;
                    }
                    Some(_) => self.reply("500 Illegal PORT: not the control peer")?,
                    None => self.reply("501 Syntax error in address")?,
                }
            }
            "REST" => match arg.parse::<u64>() {
                Ok(n) => {
                    self.rest = n;
                    self.reply(&format!("350 Restarting at {n}"))?;
                }
                Err(_) => self.reply("501 Bad offset")?,
            },
            "RETR" => self.retr(arg)?,
            "STOR" | "APPE" | "STOU" => self.store(verb, arg)?,
            "LIST" | "NLST" | "MLSD" => self.listing(verb, arg)?,
            "MLST" => {
                let p = self.path(if arg.is_empty() { "." } else { arg });
                match self.node(&p) {
                    Some(n) => {
                        let lines = [mlsx_line(&p, &n)];
                        self.reply_multi(250, &format!("Listing {p}"), &lines, "End")?;
                    }
                    None => self.reply("550 No such file or directory")?,
                }
            }
            "HASH" if self.shared.hash != HashMode::Off => match self.node(&self.path(arg)) {
                Some(Node::File { .. }) if !self.hash_sha256 => {
                    self.reply("504 Only SHA-256 here; select it with OPTS HASH")?
                }
                Some(Node::File { data, .. }) => {
                    use sha2::Digest;
                    let digest = match self.shared.hash {
                        HashMode::Wrong => sha2::Sha256::digest([&data[..], b"!"].concat()),
                        _ => sha2::Sha256::digest(&data[..]),
                    };
                    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                    let end = data.len().saturating_sub(1);
                    self.reply(&format!("213 SHA-256 0-{end} {hex} {arg}"))?
                }
                _ => self.reply("550 No such file")?,
            },
            "XMD5" | "XCRC"
                if (verb == "XMD5" && self.shared.legacy_digests.0)
                    || (verb == "XCRC" && self.shared.legacy_digests.1) =>
            {
                match self.node(&self.path(arg)) {
                    Some(Node::File { data, .. }) => {
                        let mut bytes = data.to_vec();
                        if self.shared.legacy_digests.2 {
                            bytes.push(b'!');
                        }
                        let hex = if verb == "XMD5" {
                            use md5::Digest;
                            md5::Md5::digest(&bytes)
                                .iter()
                                .map(|b| format!("{b:02X}"))
                                .collect::<String>()
                        } else {
                            format!("{:X}", crc32fast::hash(&bytes))
                        };
                        self.reply(&format!("250 {hex}"))?
                    }
                    _ => self.reply("550 No such file")?,
                }
            }
            "SIZE" => match self.node(&self.path(arg)) {
                Some(Node::File { data, .. }) => self.reply(&format!("213 {}", data.len()))?,
                _ => self.reply("550 Could not get file size")?,
            },
            "MDTM" => match self.node(&self.path(arg)) {
                Some(Node::File { mtime, .. }) => {
                    self.reply(&format!("213 {}", mdtm_string(mtime)))?;
                }
                _ => self.reply("550 Could not get modification time")?,
            },
            "MFMT" => {
                let (time, path) = arg.split_once(' ').unwrap_or((arg, ""));
                let p = self.path(path);
                match parse_mdtm(time) {
                    Some(t) if self.shared.fs.set_mtime(&p, t) => {
                        self.reply(&format!("213 Modify={time}; {path}"))?;
                    }
                    Some(_) => self.reply("550 No such file")?,
                    None => self.reply("501 Bad time")?,
                }
            }
            "DELE" => {
                let p = self.path(arg);
                let removed = {
                    let mut nodes = self.shared.fs.lock();
                    match nodes.get(&p) {
                        Some(Node::File { .. }) => nodes.remove(&p).is_some(),
                        _ => false,
                    }
                };
                if removed {
                    self.reply("250 Delete operation successful")?;
                } else {
                    self.reply("550 Delete operation failed")?;
                }
            }
            "RNFR" => {
                let p = self.path(arg);
                if self.shared.fs.exists(&p) && p != "/" {
                    self.rnfr = Some(p);
                    self.reply("350 Ready for RNTO")?;
                } else {
                    self.reply("550 RNFR command failed")?;
                }
            }
            "RNTO" => match self.rnfr.take() {
                Some(from) => {
                    let to = self.path(arg);
                    if self.rename(&from, &to) {
                        self.reply("250 Rename successful")?;
                    } else {
                        self.reply("550 Rename failed")?;
                    }
                }
                None => self.reply("503 RNFR required first")?,
            },
            "MKD" => {
                let p = self.path(arg);
                let created = {
                    let mut nodes = self.shared.fs.lock();
                    let parent_ok = parent(&p) == "/"
                        || matches!(nodes.get(parent(&p)), Some(Node::Dir { .. }));
                    if p != "/" && parent_ok && !nodes.contains_key(&p) {
                        nodes.insert(p.clone(), Node::Dir { mtime: now_unix() });
                        true
                    } else {
                        false
                    }
                };
                if created {
                    self.reply(&format!("257 \"{}\" created", p.replace('"', "\"\"")))?;
                } else {
                    self.reply("550 Create directory operation failed")?;
                }
            }
            "RMD" => {
                let p = self.path(arg);
                let removed = {
                    let mut nodes = self.shared.fs.lock();
                    let empty = children(&nodes, &p).is_empty();
                    if matches!(nodes.get(&p), Some(Node::Dir { .. })) && empty {
                        nodes.remove(&p);
                        true
                    } else {
                        false
                    }
                };
                if removed {
                    self.reply("250 Remove directory operation successful")?;
                } else {
                    self.reply("550 Remove directory operation failed")?;
                }
            }
            "CWD" | "XCWD" => {
                let p = self.path(arg);
                if self.is_dir(&p) {
                    self.cwd = p;
                    self.reply("250 Directory successfully changed")?;
                } else {
                    self.reply("550 Failed to change directory")?;
                }
            }
            "CDUP" | "XCUP" => {
                self.cwd = parent(&self.cwd).to_owned();
                self.reply("250 Directory successfully changed")?;
            }
            "PWD" | "XPWD" => {
                let cwd = self.cwd.replace('"', "\"\"");
                self.reply(&format!("257 \"{cwd}\" is the current directory"))?;
            }
            "NOOP" => self.reply("200 NOOP ok")?,
            "ABOR" => self.reply("225 No transfer to abort")?,
            "STAT" => {
                if arg.is_empty() {
                    let lines = [
                        format!("Connected to {}", self.peer),
                        format!(
                            "TLS control: {}",
                            self.ctl.as_ref().is_some_and(Stream::is_tls)
                        ),
                    ];
                    self.reply_multi(211, "MemoryServer status:", &lines, "End of status")?;
                } else {
                    let p = self.path(arg);
                    let now = now_unix();
                    let lines = self.list_entries(&p).map(|entries| {
                        entries
                            .iter()
                            .map(|(n, node)| list_line(n, node, now))
                            .collect::<Vec<_>>()
                    });
                    match lines {
                        Some(lines) => {
                            self.reply_multi(
                                213,
                                &format!("Status of {p}:"),
                                &lines,
                                "End of status",
                            )?;
                        }
                        None => self.reply("550 No such file or directory")?,
                    }
                }
            }
            "HELP" => {
                let lines = ["USER PASS SYST FEAT OPTS TYPE EPSV PASV EPRT PORT RETR STOR APPE STOU REST \
                              LIST NLST MLSD MLST SIZE MDTM MFMT DELE RNFR RNTO MKD RMD CWD CDUP PWD NOOP \
                              ABOR STAT HELP SITE QUIT AUTH PBSZ PROT"
                    .to_owned()];
                self.reply_multi(
                    214,
                    "The following commands are recognized:",
                    &lines,
                    "Help OK",
                )?;
            }
            "SITE" => {
                let (sub, _) = split_command(arg);
                match sub.as_str() {
                    "CHMOD" | "UMASK" | "IDLE" => self.reply(&format!("200 SITE {sub} ok"))?,
                    "HELP" => self.reply("214 CHMOD UMASK IDLE HELP")?,
                    _ => self.reply("500 Unknown SITE command")?,
                }
            }
            "QUIT" => {
                self.reply("221 Goodbye")?;
                return Ok(false);
            }
            _ => self.reply("502 Command not implemented")?,
        }
        Ok(true)
    }

    fn auth(&mut self, arg: &str) -> io::Result<()> {
        let Some(config) = self.shared.tls.clone() else {
            return self.reply("502 TLS not configured");
        };
        if !(arg.eq_ignore_ascii_case("TLS") || arg.eq_ignore_ascii_case("SSL")) {
            return self.reply("504 Unknown AUTH type");
        }
        if self.ctl.as_ref().is_some_and(Stream::is_tls) {
            return self.reply("503 Already using TLS");
        }
        self.reply("234 Proceed with negotiation")?;
        let timeout = self.shared.timeout;
        self.ctl()?.set_timeouts(timeout)?;
        let ctl = self.ctl.take().ok_or(io::ErrorKind::NotConnected)?;
        let pending = std::mem::take(&mut self.inbuf);
        match ctl.upgrade(config, &pending) {
            Ok((tls, _)) => {
                tls.tcp().set_read_timeout(Some(IDLE))?;
                self.ctl = Some(tls);
                Ok(())
            }
            Err((e, _)) => Err(e),
        }
    }

    fn node(&self, path: &str) -> Option<Node> {
        if path == "/" {
            return Some(Node::Dir { mtime: 0 });
        }
        self.shared.fs.lock().get(path).cloned()
    }

    fn is_dir(&self, path: &str) -> bool {
        matches!(self.node(path), Some(Node::Dir { .. }))
    }

    fn rename(&self, from: &str, to: &str) -> bool {
        let mut nodes = self.shared.fs.lock();
        if nodes.contains_key(to) || to == "/" || to.starts_with(&format!("{from}/")) {
            return false;
        }
        let parent_ok =
            parent(to) == "/" || matches!(nodes.get(parent(to)), Some(Node::Dir { .. }));
        if !parent_ok {
            return false;
        }
        let moved: Vec<String> = nodes
            .keys()
            .filter(|k| *k == from || k.starts_with(&format!("{from}/")))
            .cloned()
            .collect();
        for k in moved {
            if let Some(n) = nodes.remove(&k) {
                nodes.insert(format!("{to}{}", &k[from.len()..]), n);
            }
        }
        true
    }

    /// Entries for LIST/NLST/MLSD/STAT: a directory's children, or one file.
    fn list_entries(&self, path: &str) -> Option<Vec<(String, Node)>> {
        match self.node(path)? {
            Node::Dir { .. } => Some(children(&self.shared.fs.lock(), path)),
            file => Some(vec![(base_name(path).to_owned(), file)]),
        }
    }

    // ----- data connections -----

    /// Opens the data connection prepared by EPSV/PASV/PORT/EPRT, with TLS when PROT P is on. Sends the
    /// failure reply itself and returns `None` when it cannot.
    fn open_data(&mut self) -> io::Result<Option<Stream>> {
        let timeout = self.shared.timeout;
        let setup = std::mem::replace(&mut self.data, DataSetup::None);
        let tcp = match setup {
            DataSetup::None => {
                self.reply("425 Use PORT, EPRT, PASV or EPSV first")?;
                return Ok(None);
            }
            DataSetup::Passive(l) => {
                let deadline = Instant::now() + timeout;
                loop {
                    match l.accept() {
                        Ok((s, peer)) if peer.ip() == self.peer.ip() => break s,
                        Ok(_) => {}
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(_) => {
                            self.reply("425 Failed to establish connection")?;
                            return Ok(None);
                        }
                    }
                    if Instant::now() >= deadline {
                        self.reply("425 Failed to establish connection")?;
                        return Ok(None);
                    }
                    thread::sleep(Duration::from_millis(2));
                }
            }
            DataSetup::Active(addr) => match TcpStream::connect_timeout(&addr, timeout) {
                Ok(s) => s,
                Err(_) => {
                    self.reply("425 Failed to establish connection")?;
                    return Ok(None);
                }
            },
        };
        tcp.set_nonblocking(false)?;
        tcp.set_nodelay(true)?;
        let stream = Stream::Plain(tcp);
        stream.set_timeouts(timeout)?;
        if !self.prot_p {
            return Ok(Some(stream));
        }
        let Some(config) = self.shared.tls.clone() else {
            self.reply("425 TLS not configured")?;
            return Ok(None);
        };
        match stream.upgrade(config, &[]) {
            Ok((tls, kind)) => {
                let stats = &self.shared.stats;
                if kind == HandshakeKind::Resumed {
                    stats.data_tls_resumed.fetch_add(1, Ordering::SeqCst);
                } else {
                    stats.data_tls_full.fetch_add(1, Ordering::SeqCst);
                    if self.shared.require_session_reuse {
                        stats.refused_no_reuse.fetch_add(1, Ordering::SeqCst);
                        tls.drain_and_drop();
                        self.reply("522 SSL connection failed: session reuse required")?;
                        return Ok(None);
                    }
                }
                Ok(Some(tls))
            }
            Err((e, tcp)) => {
                if let Some(tcp) = tcp {
                    Stream::Plain(tcp).drain_and_drop();
                }
                self.reply(&format!("425 TLS handshake failed: {e}"))?;
                Ok(None)
            }
        }
    }

    /// Sends `bytes` on the data connection, watching the control connection for ABOR.
    fn send_data(&mut self, data: &mut Stream, bytes: &[u8]) -> Transfer {
        let slice = Duration::from_millis(50);
        if data.set_timeouts(slice).is_err() {
            return Transfer::Failed("socket setup failed".to_owned());
        }
        let mut pos = 0;
        let mut last_progress = Instant::now();
        let mut last_poll = Instant::now();
        loop {
            let result = if pos < bytes.len() {
                data.write(&bytes[pos..bytes.len().min(pos + 64 * 1024)])
            } else {
                match data.flush() {
                    Ok(()) => match data {
                        Stream::Tls(s) if s.conn.wants_write() => {
                            Err(io::ErrorKind::WouldBlock.into())
                        }
                        _ => return Transfer::Done(Vec::new()),
                    },
                    Err(e) => Err(e),
                }
            };
            match result {
                Ok(n) => {
                    pos += n;
                    if n > 0 {
                        last_progress = Instant::now();
                    }
                }
                Err(e) if is_timeout(&e) => {}
                Err(e) => return Transfer::Failed(e.to_string()),
            }
            if last_poll.elapsed() >= Duration::from_millis(10) {
                last_poll = Instant::now();
                if self.poll_abort() {
                    return Transfer::Aborted;
                }
            }
            if last_progress.elapsed() > self.shared.timeout {
                return Transfer::Failed("data connection stalled".to_owned());
            }
        }
    }

    /// Reads the data connection to its end, watching the control connection for ABOR.
    fn receive_data(&mut self, data: &mut Stream) -> Transfer {
        if data.set_timeouts(Duration::from_millis(50)).is_err() {
            return Transfer::Failed("socket setup failed".to_owned());
        }
        let mut out = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut last_progress = Instant::now();
        loop {
            match data.read(&mut buf) {
                Ok(0) => return Transfer::Done(out),
                Ok(n) => {
                    out.extend_from_slice(&buf[..n]);
                    last_progress = Instant::now();
                    continue;
                }
                Err(e) if is_timeout(&e) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Transfer::Failed("TLS upload ended without close_notify".to_owned());
                }
                Err(e) => return Transfer::Failed(e.to_string()),
            }
            if self.poll_abort() {
                return Transfer::Aborted;
            }
            if last_progress.elapsed() > self.shared.timeout {
                return Transfer::Failed("data connection stalled".to_owned());
            }
        }
    }

    /// Ends a data connection cleanly and keeps it (drained later) so the close cannot become a reset.
    fn close_data(&mut self, mut data: Stream) {
        let _ = data.set_timeouts(self.shared.timeout);
        let _ = data.close_write(true);
        for d in self.closing.drain(..) {
            d.drain_and_drop();
        }
        self.closing.push(data);
    }

    /// Reports how a transfer ended: 226, or 426 (+ 226 for the ABOR).
    fn end_transfer(&mut self, data: Stream, outcome: &Transfer) -> io::Result<()> {
        match outcome {
            Transfer::Done(_) => {
                self.close_data(data);
                self.reply("226 Transfer complete")
            }
            Transfer::Aborted => {
                self.shared.stats.aborts.fetch_add(1, Ordering::SeqCst);
                let _ = data.arm_reset();
                drop(data);
                self.reply("426 Connection closed; transfer aborted")?;
                self.reply("226 ABOR command successful")
            }
            Transfer::Failed(why) => {
                drop(data);
                self.reply(&format!("426 Transfer failed: {why}"))
            }
        }
    }

    fn retr(&mut self, arg: &str) -> io::Result<()> {
        let offset = std::mem::take(&mut self.rest);
        let p = self.path(arg);
        let content = match self.node(&p) {
            Some(Node::File { data, .. }) => data,
            _ => {
                self.data = DataSetup::None;
                return self.reply("550 Failed to open file");
            }
        };
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(content.len());
        self.reply(&format!(
            "150 Opening BINARY mode data connection for {arg} ({} bytes)",
            content.len() - start
        ))?;
        let Some(mut data) = self.open_data()? else {
            return Ok(());
        };
        let outcome = self.send_data(&mut data, &content[start..]);
        self.end_transfer(data, &outcome)
    }

    fn store(&mut self, verb: &str, arg: &str) -> io::Result<()> {
        let offset = std::mem::take(&mut self.rest);
        let p = if verb == "STOU" {
            loop {
                self.stou_counter += 1;
                let candidate = self.path(&format!("stou.{}", self.stou_counter));
                if !self.shared.fs.exists(&candidate) {
                    break candidate;
                }
            }
        } else {
            self.path(arg)
        };
        let parent_ok = self.is_dir(parent(&p));
        if !parent_ok || self.is_dir(&p) {
            self.data = DataSetup::None;
            return self.reply("553 Could not create file");
        }
        if verb == "STOU" {
            self.reply(&format!("150 FILE: {}", base_name(&p)))?;
        } else {
            self.reply("150 Ok to send data")?;
        }
        let Some(mut data) = self.open_data()? else {
            return Ok(());
        };
        let outcome = self.receive_data(&mut data);
        if let Transfer::Done(bytes) = &outcome {
            let mut nodes = self.shared.fs.lock();
            let old = match nodes.get(&p) {
                Some(Node::File { data, .. }) => data.to_vec(),
                _ => Vec::new(),
            };
            let new = match verb {
                "APPE" => [old, bytes.clone()].concat(),
                _ if offset > 0 => {
                    let keep = usize::try_from(offset).unwrap_or(usize::MAX).min(old.len());
                    [old[..keep].to_vec(), bytes.clone()].concat()
                }
                _ => bytes.clone(),
            };
            nodes.insert(
                p.clone(),
                Node::File {
                    data: Arc::new(new),
                    mtime: now_unix(),
                },
            );
        }
        self.end_transfer(data, &outcome)
    }

    fn listing(&mut self, verb: &str, arg: &str) -> io::Result<()> {
        // Options such as `-la` are accepted and ignored.
        let target = arg
            .split(' ')
            .filter(|a| !a.starts_with('-') && !a.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let p = self.path(if target.is_empty() { "." } else { &target });
        let Some(entries) = self.list_entries(&p) else {
            self.data = DataSetup::None;
            return self.reply("550 No such file or directory");
        };
        if verb == "MLSD" && !self.is_dir(&p) {
            self.data = DataSetup::None;
            return self.reply("501 Not a directory");
        }
        let now = now_unix();
        let mut text = String::new();
        for (name, node) in &entries {
            let line = match verb {
                "LIST" => list_line(name, node, now),
                "MLSD" => mlsx_line(name, node),
                _ => name.clone(),
            };
            text.push_str(&line);
            text.push_str("\r\n");
        }
        self.reply("150 Here comes the directory listing")?;
        let Some(mut data) = self.open_data()? else {
            return Ok(());
        };
        let outcome = self.send_data(&mut data, text.as_bytes());
        self.end_transfer(data, &outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(mdtm_string(0), "19700101000000");
        assert_eq!(parse_mdtm("20240229123456"), Some(1_709_210_096));
        assert_eq!(mdtm_string(1_709_210_096), "20240229123456");
        assert_eq!(parse_mdtm("20240229123456.123"), Some(1_709_210_096));
        assert_eq!(parse_mdtm("2024"), None);
        for t in [0, 86_399, 951_782_400, 4_102_444_800, -86_400] {
            assert_eq!(parse_mdtm(&mdtm_string(t)), Some(t), "{t}");
        }
    }

    #[test]
    fn paths_resolve() {
        assert_eq!(resolve("/", "a/b"), "/a/b");
        assert_eq!(resolve("/a/b", ".."), "/a");
        assert_eq!(resolve("/a", "../../.."), "/");
        assert_eq!(resolve("/a", "/x/./y/"), "/x/y");
        assert_eq!(parent("/a/b"), "/a");
        assert_eq!(parent("/a"), "/");
    }

    #[test]
    fn listing_lines() {
        let node = Node::File {
            data: Arc::new(vec![0; 42]),
            mtime: 0,
        };
        assert_eq!(
            list_line("a b", &node, 1_000_000_000),
            "-rw-r--r-- 1 ftp ftp           42 Jan  1  1970 a b"
        );
        assert_eq!(
            mlsx_line("f;x", &node),
            "type=file;size=42;modify=19700101000000;perm=adfrw; f;x"
        );
    }
}
