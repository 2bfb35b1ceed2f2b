//! The async client against the in-memory FTP/FTPS server of `ftp-test-server`: a real
//! conversation over loopback sockets, plain and TLS, passive and active, IPv4 and IPv6.

use std::net::IpAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use ftp_test_server::{Leaf, MemoryServer, TestPki};
use ftp_tokio::{Client, Config, Error, FtpTime, OwnedKind, TlsConfig};

fn content(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 13) as u8)
        .collect()
}

fn tls_config(pki: &TestPki) -> TlsConfig {
    TlsConfig::from_ca_pem(pki.ca_pem().as_bytes()).expect("the CA parses")
}

/// What a user does in one session: every call once, checked against the server's files.
async fn exercise(ftp: &mut Client, server: &MemoryServer) {
    ftp.login("user", "pass").await.expect("login");
    // The FEAT the session sends after login is answered before login returns.
    let caps = ftp
        .capabilities()
        .expect("FEAT answered by the time login returns");
    assert!(caps.has(ftp_core::feat::Feature::Mlst));
    assert_eq!(ftp.mkd("dir one").await.expect("mkd"), "/dir one");
    ftp.cwd("dir one").await.expect("cwd");
    assert_eq!(ftp.pwd().await.expect("pwd"), "/dir one");

    let data = content(1 << 20, 7);
    assert_eq!(
        ftp.stor_from("a file", &mut &data[..]).await.expect("stor"),
        data.len() as u64
    );
    assert_eq!(
        server.fs().get("/dir one/a file").as_deref(),
        Some(&data[..])
    );
    assert_eq!(ftp.size("a file").await.expect("size"), data.len() as u64);

    let mut back = Vec::new();
    assert_eq!(
        ftp.retr_to("a file", &mut back).await.expect("retr"),
        data.len() as u64
    );
    assert!(back == data, "the download differs from the upload");
    // A buffered sink is flushed: everything is in it when the call returns.
    let mut buffered = tokio::io::BufWriter::with_capacity(4 << 20, Vec::new());
    ftp.retr_to("a file", &mut buffered).await.expect("retr");
    assert!(
        buffered.get_ref() == &data,
        "retr_to left bytes in the sink's buffer"
    );

    // Into a local file: small ones (one write in ftp-tokio), at and just past 64 KiB,
    // empty, and the 1 MiB one (streamed); a refused one is an error.
    let local = ftp_test_server::tree::temp_dir("retr-to-path");
    for (name, len) in [
        ("small", 1000),
        ("at 64 KiB", 64 << 10),
        ("past 64 KiB", (64 << 10) + 1),
        ("empty", 0),
    ] {
        let bytes = content(len, len as u32);
        ftp.stor_from(name, &mut &bytes[..]).await.expect("stor");
        let path = local.join(name);
        assert_eq!(
            ftp.retr_to_path(name, &path).await.expect("retr_to_path"),
            len as u64
        );
        assert!(
            std::fs::read(&path).expect("the local file") == bytes,
            "retr_to_path of {name} differs"
        );
        ftp.delete(name).await.expect("dele");
    }
    let path = local.join("a file");
    assert_eq!(
        ftp.retr_to_path("a file", &path)
            .await
            .expect("retr_to_path"),
        data.len() as u64
    );
    assert!(std::fs::read(&path).expect("the local file") == data);
    match ftp
        .retr_to_path("no such file", local.join("missing"))
        .await
    {
        Err(e) if e.is_permanent() => {}
        other => panic!("a missing file: {other:?}"),
    }
    assert!(
        !local.join("missing").exists(),
        "a refused download creates no local file"
    );
    // A refused download leaves an existing local file as it was.
    let kept = local.join("kept");
    std::fs::write(&kept, b"local content").expect("write the local file");
    match ftp.retr_to_path("no such file", &kept).await {
        Err(e) if e.is_permanent() => {}
        other => panic!("a missing file: {other:?}"),
    }
    assert_eq!(
        std::fs::read(&kept).expect("the local file"),
        b"local content"
    );
    // A local file that cannot be created is a local error, for a small download (written
    // at its end) and a large one (aborted after its first 64 KiB); the session goes on.
    ftp.stor_from("tiny", &mut &b"tiny"[..])
        .await
        .expect("stor");
    for name in ["tiny", "a file"] {
        match ftp
            .retr_to_path(name, local.join("no such folder").join(name))
            .await
        {
            Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => panic!("{name} into a missing folder: {other:?}"),
        }
        ftp.noop()
            .await
            .expect("the session is in step after a local error");
    }
    ftp.delete("tiny").await.expect("dele");
    std::fs::remove_dir_all(&local).expect("remove the folder");

    let mut tail = Vec::new();
    ftp.retr_from("a file", 1000)
        .await
        .expect("rest retr")
        .read_to_end(&mut tail)
        .await
        .expect("read");
    assert!(tail == data[1000..], "the resumed download differs");

    ftp.append_from("a file", &mut &b"tail"[..])
        .await
        .expect("appe");
    assert_eq!(
        ftp.size("a file").await.expect("size"),
        data.len() as u64 + 4
    );

    // A resumed upload: the first half, then the rest from its offset.
    ftp.stor_from("resumed", &mut &data[..500_000])
        .await
        .expect("first half");
    let mut w = ftp.stor_at("resumed", 500_000).await.expect("rest stor");
    w.write_all(&data[500_000..]).await.expect("write");
    w.finish().await.expect("finish");
    assert_eq!(
        server.fs().get("/dir one/resumed").as_deref(),
        Some(&data[..])
    );

    let when = FtpTime::new(2021, 6, 7, 8, 9, 10).expect("time");
    ftp.set_mtime("a file", when).await.expect("set mtime");
    assert_eq!(ftp.mdtm("a file").await.expect("mdtm"), when);

    let listing = ftp.list(None).await.expect("list");
    assert!(
        listing.unparsed.is_empty(),
        "unparsed: {:?}",
        listing.unparsed
    );
    let mut names: Vec<_> = listing.entries.iter().map(|e| e.name.clone()).collect();
    names.sort();
    assert_eq!(names, [b"a file".to_vec(), b"resumed".to_vec()]);
    let mut nlst = ftp.nlst(None).await.expect("nlst");
    nlst.sort();
    assert_eq!(nlst, ["a file", "resumed"]);
    let mlsd = ftp.mlsd(None).await.expect("mlsd");
    let file = mlsd
        .entries
        .iter()
        .find(|e| e.name == b"a file")
        .expect("in MLSD");
    assert_eq!(file.size, Some(data.len() as u64 + 4));
    assert_eq!(file.kind, OwnedKind::File);
    let entry = ftp.mlst(Some("a file")).await.expect("mlst");
    assert_eq!(entry.size, Some(data.len() as u64 + 4));

    // Abort a download half-way; the session goes on in step.
    let mut reader = ftp.retr("a file").await.expect("retr");
    let mut first = vec![0; 10_000];
    reader.read_exact(&mut first).await.expect("read");
    assert_eq!(first, data[..10_000]);
    reader.abort().await.expect("abort");
    ftp.noop().await.expect("noop after abort");
    assert_eq!(
        ftp.size("a file").await.expect("size after abort"),
        data.len() as u64 + 4
    );

    // Dropping a reader early aborts too.
    {
        let mut reader = ftp.retr("a file").await.expect("retr");
        let mut first = [0u8; 100];
        reader.read_exact(&mut first).await.expect("read");
    }
    assert_eq!(ftp.pwd().await.expect("pwd after drop"), "/dir one");

    ftp.rename("a file", "renamed").await.expect("rename");
    assert!(server.fs().exists("/dir one/renamed"));
    match ftp.delete("missing").await {
        Err(e @ Error::Rejected { .. }) => {
            assert_eq!(e.code().map(|c| c.get()), Some(550));
            assert!(e.is_permanent() && !e.is_transient());
        }
        other => panic!("deleting a missing file: {other:?}"),
    }
    ftp.delete("renamed").await.expect("dele");
    ftp.delete("resumed").await.expect("dele");
    ftp.cdup().await.expect("cdup");
    ftp.rmd("dir one").await.expect("rmd");
    assert!(!server.fs().exists("/dir one"));
}

