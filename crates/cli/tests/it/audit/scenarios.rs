//! The matrix: Samba configurations, firewall rulesets, extras, and what
//! each combination must let the peers reach (the lab's own expectation,
//! checked against the probes before the audit is judged).

use super::net::{Fam, Side};
use super::probe::{Cell, Probed};

/// The host's Samba setup (real smbd/nmbd started with `-s conf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Config {
    /// (a) Samba's defaults: smbd on every address, nmbd on every interface.
    Defaults,
    /// (b) `interfaces = lo eth-in` + `bind interfaces only = yes`.
    InsideOnly,
    /// (c) `disable netbios = yes` + `smb ports = 445`; only smbd runs, as
    /// Debian's nmbd unit does not start nmbd then (a started nmbd 4.17 would
    /// still answer on 137).
    NoNetbios,
    /// (d) no Samba daemon.
    Nothing,
}

impl Config {
    /// Short name for messages and file names.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Defaults => "defaults",
            Self::InsideOnly => "inside-only",
            Self::NoNetbios => "no-netbios",
            Self::Nothing => "nothing",
        }
    }

    /// The `[global]` lines beyond the lab's private paths.
    pub(crate) fn conf_lines(self) -> &'static str {
        match self {
            Self::Defaults | Self::Nothing => "",
            Self::InsideOnly => "   interfaces = lo eth-in\n   bind interfaces only = yes\n",
            Self::NoNetbios => "   disable netbios = yes\n   smb ports = 445\n",
        }
    }

    /// Whether smbd, nmbd run.
    pub(crate) fn daemons(self) -> (bool, bool) {
        match self {
            Self::Defaults | Self::InsideOnly => (true, true),
            Self::NoNetbios => (true, false),
            Self::Nothing => (false, false),
        }
    }

    /// What Samba answers, firewall aside.
    fn answers(self, cell: Cell) -> bool {
        let Cell { side, fam, service } = cell;
        match (self, service) {
            (Self::Nothing, _) | (_, Probed::Epmap) => false,
            // nmbd is IPv4 only; with `bind interfaces only` it still binds
            // 0.0.0.0:137 but ignores sources outside its interfaces' subnets
            (Self::Defaults, Probed::Nbns) => fam == Fam::V4,
            (Self::InsideOnly, Probed::Nbns) => fam == Fam::V4 && side == Side::In,
            (Self::NoNetbios, Probed::Nbns | Probed::Nbss) => false,
            (Self::Defaults | Self::NoNetbios, _) => true,
            (Self::InsideOnly, _) => side == Side::In,
        }
    }
}

/// The host's firewall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Firewall {
    /// No rules (`flush ruleset`).
    None,
    /// nftables: drop on eth-out, TCP ports from a named set, UDP 137-138.
    OutsideSetDrop,
    /// nftables: policy drop; the audited ports accepted only from the
    /// inside prefixes.
    InsidePrefixOnly,
    /// iptables-nft (v4 and v6): drop 445/tcp on eth-out.
    IptablesOutside445,
    /// nftables, policy drop, with rules an evaluator cannot judge: a meter
    /// (445/tcp, IPv4 only as its key is `ip saddr`) and a `fib` match (139/tcp).
    Unjudgeable,
}

impl Firewall {
    /// Short name for messages and file names.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::None => "no-firewall",
            Self::OutsideSetDrop => "nft-outside-set-drop",
            Self::InsidePrefixOnly => "nft-inside-prefix-only",
            Self::IptablesOutside445 => "iptables-nft-outside-445",
            Self::Unjudgeable => "nft-unjudgeable",
        }
    }

    /// `(nft -f script, iptables-nft-restore script)`; the nft script starts
    /// with `flush ruleset`.
    pub(crate) fn scripts(self) -> (&'static str, Option<&'static str>) {
        match self {
            Self::None => ("flush ruleset\n", None),
            Self::IptablesOutside445 => ("flush ruleset\n", Some(IPTABLES_445)),
            Self::OutsideSetDrop => (NFT_OUTSIDE_SET_DROP, None),
            Self::InsidePrefixOnly => (NFT_INSIDE_PREFIX_ONLY, None),
            Self::Unjudgeable => (NFT_UNJUDGEABLE, None),
        }
    }

    /// What the rules let through.
    fn passes(self, cell: Cell) -> bool {
        let Cell { side, fam, service } = cell;
        match self {
            Self::None => true,
            Self::OutsideSetDrop | Self::InsidePrefixOnly => side == Side::In,
            Self::IptablesOutside445 => !(side == Side::Out && service == Probed::Smb),
            Self::Unjudgeable => match service {
                Probed::Smb => fam == Fam::V4,
                Probed::Nbss => true,
                Probed::Epmap | Probed::Nbns => false,
            },
        }
    }
}

const NFT_OUTSIDE_SET_DROP: &str = r#"flush ruleset
table inet sat_aud {
	set smbports {
		type inet_service
		elements = { 135, 139, 445 }
	}
	chain input {
		type filter hook input priority filter; policy accept;
		iifname "eth-out" tcp dport @smbports drop
		iifname "eth-out" udp dport 137-138 drop
	}
}
"#;

