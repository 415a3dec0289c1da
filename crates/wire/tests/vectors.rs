//! Capture tests: real Windows NBNS and NBSS traffic, decoded with smbaudit-wire and checked
//! against the facts an independent decoder (TShark 4.0.17) read from the same frames.
//!
//! The captures are this crate's own copies (`tests/data/`, origin and licence in
//! `tests/data/SOURCES.md`). The expected values are copied from
//! `shared/vectors/expected/*.json`; a few frames that file does not list (repeated NBSTAT
//! answers, a second positive name query response, the NBSS handshakes of later TCP streams)
//! were read with `tshark -T fields` from the same TShark, and say so where they are used.

mod common;

use std::collections::BTreeMap;

use common::capture::{L4, Segment, hex, payload, read_capture};
use smbaudit_wire::Encode;
use smbaudit_wire::nbns::{
    CLASS_IN, Flags, NameFlags, NbAddress, NbName, NodeStatus, NodeType, Opcode, Packet,
    QualifiedName, QueryMode, Rcode, RrType, STATISTICS_LEN, name_query_request,
    node_status_request,
};
use smbaudit_wire::nbss::{Deframer, PacketType, SessionPacket, Transport, decode_frame};

const NDPI_NETBIOS: &[u8] = include_bytes!("data/nbns-nbstat-windows__ndpi_netbios.pcapng");
const ZEEK_NBSTAT: &[u8] =
    include_bytes!("data/nbstat-winserver-smb311-ipc__zeek_smb_v2_only_non_zero_reserved1.pcap");
const ARKIME_WIN10: &[u8] = include_bytes!(
    "data/nbss139-smb1-smb311-win10-win81-srvsvc__arkime_wireshark-smb-on-windows10.pcap"
);
const DOUBLEPULSAR: &[u8] = include_bytes!(
    "data/nbss139-smb-doublepulsar-infected-win7__eternalsafety_doublepulsar-backdoor-connect-win7.pcap"
);

// ---------------------------------------------------------------------------------------------
// NBNS expectations
// ---------------------------------------------------------------------------------------------

/// One NODE_NAME entry as tshark decoded it.
struct ExpectedName {
    name: &'static [u8],
    suffix: u8,
    raw_hex: &'static str,
    flags: u16,
    group: bool,
    ont: NodeType,
    deregistering: bool,
    conflict: bool,
    active: bool,
    permanent: bool,
}

/// A NODE STATUS RESPONSE as tshark decoded it.
struct ExpectedNbstat {
    trn_id: u16,
    data_length: usize,
    names: &'static [ExpectedName],
    unit_id: [u8; 6],
}

const fn active_name(
    name: &'static [u8],
    suffix: u8,
    raw_hex: &'static str,
    group: bool,
) -> ExpectedName {
    ExpectedName {
        name,
        suffix,
        raw_hex,
        flags: if group { 0x8400 } else { 0x0400 },
        group,
        ont: NodeType::B,
        deregistering: false,
        conflict: false,
        active: true,
        permanent: false,
    }
}

/// expected/nbns-nbstat-windows__ndpi_netbios.pcapng.json, frame 55.
const GUNNAR_NAMES: &[ExpectedName] = &[
    active_name(b"GUNNAR", 0x00, "47554e4e415220202020202020202000", false),
    active_name(
        b"VIGILANT_GROUP",
        0x00,
        "564947494c414e545f47524f55502000",
        true,
    ),
    active_name(b"GUNNAR", 0x20, "47554e4e415220202020202020202020", false),
    active_name(
        b"VIGILANT_GROUP",
        0x1e,
        "564947494c414e545f47524f5550201e",
        true,
    ),
];
const GUNNAR_MAC: [u8; 6] = [0x00, 0x1c, 0xc4, 0x10, 0x79, 0x0f];

