//! Credentials input (issue 9, item 2): where the password may come from, and that it
//! shows up nowhere. Traffic goes to 127.0.0.1 only (a closed port: nothing answers).

use std::process::{Command, Stdio};

const PASSWORD: &str = "LabPass1!";

/// Runs smbaudit with stdin closed (not a terminal) and `env` added; the caller's
/// SMBAUDIT_PASSWORD is removed first.
fn smbaudit(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_smbaudit"));
    cmd.args(args)
        .env_remove("SMBAUDIT_PASSWORD")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One bounded probe of 127.0.0.1:1 (closed), short timeouts.
const LOCAL: &[&str] = &[
    "scan",
    "127.0.0.1",
    "-p",
    "445",
    "--connect-timeout",
    "1s",
    "--host-timeout",
    "2s",
    "-q",
];

#[test]
fn a_password_on_the_command_line_is_refused() {
    let (code, _, err) = smbaudit(
        &[
            "scan",
            "127.0.0.1",
            "--user",
            "labuser",
            "--password",
            PASSWORD,
        ],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--password"), "{err}");
    assert!(
        !err.contains(PASSWORD),
        "the password is not echoed back: {err}"
    );
}

#[test]
fn without_a_password_source_or_terminal_user_exits_2_clearly() {
    let mut args = LOCAL.to_vec();
    args.extend(["--no-store", "--user", "labuser"]);
    let (code, out, err) = smbaudit(&args, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("SMBAUDIT_PASSWORD") && err.contains("--password-file"),
        "{err}"
    );
}

#[test]
fn a_missing_password_file_exits_2_naming_the_file() {
    let mut args = LOCAL.to_vec();
    args.extend([
        "--no-store",
        "--user",
        "labuser",
        "--password-file",
        "/nonexistent/pw",
    ]);
    let (code, _, err) = smbaudit(&args, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/nonexistent/pw"), "{err}");
}

#[test]
fn password_file_needs_user() {
    let (code, _, err) = smbaudit(&["scan", "127.0.0.1", "--password-file", "/dev/null"], &[]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn the_password_appears_in_no_output_and_no_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("scans.db");
    let pw_file = dir.path().join("pw");
    std::fs::write(&pw_file, format!("{PASSWORD}\nsecond line ignored\n")).unwrap();
    for source in ["env", "file"] {
        let mut args = LOCAL.to_vec();
        args.extend(["-f", "json", "--all", "--user", "LAB\\labuser", "--db"]);
        args.push(db.to_str().unwrap());
        let env: &[(&str, &str)] = match source {
            "env" => &[("SMBAUDIT_PASSWORD", PASSWORD)],
            _ => &[],
        };
        if source == "file" {
            args.extend(["--password-file", pw_file.to_str().unwrap()]);
        }
        let (code, out, err) = smbaudit(&args, env);
        assert!(code == 0 || code == 3, "{source}: {code} {err}");
        assert!(
            !out.contains(PASSWORD) && !err.contains(PASSWORD),
            "{source}"
        );
    }
    let needle = PASSWORD.as_bytes();
    // The database and any -wal / -shm beside it (the password file itself excepted).
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path != pw_file {
            let bytes = std::fs::read(&path).unwrap();
            let found = bytes.windows(needle.len()).any(|w| w == needle);
            assert!(!found, "the password is in {}", path.display());
        }
    }
    let bytes = std::fs::read(&db).unwrap();
    let user = b"labuser";
    assert!(
        bytes.windows(user.len()).any(|w| w == user),
        "the user name is kept"
    );
}
