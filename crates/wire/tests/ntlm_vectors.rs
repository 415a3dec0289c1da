//! Capture tests for the NTLMSSP and SPNEGO codecs: the NEGOTIATE-response NegTokenInit
//! hints and the SESSION_SETUP CHALLENGE of real Windows (XP to Server 2019) and Samba
//! servers, checked against what an independent decoder (TShark 4.0.17) read from the same
//! frames.
//!
//! The captures are this crate's own copies (`tests/data/`, origin and licence in
//! `tests/data/SOURCES.md`). Expected values are copied from
//! `shared/vectors/expected/*.json`; three captures have no JSON
//! (`smb1-ntlmssp-winserver2019-ipc…`, `smb2-0311-win10-ntlm-ipc…`,
//! `smb2-0300-ws2016-ntlm-encrypted…`), and their values, like every `hint_name`, were read
//! with `tshark -V` / `tshark -T pdml` (TShark 4.0.17) and say so where used.
//!
//! The SMB codecs are written in parallel, so the security buffers are cut out of the
//! reassembled TCP streams by the small SMB1/SMB2 readers at the end of this file.

mod common;

use std::collections::BTreeMap;

use common::capture::{L4, Segment, hex, read_capture, tcp_stream};
use smbaudit_wire::ntlm::{
    self, Challenge, SCANNER_NEGOTIATE_FLAGS, Version, av_id_name, flags, negotiate_message,
};
use smbaudit_wire::spnego::{
    self, NegTokenResp, OID_KRB5, OID_KRB5_U2U, OID_MS_KRB5, OID_NEGOEX, OID_NTLMSSP, decode_init,
    decode_resp, mech_name, ntlm_init_token, ntlm_token,
};
use smbaudit_wire::text::filetime_to_unix_nanos;

const WIN_GUEST: &[u8] =
    include_bytes!("data/smb2-0302-windows-guest-session__suricata-verify_smb2-delete.pcap");
const SAMBA_IPC: &[u8] = include_bytes!(
    "data/smb2-0311-samba-ipc-netshareenumall__zeek_smb2-zero-byte-error-ioctl.pcapng"
);
const SAMBA_MULTIPROTO: &[u8] =
    include_bytes!("data/smb2-multiproto-0311-negctx-samba__zeek_smb3_negotiate_context.pcap");
const SAMBA_QNAP: &[u8] =
    include_bytes!("data/smb1-samba-qnap-ntlm__suricata-verify_smb1_osx.pcap");
const WINXP: &[u8] =
    include_bytes!("data/smb1-winxp-ntlm-ipc-netshareenumall__zeek_raw_ntlm_in_smb.pcap");
const WS2019_SMB1: &[u8] = include_bytes!(
    "data/smb1-ntlmssp-winserver2019-ipc__suricata-verify_smb-named-pipe-ascii.pcap"
);
const WIN10_DOMAIN: &[u8] =
    include_bytes!("data/smb2-0311-win10-ntlm-ipc__suricata-verify_smb2-named-pipe-unicode.pcap");
const WS2016: &[u8] = include_bytes!("data/smb2-0300-ws2016-ntlm-encrypted__zeek_smb3.pcap");
const ARKIME_WIN10: &[u8] = include_bytes!(
    "data/nbss139-smb1-smb311-win10-win81-srvsvc__arkime_wireshark-smb-on-windows10.pcap"
);

const HINT: &str = "not_defined_in_RFC4178@please_ignore";
const STATUS_MORE_PROCESSING_REQUIRED: u32 = 0xC000_0016;
/// What Windows 8+ servers without a domain offer (tshark: "NEGOEX", "NTLMSSP").
const NEGOEX_NTLM: &[&str] = &[OID_NEGOEX, OID_NTLMSSP];
/// What domain-joined Windows servers offer.
const WINDOWS_DOMAIN_MECHS: &[&str] =
    &[OID_NEGOEX, OID_MS_KRB5, OID_KRB5, OID_KRB5_U2U, OID_NTLMSSP];

// ---------------------------------------------------------------------------------------------
// Expectations
// ---------------------------------------------------------------------------------------------

/// A CHALLENGE as tshark decoded it.
struct Expected {
    target_name: &'static str,
    flags: u32,
    server_challenge: &'static str,
    /// AV pairs in wire order: (type, value_hex), ending with the EOL pair.
    pairs: &'static [(u16, &'static str)],
    nb_domain: &'static str,
    nb_computer: &'static str,
    dns_domain: &'static str,
    dns_computer: &'static str,
    dns_tree: Option<&'static str>,
    /// The Timestamp pair's date as tshark printed it.
    timestamp: Option<&'static str>,
    av_flags: Option<u32>,
    version: (u8, u8, u16, u8),
}

