//! Reads `iptables-save` / `ip6tables-save` output (legacy and iptables-nft print the
//! same format) into chains of [`Rule`]s: the `*filter` table, whose INPUT chain is the
//! base chain.

use std::collections::HashMap;

use ipnet::IpNet;

use super::rules::{Action, Base, Chain, Cond, Hook, IfName, Policy, Rule, TableFamily};
use crate::model::{Family, Unreadable};

/// Most tokens in one rule line: a bound for hostile input.
const MAX_TOKENS: usize = 4096;

/// The chains of one family's save output (empty text: no chains).
pub(crate) fn parse(text: &str, family: Family) -> Result<Vec<Chain>, Unreadable> {
    let what = match family {
        Family::Ipv4 => "iptables ruleset",
        Family::Ipv6 => "ip6tables ruleset",
    };
    let bad = |n: usize, why: &str| {
        Unreadable::new(what, format!("line {n}: {why}: not iptables-save output"))
    };
    let mut table: Option<String> = None;
    let mut chains: Vec<Chain> = Vec::new();
    // Chain names are per table: (table, chain) -> index.
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    // (chain index, table, rule text, tokens), judged once every chain is known so
    // jumps can be resolved.
    let mut pending: Vec<(usize, String, String, Vec<String>)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('*') {
            table = Some(name.to_string());
            continue;
        }
        if line == "COMMIT" {
            if table.take().is_none() {
                return Err(bad(n, "COMMIT outside a table"));
            }
            continue;
        }
        let Some(current) = table.clone() else {
            return Err(bad(n, "a line outside any *table"));
        };
        if let Some(decl) = line.strip_prefix(':') {
            let mut parts = decl.split_whitespace();
            let (Some(name), Some(policy)) = (parts.next(), parts.next()) else {
                return Err(bad(n, "a chain line without a policy"));
            };
            let base = base_of(&current, name).map(|(hook, prio)| Base {
                hook,
                prio,
                policy: if policy == "DROP" {
                    Policy::Drop
                } else {
                    Policy::Accept
                },
                devices: None,
            });
            index.insert((current.clone(), name.to_string()), chains.len());
            chains.push(Chain {
                table: current.clone(),
                family: match family {
                    Family::Ipv4 => TableFamily::Ip,
                    Family::Ipv6 => TableFamily::Ip6,
                },
                name: name.to_string(),
                base,
                rules: Vec::new(),
            });
            continue;
        }
        // `iptables-save -c` puts counters first: `[12:345] -A INPUT ...`.
        let body = match line.strip_prefix('[') {
            Some(rest) => rest.split_once(']').map_or(line, |(_, r)| r.trim_start()),
            None => line,
        };
        let tokens = tokenize(body).ok_or_else(|| bad(n, "an unterminated quote"))?;
        if tokens.len() > MAX_TOKENS {
            return Err(bad(n, "a rule too long"));
        }
        let (Some(flag), Some(chain)) = (tokens.first(), tokens.get(1)) else {
            return Err(bad(n, "an unknown line"));
        };
        if flag != "-A" {
            return Err(bad(n, "an unknown line"));
        }
        let Some(&ci) = index.get(&(current.clone(), chain.clone())) else {
            return Err(bad(n, "a rule for an undeclared chain"));
        };
        pending.push((ci, current, body.to_string(), tokens[2..].to_vec()));
    }
    for (ci, table, text, tokens) in pending {
        let in_table: HashMap<&str, usize> = index
            .iter()
            .filter(|((t, _), _)| *t == table)
            .map(|((_, c), &i)| (c.as_str(), i))
            .collect();
        let rule = rule(text, &tokens, &in_table);
        if let Some(chain) = chains.get_mut(ci) {
            chain.rules.push(rule);
        }
    }
    Ok(chains)
}

/// Splits a line into words, honouring the double quotes and backslashes
/// iptables-save writes around comments; `None` for an unterminated quote.
fn tokenize(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                cur.push(chars.next().unwrap_or('\\'));
                in_word = true;
            }
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quoted {
        return None;
    }
    if in_word {
        out.push(cur);
    }
    Some(out)
}

/// The hook and priority of a built-in chain the audit follows (iptables' fixed
/// priorities: raw -300, mangle -150, nat dstnat -100, filter 0, security 50).
fn base_of(table: &str, chain: &str) -> Option<(Hook, i64)> {
    Some(match (table, chain) {
        ("filter", "INPUT") => (Hook::Input, 0),
        ("raw", "PREROUTING") => (Hook::Prerouting, -300),
        ("mangle", "PREROUTING") => (Hook::Prerouting, -150),
        ("mangle", "INPUT") => (Hook::Input, -150),
        ("nat", "PREROUTING") => (Hook::Prerouting, -100),
        ("nat", "INPUT") => (Hook::Input, 100),
        ("security", "INPUT") => (Hook::Input, 50),
        _ => return None,
    })
}

