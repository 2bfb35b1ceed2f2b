//! The scripted server's steps over plain TCP, driven by a raw client.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::{Client, Conn, T, finish_upload, read_all};
use ftp_test_server::{Script, Server, UploadEnd};

#[test]
fn login_epsv_retr() {
    let server = Server::start(
        Script::new()
            .greet()
            .login("alice", "secret")
            .epsv_download("RETR", &b"hello world"[..])
            .quit()
            .expect_close(),
    );
    let mut c = Client::connect(server.addr());
    c.login("alice", "secret");
    let mut data = c.epsv();
    c.cmd("RETR a.txt", "150");
    assert_eq!(read_all(&mut data).unwrap(), b"hello world");
    c.expect("226");
    c.quit();
    drop(c);
    let log = server.finish();
    assert_eq!(
        log.commands,
        ["USER alice", "PASS secret", "EPSV", "RETR a.txt", "QUIT"]
    );
    assert_eq!(log.data_peers.len(), 1);
    assert!(log.data_tls.is_empty());
}

#[test]
fn upload_is_logged() {
    let server = Server::start(
        Script::new()
            .greet()
            .login("u", "p")
            .epsv_upload("STOR")
            .quit(),
    );
    let mut c = Client::connect(server.addr());
    c.login("u", "p");
    let mut data = c.epsv();
    c.cmd("STOR up.bin", "150");
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    data.write_all(&payload).unwrap();
    finish_upload(data);
    c.expect("226");
    c.quit();
    let log = server.finish();
    assert_eq!(log.uploads.len(), 1);
    assert_eq!(log.uploads[0].bytes, payload);
    assert_eq!(log.uploads[0].end, UploadEnd::Fin);
}

#[test]
fn pasv_download_and_foreign_address() {
    let server = Server::start(
        Script::new()
            .greet()
            .pasv_download("LIST", &b"a\r\nb\r\n"[..])
            .expect_prefix("PASV")
            .pasv_foreign(Ipv4Addr::new(127, 0, 0, 2))
            .expect("NLST")
            .reply("150 here")
            .accept_data()
            .data_send(&b"x\r\n"[..])
            .data_close()
            .reply("226 done"),
    );
    let mut c = Client::connect(server.addr());
    c.expect("220");
    let addr = c.pasv_addr();
    assert_eq!(addr.ip(), server.addr().ip());
    let mut data = Conn::Plain(TcpStream::connect(addr).unwrap());
    c.cmd("LIST", "150");
    assert_eq!(read_all(&mut data).unwrap(), b"a\r\nb\r\n");
    c.expect("226");
    // The second 227 says 127.0.0.2: a good client dials the control peer instead.
    let advertised = c.pasv_addr();
    assert_eq!(advertised.ip(), Ipv4Addr::new(127, 0, 0, 2));
    let mut data = Conn::Plain(
        TcpStream::connect(SocketAddr::new(server.addr().ip(), advertised.port())).unwrap(),
    );
    c.cmd("NLST", "150");
    assert_eq!(read_all(&mut data).unwrap(), b"x\r\n");
    c.expect("226");
    server.finish();
}

#[test]
fn foreign_pasv_address_dialed_is_reported() {
    let mut server = Server::start(
        Script::new()
            .timeout(Duration::from_secs(2))
            .greet()
            .expect("PASV")
            .pasv_foreign(Ipv4Addr::new(127, 0, 0, 2))
            .accept_data(),
    );
    let mut c = Client::connect(server.addr());
    c.expect("220");
    let advertised = c.pasv_addr();
    // A naive client trusts the 227 address.
    let _data = TcpStream::connect(advertised).unwrap();
    let err = server.try_finish().unwrap_err();
    assert!(
        err.contains("dialed the address advertised in 227"),
        "{err}"
    );
}

