//! Benchmark: host records stored per second into PostgreSQL by the backend's writer
//! (binary COPY straight into `hosts` and `findings`, two batches side by side on two
//! connections; see `benches/pgstore.sh`) against row-by-row INSERTs of the same rows in
//! transactions of the same size, on a local cluster (fsync on) over its Unix socket.
//!
//! Run: `benches/pgstore.sh` (a release build), or
//! `cargo test --release -p smbaudit-store-postgres --test postgres_bench -- --ignored --nocapture`.
//! Both paths include the JSON encoding of each record and finding.

#[path = "../../store/tests/common/mod.rs"]
mod common;
mod pg;

use std::time::Instant;

use common::{bare_host_json, finding, meta, record};
use pg::Cluster;
use smbaudit_findings::record::HostRecord;
use smbaudit_findings::{Finding, Severity};
use smbaudit_store::{ScanStatus, ScanStore, StoreLocation};
use smbaudit_store_postgres::{BATCH_HOSTS, PostgresStore};

/// Hosts per run (`SMBAUDIT_BENCH_HOSTS` overrides).
const DEFAULT_HOSTS: u32 = 100_000;

/// The `i`-th host (10.x.y.z) and its `i % 3` findings.
fn nth(i: u32) -> (HostRecord, Vec<Finding>) {
    let ip = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    let rules = ["smb-signing-not-required", "ntlm-info-disclosure"];
    let findings = rules
        .iter()
        .take((i % 3) as usize)
        .map(|rule| finding(&ip, rule, Severity::Medium))
        .collect();
    (record(bare_host_json(&ip)), findings)
}

fn postgres_url(location: &str) -> smbaudit_store::PostgresUrl {
    match StoreLocation::parse(location.as_ref()) {
        StoreLocation::Postgres(url) => url,
        other => panic!("{other:?}"),
    }
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture (see the module doc)"]
fn hosts_per_second_copy_vs_row_by_row_insert() {
    let Some(cluster) = Cluster::start_with(true) else {
        return;
    };
    let n: u32 = std::env::var("SMBAUDIT_BENCH_HOSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_HOSTS);
    let results: Vec<_> = (0..n).map(nth).collect();
    let findings: usize = results.iter().map(|(_, f)| f.len()).sum();

    // COPY: the backend's writer.
    let url = cluster.fresh();
    let store = PostgresStore::open(&postgres_url(&url)).unwrap();
    let scan = store.begin_scan(&meta(&["10.0.0.0/8"])).unwrap();
    let started = Instant::now();
    let writer = store.writer(scan).unwrap();
    for (host, f) in &results {
        writer.send(host, f).unwrap();
    }
    let stats = writer.finish(ScanStatus::Finished).unwrap();
    let copy_secs = started.elapsed().as_secs_f64();
    assert_eq!(stats.hosts, u64::from(n));
    assert_eq!(store.scan(scan).unwrap().hosts, u64::from(n));
    assert_eq!(store.scan(scan).unwrap().findings(), findings as u64);

    // Row by row: the same rows and upserts, one statement each.
    let db = cluster.create_db();
    drop(PostgresStore::open(&postgres_url(&cluster.url(&db))).unwrap());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let insert_secs = rt.block_on(async {
        let config = format!(
            "host={} port={} user={} password={} dbname={db}",
            cluster.socket_dir().display(),
            cluster.port,
            pg::USER,
            pg::PASSWORD
        );
        let (mut client, conn) = tokio_postgres::connect(&config, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        let id: i64 = client
            .query_one(
                "INSERT INTO scans (started, status, targets_json, command, vantage)
                 VALUES ('2026-01-01T00:00:00Z', 'running', '[]', 'bench', 'lan') RETURNING id",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        let started = Instant::now();
        for chunk in results.chunks(BATCH_HOSTS) {
            let tx = client.transaction().await.unwrap();
            let forget = tx
                .prepare("DELETE FROM findings WHERE scan_id = $1 AND ip = $2")
                .await
                .unwrap();
            let host = tx
                .prepare(
                    "INSERT INTO hosts (scan_id, ip, record_json, written) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (scan_id, ip)
                     DO UPDATE SET record_json = excluded.record_json, written = excluded.written",
                )
                .await
                .unwrap();
            let finding = tx
                .prepare(
                    "INSERT INTO findings (scan_id, ip, rule_id, severity, finding_json)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (scan_id, ip, rule_id)
                     DO UPDATE SET severity = excluded.severity, finding_json = excluded.finding_json",
                )
                .await
                .unwrap();
            for (h, fs) in chunk {
                let ip = h.ip.to_string();
                let json = serde_json::to_string(h).unwrap();
                tx.execute(&forget, &[&id, &ip]).await.unwrap();
                tx.execute(&host, &[&id, &ip, &json, &"2026-01-01T00:00:00Z"])
                    .await
                    .unwrap();
                for f in fs {
                    let fj = serde_json::to_string(f).unwrap();
                    tx.execute(&finding, &[&id, &ip, &f.rule_id, &f.severity.as_str(), &fj])
                        .await
                        .unwrap();
                }
            }
            tx.commit().await.unwrap();
        }
        started.elapsed().as_secs_f64()
    });

    let rate = |secs: f64| f64::from(n) / secs;
    println!(
        "{n} hosts ({findings} findings), transactions of {BATCH_HOSTS} hosts (the writer: two \
         at a time, on two connections), fsync on, Unix socket:\n\
         COPY (PostgresWriter):  {copy_secs:.2} s, {:.0} hosts/s\n\
         row-by-row INSERT:      {insert_secs:.2} s, {:.0} hosts/s\n\
         speed-up: {:.1}x",
        rate(copy_secs),
        rate(insert_secs),
        insert_secs / copy_secs
    );
}