/// expected/nbstat-winserver-smb311-ipc__zeek_smb_v2_only_non_zero_reserved1.pcap.json,
/// frame 130.
const WIN_I82_NAMES: &[ExpectedName] = &[
    active_name(
        b"WIN-I82B81NSLLJ",
        0x00,
        "57494e2d4938324238314e534c4c4a00",
        false,
    ),
    active_name(b"WORKGROUP", 0x00, "574f524b47524f555020202020202000", true),
    active_name(
        b"WIN-I82B81NSLLJ",
        0x20,
        "57494e2d4938324238314e534c4c4a20",
        false,
    ),
];
const WIN_I82_MAC: [u8; 6] = [0x0a, 0x02, 0xd7, 0x5e, 0x97, 0x02];

/// Checks a NODE STATUS REQUEST for `*<00>`, and that our builder makes the same bytes.
fn check_nbstat_request(bytes: &[u8], trn_id: u16) {
    let p = Packet::decode(bytes).expect("NBSTAT request decodes");
    assert_eq!(p.header.trn_id, trn_id);
    assert_eq!(p.header.flags, Flags(0x0000));
    assert!(!p.header.flags.is_response());
    assert_eq!(p.header.flags.opcode(), Opcode::QUERY);
    for bit in [Flags::TRUNCATED, Flags::RECURSION_DESIRED, Flags::BROADCAST] {
        assert!(!p.header.flags.has(bit));
    }
    assert_eq!(
        (
            p.questions.len(),
            p.answers.len(),
            p.authority.len(),
            p.additional.len()
        ),
        (1, 0, 0, 0)
    );
    let q = &p.questions[0];
    assert_eq!(q.name, QualifiedName::new(NbName::WILDCARD));
    assert_eq!(q.name.name.trimmed(), b"*");
    assert_eq!(q.name.name.suffix(), 0x00);
    assert_eq!(q.qtype, RrType::NBSTAT);
    assert_eq!(q.qtype.0, 33);
    assert_eq!(q.qclass, CLASS_IN);
    assert_eq!(
        node_status_request(trn_id, QualifiedName::new(NbName::WILDCARD)).to_vec(),
        bytes
    );
    assert_eq!(p.to_vec(), bytes, "re-encodes byte for byte");
}

/// Checks a NODE STATUS RESPONSE against tshark's decode of it.
fn check_nbstat_response(bytes: &[u8], want: &ExpectedNbstat) {
    let p = Packet::decode(bytes).expect("NBSTAT response decodes");
    assert_eq!(p.header.trn_id, want.trn_id);
    assert_eq!(p.header.flags, Flags(0x8400));
    assert!(p.header.flags.is_response());
    assert_eq!(p.header.flags.opcode(), Opcode::QUERY);
    assert!(p.header.flags.has(Flags::AUTHORITATIVE));
    for bit in [
        Flags::TRUNCATED,
        Flags::RECURSION_DESIRED,
        Flags::RECURSION_AVAILABLE,
        Flags::BROADCAST,
    ] {
        assert!(!p.header.flags.has(bit));
    }
    assert_eq!(p.header.flags.rcode(), Rcode::OK);
    assert_eq!(
        (
            p.header.qdcount,
            p.header.ancount,
            p.header.nscount,
            p.header.arcount
        ),
        (0, 1, 0, 0)
    );
    assert_eq!(
        (
            p.questions.len(),
            p.answers.len(),
            p.authority.len(),
            p.additional.len()
        ),
        (0, 1, 0, 0)
    );
    let rr = &p.answers[0];
    assert_eq!(rr.name, QualifiedName::new(NbName::WILDCARD));
    assert_eq!(rr.rr_type, RrType::NBSTAT);
    assert_eq!(rr.rr_class, CLASS_IN);
    assert_eq!(rr.ttl, 0);
    assert_eq!(rr.rdata.len(), want.data_length);
    assert_eq!(usize::from(rr.rdata[0]), want.names.len(), "NUM_NAMES");

    let ns = NodeStatus::decode(&rr.rdata).expect("NBSTAT RDATA decodes");
    assert_eq!(ns.names.len(), want.names.len());
    for (i, (got, exp)) in ns.names.iter().zip(want.names).enumerate() {
        assert_eq!(got.name.trimmed(), exp.name, "name {i}");
        assert_eq!(got.name.suffix(), exp.suffix, "suffix {i}");
        assert_eq!(got.name.0.to_vec(), hex(exp.raw_hex), "raw name {i}");
        assert_eq!(got.flags.0, exp.flags, "NAME_FLAGS {i}");
        assert_eq!(got.flags.is_group(), exp.group, "group {i}");
        assert_eq!(got.flags.node_type(), exp.ont, "ONT {i}");
        assert_eq!(
            got.flags.has(NameFlags::DEREGISTERING),
            exp.deregistering,
            "DRG {i}"
        );
        assert_eq!(got.flags.has(NameFlags::CONFLICT), exp.conflict, "CNF {i}");
        assert_eq!(got.flags.has(NameFlags::ACTIVE), exp.active, "ACT {i}");
        assert_eq!(
            got.flags.has(NameFlags::PERMANENT),
            exp.permanent,
            "PRM {i}"
        );
    }
    assert_eq!(ns.statistics.unit_id(), Some(want.unit_id));
    assert_eq!(
        ns.statistics.0.len(),
        want.data_length - 1 - 18 * want.names.len()
    );
    assert_eq!(ns.statistics.0.len(), STATISTICS_LEN);
    assert!(ns.statistics.is_standard_length());

    let mut rdata = Vec::new();
    ns.encode(&mut rdata);
    assert_eq!(rdata, rr.rdata, "NODE STATUS re-encodes byte for byte");
    assert_eq!(p.to_vec(), bytes, "packet re-encodes byte for byte");
}

