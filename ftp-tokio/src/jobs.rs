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
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

pub use ftp_core::jobs::{
    Credentials, Direction, Failure, Meter, Mirror, MirrorSpec, Recipe, Remote, Report, Segmented,
    Snapshot,
};
pub use ftp_core::mirror::{Action, Filter, MirrorOptions, Plan};
pub use ftp_core::retry::RetryPolicy;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWrite, AsyncWriteExt};
use tokio::task::JoinSet;

use crate::pool::PooledClient;
use crate::{Client, Error, Pool};

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
    let transfers = mirror.plan().transfers().count();
    let workers = pool.max_size().min(transfers).max(1);
    let mut tasks = JoinSet::new();
    for _ in 1..workers {
        let (pool, mirror) = (pool.clone(), Arc::clone(&mirror));
        tasks.spawn(async move {
            // A session the server refuses (too many connections) leaves the work to
            // the others.
            if let Ok(mut session) = pool.get().await {
                mirror.work(&mut session).await;
            }
        });
    }
    mirror.work(&mut first).await;
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done
            && e.is_panic()
        {
            std::panic::resume_unwind(e.into_panic());
        }
    }
    mirror.finish(&mut first).await
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
    let workers = pool.max_size().min(job.segments().len()).max(1);
    let mut tasks = JoinSet::new();
    for _ in 1..workers {
        let (pool, job) = (pool.clone(), Arc::clone(&job));
        tasks.spawn(async move {
            if let Ok(mut session) = pool.get().await {
                job.work(&mut session).await;
            }
        });
    }
    job.work(&mut first).await;
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done
            && e.is_panic()
        {
            std::panic::resume_unwind(e.into_panic());
        }
    }
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
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(local)
        .await?;
    if cut {
        file.set_len(offset).await?;
    }
    file.seek(SeekFrom::Start(offset)).await?;
    Ok(file)
}

async fn download(
    client: &mut Client,
    buffer: &mut Vec<u8>,
    remote: &str,
    local: &Path,
    offset: u64,
    end: Option<u64>,
    meter: &Meter<'_>,
) -> Result<(), Error> {
    let file = open_at(local, offset, end.is_none()).await?;
    let mut sink = Metered { inner: file, meter };
    let mut reader = client.retr_from(remote, offset).await?;
    let Some(end) = end else {
        reader.copy_to(&mut sink).await?;
        reader.finish().await?;
        // tokio writes files from its blocking pool: done only once flushed.
        sink.flush().await?;
        return Ok(());
    };
    buffer.resize(256 * 1024, 0);
    let mut left = end.saturating_sub(offset);
    let mut ended_early = false;
    while left > 0 {
        let want = buffer
            .len()
            .min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = reader.read(&mut buffer[..want]).await?;
        if n == 0 {
            // The file ended before the segment did: the server says why (226, or an
            // error), and the caller finds the segment short.
            ended_early = true;
            break;
        }
        sink.write_all(&buffer[..n]).await?;
        left -= n as u64;
    }
    if ended_early || reader.total().is_some_and(|total| total == end) {
        // The segment ends where the file does: a normal end.
        reader.finish().await?;
    } else {
        // The segment is complete; the rest of the file is another worker's.
        reader.abort().await?;
    }
    sink.flush().await?;
    Ok(())
}

async fn upload(
    client: &mut Client,
    local: &Path,
    remote: &str,
    offset: u64,
    meter: &Meter<'_>,
) -> Result<(), Error> {
    let mut file = std::fs::File::open(local)?;
    std::io::Seek::seek(&mut file, SeekFrom::Start(offset))?;
    let mut writer = if offset > 0 {
        client.stor_at(remote, offset).await?
    } else {
        client.stor(remote).await?
    };
    // sendfile(2) over a plain data connection (from the file's own position), tokio's
    // file reads under TLS.
    let sent = writer.copy_from_file(&mut file).await?;
    meter.add(sent);
    writer.finish().await?;
    Ok(())
}

impl Remote for PooledClient {
    fn home(&self) -> Option<&str> {
        PooledClient::home(self)
    }

    ftp_core::remote_commands!(async);

    async fn download(
        &mut self,
        remote: &str,
        local: &Path,
        offset: u64,
        end: Option<u64>,
        meter: &Meter<'_>,
    ) -> Result<(), Error> {
        let mut buffer = std::mem::take(&mut self.buffer);
        let result = download(
            self.client(),
            &mut buffer,
            remote,
            local,
            offset,
            end,
            meter,
        )
        .await;
        self.buffer = buffer;
        result
    }

    async fn upload(
        &mut self,
        local: &Path,
        remote: &str,
        offset: u64,
        meter: &Meter<'_>,
    ) -> Result<(), Error> {
        upload(self.client(), local, remote, offset, meter).await
    }

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