/// Non-terminating targets that do not change the packet's fate.
const HARMLESS_TARGETS: &[&str] = &[
    "LOG",
    "NFLOG",
    "ULOG",
    "TRACE",
    "MARK",
    "CONNMARK",
    "AUDIT",
    "TOS",
    "DSCP",
    "TTL",
    "HL",
    "CLASSIFY",
    "TCPMSS",
    "CHECKSUM",
    "SECMARK",
    "CONNSECMARK",
];

/// Targets that send the traffic somewhere else than this machine's port.
const FORWARDING_TARGETS: &[&str] = &["DNAT", "REDIRECT", "TPROXY", "NETMAP"];

/// Match modules whose options the reader knows.
const KNOWN_MODULES: &[&str] = &[
    "tcp",
    "udp",
    "multiport",
    "conntrack",
    "state",
    "comment",
    "addrtype",
];

fn rule(text: String, tokens: &[String], index: &HashMap<&str, usize>) -> Rule {
    let mut conds = Vec::new();
    let mut action = Action::Continue;
    let mut unknown_stmt = None;
    let mut module = String::new();
    let mut negate = false;
    let mut i = 0;
    let arg = |i: usize| tokens.get(i).map(String::as_str).unwrap_or_default();
    while i < tokens.len() {
        let opt = arg(i);
        i += 1;
        if opt == "!" {
            negate = true;
            continue;
        }
        let neg = std::mem::take(&mut negate);
        match opt {
            "-i" | "--in-interface" => {
                let name = arg(i);
                i += 1;
                let pattern = match name.strip_suffix('+') {
                    Some(prefix) => IfName::Prefix(prefix.to_string()),
                    None => IfName::Exact(name.to_string()),
                };
                conds.push(Cond::Iface {
                    names: vec![pattern],
                    negate: neg,
                });
            }
            "-p" | "--protocol" => {
                let proto = arg(i).to_ascii_lowercase();
                i += 1;
                let number = match proto.as_str() {
                    "all" | "0" => None,
                    "tcp" | "6" => Some(6),
                    "udp" | "17" => Some(17),
                    _ => Some(255),
                };
                if let Some(p) = number {
                    conds.push(Cond::L4 {
                        protos: vec![p],
                        negate: neg,
                    });
                } else if neg {
                    conds.push(Cond::Never);
                }
            }
            "-s" | "--source" => {
                let nets: Option<Vec<IpNet>> = arg(i).split(',').map(parse_net).collect();
                i += 1;
                conds.push(match nets {
                    Some(nets) => Cond::Saddr { nets, negate: neg },
                    None => Cond::Unknown(format!("-s {}", arg(i - 1))),
                });
            }
            "-d" | "--destination" => {
                i += 1;
                conds.push(Cond::Unknown(
                    "-d: the audit judges a port, not each local address".to_string(),
                ));
            }
            "-m" | "--match" => {
                module = arg(i).to_string();
                i += 1;
                if !KNOWN_MODULES.contains(&module.as_str()) {
                    conds.push(Cond::Unknown(format!(
                        "-m {module}, which the audit cannot judge"
                    )));
                }
            }
            "--dport" | "--destination-port" | "--dports" | "--destination-ports" => {
                conds.push(match ports(arg(i)) {
                    Some(ranges) => Cond::Dport {
                        ranges,
                        negate: neg,
                    },
                    None => Cond::Unknown(format!("{opt} {}", arg(i))),
                });
                i += 1;
            }
            "--ports" => {
                // Source or destination: a match on our port holds; else it depends on
                // the source port the sender picks.
                conds.push(Cond::Unknown(
                    "--ports: the sender chooses its source port".to_string(),
                ));
                i += 1;
            }
            "--sport" | "--source-port" | "--sports" | "--source-ports" => {
                conds.push(Cond::Unknown(format!(
                    "{opt}: the sender chooses its source port"
                )));
                i += 1;
            }
            "--tcp-flags" => {
                let (mask, comp) = (tcp_flag_bits(arg(i)), tcp_flag_bits(arg(i + 1)));
                i += 2;
                match (mask, comp) {
                    // The audited TCP traffic is a SYN.
                    (Some(mask), Some(comp)) => {
                        if ((SYN & mask) == comp) == neg {
                            conds.push(Cond::Never);
                        }
                    }
                    _ => conds.push(Cond::Unknown(
                        "--tcp-flags the audit cannot read".to_string(),
                    )),
                }
            }
            "--syn" => {
                // The audit's TCP traffic is a SYN.
                if neg {
                    conds.push(Cond::Never);
                }
            }
            "--ctstate" | "--state" => {
                let states = arg(i).split(',').map(str::to_ascii_lowercase).collect();
                i += 1;
                conds.push(Cond::CtState {
                    states,
                    negate: neg,
                });
            }
            "--comment" => i += 1,
            // The audited traffic is unicast to a local address.
            "--dst-type" if module == "addrtype" => {
                let local = arg(i).split(',').any(|t| t.eq_ignore_ascii_case("LOCAL"));
                i += 1;
                if local == neg {
                    conds.push(Cond::Never);
                }
            }
            "-j" | "--jump" | "-g" | "--goto" => {
                let target = arg(i).to_string();
                i += 1;
                let goto = opt == "-g" || opt == "--goto";
                action = match target.as_str() {
                    "ACCEPT" => Action::Accept,
                    "DROP" => Action::Drop,
                    "REJECT" => Action::Reject,
                    "RETURN" => Action::Return,
                    t if HARMLESS_TARGETS.contains(&t) => Action::Continue,
                    t if FORWARDING_TARGETS.contains(&t) => Action::Unknown(format!(
                        "-j {t}: port-forwarded elsewhere; judge the forward path and its target"
                    )),
                    t => match index.get(t) {
                        Some(&ci) if goto => Action::Goto(ci),
                        Some(&ci) => Action::Jump(ci),
                        None => {
                            unknown_stmt = Some(format!("-j {t}, which the audit does not follow"));
                            Action::Continue
                        }
                    },
                };
                // Target options (--reject-with, --log-prefix, ...) follow; skip them.
                while arg(i).starts_with("--") {
                    i += 1;
                    while i < tokens.len() && !arg(i).starts_with('-') && arg(i) != "!" {
                        i += 1;
                    }
                }
            }
            other if other.starts_with("--") && !KNOWN_MODULES.contains(&module.as_str()) => {
                // An option of an unknown module (already Unknown): skip its values.
                while i < tokens.len() && !arg(i).starts_with('-') && arg(i) != "!" {
                    i += 1;
                }
            }
            other => {
                conds.push(Cond::Unknown(format!(
                    "option {other}, which the audit cannot judge"
                )));
                while i < tokens.len() && !arg(i).starts_with('-') && arg(i) != "!" {
                    i += 1;
                }
            }
        }
    }
    Rule {
        handle: None,
        text,
        conds,
        unknown_stmt,
        action,
    }
}

