//! Benchmark (ignored; run by `benches/shards.sh`): the wall time of one scan of the
//! reference lab's farm by 4 shard workers at once against 1 process, into one throwaway
//! PostgreSQL cluster, alternating, `SMBAUDIT_BENCH_RUNS` times; prints the medians. The
//! targets (`SMBAUDIT_BENCH_TARGETS`) must be inside the reference lab's 10.213.0.0/16,
//! which is routed into its namespaces (the script checks).

use std::process::Command;
use std::time::{Duration, Instant};

use crate::lab::output_within;
use crate::pg::Cluster;

const BIN: &str = env!("CARGO_BIN_EXE_smbaudit");
const LIMIT: Duration = Duration::from_secs(600);

fn scan(url: &str, extra: &[&str], targets: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "scan", "--db", url, "-q", "-f", "jsonl", "-p", "445", "--seed", "11",
    ])
    .args(extra)
    .arg(targets)
    .stdout(std::process::Stdio::null());
    cmd
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
#[ignore = "benchmark: benches/shards.sh (needs the reference lab's farm)"]
fn four_shards_vs_one_process() {
    let targets =
        std::env::var("SMBAUDIT_BENCH_TARGETS").unwrap_or_else(|_| "10.213.16.0/20".into());
    assert!(targets.starts_with("10.213."), "only the reference lab");
    let runs: usize = std::env::var("SMBAUDIT_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let Some(cluster) = Cluster::start_with(true) else {
        return;
    };
    let (mut one, mut four) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let url = cluster.fresh();
        let t = Instant::now();
        let out = output_within(&mut scan(&url, &[], &targets), LIMIT).unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        one.push(t.elapsed().as_secs_f64());

        let url = cluster.fresh();
        let t = Instant::now();
        let name = format!("bench{run}");
        let workers: Vec<_> = (1..=4)
            .map(|i| {
                let shard = format!("{i}/4");
                let mut cmd = scan(&url, &["--scan-name", &name, "--shard", &shard], &targets);
                std::thread::spawn(move || output_within(&mut cmd, LIMIT).unwrap())
            })
            .collect();
        for w in workers {
            let out = w.join().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        four.push(t.elapsed().as_secs_f64());
        eprintln!(
            "run {run}: 1 process {:.2} s, 4 shards {:.2} s",
            one[run], four[run]
        );
    }
    eprintln!(
        "{targets}: 1 process {:.2} s, 4 shard workers {:.2} s (medians of {runs})",
        median(one),
        median(four)
    );
}
