//! The receiving thread: a packet socket behind the BPF filter, every frame decoded,
//! checked against the cookie and the targets, and each pair decided once.

use std::io::{self, Read};
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use smbaudit_wire::tcpip::cookie::{SOURCE_PORTS, SynCookie};
use smbaudit_wire::tcpip::{Incoming, ReplyFlags};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::sync::mpsc::UnboundedSender;

use super::plan::{Decided, Pairs, Probe};
use super::{RawUnavailable, Shared, filter};
use crate::discovery::{DiscoveryProgress, Found, PortState};

/// EtherType IPv4, the protocol the packet socket is opened for (incoming frames only:
/// a socket for one protocol does not see what this host sends).
const ETH_P_IP: u16 = 0x0800;
/// How long a read blocks before the thread looks at the stop flag again.
const READ_TIMEOUT: Duration = Duration::from_millis(20);
/// Receive buffer asked for: a reply burst of a fast sweep must not overflow it.
const RECEIVE_BUFFER: usize = 8 << 20;
/// ICMP type 3, destination unreachable (the only ICMP the filter passes).
const ICMP_DEST_UNREACHABLE: u8 = 3;

/// A packet socket for IPv4 frames arriving on interface `ifindex`, filtered.
pub(super) fn open_socket(ifindex: u32) -> Result<Socket, RawUnavailable> {
    let protocol = Protocol::from(i32::from(ETH_P_IP.to_be()));
    let socket = Socket::new(Domain::PACKET, Type::RAW, Some(protocol))
        .map_err(|e| RawUnavailable::from_socket_error("packet socket", &e))?;
    let io = |what| {
        move |e: io::Error| RawUnavailable::Io {
            what,
            error: e.to_string(),
        }
    };
    socket
        .attach_filter(&filter::reply_filter(ifindex))
        .map_err(io("attaching the receive filter"))?;
    // Best effort: the kernel caps it at net.core.rmem_max.
    let _ = socket.set_recv_buffer_size(RECEIVE_BUFFER);
    socket
        .set_read_timeout(Some(READ_TIMEOUT))
        .map_err(io("setting a read timeout"))?;
    drain(&socket);
    Ok(socket)
}

/// Drops what arrived between the socket's creation and its filter.
fn drain(socket: &Socket) {
    let mut buf = [0u8; 2048];
    if socket.set_nonblocking(true).is_ok() {
        while (&*socket).read(&mut buf).is_ok() {}
        let _ = socket.set_nonblocking(false);
    }
}

/// What one frame was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// A first answer for its pair.
    Decided(Found),
    /// A valid answer for a pair already decided (a retransmission's, a duplicate).
    Again,
    /// Not ours: wrong cookie, a port or address that is not a target, or undecodable.
    Rejected,
    /// Nothing that could answer a SYN (passed the filter, e.g. an ICMP quoting UDP).
    Ignored,
}

/// Reads frames until the stop flag is raised, deciding pairs and handing them on.
pub(super) fn receive_all(
    shared: &Shared,
    socket: &Socket,
    progress: &DiscoveryProgress,
    found: &UnboundedSender<Found>,
) -> io::Result<()> {
    let pairs = Pairs::new(&shared.targets, &shared.ports, shared.slots())
        .ok_or_else(|| io::Error::other(RawUnavailable::TooManyTargets))?;
    let mut buf = vec![0u8; 65536];
    let counts = &shared.counts;
    while !shared.stop.load(Ordering::Acquire) {
        let len = match (&*socket).read(&mut buf) {
            Ok(len) => len,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let frame = buf.get(..len).unwrap_or(&[]);
        let at = shared.start.elapsed();
        match classify(frame, &shared.cookie, &pairs, &shared.decided, at) {
            Verdict::Decided(f) => {
                counts.valid.fetch_add(1, Ordering::Relaxed);
                counts.record(&f);
                if f.state == PortState::Open {
                    progress.open.fetch_add(1, Ordering::Relaxed);
                }
                // The caller may have stopped listening; the counts still hold.
                let _ = found.send(f);
            }
            Verdict::Again => {
                counts.valid.fetch_add(1, Ordering::Relaxed);
            }
            Verdict::Rejected => {
                counts.rejected.fetch_add(1, Ordering::Relaxed);
            }
            Verdict::Ignored => {}
        }
    }
    Ok(())
}

/// Decodes one frame and decides what it is (see [`Verdict`]).
pub(super) fn classify(
    frame: &[u8],
    cookie: &SynCookie,
    pairs: &Pairs<'_>,
    decided: &Decided,
    at: Duration,
) -> Verdict {
    let incoming = match Incoming::decode_frame(frame) {
        Ok(Some(incoming)) => incoming,
        Ok(None) => return Verdict::Ignored,
        Err(_) => return Verdict::Rejected,
    };
    if !cookie.validate_incoming(&incoming) {
        return Verdict::Rejected;
    }
    let (ip, port, our_port, state) = match incoming {
        Incoming::Tcp(reply) => {
            let state = match reply.flags {
                ReplyFlags::SynAck => PortState::Open,
                _ => PortState::Closed,
            };
            (reply.src, reply.sport, reply.dport, state)
        }
        Incoming::Unreachable(error) => {
            let state = PortState::Unreachable {
                icmp_type: ICMP_DEST_UNREACHABLE,
                code: error.code,
            };
            (error.probe.dst, error.probe.dport, error.probe.sport, state)
        }
    };
    let Some(j) = pairs.number(ip, Probe::Tcp(port)).filter(|_| ip.is_ipv4()) else {
        return Verdict::Rejected;
    };
    if !decided.decide(j) {
        return Verdict::Again;
    }
    Verdict::Decided(Found {
        ip,
        port,
        state,
        attempt: attempt_of(cookie, ip, port, our_port),
        at,
    })
}

/// Which send (1 for the first) used source port `our_port` towards (`ip`, `port`):
/// attempt `a` sends from the first attempt's port plus `a` ([`SynCookie::source_port`]).
fn attempt_of(cookie: &SynCookie, ip: IpAddr, port: u16, our_port: u16) -> u8 {
    let count = u32::from(*SOURCE_PORTS.end() - *SOURCE_PORTS.start()) + 1;
    let first = u32::from(cookie.source_port(ip, port, 0));
    let offset = (u32::from(our_port) + count - first) % count;
    u8::try_from(offset + 1).unwrap_or(u8::MAX)
}

#[cfg(test)]
#[path = "receive_tests.rs"]
mod tests;
