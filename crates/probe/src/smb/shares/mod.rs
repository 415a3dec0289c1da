//! Which shares a server lists, and what each identity may do on them: srvsvc NetrShareEnum
//! over the IPC$ pipe ([MS-SRVS] 3.1.4.8), then per disk share a TREE_CONNECT (its
//! MaximalAccess), a CREATE of the root with the MxAc context, and one QUERY_DIRECTORY.
//! Nothing is written unless the write check is asked for, and then one uniquely named
//! file is created with DELETE_ON_CLOSE and closed at once.
//!
//! [`walk::ShareWalk`] is the sans-IO conversation the suite runs on a session it already
//! holds; the types here are what it reports.

mod access;
mod enumerate;
mod smb1_steps;
pub mod smb1_walk;
pub mod walk;

use serde::{Deserialize, Serialize};
use smbaudit_wire::ResponseError;
use smbaudit_wire::dcerpc::stype;

use super::ProbeError;

/// Why a reply is not the answer a check wanted: the server's NT status, or anything else
/// (no reply, a malformed one) as text.
enum Failed {
    Status(u32),
    Other(String),
}

/// The reply decoded by `decode`, or why not: the one place a share check turns a
/// connection result and a decoder result into its verdict's input.
fn decoded<T>(
    reply: Result<Vec<u8>, ProbeError>,
    decode: fn(&[u8]) -> Result<T, ResponseError>,
) -> Result<T, Failed> {
    let msg = reply.map_err(|e| Failed::Other(e.to_string()))?;
    decode(&msg).map_err(|e| match e {
        ResponseError::Status(status) => Failed::Status(status),
        e => Failed::Other(e.to_string()),
    })
}

/// Who asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Identity {
    /// The null session: no user name, no password.
    Anonymous,
    /// An unknown user name the server mapped to its guest account.
    Guest,
    /// The credentials given with `--user`.
    User,
}

impl Identity {
    /// The identity's name as the output shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Anonymous => "anonymous",
            Self::Guest => "guest",
            Self::User => "user",
        }
    }
}

/// The share list and what each identity could do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareListing {
    /// The identity whose NetrShareEnum produced the list.
    pub listed_by: Option<Identity>,
    /// Whether a list was obtained: `None` when the attempt told nothing.
    pub listed: Option<bool>,
    /// Why the verdict is what it is (status codes, the RPC result).
    pub reason: String,
    /// The SHARE_INFO level answered (1, or 0 after a level 1 refusal).
    #[serde(default)]
    pub level: Option<u32>,
    /// The shares, in the server's order.
    #[serde(default)]
    pub shares: Vec<Share>,
}

/// One listed share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// The share name.
    pub name: String,
    /// "disk", "printer", "device", "ipc", or "unknown" (level 0 lists no type).
    pub kind: String,
    /// STYPE_SPECIAL: an administrative share (C$, ADMIN$, IPC$).
    pub special: bool,
    /// The name ends in `$`: hidden from browse lists.
    pub hidden: bool,
    /// The comment (`shi1_remark`).
    pub comment: String,
    /// What each identity could do, in the order they were tried.
    #[serde(default)]
    pub access: Vec<ShareAccess>,
}

impl Share {
    /// A share from the NetrShareEnum answer.
    fn from_info(info: smbaudit_wire::dcerpc::ShareInfo) -> Self {
        let kind = match info.share_type.map(|t| t & 0x0FFF_FFFF) {
            Some(stype::DISKTREE) => "disk",
            Some(stype::PRINTQ) => "printer",
            Some(stype::DEVICE) => "device",
            Some(stype::IPC) => "ipc",
            _ => "unknown",
        };
        Self {
            hidden: info.name.ends_with('$'),
            special: info.share_type.is_some_and(|t| t & stype::SPECIAL != 0),
            kind: kind.to_owned(),
            name: info.name,
            comment: info.comment.unwrap_or_default(),
            access: Vec::new(),
        }
    }

    /// Whether the access checks open files here (disk shares, and level 0's unknowns).
    pub fn holds_files(&self) -> bool {
        matches!(self.kind.as_str(), "disk" | "unknown") && !self.name.eq_ignore_ascii_case("IPC$")
    }

    /// The access of `identity`, if it was checked.
    pub fn access_of(&self, identity: Identity) -> Option<&ShareAccess> {
        self.access.iter().find(|a| a.identity == identity)
    }
}

/// What one identity could do on one share. Each verdict is yes / no / unknown (`None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareAccess {
    /// Who.
    pub identity: Identity,
    /// The TREE_CONNECT succeeded.
    pub connect: Option<bool>,
    /// The TREE_CONNECT's answer: "connected" or the NT status.
    pub connect_status: String,
    /// The share-level MaximalAccess from the TREE_CONNECT response.
    #[serde(default)]
    pub share_access: Option<u32>,
    /// The MxAc answer on the share's root directory.
    #[serde(default)]
    pub root_access: Option<u32>,
    /// The root directory could be listed.
    #[serde(default)]
    pub read: Option<bool>,
    /// The root's CREATE or QUERY_DIRECTORY answer when it was not a listing.
    #[serde(default)]
    pub read_status: Option<String>,
    /// Names in the root's first QUERY_DIRECTORY answer (without `.` and `..`).
    #[serde(default)]
    pub entries: Option<usize>,
    /// The identity may create or change files here.
    #[serde(default)]
    pub write: Option<bool>,
    /// "inferred from the root's maximal access 0x…" or what the write check did.
    #[serde(default)]
    pub write_evidence: Option<String>,
}

impl ShareListing {
    /// The listing on one line: `public (anonymous READ, guest READ); upload (anonymous
    /// READ,WRITE)`.
    pub fn summary(&self) -> String {
        if self.listed != Some(true) {
            return format!("not listed: {}", self.reason);
        }
        let share = |s: &Share| {
            let access: Vec<String> = s
                .access
                .iter()
                .map(|a| format!("{} {}", a.identity.as_str(), a.word()))
                .collect();
            if access.is_empty() {
                s.name.clone()
            } else {
                format!("{} ({})", s.name, access.join(", "))
            }
        };
        self.shares.iter().map(share).collect::<Vec<_>>().join("; ")
    }
}

impl ShareAccess {
    /// The access in a word or two, as smbclient and NetExec users read it: "READ,WRITE",
    /// "READ", "WRITE", "CONNECT" (connected, nothing listed), "DENIED", "?" (unknown).
    pub fn word(&self) -> String {
        match (self.connect, self.read, self.write) {
            (Some(false), ..) => "DENIED",
            (None, ..) => "?",
            (Some(true), Some(true), Some(true)) => "READ,WRITE",
            (Some(true), _, Some(true)) => "WRITE",
            (Some(true), Some(true), _) => "READ",
            (Some(true), Some(false), _) => "CONNECT",
            (Some(true), None, _) => "CONNECT?",
        }
        .to_owned()
    }

    fn refused(identity: Identity, connect: Option<bool>, status: String) -> Self {
        Self {
            identity,
            connect,
            connect_status: status,
            share_access: None,
            root_access: None,
            read: None,
            read_status: None,
            entries: None,
            write: None,
            write_evidence: None,
        }
    }
}
