//! The raw SYN sweep (`discovery::raw`) against real Linux TCP stacks in network
//! namespaces (`synraw/netns.rs`): a scanner, a target namespace holding the bridge and
//! the targets' addresses, and an injector of forged replies.
//!
//! What is proven: an open port (a listener) is found open, a closed one (the kernel's
//! RST) closed, an ICMP host-unreachable (nft `reject` in the target) unreachable, and a
//! silent one (nft `drop`, or no host at all) is not reported but retried exactly
//! `tries` times; an excluded address receives not one SYN (nft counters in the target);
//! forged SYN-ACKs with wrong acks, from an unprobed port and from a non-target address
//! are all rejected and counted; listeners whose SYN queue overflows (backlog 32, replies
//! slowed by a tbf qdisc) are all found thanks to the retransmission passes; and without
//! CAP_NET_RAW `open` says "no CAP_NET_RAW"; a cancelled sweep stops without finishing its
//! pass or waiting for its cooldown.
//! A big silent retry pass is sampled (exactly 1 in 16, counted by nft in the target), and
//! NBSTAT queries ride in the same schedule (a wrong transaction ID rejected).
//!
//! Network: only the namespaces' 10.215.N.0/24, no default route anywhere. Every test is
//! bounded: each sweep has a rate, a number of tries and a cooldown, and a timeout.
//! Without root the tests print a skip line and pass, unless `CI=true`.

#[path = "synraw/helpers.rs"]
mod helpers;
#[path = "synraw/netns.rs"]
mod netns;
#[path = "synraw/scripts.rs"]
mod scripts;

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use helpers::{SWEEP_LIMIT, config, counter, shell_words, sweep, sweep_adjusted, targets};
use netns::{Net, Role};
use smbaudit_engine::CancellationToken;
use smbaudit_engine::discovery::raw::{self, RawUnavailable};
use smbaudit_engine::discovery::{DiscoveryConfig, DiscoveryProgress, PortState};
use smbaudit_probe::nbns::NbnsReply;
use smbaudit_probe::observation::Outcome;

/// The network, or a skip line and `return`.
macro_rules! net_or_skip {
    () => {
        match Net::start() {
            Ok(net) => net,
            Err(skip) => {
                eprintln!("SKIPPED (needs root + ip, nft, tc, python3): {}", skip.0);
                return;
            }
        }
    };
}

#[test]
fn finds_open_closed_and_unreachable_and_retries_the_silent() {
    let net = net_or_skip!();
    let n = net.net24();
    for host in [10, 11, 12, 13, 14] {
        net.sh(Role::Target, &format!("ip addr add {n}{host}/24 dev br0"));
    }
    net.sh(
        Role::Target,
        &format!(
            "nft -f - <<'EOF'
table ip synr {{
  counter to_silent {{}}
  counter to_excluded {{}}
  chain input {{
    type filter hook input priority 0;
    ip daddr {n}12 tcp flags syn counter name to_silent drop
    ip daddr {n}14 tcp flags syn counter name to_excluded
    ip daddr {n}13 reject with icmp type host-unreachable
  }}
}}
EOF"
        ),
    );
    let open445 = format!("{n}10:445");
    let open139 = format!("{n}10:139");
    net.spawn_ready(
        Role::Target,
        "python3",
        &["-c", scripts::LISTEN, "16", &open445, &open139],
    );
    // .8-.15 without .14; .8, .9 and .15 have no host at all.
    let t = targets(&[format!("{n}8/29")], &[format!("{n}14")]);
    let tries = 3;
    let (stats, found) = sweep(&net, &t, &config(&[445, 139], 2000, tries), || {});

    let ip = |h| IpAddr::V4(Ipv4Addr::new(10, 215, net.addr(0).octets()[2], h));
    let got: BTreeSet<(IpAddr, u16, String)> = found
        .iter()
        .map(|f| (f.ip, f.port, format!("{:?}", f.state)))
        .collect();
    let unreachable = format!(
        "{:?}",
        PortState::Unreachable {
            icmp_type: 3,
            code: 1
        }
    );
    let want: BTreeSet<(IpAddr, u16, String)> = [
        (ip(10), 445, "Open".to_owned()),
        (ip(10), 139, "Open".to_owned()),
        (ip(11), 445, "Closed".to_owned()),
        (ip(11), 139, "Closed".to_owned()),
        (ip(13), 445, unreachable.clone()),
        (ip(13), 139, unreachable),
    ]
    .into();
    assert_eq!(got, want);
    assert_eq!(found.len(), 6, "each pair reported once: {found:?}");
    assert!(found.iter().all(|f| f.attempt == 1), "{found:?}");
    // 7 addresses × 2 ports; the 8 silent pairs are sent `tries` times.
    assert_eq!(stats.planned, 14);
    assert_eq!(stats.sent, 14 + 8 * u64::from(tries - 1), "{stats:?}");
    assert_eq!(stats.retransmitted, 8 * u64::from(tries - 1));
    assert_eq!((stats.open, stats.closed, stats.unreachable), (2, 2, 2));
    assert_eq!(stats.valid_replies, 6, "{stats:?}");
    assert_eq!((stats.rejected_replies, stats.out_of_scope), (0, 0));
    assert_eq!(stats.passes, tries);
    assert!(!stats.cancelled);
    assert_eq!(counter(&net, "to_silent"), 2 * u64::from(tries));
    assert_eq!(
        counter(&net, "to_excluded"),
        0,
        "the excluded address got a SYN"
    );
}

