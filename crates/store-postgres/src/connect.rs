//! Connecting: the URL read by tokio-postgres, completed the way libpq completes it (user,
//! password from `PGPASSWORD` or the password file, the default socket), TLS as `sslmode`
//! asks, and a bounded time for the whole attempt.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use postgres_native_tls::MakeTlsConnector;
use tokio::runtime::Runtime;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config};

use super::pgpass::{self, PassKey};
use smbaudit_store::StoreError;
use smbaudit_store::{PostgresUrl, StoreLocation};

/// Longest a connection attempt (TCP, TLS, authentication) may take unless the URL sets
/// `connect_timeout`.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where libpq (as Debian builds it) looks for the server's socket when no host is given.
const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";

/// One session: a private current-thread runtime and a client whose connection task runs
/// on it (whenever the runtime is blocked on, which every call through it is).
pub(crate) struct Session {
    /// The runtime every call blocks on.
    pub(crate) rt: OwnRuntime,
    /// The client.
    pub(crate) client: Client,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

/// A private runtime that may be dropped anywhere: on a thread of another runtime (where a
/// plain [`Runtime`]'s drop panics) it is shut down in the background.
pub(crate) struct OwnRuntime(Option<Runtime>);

impl OwnRuntime {
    fn new() -> std::io::Result<Self> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Self(Some(rt)))
    }
}

impl std::ops::Deref for OwnRuntime {
    type Target = Runtime;

    fn deref(&self) -> &Runtime {
        match &self.0 {
            Some(rt) => rt,
            None => unreachable!("taken only by drop"),
        }
    }
}

impl Drop for OwnRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl Session {
    /// Runs `f` to completion on the session's runtime (see [`block_on`]).
    pub(crate) fn block_on<F>(&self, f: F) -> F::Output
    where
        F: std::future::Future + Send,
        F::Output: Send,
    {
        block_on(&self.rt, f)
    }
}

