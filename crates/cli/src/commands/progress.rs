//! The scan's progress bar on stderr, with an ETA that does not swing.
//!
//! indicatif's own `{eta}` extrapolates from the last few steps, so in the first seconds
//! (a burst of silent hosts, then a slow one) it jumps between 0 s and hours. This ETA is
//! the whole run's average pace, and is shown only once enough of the run is behind it.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use smbaudit_engine::scan::ScanProgress;

use crate::args::ScanArgs;

/// A progress bar on stderr when it is a terminal (none when piped or with -q).
pub(crate) fn progress_bar(args: &ScanArgs, total: Option<u64>) -> ProgressBar {
    if args.quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} hosts, ETA {steady_eta} {msg}",
        )
        .map(|style| {
            style.with_key(
                "steady_eta",
                |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                    let text = steady_eta(state.elapsed(), state.pos(), state.len());
                    let _ = out.write_str(&text);
                },
            )
        })
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Time left at the run's average pace so far; "-" until at least 5 s and 2 % of the
/// hosts (or 20 hosts) are behind it.
pub(crate) fn steady_eta(elapsed: Duration, done: u64, total: Option<u64>) -> String {
    let Some(total) = total.filter(|t| *t > 0) else {
        return "-".into();
    };
    let enough = elapsed >= Duration::from_secs(5) && (done * 50 >= total || done >= 20);
    if !enough || done == 0 {
        return "-".into();
    }
    let left = total.saturating_sub(done) as f64;
    let secs = (elapsed.as_secs_f64() * left / done as f64).round() as u64;
    let mut text = String::new();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let _ = if h > 0 {
        write!(text, "{h}h{m:02}m")
    } else if m > 0 {
        write!(text, "{m}m{s:02}s")
    } else {
        write!(text, "{s}s")
    };
    text
}

/// Moves `bar` along the engine's counters until it is finished (the NBSTAT counter only
/// when 137/udp is probed; both stages' counters when the scan has discovery).
pub(crate) fn tick(bar: &ProgressBar, progress: Arc<ScanProgress>, udp137: bool, staged: bool) {
    if bar.is_hidden() {
        return;
    }
    let ticker = bar.clone();
    tokio::spawn(async move {
        while !ticker.is_finished() {
            ticker.set_position(progress.done.load(Ordering::Relaxed));
            ticker.set_message(message(&progress, udp137, staged));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
}

/// The bar's words: the stage under way and its counts.
fn message(progress: &ScanProgress, udp137: bool, staged: bool) -> String {
    let load = |n: &std::sync::atomic::AtomicU64| n.load(Ordering::Relaxed);
    let udp_done = progress.udp_done.load(Ordering::Relaxed);
    let nbstat = if udp137 {
        format!("{} NBSTAT replies, ", load(&progress.nbstat_replies))
    } else {
        String::new()
    };
    if !udp_done && udp137 {
        return format!("UDP 137: {nbstat}");
    }
    if staged {
        let d = &progress.discovery;
        let swept = if d.done.load(Ordering::Relaxed) {
            "done"
        } else {
            "sending"
        };
        return format!(
            "discovery ({swept}): {} sent, {} open; fingerprinted {} of {} found; {nbstat}{} SMB hosts",
            load(&d.sent),
            load(&d.open),
            load(&progress.fingerprinted),
            load(&progress.found),
            load(&progress.smb_hosts),
        );
    }
    format!("TCP: {nbstat}{} SMB hosts", load(&progress.smb_hosts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_both_stages() {
        let p = ScanProgress::default();
        p.udp_done.store(true, Ordering::Relaxed);
        p.discovery.sent.store(512, Ordering::Relaxed);
        p.discovery.open.store(3, Ordering::Relaxed);
        p.found.store(2, Ordering::Relaxed);
        p.fingerprinted.store(1, Ordering::Relaxed);
        assert_eq!(
            message(&p, false, true),
            "discovery (sending): 512 sent, 3 open; fingerprinted 1 of 2 found; 0 SMB hosts"
        );
        assert_eq!(
            message(&p, true, false),
            "TCP: 0 NBSTAT replies, 0 SMB hosts"
        );
    }

    #[test]
    fn eta_waits_until_the_pace_is_known_then_follows_the_average() {
        let s = Duration::from_secs;
        assert_eq!(steady_eta(s(1), 500, Some(1000)), "-", "too early");
        assert_eq!(steady_eta(s(30), 3, Some(4096)), "-", "too few hosts");
        assert_eq!(steady_eta(s(10), 100, Some(1000)), "1m30s");
        assert_eq!(steady_eta(s(10), 100, None), "-");
        // A burst of fast hosts then a slow one does not swing it: the average moves slowly.
        let before = steady_eta(s(10), 200, Some(4096));
        let after = steady_eta(s(12), 201, Some(4096));
        assert_eq!((before.as_str(), after.as_str()), ("3m15s", "3m53s"));
        assert_eq!(steady_eta(s(3600), 100, Some(1000)), "9h00m");
        assert_eq!(steady_eta(s(10), 1000, Some(1000)), "0s");
    }
}
