//! Running out of file descriptors is not a verdict on a port: `tcp::connect` backs off
//! while the process is at its RLIMIT_NOFILE and connects once descriptors free up.
//!
//! Its own test binary (one test): the limit it lowers is the whole process's.
//! Network: one listener and one connect, both on 127.0.0.1.

use std::fs::File;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use nix::sys::resource::{Resource, getrlimit, setrlimit};
use smbaudit_engine::tcp::{self, PortState};
use tokio::net::TcpListener;

/// Descriptors the test may open while filling the table; more means the limit did not hold.
const MAX_FILLERS: usize = 4096;

/// Lowers the soft limit a little above what is open now and opens files up to it; the
/// caller restores the limit.
fn fill_descriptor_table(hard: u64) -> Vec<File> {
    let in_use = std::fs::read_dir("/proc/self/fd").unwrap().count() as u64;
    setrlimit(Resource::RLIMIT_NOFILE, in_use + 16, hard).unwrap();
    let mut fillers = Vec::new();
    while let Ok(f) = File::open("/dev/null") {
        fillers.push(f);
        assert!(
            fillers.len() < MAX_FILLERS,
            "the lowered limit did not hold"
        );
    }
    fillers
}

#[tokio::test(flavor = "current_thread")]
async fn connect_waits_out_emfile_instead_of_failing() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();

    let fillers = fill_descriptor_table(hard);
    assert!(
        matches!(File::open("/dev/null"), Err(e) if e.raw_os_error() == Some(nix::libc::EMFILE)),
        "the table is full"
    );

    // Free the descriptors 300 ms into the attempt.
    let freed_at = Instant::now() + Duration::from_millis(300);
    let free = async move {
        tokio::time::sleep_until(freed_at.into()).await;
        drop(fillers);
    };
    let started = Instant::now();
    let (result, ()) = tokio::join!(
        tcp::connect(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
            Duration::from_secs(5)
        ),
        free
    );
    setrlimit(Resource::RLIMIT_NOFILE, soft, hard).unwrap();
    let took = started.elapsed();
    assert!(result.is_ok(), "connect failed: {:?}", result.err());
    assert!(
        took >= Duration::from_millis(300),
        "connected before any descriptor was free ({took:?})"
    );

    // With the table full for the whole attempt, the answer is a timeout (filtered),
    // never `closed`.
    let fillers = fill_descriptor_table(hard);
    let verdict = tcp::connect(
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        port,
        Duration::from_millis(200),
    )
    .await;
    drop(fillers);
    setrlimit(Resource::RLIMIT_NOFILE, soft, hard).unwrap();
    assert_eq!(verdict.err(), Some(PortState::Filtered));
}
