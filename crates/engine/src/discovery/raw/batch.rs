//! A batch of SYNs for one `sendmmsg`, and the scope check every packet passes on its way
//! in.
//!
//! The packets are written by the wire layer's hand-written [`Syn`] encoder: no packet
//! crate lets a scanner choose every field (the cookie as sequence number, the source
//! port per attempt, the IP ID) and write straight into a reused buffer, and the encoder
//! is a few dozen lines tested against `etherparse` as an oracle.

use std::io::{self, IoSlice};
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::os::fd::AsRawFd;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::socket::{ControlMessage, MsgFlags, MultiHeaders, SockaddrIn, sendmmsg};
use smbaudit_wire::tcpip::Syn;
use socket2::Socket;

use super::pace::MAX_BATCH;
use crate::targets::TargetLookup;

/// Bytes of an IPv4 SYN as [`Syn`] writes it.
const PACKET_LEN: usize = 44;
/// `sendmmsg` calls retried while the kernel's queue is full (ENOBUFS) before giving up.
const FULL_QUEUE_RETRIES: u32 = 10_000;

/// A destination the send path refused: not a target, or a packet whose header does not
/// say what its socket address says. A bug, never an input: the stage stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("refused to send to {dst}: not among the targets (scope assertion)")]
pub struct OutOfScope {
    /// The destination refused.
    pub dst: Ipv4Addr,
}

/// The scope assertion's release-mode check: `packet` goes to `dst`, and `dst` is a
/// target (included, not excluded: [`TargetLookup::contains`], which answers as
/// `TargetList::contains` in O(log specs)).
pub(super) fn admit(
    targets: &TargetLookup<'_>,
    packet: &[u8],
    dst: Ipv4Addr,
) -> Result<(), OutOfScope> {
    let header_dst = packet.get(16..20).and_then(|b| <[u8; 4]>::try_from(b).ok());
    if header_dst == Some(dst.octets()) && targets.contains(IpAddr::V4(dst)) {
        Ok(())
    } else {
        Err(OutOfScope { dst })
    }
}

/// Up to [`MAX_BATCH`] packets and their destinations.
pub(super) struct Batch {
    /// The pair number of each packet.
    pairs: Vec<u64>,
    packets: Vec<[u8; PACKET_LEN]>,
    dsts: Vec<Option<SockaddrIn>>,
    headers: MultiHeaders<SockaddrIn>,
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Batch({} packets)", self.packets.len())
    }
}

impl Batch {
    /// An empty batch.
    pub(super) fn new() -> Self {
        Self {
            pairs: Vec::with_capacity(MAX_BATCH),
            packets: Vec::with_capacity(MAX_BATCH),
            dsts: Vec::with_capacity(MAX_BATCH),
            headers: MultiHeaders::preallocate(MAX_BATCH, None),
        }
    }

    /// Packets held.
    pub(super) fn len(&self) -> usize {
        self.packets.len()
    }

    /// Adds `syn` (an IPv4 SYN to `dst`, for pair `pair`) if it passes the scope check. A refusal is a
    /// bug: it panics in a debug build, and in a release build drops the packet and says
    /// so, for the caller to count and stop.
    pub(super) fn push(
        &mut self,
        pair: u64,
        syn: &Syn,
        dst: Ipv4Addr,
        targets: &TargetLookup<'_>,
    ) -> Result<(), OutOfScope> {
        let mut packet = [0u8; PACKET_LEN];
        let len = syn.encode_ip(&mut packet).unwrap_or(0);
        let admitted = admit(targets, packet.get(..len).unwrap_or(&[]), dst);
        debug_assert!(admitted.is_ok(), "scope assertion: {admitted:?}");
        admitted?;
        self.pairs.push(pair);
        self.packets.push(packet);
        self.dsts
            .push(Some(SockaddrIn::from(SocketAddrV4::new(dst, 0))));
        Ok(())
    }

