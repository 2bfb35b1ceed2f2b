//! A throwaway TLS PKI made at test time: one CA and leaf certificates of several kinds.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::ServerSessionMemoryCache;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// Which leaf certificate a server config presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Leaf {
    /// Signed by the CA, valid now, SAN `DNS:localhost`, `IP:127.0.0.1`, `IP:::1`.
    Valid,
    /// Signed by the CA, valid now, but its only SAN is `DNS:other.invalid`.
    WrongName,
    /// Signed by the CA with the right names, but `not_after` is in the past.
    Expired,
    /// The right names and dates, but self-signed: not issued by the CA.
    SelfSigned,
}

/// How a server config lets clients resume sessions.
///
/// Every choice keeps resumption observable: the data connection of a client that resumes the control
/// session completes with [`rustls::HandshakeKind::Resumed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerTlsOptions {
    /// Offer TLS 1.2 only (resumption by session id). Default: TLS 1.2 and 1.3.
    pub tls12_only: bool,
    /// Issue stateless tickets (encrypted by a ring ticketer) instead of keeping sessions in a server-side
    /// cache. Default: `false` (stateful cache, as vsftpd and proftpd do with OpenSSL).
    pub stateless_tickets: bool,
    /// How many TLS 1.3 tickets the server sends after each full or resumed handshake (rustls' default is 2).
    /// Set it to 0 on a data-connection config to mimic proftpd 1.3.8 uploads, which issue no new ticket.
    pub tls13_tickets: usize,
}

impl Default for ServerTlsOptions {
    fn default() -> Self {
        Self {
            tls12_only: false,
            stateless_tickets: false,
            tls13_tickets: 2,
        }
    }
}

/// A CA made at test time with rcgen, and leaf certificates signed by it on demand.
///
/// ```
/// use ftp_test_server::{Leaf, TestPki};
/// let pki = TestPki::new();
/// let server = pki.server_config(Leaf::Valid); // for `Script::tls`
/// let client = pki.client_config(); // trusts the CA, has its own resumption store
/// # let _ = (server, client);
/// ```
pub struct TestPki {
    ca_cert: rcgen::Certificate,
    ca_key: KeyPair,
}

impl std::fmt::Debug for TestPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPki").finish_non_exhaustive()
    }
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}

/// The names a valid leaf carries.
const GOOD_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

impl TestPki {
    /// Makes a fresh CA (ECDSA P-256, `CA:TRUE`). Panics only if key generation fails.
    pub fn new() -> Self {
        let ca_key = KeyPair::generate().expect("generate CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params
            .distinguished_name
            .push(DnType::CommonName, "ftp-test-server test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = params.self_signed(&ca_key).expect("self-sign CA");
        Self { ca_cert, ca_key }
    }

    /// The CA certificate in DER, for a client's root store.
    pub fn ca_der(&self) -> CertificateDer<'static> {
        self.ca_cert.der().clone()
    }

    /// The CA certificate in PEM, for clients configured from a file or string.
    pub fn ca_pem(&self) -> String {
        self.ca_cert.pem()
    }

    /// A root store holding only this PKI's CA.
    pub fn root_store(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots
            .add(self.ca_der())
            .expect("CA is a valid trust anchor");
        roots
    }

    /// A client config (ring provider, TLS 1.2 and 1.3) that trusts this CA, with its own in-memory
    /// resumption store: use one per control connection, for the control and all its data connections.
    pub fn client_config(&self) -> Arc<ClientConfig> {
        let config =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("ring supports the default versions")
                .with_root_certificates(self.root_store())
                .with_no_client_auth();
        // The builder's default resumption is already an in-memory store private to this config.
        Arc::new(config)
    }

    /// Makes a leaf certificate and its PKCS#8 key (DER).
    pub fn leaf(&self, leaf: Leaf) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate().expect("generate leaf key");
        let names: Vec<String> = match leaf {
            Leaf::WrongName => vec!["other.invalid".to_owned()],
            _ => GOOD_NAMES.iter().map(|s| (*s).to_owned()).collect(),
        };
        let mut params = CertificateParams::new(names).expect("leaf params");
        params
            .distinguished_name
            .push(DnType::CommonName, format!("ftp-test-server {leaf:?} leaf"));
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        if leaf == Leaf::Expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let cert = match leaf {
            Leaf::SelfSigned => params.self_signed(&key),
            _ => params.signed_by(&key, &self.ca_cert, &self.ca_key),
        }
        .expect("sign leaf");
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (cert.der().clone(), key_der)
    }

    /// A server config presenting `leaf`, with the default [`ServerTlsOptions`] (TLS 1.2 + 1.3, a stateful
    /// session cache, two TLS 1.3 tickets per handshake).
    pub fn server_config(&self, leaf: Leaf) -> Arc<ServerConfig> {
        self.server_config_with(leaf, ServerTlsOptions::default())
    }

    /// A server config presenting `leaf`, with explicit resumption options. Built with the ring provider
    /// explicitly (no process-wide default provider is needed or installed).
    pub fn server_config_with(&self, leaf: Leaf, options: ServerTlsOptions) -> Arc<ServerConfig> {
        let (cert, key) = self.leaf(leaf);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider);
        let builder = if options.tls12_only {
            builder.with_protocol_versions(&[&rustls::version::TLS12])
        } else {
            builder.with_safe_default_protocol_versions()
        }
        .expect("ring supports these versions");
        let mut config = builder
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .expect("leaf key matches certificate");
        config.session_storage = ServerSessionMemoryCache::new(1024);
        if options.stateless_tickets {
            config.ticketer = rustls::crypto::ring::Ticketer::new().expect("ring ticketer");
        }
        config.send_tls13_tickets = options.tls13_tickets;
        Arc::new(config)
    }
}
