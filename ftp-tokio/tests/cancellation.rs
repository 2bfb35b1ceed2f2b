//! Dropping futures at every await point (and at random times) against the in-memory
//! server: after each drop the next command must work and the server's files must be
//! right. Also: while a download waits on a slow server, keepalive NOOPs go out.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use ftp_test_server::{MemoryServer, Script, Server, TestPki};
use ftp_tokio::{Client, Config, Error, TlsConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn content(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 13) as u8)
        .collect()
}

/// Polls `future` at most `polls` times, then drops it (`None`).
struct PollLimit<F> {
    future: Pin<Box<F>>,
    polls: usize,
}

impl<F: Future> Future for PollLimit<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.polls == 0 {
            return Poll::Ready(None);
        }
        self.polls -= 1;
        self.future.as_mut().poll(cx).map(Some)
    }
}

fn poll_limit<F: Future>(future: F, polls: usize) -> PollLimit<F> {
    PollLimit {
        future: Box::pin(future),
        polls,
    }
}

/// A tiny deterministic generator (no dependency needed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const STEPS: u32 = 10;

/// One user action; each leaves the working directory at `/` and `ref` untouched.
/// Step 8 uploads `local` (a file holding `data`) with `stor_file`; step 9 downloads
/// `ref` next to it with `retr_to_path` (through the blocking writer thread).
async fn step(
    ftp: &mut Client,
    which: u32,
    data: &[u8],
    reference: &[u8],
    local: &std::path::Path,
) -> Result<(), Error> {
    match which {
        0 => {
            ftp.noop().await?;
        }
        1 => assert_eq!(ftp.size("ref").await?, reference.len() as u64),
        2 => {
            let mut back = Vec::new();
            ftp.retr_to("ref", &mut back).await?;
            assert!(back == reference, "a completed download is complete");
        }
        3 => {
            ftp.stor_from("up", &mut &data[..]).await?;
        }
        4 => {
            let listing = ftp.list(None).await?;
            assert!(listing.entries.iter().any(|e| e.name == b"ref"));
        }
        5 => {
            let mut reader = ftp.retr("ref").await?;
            let mut first = vec![0; 1000];
            reader.read_exact(&mut first).await?;
            assert_eq!(first, reference[..1000]);
            // Dropped early: aborted.
        }
        6 => {
            let mut writer = ftp.stor("up").await?;
            writer.write_all(data).await?;
            writer.finish().await?;
        }
        8 => {
            let mut file = std::fs::File::open(local)?;
            ftp.stor_file("up", &mut file).await?;
        }
        9 => {
            let down = local.with_extension("down");
            ftp.retr_to_path("ref", &down).await?;
            assert!(
                std::fs::read(&down)? == reference,
                "a completed download is complete"
            );
        }
        _ => {
            let mut reader = ftp.retr("ref").await?;
            let mut back = Vec::new();
            reader.read_to_end(&mut back).await?;
            reader.finish().await?;
            assert!(back == reference);
        }
    }
    Ok(())
}

/// The session is in step: commands answer as they should, and the files are right.
async fn check(ftp: &mut Client, server: &MemoryServer, reference: &[u8], context: &str) {
    assert_eq!(ftp.pwd().await.expect(context), "/", "{context}");
    assert_eq!(
        ftp.size("ref").await.expect(context),
        reference.len() as u64,
        "{context}"
    );
    ftp.noop().await.expect(context);
    assert_eq!(
        server.fs().get("/ref").as_deref(),
        Some(reference),
        "{context}"
    );
}