/// Decodes the CHALLENGE `msg` and checks it against `e`; then checks that the same bytes
/// with the VERSION flag cleared decode the same, minus the version.
fn check_challenge(msg: &[u8], e: &Expected) -> Challenge {
    let c = Challenge::decode(msg).expect("CHALLENGE decodes");
    assert_eq!(c.target_name.as_deref(), Some(e.target_name));
    assert_eq!(c.flags, e.flags, "flags {:#010x}", c.flags);
    assert_eq!(c.server_challenge[..], hex(e.server_challenge)[..]);
    let pairs: Vec<(u16, Vec<u8>)> = c
        .target_info
        .pairs
        .iter()
        .map(|p| (p.id, p.value.clone()))
        .collect();
    let expected: Vec<(u16, Vec<u8>)> = e.pairs.iter().map(|&(id, v)| (id, hex(v))).collect();
    assert_eq!(pairs, expected);
    let ti = &c.target_info;
    assert_eq!(ti.nb_domain().as_deref(), Some(e.nb_domain));
    assert_eq!(ti.nb_computer().as_deref(), Some(e.nb_computer));
    assert_eq!(ti.dns_domain().as_deref(), Some(e.dns_domain));
    assert_eq!(ti.dns_computer().as_deref(), Some(e.dns_computer));
    assert_eq!(ti.dns_tree().as_deref(), e.dns_tree);
    assert_eq!(ti.flags(), e.av_flags);
    assert_eq!(ti.target_name(), None);
    match e.timestamp {
        Some(date) => {
            let filetime = ti.timestamp().expect("timestamp pair");
            assert_eq!(filetime_to_unix_nanos(filetime), Some(unix_nanos(date)));
        }
        None => assert_eq!(ti.timestamp(), None),
    }
    let (major, minor, build, revision) = e.version;
    assert_ne!(c.flags & flags::VERSION, 0);
    assert_eq!(
        c.version,
        Some(Version {
            major,
            minor,
            build,
            revision
        })
    );
    assert_eq!(
        c.version.map(|v| v.to_string()),
        Some(format!("{major}.{minor}.{build}"))
    );

    let mut cleared = msg.to_vec();
    cleared[20..24].copy_from_slice(&(e.flags & !flags::VERSION).to_le_bytes());
    let without = Challenge::decode(&cleared).expect("CHALLENGE without VERSION decodes");
    assert_eq!(without.version, None);
    assert_eq!(
        Challenge {
            flags: e.flags,
            version: c.version,
            ..without
        },
        c
    );
    c
}

/// Nanoseconds since the Unix epoch of a tshark date such as
/// `"Jul 13, 2021 08:53:20.097309700 UTC"` (computed here, independently of the decoder).
fn unix_nanos(date: &str) -> i128 {
    let parts: Vec<&str> = date.split_whitespace().collect();
    let [month, day, year, time, "UTC"] = parts[..] else {
        panic!("date {date}");
    };
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == month)
    .unwrap() as i64
        + 1;
    let day: i64 = day.trim_end_matches(',').parse().unwrap();
    let year: i64 = year.parse().unwrap();
    let (hms, frac) = time.split_once('.').unwrap();
    let hms: Vec<i64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
    assert_eq!(frac.len(), 9);
    let nanos: i128 = frac.parse().unwrap();
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2];
    i128::from(secs) * 1_000_000_000 + nanos
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

/// One server: the stream it sent to one client.
fn server_blobs(cap: &BTreeMap<usize, Segment>, server: Ep, client: Ep) -> Vec<Blob> {
    let stream = tcp_stream(cap, server, client);
    assert!(!stream.is_empty(), "no bytes from {server:?} to {client:?}");
    blobs(&stream)
}

/// The `n`th blob of `kind`.
fn nth(blobs: &[Blob], kind: Kind, n: usize) -> &Blob {
    blobs
        .iter()
        .filter(|b| b.kind == kind)
        .nth(n)
        .unwrap_or_else(|| panic!("no {kind:?} #{n}"))
}

/// Checks a NEGOTIATE-response NegTokenInit: its mechTypes, hint and buffer length.
fn check_init(blob: &Blob, mechs: &[&str], hint: Option<&str>, len: usize) {
    assert_eq!(blob.bytes.len(), len, "security buffer length");
    let init = decode_init(&blob.bytes).expect("NegTokenInit decodes");
    assert_eq!(init.mech_types, mechs);
    assert_eq!(init.hint_name.as_deref(), hint);
    for oid in &init.mech_types {
        assert!(mech_name(oid).is_some(), "{oid}");
    }
}