#[tokio::test]
async fn plain_session_passive() {
    let server = MemoryServer::start();
    let mut ftp = Client::connect(&server.addr().to_string(), Config::new())
        .await
        .expect("connect");
    assert!(ftp.welcome().is_some());
    exercise(&mut ftp, &server).await;
    assert_eq!(ftp.quit().await.expect("quit").code().get(), 221);
}

/// The same session with other socket I/O sizes: the smallest (4 KiB, many reads and
/// writes per buffer) and whole buffers per call.
#[tokio::test]
async fn plain_sessions_with_other_socket_io_sizes() {
    for (buffer, io) in [(64 * 1024, 4 * 1024), (128 * 1024, 1 << 20)] {
        let server = MemoryServer::start();
        let config = Config::new().buffer_size(buffer).socket_io_size(io);
        assert_eq!(config.get_socket_io_size(), io.min(buffer));
        let mut ftp = Client::connect(&server.addr().to_string(), config)
            .await
            .expect("connect");
        exercise(&mut ftp, &server).await;
    }
}

#[tokio::test]
async fn plain_session_active() {
    let server = MemoryServer::start();
    let config = Config::new().active(None, None);
    let mut ftp = Client::connect(&server.addr().to_string(), config)
        .await
        .expect("connect");
    exercise(&mut ftp, &server).await;
    ftp.quit().await.expect("quit");
}

