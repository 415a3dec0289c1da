//! `--db postgres://...` end to end against a throwaway cluster (`pg/mod.rs`, shared with
//! the store's tests): the password from `PGPASSWORD` or `~/.pgpass`, the URL from
//! `SMBAUDIT_DB`, and exit 2 with a plain message for wrong credentials.

use std::process::Command;
use std::time::Duration;

use crate::lab::output_within;
use crate::pg::{self, Cluster};

const BIN: &str = env!("CARGO_BIN_EXE_smbaudit");

/// Runs smbaudit with `env` set on top of a cleaned PostgreSQL environment: (code, stdout,
/// stderr).
fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for var in ["PGPASSWORD", "PGPASSFILE", "SMBAUDIT_DB", "PGUSER"] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    let out = output_within(&mut cmd, Duration::from_secs(60)).unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn scans_stored_in_postgres_read_back_and_bad_credentials_exit_2() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let db = cluster.create_db();
    let url = cluster.tcp_url_without_password(&db);
    let password = [("PGPASSWORD", pg::PASSWORD)];

    // Nothing stored yet: reading is refused and creates nothing.
    let (code, _, err) = run(&["history", "--db", &url], &password);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no such database"), "{err}");

    let (code, _, err) = run(&["scan", "--db", &url, "127.0.0.1", "-p", "445"], &password);
    assert_eq!(code, 0, "{err}");

    // The URL from SMBAUDIT_DB, the password from ~/.pgpass (HOME pointing elsewhere).
    let home = tempfile::tempdir().unwrap();
    let pgpass = home.path().join(".pgpass");
    std::fs::write(
        &pgpass,
        format!(
            "127.0.0.1:{}:{db}:{}:{}\n",
            cluster.port,
            pg::USER,
            pg::PASSWORD
        ),
    )
    .unwrap();
    std::fs::set_permissions(&pgpass, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let home_env = home.path().to_str().unwrap();
    let (code, out, err) = run(
        &["history", "-f", "json"],
        &[("SMBAUDIT_DB", &url), ("HOME", home_env)],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("127.0.0.1"), "{out}");
    assert!(out.contains("\"status\": \"finished\""), "{out}");
    assert!(out.contains("\"hosts\": 1,"), "{out}");

    let (code, out, err) = run(
        &["show", "last", "--db", &url, "-f", "jsonl", "--all"],
        &password,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"ip\":\"127.0.0.1\""), "{out}");

    // Wrong credentials: exit 2, a plain message, no password in it.
    let wrong = [("PGPASSWORD", "wrong-pw-41")];
    for args in [
        vec!["history", "--db", &url],
        vec!["scan", "--db", &url, "127.0.0.1", "-p", "445"],
    ] {
        let (code, _, err) = run(&args, &wrong);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("authentication failed"), "{err}");
        assert!(
            !err.contains("wrong-pw-41") && !err.contains(pg::PASSWORD),
            "{err}"
        );
    }
    // No password anywhere: refused the same way.
    let (code, _, err) = run(
        &["history", "--db", &url],
        &[("HOME", home_env), ("PGPASSFILE", "/nonexistent")],
    );
    assert_eq!(code, 2, "{err}");
}
