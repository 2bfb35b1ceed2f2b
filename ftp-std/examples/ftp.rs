//! `ftp`: a small command-line FTP/FTPS client on `ftp-std`, one operation per run.
//!
//! ```text
//! cargo run -p ftp-std --example ftp -- [OPTIONS] COMMAND ARGS...
//!
//! ftp ls [-l] URL          list a directory: kind, size, modified (UTC), name
//! ftp get URL [LOCAL]      download (LOCAL: a file, a directory, or - for stdout)
//! ftp put LOCAL URL        upload (a URL ending in / keeps the local name; - is stdin)
//! ftp rm URL               delete a file
//! ftp mkdir URL            make a directory
//! ftp rmdir URL            remove an empty directory
//! ftp mv URL NEWNAME       rename (a bare NEWNAME stays in the same directory)
//! ```
//!
//! URLs are `ftp://[user[:password]@]host[:port]/path` or `ftps://...`. `ftps` is explicit
//! FTPS (`AUTH TLS` on port 21) unless `--implicit` is given (TLS from the first byte, port
//! 990). The user, password and path are percent-decoded; without a user the login is
//! anonymous, and a user without a password takes it from `FTP_PASSWORD`. As in RFC 1738
//! and curl, the path is relative to the login directory: `ftp://host/%2Fetc/motd` names
//! `/etc/motd`. Certificates are verified by the platform verifier (the Mozilla roots if
//! it is not available), or against `--ca FILE`; `--insecure` turns verification off.
//!
//! Exit codes: 0 done, 1 the operation failed (the error and its kind are printed; a
//! server's refusal with its code and text), 2 bad usage. Run with `--help` for the options.

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use ftp_std::ftp_core::feat::Feature;
use ftp_std::ftp_core::listing::Precision;
use ftp_std::{Client, Config, Error, OwnedEntry, OwnedKind, Progress, TlsConfig};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

const USAGE: &str = "\
usage: ftp [OPTIONS] COMMAND ARGS...

commands:
  ls URL              list a directory: kind, size, modified (UTC), name
  get URL [LOCAL]     download; LOCAL is a file, a directory, or - for stdout
                      (default: the remote name in the current directory)
  put LOCAL URL       upload; a URL ending in / keeps the local name; LOCAL - is stdin
  rm URL              delete a file
  mkdir URL           make a directory
  rmdir URL           remove an empty directory
  mv URL NEWNAME      rename; a NEWNAME without / stays in the URL's directory

URL: ftp://[user[:password]@]host[:port]/path or ftps://...
  user, password and path are percent-decoded; no user = anonymous login; a user
  without a password takes it from $FTP_PASSWORD. The path is relative to the login
  directory (RFC 1738): ftp://host/%2Fetc/motd names /etc/motd.

options:
  -l              ls: the server's raw listing lines
  --resume        get: continue a partial local file; put: continue a partial remote
                  file (REST at the size already there)
  --active        active mode (the server connects back: EPRT/PORT)
  --implicit      ftps: implicit TLS (default port 990) instead of AUTH TLS
  --ca FILE       ftps: trust only the CA certificates in this PEM file
  --insecure      ftps: accept any certificate (no verification; dangerous)
  -v, --verbose   print the command/reply transcript to stderr (passwords masked)
  -h, --help      this text

exit codes: 0 done, 1 the operation failed, 2 bad usage";

