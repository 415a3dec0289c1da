//! The scan-level types: id, metadata, status and the summary `history` lists.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use smbaudit_findings::Severity;

use crate::chunks::ChunksDone;
use crate::owner::ScanOwner;
use crate::shards::ShardsDone;

/// The current time as RFC 3339 UTC with milliseconds, as scans and hosts are stamped.
pub fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// A scan's id in the store (the `scans.id` row id), shown to users as a plain number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ScanId(pub i64);

impl fmt::Display for ScanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A string that is not a scan id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a scan id (a positive number, e.g. 12)")]
pub struct ParseScanIdError(pub String);

impl FromStr for ScanId {
    type Err = ParseScanIdError;

    /// Parses "12" (surrounding blanks allowed); ids are positive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().parse::<i64>() {
            Ok(n) if n > 0 => Ok(Self(n)),
            _ => Err(ParseScanIdError(s.to_owned())),
        }
    }
}

/// What a new scan records about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanMeta {
    /// The targets as given (addresses, ranges, CIDRs, files).
    pub targets: Vec<String>,
    /// The command line, for `history` and to resume with the same options.
    pub command: String,
    /// Where the scan ran from (e.g. "lan", "internet"), which rules use to rate findings.
    pub vantage: String,
    /// The options that decide what is observed, which `--resume` reuses.
    pub options: Option<ScanOptions>,
}

/// A scan's effective options: everything that decides what it observes, so that a
/// resumed scan probes the rest of its targets exactly as it probed the first. Never a
/// secret: of credentials, only the user name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanOptions {
    /// The ports looked at (137 is the UDP NBSTAT query).
    pub ports: Vec<u16>,
    /// Longest TCP handshake, in milliseconds.
    pub connect_timeout_ms: u64,
    /// Longest wait for each SMB or session-service reply, in milliseconds.
    pub reply_timeout_ms: u64,
    /// Longest time on one host's TCP probes, in milliseconds.
    pub host_timeout_ms: u64,
    /// Longest wait for an NBSTAT reply, in milliseconds.
    pub udp_timeout_ms: u64,
    /// NBSTAT queries re-sent to a silent host.
    pub udp_retries: u8,
    /// The local UDP port NBSTAT queries came from (0: any).
    pub source_port: u16,
    /// How NetBIOS names among the targets were resolved ("wins 10.0.0.1",
    /// "broadcast 10.0.0.255"), if not by the system resolver.
    pub name_service: Option<String>,
    /// The user name of the credentials, if any (never the password).
    pub user: Option<String>,
    /// Whether the anonymous (null) session was attempted.
    #[serde(default = "attempted")]
    pub null_session: bool,
    /// Whether the sessions listed shares and checked their access.
    #[serde(default = "attempted")]
    pub shares: bool,
    /// Whether write access was proved by creating and deleting one file per share.
    #[serde(default)]
    pub write_check: bool,
    /// The seed of the order the targets were visited in (`None`: stored before scans
    /// kept one, when they visited targets as listed).
    #[serde(default)]
    pub seed: Option<u64>,
    /// The share of that order this scan visits (`None`: all of it).
    #[serde(default)]
    pub shard: Option<StoredShard>,
}

/// Shard `index` of `count` (1-based, as `--shard I/N` is written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredShard {
    /// I, from 1.
    pub index: u64,
    /// N.
    pub count: u64,
}

impl fmt::Display for StoredShard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Options stored before these fields: resumed with the null session and shares, as a new
/// scan runs.
fn attempted() -> bool {
    true
}

/// Where a scan is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanStatus {
    /// Started and not finished: still running, or killed without a chance to say so.
    Running,
    /// Every target was scanned.
    Finished,
    /// Stopped early (Ctrl-C); can be resumed.
    Interrupted,
}

impl ScanStatus {
    /// The lower-case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Finished => "finished",
            Self::Interrupted => "interrupted",
        }
    }
}

impl fmt::Display for ScanStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ScanStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Running, Self::Finished, Self::Interrupted]
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not a scan status (running, finished, interrupted)"))
    }
}