/// A broadcast NAME QUERY REQUEST for `name<suffix>`, and our builder's bytes for it.
fn check_broadcast_name_query(bytes: &[u8], trn_id: u16, name: &str, suffix: u8) {
    let p = Packet::decode(bytes).expect("name query decodes");
    assert_eq!(p.header.trn_id, trn_id);
    assert_eq!(p.header.flags, Flags(0x0110));
    assert!(!p.header.flags.is_response());
    assert_eq!(p.header.flags.opcode(), Opcode::QUERY);
    assert!(p.header.flags.has(Flags::RECURSION_DESIRED));
    assert!(p.header.flags.has(Flags::BROADCAST));
    assert!(!p.header.flags.has(Flags::TRUNCATED));
    assert_eq!(
        (
            p.questions.len(),
            p.answers.len(),
            p.authority.len(),
            p.additional.len()
        ),
        (1, 0, 0, 0)
    );
    let q = &p.questions[0];
    assert_eq!(q.name.name.trimmed(), name.as_bytes());
    assert_eq!(q.name.name.suffix(), suffix);
    assert!(q.name.scope.is_empty());
    assert_eq!(q.qtype, RrType::NB);
    assert_eq!(q.qtype.0, 32);
    assert_eq!(q.qclass, CLASS_IN);
    let built = name_query_request(
        trn_id,
        QualifiedName::new(NbName::new(name, suffix).unwrap()),
        QueryMode::Broadcast,
    );
    assert_eq!(
        built.to_vec(),
        bytes,
        "our broadcast query is the one Windows sends"
    );
}

/// A positive NAME QUERY RESPONSE (RFC 1002 §4.2.13) as tshark decoded it.
struct ExpectedNbAnswer {
    trn_id: u16,
    name: &'static str,
    suffix: u8,
    ttl: u32,
    entries: &'static [(u16, [u8; 4])],
    group: bool,
    ont: NodeType,
}

