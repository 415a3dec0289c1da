//! DCE/RPC over a Samba server's srvsvc pipe, from a real capture
//! (`tests/data/smb2-0311-samba-ipc-netshareenumall__zeek_smb2-zero-byte-error-ioctl.pcapng`,
//! origin in `tests/data/SOURCES.md`): the BIND_ACK (frame 54) and the NetrShareEnum level 1
//! response (frame 61) decode to what TShark 4.0.17 read from the same frames
//! (`shared/vectors/expected/…netshareenumall…json`), and our request stub is the one the
//! captured client sent (frame 59).

mod common;

use common::capture::{L4, payload, read_capture};
use smbaudit_wire::dcerpc::{BindAck, Pdu, decode_share_enum, share_enum_stub, stype};

const SAMBA_0311: &[u8] = include_bytes!(
    "data/smb2-0311-samba-ipc-netshareenumall__zeek_smb2-zero-byte-error-ioctl.pcapng"
);
const CLIENT: ([u8; 4], u16) = ([192, 168, 2, 186], 62083);
const SERVER: ([u8; 4], u16) = ([192, 168, 2, 69], 445);

/// The DCE/RPC PDU of `ptype` inside frame `number` (found by its header, cut at its
/// frag_length).
fn pdu_in(number: usize, from_server: bool, ptype: u8) -> Vec<u8> {
    let cap = read_capture(SAMBA_0311);
    let (src, dst) = if from_server {
        (SERVER, CLIENT)
    } else {
        (CLIENT, SERVER)
    };
    let bytes = payload(&cap, number, L4::Tcp, src, dst);
    let at = bytes
        .windows(4)
        .position(|w| w == [5, 0, ptype, 3])
        .unwrap_or_else(|| panic!("frame {number} carries a PDU of type {ptype}"));
    let len = usize::from(u16::from_le_bytes([bytes[at + 8], bytes[at + 9]]));
    bytes[at..at + len].to_vec()
}

#[test]
fn samba_bind_ack_accepts_ndr() {
    let ack = Pdu::decode(&pdu_in(54, true, 12), 1).unwrap();
    assert_eq!(
        ack,
        Pdu::BindAck(BindAck {
            result: 0,
            reason: 0
        })
    );
}

#[test]
fn samba_share_enum_level_1_decodes_like_tshark() {
    let Pdu::Response { stub, last } = Pdu::decode(&pdu_in(61, true, 2), 0).unwrap() else {
        panic!("a RESPONSE");
    };
    assert!(last);
    let answer = decode_share_enum(&stub).unwrap();
    assert_eq!((answer.level, answer.total, answer.werror), (1, 2, 0));
    let got: Vec<_> = answer
        .shares
        .iter()
        .map(|s| (s.name.as_str(), s.share_type, s.comment.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("Shared", Some(stype::DISKTREE), Some("Shared Folder")),
            (
                "IPC$",
                Some(stype::IPC | stype::SPECIAL),
                Some("IPC Service (65a2d0f0a866 server (Samba, Alpine))")
            ),
        ]
    );
}

#[test]
fn our_request_stub_matches_the_captured_client_but_for_referent_ids() {
    let captured = pdu_in(59, false, 0);
    let stub = &captured[24..];
    let ours = share_enum_stub("192.168.2.69", 1);
    assert_eq!(ours.len(), stub.len(), "{stub:02x?}\n{ours:02x?}");
    // Referent IDs are the client's choice; everything else is fixed by the IDL.
    let referents = [0, 52, 68];
    for (i, (a, b)) in ours.iter().zip(stub).enumerate() {
        if !referents.iter().any(|r| (*r..*r + 4).contains(&i)) {
            assert_eq!(a, b, "byte {i}\n{stub:02x?}\n{ours:02x?}");
        }
    }
}
