//! One target token: an address, a CIDR block, an nmap-style octet range, an address range or
//! a name still to be resolved.

use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

use ipnet::IpNet;

/// The widest IPv6 block accepted: a /104 is 16 M addresses; wider ones are a mistake.
pub const MIN_V6_PREFIX: u8 = 104;

/// Why a target token was refused. Carries the token so the message can name it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid target {token:?}: {reason}")]
pub struct TargetError {
    /// The token as the user wrote it.
    pub token: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Every bad token of one input, each with its own reason (and file line).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetErrors(pub Vec<TargetError>);

impl std::fmt::Display for TargetErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for e in &self.0 {
            if !first {
                f.write_str("\n")?;
            }
            first = false;
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TargetErrors {}

impl From<TargetError> for TargetErrors {
    fn from(e: TargetError) -> Self {
        Self(vec![e])
    }
}

impl TargetError {
    pub(crate) fn new(token: &str, reason: impl Into<String>) -> Self {
        Self {
            token: token.to_owned(),
            reason: reason.into(),
        }
    }
}

/// A parsed target token. Nothing here is expanded: a /8 stays one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// One address.
    Addr(IpAddr),
    /// A CIDR block; every address in it is a target, network and broadcast included (as
    /// nmap does).
    Net(IpNet),
    /// nmap-style octet ranges such as `10.0.0-3.1-254` or `10.0.0.1,5,9`: each octet is a
    /// sorted set of values.
    Octets(OctetRange),
    /// An inclusive range of IPv4 addresses, `10.0.0.5-10.0.1.20`.
    Span(Ipv4Addr, Ipv4Addr),
    /// A host name (or, with NetBIOS resolution, a NetBIOS name), to resolve before sending.
    Name(String),
}

/// The four octet sets of an nmap-style range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OctetRange(pub(crate) [Vec<u8>; 4]);

impl OctetRange {
    /// Whether `ip` is in the range.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        self.0
            .iter()
            .zip(ip.octets())
            .all(|(set, o)| set.binary_search(&o).is_ok())
    }

    /// How many addresses the range holds.
    pub fn len(&self) -> u64 {
        self.0.iter().map(|s| s.len() as u64).product()
    }

    /// Whether the range is empty (it never is once parsed).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl TargetSpec {
    /// How many addresses this spec stands for (a name counts as one).
    pub fn len(&self) -> u128 {
        match self {
            Self::Addr(_) | Self::Name(_) => 1,
            Self::Net(IpNet::V4(n)) => 1u128 << (32 - n.prefix_len()),
            Self::Net(IpNet::V6(n)) => 1u128
                .checked_shl(128 - u32::from(n.prefix_len()))
                .unwrap_or(u128::MAX),
            Self::Octets(o) => o.len().into(),
            Self::Span(a, b) => u128::from(u32::from(*b) - u32::from(*a)) + 1,
        }
    }

    /// Whether this spec stands for no address (never true once parsed).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `ip` is one of this spec's addresses. Names never match: resolve them first.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self, ip) {
            (Self::Addr(a), ip) => *a == ip,
            (Self::Net(n), ip) => n.contains(&ip),
            (Self::Octets(o), IpAddr::V4(v4)) => o.contains(v4),
            (Self::Span(a, b), IpAddr::V4(v4)) => (*a..=*b).contains(&v4),
            _ => false,
        }
    }
}

impl FromStr for TargetSpec {
    type Err = TargetError;

