//! Targets: tokens parsed up front (so a bad one stops the run before anything is sent), then
//! expanded lazily, one address at a time, so that a /8 is never held in memory.

mod iter;
mod lookup;
mod permute;
mod scope;
mod shard;
mod spec;
mod walk;

use std::collections::HashMap;
use std::net::IpAddr;

pub use iter::TargetIter;
pub use lookup::TargetLookup;
pub use permute::{Permutation, ROUNDS};
pub use scope::Scope;
pub use shard::{Shard, ShardError, ShardIndices};
pub use spec::{MIN_V6_PREFIX, OctetRange, TargetError, TargetErrors, TargetSpec};
pub use walk::{Order, TargetIndex, Visit, Walk};

/// What to scan: the included specs minus the excluded ones and, unless the scope is
/// [`Scope::Everything`], minus the blocks a scan skips
/// ([`smbaudit_netspace::scan_skip_block`]). [`TargetList::contains`], [`TargetList::iter`]
/// and [`TargetList::walk`] all leave addresses out through the one [`Skip`], so every
/// stage agrees on what a target is.
#[derive(Debug, Clone, Default)]
pub struct TargetList {
    include: Vec<TargetSpec>,
    exclude: Vec<TargetSpec>,
    scope: Scope,
}

/// What a target list leaves out of its included addresses: the exclusions and the
/// addresses outside its scope.
#[derive(Debug, Clone, Copy)]
pub struct Skip<'a> {
    exclude: &'a [TargetSpec],
    scope: Scope,
}

impl Skip<'_> {
    /// Whether `ip` is left out.
    pub fn skips(&self, ip: IpAddr) -> bool {
        self.scope.excludes(ip).is_some() || self.exclude.iter().any(|x| x.contains(ip))
    }
}

impl TargetList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets which addresses may be targets (default [`Scope::Unicast`]).
    pub fn set_scope(&mut self, scope: Scope) {
        self.scope = scope;
    }

    /// Which addresses may be targets.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// Every included single address the scope leaves out, each an error naming its kind
    /// (a range that spans reserved space is not an error: that part is skipped).
    pub fn refused_by_scope(&self) -> TargetErrors {
        let refused = self.include.iter().filter_map(|spec| match spec {
            TargetSpec::Addr(ip) => self.scope.excludes(*ip).map(|kind| {
                TargetError::new(
                    &ip.to_string(),
                    format!("{kind} is not scanned (--allow-reserved to scan it anyway)"),
                )
            }),
            _ => None,
        });
        TargetErrors(refused.collect())
    }

    /// How many included addresses the scope leaves out, counted per spec by arithmetic
    /// (before exclusions; an address listed twice counts twice).
    pub fn skipped_by_scope(&self) -> u128 {
        self.include.iter().map(|s| self.scope.excluded_in(s)).sum()
    }

    /// What this list leaves out of its included addresses.
    pub fn skip(&self) -> Skip<'_> {
        Skip {
            exclude: &self.exclude,
            scope: self.scope,
        }
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
    /// space or commas, `#` to the end of the line a comment, a UTF-8 byte order mark
    /// ignored). Every bad token is reported, each naming its line.
    pub fn include_text(&mut self, text: &str, source: &str) -> Result<(), TargetErrors> {
        self.include.extend(parse_text(text, source)?);
        Ok(())
    }

    /// Excludes every token of a target file's text (same syntax as [`Self::include_text`]).
    pub fn exclude_text(&mut self, text: &str, source: &str) -> Result<(), TargetErrors> {
        self.exclude.extend(parse_text(text, source)?);
        Ok(())
    }

    /// Whether at least one address is left once the exclusions and the scope are taken
    /// out. Looks at the first 16 M included addresses at most (a fraction of a second);
    /// past them it answers yes and leaves the rest to the scan.
    pub fn any_left(&self) -> bool {
        const LOOK: usize = 1 << 24;
        if self.skipped_by_scope() >= self.len_hint() {
            // Every included address is out of scope (names are resolved by now).
            return false;
        }
        let nothing = Skip {
            exclude: &[],
            scope: Scope::Everything,
        };
        let mut included = TargetIter::new(&self.include, nothing)
            .take(LOOK)
            .peekable();
        if included.peek().is_none() {
            return false;
        }
        let skip = self.skip();
        let mut seen = 0;
        for ip in included {
            seen += 1;
            if !skip.skips(ip) {
                return true;
            }
        }
        seen == LOOK
    }

    /// Whether `ip` is a target: included, not excluded and in scope (names resolved
    /// first).
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.include.iter().any(|s| s.contains(ip)) && !self.skip().skips(ip)
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

    /// Every target address in order, excluded and out-of-scope ones skipped, produced
    /// lazily.
    pub fn iter(&self) -> TargetIter<'_> {
        TargetIter::new(&self.include, self.skip())
    }
}

/// Parses every token of a target file's text; each bad one is reported with its line.
fn parse_text(text: &str, source: &str) -> Result<Vec<TargetSpec>, TargetErrors> {
    let mut specs = Vec::new();
    let mut errors = Vec::new();
    for (n, line) in without_bom(text).lines().enumerate() {
        for token in tokens_of_line(line) {
            match token.parse::<TargetSpec>() {
                Ok(spec) => specs.push(spec),
                Err(e) => errors.push(TargetError {
                    reason: format!("{} ({source} line {})", e.reason, n + 1),
                    ..e
                }),
            }
        }
    }
    if errors.is_empty() {
        Ok(specs)
    } else {
        Err(TargetErrors(errors))
    }
}

/// The tokens of a target file's text, as [`TargetList::include_text`] reads them.
pub fn text_tokens(text: &str) -> impl Iterator<Item = &str> {
    without_bom(text).lines().flat_map(tokens_of_line)
}

/// `text` without the UTF-8 byte order mark some editors write first.
fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
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
        assert_eq!(e.0[0].token, "10.0.0.0/40");
        assert!(
            e.0[0].reason.contains("bad.txt line 3"),
            "{}",
            e.0[0].reason
        );
    }

    #[test]
    fn reports_every_bad_token_and_ignores_a_byte_order_mark() {
        let mut t = TargetList::new();
        let e = t
            .include_text(
                "\u{feff}10.0.0.1\n10.0.0.0/40 ok.lab\n\n10.0.0.300\n",
                "f.txt",
            )
            .unwrap_err();
        let got: Vec<(&str, bool)> =
            e.0.iter()
                .map(|e| (e.token.as_str(), e.reason.contains("f.txt line")))
                .collect();
        assert_eq!(got, [("10.0.0.0/40", true), ("10.0.0.300", true)]);
        assert!(
            e.to_string().contains("line 2") && e.to_string().contains("line 4"),
            "{e}"
        );
        let mut bom = TargetList::new();
        bom.include_text("\u{feff}10.0.0.1\n", "f.txt").unwrap();
        assert_eq!(
            bom.iter().count(),
            1,
            "the BOM is not part of the first token"
        );
        assert_eq!(
            text_tokens("\u{feff}10.0.0.1").collect::<Vec<_>>(),
            ["10.0.0.1"]
        );
    }

    #[test]
    fn knows_when_the_exclusions_leave_nothing() {
        let mut t = TargetList::new();
        t.include("10.0.0.0/30").unwrap();
        t.exclude("10.0.0.0/31").unwrap();
        assert!(t.any_left());
        t.exclude("10.0.0.2/31").unwrap();
        assert!(!t.any_left());
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
