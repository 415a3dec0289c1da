//! Unit vectors for [`Challenge::decode`]: two captured messages (Windows XP, raw NTLMSSP
//! over SMB1; Samba 4.4 on a QNAP NAS) and synthetic edge cases.

use super::*;
use crate::test_util::unhex;
use crate::text::to_utf16le;

/// Windows XP's CHALLENGE, frame 20 of zeek `raw_ntlm_in_smb.pcap` (tests/data).
const WINXP: &str = "4e544c4d53535000020000001e001e003800000005028a62ccc0bad0f47e17f0\
    000000000000000094009400560000000501280a0000000f54004500530054002d\
    00460037004400460042004300330046004500390002001e005400450053005400\
    2d00460037004400460042004300330046004500390001001e0054004500530054\
    002d00460037004400460042004300330046004500390004001e00740065007300\
    74002d00660037006400660062006300330066006500390003001e007400650073\
    0074002d0066003700640066006200630033006600650039000600040001000000\
    00000000";

/// Samba 4.4.16's CHALLENGE (no EXTENDED_SESSIONSECURITY, empty DNS domain), frame 44 of
/// suricata-verify `smb1_osx.pcap`.
const QNAP: &str = "4e544c4d53535000020000000a000a003800000005028202c607a02855ed65e2\
    00000000000000004000400042000000060100000000000f540053003400310032\
    0002000a005400530034003100320001000a005400530034003100320004000200\
    000003000a0074007300340031003200070008007c6bfc8dd0bad30100000000";

fn winxp() -> Vec<u8> {
    unhex(&WINXP.replace(' ', ""))
}

