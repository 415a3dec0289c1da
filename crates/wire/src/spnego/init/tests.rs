//! Unit vectors for NegTokenInit: captured Samba, Windows server and Windows client tokens,
//! plus hostile variants.

use super::*;
use crate::spnego::{OID_KRB5, OID_KRB5_U2U, OID_MS_KRB5, OID_NEGOEX, OID_NTLMSSP};
use crate::test_util::unhex;

const HINT: &str = "not_defined_in_RFC4178@please_ignore";

/// Samba's NEGOTIATE response buffer (74 bytes; zeek smb2-zero-byte-error-ioctl, frame 22).
const SAMBA: &str = "604806062b0601050502a03e303ca00e300c060a2b06010401823702020a
    a32a3028a0261b246e6f745f646566696e65645f696e5f5246433431373840706c656173655f69676e6f7265";

/// A domain-joined Windows Server 2019's buffer (120 bytes; zeek
/// smb_v2_only_non_zero_reserved1, frame 6).
const WINDOWS_DOMAIN: &str = "607606062b0601050502a06c306aa03c303a060a2b06010401823702021e
    06092a864882f71201020206092a864886f712010202060a2a864886f71201020203060a2b0601040182370202
    0aa32a3028a0261b246e6f745f646566696e65645f696e5f5246433431373840706c656173655f69676e6f7265";

/// Windows 10's first SESSION_SETUP token (arkime wireshark-smb-on-windows10, frame 43).
const WINDOWS_CLIENT: &str = "604806062b0601050502a03e303ca00e300c060a2b06010401823702020a
    a22a04284e544c4d5353500001000000978208e2000000000000000000000000000000000a005a290000000f";

#[test]
fn decodes_samba_init2_with_hint() {
    let init = decode_init(&unhex(SAMBA)).unwrap();
    assert_eq!(init.mech_types, [OID_NTLMSSP]);
    assert_eq!(init.mech_token, None);
    assert_eq!(init.hint_name.as_deref(), Some(HINT));
}

#[test]
fn decodes_windows_domain_member_offering_kerberos() {
    let init = decode_init(&unhex(WINDOWS_DOMAIN)).unwrap();
    assert_eq!(
        init.mech_types,
        [OID_NEGOEX, OID_MS_KRB5, OID_KRB5, OID_KRB5_U2U, OID_NTLMSSP]
    );
    assert_eq!(init.hint_name.as_deref(), Some(HINT));
}

#[test]
fn decodes_without_the_gss_wrapper() {
    let blob = unhex(SAMBA);
    // Skip 60 48 06 06 <6 octets>: the rest is the bare [0] NegTokenInit.
    let init = decode_init(&blob[10..]).unwrap();
    assert_eq!(init.mech_types, [OID_NTLMSSP]);
}

#[test]
fn encodes_init_token_exactly_as_windows_does() {
    let windows = unhex(WINDOWS_CLIENT);
    assert_eq!(ntlm_init_token(&windows[34..]), windows);
    let init = decode_init(&windows).unwrap();
    assert_eq!(init.mech_types, [OID_NTLMSSP]);
    assert_eq!(init.mech_token.as_deref(), Some(&windows[34..]));
    assert_eq!(init.hint_name, None);
}

#[test]
fn roundtrips_large_mech_tokens() {
    for len in [0, 1, 127, 128, 255, 256, 70_000] {
        let token = vec![0xAB; len];
        let init = decode_init(&ntlm_init_token(&token)).unwrap();
        assert_eq!(init.mech_token, Some(token), "{len}");
    }
}

#[test]
fn skips_req_flags_mic_and_reads_rfc4178_mic_in_slot_3() {
    let fields = [
        tlv(0xa0, &tlv(0x30, &tlv(0x06, &OID_NTLMSSP_DER))),
        tlv(0xa1, &[0x03, 0x02, 0x00, 0x60]),
        tlv(0xa3, &tlv(0x04, &[1, 2, 3])),
        tlv(0xa4, &tlv(0x04, &[4])),
        tlv(0xa9, &[0x05, 0x00]),
    ]
    .concat();
    let blob = tlv(0xa0, &tlv(0x30, &fields));
    let init = decode_init(&blob).unwrap();
    assert_eq!(init.mech_types, [OID_NTLMSSP]);
    assert_eq!(init.hint_name, None);
}

#[test]
fn ignores_padding_after_the_token() {
    let mut blob = unhex(SAMBA);
    blob.extend_from_slice(&[0, 0, 0, 0]);
    assert_eq!(decode_init(&blob).unwrap().hint_name.as_deref(), Some(HINT));
}

#[test]
fn rejects_other_mechanisms_and_shapes() {
    // thisMech is Kerberos, not SPNEGO.
    let krb = tlv(
        0x60,
        &[
            tlv(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02],
            ),
            tlv(0xa0, &[]),
        ]
        .concat(),
    );
    assert!(matches!(
        decode_init(&krb),
        Err(DecodeError::Unexpected {
            what: "thisMech (not SPNEGO)",
            ..
        })
    ));
    // Raw NTLMSSP is no NegTokenInit.
    assert!(decode_init(b"NTLMSSP\0\x01\0\0\0").is_err());
    assert!(matches!(
        decode_init(b"N\0"),
        Err(DecodeError::Unexpected {
            what: "SPNEGO token tag",
            value: 0x4e
        })
    ));
    // A mechType that is not an OID.
    let bad = tlv(0xa0, &tlv(0x30, &tlv(0xa0, &tlv(0x30, &tlv(0x04, &[1])))));
    assert!(matches!(
        decode_init(&bad),
        Err(DecodeError::Unexpected { .. })
    ));
    // An empty buffer.
    assert!(matches!(
        decode_init(&[]),
        Err(DecodeError::Truncated { .. })
    ));
}

#[test]
fn caps_mech_types_exactly() {
    let list = |n: usize| {
        let oids: Vec<u8> = (0..n).flat_map(|_| tlv(0x06, &OID_NTLMSSP_DER)).collect();
        tlv(0xa0, &tlv(0x30, &tlv(0xa0, &tlv(0x30, &oids))))
    };
    assert_eq!(
        decode_init(&list(MAX_MECH_TYPES)).unwrap().mech_types.len(),
        MAX_MECH_TYPES
    );
    assert_eq!(
        decode_init(&list(MAX_MECH_TYPES + 1)),
        Err(DecodeError::TooLarge {
            what: "mechTypes",
            value: MAX_MECH_TYPES + 1,
            limit: MAX_MECH_TYPES
        })
    );
}

#[test]
fn rejects_oversized_oid_arcs() {
    let oid = [0x2b, 0x90, 0x80, 0x80, 0x80, 0x00];
    let blob = tlv(0xa0, &tlv(0x30, &tlv(0xa0, &tlv(0x30, &tlv(0x06, &oid)))));
    assert!(matches!(
        decode_init(&blob),
        Err(DecodeError::TooLarge {
            what: "OID arc",
            ..
        })
    ));
}

#[test]
fn every_truncation_and_bit_flip_fails_cleanly() {
    for token in [SAMBA, WINDOWS_DOMAIN, WINDOWS_CLIENT] {
        let blob = unhex(token);
        for cut in 0..blob.len() {
            assert!(decode_init(&blob[..cut]).is_err(), "cut {cut}");
        }
        for at in 0..blob.len() {
            for bit in 0..8 {
                let mut flipped = blob.clone();
                flipped[at] ^= 1 << bit;
                let _ = decode_init(&flipped);
            }
        }
    }
}