    /// Sends every packet held (in as many `sendmmsg` calls as the kernel needs) and
    /// empties the batch. `refused` is called with the pair of each packet the kernel
    /// refused with EACCES, which it does for a broadcast address of a link we are on (a
    /// raw socket without SO_BROADCAST): those are dropped, the others sent. Returns how
    /// many were refused.
    pub(super) fn flush(
        &mut self,
        socket: &Socket,
        mut refused: impl FnMut(u64),
    ) -> io::Result<u64> {
        let mut done = 0;
        let mut refusals = 0;
        let mut full_queue = 0;
        while done < self.packets.len() {
            let slices: Vec<[IoSlice<'_>; 1]> = self.packets[done..]
                .iter()
                .map(|p| [IoSlice::new(p)])
                .collect();
            let result = sendmmsg(
                socket.as_raw_fd(),
                &mut self.headers,
                &slices,
                &self.dsts[done..],
                [] as [ControlMessage<'_>; 0],
                MsgFlags::empty(),
            );
            match result {
                Ok(sent) => done += sent.count(),
                Err(Errno::ENOBUFS | Errno::EAGAIN) if full_queue < FULL_QUEUE_RETRIES => {
                    full_queue += 1;
                    std::thread::sleep(Duration::from_micros(50));
                }
                Err(Errno::EINTR) => {}
                Err(Errno::EACCES) => {
                    // sendmmsg stops at the first packet it cannot send: skip that one.
                    if let Some(&pair) = self.pairs.get(done) {
                        refused(pair);
                    }
                    done += 1;
                    refusals += 1;
                }
                Err(e) => return Err(io::Error::from(e)),
            }
        }
        self.pairs.clear();
        self.packets.clear();
        self.dsts.clear();
        Ok(refusals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smbaudit_wire::tcpip::IpPair;

    fn targets() -> crate::targets::TargetList {
        let mut t = crate::targets::TargetList::new();
        t.include("10.215.0.0/30").unwrap();
        t.exclude("10.215.0.2").unwrap();
        t
    }

    fn syn_to(dst: Ipv4Addr) -> Syn {
        let ips = IpPair::V4 {
            src: Ipv4Addr::new(10, 215, 0, 100),
            dst,
        };
        Syn::new(ips, 61000, 445, 7)
    }

    #[test]
    fn admits_targets_and_refuses_excluded_outside_and_mismatched() {
        let list = targets();
        let t = list.lookup().unwrap();
        let mut packet = [0u8; PACKET_LEN];
        let ok = Ipv4Addr::new(10, 215, 0, 1);
        syn_to(ok).encode_ip(&mut packet).unwrap();
        assert_eq!(admit(&t, &packet, ok), Ok(()));
        let excluded = Ipv4Addr::new(10, 215, 0, 2);
        let outside = Ipv4Addr::new(10, 215, 0, 4);
        for dst in [excluded, outside] {
            syn_to(dst).encode_ip(&mut packet).unwrap();
            assert_eq!(admit(&t, &packet, dst), Err(OutOfScope { dst }));
        }
        // A header that says one thing and a socket address another.
        syn_to(outside).encode_ip(&mut packet).unwrap();
        assert_eq!(admit(&t, &packet, ok), Err(OutOfScope { dst: ok }));
        assert_eq!(admit(&t, &packet[..10], ok), Err(OutOfScope { dst: ok }));
    }

    #[test]
    #[cfg_attr(debug_assertions, should_panic(expected = "scope assertion"))]
    fn push_refuses_a_destination_outside_the_targets() {
        let mut batch = Batch::new();
        let list = targets();
        let t = list.lookup().unwrap();
        let ok = Ipv4Addr::new(10, 215, 0, 1);
        batch.push(0, &syn_to(ok), ok, &t).unwrap();
        let outside = Ipv4Addr::new(10, 215, 0, 4);
        // Release builds: dropped and reported; debug builds panic first.
        assert_eq!(
            batch.push(0, &syn_to(outside), outside, &t),
            Err(OutOfScope { dst: outside })
        );
        assert_eq!(batch.len(), 1);
    }
}
