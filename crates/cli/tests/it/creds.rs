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

/// Against real Samba requiring signing, one host per dialect family: the right password
/// logs on with a signed session that reaches IPC$, the wrong one is a logon failure, and
/// the password shows up nowhere. One lab for the file (this test).
#[test]
fn credentialed_sessions_sign_on_every_dialect_family() {
    use crate::lab::{HostSpec, output_within, require_lab};
    let family = |id, name, max: &str| HostSpec {
        users: &[("labuser", PASSWORD)],
        extra_conf: format!("   server signing = mandatory\n   server max protocol = {max}\n"),
        ..HostSpec::new(id, name, "LABWG")
    };
    let hosts = [
        family("s21", "SMB21SRV", "SMB2_10"),
        family("s30", "SMB30SRV", "SMB3_00"),
        family("s311", "SMB311SRV", "SMB3_11"),
    ];
    let lab = require_lab!(&hosts);
    let targets: Vec<String> = ["s21", "s30", "s311"]
        .iter()
        .map(|id| lab.ip(id).to_string())
        .collect();
    for t in &targets {
        lab.check_target(t);
    }
    let dir = tempfile::tempdir().unwrap();
    let pw_file = dir.path().join("pw");
    std::fs::write(&pw_file, format!("{PASSWORD}\n")).unwrap();
    let run = |password: &str, file: bool| {
        // Named for the run, not the password: the stored command line holds the path.
        let db = dir.path().join(format!("{}-{file}.db", password.len()));
        let mut cmd = lab.client_command(env!("CARGO_BIN_EXE_smbaudit"));
        cmd.args([
            "scan", "-p", "445", "-f", "json", "--all", "--user", "labuser",
        ])
        .arg("--db")
        .arg(&db)
        .args(&targets)
        .env_remove("SMBAUDIT_PASSWORD");
        if file {
            cmd.arg("--password-file").arg(&pw_file);
        } else {
            cmd.env("SMBAUDIT_PASSWORD", password);
        }
        let out = output_within(&mut cmd, std::time::Duration::from_secs(120)).expect("ends");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(!stdout.contains(password) && !stderr.contains(password));
        let bytes = std::fs::read(&db).unwrap();
        assert!(
            !bytes
                .windows(password.len())
                .any(|w| w == password.as_bytes())
        );
        let hosts: Vec<serde_json::Value> =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout} {stderr}"));
        hosts
    };
    for file in [false, true] {
        for host in run(PASSWORD, file) {
            let user = &host["smb"]["user_session"];
            assert_eq!(user["accepted"], true, "{} {user}", host["ip"]);
            assert_eq!(user["ipc"], "connected", "{user}");
            assert_eq!(user["guest"], false);
        }
    }
    for host in run("WrongPass9?", false) {
        let user = &host["smb"]["user_session"];
        assert_eq!(user["accepted"], false, "{} {user}", host["ip"]);
        assert_eq!(user["reason"], "logon failure", "{user}");
    }
}
