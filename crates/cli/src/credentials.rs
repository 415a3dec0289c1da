//! Reads the password for `--user`: from `--password-file` (its first line), else the
//! `SMBAUDIT_PASSWORD` environment variable, else a prompt on the terminal without echo
//! (only when stdin is a terminal). Never from argv. The password goes straight into a
//! `Zeroizing` buffer and no error message quotes it (nor the file's contents).

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::{Context, anyhow};
use smbaudit_probe::smb::credentials::Credentials;
use zeroize::Zeroizing;

use crate::Fatal;

/// The environment variable a password may come from.
pub(crate) const PASSWORD_ENV: &str = "SMBAUDIT_PASSWORD";

/// The credentials for `user`, the password read from where the flags say.
pub(crate) fn read(user: &str, password_file: Option<&Path>) -> Result<Credentials, Fatal> {
    let password = match password_file {
        Some(path) => from_file(path)?,
        None => match std::env::var_os(PASSWORD_ENV) {
            Some(value) => Zeroizing::new(
                value
                    .into_string()
                    .map_err(|_| Fatal::usage(anyhow!("{PASSWORD_ENV} is not valid UTF-8")))?,
            ),
            None => prompt(user)?,
        },
    };
    Credentials::new(user, password).map_err(|e| Fatal::usage(anyhow!("--user {user:?}: {e}")))
}

/// The first line of `path`, without its line ending.
fn from_file(path: &Path) -> Result<Zeroizing<String>, Fatal> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("opening the password file {}", path.display()))
        .map_err(Fatal::usage)?;
    let mut line = Zeroizing::new(String::new());
    std::io::BufReader::new(file)
        .read_line(&mut line)
        .with_context(|| format!("reading the password file {}", path.display()))
        .map_err(Fatal::usage)?;
    let end = line.trim_end_matches(['\r', '\n']).len();
    line.truncate(end);
    Ok(line)
}

/// Asks on the terminal, without echo; an error when stdin is not a terminal.
fn prompt(user: &str) -> Result<Zeroizing<String>, Fatal> {
    if !std::io::stdin().is_terminal() {
        return Err(Fatal::usage(anyhow!(
            "--user needs a password: give --password-file or set {PASSWORD_ENV} \
             (stdin is not a terminal to prompt on)"
        )));
    }
    rpassword::prompt_password(format!("Password for {user}: "))
        .map(Zeroizing::new)
        .context("reading the password from the terminal")
        .map_err(Fatal::usage)
}
