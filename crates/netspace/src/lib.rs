//! The special-purpose address blocks (IANA's IPv4 and IPv6 special-purpose registries,
//! RFC 6890 and updates) as one table, and the three questions smbaudit asks of it:
//!
//! - may a scan send to this address by default ([`Block::scan_skips`]);
//! - is this address globally routable, for exposure findings ([`is_global`]): only
//!   outside every block (and, for IPv6, inside 2000::/3);
//! - does an interface holding it face inside one network ([`faces_inside`]): private,
//!   CGNAT, loopback, link-local and the like, but not documentation or benchmarking
//!   prefixes, which no standard makes private, so an interface holding one is treated
//!   the cautious way, as reachable from outside.
//!
//! Lookups are integer compares over a short table, with no allocation.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

mod table;

pub use table::BLOCKS;

/// One special-purpose block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// The block's first address.
    pub first: IpAddr,
    /// Its prefix length.
    pub len: u8,
    /// What it is for, for people: "private", "documentation", "CGNAT", ...
    pub kind: &'static str,
    /// A scan leaves it out unless told otherwise (`--allow-reserved`): it holds no
    /// unicast host to probe, or a packet must not be sent there.
    pub scan_skips: bool,
    /// An address in it is reachable inside one network (or one host) only.
    pub inside: bool,
    /// Why a scan skips it, when the kind alone does not say ("needs a zone").
    pub note: &'static str,
}

impl Block {
    /// Whether `ip` lies in this block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.first.is_ipv4() && bits(ip) & self.mask() == bits(self.first)
    }

    /// The first and last address of the block, as integers of the family's width.
    pub fn span(&self) -> (u128, u128) {
        let lo = bits(self.first);
        (lo, lo | (self.ones() & !self.mask()))
    }

    fn ones(&self) -> u128 {
        if self.first.is_ipv4() {
            u128::from(u32::MAX)
        } else {
            u128::MAX
        }
    }

    fn mask(&self) -> u128 {
        let width = if self.first.is_ipv4() { 32 } else { 128 };
        let ones = self.ones();
        ones & !(ones
            .checked_shr(u32::from(self.len).min(width))
            .unwrap_or(0))
    }
}

impl fmt::Display for Block {
    /// "documentation (192.0.2.0/24)", "link-local (fe80::/10, needs a zone)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}/{}", self.kind, self.first, self.len)?;
        if !self.note.is_empty() {
            write!(f, ", {}", self.note)?;
        }
        f.write_str(")")
    }
}

/// The first block of [`BLOCKS`] holding `ip`, taking the address as written (an
/// IPv4-mapped IPv6 address is in the IPv4-mapped block).
pub fn block_of(ip: IpAddr) -> Option<&'static Block> {
    BLOCKS.iter().find(|b| b.contains(ip))
}

/// The block holding `ip` when a scan skips it by default ([`Block::scan_skips`]).
/// Integer compares only, behind a first look at the leading octet or group: it runs for
/// every address a walk visits, and nearly all of them fail that first look.
pub fn scan_skip_block(ip: IpAddr) -> Option<&'static Block> {
    if !may_scan_skip(ip) {
        return None;
    }
    block_of(ip).filter(|b| b.scan_skips)
}

/// False for every address whose leading octet (v4) or group (v6) starts no skipped block.
fn may_scan_skip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => matches!(a.octets()[0], 0 | 192 | 198 | 203 | 224..),
        IpAddr::V6(a) => matches!(a.segments()[0], 0 | 0x0100 | 0x2001 | 0x3fff | 0xfe80..),
    }
}

/// Whether `ip` is a globally routable unicast address: in no special block and, for
/// IPv6, inside 2000::/3, the only range IANA allocates for global unicast.
pub fn is_global(ip: IpAddr) -> bool {
    reach_kind(ip).is_none()
}

/// The kind of a not globally routable address ("private", "reserved", ...), `None` when
/// it is global. An IPv4-mapped address or one of NAT64's well-known prefix (64:ff9b::/96)
/// is judged by the IPv4 address it carries; IPv6 outside 2000::/3 and every block is
/// "reserved".
pub fn reach_kind(ip: IpAddr) -> Option<&'static str> {
    let ip = carried_v4(ip).map_or(ip, IpAddr::V4);
    match block_of(ip) {
        Some(block) => Some(block.kind),
        None => match ip {
            IpAddr::V6(v6) if v6.to_bits() >> 125 != 0b001 => Some("reserved"),
            _ => None,
        },
    }
}

/// The kind of block that makes an interface holding `ip` face inside one network
/// ("private", "ULA", "CGNAT", ...), `None` when the address counts as reachable from
/// outside. An IPv4-mapped address is judged by its IPv4 address; a NAT64 one is not (an
/// interface holding it is reached through its own IPv6 prefix).
pub fn inside_kind(ip: IpAddr) -> Option<&'static str> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    };
    block_of(ip).filter(|b| b.inside).map(|b| b.kind)
}

/// Whether an interface holding `ip` faces inside one network: see [`inside_kind`].
pub fn faces_inside(ip: IpAddr) -> bool {
    inside_kind(ip).is_some()
}

/// The IPv4 address an IPv4-mapped or NAT64 well-known-prefix address carries.
fn carried_v4(ip: IpAddr) -> Option<Ipv4Addr> {
    let IpAddr::V6(v6) = ip else { return None };
    v6.to_ipv4_mapped().or_else(|| nat64_v4(v6))
}

fn nat64_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = v6.to_bits();
    (bits >> 32 == 0x0064_ff9b_u128 << 64).then(|| Ipv4Addr::from(bits as u32))
}

/// The address as an integer of its family's width.
pub fn bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u32::from(v4).into(),
        IpAddr::V6(v6) => v6.to_bits(),
    }
}

#[cfg(test)]
mod tests;
