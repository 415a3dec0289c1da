//! UDP 137 NBSTAT queries in the raw sweep's schedule: one slot per address in the same
//! permutation and rate budget as the SYNs, retried on the same passes, answered on a
//! plain UDP socket (no privilege of its own) read by a thread of its own.
//!
//! A query is the wire layer's NODE STATUS REQUEST for the wildcard name; its transaction
//! ID is the low 16 bits of the scan's keyed cookie over (our address and port, the
//! target and 137), so a reply is accepted only from a target's port 137 with the ID of
//! the query we sent it. 16 bits are a weak proof against a forger who cannot see our
//! queries (2^-16 per packet), which is why the source must also be a target; the
//! answer's contents are the target's word, as in the NBSTAT sweep.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::sync::atomic::Ordering;
use std::time::Duration;

use smbaudit_probe::nbns::{classify_reply, response_header};
use smbaudit_probe::observation::Outcome;
use smbaudit_wire::Encode;
use smbaudit_wire::nbns::{NbName, QualifiedName, RrType, node_status_request};
use smbaudit_wire::tcpip::IpPair;
use smbaudit_wire::tcpip::cookie::SynCookie;
use socket2::{Domain, Socket, Type};
use tokio::sync::mpsc::UnboundedSender;

use super::plan::{Decided, Pairs, Probe};
use super::{RawUnavailable, Shared};
use crate::nbns::icmp;

/// The NetBIOS name service port (RFC 1002 §4.2).
pub const NBNS_PORT: u16 = 137;
/// How long a read blocks before the thread looks at the stop flag again.
const READ_TIMEOUT: Duration = Duration::from_millis(20);
/// The largest datagram read (a NODE STATUS RESPONSE is a few hundred bytes).
const MAX_DATAGRAM: usize = 2048;

/// One address's answer to an NBSTAT query of the raw sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NbstatFound {
    /// The target that answered.
    pub ip: Ipv4Addr,
    /// What it said: its node status, a negative or malformed answer
    /// ([`Outcome::Reply`]), or an ICMP destination unreachable ([`Outcome::Unreachable`]:
    /// port unreachable means 137/udp is closed).
    pub outcome: Outcome,
    /// Time from the start of the stage to the reply.
    pub at: Duration,
}

/// The UDP side of a sweep that carries NBSTAT queries.
#[derive(Debug)]
pub(super) struct Nbstat {
    pub(super) socket: UdpSocket,
    pub(super) found: UnboundedSender<NbstatFound>,
}

/// A UDP socket on `source`, bound to `interface`, for the queries and their answers.
pub(super) fn open_socket(source: Ipv4Addr, interface: &str) -> Result<UdpSocket, RawUnavailable> {
    let io = |what| {
        move |e: io::Error| RawUnavailable::Io {
            what,
            error: e.to_string(),
        }
    };
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, None).map_err(io("UDP socket"))?;
    socket
        .bind_device(Some(interface.as_bytes()))
        .map_err(|e| RawUnavailable::from_socket_error("binding UDP to the interface", &e))?;
    socket
        .bind(&SocketAddr::V4(SocketAddrV4::new(source, 0)).into())
        .map_err(io("binding the UDP socket"))?;
    let _ = socket.set_recv_buffer_size(4 << 20);
    // ICMP errors (port unreachable: 137 closed) are queued with the query's destination.
    icmp::enable(&socket).map_err(io("setting IP_RECVERR"))?;
    socket
        .set_read_timeout(Some(READ_TIMEOUT))
        .map_err(io("setting a read timeout"))?;
    Ok(socket.into())
}

/// The transaction ID of the query from `ours` (address and port) to `target`.
pub(super) fn trn_id(cookie: &SynCookie, ours: SocketAddrV4, target: Ipv4Addr) -> u16 {
    let ips = IpPair::V4 {
        src: *ours.ip(),
        dst: target,
    };
    (cookie.seq(ips, ours.port(), NBNS_PORT) & 0xFFFF) as u16
}

/// The query template: a NODE STATUS REQUEST for `*`, transaction ID 0 (bytes 0-1).
pub(super) fn query_template() -> Vec<u8> {
    node_status_request(0, QualifiedName::new(NbName::WILDCARD)).to_vec()
}

/// Sends one query to `target` with its transaction ID. The caller has paced it and
/// checked its scope. `Err` is the kernel refusing this destination (a broadcast address
/// of our link, no route...), which decides its 137 as the NBSTAT sweep's `send_failed`.
pub(super) fn send_query(
    socket: &UdpSocket,
    template: &mut [u8],
    cookie: &SynCookie,
    target: Ipv4Addr,
) -> io::Result<()> {
    let SocketAddr::V4(ours) = socket.local_addr()? else {
        return Err(io::Error::other("an IPv4 socket with an IPv6 address"));
    };
    let id = trn_id(cookie, ours, target).to_be_bytes();
    if let Some(head) = template.get_mut(..2) {
        head.copy_from_slice(&id);
    }
    // With IP_RECVERR a send also reports the ICMP error of an earlier query (the
    // socket's pending error; the error queue says whose): such a failure is tried again,
    // and only one that repeats belongs to this destination.
    let mut result = socket.send_to(template, (target, NBNS_PORT));
    for _ in 0..2 {
        match &result {
            Err(e) if reported_icmp(e.kind()) => {
                result = socket.send_to(template, (target, NBNS_PORT));
            }
            _ => break,
        }
    }
    result.map(|_| ())
}