    fn from_str(token: &str) -> Result<Self, Self::Err> {
        let t = token.trim();
        if t.is_empty() {
            return Err(TargetError::new(token, "empty target"));
        }
        if let Ok(ip) = t.parse::<IpAddr>() {
            return Ok(Self::Addr(ip));
        }
        // Commas belong inside an octet ("10.0.0.1,3,5-7"), never at an end or in a CIDR.
        let stray_comma =
            t.starts_with(',') || t.ends_with(',') || (t.contains(',') && t.contains('/'));
        if stray_comma {
            return Err(TargetError::new(
                token,
                "stray comma: separate targets with spaces (commas separate them only in a target file)",
            ));
        }
        if let Some(port) = port_suffix(t) {
            return Err(TargetError::new(
                token,
                format!("a target is an address, not address:port; choose ports with -p {port}"),
            ));
        }
        if let Some((addr, len)) = t.split_once('/') {
            return parse_cidr(token, addr, len);
        }
        if t.contains(':') {
            return Err(TargetError::new(token, "not a valid IPv6 address"));
        }
        if looks_numeric(t) {
            return parse_numeric_range(token, t);
        }
        if is_host_name(t) {
            return Ok(Self::Name(t.to_owned()));
        }
        Err(TargetError::new(
            token,
            "not an address, CIDR block, range or host name",
        ))
    }
}

/// The port of `192.0.2.1:445` or `[2001:db8::1]:445`, if `t` is an address with one.
fn port_suffix(t: &str) -> Option<&str> {
    let (addr, port) = t.rsplit_once(':')?;
    let addr = addr
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(addr);
    (addr.parse::<IpAddr>().is_ok() && port.parse::<u16>().is_ok()).then_some(port)
}

fn parse_cidr(token: &str, addr: &str, len: &str) -> Result<TargetSpec, TargetError> {
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| TargetError::new(token, format!("{addr:?} is not an IP address")))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix: u8 = len
        .parse()
        .ok()
        .filter(|p| *p <= max)
        .ok_or_else(|| TargetError::new(token, format!("prefix length must be 0-{max}")))?;
    if ip.is_ipv6() && prefix < MIN_V6_PREFIX {
        return Err(TargetError::new(
            token,
            format!(
                "IPv6 blocks larger than /{MIN_V6_PREFIX} (16 M addresses) are not swept address \
                 by address: a /{prefix} holds 2^{} addresses; list the hosts, or give a target \
                 file",
                128 - u32::from(prefix)
            ),
        ));
    }
    let net = IpNet::new(ip, prefix).map_err(|e| TargetError::new(token, e.to_string()))?;
    Ok(TargetSpec::Net(net.trunc()))
}

fn looks_numeric(t: &str) -> bool {
    t.bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b',' | b'*'))
        && t.bytes().any(|b| b.is_ascii_digit() || b == b'*')
}

fn parse_numeric_range(token: &str, t: &str) -> Result<TargetSpec, TargetError> {
    // `a.b.c.d-e.f.g.h`: a span between two whole addresses.
    if let Some((lo, hi)) = t.split_once('-')
        && let (Ok(lo), Ok(hi)) = (lo.parse::<Ipv4Addr>(), hi.parse::<Ipv4Addr>())
    {
        if lo > hi {
            return Err(TargetError::new(
                token,
                format!("range is reversed ({lo} > {hi})"),
            ));
        }
        return Ok(TargetSpec::Span(lo, hi));
    }
    let parts: Vec<&str> = t.split('.').collect();
    let [a, b, c, d] = parts.as_slice() else {
        return Err(TargetError::new(token, "an IPv4 range needs four octets"));
    };
    let sets = [a, b, c, d].map(|p| parse_octet_set(token, p));
    let [a, b, c, d] = sets;
    Ok(TargetSpec::Octets(OctetRange([a?, b?, c?, d?])))
}

