//! Processes: bounded command runs, signals, `/proc` lookups.

use std::fs;
use std::io::{self, Read, Seek, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

pub(super) fn cmdline(pid: u32) -> String {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let text = String::from_utf8_lossy(&raw).replace('\0', " ");
    text.trim().chars().take(100).collect()
}

/// TERM, then KILL after 5 s; reaps.
pub(crate) fn terminate_children(mut children: Vec<Child>) {
    if children.is_empty() {
        return;
    }
    let pids: Vec<u32> = children.iter().map(Child::id).collect();
    signal(&pids, "TERM");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        children.retain_mut(|c| !matches!(c.try_wait(), Ok(Some(_)) | Err(_)));
        if children.is_empty() || Instant::now() >= deadline {
            break;
        }
        sleep(Duration::from_millis(20));
    }
    for c in &mut children {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// TERM, then KILL after 5 s, for processes that are not our children.
pub(crate) fn terminate_pids(pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    signal(pids, "TERM");
    let deadline = Instant::now() + Duration::from_secs(5);
    while pids.iter().any(|&p| pid_alive(p)) && Instant::now() < deadline {
        sleep(Duration::from_millis(20));
    }
    let alive: Vec<u32> = pids.iter().copied().filter(|&p| pid_alive(p)).collect();
    if !alive.is_empty() {
        signal(&alive, "KILL");
        let deadline = Instant::now() + Duration::from_secs(2);
        while alive.iter().any(|&p| pid_alive(p)) && Instant::now() < deadline {
            sleep(Duration::from_millis(20));
        }
    }
}

pub(super) fn signal(pids: &[u32], sig: &str) {
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        r#"sig=$1; shift; kill -s "$sig" "$@" 2>/dev/null; true"#,
        "sh",
        sig,
    ]);
    cmd.args(pids.iter().map(u32::to_string));
    let _ = run(&mut cmd, b"", Duration::from_secs(5));
}

/// Alive and not a zombie.
pub(super) fn pid_alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit_once(')').is_some_and(|(_, rest)| {
            !matches!(rest.trim_start().chars().next(), Some('Z' | 'X') | None)
        })
    })
}

pub(super) fn parent_pid(pid: u32) -> Option<u32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

pub(super) fn is_descendant_of(pid: u32, ancestor: u32) -> bool {
    let mut p = pid;
    for _ in 0..64 {
        match parent_pid(p) {
            Some(pp) if pp == ancestor => return true,
            Some(pp) if pp > 1 => p = pp,
            _ => return false,
        }
    }
    false
}

pub(super) fn exe(pid: u32) -> Option<PathBuf> {
    fs::read_link(format!("/proc/{pid}/exe")).ok()
}

pub(super) fn exe_name(pid: u32) -> Option<String> {
    exe(pid).and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
}

/// smbd, nmbd or a Samba helper (`/usr/libexec/samba/*`: samba-dcerpcd, rpcd_*).
pub(crate) fn is_samba(pid: u32) -> bool {
    exe(pid).is_some_and(|p| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        name == "smbd" || name == "nmbd" || p.parent().is_some_and(|d| d.ends_with("libexec/samba"))
    })
}

pub(crate) fn describe(out: &Output) -> String {
    let text = format!(
        "{}; stdout: {}; stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    text.chars().take(2000).collect()
}

/// A running command whose stdout/stderr go to anonymous temp files (no pipe
/// can fill up or be held open by a grandchild).
pub(super) struct Spawned {
    child: Child,
    out: fs::File,
    err: fs::File,
    what: String,
}

impl Spawned {
    pub(super) fn spawn(cmd: &mut Command, stdin: &[u8]) -> io::Result<Self> {
        let out = tempfile::tempfile()?;
        let err = tempfile::tempfile()?;
        let input = if stdin.is_empty() {
            Stdio::null()
        } else {
            let mut f = tempfile::tempfile()?;
            f.write_all(stdin)?;
            f.rewind()?;
            Stdio::from(f)
        };
        cmd.stdin(input)
            .stdout(out.try_clone()?)
            .stderr(err.try_clone()?);
        let what = format!("{cmd:?}");
        let child = cmd.spawn()?;
        Ok(Self {
            child,
            out,
            err,
            what,
        })
    }

    /// Waits at most `limit`; on timeout kills the child and returns an error
    /// with what it printed so far.
    pub(super) fn finish(self, limit: Duration) -> Result<Output, String> {
        self.finish_io(limit).map_err(|e| e.to_string())
    }

    pub(super) fn finish_io(mut self, limit: Duration) -> io::Result<Output> {
        let deadline = Instant::now() + limit;
        let mut pause = Duration::from_millis(1);
        let status: Option<ExitStatus> = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if Instant::now() >= deadline => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break None;
                }
                Ok(None) => {
                    sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(20));
                }
                Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", self.what))),
            }
        };
        let read = |f: &mut fs::File| {
            let mut v = Vec::new();
            let _ = f.rewind().and_then(|()| f.read_to_end(&mut v));
            v
        };
        let (stdout, stderr) = (read(&mut self.out), read(&mut self.err));
        match status {
            Some(status) => Ok(Output {
                status,
                stdout,
                stderr,
            }),
            None => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "timed out after {limit:?}: {}; stdout: {}; stderr: {}",
                    self.what,
                    String::from_utf8_lossy(&stdout).trim(),
                    String::from_utf8_lossy(&stderr).trim()
                ),
            )),
        }
    }
}

pub(crate) fn run(cmd: &mut Command, stdin: &[u8], limit: Duration) -> Result<Output, String> {
    Spawned::spawn(cmd, stdin)
        .map_err(|e| format!("{cmd:?}: {e}"))?
        .finish(limit)
}

/// Runs `cmd` (stdin closed) and returns its output, killing it if it runs
/// longer than `limit` (error kind `TimedOut`, with its output so far in the
/// message). Use it for every scanner run in a test: loops must be bounded.
pub fn output_within(cmd: &mut Command, limit: Duration) -> io::Result<Output> {
    Spawned::spawn(cmd, b"")?.finish_io(limit)
}
