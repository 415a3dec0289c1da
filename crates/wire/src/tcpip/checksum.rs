//! The Internet checksum (RFC 1071) of IPv4 headers and of TCP segments over their
//! pseudo-header (RFC 9293 §3.1 for IPv4, RFC 8200 §8.1 for IPv6).

use super::IpPair;

/// IP protocol / next-header number of TCP.
pub(crate) const PROTO_TCP: u8 = 6;

/// A running one's-complement sum of 16-bit big-endian words.
///
/// Wide enough that no carry is lost before [`Sum::finish`] folds it: a u64 holds the sum
/// of 2^48 words, far more than any packet has.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sum(u64);

impl Sum {
    /// Adds `bytes` as big-endian words; an odd last byte is padded with a zero on the
    /// right (RFC 1071 §4.1), so only the last call of a sum may have odd length.
    pub(crate) fn bytes(mut self, bytes: &[u8]) -> Self {
        let mut words = bytes.chunks_exact(2);
        for word in &mut words {
            if let &[hi, lo] = word {
                self.0 += u64::from(u16::from_be_bytes([hi, lo]));
            }
        }
        if let &[last] = words.remainder() {
            self.0 += u64::from(last) << 8;
        }
        self
    }

    /// Adds one word.
    pub(crate) fn word(mut self, word: u16) -> Self {
        self.0 += u64::from(word);
        self
    }

    /// The TCP pseudo-header: both addresses, the protocol and the segment length. For IPv6
    /// the length is 32 bits and the protocol sits after three zero bytes, which sums to the
    /// same words as IPv4's layout for any length below 2^16.
    pub(crate) fn pseudo_header(self, ips: IpPair, segment_len: u16) -> Self {
        let sum = match ips {
            IpPair::V4 { src, dst } => self.bytes(&src.octets()).bytes(&dst.octets()),
            IpPair::V6 { src, dst } => self.bytes(&src.octets()).bytes(&dst.octets()),
        };
        sum.word(u16::from(PROTO_TCP)).word(segment_len)
    }

    /// The folded one's complement of the sum: the value to store in a checksum field that
    /// was zero while summing, or 0 when summing over a correct checksum field.
    pub(crate) fn finish(self) -> u16 {
        let mut sum = self.0;
        while sum > 0xFFFF {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        // After the loop `sum` fits in 16 bits.
        !(u16::try_from(sum).unwrap_or(u16::MAX))
    }
}

/// The Internet checksum of `bytes` (RFC 1071): for an IPv4 header whose checksum field is
/// zero, the value to put there; for a header as received, 0 when the checksum is right.
pub fn internet_checksum(bytes: &[u8]) -> u16 {
    Sum::default().bytes(bytes).finish()
}

/// The TCP checksum of `segment` (header and data) sent between `ips`: with the segment's
/// checksum field zero, the value to put there; as received, 0 when it is right. `None`
/// when the segment is longer than the 65,535 bytes a pseudo-header length here can say.
pub fn tcp_checksum(ips: IpPair, segment: &[u8]) -> Option<u16> {
    let len = u16::try_from(segment.len()).ok()?;
    Some(
        Sum::default()
            .pseudo_header(ips, len)
            .bytes(segment)
            .finish(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::unhex;

    #[test]
    fn rfc1071_example_sums_to_its_documented_value() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (one's complement 220d).
        assert_eq!(internet_checksum(&unhex("0001 f203 f4f5 f6f7")), !0xddf2);
    }

    #[test]
    fn odd_length_pads_the_last_byte_on_the_right() {
        assert_eq!(internet_checksum(&[0x12]), !0x1200);
        assert_eq!(internet_checksum(&[0x12, 0x34, 0x56]), !(0x1234 + 0x5600));
    }

    #[test]
    fn carries_fold_back_into_the_sum() {
        // 0xFFFF + 0x0001 = 0x1_0000, folded to 0x0001.
        assert_eq!(internet_checksum(&[0xFF, 0xFF, 0x00, 0x01]), !0x0001);
    }
}