fn check_positive_name_query_response(bytes: &[u8], want: &ExpectedNbAnswer) {
    let p = Packet::decode(bytes).expect("name query response decodes");
    assert_eq!(p.header.trn_id, want.trn_id);
    assert_eq!(p.header.flags, Flags(0x8500));
    assert!(p.header.flags.is_response());
    assert_eq!(p.header.flags.opcode(), Opcode::QUERY);
    assert!(p.header.flags.has(Flags::AUTHORITATIVE));
    assert!(p.header.flags.has(Flags::RECURSION_DESIRED));
    for bit in [
        Flags::TRUNCATED,
        Flags::RECURSION_AVAILABLE,
        Flags::BROADCAST,
    ] {
        assert!(!p.header.flags.has(bit));
    }
    assert_eq!(p.header.flags.rcode(), Rcode::OK);
    assert_eq!(
        (
            p.questions.len(),
            p.answers.len(),
            p.authority.len(),
            p.additional.len()
        ),
        (0, 1, 0, 0)
    );
    let rr = &p.answers[0];
    assert_eq!(rr.name.name.trimmed(), want.name.as_bytes());
    assert_eq!(rr.name.name.suffix(), want.suffix);
    assert!(rr.name.scope.is_empty());
    assert_eq!(rr.rr_type, RrType::NB);
    assert_eq!(rr.rr_class, CLASS_IN);
    assert_eq!(rr.ttl, want.ttl);
    assert_eq!(rr.rdata.len(), 6 * want.entries.len(), "data_length");
    let list = NbAddress::decode_list(&rr.rdata).expect("NB RDATA decodes");
    let got: Vec<(u16, [u8; 4])> = list.iter().map(|a| (a.flags, a.address)).collect();
    assert_eq!(got, want.entries);
    assert_eq!(list[0].is_group(), want.group);
    assert_eq!(list[0].node_type(), want.ont);
    let mut rdata = Vec::new();
    NbAddress::encode_list(&list, &mut rdata);
    assert_eq!(rdata, rr.rdata);
    assert_eq!(p.to_vec(), bytes, "packet re-encodes byte for byte");
}

/// Every UDP 137 datagram of a capture decodes as an NBNS packet, and the count is tshark's.
fn every_nbns_datagram_decodes(cap: &BTreeMap<usize, Segment>, tshark_count: usize) {
    let mut n = 0;
    for (number, seg) in cap {
        if seg.l4 == L4::Udp && (seg.sport == 137 || seg.dport == 137) {
            let p = Packet::decode(&seg.payload).unwrap_or_else(|e| panic!("frame {number}: {e}"));
            for rr in p.answers.iter().chain(&p.additional) {
                match rr.rr_type {
                    RrType::NBSTAT => {
                        NodeStatus::decode(&rr.rdata)
                            .unwrap_or_else(|e| panic!("frame {number}: {e}"));
                    }
                    RrType::NB => {
                        NbAddress::decode_list(&rr.rdata)
                            .unwrap_or_else(|e| panic!("frame {number}: {e}"));
                    }
                    _ => {}
                }
            }
            // Decoding what we encode gives the same packet back, pointers or not.
            assert_eq!(Packet::decode(&p.to_vec()).unwrap(), p, "frame {number}");
            n += 1;
        }
    }
    assert_eq!(n, tshark_count, "NBNS datagrams");
}

// ---------------------------------------------------------------------------------------------
// NBNS tests
// ---------------------------------------------------------------------------------------------

const GUNNAR: [u8; 4] = [10, 0, 4, 24];

#[test]
fn decodes_windows_nbstat_exchange_from_ndpi_capture() {
    let cap = read_capture(NDPI_NETBIOS);
    let asker = [10, 0, 1, 87];
    // Frames 54/55 (expected JSON).
    let req = payload(&cap, 54, L4::Udp, (asker, 57836), (GUNNAR, 137));
    check_nbstat_request(req, 0x20a8);
    let resp = payload(&cap, 55, L4::Udp, (GUNNAR, 137), (asker, 57836));
    let want = ExpectedNbstat {
        trn_id: 0x20a8,
        data_length: 119,
        names: GUNNAR_NAMES,
        unit_id: GUNNAR_MAC,
    };
    check_nbstat_response(resp, &want);
}

#[test]
fn decodes_repeated_nbstat_answers_from_ndpi_capture() {
    // The same host answers three more times (tshark -T fields: frames 129, 174, 187 with
    // NAME_TRN_ID 0x9a2f, 0x9a38, 0x20a8, the same 4 names, flags and unit id).
    let cap = read_capture(NDPI_NETBIOS);
    for (frame, trn_id) in [(129, 0x9a2f), (174, 0x9a38), (187, 0x20a8)] {
        let seg = &cap[&frame];
        assert_eq!(
            (seg.l4, seg.src, seg.sport),
            (L4::Udp, GUNNAR, 137),
            "frame {frame}"
        );
        let want = ExpectedNbstat {
            trn_id,
            data_length: 119,
            names: GUNNAR_NAMES,
            unit_id: GUNNAR_MAC,
        };
        check_nbstat_response(&seg.payload, &want);
    }
}

