//! Mirroring, planned without I/O: what to create, transfer, resume and delete so a
//! target tree matches a source tree. The same planner serves both directions (remote →
//! local and local → remote); the adapters walk the trees and carry the plan out
//! (`jobs` has the shared executor).
//!
//! The rules, per file of the source that the [`Filter`] keeps:
//! - missing in the target: transfer it;
//! - same size and same modification time (within the coarser of the two precisions: a
//!   LIST time may be to the minute or the day, see [`FileMeta::tolerance_secs`]):
//!   unchanged;
//! - smaller in the target and modified *after* the source (a transfer that stopped
//!   part-way; a finished one gets the source's time): resumed from the target's size
//!   (REST, RFC 3659 §5), when [`MirrorOptions::resume`] is on;
//! - otherwise, with [`MirrorOptions::only_newer`]: transferred only when the source is
//!   newer; without it: transferred when size or time differ.
//!
//! Target entries the source does not have (and the filter keeps) are deleted when
//! [`MirrorOptions::delete`] is on, files first, then directories deepest first.
//!
//! ```
//! use ftp_core::mirror::{plan, Action, FileMeta, MirrorOptions, Tree};
//!
//! let mut remote = Tree::default();
//! remote.add_dir("docs");
//! remote.add_file("docs/a.txt", FileMeta::new(Some(10), Some(1_700_000_000), 1));
//! remote.add_file("b.bin", FileMeta::new(Some(5), Some(1_700_000_000), 60));
//! let mut local = Tree::default();
//! // b.bin is already here with the same size, listed to the minute (LIST).
//! local.add_file("b.bin", FileMeta::new(Some(5), Some(1_700_000_030), 1));
//!
//! let plan = plan(&remote, &local, &MirrorOptions::default());
//! assert_eq!(plan.actions[0], Action::CreateDir("docs".into()));
//! assert!(matches!(&plan.actions[1], Action::Transfer { path, offset: 0, .. } if path == "docs/a.txt"));
//! assert_eq!(plan.actions.len(), 2);
//! assert_eq!(plan.unchanged, 1);
//! ```

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// A bad include or exclude pattern.
#[derive(Debug, thiserror::Error)]
#[error("bad glob pattern {pattern:?}: {reason}")]
pub struct PatternError {
    /// The pattern as given.
    pub pattern: String,
    /// Why it was refused.
    pub reason: String,
}

/// Which paths a mirror looks at: include and exclude globs over the path relative to the
/// mirror's root, `/`-separated.
///
/// A pattern with a `/` matches the whole relative path (`*` stays within one name, `**`
/// crosses directories); a pattern without one matches the base name at any depth, as in
/// lftp and rsync. Excludes apply to files and directories (an excluded directory is not
/// entered); includes, when any is given, select files only (directories are always
/// entered so their files can match).
///
/// ```
/// use ftp_core::mirror::Filter;
///
/// let f = Filter::new().include("*.txt")?.exclude("tmp")?.exclude("old/**")?;
/// assert!(f.keeps_file("a/b/c.txt"));
/// assert!(!f.keeps_file("a/b/c.bin"));
/// assert!(!f.keeps_dir("x/tmp"));
/// assert!(!f.keeps_file("old/notes.txt"));
/// # Ok::<(), ftp_core::mirror::PatternError>(())
/// ```
#[derive(Clone, Default)]
pub struct Filter {
    include: Vec<String>,
    exclude: Vec<String>,
    include_set: Option<(GlobSet, GlobSet)>,
    exclude_set: Option<(GlobSet, GlobSet)>,
}

impl fmt::Debug for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Filter")
            .field("include", &self.include)
            .field("exclude", &self.exclude)
            .finish()
    }
}

impl Filter {
    /// Keeps everything.
    pub fn new() -> Self {
        Filter::default()
    }

    /// Keeps only files matching `pattern` (or another include).
    pub fn include(mut self, pattern: &str) -> Result<Self, PatternError> {
        self.include.push(pattern.to_string());
        self.include_set = Some(build(&self.include)?);
        Ok(self)
    }

