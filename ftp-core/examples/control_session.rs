//! A real control-channel session driven by ftp-core's codec layer over a plain
//! `std::net::TcpStream`: greeting, login, SYST, FEAT, PWD, MKD/CWD/CDUP/RMD, SIZE and
//! MDTM, QUIT. Every command goes through the [`Command`] encoder and every reply through
//! the [`ReplyFramer`] and the typed parsers.
//!
//! `scripts/demo` starts a local server and runs this against it. By hand:
//!
//! ```text
//! cargo run -p ftp-core --example control_session -- 127.0.0.1:2121 user password
//! ```
//!
//! The data channel and the decisions of which command follows which reply belong to the
//! session state machine (issue #3); this example only shows the codec on a real socket.

use std::error::Error;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use ftp_core::command::{Password, TransferType};
use ftp_core::feat::Feature;
use ftp_core::{Capabilities, Command, FtpTime, OwnedReply, ReplyCode, ReplyFramer, path, size};

struct Control {
    stream: TcpStream,
    framer: ReplyFramer,
    input: Vec<u8>,
    start: usize,
    end: usize,
    out: Vec<u8>,
}

impl Control {
    fn send(&mut self, command: Command<'_>) -> Result<OwnedReply, Box<dyn Error>> {
        self.out.clear();
        command.encode(&mut self.out)?;
        println!("C: {}", command.redacted());
        self.stream.write_all(&self.out)?;
        self.reply()
    }

    fn reply(&mut self) -> Result<OwnedReply, Box<dyn Error>> {
        loop {
            if self.start == self.end {
                self.start = 0;
                self.end = self.stream.read(&mut self.input)?;
                if self.end == 0 {
                    let reply = self
                        .framer
                        .finish()?
                        .ok_or("server closed the connection")?;
                    return Ok(reply.to_owned_reply());
                }
            }
            let used = self.framer.push(&self.input[self.start..self.end])?;
            self.start += used;
            if let Some(reply) = self.framer.reply() {
                for line in reply.lines() {
                    println!("S: {}", line.escape_ascii());
                }
                return Ok(reply.to_owned_reply());
            }
        }
    }
}

fn expect(reply: &OwnedReply, ok: impl Fn(ReplyCode) -> bool) -> Result<(), Box<dyn Error>> {
    if ok(reply.code()) {
        Ok(())
    } else {
        Err(format!("unexpected reply: {reply}").into())
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:2121".into());
    let user = args.next().unwrap_or_else(|| "anonymous".into());
    let pass = args.next().unwrap_or_else(|| "anonymous@".into());

    let stream = TcpStream::connect(&addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut control = Control {
        stream,
        framer: ReplyFramer::new(),
        input: vec![0; 8192],
        start: 0,
        end: 0,
        out: Vec::with_capacity(256),
    };

    let greeting = control.reply()?;
    expect(&greeting, |c| c == ReplyCode::SERVICE_READY)?;

    let reply = control.send(Command::User(user.as_bytes()))?;
    if reply.code() == ReplyCode::NEED_PASSWORD {
        let reply = control.send(Command::Pass(Password(pass.as_bytes())))?;
        expect(&reply, |c| c.is_completion())?;
    } else {
        expect(&reply, |c| c.is_completion())?;
    }

    control.send(Command::Syst)?;

    let feat = control.send(Command::Feat)?;
    let caps = if feat.code() == ReplyCode::SYSTEM_STATUS {
        Capabilities::from_reply(&feat.as_reply())
    } else {
        Capabilities::default()
    };
    println!("   features: {caps:?}");
    println!(
        "   EPSV: {}, MLST: {}, MDTM: {}, SIZE: {}, UTF8: {}, REST STREAM: {}",
        caps.has(Feature::Epsv),
        caps.has(Feature::Mlst),
        caps.has(Feature::Mdtm),
        caps.has(Feature::Size),
        caps.has(Feature::Utf8),
        caps.has(Feature::RestStream),
    );

    let pwd = control.send(Command::Pwd)?;
    expect(&pwd, |c| c == ReplyCode::PATH_CREATED)?;
    let home = path::parse_257(pwd.text())?.to_cow().into_owned();
    println!("   working directory: {}", home.escape_ascii());

    let dir = "ftp-rs demo \"quoted\" dir";
    let mkd = control.send(Command::Mkd(dir.as_bytes()))?;
    expect(&mkd, |c| c == ReplyCode::PATH_CREATED)?;
    println!(
        "   created: {}",
        path::parse_257(mkd.text())?.to_cow().escape_ascii()
    );
    expect(&control.send(Command::Cwd(dir.as_bytes()))?, |c| {
        c.is_completion()
    })?;
    let pwd = control.send(Command::Pwd)?;
    println!(
        "   now in: {}",
        path::parse_257(pwd.text())?.to_cow().escape_ascii()
    );
    expect(&control.send(Command::Cdup)?, |c| c.is_completion())?;

    // SIZE answers in binary mode only on some servers (pyftpdlib refuses it in ASCII).
    expect(&control.send(Command::Type(TransferType::Image))?, |c| {
        c.is_completion()
    })?;
    let size_reply = control.send(Command::Size(b"no such file.txt"))?;
    expect(&size_reply, |c| c.is_negative())?;
    println!(
        "   SIZE of a missing file refused with {}",
        size_reply.code()
    );
    let mdtm = control.send(Command::Mdtm(dir.as_bytes()))?;
    if mdtm.code() == ReplyCode::FILE_STATUS {
        let t = FtpTime::find(mdtm.text())?;
        println!("   {dir:?} modified {t} (unix {})", t.unix_timestamp());
    }
    let size_dir = control.send(Command::Size(dir.as_bytes()))?;
    if size_dir.code() == ReplyCode::FILE_STATUS {
        println!("   size: {}", size::parse_size(size_dir.text())?);
    }
    expect(&control.send(Command::Rmd(dir.as_bytes()))?, |c| {
        c.is_completion()
    })?;

    // The encoder refuses what would smuggle a second command, before writing anything.
    let err = Command::Dele(b"x\r\nRMD /").validate().unwrap_err();
    println!("   refused locally: {err}");

    let bye = control.send(Command::Quit)?;
    expect(&bye, |c| c == ReplyCode::CLOSING)?;
    println!("session complete");
    Ok(())
}
