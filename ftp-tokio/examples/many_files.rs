//! Downloads every file of a remote directory over one or more sessions at once: the
//! async client's small-files benchmark (issue #8, `scripts/bench`).
//!
//! ```text
//! cargo run --release -p ftp-tokio --example async_many_files -- HOST:PORT USER PASS REMOTE_DIR LOCAL_DIR [SESSIONS]
//! ```
//! The names come from one NLST of `REMOTE_DIR` on the first session; then `SESSIONS`
//! (default 1) sessions, one task each, take the next name from a shared counter until
//! none is left. Each file lands in `LOCAL_DIR` (`-` discards them). `FTP_CA=ca.pem`
//! switches to explicit FTPS verified against that CA. Runtime: tokio's multi-thread one
//! (one worker per core) for several sessions; for one session the current-thread one,
//! as one session needs one thread (`FTP_RT=multi` or `FTP_RT=current` forces either).

use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ftp_tokio::{Client, Config, TlsConfig};

type BoxError = Box<dyn Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    let sessions: usize = std::env::args()
        .nth(6)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let multi = match std::env::var("FTP_RT").as_deref() {
        Ok("multi") => true,
        Ok("current") => false,
        _ => sessions > 1,
    };
    let runtime = if multi {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    };
    runtime.block_on(run())
}

async fn run() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (address, user, password, remote_dir, local_dir, sessions) = match &args[..] {
        [a, u, p, r, l] => (a, u, p, r, l, 1),
        [a, u, p, r, l, n] => (a, u, p, r, l, n.parse::<usize>()?.max(1)),
        _ => {
            eprintln!("usage: many_files HOST:PORT USER PASS REMOTE_DIR LOCAL_DIR|- [SESSIONS]");
            std::process::exit(2);
        }
    };
    let mut config = Config::new();
    if let Ok(ca) = std::env::var("FTP_CA") {
        config = config.explicit_tls(TlsConfig::from_ca_pem(&std::fs::read(ca)?)?);
    }
    let started = Instant::now();
    let mut ftp = connect(address, user, password, remote_dir, config.clone()).await?;
    let names: Arc<Vec<String>> = Arc::new(ftp.nlst(None).await?);
    // The first task goes on with the session that listed; the others connect.
    let mut first = Some(ftp);
    let next = Arc::new(AtomicUsize::new(0));
    let local: Option<Arc<PathBuf>> = (local_dir != "-").then(|| Arc::new(local_dir.into()));

    let mut tasks = Vec::new();
    for i in 0..sessions {
        let (names, next, local) = (names.clone(), next.clone(), local.clone());
        let (address, user, password, remote_dir, config) = (
            address.clone(),
            user.clone(),
            password.clone(),
            remote_dir.clone(),
            config.clone(),
        );
        let session = if i == 0 { first.take() } else { None };
        tasks.push(tokio::spawn(async move {
            let mut ftp = match session {
                Some(ftp) => ftp,
                None => connect(&address, &user, &password, &remote_dir, config).await?,
            };
            let mut bytes = 0u64;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(name) = names.get(i) else { break };
                bytes += match &local {
                    None => ftp.retr_to(name, &mut tokio::io::sink()).await?,
                    Some(dir) => {
                        let base = name.rsplit('/').next().unwrap_or(name);
                        ftp.retr_to_path(name, dir.join(base)).await?
                    }
                };
            }
            ftp.quit().await?;
            Ok::<u64, BoxError>(bytes)
        }));
    }
    let mut bytes = 0;
    for task in tasks {
        bytes += task.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{} files, {bytes} bytes over {sessions} session(s) in {secs:.3} s = {:.0} files/s",
        names.len(),
        names.len() as f64 / secs
    );
    Ok(())
}

async fn connect(
    address: &str,
    user: &str,
    password: &str,
    remote_dir: &str,
    config: Config,
) -> Result<Client, BoxError> {
    let mut ftp = Client::connect(address, config).await?;
    ftp.login(user, password).await?;
    ftp.cwd(remote_dir).await?;
    Ok(ftp)
}
