//! The rustls set-up FTPS needs (RFC 4217), shared by both adapters (feature `rustls`).
//!
//! FTPS servers such as vsftpd and proftpd refuse a data connection whose TLS session is
//! not a resumption of the control connection's (vsftpd `522`, proftpd `425`). rustls
//! resumes only when the data connection uses the **same** `Arc<ClientConfig>` (the same
//! verifier and session store) and the same server name as the control connection, and
//! only a store that no other control connection touches keeps proftpd happy. So a
//! [`TlsConfig`] is the user's choice of roots and verification, and
//! [`TlsConfig::session`] makes the per-control-connection [`TlsSession`]: a clone of the
//! config with a fresh resumption store, and the server name, used for the control
//! connection and every data connection of it.
//!
//! The store counts TLS 1.3 tickets ([`TlsSession::tls13_tickets`]): rustls uses each
//! ticket once, and a server that issues none on upload connections (proftpd 1.3.8) runs
//! out of them after a few uploads.
//!
//! ```
//! use ftp_core::tls::TlsConfig;
//! use rustls::RootCertStore;
//!
//! // An empty root store would verify nothing: refused up front.
//! assert!(TlsConfig::with_roots(RootCertStore::empty()).is_err());
//! assert!(TlsConfig::from_ca_pem(b"not a certificate").is_err());
//!
//! let tls = TlsConfig::webpki_roots();
//! let session = tls.session("ftp.example.com")?;
//! let conn = session.connection()?; // control; the same `session` makes every data connection
//! assert!(conn.is_handshaking());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{
    ClientSessionMemoryCache, ClientSessionStore, Resumption, Tls12ClientSessionValue,
    Tls13ClientSessionValue, WebPkiServerVerifier,
};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, NamedGroup, RootCertStore,
    SignatureScheme,
};

/// Why a TLS set-up could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsSetupError {
    /// The host name is not a valid DNS name or IP address.
    #[error("invalid TLS server name {0:?}")]
    InvalidName(String),
    /// A certificate file could not be read.
    #[error("unreadable certificate: {0}")]
    Certificate(String),
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The crypto provider every config here is built with (ring), never the process default,
/// with the AES-128-GCM suites offered first (as browsers do) instead of ring's AES-256
/// first. An FTPS server follows the client's order, and a bulk transfer spends most of
/// both ends' CPU on the cipher: AES-128 takes 10 rounds a block to AES-256's 14. Uploads
/// of 512 MiB to vsftpd (OpenSSL) took 7 % less time (BENCHMARKS.md). A user who wants
/// another order brings their own config ([`TlsConfig::custom`]).
fn provider() -> Arc<CryptoProvider> {
    let mut provider = rustls::crypto::ring::default_provider();
    // A stable sort: the order among the rest stays ring's. (A server settles the
    // version first, then takes the client's first suite of that version it supports.)
    provider.cipher_suites.sort_by_key(|suite| {
        !matches!(
            suite.suite(),
            rustls::CipherSuite::TLS13_AES_128_GCM_SHA256
                | rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
                | rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        )
    });
    Arc::new(provider)
}

fn builder() -> rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier> {
    ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
}

/// How the server's certificate is checked, and the rest of the client's TLS settings.
/// Cheap to clone. See the [module docs](self).
///
/// Every constructor but [`custom`](Self::custom) uses rustls's safe defaults (TLS 1.3
/// and 1.2, ring's cipher suites) with the AES-128-GCM suites offered first: servers
/// such as vsftpd and proftpd take the client's first choice, and AES-128 costs both
/// ends less CPU per byte on a bulk transfer than AES-256.
#[derive(Clone)]
pub struct TlsConfig {
    base: Arc<ClientConfig>,
    /// The verifier of configs built here (not of a custom one), to rebuild with other
    /// protocol versions.
    verifier: Option<Arc<dyn ServerCertVerifier>>,
    server_name: Option<ServerName<'static>>,
    verification: &'static str,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("verification", &self.verification)
            .field("server_name", &self.server_name)
            .finish()
    }
}

impl TlsConfig {
    /// Verify against the Mozilla roots compiled in (`webpki-roots`).
    pub fn webpki_roots() -> Self {
        let roots = RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        Self::with_roots(roots).expect("the compiled-in Mozilla roots are not empty")
    }

