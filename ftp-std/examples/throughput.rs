//! Moves one file and prints the throughput: the blocking client's side of the
//! benchmark harness (issue #8) and a quick check by hand.
//!
//! ```text
//! cargo run --release -p ftp-std --example throughput -- HOST:PORT USER PASS get REMOTE [LOCAL|-]
//! cargo run --release -p ftp-std --example throughput -- HOST:PORT USER PASS put LOCAL REMOTE
//! ```
//! `-` (the default for get) discards the download. `FTP_CA=ca.pem` switches to explicit
//! FTPS verified against that CA; `FTP_BUFFER=bytes` sets `Config::buffer_size`,
//! `FTP_SOCKET_IO=bytes` `Config::socket_io_size`.

use std::error::Error;
use std::fs::File;
use std::time::Instant;

use ftp_std::{Client, Config, TlsConfig};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [address, user, password, verb, a, rest @ ..] = &args[..] else {
        eprintln!("usage: throughput HOST:PORT USER PASS get REMOTE [LOCAL|-] | put LOCAL REMOTE");
        std::process::exit(2);
    };
    let mut config = Config::new();
    if let Some(size) = std::env::var("FTP_BUFFER")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        config = config.buffer_size(size);
    }
    if let Some(size) = std::env::var("FTP_SOCKET_IO")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        config = config.socket_io_size(size);
    }
    if let Ok(ca) = std::env::var("FTP_CA") {
        config = config.explicit_tls(TlsConfig::from_ca_pem(&std::fs::read(ca)?)?);
    }
    let mut ftp = Client::connect(address, config)?;
    ftp.login(user, password)?;
    let started = Instant::now();
    let bytes = match verb.as_str() {
        "get" => match rest.first().map(String::as_str) {
            None | Some("-") => ftp.retr_to(a, &mut std::io::sink())?,
            Some(local) => ftp.retr_to_path(a, local)?,
        },
        "put" => {
            let remote = rest.first().ok_or("put needs LOCAL REMOTE")?;
            ftp.stor_file(remote, &mut File::open(a)?)?
        }
        other => return Err(format!("unknown verb {other}").into()),
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{verb} {bytes} bytes in {secs:.3} s = {:.1} MiB/s",
        bytes as f64 / secs / (1024.0 * 1024.0)
    );
    ftp.quit()?;
    Ok(())
}
