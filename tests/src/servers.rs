//! The real servers `scripts/servers` started: its manifest (`FTP_RS_SERVERS`, one JSON
//! object per line, format in `scripts/README.md`) read into [`Server`]s, and the client
//! configuration each one needs (TLS against the run's CA).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ftp_core::config::Config;
use ftp_core::tls::TlsConfig;
use ftp_core::transfer::DataMode;
use ftp_std::{Client, Error};
use serde_json::Value;

/// One server of the manifest.
#[derive(Debug, Clone)]
pub struct Server {
    /// `vsftpd`, `proftpd`, `pureftpd`, `pyftpdlib`.
    pub name: String,
    /// `plain`, `explicit` or `implicit`.
    pub mode: String,
    /// 4 or 6.
    pub family: u64,
    /// Where it listens.
    pub addr: SocketAddr,
    /// The login.
    pub user: String,
    /// Its password.
    pub password: String,
    /// The run's CA (PEM file) for TLS modes.
    pub ca: Option<String>,
    /// The name the server's certificate is for.
    pub tls_name: Option<String>,
    /// Whether anonymous login works.
    pub anonymous: bool,
    /// The folder the login user's files are in, on this machine.
    pub root: Option<PathBuf>,
    /// The server's own folder (config, logs), as `scripts/restart-server` takes it.
    pub dir: Option<PathBuf>,
}

impl Server {
    /// One manifest line.
    pub fn from_json(v: &Value) -> Result<Server, String> {
        let s = |k: &str| {
            v[k].as_str()
                .map(str::to_owned)
                .ok_or(format!("manifest: no {k}"))
        };
        let host = s("host")?;
        let port = v["port"].as_u64().ok_or("manifest: no port")?;
        let addr = format!(
            "{}:{port}",
            if host.contains(':') {
                format!("[{host}]")
            } else {
                host
            }
        )
        .parse()
        .map_err(|e| format!("manifest address: {e}"))?;
        Ok(Server {
            name: s("server")?,
            mode: s("mode")?,
            family: v["family"].as_u64().unwrap_or(4),
            addr,
            user: s("user")?,
            password: s("password")?,
            ca: v["ca"].as_str().map(str::to_owned),
            tls_name: v["tls_name"].as_str().map(str::to_owned),
            anonymous: v["anonymous"].as_bool().unwrap_or(false),
            root: v["root"].as_str().map(PathBuf::from),
            dir: v["dir"].as_str().map(PathBuf::from),
        })
    }

    /// `name-mode-vN`, e.g. `vsftpd-explicit-v6`.
    pub fn label(&self) -> String {
        format!("{}-{}-v{}", self.name, self.mode, self.family)
    }

    /// The client configuration for this server and data mode (TLS as the server wants
    /// it, verified against the run's CA; generous timeouts for a loaded machine).
    pub fn config(&self, data: DataMode) -> Result<Config, Error> {
        let mut config = Config::new()
            .data_mode(data)
            .reply_timeout(Duration::from_secs(20))
            .data_timeout(Duration::from_secs(20));
        if let Some(ca) = &self.ca {
            let pem = std::fs::read(ca)?;
            let mut tls = TlsConfig::from_ca_pem(&pem).map_err(Error::tls)?;
            if let Some(name) = &self.tls_name {
                tls = tls.server_name(name).map_err(Error::tls)?;
            }
            config = match self.mode.as_str() {
                "implicit" => config.implicit_tls(tls),
                _ => config.explicit_tls(tls),
            };
        }
        Ok(config)
    }

    /// A blocking session (not logged in).
    pub fn connect(&self, data: DataMode) -> Result<Client, Error> {
        Client::connect_addr(self.addr, self.config(data)?)
    }
}

/// The servers of the manifest named by `FTP_RS_SERVERS`, those whose label contains
/// `FTP_ONLY` if that is set. An error says what is wrong (no manifest, a bad line, no
/// server).
pub fn from_env() -> Result<Vec<Server>, String> {
    let manifest = std::env::var_os("FTP_RS_SERVERS").ok_or(
        "FTP_RS_SERVERS is not set: run me under `scripts/servers -- cargo run -p ftp-tests --bin …`",
    )?;
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read the manifest {manifest:?}: {e}"))?;
    let servers = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<Value>(l)
                .map_err(|e| e.to_string())
                .and_then(|v| Server::from_json(&v))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("bad manifest: {e}"))?;
    if servers.is_empty() {
        return Err("the manifest lists no server".into());
    }
    let only = std::env::var("FTP_ONLY").ok();
    Ok(servers
        .into_iter()
        .filter(|s| only.as_deref().is_none_or(|o| s.label().contains(o)))
        .collect())
}
