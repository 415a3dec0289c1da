//! One synchronous netlink dump (rtnetlink or sock_diag) in the calling thread's
//! network namespace: a request with `NLM_F_DUMP`, then every reply up to `NLMSG_DONE`.

use netlink_packet_core::{
    NLM_F_DUMP, NLM_F_REQUEST, NetlinkDeserializable, NetlinkHeader, NetlinkMessage,
    NetlinkPayload, NetlinkSerializable,
};
use netlink_sys::{Socket, SocketAddr};
use nix::sys::socket::{setsockopt, sockopt::ReceiveTimeout};
use nix::sys::time::{TimeVal, TimeValLike};
use std::fmt::Debug;

/// The receive buffer: larger than any datagram the kernel sends for a dump
/// (it sizes them at most 32 KiB).
const RECV_BUF: usize = 64 * 1024;
/// Most datagrams one dump may take: a guard against a reply that never ends
/// (a machine with a million sockets needs ~30 000; more is not a machine we audit).
const MAX_DATAGRAMS: usize = 100_000;
/// How long one `recv` may wait, in seconds: the kernel answers a dump at once.
const RECV_TIMEOUT_SECS: i64 = 5;

/// The messages of one dump, and how many replies could not be decoded
/// (skipped one by one, so one odd message does not hide the rest).
#[derive(Debug)]
pub(crate) struct Dump<I> {
    /// The decoded replies.
    pub(crate) messages: Vec<I>,
    /// Replies that failed to decode.
    pub(crate) undecodable: usize,
}

/// A reply kept as bytes, to be decoded attribute by attribute (so an attribute
/// the decoder does not know cannot cost the whole message).
#[derive(Debug)]
pub(crate) struct RawReply {
    /// `nlmsg_type`.
    pub(crate) kind: u16,
    /// Everything after the netlink header.
    pub(crate) payload: Vec<u8>,
}

impl NetlinkDeserializable for RawReply {
    type Error = std::convert::Infallible;

    fn deserialize(header: &NetlinkHeader, payload: &[u8]) -> Result<Self, Self::Error> {
        Ok(Self {
            kind: header.message_type,
            payload: payload.to_vec(),
        })
    }
}

/// Sends `request` as a dump on a new `protocol` socket and collects the replies.
/// The error says which step failed, with the OS error.
pub(crate) fn dump<Req, Resp>(protocol: isize, request: Req) -> Result<Dump<Resp>, String>
where
    Req: NetlinkSerializable + Debug,
    Resp: NetlinkDeserializable + Debug,
{
    let mut socket = Socket::new(protocol).map_err(|e| format!("opening a netlink socket: {e}"))?;
    socket
        .bind_auto()
        .map_err(|e| format!("binding a netlink socket: {e}"))?;
    socket
        .connect(&SocketAddr::new(0, 0))
        .map_err(|e| format!("connecting a netlink socket: {e}"))?;
    setsockopt(
        &socket,
        ReceiveTimeout,
        &TimeVal::seconds(RECV_TIMEOUT_SECS),
    )
    .map_err(|e| format!("setting a receive timeout: {e}"))?;

    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    header.sequence_number = 1;
    let mut packet = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(request));
    packet.finalize();
    let mut out = vec![0; packet.buffer_len()];
    packet.serialize(&mut out);
    socket
        .send(&out, 0)
        .map_err(|e| format!("sending the dump request: {e}"))?;

    let mut dump: Dump<Resp> = Dump {
        messages: Vec::new(),
        undecodable: 0,
    };
    let mut buf = vec![0u8; RECV_BUF];
    for _ in 0..MAX_DATAGRAMS {
        let len = socket
            .recv(&mut &mut buf[..], 0)
            .map_err(|e| format!("receiving the dump: {e}"))?;
        let datagram = buf.get(..len).unwrap_or_default();
        if datagram.is_empty() {
            return Err("receiving the dump: an empty or oversized datagram".into());
        }
        if decode_datagram(datagram, &mut dump)? {
            return Ok(dump);
        }
    }
    Err(format!(
        "receiving the dump: no end after {MAX_DATAGRAMS} datagrams"
    ))
}