/// The CHALLENGE of a SESSION_SETUP response answered with MORE_PROCESSING_REQUIRED.
fn challenge_of(blob: &Blob) -> Vec<u8> {
    assert_eq!(blob.status, STATUS_MORE_PROCESSING_REQUIRED);
    ntlm_token(&blob.bytes).expect("NTLMSSP token")
}

/// A SESSION_SETUP-response NegTokenResp: accept-incomplete, NTLMSSP, and a token.
fn check_resp(blob: &Blob) {
    let resp = decode_resp(&blob.bytes).expect("NegTokenResp decodes");
    assert_eq!(resp.neg_state, Some(NegTokenResp::ACCEPT_INCOMPLETE));
    assert_eq!(resp.supported_mech.as_deref(), Some(OID_NTLMSSP));
    assert!(resp.response_token.is_some());
}

const D_LIVQI8B: &str = "4400450053004b0054004f0050002d004c00490056005100490038004200";

/// expected/smb2-0302-windows-guest-session__suricata-verify_smb2-delete.pcap.json
#[test]
fn windows_guest_server_smb2() {
    let cap = read_capture(WIN_GUEST);
    let blobs = server_blobs(&cap, ([192, 168, 1, 51], 445), ([192, 168, 1, 12], 49283));
    // Frames 13 and 16; tshark finds no spnego.hintName in this capture.
    for n in 0..2 {
        check_init(
            nth(&blobs, Kind::Smb2NegotiateResponse, n),
            NEGOEX_NTLM,
            None,
            320,
        );
    }
    // Frame 19.
    let setup = nth(&blobs, Kind::Smb2SessionSetupResponse, 0);
    check_resp(setup);
    check_challenge(
        &challenge_of(setup),
        &Expected {
            target_name: "DESKTOP-LIVQI8B",
            flags: 0x628a_0205,
            server_challenge: "c309a7d3cc45cf26",
            pairs: &[
                (2, D_LIVQI8B),
                (1, D_LIVQI8B),
                (4, D_LIVQI8B),
                (3, D_LIVQI8B),
                (7, "29997a87c477d701"),
                (0, ""),
            ],
            nb_domain: "DESKTOP-LIVQI8B",
            nb_computer: "DESKTOP-LIVQI8B",
            dns_domain: "DESKTOP-LIVQI8B",
            dns_computer: "DESKTOP-LIVQI8B",
            dns_tree: None,
            timestamp: Some("Jul 13, 2021 08:53:20.097309700 UTC"),
            av_flags: None,
            version: (10, 0, 15063, 15),
        },
    );
}

/// expected/smb2-0311-samba-ipc-netshareenumall__zeek_smb2-zero-byte-error-ioctl.pcapng.json
#[test]
fn samba_server_smb2() {
    let cap = read_capture(SAMBA_IPC);
    let blobs = server_blobs(&cap, ([192, 168, 2, 69], 445), ([192, 168, 2, 186], 62083));
    // Frames 15 and 22; the hint name read with tshark (spnego.hintName).
    for n in 0..2 {
        check_init(
            nth(&blobs, Kind::Smb2NegotiateResponse, n),
            &[OID_NTLMSSP],
            Some(HINT),
            74,
        );
    }
    // Frame 29.
    let setup = nth(&blobs, Kind::Smb2SessionSetupResponse, 0);
    check_resp(setup);
    check_challenge(
        &challenge_of(setup),
        &Expected {
            target_name: "65A2D0F0A866",
            flags: 0x628a_8215,
            server_challenge: "beeb7ea409d3e8bb",
            pairs: &[
                (2, "360035004100320044003000460030004100380036003600"),
                (1, "360035004100320044003000460030004100380036003600"),
                (4, "0000"),
                (3, "360035006100320064003000660030006100380036003600"),
                (7, "80f7217e94a6d801"),
                (0, ""),
            ],
            nb_domain: "65A2D0F0A866",
            nb_computer: "65A2D0F0A866",
            dns_domain: "",
            dns_computer: "65a2d0f0a866",
            dns_tree: None,
            timestamp: Some("Aug  2, 2022 17:22:50.895552000 UTC"),
            av_flags: None,
            version: (6, 1, 0, 15),
        },
    );
}

