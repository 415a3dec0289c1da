//! Processes from `/proc`: who holds a socket inode, and what a pid is.
//!
//! Every process may exit while it is read: `ENOENT`/`ESRCH` skip it quietly.
//! `/proc` is read as untrusted input: command lines are capped and decoded lossily.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::{Daemon, Process};

/// Most bytes of `/proc/PID/cmdline` read (the kernel's own `ARG_MAX` default is 2 MiB).
const MAX_CMDLINE_BYTES: u64 = 64 * 1024;
/// Most command-line arguments kept.
const MAX_ARGS: usize = 1024;

/// What scanning `/proc` could not see.
#[derive(Debug, Default)]
pub(super) struct Blind {
    /// Processes whose `fd/` (or `exe`) could not be read: permission denied.
    pub(super) denied: usize,
    /// Other errors, one example kept.
    pub(super) other: Option<String>,
}

/// Every pid under `/proc`, in ascending order.
pub(super) fn pids() -> io::Result<Vec<u32>> {
    let mut pids: Vec<u32> = fs::read_dir("/proc")?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    Ok(pids)
}

/// For each socket inode of `wanted`, the pids whose open files hold it.
pub(super) fn socket_holders(
    wanted: &BTreeSet<u64>,
    blind: &mut Blind,
) -> io::Result<BTreeMap<u64, Vec<u32>>> {
    let mut holders: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
    if wanted.is_empty() {
        return Ok(holders);
    }
    for pid in pids()? {
        let entries = match fs::read_dir(format!("/proc/{pid}/fd")) {
            Ok(entries) => entries,
            Err(e) => {
                note(blind, &e, pid);
                continue;
            }
        };
        for entry in entries.flatten() {
            let Ok(target) = fs::read_link(entry.path()) else {
                continue;
            };
            if let Some(inode) = socket_inode(&target).filter(|i| wanted.contains(i)) {
                let pids = holders.entry(inode).or_default();
                if !pids.contains(&pid) {
                    pids.push(pid);
                }
            }
        }
    }
    Ok(holders)
}

fn note(blind: &mut Blind, e: &io::Error, pid: u32) {
    match e.kind() {
        io::ErrorKind::PermissionDenied => blind.denied += 1,
        _ if vanished(e) => {}
        _ => {
            blind
                .other
                .get_or_insert_with(|| format!("/proc/{pid}: {e}"));
        }
    }
}

/// `ENOENT` or `ESRCH`: the process exited while it was read.
pub(super) fn vanished(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(3)
}

/// `socket:[12345]` → 12345.
fn socket_inode(target: &Path) -> Option<u64> {
    let text = target.to_str()?;
    text.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// Of several holders of one socket, the one that owns it: the holder whose
/// parent is not a holder too (the daemon, not the children it forked), else the first.
pub(super) fn owner_of(holders: &[u32]) -> Option<u32> {
    if holders.len() <= 1 {
        return holders.first().copied();
    }
    holders
        .iter()
        .copied()
        .find(|&pid| parent(pid).is_none_or(|ppid| !holders.contains(&ppid)))
        .or_else(|| holders.first().copied())
}

/// The parent pid, from `/proc/PID/stat` (after the last `)`: the comm may hold any byte).
fn parent(pid: u32) -> Option<u32> {
    let stat = fs::read(format!("/proc/{pid}/stat")).ok()?;
    let text = String::from_utf8_lossy(&stat);
    let (_, rest) = text.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// How a process's executable was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ExeSource {
    /// `/proc/PID/exe`.
    Link,
    /// `/proc/PID/exe` was not readable (not root); the command line's first word.
    Argv0,
}

/// Reads one process. `Err` when it vanished or nothing names its executable
/// (a kernel thread).
pub(super) fn process(pid: u32) -> io::Result<(Process, ExeSource)> {
    let cmdline = cmdline(pid)?;
    let (exe, source) = match fs::read_link(format!("/proc/{pid}/exe")) {
        Ok(path) => (strip_deleted(path), ExeSource::Link),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => match cmdline.first() {
            Some(argv0) if !argv0.is_empty() => (PathBuf::from(argv0), ExeSource::Argv0),
            _ => return Err(e),
        },
        Err(e) => return Err(e),
    };
    let daemon = Daemon::of_exe(&exe);
    Ok((
        Process {
            pid,
            exe,
            daemon,
            cmdline,
        },
        source,
    ))
}

/// An executable replaced on disk (a package upgrade) reads `/usr/sbin/smbd (deleted)`.
fn strip_deleted(path: PathBuf) -> PathBuf {
    match path.to_str().and_then(|s| s.strip_suffix(" (deleted)")) {
        Some(stripped) => PathBuf::from(stripped),
        None => path,
    }
}

/// `/proc/PID/cmdline`, capped, split at NUL, lossy UTF-8.
fn cmdline(pid: u32) -> io::Result<Vec<String>> {
    let mut raw = Vec::new();
    fs::File::open(format!("/proc/{pid}/cmdline"))?
        .take(MAX_CMDLINE_BYTES)
        .read_to_end(&mut raw)?;
    Ok(split_cmdline(&raw))
}

/// NUL-separated arguments (a trailing NUL ends the last), at most [`MAX_ARGS`].
pub(super) fn split_cmdline(raw: &[u8]) -> Vec<String> {
    let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
    if raw.is_empty() {
        return Vec::new();
    }
    raw.split(|&b| b == 0)
        .take(MAX_ARGS)
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect()
}

/// The network namespace of `pid` (`net:[4026531840]`), `None` when unreadable.
pub(super) fn netns_of(pid: &str) -> Option<PathBuf> {
    fs::read_link(format!("/proc/{pid}/ns/net")).ok()
}
