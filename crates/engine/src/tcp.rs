//! TCP reachability: whether a port is open, closed or filtered, and the evidence.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use smbaudit_probe::observation::PortState as Observed;
use tokio::net::TcpStream;

/// What a connect attempt showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortState {
    /// The handshake completed.
    Open,
    /// The host answered with a reset (connection refused).
    Closed,
    /// Nothing came back before the timeout.
    Filtered,
    /// An ICMP error came back (host or network unreachable, prohibited).
    Unreachable,
}

impl PortState {
    /// The state as nmap names it.
    pub fn observed(self) -> Observed {
        match self {
            Self::Open => Observed::Open,
            Self::Closed => Observed::Closed,
            Self::Filtered | Self::Unreachable => Observed::Filtered,
        }
    }

    /// The state as nmap names it, in text.
    pub fn as_str(self) -> &'static str {
        self.observed().as_str()
    }

    /// What was seen.
    pub fn evidence(self) -> &'static str {
        match self {
            Self::Open => "handshake completed",
            Self::Closed => "RST (connection refused)",
            Self::Filtered => "no answer (timeout)",
            Self::Unreachable => "ICMP unreachable",
        }
    }
}

/// Tries one TCP handshake to `ip:port` and classifies the result.
pub async fn probe_port(ip: IpAddr, port: u16, timeout: Duration) -> PortState {
    match connect(ip, port, timeout).await {
        Ok(_) => PortState::Open,
        Err(state) => state,
    }
}

/// Opens a TCP connection to `ip:port`, or says why the port is not open.
///
/// Running out of file descriptors (EMFILE/ENFILE) is not a verdict on the port: the attempt
/// backs off and retries (up to `timeout` in total) while other hosts' sockets close.
pub async fn connect(ip: IpAddr, port: u16, timeout: Duration) -> Result<TcpStream, PortState> {
    let addr = SocketAddr::new(ip, port);
    let attempt = async {
        let mut backoff = Duration::from_millis(10);
        loop {
            match TcpStream::connect(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) if out_of_descriptors(&e) => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(500));
                }
                Err(e) => return Err(classify_error(&e)),
            }
        }
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .unwrap_or(Err(PortState::Filtered))
}

fn out_of_descriptors(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(code) if code == nix::errno::Errno::EMFILE as i32 || code == nix::errno::Errno::ENFILE as i32
    )
}

fn classify_error(e: &io::Error) -> PortState {
    match e.kind() {
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset => PortState::Closed,
        io::ErrorKind::TimedOut => PortState::Filtered,
        _ => PortState::Unreachable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tells_open_from_closed_on_loopback() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(
            probe_port(ip, port, Duration::from_secs(2)).await,
            PortState::Open
        );
        drop(listener);
        assert_eq!(
            probe_port(ip, port, Duration::from_secs(2)).await,
            PortState::Closed
        );
    }
}