#[test]
fn rejects_and_counts_forged_replies_from_a_third_namespace() {
    let net = net_or_skip!();
    let n = net.net24();
    net.sh(Role::Target, &format!("ip addr add {n}10/24 dev br0"));
    let open = format!("{n}10:445");
    net.spawn_ready(
        Role::Target,
        "python3",
        &["-c", scripts::LISTEN, "16", &open],
    );
    let t = targets(&[format!("{n}10")], &[]);
    let scanner = net.scanner().to_string();
    // Wrong acks from the target's real port, from a port not probed, and from an
    // address that is not a target (the injector's own).
    let forged = [
        format!("{n}10:445:5"),
        format!("{n}10:8080:5"),
        format!("{n}200:445:5"),
    ];
    let (stats, found) = sweep(&net, &t, &config(&[445], 1000, 2), || {
        let mut args = vec!["-c", scripts::INJECT, &scanner];
        args.extend(forged.iter().map(String::as_str));
        let sent = net.output(Role::Injector, &shell_words(&args));
        assert_eq!(sent.trim(), "15");
    });
    assert_eq!(stats.rejected_replies, 15, "{stats:?}");
    assert_eq!(stats.valid_replies, 1, "{stats:?}");
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].port, found[0].state), (445, PortState::Open));
}

#[test]
fn finds_every_listener_whose_syn_queue_overflows() {
    let net = net_or_skip!();
    let n = net.net24();
    // 128 addresses answered by one listener (AnyIP), backlog 32, no SYN cookies: a SYN
    // that finds 32 half-open connections is dropped. The target's replies are slowed to
    // about 160 per second (tbf), so the scanner's RSTs come late and the queue stays
    // full for the whole first pass. The scanner reaches the /25 through the target's
    // bridge address, so one ARP exchange serves all of it.
    net.sh(Role::Scanner, &format!("ip route add {n}128/25 via {n}2"));
    net.sh(
        Role::Target,
        &format!(
            "ip route add local {n}128/25 dev lo && sysctl -qw net.ipv4.tcp_syncookies=0 \
             && tc qdisc add dev ts root tbf rate 100kbit burst 1600 latency 5s"
        ),
    );
    net.spawn_ready(
        Role::Target,
        "python3",
        &["-c", scripts::LISTEN, "32", "0.0.0.0:445"],
    );
    let t = targets(&[format!("{n}128/25")], &[]);
    let (stats, found) = sweep(&net, &t, &config(&[445], 10_000, raw::DEFAULT_TRIES), || {});
    let first_try = found.iter().filter(|f| f.attempt == 1).count();
    eprintln!("{stats:?}\nfound on the first try: {first_try}");
    assert!(
        first_try < 127,
        "no SYN was dropped: the test proves nothing"
    );
    // 10.215.N.255 is the broadcast address of the scanner's own /24: the kernel refuses
    // to send to it, once, and the sweep goes on without it.
    assert_eq!(stats.unsendable, 1, "{stats:?}");
    assert_eq!(found.len(), 127, "{stats:?}");
    assert!(found.iter().all(|f| f.state == PortState::Open));
    assert_eq!(stats.open, 127);
    assert!(
        stats.passes > raw::DEFAULT_TRIES,
        "the adaptive passes: {stats:?}"
    );
}

