//! TLS on control and data connections, session resumption as the log sees it, and the PKI's bad leaves.

mod common;

use std::io::{ErrorKind, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use common::{Client, Conn, T, finish_download, finish_upload, read_all};
use ftp_test_server::rustls::pki_types::ServerName;
use ftp_test_server::rustls::{ClientConnection, HandshakeKind, ServerConfig};
use ftp_test_server::{Leaf, Script, Server, ServerTlsOptions, TestPki, UploadEnd};

/// The client's side of one TLS download: EPSV, command, 150, handshake, read to the end, 226.
fn tls_download(c: &mut Client, config: &Arc<ftp_test_server::rustls::ClientConfig>) -> Vec<u8> {
    let data = c.epsv();
    c.cmd("RETR f", "150");
    let (mut data, _) = data.upgrade(config).unwrap();
    let got = read_all(&mut data).unwrap();
    finish_download(data);
    c.expect("226");
    got
}

fn tls_upload(c: &mut Client, config: &Arc<ftp_test_server::rustls::ClientConfig>, bytes: &[u8]) {
    let data = c.epsv();
    c.cmd("STOR f", "150");
    let (mut data, _) = data.upgrade(config).unwrap();
    data.write_all(bytes).unwrap();
    finish_upload(data);
    c.expect("226");
}

fn resumption_script(config: Arc<ServerConfig>) -> Script {
    Script::new()
        .tls(config)
        .greet()
        .auth_tls()
        .login("alice", "pw")
        .epsv_download_tls("RETR", &b"first"[..])
        .epsv_upload_tls("STOR")
        .epsv_download_tls("RETR", vec![7u8; 300_000])
        .epsv_upload_tls("STOR")
        .quit()
}

fn run_resumption(options: ServerTlsOptions) -> ftp_test_server::Log {
    let pki = TestPki::new();
    let server = Server::start(resumption_script(
        pki.server_config_with(Leaf::Valid, options),
    ));
    let config = pki.client_config();
    let mut c = Client::connect(server.addr());
    c.expect("220");
    assert_eq!(c.auth_tls(&config), HandshakeKind::Full);
    c.cmd("USER alice", "331");
    c.cmd("PASS pw", "230");
    assert_eq!(tls_download(&mut c, &config), b"first");
    tls_upload(&mut c, &config, b"uploaded over TLS");
    assert_eq!(tls_download(&mut c, &config), vec![7u8; 300_000]);
    tls_upload(&mut c, &config, &[1u8; 100_000]);
    c.quit();
    server.finish()
}

#[test]
fn data_connections_resume_the_control_session_tls13_stateful() {
    let log = run_resumption(ServerTlsOptions::default());
    assert_eq!(log.control_tls, Some(HandshakeKind::Full));
    assert_eq!(log.data_resumed(), [true; 4]);
    assert_eq!(log.uploads.len(), 2);
    assert_eq!(log.uploads[0].bytes, b"uploaded over TLS");
    assert_eq!(log.uploads[0].end, UploadEnd::CloseNotify);
    assert_eq!(log.uploads[1].bytes, vec![1u8; 100_000]);
    assert_eq!(
        log.commands,
        [
            "AUTH TLS",
            "PBSZ 0",
            "PROT P",
            "USER alice",
            "PASS pw",
            "EPSV",
            "RETR f",
            "EPSV",
            "STOR f",
            "EPSV",
            "RETR f",
            "EPSV",
            "STOR f",
            "QUIT"
        ]
    );
}

#[test]
fn data_connections_resume_with_stateless_tickets() {
    let log = run_resumption(ServerTlsOptions {
        stateless_tickets: true,
        ..ServerTlsOptions::default()
    });
    assert_eq!(log.data_resumed(), [true; 4]);
}

#[test]
fn data_connections_resume_under_tls12() {
    let log = run_resumption(ServerTlsOptions {
        tls12_only: true,
        ..ServerTlsOptions::default()
    });
    assert_eq!(log.data_resumed(), [true; 4]);
}

/// FIELD-NOTES point 3: under TLS 1.3 the tickets arrive after the handshake, so a data connection built
/// before any control reply was read has none to use and does a full handshake. The log shows it.
#[test]
fn data_connection_built_too_early_does_not_resume() {
    let pki = TestPki::new();
    let server = Server::start(
        Script::new()
            .tls(pki.server_config(Leaf::Valid))
            .greet()
            .auth_tls()
            .epsv_download_tls("RETR", &b"x"[..]),
    );
    let config = pki.client_config();
    let mut c = Client::connect(server.addr());
    c.expect("220");
    c.cmd("AUTH TLS", "234");
    let (conn, _) = c.conn.take().unwrap().upgrade(&config).unwrap();
    c.conn = Some(conn);
    // Built now, before reading anything after the handshake: no ticket yet.
    let early =
        ClientConnection::new(config.clone(), ServerName::try_from("localhost").unwrap()).unwrap();
    c.cmd("PBSZ 0", "200");
    c.cmd("PROT P", "200");
    let data = c.epsv();
    c.cmd("RETR f", "150");
    let mut data = data.upgrade_lazy(early);
    assert_eq!(read_all(&mut data).unwrap(), b"x");
    assert_eq!(data.handshake_kind(), Some(HandshakeKind::Full));
    finish_download(data);
    c.expect("226");
    let log = server.finish();
    assert_eq!(log.data_resumed(), [false]);
}

/// FIELD-NOTES point 7 (proftpd 1.3.8): a server issuing no ticket on upload data connections. The two
/// tickets from the control handshake are spent by two uploads; the third gets a full handshake.
#[test]
fn upload_configs_without_tickets_exhaust_the_client() {
    let pki = TestPki::new();
    let base = pki.server_config(Leaf::Valid);
    let mut no_tickets = (*base).clone();
    no_tickets.send_tls13_tickets = 0;
    let no_tickets = Arc::new(no_tickets);
    let mut script = Script::new().tls(base).greet().auth_tls();
    for _ in 0..3 {
        script = script
            .expect("EPSV")
            .epsv()
            .expect_prefix("STOR")
            .reply("150 go")
            .accept_data()
            .start_tls_data_with(no_tickets.clone())
            .data_receive()
            .data_close()
            .reply("226 ok");
    }
    let server = Server::start(script);
    let config = pki.client_config();
    let mut c = Client::connect(server.addr());
    c.expect("220");
    c.auth_tls(&config);
    for _ in 0..3 {
        tls_upload(&mut c, &config, b"data");
    }
    let log = server.finish();
    assert_eq!(log.data_resumed(), [true, true, false]);
}

#[test]
fn download_without_close_notify_is_unclean() {
    let pki = TestPki::new();
    let server = Server::start(
        Script::new()
            .tls(pki.server_config(Leaf::Valid))
            .greet()
            .auth_tls()
            .expect("EPSV")
            .epsv()
            .expect("RETR f")
            .reply("150 go")
            .accept_data()
            .start_tls_data()
            .data_send(&b"truncated?"[..])
            .data_close_without_close_notify()
            .reply("226 ok"),
    );
    let config = pki.client_config();
    let mut c = Client::connect(server.addr());
    c.expect("220");
    c.auth_tls(&config);
    let data = c.epsv();
    c.cmd("RETR f", "150");
    let (mut data, kind) = data.upgrade(&config).unwrap();
    assert_eq!(kind, HandshakeKind::Resumed);
    let err = read_all(&mut data).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    c.expect("226");
    server.finish();
}

#[test]
fn ipv6_tls_resumes() {
    let pki = TestPki::new();
    let Ok(server) = Server::start_on(
        "::1".parse().unwrap(),
        Script::new()
            .tls(pki.server_config(Leaf::Valid))
            .greet()
            .auth_tls()
            .epsv_download_tls("RETR", &b"v6"[..]),
    ) else {
        eprintln!("no IPv6 loopback here; skipped");
        return;
    };
    let config = pki.client_config();
    let mut c = Client::connect(server.addr());
    c.expect("220");
    c.auth_tls(&config);
    assert_eq!(tls_download(&mut c, &config), b"v6");
    assert_eq!(server.finish().data_resumed(), [true]);
}

/// The client's error for a handshake against a server presenting `leaf`, as rustls words it.
fn client_error_for(leaf: Leaf) -> String {
    let pki = TestPki::new();
    let server = Server::start(
        Script::new()
            .tls(pki.server_config(leaf))
            .greet()
            .expect("AUTH TLS")
            .reply("234 go")
            .start_tls_control_expect_failure(),
    );
    let config = pki.client_config();
    let mut c = Client::connect(server.addr());
    c.expect("220");
    c.cmd("AUTH TLS", "234");
    let err = match c.conn.take().unwrap().upgrade(&config) {
        Ok(_) => panic!("{leaf:?} leaf passed verification"),
        Err(e) => e,
    };
    let log = server.finish();
    assert!(
        log.notes[0].contains("failed as expected"),
        "{:?}",
        log.notes
    );
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<ftp_test_server::rustls::Error>())
        .unwrap_or_else(|| panic!("not a rustls error: {err}"));
    format!("{inner:?}")
}

