//! Hostile servers against the scan engine: slow, oversized, garbage, resetting, endless,
//! lying, silent and closing servers, each on its own loopback address (127.0.0.N, one
//! shared port; see `hostile/fake_server.rs`), all in one scan next to well-behaved ones.
//!
//! What is proven: each hostile host ends with its own error, named for what it did; SMB1 is
//! never judged on or off from a reply that says nothing about it; time per host stays within
//! `Timeouts.host` (plus slack for a loaded 2-core machine: a bound, not a benchmark); the
//! heap stays small while servers announce 16 MiB frames or send without end; the engine
//! closes every connection it opened; and the well-behaved hosts of the same scan still get
//! their full results.
//!
//! The global allocator counts live heap bytes (`peakmem-alloc`), for the whole process, so
//! the tests of this binary run one at a time ([`SERIAL`]).
//!
//! Network: every listener and every target is a 127.0.0.0/8 address; UDP 137 is off.

#[path = "hostile/fake_server.rs"]
mod fake_server;
#[path = "hostile/messages.rs"]
mod messages;

use std::alloc::System;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use fake_server::{
    Behaviour, ENDLESS_ANNOUNCED, FakeHost, Farm, Framing, GARBAGE_SEED, HTTP_BANNER, Plan,
    WRITE_CAP,
};
use peakmem_alloc::{INSTRUMENTED_SYSTEM, PeakMemAlloc, PeakMemAllocTrait};
use smbaudit_engine::CancellationToken;
use smbaudit_engine::nbns::SweepConfig;
use smbaudit_engine::scan::{
    HostScan, MAX_REPLY, PortSet, ScanConfig, ScanProgress, ScanStats, Timeouts, scan,
};
use smbaudit_engine::targets::TargetList;

#[global_allocator]
static GLOBAL: &PeakMemAlloc<System> = &INSTRUMENTED_SYSTEM;

/// One test at a time: the allocator's counts are process-wide.
static SERIAL: Mutex<()> = Mutex::new(());

/// Small timeouts, so that every slow server costs a few seconds at most.
const QUICK: Timeouts = Timeouts {
    connect: Duration::from_secs(1),
    reply: Duration::from_secs(1),
    host: Duration::from_secs(3),
};
/// Slack over `Timeouts.host` for a loaded machine.
const SLACK: Duration = Duration::from_secs(2);
/// A scan that has not finished after this is a failure.
const SCAN_LIMIT: Duration = Duration::from_secs(30);
/// The heap a scan of hostile servers may hold at its peak.
const HEAP_LIMIT: usize = 8 << 20;

/// Runs `test` on a 2-thread runtime while holding [`SERIAL`].
fn run(test: impl Future<Output = ()>) {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(test);
}

/// What one scan of a [`Farm`] produced.
struct Results {
    hosts: BTreeMap<IpAddr, HostScan>,
    stats: ScanStats,
    port: u16,
}