#[test]
fn says_no_cap_net_raw_without_it() {
    const CHILD: &str = "SYNR_OPEN_UNPRIVILEGED";
    if std::env::var_os(CHILD).is_some() {
        let cfg = config(&[445], 1000, 1);
        let e = raw::open(&cfg, Ipv4Addr::LOCALHOST).unwrap_err();
        assert!(matches!(e, RawUnavailable::NoPermission { .. }), "{e:?}");
        assert!(e.to_string().starts_with("no CAP_NET_RAW"), "{e}");
        assert!(!e.is_config_error());
        return;
    }
    if !nix::unistd::geteuid().is_root() {
        // Already unprivileged: the check itself is the test.
        let e = raw::open(&config(&[445], 1000, 1), Ipv4Addr::LOCALHOST).unwrap_err();
        assert!(matches!(e, RawUnavailable::NoPermission { .. }), "{e:?}");
        return;
    }
    // As root: the same test again as nobody, without any capability, from a copy of
    // this binary that nobody can run (the target directory may sit under a home that
    // only root can enter).
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("synr-{}-nocap", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let exe = dir.join("synraw-test");
    std::fs::copy(std::env::current_exe().unwrap(), &exe).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let status = std::process::Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(&exe)
        .args(["--exact", "says_no_cap_net_raw_without_it", "--nocapture"])
        .env(CHILD, "1")
        .status();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        status.expect("setpriv").success(),
        "the unprivileged run failed"
    );
}

#[test]
fn a_resumed_sweep_sends_nothing_to_finished_targets() {
    let net = net_or_skip!();
    let n = net.net24();
    for host in [10, 11] {
        net.sh(Role::Target, &format!("ip addr add {n}{host}/24 dev br0"));
    }
    let t = targets(&[format!("{n}10-{n}11")], &[]);
    let done: Ipv4Addr = format!("{n}10").parse().unwrap();
    let cfg = config(&[445, 139], 1000, 2);
    let (stats, found) = sweep_adjusted(&net, &t, &cfg, |s| s.skipping([done]));
    // Only .11's two ports: planned, sent once each (both RST), found.
    assert_eq!((stats.planned, stats.sent), (2, 2), "{stats:?}");
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|f| f.ip != IpAddr::V4(done)), "{found:?}");
}

#[test]
fn refuses_a_rate_of_zero_and_no_ports_before_anything() {
    let zero = raw::open(&config(&[445], 0, 1), Ipv4Addr::LOCALHOST).unwrap_err();
    assert_eq!(zero, RawUnavailable::ZeroRate);
    assert!(zero.is_config_error());
    let none = raw::open(&config(&[], 1000, 1), Ipv4Addr::LOCALHOST).unwrap_err();
    assert_eq!(none, RawUnavailable::NoPorts);
}

