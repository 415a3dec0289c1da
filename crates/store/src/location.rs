//! Where a store lives, as given to `--db`: a file path (SQLite), or a URL for a server
//! backend. Only `postgres://` and `postgresql://` are URLs; anything else is a path, even
//! one that looks like a URL of another scheme (SQLite opens paths, never URIs).

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

/// The URL schemes that name a PostgreSQL server (as libpq accepts them).
const POSTGRES_SCHEMES: &[&str] = &["postgres://", "postgresql://"];

/// Where a store lives. Its `Display` and `Debug` never show a password, so it can go
/// into error messages and logs as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// An SQLite database file (created if missing).
    Sqlite(PathBuf),
    /// A PostgreSQL server (the `smbaudit-store-postgres` backend).
    Postgres(PostgresUrl),
}

impl StoreLocation {
    /// Reads a `--db` value: a `postgres://` or `postgresql://` URL (scheme in any case),
    /// else a file path.
    pub fn parse(arg: &OsStr) -> Self {
        match arg.to_str() {
            Some(url) if is_postgres_url(url) => Self::Postgres(PostgresUrl(url.to_owned())),
            _ => Self::Sqlite(PathBuf::from(arg)),
        }
    }

    /// `$XDG_DATA_HOME/smbaudit/smbaudit.db`, else `$HOME/.local/share/smbaudit/smbaudit.db`;
    /// `None` when neither variable holds an absolute path.
    pub fn per_user_default() -> Option<Self> {
        default_path_from(std::env::var_os("XDG_DATA_HOME"), std::env::var_os("HOME"))
            .map(Self::Sqlite)
    }

    /// The file, for a file-backed store.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Self::Sqlite(path) => Some(path),
            Self::Postgres(_) => None,
        }
    }
}

impl fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "{}", path.display()),
            Self::Postgres(url) => fmt::Display::fmt(url, f),
        }
    }
}

fn is_postgres_url(s: &str) -> bool {
    POSTGRES_SCHEMES.iter().any(|scheme| {
        s.get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
    })
}

/// A PostgreSQL connection URL. It shows only with its password replaced by `***` (in the
/// user part and in a `password=` query parameter); the text as given stays private.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl(String);

impl PostgresUrl {
    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> String {
        redact(&self.0)
    }

    /// The URL as given, password included: for connecting only, never for showing.
    pub fn secret_text(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PostgresUrl")
            .field(&self.redacted())
            .finish()
    }
}

/// `url` with the password of its user part and of any `password=` parameter hidden.
///
/// Errs on the side of hiding: the user part ends at the *last* `@` (a password may hold an
/// unescaped `@`, `/` or `?`), so an `@` later in the URL hides more than the password.
fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (user_part, host_part) = match rest.rsplit_once('@') {
        Some((user, host)) => (Some(user), host),
        None => (None, rest),
    };
    let mut out = format!("{scheme}://");
    if let Some(user) = user_part {
        match user.split_once(':') {
            Some((name, _password)) => out.push_str(&format!("{name}:***@")),
            None => out.push_str(&format!("{user}@")),
        }
    }
    match host_part.split_once('?') {
        Some((host, query)) => {
            out.push_str(host);
            out.push('?');
            out.push_str(&redact_query(query));
        }
        None => out.push_str(host_part),
    }
    out
}

/// The query string with the value of every `password` parameter replaced by `***`.
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Where the database lives by default, given `$XDG_DATA_HOME` and `$HOME`.
fn default_path_from(xdg_data_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    // The XDG spec says a relative $XDG_DATA_HOME is invalid and must be ignored.
    let data = xdg_data_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            home.map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".local/share"))
        })?;
    Some(data.join("smbaudit").join("smbaudit.db"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> StoreLocation {
        StoreLocation::parse(OsStr::new(s))
    }

    #[test]
    fn paths_stay_paths() {
        for p in [
            "scans.db",
            "/var/lib/smbaudit.db",
            "file:scans.db",
            "sqlite://x.db",
            "./postgres://host/db",
            "",
        ] {
            assert_eq!(parse(p), StoreLocation::Sqlite(PathBuf::from(p)), "{p}");
            assert_eq!(parse(p).to_string(), p);
        }
    }

    #[test]
    fn recognises_postgres_urls_in_any_case() {
        for url in [
            "postgres://h/db",
            "postgresql://h/db",
            "POSTGRES://h/db",
            "PostgreSQL://u@h:5432/db",
        ] {
            assert!(matches!(parse(url), StoreLocation::Postgres(_)), "{url}");
            assert_eq!(parse(url).path(), None);
        }
    }

    #[test]
    fn never_shows_a_password() {
        let cases = [
            ("postgres://h/db", "postgres://h/db"),
            ("postgres://alice@h/db", "postgres://alice@h/db"),
            (
                "postgres://alice:s3cret@h:5432/db",
                "postgres://alice:***@h:5432/db",
            ),
            ("postgresql://:s3cret@h/db", "postgresql://:***@h/db"),
            (
                "postgres://alice:p@ss/w?rd@h/db",
                "postgres://alice:***@h/db",
            ),
            (
                "postgres://h/db?sslmode=require&PASSWORD=s3cret&user=alice",
                "postgres://h/db?sslmode=require&PASSWORD=***&user=alice",
            ),
        ];
        for (url, shown) in cases {
            let location = parse(url);
            assert_eq!(location.to_string(), shown);
            let debug = format!("{location:?}");
            assert!(debug.contains(shown), "{debug}");
            for secret in ["s3cret", "p@ss"] {
                assert!(!location.to_string().contains(secret), "{location}");
                assert!(!debug.contains(secret), "{debug}");
            }
        }
    }

    #[test]
    fn default_path_prefers_xdg_then_home() {
        let p = |x: Option<&str>, h: Option<&str>| {
            default_path_from(x.map(OsString::from), h.map(OsString::from))
        };
        assert_eq!(
            p(Some("/data"), Some("/home/u")),
            Some(PathBuf::from("/data/smbaudit/smbaudit.db"))
        );
        assert_eq!(
            p(None, Some("/home/u")),
            Some(PathBuf::from("/home/u/.local/share/smbaudit/smbaudit.db"))
        );
        // A relative XDG_DATA_HOME is ignored, as the XDG spec says.
        assert_eq!(
            p(Some("rel"), Some("/home/u")),
            Some(PathBuf::from("/home/u/.local/share/smbaudit/smbaudit.db"))
        );
        assert_eq!(p(None, None), None);
        assert_eq!(p(Some(""), Some("")), None);
    }
}
