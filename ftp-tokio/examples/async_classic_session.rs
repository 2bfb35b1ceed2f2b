//! The session of Python ftplib's documentation, with ftp-tokio: connect, log in, change
//! into a directory, list it, download README to a local file, quit; every reply printed
//! as the ftplib docs show it. The async twin of `ftp-std/examples/classic_session.rs`,
//! with the same output.
//!
//! ```text
//! cargo run -p ftp-tokio --example async_classic_session -- 127.0.0.1:2121 [user password] [dir]
//! ```
//! Without a user, the login is anonymous.

use std::error::Error;

use ftp_tokio::{Client, Config};
use tokio::fs::File;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
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
    let mut ftp = Client::connect(address, Config::new()).await?;
    if let Some(welcome) = ftp.welcome() {
        println!("{welcome}");
    }
    // >>> ftp.login()
    let reply = match login {
        Some((user, password)) => ftp.login(user, password).await?,
        None => ftp.login_anonymous().await?,
    };
    println!("'{reply}'");
    // >>> ftp.cwd('debian')
    println!("'{}'", ftp.cwd(dir).await?);
    // >>> ftp.retrlines('LIST')
    let listing = ftp.list_lines(None).await?;
    for line in &listing {
        println!("{}", String::from_utf8_lossy(line));
    }
    // >>> with open('README', 'wb') as fp: ftp.retrbinary('RETR README', fp.write)
    let target = std::env::temp_dir().join(format!("ftp-rs-README-{}", std::process::id()));
    let mut file = File::create(&target).await?;
    let mut reader = ftp.retr("README").await?;
    let bytes = reader.copy_to(&mut file).await?;
    let done = reader.finish().await?;
    println!("'{}'", done.reply);
    println!("({bytes} bytes written to {})", target.display());
    tokio::fs::remove_file(&target).await?;
    // >>> ftp.quit()
    println!("'{}'", ftp.quit().await?);
    Ok(())
}
