//! Automated jobs over a [`Pool`]: mirroring a tree down or up and downloading one file
//! in segments, each worker a thread with its own session. What to transfer, retries and
//! verification are decided in [`ftp_core::jobs`]; this module moves the bytes.
//!
//! ```no_run
//! use ftp_std::Pool;
//! use ftp_std::jobs::{self, MirrorSpec, Recipe};
//!
//! let pool = Pool::new(Recipe::new("127.0.0.1:21", "user", "secret"), 4);
//! let report = jobs::mirror(&pool, MirrorSpec::download("/pub", "/tmp/pub"))?;
//! println!("{} files transferred, {} unchanged", report.transferred, report.unchanged);
//! # Ok::<(), ftp_std::Error>(())
//! ```

use std::fs::File;
use std::future::Future;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

pub use ftp_core::jobs::{
    Credentials, Direction, Failure, Job, Meter, Mirror, MirrorSpec, Recipe, Remote, Report,
    Segmented, Snapshot,
};
pub use ftp_core::mirror::{Action, Filter, MirrorOptions, Plan};
pub use ftp_core::retry::RetryPolicy;

use crate::pool::PooledClient;
use crate::{Error, Pool};

/// Plans a mirror (walks both trees; changes nothing). [`Mirror::plan`] is the dry run;
/// [`run`] carries it out.
pub fn prepare(pool: &Pool, spec: MirrorSpec) -> Result<Mirror, Error> {
    let mut session = pool.get()?;
    block_on(Mirror::prepare(spec, &mut session))
}

/// Carries out a prepared mirror with as many sessions as the pool allows (one thread
/// each). [`Mirror::progress`] can be read from another thread meanwhile. Files that
/// fail after their retries are in [`Report::failed`]; deletions happen only when none
/// failed.
pub fn run(pool: &Pool, mirror: &Mirror) -> Result<Report, Error> {
    let mut first = pool.get()?;
    block_on(mirror.create_dirs(&mut first))?;
    in_parallel(pool, &mut first, mirror);
    block_on(mirror.finish(&mut first))
}

/// Runs `job` on `first` here and on more sessions from the pool in threads of their
/// own, as many as the pool and the job allow; returns when all are done.
fn in_parallel(pool: &Pool, first: &mut PooledClient<'_>, job: &impl Job) {
    let workers = pool.max_size().min(job.parallelism());
    std::thread::scope(|s| {
        for _ in 1..workers {
            s.spawn(|| {
                // A session the server refuses (too many connections) leaves the work
                // to the others.
                if let Ok(mut session) = pool.get() {
                    block_on(job.work(&mut session));
                }
            });
        }
        block_on(job.work(first));
    });
}

/// Plans and runs a mirror: [`prepare`] then [`run`].
pub fn mirror(pool: &Pool, spec: MirrorSpec) -> Result<Report, Error> {
    let mirror = prepare(pool, spec)?;
    run(pool, &mirror)
}

/// Downloads `remote` to `local` in up to `parts` segments, each over its own session
/// from the pool (`REST` to its start, aborted at its end), retrying a segment from where
/// it stopped; the result is checked against the server's `SIZE`.
pub fn pget(
    pool: &Pool,
    remote: &str,
    local: impl Into<PathBuf>,
    parts: usize,
    retry: RetryPolicy,
) -> Result<Report, Error> {
    let mut first = pool.get()?;
    let job = prepare_segmented(&mut first, remote, local, parts, retry)?;
    run_segmented(pool, first, &job)
}

/// The first half of [`pget`]: asks the size over `session` and creates the local file;
/// [`Segmented::progress`] can then be watched while [`run_segmented`] runs.
pub fn prepare_segmented(
    session: &mut PooledClient<'_>,
    remote: &str,
    local: impl Into<PathBuf>,
    parts: usize,
    retry: RetryPolicy,
) -> Result<Segmented, Error> {
    block_on(Segmented::prepare(session, remote, local, parts, retry))
}

/// Runs a prepared segmented download (see [`pget`]), `first` being the session it was
/// prepared on.
pub fn run_segmented(
    pool: &Pool,
    mut first: PooledClient<'_>,
    job: &Segmented,
) -> Result<Report, Error> {
    in_parallel(pool, &mut first, job);
    block_on(job.finish(&mut first))
}

/// Polls a job future to completion. `ftp-std`'s [`Remote`] futures never wait, so this
/// runs in place; a `Pending` would be a bug, and is polled again rather than lost.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

/// Counts what passes into the job's meter.
struct Metered<'m, 'a, W> {
    inner: W,
    meter: &'m Meter<'a>,
}

impl<W: Write> Write for Metered<'_, '_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.meter.add(n as u64);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn open_at(local: &Path, offset: u64, cut: bool) -> Result<File, Error> {
    Ok(ftp_core::jobs::open_local_at(local, offset, cut)?)
}

impl Remote for PooledClient<'_> {
    fn home(&self) -> Option<&str> {
        PooledClient::home(self)
    }

    ftp_core::remote_commands!(blocking);

    fn recover(&mut self) -> impl Future<Output = Result<(), Error>> + Send {
        std::future::ready(PooledClient::recover(self))
    }

    fn run_blocking<T: Send + 'static>(
        &mut self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = T> + Send {
        std::future::ready(work())
    }

    fn pause(&mut self, delay: Duration) -> impl Future<Output = ()> + Send {
        std::thread::sleep(delay);
        std::future::ready(())
    }
}
