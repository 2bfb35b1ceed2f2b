//! Listing-parser throughput of [`ftp_core::listing`], beside suppaftp's `ListParser` on
//! the same lines (suppaftp is a bench-only dependency).
//!
//! - `listing/unix`: `ls -l` lines as vsftpd, proftpd and pure-ftpd send them (files,
//!   directories, symlinks, names with spaces, both date forms).
//! - `listing/mlsd`: MLSD lines as proftpd, pure-ftpd and pyftpdlib send them.
//! - `listing/dos`: IIS-style lines.
//!
//! Throughput is in lines per second. Each ftp-core iteration also reads every entry's
//! name, kind and size, so nothing is optimised away; suppaftp's result is `black_box`ed.
//!
//! Run with `cargo bench -p ftp-core --bench listing`.
//!
//! Instruction counts (what to compare on a shared machine, where wall time is noisy):
//! with `LISTING_COUNT=<unix|mlsd|dos>/<ftp-core|suppaftp>:<iterations>` the binary runs
//! that parser over the 1000 lines `iterations` times and exits, so under
//! `valgrind --tool=callgrind` the difference between `:<n>` and `:0` divided by
//! `n * 1000` is the instructions per line (see BENCHMARKS.md).

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use ftp_core::FtpTime;
use ftp_core::listing::{Format, ListingParser, ParsedLine};
use suppaftp::list::ListParser;

const UNIX: &[&str] = &[
    "drwxr-xr-x    2 1000     1000         4096 Nov 25 21:14 ftp-rs demo",
    "-rw-r--r--    1 1000     1000     10485760 Nov 25 21:14 big.bin",
    "-rw-r--r--    1 1000     1000        12004 Jan 02  2024 source file.rs",
    "lrwxrwxrwx    1 0        0               7 Mar 14  2023 bin -> usr/bin",
    "-rw-r--r--   1 ftp      ftp        531 Jan 29 03:26 README",
    "drwxrwxr-x   3 ftp      ftp       4096 Jun 25  2015 assets",
    "-rw-rw-r--   1 alice    staff   2814525 Feb 14 09:12 photo 2024-02-14.jpg",
    "-rwxr-xr-x   1 root     root     16384 Dec  8 15:54 run.sh",
    "drwxr-xr-x   5 ftp      ftp        512 Oct 10  2019 pub",
    "-rw-r--r--   1 1001     1001         0 Apr  1 00:00 empty.txt",
];

const MLSD: &[&str] = &[
    "modify=20201213202400;perm=adfrw;size=10485760;type=file;unique=801U1C;UNIX.group=1000;UNIX.mode=0644;UNIX.owner=1000; big.bin",
    "modify=20240102101112;perm=flcdmpe;type=dir;unique=801U1D;UNIX.group=1000;UNIX.mode=0755;UNIX.owner=1000; ftp-rs demo",
    "type=file;size=12004;modify=20240102101112;UNIX.mode=0644;UNIX.uid=1000;UNIX.gid=1000;unique=803g1; source file.rs",
    // (proftpd's `type=OS.unix=slink:/usr/bin` symlink lines are left out: suppaftp
    // rejects them, so they could not be compared.)
    "type=file;size=7;modify=20230314120000;UNIX.mode=0777; bin",
    "type=file;perm=r;size=531;modify=20190129032600;unique=1fU2; README",
    "type=dir;perm=el;modify=20150625000000;unique=1fU3; assets",
    "type=file;perm=r;size=2814525;modify=20240214091200.123;unique=1fU4; photo 2024-02-14.jpg",
    "type=cdir;perm=el;modify=20191010000000; .",
    "type=pdir;perm=el;modify=20191010000000; ..",
    "type=file;size=0;modify=20240401000000; empty.txt",
];

const DOS: &[&str] = &[
    "04-27-00  09:09PM       <DIR>          pub",
    "08-07-15  07:50PM                  718 Post_PRR_20150901_1166_265118_13049.dat",
    "11-25-26  10:14AM             10485760 big.bin",
    "01-02-24  01:11PM                12004 source file.rs",
    "02-14-24  09:12AM              2814525 photo 2024-02-14.jpg",
    "10-10-19  12:00AM       <DIR>          assets",
    "04-01-24  12:00AM                    0 empty.txt",
    "06-25-15  03:00PM       <DIR>          Program Files",
    "01-29-19  03:26AM                  531 README",
    "12-08-25  03:54PM                16384 run.cmd",
];