    /// Verify with the operating system's verifier and roots (`rustls-platform-verifier`).
    pub fn platform() -> Result<Self, TlsSetupError> {
        let verifier = rustls_platform_verifier::Verifier::new(provider())?;
        Ok(Self::from_verifier(Arc::new(verifier), "platform"))
    }

    /// Verify against these roots only (an empty store is an error: nothing would verify).
    pub fn with_roots(roots: RootCertStore) -> Result<Self, TlsSetupError> {
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .map_err(|e| TlsSetupError::Certificate(e.to_string()))?;
        Ok(Self::from_verifier(verifier, "roots"))
    }

    /// Verify against the CA certificates in a PEM file's bytes (a private CA).
    pub fn from_ca_pem(pem: &[u8]) -> Result<Self, TlsSetupError> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| TlsSetupError::Certificate(e.to_string()))?;
            roots
                .add(cert)
                .map_err(|e| TlsSetupError::Certificate(e.to_string()))?;
        }
        if roots.is_empty() {
            return Err(TlsSetupError::Certificate(
                "no certificate in the PEM data".into(),
            ));
        }
        Self::with_roots(roots)
    }

    /// Use this rustls config as it is (its verifier, versions, cipher suites, ALPN,
    /// client certificate).
    /// The session store is still replaced per control connection.
    pub fn custom(config: ClientConfig) -> Self {
        Self::from_parts(config, "custom")
    }

    /// **Dangerous**: accept exactly this certificate, whoever it names and whatever signs
    /// it (for a self-signed server certificate you have checked by other means). The
    /// handshake's signatures are still verified with it.
    pub fn dangerous_pinned_certificate(cert: CertificateDer<'static>) -> Self {
        let verifier = Lenient {
            pinned: Some(cert),
            algorithms: provider().signature_verification_algorithms,
        };
        Self::from_verifier(Arc::new(verifier), "pinned certificate")
    }

    /// **Dangerous**: accept any certificate. Anyone on the path can read and change the
    /// session. For tests and for servers you reach over a trusted network only.
    pub fn dangerous_accept_any_certificate() -> Self {
        let verifier = Lenient {
            pinned: None,
            algorithms: provider().signature_verification_algorithms,
        };
        Self::from_verifier(Arc::new(verifier), "none (dangerous)")
    }

    fn from_parts(config: ClientConfig, verification: &'static str) -> Self {
        TlsConfig {
            base: Arc::new(config),
            verifier: None,
            server_name: None,
            verification,
        }
    }

    fn from_verifier(verifier: Arc<dyn ServerCertVerifier>, verification: &'static str) -> Self {
        let config = builder()
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth();
        TlsConfig {
            verifier: Some(verifier),
            ..Self::from_parts(config, verification)
        }
    }

    /// Verify the certificate for this name instead of the host connected to (for
    /// example when connecting by IP to a server whose certificate names its host).
    pub fn server_name(mut self, name: &str) -> Result<Self, TlsSetupError> {
        let name = ServerName::try_from(name)
            .map_err(|_| TlsSetupError::InvalidName(name.into()))?
            .to_owned();
        self.server_name = Some(name);
        Ok(self)
    }

    /// Only TLS 1.2: for servers whose TLS 1.3 ticket handling breaks uploads (proftpd
    /// 1.3.8, see [`TlsSession::tls13_tickets`]); TLS 1.2 sessions can be resumed any
    /// number of times. A [`custom`](Self::custom) config keeps its own versions.
    pub fn tls12_only(self) -> Self {
        let Some(verifier) = self.verifier.clone() else {
            return self;
        };
        let config = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS12])
            .expect("ring supports TLS 1.2")
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        TlsConfig {
            base: Arc::new(config),
            ..self
        }
    }

    /// The per-control-connection set-up for `host` (or the configured server name):
    /// a fresh resumption store, shared by the control connection and its data
    /// connections only.
    pub fn session(&self, host: &str) -> Result<TlsSession, TlsSetupError> {
        let name = match &self.server_name {
            Some(name) => name.clone(),
            None => ServerName::try_from(host)
                .map_err(|_| TlsSetupError::InvalidName(host.into()))?
                .to_owned(),
        };
        let store = Arc::new(CountingStore {
            inner: ClientSessionMemoryCache::new(64),
            tls13_tickets: AtomicUsize::new(0),
            tls13: AtomicBool::new(false),
        });
        let mut config = (*self.base).clone();
        config.resumption = Resumption::store(store.clone());
        Ok(TlsSession {
            config: Arc::new(config),
            name,
            store,
        })
    }
}

