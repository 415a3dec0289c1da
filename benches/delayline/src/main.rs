//! `delayline QUEUE DELAY_MS [SECONDS]`: holds every packet that a netfilter NFQUEUE rule
//! (`iptables ... -j NFQUEUE --queue-num QUEUE --queue-bypass`, or nft's `queue`) hands to
//! user space for DELAY_MS, then accepts it, for at most SECONDS (default 600) before it
//! exits. The benches add latency with it where the kernel has no netem qdisc
//! (`CONFIG_NET_SCH_NETEM` unset): such a rule in a lab router's FORWARD chain delays what
//! crosses that router, both ways.
//!
//! It speaks NFQUEUE over netlink itself (nfnetlink_queue, see the kernel's
//! `include/uapi/linux/netfilter/nfnetlink_queue.h`): bind the queue, ask for metadata only
//! (no packet bytes cross to user space), and release packets in arrival order with one
//! batch verdict ("accept every id up to N") per tick. Every packet is delayed by the same
//! time, so the queue's ids are released in order and one verdict covers a whole burst.
//! No crate gives NFQUEUE's batch verdict without libnetfilter_queue; this is ~200 lines.

use std::collections::VecDeque;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use nix::sys::socket::{
    AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType, bind, recv, send,
    setsockopt, socket, sockopt,
};
use nix::sys::time::TimeVal;

/// nfnetlink subsystem of the queue (`NFNL_SUBSYS_QUEUE`).
const SUBSYS_QUEUE: u16 = 3;
/// `NFQNL_MSG_PACKET`, `NFQNL_MSG_CONFIG`, `NFQNL_MSG_VERDICT_BATCH`.
const MSG_PACKET: u16 = 0;
const MSG_CONFIG: u16 = 2;
const MSG_VERDICT_BATCH: u16 = 3;
/// Attributes: `NFQA_PACKET_HDR`, `NFQA_VERDICT_HDR`; `NFQA_CFG_CMD`, `_PARAMS`,
/// `_QUEUE_MAXLEN`.
const ATTR_PACKET_HDR: u16 = 1;
const ATTR_VERDICT_HDR: u16 = 2;
const CFG_CMD: u16 = 1;
const CFG_PARAMS: u16 = 2;
const CFG_QUEUE_MAXLEN: u16 = 3;
/// `NFQNL_CFG_CMD_BIND`, `NFQNL_COPY_META`, `NF_ACCEPT`.
const CMD_BIND: u8 = 1;
const COPY_META: u8 = 1;
const NF_ACCEPT: u32 = 1;
/// `NLM_F_REQUEST`, `NLM_F_ACK`; `NLMSG_ERROR`.
const F_REQUEST: u16 = 1;
const F_ACK: u16 = 4;
const NLMSG_ERROR: u16 = 2;
/// Packets the kernel holds for us at most (more are dropped, as netem's `limit`).
const QUEUE_MAXLEN: u32 = 1 << 16;
/// How often queued packets are looked at: the delay's resolution.
const TICK: Duration = Duration::from_micros(500);

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("delayline: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let usage = "usage: delayline QUEUE DELAY_MS [SECONDS]";
    let number = |i: usize, default: Option<u64>| -> Result<u64, String> {
        match (args.get(i), default) {
            (Some(a), _) => a
                .parse()
                .map_err(|_| format!("{a:?} is not a number; {usage}")),
            (None, Some(d)) => Ok(d),
            (None, None) => Err(usage.to_owned()),
        }
    };
    let queue = u16::try_from(number(0, None)?).map_err(|_| "QUEUE is at most 65535")?;
    let delay = Duration::from_millis(number(1, None)?);
    let limit = Duration::from_secs(number(2, Some(600))?);
    let sock = open(queue).map_err(|e| format!("binding NFQUEUE {queue}: {e}"))?;
    eprintln!("delayline: queue {queue}, {delay:?} per packet, for {limit:?} at most");
    let released = relay(&sock, queue, delay, limit).map_err(|e| format!("relaying: {e}"))?;
    eprintln!("delayline: {released} packets delayed");
    Ok(())
}

