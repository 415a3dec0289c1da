//! The sweep core driven by scripted peers and a fake clock (an `Instant` base plus
//! offsets): no sockets, no sleeping. Every drive loop is bounded.

mod replies;
mod timing;

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::{Duration, Instant};

use smbaudit_wire::Encode;
use smbaudit_wire::nbns::{
    CLASS_IN, Flags, NameFlags, NbName, NodeName, NodeStatus, Packet, QualifiedName,
    ResourceRecord, RrType, Statistics, node_status_request,
};

use super::{NBNS_PORT, Query, Settings, Sweep};
use crate::observation::HostResult;

/// Most wake-ups one drive may take; a core that stops making progress fails the test.
const MAX_WAKEUPS: usize = 100_000;

pub(super) const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub(super) fn ip(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, last)
}

/// Unlimited rate, 400 ms final wait, one retry: the engine tests' `fast()`.
pub(super) fn fast() -> Settings {
    Settings {
        rate: 0,
        timeout: ms(400),
        retries: 1,
        port: NBNS_PORT,
    }
}

/// One datagram the core handed out and was told went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Sent {
    pub(super) at: Duration,
    pub(super) dst: SocketAddrV4,
    pub(super) trn_id: u16,
}

/// A sweep, its fake clock, and everything it sent and reported, stamped with offsets.
pub(super) struct Lab<I: Iterator<Item = Ipv4Addr>> {
    pub(super) sweep: Sweep<I>,
    pub(super) t0: Instant,
    pub(super) sent: Vec<Sent>,
    pub(super) events: Vec<(Duration, HostResult)>,
}

impl<I: Iterator<Item = Ipv4Addr>> Lab<I> {
    /// A NODE STATUS sweep of `targets`; transaction IDs count up from 0x1000.
    pub(super) fn new(targets: I, settings: Settings) -> Self {
        let t0 = Instant::now();
        let mut next = 0x1000u16;
        let trn_ids = Box::new(move || {
            next = next.wrapping_add(1);
            next
        });
        Self {
            sweep: Sweep::new(targets, Query::node_status(), settings, trn_ids, t0),
            t0,
            sent: Vec::new(),
            events: Vec::new(),
        }
    }

    pub(super) fn at(&self, offset: Duration) -> Instant {
        self.t0 + offset
    }

    /// One wake-up at `offset`, as the engine does it: timers, then every send the pacer
    /// allows, each reported sent. Returns how many went out.
    pub(super) fn step(&mut self, offset: Duration) -> usize {
        let now = self.at(offset);
        self.sweep.handle_timeout(now);
        let before = self.sent.len();
        while let Some(t) = self.sweep.poll_transmit(now) {
            let id = t.bytes.first_chunk::<2>().copied().unwrap_or_default();
            self.sent.push(Sent {
                at: offset,
                dst: t.dst,
                trn_id: u16::from_be_bytes(id),
            });
            self.sweep.handle_sent(now);
        }
        self.collect(offset);
        self.sent.len() - before
    }

    /// A datagram from `from`:137 arriving at `offset`.
    pub(super) fn datagram(&mut self, from: Ipv4Addr, bytes: &[u8], offset: Duration) {
        let src = SocketAddr::V4(SocketAddrV4::new(from, NBNS_PORT));
        self.sweep.handle_datagram(src, bytes, self.at(offset));
        self.collect(offset);
    }

    /// Wakes at every `poll_timeout` until the sweep finishes or the clock passes `limit`.
    pub(super) fn run_until(&mut self, limit: Duration) {
        for _ in 0..MAX_WAKEUPS {
            if self.sweep.is_finished() {
                return;
            }
            let Some(wake) = self.sweep.poll_timeout() else {
                return;
            };
            let offset = wake.saturating_duration_since(self.t0);
            if offset > limit {
                return;
            }
            self.step(offset);
        }
        panic!("the sweep made no progress in {MAX_WAKEUPS} wake-ups");
    }

    pub(super) fn collect(&mut self, offset: Duration) {
        while let Some(host) = self.sweep.poll_event() {
            self.events.push((offset, host));
        }
    }

    /// The transaction ID of the last query sent to `target`.
    pub(super) fn trn_id(&self, target: Ipv4Addr) -> u16 {
        let last = self.sent.iter().rev().find(|s| *s.dst.ip() == target);
        last.expect("a query was sent to the target").trn_id
    }

    /// When each query to `target` went out.
    pub(super) fn sends_to(&self, target: Ipv4Addr) -> Vec<Duration> {
        let to = self.sent.iter().filter(|s| *s.dst.ip() == target);
        to.map(|s| s.at).collect()
    }

    /// The result for `target`, if it finished.
    pub(super) fn result(&self, target: Ipv4Addr) -> Option<&HostResult> {
        self.events.iter().map(|(_, h)| h).find(|h| h.ip == target)
    }
}

/// A positive NODE STATUS response naming `FAKE<20>`, with MAC 02:00:00:00:00:01.
pub(super) fn status_reply(trn_id: u16) -> Vec<u8> {
    let ns = NodeStatus {
        names: vec![NodeName {
            name: NbName::new("FAKE", 0x20).expect("a valid name"),
            flags: NameFlags(0x0400),
        }],
        statistics: Statistics(vec![2, 0, 0, 0, 0, 1]),
    };
    let mut rdata = Vec::new();
    ns.encode(&mut rdata);
    response(trn_id, 0x8400, 0, rdata)
}

/// A WACK (RFC 1002 §4.2.16) asking for `secs` more seconds.
pub(super) fn wack(trn_id: u16, secs: u32) -> Vec<u8> {
    let mut p = Packet::decode(&status_reply(trn_id)).expect("our reply decodes");
    p.header.flags = Flags(0xBC00);
    if let Some(rr) = p.answers.first_mut() {
        rr.ttl = secs;
    }
    p.to_vec()
}

/// A response with `flags`, one NBSTAT answer with `ttl` and `rdata`.
pub(super) fn response(trn_id: u16, flags: u16, ttl: u32, rdata: Vec<u8>) -> Vec<u8> {
    let mut p = node_status_request(trn_id, QualifiedName::new(NbName::WILDCARD));
    p.questions.clear();
    p.header.flags = Flags(flags);
    p.answers.push(ResourceRecord {
        name: QualifiedName::new(NbName::WILDCARD),
        rr_type: RrType::NBSTAT,
        rr_class: CLASS_IN,
        ttl,
        rdata,
    });
    p.to_vec()
}
