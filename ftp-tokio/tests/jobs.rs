//! The async jobs against the in-memory and scripted servers: mirror down (then
//! incremental), mirror up with times, a segmented download, the pool, and the shared
//! retry catalogue.

use std::fs;
use std::time::Duration;

use ftp_test_server::MemoryServer;
use ftp_test_server::tree::{content, mtime_secs, read_local, sample_files, temp_dir, write_local};
use ftp_tokio::jobs::{self, MirrorSpec, Recipe, RetryPolicy};
use ftp_tokio::{Error, Pool};

fn pool(server: &MemoryServer, sessions: usize) -> Pool {
    Pool::new(
        Recipe::new(server.addr().to_string(), "user", "pass"),
        sessions,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_down_then_only_the_changed_files() {
    let server = MemoryServer::start();
    let files = sample_files(100, 4);
    for (i, (path, data)) in files.iter().enumerate() {
        let full = format!("/m/{path}");
        server.fs().put(&full, data.clone());
        server.fs().set_mtime(&full, 1_600_000_000 + i as i64);
    }
    let local = temp_dir("tokio-mirror");
    let pool = pool(&server, 4);
    let report = jobs::mirror(&pool, MirrorSpec::download("/m", &local))
        .await
        .unwrap();
    assert!(report.is_complete(), "{:?}", report.failed);
    assert_eq!(report.transferred, files.len());
    assert_eq!(read_local(&local).unwrap(), server.fs().files_under("/m"));
    for (path, _) in &files {
        assert_eq!(
            Some(mtime_secs(&local.join(path))),
            server.fs().mtime(&format!("/m/{path}"))
        );
    }
    for (path, _) in files.iter().step_by(10) {
        let full = format!("/m/{path}");
        server.fs().put(&full, content(777, 1));
        server.fs().set_mtime(&full, 1_700_000_000);
    }
    let again = jobs::mirror(&pool, MirrorSpec::download("/m", &local))
        .await
        .unwrap();
    assert_eq!((again.transferred, again.unchanged), (10, files.len() - 10));
    assert_eq!(read_local(&local).unwrap(), server.fs().files_under("/m"));
    assert!(pool.open_sessions() <= 4);
    fs::remove_dir_all(&local).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_up_keeps_times() {
    let server = MemoryServer::start();
    let files = sample_files(50, 5);
    let local = temp_dir("tokio-up");
    write_local(&local, &files).unwrap();
    let pool = pool(&server, 3);
    let report = jobs::mirror(&pool, MirrorSpec::upload(&local, "/up/here"))
        .await
        .unwrap();
    assert!(report.is_complete() && report.times_kept);
    assert_eq!(
        server.fs().files_under("/up/here"),
        read_local(&local).unwrap()
    );
    for (path, _) in &files {
        assert_eq!(
            server.fs().mtime(&format!("/up/here/{path}")),
            Some(mtime_secs(&local.join(path)))
        );
    }
    let again = jobs::mirror(&pool, MirrorSpec::upload(&local, "/up/here"))
        .await
        .unwrap();
    assert_eq!(again.transferred, 0);
    fs::remove_dir_all(&local).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segmented_download() {
    let server = MemoryServer::start();
    let data = content(6 << 20, 3);
    server.fs().put("/big", data.clone());
    let local = temp_dir("tokio-pget");
    let pool = pool(&server, 3);
    let report = jobs::pget(&pool, "/big", local.join("big"), 3, RetryPolicy::default())
        .await
        .unwrap();
    assert!(report.is_complete());
    assert_eq!(report.bytes, data.len() as u64);
    assert!(fs::read(local.join("big")).unwrap() == data);
    let mut sessions = Vec::new();
    for _ in 0..3 {
        sessions.push(pool.get().await.unwrap());
    }
    for s in &mut sessions {
        s.noop().await.expect("usable after its segment");
    }
    fs::remove_dir_all(&local).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_waits_replaces_and_refuses() {
    let server = MemoryServer::start();
    let pool = pool(&server, 1).with_health_check_after(Duration::ZERO);
    let held = pool.get().await.unwrap();
    let waiter = tokio::spawn({
        let pool = pool.clone();
        async move { pool.get().await.map(|_| ()) }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!waiter.is_finished());
    drop(held);
    waiter.await.unwrap().unwrap();
    {
        let mut c = pool.get().await.unwrap();
        let _ = c.sendcmd("QUIT").await;
    }
    pool.get().await.unwrap().noop().await.expect("replaced");
    assert_eq!(pool.open_sessions(), 1);
    let bad = Pool::new(Recipe::new(server.addr().to_string(), "user", "nope"), 1);
    assert!(matches!(bad.get().await, Err(Error::Rejected { .. })));
    assert_eq!(bad.open_sessions(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_policy_catalogue() {
    for mut case in ftp_test_server::retry::catalogue() {
        let mut server = ftp_test_server::Server::start(std::mem::take(&mut case.script));
        let local = temp_dir("tokio-retry");
        let recipe = Recipe::new(server.addr().to_string(), "user", "pass")
            .with_config(ftp_test_server::retry::config());
        let pool = Pool::new(recipe, 1);
        let report = jobs::mirror(
            &pool,
            MirrorSpec::download("/r", &local).with_retry(case.policy),
        )
        .await
        .unwrap_or_else(|e| panic!("{}: {e}; server: {:?}", case.name, server.try_finish()));
        drop(pool);
        let log = tokio::task::spawn_blocking(move || server.finish())
            .await
            .unwrap();
        case.check(&report, &log, &local);
        fs::remove_dir_all(&local).unwrap();
    }
}
