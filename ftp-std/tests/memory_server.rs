//! The blocking client against the in-memory FTP/FTPS server of `ftp-test-server`: a real
//! conversation over loopback sockets, plain and TLS, passive and active, IPv4 and IPv6.

use std::io::{Read, Write};
use std::net::IpAddr;
use std::time::Duration;

use ftp_std::{Client, Config, Error, FtpTime, OwnedKind, TlsConfig};
use ftp_test_server::{Leaf, MemoryServer, TestPki};

fn content(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 13) as u8)
        .collect()
}

fn tls_config(pki: &TestPki) -> TlsConfig {
    TlsConfig::from_ca_pem(pki.ca_pem().as_bytes()).expect("the CA parses")
}

/// What a user does in one session: every call once, checked against the server's files.
fn exercise(ftp: &mut Client, server: &MemoryServer) {
    ftp.login("user", "pass").expect("login");
    // The FEAT the session sends after login is answered before login returns.
    let caps = ftp
        .capabilities()
        .expect("FEAT answered by the time login returns");
    assert!(caps.has(ftp_core::feat::Feature::Mlst));
    assert_eq!(ftp.mkd("dir one").expect("mkd"), "/dir one");
    ftp.cwd("dir one").expect("cwd");
    assert_eq!(ftp.pwd().expect("pwd"), "/dir one");

    let data = content(1 << 20, 7);
    assert_eq!(
        ftp.stor_from("a file", &mut &data[..]).expect("stor"),
        data.len() as u64
    );
    assert_eq!(
        server.fs().get("/dir one/a file").as_deref(),
        Some(&data[..])
    );
    assert_eq!(ftp.size("a file").expect("size"), data.len() as u64);

    let mut back = Vec::new();
    assert_eq!(
        ftp.retr_to("a file", &mut back).expect("retr"),
        data.len() as u64
    );
    assert!(back == data, "the download differs from the upload");
    // A buffered sink is flushed: everything is in it when the call returns.
    let mut buffered = std::io::BufWriter::with_capacity(4 << 20, Vec::new());
    ftp.retr_to("a file", &mut buffered).expect("retr");
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
        ftp.stor_from(name, &mut &bytes[..]).expect("stor");
        let path = local.join(name);
        assert_eq!(
            ftp.retr_to_path(name, &path).expect("retr_to_path"),
            len as u64
        );
        assert!(
            std::fs::read(&path).expect("the local file") == bytes,
            "retr_to_path of {name} differs"
        );
        ftp.delete(name).expect("dele");
    }
    let path = local.join("a file");
    assert_eq!(
        ftp.retr_to_path("a file", &path).expect("retr_to_path"),
        data.len() as u64
    );
    assert!(std::fs::read(&path).expect("the local file") == data);
    match ftp.retr_to_path("no such file", local.join("missing")) {
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
    match ftp.retr_to_path("no such file", &kept) {
        Err(e) if e.is_permanent() => {}
        other => panic!("a missing file: {other:?}"),
    }
    assert_eq!(
        std::fs::read(&kept).expect("the local file"),
        b"local content"
    );
    // A local file that cannot be created is a local error, for a small download and a
    // large one; the session goes on.
    ftp.stor_from("tiny", &mut &b"tiny"[..]).expect("stor");
    for name in ["tiny", "a file"] {
        match ftp.retr_to_path(name, local.join("no such folder").join(name)) {
            Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => panic!("{name} into a missing folder: {other:?}"),
        }
        ftp.noop()
            .expect("the session is in step after a local error");
    }
    ftp.delete("tiny").expect("dele");
    std::fs::remove_dir_all(&local).expect("remove the folder");

    let mut tail = Vec::new();
    ftp.retr_from("a file", 1000)
        .expect("rest retr")
        .read_to_end(&mut tail)
        .expect("read");
    assert!(tail == data[1000..], "the resumed download differs");

    ftp.append_from("a file", &mut &b"tail"[..]).expect("appe");
    assert_eq!(ftp.size("a file").expect("size"), data.len() as u64 + 4);

    // A resumed upload: the first half, then the rest from its offset.
    ftp.stor_from("resumed", &mut &data[..500_000])
        .expect("first half");
    let mut w = ftp.stor_at("resumed", 500_000).expect("rest stor");
    w.write_all(&data[500_000..]).expect("write");
    w.finish().expect("finish");
    assert_eq!(
        server.fs().get("/dir one/resumed").as_deref(),
        Some(&data[..])
    );

    let when = FtpTime::new(2021, 6, 7, 8, 9, 10).expect("time");
    ftp.set_mtime("a file", when).expect("set mtime");
    assert_eq!(ftp.mdtm("a file").expect("mdtm"), when);

    let listing = ftp.list(None).expect("list");
    assert!(
        listing.unparsed.is_empty(),
        "unparsed: {:?}",
        listing.unparsed
    );
    let mut names: Vec<_> = listing.entries.iter().map(|e| e.name.clone()).collect();
    names.sort();
    assert_eq!(names, [b"a file".to_vec(), b"resumed".to_vec()]);
    let mut nlst = ftp.nlst(None).expect("nlst");
    nlst.sort();
    assert_eq!(nlst, ["a file", "resumed"]);
    let mlsd = ftp.mlsd(None).expect("mlsd");
    let file = mlsd
        .entries
        .iter()
        .find(|e| e.name == b"a file")
        .expect("in MLSD");
    assert_eq!(file.size, Some(data.len() as u64 + 4));
    assert_eq!(file.kind, OwnedKind::File);
    let entry = ftp.mlst(Some("a file")).expect("mlst");
    assert_eq!(entry.size, Some(data.len() as u64 + 4));

    // Abort a download half-way; the session goes on in step.
    let mut reader = ftp.retr("a file").expect("retr");
    let mut first = vec![0; 10_000];
    reader.read_exact(&mut first).expect("read");
    assert_eq!(first, data[..10_000]);
    reader.abort().expect("abort");
    ftp.noop().expect("noop after abort");
    assert_eq!(
        ftp.size("a file").expect("size after abort"),
        data.len() as u64 + 4
    );

    // Dropping a reader early aborts too.
    {
        let mut reader = ftp.retr("a file").expect("retr");
        let mut first = [0u8; 100];
        reader.read_exact(&mut first).expect("read");
    }
    assert_eq!(ftp.pwd().expect("pwd after drop"), "/dir one");

    ftp.rename("a file", "renamed").expect("rename");
    assert!(server.fs().exists("/dir one/renamed"));
    match ftp.delete("missing") {
        Err(e @ Error::Rejected { .. }) => {
            assert_eq!(e.code().map(|c| c.get()), Some(550));
            assert!(e.is_permanent() && !e.is_transient());
        }
        other => panic!("deleting a missing file: {other:?}"),
    }
    ftp.delete("renamed").expect("dele");
    ftp.delete("resumed").expect("dele");
    ftp.cdup().expect("cdup");
    ftp.rmd("dir one").expect("rmd");
    assert!(!server.fs().exists("/dir one"));
}

