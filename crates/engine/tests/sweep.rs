//! The NBNS sweep against in-process responders on loopback addresses: the hostile and odd
//! replies real nmbd never sends. Each responder binds its own 127.0.0.x address, so replies
//! come from the address that was queried, as on a real network.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use smbaudit_engine::CancellationToken;
use smbaudit_engine::nbns::{HostResult, Outcome, Query, SweepConfig, sweep};
use smbaudit_probe::nbns::NbnsReply;
use smbaudit_wire::Encode;
use smbaudit_wire::nbns::{
    CLASS_IN, Flags, NameFlags, NbName, NodeName, NodeStatus, Packet, QualifiedName,
    ResourceRecord, RrType, Statistics,
};
use tokio::net::UdpSocket;

#[derive(Clone, Copy)]
enum Behaviour {
    Answer,
    WrongTrnId,
    Garbage,
    LyingCount,
    DropFirst,
    Silent,
    AnswerFromElsewhere,
    /// A WACK asking for 1 s, then the answer after 600 ms (past the 400 ms timeout).
    WackThenAnswer,
    /// Nothing bound: the kernel answers with ICMP port unreachable.
    Closed,
}

fn status_reply(trn_id: u16) -> Vec<u8> {
    let ns = NodeStatus {
        names: vec![NodeName {
            name: NbName::new("FAKE", 0x20).unwrap(),
            flags: NameFlags(0x0400),
        }],
        statistics: Statistics(vec![2, 0, 0, 0, 0, 1]),
    };
    let mut rdata = Vec::new();
    ns.encode(&mut rdata);
    reply_with(trn_id, rdata)
}

fn reply_with(trn_id: u16, rdata: Vec<u8>) -> Vec<u8> {
    let mut p =
        smbaudit_wire::nbns::node_status_request(trn_id, QualifiedName::new(NbName::WILDCARD));
    p.questions.clear();
    p.header.flags = Flags(0x8400);
    p.answers.push(ResourceRecord {
        name: QualifiedName::new(NbName::WILDCARD),
        rr_type: RrType::NBSTAT,
        rr_class: CLASS_IN,
        ttl: 0,
        rdata,
    });
    p.to_vec()
}

/// Serves `behaviour` on `ip:port` for at most `limit` queries or 10 s, whichever first.
async fn responder(ip: Ipv4Addr, port: u16, behaviour: Behaviour) -> tokio::task::JoinHandle<()> {
    if matches!(behaviour, Behaviour::Closed) {
        return tokio::spawn(async {});
    }
    let sock = UdpSocket::bind((ip, port)).await.expect("bind responder");
    let elsewhere = UdpSocket::bind((Ipv4Addr::new(127, 0, 0, 99), 0))
        .await
        .expect("bind elsewhere");
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        let mut seen = 0;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while seen < 10 {
            let Ok(Ok((n, from))) =
                tokio::time::timeout_at(deadline, sock.recv_from(&mut buf)).await
            else {
                return;
            };
            seen += 1;
            let query = Packet::decode(&buf[..n]).expect("our query decodes");
            let trn = query.header.trn_id;
            let reply = match behaviour {
                Behaviour::Answer | Behaviour::AnswerFromElsewhere => status_reply(trn),
                Behaviour::DropFirst if seen == 1 => continue,
                Behaviour::DropFirst => status_reply(trn),
                Behaviour::WrongTrnId => status_reply(trn.wrapping_add(1)),
                Behaviour::Garbage => {
                    let mut g = trn.to_be_bytes().to_vec();
                    g.extend_from_slice(&[0x84, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 1, 2, 3]);
                    g
                }
                Behaviour::LyingCount => reply_with(trn, vec![255, b'A', b'B']),
                Behaviour::Silent | Behaviour::Closed => continue,
                Behaviour::WackThenAnswer => {
                    let mut wack = Packet::decode(&status_reply(trn)).unwrap();
                    wack.header.flags = Flags(0xBC00);
                    wack.answers[0].ttl = 1;
                    let _ = sock.send_to(&wack.to_vec(), from).await;
                    tokio::time::sleep(Duration::from_millis(600)).await;
                    status_reply(trn)
                }
            };
            let via = if matches!(behaviour, Behaviour::AnswerFromElsewhere) {
                &elsewhere
            } else {
                &sock
            };
            let _ = via.send_to(&reply, from).await;
        }
    })
}

async fn run_sweep(
    cases: &[(u8, Behaviour)],
    cfg: SweepConfig,
) -> (Vec<HostResult>, smbaudit_engine::nbns::SweepStats) {
    let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let mut tasks = Vec::new();
    for (last, b) in cases {
        tasks.push(responder(Ipv4Addr::new(127, 0, 0, *last), port, *b).await);
    }
    let targets: Vec<Ipv4Addr> = cases
        .iter()
        .map(|(l, _)| Ipv4Addr::new(127, 0, 0, *l))
        .collect();
    let mut results = Vec::new();
    let cfg = SweepConfig { port, ..cfg };
    let stats = tokio::time::timeout(
        Duration::from_secs(20),
        sweep(
            targets.into_iter(),
            Query::node_status(),
            &cfg,
            &CancellationToken::new(),
            |r| results.push(r),
        ),
    )
    .await
    .expect("sweep ends by itself")
    .expect("sweep runs");
    tasks.iter().for_each(|t| t.abort());
    results.sort_by_key(|r| r.ip);
    (results, stats)
}

fn fast() -> SweepConfig {
    SweepConfig {
        timeout: Duration::from_millis(400),
        retries: 1,
        ..SweepConfig::default()
    }
}