/// expected/smb2-multiproto-0311-negctx-samba__zeek_smb3_negotiate_context.pcap.json
#[test]
fn samba_multiprotocol_negotiate_smb2() {
    let cap = read_capture(SAMBA_MULTIPROTO);
    let blobs = server_blobs(&cap, ([192, 168, 1, 21], 445), ([192, 168, 1, 89], 47918));
    // Frames 10 (answer to the SMB1 multi-protocol negotiate) and 13; hint from tshark.
    assert_eq!(
        blobs
            .iter()
            .filter(|b| b.kind == Kind::Smb2NegotiateResponse)
            .count(),
        2
    );
    for n in 0..2 {
        check_init(
            nth(&blobs, Kind::Smb2NegotiateResponse, n),
            &[OID_NTLMSSP],
            Some(HINT),
            74,
        );
    }
}

/// expected/smb1-samba-qnap-ntlm__suricata-verify_smb1_osx.pcap.json
#[test]
fn samba_qnap_server_smb1() {
    let cap = read_capture(SAMBA_QNAP);
    let blobs = server_blobs(&cap, ([192, 168, 1, 2], 445), ([192, 168, 1, 10], 49219));
    // Frame 38 (hint from tshark); the JSON gives no security buffer length for SMB1.
    let neg = nth(&blobs, Kind::Smb1NegotiateResponse, 0);
    let init = decode_init(&neg.bytes).unwrap();
    assert_eq!(init.mech_types, [OID_NTLMSSP]);
    assert_eq!(init.hint_name.as_deref(), Some(HINT));
    // Frame 44: no EXTENDED_SESSIONSECURITY, and a Version with build 0 (Samba).
    let setup = nth(&blobs, Kind::Smb1SessionSetupResponse, 0);
    check_resp(setup);
    let c = check_challenge(
        &challenge_of(setup),
        &Expected {
            target_name: "TS412",
            flags: 0x0282_0205,
            server_challenge: "c607a02855ed65e2",
            pairs: &[
                (2, "54005300340031003200"),
                (1, "54005300340031003200"),
                (4, "0000"),
                (3, "74007300340031003200"),
                (7, "7c6bfc8dd0bad301"),
                (0, ""),
            ],
            nb_domain: "TS412",
            nb_computer: "TS412",
            dns_domain: "",
            dns_computer: "ts412",
            dns_tree: None,
            timestamp: Some("Mar 13, 2018 13:38:22.197030000 UTC"),
            av_flags: None,
            version: (6, 1, 0, 15),
        },
    );
    assert_eq!(c.flags & flags::EXTENDED_SESSIONSECURITY, 0);
}

/// expected/smb1-winxp-ntlm-ipc-netshareenumall__zeek_raw_ntlm_in_smb.pcap.json
#[test]
fn windows_xp_raw_ntlmssp_smb1() {
    let cap = read_capture(WINXP);
    let blobs = server_blobs(&cap, ([192, 168, 56, 101], 445), ([192, 168, 56, 1], 56062));
    // Frame 20: raw NTLMSSP, no SPNEGO around it.
    let setup = nth(&blobs, Kind::Smb1SessionSetupResponse, 0);
    assert!(setup.bytes.starts_with(&ntlm::SIGNATURE));
    assert!(decode_resp(&setup.bytes).is_err());
    let msg = challenge_of(setup);
    assert_eq!(msg, setup.bytes);
    check_challenge(
        &msg,
        &Expected {
            target_name: "TEST-F7DFBC3FE9",
            flags: 0x628a_0205,
            server_challenge: "ccc0bad0f47e17f0",
            pairs: &[
                (
                    2,
                    "54004500530054002d004600370044004600420043003300460045003900",
                ),
                (
                    1,
                    "54004500530054002d004600370044004600420043003300460045003900",
                ),
                (
                    4,
                    "74006500730074002d006600370064006600620063003300660065003900",
                ),
                (
                    3,
                    "74006500730074002d006600370064006600620063003300660065003900",
                ),
                (6, "01000000"),
                (0, ""),
            ],
            nb_domain: "TEST-F7DFBC3FE9",
            nb_computer: "TEST-F7DFBC3FE9",
            dns_domain: "test-f7dfbc3fe9",
            dns_computer: "test-f7dfbc3fe9",
            dns_tree: None,
            timestamp: None,
            av_flags: Some(1),
            version: (5, 1, 2600, 15),
        },
    );
}

const WIN_MV8B5VI0FAL: &str = "570049004e002d004d005600380042003500560049003000460041004c00";