impl Results {
    /// The result of 127.0.0.`n`.
    fn host(&self, n: u8) -> &HostScan {
        self.hosts
            .get(&IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
            .unwrap_or_else(|| panic!("no result for 127.0.0.{n}"))
    }
}

/// Scans every host of `farm` (and nothing else) on its port, UDP 137 off.
async fn scan_farm(farm: &Farm, timeouts: Timeouts) -> Results {
    let mut targets = TargetList::new();
    for host in &farm.hosts {
        assert!(host.ip.is_loopback(), "only loopback targets");
        targets
            .include(&host.ip.to_string())
            .expect("a loopback address is a target");
    }
    let (nbss, direct) = match farm.framing() {
        Framing::Direct => (None, Some(farm.port)),
        Framing::Nbss => (Some(farm.port), None),
    };
    let cfg = ScanConfig {
        ports: PortSet {
            udp137: false,
            epm: None,
            nbss,
            direct,
            null_session: false,
            shares: false,
            write_check: false,
        },
        timeouts,
        concurrency: 16,
        sweep: SweepConfig::default(),
        skip: Default::default(),
        credentials: None,
        order: None,
        discovery: None,
    };
    let mut hosts = BTreeMap::new();
    let (cancel, progress) = (CancellationToken::new(), ScanProgress::default());
    let scanning = scan(&targets, &cfg, &cancel, &progress, |host: HostScan| {
        let ip = host.ip;
        assert!(hosts.insert(ip, host).is_none(), "{ip} reported twice");
    });
    let stats = tokio::time::timeout(SCAN_LIMIT, scanning)
        .await
        .expect("the scan finished by itself within 30 s")
        .expect("the scan ran");
    for host in hosts.values() {
        report(host);
    }
    assert_eq!(hosts.len(), farm.hosts.len(), "every host has a result");
    assert_eq!(stats.hosts, farm.hosts.len() as u64);
    assert_eq!(stats.unfinished, 0);
    assert!(!stats.cancelled);
    Results {
        hosts,
        stats,
        port: farm.port,
    }
}

/// Prints what the engine said about a host (shown with `--nocapture`).
fn report(host: &HostScan) {
    println!(
        "{} ({} connections, {:?}):",
        host.ip, host.connections, host.elapsed
    );
    for e in &host.errors {
        println!("  {} [{:?}]: {}", e.phase, e.port, e.message);
    }
    if let Some(smb) = &host.smb {
        println!(
            "  smb1 = {:?} ({:?}); max_dialect = {:?}; dialects = {:?}",
            smb.smb1, smb.smb1_reason, smb.max_dialect, smb.dialects
        );
    }
    if let Some(nbss) = &host.nbss {
        for a in &nbss.attempts {
            let detail = a.detail.as_deref().unwrap_or_default();
            let cut = detail
                .char_indices()
                .nth(160)
                .map_or(detail.len(), |(i, _)| i);
            println!(
                "  nbss: {} -> {} {:?} ({} bytes of detail)",
                a.called,
                a.result,
                &detail[..cut],
                detail.len()
            );
        }
    }
}

/// The messages of `host`'s errors in `phase`.
fn errors<'a>(host: &'a HostScan, phase: &str) -> Vec<&'a str> {
    host.errors
        .iter()
        .filter(|e| e.phase.as_str() == phase)
        .map(|e| e.message.as_str())
        .collect()
}

/// Asserts that `host` has exactly one error in `phase` and that it is `expected`.
#[track_caller]
fn assert_error(host: &HostScan, phase: &str, expected: &str) {
    assert_eq!(
        errors(host, phase),
        [expected],
        "{}: {phase} errors (all: {:?})",
        host.ip,
        host.errors
    );
}

/// Asserts that `host` has exactly one error in `phase` and that `test` accepts it.
#[track_caller]
fn assert_error_that(host: &HostScan, phase: &str, test: impl Fn(&str) -> bool) {
    let found = errors(host, phase);
    assert!(
        found.len() == 1 && test(found[0]),
        "{}: unexpected {phase} errors {found:?} (all: {:?})",
        host.ip,
        host.errors
    );
}

/// A server that closed or reset the connection: either is a fair report, while waiting for
/// `waiting_for` or already while sending the request (the reset may come first).
fn refused(message: &str, waiting_for: &str) -> bool {
    ["closed", "reset"].iter().any(|how| {
        [waiting_for, "request to be sent"]
            .iter()
            .any(|what| message == format!("connection {how} by the server before the {what}"))
    })
}

/// Asserts the verdicts every hostile host must get: errors on its own port, no SMB facts
/// made up, SMB1 unknown (never "off" or "on"), time within the host budget.
#[track_caller]
fn assert_hostile(results: &Results, n: u8, timeouts: Timeouts) {
    let host = results.host(n);
    assert!(!host.errors.is_empty(), "{}: no error", host.ip);
    for e in &host.errors {
        assert_eq!(e.port, Some(results.port), "{}: error on {e:?}", host.ip);
    }
    if let Some(smb) = &host.smb {
        assert_eq!(
            smb.smb1, None,
            "{}: SMB1 judged from a hostile reply",
            host.ip
        );
        assert!(
            smb.smb1_reason.is_some(),
            "{}: SMB1 unknown without a reason",
            host.ip
        );
        assert_eq!(
            smb.max_dialect, None,
            "{}: a dialect from a hostile reply",
            host.ip
        );
        assert!(smb.dialects.is_empty());
        assert_eq!(smb.ntlm, None);
    }
    assert!(
        host.elapsed < timeouts.host + SLACK,
        "{}: took {:?}",
        host.ip,
        host.elapsed
    );
}

