//! The VERSION structure ([MS-NLMP] 2.2.2.10): the sender's OS version and NTLM revision.

use std::fmt;

use crate::{DecodeError, Reader};

/// [MS-NLMP] 2.2.2.10 VERSION: "used for debugging purposes only", and the best anonymous
/// hint of a Windows build there is. The build can lag the installed OS (Windows 10 22H2
/// still says 19041) and Samba sends 6.1.0, so report it as the NTLM build, not the OS.
///
/// The three Reserved bytes are not kept (the spec says they are zero and ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    /// ProductMajorVersion (e.g. 10).
    pub major: u8,
    /// ProductMinorVersion (e.g. 0).
    pub minor: u8,
    /// ProductBuild, little-endian on the wire (e.g. 17763).
    pub build: u16,
    /// NTLMRevisionCurrent; [`Version::NTLMSSP_REVISION_W2K3`] (0x0F) in every real message.
    pub revision: u8,
}

impl Version {
    /// Size of the structure on the wire.
    pub const LEN: usize = 8;
    /// `NTLMSSP_REVISION_W2K3`, the only NTLMRevisionCurrent value in use.
    pub const NTLMSSP_REVISION_W2K3: u8 = 0x0F;

    /// Reads the 8 bytes of a VERSION (exactly 8; anything else is an error).
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = Self::read(&mut r)?;
        r.finish("Version")?;
        Ok(version)
    }

    pub(super) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let major = r.u8("Version.ProductMajorVersion")?;
        let minor = r.u8("Version.ProductMinorVersion")?;
        let build = r.u16_le("Version.ProductBuild")?;
        r.take("Version.Reserved", 3)?;
        let revision = r.u8("Version.NTLMRevisionCurrent")?;
        Ok(Self {
            major,
            minor,
            build,
            revision,
        })
    }

    /// Appends the 8 wire bytes (Reserved as zeros).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.major);
        out.push(self.minor);
        out.extend_from_slice(&self.build.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0]);
        out.push(self.revision);
    }
}

/// `major.minor.build`, e.g. `10.0.17763` (the revision is left out).
impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.build)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WS2019: [u8; 8] = [0x0A, 0x00, 0x63, 0x45, 0x00, 0x00, 0x00, 0x0F];

    #[test]
    fn decodes_and_displays_server_2019() {
        let v = Version::decode(&WS2019).unwrap();
        assert_eq!(
            v,
            Version {
                major: 10,
                minor: 0,
                build: 17763,
                revision: 0x0F
            }
        );
        assert_eq!(v.to_string(), "10.0.17763");
    }

    #[test]
    fn roundtrips_layout_byte_for_byte() {
        let mut out = Vec::new();
        Version::decode(&WS2019).unwrap().encode(&mut out);
        assert_eq!(out, WS2019);
    }

    #[test]
    fn rejects_wrong_sizes() {
        for len in 0..8 {
            assert!(matches!(
                Version::decode(&WS2019[..len]),
                Err(DecodeError::Truncated { .. })
            ));
        }
        assert_eq!(
            Version::decode(&[0; 9]),
            Err(DecodeError::TrailingBytes {
                what: "Version",
                len: 1
            })
        );
    }
}
