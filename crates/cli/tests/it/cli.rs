//! The command line without a network: argument and target validation, dry runs.

use std::process::Command;

fn smbaudit(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_smbaudit"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn malformed_targets_exit_2_naming_the_token() {
    for (token, reason) in [
        ("10.214.0.0/33", "prefix length"),
        ("10.214.0.50-1", "reversed"),
        ("10.214.0.300", "0 to 255"),
        ("10.214.0", "four octets"),
        ("bad host!", "not an address"),
    ] {
        let (code, out, err) = smbaudit(&["nbstat", token]);
        assert_eq!(code, 2, "{token}: {err}");
        assert!(out.is_empty(), "{token}: nothing printed on stdout");
        assert!(
            err.contains(&format!("{token:?}")) && err.contains(reason),
            "{token}: {err}"
        );
    }
}

#[test]
fn bad_flags_and_missing_targets_exit_2() {
    assert_eq!(smbaudit(&["nbstat"]).0, 2);
    assert_eq!(smbaudit(&["nbstat", "--timeout", "soon", "127.0.0.1"]).0, 2);
    assert_eq!(smbaudit(&["nbstat", "--format", "xml", "127.0.0.1"]).0, 2);
    let (code, _, err) = smbaudit(&["lookup", "FILESRV1"]);
    assert_eq!(code, 2);
    assert!(err.contains("--wins"), "{err}");
    let (code, _, err) = smbaudit(&["lookup", "NAME#zz", "--wins", "127.0.0.1"]);
    assert_eq!(code, 2);
    assert!(err.contains("hex"), "{err}");
}

#[test]
fn target_file_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("targets.txt");
    std::fs::write(&path, "# lab\n127.0.0.1\n127.0.0.0/40\n").unwrap();
    let (code, _, err) = smbaudit(&["nbstat", "-i", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("line 3"), "{err}");
}