/// Asserts the facts of a [`Behaviour::Good`] or [`Behaviour::Smb2ToEverything`] host.
#[track_caller]
fn assert_smb2_facts(results: &Results, n: u8) {
    let host = results.host(n);
    let smb = host.smb.as_ref().expect("SMB facts");
    assert_eq!(smb.port, Some(results.port));
    assert_eq!(smb.max_dialect.as_deref(), Some("3.0.2"));
    assert_eq!(smb.dialects, ["2.0.2", "2.1", "3.0", "3.0.2"]);
    assert!(smb.dialects_complete);
    assert_eq!(smb.server_guid.as_deref(), Some(messages::SERVER_GUID_TEXT));
    let signing = smb.signing.smb2.expect("SMB2 signing");
    assert!(signing.enabled && !signing.required);
    let by_port = &smb.by_port[&format!("{}/tcp", results.port)];
    assert_eq!(by_port.max_dialect.as_deref(), Some("3.0.2"));
    assert_eq!(by_port.error, None);
    // SESSION_SETUP is answered STATUS_ACCESS_DENIED: no NTLM facts, and an error that
    // says so; the floor probe (2.0.2 alone) is accepted, so no dialect_probe error.
    assert_eq!(smb.ntlm, None);
    assert_error_that(host, "smb2_session_setup", |m| {
        m.contains("SESSION_SETUP") && m.to_ascii_lowercase().contains("0xc0000022")
    });
    assert!(errors(host, "dialect_probe").is_empty());
    assert!(errors(host, "smb2_negotiate").is_empty());
}