/// Windows Server 2019 over SMB1 (no expected JSON: values from `tshark -V`, frames 5 and 8;
/// the Linux-cooked capture is read by [`read_sll_capture`]).
#[test]
fn windows_server_2019_smb1() {
    let cap = read_sll_capture(WS2019_SMB1);
    let blobs = server_blobs(&cap, ([192, 168, 1, 3], 445), ([192, 168, 1, 100], 55768));
    let init = decode_init(&nth(&blobs, Kind::Smb1NegotiateResponse, 0).bytes).unwrap();
    assert_eq!(init.mech_types, NEGOEX_NTLM);
    assert_eq!(init.hint_name, None);
    let setup = nth(&blobs, Kind::Smb1SessionSetupResponse, 0);
    check_resp(setup);
    check_challenge(
        &challenge_of(setup),
        &Expected {
            target_name: "WIN-MV8B5VI0FAL",
            flags: 0x628a_8215,
            server_challenge: "a4b07b5077b665bd",
            pairs: &[
                (2, WIN_MV8B5VI0FAL),
                (1, WIN_MV8B5VI0FAL),
                (4, WIN_MV8B5VI0FAL),
                (3, WIN_MV8B5VI0FAL),
                (7, "d9027fe608f7d501"),
                (0, ""),
            ],
            nb_domain: "WIN-MV8B5VI0FAL",
            nb_computer: "WIN-MV8B5VI0FAL",
            dns_domain: "WIN-MV8B5VI0FAL",
            dns_computer: "WIN-MV8B5VI0FAL",
            dns_tree: None,
            timestamp: Some("Mar 10, 2020 18:22:47.618018500 UTC"),
            av_flags: None,
            version: (10, 0, 17763, 15),
        },
    );
}

/// Windows 10 2004 in domain CONTOSO (no expected JSON: values from `tshark -V` and
/// `-T pdml`, frames 5 and 8).
#[test]
fn windows_10_domain_member_smb2() {
    let cap = read_capture(WIN10_DOMAIN);
    let blobs = server_blobs(
        &cap,
        ([192, 168, 122, 63], 445),
        ([192, 168, 122, 184], 54024),
    );
    let init = decode_init(&nth(&blobs, Kind::Smb2NegotiateResponse, 0).bytes).unwrap();
    assert_eq!(init.mech_types, WINDOWS_DOMAIN_MECHS);
    assert_eq!(init.hint_name.as_deref(), Some(HINT));
    let setup = nth(&blobs, Kind::Smb2SessionSetupResponse, 0);
    check_resp(setup);
    check_challenge(
        &challenge_of(setup),
        &Expected {
            target_name: "CONTOSO",
            flags: 0x6289_8215,
            server_challenge: "6bcd31b57b3c6e6e",
            pairs: &[
                (2, "43004f004e0054004f0053004f00"),
                (1, "5700530030003200"),
                (4, "63006f006e0074006f0073006f002e006c006f00630061006c00"),
                (
                    3,
                    "77007300300032002e0063006f006e0074006f0073006f002e006c006f00630061006c00",
                ),
                (5, "63006f006e0074006f0073006f002e006c006f00630061006c00"),
                (7, "5517d4e62b2ad801"),
                (0, ""),
            ],
            nb_domain: "CONTOSO",
            nb_computer: "WS02",
            dns_domain: "contoso.local",
            dns_computer: "ws02.contoso.local",
            dns_tree: Some("contoso.local"),
            timestamp: Some("Feb 25, 2022 09:41:45.204923700 UTC"),
            av_flags: None,
            version: (10, 0, 19041, 15),
        },
    );
}

