//! One module per subcommand. Each validates its arguments, drives the engine and renders.

mod diff;
mod history;
mod local;
mod lookup;
mod nbstat;
mod scan;
mod show;
mod stored;

use smbaudit_engine::CancellationToken;

use crate::Fatal;
use crate::args::{Cli, Command, LocalArgs};

/// Runs the command line; returns the exit code.
pub(crate) async fn run(cli: Cli) -> Result<u8, Fatal> {
    match cli.command {
        Some(Command::Nbstat(args)) => nbstat::run(args).await,
        Some(Command::Lookup(args)) => lookup::run(args).await,
        Some(Command::Scan(args)) => scan::run(args).await,
        Some(Command::History(args)) => history::run(&args),
        Some(Command::Show(args)) => show::run(&args),
        Some(Command::Diff(args)) => diff::run(&args),
        Some(Command::Local(args)) => local::run(args).await,
        None => {
            local::run(LocalArgs {
                timeout: std::time::Duration::from_secs(1),
            })
            .await
        }
    }
}

/// A token cancelled on the first Ctrl-C, so a sweep stops sending and reports what it has.
pub(crate) fn cancel_on_ctrl_c() -> CancellationToken {
    let token = CancellationToken::new();
    let child = token.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            child.cancel();
        }
    });
    token
}