#[test]
fn plain_session_passive() {
    let server = MemoryServer::start();
    let mut ftp = Client::connect(&server.addr().to_string(), Config::new()).expect("connect");
    assert!(ftp.welcome().is_some());
    exercise(&mut ftp, &server);
    assert_eq!(ftp.quit().expect("quit").code().get(), 221);
}

/// The same session with other socket I/O sizes: the smallest (4 KiB, many reads and
/// writes per buffer) and whole buffers per call.
#[test]
fn plain_sessions_with_other_socket_io_sizes() {
    for (buffer, io) in [(64 * 1024, 4 * 1024), (128 * 1024, 1 << 20)] {
        let server = MemoryServer::start();
        let config = Config::new().buffer_size(buffer).socket_io_size(io);
        assert_eq!(config.get_socket_io_size(), io.min(buffer));
        let mut ftp = Client::connect(&server.addr().to_string(), config).expect("connect");
        exercise(&mut ftp, &server);
    }
}

#[test]
fn plain_session_active() {
    let server = MemoryServer::start();
    let config = Config::new().active(None, None);
    let mut ftp = Client::connect(&server.addr().to_string(), config).expect("connect");
    exercise(&mut ftp, &server);
    ftp.quit().expect("quit");
}

#[test]
fn plain_session_pasv_only() {
    let server = MemoryServer::start();
    let mut ftp =
        Client::connect(&server.addr().to_string(), Config::new().passive()).expect("connect");
    exercise(&mut ftp, &server);
}

