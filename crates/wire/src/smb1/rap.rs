//! RAP NetShareEnum ([MS-RAP] 2.5.6.1, 2.5.6.2): the LAN Manager share list, asked for in an
//! SMB_COM_TRANSACTION on `\PIPE\LANMAN` when the srvsvc pipe is refused. Level 1 only
//! (`WrLeh` / `B13BWz`: a 13-byte name, a type, a remark pointer).

use crate::dcerpc::{MAX_SHARES, ShareInfo};
use crate::{DecodeError, Reader};

/// The RAP opcode of NetShareEnum.
const RAP_NET_SHARE_ENUM: u16 = 0;
/// Bytes of one `share_info_1` entry: NetworkName[13], Pad, Type, RemarkOffsetLow/High.
const ENTRY_LEN: usize = 20;
/// The name of the pipe RAP goes to.
pub const RAP_PIPE: &str = r"\PIPE\LANMAN";

/// The TRANSACTION parameters of NetShareEnum level 1 with a `receive_buffer`-byte answer.
pub fn rap_share_enum_parameters(receive_buffer: u16) -> Vec<u8> {
    let mut p = RAP_NET_SHARE_ENUM.to_le_bytes().to_vec();
    p.extend_from_slice(b"WrLeh\0");
    p.extend_from_slice(b"B13BWz\0");
    p.extend_from_slice(&1u16.to_le_bytes()); // Level
    p.extend_from_slice(&receive_buffer.to_le_bytes());
    p
}

/// A NetShareEnum answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RapShareEnum {
    /// `Win32ErrorCode` (0 success, 234 ERROR_MORE_DATA, 5 access denied).
    pub status: u16,
    /// `Converter`, subtracted from remark offsets.
    pub converter: u16,
    /// `EntriesReturned`.
    pub returned: u16,
    /// `EntriesAvailable`.
    pub available: u16,
    /// The shares (at most `EntriesReturned`, what the data holds and [`MAX_SHARES`]);
    /// `share_type` is the RAP type (0 disk, 1 printer, 2 device, 3 IPC).
    pub shares: Vec<ShareInfo>,
}

impl RapShareEnum {
    /// Decodes the TRANSACTION response's parameters and data. The data is not read when
    /// the status is an error. A remark offset outside the data gives no comment.
    pub fn decode(parameters: &[u8], data: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(parameters);
        let status = r.u16_le("RAP Win32ErrorCode")?;
        let converter = r.u16_le("RAP Converter")?;
        let mut answer = Self {
            status,
            converter,
            returned: 0,
            available: 0,
            shares: Vec::new(),
        };
        if !matches!(status, 0 | 234) {
            return Ok(answer);
        }
        answer.returned = r.u16_le("RAP EntriesReturned")?;
        answer.available = r.u16_le("RAP EntriesAvailable")?;
        let count = usize::from(answer.returned);
        if count > MAX_SHARES {
            return Err(DecodeError::TooLarge {
                what: "RAP EntriesReturned",
                value: count,
                limit: MAX_SHARES,
            });
        }
        if count * ENTRY_LEN > data.len() {
            return Err(DecodeError::Truncated {
                what: "RAP share_info_1 entries",
                offset: 0,
                needed: count * ENTRY_LEN,
                available: data.len(),
            });
        }
        let mut d = Reader::new(data);
        // Remarks may share bytes (pointers are free), but together they may not hold more
        // bytes than the data: entries pointing at one long remark cannot multiply it.
        let mut remark_bytes = 0usize;
        for _ in 0..count {
            let name = d.array::<13>("RAP NetworkName")?;
            d.u8("RAP Pad")?;
            let share_type = d.u16_le("RAP Type")?;
            let low = d.u16_le("RAP RemarkOffsetLow")?;
            d.u16_le("RAP RemarkOffsetHigh")?;
            let at = usize::from(low.wrapping_sub(converter));
            let remark = data.get(at..).map(until_nul);
            remark_bytes += remark.map_or(0, <[u8]>::len);
            if remark_bytes > data.len() {
                return Err(DecodeError::TooLarge {
                    what: "RAP remarks",
                    value: remark_bytes,
                    limit: data.len(),
                });
            }
            let comment = remark.map(oem);
            answer.shares.push(ShareInfo {
                name: oem(&name),
                share_type: Some(u32::from(share_type)),
                comment,
            });
        }
        Ok(answer)
    }
}

/// The bytes before the first NUL.
fn until_nul(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    bytes.get(..end).unwrap_or(bytes)
}

/// OEM text up to its first NUL.
fn oem(bytes: &[u8]) -> String {
    String::from_utf8_lossy(until_nul(bytes)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, share_type: u16, remark_at: u16) -> Vec<u8> {
        let mut e = name.as_bytes().to_vec();
        e.resize(14, 0);
        e.extend_from_slice(&share_type.to_le_bytes());
        e.extend_from_slice(&remark_at.to_le_bytes());
        e.extend_from_slice(&[0, 0]);
        e
    }

    #[test]
    fn parameters_are_net_share_enum_level_1() {
        assert_eq!(
            rap_share_enum_parameters(4096),
            b"\0\0WrLeh\0B13BWz\0\x01\0\0\x10".to_vec()
        );
    }

    #[test]
    fn decodes_entries_and_remarks_through_the_converter() {
        let mut data = entry("public", 0, 40 + 100);
        data.extend(entry("IPC$", 3, 46 + 100));
        data.extend_from_slice(b"files\0IPC Service\0");
        let params = [0, 0, 100, 0, 2, 0, 2, 0];
        let answer = RapShareEnum::decode(&params, &data).unwrap();
        assert_eq!(answer.returned, 2);
        assert_eq!(answer.shares[0].name, "public");
        assert_eq!(answer.shares[0].comment.as_deref(), Some("files"));
        assert_eq!(answer.shares[1].share_type, Some(3));
        assert_eq!(answer.shares[1].comment.as_deref(), Some("IPC Service"));
        // A remark pointer outside the data: no comment, not an error.
        let far = entry("x", 0, 9999);
        let answer = RapShareEnum::decode(&[0, 0, 0, 0, 1, 0, 1, 0], &far).unwrap();
        assert_eq!(answer.shares[0].comment, None);
    }

    #[test]
    fn rejects_counts_beyond_the_data_and_keeps_errors() {
        let data = entry("public", 0, 0);
        assert!(RapShareEnum::decode(&[0, 0, 0, 0, 2, 0, 2, 0], &data).is_err());
        let denied = RapShareEnum::decode(&[5, 0, 0, 0], &[]).unwrap();
        assert_eq!((denied.status, denied.shares.len()), (5, 0));
        assert!(RapShareEnum::decode(&[0, 0, 0], &[]).is_err());
        // Every entry pointing at one long remark: refused before the copies add up.
        let mut data: Vec<u8> = (0..200).flat_map(|_| entry("x", 0, 4000)).collect();
        data.resize(4000, 0);
        data.extend(std::iter::repeat_n(b'r', 3000));
        data.push(0);
        let many = RapShareEnum::decode(&[0, 0, 0, 0, 200, 0, 200, 0], &data);
        assert!(matches!(
            many,
            Err(DecodeError::TooLarge {
                what: "RAP remarks",
                ..
            })
        ));
        let flood = RapShareEnum::decode(&[0, 0, 0, 0, 0xFF, 0xFF, 0, 0], &[]);
        assert!(matches!(flood, Err(DecodeError::TooLarge { .. })));
    }
}
