//! The real-server interop matrix (issue #7): every server `scripts/servers` started (its
//! manifest is in `FTP_RS_SERVERS`) × data mode (EPSV, PASV on IPv4, active EPRT/PORT),
//! driven by the blocking and the async client through everything a user does, plus
//! one long TLS 1.3 session per TLS server and client. Prints a pass/fail table; exits non-zero if any cell failed.
//!
//! ```text
//! scripts/servers -- cargo run -p ftp-tests --bin interop
//! ```

use std::io::Read;
use std::process::ExitCode;
use std::time::Instant;

use ftp_core::transfer::DataMode;
use ftp_std::{Error, FtpTime};
use ftp_tests::servers::{self, Server};

fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn check(cond: bool, what: &str) -> Result<(), Error> {
    if cond {
        Ok(())
    } else {
        Err(Error::Io(std::io::Error::other(format!(
            "check failed: {what}"
        ))))
    }
}

/// Everything a user does in one session.
fn session(server: &Server, data: DataMode, tag: &str) -> Result<(), Error> {
    let mut ftp = server.connect(data)?;
    ftp.login(&server.user, &server.password)?;
    let dir = format!("ftp-rs {tag} {} ü", std::process::id());
    let made = ftp.mkd(&dir)?;
    check(made.ends_with(&dir), "MKD names the directory")?;
    ftp.cwd(&dir)?;
    check(ftp.pwd()?.ends_with(&dir), "PWD is the new directory")?;

    let big = content(10 << 20, 1);
    let name = "ten MiB é.bin";
    check(
        ftp.stor_from(name, &mut &big[..])? == big.len() as u64,
        "STOR count",
    )?;
    let mut back = Vec::with_capacity(big.len());
    ftp.retr_to(name, &mut back)?;
    check(back == big, "download equals upload")?;
    check(ftp.size(name)? == big.len() as u64, "SIZE")?;

    let extra = content(1000, 2);
    ftp.append_from(name, &mut &extra[..])?;
    check(
        ftp.size(name)? == (big.len() + extra.len()) as u64,
        "SIZE after APPE",
    )?;

    let mut tail = Vec::new();
    ftp.retr_from(name, big.len() as u64 - 5000)?
        .read_to_end(&mut tail)
        .map_err(Error::Io)?;
    let mut whole = big.clone();
    whole.extend_from_slice(&extra);
    check(tail == whole[whole.len() - 6000..], "resumed download")?;

    let half = content(300_000, 3);
    ftp.stor_from("resumed upload", &mut &half[..150_000])?;
    let mut writer = ftp.stor_at("resumed upload", 150_000)?;
    writer.copy_from(&mut &half[150_000..])?;
    writer.finish()?;
    let mut got = Vec::new();
    ftp.retr_to("resumed upload", &mut got)?;
    check(got == half, "resumed upload")?;

    let when = FtpTime::new(2020, 2, 29, 12, 34, 56).expect("a valid time");
    ftp.set_mtime("resumed upload", when)?;
    check(ftp.mdtm("resumed upload")? == when, "MDTM after set mtime")?;

    let listing = ftp.list(None)?;
    check(listing.unparsed.is_empty(), "every LIST line parsed")?;
    let names: Vec<_> = listing.entries.iter().map(|e| e.name.clone()).collect();
    check(
        names.contains(&name.as_bytes().to_vec()),
        "LIST names the file",
    )?;
    let entry = listing
        .entries
        .iter()
        .find(|e| e.name == name.as_bytes())
        .expect("checked");
    check(entry.size == Some(whole.len() as u64), "LIST size")?;
    let nlst = ftp.nlst(None)?;
    check(
        nlst.iter().any(|n| n.ends_with(name)),
        "NLST names the file",
    )?;
    if ftp
        .capabilities()
        .is_some_and(|c| c.has(ftp_core::feat::Feature::Mlst))
    {
        let mlsd = ftp.mlsd(None)?;
        let e = mlsd.entries.iter().find(|e| e.name == name.as_bytes());
        check(
            e.is_some_and(|e| e.size == Some(whole.len() as u64)),
            "MLSD entry",
        )?;
    }

    // Abort a download half-way, then go on.
    let mut reader = ftp.retr(name)?;
    let mut first = vec![0; 100_000];
    reader.read_exact(&mut first).map_err(Error::Io)?;
    reader.abort()?;
    ftp.noop()?;
    check(ftp.size(name)? == whole.len() as u64, "SIZE after ABOR")?;

    // Abort an upload half-way, then go on.
    let mut writer = ftp.stor("aborted upload")?;
    std::io::Write::write_all(&mut writer, &big[..1 << 20]).map_err(Error::Io)?;
    writer.abort()?;
    ftp.noop()?;
    let _ = ftp.delete("aborted upload");

    ftp.rename(name, "renamed")?;
    match ftp.delete("no such file") {
        Err(e) if e.is_permanent() => {}
        other => check(false, &format!("deleting a missing file: {other:?}"))?,
    }
    ftp.delete("renamed")?;
    ftp.delete("resumed upload")?;
    ftp.cdup()?;
    ftp.rmd(&dir)?;
    if server.name == "proftpd" && server.mode == "explicit" {
        // CCC (RFC 4217 §12.3): the control connection goes back to the clear after
        // login; data stays protected.
        ftp.ccc()?;
        check(
            !ftp.is_secure(),
            "the control connection is clear after CCC",
        )?;
        ftp.noop()?;
        ftp.nlst(None)?;
    }
    ftp.quit()?;

    if server.anonymous {
        let mut anon = server.connect(data)?;
        anon.login_anonymous()?;
        anon.list(None)?;
        anon.quit()?;
    }
    Ok(())
}

