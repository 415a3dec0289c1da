//! The TargetInfo AV_PAIR list of a CHALLENGE_MESSAGE ([MS-NLMP] 2.2.2.1).

use crate::field::put_len16_le;
use crate::text::utf16le;
use crate::{DecodeError, Reader};

/// Most AV pairs one TargetInfo may hold. Windows sends 6 to 10; the cap keeps a hostile list
/// of empty pairs (4 bytes each on the wire, ~32 bytes each decoded) within the crate's
/// allocation bound.
pub const MAX_AV_PAIRS: usize = 64;

/// `MsvAvEOL`: ends the list.
pub const MSV_AV_EOL: u16 = 0;
/// `MsvAvNbComputerName`: the server's NetBIOS computer name (UTF-16LE).
pub const MSV_AV_NB_COMPUTER_NAME: u16 = 1;
/// `MsvAvNbDomainName`: the NetBIOS domain or workgroup name (UTF-16LE).
pub const MSV_AV_NB_DOMAIN_NAME: u16 = 2;
/// `MsvAvDnsComputerName`: the server's FQDN (UTF-16LE).
pub const MSV_AV_DNS_COMPUTER_NAME: u16 = 3;
/// `MsvAvDnsDomainName`: the DNS domain (UTF-16LE).
pub const MSV_AV_DNS_DOMAIN_NAME: u16 = 4;
/// `MsvAvDnsTreeName`: the forest's DNS name (UTF-16LE).
pub const MSV_AV_DNS_TREE_NAME: u16 = 5;
/// `MsvAvFlags`: a 32-bit flag field.
pub const MSV_AV_FLAGS: u16 = 6;
/// MsvAvFlags bit 0x2: the AUTHENTICATE carries a MIC.
pub const MSV_AV_FLAG_MIC: u32 = 0x2;
/// `MsvAvTimestamp`: the server's clock as a FILETIME.
pub const MSV_AV_TIMESTAMP: u16 = 7;
/// `MsvAvSingleHost`: a Single_Host_Data structure.
pub const MSV_AV_SINGLE_HOST: u16 = 8;
/// `MsvAvTargetName`: the SPN of the target (UTF-16LE, AUTHENTICATE only in the spec).
pub const MSV_AV_TARGET_NAME: u16 = 9;
/// `MsvAvChannelBindings`: an MD5 hash of channel bindings.
pub const MSV_AV_CHANNEL_BINDINGS: u16 = 10;

/// The spec name of an AvId ([MS-NLMP] 2.2.2.1), or `"unknown"`.
pub fn av_id_name(id: u16) -> &'static str {
    match id {
        MSV_AV_EOL => "MsvAvEOL",
        MSV_AV_NB_COMPUTER_NAME => "MsvAvNbComputerName",
        MSV_AV_NB_DOMAIN_NAME => "MsvAvNbDomainName",
        MSV_AV_DNS_COMPUTER_NAME => "MsvAvDnsComputerName",
        MSV_AV_DNS_DOMAIN_NAME => "MsvAvDnsDomainName",
        MSV_AV_DNS_TREE_NAME => "MsvAvDnsTreeName",
        MSV_AV_FLAGS => "MsvAvFlags",
        MSV_AV_TIMESTAMP => "MsvAvTimestamp",
        MSV_AV_SINGLE_HOST => "MsvAvSingleHost",
        MSV_AV_TARGET_NAME => "MsvAvTargetName",
        MSV_AV_CHANNEL_BINDINGS => "MsvAvChannelBindings",
        _ => "unknown",
    }
}

/// [MS-NLMP] 2.2.2.1 AV_PAIR: one attribute, its value kept as raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvPair {
    /// AvId (see [`av_id_name`]).
    pub id: u16,
    /// The AvLen bytes of Value, verbatim.
    pub value: Vec<u8>,
}

/// The TargetInfo of a CHALLENGE_MESSAGE: every AV pair in wire order, duplicates included,
/// and the closing `MsvAvEOL` pair as the last entry when the server sent one.
///
/// The getters return the first pair with their AvId. String values are UTF-16LE; a
/// terminating NUL some servers add (Samba sends a lone NUL for an empty DNS domain) is not
/// part of the returned string, so Samba's empty domain reads as `Some("")`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetInfo {
    /// The AV pairs in wire order.
    pub pairs: Vec<AvPair>,
}