#[test]
fn active_mode_port_and_eprt() {
    let server = Server::start(
        Script::new()
            .greet()
            .active_download("RETR", &b"active v4"[..])
            .active_download("RETR", &b"via eprt"[..]),
    );
    let mut c = Client::connect(server.addr());
    c.expect("220");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    c.cmd(
        &format!("PORT 127,0,0,1,{},{}", port >> 8, port & 0xff),
        "200",
    );
    c.cmd("RETR a", "150");
    let (mut data, peer) = listener.accept().unwrap();
    assert_eq!(peer.ip(), server.addr().ip());
    let mut got = Vec::new();
    data.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"active v4");
    c.expect("226");

    c.cmd(&format!("EPRT |1|127.0.0.1|{port}|"), "200");
    c.cmd("RETR b", "150");
    let (mut data, _) = listener.accept().unwrap();
    let mut got = Vec::new();
    data.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"via eprt");
    c.expect("226");
    let log = server.finish();
    assert_eq!(log.data_peers[0], listener.local_addr().unwrap());
}

#[test]
fn active_connection_from_another_ip() {
    let server = Server::start(
        Script::new()
            .greet()
            .expect_prefix("EPRT")
            .reply("200 ok")
            .connect_active_from("127.0.0.2".parse().unwrap()),
    );
    let mut c = Client::connect(server.addr());
    c.expect("220");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    c.cmd(&format!("EPRT |1|127.0.0.1|{port}|"), "200");
    let (_data, peer) = listener.accept().unwrap();
    assert_eq!(peer.ip(), Ipv4Addr::new(127, 0, 0, 2));
    server.finish();
}

#[test]
fn ipv6_epsv() {
    let Ok(server) = Server::start_on(
        "::1".parse().unwrap(),
        Script::new()
            .greet()
            .epsv_download("RETR", &b"six"[..])
            .quit(),
    ) else {
        eprintln!("no IPv6 loopback here; skipped");
        return;
    };
    assert!(server.addr().is_ipv6());
    let mut c = Client::connect(server.addr());
    c.expect("220");
    let mut data = c.epsv();
    c.cmd("RETR x", "150");
    assert_eq!(read_all(&mut data).unwrap(), b"six");
    c.expect("226");
    c.quit();
    server.finish();
}

#[test]
fn step_timeout_names_the_step() {
    let start = Instant::now();
    let mut server = Server::start(
        Script::new()
            .timeout(Duration::from_millis(300))
            .greet()
            .expect("USER alice"),
    );
    let mut c = Client::connect(server.addr());
    c.expect("220");
    c.conn().write_all(b"USE").unwrap(); // a partial line, then silence
    let err = server.try_finish().unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(err.contains("step 2 of 2"), "{err}");
    assert!(err.contains("expect \"USER alice\""), "{err}");
    assert!(err.contains("timed out"), "{err}");
    assert!(err.contains("\"USE\""), "{err}");
}

#[test]
#[should_panic(expected = "expected command \"USER alice\", received \"USER bob\"")]
fn wrong_command_panics_in_finish() {
    let server = Server::start(Script::new().greet().login("alice", "x"));
    let mut c = Client::connect(server.addr());
    c.expect("220");
    c.send("USER bob");
    server.finish();
}

#[test]
fn no_client_at_all_times_out() {
    let mut server = Server::start(Script::new().timeout(Duration::from_millis(100)).greet());
    let err = server.try_finish().unwrap_err();
    assert!(err.contains("waiting for the client to connect"), "{err}");
}

