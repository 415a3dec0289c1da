//! The scan with its discovery stage (the `connect()` sweep) on loopback: a host with a
//! port open is fingerprinted, one whose ports are closed is recorded from discovery alone
//! with no connection, and every target is reported exactly once.
//!
//! Network: every listener and target is in 127.0.0.0/8; UDP 137 is off.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use smbaudit_engine::CancellationToken;
use smbaudit_engine::discovery::{DiscoveryConfig, MethodChoice};
use smbaudit_engine::nbns::SweepConfig;
use smbaudit_engine::scan::{HostScan, PortSet, ScanConfig, ScanProgress, Timeouts, scan};
use smbaudit_engine::targets::{Order, TargetList};
use smbaudit_probe::observation::PortState;

fn config(port: u16) -> ScanConfig {
    let timeouts = Timeouts {
        connect: Duration::from_secs(1),
        reply: Duration::from_secs(1),
        host: Duration::from_secs(3),
    };
    ScanConfig {
        ports: PortSet {
            udp137: false,
            epm: None,
            nbss: None,
            direct: Some(port),
            null_session: false,
            shares: false,
            write_check: false,
        },
        timeouts,
        concurrency: 8,
        sweep: SweepConfig::default(),
        skip: Default::default(),
        credentials: None,
        order: Some(Order {
            seed: 3,
            ..Order::default()
        }),
        discovery: Some(DiscoveryConfig {
            ports: Vec::new(),
            rate: 1000,
            tries: 1,
            cooldown: Duration::from_millis(500),
            order: Order::default(),
            interface: None,
            method: MethodChoice::Connect,
        }),
    }
}

#[tokio::test]
async fn open_hosts_are_fingerprinted_and_closed_ones_recorded_without_a_connection() {
    // A listener on 127.0.0.1 that closes each connection: the fingerprint fails there,
    // but only after connecting. 127.0.0.2-4 refuse.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepts = tokio::spawn(async move {
        let mut n = 0u32;
        while let Ok(Ok((stream, _))) =
            tokio::time::timeout(Duration::from_secs(5), listener.accept()).await
        {
            drop(stream);
            n += 1;
        }
        n
    });
    let mut targets = TargetList::new();
    targets.include("127.0.0.1-4").unwrap();
    let cfg = config(port);
    let mut hosts = BTreeMap::new();
    let progress = ScanProgress::default();
    let stats = scan(
        &targets,
        &cfg,
        &CancellationToken::new(),
        &progress,
        |h: HostScan| {
            assert!(hosts.insert(h.ip, h).is_none(), "reported twice");
        },
    )
    .await
    .unwrap();
    assert_eq!(hosts.len(), 4, "{hosts:?}");
    let lo1: IpAddr = "127.0.0.1".parse().unwrap();
    let open = &hosts[&lo1];
    assert_eq!(open.ports[0].state, PortState::Open);
    assert!(open.connections >= 1, "the fingerprint connects itself");
    for i in 2..=4 {
        let ip: IpAddr = format!("127.0.0.{i}").parse().unwrap();
        let h = &hosts[&ip];
        assert_eq!(h.connections, 0, "{ip}: no stage-2 connection");
        assert_eq!(h.ports.len(), 1);
        assert_eq!(h.ports[0].state, PortState::Closed);
        assert_eq!(h.ports[0].evidence, "RST (connection refused)");
    }
    let discovery = stats.discovery.as_ref().expect("discovery ran");
    assert_eq!(
        (discovery.sent, discovery.open, discovery.closed),
        (4, 1, 3)
    );
    assert_eq!((stats.hosts, stats.fingerprinted), (4, 1));
    // One connect from discovery, the rest the fingerprint's.
    assert_eq!(accepts.await.unwrap(), 1 + open.connections);
}
