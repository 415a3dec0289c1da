//! Session establishment packets on TCP 139 (RFC 1002 §4.3.2-§4.3.7).

use super::{FRAME_HEADER_LEN, Frame, PacketType, Transport, encode_frame};
use crate::nbns::QualifiedName;
use crate::{DecodeError, Encode, Reader};

/// SESSION REQUEST: the NetBIOS names of the called (server) and calling (client) ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRequest {
    /// CALLED NAME: the server's `<20>` name, or `*SMBSERVER`.
    pub called: QualifiedName,
    /// CALLING NAME: the client's `<00>` name.
    pub calling: QualifiedName,
}

impl Encode for SessionRequest {
    fn encoded_len(&self) -> usize {
        FRAME_HEADER_LEN + self.called.encoded_len() + self.calling.encoded_len()
    }

    /// The whole frame, `81 00 00 44` and the two 34-byte names when there is no scope.
    fn encode(&self, out: &mut Vec<u8>) {
        let mut body = Vec::with_capacity(self.called.encoded_len() + self.calling.encoded_len());
        self.called.encode(&mut body);
        self.calling.encode(&mut body);
        // Two names of at most 255 bytes each always fit in 17 bits.
        let _ = encode_frame(Transport::Nbss, PacketType::SESSION_REQUEST, &body, out);
    }
}

impl SessionRequest {
    /// Decodes the payload of a SESSION REQUEST frame.
    pub fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(payload);
        let called = QualifiedName::decode(payload, &mut r)?;
        let calling = QualifiedName::decode(payload, &mut r)?;
        r.finish("SESSION REQUEST")?;
        Ok(Self { called, calling })
    }
}

/// NEGATIVE SESSION RESPONSE error code (RFC 1002 §4.3.4), kept as a raw value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegativeCode(pub u8);

impl NegativeCode {
    /// Not listening on called name.
    pub const NOT_LISTENING_ON_CALLED: Self = Self(0x80);
    /// Not listening for calling name.
    pub const NOT_LISTENING_FOR_CALLING: Self = Self(0x81);
    /// Called name not present.
    pub const CALLED_NAME_NOT_PRESENT: Self = Self(0x82);
    /// Called name present, but insufficient resources.
    pub const INSUFFICIENT_RESOURCES: Self = Self(0x83);
    /// Unspecified error.
    pub const UNSPECIFIED: Self = Self(0x8F);

    /// What the code means, for people.
    pub fn meaning(self) -> &'static str {
        match self.0 {
            0x80 => "not listening on called name",
            0x81 => "not listening for calling name",
            0x82 => "called name not present",
            0x83 => "called name present, but insufficient resources",
            0x8F => "unspecified error",
            _ => "unknown error code",
        }
    }
}

/// What a server answers to a SESSION REQUEST, or sends at any time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionPacket {
    /// SESSION MESSAGE with its payload (an SMB message).
    Message(Vec<u8>),
    /// SESSION REQUEST (what a client sends; decoded for tests and the fake server).
    Request(SessionRequest),
    /// POSITIVE SESSION RESPONSE.
    Positive,
    /// NEGATIVE SESSION RESPONSE with its error code.
    Negative(NegativeCode),
    /// RETARGET SESSION RESPONSE: try this address and port instead.
    Retarget {
        /// RETARGET_IP_ADDRESS.
        address: [u8; 4],
        /// PORT.
        port: u16,
    },
    /// SESSION KEEP ALIVE.
    KeepAlive,
}

impl SessionPacket {
    /// Interprets a frame taken off a TCP 139 stream.
    pub fn decode(frame: &Frame) -> Result<Self, DecodeError> {
        let mut r = Reader::new(&frame.payload);
        let packet = match frame.kind {
            PacketType::SESSION_MESSAGE => return Ok(Self::Message(frame.payload.clone())),
            PacketType::SESSION_REQUEST => {
                return SessionRequest::decode(&frame.payload).map(Self::Request);
            }
            PacketType::POSITIVE_RESPONSE => Self::Positive,
            PacketType::NEGATIVE_RESPONSE => Self::Negative(NegativeCode(r.u8("ERROR_CODE")?)),
            PacketType::RETARGET_RESPONSE => Self::Retarget {
                address: r.array("RETARGET_IP_ADDRESS")?,
                port: r.u16_be("PORT")?,
            },
            PacketType::KEEP_ALIVE => Self::KeepAlive,
            other => {
                return Err(DecodeError::Unexpected {
                    what: "NBSS TYPE",
                    value: other.0.into(),
                });
            }
        };
        r.finish("NBSS session packet")?;
        Ok(packet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nbns::NbName;
    use crate::nbss::{Deframer, decode_frame};

    #[test]
    fn builds_the_72_byte_request() {
        let req = SessionRequest {
            called: QualifiedName::new(NbName::new("SCV", 0x20).unwrap()),
            calling: QualifiedName::new(NbName::new("CLIENT", 0x00).unwrap()),
        };
        let frame = req.to_vec();
        assert_eq!(frame.len(), 72);
        assert_eq!(&frame[..4], &[0x81, 0, 0, 0x44]);
        let back = decode_frame(Transport::Nbss, &frame).unwrap();
        assert_eq!(
            SessionPacket::decode(&back).unwrap(),
            SessionPacket::Request(req)
        );
    }

    #[test]
    fn decodes_responses() {
        let mut d = Deframer::new(Transport::Nbss, 1024);
        d.push(&[
            0x82, 0, 0, 0, 0x83, 0, 0, 1, 0x82, 0x84, 0, 0, 6, 10, 0, 0, 1, 0, 139,
        ]);
        let mut got = Vec::new();
        while let Some(f) = d.next_frame().unwrap() {
            got.push(SessionPacket::decode(&f).unwrap());
        }
        assert_eq!(
            got,
            vec![
                SessionPacket::Positive,
                SessionPacket::Negative(NegativeCode::CALLED_NAME_NOT_PRESENT),
                SessionPacket::Retarget {
                    address: [10, 0, 0, 1],
                    port: 139
                },
            ]
        );
        assert_eq!(NegativeCode(0x82).meaning(), "called name not present");
    }

    #[test]
    fn rejects_short_negative_and_unknown_type() {
        let f = Frame {
            kind: PacketType::NEGATIVE_RESPONSE,
            payload: vec![],
        };
        assert!(SessionPacket::decode(&f).is_err());
        let f = Frame {
            kind: PacketType(0x42),
            payload: vec![],
        };
        assert!(SessionPacket::decode(&f).is_err());
        let f = Frame {
            kind: PacketType::POSITIVE_RESPONSE,
            payload: vec![1],
        };
        assert!(matches!(
            SessionPacket::decode(&f),
            Err(DecodeError::TrailingBytes { .. })
        ));
    }
}
