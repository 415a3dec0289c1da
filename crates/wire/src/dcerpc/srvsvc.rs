//! srvsvc NetrShareEnum (opnum 15, [MS-SRVS] 3.1.4.8) in NDR 2.0: the request stub, and the
//! response's SHARE_INFO_0 / SHARE_INFO_1 containers ([MS-SRVS] 2.2.4.22, 2.2.4.23).
//!
//! ```text
//! request:  ServerName (unique wchar_t*), Level (4), union switch (4), container pointer,
//!           EntriesRead (4), Buffer pointer (null), PreferedMaximumLength (4),
//!           ResumeHandle (unique DWORD*)
//! response: Level (4), switch (4), container pointer, EntriesRead (4), Buffer pointer,
//!           [max_count (4), entries (level 1: netname ptr, type, remark ptr), deferred
//!           strings], TotalEntries (4), ResumeHandle (ptr, value), WERROR (4)
//! string:   max_count (4), offset (4), actual_count (4), UTF-16LE units, pad to 4
//! ```
//!
//! The decoder reads pointers as presence flags in the order NDR defers them and never
//! follows a referent ID, so a lying stream cannot make it loop; every count is checked
//! against the bytes left before anything is allocated.

use crate::{DecodeError, Reader};

/// SRVSVC 4b324fc8-1670-01d3-1278-5a47bf6ee188 v3.0, as on the wire.
pub const SRVSVC_SYNTAX: [u8; 20] = [
    0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01, 0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88,
    0x03, 0x00, 0x00, 0x00,
];
/// Shares decoded from one answer at most.
pub const MAX_SHARES: usize = 4096;
/// UTF-16 units of a share name at most (Windows allows 80; Samba a few hundred).
pub const MAX_SHARE_NAME: usize = 1024;
/// UTF-16 units of a share comment at most.
const MAX_REMARK: usize = 4096;
const REFERENT: u32 = 0x0002_0000;

/// [MS-SRVS] 2.2.2.4 share types.
pub mod stype {
    /// STYPE_DISKTREE.
    pub const DISKTREE: u32 = 0;
    /// STYPE_PRINTQ.
    pub const PRINTQ: u32 = 1;
    /// STYPE_DEVICE.
    pub const DEVICE: u32 = 2;
    /// STYPE_IPC.
    pub const IPC: u32 = 3;
    /// STYPE_SPECIAL: an administrative share.
    pub const SPECIAL: u32 = 0x8000_0000;
    /// STYPE_TEMPORARY.
    pub const TEMPORARY: u32 = 0x4000_0000;
}

/// The NetrShareEnum request stub for `server` (its address, without backslashes, as
/// Windows clients send it) at `level` (0 or 1).
pub fn share_enum_stub(server: &str, level: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&REFERENT.to_le_bytes());
    let name: Vec<u16> = server.encode_utf16().take(256).collect();
    let count = u32::try_from(name.len() + 1).unwrap_or(0);
    for v in [count, 0, count] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for unit in name.iter().chain(std::iter::once(&0)) {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    while out.len() % 4 != 0 {
        out.push(0);
    }
    for v in [level, level, REFERENT + 4, 0, 0, u32::MAX, REFERENT + 8, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// One share of the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareInfo {
    /// `shi*_netname`.
    pub name: String,
    /// `shi1_type` ([`stype`]); `None` at level 0.
    pub share_type: Option<u32>,
    /// `shi1_remark`; `None` at level 0.
    pub comment: Option<String>,
}

/// A decoded NetrShareEnum answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareEnum {
    /// The level the server answered at.
    pub level: u32,
    /// The shares.
    pub shares: Vec<ShareInfo>,
    /// `TotalEntries`.
    pub total: u32,
    /// The WERROR (0 success, 234 ERROR_MORE_DATA).
    pub werror: u32,
}