#[test]
fn bad_leaves_fail_verification() {
    let wrong = client_error_for(Leaf::WrongName);
    assert!(wrong.contains("NotValidForName"), "{wrong}");
    let expired = client_error_for(Leaf::Expired);
    assert!(expired.contains("Expired"), "{expired}");
    let self_signed = client_error_for(Leaf::SelfSigned);
    assert!(self_signed.contains("UnknownIssuer"), "{self_signed}");
}

#[test]
fn valid_leaf_verifies_by_name_and_by_ip() {
    let pki = TestPki::new();
    let server_config = pki.server_config(Leaf::Valid);
    for name in ["localhost", "127.0.0.1"] {
        let server = Server::start(
            Script::new()
                .tls(server_config.clone())
                .start_tls_control()
                .reply("220 over TLS"),
        );
        let mut tcp = TcpStream::connect_timeout(&server.addr(), T).unwrap();
        tcp.set_read_timeout(Some(T)).unwrap();
        let mut conn = ClientConnection::new(
            pki.client_config(),
            ServerName::try_from(name.to_owned()).unwrap(),
        )
        .unwrap();
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp).unwrap();
        }
        let mut c = Client {
            conn: Some(Conn::Tls(Box::new(
                ftp_test_server::rustls::StreamOwned::new(conn, tcp),
            ))),
            peer: server.addr(),
        };
        c.expect("220");
        server.finish();
    }
    assert!(pki.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(!pki.ca_der().is_empty());
    let _ = Duration::ZERO;
}

