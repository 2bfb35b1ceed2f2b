//! Sample trees for mirror tests: nested folders, names with spaces and non-ASCII
//! letters, sizes from empty to a few hundred KiB; and local-folder helpers to compare
//! them byte for byte.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// `count` files (relative path, content) spread over nested folders. The same `seed`
/// gives the same tree.
pub fn sample_files(count: usize, seed: u32) -> Vec<(String, Vec<u8>)> {
    const DIRS: [&str; 7] = [
        "",
        "docs",
        "docs/deep/er",
        "with space",
        "ünïcødé dir",
        "with space/nested ñame",
        "a/b/c/d",
    ];
    (0..count)
        .map(|i| {
            let dir = DIRS[i % DIRS.len()];
            let name = match i % 4 {
                0 => format!("file {i}.txt"),
                1 => format!("données-{i}.bin"),
                2 => format!("plain{i}"),
                _ => format!("x_{i}.dat"),
            };
            let path = if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            };
            let len = match i % 10 {
                0 => 0,
                1 => 1,
                9 => 200_000 + i * 7,
                _ => 500 + (i * 997) % 20_000,
            };
            (path, content(len, seed.wrapping_add(i as u32)))
        })
        .collect()
}

/// Deterministic bytes.
pub fn content(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 13) as u8)
        .collect()
}

/// A fresh empty folder under the system's temporary directory.
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ftp-rs-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create a temporary folder");
    dir
}

/// Writes the files under `root`, creating folders.
pub fn write_local(root: &Path, files: &[(String, Vec<u8>)]) -> io::Result<()> {
    for (path, data) in files {
        let full = root.join(path);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(full, data)?;
    }
    Ok(())
}

/// Every file under `root`, by relative `/`-separated path.
pub fn read_local(root: &Path) -> io::Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        for item in fs::read_dir(root.join(&rel))? {
            let item = item?;
            let rel = rel.join(item.file_name());
            if item.file_type()?.is_dir() {
                pending.push(rel);
            } else {
                let key = rel
                    .iter()
                    .map(|c| c.to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.insert(key, fs::read(root.join(&rel))?);
            }
        }
    }
    Ok(out)
}

/// A local file's modification time, seconds since the Unix epoch.
pub fn mtime_secs(path: &Path) -> i64 {
    let modified = fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match modified.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}
