//! The script builder: an ordered list of steps, and reusable fragments of common exchanges.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;

use crate::session::{Session, StepResult};

/// One step: a description (shown when it fails) and what it does.
pub(crate) struct Step {
    pub(crate) what: String,
    pub(crate) run: Box<dyn FnOnce(&mut Session) -> StepResult + Send>,
}

/// The default limit for any wait on the client.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// What the scripted server does with its one control connection, step by step.
///
/// Build it with the step methods below (each appends one step) and hand it to
/// [`Server::start`](crate::Server::start). Steps run in order on the server's thread; the first that fails
/// stops the script and [`Server::finish`](crate::Server::finish) panics with its description and error.
/// Every step that waits for the client fails after [`timeout`](Self::timeout) (default 10 s) without
/// progress.
///
/// The fragments ([`greet`](Self::greet), [`login`](Self::login), [`epsv_download`](Self::epsv_download),
/// ...) append several steps at once. [`step`](Self::step) appends any closure over the [`Session`].
///
/// A data connection stays open until a close or reset step, until the next accepted or connected data
/// connection replaces it, or until the script ends ("keep open" needs no step). At the end of the script
/// everything still open is closed, the control connection with close_notify under TLS.
pub struct Script {
    pub(crate) steps: Vec<Step>,
    pub(crate) timeout: Duration,
    pub(crate) tls: Option<Arc<ServerConfig>>,
    /// Whether a step accepts a later control connection ([`Script::accept_control`]):
    /// then the server keeps listening after the first one.
    pub(crate) reconnects: bool,
}

impl fmt::Debug for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Script")
            .field(
                "steps",
                &self.steps.iter().map(|s| &s.what).collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl Default for Script {
    fn default() -> Self {
        Self::new()
    }
}

fn show(bytes: &[u8]) -> String {
    const MAX: usize = 60;
    let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX)]).into_owned();
    if bytes.len() > MAX {
        format!("{shown:?}... ({} bytes)", bytes.len())
    } else {
        format!("{shown:?}")
    }
}

impl Script {
    /// An empty script with the default timeout and no TLS config.
    pub fn new() -> Self {
        Self {
            steps: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            tls: None,
            reconnects: false,
        }
    }

