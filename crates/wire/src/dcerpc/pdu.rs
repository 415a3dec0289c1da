//! The connection-oriented PDU header and the PDUs share enumeration uses.
//!
//! ```text
//! header:   rpc_vers = 5 (1), rpc_vers_minor = 0 (1), PTYPE (1), pfc_flags (1),
//!           packed_drep (4), frag_length (2), auth_length (2), call_id (4)
//! BIND:     max_xmit_frag (2), max_recv_frag (2), assoc_group_id (4), n_context_elem (1),
//!           reserved (3), p_cont_id (2), n_transfer_syn (1), reserved (1),
//!           abstract_syntax (20), transfer_syntax (20)
//! BIND_ACK: max_xmit_frag (2), max_recv_frag (2), assoc_group_id (4), sec_addr (2 + n),
//!           pad to 4, n_results (1), reserved (3), result (2), reason (2), syntax (20) ...
//! REQUEST:  alloc_hint (4), p_cont_id (2), opnum (2), stub
//! RESPONSE: alloc_hint (4), p_cont_id (2), cancel_count (1), reserved (1), stub
//! FAULT:    alloc_hint (4), p_cont_id (2), cancel_count (1), reserved (1), status (4)
//! ```

use crate::{DecodeError, Reader};

/// PDU types.
pub mod ptype {
    /// REQUEST.
    pub const REQUEST: u8 = 0;
    /// RESPONSE.
    pub const RESPONSE: u8 = 2;
    /// FAULT.
    pub const FAULT: u8 = 3;
    /// BIND.
    pub const BIND: u8 = 11;
    /// BIND_ACK.
    pub const BIND_ACK: u8 = 12;
    /// BIND_NAK.
    pub const BIND_NAK: u8 = 13;
}

const PFC_FIRST_FRAG: u8 = 0x01;
const PFC_LAST_FRAG: u8 = 0x02;
const HEADER_LEN: usize = 16;
/// Little-endian integers, ASCII, IEEE floats.
const DREP_LE: [u8; 4] = [0x10, 0, 0, 0];
/// The NDR 2.0 transfer syntax 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0, as on the wire.
const NDR_SYNTAX: [u8; 20] = [
    0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60,
    0x02, 0x00, 0x00, 0x00,
];
/// The largest fragment we offer to receive.
const MAX_FRAG: u16 = 4280;
/// Fragments of one response reassembled at most (a fragment flood stops here).
pub const MAX_FRAGMENTS: usize = 1024;
/// Stub bytes of one response reassembled at most.
pub const MAX_STUB: usize = 2 * 1024 * 1024;
/// Pipe bytes a [`Reassembly`] holds at most before they make whole PDUs.
pub const MAX_PENDING: usize = MAX_FRAG as usize * 2 + MAX_STUB;

fn header(ptype: u8, body_len: usize, call_id: u32, out: &mut Vec<u8>) {
    let frag_len = u16::try_from(HEADER_LEN + body_len).unwrap_or(u16::MAX);
    out.extend_from_slice(&[5, 0, ptype, PFC_FIRST_FRAG | PFC_LAST_FRAG]);
    out.extend_from_slice(&DREP_LE);
    out.extend_from_slice(&frag_len.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&call_id.to_le_bytes());
}

/// A BIND of context 0 to `abstract_syntax` (UUID bytes and version, as on the wire) with
/// NDR 2.0.
pub fn bind_request(abstract_syntax: &[u8; 20], call_id: u32) -> Vec<u8> {
    let mut body = Vec::with_capacity(56);
    body.extend_from_slice(&MAX_FRAG.to_le_bytes());
    body.extend_from_slice(&MAX_FRAG.to_le_bytes());
    body.extend_from_slice(&0u32.to_le_bytes()); // assoc_group_id
    body.extend_from_slice(&[1, 0, 0, 0]); // one context element
    body.extend_from_slice(&0u16.to_le_bytes()); // p_cont_id
    body.extend_from_slice(&[1, 0]); // one transfer syntax
    body.extend_from_slice(abstract_syntax);
    body.extend_from_slice(&NDR_SYNTAX);
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    header(ptype::BIND, body.len(), call_id, &mut out);
    out.extend_from_slice(&body);
    out
}

/// A single-fragment REQUEST of `opnum` on context 0 carrying `stub`.
pub fn request_pdu(opnum: u16, stub: &[u8], call_id: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + 8 + stub.len());
    header(ptype::REQUEST, 8 + stub.len(), call_id, &mut out);
    out.extend_from_slice(&u32::try_from(stub.len()).unwrap_or(0).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&opnum.to_le_bytes());
    out.extend_from_slice(stub);
    out
}

