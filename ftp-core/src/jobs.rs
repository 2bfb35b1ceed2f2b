//! Automated jobs, written once for both adapters: mirroring a tree down or up and
//! downloading one file in segments over several sessions, with retries and a progress
//! report.
//!
//! Like the rest of `ftp-core` this decides and does not do network I/O: a job talks to a
//! server through [`Remote`], which each adapter implements for a session taken from its
//! pool (`ftp_std::Pool`, `ftp_tokio::Pool`), and runs as many copies of
//! [`Mirror::work`] / [`Segmented::work`] in parallel as it has sessions (threads in
//! `ftp-std`, tasks in `ftp-tokio`). The job's methods are `async`; `ftp-std`'s futures
//! never wait, so it polls them to completion in place.
//!
//! What is decided here: how the trees are walked (MLSD where the server announces it —
//! RFC 3659 §7 — else LIST parsed by [`crate::listing`]), the plan ([`crate::mirror`]),
//! which failures are retried ([`RetryPolicy`] over [`Error::is_transient`]), where a
//! retry resumes (the local size of a download, the remote `SIZE` of an upload, RFC 3659
//! §4 and §5), how a finished transfer is verified (its size) and dated (the source's
//! time: `MFMT`, or two-argument `MDTM`, remotely; the file's mtime locally).
//!
//! Local metadata calls (a stat, a mkdir, setting a time) are made inline; the file data
//! goes through the adapter.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use std::vec::Vec;
use std::{format, fs};

use crate::FtpTime;
use crate::config::Config;
use crate::driver::Error;
use crate::listing::Precision;
use crate::listing::owned::{Listing, OwnedKind};
use crate::mirror::{self, Action, FileMeta, MirrorOptions, Plan, Tree};
use crate::retry::RetryPolicy;
use crate::session::{OpError, OpKind};

/// Who logs in.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// `anonymous` (RFC 1635).
    Anonymous,
    /// A user and password, and an account for servers that ask for one.
    User {
        /// The user name.
        user: String,
        /// The password.
        password: String,
        /// The account (ACCT), if the server asks.
        account: Option<String>,
    },
}

/// How to open a session that is ready for work: where to connect, with what
/// configuration, who logs in, and which directory to change to. A pool opens its
/// sessions from this and reopens them the same way after a failure.
#[derive(Debug, Clone)]
pub struct Recipe {
    /// `host:port`, `[v6]:port`, or a bare host (port 21).
    pub address: String,
    /// The adapter configuration (TLS, timeouts, data mode).
    pub config: Config,
    /// Who logs in.
    pub credentials: Credentials,
    /// The directory to change to after login.
    pub directory: Option<String>,
}

impl Recipe {
    /// A recipe for `address` with the default configuration, logging in as `user`.
    pub fn new(address: impl Into<String>, user: &str, password: &str) -> Self {
        Recipe {
            address: address.into(),
            config: Config::new(),
            credentials: Credentials::User {
                user: user.to_string(),
                password: password.to_string(),
                account: None,
            },
            directory: None,
        }
    }

    /// The same, logging in anonymously.
    pub fn anonymous(address: impl Into<String>) -> Self {
        Recipe {
            credentials: Credentials::Anonymous,
            ..Recipe::new(address, "", "")
        }
    }

    /// With this configuration.
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Changing to `directory` after login.
    pub fn with_directory(mut self, directory: impl Into<String>) -> Self {
        self.directory = Some(directory.into());
        self
    }
}

/// Counts the bytes of one transfer attempt into the job's progress as they move.
#[derive(Debug)]
pub struct Meter<'a> {
    attempt: AtomicU64,
    total: &'a AtomicU64,
}

impl<'a> Meter<'a> {
    fn new(total: &'a AtomicU64) -> Self {
        Meter {
            attempt: AtomicU64::new(0),
            total,
        }
    }

    /// `n` more bytes moved.
    pub fn add(&self, n: u64) {
        self.attempt.fetch_add(n, Ordering::Relaxed);
        self.total.fetch_add(n, Ordering::Relaxed);
    }

    /// The bytes this attempt moved.
    pub fn moved(&self) -> u64 {
        self.attempt.load(Ordering::Relaxed)
    }
}

