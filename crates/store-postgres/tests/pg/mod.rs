//! A throwaway PostgreSQL cluster for the store's tests: `initdb` and `pg_ctl` from
//! Debian's `postgresql` package in a temporary directory, run as `nobody` when the tests
//! run as root. It listens on a Unix socket in that directory and on 127.0.0.1 only, asks
//! for a password (scram-sha-256), and is stopped (`pg_ctl stop -m immediate`) when the
//! value is dropped, also while a failing test unwinds.
//!
//! Without the binaries the tests are skipped, unless `CI=true`: then that is a failure.
#![allow(dead_code)] // each test binary uses a different part

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// The cluster's superuser.
pub(crate) const USER: &str = "smbaudit";
/// Its password.
pub(crate) const PASSWORD: &str = "pw-5Yq8r";

/// A running cluster.
pub(crate) struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    /// The user the server runs as (`nobody` under root), or none: this process's.
    run_as: Option<&'static str>,
    /// The TCP port on 127.0.0.1 (also the socket's number).
    pub(crate) port: u16,
    next_db: AtomicU32,
    /// The server's options (`pg_ctl start -o`), for starting it again.
    options: String,
}

/// The directory holding initdb and pg_ctl, if PostgreSQL is installed.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

/// Skips (returns `None`) with a reason, or fails under `CI=true`.
fn skip(why: &str) -> Option<Cluster> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but the PostgreSQL tests cannot run: {why}");
    }
    eprintln!("SKIPPED: {why}");
    None
}

fn check(what: &str, out: std::io::Result<Output>) -> Output {
    let out = out.unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl Cluster {
    /// Starts a cluster with `fsync=off` (the tests need no durability), or `None` when
    /// PostgreSQL is not installed (see the module doc).
    pub(crate) fn start() -> Option<Self> {
        Self::start_with(false)
    }

    /// [`Cluster::start`], with `fsync` on or off (on for benchmarks).
    pub(crate) fn start_with(fsync: bool) -> Option<Self> {
        let fsync = if fsync { "on" } else { "off" };
        let Some(bin) = bin_dir() else {
            return skip("no /usr/lib/postgresql/*/bin/initdb (apt-get install postgresql)");
        };
        let run_as = is_root().then_some("nobody");
        let dir = tempfile::Builder::new()
            .prefix("smbaudit-pg-")
            .tempdir()
            .expect("temp dir");
        std::fs::write(dir.path().join("pwfile"), PASSWORD).expect("pwfile");
        std::fs::create_dir(dir.path().join("sock")).expect("socket dir");
        if run_as.is_some() {
            check(
                "chown",
                Command::new("chown")
                    .args(["-R", "nobody:nogroup"])
                    .arg(dir.path())
                    .output(),
            );
        }
        // A free port on 127.0.0.1 (closed again before the server binds it).
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut cluster = Self {
            bin,
            dir,
            run_as,
            port,
            next_db: AtomicU32::new(0),
            options: String::new(),
        };
        let data = cluster.data();
        check(
            "initdb",
            cluster
                .tool("initdb")
                .args([
                    "-U",
                    USER,
                    "--auth=scram-sha-256",
                    "--no-sync",
                    "-E",
                    "UTF8",
                ])
                .arg("--pwfile")
                .arg(cluster.dir.path().join("pwfile"))
                .arg("-D")
                .arg(&data)
                .output(),
        );
        cluster.options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync={fsync} -c max_connections=50",
            cluster.socket_dir().display()
        );
        cluster.pg_ctl_start();
        Some(cluster)
    }

    /// Starts the (stopped) server, waiting up to 60 s until it accepts connections.
    pub(crate) fn pg_ctl_start(&self) {
        check(
            "pg_ctl start",
            self.tool("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .arg("-l")
                .arg(self.dir.path().join("server.log"))
                .args(["-o", &self.options, "-w", "-t", "60", "start"])
                .output(),
        );
    }

    /// Stops the server at once (`-m immediate`: every session is cut, as in a crash).
    pub(crate) fn pg_ctl_stop(&self) {
        check(
            "pg_ctl stop",
            self.tool("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "-w", "-t", "60", "stop"])
                .output(),
        );
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The directory of the server's Unix socket.
    pub(crate) fn socket_dir(&self) -> PathBuf {
        self.dir.path().join("sock")
    }

    /// The temporary directory the cluster lives in (for files a test adds, e.g. TLS keys).
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A PostgreSQL tool, run as the cluster's owner.
    pub(crate) fn tool(&self, name: &str) -> Command {
        let path = self.bin.join(name);
        let mut cmd = match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(path);
                c
            }
            None => Command::new(path),
        };
        cmd.current_dir(self.dir.path())
            .env("PGPASSWORD", PASSWORD)
            .env("PGHOST", self.socket_dir())
            .env("PGPORT", self.port.to_string())
            .env("PGUSER", USER);
        cmd
    }

    /// Runs SQL in `db` with psql (stops at the first error).
    pub(crate) fn psql(&self, db: &str, sql: &str) -> String {
        let out = check(
            "psql",
            self.tool("psql")
                .args([
                    "-X",
                    "-q",
                    "-t",
                    "-A",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-d",
                    db,
                    "-c",
                    sql,
                ])
                .output(),
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// A new, empty database; returns its name.
    pub(crate) fn create_db(&self) -> String {
        let name = format!("t{}", self.next_db.fetch_add(1, Ordering::Relaxed));
        check("createdb", self.tool("createdb").arg(&name).output());
        name
    }

    /// The URL of `db` over the Unix socket, password included.
    pub(crate) fn url(&self, db: &str) -> String {
        format!(
            "postgres://{USER}:{PASSWORD}@/{db}?host={}&port={}",
            self.socket_dir().display(),
            self.port
        )
    }

    /// The URL of `db` over TCP on 127.0.0.1, without a password.
    pub(crate) fn tcp_url_without_password(&self, db: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{db}", self.port)
    }

    /// A fresh database's URL.
    pub(crate) fn fresh(&self) -> String {
        let db = self.create_db();
        self.url(&db)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .tool("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}