/// About this many lines per iteration: a mid-size directory.
const LINES: usize = 1000;

fn repeat(lines: &[&'static str]) -> Vec<&'static str> {
    lines.iter().copied().cycle().take(LINES).collect()
}

fn ours(lines: &[&str], format: Format) -> u64 {
    let now = FtpTime::new(2026, 11, 25, 12, 0, 0).expect("a valid date");
    let mut parser = ListingParser::new(now).with_format(format);
    let mut sum = 0u64;
    for line in lines {
        if let ParsedLine::Entry(e) = parser.parse_line(line.as_bytes()) {
            sum += e.name.len() as u64 + e.size.unwrap_or(0);
            black_box(e.kind);
        } else {
            panic!("benchmark line not parsed: {line}");
        }
    }
    sum
}

fn bench(c: &mut Criterion) {
    let unix = repeat(UNIX);
    let mlsd = repeat(MLSD);
    let dos = repeat(DOS);
    // The lines must parse with both, or the comparison means nothing.
    for line in &unix {
        ListParser::parse_posix(line).expect("suppaftp parses the Unix line");
    }
    for line in &mlsd {
        ListParser::parse_mlsd(line)
            .unwrap_or_else(|e| panic!("suppaftp cannot parse {line:?}: {e}"));
    }
    for line in &dos {
        ListParser::parse_dos(line).expect("suppaftp parses the DOS line");
    }

    let mut group = c.benchmark_group("listing");
    group.throughput(Throughput::Elements(LINES as u64));
    group.bench_function("unix/ftp-core", |b| {
        b.iter(|| ours(black_box(&unix), Format::Auto))
    });
    group.bench_function("unix/suppaftp", |b| {
        b.iter(|| {
            for line in black_box(&unix) {
                let _ = black_box(ListParser::parse_posix(line));
            }
        })
    });
    group.bench_function("mlsd/ftp-core", |b| {
        b.iter(|| ours(black_box(&mlsd), Format::Mlsd))
    });
    group.bench_function("mlsd/suppaftp", |b| {
        b.iter(|| {
            for line in black_box(&mlsd) {
                let _ = black_box(ListParser::parse_mlsd(line));
            }
        })
    });
    group.bench_function("dos/ftp-core", |b| {
        b.iter(|| ours(black_box(&dos), Format::Auto))
    });
    group.bench_function("dos/suppaftp", |b| {
        b.iter(|| {
            for line in black_box(&dos) {
                let _ = black_box(ListParser::parse_dos(line));
            }
        })
    });
    group.finish();
}

/// The `LISTING_COUNT` mode: see the module docs.
fn count(spec: &str) {
    let (what, n) = spec
        .split_once(':')
        .expect("LISTING_COUNT=format/parser:iterations");
    let n: usize = n.parse().expect("a number of iterations");
    let (format, parser) = what.split_once('/').expect("format/parser");
    let (lines, ours_format) = match format {
        "unix" => (repeat(UNIX), Format::Auto),
        "mlsd" => (repeat(MLSD), Format::Mlsd),
        "dos" => (repeat(DOS), Format::Auto),
        other => panic!("unknown format {other}"),
    };
    let mut sum = 0u64;
    for _ in 0..n {
        match (parser, format) {
            ("ftp-core", _) => sum += ours(black_box(&lines), ours_format),
            ("suppaftp", "unix") => {
                for line in black_box(&lines) {
                    let _ = black_box(ListParser::parse_posix(line));
                }
            }
            ("suppaftp", "mlsd") => {
                for line in black_box(&lines) {
                    let _ = black_box(ListParser::parse_mlsd(line));
                }
            }
            ("suppaftp", _) => {
                for line in black_box(&lines) {
                    let _ = black_box(ListParser::parse_dos(line));
                }
            }
            (other, _) => panic!("unknown parser {other}"),
        }
    }
    black_box(sum);
}

mod groups {
    use super::*;
    criterion::criterion_group!(benches, bench);
}

fn main() {
    if let Ok(spec) = std::env::var("LISTING_COUNT") {
        count(&spec);
        return;
    }
    groups::benches();
    Criterion::default().configure_from_args().final_summary();
}