/// Windows Server 2016 in domain SUSE (no expected JSON: values from `tshark -V` and
/// `-T pdml`, frames 2 and 4).
#[test]
fn windows_server_2016_domain_member_smb2() {
    let cap = read_capture(WS2016);
    let blobs = server_blobs(&cap, ([10, 160, 65, 202], 445), ([10, 160, 64, 139], 38166));
    let init = decode_init(&nth(&blobs, Kind::Smb2NegotiateResponse, 0).bytes).unwrap();
    assert_eq!(init.mech_types, WINDOWS_DOMAIN_MECHS);
    assert_eq!(init.hint_name.as_deref(), Some(HINT));
    let setup = nth(&blobs, Kind::Smb2SessionSetupResponse, 0);
    // The client (tshark: frame 3, flags 0xe0080235, no SPNEGO) sent raw NTLMSSP, so this
    // SMB2 server answers with raw NTLMSSP too.
    assert!(setup.bytes.starts_with(&ntlm::SIGNATURE));
    let c = check_challenge(
        &challenge_of(setup),
        &Expected {
            target_name: "SUSE",
            flags: 0xe289_0235,
            server_challenge: "01151813d2898ccd",
            pairs: &[
                (2, "5300550053004500"),
                (1, "570053003200300031003600"),
                (4, "73007500730065002e0064006500"),
                (
                    3,
                    "5700530032003000310036002e0073007500730065002e0064006500",
                ),
                (5, "73007500730065002e0064006500"),
                (7, "8a8ce7a9f4ced201"),
                (0, ""),
            ],
            nb_domain: "SUSE",
            nb_computer: "WS2016",
            dns_domain: "suse.de",
            dns_computer: "WS2016.suse.de",
            dns_tree: Some("suse.de"),
            timestamp: Some("May 17, 2017 10:02:16.503207400 UTC"),
            av_flags: None,
            version: (10, 0, 14393, 15),
        },
    );
    assert_ne!(c.flags & flags::TARGET_TYPE_DOMAIN, 0);
}

const D_V1FA0UQ: &str = "4400450053004b0054004f0050002d005600310046004100300055005100";
const SCV: &str = "530043005600";

/// expected/nbss139-smb1-smb311-win10-win81-srvsvc__arkime_wireshark-smb-on-windows10.pcap.json:
/// Windows 8.1 over SMB1 on port 139 and Windows 10 over SMB2 on 445.
#[test]
fn windows_8_1_smb1_and_windows_10_smb2() {
    let cap = read_capture(ARKIME_WIN10);
    let win81 = ([192, 168, 199, 1], 139);
    let win10 = ([192, 168, 199, 133], 445);

    // Frame 6: SMB2 NEGOTIATE response on 139 (first connection, port 49671).
    let first = server_blobs(&cap, win81, ([192, 168, 199, 133], 49671));
    check_init(
        nth(&first, Kind::Smb2NegotiateResponse, 0),
        NEGOEX_NTLM,
        None,
        320,
    );

    // Frames 17 and 19: SMB1 NEGOTIATE and the CHALLENGE (port 49672).
    let smb1 = server_blobs(&cap, win81, ([192, 168, 199, 133], 49672));
    let init = decode_init(&nth(&smb1, Kind::Smb1NegotiateResponse, 0).bytes).unwrap();
    assert_eq!(init.mech_types, NEGOEX_NTLM);
    let setup = nth(&smb1, Kind::Smb1SessionSetupResponse, 0);
    check_resp(setup);
    check_challenge(
        &challenge_of(setup),
        &Expected {
            target_name: "SCV",
            flags: 0xe28a_8215,
            server_challenge: "88bc9b5834be370d",
            pairs: &[
                (2, SCV),
                (1, SCV),
                (4, SCV),
                (3, SCV),
                (7, "d59d369b8427d201"),
                (0, ""),
            ],
            nb_domain: "SCV",
            nb_computer: "SCV",
            dns_domain: "SCV",
            dns_computer: "SCV",
            dns_tree: None,
            timestamp: Some("Oct 16, 2016 08:09:24.037986100 UTC"),
            av_flags: None,
            version: (6, 3, 9600, 15),
        },
    );

    // Frames 42 and 44: SMB 3.1.1 on 445.
    let smb2 = server_blobs(&cap, win10, ([192, 168, 199, 132], 49670));
    check_init(
        nth(&smb2, Kind::Smb2NegotiateResponse, 0),
        NEGOEX_NTLM,
        None,
        320,
    );
    let setup = nth(&smb2, Kind::Smb2SessionSetupResponse, 0);
    check_resp(setup);
    check_challenge(
        &challenge_of(setup),
        &Expected {
            target_name: "DESKTOP-V1FA0UQ",
            flags: 0xe28a_8215,
            server_challenge: "0e71b47da48a95b9",
            pairs: &[
                (2, D_V1FA0UQ),
                (1, D_V1FA0UQ),
                (4, D_V1FA0UQ),
                (3, D_V1FA0UQ),
                (7, "78a7ed218527d201"),
                (0, ""),
            ],
            nb_domain: "DESKTOP-V1FA0UQ",
            nb_computer: "DESKTOP-V1FA0UQ",
            dns_domain: "DESKTOP-V1FA0UQ",
            dns_computer: "DESKTOP-V1FA0UQ",
            dns_tree: None,
            timestamp: Some("Oct 16, 2016 08:13:10.052236000 UTC"),
            av_flags: None,
            version: (10, 0, 10586, 15),
        },
    );
    assert_eq!(av_id_name(7), "MsvAvTimestamp");
}