#[tokio::test]
async fn plain_session_pasv_only() {
    let server = MemoryServer::start();
    let mut ftp = Client::connect(&server.addr().to_string(), Config::new().passive())
        .await
        .expect("connect");
    exercise(&mut ftp, &server).await;
}

#[tokio::test]
async fn ipv6_session() {
    let server = MemoryServer::builder()
        .ip("::1".parse::<IpAddr>().unwrap())
        .start()
        .expect("an IPv6 loopback server");
    let mut ftp = Client::connect(&server.addr().to_string(), Config::new())
        .await
        .expect("connect");
    exercise(&mut ftp, &server).await;
    let mut active = Client::connect(&server.addr().to_string(), Config::new().active(None, None))
        .await
        .expect("connect");
    active.login("user", "pass").await.expect("login");
    active
        .stor_from("x", &mut &b"over EPRT"[..])
        .await
        .expect("stor over EPRT on IPv6");
    assert_eq!(server.fs().get("/x").as_deref(), Some(&b"over EPRT"[..]));
}

#[tokio::test]
async fn explicit_tls_session_resumes_data_connections() {
    let pki = TestPki::new();
    let (server, address) = MemoryServer::start_tls_requiring_reuse(&pki);
    let config = Config::new().explicit_tls(tls_config(&pki));
    let mut ftp = Client::connect(&address, config).await.expect("connect");
    assert!(ftp.is_secure());
    exercise(&mut ftp, &server).await;
    let (resumed, full) = ftp.data_tls_resumptions();
    assert!(resumed >= 10, "resumed {resumed}");
    assert_eq!(full, 0, "every data connection resumes the control session");
    assert_eq!(server.stats().refused_no_reuse(), 0);
}

#[tokio::test]
async fn many_tls_uploads_and_downloads_in_one_session() {
    let pki = TestPki::new();
    let (server, address) = MemoryServer::start_tls_requiring_reuse(&pki);
    let mut ftp = Client::connect(&address, Config::new().explicit_tls(tls_config(&pki)))
        .await
        .expect("connect");
    ftp.login("user", "pass").await.expect("login");
    for i in 0..12u32 {
        let data = content(70_000 + i as usize * 1000, i);
        let name = format!("f{i}");
        ftp.stor_from(&name, &mut &data[..]).await.expect("stor");
        if i % 3 == 0 {
            let mut back = Vec::new();
            ftp.retr_to(&name, &mut back).await.expect("retr");
            assert!(back == data);
        }
        assert_eq!(
            server.fs().get(&format!("/{name}")).as_deref(),
            Some(&data[..])
        );
    }
    assert_eq!(ftp.nlst(None).await.expect("nlst").len(), 12);
    assert_eq!(ftp.data_tls_resumptions().1, 0);
}

