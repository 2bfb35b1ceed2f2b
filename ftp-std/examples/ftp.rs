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
//! ftp mirror URL LOCAL     mirror a remote tree into a local folder (-R: the other way)
//! ftp pget URL [LOCAL]     download one file in segments over several sessions
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
use ftp_std::jobs::{self, Filter, MirrorOptions, MirrorSpec, Recipe, RetryPolicy, Snapshot};
use ftp_std::{Client, Config, Error, OwnedEntry, OwnedKind, Pool, Progress, TlsConfig};
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
  mirror URL LOCAL    mirror a remote directory tree into a local folder: new and
                      changed files (size or time) move, partial ones resume, times
                      are kept; -R LOCAL URL mirrors a local folder up
  pget URL [LOCAL]    download one file in segments over several sessions

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
  -P, --parallel N  mirror, pget: sessions at once (default 4)
  -R, --reverse   mirror: upload LOCAL to URL
  --delete        mirror: delete what the source does not have
  --only-newer    mirror: transfer only files newer in the source
  --dry-run       mirror: print what would change, change nothing
  --include GLOB  mirror: only files matching GLOB (repeatable; no / = any depth)
  --exclude GLOB  mirror: leave out files and folders matching GLOB (repeatable)
  --retries N     mirror, pget: attempts per file for transient failures (default 5)
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
    Run(Box<Options>),
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
    jobs: JobOptions,
}

/// The options of `mirror` and `pget`.
#[derive(Debug, Default)]
struct JobOptions {
    parallel: Option<usize>,
    reverse: bool,
    delete: bool,
    only_newer: bool,
    dry_run: bool,
    include: Vec<String>,
    exclude: Vec<String>,
    retries: Option<u32>,
}

