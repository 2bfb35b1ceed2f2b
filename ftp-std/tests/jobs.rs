//! Mirror, segmented download and the session pool against the in-memory server: every
//! file compared byte for byte, times kept, a second run transferring nothing, exactly
//! the changed files transferred on the third, partial files resumed.

use std::fs;
use std::time::{Duration, SystemTime};

use ftp_std::jobs::{self, Action, Filter, MirrorOptions, MirrorSpec, Recipe, RetryPolicy};
use ftp_std::{Error, Pool};
use ftp_test_server::MemoryServer;
use ftp_test_server::tree::{content, mtime_secs, read_local, sample_files, temp_dir, write_local};

fn pool(server: &MemoryServer, sessions: usize) -> Pool {
    Pool::new(
        Recipe::new(server.addr().to_string(), "user", "pass"),
        sessions,
    )
}

#[test]
fn mirror_down_then_incremental_then_delete() {
    let server = MemoryServer::start();
    let files = sample_files(120, 1);
    for (i, (path, data)) in files.iter().enumerate() {
        server.fs().put(&format!("/pub/{path}"), data.clone());
        server
            .fs()
            .set_mtime(&format!("/pub/{path}"), 1_600_000_000 + i as i64 * 60);
    }
    let local = temp_dir("mirror-down");
    let pool = pool(&server, 4);

    let report = jobs::mirror(&pool, MirrorSpec::download("/pub", &local)).expect("mirror");
    assert!(report.is_complete(), "{:?}", report.failed);
    assert_eq!(report.transferred, files.len());
    assert_eq!(
        read_local(&local).unwrap(),
        server.fs().files_under("/pub"),
        "the local tree differs from the server's"
    );
    // Times are the server's.
    for (path, _) in &files {
        assert_eq!(
            Some(mtime_secs(&local.join(path))),
            server.fs().mtime(&format!("/pub/{path}")),
            "{path}"
        );
    }
    assert!(
        server.stats().sessions() <= 4,
        "the pool opened too many sessions"
    );

    // Nothing changed: nothing moves.
    let again = jobs::mirror(&pool, MirrorSpec::download("/pub", &local)).expect("mirror");
    assert_eq!((again.transferred, again.unchanged), (0, files.len()));

    // Ten files change on the server (new content, later time): exactly those ten move.
    let changed: Vec<&String> = files.iter().step_by(12).map(|(p, _)| p).collect();
    assert_eq!(changed.len(), 10);
    for (n, path) in changed.iter().enumerate() {
        let full = format!("/pub/{path}");
        server.fs().put(&full, content(3000 + n, 99));
        server.fs().set_mtime(&full, 1_700_000_000);
    }
    let mirror = jobs::prepare(&pool, MirrorSpec::download("/pub", &local)).expect("prepare");
    let planned: Vec<&str> = mirror
        .plan()
        .actions
        .iter()
        .map(|a| match a {
            Action::Transfer { path, .. } => path.as_str(),
            other => panic!("unexpected step {other}"),
        })
        .collect();
    let mut expected: Vec<&str> = changed.iter().map(|p| p.as_str()).collect();
    expected.sort();
    assert_eq!(planned, expected);
    let third = jobs::run(&pool, &mirror).expect("run");
    assert_eq!(third.transferred, 10);
    assert_eq!(read_local(&local).unwrap(), server.fs().files_under("/pub"));

    // A local extra file and folder go with `delete`, and only with it.
    fs::create_dir_all(local.join("extra/inner")).unwrap();
    fs::write(local.join("extra/inner/junk"), b"x").unwrap();
    fs::write(local.join("stray.txt"), b"x").unwrap();
    let keep = jobs::mirror(&pool, MirrorSpec::download("/pub", &local)).unwrap();
    assert_eq!(keep.deleted, 0);
    assert!(local.join("stray.txt").exists());
    let options = MirrorOptions {
        delete: true,
        ..MirrorOptions::default()
    };
    let del = jobs::mirror(
        &pool,
        MirrorSpec::download("/pub", &local).with_options(options),
    )
    .unwrap();
    assert_eq!(del.deleted, 4, "2 files and 2 folders");
    assert_eq!(read_local(&local).unwrap(), server.fs().files_under("/pub"));
    assert!(!local.join("extra").exists());
    fs::remove_dir_all(&local).unwrap();
}

