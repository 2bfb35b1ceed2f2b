//! Shared helpers for the workspace's integration and conformance tests.
//!
//! The tests live in `tests/tests/`; the conformance corpus (records copied from other
//! projects' test suites, with attribution) in `tests/conformance/`.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use serde_json::Value;

pub mod servers;

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

/// How one corpus record came out, against the allow-list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every asserted value matched.
    Pass,
    /// Nothing the test answers for was asserted.
    NotAsserted,
    /// It did not match, and the allow-list says why.
    Allowed,
    /// It did not match and is not allow-listed.
    Fail,
}

/// The allow-list bookkeeping of a conformance test: judges each record, collects the
/// failures and the stale entries, and checks at the end that the list is exact.
pub struct Tally {
    allow: BTreeMap<String, String>,
    unexpected: Vec<String>,
    stale: Vec<String>,
    matched: usize,
}

impl Tally {
    /// A tally against the allow-list file `name` (see [`load_allow_list`]).
    pub fn new(name: &str) -> Self {
        Tally {
            allow: load_allow_list(name),
            unexpected: Vec::new(),
            stale: Vec::new(),
            matched: 0,
        }
    }

    /// Judges the record `key` (`file.jsonl:LINE`): `Ok(true)` matched, `Ok(false)`
    /// nothing to check, `Err(why)` a mismatch.
    pub fn judge(&mut self, key: &str, record: &Value, outcome: Result<bool, String>) -> Verdict {
        match (outcome, self.allow.contains_key(key)) {
            (Ok(false), false) => Verdict::NotAsserted,
            (Ok(true), false) => Verdict::Pass,
            (Ok(_), true) => {
                self.stale.push(key.to_owned());
                Verdict::Pass
            }
            (Err(_), true) => {
                self.matched += 1;
                Verdict::Allowed
            }
            (Err(why), false) => {
                let input: String = record["input"]
                    .as_str()
                    .unwrap_or_default()
                    .chars()
                    .take(120)
                    .collect();
                self.unexpected.push(format!(
                    "{key}: {why}\n    input: {input:?}\n    source: {}",
                    record["source"]
                ));
                Verdict::Fail
            }
        }
    }

    /// Fails the test on any unexpected mismatch, on an allow-listed record that now
    /// passes, and on an allow-list entry for `files` that matched no record.
    pub fn finish(self, files: &[&str]) {
        assert!(
            self.unexpected.is_empty(),
            "{} records fail:\n{}",
            self.unexpected.len(),
            self.unexpected.join("\n")
        );
        assert!(
            self.stale.is_empty(),
            "allow-listed records that now pass (remove them): {:?}",
            self.stale
        );
        let listed = self
            .allow
            .keys()
            .filter(|k| files.iter().any(|f| k.starts_with(f)))
            .count();
        assert_eq!(
            self.matched, listed,
            "allow-list entries that match no record"
        );
    }
}
