//! Session-service framing: RFC 1002 §4.3.1 on TCP 139 and the direct-TCP transport of SMB
//! on 445 ([MS-SMB2] 2.1), which share a 4-byte header.

use crate::{DecodeError, Reader};

/// Bytes in the frame header on both transports.
pub const FRAME_HEADER_LEN: usize = 4;
/// RFC 1002 §4.3.1: the E flag extends LENGTH to 17 bits.
pub const NBSS_MAX_LEN: usize = 0x1_FFFF;
/// [MS-SMB2] 2.1: "Stream Protocol Length (3 bytes)".
pub const DIRECT_MAX_LEN: usize = 0xFF_FFFF;

/// Which framing a stream uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// NetBIOS session service (139): `TYPE FLAGS LENGTH(16)`, E flag = 17th length bit.
    Nbss,
    /// Direct TCP (445): a zero byte and a 24-bit length.
    Direct,
}

impl Transport {
    /// The largest payload the framing can express.
    pub fn max_len(self) -> usize {
        match self {
            Self::Nbss => NBSS_MAX_LEN,
            Self::Direct => DIRECT_MAX_LEN,
        }
    }
}

/// RFC 1002 §4.3.1 session packet TYPE, kept as a raw value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketType(pub u8);

impl PacketType {
    /// SESSION MESSAGE: carries an SMB message.
    pub const SESSION_MESSAGE: Self = Self(0x00);
    /// SESSION REQUEST.
    pub const SESSION_REQUEST: Self = Self(0x81);
    /// POSITIVE SESSION RESPONSE.
    pub const POSITIVE_RESPONSE: Self = Self(0x82);
    /// NEGATIVE SESSION RESPONSE.
    pub const NEGATIVE_RESPONSE: Self = Self(0x83);
    /// RETARGET SESSION RESPONSE.
    pub const RETARGET_RESPONSE: Self = Self(0x84);
    /// SESSION KEEP ALIVE.
    pub const KEEP_ALIVE: Self = Self(0x85);
}

/// A frame's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// TYPE (always SESSION MESSAGE on the direct transport).
    pub kind: PacketType,
    /// Payload length.
    pub length: usize,
}

impl FrameHeader {
    /// Decodes a frame header of `transport`.
    pub fn decode(
        transport: Transport,
        bytes: [u8; FRAME_HEADER_LEN],
    ) -> Result<Self, DecodeError> {
        let [kind, flags, hi, lo] = bytes;
        match transport {
            Transport::Nbss => {
                if flags & !0x01 != 0 {
                    return Err(DecodeError::Unexpected {
                        what: "NBSS FLAGS",
                        value: flags.into(),
                    });
                }
                let length =
                    (usize::from(flags & 0x01) << 16) | (usize::from(hi) << 8) | usize::from(lo);
                Ok(Self {
                    kind: PacketType(kind),
                    length,
                })
            }
            Transport::Direct => {
                if kind != 0 {
                    return Err(DecodeError::Unexpected {
                        what: "direct TCP zero byte",
                        value: kind.into(),
                    });
                }
                let length = (usize::from(flags) << 16) | (usize::from(hi) << 8) | usize::from(lo);
                Ok(Self {
                    kind: PacketType::SESSION_MESSAGE,
                    length,
                })
            }
        }
    }

    /// Writes a frame header. Fails if `length` is over what `transport` can express.
    pub fn encode(&self, transport: Transport, out: &mut Vec<u8>) -> Result<(), DecodeError> {
        if self.length > transport.max_len() {
            return Err(DecodeError::TooLarge {
                what: "frame length",
                value: self.length,
                limit: transport.max_len(),
            });
        }
        let [_, b1, b2, b3] = (self.length as u32).to_be_bytes();
        match transport {
            Transport::Nbss => out.extend_from_slice(&[self.kind.0, b1 & 0x01, b2, b3]),
            Transport::Direct => out.extend_from_slice(&[0, b1, b2, b3]),
        }
        Ok(())
    }
}

/// Writes `payload` as one frame of `kind`.
pub fn encode_frame(
    transport: Transport,
    kind: PacketType,
    payload: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), DecodeError> {
    FrameHeader {
        kind,
        length: payload.len(),
    }
    .encode(transport, out)?;
    out.extend_from_slice(payload);
    Ok(())
}

/// A whole frame taken off the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The frame's TYPE.
    pub kind: PacketType,
    /// Its payload.
    pub payload: Vec<u8>,
}