/// One decoded PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pdu {
    /// BIND_ACK.
    BindAck(BindAck),
    /// BIND_NAK with its provider_reject_reason.
    BindNak(u16),
    /// A RESPONSE fragment: its stub and whether it is the last.
    Response {
        /// The stub bytes of this fragment.
        stub: Vec<u8>,
        /// PFC_LAST_FRAG.
        last: bool,
    },
    /// FAULT with its status.
    Fault(u32),
    /// Any other type (ptype).
    Other(u8),
}

/// What a BIND_ACK says of the first presentation context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BindAck {
    /// `result`: 0 acceptance, 1 user rejection, 2 provider rejection.
    pub result: u16,
    /// `reason`.
    pub reason: u16,
}

impl Pdu {
    /// Decodes one whole PDU (`bytes` is exactly one fragment) for `call_id`.
    pub fn decode(bytes: &[u8], call_id: u32) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = r.array::<2>("rpc_vers")?;
        if version != [5, 0] {
            return Err(DecodeError::Unexpected {
                what: "rpc_vers",
                value: u32::from(version[0]),
            });
        }
        let ptype = r.u8("PTYPE")?;
        let flags = r.u8("pfc_flags")?;
        let drep = r.array::<4>("packed_drep")?;
        if drep[0] & 0xF0 != 0x10 {
            return Err(DecodeError::Unexpected {
                what: "packed_drep (big-endian NDR)",
                value: u32::from(drep[0]),
            });
        }
        r.u16_le("frag_length")?;
        let auth_len = usize::from(r.u16_le("auth_length")?);
        let id = r.u32_le("call_id")?;
        if id != call_id && ptype != ptype::BIND_NAK {
            return Err(DecodeError::Unexpected {
                what: "call_id",
                value: id,
            });
        }
        let body = r.peek_rest();
        let body = body
            .get(..body.len().saturating_sub(auth_len))
            .unwrap_or_default();
        let mut r = Reader::with_offset(body, HEADER_LEN);
        match ptype {
            ptype::BIND_ACK => decode_bind_ack(&mut r).map(Self::BindAck),
            ptype::BIND_NAK => Ok(Self::BindNak(r.u16_le("provider_reject_reason")?)),
            ptype::RESPONSE => {
                r.take("RESPONSE alloc_hint, p_cont_id, cancel_count", 8)?;
                Ok(Self::Response {
                    stub: r.peek_rest().to_vec(),
                    last: flags & PFC_LAST_FRAG != 0,
                })
            }
            ptype::FAULT => {
                r.take("FAULT alloc_hint, p_cont_id, cancel_count", 8)?;
                Ok(Self::Fault(r.u32_le("FAULT status")?))
            }
            other => Ok(Self::Other(other)),
        }
    }
}

fn decode_bind_ack(r: &mut Reader<'_>) -> Result<BindAck, DecodeError> {
    r.take("BIND_ACK max frags, assoc_group_id", 8)?;
    let sec_addr = usize::from(r.u16_le("sec_addr length")?);
    r.take("sec_addr", sec_addr)?;
    // Pad to a 4-byte boundary of the PDU (offsets count from its start).
    let pad = (4 - r.offset() % 4) % 4;
    r.take("BIND_ACK padding", pad)?;
    let n = r.u8("n_results")?;
    if n == 0 {
        return Err(DecodeError::Unexpected {
            what: "n_results",
            value: 0,
        });
    }
    r.take("n_results reserved", 3)?;
    Ok(BindAck {
        result: r.u16_le("result")?,
        reason: r.u16_le("reason")?,
    })
}

/// Cuts a byte stream from a pipe into PDUs and joins the stubs of one response.
#[derive(Debug, Default)]
pub struct Reassembly {
    pending: Vec<u8>,
    stub: Vec<u8>,
    fragments: usize,
}

impl Reassembly {
    /// An empty reassembly.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds pipe bytes; returns each whole PDU that is not a RESPONSE fragment, the joined
    /// stub once the last fragment arrived, or `None` while more is needed.
    pub fn push(&mut self, bytes: &[u8], call_id: u32) -> Result<Option<Pdu>, DecodeError> {
        if self.pending.len() + bytes.len() > MAX_PENDING {
            return Err(too_large("pipe bytes", self.pending.len() + bytes.len()));
        }
        self.pending.extend_from_slice(bytes);
        loop {
            let Some(len) = self.whole_fragment()? else {
                return Ok(None);
            };
            let frag: Vec<u8> = self.pending.drain(..len).collect();
            match Pdu::decode(&frag, call_id)? {
                Pdu::Response { stub, last } => {
                    self.fragments += 1;
                    if self.fragments > MAX_FRAGMENTS {
                        return Err(too_large("response fragments", self.fragments));
                    }
                    if self.stub.len() + stub.len() > MAX_STUB {
                        return Err(too_large("response stub", self.stub.len() + stub.len()));
                    }
                    self.stub.extend_from_slice(&stub);
                    if last {
                        let stub = std::mem::take(&mut self.stub);
                        return Ok(Some(Pdu::Response { stub, last }));
                    }
                }
                other => return Ok(Some(other)),
            }
        }
    }