#[test]
fn dry_run_counts_a_slash_eight_without_sending() {
    let (code, out, err) = smbaudit(&[
        "nbstat",
        "--dry-run",
        "10.0.0.0/8",
        "--exclude",
        "10.0.0.0/16",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!(
            "dry run: {} NODE STATUS queries built ({} bytes), none sent\n",
            (1 << 24) - (1 << 16),
            ((1 << 24) - (1 << 16)) * 50
        )
    );
}

#[test]
fn every_bad_target_is_reported_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("targets.txt");
    std::fs::write(
        &path,
        "\u{feff}127.0.0.1\n127.0.0.0/40\n\n127.0.0.300 # typo\n",
    )
    .unwrap();
    let file = path.to_str().unwrap();
    let (code, out, err) = smbaudit(&["nbstat", "-i", file, "127.0.0.1:445", "127.0.0.0/30,"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "nothing sent, nothing printed: {out}");
    for want in [
        "\"127.0.0.1:445\"",
        "-p 445",
        "\"127.0.0.0/30,\"",
        "stray comma",
        "targets.txt line 2",
        "targets.txt line 4",
    ] {
        assert!(err.contains(want), "{want} missing from {err}");
    }
    assert!(
        !err.contains("line 1"),
        "the byte order mark is not a token: {err}"
    );
}

#[test]
fn exclusions_that_leave_nothing_exit_2() {
    let (code, out, err) = smbaudit(&["nbstat", "127.0.0.0/30", "--exclude", "127.0.0.0/29"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("no target"), "{err}");
}

#[test]
fn zero_timeouts_and_concurrency_exit_2() {
    for args in [
        &["scan", "-c", "0", "127.0.0.1"][..],
        &["scan", "--reply-timeout", "0s", "127.0.0.1"],
        &["scan", "--connect-timeout", "0", "127.0.0.1"],
        &["nbstat", "--timeout", "0ms", "127.0.0.1"],
    ] {
        let (code, out, err) = smbaudit(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: nothing sent: {out}");
        assert!(
            err.contains("at least 1") || err.contains("more than 0"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn an_unwritable_relay_list_fails_before_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("relay.txt");
    let (code, out, err) = smbaudit(&[
        "scan",
        "--no-store",
        "--relay-list",
        path.to_str().unwrap(),
        "127.0.0.1",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "nothing scanned, nothing printed: {out}");
    assert!(
        err.contains("relay list") && err.contains("missing-dir"),
        "{err}"
    );
}

/// A scan of more than a /12 is refused without --yes when nobody can be asked (loopback
/// targets: nothing would leave the machine even if it were not).
#[test]
fn huge_scans_need_yes() {
    let (code, out, err) = smbaudit(&["scan", "--no-store", "-p", "445", "127.0.0.0/8"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("16777216 addresses is more than 1048576"),
        "{err}"
    );
    assert!(err.contains("--yes"), "{err}");
    assert!(out.is_empty(), "{out}");
}

/// `scan --dry-run` prints targets and probes, sends nothing and creates no database.
#[test]
fn scan_dry_run_prints_the_plan_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let (code, out, err) = smbaudit(&[
        "scan",
        "--dry-run",
        "10.214.250.0/30",
        "-p",
        "445",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("dry run: nothing sent, nothing stored\n"),
        "{out}"
    );
    assert!(out.contains("targets: 4 addresses"), "{out}");
    // All four, in the order of the seed drawn for the run.
    let listed = out
        .lines()
        .find(|l| l.starts_with("  10.214.250."))
        .unwrap_or_default();
    let mut listed: Vec<&str> = listed.split_whitespace().collect();
    listed.sort_unstable();
    assert_eq!(
        listed,
        [
            "10.214.250.0",
            "10.214.250.1",
            "10.214.250.2",
            "10.214.250.3"
        ],
        "{out}"
    );
    assert!(out.contains("order: seed "), "{out}");
    assert!(out.contains("445/tcp") && !out.contains("137/udp"), "{out}");
    assert!(
        out.contains(&format!("store: a new scan in {}", db.display())),
        "{out}"
    );
    assert!(!db.exists(), "no database created");
    // A /8 is counted, not listed, and needs no --yes: nothing is sent.
    let (code, out, err) = smbaudit(&["scan", "--dry-run", "--no-store", "10.0.0.0/8"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("targets: 16777216 addresses"), "{out}");
    assert!(
        out.contains("137/udp") && out.contains("store: none (--no-store)"),
        "{out}"
    );
}

/// A WINS server address with nothing on 137 answers with ICMP port unreachable, which
/// `lookup` reports instead of "no answer"; an unanswered broadcast gets the routers note.
/// Loopback only.
#[test]
fn lookup_reports_port_unreachable_and_the_broadcast_limit() {
    if std::net::UdpSocket::bind("127.0.0.9:137").is_err() {
        eprintln!("SKIPPED (something holds 137/udp on loopback, or not root)");
        return;
    }
    let (code, _, err) = smbaudit(&["lookup", "FOO", "--wins", "127.0.0.9", "--timeout", "500ms"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("port 137 unreachable (ICMP) from 127.0.0.9"),
        "{err}"
    );
    let (code, _, err) = smbaudit(&[
        "lookup",
        "NOSUCHNAME",
        "--broadcast",
        "127.255.255.255",
        "--timeout",
        "200ms",
        "--retries",
        "0",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("routers do not forward directed broadcasts"),
        "{err}"
    );
}

/// Completions and man pages come from the clap definitions: every subcommand is in them,
/// and the pages are valid roff.
#[test]
fn completions_and_man_pages_cover_every_command() {
    let (code, bash, err) = smbaudit(&["completions", "bash"]);
    assert_eq!(code, 0, "{err}");
    for sub in [
        "nbstat", "lookup", "scan", "history", "show", "diff", "local",
    ] {
        assert!(bash.contains(sub), "bash completion lacks {sub}");
    }
    assert!(
        bash.contains("--resume") && bash.contains("--dry-run"),
        "scan's flags"
    );
    let (code, zsh, _) = smbaudit(&["completions", "zsh"]);
    assert_eq!(code, 0);
    assert!(
        zsh.starts_with("#compdef smbaudit"),
        "{}",
        &zsh[..40.min(zsh.len())]
    );

    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = smbaudit(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let scan_page = dir.path().join("smbaudit-scan.1");
    assert!(scan_page.exists() && dir.path().join("smbaudit.1").exists());
    let (code, page, _) = smbaudit(&["man"]);
    assert_eq!(code, 0);
    assert!(page.contains(".TH smbaudit 1"), "{page}");
    // groff (groff-base, installed by .ci/run) renders it without a warning.
    let Ok(out) = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(&scan_page)
        .output()
    else {
        eprintln!("SKIPPED the roff check (no groff)");
        return;
    };
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "roff warnings");
}