/// Cuts a byte stream into frames.
///
/// Bytes go in with [`Deframer::push`] as they arrive, in pieces of any size; whole frames
/// come out of [`Deframer::next_frame`]. A frame longer than the cap given at construction is
/// refused as soon as its header is seen, so a hostile 4 GB length costs nothing.
#[derive(Debug)]
pub struct Deframer {
    transport: Transport,
    max_len: usize,
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already returned as frames. They are dropped in bulk,
    /// not per frame, so a burst of small frames costs linear, not quadratic, time.
    consumed: usize,
}

impl Deframer {
    /// A deframer for `transport` that accepts payloads of at most `max_len` bytes (and never
    /// more than the transport can express).
    pub fn new(transport: Transport, max_len: usize) -> Self {
        Self {
            transport,
            max_len: max_len.min(transport.max_len()),
            buf: Vec::new(),
            consumed: 0,
        }
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.consumed > 0 {
            self.buf.drain(..self.consumed);
            self.consumed = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes held that are not yet part of a returned frame.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.consumed
    }

    /// The next whole frame, `Ok(None)` if more bytes are needed, or an error if the stream
    /// can't be valid (then the connection should be dropped).
    pub fn next_frame(&mut self) -> Result<Option<Frame>, DecodeError> {
        let rest = self.buf.get(self.consumed..).unwrap_or_default();
        let Some(head) = rest.first_chunk::<FRAME_HEADER_LEN>() else {
            return Ok(None);
        };
        let header = FrameHeader::decode(self.transport, *head)?;
        if header.length > self.max_len {
            return Err(DecodeError::TooLarge {
                what: "frame length",
                value: header.length,
                limit: self.max_len,
            });
        }
        let end = FRAME_HEADER_LEN + header.length;
        let Some(payload) = rest.get(FRAME_HEADER_LEN..end) else {
            return Ok(None);
        };
        let frame = Frame {
            kind: header.kind,
            payload: payload.to_vec(),
        };
        self.consumed += end;
        Ok(Some(frame))
    }
}

/// Reads one whole frame from `bytes`, which must hold exactly one.
pub fn decode_frame(transport: Transport, bytes: &[u8]) -> Result<Frame, DecodeError> {
    let mut r = Reader::new(bytes);
    let header = FrameHeader::decode(transport, r.array("frame header")?)?;
    let payload = r.take("frame payload", header.length)?.to_vec();
    r.finish("frame")?;
    Ok(Frame {
        kind: header.kind,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_17_bit_nbss_length() {
        let h = FrameHeader::decode(Transport::Nbss, [0x00, 0x01, 0xFF, 0xFF]).unwrap();
        assert_eq!(h.length, NBSS_MAX_LEN);
        assert!(FrameHeader::decode(Transport::Nbss, [0x00, 0x02, 0, 0]).is_err());
    }

    #[test]
    fn reads_24_bit_direct_length() {
        let h = FrameHeader::decode(Transport::Direct, [0x00, 0x12, 0x34, 0x56]).unwrap();
        assert_eq!(h.length, 0x12_3456);
        assert!(FrameHeader::decode(Transport::Direct, [0x81, 0, 0, 0]).is_err());
    }

    #[test]
    fn roundtrips_frames_on_both_transports() {
        for t in [Transport::Nbss, Transport::Direct] {
            let mut out = Vec::new();
            encode_frame(t, PacketType::SESSION_MESSAGE, b"\xFESMB", &mut out).unwrap();
            assert_eq!(decode_frame(t, &out).unwrap().payload, b"\xFESMB");
        }
        let mut out = Vec::new();
        assert!(
            encode_frame(
                Transport::Nbss,
                PacketType(0),
                &[0; NBSS_MAX_LEN + 1],
                &mut out
            )
            .is_err()
        );
    }

    #[test]
    fn deframes_split_and_merged_input() {
        let mut stream = Vec::new();
        encode_frame(Transport::Nbss, PacketType::KEEP_ALIVE, &[], &mut stream).unwrap();
        encode_frame(
            Transport::Nbss,
            PacketType::SESSION_MESSAGE,
            b"hello",
            &mut stream,
        )
        .unwrap();
        let mut d = Deframer::new(Transport::Nbss, 1024);
        let mut frames = Vec::new();
        for b in &stream {
            d.push(std::slice::from_ref(b));
            while let Some(f) = d.next_frame().unwrap() {
                frames.push(f);
            }
        }
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].kind, PacketType::KEEP_ALIVE);
        assert_eq!(frames[1].payload, b"hello");
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn refuses_giant_length_at_the_header() {
        let mut d = Deframer::new(Transport::Direct, 64 * 1024);
        d.push(&[0x00, 0xFF, 0xFF, 0xFF]);
        assert_eq!(
            d.next_frame(),
            Err(DecodeError::TooLarge {
                what: "frame length",
                value: DIRECT_MAX_LEN,
                limit: 64 * 1024
            })
        );
    }
}