#[test]
fn decodes_broadcast_name_query_and_positive_response_from_ndpi_capture() {
    let cap = read_capture(NDPI_NETBIOS);
    let asker = [10, 0, 4, 165];
    // Frames 68/69 (expected JSON).
    let q = payload(&cap, 68, L4::Udp, (asker, 137), ([10, 0, 5, 255], 137));
    check_broadcast_name_query(q, 0x8486, "GUNNAR", 0x00);
    let r = payload(&cap, 69, L4::Udp, (GUNNAR, 137), (asker, 137));
    check_positive_name_query_response(
        r,
        &ExpectedNbAnswer {
            trn_id: 0x8486,
            name: "GUNNAR",
            suffix: 0x00,
            ttl: 300_000,
            entries: &[(0x0000, GUNNAR)],
            group: false,
            ont: NodeType::B,
        },
    );
    // Frame 107, the capture's other positive response (tshark -T fields: 0x9ed6, GURU<00>,
    // TTL 300000, NB_FLAGS 0x0000, 10.0.5.1).
    let seg = &cap[&107];
    assert_eq!((seg.l4, seg.sport), (L4::Udp, 137));
    check_positive_name_query_response(
        &seg.payload,
        &ExpectedNbAnswer {
            trn_id: 0x9ed6,
            name: "GURU",
            suffix: 0x00,
            ttl: 300_000,
            entries: &[(0x0000, [10, 0, 5, 1])],
            group: false,
            ont: NodeType::B,
        },
    );
}

#[test]
fn decodes_every_nbns_datagram_of_ndpi_capture() {
    // tshark -Y 'udp.port==137' counts 256, all NBNS, none malformed.
    every_nbns_datagram_decodes(&read_capture(NDPI_NETBIOS), 256);
}

#[test]
fn decodes_windows_server_nbstat_from_zeek_capture() {
    let cap = read_capture(ZEEK_NBSTAT);
    let (a, b) = ([172, 31, 112, 16], [172, 31, 112, 17]);
    // Frames 129/130 (expected JSON).
    check_nbstat_request(payload(&cap, 129, L4::Udp, (a, 137), (b, 137)), 0x8d02);
    let want = ExpectedNbstat {
        trn_id: 0x8d02,
        data_length: 101,
        names: WIN_I82_NAMES,
        unit_id: WIN_I82_MAC,
    };
    check_nbstat_response(payload(&cap, 130, L4::Udp, (b, 137), (a, 137)), &want);
    // Frames 218/219, the second exchange (tshark -T fields: NAME_TRN_ID 0x8d06, same
    // names and unit id).
    check_nbstat_request(payload(&cap, 218, L4::Udp, (a, 137), (b, 137)), 0x8d06);
    let want = ExpectedNbstat {
        trn_id: 0x8d06,
        ..want
    };
    check_nbstat_response(payload(&cap, 219, L4::Udp, (b, 137), (a, 137)), &want);
    every_nbns_datagram_decodes(&cap, 4);
}

#[test]
fn decodes_name_query_exchange_from_doublepulsar_capture() {
    let cap = read_capture(DOUBLEPULSAR);
    let (client, server) = ([192, 168, 198, 203], [192, 168, 198, 204]);
    // Frames 16/17 (expected JSON).
    let q = payload(
        &cap,
        16,
        L4::Udp,
        (client, 137),
        ([192, 168, 198, 255], 137),
    );
    check_broadcast_name_query(q, 0xb947, "DESKTOP-AFPVEQ2", 0x20);
    let r = payload(&cap, 17, L4::Udp, (server, 137), (client, 137));
    check_positive_name_query_response(
        r,
        &ExpectedNbAnswer {
            trn_id: 0xb947,
            name: "DESKTOP-AFPVEQ2",
            suffix: 0x20,
            ttl: 300_000,
            entries: &[(0x6000, [192, 168, 198, 204])],
            group: false,
            ont: NodeType::H,
        },
    );
    // The other six are refreshes and unicast queries to WINS (tshark: 8 NBNS frames).
    every_nbns_datagram_decodes(&cap, 8);
}

