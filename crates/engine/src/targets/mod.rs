//! Targets: tokens parsed up front (so a bad one stops the run before anything is sent), then
//! expanded lazily, one address at a time, so that a /8 is never held in memory.

mod iter;
mod spec;

use std::collections::HashMap;
use std::net::IpAddr;

pub use iter::TargetIter;
pub use spec::{MIN_V6_PREFIX, OctetRange, TargetError, TargetSpec};

/// What to scan: the included specs minus the excluded ones.
#[derive(Debug, Clone, Default)]
pub struct TargetList {
    include: Vec<TargetSpec>,
    exclude: Vec<TargetSpec>,
}

impl TargetList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one token (an address, CIDR, range or name).
    pub fn include(&mut self, token: &str) -> Result<(), TargetError> {
        self.include.push(token.parse()?);
        Ok(())
    }

    /// Excludes one token's addresses.
    pub fn exclude(&mut self, token: &str) -> Result<(), TargetError> {
        self.exclude.push(token.parse()?);
        Ok(())
    }

    /// Adds every token of a target file's text (nmap `-iL` syntax: tokens separated by white
    /// space or commas, `#` to the end of the line a comment). Errors name the line.
    pub fn include_text(&mut self, text: &str, source: &str) -> Result<(), TargetError> {
        self.include.extend(parse_text(text, source)?);
        Ok(())
    }

    /// Excludes every token of a target file's text (same syntax as [`Self::include_text`]).
    pub fn exclude_text(&mut self, text: &str, source: &str) -> Result<(), TargetError> {
        self.exclude.extend(parse_text(text, source)?);
        Ok(())
    }

    /// Whether nothing was included.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty()
    }

    /// The names (not addresses) among the included and excluded specs, still to resolve.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.include
            .iter()
            .chain(&self.exclude)
            .filter_map(|s| match s {
                TargetSpec::Name(n) => Some(n.as_str()),
                _ => None,
            })
    }

    /// Replaces every name by the addresses it resolved to. A name missing from `resolved`
    /// is an error naming it.
    pub fn resolve(&mut self, resolved: &HashMap<String, Vec<IpAddr>>) -> Result<(), TargetError> {
        for list in [&mut self.include, &mut self.exclude] {
            let mut out = Vec::with_capacity(list.len());
            for spec in list.drain(..) {
                match spec {
                    TargetSpec::Name(name) => {
                        let addrs = resolved
                            .get(&name)
                            .filter(|a| !a.is_empty())
                            .ok_or_else(|| TargetError::new(&name, "name did not resolve"))?;
                        out.extend(addrs.iter().map(|a| TargetSpec::Addr(*a)));
                    }
                    other => out.push(other),
                }
            }
            *list = out;
        }
        Ok(())
    }

    /// How many addresses the included specs stand for, before exclusion and duplicates.
    pub fn len_hint(&self) -> u128 {
        self.include.iter().map(TargetSpec::len).sum()
    }

    /// Every target address in order, excluded ones skipped, produced lazily.
    pub fn iter(&self) -> TargetIter<'_> {
        TargetIter::new(&self.include, &self.exclude)
    }
}

/// Parses every token of a target file's text; an error names the line.
fn parse_text(text: &str, source: &str) -> Result<Vec<TargetSpec>, TargetError> {
    let mut specs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for token in tokens_of_line(line) {
            specs.push(token.parse().map_err(|e: TargetError| TargetError {
                reason: format!("{} ({source} line {})", e.reason, n + 1),
                ..e
            })?);
        }
    }
    Ok(specs)
}

/// The tokens of a target file's text, as [`TargetList::include_text`] reads them.
pub fn text_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.lines().flat_map(tokens_of_line)
}

fn tokens_of_line(line: &str) -> impl Iterator<Item = &str> {
    let line = match line
        .find(" #")
        .or_else(|| line.starts_with('#').then_some(0))
    {
        Some(i) => line.get(..i).unwrap_or(""),
        None => line,
    };
    line.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_files_with_comments_and_names_the_bad_line() {
        let mut t = TargetList::new();
        t.include_text(
            "# lab\n10.0.0.1 10.0.0.2\n10.0.1.0/30, HOST#20 # file server\n",
            "hosts.txt",
        )
        .unwrap();
        assert_eq!(t.len_hint(), 7);
        assert_eq!(t.names().collect::<Vec<_>>(), ["HOST#20"]);
        t.exclude_text("10.0.1.0/31 # skip\n", "skip.txt").unwrap();
        // 2 addresses + the /30 less the excluded /31; a name yields nothing until resolved.
        assert_eq!(t.iter().count(), 4);
        let e = t
            .include_text("10.0.0.1\n\n10.0.0.0/40\n", "bad.txt")
            .unwrap_err();
        assert_eq!(e.token, "10.0.0.0/40");
        assert!(e.reason.contains("bad.txt line 3"), "{}", e.reason);
    }

    #[test]
    fn resolves_names_or_names_the_unresolved_one() {
        let mut t = TargetList::new();
        t.include("a.lab").unwrap();
        t.include("10.0.0.9").unwrap();
        let mut map = HashMap::new();
        map.insert("a.lab".to_owned(), vec!["10.0.0.5".parse().unwrap()]);
        let mut missing = t.clone();
        t.resolve(&map).unwrap();
        let got: Vec<IpAddr> = t.iter().collect();
        assert_eq!(
            got,
            [
                "10.0.0.5".parse::<IpAddr>().unwrap(),
                "10.0.0.9".parse().unwrap()
            ]
        );
        map.clear();
        assert_eq!(missing.resolve(&map).unwrap_err().token, "a.lab");
    }
}
