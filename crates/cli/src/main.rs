//! `smbaudit`: shows what an attacker sees of a network's SMB and NetBIOS exposure.

mod args;
mod commands;
mod credentials;
mod input;
mod oui;
mod pipeline;
mod render;

use std::process::ExitCode;

/// Exit codes, documented in the README.
pub(crate) mod exit {
    /// The run completed.
    pub(crate) const OK: u8 = 0;
    /// The run failed (a socket could not be opened, output could not be written, ...).
    pub(crate) const FAILURE: u8 = 1;
    /// The command line or the targets were invalid; nothing was sent.
    pub(crate) const USAGE: u8 = 2;
    /// `scan --fail-on`: a finding at or above the given severity.
    pub(crate) const FINDINGS: u8 = 3;
    /// Interrupted by Ctrl-C (SIGINT) after printing what was finished: 128 + 2.
    pub(crate) const INTERRUPTED: u8 = 130;
    /// Stopped by SIGTERM (timeout, systemd, a CI cancel) after printing what was
    /// finished: 128 + 15, as a shell reports it.
    pub(crate) const TERMINATED: u8 = 143;

    /// The exit code of a run that a signal cut short: [`TERMINATED`] after SIGTERM, else
    /// [`INTERRUPTED`].
    pub(crate) fn interrupted() -> u8 {
        if crate::commands::terminated() {
            TERMINATED
        } else {
            INTERRUPTED
        }
    }
}

/// An error with the exit code it should end the process with.
#[derive(Debug)]
pub(crate) struct Fatal {
    pub(crate) code: u8,
    pub(crate) error: anyhow::Error,
}

impl Fatal {
    /// Bad input: exit code 2.
    pub(crate) fn usage(error: impl Into<anyhow::Error>) -> Self {
        Self {
            code: exit::USAGE,
            error: error.into(),
        }
    }
}

impl<E: Into<anyhow::Error>> From<E> for Fatal {
    fn from(error: E) -> Self {
        Self {
            code: exit::FAILURE,
            error: error.into(),
        }
    }
}

fn main() -> ExitCode {
    let cli = args::Cli::parse_noting_given();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("smbaudit: cannot start the runtime: {e}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(Fatal { code, error }) => {
            if is_broken_pipe(&error) {
                return ExitCode::from(exit::OK);
            }
            eprintln!("smbaudit: {error:#}");
            ExitCode::from(code)
        }
    }
}

/// `smbaudit ... | head` closes our stdout early; that is not an error (as in ripgrep).
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    let pipe = Some(std::io::ErrorKind::BrokenPipe);
    // serde_json's error does not chain to the io::Error it wraps: ask it for the kind.
    error.chain().any(|e| {
        e.downcast_ref::<std::io::Error>().map(std::io::Error::kind) == pipe
            || e.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == pipe
            || e.downcast_ref::<csv::Error>().is_some_and(|c| {
                matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
            })
    })
}
