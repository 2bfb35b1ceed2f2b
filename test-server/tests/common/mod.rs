//! A minimal raw FTP client (std sockets + rustls) to drive the scripted server in its own tests.

#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use ftp_test_server::rustls::pki_types::ServerName;
use ftp_test_server::rustls::{ClientConfig, ClientConnection, HandshakeKind, StreamOwned};

pub const T: Duration = Duration::from_secs(10);

pub enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Conn {
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => &s.sock,
        }
    }

    /// Client side of a TLS handshake, run to completion now.
    pub fn upgrade(self, config: &Arc<ClientConfig>) -> io::Result<(Conn, HandshakeKind)> {
        let Conn::Plain(mut tcp) = self else {
            panic!("already TLS")
        };
        let name = ServerName::try_from("localhost").unwrap();
        let mut conn = ClientConnection::new(config.clone(), name).map_err(io::Error::other)?;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp)?;
        }
        let kind = conn.handshake_kind().unwrap();
        Ok((Conn::Tls(Box::new(StreamOwned::new(conn, tcp))), kind))
    }

    /// Builds the client connection now but runs the handshake later (on first I/O).
    pub fn upgrade_lazy(self, conn: ClientConnection) -> Conn {
        let Conn::Plain(tcp) = self else {
            panic!("already TLS")
        };
        Conn::Tls(Box::new(StreamOwned::new(conn, tcp)))
    }

    pub fn handshake_kind(&self) -> Option<HandshakeKind> {
        match self {
            Conn::Plain(_) => None,
            Conn::Tls(s) => s.conn.handshake_kind(),
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

/// The control connection of the raw client.
pub struct Client {
    pub conn: Option<Conn>,
    pub peer: SocketAddr,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let tcp = TcpStream::connect_timeout(&addr, T).unwrap();
        tcp.set_read_timeout(Some(T)).unwrap();
        Client {
            conn: Some(Conn::Plain(tcp)),
            peer: addr,
        }
    }

    pub fn conn(&mut self) -> &mut Conn {
        self.conn.as_mut().unwrap()
    }

    pub fn send(&mut self, cmd: &str) {
        let c = self.conn();
        c.write_all(format!("{cmd}\r\n").as_bytes()).unwrap();
        c.flush().unwrap();
    }

    /// Reads one line, byte by byte (so nothing is over-read before a TLS upgrade).
    pub fn try_line(&mut self) -> io::Result<String> {
        let mut line = Vec::new();
        let mut b = [0u8; 1];
        loop {
            match self.conn().read(&mut b)? {
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("EOF after {:?}", String::from_utf8_lossy(&line)),
                    ));
                }
                _ if b[0] == b'\n' => break,
                _ => line.push(b[0]),
            }
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok(String::from_utf8(line).unwrap())
    }

    pub fn line(&mut self) -> String {
        self.try_line().unwrap()
    }

    /// Reads a reply line and checks its code.
    pub fn expect(&mut self, code: &str) -> String {
        let line = self.line();
        assert!(line.starts_with(code), "expected {code}, got {line:?}");
        line
    }

    pub fn cmd(&mut self, cmd: &str, code: &str) -> String {
        self.send(cmd);
        self.expect(code)
    }

    pub fn login(&mut self, user: &str, pass: &str) {
        self.expect("220");
        self.cmd(&format!("USER {user}"), "331");
        self.cmd(&format!("PASS {pass}"), "230");
    }

    pub fn auth_tls(&mut self, config: &Arc<ClientConfig>) -> HandshakeKind {
        self.cmd("AUTH TLS", "234");
        let (conn, kind) = self.conn.take().unwrap().upgrade(config).unwrap();
        self.conn = Some(conn);
        self.cmd("PBSZ 0", "200");
        self.cmd("PROT P", "200");
        kind
    }

    /// EPSV, then connects to the control peer's IP with the port from the reply.
    pub fn epsv(&mut self) -> Conn {
        let line = self.cmd("EPSV", "229");
        let port: u16 = line.split('|').nth(3).unwrap().parse().unwrap();
        let tcp = TcpStream::connect_timeout(&SocketAddr::new(self.peer.ip(), port), T).unwrap();
        tcp.set_read_timeout(Some(T)).unwrap();
        Conn::Plain(tcp)
    }

    /// PASV, returning the advertised address without connecting.
    pub fn pasv_addr(&mut self) -> SocketAddr {
        let line = self.cmd("PASV", "227");
        let inner = line.split('(').nth(1).unwrap().split(')').next().unwrap();
        let n: Vec<u16> = inner.split(',').map(|s| s.parse().unwrap()).collect();
        SocketAddr::new(
            IpAddr::from([n[0] as u8, n[1] as u8, n[2] as u8, n[3] as u8]),
            n[4] << 8 | n[5],
        )
    }

    pub fn quit(&mut self) {
        self.cmd("QUIT", "221");
    }
}

/// Reads a data connection to its end: `Ok` on a clean end (FIN, or close_notify under TLS).
pub fn read_all(conn: &mut Conn) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    conn.read_to_end(&mut out)?;
    Ok(out)
}

/// Upload end as FIELD-NOTES says: close_notify, flush, shutdown(Write), read to EOF.
pub fn finish_upload(mut conn: Conn) {
    if let Conn::Tls(s) = &mut conn {
        s.conn.send_close_notify();
        s.flush().unwrap();
    }
    conn.tcp().shutdown(std::net::Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    let _ = conn.read_to_end(&mut rest);
}

/// Download end under TLS: after EOF, answer with close_notify.
pub fn finish_download(mut conn: Conn) {
    if let Conn::Tls(s) = &mut conn {
        s.conn.send_close_notify();
        let _ = s.flush();
    }
}