/// One long TLS session: uploads in a row (the proftpd 1.3.8 ticket trap), downloads,
/// listings; every data connection must resume the control session's TLS.
fn long_tls_session(server: &Server) -> Result<(), Error> {
    let mut ftp = server.connect(DataMode::Auto)?;
    ftp.login(&server.user, &server.password)?;
    let dir = format!("ftp-rs long tls {} {}", server.family, std::process::id());
    ftp.mkd(&dir)?;
    ftp.cwd(&dir)?;
    let files: Vec<_> = (0..8u64)
        .map(|i| content(200_000 + i as usize, 10 + i))
        .collect();
    for (i, f) in files.iter().enumerate() {
        ftp.stor_from(format!("f{i}"), &mut &f[..])?;
    }
    for round in 0..2 {
        for (i, f) in files.iter().enumerate() {
            if (i + round) % 2 == 0 {
                let mut got = Vec::new();
                ftp.retr_to(format!("f{i}"), &mut got)?;
                check(&got == f, "download in the long session")?;
            } else {
                ftp.stor_from(format!("f{i}"), &mut &f[..])?;
            }
        }
        check(
            ftp.nlst(None)?.len() >= files.len(),
            "NLST in the long session",
        )?;
    }
    // Refused transfers (a missing file) start no data handshake the server answers:
    // they must not use up what later data connections need to resume.
    for _ in 0..4 {
        match ftp.retr_to("no such file", &mut Vec::new()) {
            Err(e) if e.is_permanent() => {}
            other => check(false, &format!("RETR of a missing file: {other:?}"))?,
        }
    }
    let mut got = Vec::new();
    ftp.retr_to("f0", &mut got)?;
    check(got == files[0], "a download after refused ones")?;
    for i in 0..files.len() {
        ftp.delete(format!("f{i}"))?;
    }
    ftp.cdup()?;
    ftp.rmd(&dir)?;
    let (resumed, full) = ftp.data_tls_resumptions();
    ftp.quit()?;
    if server.name == "vsftpd" || server.name == "proftpd" {
        // Servers that demand reuse: each full handshake was a deliberate ticket refresh.
        // 8 uploads, then 2 rounds of 8 transfers and a listing: 26.
        check(
            resumed >= 26,
            &format!("{resumed} resumed data connections"),
        )?;
    }
    let _ = full;
    Ok(())
}

