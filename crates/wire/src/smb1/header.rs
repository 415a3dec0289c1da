//! The SMB1 header ([MS-CIFS] 2.2.3.1, [MS-SMB] 2.2.3.1) and its flag bits.

use crate::{DecodeError, Reader};

/// `Protocol` of an SMB1 message: 0xFF 'S' 'M' 'B'.
pub const PROTOCOL_ID: [u8; 4] = [0xFF, b'S', b'M', b'B'];
/// Length of the SMB1 header.
pub const HEADER_LEN: usize = 32;
/// The PID we send (PIDLow 0xFEFF, PIDHigh 0), the value Windows clients use.
const CLIENT_PID: u16 = 0xFEFF;

/// [MS-CIFS] 2.2.2.1 command codes used here.
pub mod command {
    /// SMB_COM_NEGOTIATE.
    pub const NEGOTIATE: u8 = 0x72;
    /// SMB_COM_SESSION_SETUP_ANDX.
    pub const SESSION_SETUP_ANDX: u8 = 0x73;
    /// SMB_COM_TREE_CONNECT_ANDX.
    pub const TREE_CONNECT_ANDX: u8 = 0x75;
    /// SMB_COM_TRANSACTION.
    pub const TRANSACTION: u8 = 0x25;
    /// SMB_COM_TRANSACTION2.
    pub const TRANSACTION2: u8 = 0x32;
    /// SMB_COM_CLOSE.
    pub const CLOSE: u8 = 0x04;
    /// SMB_COM_READ_ANDX.
    pub const READ_ANDX: u8 = 0x2E;
    /// SMB_COM_NT_CREATE_ANDX.
    pub const NT_CREATE_ANDX: u8 = 0xA2;
    /// "No further commands" in an AndX chain.
    pub const NO_ANDX_COMMAND: u8 = 0xFF;
}

/// [MS-CIFS] 2.2.3.1 `Flags` bits.
pub mod flags {
    /// `SMB_FLAGS_CASE_INSENSITIVE`.
    pub const CASE_INSENSITIVE: u8 = 0x08;
    /// `SMB_FLAGS_CANONICALIZED_PATHS`.
    pub const CANONICALIZED_PATHS: u8 = 0x10;
    /// `SMB_FLAGS_REPLY`: the message is a response.
    pub const REPLY: u8 = 0x80;
}

/// [MS-CIFS] 2.2.3.1 and [MS-SMB] 2.2.3.1 `Flags2` bits.
pub mod flags2 {
    /// `SMB_FLAGS2_LONG_NAMES`.
    pub const LONG_NAMES: u16 = 0x0001;
    /// `SMB_FLAGS2_EAS`.
    pub const EAS: u16 = 0x0002;
    /// `SMB_FLAGS2_SMB_SECURITY_SIGNATURE`: the message is signed.
    pub const SIGNATURES: u16 = 0x0004;
    /// `SMB_FLAGS2_SMB_SECURITY_SIGNATURE_REQUIRED`.
    pub const SIGNATURES_REQUIRED: u16 = 0x0010;
    /// `SMB_FLAGS2_IS_LONG_NAME`.
    pub const IS_LONG_NAME: u16 = 0x0040;
    /// `SMB_FLAGS2_REPARSE_PATH`.
    pub const REPARSE_PATH: u16 = 0x0400;
    /// `SMB_FLAGS2_EXTENDED_SECURITY`.
    pub const EXTENDED_SECURITY: u16 = 0x0800;
    /// `SMB_FLAGS2_DFS`.
    pub const DFS: u16 = 0x1000;
    /// `SMB_FLAGS2_PAGING_IO`.
    pub const PAGING_IO: u16 = 0x2000;
    /// `SMB_FLAGS2_NT_STATUS`: `Status` is a 32-bit NT status.
    pub const NT_STATUS: u16 = 0x4000;
    /// `SMB_FLAGS2_UNICODE`: strings are UTF-16LE.
    pub const UNICODE: u16 = 0x8000;
}

/// The 32-byte SMB1 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    /// `Command`.
    pub command: u8,
    /// `Status`: an NT status when `flags2` has [`flags2::NT_STATUS`], else the DOS error
    /// (`ErrorClass`, reserved byte, `ErrorCode`) read as one little-endian `u32`.
    pub status: u32,
    /// `Flags` (see [`flags`]).
    pub flags: u8,
    /// `Flags2` (see [`flags2`]).
    pub flags2: u16,
    /// `PIDHigh`.
    pub pid_high: u16,
    /// `SecurityFeatures` (the signature when signing is active).
    pub signature: [u8; 8],
    /// `TID`.
    pub tid: u16,
    /// `PIDLow`.
    pub pid: u16,
    /// `UID`.
    pub uid: u16,
    /// `MID`.
    pub mid: u16,
}

