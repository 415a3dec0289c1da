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

use smbaudit_probe::nbns::{NbnsReply, classify_reply, response_header};
use smbaudit_wire::Encode;
use smbaudit_wire::nbns::{NbName, QualifiedName, RrType, node_status_request};
use smbaudit_wire::tcpip::IpPair;
use smbaudit_wire::tcpip::cookie::SynCookie;
use socket2::{Domain, Socket, Type};
use tokio::sync::mpsc::UnboundedSender;

use super::plan::{Decided, Pairs, Probe};
use super::{RawUnavailable, Shared};

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
    /// What it said: its node status, a negative answer, or a malformed one.
    pub reply: NbnsReply,
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
/// checked its scope.
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
    match socket.send_to(template, (target, NBNS_PORT)) {
        Ok(_) => Ok(()),
        // A broadcast address of our link, as for the SYNs: skipped.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Ok(()),
        Err(e) => Err(e),
    }
}

/// Reads answers until the stop flag is raised, deciding NBSTAT pairs and handing them on.
pub(super) fn receive_all(shared: &Shared, nbstat: &Nbstat) -> io::Result<()> {
    let pairs = Pairs::new(&shared.targets, &shared.ports, shared.slots())
        .ok_or_else(|| io::Error::other(RawUnavailable::TooManyTargets))?;
    let SocketAddr::V4(ours) = nbstat.socket.local_addr()? else {
        return Err(io::Error::other("an IPv4 socket with an IPv6 address"));
    };
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let counts = &shared.counts;
    while !shared.stop.load(Ordering::Acquire) {
        let (len, from) = match nbstat.socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                continue;
            }
            // An ICMP error for an earlier query (port unreachable): nothing to read.
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => continue,
            Err(e) => return Err(e),
        };
        let datagram = buf.get(..len).unwrap_or(&[]);
        let at = shared.start.elapsed();
        match judge(
            datagram,
            from,
            ours,
            &shared.cookie,
            &pairs,
            &shared.decided,
        ) {
            Some(Some(ip)) => {
                counts.nbstat.fetch_add(1, Ordering::Relaxed);
                counts.decided.fetch_add(1, Ordering::Relaxed);
                let reply = classify_reply(datagram, RrType::NBSTAT);
                // The caller may have stopped listening; the counts still hold.
                let _ = nbstat.found.send(NbstatFound { ip, reply, at });
            }
            Some(None) => {} // a duplicate answer
            None => {
                counts.rejected.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    Ok(())
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