impl JobOptions {
    fn any_mirror_only(&self) -> bool {
        self.reverse
            || self.delete
            || self.only_newer
            || self.dry_run
            || !self.include.is_empty()
            || !self.exclude.is_empty()
    }
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
    Mirror { local: PathBuf },
    Pget { local: Option<PathBuf> },
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
    let mut jobs = JobOptions::default();
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
            Some("-R" | "--reverse") => jobs.reverse = true,
            Some("--delete") => jobs.delete = true,
            Some("--only-newer") => jobs.only_newer = true,
            Some("--dry-run") => jobs.dry_run = true,
            Some(flag @ ("-P" | "--parallel" | "--retries" | "--include" | "--exclude")) => {
                let flag = flag.to_owned();
                let value = args
                    .next()
                    .and_then(|v| v.into_string().ok())
                    .ok_or(format!("{flag} needs a value"))?;
                let number = || {
                    value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or(format!("{flag} needs a positive number, not {value:?}"))
                };
                match flag.as_str() {
                    "--include" => jobs.include.push(value.clone()),
                    "--exclude" => jobs.exclude.push(value.clone()),
                    "--retries" => jobs.retries = Some(number()?),
                    _ => jobs.parallel = Some(number()? as usize),
                }
            }
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
        "mirror" => {
            arity(2, 2, "URL LOCAL (or -R LOCAL URL)")?;
            let (local, url) = if jobs.reverse {
                (&rest[0], &rest[1])
            } else {
                (&rest[1], &rest[0])
            };
            (
                Command::Mirror {
                    local: PathBuf::from(local),
                },
                url,
            )
        }
        "pget" => {
            arity(1, 2, "URL [LOCAL]")?;
            let local = rest.get(1).map(PathBuf::from);
            (Command::Pget { local }, &rest[0])
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
    if jobs.any_mirror_only() && !matches!(command, Command::Mirror { .. }) {
        return Err(
            "-R, --delete, --only-newer, --dry-run, --include and --exclude apply to mirror only"
                .into(),
        );
    }
    if (jobs.parallel.is_some() || jobs.retries.is_some())
        && !matches!(command, Command::Mirror { .. } | Command::Pget { .. })
    {
        return Err("--parallel and --retries apply to mirror and pget only".into());
    }
    if let Command::Pget { local } = &command
        && local.as_ref().is_some_and(|l| l.as_os_str() == "-")
    {
        return Err("pget writes segments at their offsets: it needs a file, not stdout".into());
    }
    if insecure && ca.is_some() {
        return Err("--ca and --insecure contradict each other".into());
    }
    if target.path.is_empty() && !matches!(command, Command::Ls | Command::Mirror { .. }) {
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
    Ok(Parsed::Run(Box::new(Options {
        command,
        target,
        long,
        resume,
        active,
        implicit,
        ca,
        insecure,
        verbose,
        jobs,
    })))
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

/// The address and configuration a URL and the options make.
fn session_config(options: &Options) -> Result<(String, Config), Failure> {
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
    Ok((address, config))
}

/// The password of a URL with a user: the URL's, else `$FTP_PASSWORD`.
fn password(target: &Target) -> String {
    match &target.password {
        Some(p) => p.clone(),
        None => std::env::var("FTP_PASSWORD").unwrap_or_default(),
    }
}

fn connect(options: &Options) -> Result<Client, Failure> {
    let (address, config) = session_config(options)?;
    let mut ftp = Client::connect(&address, config).doing(|| format!("connecting to {address}"))?;
    match &options.target.user {
        None => {
            ftp.login_anonymous()
                .doing(|| "logging in anonymously".into())?;
        }
        Some(user) => {
            ftp.login(user, &password(&options.target))
                .doing(|| format!("logging in as {user}"))?;
        }
    }
    Ok(ftp)
}

fn run(options: &Options) -> Result<(), Failure> {
    match &options.command {
        Command::Mirror { local } => return mirror(options, local),
        Command::Pget { local } => return pget(options, local.as_deref()),
        _ => {}
    }
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
        Command::Mirror { .. } | Command::Pget { .. } => unreachable!("run above"),
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
        reader.copy_to_file(&mut file).doing(doing)?
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

// ---------------------------------------------------------------------------------------
// mirror and pget

/// A pool of sessions for the URL: the same address, TLS and login as one-shot commands.
fn pool(options: &Options) -> Result<Pool, Failure> {
    let (address, config) = session_config(options)?;
    let recipe = match &options.target.user {
        None => Recipe::anonymous(address),
        Some(user) => Recipe::new(address, user, &password(&options.target)),
    }
    .with_config(config);
    Ok(Pool::new(recipe, options.jobs.parallel.unwrap_or(4)))
}

fn retry_policy(options: &Options) -> RetryPolicy {
    options
        .jobs
        .retries
        .map_or_else(RetryPolicy::default, RetryPolicy::new)
}

/// A bar over a job's bytes, fed from its progress snapshots every 100 ms while `work`
/// runs on this thread.
fn with_progress<T>(snapshot: impl Fn() -> Snapshot + Sync, work: impl FnOnce() -> T) -> T {
    let bar = progress_bar(0, None);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} {bytes:>10}/{total_bytes:<10} [{wide_bar}] {binary_bytes_per_sec:>12} ETA {eta}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    show(&bar);
    let done = std::sync::atomic::AtomicBool::new(false);
    let result = std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let now = snapshot();
                bar.set_length(now.bytes_total);
                bar.set_position(now.bytes_done);
                bar.set_message(format!("{}/{} files", now.files_done, now.files_total));
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        });
        let result = work();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        result
    });
    bar.finish_and_clear();
    result
}