/// An input chain with policy drop that still lets the probes' replies, the
/// host's own traffic and IPv6 neighbour discovery through, then `$rules`.
macro_rules! policy_drop_input {
    ($rules:literal) => {
        concat!(
            "flush ruleset\n",
            "table inet sat_aud {\n",
            "\tchain input {\n",
            "\t\ttype filter hook input priority filter; policy drop;\n",
            "\t\tct state established,related accept\n",
            "\t\tiif \"lo\" accept\n",
            "\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n",
            $rules,
            "\t}\n",
            "}\n"
        )
    };
}

const NFT_INSIDE_PREFIX_ONLY: &str = policy_drop_input!(
    "\t\tip saddr 10.214.201.0/24 tcp dport { 135, 139, 445 } accept
\t\tip saddr 10.214.201.0/24 udp dport { 137, 138 } accept
\t\tip6 saddr fd00:5a7:200:1::/64 tcp dport { 135, 139, 445 } accept
\t\tip6 saddr fd00:5a7:200:1::/64 udp dport { 137, 138 } accept
"
);

const NFT_UNJUDGEABLE: &str = policy_drop_input!(
    "\t\ttcp dport 445 meter sat_meter { ip saddr limit rate 10/second } accept
\t\tfib saddr . iif oif exists tcp dport 139 accept
"
);

/// For both `iptables-nft-restore` and `ip6tables-nft-restore`.
const IPTABLES_445: &str = "*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i eth-out -p tcp -m tcp --dport 445 -j DROP
COMMIT
";

/// What a scenario adds to its config and firewall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Extra {
    /// Nothing.
    None,
    /// A python3 socket on [::]:445 with IPV6_V6ONLY = the value.
    V6Listener {
        /// IPV6_V6ONLY.
        v6only: bool,
    },
    /// The audit runs where nft is hidden (a private mount namespace), so
    /// it reads the iptables-nft rules with iptables-save.
    NoNft,
    /// The daemons' smb.conf is replaced by a directory after they started.
    UnreadableConf,
}

/// One row of the matrix.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scenario {
    /// The Samba setup.
    pub(crate) config: Config,
    /// The firewall.
    pub(crate) firewall: Firewall,
    /// Anything else.
    pub(crate) extra: Extra,
}

impl Scenario {
    /// A scenario.
    pub(crate) const fn new(config: Config, firewall: Firewall, extra: Extra) -> Self {
        Self {
            config,
            firewall,
            extra,
        }
    }

    /// The matrix, grouped by config (each config's daemons start once).
    /// Covers the default config with every ruleset, every config without a
    /// firewall, both `::` listeners, the iptables fallback, unjudgeable
    /// rules and an unreadable smb.conf.
    pub(crate) fn matrix() -> Vec<Self> {
        use {Config as C, Extra as E, Firewall as F};
        vec![
            Self::new(C::Defaults, F::None, E::None),
            Self::new(C::Defaults, F::OutsideSetDrop, E::None),
            Self::new(C::Defaults, F::InsidePrefixOnly, E::None),
            Self::new(C::Defaults, F::IptablesOutside445, E::None),
            Self::new(C::Defaults, F::IptablesOutside445, E::NoNft),
            Self::new(C::Defaults, F::Unjudgeable, E::None),
            Self::new(C::InsideOnly, F::None, E::None),
            Self::new(C::InsideOnly, F::None, E::UnreadableConf),
            Self::new(C::NoNetbios, F::None, E::None),
            Self::new(C::Nothing, F::None, E::None),
            Self::new(C::Nothing, F::None, E::V6Listener { v6only: false }),
            Self::new(C::Nothing, F::None, E::V6Listener { v6only: true }),
        ]
    }

    /// `defaults + nft-outside-set-drop (+ extra)`.
    pub(crate) fn name(&self) -> String {
        let extra = match self.extra {
            Extra::None => String::new(),
            Extra::V6Listener { v6only } => format!(" + [::]:445 v6only={}", u8::from(v6only)),
            Extra::NoNft => " + nft hidden from the audit".into(),
            Extra::UnreadableConf => " + smb.conf unreadable".into(),
        };
        format!("{} + {}{extra}", self.config.name(), self.firewall.name())
    }

    /// Whether the peer on `cell.side` must reach `cell`.
    pub(crate) fn expect_reached(&self, cell: Cell) -> bool {
        let listening = match self.extra {
            Extra::V6Listener { v6only } => {
                cell.service == Probed::Smb && (cell.fam == Fam::V6 || !v6only)
            }
            Extra::None | Extra::NoNft | Extra::UnreadableConf => self.config.answers(cell),
        };
        listening && self.firewall.passes(cell)
    }

    /// Whether the audit may answer `unknown` for some cells: only with
    /// unjudgeable rules or an unreadable smb.conf.
    pub(crate) fn unknown_allowed(&self) -> bool {
        self.firewall == Firewall::Unjudgeable || self.extra == Extra::UnreadableConf
    }
}