#[test]
fn decodes_name_refresh_with_additional_record_from_doublepulsar_capture() {
    // tshark -T fields, frame 3: NAME_TRN_ID 0xb946, flags 0x4000 (opcode 8, refresh),
    // question IE11WIN7<00> NB, one additional record: TTL 300000, NB_FLAGS 0x6000,
    // 192.168.198.203.
    let cap = read_capture(DOUBLEPULSAR);
    let p = Packet::decode(&cap[&3].payload).unwrap();
    assert_eq!(p.header.trn_id, 0xb946);
    assert_eq!(p.header.flags, Flags(0x4000));
    assert_eq!(p.header.flags.opcode(), Opcode::REFRESH);
    assert_eq!((p.questions.len(), p.additional.len()), (1, 1));
    assert_eq!(p.questions[0].name.name.trimmed(), b"IE11WIN7");
    assert_eq!(p.questions[0].qtype, RrType::NB);
    let rr = &p.additional[0];
    assert_eq!(rr.name, p.questions[0].name);
    assert_eq!(rr.ttl, 300_000);
    assert_eq!(
        NbAddress::decode_list(&rr.rdata).unwrap(),
        [NbAddress {
            flags: 0x6000,
            address: [192, 168, 198, 203]
        }]
    );
}

// ---------------------------------------------------------------------------------------------
// NBSS tests
// ---------------------------------------------------------------------------------------------

/// Checks a one-segment SESSION REQUEST frame and that our encoder makes the same bytes.
fn check_session_request(bytes: &[u8], called: (&str, u8), calling: (&str, u8)) {
    assert_eq!(bytes.len(), 72);
    let frame = decode_frame(Transport::Nbss, bytes).expect("session request frame");
    assert_eq!(frame.kind, PacketType::SESSION_REQUEST);
    assert_eq!(frame.kind.0, 0x81);
    assert_eq!(frame.payload.len(), 68, "NBSS length");
    let SessionPacket::Request(req) = SessionPacket::decode(&frame).expect("session request")
    else {
        panic!("not a session request");
    };
    assert_eq!(req.called.name.trimmed(), called.0.as_bytes());
    assert_eq!(req.called.name.suffix(), called.1);
    assert!(req.called.scope.is_empty());
    assert_eq!(req.calling.name.trimmed(), calling.0.as_bytes());
    assert_eq!(req.calling.name.suffix(), calling.1);
    assert!(req.calling.scope.is_empty());
    assert_eq!(req.to_vec(), bytes, "re-encodes byte for byte");
}

fn check_positive_response(bytes: &[u8]) {
    assert_eq!(bytes, [0x82, 0, 0, 0]);
    let frame = decode_frame(Transport::Nbss, bytes).expect("positive response frame");
    assert_eq!(frame.kind, PacketType::POSITIVE_RESPONSE);
    assert!(frame.payload.is_empty(), "NBSS length 0");
    assert_eq!(
        SessionPacket::decode(&frame).unwrap(),
        SessionPacket::Positive
    );
}

#[test]
fn decodes_session_handshake_to_win81_from_arkime_capture() {
    let cap = read_capture(ARKIME_WIN10);
    let (client, server) = ([192, 168, 199, 133], [192, 168, 199, 1]);
    // Frames 3/4 (expected JSON); 14/15 are the same on the next connection (tshark).
    for (req, resp, port) in [(3, 4, 49671), (14, 15, 49672)] {
        let r = payload(&cap, req, L4::Tcp, (client, port), (server, 139));
        check_session_request(r, ("SCV", 0x20), ("DESKTOP-V1FA0UQ", 0x00));
        check_positive_response(payload(&cap, resp, L4::Tcp, (server, 139), (client, port)));
    }
}

