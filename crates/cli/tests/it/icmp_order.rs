//! The 137/udp verdict of an ARP-silent address does not depend on what probed it before.
//!
//! A datagram to an address nobody owns waits in the kernel's neighbour queue; when ARP
//! gives up (~3 s after it started) the kernel answers ICMP host unreachable. A query sent
//! while an earlier probe's resolution is under way gets that ICMP early, within its wait;
//! a query that started the resolution itself gets it too late. The sweep therefore ignores
//! host unreachable: both are silent (`no_reply`). (This is what made a resumed scan differ
//! from an uninterrupted one: the killed scan's TCP connects had started resolutions.)
//!
//! Network: the lab's namespaces only.

use std::time::{Duration, Instant};

use crate::lab::{HostSpec, Lab, require_lab};
use crate::run::{jsonl, smbaudit};

/// The status `nbstat --all` gives `target` with a wait of `timeout`.
fn status(lab: &Lab, target: &str, timeout: &str) -> String {
    let args = [
        "nbstat",
        "--all",
        "-f",
        "jsonl",
        "--retries",
        "0",
        "--timeout",
        timeout,
    ];
    let (code, out, err) = smbaudit(lab, &args, &[target.to_owned()]);
    assert_eq!(code, 0, "{err}");
    let hosts = jsonl(&out);
    assert_eq!(hosts.len(), 1, "{out}");
    hosts[0]["status"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn an_arp_silent_address_is_silent_whether_or_not_its_resolution_was_under_way() {
    let lab = require_lab!(&[HostSpec::new("nb", "NBHOST", "LABWG")]);
    let absent = lab.absent_ip().to_string();
    lab.check_target(&absent);
    // Fresh: this query starts the resolution; ARP gives up after its 2 s wait.
    assert_eq!(status(&lab, &absent, "2s"), "no_reply");
    // Let the kernel forget the failed entry, then start a resolution with a short query
    // and, 2 s into it, send a query that waits 2 s: ARP gives up during that wait.
    std::thread::sleep(Duration::from_millis(1500));
    let started = Instant::now();
    assert_eq!(status(&lab, &absent, "100ms"), "no_reply");
    std::thread::sleep(Duration::from_secs(2).saturating_sub(started.elapsed()));
    assert_eq!(
        status(&lab, &absent, "2s"),
        "no_reply",
        "an ICMP host unreachable caused by an earlier resolution does not make it filtered"
    );
}