impl Header {
    /// Decodes the header at the start of `msg` and returns it with the bytes after it.
    pub fn decode(msg: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        let mut r = Reader::new(msg);
        let protocol = r.array::<4>("SMB1 Protocol")?;
        if protocol != PROTOCOL_ID {
            return Err(DecodeError::Unexpected {
                what: "SMB1 Protocol",
                value: u32::from_be_bytes(protocol),
            });
        }
        let command = r.u8("SMB1 Command")?;
        let status = r.u32_le("SMB1 Status")?;
        let flags = r.u8("SMB1 Flags")?;
        let flags2 = r.u16_le("SMB1 Flags2")?;
        let pid_high = r.u16_le("SMB1 PIDHigh")?;
        let signature = r.array::<8>("SMB1 SecurityFeatures")?;
        r.u16_le("SMB1 Reserved")?;
        let tid = r.u16_le("SMB1 TID")?;
        let pid = r.u16_le("SMB1 PIDLow")?;
        let uid = r.u16_le("SMB1 UID")?;
        let mid = r.u16_le("SMB1 MID")?;
        let header = Self {
            command,
            status,
            flags,
            flags2,
            pid_high,
            signature,
            tid,
            pid,
            uid,
            mid,
        };
        Ok((header, r.peek_rest()))
    }

    /// Appends the 32 header bytes to `out` (`Reserved` is 0).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&PROTOCOL_ID);
        out.push(self.command);
        out.extend_from_slice(&self.status.to_le_bytes());
        out.push(self.flags);
        out.extend_from_slice(&self.flags2.to_le_bytes());
        out.extend_from_slice(&self.pid_high.to_le_bytes());
        out.extend_from_slice(&self.signature);
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&self.tid.to_le_bytes());
        out.extend_from_slice(&self.pid.to_le_bytes());
        out.extend_from_slice(&self.uid.to_le_bytes());
        out.extend_from_slice(&self.mid.to_le_bytes());
    }

    /// A request header: Flags CASE_INSENSITIVE | CANONICALIZED_PATHS, TID 0xFFFF (no tree),
    /// PID 0xFEFF.
    pub(crate) fn request(command: u8, flags2: u16, uid: u16, mid: u16) -> Self {
        Self {
            command,
            flags: flags::CASE_INSENSITIVE | flags::CANONICALIZED_PATHS,
            flags2,
            tid: 0xFFFF,
            pid: CLIENT_PID,
            uid,
            mid,
            ..Self::default()
        }
    }

    /// Strings in this message are UTF-16LE.
    pub fn unicode(&self) -> bool {
        self.flags2 & flags2::UNICODE != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SMB1 header of a Windows 7 NEGOTIATE response (ndpi smbv1.pcap, frame 2).
    const WIN7: [u8; 32] = [
        0xFF, b'S', b'M', b'B', 0x72, 0, 0, 0, 0, 0x98, 0x53, 0xC0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0xFF, 0xFE, 0, 0, 0x40, 0,
    ];

    #[test]
    fn decodes_header_fields() {
        let (h, rest) = Header::decode(&WIN7).unwrap();
        assert_eq!(h.command, command::NEGOTIATE);
        assert_eq!(h.status, 0);
        assert_eq!(h.flags, 0x98);
        assert_eq!(h.flags2, 0xC053);
        assert_eq!((h.tid, h.pid, h.uid, h.mid), (0, 0xFEFF, 0, 64));
        assert!(h.unicode());
        assert!(rest.is_empty());
    }

    #[test]
    fn roundtrips_header_byte_for_byte() {
        let (h, _) = Header::decode(&WIN7).unwrap();
        let mut out = Vec::new();
        h.encode(&mut out);
        assert_eq!(out, WIN7);
    }

    #[test]
    fn rejects_truncated_and_foreign_headers() {
        for len in 0..HEADER_LEN {
            assert!(Header::decode(&WIN7[..len]).is_err(), "len {len}");
        }
        let mut smb2 = WIN7;
        smb2[0] = 0xFE;
        assert!(matches!(
            Header::decode(&smb2),
            Err(DecodeError::Unexpected {
                what: "SMB1 Protocol",
                ..
            })
        ));
    }
}