/// Our first SESSION_SETUP token has the exact DER shape of Windows 10's (frame 43 over SMB2,
/// frame 18 over SMB1): same tags and lengths, same OIDs, a 40-byte NEGOTIATE inside. Only
/// the NTLM flags and Version differ (tshark: flags 0xe2088297, version 10.0.10586).
#[test]
fn init_token_matches_windows_client_token() {
    let cap = read_capture(ARKIME_WIN10);
    let smb2 = blobs(&tcp_stream(
        &cap,
        ([192, 168, 199, 132], 49670),
        ([192, 168, 199, 133], 445),
    ));
    let smb1 = blobs(&tcp_stream(
        &cap,
        ([192, 168, 199, 133], 49672),
        ([192, 168, 199, 1], 139),
    ));
    let ours = ntlm_init_token(&negotiate_message(SCANNER_NEGOTIATE_FLAGS));
    for windows in [
        &nth(&smb2, Kind::Smb2SessionSetupRequest, 0).bytes,
        &nth(&smb1, Kind::Smb1SessionSetupRequest, 0).bytes,
    ] {
        assert_eq!(ours.len(), windows.len());
        // 34 bytes of DER framing, then the NEGOTIATE: signature and type, flags, empty
        // domain and workstation fields, Version.
        assert_eq!(ours[..46], windows[..46]);
        assert_eq!(windows[46..50], 0xe208_8297u32.to_le_bytes());
        assert_eq!(ours[46..50], SCANNER_NEGOTIATE_FLAGS.to_le_bytes());
        assert_eq!(ours[50..66], windows[50..66]);
        assert_eq!(windows[66..70], [10, 0, 0x5a, 0x29]); // 10.0.10586
        assert_eq!(ours[66..70], [6, 1, 0xb1, 0x1d]); // 6.1.7601
        assert_eq!(ours[70..], windows[70..]);

        // Both decode to the same NegTokenInit shape.
        let theirs = decode_init(windows).unwrap();
        assert_eq!(theirs.mech_types, [OID_NTLMSSP]);
        assert_eq!(theirs.hint_name, None);
        assert_eq!(theirs.mech_token.as_deref(), Some(&windows[34..]));
    }
}

/// `decode_init` reads our own init token back, with or without VERSION in the flags.
#[test]
fn decode_init_reads_our_init_token_back() {
    for flags in [
        SCANNER_NEGOTIATE_FLAGS,
        SCANNER_NEGOTIATE_FLAGS & !flags::VERSION,
    ] {
        let negotiate = negotiate_message(flags);
        let token = ntlm_init_token(&negotiate);
        let init = decode_init(&token).unwrap();
        assert_eq!(init.mech_types, [spnego::OID_NTLMSSP]);
        assert_eq!(init.mech_token, Some(negotiate));
        assert_eq!(init.hint_name, None);
    }
}

// ---------------------------------------------------------------------------------------------
// Finding the security buffers in SMB streams (independent of the SMB codecs)
// ---------------------------------------------------------------------------------------------

type Ep = ([u8; 4], u16);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Smb1NegotiateResponse,
    Smb1SessionSetupRequest,
    Smb1SessionSetupResponse,
    Smb2NegotiateResponse,
    Smb2SessionSetupRequest,
    Smb2SessionSetupResponse,
}

/// A security buffer and the message it came in.
#[derive(Debug)]
struct Blob {
    kind: Kind,
    /// NT status of the message header.
    status: u32,
    bytes: Vec<u8>,
}

