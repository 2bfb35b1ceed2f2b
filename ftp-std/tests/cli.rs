//! The `ftp` example (a command-line client) run as a program against the in-memory
//! server: every command, exit codes and error output.
//!
//! Tests cannot import an example, so the first test to need it builds it once with the
//! cargo running these tests (`cargo build --example ftp`, same target directory and
//! profile) and every case runs the binary directly.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use ftp_test_server::{Leaf, MemoryServer, TestPki};

/// The example's binary, built once per test run.
fn ftp_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        // This test runs as <target>/<profile dir>/deps/cli-<hash>; examples go to
        // <target>/<profile dir>/examples/.
        let exe = std::env::current_exe().expect("the test's own path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("<target>/<profile>/deps");
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => "dev".to_owned(),
            Some(other) => other.to_owned(),
        };
        let mut cargo = Command::new(env!("CARGO"));
        // What cargo sets for a running test is no setting of the build's: some build
        // scripts (ring's) watch CARGO_MANIFEST_DIR and would rebuild in turn with the
        // outer cargo.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("CARGO_PKG_")
                || [
                    "CARGO_MANIFEST_DIR",
                    "CARGO_MANIFEST_PATH",
                    "CARGO_CRATE_NAME",
                    "CARGO_BIN_NAME",
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_TARGET_TMPDIR",
                    "OUT_DIR",
                ]
                .contains(&&*key)
            {
                cargo.env_remove(&*key);
            }
        }
        let status = cargo
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "build",
                "-q",
                "-p",
                "ftp-std",
                "--example",
                "ftp",
                "--profile",
            ])
            .arg(&profile)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the ftp example failed");
        let binary = profile_dir
            .join("examples")
            .join(format!("ftp{}", std::env::consts::EXE_SUFFIX));
        assert!(binary.exists(), "{} was not built", binary.display());
        binary
    })
}

fn ftp(args: &[&str]) -> Output {
    Command::new(ftp_binary())
        .args(args)
        .env_remove("FTP_PASSWORD")
        .output()
        .expect("the ftp example runs")
}

/// Runs `ftp args...` and expects it to succeed; returns its stdout.
fn ok(args: &[&str]) -> String {
    let out = ftp(args);
    assert!(
        out.status.success(),
        "ftp {args:?} failed ({:?}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn content(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 13) as u8)
        .collect()
}

/// A scratch directory of this test's own, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("ftp-std-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        Scratch(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0
            .join(name)
            .to_str()
            .expect("UTF-8 temp path")
            .to_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn every_command_against_the_memory_server() {
    let server = MemoryServer::start();
    let scratch = Scratch::new("commands");
    let base = format!("ftp://user:pass@{}", server.addr());
    let data = content(700_000, 3);
    let local = scratch.path("upload.bin");
    std::fs::write(&local, &data).expect("local file");

    ok(&["mkdir", &format!("{base}/dir")]);
    assert!(server.fs().exists("/dir"));

    // put: an explicit name, and a URL ending in / that keeps the local name.
    ok(&["put", &local, &format!("{base}/dir/a%20file.bin")]);
    assert_eq!(
        server.fs().get("/dir/a file.bin").as_deref(),
        Some(&data[..])
    );
    ok(&["--active", "put", &local, &format!("{base}/dir/")]);
    assert_eq!(
        server.fs().get("/dir/upload.bin").as_deref(),
        Some(&data[..])
    );

    // ls: typed lines (kind, size, time, name), and raw lines with -l.
    let listing = ok(&["ls", &format!("{base}/dir")]);
    let line = listing
        .lines()
        .find(|l| l.ends_with("  a file.bin"))
        .unwrap_or_else(|| panic!("no entry in:\n{listing}"));
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields[0], "file", "{line}");
    assert_eq!(fields[1], data.len().to_string(), "{line}");
    assert!(
        fields[2].len() == 10 && fields[2].as_bytes()[4] == b'-',
        "{line}"
    );
    assert_eq!(listing.lines().count(), 2, "{listing}");
    let raw = ok(&["ls", "-l", &format!("{base}/dir")]);
    assert!(
        raw.lines()
            .any(|l| l.contains(&data.len().to_string()) && l.ends_with(" a file.bin")),
        "{raw}"
    );

    // get: into a named file, and into a directory under the remote name.
    let back = scratch.path("back.bin");
    ok(&["get", &format!("{base}/dir/a%20file.bin"), &back]);
    assert!(std::fs::read(&back).expect("downloaded") == data);
    ok(&["get", &format!("{base}/dir/upload.bin"), &scratch.path("")]);
    assert!(std::fs::read(scratch.path("upload.bin")).expect("downloaded") == data);

    // get --resume continues a partial local file; put --resume a partial remote one.
    std::fs::write(&back, &data[..250_000]).expect("truncate");
    ok(&[
        "get",
        "--resume",
        &format!("{base}/dir/a%20file.bin"),
        &back,
    ]);
    assert!(std::fs::read(&back).expect("resumed") == data);
    server.fs().put("/dir/partial", &data[..123_456]);
    ok(&["put", "--resume", &local, &format!("{base}/dir/partial")]);
    assert_eq!(server.fs().get("/dir/partial").as_deref(), Some(&data[..]));

    // mv with a bare name stays in the directory; rm; rmdir.
    ok(&["mv", &format!("{base}/dir/a%20file.bin"), "renamed"]);
    assert!(server.fs().exists("/dir/renamed"));
    assert!(!server.fs().exists("/dir/a file.bin"));
    for name in ["renamed", "upload.bin", "partial"] {
        ok(&["rm", &format!("{base}/dir/{name}")]);
    }
    assert!(server.fs().list("/dir").is_empty());
    ok(&["rmdir", &format!("{base}/dir")]);
    assert!(!server.fs().exists("/dir"));
}