#[test]
fn decodes_session_handshakes_to_win10_from_doublepulsar_capture() {
    let cap = read_capture(DOUBLEPULSAR);
    let (client, server) = ([192, 168, 198, 203], [192, 168, 198, 204]);
    // Frames 20/21 (expected JSON); 39/40 and 55/56 are the next connections (tshark).
    for (req, resp, port) in [(20, 21, 49847), (39, 40, 49848), (55, 56, 49849)] {
        let r = payload(&cap, req, L4::Tcp, (client, port), (server, 139));
        check_session_request(r, ("DESKTOP-AFPVEQ2", 0x20), ("IE11WIN7", 0x00));
        check_positive_response(payload(&cap, resp, L4::Tcp, (server, 139), (client, port)));
    }
}

#[test]
fn decodes_unanswered_session_request_from_ndpi_capture() {
    // tshark -T fields, frame 261: 0x81, length 68, IBIFHQ11WS023<20> from ROSFHQ07WS004<00>.
    let cap = read_capture(NDPI_NETBIOS);
    let seg = &cap[&261];
    assert_eq!((seg.l4, seg.sport, seg.dport), (L4::Tcp, 55489, 139));
    check_session_request(
        &seg.payload,
        ("IBIFHQ11WS023", 0x20),
        ("ROSFHQ07WS004", 0x00),
    );
}

/// What tshark says each TCP 139 segment carries: (frame, NBSS TYPE, NBSS length, SMB
/// magic of a SESSION MESSAGE where expected JSON names the protocol, else 0).
type NbssRow = (usize, u8, usize, u8);

/// tshark -Y 'tcp.port==139 && tcp.len>0' -T fields -e nbss.type -e nbss.length; the
/// smb1 (0xFF) / smb2 (0xFE) column is from the expected JSON.
const ARKIME_139: &[NbssRow] = &[
    (3, 0x81, 68, 0),
    (4, 0x82, 0, 0),
    (5, 0x00, 155, 0xFF),
    (6, 0x00, 448, 0xFE),
    (7, 0x00, 174, 0),
    (8, 0x00, 448, 0),
    (14, 0x81, 68, 0),
    (15, 0x82, 0, 0),
    (16, 0x00, 133, 0xFF),
    (17, 0x00, 405, 0xFF),
    (18, 0x00, 138, 0),
    (19, 0x00, 256, 0xFF),
    (20, 0x00, 236, 0xFF),
    (21, 0x00, 138, 0xFF),
    (22, 0x00, 72, 0xFF),
    (23, 0x00, 56, 0xFF),
    (24, 0x00, 118, 0),
    (25, 0x00, 118, 0),
    (26, 0x00, 118, 0),
    (27, 0x00, 94, 0),
    (29, 0x00, 35, 0),
    (30, 0x00, 35, 0),
    (31, 0x00, 39, 0),
    (32, 0x00, 39, 0),
];

const DOUBLEPULSAR_139: &[NbssRow] = &[
    (20, 0x81, 68, 0),
    (21, 0x82, 0, 0),
    (22, 0x00, 155, 0xFF),
    (24, 0x00, 448, 0xFE),
    (25, 0x00, 104, 0),
    (26, 0x00, 448, 0xFE),
    (27, 0x00, 162, 0),
    (28, 0x00, 343, 0xFE),
    (29, 0x00, 244, 0),
    (30, 0x00, 73, 0xFE),
    (39, 0x81, 68, 0),
    (40, 0x82, 0, 0),
    (41, 0x00, 133, 0),
    (42, 0x00, 405, 0xFF),
    (43, 0x00, 138, 0),
    (44, 0x00, 466, 0xFF),
    (45, 0x00, 220, 0),
    (46, 0x00, 224, 0),
    (47, 0x00, 96, 0),
    (48, 0x00, 56, 0),
    (49, 0x00, 118, 0),
    (50, 0x00, 118, 0),
    (55, 0x81, 68, 0),
    (56, 0x82, 0, 0),
    (57, 0x00, 104, 0),
    (59, 0x00, 448, 0),
    (60, 0x00, 162, 0),
    (61, 0x00, 343, 0),
    (62, 0x00, 244, 0),
    (63, 0x00, 73, 0),
    (67, 0x00, 118, 0),
    (68, 0x00, 106, 0),
    (70, 0x00, 35, 0),
    (71, 0x00, 35, 0),
    (72, 0x00, 39, 0),
    (73, 0x00, 39, 0),
];