fn main() -> ExitCode {
    let options = match parse_args(std::env::args_os().skip(1).collect()) {
        Ok(Parsed::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::Run(options)) => options,
        Err(message) => {
            eprintln!("ftp: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if options.verbose {
        install_transcript();
    }
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("ftp: {failure}");
            ExitCode::from(1)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Arguments

enum Parsed {
    Help,
    Run(Options),
}

#[derive(Debug)]
struct Options {
    command: Command,
    target: Target,
    long: bool,
    resume: bool,
    active: bool,
    implicit: bool,
    ca: Option<PathBuf>,
    insecure: bool,
    verbose: bool,
}

#[derive(Debug)]
enum Command {
    Ls,
    Get { local: Option<PathBuf> },
    Put { local: PathBuf },
    Rm,
    Mkdir,
    Rmdir,
    Mv { new_name: String },
}

/// Where a URL points: the server, the login and the path (decoded, relative to the login
/// directory unless it starts with `/`).
struct Target {
    tls: bool,
    /// `host` or `[v6]`, as `Client::connect` takes it.
    host: String,
    port: Option<u16>,
    user: Option<String>,
    password: Option<String>,
    path: Vec<u8>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("tls", &self.tls)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("path", &String::from_utf8_lossy(&self.path))
            .finish_non_exhaustive()
    }
}

fn parse_args(args: Vec<OsString>) -> Result<Parsed, String> {
    let mut positional: Vec<OsString> = Vec::new();
    let (mut long, mut resume, mut active, mut implicit, mut insecure, mut verbose) =
        (false, false, false, false, false, false);
    let mut ca = None;
    let mut args = args.into_iter();
    let mut options_done = false;
    while let Some(arg) = args.next() {
        let text = arg.to_str();
        match text {
            _ if options_done => positional.push(arg),
            Some("--") => options_done = true,
            Some("-h" | "--help") => return Ok(Parsed::Help),
            Some("-v" | "--verbose") => verbose = true,
            Some("-l") => long = true,
            Some("--resume") => resume = true,
            Some("--active") => active = true,
            Some("--implicit") => implicit = true,
            Some("--insecure") => insecure = true,
            Some("--ca") => match args.next() {
                Some(file) => ca = Some(PathBuf::from(file)),
                None => return Err("--ca needs a FILE".into()),
            },
            Some(s) if s.starts_with("--ca=") => ca = Some(PathBuf::from(&s[5..])),
            Some(s) if s.starts_with("--") => return Err(format!("unknown option {s}")),
            // Bundled short flags (`-lv`); a lone `-` is a positional (stdin/stdout).
            Some(s) if s.starts_with('-') && s.len() > 1 => {
                for flag in s[1..].chars() {
                    match flag {
                        'l' => long = true,
                        'v' => verbose = true,
                        'h' => return Ok(Parsed::Help),
                        _ => return Err(format!("unknown option -{flag}")),
                    }
                }
            }
            _ => positional.push(arg),
        }
    }

    let mut positional = positional.into_iter();
    let Some(name) = positional.next() else {
        return Err("no command given".into());
    };
    let name = name.to_string_lossy().into_owned();
    let rest: Vec<OsString> = positional.collect();
    let arity = |min: usize, max: usize, shape: &str| {
        if rest.len() < min || rest.len() > max {
            Err(format!("usage: ftp {name} {shape}"))
        } else {
            Ok(())
        }
    };
    let (command, url) = match name.as_str() {
        "ls" | "rm" | "mkdir" | "rmdir" => {
            arity(1, 1, "URL")?;
            let command = match name.as_str() {
                "ls" => Command::Ls,
                "rm" => Command::Rm,
                "mkdir" => Command::Mkdir,
                _ => Command::Rmdir,
            };
            (command, &rest[0])
        }
        "get" => {
            arity(1, 2, "URL [LOCAL]")?;
            let local = rest.get(1).map(PathBuf::from);
            (Command::Get { local }, &rest[0])
        }
        "put" => {
            arity(2, 2, "LOCAL URL")?;
            let local = PathBuf::from(&rest[0]);
            (Command::Put { local }, &rest[1])
        }
        "mv" => {
            arity(2, 2, "URL NEWNAME")?;
            let new_name = rest[1]
                .to_str()
                .filter(|s| !s.is_empty())
                .ok_or("NEWNAME must be non-empty UTF-8")?
                .to_owned();
            (Command::Mv { new_name }, &rest[0])
        }
        other => return Err(format!("unknown command {other:?}")),
    };
    let url = url.to_str().ok_or("the URL is not UTF-8")?;
    let target = parse_url(url)?;

    if long && !matches!(command, Command::Ls) {
        return Err("-l applies to ls only".into());
    }
    if resume && !matches!(command, Command::Get { .. } | Command::Put { .. }) {
        return Err("--resume applies to get and put only".into());
    }
    if !target.tls && (implicit || insecure || ca.is_some()) {
        return Err("--implicit, --ca and --insecure need an ftps:// URL".into());
    }
    if insecure && ca.is_some() {
        return Err("--ca and --insecure contradict each other".into());
    }
    if target.path.is_empty() && !matches!(command, Command::Ls) {
        return Err(format!("{url}: the URL names no file or directory"));
    }
    if let Command::Put { local } = &command {
        if resume && local.as_os_str() == "-" {
            return Err("--resume cannot upload from stdin".into());
        }
        if local.as_os_str() == "-" && names_directory(&target.path) {
            return Err("uploading stdin needs a file name in the URL".into());
        }
    }
    if let Command::Get { local } = &command {
        if resume && local.as_ref().is_some_and(|l| l.as_os_str() == "-") {
            return Err("--resume cannot download to stdout".into());
        }
        if names_directory(&target.path) {
            return Err(format!("{url}: get needs a file, not a directory"));
        }
    }
    Ok(Parsed::Run(Options {
        command,
        target,
        long,
        resume,
        active,
        implicit,
        ca,
        insecure,
        verbose,
    }))
}

fn parse_url(text: &str) -> Result<Target, String> {
    let url = url::Url::parse(text).map_err(|e| format!("{text}: not a URL ({e})"))?;
    let tls = match url.scheme() {
        "ftp" => false,
        "ftps" => true,
        other => return Err(format!("{text}: the scheme is {other}, not ftp or ftps")),
    };
    let host = match url.host() {
        Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
        _ => return Err(format!("{text}: no host")),
    };
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{text}: has a query or fragment (write ? as %3F and # as %23 in names)"
        ));
    }
    let decode_text = |what: &str, s: &str| {
        String::from_utf8(percent_decode(s)).map_err(|_| format!("{text}: the {what} is not UTF-8"))
    };
    let user = match url.username() {
        "" => None,
        u => Some(decode_text("user", u)?),
    };
    let password = url
        .password()
        .map(|p| decode_text("password", p))
        .transpose()?;
    // RFC 1738: the path is relative to the login directory; `%2F` makes it absolute.
    let path = url.path();
    let path = percent_decode(path.strip_prefix('/').unwrap_or(path));
    if path.contains(&0) || path.contains(&b'\r') || path.contains(&b'\n') {
        return Err(format!("{text}: the path holds NUL, CR or LF"));
    }
    Ok(Target {
        tls,
        host,
        port: url.port(),
        user,
        password,
        path,
    })
}