#[test]
fn ipv6_session() {
    let server = MemoryServer::builder()
        .ip("::1".parse::<IpAddr>().unwrap())
        .start()
        .expect("an IPv6 loopback server");
    let mut ftp = Client::connect(&server.addr().to_string(), Config::new()).expect("connect");
    exercise(&mut ftp, &server);
    let mut active = Client::connect(&server.addr().to_string(), Config::new().active(None, None))
        .expect("connect");
    active.login("user", "pass").expect("login");
    active
        .stor_from("x", &mut &b"over EPRT"[..])
        .expect("stor over EPRT on IPv6");
    assert_eq!(server.fs().get("/x").as_deref(), Some(&b"over EPRT"[..]));
}

#[test]
fn explicit_tls_session_resumes_data_connections() {
    let pki = TestPki::new();
    let (server, address) = MemoryServer::start_tls_requiring_reuse(&pki);
    let config = Config::new().explicit_tls(tls_config(&pki));
    let mut ftp = Client::connect(&address, config).expect("connect");
    assert!(ftp.is_secure());
    exercise(&mut ftp, &server);
    let (resumed, full) = ftp.data_tls_resumptions();
    assert!(resumed >= 10, "resumed {resumed}");
    assert_eq!(full, 0, "every data connection resumes the control session");
    assert_eq!(server.stats().refused_no_reuse(), 0);
}

#[test]
fn many_tls_uploads_and_downloads_in_one_session() {
    let pki = TestPki::new();
    let (server, address) = MemoryServer::start_tls_requiring_reuse(&pki);
    let mut ftp =
        Client::connect(&address, Config::new().explicit_tls(tls_config(&pki))).expect("connect");
    ftp.login("user", "pass").expect("login");
    for i in 0..12u32 {
        let data = content(70_000 + i as usize * 1000, i);
        let name = format!("f{i}");
        ftp.stor_from(&name, &mut &data[..]).expect("stor");
        if i % 3 == 0 {
            let mut back = Vec::new();
            ftp.retr_to(&name, &mut back).expect("retr");
            assert!(back == data);
        }
        assert_eq!(
            server.fs().get(&format!("/{name}")).as_deref(),
            Some(&data[..])
        );
    }
    assert_eq!(ftp.nlst(None).expect("nlst").len(), 12);
    assert_eq!(ftp.data_tls_resumptions().1, 0);
}

#[test]
fn tls_active_mode() {
    let pki = TestPki::new();
    let (server, address) = MemoryServer::start_tls_requiring_reuse(&pki);
    let config = Config::new()
        .explicit_tls(tls_config(&pki))
        .active(None, None);
    let mut ftp = Client::connect(&address, config).expect("connect");
    exercise(&mut ftp, &server);
}

#[test]
fn clear_data_channel_with_prot_c() {
    let pki = TestPki::new();
    let server = MemoryServer::builder()
        .tls(pki.server_config(Leaf::Valid))
        .start()
        .expect("server");
    let address = format!("localhost:{}", server.addr().port());
    let mut ftp =
        Client::connect(&address, Config::new().explicit_tls(tls_config(&pki))).expect("connect");
    ftp.login("user", "pass").expect("login");
    ftp.prot_c().expect("PROT C");
    ftp.stor_from("clear", &mut &b"in the clear"[..])
        .expect("stor");
    ftp.prot_p().expect("PROT P");
    let mut back = Vec::new();
    ftp.retr_to("clear", &mut back).expect("retr");
    assert_eq!(back, b"in the clear");
    assert_eq!(ftp.data_tls_resumptions(), (1, 0));
}

