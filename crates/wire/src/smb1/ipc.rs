//! What the MS17-010 check sends over SMB1 once a null session is up:
//! SMB_COM_TREE_CONNECT_ANDX to IPC$ ([MS-CIFS] 2.2.4.55.1) and SMB_COM_TRANSACTION with
//! the PeekNamedPipe subcommand on FID 0 ([MS-CIFS] 2.2.4.33.1, 2.2.5.5).
//!
//! Strings are OEM (Flags2 without UNICODE, as the well-known checks send them), so no
//! alignment padding is needed. The answers are judged by their header's status alone
//! ([`super::Header::decode`]); the TID of a successful tree connect is in its header.

use super::header::{Header, command, flags2};
use crate::Encode;
use crate::codec::measured_len;

/// Flags2 of these requests: long names and NT status codes, OEM strings.
const FLAGS2: u16 = flags2::LONG_NAMES | flags2::NT_STATUS;
/// `TRANS_PEEK_NMPIPE` ([MS-CIFS] 2.2.5.5).
pub const TRANS_PEEK_NMPIPE: u16 = 0x0023;

/// TREE_CONNECT_ANDX to `path` (`\\server\IPC$`), service `?????` (any), an empty
/// password (one zero byte, as user-level security takes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeConnectAndxRequest {
    /// `UID` of the session.
    pub uid: u16,
    /// `MID`.
    pub mid: u16,
    /// `\\server\share`.
    pub path: String,
}

impl Encode for TreeConnectAndxRequest {
    fn encoded_len(&self) -> usize {
        measured_len(|out| self.encode(out))
    }

    fn encode(&self, out: &mut Vec<u8>) {
        Header::request(command::TREE_CONNECT_ANDX, FLAGS2, self.uid, self.mid).encode(out);
        out.push(4); // WordCount
        out.extend_from_slice(&[command::NO_ANDX_COMMAND, 0, 0, 0]);
        out.extend_from_slice(&0u16.to_le_bytes()); // Flags
        out.extend_from_slice(&1u16.to_le_bytes()); // PasswordLength
        let mut bytes = vec![0u8]; // Password
        // OEM path; a non-ASCII character becomes '?' (server names are ASCII or IPs).
        bytes.extend(
            self.path
                .chars()
                .map(|c| if c.is_ascii() { c as u8 } else { b'?' }),
        );
        bytes.push(0);
        bytes.extend_from_slice(b"?????\0");
        bytes.truncate(usize::from(u16::MAX));
        out.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
        out.extend_from_slice(&bytes);
    }
}

/// SMB_COM_TRANSACTION PeekNamedPipe on FID 0 of `\PIPE\`: no parameters, no data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeekNamedPipeRequest {
    /// `UID` of the session.
    pub uid: u16,
    /// `TID` of the IPC$ tree.
    pub tid: u16,
    /// `MID`.
    pub mid: u16,
}

/// The header, WordCount 16 (14 + 2 setup words) and the 2-byte ByteCount.
const PEEK_OFFSET: u16 = 32 + 1 + 16 * 2 + 2 + 7;

