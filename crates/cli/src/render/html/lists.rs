//! Lists of addresses that stay short: the first [`LISTED`] as links to their table rows, the
//! rest folded behind `<details>` as ranges of consecutive addresses.

use std::collections::HashSet;
use std::io::{self, Write};
use std::net::IpAddr;

use super::host_id;

/// How many addresses of a list are written as links before the rest is folded.
pub(crate) const LISTED: usize = 100;

/// Writes `ips`: the first [`LISTED`] as links (plain text for an address without a table
/// row), then `<details>` with the rest as ranges (`10.0.0.1–10.0.0.9`).
pub(crate) fn host_list(
    out: &mut Vec<u8>,
    ips: &[IpAddr],
    listed: &HashSet<IpAddr>,
) -> io::Result<()> {
    let (head, rest) = ips.split_at(ips.len().min(LISTED));
    for (i, &ip) in head.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        if listed.contains(&ip) {
            write!(out, "<a href=\"#row-{}\">{ip}</a>", host_id(ip))?;
        } else {
            write!(out, "{ip}")?;
        }
    }
    if rest.is_empty() {
        return Ok(());
    }
    write!(
        out,
        "<details class=\"more\"><summary>and {} more</summary><p class=\"ips\">",
        rest.len()
    )?;
    for (i, run) in runs(rest).iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        match run {
            (first, _, 1) => write!(out, "{first}")?,
            (first, last, 2) => write!(out, "{first}, {last}")?,
            (first, last, n) => write!(out, "{first}–{last} ({n})")?,
        }
    }
    out.extend_from_slice(b"</p></details>");
    Ok(())
}

/// Runs of consecutive addresses in list order: (first, last, count).
fn runs(ips: &[IpAddr]) -> Vec<(IpAddr, IpAddr, usize)> {
    let mut runs: Vec<(IpAddr, IpAddr, usize)> = Vec::new();
    for &ip in ips {
        match runs.last_mut() {
            Some((_, last, n)) if follows(*last, ip) => {
                *last = ip;
                *n += 1;
            }
            _ => runs.push((ip, ip, 1)),
        }
    }
    runs
}

/// Whether `next` is the address right after `prev`.
fn follows(prev: IpAddr, next: IpAddr) -> bool {
    match (prev, next) {
        (IpAddr::V4(a), IpAddr::V4(b)) => u32::from(a).checked_add(1) == Some(u32::from(b)),
        (IpAddr::V6(a), IpAddr::V6(b)) => u128::from(a).checked_add(1) == Some(u128::from(b)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn folds_a_long_list_into_ranges_after_the_first_links() {
        let ips: Vec<IpAddr> = (0..300u32)
            .filter(|&i| i != 200)
            .map(|i| IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i)))
            .chain([ip("fe80::1"), ip("fe80::2")])
            .collect();
        let listed: HashSet<IpAddr> = ips.iter().copied().collect();
        let mut out = Vec::new();
        host_list(&mut out, &ips, &listed).unwrap();
        let html = String::from_utf8(out).unwrap();
        assert_eq!(html.matches("<a href=").count(), LISTED);
        assert!(html.starts_with("<a href=\"#row-host-10-0-0-0\">10.0.0.0</a>, "));
        assert!(html.contains(
            "<summary>and 201 more</summary><p class=\"ips\">10.0.0.100–10.0.0.199 (100), \
             10.0.0.201–10.0.1.43 (99), fe80::1, fe80::2</p></details>"
        ));
    }

    #[test]
    fn a_short_list_is_all_links_and_unlisted_addresses_are_text() {
        let ips = [ip("10.0.0.5"), ip("fe80::5")];
        let listed: HashSet<IpAddr> = [ips[0]].into();
        let mut out = Vec::new();
        host_list(&mut out, &ips, &listed).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<a href=\"#row-host-10-0-0-5\">10.0.0.5</a>, fe80::5"
        );
    }
}