/// `%XX` to the byte; anything else as it is.
fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn names_directory(path: &[u8]) -> bool {
    path.is_empty() || path.ends_with(b"/")
}

// ---------------------------------------------------------------------------------------
// Failures

/// Why a run failed: what was being done, and the error.
struct Failure {
    doing: String,
    why: Why,
}

enum Why {
    Ftp(Error),
    Local(io::Error),
    Other(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.doing)?;
        match &self.why {
            Why::Ftp(e) => write!(f, "{}", describe(e)),
            Why::Local(e) => write!(f, "local I/O error: {e}"),
            Why::Other(s) => f.write_str(s),
        }
    }
}

/// The error's kind, then what it says; a refusal shows the server's code and text.
fn describe(e: &Error) -> String {
    match e {
        Error::Rejected { kind, reply } => {
            let class = if reply.code().is_transient_negative() {
                "transient, may succeed later"
            } else {
                "permanent"
            };
            format!("the server refused {kind:?} ({class}): {reply}")
        }
        Error::Io(io) => format!("I/O error: {io}"),
        Error::Tls(tls) => {
            let mut text = format!("TLS error: {tls}");
            let mut source = std::error::Error::source(&**tls);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            if text.contains("certificate") || text.contains("Certificate") {
                text.push_str(" (a private CA? try --ca FILE)");
            }
            text
        }
        Error::Protocol { kind, error } => format!("protocol error in {kind:?}: {error}"),
        Error::Timeout(t) => format!("timed out ({t:?})"),
        Error::InvalidArgument(a) => format!("invalid argument: {a}"),
        Error::Closed(_) => format!("connection closed: {e}"),
        Error::Usage(u) => format!("usage error: {u}"),
        other => other.to_string(),
    }
}

