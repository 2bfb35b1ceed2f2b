//! Shared helpers for the workspace's integration and conformance tests.
//!
//! The tests live in `tests/tests/`; the conformance corpus (records copied from other
//! projects' test suites, with attribution) in `tests/conformance/`.
#![forbid(unsafe_code)]

use std::path::PathBuf;

/// The folder holding the conformance corpus.
pub fn conformance_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance")
}
