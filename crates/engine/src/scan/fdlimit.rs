//! The file-descriptor limit: raised at start, and the concurrency it allows.

use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// Descriptors kept free for everything that is not a probe socket (stdio, the UDP socket,
/// the store, the runtime).
const RESERVED: u64 = 64;

/// Raises the soft RLIMIT_NOFILE to the hard limit and returns the soft limit now in force
/// (`None` if it cannot be read).
pub fn raise_nofile_limit() -> Option<u64> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
    if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        return Some(hard);
    }
    Some(soft)
}

/// How many hosts can be probed at once with `nofile` descriptors when each host holds up
/// to `sockets_per_host` sockets at a time: at least 1.
pub fn hosts_for_limit(nofile: u64, sockets_per_host: u64) -> usize {
    let usable = nofile.saturating_sub(RESERVED) / sockets_per_host.max(1);
    usize::try_from(usable.max(1)).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_fits_the_limit() {
        assert_eq!(hosts_for_limit(1024, 4), 240);
        assert_eq!(hosts_for_limit(10, 4), 1);
        assert!(raise_nofile_limit().is_some_and(|n| n >= 3));
    }
}
