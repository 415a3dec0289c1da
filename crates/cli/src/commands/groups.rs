//! `report --groups FILE`: address groups (AS-style: an operator's or a customer's
//! prefixes) read from lines of `PREFIX NAME`, and the longest matching prefix of an
//! address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

use anyhow::Context;
use ipnet::IpNet;

use crate::Fatal;

/// The groups of a `--groups` file: per prefix length, the prefixes of that length.
#[derive(Debug, Default)]
pub(crate) struct Groups {
    /// Prefix lengths present, longest first.
    lengths: Vec<u8>,
    /// (prefix, its group's name); the prefix stored truncated to its length.
    prefixes: HashMap<IpNet, String>,
}

impl Groups {
    /// Reads `path` (see [`Groups::parse`]); a line that is not `PREFIX NAME` is an exit-2
    /// error naming the file and line.
    pub(crate) fn read(path: &Path) -> Result<Self, Fatal> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the groups file {}", path.display()))
            .map_err(Fatal::usage)?;
        Self::parse(&text).map_err(|(line, why)| {
            Fatal::usage(anyhow::anyhow!("{}:{line}: {why}", path.display()))
        })
    }

    /// Parses lines of `PREFIX NAME` (`10.20.0.0/16 AS64500 Example Net`: the name is the
    /// rest of the line). A bare address is its own /32 or /128; blank lines and `#`
    /// comments are skipped. A prefix given twice with two names is an error. Errors carry
    /// the 1-based line number.
    pub(crate) fn parse(text: &str) -> Result<Self, (usize, String)> {
        let mut groups = Self::default();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (prefix, name) = match line.split_once(char::is_whitespace) {
                Some((p, name)) if !name.trim().is_empty() => (p, name.trim()),
                _ => return Err((n + 1, format!("{line:?}: expected PREFIX NAME"))),
            };
            let net = parse_prefix(prefix).map_err(|why| (n + 1, why))?;
            match groups.prefixes.get(&net) {
                Some(other) if other != name => {
                    return Err((n + 1, format!("{net} is already in group {other:?}")));
                }
                _ => {
                    groups.prefixes.insert(net, name.to_owned());
                }
            }
            if !groups.lengths.contains(&net.prefix_len()) {
                groups.lengths.push(net.prefix_len());
            }
        }
        groups.lengths.sort_unstable_by(|a, b| b.cmp(a));
        Ok(groups)
    }

    /// The group of the longest prefix holding `ip`, if any.
    pub(crate) fn of(&self, ip: IpAddr) -> Option<&str> {
        self.lengths.iter().find_map(|&len| {
            let net = IpNet::new(ip, len).ok()?.trunc();
            self.prefixes.get(&net).map(String::as_str)
        })
    }

    /// How many prefixes were read.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.prefixes.len()
    }
}

/// `10.0.0.0/8` or `10.1.2.3` (a /32); host bits set are an error, as they are a typo
/// more often than not.
fn parse_prefix(s: &str) -> Result<IpNet, String> {
    let net = match s.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => s
            .parse::<IpAddr>()
            .map(IpNet::from)
            .map_err(|_| format!("{s:?} is not a prefix (e.g. 10.20.0.0/16) or an address"))?,
    };
    if net.trunc() != net {
        return Err(format!(
            "{s}: host bits are set (the prefix is {})",
            net.trunc()
        ));
    }
    Ok(net)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_longest_prefix_wins() {
        let g = Groups::parse(
            "# operator groups\n10.0.0.0/8 AS64500 Example\n\n10.20.0.0/16 AS64501 Branch # west\n10.20.3.4 one host\n2001:db8::/32 v6 net\n",
        )
        .unwrap();
        assert_eq!(g.len(), 4);
        assert_eq!(g.of(ip("10.1.2.3")), Some("AS64500 Example"));
        assert_eq!(g.of(ip("10.20.9.9")), Some("AS64501 Branch"));
        assert_eq!(g.of(ip("10.20.3.4")), Some("one host"));
        assert_eq!(g.of(ip("2001:db8::1")), Some("v6 net"));
        assert_eq!(g.of(ip("192.0.2.1")), None);
    }

    #[test]
    fn malformed_lines_name_their_number() {
        let cases = [
            ("10.0.0.0/8\n", 1, "expected PREFIX NAME"),
            ("10.0.0.0/8 a\nnot-a-net b\n", 2, "is not a prefix"),
            ("\n\n10.0.0.1/8 x\n", 3, "host bits are set"),
            ("10.0.0.0/33 x\n", 1, "is not a prefix"),
            ("10.0.0.0/8 a\n10.0.0.0/8 b\n", 2, "already in group"),
        ];
        for (text, line, why) in cases {
            let (n, msg) = Groups::parse(text).unwrap_err();
            assert_eq!(n, line, "{text:?}: {msg}");
            assert!(msg.contains(why), "{text:?}: {msg}");
        }
        // The same prefix with the same name twice is no conflict.
        assert!(Groups::parse("10.0.0.0/8 a\n10.0.0.0/8 a\n").is_ok());
    }
}
