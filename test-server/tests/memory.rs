//! The in-memory FTP server, driven by the raw client.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use common::{Client, Conn, finish_download, finish_upload, read_all};
use ftp_test_server::rustls::ClientConnection;
use ftp_test_server::rustls::pki_types::ServerName;
use ftp_test_server::{Leaf, MemoryServer, TestPki};

fn get(c: &mut Client, cmd: &str) -> Vec<u8> {
    let mut data = c.epsv();
    c.cmd(cmd, "150");
    let got = read_all(&mut data).unwrap();
    c.expect("226");
    got
}

fn put(c: &mut Client, cmd: &str, bytes: &[u8]) -> String {
    let mut data = c.epsv();
    let line = c.cmd(cmd, "150");
    data.write_all(bytes).unwrap();
    finish_upload(data);
    c.expect("226");
    line
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

/// Reads a multi-line reply whose first line was already read; returns all lines.
fn rest_of_multi(c: &mut Client, first: String) -> Vec<String> {
    let code = first[..3].to_owned();
    let mut lines = vec![first];
    while !lines.last().unwrap().starts_with(&format!("{code} ")) {
        lines.push(c.line());
    }
    lines
}

#[test]
fn a_whole_session() {
    let server = MemoryServer::start();
    server.fs().put("/pub/readme.txt", "hello\n");
    let mut c = Client::connect(server.addr());
    c.expect("220");
    c.cmd("PWD", "530");
    c.cmd("USER user", "331");
    c.cmd("PASS wrong", "530");
    c.cmd("USER user", "331");
    c.cmd("PASS pass", "230");
    c.cmd("SYST", "215");
    let feat = c.cmd("FEAT", "211-");
    let feat = rest_of_multi(&mut c, feat);
    assert!(feat.iter().any(|l| l == " MLST type*;size*;modify*;perm*;"));
    assert!(feat.iter().any(|l| l == " REST STREAM"));
    assert!(
        !feat.iter().any(|l| l.contains("AUTH TLS")),
        "no TLS configured"
    );
    c.cmd("OPTS UTF8 ON", "200");
    c.cmd("TYPE I", "200");
    assert_eq!(c.cmd("PWD", "257"), "257 \"/\" is the current directory");
    c.cmd("MKD dir with space", "257");
    c.cmd("CWD dir with space", "250");
    assert!(c.cmd("PWD", "257").contains("\"/dir with space\""));
    put(&mut c, "STOR ünïcode.bin", b"0123456789");
    c.cmd("SIZE ünïcode.bin", "213 10");
    c.cmd("REST 4", "350");
    assert_eq!(get(&mut c, "RETR ünïcode.bin"), b"456789");
    c.cmd("REST 5", "350");
    put(&mut c, "STOR ünïcode.bin", b"abc");
    assert_eq!(
        server.fs().get("/dir with space/ünïcode.bin").unwrap(),
        b"01234abc"
    );
    put(&mut c, "APPE ünïcode.bin", b"!");
    assert_eq!(get(&mut c, "RETR ünïcode.bin"), b"01234abc!");
    let stou = put(&mut c, "STOU", b"unique");
    assert!(stou.starts_with("150 FILE: stou."), "{stou}");
    c.cmd("MFMT 20200102030405 ünïcode.bin", "213");
    c.cmd("MDTM ünïcode.bin", "213 20200102030405");
    let list = text(get(&mut c, "LIST"));
    assert!(list.contains(" Jan  2  2020 ünïcode.bin\r\n"), "{list}");
    assert!(list.starts_with("-rw-r--r-- 1 ftp ftp"), "{list}");
    let nlst = text(get(&mut c, "NLST"));
    assert_eq!(nlst, "stou.1\r\nünïcode.bin\r\n");
    let mlsd = text(get(&mut c, "MLSD"));
    assert!(
        mlsd.contains("type=file;size=9;modify=20200102030405;perm=adfrw; ünïcode.bin\r\n"),
        "{mlsd}"
    );
    let mlst = c.cmd("MLST ünïcode.bin", "250-");
    let mlst = rest_of_multi(&mut c, mlst);
    assert_eq!(
        mlst[1],
        " type=file;size=9;modify=20200102030405;perm=adfrw; /dir with space/ünïcode.bin"
    );
    c.cmd("RNFR ünïcode.bin", "350");
    c.cmd("RNTO renamed", "250");
    c.cmd("DELE ünïcode.bin", "550");
    c.cmd("DELE renamed", "250");
    c.cmd("DELE stou.1", "250");
    c.cmd("CDUP", "250");
    c.cmd("RMD dir with space", "250");
    c.cmd("RMD pub", "550");
    let stat = c.cmd("STAT", "211-");
    rest_of_multi(&mut c, stat);
    let stat = c.cmd("STAT pub", "213-");
    let stat = rest_of_multi(&mut c, stat);
    assert!(stat[1].ends_with(" readme.txt"), "{stat:?}");
    let help = c.cmd("HELP", "214-");
    rest_of_multi(&mut c, help);
    c.cmd("SITE CHMOD 644 pub/readme.txt", "200");
    c.cmd("ABOR", "225");
    c.cmd("NOOP", "200");
    c.cmd("XYZZY", "502");
    c.cmd("RETR missing", "550");
    c.quit();
    assert_eq!(server.fs().list("/"), ["pub"]);
    assert_eq!(server.stats().sessions(), 1);
}

#[test]
fn anonymous_pasv_and_active() {
    let server = MemoryServer::start();
    server.fs().put("f", "data");
    let mut c = Client::connect(server.addr());
    c.login("anonymous", "guest@");
    let addr = c.pasv_addr();
    let mut data = Conn::Plain(std::net::TcpStream::connect(addr).unwrap());
    c.cmd("RETR f", "150");
    assert_eq!(read_all(&mut data).unwrap(), b"data");
    c.expect("226");

    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    c.cmd(&format!("EPRT |1|127.0.0.1|{port}|"), "200");
    c.cmd("RETR f", "150");
    let (mut s, _) = l.accept().unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"data");
    c.expect("226");
    c.cmd(
        &format!("PORT 10,0,0,1,{},{}", port >> 8, port & 0xff),
        "500",
    );
    c.quit();
}