/// The TLS state of one control connection: one config (one store, one verifier) and one
/// server name for the control connection and all its data connections.
#[derive(Clone)]
pub struct TlsSession {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    store: Arc<CountingStore>,
}

impl fmt::Debug for TlsSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSession")
            .field("name", &self.name)
            .field("tls13_tickets", &self.tls13_tickets())
            .finish()
    }
}

impl TlsSession {
    /// A new client connection (control or data): it resumes the session when a ticket
    /// or TLS 1.2 session is stored. Make data connections only after a control reply
    /// was read following the control handshake (TLS 1.3 tickets arrive then).
    pub fn connection(&self) -> Result<ClientConnection, rustls::Error> {
        ClientConnection::new(self.config.clone(), self.name.clone())
    }

    /// The shared rustls config (for an adapter's connector, e.g. tokio-rustls).
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// The server name certificates are checked against.
    pub fn server_name(&self) -> &ServerName<'static> {
        &self.name
    }

    /// How many unused TLS 1.3 tickets are stored: 0 means the next data connection makes
    /// a full handshake, which servers requiring reuse refuse.
    pub fn tls13_tickets(&self) -> usize {
        self.store.tls13_tickets.load(Ordering::Relaxed)
    }

    /// Notes the control connection's negotiated protocol version (after its handshake).
    pub fn set_control_version(&self, version: Option<rustls::ProtocolVersion>) {
        self.store.tls13.store(
            version == Some(rustls::ProtocolVersion::TLSv1_3),
            Ordering::Relaxed,
        );
    }

    /// The op to run before the next protected transfer, if its data connection would
    /// otherwise make a full handshake: under TLS 1.3 rustls uses each ticket once, and
    /// servers such as proftpd 1.3.8 send none on upload connections, so after a few
    /// uploads none is left and the server refuses the next data connection (`425`).
    /// A listing's data connection brings fresh tickets, even when the server refuses it
    /// (the driver reads a closed TLS data connection to its end). Run the op, read its
    /// data to the end, ignore its outcome.
    pub fn ticket_refresh(&self) -> Option<crate::session::Op<'static>> {
        (self.store.tls13.load(Ordering::Relaxed) && self.tls13_tickets() == 0)
            .then_some(crate::session::Op::Nlst(None))
    }

    /// [`ticket_refresh`](Self::ticket_refresh) for a driver: only while `session`
    /// protects its data connections.
    pub fn refresh_before_transfer(
        tls: Option<&TlsSession>,
        session: &crate::session::Client,
    ) -> Option<crate::session::Op<'static>> {
        tls.filter(|_| session.data_protected())
            .and_then(TlsSession::ticket_refresh)
    }
}

/// A session store that counts the TLS 1.3 tickets it holds.
struct CountingStore {
    inner: ClientSessionMemoryCache,
    tls13_tickets: AtomicUsize,
    /// The control connection negotiated TLS 1.3.
    tls13: AtomicBool,
}

impl fmt::Debug for CountingStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CountingStore")
            .field("tls13_tickets", &self.tls13_tickets)
            .finish()
    }
}

impl ClientSessionStore for CountingStore {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: NamedGroup) {
        self.inner.set_kx_hint(server_name, group)
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<NamedGroup> {
        self.inner.kx_hint(server_name)
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        self.inner.set_tls12_session(server_name, value)
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        self.inner.tls12_session(server_name)
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.inner.remove_tls12_session(server_name)
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: Tls13ClientSessionValue,
    ) {
        // The memory cache keeps at most 8 tickets per server; count what it can hold.
        let held = self.tls13_tickets.load(Ordering::Relaxed);
        self.tls13_tickets
            .store((held + 1).min(8), Ordering::Relaxed);
        self.inner.insert_tls13_ticket(server_name, value)
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<Tls13ClientSessionValue> {
        let ticket = self.inner.take_tls13_ticket(server_name);
        if ticket.is_some() {
            let held = self.tls13_tickets.load(Ordering::Relaxed);
            self.tls13_tickets
                .store(held.saturating_sub(1), Ordering::Relaxed);
        }
        ticket
    }
}

/// The verifier of the two dangerous modes: a pinned certificate, or anything.
#[derive(Debug)]
struct Lenient {
    pinned: Option<CertificateDer<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.pinned {
            Some(pinned) if pinned.as_ref() != end_entity.as_ref() => {
                Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::ApplicationVerificationFailure,
                ))
            }
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