#[test]
fn data_reset_and_early_226() {
    let server = Server::start(
        Script::new()
            .greet()
            // 226 before the data even started, then the data, then EOF.
            .expect("EPSV")
            .epsv()
            .expect("RETR early")
            .reply("150 go")
            .reply("226 done already")
            .accept_data()
            .data_send_slowly(&b"0123456789"[..], 3, Duration::from_millis(20))
            .data_close()
            // Reset mid-download.
            .expect("EPSV")
            .epsv()
            .expect("RETR reset")
            .reply("150 go")
            .accept_data()
            .data_send(&b"partial"[..])
            // A reset discards what the client has not read yet: wait until it says it has.
            .expect("NOOP")
            .data_reset()
            .reply("426 broken"),
    );
    let mut c = Client::connect(server.addr());
    c.expect("220");
    let mut data = c.epsv();
    c.cmd("RETR early", "150");
    c.expect("226");
    assert_eq!(read_all(&mut data).unwrap(), b"0123456789");

    let mut data = c.epsv();
    c.cmd("RETR reset", "150");
    let mut got = vec![0u8; 7];
    data.read_exact(&mut got).unwrap();
    c.send("NOOP");
    let mut buf = [0u8; 64];
    let err = loop {
        match data.read(&mut buf) {
            Ok(0) => panic!("clean EOF after a reset"),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    assert_eq!(got, b"partial");
    c.expect("426");
    server.finish();
}

#[test]
fn drip_giant_line_and_control_reset() {
    let server = Server::start(
        Script::new()
            .drip(&b"220 slow\r\n"[..], Duration::from_millis(5))
            .send(vec![b'x'; 1 << 20])
            .send(&b"\r\n"[..])
            .expect("NOOP")
            .reset_control(),
    );
    let mut c = Client::connect(server.addr());
    assert_eq!(c.line(), "220 slow");
    assert_eq!(c.line().len(), 1 << 20);
    c.send("NOOP");
    let err = c.try_line().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    server.finish();
}

#[test]
fn endless_reply_stops_when_the_client_leaves() {
    let server = Server::start(
        Script::new()
            .send("220-endless\r\n")
            .send_until_closed(&b"more lines, never the end\r\n"[..], 64 << 20),
    );
    let mut c = Client::connect(server.addr());
    for _ in 0..1000 {
        c.line();
    }
    drop(c);
    server.finish();
}

#[test]
fn custom_step_and_close_control() {
    let server = Server::start(
        Script::new()
            .step("say hello with the peer address", |s| {
                let peer = s.peer_addr();
                s.reply(&format!("220 hello {peer}"))
            })
            .expect_any()
            .close_control(),
    );
    let mut c = Client::connect(server.addr());
    let line = c.line();
    assert!(line.contains("127.0.0.1"), "{line}");
    c.send("NOOP");
    let mut rest = Vec::new();
    c.conn().read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    let log = server.finish();
    assert_eq!(log.commands, ["NOOP"]);
}

#[test]
fn accept_timeout_when_client_never_connects() {
    let mut server = Server::start(
        Script::new()
            .timeout(Duration::from_millis(200))
            .greet()
            .expect("EPSV")
            .epsv()
            .accept_data(),
    );
    let mut c = Client::connect(server.addr());
    c.expect("220");
    c.cmd("EPSV", "229");
    let err = server.try_finish().unwrap_err();
    assert!(err.contains("data connection"), "{err}");
    let _ = T;
}

#[test]
fn reset_mid_upload() {
    let server = Server::start(
        Script::new()
            .greet()
            .expect("EPSV")
            .epsv()
            .expect("STOR x")
            .reply("150 go")
            .accept_data()
            .data_receive_exact(1000)
            .data_reset()
            .reply("426 broken"),
    );
    let mut c = Client::connect(server.addr());
    c.expect("220");
    let mut data = c.epsv();
    c.cmd("STOR x", "150");
    let chunk = [5u8; 1000];
    let err = loop {
        if let Err(e) = data.write_all(&chunk) {
            break e;
        }
    };
    assert!(
        matches!(
            err.kind(),
            ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
        ),
        "{err}"
    );
    c.expect("426");
    let log = server.finish();
    assert_eq!(log.uploads[0].bytes, [5u8; 1000]);
    assert_eq!(log.uploads[0].end, UploadEnd::Partial);
}