/// A netlink socket bound to `queue`, metadata only, a large receive buffer.
fn open(queue: u16) -> nix::Result<OwnedFd> {
    let sock = socket(
        AddressFamily::Netlink,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkNetFilter,
    )?;
    bind(sock.as_raw_fd(), &NetlinkAddr::new(0, 0))?;
    // Root may exceed rmem_max; a burst of packet messages must not overflow it.
    setsockopt(&sock, sockopt::RcvBufForce, &(64 << 20))?;
    setsockopt(&sock, sockopt::ReceiveTimeout, &TimeVal::new(0, 500))?;
    configure(&sock, queue, 1, &[(CFG_CMD, &[CMD_BIND, 0, 0, 0])])?;
    let mut params = [0u8; 5];
    params[4] = COPY_META;
    configure(&sock, queue, 2, &[(CFG_PARAMS, &params)])?;
    configure(
        &sock,
        queue,
        3,
        &[(CFG_QUEUE_MAXLEN, &QUEUE_MAXLEN.to_be_bytes())],
    )?;
    Ok(sock)
}

/// Sends one config message and waits for its acknowledgement.
fn configure(sock: &OwnedFd, queue: u16, seq: u32, attrs: &[(u16, &[u8])]) -> nix::Result<()> {
    let msg = message(MSG_CONFIG, F_REQUEST | F_ACK, queue, seq, attrs);
    send(sock.as_raw_fd(), &msg, MsgFlags::empty())?;
    let mut buf = vec![0u8; 8192];
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        let n = match recv(sock.as_raw_fd(), &mut buf, MsgFlags::empty()) {
            Ok(n) => n,
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e),
        };
        for (kind, body) in messages(buf.get(..n).unwrap_or_default()) {
            if kind == NLMSG_ERROR {
                let errno = body
                    .get(..4)
                    .map_or(0, |b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
                return match errno {
                    0 => Ok(()),
                    e => Err(nix::errno::Errno::from_raw(-e)),
                };
            }
        }
    }
    Err(nix::errno::Errno::ETIMEDOUT)
}

/// Receives packet ids and releases each one `delay` after it arrived, until `limit`.
fn relay(sock: &OwnedFd, queue: u16, delay: Duration, limit: Duration) -> nix::Result<u64> {
    let started = Instant::now();
    let mut held: VecDeque<(u32, Instant)> = VecDeque::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut released = 0u64;
    let mut seq = 100u32;
    while started.elapsed() < limit {
        match recv(sock.as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT) {
            Ok(n) => {
                let now = Instant::now();
                for (kind, body) in messages(buf.get(..n).unwrap_or_default()) {
                    if kind == (SUBSYS_QUEUE << 8 | MSG_PACKET)
                        && let Some(id) = packet_id(body)
                    {
                        held.push_back((id, now));
                    }
                }
                continue; // drain what is ready before releasing
            }
            // ENOBUFS: messages were lost; their packets go with the next batch verdict.
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::ENOBUFS) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
        let now = Instant::now();
        let mut last = None;
        while let Some(&(id, at)) = held.front() {
            if at + delay > now {
                break;
            }
            last = Some(id);
            held.pop_front();
            released += 1;
        }
        if let Some(id) = last {
            seq = seq.wrapping_add(1);
            let mut verdict = [0u8; 8];
            verdict[..4].copy_from_slice(&NF_ACCEPT.to_be_bytes());
            verdict[4..].copy_from_slice(&id.to_be_bytes());
            let msg = message(
                MSG_VERDICT_BATCH,
                F_REQUEST,
                queue,
                seq,
                &[(ATTR_VERDICT_HDR, &verdict)],
            );
            send(sock.as_raw_fd(), &msg, MsgFlags::empty())?;
        }
        let next = held.front().map_or(TICK, |&(_, at)| {
            (at + delay).saturating_duration_since(Instant::now())
        });
        std::thread::sleep(next.min(TICK));
    }
    Ok(released)
}

