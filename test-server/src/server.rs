//! The scripted server: one thread, one control connection, one script.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::script::Script;
use crate::session::{Log, Session};

/// Why a script did not run to its end.
#[derive(Debug)]
struct Failure {
    /// 1-based index of the failing step, 0 when the control connection never came.
    step: usize,
    total: usize,
    what: String,
    error: String,
    log: Log,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.step == 0 {
            write!(f, "scripted FTP server: {}", self.error)?;
        } else {
            write!(
                f,
                "scripted FTP server failed at step {} of {} ({}): {}",
                self.step, self.total, self.what, self.error
            )?;
        }
        write!(f, "\ncommands received: {:?}", self.log.commands)?;
        if !self.log.notes.is_empty() {
            write!(f, "\nnotes: {:?}", self.log.notes)?;
        }
        Ok(())
    }
}

/// A scripted FTP server on a loopback port, running one [`Script`] for one control connection on its own
/// thread.
///
/// Call [`finish`](Self::finish) at the end of the test: it waits for the script and panics if a step
/// failed. Dropping a `Server` without `finish` detaches the thread (it ends by itself within its timeouts).
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    handle: Option<JoinHandle<Result<Log, Box<Failure>>>>,
}

impl Server {
    /// Binds `127.0.0.1:0` and starts running `script` for the first client that connects.
    /// Panics if the port cannot be bound.
    pub fn start(script: Script) -> Server {
        Self::start_on(IpAddr::V4(Ipv4Addr::LOCALHOST), script)
            .expect("bind the scripted server on 127.0.0.1")
    }

    /// Binds `ip` port 0 (`"::1".parse()?` for IPv6) and starts running `script`.
    pub fn start_on(ip: IpAddr, script: Script) -> io::Result<Server> {
        let listener = TcpListener::bind(SocketAddr::new(ip, 0))?;
        let addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let handle = thread::Builder::new()
            .name(format!("ftp-test-server {addr}"))
            .spawn(move || run(listener, script))?;
        Ok(Server {
            addr,
            handle: Some(handle),
        })
    }

    /// The address to connect the control connection to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits for the script to end and returns what the server saw. Panics, naming the failing step, what
    /// it expected and what it received, if a step failed (or a custom step panicked).
    pub fn finish(mut self) -> Log {
        match self.try_finish() {
            Ok(log) => log,
            Err(message) => panic!("{message}"),
        }
    }

    /// Like [`finish`](Self::finish) but returns the failure message instead of panicking (for tests that
    /// expect the script to fail).
    pub fn try_finish(&mut self) -> Result<Log, String> {
        let handle = self
            .handle
            .take()
            .ok_or_else(|| "the scripted server was already finished".to_owned())?;
        match handle.join() {
            Ok(Ok(log)) => Ok(log),
            Ok(Err(failure)) => Err(failure.to_string()),
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("(no message)");
                Err(format!("scripted FTP server thread panicked: {msg}"))
            }
        }
    }
}

fn run(listener: TcpListener, script: Script) -> Result<Log, Box<Failure>> {
    let Script {
        steps,
        timeout,
        tls,
        reconnects,
    } = script;
    let total = steps.len();
    let fail = |error: String| {
        Box::new(Failure {
            step: 0,
            total,
            what: String::new(),
            error,
            log: Log::default(),
        })
    };
    let deadline = Instant::now() + timeout;
    let control = loop {
        match listener.accept() {
            Ok((stream, _)) => break stream,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => {
                return Err(fail(format!(
                    "accepting the control connection failed: {e}"
                )));
            }
        }
        if Instant::now() >= deadline {
            return Err(fail(format!(
                "timed out after {timeout:?} waiting for the client to connect"
            )));
        }
        thread::sleep(Duration::from_millis(2));
    };
    // Only one control connection per script unless a step accepts another: later
    // connections are refused.
    let listener = reconnects.then_some(listener);
    let setup = control
        .set_nonblocking(false)
        .and_then(|()| Session::new(control, tls, timeout))
        .map(|session| session.with_control_listener(listener));
    let mut session = match setup {
        Ok(s) => s,
        Err(e) => {
            return Err(fail(format!(
                "setting up the control connection failed: {e}"
            )));
        }
    };
    for (i, step) in steps.into_iter().enumerate() {
        if let Err(e) = (step.run)(&mut session) {
            session.shutdown();
            return Err(Box::new(Failure {
                step: i + 1,
                total,
                what: step.what,
                error: e.0,
                log: std::mem::take(&mut session.log),
            }));
        }
    }
    session.shutdown();
    Ok(session.log)
}