/// One session, as a job uses it. Each adapter implements this for its pooled session;
/// every method does just the I/O it names.
pub trait Remote: Send {
    /// The directory the session started in (after login and the recipe's `CWD`), as
    /// `PWD` named it then, if it did; relative job paths are taken from there, whatever
    /// directory earlier work left the session in.
    fn home(&self) -> Option<&str>;
    /// Whether the session has closed (the server went away, or a fatal error): the next
    /// piece of work needs [`Remote::recover`] first.
    fn is_closed(&self) -> bool;
    /// Whether the server announced `MLST` in its `FEAT` reply (RFC 3659 §7.8), so
    /// directories are listed with `MLSD`.
    fn has_mlsd(&self) -> bool;
    /// Changes to `path` and returns the absolute directory (`CWD`, `PWD`).
    fn resolve(&mut self, path: &str) -> impl Future<Output = Result<String, Error>> + Send;
    /// Lists the directory `dir` (absolute): with `MLSD` when `machine`, else `LIST`.
    fn list_dir(
        &mut self,
        dir: &str,
        machine: bool,
    ) -> impl Future<Output = Result<Listing, Error>> + Send;
    /// Makes a directory (`MKD`).
    fn make_dir(&mut self, path: &str) -> impl Future<Output = Result<(), Error>> + Send;
    /// Removes a directory (`RMD`).
    fn remove_dir(&mut self, path: &str) -> impl Future<Output = Result<(), Error>> + Send;
    /// Deletes a file (`DELE`).
    fn delete_file(&mut self, path: &str) -> impl Future<Output = Result<(), Error>> + Send;
    /// The server's digest of a file: the best one its FEAT offers
    /// ([`Digest::offered`](crate::hash::Digest::offered): `HASH` with SHA-256, selected
    /// with `OPTS HASH` if needed; else `XMD5`; else `XCRC`) and its reply; `None` when
    /// it offers none.
    fn digest_reply(
        &mut self,
        path: &str,
    ) -> impl Future<Output = Result<Option<(crate::hash::Digest, crate::reply::OwnedReply)>, Error>>
    + Send;
    /// Runs `work` where blocking is fine (in place for a blocking adapter, on a thread
    /// meant for it for an async one): hashing a large local file.
    fn run_blocking<T: Send + 'static>(
        &mut self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = T> + Send;
    /// A file's size (`SIZE`).
    fn file_size(&mut self, path: &str) -> impl Future<Output = Result<u64, Error>> + Send;
    /// Sets a file's modification time (`MFMT` or two-argument `MDTM`).
    fn set_file_time(
        &mut self,
        path: &str,
        time: FtpTime,
    ) -> impl Future<Output = Result<(), Error>> + Send;
    /// Downloads `remote` from byte `offset` into the local file `local` at the same
    /// offset (creating it; without `end`, cutting it at `offset` first), up to `end`
    /// if given (then aborting the transfer) or to the end; counts bytes into `meter`.
    fn download(
        &mut self,
        remote: &str,
        local: &Path,
        offset: u64,
        end: Option<u64>,
        meter: &Meter<'_>,
    ) -> impl Future<Output = Result<(), Error>> + Send;
    /// Uploads the local file `local` from byte `offset` to `remote` (`REST offset` +
    /// `STOR` when `offset` > 0); counts bytes into `meter`.
    fn upload(
        &mut self,
        local: &Path,
        remote: &str,
        offset: u64,
        meter: &Meter<'_>,
    ) -> impl Future<Output = Result<(), Error>> + Send;
    /// Makes the session usable after a failure: a `NOOP`, and if that fails a new
    /// connection from the pool's recipe (login, directory).
    fn recover(&mut self) -> impl Future<Output = Result<(), Error>> + Send;
    /// Waits (between attempts).
    fn pause(&mut self, delay: Duration) -> impl Future<Output = ()> + Send;
}

/// A job whose work is shared by several sessions: each runs [`Job::work`] until the
/// job's queue is empty ([`Mirror`], [`Segmented`]).
pub trait Job: Send + Sync {
    /// How many sessions can be busy at once (more would find nothing to do).
    fn parallelism(&self) -> usize;
    /// One worker's share: take work from the queue until it is empty.
    fn work<R: Remote>(&self, remote: &mut R) -> impl Future<Output = ()> + Send;
}

impl Job for Mirror {
    fn parallelism(&self) -> usize {
        self.plan.transfers().count().max(1)
    }
    fn work<R: Remote>(&self, remote: &mut R) -> impl Future<Output = ()> + Send {
        Mirror::work(self, remote)
    }
}

impl Job for Segmented {
    fn parallelism(&self) -> usize {
        self.segments.len().max(1)
    }
    fn work<R: Remote>(&self, remote: &mut R) -> impl Future<Output = ()> + Send {
        Segmented::work(self, remote)
    }
}

/// A job's progress: files and bytes done, rate and time left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot {
    /// Files finished (transferred, or failed for good).
    pub files_done: usize,
    /// Files the job will transfer.
    pub files_total: usize,
    /// Bytes moved so far.
    pub bytes_done: u64,
    /// Bytes the job will move (what is known of it).
    pub bytes_total: u64,
    /// Since the transfers started.
    pub elapsed: Duration,
}

