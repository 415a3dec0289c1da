//! Runs nft / iptables-save on this machine (read only: `list` and `-save`).

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Backend, Ruleset, iptables, nft, rules};
use crate::model::{Family, Unreadable};

/// How long one listing may take before it is abandoned.
const TOOL_TIMEOUT: Duration = Duration::from_secs(10);
/// The nftables tables iptables-nft manages; iptables-nft-save lists the same rules.
pub(crate) const IPTABLES_NFT_TABLES: &[&str] = &[
    "ip filter",
    "ip raw",
    "ip mangle",
    "ip nat",
    "ip security",
    "ip6 filter",
    "ip6 raw",
    "ip6 mangle",
    "ip6 nat",
    "ip6 security",
];
/// The prefix of iptables-legacy's table names beside nftables ("iptables-legacy filter").
pub(crate) const LEGACY_TABLE: &str = "iptables-legacy";
/// How often a running tool is checked on.
const POLL: Duration = Duration::from_millis(5);

/// Why a tool gave no output.
enum Failure {
    /// Not installed (not on PATH, nor in /usr/sbin or /sbin).
    Missing,
    /// It ran and failed, or could not be run.
    Failed(String),
}

/// See [`super::read`].
pub(crate) fn read() -> Result<Ruleset, Unreadable> {
    match run("nft", &["-j", "list", "ruleset"]) {
        Ok(json) => {
            let mut rs = Ruleset {
                backend: Backend::Nftables,
                chains: nft::parse(&json)?,
                unreadable: Vec::new(),
            };
            if json.contains("\"xt\"") {
                prefer_iptables_save(&mut rs);
            }
            add_legacy(&mut rs);
            Ok(rs)
        }
        Err(Failure::Missing) => {
            read_iptables("iptables-save", "ip6tables-save").map_err(|e| match e {
                Failure::Missing => Unreadable::new(
                    "firewall ruleset",
                    "neither nft nor iptables-save is installed",
                ),
                Failure::Failed(why) => Unreadable::new("iptables ruleset", why),
            })
        }
        Err(Failure::Failed(why)) => match read_iptables("iptables-save", "ip6tables-save") {
            Ok(rs) if !rs.chains.is_empty() => Ok(rs),
            _ => Err(Unreadable::new("nftables ruleset", why)),
        },
    }
}

/// iptables-nft's tables hold opaque `xt` matches in nft's JSON (multiport,
/// conntrack, ...): read those tables from `iptables-nft-save` instead, which spells
/// them out.
fn prefer_iptables_save(rs: &mut Ruleset) {
    let saved = match read_iptables("iptables-nft-save", "ip6tables-nft-save") {
        Err(Failure::Missing) => read_iptables("iptables-save", "ip6tables-save"),
        other => other,
    };
    let Ok(saved) = saved else {
        return;
    };
    let mut chains = rules::retain(std::mem::take(&mut rs.chains), |c| {
        !IPTABLES_NFT_TABLES.contains(&c.table.as_str())
    });
    if !chains.iter().any(|c| c.base.is_some()) {
        rs.backend = Backend::Iptables;
    }
    rules::append(&mut chains, saved.chains);
    rs.chains = chains;
    rs.unreadable = saved.unreadable;
}

/// iptables-legacy rules live outside nftables, so nft does not list them, yet they
/// filter the same packets: add them when the legacy tools show any INPUT rule or a
/// non-accepting policy.
fn add_legacy(rs: &mut Ruleset) {
    let Ok(legacy) = read_iptables("iptables-legacy-save", "ip6tables-legacy-save") else {
        return;
    };
    let filters = legacy.chains.iter().any(|c| {
        c.base
            .as_ref()
            .is_some_and(|b| b.policy != rules::Policy::Accept)
            || (c.name == "INPUT" && !c.rules.is_empty())
    });
    if filters {
        let mut chains = std::mem::take(&mut rs.chains);
        let mut legacy = legacy.chains;
        for c in &mut legacy {
            c.table = format!("{LEGACY_TABLE} {}", c.table);
        }
        rules::append(&mut chains, legacy);
        rs.chains = chains;
    }
}

fn read_iptables(v4_tool: &str, v6_tool: &str) -> Result<Ruleset, Failure> {
    let v4 = run(v4_tool, &[])?;
    let mut chains = iptables::parse(&v4, Family::Ipv4).map_err(|e| Failure::Failed(e.why))?;
    let mut unreadable = Vec::new();
    match run(v6_tool, &[]) {
        Ok(v6) => match iptables::parse(&v6, Family::Ipv6) {
            Ok(more) => rules::append(&mut chains, more),
            Err(e) => unreadable.push((Family::Ipv6, format!("{v6_tool}: {}", e.why))),
        },
        Err(Failure::Missing) => {
            unreadable.push((Family::Ipv6, format!("{v6_tool} is not installed")))
        }
        Err(Failure::Failed(why)) => unreadable.push((Family::Ipv6, why)),
    }
    Ok(Ruleset {
        backend: Backend::Iptables,
        chains,
        unreadable,
    })
}

/// Where `name` is installed: PATH, then the sbin directories a non-root PATH lacks.
fn locate(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The tool's stdout, waiting at most [`TOOL_TIMEOUT`].
fn run(name: &str, args: &[&str]) -> Result<String, Failure> {
    let path = locate(name).ok_or(Failure::Missing)?;
    let mut child = Command::new(&path)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Failure::Failed(format!("{name} could not be run: {e}")))?;
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() < TOOL_TIMEOUT => std::thread::sleep(POLL),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Failure::Failed(format!(
                    "{name} did not answer within {} s",
                    TOOL_TIMEOUT.as_secs()
                )));
            }
            Err(e) => return Err(Failure::Failed(format!("{name}: {e}"))),
        }
    };
    let out = stdout
        .map(|h| h.join().unwrap_or_default())
        .unwrap_or_default();
    let err = stderr
        .map(|h| h.join().unwrap_or_default())
        .unwrap_or_default();
    if status.success() {
        return String::from_utf8(out)
            .map_err(|_| Failure::Failed(format!("{name} printed something that is not UTF-8")));
    }
    let err = String::from_utf8_lossy(&err);
    let first = err
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no message")
        .trim();
    let lower = err.to_ascii_lowercase();
    if lower.contains("permission denied") || lower.contains("operation not permitted") {
        return Err(Failure::Failed(format!(
            "permission denied: run as root ({name}: {first})"
        )));
    }
    Err(Failure::Failed(format!(
        "{name} failed ({status}): {first}"
    )))
}

/// Reads a pipe to its end on a thread, so a large listing cannot block the tool.
fn drain<R: Read + Send + 'static>(mut pipe: R) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}