#[test]
fn stops_soon_after_a_cancellation() {
    let net = net_or_skip!();
    let n = net.net24();
    // 100 ports x 254 silent addresses at 1,000 pps would take 25 s.
    let t = targets(&[format!("{n}2-{n}255")], &[]);
    let ports: Vec<u16> = (1..=100).collect();
    let cfg = DiscoveryConfig {
        cooldown: Duration::from_secs(5),
        ..config(&ports, 1000, 1)
    };
    let first = Ipv4Addr::new(10, 215, net.addr(0).octets()[2], 2);
    let (stats, elapsed) = net.enter(Role::Scanner, || {
        let sweep = raw::open(&cfg, first).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let progress = DiscoveryProgress::default();
        let started = std::time::Instant::now();
        let stats = rt.block_on(async {
            let canceller = cancel.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                canceller.cancel();
            });
            tokio::time::timeout(SWEEP_LIMIT, sweep.run(&t, &cfg, &cancel, &progress, tx))
                .await
                .expect("the sweep ends")
                .expect("the sweep runs")
        });
        (stats, started.elapsed())
    });
    assert!(stats.cancelled, "{stats:?}");
    assert!(stats.sent > 0 && stats.sent < 25_400, "{stats:?}");
    // Neither the rest of the pass nor the 5 s cooldown was waited for (a bound, not a
    // benchmark: the whole sweep would take 30 s).
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn carries_nbstat_queries_in_the_same_schedule() {
    let net = net_or_skip!();
    let n = net.net24();
    for host in [10, 11] {
        net.sh(Role::Target, &format!("ip addr add {n}{host}/24 dev br0"));
    }
    let responder = format!("{n}10");
    net.spawn_ready(
        Role::Target,
        "python3",
        &["-c", scripts::NBSTAT_RESPONDER, &responder],
    );
    // .10 answers NBSTAT (with a wrong transaction ID first); .11 answers 137 with an
    // ICMP port unreachable (which quotes no SYN). Both RST 445.
    let t = targets(&[format!("{n}10-{n}11")], &[]);
    let cfg = config(&[445], 1000, 2);
    let first = Ipv4Addr::new(10, 215, net.addr(0).octets()[2], 10);
    let (stats, found, names) = net.enter(Role::Scanner, || {
        let (ntx, mut nrx) = tokio::sync::mpsc::unbounded_channel();
        let mut sweep = raw::open(&cfg, first).unwrap();
        sweep.with_nbstat(ntx).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let progress = DiscoveryProgress::default();
        let stats = rt.block_on(async {
            tokio::time::timeout(SWEEP_LIMIT, sweep.run(&t, &cfg, &cancel, &progress, tx))
                .await
                .expect("the sweep ends")
                .expect("the sweep runs")
        });
        let mut found = Vec::new();
        while let Ok(f) = rx.try_recv() {
            found.push(f);
        }
        let mut names = Vec::new();
        while let Ok(f) = nrx.try_recv() {
            names.push(f);
        }
        (stats, found, names)
    });
    assert_eq!(names.len(), 2, "{names:?}");
    let answered = names.iter().find(|f| f.ip == first).expect(".10 answered");
    let Outcome::Reply(NbnsReply::NodeStatus(status)) = &answered.outcome else {
        panic!("{:?}", answered.outcome)
    };
    let refused = names.iter().find(|f| f.ip != first).expect(".11's ICMP");
    let Outcome::Unreachable(why) = &refused.outcome else {
        panic!("{:?}", refused.outcome)
    };
    assert!(why.port_closed(), "{why:?}");
    let listed: Vec<String> = status.names.iter().map(|n| format!("{:?}", n)).collect();
    assert!(listed.iter().any(|n| n.contains("SYNRTEST")), "{listed:?}");
    assert_eq!(stats.nbstat_replies, 1, "{stats:?}");
    // The reply with the wrong transaction ID; .10 is decided by the right one, so the
    // retry pass does not ask it again.
    assert_eq!(stats.rejected_replies, 1, "{stats:?}");
    assert_eq!(found.len(), 2, "the two RSTs: {found:?}");
    assert!(found.iter().all(|f| f.state == PortState::Closed));
    // 2 addresses × (445 + NBSTAT), every pair decided by its first send (the ICMP
    // port unreachable decides .11's NBSTAT), so no retry pass.
    assert_eq!(stats.planned, 4, "{stats:?}");
    assert_eq!((stats.sent, stats.retransmitted), (4, 0), "{stats:?}");
}

#[test]
fn samples_a_big_silent_retry_pass_instead_of_resending_it_all() {
    let net = net_or_skip!();
    let n = net.net24();
    let third = net.addr(0).octets()[2];
    // A /24 next door, routed through the target namespace, which drops (and counts)
    // everything sent to it: 256 addresses × 100 ports, all silent.
    let silent = format!("10.215.{}.0/24", third + 128);
    net.sh(Role::Scanner, &format!("ip route add {silent} via {n}2"));
    net.sh(
        Role::Target,
        &format!(
            "nft -f - <<'EOF'
table ip synr {{
  counter to_silent {{}}
  chain pre {{
    type filter hook prerouting priority 0;
    ip daddr {silent} counter name to_silent drop
  }}
}}
EOF"
        ),
    );
    let ports: Vec<u16> = (1..=100).collect();
    let t = targets(&[silent], &[]);
    let (stats, found) = sweep(&net, &t, &config(&ports, 50_000, 2), || {});
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(stats.planned, 25_600);
    // The sample: every 16th position of the permutation, and nothing more, as it
    // recovered nothing.
    assert_eq!(stats.retransmitted, 1_600, "{stats:?}");
    assert_eq!(stats.sent, 27_200);
    assert_eq!(stats.passes, 2);
    assert_eq!(counter(&net, "to_silent"), 27_200);
}
