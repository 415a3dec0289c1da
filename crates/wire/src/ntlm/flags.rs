//! NegotiateFlags bits ([MS-NLMP] 2.2.2.5), under their `NTLMSSP_NEGOTIATE_*` spec names
//! without the prefix. Plain `u32` constants: the message keeps the raw field, so bits we do
//! not name survive verbatim.

/// `NTLMSSP_NEGOTIATE_UNICODE` (A): strings are UTF-16LE.
pub const UNICODE: u32 = 0x0000_0001;
/// `NTLM_NEGOTIATE_OEM` (B): strings are in the OEM code page.
pub const OEM: u32 = 0x0000_0002;
/// `NTLMSSP_REQUEST_TARGET` (C): the server is asked to fill in TargetName.
pub const REQUEST_TARGET: u32 = 0x0000_0004;
/// `NTLMSSP_NEGOTIATE_SIGN` (D): session signing.
pub const SIGN: u32 = 0x0000_0010;
/// `NTLMSSP_NEGOTIATE_SEAL` (E): session sealing (encryption).
pub const SEAL: u32 = 0x0000_0020;
/// `NTLMSSP_NEGOTIATE_DATAGRAM` (F): connectionless NTLM.
pub const DATAGRAM: u32 = 0x0000_0040;
/// `NTLMSSP_NEGOTIATE_LM_KEY` (G): LAN Manager session key.
pub const LM_KEY: u32 = 0x0000_0080;
/// `NTLMSSP_NEGOTIATE_NTLM` (H): NTLM v1 session security.
pub const NTLM: u32 = 0x0000_0200;
/// `NTLMSSP_NEGOTIATE_ANONYMOUS` (J): the connection is anonymous.
pub const ANONYMOUS: u32 = 0x0000_0800;
/// `NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED` (K): a NEGOTIATE carries a domain name.
pub const OEM_DOMAIN_SUPPLIED: u32 = 0x0000_1000;
/// `NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED` (L): a NEGOTIATE carries a workstation name.
pub const OEM_WORKSTATION_SUPPLIED: u32 = 0x0000_2000;
/// `NTLMSSP_NEGOTIATE_ALWAYS_SIGN` (M): a dummy signature even without SIGN.
pub const ALWAYS_SIGN: u32 = 0x0000_8000;
/// `NTLMSSP_TARGET_TYPE_DOMAIN` (N): TargetName is a domain name.
pub const TARGET_TYPE_DOMAIN: u32 = 0x0001_0000;
/// `NTLMSSP_TARGET_TYPE_SERVER` (O): TargetName is a server name.
pub const TARGET_TYPE_SERVER: u32 = 0x0002_0000;
/// `NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY` (P): NTLM2 session security.
pub const EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
/// `NTLMSSP_NEGOTIATE_IDENTIFY` (Q): an identify-level token is requested.
pub const IDENTIFY: u32 = 0x0010_0000;
/// `NTLMSSP_REQUEST_NON_NT_SESSION_KEY` (R): LMOWF-derived session key.
pub const REQUEST_NON_NT_SESSION_KEY: u32 = 0x0040_0000;
/// `NTLMSSP_NEGOTIATE_TARGET_INFO` (S): the CHALLENGE's TargetInfo fields are filled in.
pub const TARGET_INFO: u32 = 0x0080_0000;
/// `NTLMSSP_NEGOTIATE_VERSION` (T): the Version field is present.
pub const VERSION: u32 = 0x0200_0000;
/// `NTLMSSP_NEGOTIATE_128` (U): 128-bit session keys.
pub const KEY_128: u32 = 0x2000_0000;
/// `NTLMSSP_NEGOTIATE_KEY_EXCH` (V): explicit key exchange.
pub const KEY_EXCH: u32 = 0x4000_0000;
/// `NTLMSSP_NEGOTIATE_56` (W): 56-bit session keys.
pub const KEY_56: u32 = 0x8000_0000;

/// Every named bit with its short spec name, lowest bit first (for rendering a flags field).
pub const NAMES: &[(u32, &str)] = &[
    (UNICODE, "UNICODE"),
    (OEM, "OEM"),
    (REQUEST_TARGET, "REQUEST_TARGET"),
    (SIGN, "SIGN"),
    (SEAL, "SEAL"),
    (DATAGRAM, "DATAGRAM"),
    (LM_KEY, "LM_KEY"),
    (NTLM, "NTLM"),
    (ANONYMOUS, "ANONYMOUS"),
    (OEM_DOMAIN_SUPPLIED, "OEM_DOMAIN_SUPPLIED"),
    (OEM_WORKSTATION_SUPPLIED, "OEM_WORKSTATION_SUPPLIED"),
    (ALWAYS_SIGN, "ALWAYS_SIGN"),
    (TARGET_TYPE_DOMAIN, "TARGET_TYPE_DOMAIN"),
    (TARGET_TYPE_SERVER, "TARGET_TYPE_SERVER"),
    (EXTENDED_SESSIONSECURITY, "EXTENDED_SESSIONSECURITY"),
    (IDENTIFY, "IDENTIFY"),
    (REQUEST_NON_NT_SESSION_KEY, "REQUEST_NON_NT_SESSION_KEY"),
    (TARGET_INFO, "TARGET_INFO"),
    (VERSION, "VERSION"),
    (KEY_128, "128"),
    (KEY_EXCH, "KEY_EXCH"),
    (KEY_56, "56"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_single_distinct_bits_in_order() {
        let mut seen = 0u32;
        let mut last = 0u32;
        for &(bit, name) in NAMES {
            assert_eq!(bit.count_ones(), 1, "{name}");
            assert_eq!(seen & bit, 0, "{name}");
            assert!(bit > last, "{name}");
            seen |= bit;
            last = bit;
        }
    }
}
