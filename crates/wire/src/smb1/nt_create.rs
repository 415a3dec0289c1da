//! SMB_COM_NT_CREATE_ANDX ([MS-CIFS] 2.2.4.64) to open a pipe or a share's root directory,
//! and SMB_COM_CLOSE ([MS-CIFS] 2.2.4.5) of the FID it gave.

use super::body::{Body, bytes_offset, put_request};
use super::header::{Header, command};
use super::strings::put_string;
use super::tree_connect::UNICODE_FLAGS2;
use crate::codec::measured_len;
use crate::field::len16;
use crate::{Encode, ResponseError};

/// `SECURITY_IMPERSONATION`, what Windows and smbclient ask for.
const IMPERSONATION: u32 = 2;

/// NT_CREATE_ANDX of `name` (Unicode) on the tree `tid`: no oplock, no root FID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NtCreateAndxRequest {
    /// `UID` of the session.
    pub uid: u16,
    /// `TID` of the tree.
    pub tid: u16,
    /// `MID`.
    pub mid: u16,
    /// `FileName`: `\srvsvc` for a pipe on IPC$, empty for a share's root.
    pub name: String,
    /// `DesiredAccess` ([MS-SMB2] 2.2.13.1 masks are the same).
    pub desired_access: u32,
    /// `ShareAccess`.
    pub share_access: u32,
    /// `CreateDisposition` (1 FILE_OPEN).
    pub disposition: u32,
    /// `CreateOptions` (0x1 FILE_DIRECTORY_FILE, 0x40 FILE_NON_DIRECTORY_FILE).
    pub options: u32,
}

impl Encode for NtCreateAndxRequest {
    fn encoded_len(&self) -> usize {
        measured_len(|out| self.encode(out))
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut header =
            Header::request(command::NT_CREATE_ANDX, UNICODE_FLAGS2, self.uid, self.mid);
        header.tid = self.tid;
        let mut name = Vec::new();
        put_string(&mut name, &self.name, true);
        let mut words = vec![command::NO_ANDX_COMMAND, 0, 0, 0, 0]; // AndX, Reserved
        // NameLength counts the terminator, as smbclient sends it.
        words.extend_from_slice(&len16(name.len()).to_le_bytes());
        for v in [0u32, 0] {
            words.extend_from_slice(&v.to_le_bytes()); // Flags, RootDirectoryFID
        }
        words.extend_from_slice(&self.desired_access.to_le_bytes());
        words.extend_from_slice(&0u64.to_le_bytes()); // AllocationSize
        for v in [
            0u32, // ExtFileAttributes
            self.share_access,
            self.disposition,
            self.options,
            IMPERSONATION,
        ] {
            words.extend_from_slice(&v.to_le_bytes());
        }
        words.push(0); // SecurityFlags
        let mut bytes = Vec::with_capacity(name.len() + 1);
        if bytes_offset(words.len()) % 2 == 1 {
            bytes.push(0); // Pad: the Unicode name starts at an even offset
        }
        bytes.extend_from_slice(&name);
        put_request(out, &header, &words, &bytes);
    }
}

/// An NT_CREATE_ANDX response: what the share walk needs of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NtCreateAndxResponse {
    /// `FID`.
    pub fid: u16,
    /// `CreateDisposition` (the action taken).
    pub create_disposition: u32,
    /// `ExtFileAttributes`.
    pub attributes: u32,
    /// `ResourceType` (0 file or directory, 2 message-mode pipe).
    pub resource_type: u16,
    /// `Directory` is non-zero.
    pub directory: bool,
}

impl NtCreateAndxResponse {
    /// Decodes WordCount 34 and the longer extended forms (WordCount 42; Samba's 42 words
    /// with 50 written) by their first 34 words; a non-zero status is
    /// [`ResponseError::Status`].
    pub fn decode(msg: &[u8]) -> Result<Self, ResponseError> {
        let body = Body::decode(
            msg,
            command::NT_CREATE_ANDX,
            "SMB1 Command (NT_CREATE_ANDX expected)",
            &[],
        )?;
        if body.word_count < 34 {
            return Err(crate::DecodeError::Unexpected {
                what: "NT_CREATE_ANDX WordCount",
                value: u32::from(body.word_count),
            }
            .into());
        }
        let mut w = body.words.clone();
        w.take("AndX", 4)?;
        w.u8("OplockLevel")?;
        let fid = w.u16_le("FID")?;
        let create_disposition = w.u32_le("CreateDisposition")?;
        w.take("times", 32)?;
        let attributes = w.u32_le("ExtFileAttributes")?;
        w.take("AllocationSize and EndOfFile", 16)?;
        let resource_type = w.u16_le("ResourceType")?;
        w.u16_le("NMPipeStatus")?;
        let directory = w.u8("Directory")? != 0;
        Ok(Self {
            fid,
            create_disposition,
            attributes,
            resource_type,
            directory,
        })
    }
}

