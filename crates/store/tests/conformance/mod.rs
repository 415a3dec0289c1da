//! The behaviour every store backend must show, written against `&dyn ScanStore` only.
//!
//! A backend's test file runs [`CASES`], each on a fresh, empty store of its own (see
//! `sqlite_conformance.rs`); a PostgreSQL backend adds one such file and nothing else.

mod shards;

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;

use smbaudit_findings::{Finding, Severity};
use smbaudit_store::{ScanId, ScanStatus, ScanStore, StoreError, StoreErrorKind, WriterStats};

use crate::common::{bare_host_json, finding, full_host_json, host_with, meta, record};

/// One conformance case: its name and the check, run on a fresh, empty store.
pub(crate) type Case = (&'static str, fn(&dyn ScanStore));

/// Every case, in the order they are run.
pub(crate) const CASES: &[Case] = &[
    ("an_empty_store_lists_nothing", an_empty_store_lists_nothing),
    (
        "scans_are_listed_newest_first",
        scans_are_listed_newest_first,
    ),
    (
        "written_hosts_read_back_sorted",
        written_hosts_read_back_sorted,
    ),
    ("status_changes_and_resume", status_changes_and_resume),
    (
        "a_host_sent_again_replaces_it",
        a_host_sent_again_replaces_it,
    ),
    ("missing_scans_are_not_found", missing_scans_are_not_found),
    (
        "findings_for_another_host_are_refused",
        findings_for_another_host_are_refused,
    ),
    (
        "a_dropped_writer_commits_what_it_had",
        a_dropped_writer_commits_what_it_had,
    ),
    ("diff_compares_two_scans", diff_compares_two_scans),
    (
        "a_named_scan_is_created_once",
        shards::a_named_scan_is_created_once,
    ),
    ("a_shard_is_claimed_once", shards::a_shard_is_claimed_once),
    (
        "shard_writers_keep_their_rows_and_the_scans_status",
        shards::shard_writers_keep_their_rows_and_the_scans_status,
    ),
];

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn an_empty_store_lists_nothing(store: &dyn ScanStore) {
    assert_eq!(store.scans().unwrap(), []);
    assert_eq!(store.last_scan().unwrap(), None);
    assert_eq!(store.last_unfinished().unwrap(), None);
    store.verify().unwrap();
}

fn scans_are_listed_newest_first(store: &dyn ScanStore) {
    let first = store.begin_scan(&meta(&["10.0.0.0/24"])).unwrap();
    let second = store.begin_scan(&meta(&["2001:db8::5"])).unwrap();
    assert!(second > first);
    let ids: Vec<ScanId> = store.scans().unwrap().iter().map(|s| s.id).collect();
    assert_eq!(ids, [second, first]);
    assert_eq!(store.last_scan().unwrap().unwrap().id, second);
    let s = store.scan(first).unwrap();
    assert_eq!(s.targets, ["10.0.0.0/24"]);
    assert_eq!(s.command, "smbaudit scan 10.0.0.0/24");
    assert_eq!(s.vantage, "lan");
    assert_eq!(
        (s.status, s.finished, s.hosts),
        (ScanStatus::Running, None, 0)
    );
    assert!(s.findings_by_severity.is_empty());
    assert!(
        humantime::parse_rfc3339(&s.started).is_ok(),
        "{}",
        s.started
    );
}

fn written_hosts_read_back_sorted(store: &dyn ScanStore) {
    let scan = store.begin_scan(&meta(&["10.0.0.0/24"])).unwrap();
    let hosts = [
        record(full_host_json("192.168.1.10")),
        record(bare_host_json("2001:db8::5")),
        record(full_host_json("10.0.0.2")),
    ];
    let findings = [
        finding("192.168.1.10", "smb-signing-not-required", Severity::Medium),
        finding("192.168.1.10", "ntlm-info-disclosure", Severity::Low),
        finding("10.0.0.2", "smb-signing-not-required", Severity::High),
    ];
    let writer = store.writer(scan).unwrap();
    for h in &hosts {
        let mine: Vec<Finding> = findings.iter().filter(|f| f.ip == h.ip).cloned().collect();
        writer.send(h, &mine).unwrap();
    }
    let stats = writer.finish(ScanStatus::Finished).unwrap();
    assert_eq!((stats.hosts, stats.findings), (3, 3));

    let read = store.hosts(scan).unwrap();
    let addresses: Vec<String> = read.iter().map(|h| h.ip.to_string()).collect();
    assert_eq!(addresses, ["10.0.0.2", "192.168.1.10", "2001:db8::5"]);
    for r in &read {
        let sent = hosts.iter().find(|h| h.ip == r.ip).unwrap();
        // Lossless: the JSON shown again is byte for byte the JSON first rendered.
        assert_eq!(
            serde_json::to_string(r).unwrap(),
            serde_json::to_string(sent).unwrap()
        );
    }
    let mut sorted = findings.to_vec();
    sorted.sort_by(|a, b| (a.ip, &a.rule_id).cmp(&(b.ip, &b.rule_id)));
    assert_eq!(store.findings(scan).unwrap(), sorted);
    let done: HashSet<IpAddr> = hosts.iter().map(|h| h.ip).collect();
    assert_eq!(store.finished_hosts(scan).unwrap(), done);

    let s = store.scan(scan).unwrap();
    assert_eq!(
        (s.status, s.hosts, s.findings()),
        (ScanStatus::Finished, 3, 3)
    );
    let counts = [
        (Severity::High, 1),
        (Severity::Medium, 1),
        (Severity::Low, 1),
    ];
    assert_eq!(s.findings_by_severity, BTreeMap::from(counts));
    let started = humantime::parse_rfc3339(&s.started).unwrap();
    let finished = humantime::parse_rfc3339(s.finished.as_deref().unwrap()).unwrap();
    assert!(finished >= started);
}

fn status_changes_and_resume(store: &dyn ScanStore) {
    let old = store.begin_scan(&meta(&["10.0.0.1"])).unwrap();
    let new = store.begin_scan(&meta(&["10.0.0.2"])).unwrap();
    store.set_status(new, ScanStatus::Interrupted).unwrap();
    let s = store.last_unfinished().unwrap().unwrap();
    assert_eq!((s.id, s.status), (new, ScanStatus::Interrupted));
    assert!(s.finished.is_some());
    store.set_status(new, ScanStatus::Finished).unwrap();
    assert_eq!(store.last_unfinished().unwrap().unwrap().id, old);
    store.set_status(old, ScanStatus::Finished).unwrap();
    assert_eq!(store.last_unfinished().unwrap(), None);

    // Resuming marks the scan running again and clears its end time.
    let writer = store.writer(new).unwrap();
    let s = store.scan(new).unwrap();
    assert_eq!((s.status, s.finished), (ScanStatus::Running, None));
    writer.finish(ScanStatus::Finished).unwrap();
    assert_eq!(store.scan(new).unwrap().status, ScanStatus::Finished);
}

fn a_host_sent_again_replaces_it(store: &dyn ScanStore) {
    let scan = store.begin_scan(&meta(&["10.0.0.9"])).unwrap();
    let before = record(full_host_json("10.0.0.9"));
    let after = host_with("10.0.0.9", |v| {
        v["smb"]["signing"]["smb2"]["required"] = true.into()
    });
    let w = store.writer(scan).unwrap();
    let two = [
        finding("10.0.0.9", "smb-signing-not-required", Severity::Medium),
        finding("10.0.0.9", "ntlm-info-disclosure", Severity::Low),
    ];
    w.send(&before, &two).unwrap();
    w.finish(ScanStatus::Interrupted).unwrap();
    assert_eq!(store.hosts(scan).unwrap(), [before]);

    // Within one writer and across writers, the last one sent wins.
    let w = store.writer(scan).unwrap();
    w.send(&after, &[]).unwrap();
    let last = finding("10.0.0.9", "ntlm-info-disclosure", Severity::Info);
    w.send(&after, std::slice::from_ref(&last)).unwrap();
    let stats = w.finish(ScanStatus::Finished).unwrap();
    assert_eq!((stats.hosts, stats.findings), (2, 1));
    assert_eq!(store.hosts(scan).unwrap(), [after]);
    assert_eq!(store.findings(scan).unwrap(), [last]);
    let s = store.scan(scan).unwrap();
    assert_eq!((s.hosts, s.findings()), (1, 1));
}

fn missing_scans_are_not_found(store: &dyn ScanStore) {
    let absent = ScanId(42);
    let not_found = |r: Result<(), StoreError>| {
        let e = r.unwrap_err();
        assert!(matches!(e, StoreError::NotFound(ScanId(42))), "{e:?}");
        assert_eq!(e.kind(), StoreErrorKind::NotFound);
        assert_eq!(e.to_string(), "scan 42 not found");
    };
    not_found(store.scan(absent).map(drop));
    not_found(store.hosts(absent).map(drop));
    not_found(store.findings(absent).map(drop));
    not_found(store.finished_hosts(absent).map(drop));
    not_found(store.set_status(absent, ScanStatus::Finished));
    not_found(store.writer(absent).map(drop));
    let real = store.begin_scan(&meta(&["10.0.0.1"])).unwrap();
    not_found(store.diff(real, absent).map(drop));
    not_found(store.diff(absent, real).map(drop));
}

fn findings_for_another_host_are_refused(store: &dyn ScanStore) {
    let scan = store.begin_scan(&meta(&["10.0.0.1"])).unwrap();
    let w = store.writer(scan).unwrap();
    let e = w
        .send(
            &record(bare_host_json("10.0.0.1")),
            &[finding("10.0.0.2", "smb1-enabled", Severity::High)],
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::FindingForOtherHost { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "finding smb1-enabled is for 10.0.0.2 but was sent with host 10.0.0.1"
    );
    assert_eq!(
        w.finish(ScanStatus::Finished).unwrap(),
        WriterStats::default()
    );
    assert_eq!(store.hosts(scan).unwrap(), []);
}

fn a_dropped_writer_commits_what_it_had(store: &dyn ScanStore) {
    let scan = store.begin_scan(&meta(&["10.0.0.1"])).unwrap();
    let host = record(bare_host_json("10.0.0.1"));
    let w = store.writer(scan).unwrap();
    w.send(&host, &[]).unwrap();
    drop(w);
    assert_eq!(store.hosts(scan).unwrap(), [host]);
    assert_eq!(store.scan(scan).unwrap().status, ScanStatus::Running);
}

fn diff_compares_two_scans(store: &dyn ScanStore) {
    // (address, answering): an answering host is the full record, a silent one the bare.
    let write = |hosts: &[(&str, bool)], findings: &[Finding]| {
        let scan = store.begin_scan(&meta(&["10.0.0.0/29"])).unwrap();
        let w = store.writer(scan).unwrap();
        for (addr, answering) in hosts {
            let h = if *answering {
                record(full_host_json(addr))
            } else {
                record(bare_host_json(addr))
            };
            let mine: Vec<Finding> = findings.iter().filter(|f| f.ip == h.ip).cloned().collect();
            w.send(&h, &mine).unwrap();
        }
        w.finish(ScanStatus::Finished).unwrap();
        scan
    };
    let signing = |addr| finding(addr, "smb-signing-not-required", Severity::Medium);
    let a = write(
        &[("10.0.0.1", true), ("10.0.0.2", false), ("10.0.0.3", false)],
        &[signing("10.0.0.1")],
    );
    // 10.0.0.4 only B probed: not compared; 10.0.0.3 silent in both: not listed.
    let b = write(
        &[
            ("10.0.0.1", false),
            ("10.0.0.2", true),
            ("10.0.0.3", false),
            ("10.0.0.4", true),
        ],
        &[signing("10.0.0.2"), signing("10.0.0.4")],
    );
    let d = store.diff(a, b).unwrap();
    assert_eq!((d.a, d.b), (a, b));
    let ports = |v: &[(IpAddr, smbaudit_probe::observation::Port)]| -> Vec<String> {
        v.iter().map(|(i, p)| format!("{i} {p}")).collect()
    };
    assert_eq!(
        ports(&d.ports_opened),
        ["10.0.0.2 139/tcp", "10.0.0.2 445/tcp"]
    );
    assert_eq!(
        ports(&d.ports_closed),
        ["10.0.0.1 139/tcp", "10.0.0.1 445/tcp"]
    );
    assert_eq!(d.hosts_appeared, [ip("10.0.0.2")]);
    assert_eq!(d.hosts_gone, [ip("10.0.0.1")]);
    assert_eq!(d.findings_new, [signing("10.0.0.2")]);
    assert_eq!(d.findings_resolved, [signing("10.0.0.1")]);
    assert_eq!(
        (
            d.scope.common_hosts,
            d.scope.hosts_only_a,
            d.scope.hosts_only_b
        ),
        (3, 0, 1)
    );
    assert!(store.diff(a, a).unwrap().is_empty());
}
