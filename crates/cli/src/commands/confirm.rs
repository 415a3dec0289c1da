//! Huge scans need a yes: a typo such as `0.0.0.0/0` for `10.0.0.0/8`, or a /8 where a /24
//! was meant, would otherwise sweep address space its user may have no right to scan.

use std::io::{BufRead, IsTerminal, Write};

use smbaudit_engine::targets::TargetList;

use crate::Fatal;

/// More addresses than this (a /12) need `--yes`, or a yes on the terminal.
pub(crate) const HUGE: u128 = 1 << 20;

/// Goes on if the scan is not huge, `yes` was given, or the user answers yes on the
/// terminal (only when stdin is one and holds no targets); refuses with exit 2 otherwise.
pub(crate) fn confirm_huge(
    targets: &TargetList,
    yes: bool,
    stdin_holds_targets: bool,
) -> Result<(), Fatal> {
    let count = targets.len_hint();
    if count <= HUGE || yes {
        return Ok(());
    }
    let interactive =
        !stdin_holds_targets && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if interactive && ask(count) {
        return Ok(());
    }
    Err(Fatal::usage(anyhow::anyhow!(
        "{count} addresses is more than {HUGE}: scan only networks you may scan, and give --yes to go on"
    )))
}

fn ask(count: u128) -> bool {
    eprint!("smbaudit: scan {count} addresses? Only scan networks you may scan. [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(token: &str) -> TargetList {
        let mut l = TargetList::new();
        l.include(token).unwrap();
        l
    }

    #[test]
    fn more_than_a_slash_12_needs_a_yes() {
        // `true`: stdin holds targets, so no question is asked in the test.
        assert!(confirm_huge(&list("127.0.0.0/12"), false, true).is_ok());
        let err = confirm_huge(&list("127.0.0.0/11"), false, true).unwrap_err();
        assert_eq!(err.code, crate::exit::USAGE);
        assert!(
            err.error.to_string().contains("give --yes"),
            "{:#}",
            err.error
        );
        assert!(confirm_huge(&list("0.0.0.0/0"), true, true).is_ok());
    }
}