/// The SYN bit.
const SYN: u8 = 0x02;

/// `SYN,ACK`, `ALL`, `NONE` as TCP flag bits.
fn tcp_flag_bits(s: &str) -> Option<u8> {
    s.split(',').try_fold(0u8, |acc, name| {
        let bit = match name.to_ascii_uppercase().as_str() {
            "FIN" => 0x01,
            "SYN" => SYN,
            "RST" => 0x04,
            "PSH" => 0x08,
            "ACK" => 0x10,
            "URG" => 0x20,
            "ECE" => 0x40,
            "CWR" => 0x80,
            "ALL" => 0xff,
            "NONE" => 0,
            _ => return None,
        };
        Some(acc | bit)
    })
}

/// `192.168.1.0/24`, `10.0.0.1`, `fd00::/8`.
fn parse_net(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .map(|n| n.trunc())
        .ok()
        .or_else(|| s.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}

/// `445`, `137:138`, `135,139,445`, `1000:` as inclusive ranges.
fn ports(s: &str) -> Option<Vec<(u16, u16)>> {
    s.split(',')
        .map(|part| match part.split_once(':') {
            Some((lo, hi)) => {
                let lo = if lo.is_empty() { 0 } else { lo.parse().ok()? };
                let hi = if hi.is_empty() {
                    u16::MAX
                } else {
                    hi.parse().ok()?
                };
                Some((lo, hi))
            }
            None => part.parse().ok().map(|p| (p, p)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_quoted_comments() {
        let t = tokenize(r#"-A INPUT -m comment --comment "no \"NB\" here" -j DROP"#)
            .expect("quotes close");
        assert_eq!(
            t,
            [
                "-A",
                "INPUT",
                "-m",
                "comment",
                "--comment",
                "no \"NB\" here",
                "-j",
                "DROP"
            ]
        );
        assert!(tokenize(r#"-A INPUT --comment "open"#).is_none());
    }

    #[test]
    fn tcp_flags_judge_a_syn() {
        let chains = parse(
            "*filter\n:INPUT ACCEPT [0:0]\n\
             -A INPUT -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -j DROP\n\
             -A INPUT -p tcp -m tcp --tcp-flags ALL NONE -j DROP\n\
             -A INPUT -p tcp -m tcp --tcp-flags SYN,ACK SYN -j ACCEPT\nCOMMIT\n",
            Family::Ipv4,
        )
        .expect("parses");
        let conds: Vec<bool> = chains[0]
            .rules
            .iter()
            .map(|r| r.conds.contains(&Cond::Never))
            .collect();
        assert_eq!(conds, [true, true, false]);
    }

    #[test]
    fn port_lists_and_ranges() {
        assert_eq!(
            ports("135,137:138,1000:"),
            Some(vec![(135, 135), (137, 138), (1000, u16::MAX)])
        );
        assert_eq!(ports("http"), None);
    }

    #[test]
    fn rejects_text_that_is_not_iptables_save() {
        for bad in [
            "hello",
            "*filter\n:INPUT ACCEPT [0:0]\n-X INPUT\n",
            "*filter\n-A NOPE -j DROP\n",
            "COMMIT\n",
        ] {
            assert!(parse(bad, Family::Ipv4).is_err(), "{bad:?}");
        }
        assert!(parse("", Family::Ipv6).expect("empty is fine").is_empty());
    }
}
