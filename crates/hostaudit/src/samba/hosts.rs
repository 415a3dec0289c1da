//! `hosts allow` / `hosts deny` as smbd applies them (lib/util/access.c), evaluated over
//! whole networks of possible sources.
//!
//! Entries Samba matches by client *name* (host names, `.domain`, `@netgroup`, `LOCAL`,
//! wildcards) cannot be judged here; they are taken to match in whichever way allows
//! more, so a refusal reported here is certain and an unsure case reads as "allowed".

use std::net::IpAddr;

use ipnet::IpNet;

/// One entry of a hosts list.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    /// `ALL` or `FAIL`: matches every client.
    Any,
    /// An address, `a.b.c.` prefix or address/mask: matches sources in the network.
    Net(IpNet),
    /// Matches no address (an address/mask Samba cannot parse, such as `fe80::/128`).
    Never,
    /// Matched by name or pattern: unknown here.
    Unknown,
}

/// A hosts list split at its first `EXCEPT`.
#[derive(Clone, Debug, Default)]
struct List {
    heads: Vec<Token>,
    excepts: Vec<Token>,
}

/// Strips an IPv4-mapped prefix, as `client_match` does.
fn unmapped(text: &str) -> &str {
    match text.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("::ffff:") => text.get(7..).unwrap_or(text),
        _ => text,
    }
}

/// `a.`, `a.b.` or `a.b.c.` (string prefix match in Samba) as a network.
fn dotted_prefix(text: &str) -> Token {
    let octets: Vec<&str> = text.trim_end_matches('.').split('.').collect();
    let canonical = |o: &&str| o.parse::<u8>().is_ok_and(|n| n.to_string() == **o);
    if octets.is_empty() || octets.len() > 3 || !octets.iter().all(canonical) {
        return Token::Unknown;
    }
    let mut bytes = [0_u8; 4];
    for (byte, octet) in bytes.iter_mut().zip(&octets) {
        *byte = octet.parse().unwrap_or(0);
    }
    let prefix = u8::try_from(octets.len() * 8).unwrap_or(32);
    IpNet::new(IpAddr::from(bytes), prefix).map_or(Token::Unknown, Token::Net)
}

/// `addr/mask` (`masked_match`): a prefix length of at most two characters, else a mask
/// written as an address.
fn masked(text: &str) -> Token {
    let Some((addr, mask)) = text.split_once('/') else {
        return Token::Never;
    };
    let addr = addr
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(addr);
    let Ok(addr) = addr.parse::<IpAddr>() else {
        return Token::Never;
    };
    let prefix = if mask.len() > 2 {
        match mask.parse::<IpAddr>() {
            Ok(mask) if crate::model::Family::of(mask) == crate::model::Family::of(addr) => {
                match ipnet::ip_mask_to_prefix(mask) {
                    Ok(prefix) => prefix,
                    // A non-contiguous mask: Samba ANDs it; not a network we can name.
                    Err(_) => return Token::Unknown,
                }
            }
            _ => return Token::Never,
        }
    } else {
        let radix = if mask.len() == 2 && mask.starts_with('0') {
            8
        } else {
            10
        };
        match u8::from_str_radix(mask, radix) {
            Ok(prefix) => prefix,
            Err(_) => return Token::Never,
        }
    };
    IpNet::new(addr, prefix).map_or(Token::Never, |net| Token::Net(net.trunc()))
}

/// Classifies one entry as `string_match` tests it against an address.
fn token(entry: &str) -> Token {
    let entry = unmapped(entry);
    if entry.starts_with('.') || entry.starts_with('@') {
        Token::Unknown
    } else if entry.eq_ignore_ascii_case("ALL") || entry.eq_ignore_ascii_case("FAIL") {
        Token::Any
    } else if let Ok(addr) = entry.parse::<IpAddr>() {
        Token::Net(IpNet::from(addr))
    } else if entry.ends_with('.') {
        dotted_prefix(entry)
    } else if entry.contains('/') {
        masked(entry)
    } else {
        // LOCAL, host names, `*`/`?` patterns: matched by name or pattern.
        Token::Unknown
    }
}

impl List {
    fn new(entries: &[String]) -> Self {
        let mut list = Self::default();
        let mut after_except = false;
        for entry in entries {
            if !after_except && entry.eq_ignore_ascii_case("EXCEPT") {
                after_except = true;
                continue;
            }
            let token = token(entry);
            if after_except {
                list.excepts.push(token);
            } else {
                list.heads.push(token);
            }
        }
        list
    }

    fn is_empty(&self) -> bool {
        self.heads.is_empty() && self.excepts.is_empty()
    }

