//! The cipher suite a server that follows the client's order (OpenSSL's default, as in
//! vsftpd and proftpd; rustls's too) settles on with ftp-core's TLS configs: AES-128-GCM,
//! which costs both ends less CPU per byte than ring's first choice, AES-256-GCM.

use std::sync::Arc;

use ftp_core::tls::TlsConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{CipherSuite, ClientConnection, ConnectionCommon, ServerConfig, ServerConnection};

/// A server with a self-signed certificate for `localhost` and rustls's (ring's) default
/// suites, which honours the client's order; and that certificate.
fn server() -> (Arc<ServerConfig>, CertificateDer<'static>) {
    let key = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert = key.cert.der().clone();
    let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.key_pair.serialize_der()));
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], private)
            .unwrap();
    assert!(!config.ignore_client_order);
    (Arc::new(config), cert)
}

/// Moves every TLS record `from` has to send into `to`.
fn send<A, B>(from: &mut ConnectionCommon<A>, to: &mut ConnectionCommon<B>) {
    let mut records = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut records).unwrap();
    }
    let mut rest = &records[..];
    while !rest.is_empty() {
        to.read_tls(&mut rest).unwrap();
        to.process_new_packets().unwrap();
    }
}

/// Moves TLS records between the two ends in memory until both finish the handshake.
fn handshake(client: &mut ClientConnection, server: &mut ServerConnection) {
    for _ in 0..10 {
        send(client, server);
        send(server, client);
        if !client.is_handshaking() && !server.is_handshaking() {
            return;
        }
    }
    panic!("the handshake did not finish");
}

fn negotiated(tls: TlsConfig, server_config: Arc<ServerConfig>) -> CipherSuite {
    let session = tls.session("localhost").unwrap();
    let mut client = session.connection().unwrap();
    let mut server = ServerConnection::new(server_config).unwrap();
    handshake(&mut client, &mut server);
    let suite = server.negotiated_cipher_suite().unwrap().suite();
    assert_eq!(client.negotiated_cipher_suite().unwrap().suite(), suite);
    suite
}

#[test]
fn tls13_settles_on_aes_128_gcm() {
    let (server_config, cert) = server();
    let tls = TlsConfig::dangerous_pinned_certificate(cert);
    assert_eq!(
        negotiated(tls, server_config),
        CipherSuite::TLS13_AES_128_GCM_SHA256
    );
}

#[test]
fn tls12_settles_on_aes_128_gcm() {
    let (server_config, cert) = server();
    let tls = TlsConfig::dangerous_pinned_certificate(cert).tls12_only();
    assert_eq!(
        negotiated(tls, server_config),
        // rcgen's default key is ECDSA P-256.
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    );
}
