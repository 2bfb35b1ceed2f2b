//! The raw loopback TCP ceiling for `scripts/bench` (issue #8): one TCP stream moving a
//! file the way an FTP data connection does, with no protocol around it.
//!
//! ```text
//! tcp_ceiling serve ADDR                 # a server: per connection, one request line
//! tcp_ceiling get ADDR REMOTE LOCAL|-    # the server sends REMOTE, the client writes LOCAL
//! tcp_ceiling put ADDR LOCAL REMOTE|-    # the client sends LOCAL, the server writes REMOTE
//! ```
//! Both sides use plain `read`/`write` with one reused buffer, 256 KiB (ftp-rs's default
//! transfer buffer) unless `TCP_CEILING_BUFFER` (bytes) says otherwise; the client
//! measures nothing itself: time it from outside, like the FTP clients. `-` discards.
//! The `get` client reads the socket as both FTP clients read a plain download: 64 KiB
//! at a time, with the receive low-water mark (`ftp_socket::LowWater`) once a read brings
//! 32 KiB; `TCP_CEILING_LOWAT=0` leaves the mark off.
//! `TCP_CEILING_SENDFILE=1` on `get` has the server send with sendfile(2) instead, as
//! vsftpd and pyftpdlib do.

use std::error::Error;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};

fn buffer() -> Vec<u8> {
    let size = std::env::var("TCP_CEILING_BUFFER")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256 * 1024);
    vec![0u8; size]
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match &args[..] {
        [verb, addr] if verb == "serve" => serve(addr),
        [verb, addr, remote, local] if verb == "get" => {
            let mut stream = TcpStream::connect(addr)?;
            // TCP_CEILING_SENDFILE=1: the server sends with sendfile(2), as vsftpd and
            // pyftpdlib do for plain RETR (std's io::copy from a File to a TcpStream).
            let verb = match std::env::var("TCP_CEILING_SENDFILE").as_deref() {
                Ok("1") => "SENDFILE",
                _ => "GET",
            };
            stream.write_all(format!("{verb} {remote}\n").as_bytes())?;
            let n = if local == "-" {
                receive(&stream, &mut io::sink())?
            } else {
                receive(&stream, &mut File::create(local)?)?
            };
            eprintln!("get {n} bytes");
            Ok(())
        }
        [verb, addr, local, remote] if verb == "put" => {
            let mut stream = TcpStream::connect(addr)?;
            stream.write_all(format!("PUT {remote}\n").as_bytes())?;
            let n = copy(&mut File::open(local)?, &mut stream)?;
            stream.shutdown(Shutdown::Write)?;
            // Wait for the server's close: the upload is complete once it read it all.
            stream.read_exact(&mut [0u8; 1]).ok();
            eprintln!("put {n} bytes");
            Ok(())
        }
        _ => {
            eprintln!(
                "usage: tcp_ceiling serve ADDR | get ADDR REMOTE LOCAL|- | put ADDR LOCAL REMOTE|-"
            );
            std::process::exit(2);
        }
    }
}

fn copy(from: &mut impl Read, to: &mut impl Write) -> io::Result<u64> {
    let mut buf = buffer();
    let mut total = 0;
    loop {
        match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => {
                to.write_all(&buf[..n])?;
                total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The `get` client's reads: 64 KiB, as `Config::socket_io_size`, and the mark as in
/// the FTP clients.
fn receive(mut stream: &TcpStream, to: &mut impl Write) -> io::Result<u64> {
    let with_mark = std::env::var("TCP_CEILING_LOWAT").as_deref() != Ok("0");
    let mut mark = ftp_socket::LowWater::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => {
                if with_mark {
                    mark.after_read(stream.into(), n);
                }
                to.write_all(&buf[..n])?;
                total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn serve(addr: &str) -> Result<(), Box<dyn Error>> {
    let listener = TcpListener::bind(addr)?;
    for stream in listener.incoming() {
        let stream = stream?;
        std::thread::spawn(move || {
            if let Err(e) = handle(stream) {
                eprintln!("tcp_ceiling: {e}");
            }
        });
    }
    Ok(())
}

fn handle(stream: TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut writer = stream;
    match line.trim_end().split_once(' ') {
        Some(("GET", path)) => {
            copy(&mut File::open(path)?, &mut writer)?;
        }
        Some(("SENDFILE", path)) => {
            io::copy(&mut File::open(path)?, &mut writer)?;
        }
        Some(("PUT", "-")) => {
            copy(&mut reader, &mut io::sink())?;
        }
        Some(("PUT", path)) => {
            copy(&mut reader, &mut File::create(path)?)?;
        }
        _ => return Err(io::Error::other(format!("bad request {line:?}"))),
    }
    writer.shutdown(Shutdown::Both).ok();
    Ok(())
}
