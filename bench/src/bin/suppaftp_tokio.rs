//! suppaftp's tokio client moving one file, for `scripts/bench` (current-thread runtime,
//! like ftp-tokio's `async_throughput`).
//!
//! ```text
//! suppaftp_tokio HOST:PORT USER PASS get REMOTE LOCAL|-
//! suppaftp_tokio HOST:PORT USER PASS put LOCAL REMOTE
//! ```

use std::error::Error;

use suppaftp::tokio::AsyncFtpStream;
use suppaftp::types::FileType;

fn main() -> Result<(), Box<dyn Error>> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [address, user, password, verb, a, b] = &args[..] else {
        eprintln!(
            "usage: suppaftp_tokio HOST:PORT USER PASS get REMOTE LOCAL|- | put LOCAL REMOTE"
        );
        std::process::exit(2);
    };
    let mut ftp = AsyncFtpStream::connect(address.as_str()).await?;
    ftp.login(user.as_str(), password.as_str()).await?;
    ftp.transfer_type(FileType::Binary).await?;
    let bytes = match verb.as_str() {
        "get" => {
            let mut stream = ftp.retr_as_stream(a).await?;
            let n = if b == "-" {
                tokio::io::copy(&mut stream, &mut tokio::io::sink()).await?
            } else {
                let mut file = tokio::fs::File::create(b).await?;
                tokio::io::copy(&mut stream, &mut file).await?
            };
            stream.finish().await?;
            n
        }
        "put" => {
            let mut file = tokio::fs::File::open(a).await?;
            ftp.put_file(b, &mut file).await?
        }
        other => return Err(format!("unknown verb {other}").into()),
    };
    eprintln!("{verb} {bytes} bytes");
    ftp.quit().await?;
    Ok(())
}
