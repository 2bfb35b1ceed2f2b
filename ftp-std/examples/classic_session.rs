//! The session of Python ftplib's documentation, with ftp-std: connect, log in, change
//! into a directory, list it, download README to a local file, quit; every reply printed
//! as the ftplib docs show it.
//!
//! ```text
//! cargo run -p ftp-std --example classic_session -- 127.0.0.1:2121 [user password] [dir]
//! ```
//! Without a user, the login is anonymous. `scripts/demo` runs it against a local server.

use std::error::Error;
use std::fs::File;

use ftp_std::{Client, Config};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let address = args.first().map_or("127.0.0.1:21", String::as_str);
    let (login, dir) = match args.len() {
        0..=2 => (None, args.get(1).map_or("debian", String::as_str)),
        _ => (
            Some((args[1].as_str(), args[2].as_str())),
            args.get(3).map_or("debian", String::as_str),
        ),
    };

    // >>> ftp = FTP('ftp.us.debian.org')
    let mut ftp = Client::connect(address, Config::new())?;
    if let Some(welcome) = ftp.welcome() {
        println!("{welcome}");
    }
    // >>> ftp.login()
    let reply = match login {
        Some((user, password)) => ftp.login(user, password)?,
        None => ftp.login_anonymous()?,
    };
    println!("'{reply}'");
    // >>> ftp.cwd('debian')
    println!("'{}'", ftp.cwd(dir)?);
    // >>> ftp.retrlines('LIST')
    let listing = ftp.list_lines(None)?;
    for line in &listing {
        println!("{}", String::from_utf8_lossy(line));
    }
    // >>> with open('README', 'wb') as fp: ftp.retrbinary('RETR README', fp.write)
    let target = std::env::temp_dir().join(format!("ftp-rs-README-{}", std::process::id()));
    let mut file = File::create(&target)?;
    let mut reader = ftp.retr("README")?;
    let bytes = reader.copy_to(&mut file)?;
    let done = reader.finish()?;
    println!("'{}'", done.reply);
    println!("({bytes} bytes written to {})", target.display());
    std::fs::remove_file(&target)?;
    // >>> ftp.quit()
    println!("'{}'", ftp.quit()?);
    Ok(())
}
