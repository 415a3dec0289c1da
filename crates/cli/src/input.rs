//! Turning target arguments, files and stdin into a resolved target list, before anything
//! is sent. Every failure here is bad input: exit code 2.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use smbaudit_engine::nbns::{LookupConfig, LookupTarget};
use smbaudit_engine::resolve::{Resolver, resolve_all};
use smbaudit_engine::targets::{Scope, TargetErrors, TargetList, text_tokens};

use crate::Fatal;
use crate::args::{NameServiceArgs, TargetArgs};

/// The resolver the name-service flags ask for: NBNS with `--wins`/`--broadcast`, else the
/// system's.
pub(crate) fn resolver(names: &NameServiceArgs, timeout: Duration, retries: u8) -> Resolver {
    let cfg = LookupConfig { timeout, retries };
    match (names.wins, names.broadcast) {
        (Some(ip), _) => Resolver::Netbios(LookupTarget::Wins(ip), cfg),
        (None, Some(ip)) => Resolver::Netbios(LookupTarget::Broadcast(ip), cfg),
        (None, None) => Resolver::System,
    }
}

/// Parses every target and exclusion, then resolves the names in them.
pub(crate) async fn load_targets(
    args: &TargetArgs,
    resolver: Resolver,
) -> Result<TargetList, Fatal> {
    Ok(load_recorded(args, resolver).await?.0)
}

/// [`load_targets`], plus the tokens it read (from the command line, files and stdin), so
/// that a stored scan can be resumed with the same targets: included tokens as they are,
/// excluded ones prefixed with [`EXCLUDED`], and [`ALLOW_RESERVED`] when given.
pub(crate) async fn load_recorded(
    args: &TargetArgs,
    resolver: Resolver,
) -> Result<(TargetList, Vec<String>), Fatal> {
    let mut list = TargetList::new();
    let mut tokens = Vec::new();
    if args.allow_reserved {
        list.set_scope(Scope::Everything);
        tokens.push(ALLOW_RESERVED.to_owned());
    }
    // Every bad token of every source is reported, not only the first.
    let mut bad = TargetErrors::default();
    let mut stdin_used = false;
    for token in &args.targets {
        if token == "-" {
            let text = read_source(Path::new("-"), &mut stdin_used)?;
            collect(list.include_text(&text, "stdin"), &mut bad);
            tokens.extend(text_tokens(&text).map(str::to_owned));
        } else {
            collect(list.include(token).map_err(TargetErrors::from), &mut bad);
            tokens.push(token.clone());
        }
    }
    if let Some(path) = &args.input_file {
        let text = read_source(path, &mut stdin_used)?;
        collect(
            list.include_text(&text, &path.display().to_string()),
            &mut bad,
        );
        tokens.extend(text_tokens(&text).map(str::to_owned));
    }
    for token in &args.exclude {
        collect(list.exclude(token).map_err(TargetErrors::from), &mut bad);
        tokens.push(format!("{EXCLUDED}{token}"));
    }
    if let Some(path) = &args.exclude_file {
        let text = read_source(path, &mut stdin_used)?;
        collect(
            list.exclude_text(&text, &path.display().to_string()),
            &mut bad,
        );
        tokens.extend(text_tokens(&text).map(|t| format!("{EXCLUDED}{t}")));
    }
    if !bad.0.is_empty() {
        return Err(Fatal::usage(bad));
    }
    Ok((finish(list, resolver).await?, tokens))
}

fn collect(result: Result<(), TargetErrors>, bad: &mut TargetErrors) {
    if let Err(e) = result {
        bad.0.extend(e.0);
    }
}

/// Marks an excluded token in a recorded target list (not valid target syntax).
pub(crate) const EXCLUDED: char = '!';

/// Stands for `--allow-reserved` in a recorded target list (read before any token is
/// parsed, so never taken for a host name).
pub(crate) const ALLOW_RESERVED: &str = "--allow-reserved";

/// The target list of recorded tokens (see [`load_recorded`]).
pub(crate) async fn load_tokens(
    tokens: &[String],
    resolver: Resolver,
) -> Result<TargetList, Fatal> {
    let mut list = TargetList::new();
    for token in tokens {
        if token == ALLOW_RESERVED {
            list.set_scope(Scope::Everything);
            continue;
        }
        match token.strip_prefix(EXCLUDED) {
            Some(excluded) => list.exclude(excluded),
            None => list.include(token),
        }
        .map_err(Fatal::usage)?;
    }
    finish(list, resolver).await
}

