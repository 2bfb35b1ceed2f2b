//! A pool of logged-in sessions to one server, for jobs that work in parallel: at most
//! `max` sessions, an idle session checked with `NOOP` before it is handed out again, a
//! broken one replaced by a new connection made from the [`Recipe`] (connect, log in,
//! change directory).

use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use ftp_core::jobs::Recipe;

use crate::{Client, Error};

/// Sessions to one server, opened on demand from a recipe.
///
/// ```no_run
/// use ftp_std::{Pool, ftp_core::jobs::Recipe};
///
/// let pool = Pool::new(Recipe::new("ftp.example.com:21", "user", "secret"), 4);
/// std::thread::scope(|s| {
///     for name in ["a", "b", "c", "d", "e"] {
///         let pool = &pool;
///         s.spawn(move || -> Result<u64, ftp_std::Error> {
///             // Waits while 4 sessions are out; a session is returned on drop.
///             let mut session = pool.get()?;
///             session.size(name)
///         });
///     }
/// });
/// ```
#[derive(Debug)]
pub struct Pool {
    recipe: Recipe,
    max: usize,
    check_after: Duration,
    state: Mutex<State>,
    returned: Condvar,
}

/// A session and the directory it started in.
type Session = (Client, Option<String>);

/// Opens a session from the recipe and notes where it starts (`PWD`; unknown if the
/// server does not say).
fn open(recipe: &Recipe) -> Result<Session, Error> {
    let mut client = Client::open(recipe)?;
    let home = client.pwd().ok();
    Ok((client, home))
}

#[derive(Debug, Default)]
struct State {
    idle: Vec<(Session, Instant)>,
    open: usize,
}

impl Pool {
    /// A pool of at most `max` sessions (at least 1) made from `recipe`. Nothing is
    /// opened until a session is asked for.
    pub fn new(recipe: Recipe, max: usize) -> Pool {
        Pool {
            recipe,
            max: max.max(1),
            check_after: Duration::from_secs(15),
            state: Mutex::new(State::default()),
            returned: Condvar::new(),
        }
    }

    /// Checks an idle session with `NOOP` before handing it out when it has been idle for
    /// longer than `idle` (default 15 s; zero checks every time).
    pub fn with_health_check_after(mut self, idle: Duration) -> Self {
        self.check_after = idle;
        self
    }

    /// The most sessions this pool opens.
    pub fn max_size(&self) -> usize {
        self.max
    }

    /// The recipe sessions are made from.
    pub fn recipe(&self) -> &Recipe {
        &self.recipe
    }

    /// Sessions open now (idle or out).
    pub fn open_sessions(&self) -> usize {
        self.lock().open
    }

    /// A session: an idle one (checked with `NOOP` if it has been idle a while), or a new
    /// one while fewer than `max` are open; otherwise waits for one to come back.
    pub fn get(&self) -> Result<PooledClient<'_>, Error> {
        let mut state = self.lock();
        loop {
            if let Some(((mut client, home), since)) = state.idle.pop() {
                drop(state);
                if since.elapsed() < self.check_after || client.noop().is_ok() {
                    return Ok(self.wrap((client, home)));
                }
                // Dead: replace it.
                client.close();
                state = self.lock();
                state.open -= 1;
                continue;
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match open(&self.recipe) {
                    Ok(session) => Ok(self.wrap(session)),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.returned.notify_one();
                        Err(e)
                    }
                };
            }
            state = self.returned.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn wrap(&self, (client, home): Session) -> PooledClient<'_> {
        PooledClient {
            pool: self,
            client: Some(client),
            home,
            buffer: Vec::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A session taken from a [`Pool`]; it goes back when dropped (or is let go, if it was
/// closed). Derefs to [`Client`].
#[derive(Debug)]
pub struct PooledClient<'p> {
    pool: &'p Pool,
    client: Option<Client>,
    home: Option<String>,
    pub(crate) buffer: Vec<u8>,
}

impl PooledClient<'_> {
    /// Replaces the session with a new one made from the pool's recipe (the old one is
    /// kept if that fails).
    pub fn reconnect(&mut self) -> Result<(), Error> {
        let (new, home) = open(&self.pool.recipe)?;
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
    pub fn recover(&mut self) -> Result<(), Error> {
        match self.client().noop() {
            Ok(_) => Ok(()),
            Err(_) => self.reconnect(),
        }
    }

    pub(crate) fn client(&mut self) -> &mut Client {
        self.client
            .as_mut()
            .expect("a pooled client holds a session until dropped")
    }
}

impl Deref for PooledClient<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client
            .as_ref()
            .expect("a pooled client holds a session until dropped")
    }
}

impl DerefMut for PooledClient<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client()
    }
}

impl Drop for PooledClient<'_> {
    fn drop(&mut self) {
        let mut state = self.pool.lock();
        match self.client.take() {
            Some(client) if !client.is_closed() => state
                .idle
                .push(((client, self.home.take()), Instant::now())),
            _ => state.open -= 1,
        }
        drop(state);
        self.pool.returned.notify_one();
    }
}