async fn cancel_everywhere(server: &MemoryServer, config: Config, address: String) {
    let reference = content(200_000, 3);
    server.fs().put("/ref", reference.clone());
    let data = content(150_000, 9);
    let local = std::env::temp_dir().join(format!(
        "ftp-rs-cancel-{}-{}",
        std::process::id(),
        server.addr().port()
    ));
    std::fs::write(&local, &data).expect("write the local file");
    let mut ftp = Client::connect(&address, config).await.expect("connect");
    ftp.login("user", "pass").await.expect("login");
    let mut cancelled = 0;
    for which in 0..STEPS {
        // Drop after 0, 1, 2, … polls, until the step completes without being dropped.
        for polls in 0.. {
            let outcome = poll_limit(step(&mut ftp, which, &data, &reference, &local), polls).await;
            let context = format!("step {which} dropped after {polls} polls");
            let finished = outcome.is_some();
            match outcome {
                None => cancelled += 1,
                Some(result) => result.unwrap_or_else(|e| panic!("{context}: {e:?}")),
            }
            check(&mut ftp, server, &reference, &context).await;
            if finished {
                if matches!(which, 3 | 6 | 8) {
                    let up = server.fs().get("/up");
                    assert!(
                        up.as_deref() == Some(&data[..]),
                        "{context}: the upload is right"
                    );
                }
                break;
            }
        }
    }
    println!("{cancelled} futures dropped mid-way");
    assert!(cancelled > 20, "only {cancelled} drops");
    // Random drops by time, mixed steps.
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..60 {
        let which = (rng.next() % STEPS as u64) as u32;
        let micros = rng.next() % 3000;
        let _ = tokio::time::timeout(
            Duration::from_micros(micros),
            step(&mut ftp, which, &data, &reference, &local),
        )
        .await;
        check(
            &mut ftp,
            server,
            &reference,
            &format!("random round {round}"),
        )
        .await;
    }
    ftp.quit().await.expect("quit");
    std::fs::remove_file(&local).expect("remove the local file");
    let _ = std::fs::remove_file(local.with_extension("down"));
}

#[tokio::test]
async fn drop_at_every_point_plain() {
    let server = MemoryServer::start();
    let address = server.addr().to_string();
    cancel_everywhere(&server, Config::new(), address).await;
}

#[tokio::test]
async fn drop_at_every_point_active() {
    let server = MemoryServer::start();
    let address = server.addr().to_string();
    cancel_everywhere(&server, Config::new().active(None, None), address).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_at_every_point_tls() {
    let pki = TestPki::new();
    let (server, address) = MemoryServer::start_tls_requiring_reuse(&pki);
    let tls = TlsConfig::from_ca_pem(pki.ca_pem().as_bytes()).expect("the CA parses");
    cancel_everywhere(&server, Config::new().explicit_tls(tls), address).await;
    assert_eq!(server.stats().refused_no_reuse(), 0);
}

#[tokio::test]
async fn dropped_connect_and_quit_leave_nothing_open() {
    let server = MemoryServer::start();
    let address = server.addr().to_string();
    for polls in 0..6 {
        let _ = poll_limit(Client::connect(&address, Config::new()), polls).await;
    }
    let ftp = Client::connect(&address, Config::new())
        .await
        .expect("connect");
    let _ = poll_limit(ftp.quit(), 1).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while server.stats().active_sessions() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.stats().active_sessions(), 0);
}

/// A download from a server that pauses: the keepalive NOOP goes out on the control
/// connection while the data connection is idle, its reply is read, and the transfer
/// and the session go on.
#[tokio::test]
async fn keepalive_noops_during_a_transfer() {
    let first = content(5000, 1);
    let second = content(5000, 2);
    let script = Script::new()
        .greet()
        .login("user", "pass")
        .expect("TYPE I")
        .reply("200 binary")
        .expect("EPSV")
        .epsv()
        .expect("RETR f")
        .reply("150 here it comes")
        .accept_data()
        .data_send(first.clone())
        .expect("NOOP")
        .reply("200 still here")
        .data_send(second.clone())
        .data_close()
        .reply("226 done")
        .expect("NOOP")
        .reply("200 in step");
    let mut server = Server::start(script);
    let config = Config::new()
        .feat_after_login(false)
        .keepalive_interval(Duration::from_millis(100))
        .reply_timeout(Duration::from_secs(3));
    let mut ftp = Client::connect(&server.addr().to_string(), config)
        .await
        .expect("connect");
    ftp.login("user", "pass").await.expect("login");
    let mut back = Vec::new();
    ftp.retr_to("f", &mut back).await.expect("retr");
    assert!(back == [first, second].concat());
    ftp.noop().await.expect("in step after the keepalive");
    server.try_finish().expect("the script ran to its end");
}

/// The client, its streams and its futures cross threads.
#[test]
fn futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = runtime.enter();
    let connecting = Client::connect("127.0.0.1:1", Config::new());
    send(&connecting);
    let _ = |ftp: &mut Client| {
        send(&ftp.noop());
        send(&ftp.retr("x"));
        send(&ftp.stor_from("x", &mut &b""[..]));
        let mut file = std::fs::File::open("/dev/null").unwrap();
        send(&ftp.stor_file("x", &mut file));
        send(&ftp.list(None));
    };
}