#[test]
fn certificate_for_another_name_is_refused() {
    let pki = TestPki::new();
    let server = MemoryServer::builder()
        .tls(pki.server_config(Leaf::WrongName))
        .start()
        .expect("server");
    let address = format!("localhost:{}", server.addr().port());
    match Client::connect(&address, Config::new().explicit_tls(tls_config(&pki))) {
        Err(e @ Error::Tls(_)) => assert!(e.is_permanent(), "{e}"),
        other => panic!("expected a TLS error, got {other:?}"),
    }
}

#[test]
fn expired_certificate_is_refused() {
    let pki = TestPki::new();
    let server = MemoryServer::builder()
        .tls(pki.server_config(Leaf::Expired))
        .start()
        .expect("server");
    let address = format!("localhost:{}", server.addr().port());
    let err = Client::connect(&address, Config::new().explicit_tls(tls_config(&pki))).unwrap_err();
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
}

#[test]
fn pinned_certificate_is_accepted_and_another_refused() {
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
    let mut ftp = Client::connect(&address, Config::new().explicit_tls(pinned)).expect("pinned");
    ftp.login("user", "pass").expect("login");
    let (other, _) = pki.leaf(Leaf::Valid);
    let wrong = TlsConfig::dangerous_pinned_certificate(other);
    assert!(matches!(
        Client::connect(&address, Config::new().explicit_tls(wrong)),
        Err(Error::Tls(_))
    ));
}

#[test]
fn progress_reports_bytes_and_total() {
    let server = MemoryServer::start();
    server.fs().put("/big", content(300_000, 1));
    let mut ftp = Client::connect(&server.addr().to_string(), Config::new()).expect("connect");
    ftp.login("user", "pass").expect("login");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    ftp.set_progress(Some(Box::new(move |p| {
        sink.lock().unwrap().push((p.bytes, p.total))
    })));
    ftp.retr_to("big", &mut std::io::sink()).expect("retr");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.last(), Some(&(300_000, Some(300_000))));
    assert!(
        seen.windows(2).all(|w| w[0].0 < w[1].0),
        "progress only grows"
    );
}

