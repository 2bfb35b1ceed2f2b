//! An FTPS download with certificate verification: explicit TLS (`AUTH TLS`), protected
//! data (`PROT P`), the certificate checked against a CA file (or, without one, the
//! operating system's roots), and the data connection resuming the control connection's
//! TLS session as vsftpd and proftpd demand.
//!
//! ```text
//! cargo run -p ftp-std --example ftps_download -- localhost:2121 user password remote/file local-file [ca.pem]
//! ```

use std::error::Error;
use std::fs::File;
use std::io::Write;

use ftp_std::{Client, Config, TlsConfig};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [address, user, password, remote, local, rest @ ..] = &args[..] else {
        eprintln!("usage: ftps_download HOST:PORT USER PASSWORD REMOTE LOCAL [CA.pem]");
        std::process::exit(2);
    };
    let tls = match rest.first() {
        Some(ca) => TlsConfig::from_ca_pem(&std::fs::read(ca)?)?,
        None => TlsConfig::platform()?,
    };
    let mut ftp = Client::connect(address, Config::new().explicit_tls(tls))?;
    println!("connected, control connection secured: {}", ftp.is_secure());
    ftp.login(user, password)?;
    let mut file = File::create(local)?;
    let mut reader = ftp.retr(remote)?;
    let bytes = reader.copy_to(&mut file)?;
    // The completion comes only after the data's clean TLS end and the server's 226.
    let done = reader.finish()?;
    file.flush()?;
    println!("{}", done.reply);
    let (resumed, full) = ftp.data_tls_resumptions();
    println!("{bytes} bytes to {local}; data TLS: {resumed} resumed, {full} full handshakes");
    ftp.quit()?;
    Ok(())
}