    /// Leaves out files and directories matching `pattern`.
    pub fn exclude(mut self, pattern: &str) -> Result<Self, PatternError> {
        self.exclude.push(pattern.to_string());
        self.exclude_set = Some(build(&self.exclude)?);
        Ok(self)
    }

    /// Whether a file at this relative path is mirrored.
    pub fn keeps_file(&self, path: &str) -> bool {
        if matches(&self.exclude_set, path) {
            return false;
        }
        self.include_set.is_none() || matches(&self.include_set, path)
    }

    /// Whether a directory at this relative path is entered.
    pub fn keeps_dir(&self, path: &str) -> bool {
        !matches(&self.exclude_set, path)
    }
}

/// Two sets: patterns on the whole path, patterns on the base name.
fn build(patterns: &[String]) -> Result<(GlobSet, GlobSet), PatternError> {
    let mut whole = GlobSetBuilder::new();
    let mut base = GlobSetBuilder::new();
    for p in patterns {
        let glob = GlobBuilder::new(p.trim_start_matches('/'))
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| PatternError {
                pattern: p.clone(),
                reason: e.kind().to_string(),
            })?;
        if p.contains('/') {
            whole.add(glob);
        } else {
            base.add(glob);
        }
    }
    let err = |e: globset::Error| PatternError {
        pattern: patterns.join(" "),
        reason: e.to_string(),
    };
    Ok((whole.build().map_err(err)?, base.build().map_err(err)?))
}

fn matches(set: &Option<(GlobSet, GlobSet)>, path: &str) -> bool {
    let Some((whole, base)) = set else {
        return false;
    };
    let name = path.rsplit('/').next().unwrap_or(path);
    whole.is_match(path) || base.is_match(name)
}

/// What the planner knows of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileMeta {
    /// The size in bytes, when known.
    pub size: Option<u64>,
    /// Modification time, seconds since the Unix epoch (UTC), when known.
    pub modified: Option<i64>,
    /// How precise `modified` is, in seconds: 1 for MLSD and local files, 60 for a LIST
    /// time to the minute, 86 400 for a date only.
    pub precision_secs: u32,
}

impl FileMeta {
    /// A file's size, time and the precision of that time.
    pub fn new(size: Option<u64>, modified: Option<i64>, precision_secs: u32) -> Self {
        FileMeta {
            size,
            modified,
            precision_secs: precision_secs.max(1),
        }
    }

    /// How far apart two times may be and still be "the same": the coarser precision
    /// (a minute-precision LIST time matches any second of that minute).
    pub fn tolerance_secs(&self, other: &FileMeta) -> i64 {
        i64::from(self.precision_secs.max(other.precision_secs)) - 1
    }
}

/// A directory tree as the planner sees it: relative `/`-separated paths (no leading or
/// trailing `/`, never `.` or `..`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    /// Directories.
    pub dirs: BTreeSet<String>,
    /// Files and what is known of them.
    pub files: BTreeMap<String, FileMeta>,
}

impl Tree {
    /// Adds a directory.
    pub fn add_dir(&mut self, path: &str) {
        self.dirs.insert(path.to_string());
    }

    /// Adds a file.
    pub fn add_file(&mut self, path: &str, meta: FileMeta) {
        self.files.insert(path.to_string(), meta);
    }

    /// The number of bytes in all files of known size.
    pub fn bytes(&self) -> u64 {
        self.files.values().filter_map(|m| m.size).sum()
    }
}

/// How a mirror decides.
#[derive(Debug, Clone)]
pub struct MirrorOptions {
    /// Transfer a file only when the source is newer than the target (lftp's
    /// `--only-newer`); default off: any difference in size or time transfers.
    pub only_newer: bool,
    /// Delete target files and directories the source does not have; default off.
    pub delete: bool,
    /// Resume partial files (see the [module docs](self)); default on.
    pub resume: bool,
    /// Which paths take part.
    pub filter: Filter,
}

impl Default for MirrorOptions {
    fn default() -> Self {
        MirrorOptions {
            only_newer: false,
            delete: false,
            resume: true,
            filter: Filter::new(),
        }
    }
}