#[tokio::test]
async fn tls_active_mode() {
    let pki = TestPki::new();
    let (server, address) = MemoryServer::start_tls_requiring_reuse(&pki);
    let config = Config::new()
        .explicit_tls(tls_config(&pki))
        .active(None, None);
    let mut ftp = Client::connect(&address, config).await.expect("connect");
    exercise(&mut ftp, &server).await;
}

#[tokio::test]
async fn clear_data_channel_with_prot_c() {
    let pki = TestPki::new();
    let server = MemoryServer::builder()
        .tls(pki.server_config(Leaf::Valid))
        .start()
        .expect("server");
    let address = format!("localhost:{}", server.addr().port());
    let mut ftp = Client::connect(&address, Config::new().explicit_tls(tls_config(&pki)))
        .await
        .expect("connect");
    ftp.login("user", "pass").await.expect("login");
    ftp.prot_c().await.expect("PROT C");
    ftp.stor_from("clear", &mut &b"in the clear"[..])
        .await
        .expect("stor");
    ftp.prot_p().await.expect("PROT P");
    let mut back = Vec::new();
    ftp.retr_to("clear", &mut back).await.expect("retr");
    assert_eq!(back, b"in the clear");
    assert_eq!(ftp.data_tls_resumptions(), (1, 0));
}

#[tokio::test]
async fn certificate_for_another_name_is_refused() {
    let pki = TestPki::new();
    let server = MemoryServer::builder()
        .tls(pki.server_config(Leaf::WrongName))
        .start()
        .expect("server");
    let address = format!("localhost:{}", server.addr().port());
    match Client::connect(&address, Config::new().explicit_tls(tls_config(&pki))).await {
        Err(e @ Error::Tls(_)) => assert!(e.is_permanent(), "{e}"),
        other => panic!("expected a TLS error, got {other:?}"),
    }
}

#[tokio::test]
async fn expired_certificate_is_refused() {
    let pki = TestPki::new();
    let server = MemoryServer::builder()
        .tls(pki.server_config(Leaf::Expired))
        .start()
        .expect("server");
    let address = format!("localhost:{}", server.addr().port());
    let err = Client::connect(&address, Config::new().explicit_tls(tls_config(&pki)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
}

#[tokio::test]
async fn pinned_certificate_is_accepted_and_another_refused() {
    let pki = TestPki::new();
    let (cert, key) = pki.leaf(Leaf::SelfSigned);
    let server_config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.clone()], key)
    .unwrap();
    let server = MemoryServer::builder()
        .tls(std::sync::Arc::new(server_config))
        .start()
        .expect("server");
    let address = format!("localhost:{}", server.addr().port());
    let pinned = TlsConfig::dangerous_pinned_certificate(cert);
    let mut ftp = Client::connect(&address, Config::new().explicit_tls(pinned))
        .await
        .expect("pinned");
    ftp.login("user", "pass").await.expect("login");
    let (other, _) = pki.leaf(Leaf::Valid);
    let wrong = TlsConfig::dangerous_pinned_certificate(other);
    assert!(matches!(
        Client::connect(&address, Config::new().explicit_tls(wrong)).await,
        Err(Error::Tls(_))
    ));
}

