//! `smbaudit completions SHELL` and `smbaudit man`: shell completions and manual pages,
//! generated from the same clap definitions the parser uses, so they never drift.

use std::io::Write;

use clap::CommandFactory;

use crate::args::{Cli, CompletionsArgs, ManArgs};
use crate::{Fatal, exit};

/// Prints the completion script for `args.shell`.
pub(crate) fn completions(args: &CompletionsArgs) -> Result<u8, Fatal> {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "smbaudit", &mut out);
    out.flush()?;
    Ok(exit::OK)
}

/// Prints smbaudit(1), or with `--dir` writes it and one page per subcommand there
/// (smbaudit-scan(1), ...).
pub(crate) fn man(args: &ManArgs) -> Result<u8, Fatal> {
    let cmd = Cli::command();
    match &args.dir {
        Some(dir) => {
            clap_mangen::generate_to(cmd, dir).map_err(|e| {
                Fatal::from(anyhow::Error::from(e).context(format!("writing {}", dir.display())))
            })?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            out.flush()?;
        }
    }
    Ok(exit::OK)
}
