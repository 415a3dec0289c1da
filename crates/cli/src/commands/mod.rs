//! One module per subcommand. Each validates its arguments, drives the engine and renders.

mod audit;
mod audits;
mod confirm;
mod cursor;
mod diff;
mod discover;
mod docs;
mod dry_run;
mod groups;
mod history;
mod local;
mod lookup;
mod nbstat;
mod order;
mod progress;
mod queue;
mod report;
mod resume;
mod scan;
mod shards;
mod show;
mod stored;

use std::sync::atomic::{AtomicBool, Ordering};

use smbaudit_engine::CancellationToken;
use tokio::signal::unix::{SignalKind, signal};

use crate::Fatal;
use crate::args::{AuditArgs, Cli, Command, LocalArgs};

/// Runs the command line; returns the exit code.
pub(crate) async fn run(cli: Cli) -> Result<u8, Fatal> {
    match cli.command {
        Some(Command::Nbstat(args)) => nbstat::run(args).await,
        Some(Command::Lookup(args)) => lookup::run(args).await,
        Some(Command::Scan(args)) => scan::run(args).await,
        Some(Command::Shares(args)) => scan::run(scan::as_shares(args)).await,
        Some(Command::History(args)) if args.audits => audits::history(&args),
        Some(Command::History(args)) => history::run(&args),
        Some(Command::Show(args)) => show::run(&args),
        Some(Command::Diff(args)) if args.audits => audits::diff(&args),
        Some(Command::Diff(args)) => diff::run(&args),
        Some(Command::Report(args)) => report::run(&args),
        Some(Command::Audit(args)) => audit::run(&args),
        Some(Command::Local(args)) => local::run(args).await,
        Some(Command::Completions(args)) => docs::completions(&args),
        Some(Command::Man(args)) => docs::man(&args),
        None => {
            // The main job: this machine's interfaces, then what loopback answers.
            audit::run(&AuditArgs::default())?;
            println!();
            local::run(LocalArgs::default()).await
        }
    }
}

/// Set once SIGTERM cancelled the run (for the exit code).
static TERMINATED: AtomicBool = AtomicBool::new(false);

/// Whether SIGTERM (rather than Ctrl-C) stopped the run.
pub(crate) fn terminated() -> bool {
    TERMINATED.load(Ordering::Relaxed)
}

/// A token cancelled on the first Ctrl-C (SIGINT) or SIGTERM, so a run stops sending,
/// prints and stores what it finished, and marks the scan interrupted.
pub(crate) fn cancel_on_ctrl_c() -> CancellationToken {
    let token = CancellationToken::new();
    let child = token.clone();
    tokio::spawn(async move {
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            // No SIGTERM handler: Ctrl-C alone still stops the run cleanly.
            if tokio::signal::ctrl_c().await.is_ok() {
                child.cancel();
            }
            return;
        };
        tokio::select! {
            interrupt = tokio::signal::ctrl_c() => {
                if interrupt.is_ok() {
                    child.cancel();
                }
            }
            Some(()) = term.recv() => {
                TERMINATED.store(true, Ordering::Relaxed);
                child.cancel();
            }
        }
    });
    token
}
