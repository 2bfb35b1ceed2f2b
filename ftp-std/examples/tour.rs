//! A tour of the blocking client against a server with write access: every call once.
//! Used by hand and by `scripts/demo`.
//!
//! ```text
//! cargo run -p ftp-std --example tour -- 127.0.0.1:2121 user password [active|passive] [ca.pem]
//! ```
//! With a CA file, the session is explicit FTPS verified against it.

use std::error::Error;
use std::io::{Read, Write};

use ftp_std::{Client, Config, FtpTime, TlsConfig};

fn main() -> Result<(), Box<dyn Error>> {
    if std::env::var_os("FTP_TRACE").is_some() {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .without_time()
            .init();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let address = args.first().map_or("127.0.0.1:2121", String::as_str);
    let user = args.get(1).map_or("anonymous", String::as_str);
    let password = args.get(2).map_or("anonymous@", String::as_str);
    let mut config = Config::new();
    if args.get(3).is_some_and(|m| m == "active") {
        config = config.active(None, None);
    }
    if let Some(ca) = args.get(4) {
        config = config.explicit_tls(TlsConfig::from_ca_pem(&std::fs::read(ca)?)?);
    }
    let mut ftp = Client::connect(address, config)?;
    println!("secure control connection: {}", ftp.is_secure());
    ftp.login(user, password)?;
    println!("system: {}", ftp.syst()?);
    let dir = ftp.mkd("tour dir ü")?;
    println!("made {dir}");
    ftp.cwd("tour dir ü")?;
    println!("pwd: {}", ftp.pwd()?);

    let content: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let sent = ftp.stor_from("big file.bin", &mut &content[..])?;
    println!(
        "stored {sent} bytes; SIZE says {}",
        ftp.size("big file.bin")?
    );
    let mut back = Vec::new();
    ftp.retr_to("big file.bin", &mut back)?;
    assert!(back == content, "download differs");
    println!("downloaded {} identical bytes", back.len());

    let mut tail = Vec::new();
    ftp.retr_from("big file.bin", 2_999_000)?
        .read_to_end(&mut tail)?;
    assert_eq!(tail, content[2_999_000..]);
    println!("resumed download: {} bytes", tail.len());

    ftp.append_from("big file.bin", &mut &b"appended"[..])?;
    println!("after APPE: {}", ftp.size("big file.bin")?);

    // Abort a download half-way, then go on.
    {
        let mut reader = ftp.retr("big file.bin")?;
        let mut first = [0u8; 1000];
        reader.read_exact(&mut first)?;
        reader.abort()?;
    }
    println!("aborted a download; NOOP: {}", ftp.noop()?);

    let mut w = ftp.stor("notes.txt")?;
    w.write_all(b"line one\nline two\n")?;
    w.finish()?;
    let mut lines = Vec::new();
    ftp.retr_lines("notes.txt", |l| {
        lines.push(String::from_utf8_lossy(l).into_owned())
    })?;
    println!("text lines: {lines:?}");

    match ftp.set_mtime("notes.txt", FtpTime::new(2020, 1, 2, 3, 4, 5)?) {
        Ok(_) => println!("mtime now {}", ftp.mdtm("notes.txt")?),
        Err(e) => println!("set mtime refused: {e}"),
    }
    let listing = ftp.list(None)?;
    for e in &listing.entries {
        println!(
            "LIST  {:?} {:?} {}",
            e.kind,
            e.size,
            String::from_utf8_lossy(&e.name)
        );
    }
    println!("NLST  {:?}", ftp.nlst(None)?);
    if let Ok(mlsd) = ftp.mlsd(None) {
        for e in &mlsd.entries {
            println!(
                "MLSD  {:?} {:?} {}",
                e.kind,
                e.size,
                String::from_utf8_lossy(&e.name)
            );
        }
    }
    ftp.rename("notes.txt", "renamed.txt")?;
    match ftp.delete("no such file") {
        Err(e) => println!("expected refusal: {e} (permanent: {})", e.is_permanent()),
        Ok(_) => return Err("deleting a missing file succeeded".into()),
    }
    ftp.delete("renamed.txt")?;
    ftp.delete("big file.bin")?;
    ftp.cdup()?;
    ftp.rmd("tour dir ü")?;
    let (resumed, full) = ftp.data_tls_resumptions();
    println!("data connections: {resumed} resumed TLS, {full} full handshakes");
    println!("{}", ftp.quit()?);
    Ok(())
}