/// An nfnetlink message: netlink header, nfgenmsg (AF_UNSPEC, version 0, the queue
/// number big-endian), then the attributes, each padded to 4 bytes.
fn message(kind: u16, flags: u16, queue: u16, seq: u32, attrs: &[(u16, &[u8])]) -> Vec<u8> {
    let mut m = vec![0u8; 16];
    m.extend_from_slice(&[0, 0]);
    m.extend_from_slice(&queue.to_be_bytes());
    for (t, value) in attrs {
        let len = u16::try_from(4 + value.len()).unwrap_or(u16::MAX);
        m.extend_from_slice(&len.to_ne_bytes());
        m.extend_from_slice(&t.to_ne_bytes());
        m.extend_from_slice(value);
        m.resize(m.len().next_multiple_of(4), 0);
    }
    let total = u32::try_from(m.len()).unwrap_or(u32::MAX);
    m[0..4].copy_from_slice(&total.to_ne_bytes());
    m[4..6].copy_from_slice(&(SUBSYS_QUEUE << 8 | kind).to_ne_bytes());
    m[6..8].copy_from_slice(&flags.to_ne_bytes());
    m[8..12].copy_from_slice(&seq.to_ne_bytes());
    m
}

/// The netlink messages of one datagram, as (type, body after the 16-byte header).
/// Bounds-checked: a truncated message ends the walk.
fn messages(mut data: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let header = data.get(..16)?;
        let len = u32::from_ne_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = u16::from_ne_bytes([header[4], header[5]]);
        let body = data.get(16..len)?;
        data = data.get(len.next_multiple_of(4)..).unwrap_or_default();
        Some((kind, body))
    })
}

/// The packet id of a packet message's body (nfgenmsg, then attributes).
fn packet_id(body: &[u8]) -> Option<u32> {
    let mut attrs = body.get(4..)?;
    while let Some(head) = attrs.get(..4) {
        let len = usize::from(u16::from_ne_bytes([head[0], head[1]]));
        let kind = u16::from_ne_bytes([head[2], head[3]]) & 0x3fff;
        let value = attrs.get(4..len)?;
        if kind == ATTR_PACKET_HDR {
            let id = value.get(..4)?;
            return Some(u32::from_be_bytes([id[0], id[1], id[2], id[3]]));
        }
        attrs = attrs
            .get(len.max(4).next_multiple_of(4)..)
            .unwrap_or_default();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_walks_back_to_its_attributes() {
        let id = 0xdead_beef_u32.to_be_bytes();
        let hdr = [id[0], id[1], id[2], id[3], 0x08, 0x00, 1];
        let msg = message(
            MSG_PACKET,
            0,
            7,
            1,
            &[(9, &[1, 2, 3]), (ATTR_PACKET_HDR, &hdr)],
        );
        assert_eq!(msg.len() % 4, 0);
        let got: Vec<_> = messages(&msg).collect();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, SUBSYS_QUEUE << 8 | MSG_PACKET);
        assert_eq!(packet_id(got[0].1), Some(0xdead_beef));
    }

    #[test]
    fn truncated_input_ends_the_walk() {
        let msg = message(MSG_PACKET, 0, 7, 1, &[(ATTR_PACKET_HDR, &[0, 0, 0, 5])]);
        for cut in 0..msg.len() {
            let walked: Vec<_> = messages(&msg[..cut]).collect();
            assert!(walked.is_empty(), "cut at {cut}");
        }
        assert_eq!(
            packet_id(&[0, 0, 0, 0, 200, 0, 1, 0]),
            None,
            "attribute past the end"
        );
    }
}