fn set_u32(msg: &mut [u8], at: usize, value: u32) {
    msg[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// A header of `header_len` bytes (32, 40, 48 or 56) followed by the target name, then
/// the target info when the header has room for its fields.
fn build(flags: u32, header_len: usize, name: &[u8], info: &[u8]) -> Vec<u8> {
    let mut msg = SIGNATURE.to_vec();
    msg.extend_from_slice(&2u32.to_le_bytes());
    let name_off = u32::try_from(header_len).unwrap();
    let name_len = u16::try_from(name.len()).unwrap();
    msg.extend_from_slice(&name_len.to_le_bytes());
    msg.extend_from_slice(&name_len.to_le_bytes());
    msg.extend_from_slice(&name_off.to_le_bytes());
    msg.extend_from_slice(&flags.to_le_bytes());
    msg.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    if header_len >= 40 {
        msg.extend_from_slice(&[0; 8]);
    }
    if header_len >= 48 {
        let info_len = u16::try_from(info.len()).unwrap();
        msg.extend_from_slice(&info_len.to_le_bytes());
        msg.extend_from_slice(&info_len.to_le_bytes());
        msg.extend_from_slice(&(name_off + u32::from(name_len)).to_le_bytes());
    }
    if header_len >= 56 {
        msg.extend_from_slice(&[10, 0, 0x63, 0x45, 0, 0, 0, 0x0F]);
    }
    assert_eq!(msg.len(), header_len);
    msg.extend_from_slice(name);
    if header_len >= 48 {
        msg.extend_from_slice(info);
    }
    msg
}

#[test]
fn decodes_windows_xp_raw_challenge() {
    let c = Challenge::decode(&winxp()).unwrap();
    assert_eq!(c.flags, 0x628a_0205);
    assert_eq!(c.target_name.as_deref(), Some("TEST-F7DFBC3FE9"));
    assert_eq!(
        c.server_challenge,
        [0xcc, 0xc0, 0xba, 0xd0, 0xf4, 0x7e, 0x17, 0xf0]
    );
    let ti = &c.target_info;
    assert_eq!(ti.nb_domain().as_deref(), Some("TEST-F7DFBC3FE9"));
    assert_eq!(ti.nb_computer().as_deref(), Some("TEST-F7DFBC3FE9"));
    assert_eq!(ti.dns_domain().as_deref(), Some("test-f7dfbc3fe9"));
    assert_eq!(ti.dns_computer().as_deref(), Some("test-f7dfbc3fe9"));
    assert_eq!(ti.flags(), Some(1));
    assert_eq!(ti.timestamp(), None);
    let ids: Vec<u16> = ti.pairs.iter().map(|p| p.id).collect();
    assert_eq!(ids, [2, 1, 4, 3, 6, 0]);
    assert_eq!(
        c.version,
        Some(Version {
            major: 5,
            minor: 1,
            build: 2600,
            revision: 15
        })
    );
}

#[test]
fn decodes_samba_challenge_with_empty_dns_domain() {
    let c = Challenge::decode(&unhex(&QNAP.replace(' ', ""))).unwrap();
    assert_eq!(c.flags, 0x0282_0205);
    assert_eq!(c.target_name.as_deref(), Some("TS412"));
    assert_eq!(c.target_info.dns_domain().as_deref(), Some(""));
    assert_eq!(c.target_info.dns_computer().as_deref(), Some("ts412"));
    assert_eq!(c.target_info.timestamp(), Some(0x01d3_bad0_8dfc_6b7c));
    assert_eq!(c.version.map(|v| v.to_string()).as_deref(), Some("6.1.0"));
}

#[test]
fn version_needs_the_flag_and_revision_15() {
    let mut msg = winxp();
    set_u32(&mut msg, 20, 0x628a_0205 & !flags::VERSION);
    let c = Challenge::decode(&msg).unwrap();
    assert_eq!(c.version, None);
    assert_eq!(c.target_name.as_deref(), Some("TEST-F7DFBC3FE9"));
    assert_eq!(c.target_info.pairs.len(), 6);

    let mut msg = winxp();
    msg[55] = 0x0A;
    assert_eq!(Challenge::decode(&msg).unwrap().version, None);
}

#[test]
fn reads_old_headers_without_target_info_or_version() {
    let all = flags::UNICODE | flags::VERSION | flags::TARGET_INFO;
    for header_len in [32, 40] {
        let msg = build(all, header_len, &to_utf16le("WORKGROUP"), &[]);
        let c = Challenge::decode(&msg).unwrap();
        assert_eq!(c.target_name.as_deref(), Some("WORKGROUP"), "{header_len}");
        assert_eq!(c.target_info, TargetInfo::default());
        assert_eq!(c.version, None);
        assert_eq!(c.server_challenge, [1, 2, 3, 4, 5, 6, 7, 8]);
    }
    // 48 bytes: target info but no version, although the flag claims one.
    let info = [1, 0, 2, 0, b'A', 0, 0, 0, 0, 0];
    let c = Challenge::decode(&build(all, 48, &to_utf16le("WG"), &info)).unwrap();
    assert_eq!(c.target_info.nb_computer().as_deref(), Some("A"));
    assert_eq!(c.version, None);
    // 56 bytes: everything.
    let c = Challenge::decode(&build(all, 56, &to_utf16le("WG"), &info)).unwrap();
    assert_eq!(
        c.version.map(|v| v.to_string()).as_deref(),
        Some("10.0.17763")
    );
    // A bare 32-byte message with no buffers at all.
    let c = Challenge::decode(&build(0, 32, &[], &[])).unwrap();
    assert_eq!((c.target_name, c.version), (None, None));
}

#[test]
fn reads_oem_target_names_as_latin1() {
    let c = Challenge::decode(&build(flags::OEM, 40, b"WORKGR\xc9P\0", &[])).unwrap();
    assert_eq!(c.target_name.as_deref(), Some("WORKGRÉP"));
    let c = Challenge::decode(&build(flags::UNICODE, 56, &[0, 0], &[])).unwrap();
    assert_eq!(c.target_name, None, "a lone NUL is an empty name");
}

#[test]
fn rejects_wrong_signature_and_type() {
    let mut msg = winxp();
    msg[0] = b'X';
    assert!(matches!(
        Challenge::decode(&msg),
        Err(DecodeError::Unexpected {
            what: "NTLMSSP Signature",
            ..
        })
    ));
    let mut msg = winxp();
    set_u32(&mut msg, 8, 1);
    assert_eq!(
        Challenge::decode(&msg),
        Err(DecodeError::Unexpected {
            what: "MessageType",
            value: 1
        })
    );
}

#[test]
fn rejects_every_truncation() {
    let msg = winxp();
    for cut in 0..msg.len() {
        assert!(Challenge::decode(&msg[..cut]).is_err(), "cut {cut}");
    }
    assert!(Challenge::decode(&msg).is_ok());
}

#[test]
fn rejects_offsets_outside_the_message() {
    // TargetName far past the end (also: no allocation from the 0xFFFF length).
    let mut msg = winxp();
    msg[12..14].copy_from_slice(&[0xFF, 0xFF]);
    set_u32(&mut msg, 16, 0xFFFF_FFF0);
    assert_eq!(
        Challenge::decode(&msg),
        Err(DecodeError::Truncated {
            what: "TargetName",
            offset: 0xFFFF_FFF0,
            needed: 0xFFFF,
            available: 0
        })
    );
    // TargetInfo running one byte past the end.
    let mut msg = winxp();
    msg[40] += 1;
    assert_eq!(
        Challenge::decode(&msg),
        Err(DecodeError::Truncated {
            what: "TargetInfo",
            offset: 0x56,
            needed: 0x95,
            available: 0x94
        })
    );
    // TargetInfo pointing into the fixed header.
    let mut msg = winxp();
    set_u32(&mut msg, 44, 8);
    assert_eq!(
        Challenge::decode(&msg),
        Err(DecodeError::Unexpected {
            what: "TargetInfo",
            value: 8
        })
    );
    // TargetName pointing into the signature.
    let mut msg = winxp();
    set_u32(&mut msg, 16, 0);
    assert_eq!(
        Challenge::decode(&msg),
        Err(DecodeError::Unexpected {
            what: "TargetName",
            value: 0
        })
    );
}

#[test]
fn garbage_never_panics() {
    let mut state = 0x1234_5678u32;
    let base = winxp();
    for _ in 0..2000 {
        let mut msg = base.clone();
        for _ in 0..4 {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let at = usize::try_from(state >> 8).unwrap() % msg.len();
            msg[at] = (state >> 24) as u8;
        }
        let _ = Challenge::decode(&msg);
    }
}