/// Whether a socket error is how the kernel reports a queued ICMP error.
fn reported_icmp(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
    )
}

/// Reads answers (and ICMP errors) until the stop flag is raised, deciding NBSTAT pairs
/// and handing them on.
pub(super) fn receive_all(shared: &Shared) -> io::Result<()> {
    let Some(nbstat) = &shared.nbstat else {
        return Ok(());
    };
    let pairs = Pairs::new(&shared.targets, &shared.ports, shared.slots())
        .ok_or_else(|| io::Error::other(RawUnavailable::TooManyTargets))?;
    let SocketAddr::V4(ours) = nbstat.socket.local_addr()? else {
        return Err(io::Error::other("an IPv4 socket with an IPv6 address"));
    };
    let mut buf = vec![0u8; MAX_DATAGRAM];
    while !shared.stop.load(Ordering::Acquire) {
        let (len, from) = match nbstat.socket.recv_from(&mut buf) {
            Ok(got) => got,
            // Nothing to read, or the pending error of an ICMP message (the error queue
            // says whose): the queue is read either way.
            Err(e) if is_quiet(e.kind()) || reported_icmp(e.kind()) => {
                take_icmp_errors(shared, nbstat, &pairs);
                continue;
            }
            Err(e) => return Err(e),
        };
        let datagram = buf.get(..len).unwrap_or(&[]);
        match judge(
            datagram,
            from,
            ours,
            &shared.cookie,
            &pairs,
            &shared.decided,
        ) {
            Some(Some(ip)) => {
                shared.counts.nbstat.fetch_add(1, Ordering::Relaxed);
                let reply = classify_reply(datagram, RrType::NBSTAT);
                report(shared, nbstat, ip, Outcome::Reply(reply));
            }
            Some(None) => {} // a duplicate answer
            None => {
                shared.counts.rejected.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    Ok(())
}

/// Decides `ip`'s NBSTAT pair by `outcome` and hands it on, unless it is decided already;
/// true if this call decided it.
pub(super) fn decide(shared: &Shared, pairs: &Pairs<'_>, ip: Ipv4Addr, outcome: Outcome) -> bool {
    let Some(nbstat) = &shared.nbstat else {
        return false;
    };
    let first = pairs
        .number(IpAddr::V4(ip), Probe::Nbstat)
        .is_some_and(|j| shared.decided.decide(j));
    if first {
        report(shared, nbstat, ip, outcome);
    }
    first
}

/// Counts a decided NBSTAT pair and hands its outcome on.
fn report(shared: &Shared, nbstat: &Nbstat, ip: Ipv4Addr, outcome: Outcome) {
    shared.counts.decided.fetch_add(1, Ordering::Relaxed);
    let at = shared.start.elapsed();
    // The caller may have stopped listening; the counts still hold.
    let _ = nbstat.found.send(NbstatFound { ip, outcome, at });
}

/// A read that found nothing (timeout) or was interrupted.
fn is_quiet(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Decides the NBSTAT pair of every target an ICMP destination unreachable in the error
/// queue names (at most one decision per target, as for answers; a host unreachable from
/// a failed neighbour resolution is not one). The kernel matched the
/// error to a datagram this socket sent to that address and port 137.
fn take_icmp_errors(shared: &Shared, nbstat: &Nbstat, pairs: &Pairs<'_>) {
    // Bounded: the queue holds what the socket's buffer allows, and a pass reads at most
    // this many before the thread goes back to its answers.
    for _ in 0..1024 {
        match icmp::take(&nbstat.socket) {
            // A failed ARP/ND resolution says nothing of 137 (as in the NBSTAT sweep).
            Ok(Some((_, why))) if why.is_neighbour_failure() => {}
            Ok(Some((ip, why))) => {
                decide(shared, pairs, ip, Outcome::Unreachable(why));
            }
            Ok(None) => {}
            Err(_) => return,
        }
    }
}

/// Whether `datagram` from `from` answers our query: `Some(Some(ip))` for the first answer
/// of target `ip`, `Some(None)` for a later one, `None` if it is not ours.
fn judge(
    datagram: &[u8],
    from: SocketAddr,
    ours: SocketAddrV4,
    cookie: &SynCookie,
    pairs: &Pairs<'_>,
    decided: &Decided,
) -> Option<Option<Ipv4Addr>> {
    let SocketAddr::V4(from) = from else {
        return None;
    };
    let ip = *from.ip();
    if from.port() != NBNS_PORT {
        return None;
    }
    let header = response_header(datagram)?;
    if header.trn_id != trn_id(cookie, ours, ip) {
        return None;
    }
    let j = pairs.number(IpAddr::V4(ip), Probe::Nbstat)?;
    Some(decided.decide(j).then_some(ip))
}