#[test]
fn failures_have_their_exit_codes() {
    let server = MemoryServer::start();
    let scratch = Scratch::new("failures");
    let base = format!("ftp://user:pass@{}", server.addr());

    // Bad usage: exit code 2 and the usage text.
    for args in [
        &["get", "http://example.com/x"][..],
        &["ls", "not a url"],
        &["frobnicate", "ftp://host/x"],
        &["get"],
        &["ls", "--insecure", "ftp://host/"],
    ] {
        let out = ftp(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("usage: ftp"), "{args:?}: {stderr}");
    }

    // A missing remote file: exit code 1, the server's 550, no local file left behind.
    let local = scratch.path("missing");
    let out = ftp(&["get", &format!("{base}/no-such-file"), &local]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("550"), "{stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(!Path::new(&local).exists());

    // A wrong password: exit code 1, the 530.
    let out = ftp(&["ls", &format!("ftp://user:wrong@{}/", server.addr())]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("530"), "{stderr}");
}

#[test]
fn ftps_with_a_private_ca_and_a_percent_encoded_login() {
    let pki = TestPki::new();
    let server = MemoryServer::builder()
        .tls(pki.server_config(Leaf::Valid))
        .require_session_reuse(true)
        .user("us@r", "p:ss w%")
        .start()
        .expect("server");
    let scratch = Scratch::new("ftps");
    let ca = scratch.path("ca.pem");
    std::fs::write(&ca, pki.ca_pem()).expect("CA file");
    server.fs().put("/hello.txt", &b"hello over TLS\n"[..]);
    let base = format!(
        "ftps://us%40r:p%3Ass%20w%25@localhost:{}",
        server.addr().port()
    );

    let listing = ok(&["ls", "--ca", &ca, &format!("{base}/")]);
    assert!(listing.contains("hello.txt"), "{listing}");
    let out = ok(&["-v", "--ca", &ca, "get", &format!("{base}/hello.txt"), "-"]);
    assert_eq!(out, "hello over TLS\n");

    // Without the CA the platform verifier refuses the test certificate.
    let out = ftp(&["ls", &format!("{base}/")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("TLS"), "{stderr}");

    // --insecure gets through, loudly.
    let out = ftp(&["ls", "--insecure", &format!("{base}/")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("WARNING"), "{stderr}");
}

#[test]
fn verbose_prints_the_transcript_with_the_password_masked() {
    let server = MemoryServer::start();
    let out = ftp(&["-v", "ls", &format!("ftp://user:pass@{}/", server.addr())]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("USER user"), "{stderr}");
    assert!(stderr.contains("PASS"), "{stderr}");
    assert!(!stderr.contains("PASS pass"), "{stderr}");
}

#[test]
fn mirror_both_ways_dry_run_and_pget() {
    use ftp_test_server::tree::{read_local, sample_files, write_local};
    let server = MemoryServer::start();
    let scratch = Scratch::new("mirror");
    let base = format!("ftp://user:pass@{}", server.addr());
    let files = sample_files(30, 8);
    write_local(&scratch.0.join("src"), &files).expect("local tree");

    // Up (-R), into a folder that does not exist yet; then down into another.
    ok(&[
        "mirror",
        "-R",
        "-P",
        "3",
        &scratch.path("src"),
        &format!("{base}/site"),
    ]);
    assert_eq!(
        server.fs().files_under("/site"),
        read_local(&scratch.0.join("src")).unwrap()
    );
    ok(&["mirror", &format!("{base}/site"), &scratch.path("copy")]);
    assert_eq!(
        read_local(&scratch.0.join("copy")).unwrap(),
        server.fs().files_under("/site")
    );

    // A dry run lists the one changed file and changes nothing.
    server.fs().put("/site/docs/new one.txt", b"fresh".to_vec());
    let plan = ok(&[
        "mirror",
        "--dry-run",
        &format!("{base}/site"),
        &scratch.path("copy"),
    ]);
    assert!(plan.contains("new    docs/new one.txt (5 bytes)"), "{plan}");
    assert!(plan.contains("dry run: 1 steps"), "{plan}");
    assert!(!scratch.0.join("copy/docs/new one.txt").exists());

    // --delete with --exclude: the stray local file goes, the excluded one stays.
    std::fs::write(scratch.0.join("copy/stray"), b"x").unwrap();
    std::fs::write(scratch.0.join("copy/keep.tmp"), b"x").unwrap();
    let out = ftp(&[
        "mirror",
        "--delete",
        "--exclude",
        "*.tmp",
        &format!("{base}/site"),
        &scratch.path("copy"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("1 transferred") && said.contains("1 deleted"),
        "{said}"
    );
    assert!(!scratch.0.join("copy/stray").exists());
    assert!(scratch.0.join("copy/keep.tmp").exists());

    // pget: a file in 4 segments.
    let big = content(3 << 20, 4);
    server.fs().put("/big.bin", big.clone());
    ok(&[
        "pget",
        "-P",
        "4",
        &format!("{base}/big.bin"),
        &scratch.path("big.bin"),
    ]);
    assert!(std::fs::read(scratch.0.join("big.bin")).unwrap() == big);

    // Usage errors exit 2; a missing remote tree is a typed failure, exit 1.
    assert_eq!(ftp(&["ls", "--delete", &base]).status.code(), Some(2));
    assert_eq!(ftp(&["mirror", &base]).status.code(), Some(2));
    let missing = ftp(&["mirror", &format!("{base}/nope"), &scratch.path("x")]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("permanent"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
}