/// Decodes the messages of one datagram into `dump`; `Ok(true)` at `NLMSG_DONE`.
fn decode_datagram<I>(mut rest: &[u8], dump: &mut Dump<I>) -> Result<bool, String>
where
    I: NetlinkDeserializable + Debug,
{
    while !rest.is_empty() {
        // nlmsg_len, the first u32 (native endian), frames every message
        let Some(len_bytes) = rest.first_chunk::<4>() else {
            return Err(format!(
                "a {}-byte fragment after the last message",
                rest.len()
            ));
        };
        let len = usize::try_from(u32::from_ne_bytes(*len_bytes)).unwrap_or(usize::MAX);
        let Some(message) = rest.get(..len).filter(|_| len >= 16) else {
            return Err(format!(
                "a message claims {len} bytes, {} are left",
                rest.len()
            ));
        };
        match NetlinkMessage::<I>::deserialize(message) {
            Ok(msg) => match msg.payload {
                NetlinkPayload::Done(_) => return Ok(true),
                NetlinkPayload::Error(e) if e.code.is_some() => {
                    return Err(format!("the kernel refused the dump: {}", e.to_io()));
                }
                // an ACK (error code 0) ends a request that was not a dump
                NetlinkPayload::Error(_) => return Ok(true),
                NetlinkPayload::InnerMessage(inner) => dump.messages.push(inner),
                _ => {}
            },
            Err(_) => dump.undecodable += 1,
        }
        // messages are 4-byte aligned (NLMSG_ALIGN)
        let next = len.saturating_add(3) & !3;
        rest = rest.get(next..).unwrap_or_default();
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use netlink_packet_sock_diag::SockDiagMessage;

    use super::{Dump, decode_datagram};

    /// One netlink message: `nlmsghdr` (native endian) and `payload`, padded to 4.
    fn message(kind: u16, payload: &[u8]) -> Vec<u8> {
        let len = u32::try_from(16 + payload.len()).expect("small");
        let mut out = Vec::new();
        out.extend_from_slice(&len.to_ne_bytes());
        out.extend_from_slice(&kind.to_ne_bytes());
        out.extend_from_slice(&2u16.to_ne_bytes()); // NLM_F_MULTI
        out.extend_from_slice(&1u32.to_ne_bytes());
        out.extend_from_slice(&0u32.to_ne_bytes());
        out.extend_from_slice(payload);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out
    }

    const NLMSG_DONE: u16 = 3;
    const SOCK_DIAG_BY_FAMILY: u16 = 20;

    fn decode(bytes: &[u8]) -> (Result<bool, String>, usize, usize) {
        let mut dump: Dump<SockDiagMessage> = Dump {
            messages: Vec::new(),
            undecodable: 0,
        };
        let end = decode_datagram(bytes, &mut dump);
        (end, dump.messages.len(), dump.undecodable)
    }

    #[test]
    fn skips_an_undecodable_reply_and_reads_on_to_done() {
        // family 99 and a header too short for inet_diag_msg: both undecodable
        let mut bytes = message(SOCK_DIAG_BY_FAMILY, &[99, 0, 0, 0]);
        bytes.extend(message(SOCK_DIAG_BY_FAMILY, &[2, 10, 0]));
        bytes.extend(message(NLMSG_DONE, &0i32.to_ne_bytes()));
        assert_eq!(decode(&bytes), (Ok(true), 0, 2));
    }

    #[test]
    fn refuses_bad_framing_without_looping() {
        let done = message(NLMSG_DONE, &0i32.to_ne_bytes());
        // a length beyond the datagram
        let mut long = done.clone();
        long[0] = 200;
        assert!(decode(&long).0.is_err());
        // a zero length would never advance
        let mut zero = done.clone();
        zero[..4].copy_from_slice(&0u32.to_ne_bytes());
        assert!(decode(&zero).0.is_err());
        // a fragment shorter than a length field
        assert!(decode(&done[..3]).0.is_err());
        // a datagram without NLMSG_DONE asks for more
        assert_eq!(
            decode(&message(SOCK_DIAG_BY_FAMILY, &[99])),
            (Ok(false), 0, 1)
        );
    }

    #[test]
    fn an_error_reply_is_an_error() {
        // nlmsgerr: error -EPERM (-1) and the request's header
        let mut payload = (-1i32).to_ne_bytes().to_vec();
        payload.extend_from_slice(&[0; 16]);
        let (end, _, _) = decode(&message(2, &payload));
        let why = end.expect_err("an error");
        assert!(why.contains("refused"), "{why}");
    }
}