/// One scan as `history` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSummary {
    /// Its id.
    pub id: ScanId,
    /// When it began, RFC 3339 UTC.
    pub started: String,
    /// When it last finished or was interrupted, RFC 3339 UTC; `None` while running.
    pub finished: Option<String>,
    /// Its status.
    pub status: ScanStatus,
    /// The targets as given.
    pub targets: Vec<String>,
    /// The command line.
    pub command: String,
    /// Where it ran from.
    pub vantage: String,
    /// Hosts stored.
    pub hosts: u64,
    /// Findings stored, per severity (severities with no finding are absent).
    pub findings_by_severity: BTreeMap<Severity, u64>,
    /// The options it ran with (`None` for scans stored before smbaudit kept them).
    pub options: Option<ScanOptions>,
    /// The process that last ran it.
    pub owner: Option<ScanOwner>,
    /// Its name, if it was started with one (`--scan-name`).
    #[serde(default)]
    pub name: Option<String>,
    /// How far its shards are, if many workers write it (`--shard` with `--scan-name`).
    #[serde(default)]
    pub shards: Option<ShardsDone>,
    /// How far its work queue is, if its workers take chunks from one (`--queue`).
    #[serde(default)]
    pub chunks: Option<ChunksDone>,
}

impl ScanSummary {
    /// All findings, whatever their severity.
    pub fn findings(&self) -> u64 {
        self.findings_by_severity.values().sum()
    }

    /// Whether the scan did not finish (running or interrupted): a candidate for `--resume`.
    pub fn unfinished(&self) -> bool {
        self.status != ScanStatus::Finished
    }

    /// The status as stored (a sharded scan's: finished when every shard is, see
    /// [`ShardsDone::status`]), except that a scan stored as running whose process is gone
    /// (killed without a chance to say so) is interrupted.
    pub fn with_live_status(mut self) -> Self {
        if let Some(shards) = self.shards {
            self.status = shards.status();
            return self;
        }
        if let Some(chunks) = self.chunks {
            self.status = chunks.status();
            return self;
        }
        let gone = self.owner.as_ref().and_then(ScanOwner::alive) == Some(false);
        if self.status == ScanStatus::Running && gone {
            self.status = ScanStatus::Interrupted;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_rfc3339_utc() {
        let t = now();
        assert!(humantime::parse_rfc3339(&t).is_ok(), "{t}");
        assert!(t.ends_with('Z'), "{t}");
    }

    #[test]
    fn scan_id_parses_and_prints() {
        assert_eq!("12".parse::<ScanId>(), Ok(ScanId(12)));
        assert_eq!(" 7 ".parse::<ScanId>(), Ok(ScanId(7)));
        assert_eq!(ScanId(12).to_string(), "12");
        for bad in ["", "0", "-3", "x", "1.5", "99999999999999999999"] {
            assert!(bad.parse::<ScanId>().is_err(), "{bad:?} parsed");
        }
        assert!(
            "abc"
                .parse::<ScanId>()
                .unwrap_err()
                .to_string()
                .contains("not a scan id")
        );
    }

    #[test]
    fn options_stored_before_the_order_was_kept_still_load() {
        let old = r#"{"ports":[139,445],"connect_timeout_ms":4000,"reply_timeout_ms":10000,
            "host_timeout_ms":30000,"udp_timeout_ms":1000,"udp_retries":1,"source_port":0,
            "name_service":null,"user":null}"#;
        let options: ScanOptions = serde_json::from_str(old).expect("loads");
        assert_eq!((options.seed, options.shard), (None, None));
        assert!(options.null_session && options.shares && !options.write_check);
        let new = ScanOptions {
            seed: Some(u64::MAX),
            shard: Some(StoredShard { index: 2, count: 3 }),
            ..options
        };
        let text = serde_json::to_string(&new).expect("serialises");
        assert_eq!(
            serde_json::from_str::<ScanOptions>(&text).expect("loads"),
            new
        );
        assert_eq!(new.shard.map(|s| s.to_string()).as_deref(), Some("2/3"));
    }

    #[test]
    fn status_round_trips_through_text() {
        for st in [
            ScanStatus::Running,
            ScanStatus::Finished,
            ScanStatus::Interrupted,
        ] {
            assert_eq!(st.to_string().parse::<ScanStatus>(), Ok(st));
        }
        assert!("done".parse::<ScanStatus>().is_err());
    }
}
