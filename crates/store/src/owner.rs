//! The process that runs a scan, so that `history` can tell a scan that is still running
//! from one whose process was killed (`kill -9`, a crash, a reboot) without saying so.
//!
//! A pid alone is not enough: pids are reused. The owner is the pid plus the process's
//! start time (clock ticks since boot, `/proc/PID/stat` field 22) plus the boot id, so a
//! reused pid or a reboot reads as "gone". On another machine (a shared database) the
//! answer is unknown, and the stored status stands.

use std::fs;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// Who runs a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanOwner {
    /// The machine's host name.
    pub host: String,
    /// `/proc/sys/kernel/random/boot_id`: changes at every boot.
    pub boot_id: String,
    /// The process id.
    pub pid: u32,
    /// The process's start time in clock ticks since boot.
    pub start_ticks: u64,
}

impl ScanOwner {
    /// This process, where `/proc` tells (Linux); `None` elsewhere.
    pub fn current() -> Option<Self> {
        let pid = std::process::id();
        Some(Self {
            host: host_name()?,
            boot_id: boot_id()?,
            pid,
            start_ticks: start_ticks(pid)?,
        })
    }

    /// Whether the owning process still runs: `None` when this machine cannot tell (the
    /// scan ran on another machine, or there is no `/proc`).
    pub fn alive(&self) -> Option<bool> {
        if host_name()? != self.host {
            return None;
        }
        if boot_id()? != self.boot_id {
            return Some(false);
        }
        Some(start_ticks(self.pid) == Some(self.start_ticks))
    }
}

/// This machine's host name, read once (`history` asks for every scan it lists).
fn host_name() -> Option<String> {
    static NAME: OnceLock<Option<String>> = OnceLock::new();
    NAME.get_or_init(|| read_trimmed("/proc/sys/kernel/hostname"))
        .clone()
}

/// This boot's id, read once.
fn boot_id() -> Option<String> {
    static ID: OnceLock<Option<String>> = OnceLock::new();
    ID.get_or_init(|| read_trimmed("/proc/sys/kernel/random/boot_id"))
        .clone()
}

fn read_trimmed(path: &str) -> Option<String> {
    fs::read_to_string(path).ok().map(|s| s.trim().to_owned())
}

/// Field 22 of `/proc/PID/stat`; `None` if the process does not exist.
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_start_ticks(&stat)
}

/// The start time in a `/proc/PID/stat` line. The command name (field 2) is in
/// parentheses and may hold spaces and parentheses itself, so fields are counted from the
/// last `)`: the next field is the 3rd, so the 22nd is the 20th after it.
fn parse_start_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_time_is_counted_from_the_last_parenthesis() {
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        assert_eq!(parse_start_ticks(stat), Some(987_654));
        assert_eq!(parse_start_ticks("42 (x) S 1"), None);
        assert_eq!(parse_start_ticks("garbage"), None);
    }

    #[test]
    fn this_process_is_alive_and_a_dead_one_is_not() {
        let Some(me) = ScanOwner::current() else {
            return; // no /proc: nothing to check
        };
        assert_eq!(me.alive(), Some(true));
        let reused = ScanOwner {
            start_ticks: me.start_ticks + 1,
            ..me.clone()
        };
        assert_eq!(reused.alive(), Some(false), "a reused pid is not the owner");
        let rebooted = ScanOwner {
            boot_id: "another boot".into(),
            ..me.clone()
        };
        assert_eq!(rebooted.alive(), Some(false));
        let elsewhere = ScanOwner {
            host: format!("{}-elsewhere", me.host),
            ..me
        };
        assert_eq!(
            elsewhere.alive(),
            None,
            "another machine's process is unknown"
        );
    }
}
