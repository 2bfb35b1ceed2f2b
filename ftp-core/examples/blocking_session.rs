//! A complete FTP session, transfers included, driven by ftp-core's [`Client`] over plain
//! blocking `std::net` sockets (passive mode, no TLS).
//!
//! This is the smallest possible driver of the sans-IO core: it writes what
//! [`Output::Transmit`] says, performs each [`Action`], moves data on
//! [`Event::DataReady`], and feeds back what happened. Every protocol decision (which
//! command follows which reply, when a transfer is complete, which address to dial) is
//! the core's. The real blocking adapter is the `ftp-std` crate (issue #5).
//!
//! `scripts/demo` starts a local server and runs this against it. By hand:
//!
//! ```text
//! cargo run -p ftp-core --example blocking_session -- 127.0.0.1:2121 user password
//! ```

use std::error::Error;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant as StdInstant};

use ftp_core::command::redact_line;
use ftp_core::session::{Action, Client, Event, Instant, Op, OpId, Output, SessionConfig, Value};
use ftp_core::transfer::{ControlAddresses, DataEnd, DataFailure, Direction, StoreMode};

/// What an op ended with, owned.
#[derive(Debug)]
enum Outcome {
    Done { value: String },
    Refused(String),
}

struct Driver {
    control: TcpStream,
    client: Client,
    data: Option<TcpStream>,
    start: StdInstant,
    read_buf: Vec<u8>,
    /// Bytes written by the current upload.
    uploaded: u64,
}

impl Driver {
    fn now(&self) -> Instant {
        Instant::from_duration(self.start.elapsed())
    }

    /// Drives the session until `op` ends, downloading into `sink` / uploading `source`.
    fn run(
        &mut self,
        op: OpId,
        sink: &mut Vec<u8>,
        source: &[u8],
    ) -> Result<Outcome, Box<dyn Error>> {
        let mut outcome = None;
        loop {
            let now = self.now();
            // Copy what is needed out of the output, so the client is free again.
            let next = match self.client.poll_output(now) {
                Output::Transmit(bytes) => {
                    println!("C: {}", redact_line(bytes));
                    self.control.write_all(bytes)?;
                    continue;
                }
                Output::Action(action) => Next::Act(action),
                Output::Event(event) => {
                    print_event(&event);
                    match event {
                        Event::DataReady { op, direction, .. } => Next::Data(op, direction),
                        Event::Completed { op: id, value, .. } if id == op => {
                            outcome = Some(Outcome::Done {
                                value: describe(&value),
                            });
                            continue;
                        }
                        Event::Rejected { op: id, reply, .. } if id == op => {
                            outcome = Some(Outcome::Refused(reply.to_string()));
                            continue;
                        }
                        Event::Failed { op: id, error, .. } if id == op => {
                            return Err(format!("op failed: {error}").into());
                        }
                        Event::Closed(Some(error)) => {
                            return Err(format!("session closed: {error}").into());
                        }
                        _ => continue,
                    }
                }
                Output::Wait(deadline) => {
                    if let Some(outcome) = outcome.take() {
                        return Ok(outcome);
                    }
                    Next::Read(deadline)
                }
            };
            match next {
                Next::Act(action) => self.act(action)?,
                Next::Data(op, Direction::Download) => {
                    let end = self.download(sink);
                    self.client.handle_data_end(op, end, self.now());
                }
                Next::Data(op, Direction::Upload) => {
                    match self.data.as_mut().map(|d| d.write_all(source)) {
                        Some(Ok(())) => {
                            self.uploaded = source.len() as u64;
                            self.client.finish_upload(op)?
                        }
                        _ => self
                            .client
                            .handle_data_failed(op, DataFailure::Broken, self.now()),
                    }
                }
                Next::Read(deadline) => self.read_control(deadline)?,
            }
        }
    }

    fn act(&mut self, action: Action) -> Result<(), Box<dyn Error>> {
        let now = self.now();
        match action {
            Action::ConnectData { op, addr } => {
                match TcpStream::connect_timeout(&addr, Duration::from_secs(10)) {
                    Ok(stream) => {
                        let peer = stream.peer_addr()?;
                        self.data = Some(stream);
                        self.client.handle_data_connected(op, peer, now);
                    }
                    Err(_) => self
                        .client
                        .handle_data_failed(op, DataFailure::Connect, now),
                }
            }
            Action::ShutdownData { op } => {
                // End of upload: FIN, then read to EOF so nothing unread resets the
                // connection, then report the end.
                let mut stream = self.data.take().ok_or("no data connection")?;
                stream.shutdown(Shutdown::Write)?;
                let mut rest = Vec::new();
                let clean = stream.read_to_end(&mut rest).is_ok();
                let bytes = self.uploaded;
                self.client
                    .handle_data_end(op, DataEnd { bytes, clean }, now);
            }
            Action::CloseData { .. } => self.data = None,
            Action::CloseControl => {
                let _ = self.control.shutdown(Shutdown::Both);
            }
            other => return Err(format!("this demo driver does not do {other:?}").into()),
        }
        Ok(())
    }

    /// Reads the data connection to EOF.
    fn download(&mut self, sink: &mut Vec<u8>) -> DataEnd {
        let Some(mut stream) = self.data.take() else {
            return DataEnd {
                bytes: 0,
                clean: false,
            };
        };
        let before = sink.len();
        let clean = stream.read_to_end(sink).is_ok();
        DataEnd {
            bytes: (sink.len() - before) as u64,
            clean,
        }
    }