/// Runs `f` to completion on `rt`. Called from within another runtime (the CLI's scan
/// callback runs on tokio's threads, where blocking on a runtime panics), it blocks on a
/// scoped thread of its own instead.
pub(crate) fn block_on<F>(rt: &Runtime, f: F) -> F::Output
where
    F: std::future::Future + Send,
    F::Output: Send,
{
    if tokio::runtime::Handle::try_current().is_err() {
        return rt.block_on(f);
    }
    std::thread::scope(|scope| match scope.spawn(|| rt.block_on(f)).join() {
        Ok(out) => out,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// What the process environment says about connecting (read once, passed in so that tests
/// need not change the environment).
#[derive(Debug, Clone, Default)]
pub(crate) struct Env {
    /// `$PGPASSWORD`.
    pub pgpassword: Option<String>,
    /// `$PGPASSFILE`.
    pub pgpassfile: Option<PathBuf>,
    /// `$HOME`.
    pub home: Option<PathBuf>,
    /// `$PGUSER`, else `$USER`: the user when the URL names none.
    pub user: Option<String>,
}

impl Env {
    /// The environment of this process.
    pub(crate) fn current() -> Self {
        let var = |k| std::env::var(k).ok().filter(|v: &String| !v.is_empty());
        Self {
            pgpassword: var("PGPASSWORD"),
            pgpassfile: var("PGPASSFILE").map(PathBuf::from),
            home: var("HOME").map(PathBuf::from),
            user: var("PGUSER").or_else(|| var("USER")),
        }
    }
}

/// The connection settings for `url`, completed from `env`.
pub(crate) fn config(url: &PostgresUrl, env: &Env) -> Result<Config, StoreError> {
    let location = || StoreLocation::Postgres(url.clone());
    // tokio-postgres' parse errors quote no part of the URL, so they can be shown.
    let mut config = Config::from_str(url.secret_text())
        .map_err(|e| StoreError::Connect(location(), format!("malformed URL: {e}")))?;
    if config.get_hosts().is_empty() {
        config.host_path(DEFAULT_SOCKET_DIR);
    }
    if config.get_user().is_none() {
        let user = env.user.clone().ok_or_else(|| {
            StoreError::Connect(location(), "no user in the URL, $PGUSER or $USER".into())
        })?;
        config.user(user);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("smbaudit");
    }
    if config.get_password().is_none() {
        if let Some(password) = password_from_env(&config, env) {
            config.password(password);
        }
    }
    Ok(config)
}

/// `$PGPASSWORD`, else the password file's entry for the first host.
fn password_from_env(config: &Config, env: &Env) -> Option<String> {
    if let Some(p) = &env.pgpassword {
        return Some(p.clone());
    }
    let path = pgpass::file(env.pgpassfile.clone(), env.home.clone())?;
    let host = match config.get_hosts().first()? {
        Host::Tcp(name) => name.clone(),
        Host::Unix(dir) if dir.as_os_str() == DEFAULT_SOCKET_DIR => "localhost".into(),
        Host::Unix(dir) => dir.to_string_lossy().into_owned(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user()?;
    let database = config.get_dbname().unwrap_or(user);
    pgpass::lookup(
        &path,
        &PassKey {
            host: &host,
            port: &port,
            database,
            user,
        },
    )
}

/// Connects to `url`, within its connect timeout for the whole attempt.
pub(crate) fn connect(url: &PostgresUrl) -> Result<Session, StoreError> {
    let location = StoreLocation::Postgres(url.clone());
    let config = config(url, &Env::current())?;
    let rt = OwnRuntime::new().map_err(|e| StoreError::backend(super::BACKEND, e))?;
    let tls = tls(config.get_ssl_mode()).map_err(|e| StoreError::Connect(location.clone(), e))?;
    let limit = config
        .get_connect_timeout()
        .copied()
        .unwrap_or(CONNECT_TIMEOUT);
    let client = block_on(&rt, async {
        match tokio::time::timeout(limit, config.connect(tls)).await {
            Err(_) => Err(format!(
                "no answer within {}",
                humantime::format_duration(limit)
            )),
            Ok(Err(e)) => Err(connect_failure(&e)),
            Ok(Ok((client, connection))) => {
                tokio::spawn(async move {
                    // The client's calls report a broken connection themselves.
                    let _ = connection.await;
                });
                Ok(client)
            }
        }
    });
    let client = client.map_err(|why| StoreError::Connect(location, why))?;
    Ok(Session { rt, client })
}

/// The TLS connector: for `require` and `prefer`, encryption without checking the server's
/// certificate, as libpq does without a root certificate; `disable` never uses it.
fn tls(mode: SslMode) -> Result<MakeTlsConnector, String> {
    let mut builder = native_tls::TlsConnector::builder();
    if mode != SslMode::Disable {
        builder
            .danger_accept_invalid_certs(true)
            .danger_accept_invalid_hostnames(true);
    }
    let connector = builder.build().map_err(|e| format!("TLS: {e}"))?;
    Ok(MakeTlsConnector::new(connector))
}

/// A failed connection attempt, said plainly (no part of it holds the password).
fn connect_failure(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        if *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            return format!(
                "authentication failed ({}); check the password in PGPASSWORD or ~/.pgpass",
                db.message()
            );
        }
        return db.message().to_owned();
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> PostgresUrl {
        match StoreLocation::parse(s.as_ref()) {
            StoreLocation::Postgres(u) => u,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn completes_the_url_like_libpq() {
        let env = Env {
            user: Some("alice".into()),
            pgpassword: Some("fromenv".into()),
            ..Env::default()
        };
        let c = config(&url("postgres:///scans"), &env).unwrap();
        assert_eq!(c.get_hosts(), [Host::Unix(DEFAULT_SOCKET_DIR.into())]);
        assert_eq!(c.get_user(), Some("alice"));
        assert_eq!(c.get_password(), Some(&b"fromenv"[..]));
        assert_eq!(c.get_connect_timeout(), Some(&CONNECT_TIMEOUT));
        // The URL's own password and timeout win.
        let c = config(
            &url("postgres://bob:inurl@127.0.0.1/scans?connect_timeout=3"),
            &env,
        )
        .unwrap();
        assert_eq!(c.get_password(), Some(&b"inurl"[..]));
        assert_eq!(c.get_connect_timeout(), Some(&Duration::from_secs(3)));
    }

    #[test]
    fn password_from_the_password_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(
            &file,
            "127.0.0.1:5433:scans:bob:filepw\nlocalhost:*:*:*:sock\n",
        )
        .unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let env = Env {
            pgpassfile: Some(file),
            user: Some("bob".into()),
            ..Env::default()
        };
        let pw = |u: &str| {
            config(&url(u), &env)
                .unwrap()
                .get_password()
                .map(|p| String::from_utf8_lossy(p).into_owned())
        };
        assert_eq!(
            pw("postgres://127.0.0.1:5433/scans").as_deref(),
            Some("filepw")
        );
        assert_eq!(pw("postgres://127.0.0.1:5432/scans"), None);
        assert_eq!(pw("postgres:///anything").as_deref(), Some("sock"));
    }

    #[test]
    fn malformed_urls_are_connect_errors_without_the_password() {
        let e = config(
            &url("postgres://u:s3cret@h/db?sslmode=bogus"),
            &Env::default(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), smbaudit_store::StoreErrorKind::Connect);
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert!(e.to_string().contains("malformed URL"), "{e}");
    }
}
