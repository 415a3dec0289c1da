//! Shares that appeared or disappeared between two scans, and access that changed. Only
//! hosts whose share list both scans obtained are compared: a list one scan could not get
//! says nothing about the shares.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use smbaudit_findings::record::HostRecord;
use smbaudit_probe::smb::shares::{Share, ShareAccess, ShareListing};

/// One share's change on one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareChange {
    /// The host.
    pub ip: IpAddr,
    /// The share name.
    pub share: String,
    /// "appeared", "gone", or "anonymous: READ -> READ,WRITE".
    pub change: String,
}

/// The share changes of one host, in share-name order.
pub(crate) fn share_changes(ip: IpAddr, a: &HostRecord, b: &HostRecord) -> Vec<ShareChange> {
    let (Some(la), Some(lb)) = (listed(a), listed(b)) else {
        return Vec::new();
    };
    let by_name = |l: &'_ ShareListing| -> BTreeMap<String, Share> {
        l.shares
            .iter()
            .map(|s| (s.name.clone(), s.clone()))
            .collect()
    };
    let (sa, sb) = (by_name(la), by_name(lb));
    let change = |share: &str, change: String| ShareChange {
        ip,
        share: share.to_owned(),
        change,
    };
    let mut out = Vec::new();
    for (name, share) in &sb {
        match sa.get(name) {
            None => out.push(change(name, "appeared".into())),
            Some(old) => {
                for access in &share.access {
                    let before = old
                        .access_of(access.identity)
                        .map_or_else(|| "-".into(), summary);
                    let after = summary(access);
                    if before != after {
                        let who = access.identity.as_str();
                        out.push(change(name, format!("{who}: {before} -> {after}")));
                    }
                }
            }
        }
    }
    for name in sa.keys().filter(|n| !sb.contains_key(*n)) {
        out.push(change(name, "gone".into()));
    }
    out.sort_by(|x, y| x.share.cmp(&y.share));
    out
}

fn listed(h: &HostRecord) -> Option<&ShareListing> {
    h.smb
        .as_ref()?
        .shares
        .as_ref()
        .filter(|l| l.listed == Some(true))
}

/// An identity's access in words: what `diff` compares.
fn summary(a: &ShareAccess) -> String {
    let word = |v: Option<bool>, yes: &str, no: &str| match v {
        Some(true) => yes.to_owned(),
        Some(false) => no.to_owned(),
        None => "?".to_owned(),
    };
    match a.connect {
        Some(true) => format!(
            "connect,{},{}",
            word(a.read, "read", "no read"),
            word(a.write, "write", "no write")
        ),
        other => word(other, "connect", "denied"),
    }
}
