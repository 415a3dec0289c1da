//! The password file libpq reads (`~/.pgpass`, or `$PGPASSFILE`), looked up by its rules:
//! one `hostname:port:database:username:password` entry a line, `*` matching anything in
//! the first four fields, `\:` and `\\` escaping, `#` starting a comment, the first match
//! winning; a file readable by group or others is ignored.

use std::path::{Path, PathBuf};

/// What a connection is looked up by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PassKey<'a> {
    /// The host as given (name, address or socket directory), `localhost` for the default
    /// socket.
    pub host: &'a str,
    /// The port, as text.
    pub port: &'a str,
    /// The database name.
    pub database: &'a str,
    /// The user name.
    pub user: &'a str,
}

/// The password file to read: `$PGPASSFILE`, else `$HOME/.pgpass`.
pub(crate) fn file(pgpassfile: Option<PathBuf>, home: Option<PathBuf>) -> Option<PathBuf> {
    pgpassfile.or_else(|| home.map(|h| h.join(".pgpass")))
}

/// The password for `key` in the file at `path`: `None` when the file is missing,
/// unreadable, readable by group or others (libpq's rule), or has no matching entry.
pub(crate) fn lookup(path: &Path, key: &PassKey<'_>) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    find(&text, key)
}

/// The password of the first entry of `text` that matches `key`.
pub(crate) fn find(text: &str, key: &PassKey<'_>) -> Option<String> {
    let wanted = [key.host, key.port, key.database, key.user];
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(fields)
        .find(|fields| {
            fields[..4]
                .iter()
                .zip(wanted)
                .all(|(field, want)| field == "*" || field == want)
        })
        .map(|mut fields| fields.swap_remove(4))
}

/// The five fields of one entry, unescaped (`None` for a line with fewer than five).
/// Anything after a fifth `:` belongs to the password, as libpq reads it.
fn fields(line: &str) -> Option<Vec<String>> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut out = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    out.last_mut()?.push(next);
                }
            }
            ':' if out.len() < 5 => out.push(String::new()),
            c => out.last_mut()?.push(c),
        }
    }
    (out.len() == 5).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: PassKey<'static> = PassKey {
        host: "db.example",
        port: "5432",
        database: "scans",
        user: "alice",
    };

    #[test]
    fn first_matching_entry_wins_with_wildcards() {
        let text = "# comment\n\
                    other:5432:scans:alice:nope\n\
                    db.example:5433:*:alice:wrongport\n\
                    db.example:*:scans:*:first\n\
                    *:*:*:*:second\n";
        assert_eq!(find(text, &KEY).as_deref(), Some("first"));
        let bob = PassKey { user: "bob", ..KEY };
        assert_eq!(find(text, &bob).as_deref(), Some("first"));
        let elsewhere = PassKey {
            host: "elsewhere",
            ..KEY
        };
        assert_eq!(find(text, &elsewhere).as_deref(), Some("second"));
    }

    #[test]
    fn escapes_and_colons_in_the_password() {
        let text = "/run/pg\\:x:5432:scans:alice:p\\:a\\\\ss:tail\r\n";
        let key = PassKey {
            host: "/run/pg:x",
            ..KEY
        };
        assert_eq!(find(text, &key).as_deref(), Some("p:a\\ss:tail"));
    }

    #[test]
    fn short_lines_and_no_match_give_nothing() {
        assert_eq!(find("db.example:5432:scans\n\n", &KEY), None);
        assert_eq!(find("db.example:5432:scans:bob:pw", &KEY), None);
        assert_eq!(find("", &KEY), None);
    }

    #[test]
    fn a_file_others_can_read_is_ignored() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pgpass");
        std::fs::write(&path, "*:*:*:*:secret\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(lookup(&path, &KEY).as_deref(), Some("secret"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(lookup(&path, &KEY), None);
        assert_eq!(lookup(&dir.path().join("absent"), &KEY), None);
    }

    #[test]
    fn pgpassfile_overrides_home() {
        let f = |p: Option<&str>, h: Option<&str>| file(p.map(PathBuf::from), h.map(PathBuf::from));
        assert_eq!(f(Some("/x/pw"), Some("/home/u")), Some("/x/pw".into()));
        assert_eq!(f(None, Some("/home/u")), Some("/home/u/.pgpass".into()));
        assert_eq!(f(None, None), None);
    }
}