/// Waits (up to 5 s) until `cond` holds; the servers notice a closed connection on their
/// next read or write, a little after the scan has moved on.
async fn eventually(what: &str, cond: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Asserts that the engine opened as many connections to `fake` as it counted, and closed
/// every one that the server held open (none hit the server's own limits).
async fn assert_connections_closed(results: &Results, fake: &FakeHost) {
    let host = &results.hosts[&fake.ip];
    let stats = &fake.stats;
    eventually(
        &format!("{}: accepted = {}", fake.ip, host.connections),
        || stats.accepted() == host.connections,
    )
    .await;
    let ends_by_itself = matches!(
        fake.plan.behaviour,
        Behaviour::ResetMidReply | Behaviour::CloseAtOnce
    );
    if !ends_by_itself {
        eventually(
            &format!("{}: every connection closed by the engine", fake.ip),
            || stats.peer_gone() == stats.accepted(),
        )
        .await;
    }
    assert_eq!(stats.capped(), 0, "{}: a server hit its own limit", fake.ip);
    assert!(stats.written() < WRITE_CAP);
}

#[test]
fn hostile_servers_on_445_each_get_their_own_error() {
    const GOOD: u8 = 1;
    const SMB2_TO_EVERYTHING: u8 = 2;
    const TRICKLE: u8 = 3;
    const HUGE: u8 = 4;
    const GARBAGE: u8 = 5;
    const HTTP: u8 = 6;
    const GARBAGE_MESSAGE: u8 = 7;
    const RESET: u8 = 8;
    const ENDLESS: u8 = 9;
    const SILENT: u8 = 10;
    const CLOSE: u8 = 11;
    run(async {
        let farm = Farm::start(
            Framing::Direct,
            &[
                Plan::smb(Behaviour::Good),
                Plan::smb(Behaviour::Smb2ToEverything),
                Plan::smb(Behaviour::Trickle),
                Plan::smb(Behaviour::HugeLength),
                Plan::smb(Behaviour::RandomGarbage),
                Plan::smb(Behaviour::Send(HTTP_BANNER)),
                Plan::smb(Behaviour::GarbageMessage),
                Plan::smb(Behaviour::ResetMidReply),
                Plan::smb(Behaviour::Endless),
                Plan::smb(Behaviour::Silent),
                Plan::smb(Behaviour::CloseAtOnce),
            ],
        )
        .await;
        let results = scan_farm(&farm, QUICK).await;
        assert!(
            results.stats.elapsed < QUICK.host + SLACK,
            "{:?}",
            results.stats
        );
        for host in results.hosts.values() {
            let port = &host.ports[0];
            assert_eq!(
                (
                    port.port.number,
                    port.port.proto.as_str(),
                    port.state.as_str()
                ),
                (farm.port, "tcp", "open")
            );
        }

        // The well-behaved hosts: full results, A + B + C connections.
        assert_smb2_facts(&results, GOOD);
        let good = results.host(GOOD);
        let smb = good.smb.as_ref().expect("SMB facts");
        assert_eq!(smb.smb1, Some(false), "DialectIndex 0xFFFF is SMB1 off");
        assert!(
            smb.smb1_reason
                .as_deref()
                .is_some_and(|r| r.contains("0xFFFF"))
        );
        assert_eq!(good.errors.len(), 1, "{:?}", good.errors);
        assert_eq!(good.connections, 3);

        // 6. An SMB2 answer to the SMB1-only NEGOTIATE: SMB1 unknown, not "no".
        assert_smb2_facts(&results, SMB2_TO_EVERYTHING);
        let lying = results.host(SMB2_TO_EVERYTHING);
        let smb = lying.smb.as_ref().expect("SMB facts");
        assert_eq!(smb.smb1, None, "an SMB2 reply says nothing about SMB1");
        let why = "server answered an SMB1-only NEGOTIATE with an SMB2 message";
        assert_eq!(smb.smb1_reason.as_deref(), Some(why));
        assert_error(lying, "smb1_negotiate", why);
        assert_eq!(smb.signing.smb1, None);
        assert_eq!(smb.smb1_mode, None);

        for n in TRICKLE..=CLOSE {
            assert_hostile(&results, n, QUICK);
        }
        // 1. One byte per second: the reply timeout cuts each connection.
        let trickle = results.host(TRICKLE);
        assert_error(
            trickle,
            "smb2_negotiate",
            "timeout: no NEGOTIATE response within 1s",
        );
        assert_error(
            trickle,
            "smb1_negotiate",
            "timeout: no SMB1 NEGOTIATE response within 1s",
        );
        // 2. A 16 MiB length (the most 24 bits can say): refused from the header alone.
        let too_large = format!(
            "reply announces {} bytes, over the {MAX_REPLY}-byte cap",
            Framing::Direct.max_len()
        );
        assert_error(results.host(HUGE), "smb2_negotiate", &too_large);
        assert_error(results.host(HUGE), "smb1_negotiate", &too_large);
        // 3. Garbage: the frame header is already wrong.
        let first = messages::pseudo_random(GARBAGE_SEED, 1)[0];
        assert_ne!(
            first, 0,
            "the seed must not start with a frame header's zero byte"
        );
        let garbage =
            format!("malformed frame header: direct TCP zero byte: unexpected value {first:#x}");
        assert_error(results.host(GARBAGE), "smb2_negotiate", &garbage);
        assert_error(results.host(GARBAGE), "smb1_negotiate", &garbage);
        let http = "malformed frame header: direct TCP zero byte: unexpected value 0x48";
        assert_error(results.host(HTTP), "smb2_negotiate", http);
        assert_error(results.host(HTTP), "smb1_negotiate", http);
        //    Well framed, but not SMB.
        let id = <[u8; 4]>::try_from(messages::pseudo_random(GARBAGE_SEED, 4)).expect("4 bytes");
        let not_smb = format!("Unknown({id:?}) message in reply to");
        assert_error(
            results.host(GARBAGE_MESSAGE),
            "smb2_negotiate",
            &format!("{not_smb} an SMB2 NEGOTIATE"),
        );
        assert_error(
            results.host(GARBAGE_MESSAGE),
            "smb1_negotiate",
            &format!("{not_smb} SMB1 NEGOTIATE"),
        );
        // 4. Half a reply, then RST.
        assert_error(
            results.host(RESET),
            "smb2_negotiate",
            "connection reset by the server before the NEGOTIATE response",
        );
        assert_error(
            results.host(RESET),
            "smb1_negotiate",
            "connection reset by the server before the SMB1 NEGOTIATE response",
        );
        // 5. 60 KiB announced and sent (it is garbage), then more without end: the engine
        //    reads what was announced, judges it, and hangs up.
        let filler = "Unknown([171, 171, 171, 171]) message in reply to";
        assert_error(
            results.host(ENDLESS),
            "smb2_negotiate",
            &format!("{filler} an SMB2 NEGOTIATE"),
        );
        assert_error(
            results.host(ENDLESS),
            "smb1_negotiate",
            &format!("{filler} SMB1 NEGOTIATE"),
        );
        let endless = farm.host(ENDLESS);
        assert!(endless.stats.written() >= 2 * ENDLESS_ANNOUNCED as u64);
        // 7. Silence: timeouts, and a timeout is never a "no".
        let silent = results.host(SILENT);
        assert_error(
            silent,
            "smb2_negotiate",
            "timeout: no NEGOTIATE response within 1s",
        );
        assert_error(
            silent,
            "smb1_negotiate",
            "timeout: no SMB1 NEGOTIATE response within 1s",
        );
        assert_eq!(
            silent.smb.as_ref().and_then(|s| s.smb1_reason.as_deref()),
            Some("timeout: no SMB1 NEGOTIATE response within 1s")
        );
        // 8. Closed at once, every time.
        let closed = results.host(CLOSE);
        assert_error_that(closed, "smb2_negotiate", |m| {
            refused(m, "NEGOTIATE response")
        });
        assert_error_that(closed, "smb1_negotiate", |m| {
            refused(m, "SMB1 NEGOTIATE response")
        });
        // No floor probe (connection C) without a highest dialect.
        for n in TRICKLE..=CLOSE {
            assert_eq!(results.host(n).connections, 2, "127.0.0.{n}: A and B only");
            assert!(errors(results.host(n), "dialect_probe").is_empty());
        }
        for fake in &farm.hosts {
            assert_connections_closed(&results, fake).await;
        }
    });
}

#[test]
fn hostile_servers_on_139_each_get_their_own_error() {
    const GOOD: u8 = 1;
    const SMB2_TO_EVERYTHING: u8 = 2;
    const TRICKLE_SESSION: u8 = 3;
    const HUGE: u8 = 4;
    const HUGE_SESSION: u8 = 5;
    const DIRECT_HEADER: u8 = 6;
    const HTTP_SESSION: u8 = 7;
    const GARBAGE: u8 = 8;
    const RESET: u8 = 9;
    const ENDLESS: u8 = 10;
    const KEEP_ALIVES: u8 = 11;
    const SILENT_SESSION: u8 = 12;
    const CLOSE_SESSION: u8 = 13;
    const CLOSE: u8 = 14;
    run(async {
        let farm = Farm::start(
            Framing::Nbss,
            &[
                Plan::smb(Behaviour::Good),
                Plan::smb(Behaviour::Smb2ToEverything),
                Plan::session(Behaviour::Trickle),
                Plan::smb(Behaviour::HugeLength),
                Plan::session(Behaviour::HugeLength),
                Plan::smb(Behaviour::Send(&[0x00, 0xFF, 0xFF, 0xFF])),
                Plan::session(Behaviour::Send(HTTP_BANNER)),
                Plan::smb(Behaviour::RandomGarbage),
                Plan::smb(Behaviour::ResetMidReply),
                Plan::smb(Behaviour::Endless),
                Plan::smb(Behaviour::EndlessKeepAlives),
                Plan::session(Behaviour::Silent),
                Plan::session(Behaviour::CloseAtOnce),
                Plan::smb(Behaviour::CloseAtOnce),
            ],
        )
        .await;
        let results = scan_farm(&farm, QUICK).await;
        assert!(
            results.stats.elapsed < QUICK.host + SLACK,
            "{:?}",
            results.stats
        );

        for n in [GOOD, SMB2_TO_EVERYTHING] {
            assert_smb2_facts(&results, n);
            let host = results.host(n);
            let nbss = host.nbss.as_ref().expect("session facts");
            assert_eq!(nbss.accepted_name.as_deref(), Some("*SMBSERVER"));
            assert_eq!(host.connections, 3);
        }
        assert_eq!(
            results.host(GOOD).smb.as_ref().and_then(|s| s.smb1),
            Some(false)
        );
        assert_eq!(
            results
                .host(SMB2_TO_EVERYTHING)
                .smb
                .as_ref()
                .and_then(|s| s.smb1),
            None
        );
        assert_error(
            results.host(SMB2_TO_EVERYTHING),
            "smb1_negotiate",
            "server answered an SMB1-only NEGOTIATE with an SMB2 message",
        );

        for n in TRICKLE_SESSION..=CLOSE {
            assert_hostile(&results, n, QUICK);
        }
        // Hostile answers to the session request: no SMB at all, one connection.
        let session = |n: u8, expected: &str| {
            let host = results.host(n);
            assert!(
                host.smb.is_none(),
                "{}: SMB facts without a session",
                host.ip
            );
            assert_eq!(host.connections, 1);
            let nbss = host.nbss.as_ref().expect("session facts");
            assert_eq!(nbss.accepted_name, None);
            assert_eq!(nbss.attempts.len(), 1);
            assert_eq!(nbss.attempts[0].result, "error");
            assert_error(
                host,
                "nbss_session",
                &format!("called name *SMBSERVER: {expected}"),
            );
        };
        session(TRICKLE_SESSION, "timeout: no session response within 1s");
        let too_large = format!(
            "reply announces {} bytes, over the {MAX_REPLY}-byte cap",
            Framing::Nbss.max_len()
        );
        session(HUGE_SESSION, &too_large);
        session(
            HTTP_SESSION,
            "malformed frame header: NBSS FLAGS: unexpected value 0x54",
        );
        session(SILENT_SESSION, "timeout: no session response within 1s");
        let closed = results.host(CLOSE_SESSION);
        assert!(closed.smb.is_none());
        assert_error_that(closed, "nbss_session", |m| {
            m.strip_prefix("called name *SMBSERVER: ")
                .is_some_and(|m| refused(m, "session response"))
        });

        // Hostile after a positive session response: SMB errors on A and B.
        assert_error(results.host(HUGE), "smb2_negotiate", &too_large);
        assert_error(results.host(HUGE), "smb1_negotiate", &too_large);
        let flags = "malformed frame header: NBSS FLAGS: unexpected value 0xff";
        assert_error(results.host(DIRECT_HEADER), "smb2_negotiate", flags);
        let [_, second] =
            <[u8; 2]>::try_from(messages::pseudo_random(GARBAGE_SEED, 2)).expect("2 bytes");
        assert_ne!(second & !1, 0, "the seed must make bad NBSS FLAGS");
        let garbage = format!("malformed frame header: NBSS FLAGS: unexpected value {second:#x}");
        assert_error(results.host(GARBAGE), "smb2_negotiate", &garbage);
        assert_error(results.host(GARBAGE), "smb1_negotiate", &garbage);
        assert_error(
            results.host(RESET),
            "smb2_negotiate",
            "connection reset by the server before the NEGOTIATE response",
        );
        assert_error(
            results.host(ENDLESS),
            "smb2_negotiate",
            "Unknown([171, 171, 171, 171]) message in reply to an SMB2 NEGOTIATE",
        );
        assert_error(
            results.host(KEEP_ALIVES),
            "smb2_negotiate",
            "more than 8 keep-alives instead of the NEGOTIATE response",
        );
        assert_error(
            results.host(KEEP_ALIVES),
            "smb1_negotiate",
            "more than 8 keep-alives instead of the SMB1 NEGOTIATE response",
        );
        assert_error_that(results.host(CLOSE), "smb2_negotiate", |m| {
            refused(m, "NEGOTIATE response")
        });
        for n in [
            HUGE,
            DIRECT_HEADER,
            GARBAGE,
            RESET,
            ENDLESS,
            KEEP_ALIVES,
            CLOSE,
        ] {
            let host = results.host(n);
            let nbss = host.nbss.as_ref().expect("session facts");
            assert_eq!(nbss.accepted_name.as_deref(), Some("*SMBSERVER"));
            assert!(host.smb.is_some(), "{}: SMB was reached", host.ip);
            assert_eq!(host.connections, 2, "{}: A and B only", host.ip);
        }
        for fake in &farm.hosts {
            assert_connections_closed(&results, fake).await;
        }
    });
}

#[test]
fn slow_servers_are_cut_by_the_host_budget() {
    // The reply timeout (2 s) fits in the host budget (3 s) once, not twice.
    const TIMEOUTS: Timeouts = Timeouts {
        connect: Duration::from_secs(1),
        reply: Duration::from_secs(2),
        host: Duration::from_secs(3),
    };
    run(async {
        let direct = Farm::start(
            Framing::Direct,
            &[Plan::smb(Behaviour::Good), Plan::smb(Behaviour::Trickle)],
        )
        .await;
        // Each keep-alive comes within the reply timeout; the reply never does.
        let nbss = Farm::start(
            Framing::Nbss,
            &[
                Plan::smb(Behaviour::Good),
                Plan::smb(Behaviour::KeepAliveDrip),
            ],
        )
        .await;
        let (on_445, on_139) =
            tokio::join!(scan_farm(&direct, TIMEOUTS), scan_farm(&nbss, TIMEOUTS));
        for results in [&on_445, &on_139] {
            assert_smb2_facts(results, 1);
            assert_hostile(results, 2, TIMEOUTS);
            let slow = results.host(2);
            assert!(
                slow.elapsed >= Duration::from_millis(2900),
                "{:?}",
                slow.elapsed
            );
            assert_error(slow, "smb1_negotiate", "host time budget exhausted");
            assert_eq!(
                slow.smb.as_ref().and_then(|s| s.smb1_reason.as_deref()),
                Some("host time budget exhausted")
            );
        }
        assert_error(
            on_445.host(2),
            "smb2_negotiate",
            "timeout: no NEGOTIATE response within 2s",
        );
        // Cut by the reply timeout or by the host budget (see
        // `keep_alives_do_not_stretch_the_reply_timeout` for which it should be).
        assert_error_that(on_139.host(2), "smb2_negotiate", |m| {
            m == "timeout: no NEGOTIATE response within 2s" || m == "host time budget exhausted"
        });
        for (results, farm) in [(&on_445, &direct), (&on_139, &nbss)] {
            for fake in &farm.hosts {
                assert_connections_closed(results, fake).await;
            }
        }
    });
}

#[test]
fn huge_lengths_and_endless_data_cost_no_memory() {
    run(async {
        let direct = Farm::start(
            Framing::Direct,
            &[
                Plan::smb(Behaviour::Good),
                Plan::smb(Behaviour::HugeLength),
                Plan::smb(Behaviour::Endless),
                Plan::smb(Behaviour::HugeLength),
                Plan::smb(Behaviour::Endless),
            ],
        )
        .await;
        let nbss = Farm::start(
            Framing::Nbss,
            &[
                Plan::smb(Behaviour::Good),
                Plan::smb(Behaviour::HugeLength),
                Plan::smb(Behaviour::Endless),
                Plan::smb(Behaviour::EndlessKeepAlives),
                Plan::session(Behaviour::HugeLength),
                Plan::session(Behaviour::EndlessKeepAlives),
            ],
        )
        .await;

        GLOBAL.reset_peak_memory();
        let (on_445, on_139) = tokio::join!(scan_farm(&direct, QUICK), scan_farm(&nbss, QUICK));
        let peak = GLOBAL.get_peak_memory();
        println!("peak live heap during the scans: {peak} bytes");

        // The measurement is live: a 16 MiB buffer, as a trusting reader would allocate
        // for the announced length, would show.
        GLOBAL.reset_peak_memory();
        drop(black_box(vec![1u8; Framing::Direct.max_len()]));
        assert!(GLOBAL.get_peak_memory() >= Framing::Direct.max_len());

        assert!(
            peak < HEAP_LIMIT,
            "peak heap {peak} bytes while servers announced 16 MiB or sent without end"
        );
        for n in [2, 4] {
            let host = on_445.host(n);
            assert!(
                errors(host, "smb2_negotiate")[0].starts_with("reply announces 16777215 bytes"),
                "{:?}",
                host.errors
            );
        }
        for n in [3, 5] {
            let host = on_445.host(n);
            assert!(errors(host, "smb2_negotiate")[0].contains("message in reply to"));
        }
        assert!(errors(on_139.host(2), "smb2_negotiate")[0].starts_with("reply announces 131071"));
        assert!(errors(on_139.host(5), "nbss_session")[0].contains("reply announces 131071"));
        assert!(errors(on_139.host(4), "smb2_negotiate")[0].starts_with("more than 8 keep-alives"));
        for (results, farm) in [(&on_445, &direct), (&on_139, &nbss)] {
            assert_smb2_facts(results, 1);
            for fake in &farm.hosts {
                assert_connections_closed(results, fake).await;
            }
        }
    });
}

/// Regression (found by these tests): a keep-alive or a SESSION MESSAGE in answer to the
/// session request was recorded in `nbss.attempts` but gave the host no error, and the
/// attempt's detail was the packet's `Debug` form (300 KB of text for a 60 KiB message).
#[test]
fn odd_answers_to_the_session_request_are_short_host_errors() {
    run(async {
        let farm = Farm::start(
            Framing::Nbss,
            &[
                Plan::smb(Behaviour::Good),
                Plan::session(Behaviour::EndlessKeepAlives),
                Plan::session(Behaviour::GarbageMessage),
                Plan::session(Behaviour::Endless),
            ],
        )
        .await;
        let results = scan_farm(&farm, QUICK).await;
        assert_smb2_facts(&results, 1);
        for n in [4, 3, 2] {
            let host = results.host(n);
            let nbss = host.nbss.as_ref().expect("session facts");
            assert_eq!(nbss.accepted_name, None);
            assert_eq!(nbss.attempts.len(), 1);
            assert_eq!(nbss.attempts[0].result, "error");
            let detail = nbss.attempts[0].detail.as_deref().unwrap_or_default();
            assert!(
                detail.len() < 1024,
                "{}: a {}-byte detail",
                host.ip,
                detail.len()
            );
            assert_hostile(&results, n, QUICK);
            assert_error_that(host, "nbss_session", |m| {
                m.starts_with("called name *SMBSERVER: ") && m.len() < 1024
            });
        }
        for fake in &farm.hosts {
            assert_connections_closed(&results, fake).await;
        }
    });
}

/// Regression (found by these tests): `Timeouts.reply` covers the request sent to the last
/// byte of the answer; every keep-alive frame used to get a fresh reply timeout, so a
/// server sending a keep-alive every 600 ms held each reply for up to 9 frames.
#[test]
fn keep_alives_do_not_stretch_the_reply_timeout() {
    const TIMEOUTS: Timeouts = Timeouts {
        connect: Duration::from_secs(1),
        reply: Duration::from_secs(1),
        host: Duration::from_secs(10),
    };
    run(async {
        let farm = Farm::start(
            Framing::Nbss,
            &[
                Plan::smb(Behaviour::Good),
                Plan::smb(Behaviour::KeepAliveDrip),
            ],
        )
        .await;
        let results = scan_farm(&farm, TIMEOUTS).await;
        assert_smb2_facts(&results, 1);
        assert_hostile(&results, 2, TIMEOUTS);
        let drip = results.host(2);
        assert_error(
            drip,
            "smb2_negotiate",
            "timeout: no NEGOTIATE response within 1s",
        );
        assert_error(
            drip,
            "smb1_negotiate",
            "timeout: no SMB1 NEGOTIATE response within 1s",
        );
        assert!(
            drip.elapsed < 2 * TIMEOUTS.reply + SLACK,
            "two replies waited for took {:?}",
            drip.elapsed
        );
        for fake in &farm.hosts {
            assert_connections_closed(&results, fake).await;
        }
    });
}