    /// Sets the limit for each wait on the client (accepting the control connection included).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the TLS config for the TLS steps (for example `TestPki::server_config(Leaf::Valid)`).
    pub fn tls(mut self, config: Arc<ServerConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Appends a custom step: any closure over the [`Session`], described by `what` in failure messages.
    pub fn step(
        mut self,
        what: impl Into<String>,
        run: impl FnOnce(&mut Session) -> StepResult + Send + 'static,
    ) -> Self {
        self.steps.push(Step {
            what: what.into(),
            run: Box::new(run),
        });
        self
    }

    /// Appends every step of `other` (its timeout and TLS config are ignored).
    pub fn then(mut self, other: Script) -> Self {
        self.steps.extend(other.steps);
        self.reconnects |= other.reconnects;
        self
    }

    /// The number of steps so far.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// True when the script has no step.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    // ----- control connection -----

    /// Sends raw bytes on the control connection, exactly as given.
    pub fn send(self, bytes: impl Into<Vec<u8>>) -> Self {
        let bytes = bytes.into();
        self.step(format!("send {}", show(&bytes)), move |s| s.send(&bytes))
    }

    /// Sends one reply line; CRLF is added.
    pub fn reply(self, line: impl Into<String>) -> Self {
        let line = line.into();
        self.step(format!("reply {line:?}"), move |s| s.reply(&line))
    }

    /// Sends `bytes` one byte at a time, waiting `interval` before each.
    pub fn drip(self, bytes: impl Into<Vec<u8>>, interval: Duration) -> Self {
        let bytes = bytes.into();
        self.step(
            format!("drip {} every {interval:?}", show(&bytes)),
            move |s| s.drip(&bytes, interval),
        )
    }

    /// Sends `chunk` repeatedly until the client stops reading or closes, or `limit` bytes were sent
    /// (an endless multi-line reply, a giant line). Never fails.
    pub fn send_until_closed(self, chunk: impl Into<Vec<u8>>, limit: usize) -> Self {
        let chunk = chunk.into();
        self.step(
            format!("send {} repeatedly (up to {limit} bytes)", show(&chunk)),
            move |s| s.send_until_closed(&chunk, limit).map(drop),
        )
    }

    /// Waits for the command line `line` exactly (case-sensitive, line end excluded) and logs it.
    pub fn expect(self, line: impl Into<String>) -> Self {
        let line = line.into();
        self.step(format!("expect {line:?}"), move |s| {
            s.expect(&line).map(drop)
        })
    }

    /// Waits for a command line starting with `prefix` (ASCII case-insensitive) and logs it.
    pub fn expect_prefix(self, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        self.step(
            format!("expect a line starting with {prefix:?}"),
            move |s| s.expect_prefix(&prefix).map(drop),
        )
    }

    /// Waits for any command line and logs it.
    pub fn expect_any(self) -> Self {
        self.step("expect any command", |s| s.read_command().map(drop))
    }

    /// Waits for the client to close the control connection; any byte received instead fails.
    pub fn expect_close(self) -> Self {
        self.step("expect the client to close the control connection", |s| {
            s.expect_close()
        })
    }

    /// Sleeps on the server thread (the client sees silence).
    pub fn sleep(self, duration: Duration) -> Self {
        self.step(format!("sleep {duration:?}"), move |_| {
            std::thread::sleep(duration);
            Ok(())
        })
    }

    /// Runs the server side of the control TLS handshake (send `234` first). Logged in
    /// [`Log::control_tls`](crate::Log::control_tls).
    pub fn start_tls_control(self) -> Self {
        self.step("start TLS on the control connection", |s| {
            s.start_tls_control()
        })
    }

    /// Runs the control TLS handshake and requires it to fail (the client rejects the certificate); the
    /// control connection is then closed.
    pub fn start_tls_control_expect_failure(self) -> Self {
        self.step(
            "start TLS on the control connection, expecting failure",
            |s| s.start_tls_control_expect_failure(),
        )
    }

    /// Closes the control connection cleanly (close_notify under TLS, then FIN).
    pub fn close_control(self) -> Self {
        self.step("close the control connection", |s| s.close_control())
    }

    /// Resets the control connection (SO_LINGER 0). Bytes the client has not read yet are lost.
    pub fn reset_control(self) -> Self {
        self.step("reset the control connection", |s| s.reset_control())
    }

    /// Waits for the client's next control connection (a reconnect after the last one
    /// closed) and goes on with it, in plaintext; the next steps are its greeting and so on.
    /// Without this step the server stops listening after the first connection.
    pub fn accept_control(mut self) -> Self {
        self.reconnects = true;
        self.step("accept a new control connection", |s| s.accept_control())
    }

    // ----- passive and active data connections -----

    /// Opens a data listener on the control's local IP and replies `229 ... (|||port|)`.
    pub fn epsv(self) -> Self {
        self.step("open a data listener and reply 229", |s| s.epsv())
    }

    /// Opens a data listener and replies `227 ... (h1,h2,h3,h4,p1,p2).` with the real address (IPv4 only).
    pub fn pasv(self) -> Self {
        self.step("open a data listener and reply 227", |s| s.pasv())
    }

    /// Opens a data listener but advertises `ip` in the 227 reply; a loopback `ip` other than the real one
    /// (127.0.0.2) also gets a trap listener that fails [`accept_data`](Self::accept_data) if dialed.
    pub fn pasv_foreign(self, ip: Ipv4Addr) -> Self {
        self.step(
            format!("open a data listener and reply 227 with {ip}"),
            move |s| s.pasv_foreign(ip),
        )
    }

    /// Waits for the client's data connection on the open listener.
    pub fn accept_data(self) -> Self {
        self.step("accept the data connection", |s| s.accept_data())
    }

    /// Connects to the address of the last `PORT`/`EPRT` received. For an accept-timeout test, leave this
    /// step out (and perhaps [`sleep`](Self::sleep)).
    pub fn connect_active(self) -> Self {
        self.step("connect to the client's PORT/EPRT address", |s| {
            s.connect_active()
        })
    }

    /// Connects to the last `PORT`/`EPRT` address from local IP `from` (such as 127.0.0.2), which the
    /// client should refuse.
    pub fn connect_active_from(self, from: IpAddr) -> Self {
        self.step(
            format!("connect to the client's PORT/EPRT address from {from}"),
            move |s| s.connect_active_from(from),
        )
    }

    // ----- data connection -----

    /// Runs the server side of the TLS handshake on the data connection; logs whether it resumed.
    pub fn start_tls_data(self) -> Self {
        self.step("start TLS on the data connection", |s| s.start_tls_data())
    }

    /// Like [`start_tls_data`](Self::start_tls_data) with a specific config.
    pub fn start_tls_data_with(self, config: Arc<ServerConfig>) -> Self {
        self.step("start TLS on the data connection (own config)", move |s| {
            s.start_tls_data_with(config)
        })
    }

    /// Sends bytes on the data connection.
    pub fn data_send(self, bytes: impl Into<Vec<u8>>) -> Self {
        let bytes = bytes.into();
        self.step(format!("send data {}", show(&bytes)), move |s| {
            s.data_send(&bytes)
        })
    }

    /// Sends bytes on the data connection `chunk` bytes at a time, sleeping `delay` between chunks.
    pub fn data_send_slowly(
        self,
        bytes: impl Into<Vec<u8>>,
        chunk: usize,
        delay: Duration,
    ) -> Self {
        let bytes = bytes.into();
        self.step(
            format!(
                "send data {} in chunks of {chunk} every {delay:?}",
                show(&bytes)
            ),
            move |s| s.data_send_slowly(&bytes, chunk, delay),
        )
    }

    /// Reads the data connection to its end and logs the bytes as an upload.
    pub fn data_receive(self) -> Self {
        self.step("receive an upload to its end", |s| {
            s.data_receive().map(drop)
        })
    }

    /// Reads exactly `n` upload bytes (logged as a partial upload) and leaves the connection open, for
    /// a reset or an early close in the middle of an upload.
    pub fn data_receive_exact(self, n: usize) -> Self {
        self.step(format!("receive {n} upload bytes"), move |s| {
            s.data_receive_exact(n).map(drop)
        })
    }

    /// Ends the data connection cleanly (close_notify under TLS, then FIN).
    pub fn data_close(self) -> Self {
        self.step("close the data connection", |s| s.data_close())
    }

    /// Ends the data connection with a FIN but without TLS close_notify (an unclean end).
    pub fn data_close_without_close_notify(self) -> Self {
        self.step("close the data connection without close_notify", |s| {
            s.data_close_without_close_notify()
        })
    }

    /// Resets the data connection (SO_LINGER 0). Bytes the client has not read yet are lost.
    pub fn data_reset(self) -> Self {
        self.step("reset the data connection", |s| s.data_reset())
    }

    // ----- fragments -----

    /// `220` greeting.
    pub fn greet(self) -> Self {
        self.reply("220 ftp-test-server ready")
    }

    /// `USER user` → `331`, `PASS pass` → `230`.
    pub fn login(self, user: &str, pass: &str) -> Self {
        self.expect(format!("USER {user}"))
            .reply("331 Password required")
            .expect(format!("PASS {pass}"))
            .reply("230 Logged in")
    }

    /// `AUTH TLS` → `234`, control handshake, then `PBSZ 0` → `200` and `PROT P` → `200`.
    pub fn auth_tls(self) -> Self {
        self.expect("AUTH TLS")
            .reply("234 Proceed with negotiation")
            .start_tls_control()
            .expect("PBSZ 0")
            .reply("200 PBSZ=0")
            .expect("PROT P")
            .reply("200 Protection level set to Private")
    }

    /// `EPSV` → `229`, then `command` (a prefix such as `"RETR"`) → `150`, accept, send `content`, close
    /// cleanly, `226`.
    pub fn epsv_download(self, command: &str, content: impl Into<Vec<u8>>) -> Self {
        self.expect_prefix("EPSV")
            .epsv()
            .expect_prefix(command)
            .reply("150 Opening BINARY mode data connection")
            .accept_data()
            .data_send(content)
            .data_close()
            .reply("226 Transfer complete")
    }

    /// `PASV` → `227`, then the rest as [`epsv_download`](Self::epsv_download).
    pub fn pasv_download(self, command: &str, content: impl Into<Vec<u8>>) -> Self {
        self.expect_prefix("PASV")
            .pasv()
            .expect_prefix(command)
            .reply("150 Opening BINARY mode data connection")
            .accept_data()
            .data_send(content)
            .data_close()
            .reply("226 Transfer complete")
    }

    /// `EPSV` → `229`, `command` (a prefix such as `"STOR"`) → `150`, accept, receive to the end (logged),
    /// close, `226`.
    pub fn epsv_upload(self, command: &str) -> Self {
        self.expect_prefix("EPSV")
            .epsv()
            .expect_prefix(command)
            .reply("150 Ok to send data")
            .accept_data()
            .data_receive()
            .data_close()
            .reply("226 Transfer complete")
    }

    /// As [`epsv_download`](Self::epsv_download) with TLS on the data connection (after the `150`).
    pub fn epsv_download_tls(self, command: &str, content: impl Into<Vec<u8>>) -> Self {
        self.expect_prefix("EPSV")
            .epsv()
            .expect_prefix(command)
            .reply("150 Opening BINARY mode data connection")
            .accept_data()
            .start_tls_data()
            .data_send(content)
            .data_close()
            .reply("226 Transfer complete")
    }

    /// As [`epsv_upload`](Self::epsv_upload) with TLS on the data connection (after the `150`).
    pub fn epsv_upload_tls(self, command: &str) -> Self {
        self.expect_prefix("EPSV")
            .epsv()
            .expect_prefix(command)
            .reply("150 Ok to send data")
            .accept_data()
            .start_tls_data()
            .data_receive()
            .data_close()
            .reply("226 Transfer complete")
    }

    /// `PORT`/`EPRT` (whichever comes) → `200`, `command` → `150`, connect to the client, send `content`,
    /// close, `226`.
    pub fn active_download(self, command: &str, content: impl Into<Vec<u8>>) -> Self {
        self.step("expect PORT or EPRT", |s| {
            let line = s.read_command()?;
            let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
            if verb == "PORT" || verb == "EPRT" {
                Ok(())
            } else {
                Err(format!("expected PORT or EPRT, received {line:?}").into())
            }
        })
        .reply("200 Command okay")
        .expect_prefix(command)
        .reply("150 Opening BINARY mode data connection")
        .connect_active()
        .data_send(content)
        .data_close()
        .reply("226 Transfer complete")
    }

    /// `QUIT` → `221`.
    pub fn quit(self) -> Self {
        self.expect("QUIT").reply("221 Goodbye")
    }
}