#[test]
fn fifty_concurrent_sessions() {
    let server = MemoryServer::start();
    let address = server.addr().to_string();
    let threads: Vec<_> = (0..50u32)
        .map(|i| {
            let address = address.clone();
            std::thread::spawn(move || {
                let mut ftp = Client::connect(&address, Config::new()).expect("connect");
                ftp.login("user", "pass").expect("login");
                let data = content(20_000 + i as usize, i);
                let name = format!("session {i}");
                ftp.stor_from(&name, &mut &data[..]).expect("stor");
                let mut back = Vec::new();
                ftp.retr_to(&name, &mut back).expect("retr");
                assert!(back == data);
                ftp.quit().expect("quit");
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a session failed");
    }
    assert_eq!(server.fs().list("/").len(), 50);
}

#[test]
fn drop_sends_quit() {
    let server = MemoryServer::start();
    {
        let mut ftp = Client::connect(
            &server.addr().to_string(),
            Config::new().quit_timeout(Duration::from_secs(2)),
        )
        .expect("connect");
        ftp.login("user", "pass").expect("login");
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while server.stats().active_sessions() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(server.stats().active_sessions(), 0);
}

#[test]
fn bad_arguments_are_refused_before_sending() {
    let server = MemoryServer::start();
    let mut ftp = Client::connect(&server.addr().to_string(), Config::new()).expect("connect");
    ftp.login("user", "pass").expect("login");
    let err = ftp.cwd("a\r\nDELE x").unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(err.is_permanent());
    ftp.noop().expect("the session goes on");
}

#[test]
fn stor_file_uploads_a_local_file_plain_and_tls() {
    let path = std::env::temp_dir().join(format!("ftp-rs-stor-file-{}", std::process::id()));
    let data = content(9 << 20, 9);
    std::fs::write(&path, &data).expect("write the local file");

    // Plain, in chunks, with progress reported.
    let server = MemoryServer::start();
    let mut ftp = Client::connect(&server.addr().to_string(), Config::new()).expect("connect");
    ftp.login("user", "pass").expect("login");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(0u64));
    let sink = seen.clone();
    ftp.set_progress(Some(Box::new(move |p| *sink.lock().unwrap() = p.bytes)));
    let mut file = std::fs::File::open(&path).expect("open");
    assert_eq!(
        ftp.stor_file("up.bin", &mut file).expect("stor_file"),
        data.len() as u64
    );
    assert_eq!(server.fs().get("/up.bin").as_deref(), Some(&data[..]));
    assert_eq!(*seen.lock().unwrap(), data.len() as u64);

    // TLS: the same call.
    let pki = TestPki::new();
    let (tls_server, address) = MemoryServer::start_tls_requiring_reuse(&pki);
    let config = Config::new().explicit_tls(tls_config(&pki));
    let mut ftps = Client::connect(&address, config).expect("connect");
    ftps.login("user", "pass").expect("login");
    let mut file = std::fs::File::open(&path).expect("open");
    assert_eq!(
        ftps.stor_file("up.bin", &mut file).expect("stor_file"),
        data.len() as u64
    );
    assert_eq!(tls_server.fs().get("/up.bin").as_deref(), Some(&data[..]));
    std::fs::remove_file(&path).expect("remove the local file");
}

#[test]
fn copy_to_file_writes_where_the_cursor_is_and_reports_local_errors() {
    let dir = ftp_test_server::tree::temp_dir("copy-to-file");
    let data = content(3 << 20, 17);
    let server = MemoryServer::start();
    server.fs().put("/down.bin", data.clone());
    let mut ftp = Client::connect(&server.addr().to_string(), Config::new()).expect("connect");
    ftp.login("user", "pass").expect("login");
    let path = dir.join("down.bin");
    let mut file = std::fs::File::create(&path).expect("create");
    std::io::Write::write_all(&mut file, b"head").expect("write the head");
    let mut reader = ftp.retr("down.bin").expect("retr");
    assert_eq!(
        reader.copy_to_file(&mut file).expect("copy_to_file"),
        data.len() as u64
    );
    reader.finish().expect("finish");
    let back = std::fs::read(&path).expect("the local file");
    assert!(back.starts_with(b"head") && back[4..] == data[..]);

    // A file opened for reading only: the local error, and the session goes on.
    let mut read_only = std::fs::File::open(&path).expect("open");
    let mut reader = ftp.retr("down.bin").expect("retr");
    match reader.copy_to_file(&mut read_only) {
        Err(ftp_std::Error::Io(_)) => {}
        other => panic!("writing a read-only file: {other:?}"),
    }
    drop(reader);
    assert_eq!(ftp.size("down.bin").expect("size"), data.len() as u64);
    // The same for a small file (written in place, not by the writer thread).
    server.fs().put("/small.bin", data[..1000].to_vec());
    let mut reader = ftp.retr("small.bin").expect("retr");
    match reader.copy_to_file(&mut read_only) {
        Err(ftp_std::Error::Io(_)) => {}
        other => panic!("writing a small download to a read-only file: {other:?}"),
    }
    drop(reader);
    let mut back = Vec::new();
    ftp.retr_to("small.bin", &mut back).expect("retr after");
    assert_eq!(back, data[..1000]);
    std::fs::remove_dir_all(&dir).expect("remove the folder");
}

#[test]
fn an_aborted_tls_download_is_read_until_the_server_takes_the_abor() {
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
    let mut ftp =
        Client::connect(&address, Config::new().explicit_tls(tls_config(&pki))).expect("connect");
    ftp.login("user", "pass").expect("login");
    for round in 1..=3 {
        let mut reader = ftp.retr("big").expect("retr");
        let mut first = vec![0; 100_000];
        reader.read_exact(&mut first).expect("read");
        reader.abort().expect("abort");
        ftp.noop().expect("the session goes on");
        assert_eq!(
            server.stats().aborts(),
            round,
            "ended by ABOR, round {round}"
        );
    }
}