/// One step of a mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create this directory in the target.
    CreateDir(String),
    /// Copy this file from the source, starting at `offset` (0, or the size of a partial
    /// target to resume), and give the target the source's time.
    Transfer {
        /// The relative path.
        path: String,
        /// Where to start.
        offset: u64,
        /// The source's metadata (size to verify, time to set).
        source: FileMeta,
        /// Why.
        reason: Reason,
    },
    /// Delete this target file.
    DeleteFile(String),
    /// Delete this (by then empty) target directory.
    DeleteDir(String),
}

/// Why a file is transferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The target does not have it.
    Missing,
    /// The target's copy stopped part-way.
    Partial,
    /// The source is newer.
    Newer,
    /// Size or time differ.
    Different,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::CreateDir(p) => write!(f, "mkdir  {p}/"),
            Action::Transfer {
                path,
                offset,
                source,
                reason,
            } => {
                let size = source.size.map_or("?".to_string(), |s| s.to_string());
                match reason {
                    Reason::Missing => write!(f, "new    {path} ({size} bytes)"),
                    Reason::Partial => write!(f, "resume {path} (from {offset} of {size} bytes)"),
                    Reason::Newer => write!(f, "newer  {path} ({size} bytes)"),
                    Reason::Different => write!(f, "update {path} ({size} bytes)"),
                }
            }
            Action::DeleteFile(p) => write!(f, "delete {p}"),
            Action::DeleteDir(p) => write!(f, "rmdir  {p}/"),
        }
    }
}

/// What a mirror will do, in order: directories to create (parents first), files to
/// transfer, then deletions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The steps.
    pub actions: Vec<Action>,
    /// Source files left alone because the target already matches.
    pub unchanged: usize,
}

impl Plan {
    /// The transfers.
    pub fn transfers(&self) -> impl Iterator<Item = &Action> {
        self.actions
            .iter()
            .filter(|a| matches!(a, Action::Transfer { .. }))
    }

    /// The bytes the transfers will move (what is known of it).
    pub fn bytes(&self) -> u64 {
        self.transfers()
            .map(|a| match a {
                Action::Transfer { offset, source, .. } => {
                    source.size.unwrap_or(0).saturating_sub(*offset)
                }
                _ => 0,
            })
            .sum()
    }
}

/// Plans the steps that make `target` match `source` (see the [module docs](self)).
pub fn plan(source: &Tree, target: &Tree, options: &MirrorOptions) -> Plan {
    let filter = &options.filter;
    // A directory is kept when it and all its parents are.
    let kept_dir = |path: &str| {
        path.match_indices('/')
            .all(|(i, _)| filter.keeps_dir(&path[..i]))
            && filter.keeps_dir(path)
    };
    let kept_file = |path: &str| {
        filter.keeps_file(path) && path.rsplit_once('/').is_none_or(|(dir, _)| kept_dir(dir))
    };
    let mut plan = Plan::default();
    for dir in &source.dirs {
        if kept_dir(dir) && !target.dirs.contains(dir) {
            plan.actions.push(Action::CreateDir(dir.clone()));
        }
    }
    for (path, src) in &source.files {
        if !kept_file(path) {
            continue;
        }
        let Some(dst) = target.files.get(path) else {
            plan.actions.push(transfer(path, 0, src, Reason::Missing));
            continue;
        };
        let tolerance = src.tolerance_secs(dst);
        let same_time = match (src.modified, dst.modified) {
            (Some(a), Some(b)) => (a - b).abs() <= tolerance,
            _ => true,
        };
        let target_later =
            matches!((src.modified, dst.modified), (Some(a), Some(b)) if b - a > tolerance);
        let source_later =
            matches!((src.modified, dst.modified), (Some(a), Some(b)) if a - b > tolerance);
        let same_size = src.size == dst.size || src.size.is_none() || dst.size.is_none();
        if same_size && same_time {
            plan.unchanged += 1;
        } else if let (true, Some(have), Some(want), true) =
            (options.resume, dst.size, src.size, target_later)
            && have < want
        {
            plan.actions
                .push(transfer(path, have, src, Reason::Partial));
        } else if options.only_newer {
            if source_later {
                plan.actions.push(transfer(path, 0, src, Reason::Newer));
            } else {
                plan.unchanged += 1;
            }
        } else {
            plan.actions.push(transfer(path, 0, src, Reason::Different));
        }
    }
    if options.delete {
        for path in target.files.keys() {
            if !source.files.contains_key(path) && kept_file(path) {
                plan.actions.push(Action::DeleteFile(path.clone()));
            }
        }
        // Deepest first, so each directory is empty by the time it is removed.
        let mut dirs: Vec<&String> = target
            .dirs
            .iter()
            .filter(|d| !source.dirs.contains(*d) && kept_dir(d))
            .collect();
        dirs.sort_by_key(|d| core::cmp::Reverse(d.matches('/').count()));
        plan.actions
            .extend(dirs.into_iter().map(|d| Action::DeleteDir(d.clone())));
    }
    plan
}