/// Under TLS 1.2 the session is stored when the handshake ends, so even a data connection built right
/// after the control handshake resumes (the TLS 1.3 trap above does not exist there).
#[test]
fn tls12_early_data_connection_resumes() {
    let pki = TestPki::new();
    let server = Server::start(
        Script::new()
            .tls(pki.server_config_with(
                Leaf::Valid,
                ServerTlsOptions {
                    tls12_only: true,
                    ..ServerTlsOptions::default()
                },
            ))
            .greet()
            .auth_tls()
            .epsv_download_tls("RETR", &b"x"[..]),
    );
    let config = pki.client_config();
    let mut c = Client::connect(server.addr());
    c.expect("220");
    c.cmd("AUTH TLS", "234");
    let (conn, _) = c.conn.take().unwrap().upgrade(&config).unwrap();
    c.conn = Some(conn);
    let early =
        ClientConnection::new(config.clone(), ServerName::try_from("localhost").unwrap()).unwrap();
    c.cmd("PBSZ 0", "200");
    c.cmd("PROT P", "200");
    let data = c.epsv();
    c.cmd("RETR f", "150");
    let mut data = data.upgrade_lazy(early);
    assert_eq!(read_all(&mut data).unwrap(), b"x");
    finish_download(data);
    c.expect("226");
    assert_eq!(server.finish().data_resumed(), [true]);
}

/// FIELD-NOTES point 6: a client that ends an upload without reading its data connection to EOF never
/// sees the tickets the server sent there; once the control handshake's two are spent, it cannot resume.
#[test]
fn uploads_that_skip_the_final_read_run_out_of_tickets() {
    let pki = TestPki::new();
    let mut script = Script::new()
        .tls(pki.server_config(Leaf::Valid))
        .greet()
        .auth_tls();
    for _ in 0..3 {
        script = script.epsv_upload_tls("STOR");
    }
    let server = Server::start(script);
    let config = pki.client_config();
    let mut c = Client::connect(server.addr());
    c.expect("220");
    c.auth_tls(&config);
    for _ in 0..3 {
        let data = c.epsv();
        c.cmd("STOR f", "150");
        let (mut data, _) = data.upgrade(&config).unwrap();
        data.write_all(b"naive").unwrap();
        if let Conn::Tls(s) = &mut data {
            s.conn.send_close_notify();
            s.flush().unwrap();
        }
        data.tcp().shutdown(std::net::Shutdown::Write).unwrap();
        drop(data); // no read to EOF: the tickets sent on this connection are never processed
        c.expect("226");
    }
    assert_eq!(server.finish().data_resumed(), [true, true, false]);
}
