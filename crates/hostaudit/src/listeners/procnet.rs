//! The fallback: listening sockets from `/proc/thread-self/net/{tcp,tcp6,udp,udp6}`,
//! which show neither IPV6_V6ONLY nor the bound device.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::RawSocket;
use crate::model::{Family, Proto};

/// Largest file read: 64 MiB, some 400 000 sockets.
const MAX_FILE: u64 = 64 << 20;

/// The file for `family` and `proto`, in the calling thread's network namespace.
pub(super) fn path(family: Family, proto: Proto) -> String {
    let name = match (proto, family) {
        (Proto::Tcp, Family::Ipv4) => "tcp",
        (Proto::Tcp, Family::Ipv6) => "tcp6",
        (Proto::Udp, Family::Ipv4) => "udp",
        (Proto::Udp, Family::Ipv6) => "udp6",
    };
    format!("/proc/thread-self/net/{name}")
}

/// Reads and parses [`path`]; the count is of lines that did not parse.
pub(super) fn sockets(family: Family, proto: Proto) -> Result<(Vec<RawSocket>, usize), String> {
    use std::io::Read;
    let path = path(family, proto);
    let mut raw = Vec::new();
    std::fs::File::open(&path)
        .and_then(|f| f.take(MAX_FILE).read_to_end(&mut raw))
        .map_err(|e| format!("{path}: {e}"))?;
    Ok(parse(&String::from_utf8_lossy(&raw), family, proto))
}

/// Parses one `/proc/net/{tcp,udp}[6]` table: the LISTEN (TCP, `0A`) or
/// unconnected (UDP, `07`) sockets, and how many lines did not parse.
///
/// Each address is the kernel's `__be32` words printed as native-endian hex
/// (`%08X`), so `to_ne_bytes` gives back the network-order bytes; ports are
/// printed in host order.
pub(super) fn parse(text: &str, family: Family, proto: Proto) -> (Vec<RawSocket>, usize) {
    let wanted_state = match proto {
        Proto::Tcp => 0x0A,
        Proto::Udp => 0x07,
    };
    let mut out = Vec::new();
    let mut bad = 0;
    for line in text.lines().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line, family) {
            Some((state, addr, port, inode)) => {
                if state == wanted_state {
                    out.push(RawSocket::new(proto, port, addr, None, None, inode));
                }
            }
            None => bad += 1,
        }
    }
    (out, bad)
}

/// `sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...` →
/// (state, local address, local port, inode).
fn parse_line(line: &str, family: Family) -> Option<(u8, IpAddr, u16, u64)> {
    let fields: Vec<&str> = line.split_whitespace().take(10).collect();
    let [_, local, _, state, _, _, _, _, _, inode] = fields.as_slice() else {
        return None;
    };
    let (addr_hex, port_hex) = local.split_once(':')?;
    let addr = parse_addr(addr_hex, family)?;
    let port = u16::from_str_radix(port_hex, 16).ok()?;
    let state = u8::from_str_radix(state, 16).ok()?;
    let inode = inode.parse().ok()?;
    Some((state, addr, port, inode))
}

fn parse_addr(hex: &str, family: Family) -> Option<IpAddr> {
    let word = |i: usize| -> Option<[u8; 4]> {
        let digits = hex.get(i * 8..i * 8 + 8)?;
        Some(u32::from_str_radix(digits, 16).ok()?.to_ne_bytes())
    };
    match family {
        Family::Ipv4 if hex.len() == 8 => Some(IpAddr::V4(Ipv4Addr::from(word(0)?))),
        Family::Ipv6 if hex.len() == 32 => {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&word(i)?);
            }
            Some(IpAddr::V6(Ipv6Addr::from(bytes)))
        }
        _ => None,
    }
}
