//! The jobs of issue #9 against every real server `scripts/servers` started: a tree of
//! 500 files (nested folders, spaces, non-ASCII names) mirrored up and down and compared
//! by SHA-256 — the local folders and the server's own disk —; a second mirror up that
//! moves nothing; 10 files changed on the server's disk and exactly those 10 moving on
//! the next mirror down; and, on each plain IPv4 server, the server restarted in the
//! middle of a mirror down, which resumes and ends identical. ftp-tokio runs every server;
//! ftp-std the plain ones (the executor is shared; the adapters differ in I/O).
//!
//! ```text
//! scripts/servers -- cargo run -p ftp-tests --bin jobs
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use ftp_core::jobs::{Mirror, Recipe, Report, Snapshot};
use ftp_core::transfer::DataMode;
use ftp_test_server::tree::{content, read_local, sample_files, temp_dir, write_local};
use ftp_tests::servers::{self, Server};
use sha2::{Digest, Sha256};

const FILES: usize = 500;
const SESSIONS: usize = 4;

type Sums = BTreeMap<String, [u8; 32]>;

fn sums(files: BTreeMap<String, Vec<u8>>) -> Sums {
    files
        .into_iter()
        .map(|(path, data)| (path, Sha256::digest(&data).into()))
        .collect()
}

fn local_sums(root: &Path) -> Result<Sums, String> {
    read_local(root)
        .map(sums)
        .map_err(|e| format!("reading {}: {e}", root.display()))
}

fn check(cond: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what()) }
}

fn same_tree(a: &Sums, b: &Sums, what: &str) -> Result<(), String> {
    if a == b {
        return Ok(());
    }
    let only_a: Vec<_> = a.keys().filter(|k| !b.contains_key(*k)).take(3).collect();
    let only_b: Vec<_> = b.keys().filter(|k| !a.contains_key(*k)).take(3).collect();
    let differ: Vec<_> = a
        .iter()
        .filter(|(k, v)| b.get(*k).is_some_and(|w| w != *v))
        .map(|(k, _)| k)
        .take(3)
        .collect();
    Err(format!(
        "{what}: {} vs {} files; only in the first {only_a:?}, only in the second {only_b:?}, different {differ:?}",
        a.len(),
        b.len()
    ))
}

fn complete(report: &Report, what: &str) -> Result<(), String> {
    match report.failed.first() {
        None => Ok(()),
        Some(f) => Err(format!(
            "{what}: {} files failed, first {} after {} attempts: {}",
            report.failed.len(),
            f.path,
            f.attempts,
            f.error
        )),
    }
}

/// The two adapters behind one face, so each scenario is written once.
enum Adapter {
    Std(Box<ftp_std::Pool>),
    Tokio(ftp_tokio::Pool, tokio::runtime::Runtime),
}

impl Adapter {
    fn new(kind: &str, recipe: Recipe) -> Adapter {
        match kind {
            "std" => Adapter::Std(Box::new(ftp_std::Pool::new(recipe, SESSIONS))),
            _ => Adapter::Tokio(
                ftp_tokio::Pool::new(recipe, SESSIONS),
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("a tokio runtime"),
            ),
        }
    }

    /// Plans `spec`, calls `planned`, then runs it while `watch` sees the progress every
    /// 20 ms.
    fn mirror(
        &self,
        spec: ftp_core::jobs::MirrorSpec,
        planned: impl FnOnce() -> Result<(), String>,
        watch: impl Fn(Snapshot) + Send + Sync,
    ) -> Result<Report, String> {
        let done = AtomicBool::new(false);
        let run = |mirror: &Mirror, go: &dyn Fn() -> Result<Report, String>| {
            std::thread::scope(|s| {
                s.spawn(|| {
                    while !done.load(Ordering::Relaxed) {
                        watch(mirror.progress());
                        std::thread::sleep(Duration::from_millis(20));
                    }
                });
                let report = go();
                done.store(true, Ordering::Relaxed);
                report
            })
        };
        match self {
            Adapter::Std(pool) => {
                let mirror = ftp_std::jobs::prepare(pool, spec).map_err(|e| e.to_string())?;
                planned()?;
                run(&mirror, &|| {
                    ftp_std::jobs::run(pool, &mirror).map_err(|e| e.to_string())
                })
            }
            Adapter::Tokio(pool, rt) => {
                let mirror = rt
                    .block_on(ftp_tokio::jobs::prepare(pool, spec))
                    .map_err(|e| e.to_string())?;
                planned()?;
                run(&mirror, &|| {
                    rt.block_on(ftp_tokio::jobs::run(pool, Arc::clone(&mirror)))
                        .map_err(|e| e.to_string())
                })
            }
        }
    }
}