#[test]
fn abort_mid_download_keeps_the_session() {
    let server = MemoryServer::start();
    server.fs().put("big", vec![9u8; 32 << 20]);
    let mut c = Client::connect(server.addr());
    c.login("user", "pass");
    let mut data = c.epsv();
    c.cmd("RETR big", "150");
    let mut buf = vec![0u8; 64 * 1024];
    data.read_exact(&mut buf).unwrap();
    c.send("ABOR");
    c.expect("426");
    c.expect("226");
    drop(data);
    c.cmd("NOOP", "200");
    assert_eq!(get(&mut c, "RETR big").len(), 32 << 20);
    c.quit();
    assert_eq!(server.stats().aborts(), 1);
}

#[test]
fn tls_with_required_session_reuse() {
    let pki = TestPki::new();
    let server = MemoryServer::builder()
        .tls(pki.server_config(Leaf::Valid))
        .require_session_reuse(true)
        .start()
        .unwrap();
    server.fs().put("f", "secret");
    let config = pki.client_config();
    let mut c = Client::connect(server.addr());
    c.expect("220");
    let feat = c.cmd("FEAT", "211-");
    assert!(rest_of_multi(&mut c, feat).iter().any(|l| l == " AUTH TLS"));
    c.cmd("PROT P", "503");
    c.cmd("AUTH TLS", "234");
    let (conn, _) = c.conn.take().unwrap().upgrade(&config).unwrap();
    c.conn = Some(conn);
    // Made before any reply was read after the handshake: it has no ticket, so it cannot resume.
    let early =
        ClientConnection::new(config.clone(), ServerName::try_from("localhost").unwrap()).unwrap();
    c.cmd("PBSZ 0", "200");
    c.cmd("PROT P", "200");
    c.cmd("USER user", "331");
    c.cmd("PASS pass", "230");

    let data = c.epsv();
    c.cmd("RETR f", "150");
    let mut data = data.upgrade_lazy(early);
    let _ = read_all(&mut data);
    c.expect("522");

    for _ in 0..3 {
        let data = c.epsv();
        c.cmd("RETR f", "150");
        let (mut data, _) = data.upgrade(&config).unwrap();
        assert_eq!(read_all(&mut data).unwrap(), b"secret");
        finish_download(data);
        c.expect("226");
        let data = c.epsv();
        c.cmd("STOR up", "150");
        let (mut data, _) = data.upgrade(&config).unwrap();
        data.write_all(b"uploaded").unwrap();
        finish_upload(data);
        c.expect("226");
    }
    let list = c.epsv();
    c.cmd("NLST", "150");
    let (mut list, _) = list.upgrade(&config).unwrap();
    assert_eq!(read_all(&mut list).unwrap(), b"f\r\nup\r\n");
    finish_download(list);
    c.expect("226");
    c.quit();
    assert_eq!(server.fs().get("up").unwrap(), b"uploaded");
    assert_eq!(server.stats().refused_no_reuse(), 1);
    assert_eq!(server.stats().data_tls_resumed(), 7);
}

#[test]
fn fifty_concurrent_sessions() {
    let server = MemoryServer::start();
    let addr = server.addr();
    let workers: Vec<_> = (0..50)
        .map(|i| {
            thread::spawn(move || {
                let mut c = Client::connect(addr);
                c.login("user", "pass");
                let body = format!("file {i}").repeat(1000);
                put(&mut c, &format!("STOR f{i}"), body.as_bytes());
                assert_eq!(get(&mut c, &format!("RETR f{i}")), body.as_bytes());
                c.quit();
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(server.fs().list("/").len(), 50);
    assert_eq!(server.stats().sessions(), 50);
    // Sessions end on their own after QUIT.
    for _ in 0..500 {
        if server.stats().active_sessions() == 0 {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(server.stats().active_sessions(), 0);
}