impl Encode for PeekNamedPipeRequest {
    fn encoded_len(&self) -> usize {
        measured_len(|out| self.encode(out))
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut header = Header::request(command::TRANSACTION, FLAGS2, self.uid, self.mid);
        header.tid = self.tid;
        header.encode(out);
        out.push(16); // WordCount
        for word in [0u16, 0, 0xFFFF, 0xFFFF] {
            // TotalParameterCount, TotalDataCount, MaxParameterCount, MaxDataCount
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(&[0, 0]); // MaxSetupCount, Reserved1
        out.extend_from_slice(&0u16.to_le_bytes()); // Flags
        out.extend_from_slice(&0u32.to_le_bytes()); // Timeout
        out.extend_from_slice(&0u16.to_le_bytes()); // Reserved2
        for word in [0u16, PEEK_OFFSET, 0, PEEK_OFFSET] {
            // ParameterCount, ParameterOffset, DataCount, DataOffset
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(&[2, 0]); // SetupCount, Reserved3
        out.extend_from_slice(&TRANS_PEEK_NMPIPE.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // FID 0
        let name = b"\\PIPE\\\0";
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(name);
    }
}

/// The DoublePulsar "ping": SMB_COM_TRANSACTION2 SESSION_SETUP (subcommand 0x000E) with
/// MID 65 and 12 zero parameter bytes, as WannaCry sends it. The implant answers with MID
/// 81 (65 + 16); a clean Windows answers MID 65 (STATUS_NOT_IMPLEMENTED).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoublePulsarPing {
    /// `UID` of the session.
    pub uid: u16,
    /// `TID` of the IPC$ tree.
    pub tid: u16,
}

/// The MID of [`DoublePulsarPing`].
pub const DOUBLEPULSAR_PING_MID: u16 = 65;
/// The MID the implant answers with.
pub const DOUBLEPULSAR_ANSWER_MID: u16 = 81;
/// `TRANS2_SESSION_SETUP`.
const TRANS2_SESSION_SETUP: u16 = 0x000E;
/// WannaCry's Timeout value, which the implant reads as its "ping" opcode.
const PING_TIMEOUT: u32 = 0x00EE_3401;

impl Encode for DoublePulsarPing {
    fn encoded_len(&self) -> usize {
        measured_len(|out| self.encode(out))
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut header = Header::request(
            command::TRANSACTION2,
            FLAGS2,
            self.uid,
            DOUBLEPULSAR_PING_MID,
        );
        header.tid = self.tid;
        header.encode(out);
        out.push(15); // WordCount
        // TotalParameterCount 12, TotalDataCount 0, MaxParameterCount 1, MaxDataCount 0
        for word in [12u16, 0, 1, 0] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(&[0, 0]); // MaxSetupCount, Reserved1
        out.extend_from_slice(&0u16.to_le_bytes()); // Flags
        out.extend_from_slice(&PING_TIMEOUT.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // Reserved2
        // ParameterCount 12 at 66 (after one pad byte), DataCount 0 at 78
        for word in [12u16, 66, 0, 78] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(&[1, 0]); // SetupCount, Reserved3
        out.extend_from_slice(&TRANS2_SESSION_SETUP.to_le_bytes());
        out.extend_from_slice(&13u16.to_le_bytes()); // ByteCount: pad + 12 parameter bytes
        out.extend_from_slice(&[0; 13]);
    }
}

/// The implant's XOR key, from the first four bytes of its answer's Signature field (as
/// Metasploit and NetExec compute it).
pub fn doublepulsar_xor_key(signature: [u8; 8]) -> u32 {
    let s = u32::from_le_bytes([signature[0], signature[1], signature[2], signature[3]]);
    let mixed = ((s & 0xff00) | (s << 16)) << 8 | ((s >> 16) | (s & 0x00ff_0000)) >> 8;
    (s.wrapping_mul(2)) ^ mixed
}

/// The implanted kernel's architecture, from the last four bytes of the Signature field:
/// 0 is x86, anything else x64 (Metasploit's reading).
pub fn doublepulsar_arch(signature: [u8; 8]) -> &'static str {
    if signature[4..] == [0, 0, 0, 0] {
        "x86"
    } else {
        "x64"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::unhex;

    /// WannaCry's PeekNamedPipe (frame 7 of the eternalsafety wannacry-subset capture,
    /// see tests/data/SOURCES.md), byte for byte after the PID, which is the client's own.
    #[test]
    fn peek_named_pipe_matches_the_wannacry_probe_shape() {
        let ours = PeekNamedPipeRequest {
            uid: 0x0800,
            tid: 0x0800,
            mid: 0x5ec5,
        }
        .to_vec();
        let theirs = unhex(
            "ff534d422500000000180128000000000000000000000000000800080008c55e\
             1000000000ffffffff0000000000000000000000004a0000004a00020023000000\
             07005c504950455c00",
        );
        assert_eq!(ours.len(), theirs.len());
        // From WordCount on, the bodies are equal; so are command, TID, UID and MID.
        assert_eq!(ours[32..], theirs[32..]);
        assert_eq!(ours[4], theirs[4]);
        assert_eq!(ours[24..26], theirs[24..26], "TID");
        assert_eq!(ours[28..32], theirs[28..32], "UID and MID");
    }

    /// WannaCry's DoublePulsar ping (frame 28 of the wannacry-subset capture) from WordCount
    /// on, and the key and architecture of the implant's answer (frame 58).
    #[test]
    fn doublepulsar_ping_and_answer_match_wannacry() {
        let ours = DoublePulsarPing {
            uid: 0x0800,
            tid: 0x0800,
        }
        .to_vec();
        let theirs = unhex(
            "ff534d4232000000001807c00000000000000000000000000008fffe00084100\
             0f0c00000001000000000000000134ee0000000c00420000004e0001000e000d\
             0000000000000000000000000000",
        );
        assert_eq!(ours[32..], theirs[32..]);
        assert_eq!(ours[24..26], theirs[24..26], "TID");
        assert_eq!(ours[28..32], theirs[28..32], "UID and MID");
        let answer =
            unhex("ff534d4232020000c09807c000003a10e0360100000000000008fffe00085100000000");
        let signature: [u8; 8] = answer[14..22].try_into().unwrap();
        assert_eq!(
            u16::from_le_bytes([answer[30], answer[31]]),
            DOUBLEPULSAR_ANSWER_MID
        );
        assert_eq!(doublepulsar_xor_key(signature), 0x57d0_c042);
        assert_eq!(doublepulsar_arch(signature), "x64");
    }

    /// WannaCry's TREE_CONNECT_ANDX to IPC$ (frame 5), from WordCount on, except its
    /// ByteCount: WannaCry sends 28 for the 30 bytes that follow (a known quirk of it).
    #[test]
    fn tree_connect_matches_the_wannacry_probe_shape() {
        let ours = TreeConnectAndxRequest {
            uid: 0x0800,
            mid: 0x5ec5,
            path: r"\\192.168.116.138\IPC$".into(),
        }
        .to_vec();
        let theirs = unhex(
            "ff534d42750000000018012000000000000000000000000000002f4b0008c55e\
             04ff000000000001001c00005c5c3139322e3136382e3131362e3133385c4950\
             4324003f3f3f3f3f00",
        );
        assert_eq!(ours[32..41], theirs[32..41]);
        assert_eq!(u16::from_le_bytes([ours[41], ours[42]]), 30);
        assert_eq!(ours.len() - 43, 30, "ByteCount counts what follows");
        assert_eq!(ours[43..], theirs[43..]);
        assert_eq!(ours[28..32], theirs[28..32], "UID and MID");
    }
}