fn mirror(options: &Options, local: &Path) -> Result<(), Failure> {
    let remote = String::from_utf8(options.target.path.clone()).map_err(|_| Failure {
        doing: "mirroring".into(),
        why: Why::Other("the remote path is not UTF-8".into()),
    })?;
    let remote = if remote.is_empty() {
        ".".to_owned()
    } else {
        remote
    };
    let mut filter = Filter::new();
    for glob in &options.jobs.include {
        filter = filter
            .include(glob)
            .or_else(|e| fail("reading --include".into(), e.to_string()))?;
    }
    for glob in &options.jobs.exclude {
        filter = filter
            .exclude(glob)
            .or_else(|e| fail("reading --exclude".into(), e.to_string()))?;
    }
    let mirror_options = MirrorOptions {
        only_newer: options.jobs.only_newer,
        delete: options.jobs.delete,
        resume: true,
        filter,
    };
    let (spec, what) = if options.jobs.reverse {
        (
            MirrorSpec::upload(local, remote.as_str()),
            format!("mirroring {} up to {remote}", local.display()),
        )
    } else {
        (
            MirrorSpec::download(remote.as_str(), local),
            format!("mirroring {remote} down to {}", local.display()),
        )
    };
    let spec = spec
        .with_options(mirror_options)
        .with_retry(retry_policy(options));
    let pool = pool(options)?;
    let mirror = jobs::prepare(&pool, spec).doing(|| what.clone())?;
    let plan = mirror.plan();
    if options.jobs.dry_run {
        let mut out = io::stdout().lock();
        for action in &plan.actions {
            writeln!(out, "{action}").doing(|| "writing to stdout".into())?;
        }
        writeln!(
            out,
            "dry run: {} steps, {} to transfer, {} unchanged",
            plan.actions.len(),
            indicatif::HumanBytes(plan.bytes()),
            plan.unchanged
        )
        .doing(|| "writing to stdout".into())?;
        return Ok(());
    }
    let report =
        with_progress(|| mirror.progress(), || jobs::run(&pool, &mirror)).doing(|| what.clone())?;
    let secs = report.elapsed.as_secs_f64().max(1e-3);
    eprintln!(
        "{what}: {} transferred ({} resumed), {} unchanged, {} directories made, {} deleted; \
         {} in {secs:.1}s ({}/s), {} retries",
        report.transferred,
        report.resumed,
        report.unchanged,
        report.dirs_created,
        report.deleted,
        indicatif::HumanBytes(report.bytes),
        indicatif::HumanBytes((report.bytes as f64 / secs) as u64),
        report.retries
    );
    for skipped in &report.skipped {
        eprintln!("ftp: skipped {skipped}");
    }
    if !report.times_kept {
        eprintln!("ftp: the server does not set modification times (no MFMT): times not kept");
    }
    if let Some(first) = report.failed.first() {
        for failure in &report.failed {
            eprintln!(
                "ftp: {} failed after {} attempts: {}",
                failure.path,
                failure.attempts,
                describe(&failure.error)
            );
        }
        return fail(
            what,
            format!(
                "{} files failed (first: {}); nothing was deleted",
                report.failed.len(),
                first.path
            ),
        );
    }
    Ok(())
}

fn pget(options: &Options, local: Option<&Path>) -> Result<(), Failure> {
    let path = &options.target.path;
    let shown = String::from_utf8_lossy(path).into_owned();
    let remote = String::from_utf8(path.clone()).map_err(|_| Failure {
        doing: format!("getting {shown}"),
        why: Why::Other("the remote path is not UTF-8".into()),
    })?;
    let local = match local {
        Some(l) if l.is_dir() => l.join(base_name(path).unwrap_or_else(|| "download".into())),
        Some(l) => l.to_path_buf(),
        None => PathBuf::from(base_name(path).ok_or_else(|| Failure {
            doing: format!("getting {shown}"),
            why: Why::Other("the URL names no file".into()),
        })?),
    };
    let pool = pool(options)?;
    let parts = pool.max_size();
    let what = format!("getting {shown} in {parts} segments");
    let mut first = pool.get().doing(|| what.clone())?;
    let job = jobs::prepare_segmented(&mut first, &remote, &local, parts, retry_policy(options))
        .doing(|| what.clone())?;
    let report = with_progress(
        || job.progress(),
        || jobs::run_segmented(&pool, first, &job),
    )
    .doing(|| what.clone())?;
    if let Some(failure) = report.failed.first() {
        return fail(
            what,
            format!(
                "{} after {} attempts: {}",
                failure.path,
                failure.attempts,
                describe(&failure.error)
            ),
        );
    }
    let secs = report.elapsed.as_secs_f64().max(1e-3);
    eprintln!(
        "{what}: {} in {secs:.1}s ({}/s), {} retries; checked by size{}",
        indicatif::HumanBytes(report.bytes),
        indicatif::HumanBytes((report.bytes as f64 / secs) as u64),
        report.retries,
        report
            .verified_by
            .map_or(String::new(), |d| format!(" and {d} (HASH)"))
    );
    Ok(())
}
