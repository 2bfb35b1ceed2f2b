//! A pool of logged-in sessions to one server, for jobs that work in parallel: at most
//! `max` sessions, an idle session checked with `NOOP` before it is handed out again, a
//! broken one replaced by a new connection made from the [`Recipe`] (connect, log in,
//! change directory). Cheap to clone; pooled sessions are `'static`, so they can move
//! into spawned tasks.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ftp_core::jobs::Recipe;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{Client, Error};

/// Sessions to one server, opened on demand from a recipe.
///
/// ```no_run
/// # async fn demo() -> Result<(), ftp_tokio::Error> {
/// use ftp_tokio::{Pool, ftp_core::jobs::Recipe};
///
/// let pool = Pool::new(Recipe::new("ftp.example.com:21", "user", "secret"), 4);
/// let mut tasks = Vec::new();
/// for name in ["a", "b", "c", "d", "e"] {
///     let pool = pool.clone();
///     tasks.push(tokio::spawn(async move {
///         // Waits while 4 sessions are out; a session is returned on drop.
///         let mut session = pool.get().await?;
///         session.size(name).await
///     }));
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

/// A session and the directory it started in.
type Session = (Client, Option<String>);

/// Opens a session from the recipe and notes where it starts (`PWD`; unknown if the
/// server does not say).
async fn open(recipe: &Recipe) -> Result<Session, Error> {
    let mut client = Client::open(recipe).await?;
    let home = client.pwd().await.ok();
    Ok((client, home))
}

#[derive(Debug)]
struct Inner {
    recipe: Recipe,
    max: usize,
    check_after: Duration,
    idle: Mutex<Vec<(Session, Instant)>>,
    permits: Arc<Semaphore>,
    open: AtomicUsize,
}

impl Pool {
    /// A pool of at most `max` sessions (at least 1) made from `recipe`. Nothing is
    /// opened until a session is asked for.
    pub fn new(recipe: Recipe, max: usize) -> Pool {
        let max = max.max(1);
        Pool {
            inner: Arc::new(Inner {
                recipe,
                max,
                check_after: Duration::from_secs(15),
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(max)),
                open: AtomicUsize::new(0),
            }),
        }
    }

    /// Checks an idle session with `NOOP` before handing it out when it has been idle for
    /// longer than `idle` (default 15 s; zero checks every time). Call before cloning.
    pub fn with_health_check_after(mut self, idle: Duration) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.check_after = idle;
        }
        self
    }

    /// The most sessions this pool opens.
    pub fn max_size(&self) -> usize {
        self.inner.max
    }

    /// The recipe sessions are made from.
    pub fn recipe(&self) -> &Recipe {
        &self.inner.recipe
    }

    /// Sessions open now (idle or out).
    pub fn open_sessions(&self) -> usize {
        self.inner.open.load(Ordering::SeqCst)
    }

    /// A session: an idle one (checked with `NOOP` if it has been idle a while), or a new
    /// one while fewer than `max` are open; otherwise waits for one to come back.
    ///
    /// Cancellation: dropping the future gives back the slot; a session it was checking
    /// or opening is dropped (and so sends QUIT from a task).
    pub async fn get(&self) -> Result<PooledClient, Error> {
        let permit = Arc::clone(&self.inner.permits)
            .acquire_owned()
            .await
            .expect("the pool's semaphore is never closed");
        loop {
            let idle = self.inner.lock_idle().pop();
            let Some(((mut client, home), since)) = idle else {
                break;
            };
            if since.elapsed() < self.inner.check_after || client.noop().await.is_ok() {
                return Ok(self.wrap((client, home), permit));
            }
            // Dead: replace it.
            client.close();
            self.inner.open.fetch_sub(1, Ordering::SeqCst);
        }
        let session = open(&self.inner.recipe).await?;
        self.inner.open.fetch_add(1, Ordering::SeqCst);
        Ok(self.wrap(session, permit))
    }

    fn wrap(&self, (client, home): Session, permit: OwnedSemaphorePermit) -> PooledClient {
        PooledClient {
            pool: Arc::clone(&self.inner),
            client: Some(client),
            home,
            buffer: Vec::new(),
            _permit: permit,
        }
    }
}

impl Inner {
    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<(Session, Instant)>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A session taken from a [`Pool`]; it goes back when dropped (or is let go, if it was
/// closed). Derefs to [`Client`].
#[derive(Debug)]
pub struct PooledClient {
    pool: Arc<Inner>,
    client: Option<Client>,
    home: Option<String>,
    pub(crate) buffer: Vec<u8>,
    _permit: OwnedSemaphorePermit,
}

impl PooledClient {
    /// Replaces the session with a new one made from the pool's recipe (the old one is
    /// kept if that fails).
    pub async fn reconnect(&mut self) -> Result<(), Error> {
        let (new, home) = open(&self.pool.recipe).await?;
        if let Some(old) = self.client.replace(new) {
            old.close();
        }
        self.home = home;
        Ok(())
    }

    /// The directory the session started in (`PWD` after login and the recipe's `CWD`),
    /// if the server named it.
    pub fn home(&self) -> Option<&str> {
        self.home.as_deref()
    }

    /// Makes the session usable: a `NOOP`, and a new session if that fails.
    pub async fn recover(&mut self) -> Result<(), Error> {
        match self.client().noop().await {
            Ok(_) => Ok(()),
            Err(_) => self.reconnect().await,
        }
    }

    pub(crate) fn client(&mut self) -> &mut Client {
        self.client
            .as_mut()
            .expect("a pooled client holds a session until dropped")
    }
}

impl Deref for PooledClient {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client
            .as_ref()
            .expect("a pooled client holds a session until dropped")
    }
}

impl DerefMut for PooledClient {
    fn deref_mut(&mut self) -> &mut Client {
        self.client()
    }
}

impl Drop for PooledClient {
    fn drop(&mut self) {
        match self.client.take() {
            Some(client) if !client.is_closed() => {
                let home = self.home.take();
                self.pool.lock_idle().push(((client, home), Instant::now()));
            }
            _ => {
                self.pool.open.fetch_sub(1, Ordering::SeqCst);
            }
        }
        // The permit goes back as the fields drop.
    }
}