    /// `list_match`, with unknown entries counted as `unknown_head` in the heads and the
    /// opposite in the exceptions.
    fn matches(&self, addr: IpAddr, unknown_head: bool) -> bool {
        let hit = |token: &Token, unknown: bool| match token {
            Token::Any => true,
            Token::Net(net) => net.contains(&addr),
            Token::Never => false,
            Token::Unknown => unknown,
        };
        self.heads.iter().any(|t| hit(t, unknown_head))
            && !self.excepts.iter().any(|t| hit(t, !unknown_head))
    }

    fn nets(&self) -> impl Iterator<Item = &IpNet> {
        self.heads
            .iter()
            .chain(&self.excepts)
            .filter_map(|t| match t {
                Token::Net(net) => Some(net),
                _ => None,
            })
    }
}

/// `hosts allow` and `hosts deny` of `[global]`.
pub(crate) struct HostsAccess {
    allow: List,
    deny: List,
}

/// What the lists do to the sources of one network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No source is surely refused.
    NoneSure,
    /// Some sources are surely refused, others may be allowed.
    Some,
    /// Every source is surely refused.
    All,
}

impl HostsAccess {
    /// The lists as read.
    pub(crate) fn new(allow: &[String], deny: &[String]) -> Self {
        Self {
            allow: List::new(allow),
            deny: List::new(deny),
        }
    }

    /// Whether either list has an entry.
    pub(crate) fn is_set(&self) -> bool {
        !self.allow.is_empty() || !self.deny.is_empty()
    }

    /// `allow_access_internal`, leaning to "allowed" on entries it cannot judge.
    fn allows(&self, addr: IpAddr) -> bool {
        let allowed = || self.allow.matches(addr, true);
        let denied = || self.deny.matches(addr, false);
        if addr == IpAddr::from([127, 0, 0, 1])
            || addr == IpAddr::from(std::net::Ipv6Addr::LOCALHOST)
        {
            // "If 127.0.0.1 matches both allow and deny then allow."
            let denied_outright =
                !self.deny.is_empty() && denied() && (self.allow.is_empty() || !allowed());
            return !denied_outright;
        }
        match (self.allow.is_empty(), self.deny.is_empty()) {
            (true, true) => true,
            (false, true) => allowed(),
            (true, false) => !denied(),
            (false, false) => allowed() || !denied(),
        }
    }

    /// The points where the answer can change inside `net`: its start, where each listed
    /// network (and each of `extra`) starts and just past where it ends, and the loopback
    /// addresses Samba treats apart. Between two points the answer is constant, so these
    /// are all that need testing.
    fn points(&self, net: &IpNet, extra: &[IpNet]) -> Vec<IpAddr> {
        let after = |addr: IpAddr| match addr {
            IpAddr::V4(v4) => u32::from(v4)
                .checked_add(1)
                .map(|n| IpAddr::from(n.to_be_bytes())),
            IpAddr::V6(v6) => u128::from(v6)
                .checked_add(1)
                .map(|n| IpAddr::from(n.to_be_bytes())),
        };
        let loopback = [
            IpNet::from(IpAddr::from([127, 0, 0, 1])),
            IpNet::from(IpAddr::from(std::net::Ipv6Addr::LOCALHOST)),
        ];
        let mut points = vec![net.network()];
        for edge in self
            .allow
            .nets()
            .chain(self.deny.nets())
            .chain(extra)
            .chain(&loopback)
        {
            points.push(edge.network());
            points.extend(after(edge.broadcast()));
        }
        points.retain(|p| net.contains(p));
        points.sort_unstable();
        points.dedup();
        points
    }

    /// What the lists do to sources in `net`.
    pub(crate) fn refusal(&self, net: &IpNet) -> Refusal {
        let (refused, allowed) =
            self.points(net, &[])
                .into_iter()
                .fold((false, false), |(refused, allowed), p| {
                    let ok = self.allows(p);
                    (refused || !ok, allowed || ok)
                });
        match (refused, allowed) {
            (false, _) => Refusal::NoneSure,
            (true, true) => Refusal::Some,
            (true, false) => Refusal::All,
        }
    }

    /// Whether some globally routable source in `net` may be allowed: what matters for
    /// traffic that arrives through a default route.
    pub(crate) fn may_allow_global(&self, net: &IpNet) -> bool {
        let special = special_ranges();
        self.points(net, &special)
            .into_iter()
            .any(|p| !special.iter().any(|s| s.contains(&p)) && self.allows(p))
    }
}