impl TargetInfo {
    /// Decodes an AV_PAIR list. Pairs are not aligned; the list ends at `MsvAvEOL` (bytes
    /// after it are ignored) or, tolerating servers that omit it, at the end of `bytes`.
    /// A pair cut short is an error, as is a list of more than [`MAX_AV_PAIRS`] pairs.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::decode_at(bytes, 0)
    }

    /// [`TargetInfo::decode`] of bytes found at `offset` in a larger message, so errors name
    /// offsets in that message.
    pub(super) fn decode_at(bytes: &[u8], offset: usize) -> Result<Self, DecodeError> {
        let mut r = Reader::with_offset(bytes, offset);
        let mut pairs = Vec::new();
        while r.remaining() > 0 {
            if pairs.len() == MAX_AV_PAIRS {
                return Err(DecodeError::TooLarge {
                    what: "TargetInfo AV pairs",
                    value: pairs.len() + 1,
                    limit: MAX_AV_PAIRS,
                });
            }
            let id = r.u16_le("AV_PAIR.AvId")?;
            let len = r.u16_le("AV_PAIR.AvLen")?;
            let value = r.take("AV_PAIR.Value", usize::from(len))?.to_vec();
            pairs.push(AvPair { id, value });
            if id == MSV_AV_EOL {
                break;
            }
        }
        Ok(Self { pairs })
    }

    /// Appends the pairs as they are (no `MsvAvEOL` is added). Values over 65535 bytes are
    /// cut to fit AvLen.
    pub fn encode(&self, out: &mut Vec<u8>) {
        for pair in &self.pairs {
            let value = pair
                .value
                .get(..usize::from(u16::MAX))
                .unwrap_or(&pair.value);
            out.extend_from_slice(&pair.id.to_le_bytes());
            put_len16_le(out, value.len());
            out.extend_from_slice(value);
        }
    }

    /// The AV pairs a client puts in its NTLMv2 blob ([MS-NLMP] 3.1.5.1.2): the server's,
    /// without `MsvAvEOL`, with MsvAvFlags bit 0x2 ("the MIC is present") added to the
    /// server's flags or as a new pair when `mic`, then `MsvAvEOL`.
    pub fn client_copy(&self, mic: bool) -> Vec<u8> {
        let mut pairs: Vec<AvPair> = self
            .pairs
            .iter()
            .filter(|p| p.id != MSV_AV_EOL && !(mic && p.id == MSV_AV_FLAGS))
            .cloned()
            .collect();
        if mic {
            let flags = self.flags().unwrap_or(0) | MSV_AV_FLAG_MIC;
            pairs.push(AvPair {
                id: MSV_AV_FLAGS,
                value: flags.to_le_bytes().to_vec(),
            });
        }
        pairs.push(AvPair {
            id: MSV_AV_EOL,
            value: Vec::new(),
        });
        let mut out = Vec::new();
        Self { pairs }.encode(&mut out);
        out
    }

    /// The value of the first pair with AvId `id`.
    pub fn value(&self, id: u16) -> Option<&[u8]> {
        self.pairs
            .iter()
            .find(|pair| pair.id == id)
            .map(|pair| pair.value.as_slice())
    }

    fn string(&self, id: u16) -> Option<String> {
        self.value(id).map(|value| {
            let mut s = utf16le(value);
            s.truncate(s.trim_end_matches('\0').len());
            s
        })
    }

    /// `MsvAvNbComputerName` (AvId 1).
    pub fn nb_computer(&self) -> Option<String> {
        self.string(MSV_AV_NB_COMPUTER_NAME)
    }

    /// `MsvAvNbDomainName` (AvId 2); equal to the computer name on workgroup hosts.
    pub fn nb_domain(&self) -> Option<String> {
        self.string(MSV_AV_NB_DOMAIN_NAME)
    }

    /// `MsvAvDnsComputerName` (AvId 3).
    pub fn dns_computer(&self) -> Option<String> {
        self.string(MSV_AV_DNS_COMPUTER_NAME)
    }

    /// `MsvAvDnsDomainName` (AvId 4).
    pub fn dns_domain(&self) -> Option<String> {
        self.string(MSV_AV_DNS_DOMAIN_NAME)
    }

    /// `MsvAvDnsTreeName` (AvId 5): the forest; absent on workgroup hosts.
    pub fn dns_tree(&self) -> Option<String> {
        self.string(MSV_AV_DNS_TREE_NAME)
    }

    /// `MsvAvFlags` (AvId 6), if its value is exactly 4 bytes.
    pub fn flags(&self) -> Option<u32> {
        self.value(MSV_AV_FLAGS)
            .and_then(|v| <[u8; 4]>::try_from(v).ok())
            .map(u32::from_le_bytes)
    }

    /// `MsvAvTimestamp` (AvId 7) as the raw FILETIME, if its value is exactly 8 bytes (see
    /// [`crate::text::filetime_to_unix_nanos`]).
    pub fn timestamp(&self) -> Option<u64> {
        self.value(MSV_AV_TIMESTAMP)
            .and_then(|v| <[u8; 8]>::try_from(v).ok())
            .map(u64::from_le_bytes)
    }

    /// `MsvAvTargetName` (AvId 9).
    pub fn target_name(&self) -> Option<String> {
        self.string(MSV_AV_TARGET_NAME)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::to_utf16le;

    fn pair(id: u16, value: &[u8]) -> Vec<u8> {
        let mut out = id.to_le_bytes().to_vec();
        out.extend_from_slice(&u16::try_from(value.len()).unwrap().to_le_bytes());
        out.extend_from_slice(value);
        out
    }

    /// A Windows-shaped list: NetBIOS domain and computer, DNS names, timestamp, EOL.
    fn domain_list() -> Vec<u8> {
        [
            pair(2, &to_utf16le("SVV")),
            pair(1, &to_utf16le("WIN-SVV-PC1")),
            pair(4, &to_utf16le("svv.local")),
            pair(3, &to_utf16le("win-svv-pc1.svv.local")),
            pair(5, &to_utf16le("svv.local")),
            pair(7, &[0x6d, 0xff, 0x76, 0x8b, 0x99, 0x56, 0xdb, 0x01]),
            pair(0, &[]),
        ]
        .concat()
    }

    #[test]
    fn decodes_every_getter() {
        let info = TargetInfo::decode(&domain_list()).unwrap();
        assert_eq!(info.pairs.len(), 7);
        assert_eq!(info.nb_domain().as_deref(), Some("SVV"));
        assert_eq!(info.nb_computer().as_deref(), Some("WIN-SVV-PC1"));
        assert_eq!(info.dns_domain().as_deref(), Some("svv.local"));
        assert_eq!(
            info.dns_computer().as_deref(),
            Some("win-svv-pc1.svv.local")
        );
        assert_eq!(info.dns_tree().as_deref(), Some("svv.local"));
        assert_eq!(info.timestamp(), Some(0x01db_5699_8b76_ff6d));
        assert_eq!(info.flags(), None);
        assert_eq!(info.target_name(), None);
        assert_eq!(
            info.pairs.last(),
            Some(&AvPair {
                id: 0,
                value: vec![]
            })
        );
    }

    #[test]
    fn roundtrips_byte_for_byte() {
        let bytes = domain_list();
        let mut out = Vec::new();
        TargetInfo::decode(&bytes).unwrap().encode(&mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn keeps_duplicates_and_getters_return_the_first() {
        let bytes = [
            pair(1, &to_utf16le("FIRST")),
            pair(1, &to_utf16le("SECOND")),
            pair(0, &[]),
        ]
        .concat();
        let info = TargetInfo::decode(&bytes).unwrap();
        assert_eq!(info.pairs.len(), 3);
        assert_eq!(info.nb_computer().as_deref(), Some("FIRST"));
    }

    #[test]
    fn reads_unaligned_pairs_flags_and_odd_values() {
        // A 3-byte unknown value leaves every later pair on an odd offset.
        let bytes = [
            pair(0x77, &[1, 2, 3]),
            pair(6, &[2, 0, 0, 0]),
            pair(9, &to_utf16le("cifs/srv")),
            pair(7, &[1, 2, 3]),
            pair(0, &[]),
        ]
        .concat();
        let info = TargetInfo::decode(&bytes).unwrap();
        assert_eq!(
            info.pairs[0],
            AvPair {
                id: 0x77,
                value: vec![1, 2, 3]
            }
        );
        assert_eq!(info.flags(), Some(2));
        assert_eq!(info.target_name().as_deref(), Some("cifs/srv"));
        assert_eq!(
            info.timestamp(),
            None,
            "a 3-byte timestamp is not a FILETIME"
        );
        assert_eq!(av_id_name(0x77), "unknown");
        assert_eq!(av_id_name(7), "MsvAvTimestamp");
    }

    #[test]
    fn samba_empty_dns_domain_is_an_empty_string() {
        let info = TargetInfo::decode(&pair(4, &[0, 0])).unwrap();
        assert_eq!(info.dns_domain().as_deref(), Some(""));
    }

    #[test]
    fn decodes_utf16_properly() {
        let info = TargetInfo::decode(&pair(1, &to_utf16le("SRV-é\u{1F600}"))).unwrap();
        assert_eq!(info.nb_computer().as_deref(), Some("SRV-é\u{1F600}"));
        let lone = TargetInfo::decode(&pair(1, &[0x00, 0xD8, b'A', 0])).unwrap();
        assert_eq!(lone.nb_computer().as_deref(), Some("\u{FFFD}A"));
    }

    #[test]
    fn stops_at_eol_and_tolerates_a_missing_one() {
        let mut bytes = [pair(1, &to_utf16le("A")), pair(0, &[])].concat();
        bytes.extend_from_slice(&[0xEE; 5]);
        assert_eq!(TargetInfo::decode(&bytes).unwrap().pairs.len(), 2);
        let no_eol = TargetInfo::decode(&pair(1, &to_utf16le("A"))).unwrap();
        assert_eq!(no_eol.pairs.len(), 1);
        assert_eq!(TargetInfo::decode(&[]).unwrap(), TargetInfo::default());
    }

    #[test]
    fn rejects_truncated_pairs_at_every_cut() {
        let bytes = domain_list();
        // Cutting inside a pair is an error; cutting exactly between pairs is a list
        // without its EOL, which is tolerated.
        let mut boundaries = vec![0];
        let mut at = 0;
        while at < bytes.len() {
            let len = usize::from(u16::from_le_bytes([bytes[at + 2], bytes[at + 3]]));
            at += 4 + len;
            boundaries.push(at);
        }
        for cut in 0..bytes.len() {
            let result = TargetInfo::decode(&bytes[..cut]);
            if boundaries.contains(&cut) {
                assert!(result.is_ok(), "cut {cut}");
            } else {
                assert!(
                    matches!(result, Err(DecodeError::Truncated { .. })),
                    "cut {cut}: {result:?}"
                );
            }
        }
    }

    #[test]
    fn rejects_a_hostile_avlen_without_allocating() {
        let bytes = [1, 0, 0xFF, 0xFF, b'A', 0];
        assert_eq!(
            TargetInfo::decode(&bytes),
            Err(DecodeError::Truncated {
                what: "AV_PAIR.Value",
                offset: 4,
                needed: 0xFFFF,
                available: 2
            })
        );
    }

    #[test]
    fn caps_the_pair_count_exactly() {
        let at_limit: Vec<u8> = (0..MAX_AV_PAIRS).flat_map(|_| pair(0x55, &[])).collect();
        assert_eq!(
            TargetInfo::decode(&at_limit).unwrap().pairs.len(),
            MAX_AV_PAIRS
        );
        let over: Vec<u8> = (0..=MAX_AV_PAIRS).flat_map(|_| pair(0x55, &[])).collect();
        assert_eq!(
            TargetInfo::decode(&over),
            Err(DecodeError::TooLarge {
                what: "TargetInfo AV pairs",
                value: MAX_AV_PAIRS + 1,
                limit: MAX_AV_PAIRS
            })
        );
    }

    #[test]
    fn the_client_copy_ends_at_one_eol_and_carries_the_mic_flag() {
        let info = TargetInfo {
            pairs: vec![
                AvPair {
                    id: MSV_AV_NB_DOMAIN_NAME,
                    value: vec![b'L', 0],
                },
                AvPair {
                    id: MSV_AV_FLAGS,
                    value: 1u32.to_le_bytes().to_vec(),
                },
                AvPair {
                    id: MSV_AV_EOL,
                    value: Vec::new(),
                },
            ],
        };
        let plain = info.client_copy(false);
        assert_eq!(
            plain,
            [2, 0, 2, 0, b'L', 0, 6, 0, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0]
        );
        let with_mic = TargetInfo::decode(&info.client_copy(true)).unwrap();
        assert_eq!(
            with_mic.flags(),
            Some(1 | MSV_AV_FLAG_MIC),
            "the server's flag kept"
        );
        assert_eq!(
            with_mic
                .pairs
                .iter()
                .filter(|p| p.id == MSV_AV_FLAGS)
                .count(),
            1
        );
        assert_eq!(with_mic.pairs.last().map(|p| p.id), Some(MSV_AV_EOL));
    }
}
