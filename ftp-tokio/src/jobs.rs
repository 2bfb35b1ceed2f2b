//! Automated jobs over a [`Pool`]: mirroring a tree down or up and downloading one file
//! in segments, each worker a task with its own session. What to transfer, retries and
//! verification are decided in [`ftp_core::jobs`]; this module moves the bytes.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ftp_tokio::Error> {
//! use ftp_tokio::Pool;
//! use ftp_tokio::jobs::{self, MirrorSpec, Recipe};
//!
//! let pool = Pool::new(Recipe::new("127.0.0.1:21", "user", "secret"), 4);
//! let report = jobs::mirror(&pool, MirrorSpec::download("/pub", "/tmp/pub")).await?;
//! println!("{} files transferred, {} unchanged", report.transferred, report.unchanged);
//! # Ok(()) }
//! ```

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

pub use ftp_core::jobs::{
    Credentials, Direction, Failure, Job, Meter, Mirror, MirrorSpec, Recipe, Remote, Report,
    Segmented, Snapshot,
};
pub use ftp_core::mirror::{Action, Filter, MirrorOptions, Plan};
pub use ftp_core::retry::RetryPolicy;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::task::JoinSet;

use crate::pool::PooledClient;
use crate::{Error, Pool};

/// Plans a mirror (walks both trees; changes nothing). [`Mirror::plan`] is the dry run;
/// [`run`] carries it out. Shared (`Arc`) so the workers' tasks and a progress display
/// can all see it.
pub async fn prepare(pool: &Pool, spec: MirrorSpec) -> Result<Arc<Mirror>, Error> {
    let mut session = pool.get().await?;
    Ok(Arc::new(Mirror::prepare(spec, &mut session).await?))
}

/// Carries out a prepared mirror with as many sessions as the pool allows (one task
/// each). Files that fail after their retries are in [`Report::failed`]; deletions
/// happen only when none failed.
///
/// Cancellation: dropping the future stops the workers (their transfers are aborted and
/// their sessions dropped); a later run of the same spec resumes what was left.
pub async fn run(pool: &Pool, mirror: Arc<Mirror>) -> Result<Report, Error> {
    let mut first = pool.get().await?;
    mirror.create_dirs(&mut first).await?;
    in_parallel(pool, &mut first, &mirror).await;
    mirror.finish(&mut first).await
}

/// Runs `job` on `first` here and on more sessions from the pool in tasks of their own,
/// as many as the pool and the job allow; returns when all are done.
async fn in_parallel<J: Job + 'static>(pool: &Pool, first: &mut PooledClient, job: &Arc<J>) {
    let workers = pool.max_size().min(job.parallelism());
    let mut tasks = JoinSet::new();
    for _ in 1..workers {
        let (pool, job) = (pool.clone(), Arc::clone(job));
        tasks.spawn(async move {
            // A session the server refuses (too many connections) leaves the work to
            // the others.
            if let Ok(mut session) = pool.get().await {
                job.work(&mut session).await;
            }
        });
    }
    job.work(first).await;
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done
            && e.is_panic()
        {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

/// Plans and runs a mirror: [`prepare`] then [`run`].
pub async fn mirror(pool: &Pool, spec: MirrorSpec) -> Result<Report, Error> {
    let mirror = prepare(pool, spec).await?;
    run(pool, mirror).await
}

/// Downloads `remote` to `local` in up to `parts` segments, each over its own session
/// from the pool (`REST` to its start, aborted at its end), retrying a segment from where
/// it stopped; the result is checked against the server's `SIZE`.
pub async fn pget(
    pool: &Pool,
    remote: &str,
    local: impl Into<PathBuf>,
    parts: usize,
    retry: RetryPolicy,
) -> Result<Report, Error> {
    let mut first = pool.get().await?;
    let job = Arc::new(Segmented::prepare(&mut first, remote, local, parts, retry).await?);
    in_parallel(pool, &mut first, &job).await;
    job.finish(&mut first).await
}

/// Counts what passes into the job's meter.
struct Metered<'m, 'a, T> {
    inner: T,
    meter: &'m Meter<'a>,
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Metered<'_, '_, W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.meter.add(n as u64);
        }
        polled
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

async fn open_at(local: &Path, offset: u64, cut: bool) -> Result<tokio::fs::File, Error> {
    let local = local.to_owned();
    let file =
        tokio::task::spawn_blocking(move || ftp_core::jobs::open_local_at(&local, offset, cut))
            .await
            .map_err(std::io::Error::other)??;
    Ok(tokio::fs::File::from_std(file))
}

impl Remote for PooledClient {
    fn home(&self) -> Option<&str> {
        PooledClient::home(self)
    }

    ftp_core::remote_commands!(async);

    fn recover(&mut self) -> impl Future<Output = Result<(), Error>> + Send {
        PooledClient::recover(self)
    }

    async fn run_blocking<T: Send + 'static>(
        &mut self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        match tokio::task::spawn_blocking(work).await {
            Ok(out) => out,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    fn pause(&mut self, delay: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(delay)
    }
}