/// Adds "what was being done" to an error.
trait Doing<T> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T, Failure>;
}

impl<T> Doing<T> for Result<T, Error> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T, Failure> {
        self.map_err(|e| Failure {
            doing: what(),
            why: Why::Ftp(e),
        })
    }
}

impl<T> Doing<T> for Result<T, io::Error> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T, Failure> {
        self.map_err(|e| Failure {
            doing: what(),
            why: Why::Local(e),
        })
    }
}

fn fail<T>(doing: String, why: impl Into<String>) -> Result<T, Failure> {
    Err(Failure {
        doing,
        why: Why::Other(why.into()),
    })
}

// ---------------------------------------------------------------------------------------
// The session

fn install_transcript() {
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber = tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(io::stderr().is_terminal())
        .with_target(false)
        .with_level(false)
        .without_time()
        .finish()
        .with(Targets::new().with_target("ftp::transcript", tracing::Level::DEBUG));
    // Only fails if a subscriber is already set, which nothing else here does.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

fn tls_config(options: &Options) -> Result<TlsConfig, Failure> {
    if options.insecure {
        eprintln!(
            "ftp: WARNING: --insecure: the server's certificate is NOT verified. Anyone on \
             the network path can read and change this session, password and files included."
        );
        return Ok(TlsConfig::dangerous_accept_any_certificate());
    }
    if let Some(ca) = &options.ca {
        let doing = || format!("reading the CA file {}", ca.display());
        let pem = fs::read(ca).doing(doing)?;
        return TlsConfig::from_ca_pem(&pem).or_else(|e| fail(doing(), e.to_string()));
    }
    match TlsConfig::platform() {
        Ok(tls) => Ok(tls),
        Err(e) => {
            if options.verbose {
                eprintln!(
                    "ftp: the platform verifier is not available ({e}); using the Mozilla roots"
                );
            }
            Ok(TlsConfig::webpki_roots())
        }
    }
}

fn connect(options: &Options) -> Result<Client, Failure> {
    let target = &options.target;
    let mut config = Config::new();
    if options.active {
        config = config.active(None, None);
    }
    let default_port = if target.tls && options.implicit {
        990
    } else {
        21
    };
    if target.tls {
        let tls = tls_config(options)?;
        config = if options.implicit {
            config.implicit_tls(tls)
        } else {
            config.explicit_tls(tls)
        };
    }
    let address = format!("{}:{}", target.host, target.port.unwrap_or(default_port));
    let mut ftp = Client::connect(&address, config).doing(|| format!("connecting to {address}"))?;
    match &target.user {
        None => {
            ftp.login_anonymous()
                .doing(|| "logging in anonymously".into())?;
        }
        Some(user) => {
            let from_env;
            let password = match &target.password {
                Some(p) => p.as_str(),
                None => {
                    from_env = std::env::var("FTP_PASSWORD").unwrap_or_default();
                    from_env.as_str()
                }
            };
            ftp.login(user, password)
                .doing(|| format!("logging in as {user}"))?;
        }
    }
    Ok(ftp)
}

fn run(options: &Options) -> Result<(), Failure> {
    // Local checks before the network.
    let put_source = match &options.command {
        Command::Put { local } if local.as_os_str() != "-" => {
            let doing = || format!("opening {}", local.display());
            let file = File::open(local).doing(doing)?;
            let len = file.metadata().doing(doing)?.len();
            Some((file, len))
        }
        _ => None,
    };
    let mut ftp = connect(options)?;
    let path = options.target.path.as_slice();
    let shown = String::from_utf8_lossy(path).into_owned();
    match &options.command {
        Command::Ls => ls(&mut ftp, path, options.long)?,
        Command::Get { local } => get(&mut ftp, path, local.as_deref(), options.resume)?,
        Command::Put { local } => put(&mut ftp, local, put_source, path, options.resume)?,
        Command::Rm => {
            ftp.delete(path).doing(|| format!("deleting {shown}"))?;
        }
        Command::Mkdir => {
            ftp.mkd(path).doing(|| format!("making {shown}"))?;
        }
        Command::Rmdir => {
            ftp.rmd(path).doing(|| format!("removing {shown}"))?;
        }
        Command::Mv { new_name } => {
            let to = sibling(path, new_name.as_bytes());
            ftp.rename(path, &to)
                .doing(|| format!("renaming {shown} to {}", String::from_utf8_lossy(&to)))?;
        }
    }
    // The operation is done; a refused QUIT changes nothing about it.
    let _ = ftp.quit();
    Ok(())
}

/// `new` as given if it holds a `/`, else beside `path` in its directory.
fn sibling(path: &[u8], new: &[u8]) -> Vec<u8> {
    if new.contains(&b'/') {
        return new.to_vec();
    }
    let trimmed = path.strip_suffix(b"/").unwrap_or(path);
    match trimmed.iter().rposition(|b| *b == b'/') {
        Some(slash) => [&trimmed[..=slash], new].concat(),
        None => new.to_vec(),
    }
}

/// The last path segment, as a local file name.
fn base_name(path: &[u8]) -> Option<String> {
    let name = path.rsplit(|b| *b == b'/').next()?;
    let name = String::from_utf8_lossy(name).into_owned();
    (!name.is_empty() && name != "." && name != "..").then_some(name)
}

// ---------------------------------------------------------------------------------------
// ls

fn ls(ftp: &mut Client, path: &[u8], raw: bool) -> Result<(), Failure> {
    let arg = (!path.is_empty()).then(|| String::from_utf8_lossy(path).into_owned());
    let shown = arg.clone().unwrap_or_else(|| ".".into());
    let mut out = io::stdout().lock();
    if raw {
        let lines = ftp
            .list_lines(arg.as_deref())
            .doing(|| format!("listing {shown}"))?;
        for line in lines {
            writeln!(out, "{}", printable(&line)).doing(|| "writing to stdout".into())?;
        }
        return Ok(());
    }
    // MLSD where the server has it (exact sizes and UTC times), else LIST; MLSD refuses a
    // file's path (501), which LIST lists. `login` returns at the 230, before the FEAT
    // the session sends after it is answered: a NOOP lets that answer in.
    if ftp.capabilities().is_none() {
        ftp.noop().doing(|| "waiting for the FEAT reply".into())?;
    }
    let has_mlsd = ftp.capabilities().is_some_and(|c| c.has(Feature::Mlst));
    let listing = match has_mlsd {
        true => match ftp.mlsd(arg.as_deref()) {
            Err(Error::Rejected { reply, .. }) if reply.code().is_permanent_negative() => None,
            other => Some(other),
        },
        false => None,
    };
    let listing = match listing {
        Some(result) => result,
        None => ftp.list(arg.as_deref()),
    }
    .doing(|| format!("listing {shown}"))?;
    let write = |out: &mut io::StdoutLock<'_>, line: String| {
        writeln!(out, "{line}").doing(|| "writing to stdout".into())
    };
    for entry in listing.entries.iter().filter(|e| !is_self_or_parent(e)) {
        write(&mut out, format_entry(entry))?;
    }
    for line in &listing.unparsed {
        write(&mut out, format!("?     {}", printable(line)))?;
    }
    Ok(())
}

