//! Turning names in a target list into addresses, before anything is sent to a target.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use smbaudit_probe::nbns::NbnsReply;
use smbaudit_wire::nbns::{NbName, QualifiedName};

use crate::nbns::{LookupConfig, LookupTarget, name_query};
use crate::targets::TargetError;

/// How long one DNS lookup may take.
const DNS_TIMEOUT: Duration = Duration::from_secs(5);

/// How names are resolved.
#[derive(Debug, Clone, Copy)]
pub enum Resolver {
    /// The system resolver (DNS, /etc/hosts): names are host names.
    System,
    /// NetBIOS name service: names are NetBIOS names (`NAME` or `NAME#XX`).
    Netbios(LookupTarget, LookupConfig),
}

/// Parses `NAME` or `NAME#XX` into a NetBIOS name; the suffix defaults to `default_suffix`.
pub fn parse_netbios_name(token: &str, default_suffix: u8) -> Result<NbName, TargetError> {
    let (name, suffix) = match token.split_once('#') {
        Some((n, s)) => {
            let s = u8::from_str_radix(s, 16)
                .map_err(|_| TargetError::new(token, "suffix after # must be two hex digits"))?;
            (n, s)
        }
        None => (token, default_suffix),
    };
    NbName::new(name, suffix)
        .ok_or_else(|| TargetError::new(token, "a NetBIOS name is 1 to 15 ASCII characters"))
}

/// Resolves every name; the first that fails stops the run with an error naming it.
pub async fn resolve_all<'a>(
    names: impl IntoIterator<Item = &'a str>,
    resolver: Resolver,
) -> Result<HashMap<String, Vec<IpAddr>>, TargetError> {
    let mut out = HashMap::new();
    for name in names {
        if out.contains_key(name) {
            continue;
        }
        let addrs = match resolver {
            Resolver::System => resolve_dns(name).await?,
            Resolver::Netbios(target, cfg) => resolve_netbios(name, target, cfg).await?,
        };
        out.insert(name.to_owned(), addrs);
    }
    Ok(out)
}

async fn resolve_dns(name: &str) -> Result<Vec<IpAddr>, TargetError> {
    if name.contains('#') {
        return Err(TargetError::new(
            name,
            "NAME#XX is a NetBIOS name: give --wins or --broadcast",
        ));
    }
    let lookup = tokio::time::timeout(DNS_TIMEOUT, tokio::net::lookup_host((name, 0))).await;
    let addrs = match lookup {
        Ok(Ok(addrs)) => addrs.map(|a| a.ip()),
        Ok(Err(e)) => return Err(TargetError::new(name, format!("name did not resolve: {e}"))),
        Err(_) => return Err(TargetError::new(name, "name lookup timed out")),
    };
    Ok(unique(addrs))
}

async fn resolve_netbios(
    name: &str,
    target: LookupTarget,
    cfg: LookupConfig,
) -> Result<Vec<IpAddr>, TargetError> {
    let nb = parse_netbios_name(name, 0x00)?;
    let answers = name_query(QualifiedName::new(nb), target, cfg)
        .await
        .map_err(|e| TargetError::new(name, format!("name query failed: {e}")))?;
    let addrs = unique(answers.into_iter().flat_map(|a| match a.reply {
        NbnsReply::Addresses(list) => list.into_iter().map(|e| IpAddr::from(e.address)).collect(),
        _ => Vec::new(),
    }));
    if addrs.is_empty() {
        return Err(TargetError::new(name, "NetBIOS name did not resolve"));
    }
    Ok(addrs)
}

/// The addresses in first-seen order, each once (a handful: a linear scan is fine).
fn unique(addrs: impl Iterator<Item = IpAddr>) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = Vec::new();
    for a in addrs {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_netbios_names_with_suffix() {
        let n = parse_netbios_name("filesrv1#20", 0).unwrap();
        assert_eq!(n.trimmed(), b"FILESRV1");
        assert_eq!(n.suffix(), 0x20);
        assert_eq!(parse_netbios_name("HOST", 0x1D).unwrap().suffix(), 0x1D);
        assert!(parse_netbios_name("HOST#zz", 0).is_err());
        assert!(parse_netbios_name("WAY-TOO-LONG-NAME", 0).is_err());
    }

    #[tokio::test]
    async fn resolves_localhost_without_network() {
        let map = resolve_all(["localhost"], Resolver::System).await.unwrap();
        assert!(map["localhost"].iter().any(|a| a.is_loopback()));
    }
}