/// Every TCP 139 segment holds exactly one NBSS frame, as tshark says; and each direction of
/// each connection, cut by the Deframer from uneven chunks, gives the same frames in order.
fn check_nbss_segments(cap: &BTreeMap<usize, Segment>, rows: &[NbssRow]) {
    let segments: Vec<(usize, &Segment)> = cap
        .iter()
        .filter(|(_, s)| s.l4 == L4::Tcp && (s.sport == 139 || s.dport == 139))
        .filter(|(_, s)| !s.payload.is_empty())
        .map(|(n, s)| (*n, s))
        .collect();
    let numbers: Vec<usize> = segments.iter().map(|(n, _)| *n).collect();
    let want: Vec<usize> = rows.iter().map(|r| r.0).collect();
    assert_eq!(numbers, want, "TCP 139 segments with payload");

    /// Source address and port, destination address and port.
    type Flow = ([u8; 4], u16, [u8; 4], u16);
    /// A flow's bytes in capture order, and the (TYPE, length) of the frames it carries.
    type FlowBytes = (Vec<u8>, Vec<(u8, usize)>);
    let mut streams: BTreeMap<Flow, FlowBytes> = BTreeMap::new();
    for ((number, seg), &(_, kind, len, magic)) in segments.iter().zip(rows) {
        let frame = decode_frame(Transport::Nbss, &seg.payload)
            .unwrap_or_else(|e| panic!("frame {number}: {e}"));
        assert_eq!(
            (frame.kind.0, frame.payload.len()),
            (kind, len),
            "frame {number}"
        );
        let packet =
            SessionPacket::decode(&frame).unwrap_or_else(|e| panic!("frame {number}: {e}"));
        match packet {
            SessionPacket::Message(smb) => {
                assert_eq!(kind, 0x00);
                assert_eq!(smb.len(), len);
                assert_eq!(&smb[1..4], b"SMB", "frame {number}");
                assert!(smb[0] == 0xFF || smb[0] == 0xFE, "frame {number}");
                if magic != 0 {
                    assert_eq!(smb[0], magic, "frame {number}: SMB1 or SMB2 as tshark says");
                }
            }
            SessionPacket::Request(_) => assert_eq!(kind, 0x81),
            SessionPacket::Positive => assert_eq!(kind, 0x82),
            other => panic!("frame {number}: unexpected {other:?}"),
        }
        let flow = (seg.src, seg.sport, seg.dst, seg.dport);
        let entry = streams.entry(flow).or_default();
        entry.0.extend_from_slice(&seg.payload);
        entry.1.push((kind, len));
    }
    assert!(
        streams.len() >= 4,
        "both directions of at least two connections"
    );
    for (flow, (bytes, want)) in &streams {
        let mut d = Deframer::new(Transport::Nbss, 64 * 1024);
        let mut got = Vec::new();
        // Chunks of 1, 2, 3, ... 17 bytes, then again: never aligned with the frames.
        let mut rest = &bytes[..];
        let mut size = 1;
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(size.min(rest.len()));
            d.push(chunk);
            rest = tail;
            size = size % 17 + 1;
            while let Some(f) = d.next_frame().unwrap() {
                got.push((f.kind.0, f.payload.len()));
            }
        }
        assert_eq!(&got, want, "flow {flow:?}");
        assert_eq!(d.buffered(), 0);
    }
}

#[test]
fn deframes_every_tcp_139_segment_of_arkime_capture() {
    check_nbss_segments(&read_capture(ARKIME_WIN10), ARKIME_139);
}

#[test]
fn deframes_every_tcp_139_segment_of_doublepulsar_capture() {
    check_nbss_segments(&read_capture(DOUBLEPULSAR), DOUBLEPULSAR_139);
}
