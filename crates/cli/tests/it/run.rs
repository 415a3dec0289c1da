//! Running the `smbaudit` binary inside a lab's client namespace, bounded in time.

use std::time::Duration;

use serde_json::Value;

use crate::lab::{Lab, output_within};

/// Longest a single smbaudit run in a test may take before the test fails.
const LIMIT: Duration = Duration::from_secs(120);

/// Runs smbaudit in the lab's client namespace; returns (exit code, stdout, stderr).
pub(crate) fn smbaudit(lab: &Lab, args: &[&str], targets: &[String]) -> (i32, String, String) {
    // Names are resolved inside the client namespace, which reaches only the lab.
    for t in targets
        .iter()
        .filter(|t| t.starts_with(|c: char| c.is_ascii_digit()) || t.contains(':'))
    {
        lab.check_target(t);
    }
    // Scans store in the default database: a fresh one per run, never the user's.
    let data_home = tempfile::tempdir().expect("temp dir");
    let mut cmd = lab.client_command(env!("CARGO_BIN_EXE_smbaudit"));
    cmd.args(args)
        .args(targets)
        .env("XDG_DATA_HOME", data_home.path());
    let out = output_within(&mut cmd, LIMIT).expect("smbaudit ends by itself");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub(crate) fn jsonl(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}