/// SMB_COM_CLOSE of `fid` (LastTimeModified 0xFFFFFFFF: leave it as it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseRequest {
    /// `UID` of the session.
    pub uid: u16,
    /// `TID` of the tree.
    pub tid: u16,
    /// `MID`.
    pub mid: u16,
    /// `FID`.
    pub fid: u16,
}

impl Encode for CloseRequest {
    fn encoded_len(&self) -> usize {
        measured_len(|out| self.encode(out))
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut header = Header::request(command::CLOSE, UNICODE_FLAGS2, self.uid, self.mid);
        header.tid = self.tid;
        let mut words = self.fid.to_le_bytes().to_vec();
        words.extend_from_slice(&u32::MAX.to_le_bytes());
        put_request(out, &header, &words, &[]);
    }
}

/// The status of an SMB_COM_CLOSE response (any WordCount: it carries nothing else).
pub fn close_status(msg: &[u8]) -> Result<u32, ResponseError> {
    let body = Body::decode(msg, command::CLOSE, "SMB1 Command (CLOSE expected)", &[])?;
    Ok(body.header.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_aligns_the_unicode_name_and_counts_it() {
        let msg = NtCreateAndxRequest {
            uid: 1,
            tid: 2,
            mid: 3,
            name: r"\srvsvc".into(),
            desired_access: 0x0012_019f,
            share_access: 3,
            disposition: 1,
            options: 0x40,
        }
        .to_vec();
        assert_eq!(msg[32], 24, "WordCount");
        assert_eq!(u16::from_le_bytes([msg[38], msg[39]]), 16, "NameLength");
        assert_eq!(&msg[48..52], &0x0012_019fu32.to_le_bytes());
        let byte_count = usize::from(u16::from_le_bytes([msg[81], msg[82]]));
        assert_eq!(byte_count, msg.len() - 83);
        assert_eq!(msg[83], 0, "pad");
        assert_eq!(&msg[84..86], b"\\\0");
        assert!(msg.ends_with(b"c\0\0\0"));
        let (h, _) = Header::decode(&msg).unwrap();
        assert_eq!((h.uid, h.tid, h.mid), (1, 2, 3));
    }

    fn response(word_count: u8) -> Vec<u8> {
        let mut msg = Vec::new();
        let mut h = Header::request(command::NT_CREATE_ANDX, 0, 1, 2);
        h.flags |= super::super::flags::REPLY;
        h.encode(&mut msg);
        msg.push(word_count);
        let mut words = vec![0xFF, 0, 0, 0, 0];
        words.extend_from_slice(&0x4001u16.to_le_bytes()); // FID
        words.extend_from_slice(&1u32.to_le_bytes());
        words.extend_from_slice(&[0; 32]);
        words.extend_from_slice(&0x10u32.to_le_bytes());
        words.extend_from_slice(&[0; 16]);
        words.extend_from_slice(&[0, 0, 0, 0, 1]);
        words.resize(usize::from(word_count) * 2, 0);
        msg.extend_from_slice(&words);
        msg.extend_from_slice(&[0, 0]);
        msg
    }

    #[test]
    fn decodes_plain_and_extended_responses() {
        for wc in [34, 42, 50] {
            let resp = NtCreateAndxResponse::decode(&response(wc)).unwrap();
            assert_eq!(resp.fid, 0x4001);
            assert_eq!(resp.attributes, 0x10);
            assert!(resp.directory);
        }
        let short = response(34);
        for len in 0..short.len() - 2 {
            assert!(
                NtCreateAndxResponse::decode(&short[..len]).is_err(),
                "{len}"
            );
        }
        assert!(NtCreateAndxResponse::decode(&response(33)).is_err());
    }

    #[test]
    fn close_request_and_status() {
        let msg = CloseRequest {
            uid: 1,
            tid: 2,
            mid: 3,
            fid: 0x4001,
        }
        .to_vec();
        assert_eq!(&msg[32..], &[3, 1, 0x40, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0]);
        let mut answer = msg[..32].to_vec();
        answer.extend_from_slice(&[0, 0, 0]);
        assert_eq!(close_status(&answer), Ok(0));
        answer[5] = 8;
        answer[8] = 0xC0;
        assert_eq!(
            close_status(&answer),
            Err(ResponseError::Status(0xC000_0008))
        );
    }
}
