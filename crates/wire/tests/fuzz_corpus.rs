//! Replays the fuzz corpus (`fuzz/corpus/<target>/`, seeds taken from the captures) and every
//! committed crasher (`fuzz/regressions/<target>/`) through the fuzz targets' own harness code,
//! `fuzz/src/lib.rs`, on stable. A fixed crasher that comes back fails here.

#[allow(unreachable_pub, dead_code)]
#[path = "../../../fuzz/src/lib.rs"]
mod harness;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// A fuzz target's harness.
type Harness = fn(&[u8]);

/// The targets, by directory name, and the harness each runs.
const TARGETS: &[(&str, Harness)] = &[
    ("nbns_packet", harness::nbns_packet),
    ("nbss_stream", harness::nbss_stream),
    ("nbns_roundtrip", harness::nbns_roundtrip),
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Target directories under `fuzz/<kind>/`, each checked to be a known target.
fn target_dirs(kind: &str) -> Vec<(PathBuf, Harness)> {
    let root = fuzz_dir().join(kind);
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display())) {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let run = TARGETS
            .iter()
            .find(|(t, _)| *t == name)
            .unwrap_or_else(|| panic!("{}: no fuzz target of that name", path.display()))
            .1;
        dirs.push((path, run));
    }
    dirs.sort_by(|a, b| a.0.cmp(&b.0));
    dirs
}

/// Input files of one target directory; notes (`README.md`) and dotfiles are not inputs.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !name.starts_with('.') && !name.ends_with(".md")
        })
        .collect();
    files.sort();
    files
}

/// Runs every input of `fuzz/<kind>/*/`; returns how many ran, panicking after the run with
/// the list of inputs that failed.
fn replay(kind: &str) -> usize {
    let mut ran = 0;
    let mut failed = Vec::new();
    for (dir, run) in target_dirs(kind) {
        for file in inputs(&dir) {
            let data = std::fs::read(&file).unwrap();
            if catch_unwind(AssertUnwindSafe(|| run(&data))).is_err() {
                failed.push(file.display().to_string());
            }
            ran += 1;
        }
    }
    assert!(
        failed.is_empty(),
        "inputs that fail their target:\n{}",
        failed.join("\n")
    );
    ran
}

#[test]
fn replays_corpus_seeds() {
    for (target, _) in TARGETS {
        let dir = fuzz_dir().join("corpus").join(target);
        assert!(
            inputs(&dir).len() >= 3,
            "{}: seed the corpus",
            dir.display()
        );
    }
    assert!(replay("corpus") >= 3 * TARGETS.len());
}

#[test]
fn replays_regressions() {
    // At least the scope-label crasher that nbns_roundtrip found.
    assert!(replay("regressions") >= 1);
}
