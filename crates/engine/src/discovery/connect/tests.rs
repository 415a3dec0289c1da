use std::collections::BTreeMap;
use std::net::IpAddr;

use super::*;
use crate::discovery::MethodChoice;
use crate::targets::Order;

fn config(ports: Vec<u16>, rate: u32) -> DiscoveryConfig {
    DiscoveryConfig {
        ports,
        rate,
        tries: 1,
        cooldown: Duration::from_millis(500),
        order: Order {
            seed: 5,
            ..Order::default()
        },
        interface: None,
        method: MethodChoice::Connect,
    }
}

#[test]
fn waits_for_the_kernels_syns_then_the_cooldown() {
    let c = Duration::from_millis(300);
    assert_eq!(connect_wait(1, c), c);
    assert_eq!(connect_wait(2, c), Duration::from_secs(1) + c);
    assert_eq!(connect_wait(3, c), Duration::from_secs(3) + c);
    assert_eq!(connect_wait(0, c), c, "at least one SYN");
    assert_eq!(connect_wait(200, c), Duration::from_secs(63) + c);
}

#[test]
fn errnos_map_to_states() {
    let err = |e: Errno| io::Error::from_raw_os_error(e as i32);
    assert_eq!(
        classify(&err(Errno::ECONNREFUSED)),
        Answer::State(PortState::Closed)
    );
    assert_eq!(
        classify(&err(Errno::EHOSTUNREACH)),
        Answer::State(PortState::Unreachable {
            icmp_type: 3,
            code: 1
        })
    );
    assert_eq!(classify(&err(Errno::ETIMEDOUT)), Answer::Silent);
    assert!(must_wait(&err(Errno::EMFILE)) && !must_wait(&err(Errno::ECONNREFUSED)));
}

/// Two loopback addresses, one port listening on the first only: open once, closed
/// three times, every pair sent once, and a silent receiver reports nothing.
#[tokio::test]
async fn finds_open_and_closed_pairs_on_loopback() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let open = listener.local_addr().unwrap().port();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut targets = TargetList::new();
    targets.include("127.0.0.1-2").unwrap();
    targets.include("::1").unwrap();
    let cfg = config(vec![open, closed], 1000);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (silent_tx, mut silent_rx) = tokio::sync::mpsc::unbounded_channel();
    let progress = DiscoveryProgress::default();
    let mut sweep = ConnectSweep::with_in_flight("test", 2);
    sweep.report_silence(silent_tx);
    assert_eq!(
        sweep.method(),
        Method::Connect {
            reason: "test".into()
        }
    );
    let stats = sweep
        .run(&targets, &cfg, &CancellationToken::new(), &progress, tx)
        .await
        .unwrap();
    let mut got = BTreeMap::new();
    while let Ok(f) = rx.try_recv() {
        got.insert((f.ip, f.port), f.state);
    }
    let lo1: IpAddr = "127.0.0.1".parse().unwrap();
    let lo2: IpAddr = "127.0.0.2".parse().unwrap();
    assert_eq!(got.len(), 4, "IPv6 is not swept: {got:?}");
    assert_eq!(got[&(lo1, open)], PortState::Open);
    assert_eq!(got[&(lo1, closed)], PortState::Closed);
    assert_eq!(got[&(lo2, closed)], PortState::Closed);
    assert_eq!(got[&(lo2, open)], PortState::Closed);
    assert!(silent_rx.try_recv().is_err());
    assert_eq!((stats.sent, stats.open, stats.closed), (4, 1, 3));
    assert!(progress.done.load(Ordering::Relaxed));
    assert_eq!(progress.sent.load(Ordering::Relaxed), 4);
}

#[tokio::test]
async fn a_cancelled_sweep_stops_sending() {
    let mut targets = TargetList::new();
    targets.include("127.0.0.0/16").unwrap();
    let cfg = config(vec![9], 50);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        stopper.cancel();
    });
    let stats = ConnectSweep::with_in_flight("test", 4)
        .run(&targets, &cfg, &cancel, &DiscoveryProgress::default(), tx)
        .await
        .unwrap();
    assert!(stats.cancelled);
    assert!(stats.sent < 1000, "{}", stats.sent);
}