#[tokio::test]
async fn reports_each_kind_of_reply_and_only_matching_ones() {
    let (results, stats) = run_sweep(
        &[
            (2, Behaviour::Answer),
            (3, Behaviour::WrongTrnId),
            (4, Behaviour::Garbage),
            (5, Behaviour::LyingCount),
            (6, Behaviour::Silent),
            (7, Behaviour::AnswerFromElsewhere),
        ],
        fast(),
    )
    .await;
    assert_eq!(results.len(), 6, "one result per target: {results:?}");
    let by = |last: u8| {
        results
            .iter()
            .find(|r| r.ip == Ipv4Addr::new(127, 0, 0, last))
            .unwrap()
    };
    match &by(2).outcome {
        Outcome::Reply(NbnsReply::NodeStatus(ns)) => {
            assert_eq!(ns.names[0].name.trimmed(), b"FAKE");
            assert_eq!(ns.statistics.unit_id(), Some([2, 0, 0, 0, 0, 1]));
        }
        other => panic!("127.0.0.2: {other:?}"),
    }
    assert_eq!(
        by(3).outcome,
        Outcome::NoReply,
        "a reply with another transaction ID is not ours"
    );
    assert!(matches!(
        by(4).outcome,
        Outcome::Reply(NbnsReply::Malformed(_))
    ));
    assert!(matches!(
        by(5).outcome,
        Outcome::Reply(NbnsReply::Malformed(_))
    ));
    assert_eq!(by(6).outcome, Outcome::NoReply);
    assert_eq!(by(6).attempts, 2, "silent host got the retry");
    assert_eq!(
        by(7).outcome,
        Outcome::NoReply,
        "a reply from an address not queried is never reported"
    );
    assert!(results.iter().all(|r| r.ip != Ipv4Addr::new(127, 0, 0, 99)));
    assert!(
        stats.stray >= 2,
        "wrong-ID and wrong-source replies were counted as stray: {stats:?}"
    );
    assert_eq!(stats.replied, 3);
    assert_eq!(stats.silent, 3);
}

#[tokio::test]
async fn retransmission_recovers_a_lost_query() {
    let (results, stats) = run_sweep(&[(12, Behaviour::DropFirst)], fast()).await;
    assert!(matches!(
        results[0].outcome,
        Outcome::Reply(NbnsReply::NodeStatus(_))
    ));
    assert_eq!(results[0].attempts, 2);
    assert_eq!(stats.retransmitted, 1);
}

#[tokio::test]
async fn wack_extends_the_wait_without_a_retransmission() {
    let (results, stats) = run_sweep(
        &[(14, Behaviour::WackThenAnswer)],
        SweepConfig {
            retries: 0,
            ..fast()
        },
    )
    .await;
    assert!(
        matches!(results[0].outcome, Outcome::Reply(NbnsReply::NodeStatus(_))),
        "{results:?}"
    );
    assert_eq!(results[0].attempts, 1);
    assert_eq!(stats.sent, 1);
}

#[tokio::test]
async fn without_retries_a_lost_query_loses_the_host() {
    let (results, _) = run_sweep(
        &[(13, Behaviour::DropFirst)],
        SweepConfig {
            retries: 0,
            ..fast()
        },
    )
    .await;
    assert_eq!(results[0].outcome, Outcome::NoReply);
    assert_eq!(results[0].attempts, 1);
}

#[tokio::test]
async fn cancelled_sweep_stops_early() {
    let cancel = CancellationToken::new();
    cancel.cancel();
    let targets = (0..1u32 << 20).map(|i| Ipv4Addr::from(0x7F00_0000 | i));
    let cfg = SweepConfig { port: 9, ..fast() };
    let stats = tokio::time::timeout(
        Duration::from_secs(5),
        sweep(targets, Query::node_status(), &cfg, &cancel, |_| {}),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(stats.cancelled);
    assert!(stats.targets < 1 << 20);
    let _ = SocketAddr::from(([127, 0, 0, 1], 0));
}

/// A closed 137 answers with ICMP port unreachable: read from the socket's error queue, it
/// ends that target at once (no retransmission, no timeout) and leaves the others alone; the
/// next send, which the kernel hands the same error, is not lost to it.
#[tokio::test]
async fn icmp_port_unreachable_marks_the_port_closed() {
    let (results, stats) = run_sweep(
        &[
            (20, Behaviour::Closed),
            (21, Behaviour::Answer),
            (22, Behaviour::Closed),
            (23, Behaviour::Answer),
            (24, Behaviour::Silent),
        ],
        fast(),
    )
    .await;
    assert_eq!(results.len(), 5, "{results:?}");
    for (r, last) in results.iter().zip(20u8..) {
        assert_eq!(r.ip, Ipv4Addr::new(127, 0, 0, last));
        match (last, &r.outcome) {
            (20 | 22, Outcome::Unreachable(why)) => {
                assert!(why.port_closed(), "{why:?}");
                assert_eq!(why.from, Some(r.ip), "the target itself said so");
                assert_eq!(r.attempts, 1, "no retransmission after the ICMP");
            }
            (21 | 23, Outcome::Reply(NbnsReply::NodeStatus(_))) => {}
            (24, Outcome::NoReply) => assert_eq!(r.attempts, 2),
            (_, other) => panic!("127.0.0.{last}: {other:?}"),
        }
    }
    assert_eq!(
        (
            stats.unreachable,
            stats.replied,
            stats.silent,
            stats.send_failed
        ),
        (2, 2, 1, 0),
        "{stats:?}"
    );
    assert_eq!(
        stats.sent, 6,
        "one query each, one retry for the silent one"
    );
}