/// [`session`] with the async client: the same steps, awaited.
async fn session_tokio(server: &Server, data: DataMode, tag: &str) -> Result<(), Error> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut ftp = ftp_tokio::Client::connect_addr(server.addr, server.config(data)?).await?;
    ftp.login(&server.user, &server.password).await?;
    let dir = format!("ftp-rs {tag} {} ü", std::process::id());
    check(
        ftp.mkd(&dir).await?.ends_with(&dir),
        "MKD names the directory",
    )?;
    ftp.cwd(&dir).await?;
    check(ftp.pwd().await?.ends_with(&dir), "PWD is the new directory")?;

    let big = content(10 << 20, 1);
    let name = "ten MiB é.bin";
    check(
        ftp.stor_from(name, &mut &big[..]).await? == big.len() as u64,
        "STOR count",
    )?;
    let mut back = Vec::with_capacity(big.len());
    ftp.retr_to(name, &mut back).await?;
    check(back == big, "download equals upload")?;
    let extra = content(1000, 2);
    ftp.append_from(name, &mut &extra[..]).await?;
    check(
        ftp.size(name).await? == (big.len() + extra.len()) as u64,
        "SIZE after APPE",
    )?;
    let mut whole = big.clone();
    whole.extend_from_slice(&extra);
    let mut tail = Vec::new();
    {
        let mut reader = ftp.retr_from(name, whole.len() as u64 - 6000).await?;
        reader.read_to_end(&mut tail).await.map_err(Error::Io)?;
        reader.finish().await?;
    }
    check(tail == whole[whole.len() - 6000..], "resumed download")?;

    let half = content(300_000, 3);
    ftp.stor_from("resumed upload", &mut &half[..150_000])
        .await?;
    let mut writer = ftp.stor_at("resumed upload", 150_000).await?;
    writer.copy_from(&mut &half[150_000..]).await?;
    writer.finish().await?;
    let mut got = Vec::new();
    ftp.retr_to("resumed upload", &mut got).await?;
    check(got == half, "resumed upload")?;

    let when = FtpTime::new(2020, 2, 29, 12, 34, 56).expect("a valid time");
    ftp.set_mtime("resumed upload", when).await?;
    check(
        ftp.mdtm("resumed upload").await? == when,
        "MDTM after set mtime",
    )?;
    let listing = ftp.list(None).await?;
    check(listing.unparsed.is_empty(), "every LIST line parsed")?;
    let entry = listing.entries.iter().find(|e| e.name == name.as_bytes());
    check(
        entry.is_some_and(|e| e.size == Some(whole.len() as u64)),
        "LIST entry",
    )?;
    check(
        ftp.nlst(None).await?.iter().any(|n| n.ends_with(name)),
        "NLST names the file",
    )?;
    if ftp
        .capabilities()
        .is_some_and(|c| c.has(ftp_core::feat::Feature::Mlst))
    {
        let mlsd = ftp.mlsd(None).await?;
        let e = mlsd.entries.iter().find(|e| e.name == name.as_bytes());
        check(
            e.is_some_and(|e| e.size == Some(whole.len() as u64)),
            "MLSD entry",
        )?;
    }

    let mut reader = ftp.retr(name).await?;
    let mut first = vec![0; 100_000];
    reader.read_exact(&mut first).await.map_err(Error::Io)?;
    reader.abort().await?;
    ftp.noop().await?;
    let mut writer = ftp.stor("aborted upload").await?;
    writer.write_all(&big[..1 << 20]).await.map_err(Error::Io)?;
    writer.abort().await?;
    ftp.noop().await?;
    let _ = ftp.delete("aborted upload").await;

    ftp.rename(name, "renamed").await?;
    match ftp.delete("no such file").await {
        Err(e) if e.is_permanent() => {}
        other => check(false, &format!("deleting a missing file: {other:?}"))?,
    }
    ftp.delete("renamed").await?;
    ftp.delete("resumed upload").await?;
    ftp.cdup().await?;
    ftp.rmd(&dir).await?;
    if server.name == "proftpd" && server.mode == "explicit" {
        ftp.ccc().await?;
        check(
            !ftp.is_secure(),
            "the control connection is clear after CCC",
        )?;
        ftp.noop().await?;
        ftp.nlst(None).await?;
    }
    ftp.quit().await?;
    if server.anonymous {
        let mut anon = ftp_tokio::Client::connect_addr(server.addr, server.config(data)?).await?;
        anon.login_anonymous().await?;
        anon.list(None).await?;
        anon.quit().await?;
    }
    Ok(())
}