impl Snapshot {
    /// Bytes per second so far.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.bytes_done as f64 / secs
        } else {
            0.0
        }
    }

    /// Time left at the rate so far, once anything has moved.
    pub fn eta(&self) -> Option<Duration> {
        let rate = self.rate();
        (rate > 0.0).then(|| {
            Duration::from_secs_f64(self.bytes_total.saturating_sub(self.bytes_done) as f64 / rate)
        })
    }
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MIB: f64 = 1024.0 * 1024.0;
        write!(
            f,
            "{}/{} files, {:.1}/{:.1} MiB, {:.1} MiB/s",
            self.files_done,
            self.files_total,
            self.bytes_done as f64 / MIB,
            self.bytes_total as f64 / MIB,
            self.rate() / MIB
        )?;
        match self.eta() {
            Some(eta) => write!(f, ", ETA {} s", eta.as_secs()),
            None => Ok(()),
        }
    }
}

#[derive(Debug)]
struct Progress {
    files_total: AtomicUsize,
    files_done: AtomicUsize,
    bytes_total: AtomicU64,
    bytes_done: AtomicU64,
    started: Mutex<Option<Instant>>,
}

impl Progress {
    fn new(files: usize, bytes: u64) -> Self {
        Progress {
            files_total: AtomicUsize::new(files),
            files_done: AtomicUsize::new(0),
            bytes_total: AtomicU64::new(bytes),
            bytes_done: AtomicU64::new(0),
            started: Mutex::new(None),
        }
    }

    fn start(&self) {
        let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        started.get_or_insert_with(Instant::now);
    }

    fn snapshot(&self) -> Snapshot {
        let started = *self.started.lock().unwrap_or_else(|e| e.into_inner());
        Snapshot {
            files_done: self.files_done.load(Ordering::Relaxed),
            files_total: self.files_total.load(Ordering::Relaxed),
            bytes_done: self.bytes_done.load(Ordering::Relaxed),
            bytes_total: self.bytes_total.load(Ordering::Relaxed),
            elapsed: started.map_or(Duration::ZERO, |s| s.elapsed()),
        }
    }
}

/// Which way a mirror copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Remote tree → local folder.
    Download,
    /// Local folder → remote tree.
    Upload,
}

/// What to mirror and how.
#[derive(Debug, Clone)]
pub struct MirrorSpec {
    /// The remote directory (absolute, or relative to the session's directory).
    pub remote: String,
    /// The local folder.
    pub local: PathBuf,
    /// Which way.
    pub direction: Direction,
    /// The planner's options (only-newer, delete, resume, filter).
    pub options: MirrorOptions,
    /// Retries per file.
    pub retry: RetryPolicy,
}

impl MirrorSpec {
    /// Mirrors `remote` down into `local`.
    pub fn download(remote: impl Into<String>, local: impl Into<PathBuf>) -> Self {
        MirrorSpec {
            remote: remote.into(),
            local: local.into(),
            direction: Direction::Download,
            options: MirrorOptions::default(),
            retry: RetryPolicy::default(),
        }
    }

    /// Mirrors `local` up into `remote`.
    pub fn upload(local: impl Into<PathBuf>, remote: impl Into<String>) -> Self {
        MirrorSpec {
            direction: Direction::Upload,
            ..MirrorSpec::download(remote, local)
        }
    }

    /// With these planner options.
    pub fn with_options(mut self, options: MirrorOptions) -> Self {
        self.options = options;
        self
    }

    /// With this retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
}

/// A path that failed for good, and why.
#[derive(Debug)]
pub struct Failure {
    /// The relative path (or the remote path of a segmented download).
    pub path: String,
    /// The last error.
    pub error: Error,
    /// How many attempts were made.
    pub attempts: u32,
}

/// What a job did.
#[derive(Debug, Default)]
pub struct Report {
    /// Directories created.
    pub dirs_created: usize,
    /// Files transferred (whole or resumed).
    pub transferred: usize,
    /// Of those, how many were resumed.
    pub resumed: usize,
    /// Files that already matched.
    pub unchanged: usize,
    /// Files and directories deleted.
    pub deleted: usize,
    /// Bytes moved.
    pub bytes: u64,
    /// Attempts that failed and were retried.
    pub retries: usize,
    /// Entries left out: symbolic links, special files, names that are not UTF-8.
    pub skipped: Vec<String>,
    /// Files that failed after their retries.
    pub failed: Vec<Failure>,
    /// Whether modification times could be set on the server (uploads); `true` for
    /// downloads.
    pub times_kept: bool,
    /// The digest the result was checked with against the server's (`HASH`), if the
    /// server offers one (segmented downloads).
    pub verified_by: Option<&'static str>,
    /// How long the job took.
    pub elapsed: Duration,
}

impl Report {
    /// Whether every file made it.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }
}