fn is_self_or_parent(entry: &OwnedEntry) -> bool {
    let raw = entry.raw.to_ascii_lowercase();
    entry.name == b"."
        || entry.name == b".."
        || raw.starts_with(b"type=cdir;")
        || raw.starts_with(b"type=pdir;")
        || raw
            .windows(11)
            .any(|w| w == b";type=cdir;" || w == b";type=pdir;")
}

/// `kind  size  modified  name`, one line.
fn format_entry(entry: &OwnedEntry) -> String {
    let kind = match &entry.kind {
        OwnedKind::File => "file",
        OwnedKind::Dir => "dir",
        OwnedKind::Symlink { .. } => "link",
        _ => "other",
    };
    let size = entry.size.map_or_else(|| "-".to_owned(), |s| s.to_string());
    let modified = match &entry.modified {
        None => "-".to_owned(),
        Some(t) => {
            let w = t.to_utc().unwrap_or_else(|_| t.wall_clock());
            let date = format!("{:04}-{:02}-{:02}", w.year(), w.month(), w.day());
            match t.precision() {
                Precision::Day => date,
                Precision::Minute => format!("{date} {:02}:{:02}", w.hour(), w.minute()),
                _ => format!("{date} {:02}:{:02}:{:02}", w.hour(), w.minute(), w.second()),
            }
        }
    };
    let mut name = printable(&entry.name);
    if let OwnedKind::Symlink {
        target: Some(target),
    } = &entry.kind
    {
        name = format!("{name} -> {}", printable(target));
    }
    format!("{kind:<5} {size:>12}  {modified:<19}  {name}")
}

