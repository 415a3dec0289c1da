//! The few SMB messages the fake servers send, assembled by hand from the specs so that the
//! servers do not share a line of code with the codecs under test.

/// `STATUS_ACCESS_DENIED`.
pub(crate) const STATUS_ACCESS_DENIED: u32 = 0xC000_0022;
/// `STATUS_NOT_SUPPORTED` ([MS-SMB2] 3.3.5.4: no common dialect).
const STATUS_NOT_SUPPORTED: u32 = 0xC000_00BB;
/// The highest dialect the fake servers speak (3.0.2: a 3.1.1 answer needs contexts).
pub(crate) const MAX_DIALECT: u16 = 0x0302;
/// The wildcard revision Windows answers to a multi-protocol SMB1 negotiate.
const WILDCARD_DIALECT: u16 = 0x02FF;
/// ServerGuid of every fake server.
pub(crate) const SERVER_GUID: [u8; 16] = [
    0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
];
/// [`SERVER_GUID`] in its registry form.
pub(crate) const SERVER_GUID_TEXT: &str = "00112233-4455-6677-8899-aabbccddeeff";
/// Length of [`smb2_negotiate_response`]'s output: 64-byte header, 65-byte body.
pub(crate) const NEGOTIATE_RESPONSE_LEN: usize = 129;

/// An SMB request as the fake servers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Request {
    /// An SMB2 NEGOTIATE and the dialects it offers.
    Smb2Negotiate {
        /// MessageId.
        message_id: u64,
        /// Dialects offered.
        dialects: Vec<u16>,
    },
    /// Any other SMB2 request.
    Smb2Other {
        /// Command.
        command: u16,
        /// MessageId.
        message_id: u64,
    },
    /// An SMB1 NEGOTIATE ([MS-CIFS] 2.2.4.52.1); the PID/MID/TID/UID words to echo.
    Smb1Negotiate {
        /// Header bytes 24..32: TID, PIDLow, UID, MID.
        ids: [u8; 8],
    },
    /// Anything else.
    Other,
}

fn u16_at(msg: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(msg.get(at..at + 2)?.try_into().ok()?))
}

fn u64_at(msg: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(msg.get(at..at + 8)?.try_into().ok()?))
}

/// Reads what kind of request `msg` (an SMB message, without framing) is.
pub(crate) fn parse_request(msg: &[u8]) -> Request {
    match msg.get(..4) {
        Some([0xFE, b'S', b'M', b'B']) => parse_smb2(msg).unwrap_or(Request::Other),
        Some([0xFF, b'S', b'M', b'B']) if msg.get(4) == Some(&0x72) => {
            match msg.get(24..32).and_then(|ids| ids.try_into().ok()) {
                Some(ids) => Request::Smb1Negotiate { ids },
                None => Request::Other,
            }
        }
        _ => Request::Other,
    }
}

/// [MS-SMB2] 2.2.1.2 header: Command at 12, MessageId at 24; 2.2.3 NEGOTIATE request:
/// DialectCount at 64 + 2, Dialects at 64 + 36.
fn parse_smb2(msg: &[u8]) -> Option<Request> {
    let command = u16_at(msg, 12)?;
    let message_id = u64_at(msg, 24)?;
    if command != 0 {
        return Some(Request::Smb2Other {
            command,
            message_id,
        });
    }
    let count = usize::from(u16_at(msg, 66)?);
    let dialects = (0..count)
        .map(|i| u16_at(msg, 100 + 2 * i))
        .collect::<Option<Vec<_>>>()?;
    Some(Request::Smb2Negotiate {
        message_id,
        dialects,
    })
}

/// [MS-SMB2] 2.2.1.2: a sync response header.
fn smb2_header(command: u16, status: u32, message_id: u64) -> Vec<u8> {
    let mut m = Vec::with_capacity(NEGOTIATE_RESPONSE_LEN);
    m.extend_from_slice(&[0xFE, b'S', b'M', b'B']);
    m.extend_from_slice(&64u16.to_le_bytes()); // StructureSize
    m.extend_from_slice(&0u16.to_le_bytes()); // CreditCharge
    m.extend_from_slice(&status.to_le_bytes());
    m.extend_from_slice(&command.to_le_bytes());
    m.extend_from_slice(&1u16.to_le_bytes()); // CreditResponse
    m.extend_from_slice(&1u32.to_le_bytes()); // Flags: SMB2_FLAGS_SERVER_TO_REDIR
    m.extend_from_slice(&0u32.to_le_bytes()); // NextCommand
    m.extend_from_slice(&message_id.to_le_bytes());
    m.extend_from_slice(&0u32.to_le_bytes()); // Reserved
    m.extend_from_slice(&0u32.to_le_bytes()); // TreeId
    m.extend_from_slice(&0u64.to_le_bytes()); // SessionId
    m.extend_from_slice(&[0; 16]); // Signature
    m
}