/// A mirror in progress: the plan made from both trees, and the shared queue its
/// workers take transfers from.
#[derive(Debug)]
pub struct Mirror {
    spec: MirrorSpec,
    remote_root: String,
    plan: Plan,
    skipped: Vec<String>,
    queue: Mutex<VecDeque<usize>>,
    progress: Progress,
    failed: Mutex<Vec<Failure>>,
    transferred: AtomicUsize,
    resumed: AtomicUsize,
    retries: AtomicUsize,
    times_unsupported: AtomicBool,
    dirs_created: AtomicUsize,
    started: Instant,
}

impl Mirror {
    /// Walks both trees and plans (nothing is changed yet): the remote tree with `MLSD`,
    /// or `LIST` if the server refuses it, the local one from the file system. A missing
    /// local folder (download) or remote directory (upload) counts as empty.
    pub async fn prepare<R: Remote>(spec: MirrorSpec, remote: &mut R) -> Result<Mirror, Error> {
        let started = Instant::now();
        let mut skipped = Vec::new();
        let wanted = absolute(remote.home(), &spec.remote);
        let root = match remote.resolve(&wanted).await {
            Ok(root) => Some(root),
            Err(e) if spec.direction == Direction::Upload && e.is_permanent() => None,
            Err(e) => return Err(e),
        };
        let remote_tree = match &root {
            Some(root) => walk_remote(remote, root, &spec.options, &mut skipped).await?,
            None => Tree::default(),
        };
        let local_tree = scan_local(&spec.local, &spec.options, &mut skipped)?;
        let remote_root = match &root {
            Some(root) => root.clone(),
            // Created by the first action; the planner's paths are relative to it.
            None => wanted,
        };
        let (source, target) = match spec.direction {
            Direction::Download => (&remote_tree, &local_tree),
            Direction::Upload => (&local_tree, &remote_tree),
        };
        let mut plan = mirror::plan(source, target, &spec.options);
        if spec.direction == Direction::Upload && root.is_none() {
            // The remote root itself is missing: made first, as the empty relative path.
            plan.actions.insert(0, Action::CreateDir(String::new()));
        }
        let queue = plan
            .actions
            .iter()
            .enumerate()
            .filter(|(_, a)| matches!(a, Action::Transfer { .. }))
            .map(|(i, _)| i)
            .collect::<VecDeque<_>>();
        let progress = Progress::new(queue.len(), plan.bytes());
        Ok(Mirror {
            spec,
            remote_root,
            plan,
            skipped,
            queue: Mutex::new(queue),
            progress,
            failed: Mutex::new(Vec::new()),
            transferred: AtomicUsize::new(0),
            resumed: AtomicUsize::new(0),
            retries: AtomicUsize::new(0),
            times_unsupported: AtomicBool::new(false),
            dirs_created: AtomicUsize::new(0),
            started,
        })
    }

    /// What the mirror will do (a dry run prints this and stops).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The remote root, absolute.
    pub fn remote_root(&self) -> &str {
        &self.remote_root
    }

    /// Files and bytes done so far; safe to call from another thread while workers run.
    pub fn progress(&self) -> Snapshot {
        self.progress.snapshot()
    }

