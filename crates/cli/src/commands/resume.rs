//! `scan --resume`: which stored scan to continue, with the options it was started with,
//! and whether a run finished all of its targets.
//!
//! Options that decide what is observed (ports, timeouts, retries, source port, name
//! service, the `--user` name, vantage, the `--seed` and `--shard` of its order) are the stored scan's: given again with another value they are
//! refused, so one scan never mixes hosts probed two ways. Pace (`-c`, `--rate`) and
//! output options may differ: they change how fast and how it is shown, not what is seen.

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

use smbaudit_engine::targets::{Shard, TargetList};
use smbaudit_store::{ScanOptions, ScanStatus, ScanStore, ScanSummary, StoredShard};

use super::stored;
use crate::Fatal;
use crate::args::ScanArgs;

/// The options of `args` that decide what a scan observes, as stored.
pub(crate) fn options_of(args: &ScanArgs) -> ScanOptions {
    let mut ports = args.ports.clone();
    ports.sort_unstable();
    ports.dedup();
    ScanOptions {
        ports,
        connect_timeout_ms: millis(args.connect_timeout),
        reply_timeout_ms: millis(args.reply_timeout),
        host_timeout_ms: millis(args.host_timeout),
        udp_timeout_ms: millis(args.udp.timeout),
        udp_retries: args.udp.retries,
        source_port: args.udp.source_port,
        name_service: match (args.names.wins, args.names.broadcast) {
            (Some(ip), _) => Some(format!("wins {ip}")),
            (None, Some(ip)) => Some(format!("broadcast {ip}")),
            (None, None) => None,
        },
        // The user name only: the password is never stored.
        user: args.user.clone(),
        null_session: !args.no_null_session,
        shares: !args.no_shares,
        write_check: args.write_check,
        seed: args.seed,
        shard: args.shard.filter(|s| !s.is_whole()).map(|s| StoredShard {
            index: s.index(),
            count: s.count(),
        }),
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The scan `--resume` names: the last unfinished one, or the one given, if unfinished
/// and not still running in another process.
pub(crate) fn resumable(db: &dyn ScanStore, name: &str) -> Result<ScanSummary, Fatal> {
    let summary = if name == "last" {
        db.last_unfinished().map_err(Fatal::from)?.ok_or_else(|| {
            Fatal::usage(anyhow::anyhow!(
                "--resume: no interrupted scan in the database"
            ))
        })?
    } else {
        stored::resolve(db, name)?
    };
    if summary.chunks.is_some() {
        return Err(Fatal::usage(anyhow::anyhow!(
            "--resume: scan {} takes its work from a queue: run a worker again with --queue --scan-name {} and the scan's targets and --seed",
            summary.id,
            summary.name.as_deref().unwrap_or("NAME")
        )));
    }
    if !summary.unfinished() {
        return Err(Fatal::usage(anyhow::anyhow!(
            "--resume: scan {} is already finished",
            summary.id
        )));
    }
    // Running with a live owner: another process is on it. An owner this machine cannot
    // judge (another machine, an older smbaudit's scan) does not stop a resume.
    // (A sharded scan runs on many workers: its shards are claimed one by one instead.)
    let live = summary.status == ScanStatus::Running && summary.shards.is_none();
    if let Some(owner) = summary
        .owner
        .as_ref()
        .filter(|o| live && o.alive() == Some(true))
    {
        return Err(Fatal::usage(anyhow::anyhow!(
            "--resume: scan {} is still running (process {}); stop it first",
            summary.id,
            owner.pid
        )));
    }
    Ok(summary)
}

/// Takes the stored scan's options into `args`. An option given on this command line with
/// another value than the stored one is refused (exit code 2), naming each.
pub(crate) fn adopt_options(args: &mut ScanArgs, summary: &ScanSummary) -> Result<(), Fatal> {
    let Some(stored) = &summary.options else {
        eprintln!(
            "scan: scan {} was stored by an older smbaudit without its options; resuming with this command's",
            summary.id
        );
        return Ok(());
    };
    let now = options_of(args);
    let mut conflicts = Vec::new();
    let mut check = |ids: &[&str], differs: bool, was: String| {
        if differs && ids.iter().any(|id| args.given.contains(*id)) {
            conflicts.push(format!(
                "--{} (the scan used {was})",
                ids[0].replace('_', "-")
            ));
        }
    };
    check(&["ports"], now.ports != stored.ports, join(&stored.ports));
    let ms = |v: u64| format!("{v}ms");
    check(
        &["connect_timeout"],
        now.connect_timeout_ms != stored.connect_timeout_ms,
        ms(stored.connect_timeout_ms),
    );
    check(
        &["reply_timeout"],
        now.reply_timeout_ms != stored.reply_timeout_ms,
        ms(stored.reply_timeout_ms),
    );
    check(
        &["host_timeout"],
        now.host_timeout_ms != stored.host_timeout_ms,
        ms(stored.host_timeout_ms),
    );
    check(
        &["timeout"],
        now.udp_timeout_ms != stored.udp_timeout_ms,
        ms(stored.udp_timeout_ms),
    );
    check(
        &["retries"],
        now.udp_retries != stored.udp_retries,
        stored.udp_retries.to_string(),
    );
    check(
        &["source_port"],
        now.source_port != stored.source_port,
        stored.source_port.to_string(),
    );
    check(
        &["wins", "broadcast"],
        now.name_service != stored.name_service,
        stored
            .name_service
            .clone()
            .unwrap_or_else(|| "the system resolver".into()),
    );
    check(
        &["no_null_session"],
        now.null_session != stored.null_session,
        if stored.null_session {
            "the null session"
        } else {
            "--no-null-session"
        }
        .into(),
    );
    check(
        &["no_shares"],
        now.shares != stored.shares,
        if stored.shares {
            "share checks"
        } else {
            "--no-shares"
        }
        .into(),
    );
    check(
        &["write_check"],
        now.write_check != stored.write_check,
        if stored.write_check {
            "--write-check"
        } else {
            "no write check"
        }
        .into(),
    );
    check(
        &["user"],
        now.user != stored.user,
        stored
            .user
            .as_deref()
            .map_or_else(|| "no --user".into(), |u| format!("--user {u}")),
    );
    check(
        &["seed"],
        now.seed != stored.seed,
        stored
            .seed
            .map_or_else(|| "the listed order".into(), |s| format!("--seed {s}")),
    );
    // A sharded scan's workers each give their own shard (checked when it is claimed).
    check(
        &["shard"],
        summary.shards.is_none() && now.shard != stored.shard,
        stored
            .shard
            .map_or_else(|| "no --shard".into(), |s| format!("--shard {s}")),
    );
    let vantage = args.vantage.map(|v| v.to_string());
    check(
        &["vantage"],
        vantage.is_some_and(|v| v != summary.vantage),
        summary.vantage.clone(),
    );
    if !conflicts.is_empty() {
        return Err(Fatal::usage(anyhow::anyhow!(
            "--resume: scan {} ran with other options: {}. Resume without them (the scan's own are used), or start a new scan",
            summary.id,
            conflicts.join(", ")
        )));
    }
    apply(args, stored, summary)
}

/// Sets `args` to the stored options.
fn apply(args: &mut ScanArgs, stored: &ScanOptions, summary: &ScanSummary) -> Result<(), Fatal> {
    args.seed = stored.seed;
    // A sharded scan's worker keeps the shard it gave.
    if summary.shards.is_none() {
        args.shard = match stored.shard {
            None => None,
            Some(s) => Some(Shard::new(s.index, s.count).map_err(|e| {
                anyhow::anyhow!("scan {}: the stored shard {s} is not one: {e}", summary.id)
            })?),
        };
    }
    args.ports.clone_from(&stored.ports);
    args.connect_timeout = Duration::from_millis(stored.connect_timeout_ms);
    args.reply_timeout = Duration::from_millis(stored.reply_timeout_ms);
    args.host_timeout = Duration::from_millis(stored.host_timeout_ms);
    args.udp.timeout = Duration::from_millis(stored.udp_timeout_ms);
    args.udp.retries = stored.udp_retries;
    args.udp.source_port = stored.source_port;
    args.no_null_session = !stored.null_session;
    args.no_shares = !stored.shares;
    args.write_check = stored.write_check;
    // The user name only: its password is asked for again, as on the first run.
    args.user.clone_from(&stored.user);
    let service = stored
        .name_service
        .as_deref()
        .and_then(|s| s.split_once(' '));
    args.names.wins = None;
    args.names.broadcast = None;
    match service {
        Some(("wins", ip)) => args.names.wins = ip.parse().ok(),
        Some(("broadcast", ip)) => args.names.broadcast = ip.parse().ok(),
        _ => {}
    }
    Ok(())
}

/// Refuses targets given with `--resume` of a sharded scan: a shard is a share of the
/// scan's own target list, which a subset would number differently.
pub(crate) fn check_no_subset_of_shard(
    args: &ScanArgs,
    summary: &ScanSummary,
) -> Result<(), Fatal> {
    match args.shard.filter(|s| !s.is_whole()) {
        Some(shard) => Err(Fatal::usage(anyhow::anyhow!(
            "--resume: scan {} is shard {shard} of its targets; resume it without targets",
            summary.id
        ))),
        None => Ok(()),
    }
}

fn join(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Refuses targets given with `--resume` that are not the stored scan's: a resumed scan
/// probes (part of) what it was started on, nothing else.
pub(crate) fn check_subset(
    given: &TargetList,
    scan: &TargetList,
    summary: &ScanSummary,
) -> Result<(), Fatal> {
    let outside: Vec<IpAddr> = given
        .iter()
        .filter(|ip| !scan.contains(*ip))
        .take(4)
        .collect();
    if outside.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> = outside.iter().map(ToString::to_string).collect();
    Err(Fatal::usage(anyhow::anyhow!(
        "--resume: {}{} not among the targets of scan {} ({}); start a new scan for them",
        shown.join(", "),
        if outside.len() == 4 { ", ..." } else { "" },
        summary.id,
        summary.targets.join(" ")
    )))
}

/// How many of the scan's targets are still not done after a run that finished every
/// address of `run` (with `done_before` finished by earlier runs).
pub(crate) fn targets_left(
    scan: &TargetList,
    done_before: &HashSet<IpAddr>,
    run: &TargetList,
) -> u64 {
    scan.iter()
        .filter(|ip| !done_before.contains(ip) && !run.contains(*ip))
        .count() as u64
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::{Cli, Command};

    fn scan_args(argv: &[&str], given: &[&str]) -> ScanArgs {
        let cli = Cli::try_parse_from(argv).expect("parses");
        let Some(Command::Scan(mut args)) = cli.command else {
            panic!("not a scan");
        };
        args.given = given.iter().map(|g| (*g).to_owned()).collect();
        args
    }

    fn stored_with_user(user: Option<&str>) -> ScanSummary {
        let args = scan_args(&["smbaudit", "scan", "127.0.0.1"], &[]);
        let mut options = options_of(&args);
        options.user = user.map(str::to_owned);
        ScanSummary {
            id: smbaudit_store::ScanId(7),
            started: String::new(),
            finished: None,
            status: ScanStatus::Interrupted,
            targets: vec!["127.0.0.1".into()],
            command: String::new(),
            vantage: "lan".into(),
            hosts: 0,
            findings_by_severity: Default::default(),
            options: Some(options),
            owner: None,
            name: None,
            shards: None,
            chunks: None,
        }
    }

    #[test]
    fn resume_takes_the_stored_user_name_and_refuses_another() {
        let summary = stored_with_user(Some("CORP\\audit"));
        let mut args = scan_args(&["smbaudit", "scan", "--resume", "7"], &["resume"]);
        adopt_options(&mut args, &summary).expect("adopts");
        assert_eq!(args.user.as_deref(), Some("CORP\\audit"));

        let mut other = scan_args(
            &["smbaudit", "scan", "--resume", "7", "--user", "bob"],
            &["resume", "user"],
        );
        let refused = adopt_options(&mut other, &summary).expect_err("refused");
        assert!(
            format!("{:#}", refused.error).contains("--user (the scan used --user CORP\\audit)"),
            "{:#}",
            refused.error
        );

        let mut none = scan_args(&["smbaudit", "scan", "--resume", "7"], &["resume"]);
        adopt_options(&mut none, &stored_with_user(None)).expect("adopts");
        assert_eq!(none.user, None);
    }

    #[test]
    fn resume_keeps_the_seed_and_shard_and_refuses_others() {
        let first = scan_args(
            &[
                "smbaudit",
                "scan",
                "10.0.0.0/24",
                "--seed",
                "42",
                "--shard",
                "2/3",
            ],
            &["seed", "shard"],
        );
        let mut summary = stored_with_user(None);
        summary.options = Some(options_of(&first));
        let stored = summary.options.as_ref().expect("options");
        assert_eq!(stored.seed, Some(42));
        assert_eq!(stored.shard, Some(StoredShard { index: 2, count: 3 }));

        let mut args = scan_args(&["smbaudit", "scan", "--resume", "7"], &["resume"]);
        adopt_options(&mut args, &summary).expect("adopts");
        assert_eq!(args.seed, Some(42));
        assert_eq!(args.shard, Some(Shard::new(2, 3).expect("a shard")));
        assert!(check_no_subset_of_shard(&args, &summary).is_err());

        let mut other = scan_args(
            &[
                "smbaudit", "scan", "--resume", "7", "--seed", "43", "--shard", "1/3",
            ],
            &["resume", "seed", "shard"],
        );
        let refused = format!(
            "{:#}",
            adopt_options(&mut other, &summary)
                .expect_err("refused")
                .error
        );
        assert!(
            refused.contains("--seed (the scan used --seed 42)"),
            "{refused}"
        );
        assert!(
            refused.contains("--shard (the scan used --shard 2/3)"),
            "{refused}"
        );

        // The same values again are no conflict; a whole scan is stored without a shard.
        let mut same = scan_args(
            &[
                "smbaudit", "scan", "--resume", "7", "--seed", "42", "--shard", "2/3",
            ],
            &["resume", "seed", "shard"],
        );
        adopt_options(&mut same, &summary).expect("adopts");
        let whole = scan_args(&["smbaudit", "scan", "10.0.0.0/24", "--shard", "1/1"], &[]);
        assert_eq!(options_of(&whole).shard, None);
    }
}