/// Sources that cannot come from the internet: private, CGNAT, loopback, link-local,
/// ULA, multicast and reserved ranges.
fn special_ranges() -> Vec<IpNet> {
    [
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/3",
        "::/127",
        "::ffff:0:0/96",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    ]
    .iter()
    .filter_map(|net| net.parse().ok())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(allow: &str, deny: &str) -> HostsAccess {
        let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        HostsAccess::new(&words(allow), &words(deny))
    }

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn classifies_entries_as_string_match_does() {
        assert_eq!(token("10."), Token::Net(net("10.0.0.0/8")));
        assert_eq!(token("192.168.1."), Token::Net(net("192.168.1.0/24")));
        assert_eq!(token("010."), Token::Unknown);
        assert_eq!(token("10.1.2.3/8"), Token::Net(net("10.0.0.0/8")));
        assert_eq!(
            token("10.0.0.0/255.255.0.0"),
            Token::Net(net("10.0.0.0/16"))
        );
        assert_eq!(token("[fe80::]/64"), Token::Net(net("fe80::/64")));
        assert_eq!(
            token("fe80::/128"),
            Token::Never,
            "a 3-character mask is an address"
        );
        assert_eq!(token("::ffff:10.0.0.0/8"), Token::Net(net("10.0.0.0/8")));
        assert_eq!(token("10.0.0.0/33"), Token::Never);
        assert_eq!(token("all"), Token::Any);
        assert_eq!(token("host.example"), Token::Unknown);
        assert_eq!(token("192.168.*"), Token::Unknown);
    }

    #[test]
    fn allow_only_refuses_the_rest() {
        let hosts = access("192.168.1.0/24", "");
        assert_eq!(hosts.refusal(&net("192.168.1.0/24")), Refusal::NoneSure);
        assert_eq!(hosts.refusal(&net("10.9.0.0/24")), Refusal::All);
        assert_eq!(hosts.refusal(&net("0.0.0.0/0")), Refusal::Some);
        assert_eq!(hosts.refusal(&net("192.168.0.0/16")), Refusal::Some);
        assert!(!hosts.may_allow_global(&net("0.0.0.0/0")));
        assert!(access("203.0.113.9", "").may_allow_global(&net("0.0.0.0/0")));
        assert!(access("", "10.0.0.0/8").may_allow_global(&net("0.0.0.0/0")));
        assert!(!access("fe80::/64", "").may_allow_global(&net("::/0")));
        assert!(!access("", "ALL").may_allow_global(&net("::/0")));
    }

    #[test]
    fn allow_wins_over_deny_and_loopback_is_allowed_unless_denied() {
        let hosts = access("10.1.", "ALL");
        assert_eq!(hosts.refusal(&net("10.1.2.0/24")), Refusal::NoneSure);
        assert_eq!(hosts.refusal(&net("10.2.0.0/16")), Refusal::All);
        // Loopback is allowed unless denied and not allowed.
        assert_eq!(hosts.refusal(&net("127.0.0.1/32")), Refusal::All);
        let allow_only = access("10.1.", "");
        assert_eq!(allow_only.refusal(&net("127.0.0.1/32")), Refusal::NoneSure);
        assert_eq!(allow_only.refusal(&net("::1/128")), Refusal::NoneSure);
        assert_eq!(allow_only.refusal(&net("127.0.0.0/8")), Refusal::Some);
        let both = access("127.0.0.1", "ALL");
        assert_eq!(both.refusal(&net("127.0.0.1/32")), Refusal::NoneSure);
    }

    #[test]
    fn deny_only_refuses_what_it_lists() {
        let hosts = access("", "10.0.0.0/8 EXCEPT 10.5.0.0/16");
        assert_eq!(hosts.refusal(&net("10.5.1.0/24")), Refusal::NoneSure);
        assert_eq!(hosts.refusal(&net("10.6.0.0/16")), Refusal::All);
        assert_eq!(hosts.refusal(&net("192.168.0.0/24")), Refusal::NoneSure);
    }

    #[test]
    fn names_it_cannot_judge_never_produce_a_refusal() {
        assert_eq!(
            access("fileserver.lan", "").refusal(&net("10.0.0.0/8")),
            Refusal::NoneSure
        );
        assert_eq!(
            access("", "ALL EXCEPT .lan").refusal(&net("10.0.0.0/8")),
            Refusal::NoneSure
        );
        // An unknown deny entry can only refuse more: the sure part stays.
        assert_eq!(
            access("", "badhost 10.0.0.0/8").refusal(&net("10.0.0.0/8")),
            Refusal::All
        );
    }
}