    /// Creates the target's missing directories, parents first (on one session, before
    /// the workers start).
    pub async fn create_dirs<R: Remote>(&self, remote: &mut R) -> Result<(), Error> {
        if self.spec.direction == Direction::Download {
            fs::create_dir_all(&self.spec.local)?;
        }
        for action in &self.plan.actions {
            let Action::CreateDir(dir) = action else {
                continue;
            };
            let mut failures = 0;
            loop {
                let result = match self.spec.direction {
                    Direction::Download => {
                        fs::create_dir_all(local_path(&self.spec.local, dir)).map_err(Error::from)
                    }
                    Direction::Upload if dir.is_empty() => {
                        // The remote root: its missing parents first (a refusal for one
                        // that exists is expected; the root's own MKD must succeed).
                        let root = &self.remote_root;
                        for (i, _) in root.match_indices('/').filter(|&(i, _)| i > 0) {
                            let _ = remote.make_dir(&root[..i]).await;
                        }
                        remote.make_dir(root).await
                    }
                    Direction::Upload => {
                        match remote.make_dir(&self.remote_path(dir)).await {
                            // Made meanwhile (a retry after a lost reply): fine.
                            Err(e) if e.is_permanent() && failures > 0 => Ok(()),
                            r => r,
                        }
                    }
                };
                match result {
                    Ok(()) => break,
                    Err(e) => {
                        back_off(remote, &self.spec.retry, &mut failures, e, &self.retries).await?;
                    }
                }
            }
            self.dirs_created.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// One worker: takes transfers from the shared queue until it is empty, retrying
    /// each per the policy. Run one per session; failures are collected for the report.
    pub async fn work<R: Remote>(&self, remote: &mut R) {
        self.progress.start();
        while let Some(index) = pop(&self.queue) {
            let Action::Transfer {
                path,
                offset,
                source,
                ..
            } = &self.plan.actions[index]
            else {
                continue;
            };
            let mut failures = 0;
            let mut offset = *offset;
            loop {
                let meter = Meter::new(&self.progress.bytes_done);
                match self.transfer(remote, path, offset, source, &meter).await {
                    Ok(()) => {
                        if offset > 0 {
                            self.resumed.fetch_add(1, Ordering::Relaxed);
                        }
                        self.transferred.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    Err(error) => {
                        let policy = &self.spec.retry;
                        match back_off(remote, policy, &mut failures, error, &self.retries).await {
                            Ok(()) => {
                                offset = self
                                    .resume_offset(remote, path, source, offset, &meter)
                                    .await;
                            }
                            Err(error) => {
                                self.failed.lock().unwrap_or_else(|e| e.into_inner()).push(
                                    Failure {
                                        path: path.clone(),
                                        error,
                                        attempts: failures,
                                    },
                                );
                                break;
                            }
                        }
                    }
                }
            }
            self.progress.files_done.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Where a retry starts: after what already arrived, if resuming is on. The failed
    /// attempt (from `from`) counts in the progress only up to there.
    async fn resume_offset<R: Remote>(
        &self,
        remote: &mut R,
        path: &str,
        source: &FileMeta,
        from: u64,
        meter: &Meter<'_>,
    ) -> u64 {
        let bytes = &self.progress.bytes_done;
        bytes.fetch_sub(meter.moved(), Ordering::Relaxed);
        if !self.spec.options.resume {
            return 0;
        }
        let have = match self.spec.direction {
            Direction::Download => fs::metadata(local_path(&self.spec.local, path))
                .map(|m| m.len())
                .unwrap_or(0),
            Direction::Upload => remote.file_size(&self.remote_path(path)).await.unwrap_or(0),
        };
        let start = match source.size {
            Some(size) if have <= size => have,
            _ => 0,
        };
        bytes.fetch_add(start.saturating_sub(from), Ordering::Relaxed);
        start
    }

    async fn transfer<R: Remote>(
        &self,
        remote: &mut R,
        path: &str,
        offset: u64,
        source: &FileMeta,
        meter: &Meter<'_>,
    ) -> Result<(), Error> {
        live(remote).await?;
        let local = local_path(&self.spec.local, path);
        let remote_path = self.remote_path(path);
        match self.spec.direction {
            Direction::Download => {
                remote
                    .download(&remote_path, &local, offset, None, meter)
                    .await?;
                let len = fs::metadata(&local)?.len();
                if let Some(size) = source.size
                    && len != size
                {
                    return Err(short(OpKind::Retr, size, len));
                }
                if let Some(t) = source.modified {
                    let file = fs::File::options().write(true).open(&local)?;
                    file.set_modified(system_time(t))?;
                }
            }
            Direction::Upload => {
                remote.upload(&local, &remote_path, offset, meter).await?;
                if let Some(size) = source.size {
                    // The server's view, not what we sent: a short upload is a failure.
                    let len = remote.file_size(&remote_path).await?;
                    if len != size {
                        return Err(short(OpKind::Stor, size, len));
                    }
                }
                if let Some(t) = source.modified
                    && !self.times_unsupported.load(Ordering::Relaxed)
                    && let Ok(t) = FtpTime::from_unix_timestamp(t)
                {
                    match remote.set_file_time(&remote_path, t).await {
                        Ok(()) => {}
                        // Not offered: the mirror still holds, times are reported lost.
                        Err(e) if e.is_permanent() => {
                            self.times_unsupported.store(true, Ordering::Relaxed)
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(())
    }

    /// Deletes what the plan deletes (only when every transfer succeeded, so a failed
    /// run never removes more than it replaced) and reports.
    pub async fn finish<R: Remote>(&self, remote: &mut R) -> Result<Report, Error> {
        let failed = core::mem::take(&mut *self.failed.lock().unwrap_or_else(|e| e.into_inner()));
        let mut deleted = 0;
        if failed.is_empty() {
            for action in &self.plan.actions {
                let result = match (action, self.spec.direction) {
                    (Action::DeleteFile(p), Direction::Download) => {
                        fs::remove_file(local_path(&self.spec.local, p)).map_err(Error::from)
                    }
                    (Action::DeleteDir(p), Direction::Download) => {
                        fs::remove_dir(local_path(&self.spec.local, p)).map_err(Error::from)
                    }
                    (Action::DeleteFile(p), Direction::Upload) => {
                        remote.delete_file(&self.remote_path(p)).await
                    }
                    (Action::DeleteDir(p), Direction::Upload) => {
                        remote.remove_dir(&self.remote_path(p)).await
                    }
                    _ => continue,
                };
                result?;
                deleted += 1;
            }
        }
        Ok(Report {
            dirs_created: self.dirs_created.load(Ordering::Relaxed),
            transferred: self.transferred.load(Ordering::Relaxed),
            resumed: self.resumed.load(Ordering::Relaxed),
            unchanged: self.plan.unchanged,
            deleted,
            bytes: self.progress.bytes_done.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            skipped: self.skipped.clone(),
            failed,
            times_kept: !self.times_unsupported.load(Ordering::Relaxed),
            verified_by: None,
            elapsed: self.started.elapsed(),
        })
    }

    fn remote_path(&self, relative: &str) -> String {
        join_remote(&self.remote_root, relative)
    }
}

/// Makes sure the session is open before a piece of work: one that died on earlier work
/// (for whatever reason, a permanent one included) is replaced, so that a dead session
/// does not fail every file left in the queue. Failing to replace it is the failure of
/// this piece's attempt.
async fn live<R: Remote>(remote: &mut R) -> Result<(), Error> {
    if remote.is_closed() {
        remote.recover().await
    } else {
        Ok(())
    }
}

/// The next piece of work of a shared queue.
fn pop(queue: &Mutex<VecDeque<usize>>) -> Option<usize> {
    queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
}

/// After a failed attempt (`failures` counts it): gives up with the error if the policy
/// says so, else waits and makes the session usable again (`Remote::recover`). A failure
/// to recover (the server is still down) counts as another failed attempt.
async fn back_off<R: Remote>(
    remote: &mut R,
    policy: &RetryPolicy,
    failures: &mut u32,
    mut error: Error,
    retries: &AtomicUsize,
) -> Result<(), Error> {
    loop {
        *failures += 1;
        let Some(delay) = policy.delay_after(*failures, error.is_transient()) else {
            return Err(error);
        };
        retries.fetch_add(1, Ordering::Relaxed);
        remote.pause(delay).await;
        match remote.recover().await {
            Ok(()) => return Ok(()),
            Err(e) => error = e,
        }
    }
}

/// Opens (creating it) the local file a download writes into, positioned at `offset`;
/// with `cut`, it is first cut there (a whole-file download that resumes), else kept (a
/// segment of a file other workers write too). Blocking: an async adapter runs it
/// through [`Remote::run_blocking`].
pub fn open_local_at(local: &Path, offset: u64, cut: bool) -> std::io::Result<fs::File> {
    use std::io::{Seek, SeekFrom};
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(local)?;
    if cut {
        file.set_len(offset)?;
    }
    file.seek(SeekFrom::Start(offset))?;
    Ok(file)
}

/// A local file's digest (CRC-32 as four bytes, big-endian).
fn digest_file(path: &Path, kind: crate::hash::Digest) -> Result<Vec<u8>, Error> {
    use crate::hash::Digest;
    use sha2::Digest as _;
    use std::io::Read;
    let mut file = fs::File::open(path)?;
    let mut buf = std::vec![0u8; 256 * 1024];
    let (mut sha, mut md5, mut crc) = (
        sha2::Sha256::new(),
        md5::Md5::new(),
        crc32fast::Hasher::new(),
    );
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        match kind {
            Digest::Sha256 => sha.update(&buf[..n]),
            Digest::Md5 => md5.update(&buf[..n]),
            Digest::Crc32 => crc.update(&buf[..n]),
        }
    }
    Ok(match kind {
        Digest::Sha256 => sha.finalize().to_vec(),
        Digest::Md5 => md5.finalize().to_vec(),
        Digest::Crc32 => crc.finalize().to_be_bytes().to_vec(),
    })
}

fn short(kind: OpKind, expected: u64, received: u64) -> Error {
    Error::Protocol {
        kind,
        error: OpError::ShortData { expected, received },
    }
}

/// `path` from the session's home if it is relative (and the home is known).
fn absolute(home: Option<&str>, path: &str) -> String {
    match home {
        Some(home) if !path.starts_with('/') => join_remote(home, path),
        _ => path.to_string(),
    }
}

/// `root/relative` with one `/` between them.
fn join_remote(root: &str, relative: &str) -> String {
    if relative.is_empty() {
        return root.to_string();
    }
    let root = root.trim_end_matches('/');
    format!("{root}/{relative}")
}

fn local_path(root: &Path, relative: &str) -> PathBuf {
    let mut path = root.to_path_buf();
    path.extend(relative.split('/').filter(|c| !c.is_empty()));
    path
}

fn system_time(secs: i64) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    }
}

fn unix_secs(t: SystemTime) -> Option<i64> {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).ok(),
        Err(e) => i64::try_from(e.duration().as_secs()).ok().map(|s| -s),
    }
}

/// The remote tree under `root`, breadth first, one directory per listing.
async fn walk_remote<R: Remote>(
    remote: &mut R,
    root: &str,
    options: &MirrorOptions,
    skipped: &mut Vec<String>,
) -> Result<Tree, Error> {
    let mut tree = Tree::default();
    // Only where announced: a refused MLSD still costs a data connection, and under TLS
    // 1.3 the session ticket its handshake began with.
    let mut machine = remote.has_mlsd();
    let mut pending = VecDeque::from([String::new()]);
    while let Some(dir) = pending.pop_front() {
        let absolute = join_remote(root, &dir);
        let listing = if machine {
            match remote.list_dir(&absolute, true).await {
                Ok(listing) => listing,
                // Announced but refused: LIST from now on.
                Err(e) if e.is_permanent() && e.code().is_some() => {
                    machine = false;
                    remote.list_dir(&absolute, false).await?
                }
                Err(e) => return Err(e),
            }
        } else {
            remote.list_dir(&absolute, false).await?
        };
        for line in &listing.unparsed {
            skipped.push(format!(
                "{}: unparsed listing line {:?}",
                if dir.is_empty() { "." } else { &dir },
                String::from_utf8_lossy(line)
            ));
        }
        for entry in &listing.entries {
            let Some(name) = entry.name_str() else {
                skipped.push(format!(
                    "{}/{} (not UTF-8)",
                    dir,
                    String::from_utf8_lossy(&entry.name)
                ));
                continue;
            };
            if name.is_empty()
                || name == "."
                || name == ".."
                || name.contains('/')
                || is_cdir(entry)
            {
                continue;
            }
            let path = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
            match entry.kind {
                OwnedKind::Dir => {
                    if options.filter.keeps_dir(&path) {
                        tree.add_dir(&path);
                        pending.push_back(path);
                    }
                }
                OwnedKind::File => {
                    let (modified, precision) = match &entry.modified {
                        Some(t) => (
                            Some(t.unix_timestamp()),
                            match t.precision() {
                                Precision::Day => 86_400,
                                Precision::Minute => 60,
                                _ => 1,
                            },
                        ),
                        None => (None, 1),
                    };
                    tree.add_file(&path, FileMeta::new(entry.size, modified, precision));
                }
                _ => skipped.push(format!("{path} (not a regular file or directory)")),
            }
        }
    }
    Ok(tree)
}

/// MLSD's `type=cdir` / `type=pdir` entries name the listed directory and its parents.
fn is_cdir(entry: &crate::listing::owned::OwnedEntry) -> bool {
    let raw = entry.raw.to_ascii_lowercase();
    let facts = raw.split(|&b| b == b' ').next().unwrap_or(&[]);
    facts
        .split(|&b| b == b';')
        .any(|f| f == b"type=cdir" || f == b"type=pdir")
}

/// The local tree under `root` (empty if it does not exist).
fn scan_local(
    root: &Path,
    options: &MirrorOptions,
    skipped: &mut Vec<String>,
) -> Result<Tree, Error> {
    let mut tree = Tree::default();
    if !root.exists() {
        return Ok(tree);
    }
    let mut pending = VecDeque::from([String::new()]);
    while let Some(dir) = pending.pop_front() {
        for item in fs::read_dir(local_path(root, &dir))? {
            let item = item?;
            let name = item.file_name();
            let Some(name) = name.to_str() else {
                skipped.push(format!("{dir}/{} (not UTF-8)", name.to_string_lossy()));
                continue;
            };
            let path = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
            let kind = item.file_type()?;
            if kind.is_dir() {
                if options.filter.keeps_dir(&path) {
                    tree.add_dir(&path);
                    pending.push_back(path);
                }
            } else if kind.is_file() {
                let meta = item.metadata()?;
                let modified = meta.modified().ok().and_then(unix_secs);
                tree.add_file(&path, FileMeta::new(Some(meta.len()), modified, 1));
            } else {
                skipped.push(format!("{path} (not a regular file or directory)"));
            }
        }
    }
    Ok(tree)
}

/// One file downloaded in segments over several sessions (`REST` to each segment's
/// start, the transfer aborted at its end), verified by size, and by the best digest the
/// server offers (`HASH` SHA-256, `XMD5`, `XCRC`).
#[derive(Debug)]
pub struct Segmented {
    remote: String,
    local: PathBuf,
    size: u64,
    segments: Vec<core::ops::Range<u64>>,
    /// Bytes of each segment on disk so far.
    done: Vec<AtomicU64>,
    queue: Mutex<VecDeque<usize>>,
    retry: RetryPolicy,
    progress: Progress,
    failed: Mutex<Vec<Failure>>,
    retries: AtomicUsize,
    started: Instant,
}

impl Segmented {
    /// Asks the file's size and splits it into `parts` segments (of at least 1 MiB),
    /// then creates the local file at its full size.
    pub async fn prepare<R: Remote>(
        remote: &mut R,
        path: &str,
        local: impl Into<PathBuf>,
        parts: usize,
        retry: RetryPolicy,
    ) -> Result<Segmented, Error> {
        let path = &absolute(remote.home(), path);
        let size = remote.file_size(path).await?;
        let segments = mirror::segments(size, parts, 1 << 20);
        let local = local.into();
        let file = fs::File::create(&local)?;
        file.set_len(size)?;
        let done = segments.iter().map(|_| AtomicU64::new(0)).collect();
        let queue = (0..segments.len()).collect();
        Ok(Segmented {
            remote: path.to_string(),
            local,
            size,
            progress: Progress::new(segments.len(), size),
            segments,
            done,
            queue: Mutex::new(queue),
            retry,
            failed: Mutex::new(Vec::new()),
            retries: AtomicUsize::new(0),
            started: Instant::now(),
        })
    }

    /// The segments (byte ranges).
    pub fn segments(&self) -> &[core::ops::Range<u64>] {
        &self.segments
    }

    /// Segments and bytes done so far.
    pub fn progress(&self) -> Snapshot {
        self.progress.snapshot()
    }

    /// One worker: downloads segments from the shared queue until it is empty.
    pub async fn work<R: Remote>(&self, remote: &mut R) {
        self.progress.start();
        while let Some(i) = pop(&self.queue) {
            let range = self.segments[i].clone();
            let mut failures = 0;
            loop {
                let start = range.start + self.done[i].load(Ordering::Relaxed);
                if start >= range.end {
                    break;
                }
                let meter = Meter::new(&self.progress.bytes_done);
                let result = match live(remote).await {
                    Ok(()) => {
                        remote
                            .download(&self.remote, &self.local, start, Some(range.end), &meter)
                            .await
                    }
                    Err(e) => Err(e),
                };
                // What arrived is on disk in order: a retry goes on from there.
                self.done[i].fetch_add(meter.moved(), Ordering::Relaxed);
                let result = result.and_then(|()| {
                    let got = self.done[i].load(Ordering::Relaxed);
                    let want = range.end - range.start;
                    if got == want {
                        Ok(())
                    } else {
                        Err(short(OpKind::Retr, want, got))
                    }
                });
                match result {
                    Ok(()) => break,
                    Err(error) => {
                        if let Err(error) =
                            back_off(remote, &self.retry, &mut failures, error, &self.retries).await
                        {
                            self.failed
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push(Failure {
                                    path: format!("{} bytes {:?}", self.remote, range),
                                    error,
                                    attempts: failures,
                                });
                            break;
                        }
                    }
                }
            }
            self.progress.files_done.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Checks the result: every segment complete, the local file exactly the remote size,
    /// and, where the server offers a digest (`HASH` SHA-256, `XMD5`, `XCRC`), the same.
    pub async fn finish<R: Remote>(&self, remote: &mut R) -> Result<Report, Error> {
        let failed = core::mem::take(&mut *self.failed.lock().unwrap_or_else(|e| e.into_inner()));
        let mut verified_by = None;
        if failed.is_empty() {
            let len = fs::metadata(&self.local)?.len();
            if len != self.size {
                return Err(short(OpKind::Retr, self.size, len));
            }
            if let Some((kind, reply)) = remote.digest_reply(&self.remote).await? {
                let local = self.local.clone();
                let digest = remote
                    .run_blocking(move || digest_file(&local, kind))
                    .await?;
                if !kind.matches(reply.text(), &digest) {
                    return Err(Error::Protocol {
                        kind: OpKind::Retr,
                        error: OpError::DigestMismatch {
                            algorithm: kind.name(),
                        },
                    });
                }
                verified_by = Some(kind.name());
            }
        }
        Ok(Report {
            transferred: usize::from(failed.is_empty()),
            bytes: self.progress.bytes_done.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            failed,
            times_kept: true,
            verified_by,
            elapsed: self.started.elapsed(),
            ..Report::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join() {
        assert_eq!(join_remote("/", "a/b"), "/a/b");
        assert_eq!(join_remote("/x/", "a"), "/x/a");
        assert_eq!(join_remote("/x", ""), "/x");
        assert_eq!(local_path(Path::new("/t"), "a/b"), Path::new("/t/a/b"));
    }

    #[test]
    fn snapshot_rate_and_eta() {
        let s = Snapshot {
            files_done: 1,
            files_total: 4,
            bytes_done: 1 << 20,
            bytes_total: 4 << 20,
            elapsed: Duration::from_secs(1),
        };
        assert_eq!(s.eta(), Some(Duration::from_secs(3)));
        assert_eq!(s.to_string(), "1/4 files, 1.0/4.0 MiB, 1.0 MiB/s, ETA 3 s");
    }
}