#[tokio::test]
async fn progress_reports_bytes_and_total() {
    let server = MemoryServer::start();
    server.fs().put("/big", content(300_000, 1));
    let mut ftp = Client::connect(&server.addr().to_string(), Config::new())
        .await
        .expect("connect");
    ftp.login("user", "pass").await.expect("login");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    ftp.set_progress(Some(Box::new(move |p| {
        sink.lock().unwrap().push((p.bytes, p.total))
    })));
    ftp.retr_to("big", &mut tokio::io::sink())
        .await
        .expect("retr");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.last(), Some(&(300_000, Some(300_000))));
    assert!(
        seen.windows(2).all(|w| w[0].0 < w[1].0),
        "progress only grows"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_sessions() {
    let server = MemoryServer::start();
    let address = server.addr().to_string();
    let tasks: Vec<_> = (0..50u32)
        .map(|i| {
            let address = address.clone();
            tokio::spawn(async move {
                let mut ftp = Client::connect(&address, Config::new())
                    .await
                    .expect("connect");
                ftp.login("user", "pass").await.expect("login");
                let data = content(20_000 + i as usize, i);
                let name = format!("session {i}");
                ftp.stor_from(&name, &mut &data[..]).await.expect("stor");
                let mut back = Vec::new();
                ftp.retr_to(&name, &mut back).await.expect("retr");
                assert!(back == data);
                ftp.quit().await.expect("quit");
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("a session failed");
    }
    assert_eq!(server.fs().list("/").len(), 50);
}

#[tokio::test]
async fn drop_sends_quit() {
    let server = MemoryServer::start();
    {
        let mut ftp = Client::connect(
            &server.addr().to_string(),
            Config::new().quit_timeout(Duration::from_secs(2)),
        )
        .await
        .expect("connect");
        ftp.login("user", "pass").await.expect("login");
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while server.stats().active_sessions() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.stats().active_sessions(), 0);
}

#[tokio::test]
async fn bad_arguments_are_refused_before_sending() {
    let server = MemoryServer::start();
    let mut ftp = Client::connect(&server.addr().to_string(), Config::new())
        .await
        .expect("connect");
    ftp.login("user", "pass").await.expect("login");
    let err = ftp.cwd("a\r\nDELE x").await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(err.is_permanent());
    ftp.noop().await.expect("the session goes on");
}

/// The calls `exercise` leaves out: ASCII lines, raw data commands, STOU, the
/// informational commands, anonymous login and CCC.
#[tokio::test]
async fn the_other_calls() {
    let pki = TestPki::new();
    let server = MemoryServer::builder()
        .tls(pki.server_config(Leaf::Valid))
        .start()
        .expect("server");
    let address = format!("localhost:{}", server.addr().port());
    let mut ftp = Client::connect(&address, Config::new().explicit_tls(tls_config(&pki)))
        .await
        .expect("connect");
    ftp.login_anonymous().await.expect("anonymous");
    let mut text = &b"first line\nsecond line\r\nno end"[..];
    ftp.stor_lines("text", &mut text).await.expect("stor_lines");
    assert_eq!(
        server.fs().get("/text").as_deref(),
        Some(&b"first line\r\nsecond line\r\nno end\r\n"[..])
    );
    let mut lines = Vec::new();
    ftp.retr_lines("text", |l| lines.push(l.to_vec()))
        .await
        .expect("retr_lines");
    assert_eq!(lines, [&b"first line"[..], b"second line", b"no end"]);

    match ftp
        .transfercmd("STOR raw", ftp_tokio::Direction::Upload, false)
        .await
        .expect("transfercmd")
    {
        ftp_tokio::DataStream::Upload(mut w) => {
            w.write_all(b"raw bytes").await.expect("write");
            w.finish().await.expect("finish");
        }
        other => panic!("an upload stream, got {other:?}"),
    }
    let mut back = Vec::new();
    {
        let stream = ftp
            .transfercmd("RETR raw", ftp_tokio::Direction::Download, false)
            .await
            .expect("transfercmd");
        let ftp_tokio::DataStream::Download(mut r) = stream else {
            panic!("a download stream")
        };
        r.read_to_end(&mut back).await.expect("read");
        r.finish().await.expect("finish");
    }
    assert_eq!(back, b"raw bytes");

    let mut unique = ftp.stor_unique().await.expect("stou");
    unique.write_all(b"unique").await.expect("write");
    let done = unique.finish().await.expect("finish");
    assert!(done.reply.code().is_completion());

    assert!(!ftp.syst().await.expect("syst").is_empty());
    ftp.stat(None).await.expect("stat");
    ftp.help(None).await.expect("help");
    assert!(ftp.features().await.expect("feat").lines().count() > 0);
    ftp.voidcmd("NOOP").await.expect("voidcmd");
    assert_eq!(
        ftp.sendcmd("NOOP").await.expect("sendcmd").code().get(),
        200
    );
    let raw = ftp.list_lines(None).await.expect("list_lines");
    assert_eq!(raw.len(), 3);
    ftp.modified("text").await.expect("modified");
    // The in-memory server has no CCC: the refusal leaves the session secure and usable.
    let refused = ftp.ccc().await.expect_err("CCC is not implemented");
    assert_eq!(refused.code().map(|c| c.get()), Some(502));
    assert!(ftp.is_secure());
    let mut back = Vec::new();
    ftp.retr_to("raw", &mut back)
        .await
        .expect("retr after the refusal");
    assert_eq!(back, b"raw bytes");
    ftp.quit().await.expect("quit");
}

#[tokio::test]
async fn stor_file_uploads_a_local_file_plain_and_tls() {
    let path = std::env::temp_dir().join(format!("ftp-rs-async-stor-file-{}", std::process::id()));
    let data = content(9 << 20, 11);
    std::fs::write(&path, &data).expect("write the local file");

    // Plain, read by a blocking thread in chunks, with progress reported.
    let server = MemoryServer::start();
    let mut ftp = Client::connect(&server.addr().to_string(), Config::new())
        .await
        .expect("connect");
    ftp.login("user", "pass").await.expect("login");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(0u64));
    let sink = seen.clone();
    ftp.set_progress(Some(Box::new(move |p| *sink.lock().unwrap() = p.bytes)));
    let mut file = std::fs::File::open(&path).expect("open");
    assert_eq!(
        ftp.stor_file("up.bin", &mut file).await.expect("stor_file"),
        data.len() as u64
    );
    assert_eq!(server.fs().get("/up.bin").as_deref(), Some(&data[..]));
    assert_eq!(*seen.lock().unwrap(), data.len() as u64);
    // The session goes on.
    ftp.noop().await.expect("noop");

    // TLS: the same call.
    let pki = TestPki::new();
    let (tls_server, address) = MemoryServer::start_tls_requiring_reuse(&pki);
    let config = Config::new().explicit_tls(tls_config(&pki));
    let mut ftps = Client::connect(&address, config).await.expect("connect");
    ftps.login("user", "pass").await.expect("login");
    let mut file = std::fs::File::open(&path).expect("open");
    assert_eq!(
        ftps.stor_file("up.bin", &mut file)
            .await
            .expect("stor_file"),
        data.len() as u64
    );
    assert_eq!(tls_server.fs().get("/up.bin").as_deref(), Some(&data[..]));
    std::fs::remove_file(&path).expect("remove the local file");
}

/// Downloads `name` with `copy_to_file` into a new local file at `path` that already
/// holds four bytes: the download must land after them (where the file's cursor is),
/// whole.
async fn copy_after_head(ftp: &mut Client, name: &str, path: &std::path::Path, expected: &[u8]) {
    let mut file = std::fs::File::create(path).expect("create");
    std::io::Write::write_all(&mut file, b"head").expect("write the head");
    let mut reader = ftp.retr(name).await.expect("retr");
    assert_eq!(
        reader.copy_to_file(&mut file).await.expect("copy_to_file"),
        expected.len() as u64
    );
    reader.finish().await.expect("finish");
    let back = std::fs::read(path).expect("the local file");
    assert!(
        back.len() == expected.len() + 4 && back.starts_with(b"head") && back[4..] == *expected,
        "{name}: the local file differs"
    );
}

/// Downloads `name` into `file`, which cannot be written: the error must be the local
/// one. The download is dropped then (ABOR goes out with the next call).
async fn copy_into_unwritable(ftp: &mut Client, name: &str, file: &std::fs::File) {
    let mut reader = ftp.retr(name).await.expect("retr");
    match reader.copy_to_file(&mut file.try_clone().unwrap()).await {
        Err(ftp_tokio::Error::Io(_)) => {}
        other => panic!("{name} into a read-only file: {other:?}"),
    }
}

#[tokio::test]
async fn copy_to_file_writes_a_local_file_plain_and_tls() {
    let dir = ftp_test_server::tree::temp_dir("copy-to-file");
    let data = content(9 << 20, 13);

    // Plain: after what the file already holds (the bytes go where its cursor is), with
    // progress reported.
    let server = MemoryServer::start();
    let mut ftp = Client::connect(&server.addr().to_string(), Config::new())
        .await
        .expect("connect");
    ftp.login("user", "pass").await.expect("login");
    ftp.stor_from("down.bin", &mut &data[..])
        .await
        .expect("stor");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(0u64));
    let sink = seen.clone();
    ftp.set_progress(Some(Box::new(move |p| *sink.lock().unwrap() = p.bytes)));
    let path = dir.join("down.bin");
    copy_after_head(&mut ftp, "down.bin", &path, &data).await;
    assert_eq!(*seen.lock().unwrap(), data.len() as u64);

    // A file that cannot be written: the error is the local one, and the session goes
    // on once the download is dropped (ABOR).
    let read_only = std::fs::File::open(&path).expect("open");
    copy_into_unwritable(&mut ftp, "down.bin", &read_only).await;
    let mut again = Vec::new();
    ftp.retr_to("down.bin", &mut again)
        .await
        .expect("retr after");
    assert!(again == data, "the download after the failed one differs");

    // The same for a small file, written with one trip through the blocking pool once
    // complete: where the cursor is, and a local error that leaves the session in step.
    ftp.stor_from("small.bin", &mut &data[..1000])
        .await
        .expect("stor");
    copy_after_head(&mut ftp, "small.bin", &dir.join("small.bin"), &data[..1000]).await;
    copy_into_unwritable(&mut ftp, "small.bin", &read_only).await;
    assert_eq!(ftp.size("small.bin").await.expect("size"), 1000);

    // TLS, through retr_to_path.
    let pki = TestPki::new();
    let (_tls_server, address) = MemoryServer::start_tls_requiring_reuse(&pki);
    let config = Config::new().explicit_tls(tls_config(&pki));
    let mut ftps = Client::connect(&address, config).await.expect("connect");
    ftps.login("user", "pass").await.expect("login");
    ftps.stor_from("down.bin", &mut &data[..])
        .await
        .expect("stor");
    let tls_path = dir.join("tls.bin");
    assert_eq!(
        ftps.retr_to_path("down.bin", &tls_path)
            .await
            .expect("retr_to_path"),
        data.len() as u64
    );
    assert!(std::fs::read(&tls_path).expect("the local file") == data);
    ftps.quit().await.expect("quit");
    std::fs::remove_dir_all(&dir).expect("remove the folder");
}

#[tokio::test]
async fn an_aborted_tls_download_is_read_until_the_server_takes_the_abor() {
    // proftpd's mod_tls ends the whole session when a data write fails: the client keeps
    // reading an aborted download until the server has taken ABOR and closed it, so the
    // transfer ends by ABOR (426 + 226), not by a write into a closed connection.
    let pki = TestPki::new();
    let server = MemoryServer::builder()
        .tls(pki.server_config(Leaf::Valid))
        .start()
        .expect("server");
    server.fs().put("/big", content(64 << 20, 3));
    let address = format!("localhost:{}", server.addr().port());
    let mut ftp = Client::connect(&address, Config::new().explicit_tls(tls_config(&pki)))
        .await
        .expect("connect");
    ftp.login("user", "pass").await.expect("login");
    for round in 1..=3 {
        let mut reader = ftp.retr("big").await.expect("retr");
        let mut first = vec![0; 100_000];
        reader.read_exact(&mut first).await.expect("read");
        reader.abort().await.expect("abort");
        ftp.noop().await.expect("the session goes on");
        assert_eq!(
            server.stats().aborts(),
            round,
            "ended by ABOR, round {round}"
        );
    }
}