#[test]
fn mirror_up_sets_times_and_then_has_nothing_to_do() {
    let server = MemoryServer::start();
    let files = sample_files(60, 2);
    let local = temp_dir("mirror-up");
    write_local(&local, &files).unwrap();
    let pool = pool(&server, 3);

    // The remote folder does not exist yet: it is made.
    let report = jobs::mirror(&pool, MirrorSpec::upload(&local, "/incoming/site")).unwrap();
    assert!(report.is_complete(), "{:?}", report.failed);
    assert!(report.times_kept);
    assert_eq!(report.transferred, files.len());
    assert_eq!(
        server.fs().files_under("/incoming/site"),
        read_local(&local).unwrap()
    );
    for (path, _) in &files {
        assert_eq!(
            server.fs().mtime(&format!("/incoming/site/{path}")),
            Some(mtime_secs(&local.join(path))),
            "{path}"
        );
    }
    let again = jobs::mirror(&pool, MirrorSpec::upload(&local, "/incoming/site")).unwrap();
    assert_eq!((again.transferred, again.unchanged), (0, files.len()));
    fs::remove_dir_all(&local).unwrap();
}

#[test]
fn partial_files_are_resumed_both_ways() {
    let server = MemoryServer::start();
    let data = content(300_000, 5);
    server.fs().put("/big.bin", data.clone());
    server.fs().set_mtime("/big.bin", 1_600_000_000);
    let local = temp_dir("resume");
    // Half arrived earlier (and so is dated after the server's copy).
    fs::write(local.join("big.bin"), &data[..120_000]).unwrap();
    let pool = pool(&server, 1);
    let report = jobs::mirror(&pool, MirrorSpec::download("/", &local)).unwrap();
    assert_eq!((report.transferred, report.resumed), (1, 1));
    assert_eq!(report.bytes, 180_000, "only the missing part moved");
    assert!(fs::read(local.join("big.bin")).unwrap() == data);

    // Upload: the server has the first part of a newer local file.
    let up = temp_dir("resume-up");
    fs::write(up.join("big.bin"), &data).unwrap();
    let old = SystemTime::now() - Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(up.join("big.bin"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    server.fs().put("/up/big.bin", data[..50_000].to_vec());
    let report = jobs::mirror(&pool, MirrorSpec::upload(&up, "/up")).unwrap();
    assert_eq!((report.transferred, report.resumed), (1, 1));
    assert_eq!(report.bytes, 250_000);
    assert!(server.fs().get("/up/big.bin").unwrap() == data);
    fs::remove_dir_all(&local).unwrap();
    fs::remove_dir_all(&up).unwrap();
}

#[test]
fn filters_and_dry_run() {
    let server = MemoryServer::start();
    for (path, data) in sample_files(40, 3) {
        server.fs().put(&format!("/t/{path}"), data);
    }
    let local = temp_dir("filter");
    let options = MirrorOptions {
        filter: Filter::new()
            .include("*.txt")
            .unwrap()
            .exclude("with space")
            .unwrap(),
        ..MirrorOptions::default()
    };
    let pool = pool(&server, 2);
    let spec = MirrorSpec::download("/t", &local).with_options(options);
    let dry = jobs::prepare(&pool, spec.clone()).unwrap();
    let want: Vec<String> = server
        .fs()
        .files_under("/t")
        .into_keys()
        .filter(|p| p.ends_with(".txt") && !p.starts_with("with space"))
        .collect();
    assert_eq!(dry.plan().transfers().count(), want.len());
    // The dry run changed nothing.
    assert!(read_local(&local).unwrap().is_empty());
    jobs::run(&pool, &dry).unwrap();
    assert_eq!(
        read_local(&local).unwrap().into_keys().collect::<Vec<_>>(),
        want
    );
    fs::remove_dir_all(&local).unwrap();
}

#[test]
fn segmented_download_matches_and_aborts_each_segment() {
    let server = MemoryServer::start();
    let data = content(5 << 20, 9);
    server.fs().put("/iso/big image.iso", data.clone());
    let local = temp_dir("pget");
    let pool = pool(&server, 4);
    let report = jobs::pget(
        &pool,
        "/iso/big image.iso",
        local.join("out.iso"),
        4,
        RetryPolicy::default(),
    )
    .unwrap();
    assert!(report.is_complete());
    assert_eq!(report.bytes, data.len() as u64);
    assert!(fs::read(local.join("out.iso")).unwrap() == data);
    // Every segment but the last stopped early (ABOR); all four sessions went back to
    // the pool in step with the server.
    assert_eq!(pool.open_sessions(), 4);
    let mut sessions: Vec<_> = (0..4).map(|_| pool.get().unwrap()).collect();
    for s in &mut sessions {
        s.noop().expect("the session is usable after its segment");
    }
    fs::remove_dir_all(&local).unwrap();
}

#[test]
fn pool_limits_and_replaces_dead_sessions() {
    let server = MemoryServer::start();
    let pool = pool(&server, 2).with_health_check_after(Duration::ZERO);
    {
        let mut a = pool.get().unwrap();
        let _b = pool.get().unwrap();
        assert_eq!(pool.open_sessions(), 2);
        // A third waits until one comes back.
        std::thread::scope(|s| {
            let waiter = s.spawn(|| pool.get().map(|mut c| c.pwd().unwrap()));
            std::thread::sleep(Duration::from_millis(100));
            assert!(!waiter.is_finished());
            a.cwd("/").unwrap();
            drop(a);
            assert_eq!(waiter.join().unwrap().unwrap(), "/");
        });
    }
    // A session the server closed is noticed by the NOOP check and replaced.
    {
        let mut c = pool.get().unwrap();
        let _ = c.sendcmd("QUIT");
    }
    let mut c = pool.get().unwrap();
    c.noop().expect("a fresh session");
    assert!(pool.open_sessions() <= 2);
    // Bad credentials: a typed refusal, and the slot is given back.
    let bad = Pool::new(Recipe::new(server.addr().to_string(), "user", "wrong"), 1);
    assert!(matches!(bad.get(), Err(Error::Rejected { .. })));
    assert_eq!(bad.open_sessions(), 0);
}

#[test]
fn retry_policy_catalogue() {
    for mut case in ftp_test_server::retry::catalogue() {
        let mut server = ftp_test_server::Server::start(std::mem::take(&mut case.script));
        let local = temp_dir("retry");
        let recipe = Recipe::new(server.addr().to_string(), "user", "pass")
            .with_config(ftp_test_server::retry::config());
        let pool = Pool::new(recipe, 1);
        let report = jobs::mirror(
            &pool,
            MirrorSpec::download("/r", &local).with_retry(case.policy),
        )
        .unwrap_or_else(|e| panic!("{}: {e}; server: {:?}", case.name, server.try_finish()));
        drop(pool);
        let log = server.finish();
        case.check(&report, &log, &local);
        fs::remove_dir_all(&local).unwrap();
    }
}

#[test]
fn segmented_download_is_checked_with_hash_where_offered() {
    use ftp_test_server::HashMode;
    let data = content(3 << 20, 21);
    for (mode, expect_ok) in [(HashMode::Honest, true), (HashMode::Wrong, false)] {
        let server = MemoryServer::builder().hash(mode).start().unwrap();
        server.fs().put("/f.bin", data.clone());
        let local = temp_dir("pget-hash");
        let pool = pool(&server, 3);
        let result = jobs::pget(
            &pool,
            "f.bin",
            local.join("f.bin"),
            3,
            RetryPolicy::default(),
        );
        match (result, expect_ok) {
            (Ok(report), true) => assert_eq!(report.verified_by, Some("SHA-256")),
            (
                Err(Error::Protocol {
                    error: ftp_std::ftp_core::session::OpError::DigestMismatch { .. },
                    ..
                }),
                false,
            ) => {}
            (other, _) => panic!("{mode:?}: {other:?}"),
        }
        fs::remove_dir_all(&local).unwrap();
    }
    // The older XMD5 (preferred) and XCRC, honest and lying.
    for (md5, crc, wrong, expect) in [
        (true, true, false, Ok("MD5")),
        (false, true, false, Ok("CRC-32")),
        (false, true, true, Err("CRC-32")),
        (true, false, true, Err("MD5")),
    ] {
        let server = MemoryServer::builder()
            .legacy_digests(md5, crc, wrong)
            .start()
            .unwrap();
        server.fs().put("/f.bin", data.clone());
        let local = temp_dir("pget-legacy");
        let result = jobs::pget(
            &pool(&server, 2),
            "f.bin",
            local.join("f"),
            2,
            RetryPolicy::default(),
        );
        match (result, expect) {
            (Ok(report), Ok(name)) => assert_eq!(report.verified_by, Some(name)),
            (
                Err(Error::Protocol {
                    error: ftp_std::ftp_core::session::OpError::DigestMismatch { algorithm },
                    ..
                }),
                Err(name),
            ) => assert_eq!(algorithm, name),
            (other, _) => panic!("{md5} {crc} {wrong}: {other:?}"),
        }
        fs::remove_dir_all(&local).unwrap();
    }
    // Without any digest the size is all there is to check.
    let server = MemoryServer::start();
    server.fs().put("/f.bin", data);
    let local = temp_dir("pget-nohash");
    let report = jobs::pget(
        &pool(&server, 2),
        "f.bin",
        local.join("f"),
        2,
        RetryPolicy::default(),
    )
    .unwrap();
    assert_eq!(report.verified_by, None);
    fs::remove_dir_all(&local).unwrap();
}
