//! Shared helpers for the workspace's integration and conformance tests.
//!
//! The tests live in `tests/tests/`; the conformance corpus (records copied from other
//! projects' test suites, with attribution) in `tests/conformance/`.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use serde_json::Value;

/// The folder holding the conformance corpus.
pub fn conformance_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

/// The allow-list `name` in the corpus folder: `file.jsonl:LINE reason` per line, `#`
/// comments. Every entry must give a reason.
pub fn load_allow_list(name: &str) -> BTreeMap<String, String> {
    let path = conformance_dir().join(name);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (key, reason) = l
                .split_once(char::is_whitespace)
                .unwrap_or_else(|| panic!("allow-list line without a reason: {l}"));
            assert!(
                !reason.trim().is_empty(),
                "allow-list entry {key} needs a reason"
            );
            (key.to_owned(), reason.trim().to_owned())
        })
        .collect()
}

/// The input bytes of a corpus record: `input_hex` when present (non-UTF-8 input), else
/// `input`.
pub fn input_bytes(record: &Value) -> Vec<u8> {
    if let Some(hex) = record.get("input_hex").and_then(Value::as_str) {
        return (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex input"))
            .collect();
    }
    record["input"]
        .as_str()
        .expect("input text")
        .as_bytes()
        .to_vec()
}