/// Decodes a NetrShareEnum response stub.
pub fn decode_share_enum(stub: &[u8]) -> Result<ShareEnum, DecodeError> {
    let mut r = Reader::new(stub);
    let level = r.u32_le("Level")?;
    let switch = r.u32_le("union switch")?;
    if switch != level || level > 1 {
        return Err(DecodeError::Unexpected {
            what: "SHARE_ENUM_STRUCT Level",
            value: switch,
        });
    }
    let mut shares = Vec::new();
    if r.u32_le("container pointer")? != 0 {
        let entries = r.u32_le("EntriesRead")?;
        if r.u32_le("Buffer pointer")? != 0 {
            shares = decode_array(&mut r, level, entries)?;
        }
    }
    let total = r.u32_le("TotalEntries")?;
    if r.u32_le("ResumeHandle pointer")? != 0 {
        r.u32_le("ResumeHandle")?;
    }
    let werror = r.u32_le("WERROR")?;
    Ok(ShareEnum {
        level,
        shares,
        total,
        werror,
    })
}

/// The conformant array of SHARE_INFO_0/1 and its deferred strings.
fn decode_array(
    r: &mut Reader<'_>,
    level: u32,
    entries: u32,
) -> Result<Vec<ShareInfo>, DecodeError> {
    let count = r.u32_le("array max_count")? as usize;
    if count != entries as usize {
        return Err(DecodeError::Unexpected {
            what: "EntriesRead (differs from the array's count)",
            value: entries,
        });
    }
    let entry_len = if level == 1 { 12 } else { 4 };
    if count > MAX_SHARES {
        return Err(DecodeError::TooLarge {
            what: "shares",
            value: count,
            limit: MAX_SHARES,
        });
    }
    if count * entry_len > r.remaining() {
        return Err(DecodeError::Truncated {
            what: "SHARE_INFO array",
            offset: r.offset(),
            needed: count * entry_len,
            available: r.remaining(),
        });
    }
    let mut fixed = Vec::with_capacity(count);
    for _ in 0..count {
        let name = r.u32_le("netname pointer")? != 0;
        let (kind, remark) = if level == 1 {
            (
                Some(r.u32_le("shi1_type")?),
                r.u32_le("remark pointer")? != 0,
            )
        } else {
            (None, false)
        };
        fixed.push((name, kind, remark));
    }
    fixed
        .into_iter()
        .map(|(name, share_type, remark)| {
            let name = if name {
                string(r, MAX_SHARE_NAME, "netname")?
            } else {
                String::new()
            };
            let comment = match (level, remark) {
                (1, true) => Some(string(r, MAX_REMARK, "remark")?),
                (1, false) => Some(String::new()),
                _ => None,
            };
            Ok(ShareInfo {
                name,
                share_type,
                comment,
            })
        })
        .collect()
}

/// A conformant varying UTF-16 string, aligned to 4 before and after.
fn string(r: &mut Reader<'_>, limit: usize, what: &'static str) -> Result<String, DecodeError> {
    align4(r)?;
    let max = r.u32_le("string max_count")? as usize;
    let offset = r.u32_le("string offset")?;
    let actual = r.u32_le("string actual_count")? as usize;
    if offset != 0 || actual > max {
        return Err(DecodeError::Unexpected {
            what: "string offset or actual_count",
            value: offset.max(actual as u32),
        });
    }
    if actual > limit {
        return Err(DecodeError::TooLarge {
            what,
            value: actual,
            limit,
        });
    }
    let bytes = r.take("string characters", actual * 2)?;
    let text = crate::text::utf16le(bytes);
    align4(r)?;
    Ok(text.trim_end_matches('\0').to_owned())
}

fn align4(r: &mut Reader<'_>) -> Result<(), DecodeError> {
    let pad = (4 - r.offset() % 4) % 4;
    r.take("NDR alignment", pad.min(r.remaining())).map(|_| ())
}

#[cfg(test)]
#[path = "srvsvc_tests.rs"]
mod tests;