fn transfer(path: &str, offset: u64, source: &FileMeta, reason: Reason) -> Action {
    Action::Transfer {
        path: path.to_string(),
        offset,
        source: *source,
        reason,
    }
}

/// Splits a file of `size` bytes into at most `parts` contiguous ranges of at least
/// `min_len` bytes each (the last takes the remainder), for a segmented download.
///
/// ```
/// use ftp_core::mirror::segments;
/// assert_eq!(segments(10, 3, 1), [0..3, 3..6, 6..10]);
/// assert_eq!(segments(10, 4, 6), [0..10]);
/// assert!(segments(0, 4, 1).is_empty());
/// ```
pub fn segments(size: u64, parts: usize, min_len: u64) -> Vec<core::ops::Range<u64>> {
    if size == 0 {
        return Vec::new();
    }
    let max_parts = (size / min_len.max(1)).max(1);
    let parts = (parts.max(1) as u64).min(max_parts);
    let len = size / parts;
    (0..parts)
        .map(|i| {
            let start = i * len;
            let end = if i + 1 == parts { size } else { start + len };
            start..end
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn meta(size: u64, t: i64) -> FileMeta {
        FileMeta::new(Some(size), Some(t), 1)
    }

    fn tree(files: &[(&str, FileMeta)], dirs: &[&str]) -> Tree {
        let mut t = Tree::default();
        for d in dirs {
            t.add_dir(d);
        }
        for (p, m) in files {
            t.add_file(p, *m);
        }
        t
    }

    #[test]
    fn identical_trees_need_nothing() {
        let t = tree(&[("a", meta(1, 100)), ("d/b", meta(2, 200))], &["d"]);
        let p = plan(&t, &t, &MirrorOptions::default());
        assert!(p.actions.is_empty());
        assert_eq!(p.unchanged, 2);
    }

    #[test]
    fn changed_size_or_time_transfers() {
        let src = tree(
            &[
                ("a", meta(1, 100)),
                ("b", meta(2, 200)),
                ("c", meta(3, 300)),
            ],
            &[],
        );
        let dst = tree(
            &[
                ("a", meta(9, 100)),
                ("b", meta(2, 150)),
                ("c", meta(3, 300)),
            ],
            &[],
        );
        let p = plan(&src, &dst, &MirrorOptions::default());
        let paths: Vec<_> = p
            .transfers()
            .map(|a| match a {
                Action::Transfer { path, reason, .. } => (path.as_str(), *reason),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(paths, [("a", Reason::Different), ("b", Reason::Different)]);
        assert_eq!(p.unchanged, 1);
    }

    #[test]
    fn only_newer_skips_older_sources() {
        let src = tree(&[("old", meta(1, 100)), ("new", meta(1, 500))], &[]);
        let dst = tree(&[("old", meta(5, 200)), ("new", meta(1, 400))], &[]);
        let opts = MirrorOptions {
            only_newer: true,
            ..MirrorOptions::default()
        };
        let p = plan(&src, &dst, &opts);
        assert_eq!(p.transfers().count(), 1);
        assert!(
            matches!(&p.actions[0], Action::Transfer { path, reason: Reason::Newer, .. } if path == "new")
        );
    }

    #[test]
    fn a_smaller_later_target_is_resumed_unless_the_source_changed() {
        // Written after the source's time: a transfer that stopped part-way.
        let src = tree(
            &[("big", meta(1000, 100)), ("changed", meta(1000, 900))],
            &[],
        );
        let dst = tree(&[("big", meta(400, 800)), ("changed", meta(400, 800))], &[]);
        let p = plan(&src, &dst, &MirrorOptions::default());
        assert_eq!(
            p.actions[0],
            transfer("big", 400, &meta(1000, 100), Reason::Partial)
        );
        // The source was modified after the partial copy: start over.
        assert_eq!(
            p.actions[1],
            transfer("changed", 0, &meta(1000, 900), Reason::Different)
        );
        assert_eq!(p.bytes(), 600 + 1000);
        let no_resume = MirrorOptions {
            resume: false,
            ..MirrorOptions::default()
        };
        assert!(matches!(
            plan(&src, &dst, &no_resume).actions[0],
            Action::Transfer { offset: 0, .. }
        ));
    }

    #[test]
    fn list_precision_is_respected() {
        // A LIST time to the minute matches any second within that minute.
        let src = tree(&[("a", FileMeta::new(Some(5), Some(600), 60))], &[]);
        let same = tree(&[("a", meta(5, 659))], &[]);
        let later = tree(&[("a", meta(5, 660))], &[]);
        assert!(
            plan(&src, &same, &MirrorOptions::default())
                .actions
                .is_empty()
        );
        assert_eq!(
            plan(&src, &later, &MirrorOptions::default()).actions.len(),
            1
        );
    }

    #[test]
    fn deletes_extraneous_entries_deepest_first_and_respects_the_filter() {
        let src = tree(&[("keep", meta(1, 1))], &[]);
        let dst = tree(
            &[
                ("keep", meta(1, 1)),
                ("x/y/z", meta(1, 1)),
                ("junk", meta(1, 1)),
                ("skip.tmp", meta(1, 1)),
            ],
            &["x", "x/y"],
        );
        let opts = MirrorOptions {
            delete: true,
            filter: Filter::new().exclude("*.tmp").unwrap(),
            ..MirrorOptions::default()
        };
        let p = plan(&src, &dst, &opts);
        assert_eq!(
            p.actions,
            vec![
                Action::DeleteFile("junk".into()),
                Action::DeleteFile("x/y/z".into()),
                Action::DeleteDir("x/y".into()),
                Action::DeleteDir("x".into()),
            ]
        );
        assert!(
            plan(&src, &dst, &MirrorOptions::default())
                .actions
                .is_empty()
        );
    }

    #[test]
    fn excluded_directories_hide_their_files() {
        let src = tree(
            &[
                ("cache/a", meta(1, 1)),
                ("src/cache.rs", meta(1, 1)),
                ("b", meta(1, 1)),
            ],
            &["cache", "src"],
        );
        let opts = MirrorOptions {
            filter: Filter::new().exclude("cache").unwrap(),
            ..MirrorOptions::default()
        };
        let p = plan(&src, &Tree::default(), &opts);
        let shown: Vec<String> = p.actions.iter().map(|a| a.to_string()).collect();
        assert_eq!(
            shown,
            [
                "mkdir  src/",
                "new    b (1 bytes)",
                "new    src/cache.rs (1 bytes)"
            ]
        );
    }

    #[test]
    fn globs() {
        let f = Filter::new()
            .include("*.rs")
            .unwrap()
            .include("docs/**/*.md")
            .unwrap();
        assert!(f.keeps_file("main.rs"));
        assert!(f.keeps_file("a/b/main.rs"));
        assert!(f.keeps_file("docs/x/y/readme.md"));
        assert!(!f.keeps_file("readme.md"));
        assert!(f.keeps_dir("anything"));
        assert!(Filter::new().include("[").is_err());
    }

    #[test]
    fn segments_cover_the_file_exactly() {
        for size in [1u64, 2, 7, 1000, 1 << 30] {
            for parts in 1..10 {
                let s = segments(size, parts, 1);
                assert_eq!(s.first().unwrap().start, 0);
                assert_eq!(s.last().unwrap().end, size);
                assert!(s.windows(2).all(|w| w[0].end == w[1].start));
                assert!(s.len() <= parts);
            }
        }
    }
}
