//! Target checks: scans may only aim at loopback or the lab prefix.

use std::net::Ipv4Addr;

/// Checks that `target` (see [`Lab::check_target`] for the forms) lies
/// entirely inside one of the `allowed` IPv4 prefixes (`::1` is always allowed).
pub fn target_within(target: &str, allowed: &[(Ipv4Addr, u8)]) -> Result<(), String> {
    let t = target.trim();
    if t == "::1" || t == "[::1]" {
        return Ok(());
    }
    let (lo, hi) = target_span(t).map_err(|e| format!("{target:?}: {e}"))?;
    let inside = |addr: u32, (net, len): (Ipv4Addr, u8)| {
        let mask = if len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(len.min(32)))
        };
        addr & mask == u32::from(net) & mask
    };
    if allowed.iter().any(|&p| inside(lo, p) && inside(hi, p)) {
        return Ok(());
    }
    let list: Vec<String> = allowed.iter().map(|(n, l)| format!("{n}/{l}")).collect();
    Err(format!(
        "{target:?} spans {}-{}, not inside {}",
        Ipv4Addr::from(lo),
        Ipv4Addr::from(hi),
        list.join(" or ")
    ))
}

/// Lowest and highest address of a target expression.
pub(super) fn target_span(t: &str) -> Result<(u32, u32), String> {
    if t.is_empty() {
        return Err("empty target".into());
    }
    if let Some((addr, len)) = t.split_once('/') {
        let addr: Ipv4Addr = addr.parse().map_err(|_| "not an IPv4 CIDR".to_owned())?;
        let len: u8 = len.parse().map_err(|_| "bad prefix length".to_owned())?;
        if len > 32 {
            return Err("prefix length > 32".into());
        }
        let mask = if len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(len))
        };
        let lo = u32::from(addr) & mask;
        return Ok((lo, lo | !mask));
    }
    if let Some((a, b)) = t.split_once('-') {
        if let (Ok(a), Ok(b)) = (a.parse::<Ipv4Addr>(), b.parse::<Ipv4Addr>()) {
            let (a, b) = (u32::from(a), u32::from(b));
            return if a <= b {
                Ok((a, b))
            } else {
                Err("range end before start".into())
            };
        }
    }
    // nmap octet ranges: each octet N, N-M, N-, -M, * or a comma list of those
    let parts: Vec<&str> = t.split('.').collect();
    if parts.len() != 4 {
        return Err("not an IPv4 address, CIDR or range".into());
    }
    let (mut lo, mut hi) = (0u32, 0u32);
    for part in parts {
        let (mut pmin, mut pmax) = (u32::MAX, 0u32);
        for item in part.split(',') {
            let (a, b) = if item == "*" || item == "-" {
                (0, 255)
            } else if let Some((a, b)) = item.split_once('-') {
                let a = if a.is_empty() { 0 } else { octet(a)? };
                let b = if b.is_empty() { 255 } else { octet(b)? };
                (a, b)
            } else {
                let n = octet(item)?;
                (n, n)
            };
            if a > b {
                return Err(format!("octet range {item:?} is empty"));
            }
            pmin = pmin.min(a);
            pmax = pmax.max(b);
        }
        lo = (lo << 8) | pmin;
        hi = (hi << 8) | pmax;
    }
    Ok((lo, hi))
}

pub(super) fn octet(s: &str) -> Result<u32, String> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("bad octet {s:?}"));
    }
    let n: u32 = s.parse().map_err(|_| format!("bad octet {s:?}"))?;
    if n > 255 {
        return Err(format!("octet {n} > 255"));
    }
    Ok(n)
}