/// Rewrites 10 of the server's files on its disk, each to a new length, dated an hour
/// later; returns their relative paths.
fn change_on_server(root: &Path, files: &[(String, Vec<u8>)]) -> Result<Vec<String>, String> {
    let later = SystemTime::now() + Duration::from_secs(3600);
    let mut changed = Vec::new();
    for (n, (path, data)) in files.iter().step_by(FILES / 10).take(10).enumerate() {
        let full = root.join(path);
        let new = content(data.len() + 100 + n, 4242 + n as u32);
        std::fs::write(&full, &new).map_err(|e| format!("{}: {e}", full.display()))?;
        let file = std::fs::File::options()
            .write(true)
            .open(&full)
            .map_err(|e| e.to_string())?;
        file.set_modified(later).map_err(|e| e.to_string())?;
        changed.push(path.clone());
    }
    Ok(changed)
}

fn restart(server: &Server) -> Result<(), String> {
    let dir = server.dir.as_ref().ok_or("the manifest has no dir")?;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/restart-server");
    let status = Command::new(&script)
        .arg(dir)
        .status()
        .map_err(|e| format!("{}: {e}", script.display()))?;
    check(status.success(), || {
        format!("restart-server {}: {status}", dir.display())
    })
}

fn scenario(server: &Server, kind: &str) -> Result<String, String> {
    let tag = format!("{}-{kind}", server.label());
    let recipe = Recipe::new(server.addr.to_string(), &server.user, &server.password).with_config(
        server
            .config(DataMode::ExtendedPassive)
            .map_err(|e| e.to_string())?,
    );
    let adapter = Adapter::new(kind, recipe);
    let files = sample_files(FILES, 77);
    let scratch = temp_dir(&format!("jobs-{tag}"));
    let src = scratch.join("src");
    write_local(&src, &files).map_err(|e| e.to_string())?;
    let src_sums = local_sums(&src)?;
    let remote = format!("mirror-{kind}");
    let server_tree = server.root.as_ref().map(|r| r.join(&remote));
    if let Some(old) = &server_tree {
        // A rerun against the same server starts from nothing.
        let _ = std::fs::remove_dir_all(old);
    }
    let nothing = |_: Snapshot| {};
    let ok = || Ok(());
    let started = Instant::now();

    // Up into a folder that does not exist yet.
    let up = adapter.mirror(
        ftp_core::jobs::MirrorSpec::upload(&src, remote.as_str()),
        ok,
        nothing,
    )?;
    complete(&up, "mirror up")?;
    check(up.transferred == FILES, || {
        format!("mirror up moved {} files, not {FILES}", up.transferred)
    })?;
    check(up.times_kept, || "mirror up could not set times".into())?;
    if let Some(disk) = &server_tree {
        same_tree(
            &src_sums,
            &local_sums(disk)?,
            "the server's disk after mirror up",
        )?;
    }

    // Down into a new folder, compared by SHA-256.
    let copy = scratch.join("copy");
    let down = adapter.mirror(
        ftp_core::jobs::MirrorSpec::download(remote.as_str(), &copy),
        ok,
        nothing,
    )?;
    complete(&down, "mirror down")?;
    check(down.transferred == FILES, || {
        format!("mirror down moved {} files, not {FILES}", down.transferred)
    })?;
    same_tree(&src_sums, &local_sums(&copy)?, "the download")?;

    // Nothing changed: up again moves nothing (the times set on the server hold).
    let again = adapter.mirror(
        ftp_core::jobs::MirrorSpec::upload(&src, remote.as_str()),
        ok,
        nothing,
    )?;
    check(again.transferred == 0 && again.unchanged == FILES, || {
        format!(
            "a second mirror up moved {} files ({} unchanged)",
            again.transferred, again.unchanged
        )
    })?;

    // Ten files change on the server: exactly those ten come down.
    let mut detail = String::new();
    if let Some(disk) = &server_tree {
        let changed = change_on_server(disk, &files)?;
        let down = adapter.mirror(
            ftp_core::jobs::MirrorSpec::download(remote.as_str(), &copy),
            ok,
            nothing,
        )?;
        complete(&down, "mirror down after changes")?;
        check(down.transferred == changed.len(), || {
            format!("{} files moved after 10 changed", down.transferred)
        })?;
        same_tree(&local_sums(disk)?, &local_sums(&copy)?, "after the changes")?;
    }

    // The server restarts in the middle of a mirror down: once after the plan is made
    // (the pool's sessions all die; deterministic), and again while files are moving if
    // the mirror is still running by then. Retried, resumed, identical.
    if server.mode == "plain" && server.family == 4 {
        let fresh = scratch.join("fresh");
        let restarted = AtomicBool::new(false);
        let failure = std::sync::Mutex::new(None);
        let at = std::sync::Mutex::new(None);
        let report = adapter.mirror(
            ftp_core::jobs::MirrorSpec::download(remote.as_str(), &fresh),
            || restart(server),
            |p| {
                if p.files_done >= 5 && !restarted.swap(true, Ordering::SeqCst) {
                    let result = restart(server);
                    *at.lock().unwrap() = Some((p, started.elapsed()));
                    if let Err(e) = result {
                        *failure.lock().unwrap() = Some(e);
                    }
                }
            },
        )?;
        if let Some(e) = failure.lock().unwrap().take() {
            return Err(e);
        }
        complete(&report, "mirror down across a restart")?;
        check(report.retries > 0, || {
            format!(
                "no attempt failed across the restart (made at {:?}; the mirror: {} files in {:?})",
                at.lock().unwrap(),
                report.transferred,
                report.elapsed
            )
        })?;
        let expect = match &server_tree {
            Some(disk) => local_sums(disk)?,
            None => src_sums.clone(),
        };
        same_tree(&expect, &local_sums(&fresh)?, "after the restart")?;
        let during = match *at.lock().unwrap() {
            Some((p, _)) if p.files_done < FILES => "and while moving, ",
            _ => "",
        };
        detail = format!(
            ", restarted after planning {during}{} retries",
            report.retries
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(format!(
        "ok ({:.1}s{detail})",
        started.elapsed().as_secs_f64()
    ))
}

fn main() -> ExitCode {
    if std::env::var_os("FTP_TRACE").is_some() {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .without_time()
            .with_writer(std::io::stderr)
            .init();
    }
    let servers = match servers::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut failed = 0;
    let mut rows = Vec::new();
    for server in &servers {
        let mut cells = Vec::new();
        let kinds: &[&str] = if server.mode == "plain" {
            &["tokio", "std"]
        } else {
            &["tokio"]
        };
        for kind in kinds {
            let cell = match scenario(server, kind) {
                Ok(s) => s,
                Err(e) => {
                    failed += 1;
                    eprintln!("FAIL {}-{kind}: {e}", server.label());
                    "FAIL".into()
                }
            };
            cells.push(format!("{kind} {cell}"));
        }
        rows.push(format!("| {} | {} |", server.label(), cells.join(" | ")));
    }
    println!("\n| server | mirror {FILES} files up, down, again, 10 changed, restart |");
    println!("|---|---|");
    for row in rows {
        println!("{row}");
    }
    if failed > 0 {
        eprintln!("{failed} cell(s) failed");
        ExitCode::FAILURE
    } else {
        println!("all {} servers passed", servers.len());
        ExitCode::SUCCESS
    }
}