/// One octet of an nmap-style range: `*`, `n`, `a-b`, `-b`, `a-` or a comma list of those.
fn parse_octet_set(token: &str, part: &str) -> Result<Vec<u8>, TargetError> {
    let octet = |s: &str, default: u8| -> Result<u8, TargetError> {
        if s.is_empty() {
            return Ok(default);
        }
        s.parse::<u8>().map_err(|_| {
            TargetError::new(token, format!("octet {s:?} is not a number from 0 to 255"))
        })
    };
    let mut set = Vec::new();
    for item in part.split(',') {
        if item.is_empty() {
            return Err(TargetError::new(token, "empty octet"));
        }
        let (lo, hi) = match item {
            "*" => (0, 255),
            _ => match item.split_once('-') {
                Some((lo, hi)) => (octet(lo, 0)?, octet(hi, 255)?),
                None => {
                    let v = octet(item, 0)?;
                    (v, v)
                }
            },
        };
        if lo > hi {
            return Err(TargetError::new(
                token,
                format!("octet range {item:?} is reversed"),
            ));
        }
        set.extend(lo..=hi);
    }
    set.sort_unstable();
    set.dedup();
    Ok(set)
}

/// RFC 1123 host names, plus `_` (common in practice) and the `NAME#XX` form of NetBIOS names.
fn is_host_name(t: &str) -> bool {
    let (name, suffix) = match t.split_once('#') {
        Some((n, s)) => (n, Some(s)),
        None => (t, None),
    };
    let suffix_ok = suffix.is_none_or(|s| s.len() == 2 && s.bytes().all(|b| b.is_ascii_hexdigit()));
    suffix_ok
        && !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> TargetSpec {
        s.parse().unwrap()
    }

    fn err(s: &str) -> String {
        s.parse::<TargetSpec>().unwrap_err().reason
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(
            spec("10.0.0.1"),
            TargetSpec::Addr("10.0.0.1".parse().unwrap())
        );
        assert_eq!(spec("10.0.0.77/24").len(), 256);
        assert!(spec("10.0.0.77/24").contains("10.0.0.1".parse().unwrap()));
        assert_eq!(spec("10.0.0.1-50").len(), 50);
        assert_eq!(spec("10.0.0-3.1-254").len(), 4 * 254);
        assert_eq!(spec("10.0.0.1,3,5-7").len(), 5);
        assert_eq!(spec("10.0.*.1").len(), 256);
        assert_eq!(spec("10.0.0.250-10.0.1.5").len(), 12);
        assert_eq!(spec("::1"), TargetSpec::Addr("::1".parse().unwrap()));
        assert_eq!(spec("fe80::/120").len(), 256);
        assert!(err("fe80::/64").contains("IPv6 blocks"));
        assert_eq!(
            spec("filesrv1.lab"),
            TargetSpec::Name("filesrv1.lab".into())
        );
        assert_eq!(spec("FILESRV1#20"), TargetSpec::Name("FILESRV1#20".into()));
        assert_eq!(spec("0.0.0.0/0").len(), 1u128 << 32);
    }

    #[test]
    fn refuses_malformed_tokens_with_reasons() {
        assert_eq!(err("10.0.0.0/33"), "prefix length must be 0-32");
        assert!(err("10.0.0.50-1").contains("reversed"));
        assert!(err("10.0.0.9-10.0.0.1").contains("reversed"));
        assert!(err("10.0.0.300").contains("0 to 255"));
        assert!(err("10.0.1").contains("four octets"));
        assert!(err("10.0.0.1,,2").contains("empty octet"));
        assert!(err("bad host!").contains("not an address"));
        assert!(err("host#2").contains("not an address"));
        assert!(err("").contains("empty"));
        assert!(err("1.2.3.4/x").contains("prefix"));
        assert!(err("10.213.1.0/24,").contains("stray comma"));
        assert!(err(",10.0.0.1").contains("stray comma"));
        assert!(err("10.0.0.0/24,10.0.1.0/24").contains("stray comma"));
        assert!(err("10.213.1.10:445").contains("-p 445"));
        assert!(err("[::1]:139").contains("-p 139"));
        assert!(err("fe80::zz").contains("IPv6"));
    }

    #[test]
    fn cidr_is_truncated_to_its_network() {
        assert_eq!(
            spec("10.1.2.3/16"),
            TargetSpec::Net("10.1.0.0/16".parse().unwrap())
        );
    }
}