fn u16_at(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// Splits a TCP stream into framed messages (4-byte header: type, 24-bit big-endian length)
/// and keeps only SMB session messages (type 0x00), dropping NBSS session request/response
/// packets on port 139.
fn messages(stream: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = stream;
    while rest.len() >= 4 {
        let len = usize::from(rest[1]) << 16 | usize::from(rest[2]) << 8 | usize::from(rest[3]);
        let (frame, tail) = rest[4..].split_at(len);
        if rest[0] == 0x00 {
            out.push(frame);
        }
        rest = tail;
    }
    assert!(rest.is_empty(), "stream ends inside a frame");
    out
}

/// The security buffers of every NEGOTIATE and SESSION_SETUP message in a stream.
fn blobs(stream: &[u8]) -> Vec<Blob> {
    messages(stream)
        .into_iter()
        .filter_map(|msg| match msg.get(..4)? {
            [0xFE, b'S', b'M', b'B'] => smb2_blob(msg),
            [0xFF, b'S', b'M', b'B'] => smb1_blob(msg),
            _ => None,
        })
        .collect()
}

/// [MS-SMB2] 2.2.1: 64-byte header, Status at 8, Command at 12, Flags at 16
/// (SERVER_TO_REDIR 0x1). Buffer offsets count from the header start.
fn smb2_blob(msg: &[u8]) -> Option<Blob> {
    const BODY: usize = 64;
    let response = u32_at(msg, 16) & 1 != 0;
    let (kind, at) = match (u16_at(msg, 12), response) {
        // 2.2.4 NEGOTIATE Response: SecurityBufferOffset at 56, Length at 58.
        (0, true) => (Kind::Smb2NegotiateResponse, BODY + 56),
        // 2.2.5 SESSION_SETUP Request: SecurityBufferOffset at 12, Length at 14.
        (1, false) => (Kind::Smb2SessionSetupRequest, BODY + 12),
        // 2.2.6 SESSION_SETUP Response: SecurityBufferOffset at 4, Length at 6.
        (1, true) => (Kind::Smb2SessionSetupResponse, BODY + 4),
        _ => return None,
    };
    let (offset, len) = (u16_at(msg, at), u16_at(msg, at + 2));
    Some(Blob {
        kind,
        status: u32_at(msg, 8),
        bytes: msg[offset..offset + len].to_vec(),
    })
}

/// [MS-CIFS] 2.2.3.1: 32-byte header, Command at 4, Status at 5, Flags at 9 (REPLY 0x80);
/// WordCount at 32, words from 33, then ByteCount and the bytes.
fn smb1_blob(msg: &[u8]) -> Option<Blob> {
    const WORDS: usize = 33;
    let response = msg[9] & 0x80 != 0;
    let word_count = usize::from(msg[32]);
    let bytes_at = WORDS + 2 * word_count + 2;
    let byte_count = u16_at(msg, WORDS + 2 * word_count);
    let (kind, blob) = match (msg[4], response, word_count) {
        // [MS-SMB] 2.2.4.5.2.1 extended-security NEGOTIATE response: ServerGUID (16),
        // then the SecurityBlob fills the rest of the bytes.
        (0x72, true, 17) => (
            Kind::Smb1NegotiateResponse,
            &msg[bytes_at + 16..bytes_at + byte_count],
        ),
        // [MS-SMB] 2.2.4.6.1 SESSION_SETUP_ANDX request, 12 words: SecurityBlobLength in word 7.
        (0x73, false, 12) => {
            let len = u16_at(msg, WORDS + 14);
            (
                Kind::Smb1SessionSetupRequest,
                &msg[bytes_at..bytes_at + len],
            )
        }
        // [MS-SMB] 2.2.4.6.2 SESSION_SETUP_ANDX response, 4 words: SecurityBlobLength in word 3.
        (0x73, true, 4) => {
            let len = u16_at(msg, WORDS + 6);
            (
                Kind::Smb1SessionSetupResponse,
                &msg[bytes_at..bytes_at + len],
            )
        }
        _ => return None,
    };
    Some(Blob {
        kind,
        status: u32_at(msg, 5),
        bytes: blob.to_vec(),
    })
}

/// [`read_capture`] for a Linux-cooked (SLL, 16-byte header) pcap, which
/// `common::capture` does not read.
fn read_sll_capture(bytes: &[u8]) -> BTreeMap<usize, Segment> {
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};
    use pcap_file::DataLink;
    use pcap_file::pcap::PcapReader;

    let mut reader = PcapReader::new(bytes).expect("pcap header");
    assert_eq!(reader.header().datalink, DataLink::LINUX_SLL);
    let mut out = BTreeMap::new();
    let mut number = 0;
    while let Some(packet) = reader.next_packet() {
        number += 1;
        let packet = packet.expect("pcap record");
        let Ok(sliced) = SlicedPacket::from_ip(&packet.data[16..]) else {
            continue;
        };
        let (Some(NetSlice::Ipv4(ip)), Some(TransportSlice::Tcp(tcp))) =
            (&sliced.net, &sliced.transport)
        else {
            continue;
        };
        out.insert(
            number,
            Segment {
                l4: L4::Tcp,
                src: ip.header().source(),
                dst: ip.header().destination(),
                sport: tcp.source_port(),
                dport: tcp.destination_port(),
                payload: tcp.payload().to_vec(),
                seq: tcp.sequence_number(),
            },
        );
    }
    out
}