    /// Whether bytes of an unfinished PDU are waiting.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Pipe bytes waiting to make a whole PDU (at most [`MAX_PENDING`]).
    pub fn buffered(&self) -> usize {
        self.pending.len()
    }

    /// Stub bytes of an unfinished response joined so far (at most [`MAX_STUB`]).
    pub fn stub_len(&self) -> usize {
        self.stub.len()
    }

    /// The length of the whole fragment at the front, once it has arrived.
    fn whole_fragment(&self) -> Result<Option<usize>, DecodeError> {
        let Some(&[lo, hi]) = self.pending.get(8..10) else {
            return Ok(None);
        };
        let len = usize::from(u16::from_le_bytes([lo, hi]));
        if len < HEADER_LEN {
            return Err(DecodeError::Unexpected {
                what: "frag_length",
                value: len as u32,
            });
        }
        Ok((self.pending.len() >= len).then_some(len))
    }
}

fn too_large(what: &'static str, value: usize) -> DecodeError {
    let limit = match what {
        "response fragments" => MAX_FRAGMENTS,
        _ => MAX_STUB,
    };
    DecodeError::TooLarge { what, value, limit }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(stub: &[u8], flags: u8, call_id: u32) -> Vec<u8> {
        let mut out = request_pdu(0, stub, call_id);
        out[2] = ptype::RESPONSE;
        out[3] = flags;
        out
    }

    #[test]
    fn bind_is_72_bytes_with_ndr() {
        let pdu = bind_request(&[0xAA; 20], 1);
        assert_eq!(pdu.len(), 72);
        assert_eq!(u16::from_le_bytes([pdu[8], pdu[9]]), 72);
        assert_eq!(&pdu[52..72], &NDR_SYNTAX);
    }

    #[test]
    fn fragments_are_joined_across_reads_and_checked_for_the_call() {
        let mut stream = response(b"abc", PFC_FIRST_FRAG, 7);
        stream.extend(response(b"def", PFC_LAST_FRAG, 7));
        let mut re = Reassembly::new();
        let (a, b) = stream.split_at(21);
        assert_eq!(re.push(a, 7), Ok(None));
        assert_eq!(
            re.push(b, 7),
            Ok(Some(Pdu::Response {
                stub: b"abcdef".to_vec(),
                last: true
            }))
        );
        assert!(Reassembly::new().push(&response(b"x", 3, 8), 7).is_err());
    }

    #[test]
    fn a_fragment_flood_is_cut() {
        let one = response(b"", PFC_FIRST_FRAG, 1);
        let mut re = Reassembly::new();
        let result = (0..=MAX_FRAGMENTS).try_for_each(|_| re.push(&one, 1).map(|_| ()));
        assert!(matches!(result, Err(DecodeError::TooLarge { .. })));
    }

    #[test]
    fn bind_ack_and_nak_decode() {
        let mut ack = vec![
            5,
            0,
            ptype::BIND_ACK,
            3,
            0x10,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            2,
            0,
            0,
            0,
        ];
        ack.extend_from_slice(&[0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0]);
        ack.extend_from_slice(&13u16.to_le_bytes());
        ack.extend_from_slice(b"\\PIPE\\srvsvc\0");
        ack.push(0); // 39 bytes so far: pad to 40
        ack.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
        ack.extend_from_slice(&NDR_SYNTAX);
        assert_eq!(
            Pdu::decode(&ack, 2),
            Ok(Pdu::BindAck(BindAck {
                result: 0,
                reason: 0
            }))
        );
        for cut in 16..ack.len() - 20 {
            assert!(Pdu::decode(&ack[..cut], 2).is_err(), "{cut}");
        }
        let nak = [
            5,
            0,
            ptype::BIND_NAK,
            3,
            0x10,
            0,
            0,
            0,
            18,
            0,
            0,
            0,
            2,
            0,
            0,
            0,
            4,
            0,
        ];
        assert_eq!(Pdu::decode(&nak, 2), Ok(Pdu::BindNak(4)));
    }
}
