//! Dual-stack labs ([`Lab::start_dual_stack`]): every host and the client also get an
//! address in the lab's IPv6 ULA prefix `fd00:5a7:<n>::/64`, alongside 10.214.<n>.0/24.
//!
//! The interface id is the IPv4 host octet written as a hex group (`.10` is `::10`, the
//! client `.2` is `::2`). No router advertisements are sent or accepted, no link-local
//! address is generated (`addr_gen_mode = none`), duplicate address detection is off
//! (`nodad`), and there is no default route: the only IPv6 route is the on-link /64, so a
//! packet to anything else fails locally, as for IPv4. `::250` is silent (a permanent
//! neighbour entry with a MAC nobody owns); other unassigned addresses fail neighbour
//! discovery (address unreachable after ~3 s).

use std::net::{IpAddr, Ipv6Addr};

use super::net::ip;
use super::{Lab, UNUSED_OCTET};

/// sysctls of a dual-stack namespace: IPv6 on, and nothing automatic about it.
pub(super) const SYSCTLS: &str = "cd /proc/sys/net/ipv6/conf || exit 1; \
    for c in all default; do echo 0 > $c/disable_ipv6; echo 0 > $c/accept_ra; \
    echo 0 > $c/autoconf; echo 0 > $c/accept_dad; echo 1 > $c/addr_gen_mode; done; \
    echo 1 > lo/addr_gen_mode 2>/dev/null; true";

impl Lab {
    /// Whether the lab has IPv6 addresses.
    pub fn is_dual_stack(&self) -> bool {
        self.ipv6
    }

    /// The lab's IPv6 prefix, `(fd00:5a7:<n>::, 64)`.
    pub fn prefix6(&self) -> (Ipv6Addr, u8) {
        (
            Ipv6Addr::new(0xfd00, 0x5a7, u16::from(self.net), 0, 0, 0, 0, 0),
            64,
        )
    }

    /// The address with interface id `octet` (as a hex group) in [`Lab::prefix6`].
    pub fn v6_of(&self, octet: u8) -> Ipv6Addr {
        let (net, _) = self.prefix6();
        // the decimal digits read as hex digits: 10 -> 0x10, 250 -> 0x250
        let o = u16::from(octet);
        let id = (o / 100) * 0x100 + (o / 10 % 10) * 0x10 + o % 10;
        let mut s = net.segments();
        s[7] = id;
        Ipv6Addr::from(s)
    }

    /// Host `id`'s IPv6 address (panics in a lab that is not dual-stack).
    pub fn ip6(&self, id: &str) -> Ipv6Addr {
        assert!(self.ipv6, "lab: not started with start_dual_stack");
        let octet = self.host(id).ip.octets()[3];
        self.v6_of(octet)
    }

    /// Adds the IPv6 address for `octet` to `ns`'s eth0 (dual-stack labs only).
    pub(super) fn add_v6_address(&self, ns: &str, octet: u8) {
        if !self.ipv6 {
            return;
        }
        let addr = format!("{}/64", self.v6_of(octet));
        self.ip_cmd(&["-n", ns, "-6", "addr", "add", &addr, "dev", "eth0", "nodad"]);
    }

    /// The silent IPv6 address of the client's view (dual-stack labs only).
    pub(super) fn add_v6_phantom(&self, client: &str, mac: &str) {
        if !self.ipv6 {
            return;
        }
        let unused = self.v6_of(UNUSED_OCTET).to_string();
        self.ip_cmd(&[
            "-n",
            client,
            "-6",
            "neigh",
            "replace",
            &unused,
            "lladdr",
            mac,
            "dev",
            "eth0",
            "nud",
            "permanent",
        ]);
    }

    /// Panics unless `ns`'s IPv6 routes are the lab's /64 and local ones only, and a
    /// documentation address is unreachable from it.
    pub(super) fn assert_v6_routes(&self, ns: &str) {
        let routes = ip(
            &self.tools,
            &["-n", ns, "-6", "route", "show", "table", "all"],
        )
        .unwrap_or_else(|e| panic!("lab: {e}"));
        let (net, len) = self.prefix6();
        let own = format!("{net}/{len}");
        for line in routes.lines() {
            let first = line.split_whitespace().next().unwrap_or("");
            let local = line.contains("table local") || line.starts_with("::1 dev lo ");
            assert!(
                local || first == own,
                "lab: unexpected IPv6 route in {ns}: {line:?}"
            );
        }
        assert!(
            ip(
                &self.tools,
                &["-n", ns, "-6", "route", "get", "2001:db8::1"]
            )
            .is_err(),
            "lab: {ns} can route to 2001:db8::1; refusing to go on"
        );
    }

    /// Whether `target` is an IPv6 address or prefix inside [`Lab::prefix6`] (`::1` too).
    pub(super) fn v6_target_inside(&self, target: &str) -> Option<Result<(), String>> {
        let t = target.trim().trim_start_matches('[').trim_end_matches(']');
        let (addr, len) = match t.split_once('/') {
            Some((a, l)) => (a, l.parse::<u8>().ok()),
            None => (t, Some(128)),
        };
        let IpAddr::V6(addr) = addr.parse::<IpAddr>().ok()? else {
            return None;
        };
        if addr == Ipv6Addr::LOCALHOST && len == Some(128) {
            return Some(Ok(()));
        }
        let (net, plen) = self.prefix6();
        let mask = |bits: u8| u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
        let inside = self.ipv6
            && len.is_some_and(|l| l >= plen && l <= 128)
            && addr.to_bits() & mask(plen) == net.to_bits();
        Some(if inside {
            Ok(())
        } else {
            Err(format!("{target:?} is not inside {net}/{plen}"))
        })
    }
}