/// [`long_tls_session`] with the async client.
async fn long_tls_session_tokio(server: &Server) -> Result<(), Error> {
    let mut ftp =
        ftp_tokio::Client::connect_addr(server.addr, server.config(DataMode::Auto)?).await?;
    ftp.login(&server.user, &server.password).await?;
    let dir = format!(
        "ftp-rs long tls async {} {}",
        server.family,
        std::process::id()
    );
    ftp.mkd(&dir).await?;
    ftp.cwd(&dir).await?;
    let files: Vec<_> = (0..8u64)
        .map(|i| content(200_000 + i as usize, 10 + i))
        .collect();
    for (i, f) in files.iter().enumerate() {
        ftp.stor_from(&format!("f{i}"), &mut &f[..]).await?;
    }
    for round in 0..2 {
        for (i, f) in files.iter().enumerate() {
            if (i + round) % 2 == 0 {
                let mut got = Vec::new();
                ftp.retr_to(&format!("f{i}"), &mut got).await?;
                check(&got == f, "download in the long session")?;
            } else {
                ftp.stor_from(&format!("f{i}"), &mut &f[..]).await?;
            }
        }
        check(
            ftp.nlst(None).await?.len() >= files.len(),
            "NLST in the long session",
        )?;
    }
    for _ in 0..4 {
        match ftp.retr_to("no such file", &mut Vec::new()).await {
            Err(e) if e.is_permanent() => {}
            other => check(false, &format!("RETR of a missing file: {other:?}"))?,
        }
    }
    let mut got = Vec::new();
    ftp.retr_to("f0", &mut got).await?;
    check(got == files[0], "a download after refused ones")?;
    for i in 0..files.len() {
        ftp.delete(format!("f{i}")).await?;
    }
    ftp.cdup().await?;
    ftp.rmd(&dir).await?;
    let (resumed, _) = ftp.data_tls_resumptions();
    ftp.quit().await?;
    if server.name == "vsftpd" || server.name == "proftpd" {
        check(
            resumed >= 26,
            &format!("{resumed} resumed data connections"),
        )?;
    }
    Ok(())
}

fn main() -> ExitCode {
    if std::env::var_os("FTP_TRACE").is_some() {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .without_time()
            .with_writer(std::io::stderr)
            .init();
    }
    let servers = match servers::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut rows = Vec::new();
    let mut failed = 0;
    for server in &servers {
        let mut modes = vec![("EPSV", DataMode::ExtendedPassive)];
        if server.family == 4 {
            modes.push(("PASV", DataMode::Passive));
        }
        modes.push((
            "active",
            DataMode::Active {
                external_ip: None,
                ports: None,
            },
        ));
        let mut cells = Vec::new();
        for adapter in ["std", "tokio"] {
            for (label, mode) in &modes {
                let started = Instant::now();
                let tag = format!(
                    "{}-{}-v{}-{label}-{adapter}",
                    server.name, server.mode, server.family
                );
                let result = match adapter {
                    "std" => session(server, *mode, &tag),
                    _ => runtime.block_on(session_tokio(server, *mode, &tag)),
                };
                if let Err(e) = &result {
                    failed += 1;
                    eprintln!("FAIL {tag}: {e}");
                }
                cells.push(format!(
                    "{adapter} {label} {} ({:.1}s)",
                    if result.is_ok() { "ok" } else { "FAIL" },
                    started.elapsed().as_secs_f64()
                ));
            }
            if server.ca.is_some() {
                let result = match adapter {
                    "std" => long_tls_session(server),
                    _ => runtime.block_on(long_tls_session_tokio(server)),
                };
                if let Err(e) = &result {
                    failed += 1;
                    eprintln!(
                        "FAIL {}-{}-v{}-{adapter} long TLS session: {e}",
                        server.name, server.mode, server.family
                    );
                }
                cells.push(format!(
                    "{adapter} long TLS {}",
                    if result.is_ok() { "ok" } else { "FAIL" }
                ));
            }
        }
        rows.push(format!(
            "| {:<9} | {:<8} | v{} | {} |",
            server.name,
            server.mode,
            server.family,
            cells.join(" | ")
        ));
    }
    println!(
        "\n| server | mode | IP | ftp-std: each data mode, then the long TLS session; then the same with ftp-tokio |"
    );
    println!("|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    if failed > 0 {
        eprintln!("{failed} cell(s) failed");
        ExitCode::FAILURE
    } else {
        println!("all {} servers passed", servers.len());
        ExitCode::SUCCESS
    }
}