/// Refuses an empty list and single addresses out of scope, then resolves the names in it.
async fn finish(mut list: TargetList, resolver: Resolver) -> Result<TargetList, Fatal> {
    if list.is_empty() {
        return Err(Fatal::usage(anyhow::anyhow!("no targets given")));
    }
    let refused = list.refused_by_scope();
    if !refused.0.is_empty() {
        return Err(Fatal::usage(refused));
    }
    let names: Vec<String> = list.names().map(str::to_owned).collect();
    if !names.is_empty() {
        let resolved = resolve_all(names.iter().map(String::as_str), resolver)
            .await
            .map_err(Fatal::usage)?;
        list.resolve(&resolved).map_err(Fatal::usage)?;
    }
    let skipped = list.skipped_by_scope();
    if !list.any_left() {
        return Err(Fatal::usage(nothing_left(skipped)));
    }
    if skipped > 0 {
        eprintln!("{}", skipped_note(skipped));
    }
    Ok(list)
}

/// Why no target is left: the exclusions, or the reserved space the ranges are made of.
fn nothing_left(skipped: u128) -> anyhow::Error {
    if skipped == 0 {
        anyhow::anyhow!("the exclusions leave no target to scan")
    } else {
        anyhow::anyhow!(
            "no target left to scan: every target is excluded or in reserved, multicast, \
             broadcast or documentation space ({skipped} address{} skipped; --allow-reserved \
             to scan them)",
            plural(skipped)
        )
    }
}

/// The line that says how much of the ranges the default scope skips.
fn skipped_note(skipped: u128) -> String {
    format!(
        "targets: skipping {skipped} address{} in reserved, multicast, broadcast or documentation \
         space (--allow-reserved to scan them)",
        plural(skipped)
    )
}

fn plural(n: u128) -> &'static str {
    if n == 1 { "" } else { "es" }
}

fn read_source(path: &Path, stdin_used: &mut bool) -> Result<String, Fatal> {
    let mut text = String::new();
    if path == Path::new("-") {
        if std::mem::replace(stdin_used, true) {
            return Err(Fatal::usage(anyhow::anyhow!("stdin (-) given twice")));
        }
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading targets from stdin")
            .map_err(Fatal::usage)?;
    } else {
        text = std::fs::read_to_string(path)
            .with_context(|| format!("reading targets from {}", path.display()))
            .map_err(Fatal::usage)?;
    }
    Ok(text)
}

/// Checks, before anything is sent or printed, that `--source-port` can be bound: a port
/// below `ip_unprivileged_port_start` (1024) needs root or CAP_NET_BIND_SERVICE, and 137 is
/// usually nmbd's. Exit code 1 (the socket could not be opened).
pub(crate) fn check_source_port(port: u16) -> Result<(), Fatal> {
    if port == 0 {
        return Ok(());
    }
    let why = match std::net::UdpSocket::bind((std::net::Ipv4Addr::UNSPECIFIED, port)) {
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            "needs root or CAP_NET_BIND_SERVICE (ports below 1024 are privileged): run with sudo, or `setcap cap_net_bind_service=ep` on the binary".to_owned()
        }
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            "is in use by another program (nmbd, when the port is 137)".to_owned()
        }
        Err(e) => format!("cannot be bound: {e}"),
    };
    Err(Fatal::from(anyhow::anyhow!(
        "--source-port {port}: UDP port {port} {why}"
    )))
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    fn tokens(list: &[&str]) -> Result<TargetList, Fatal> {
        let tokens: Vec<String> = list.iter().map(|t| (*t).to_owned()).collect();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        rt.block_on(load_tokens(&tokens, Resolver::System))
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_recorded_allow_reserved_is_kept_by_a_resumed_scan() {
        let list = tokens(&[ALLOW_RESERVED, "224.0.0.1", "10.0.0.0/31"]).unwrap();
        assert_eq!(list.scope(), Scope::Everything);
        assert!(list.contains(ip("224.0.0.1")));
        assert_eq!(list.iter().count(), 3);
        let refused = tokens(&["224.0.0.1", "10.0.0.0/31"]).unwrap_err();
        assert_eq!(refused.code, crate::exit::USAGE);
        assert!(
            refused.error.to_string().contains("multicast"),
            "{}",
            refused.error
        );
    }

    #[test]
    fn exclusions_and_the_scope_leave_nothing_with_their_own_messages() {
        let excluded = tokens(&["10.0.0.0/30", &format!("{EXCLUDED}10.0.0.0/29")]).unwrap_err();
        assert!(
            excluded
                .error
                .to_string()
                .contains("the exclusions leave no target")
        );
        let reserved = tokens(&["240.0.0.0/30", "224.0.0.0/31"]).unwrap_err();
        let why = reserved.error.to_string();
        assert!(
            why.contains("6 addresses skipped") && why.contains("--allow-reserved"),
            "{why}"
        );
        assert_eq!(
            skipped_note(1),
            "targets: skipping 1 address in reserved, multicast, broadcast or documentation space (--allow-reserved to scan them)"
        );
    }
}