/// Server-sent bytes made safe for a terminal: UTF-8 as it is, control characters and
/// invalid bytes escaped.
fn printable(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Transfers

/// A progress bar, hidden until [`show`]n. `offset` bytes are already there (a resumed
/// transfer): the bar starts there without counting them in the rate.
fn progress_bar(offset: u64, total: Option<u64>) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden());
    bar.set_style(bar_style(total.is_some()));
    bar.set_position(offset);
    bar.tick();
    bar.reset_eta();
    bar
}

/// Draws the bar on stderr, only when stdout is a terminal (and stderr too: indicatif
/// draws nothing on a pipe).
fn show(bar: &ProgressBar) {
    if io::stdout().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
    }
}

/// With a known total: bytes of total, a bar, the rate and the ETA; else bytes and rate.
fn bar_style(known_total: bool) -> ProgressStyle {
    let template = if known_total {
        "{bytes:>10}/{total_bytes:<10} [{wide_bar}] {binary_bytes_per_sec:>12} ETA {eta}"
    } else {
        "{spinner} {bytes:>10} {binary_bytes_per_sec:>12} {elapsed}"
    };
    ProgressStyle::with_template(template)
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// Reports each chunk to the bar.
fn observe(ftp: &mut Client, bar: &ProgressBar, offset: u64) {
    let bar = bar.clone();
    ftp.set_progress(Some(Box::new(move |p: Progress| {
        bar.set_position(offset + p.bytes)
    })));
}

fn summary(bar: &ProgressBar, what: &str, bytes: u64, started: Instant) {
    if bar.is_hidden() {
        return;
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64().max(1e-3);
    eprintln!(
        "{what}: {} in {secs:.1}s ({}/s)",
        indicatif::HumanBytes(bytes),
        indicatif::HumanBytes((bytes as f64 / secs) as u64)
    );
}

fn get(ftp: &mut Client, path: &[u8], local: Option<&Path>, resume: bool) -> Result<(), Failure> {
    let shown = String::from_utf8_lossy(path).into_owned();
    let to_stdout = local.is_some_and(|l| l.as_os_str() == "-");
    let local = if to_stdout {
        PathBuf::from("-")
    } else {
        let name = || {
            base_name(path).ok_or_else(|| Failure {
                doing: format!("getting {shown}"),
                why: Why::Other("the URL names no file".into()),
            })
        };
        match local {
            None => PathBuf::from(name()?),
            Some(dir) if dir.is_dir() => dir.join(name()?),
            Some(file) => file.to_path_buf(),
        }
    };
    let offset = if resume {
        match fs::metadata(&local) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
            Err(e) => return Err(e).doing(|| format!("reading {}", local.display())),
        }
    } else {
        0
    };
    if offset > 0 {
        let size = ftp
            .size(path)
            .doing(|| format!("asking the size of {shown}"))?;
        if offset == size {
            eprintln!(
                "ftp: {} is already complete ({size} bytes)",
                local.display()
            );
            return Ok(());
        }
        if offset > size {
            return fail(
                format!("resuming {shown}"),
                format!(
                    "{} has {offset} bytes, more than the remote {size}",
                    local.display()
                ),
            );
        }
    }

    let bar = progress_bar(offset, None);
    observe(ftp, &bar, offset);
    let started = Instant::now();
    let doing = || format!("downloading {shown}");
    let mut reader = ftp.retr_from(path, offset).doing(doing)?;
    if let Some(total) = reader.total() {
        // A known size: the bar with its length, ETA and all.
        bar.set_length(offset + total);
        bar.set_style(bar_style(true));
    }
    if !to_stdout {
        show(&bar);
    }
    // The local file only once the server agreed to send (a refusal leaves nothing).
    let n = if to_stdout {
        reader.copy_to(&mut io::stdout().lock()).doing(doing)?
    } else {
        let open = || format!("opening {}", local.display());
        let mut file = if offset > 0 {
            OpenOptions::new().append(true).open(&local).doing(open)?
        } else {
            File::create(&local).doing(open)?
        };
        let n = reader.copy_to(&mut file).doing(doing)?;
        file.flush()
            .doing(|| format!("writing {}", local.display()))?;
        n
    };
    reader.finish().doing(doing)?;
    ftp.set_progress(None);
    summary(&bar, &local.display().to_string(), n, started);
    Ok(())
}

fn put(
    ftp: &mut Client,
    local: &Path,
    source: Option<(File, u64)>,
    path: &[u8],
    resume: bool,
) -> Result<(), Failure> {
    let remote = if names_directory(path) {
        let name = local
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| Failure {
                doing: format!("uploading {}", local.display()),
                why: Why::Other("no file name to store it under".into()),
            })?;
        [path, name.as_bytes()].concat()
    } else {
        path.to_vec()
    };
    let shown = String::from_utf8_lossy(&remote).into_owned();
    let doing = || format!("uploading to {shown}");
    let Some((mut file, len)) = source else {
        // stdin: no size, no resume.
        let bar = progress_bar(0, None);
        show(&bar);
        observe(ftp, &bar, 0);
        let started = Instant::now();
        let n = ftp
            .stor_from(&remote, &mut io::stdin().lock())
            .doing(doing)?;
        ftp.set_progress(None);
        summary(&bar, &shown, n, started);
        return Ok(());
    };
    let offset = if resume {
        match ftp.size(&remote) {
            Ok(n) => n,
            // Nothing there yet (550): start from the beginning.
            Err(Error::Rejected { reply, .. }) if reply.code().is_permanent_negative() => 0,
            Err(e) => return Err(e).doing(|| format!("asking the size of {shown}")),
        }
    } else {
        0
    };
    if offset == len && offset > 0 {
        eprintln!("ftp: {shown} is already complete ({len} bytes)");
        return Ok(());
    }
    if offset > len {
        return fail(
            format!("resuming {shown}"),
            format!(
                "the remote file has {offset} bytes, more than {} ({len})",
                local.display()
            ),
        );
    }
    file.seek(SeekFrom::Start(offset))
        .doing(|| format!("reading {}", local.display()))?;

    let bar = progress_bar(offset, Some(len));
    show(&bar);
    observe(ftp, &bar, offset);
    let started = Instant::now();
    let mut writer = if offset > 0 {
        ftp.stor_at(&remote, offset)
    } else {
        ftp.stor(&remote)
    }
    .doing(doing)?;
    let n = writer.copy_from(&mut file).doing(doing)?;
    writer.finish().doing(doing)?;
    ftp.set_progress(None);
    summary(&bar, &shown, n, started);
    Ok(())
}
