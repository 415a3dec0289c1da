//! Replays the audit readers' fuzz corpus (`fuzz/corpus/audit_*/`, seeded from the
//! captures in tests/data) and any committed crasher (`fuzz/regressions/audit_*/`) through
//! the fuzz targets' own harness code, `fuzz/src/hostaudit.rs`, on stable.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

#[allow(unreachable_pub, dead_code)]
#[path = "../../../fuzz/src/hostaudit.rs"]
mod harness;

/// A fuzz target's harness.
type Harness = fn(&[u8]);

/// The targets, by directory name, and the harness each runs.
const TARGETS: &[(&str, Harness)] = &[
    ("audit_nft_json", harness::nft_json),
    ("audit_iptables_save", harness::iptables_save),
    ("audit_smb_conf", harness::smb_conf),
];

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.to_string_lossy().ends_with(".md"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_and_regression_input_runs_without_a_panic() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut failed = Vec::new();
    for (name, run) in TARGETS {
        let seeds = inputs(&fuzz.join("corpus").join(name));
        assert!(!seeds.is_empty(), "{name}: no seeds");
        for file in seeds
            .iter()
            .chain(&inputs(&fuzz.join("regressions").join(name)))
        {
            let data = std::fs::read(file).unwrap();
            if catch_unwind(AssertUnwindSafe(|| run(&data))).is_err() {
                failed.push(file.display().to_string());
            }
        }
    }
    assert!(
        failed.is_empty(),
        "inputs that fail their target:\n{}",
        failed.join("\n")
    );
}
