//! Downloads every file of a remote directory over one session: the blocking client's
//! small-files benchmark (issue #8, `scripts/bench`).
//!
//! ```text
//! cargo run --release -p ftp-std --example many_files -- HOST:PORT USER PASS REMOTE_DIR LOCAL_DIR
//! ```
//! The names come from one NLST of `REMOTE_DIR`; each file lands in `LOCAL_DIR` (`-`
//! discards them). `FTP_CA=ca.pem` switches to explicit FTPS verified against that CA.

use std::error::Error;
use std::path::Path;
use std::time::Instant;

use ftp_std::{Client, Config, TlsConfig};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [address, user, password, remote_dir, local_dir] = &args[..] else {
        eprintln!("usage: many_files HOST:PORT USER PASS REMOTE_DIR LOCAL_DIR|-");
        std::process::exit(2);
    };
    let mut config = Config::new();
    if let Ok(ca) = std::env::var("FTP_CA") {
        config = config.explicit_tls(TlsConfig::from_ca_pem(&std::fs::read(ca)?)?);
    }
    let mut ftp = Client::connect(address, config)?;
    ftp.login(user, password)?;
    let started = Instant::now();
    ftp.cwd(remote_dir)?;
    let names = ftp.nlst(None)?;
    let mut bytes = 0;
    for name in &names {
        let base = name.rsplit('/').next().unwrap_or(name);
        bytes += if local_dir == "-" {
            ftp.retr_to(name, &mut std::io::sink())?
        } else {
            ftp.retr_to_path(name, Path::new(local_dir).join(base))?
        };
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{} files, {bytes} bytes in {secs:.3} s = {:.0} files/s",
        names.len(),
        names.len() as f64 / secs
    );
    ftp.quit()?;
    Ok(())
}
