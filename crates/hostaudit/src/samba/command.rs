//! Running Samba's own tools (`testparm`, `smbd -b`) with a time limit and bounded output.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long testparm or `smbd -b` may take: both answer in about 20 ms.
pub(crate) const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// The most output kept from one command; testparm -sv prints about 20 KB plus shares.
const MAX_OUTPUT: u64 = 32 << 20;
/// How often a running command is checked.
const POLL: Duration = Duration::from_millis(5);

/// What a finished command printed.
pub(crate) struct Output {
    /// Whether it exited with status 0.
    pub(crate) success: bool,
    /// Its exit status, in words.
    pub(crate) status: String,
    /// Standard output (lossy UTF-8).
    pub(crate) stdout: String,
    /// Standard error (lossy UTF-8).
    pub(crate) stderr: String,
}

/// Runs `program args` with stdin closed and `LC_ALL=C`, killing it after `timeout`.
pub(crate) fn run(program: &Path, args: &[&str], timeout: Duration) -> Result<Output, String> {
    let mut child = Command::new(program)
        .args(args)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::Builder::new()
            .name("samba-command-output".into())
            .spawn(move || {
                let mut bytes = Vec::new();
                if let Some(pipe) = pipe {
                    // Read past the cap so the child never blocks on a full pipe.
                    let mut kept = pipe.take(MAX_OUTPUT);
                    let _ = kept.read_to_end(&mut bytes);
                    let _ = std::io::copy(&mut kept.into_inner(), &mut std::io::sink());
                }
                String::from_utf8_lossy(&bytes).into_owned()
            })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let (Ok(stdout), Ok(stderr)) = (stdout, stderr) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("cannot read the output of {}", program.display()));
    };
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(POLL),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{} did not finish within {} s; killed",
                    program.display(),
                    timeout.as_secs()
                ));
            }
            Err(e) => return Err(format!("waiting for {}: {e}", program.display())),
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok(Output {
        success: status.success(),
        status: status.to_string(),
        stdout,
        stderr,
    })
}

/// The first of `name` on `$PATH` or in `fallback_dirs` that is a file.
pub(crate) fn find_program(name: &str, fallback_dirs: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(fallback_dirs.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The last few lines of a command's error output, for an Unreadable line.
pub(crate) fn tail(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let start = lines.len().saturating_sub(3);
    lines.get(start..).unwrap_or_default().join(" / ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kills_a_command_that_runs_too_long() {
        let started = Instant::now();
        let result = run(Path::new("/bin/sleep"), &["5"], Duration::from_millis(100));
        assert!(result.is_err_and(|e| e.contains("did not finish")));
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn reports_a_missing_program() {
        let result = run(Path::new("/nonexistent/testparm"), &[], COMMAND_TIMEOUT);
        assert!(result.is_err_and(|e| e.contains("cannot run")));
    }

    #[test]
    fn keeps_the_last_lines_of_stderr() {
        assert_eq!(tail("a\n\nb\nc\nd\n"), "b / c / d");
    }
}
