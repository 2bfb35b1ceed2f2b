//! Downloads N files over N sessions at once, one tokio task and one progress bar each.
//!
//! ```text
//! cargo run -p ftp-tokio --example parallel_download -- 127.0.0.1:2121 user password a.iso b.iso c.iso
//! ```
//! Each file lands in the current directory under its base name. The bars know the total
//! from SIZE (asked because a progress observer is set) or the server's 150 reply.

use std::error::Error;
use std::path::Path;
use std::time::Duration;

use ftp_tokio::{Client, Config};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        eprintln!("usage: parallel_download ADDRESS USER PASSWORD FILE...");
        std::process::exit(2);
    }
    let (address, user, password) = (args[0].clone(), args[1].clone(), args[2].clone());
    let bars = MultiProgress::new();
    let style = ProgressStyle::with_template(
        "{prefix:>20} [{bar:40}] {bytes:>10}/{total_bytes:10} {bytes_per_sec:>12} {msg}",
    )?
    .progress_chars("=> ");

    let mut tasks = Vec::new();
    for remote in args.into_iter().skip(3) {
        let bar = bars.add(ProgressBar::new(0).with_style(style.clone()));
        bar.set_prefix(remote.clone());
        bar.enable_steady_tick(Duration::from_millis(200));
        let (address, user, password) = (address.clone(), user.clone(), password.clone());
        tasks.push(tokio::spawn(async move {
            let result = download(&address, &user, &password, &remote, bar.clone()).await;
            match &result {
                Ok(bytes) => bar.finish_with_message(format!("done, {bytes} bytes")),
                Err(e) => bar.abandon_with_message(format!("failed: {e}")),
            }
            result.map_err(|e| format!("{remote}: {e}"))
        }));
    }
    let mut failed = 0;
    for task in tasks {
        if task.await?.is_err() {
            failed += 1;
        }
    }
    if failed > 0 {
        return Err(format!("{failed} download(s) failed").into());
    }
    Ok(())
}

async fn download(
    address: &str,
    user: &str,
    password: &str,
    remote: &str,
    bar: ProgressBar,
) -> Result<u64, Box<dyn Error + Send + Sync>> {
    let mut ftp = Client::connect(address, Config::new()).await?;
    ftp.login(user, password).await?;
    let observer = bar.clone();
    ftp.set_progress(Some(Box::new(move |p| {
        if let Some(total) = p.total {
            observer.set_length(total);
        }
        observer.set_position(p.bytes);
    })));
    let name = Path::new(remote)
        .file_name()
        .ok_or("the remote path names no file")?;
    let mut file = tokio::fs::File::create(name).await?;
    let bytes = ftp.retr_to(remote, &mut file).await?;
    ftp.quit().await?;
    Ok(bytes)
}