/// [MS-SMB2] 2.2.4: a NEGOTIATE response choosing `dialect`, signing enabled but not
/// required, no security buffer and no contexts.
pub(crate) fn smb2_negotiate_response(message_id: u64, dialect: u16) -> Vec<u8> {
    let mut m = smb2_header(0, 0, message_id);
    m.extend_from_slice(&65u16.to_le_bytes()); // StructureSize
    m.extend_from_slice(&1u16.to_le_bytes()); // SecurityMode: SIGNING_ENABLED
    m.extend_from_slice(&dialect.to_le_bytes());
    m.extend_from_slice(&0u16.to_le_bytes()); // NegotiateContextCount
    m.extend_from_slice(&SERVER_GUID);
    m.extend_from_slice(&0x0000_0007u32.to_le_bytes()); // DFS | LEASING | LARGE_MTU
    for max in [8u32 << 20; 3] {
        m.extend_from_slice(&max.to_le_bytes()); // MaxTransact/Read/WriteSize
    }
    m.extend_from_slice(&133_485_408_000_000_000u64.to_le_bytes()); // SystemTime 2024-01-01
    m.extend_from_slice(&0u64.to_le_bytes()); // ServerStartTime
    m.extend_from_slice(&128u16.to_le_bytes()); // SecurityBufferOffset
    m.extend_from_slice(&0u16.to_le_bytes()); // SecurityBufferLength
    m.extend_from_slice(&0u32.to_le_bytes()); // NegotiateContextOffset
    m.push(0); // the one variable byte StructureSize 65 counts
    debug_assert_eq!(m.len(), NEGOTIATE_RESPONSE_LEN);
    m
}

/// [MS-SMB2] 2.2.2: an ERROR response with `status`.
pub(crate) fn smb2_error_response(command: u16, message_id: u64, status: u32) -> Vec<u8> {
    let mut m = smb2_header(command, status, message_id);
    m.extend_from_slice(&9u16.to_le_bytes()); // StructureSize
    m.push(0); // ErrorContextCount
    m.push(0); // Reserved
    m.extend_from_slice(&0u32.to_le_bytes()); // ByteCount
    m.push(0); // ErrorData
    m
}

/// The answer of a well-behaved SMB2 server to a NEGOTIATE offering `dialects`: the highest
/// one up to [`MAX_DIALECT`], else STATUS_NOT_SUPPORTED.
pub(crate) fn answer_smb2_negotiate(message_id: u64, dialects: &[u16]) -> Vec<u8> {
    match dialects.iter().copied().filter(|d| *d <= MAX_DIALECT).max() {
        Some(dialect) => smb2_negotiate_response(message_id, dialect),
        None => smb2_error_response(0, message_id, STATUS_NOT_SUPPORTED),
    }
}

/// What a server that answers every NEGOTIATE in SMB2 sends to an SMB1 NEGOTIATE.
pub(crate) fn smb2_answer_to_smb1() -> Vec<u8> {
    smb2_negotiate_response(0, WILDCARD_DIALECT)
}

/// [MS-CIFS] 2.2.4.52.2: the NEGOTIATE response of a server that has none of the offered
/// dialects: WordCount 1, DialectIndex 0xFFFF, ByteCount 0.
pub(crate) fn smb1_no_common_dialect(ids: [u8; 8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(37);
    m.extend_from_slice(&[0xFF, b'S', b'M', b'B', 0x72]);
    m.extend_from_slice(&0u32.to_le_bytes()); // Status
    m.push(0x88); // Flags: REPLY | CASE_INSENSITIVE
    m.extend_from_slice(&0xC001u16.to_le_bytes()); // Flags2: UNICODE | NT_STATUS | LONG_NAMES
    m.extend_from_slice(&[0; 12]); // PIDHigh, SecurityFeatures, Reserved
    m.extend_from_slice(&ids); // TID, PIDLow, UID, MID as sent
    m.push(1); // WordCount
    m.extend_from_slice(&0xFFFFu16.to_le_bytes()); // DialectIndex
    m.extend_from_slice(&0u16.to_le_bytes()); // ByteCount
    m
}

/// A deterministic byte stream (xorshift64*), for garbage that is the same on every run.
pub(crate) fn pseudo_random(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_assembled_messages_have_their_spec_sizes() {
        assert_eq!(smb2_negotiate_response(0, MAX_DIALECT).len(), 129);
        assert_eq!(smb2_error_response(1, 1, STATUS_ACCESS_DENIED).len(), 73);
        assert_eq!(smb1_no_common_dialect([0; 8]).len(), 37);
        let mut req = smb2_header(0, 0, 0);
        req.extend_from_slice(&36u16.to_le_bytes());
        req.extend_from_slice(&2u16.to_le_bytes());
        req.extend_from_slice(&[0; 32]);
        req.extend_from_slice(&[0x02, 0x02, 0x11, 0x03]);
        assert_eq!(
            parse_request(&req),
            Request::Smb2Negotiate {
                message_id: 0,
                dialects: vec![0x0202, 0x0311]
            }
        );
    }
}