    /// Waits for control bytes until the deadline, then reports them (or the timeout).
    fn read_control(&mut self, deadline: Option<Instant>) -> Result<(), Box<dyn Error>> {
        let now = self.now();
        let wait = match deadline {
            Some(d) if d <= now => {
                self.client.handle_timeout(now);
                return Ok(());
            }
            Some(d) => d.as_duration() - now.as_duration(),
            None => Duration::from_secs(60),
        };
        self.control.set_read_timeout(Some(wait))?;
        match self.control.read(&mut self.read_buf) {
            Ok(0) => self.client.handle_control_eof(self.now()),
            Ok(n) => self
                .client
                .handle_control_data(&self.read_buf[..n], self.now()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                self.client.handle_timeout(self.now())
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    fn op(&mut self, op: Op<'_>) -> Result<Outcome, Box<dyn Error>> {
        let id = self.client.submit(op)?;
        self.run(id, &mut Vec::new(), &[])
    }
}

enum Next {
    Act(Action),
    Data(OpId, Direction),
    Read(Option<Instant>),
}

fn describe(value: &Value<'_>) -> String {
    match value {
        Value::Path(p) => format!("path {}", p.to_cow().escape_ascii()),
        Value::Size(n) => format!("size {n}"),
        Value::Time(t) => format!("time {t}"),
        Value::Transferred(n) => format!("{n} bytes transferred"),
        Value::Entry(e) => format!("entry {:?}", e),
        _ => String::new(),
    }
}

fn print_event(event: &Event<'_>) {
    match event {
        Event::Greeting(r) => println!("S: {r}"),
        Event::Info { reply, .. } => println!("S: {reply}"),
        Event::Completed { kind, reply, .. } => println!("S: {reply}    ({kind:?} completed)"),
        Event::Rejected { kind, reply, .. } => println!("S: {reply}    ({kind:?} refused)"),
        Event::Failed { kind, error, .. } => println!("   {kind:?} failed: {error}"),
        Event::DataReady {
            direction, size, ..
        } => {
            println!("   data connection ready: {direction:?}, size {size:?}")
        }
        Event::Closed(e) => println!("   session closed ({e:?})"),
        _ => {}
    }
}

const UPLOAD: &[u8] = include_bytes!("blocking_session.rs");

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let addr: SocketAddr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:2121".into())
        .parse()?;
    let user = args.next().unwrap_or_else(|| "anonymous".into());
    let pass = args.next().unwrap_or_else(|| "anonymous@".into());

    let control = TcpStream::connect(addr)?;
    let addrs = ControlAddresses {
        local: control.local_addr()?,
        peer: control.peer_addr()?,
    };
    let start = StdInstant::now();
    let mut driver = Driver {
        control,
        client: Client::new(
            SessionConfig {
                report_all_replies: true,
                ..SessionConfig::default()
            },
            addrs,
            Instant::ZERO,
        ),
        data: None,
        start,
        read_buf: vec![0; 64 * 1024],
        uploaded: 0,
    };

    driver.op(Op::Login {
        user: user.as_bytes(),
        password: pass.as_bytes(),
        account: None,
    })?;
    driver.op(Op::Mkd(b"ftp-rs demo"))?;
    driver.op(Op::Cwd(b"ftp-rs demo"))?;

    // Upload this very source file, then read it back and compare.
    let id = driver.client.submit(Op::Stor {
        path: b"source file.rs",
        mode: StoreMode::Replace,
        offset: 0,
    })?;
    driver.run(id, &mut Vec::new(), UPLOAD)?;
    if let Outcome::Done { value } = driver.op(Op::Size(b"source file.rs"))? {
        println!("   {value}");
    }

    let mut listing = Vec::new();
    let id = driver.client.submit(Op::List(None))?;
    driver.run(id, &mut listing, &[])?;
    print!("{}", String::from_utf8_lossy(&listing));

    let mut download = Vec::new();
    let id = driver.client.submit(Op::Retr {
        path: b"source file.rs",
        offset: 0,
    })?;
    driver.run(id, &mut download, &[])?;
    if download != UPLOAD {
        return Err("the downloaded file differs from the uploaded one".into());
    }
    println!(
        "   downloaded {} bytes, identical to the upload",
        download.len()
    );

    // A resumed download: the last 100 bytes only.
    let mut tail = Vec::new();
    let offset = UPLOAD.len() as u64 - 100;
    let id = driver.client.submit(Op::Retr {
        path: b"source file.rs",
        offset,
    })?;
    driver.run(id, &mut tail, &[])?;
    if tail != UPLOAD[UPLOAD.len() - 100..] {
        return Err("the resumed download does not match the file's tail".into());
    }
    println!("   resumed at {offset}: got the last {} bytes", tail.len());

    match driver.op(Op::Retr {
        path: b"no such file",
        offset: 0,
    })? {
        Outcome::Refused(reply) => println!("   missing file refused: {reply}"),
        other => return Err(format!("expected a refusal, got {other:?}").into()),
    }

    driver.op(Op::Rename {
        from: b"source file.rs",
        to: b"renamed.rs",
    })?;
    driver.op(Op::Delete(b"renamed.rs"))?;
    driver.op(Op::Cdup)?;
    driver.op(Op::Rmd(b"ftp-rs demo"))?;
    driver.op(Op::Quit)?;
    println!("session complete");
    Ok(())
}
