//! Allocation bounds: hostile bytes never make a decoder allocate more than a small multiple of
//! their length, whatever the counts and lengths inside them claim.
//!
//! What is measured: the peak of live heap bytes from just before a decode until its result
//! has been dropped (so the result counts, the input does not), with a counting global
//! allocator (`peakmem-alloc`; the workspace forbids `unsafe_code`, so we can't write our own
//! `GlobalAlloc`). The bounds checked, for an input of `n` bytes:
//!
//! | decoder | peak |
//! |---|---|
//! | `NodeStatus::decode`, `NbAddress::decode_list`, `decode_frame`, `SessionPacket::decode`, `QualifiedName::decode`, a `Deframer` fed in chunks (frames dropped as they come) | ≤ 4·n + 4 KiB |
//! | `Packet::decode` | ≤ 48·n + 4 KiB |
//! | `smb2::Header::decode`, `NegotiateContext::decode_data`, `smb2::SessionSetupResponse::decode`, `smb1::Header::decode`, `smb1::NegotiateReply::decode`, `smb1::SessionSetupResponse::decode`, `ntlm::Challenge::decode`, `TargetInfo::decode`, `spnego::decode_init`, `decode_resp`, `ntlm_token` | ≤ 4·n + 4 KiB |
//! | `smb2::decode_context_list` | ≤ 5·n + 4 KiB |
//! | `smb2::NegotiateResponse::decode` | ≤ 6·n + 4 KiB |
//! | `smb2::CreateResponse::decode` (+ `maximal_access`), `close_status`, `decode_transceive`, `decode_read`, `QueryDirectoryResponse::decode`, `dcerpc::Pdu::decode`, `dcerpc::decode_share_enum` | ≤ 4·n + 4 KiB |
//! | a `dcerpc::Reassembly` fed in 1460-byte reads, drained after each | ≤ 5·n + 4 KiB |
//! | the SMB1 share walk's answers (TREE_CONNECT_ANDX, NT_CREATE_ANDX, CLOSE, READ_ANDX) | ≤ 4·n + 4 KiB |
//! | `smb1::TransactionResponse::decode` with RAP NetShareEnum and FIND_FIRST2 on its parameters and data | ≤ 6·n + 4 KiB |
//!
//! SMB1 transactions: the response copies its parameters and its data, which may both lie
//! over the whole message (2·n); RAP remarks together hold at most the data's bytes (entries
//! pointing at one long remark are refused), but OEM text that is not UTF-8 triples in a
//! `String`: one 60 KB remark of 0xFF comes to 5·n. The worst measured is a legitimate one:
//! 3,000 entries of 20 bytes, each a 56-byte `ShareInfo` with its name's `String`, in a `Vec`
//! that grows by doubling, 5.4·n; hence 6.
//!
//! `Packet::decode` gets a larger factor because its typed output is larger than the wire
//! form, not because it trusts a count: a 6-byte compressed question (a 2-byte pointer, type,
//! class) becomes a 48-byte `Question`, and its name's scope, up to 221 bytes, is copied into
//! each question that points at it. The worst case, one long-scoped name and then only
//! pointers to it, is one of the explicit cases below; it comes to about 44·n.
//!
//! The SMB2 context list: `decode_context_list` reserves room for
//! `min(count, msg.len() / 8)` contexts up front (an 8-byte context header on the wire, a
//! 32-byte `NegotiateContext`: 4·n), then copies each context's data (at most the rest of
//! the input, n). With a count of 65535, one context holding the whole input and the second
//! missing, the decode fails only after both: 5·n measured. `NegotiateResponse::decode`
//! copies its security buffer first, and nothing stops that buffer lying over the same
//! bytes as the contexts (at most 64 KiB): 6·n measured on a 64 KiB message
//! ("one 64 KiB context, 65534 missing, buffer over all"); a response that decodes, all
//! empty contexts under a whole-message buffer, comes to 5·n. Above 64 KiB the buffer's
//! share is fixed, and the ratio falls towards 4.
//!
//! The other worst cases, all measured below: SMB1 OEM strings of bytes that are not UTF-8
//! come to 4·n (`String::from_utf8_lossy` turns each byte into a 3-byte U+FFFD in a
//! `String` that starts at n bytes and doubles: n → 2n → 4n), exactly the factor, with the
//! header's bytes as the margin; UTF-16 names (SMB2 NETNAME, SMB1 Unicode strings) of 3-byte
//! characters come to 2·n; an NTLMSSP TargetName and TargetInfo laid over the same bytes to
//! 3·n; a SPNEGO hintName of bytes over 0x7F (2 bytes each in UTF-8) to 2·n. Counts (AV
//! pairs, mechanism OIDs, context elements) never reserve more than the bytes present allow.
//!
//! Share enumeration: a `Reassembly` holds the pipe bytes of an unfinished fragment in a
//! `Vec` that grows by doubling (up to 2·n of capacity), copies a whole fragment out of it
//! (n), `Pdu::decode` copies the stub out of that (n) and the stub is joined into the
//! response (n): 4.4·n measured on one 64 KiB last fragment, hence 5. Counts and offsets
//! that lie (a NetrShareEnum of 1,000,000 entries, a name of 1,000,000 units, a create
//! context whose Next points inside itself, a 4 GiB IOCTL output) fail before anything is
//! reserved; overlapping create contexts or directory entries are refused, so no bytes are
//! decoded twice; a fragment flood stops at `MAX_FRAGMENTS`, a stub at `MAX_STUB`.
//!
//! The global allocator is per test binary, so this file holds a single `#[test]`: nothing
//! else in the process allocates while it measures. Each case is measured three times and
//! the smallest peak is checked, which filters out anything the test harness's own thread
//! might allocate meanwhile (it can only add to a peak, never take away).

use std::alloc::System;
use std::hint::black_box;

use peakmem_alloc::{INSTRUMENTED_SYSTEM, PeakMemAlloc, PeakMemAllocTrait};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use smbaudit_wire::nbns::{
    NbAddress, NbName, NodeStatus, Packet, QualifiedName, node_status_request,
};
use smbaudit_wire::nbss::{Deframer, Frame, PacketType, SessionPacket, Transport, decode_frame};
use smbaudit_wire::ntlm::{Challenge, TargetInfo};
use smbaudit_wire::smb2::{NegotiateContext, context_type};
use smbaudit_wire::{Encode, Reader, dcerpc, smb1, smb2, spnego};

#[global_allocator]
static GLOBAL: &PeakMemAlloc<System> = &INSTRUMENTED_SYSTEM;

const SLACK: usize = 4 * 1024;

/// The decoders under test, each with the factor of its bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decoder {
    Packet,
    NodeStatus,
    NbAddresses,
    /// A name read from this offset on.
    Name(usize),
    Frame(Transport),
    Session,
    Deframer(Transport),
    Smb2Header,
    Smb2Negotiate,
    /// `decode_context_list(input, 2, count)` with the count from the first two bytes.
    Smb2ContextList,
    /// `NegotiateContext::decode_data` with the input as the data, for every context type.
    Smb2ContextData,
    Smb2SessionSetup,
    Smb1Header,
    Smb1Negotiate,
    Smb1SessionSetup,
    NtlmChallenge,
    NtlmTargetInfo,
    SpnegoInit,
    SpnegoResp,
    NtlmToken,
    /// `CreateResponse::decode`, then `maximal_access`.
    Smb2Create,
    Smb2Close,
    Smb2Transceive,
    Smb2Read,
    Smb2QueryDirectory,
    /// `dcerpc::Pdu::decode` with the call ID at bytes 12..16.
    RpcPdu,
    /// A `dcerpc::Reassembly` fed the input in 1460-byte reads, drained after each, its
    /// PDUs dropped as they come.
    RpcReassembly,
    ShareEnum,
    /// The SMB1 share walk's fixed answers: TREE_CONNECT_ANDX, NT_CREATE_ANDX, CLOSE,
    /// READ_ANDX.
    Smb1ShareAnswer,
    /// `smb1::TransactionResponse::decode` (TRANSACTION and TRANSACTION2), then RAP
    /// NetShareEnum and FIND_FIRST2 (OEM and Unicode) on its parameters and data.
    Smb1Transaction,
}

impl Decoder {
    const ALL: [Self; 32] = [
        Self::Packet,
        Self::NodeStatus,
        Self::NbAddresses,
        Self::Name(0),
        Self::Frame(Transport::Nbss),
        Self::Frame(Transport::Direct),
        Self::Session,
        Self::Deframer(Transport::Nbss),
        Self::Deframer(Transport::Direct),
        Self::Smb2Header,
        Self::Smb2Negotiate,
        Self::Smb2ContextList,
        Self::Smb2ContextData,
        Self::Smb2SessionSetup,
        Self::Smb1Header,
        Self::Smb1Negotiate,
        Self::Smb1SessionSetup,
        Self::NtlmChallenge,
        Self::NtlmTargetInfo,
        Self::SpnegoInit,
        Self::SpnegoResp,
        Self::NtlmToken,
        Self::Smb2Create,
        Self::Smb2Close,
        Self::Smb2Transceive,
        Self::Smb2Read,
        Self::Smb2QueryDirectory,
        Self::RpcPdu,
        Self::RpcReassembly,
        Self::ShareEnum,
        Self::Smb1ShareAnswer,
        Self::Smb1Transaction,
    ];

    fn factor(self) -> usize {
        match self {
            Self::Packet => 48,
            Self::Smb2Negotiate => 6,
            Self::Smb2ContextList => 5,
            Self::RpcReassembly => 5,
            Self::Smb1Transaction => 6,
            _ => 4,
        }
    }

    /// Decodes `input` and drops the result.
    fn run(self, input: &[u8]) {
        match self {
            Self::Packet => drop(black_box(Packet::decode(input))),
            Self::NodeStatus => drop(black_box(NodeStatus::decode(input))),
            Self::NbAddresses => drop(black_box(NbAddress::decode_list(input))),
            Self::Name(start) => {
                let mut r = Reader::new(input);
                if r.take("start", start).is_err() {
                    return;
                }
                drop(black_box(QualifiedName::decode(input, &mut r)));
            }
            Self::Frame(t) => drop(black_box(decode_frame(t, input))),
            // The frame's payload is the input: build it before measuring, as a caller
            // would have it from the Deframer.
            Self::Session => unreachable!("measured by session_peak"),
            Self::Deframer(t) => {
                // The largest cap there is: the transport's own limit.
                let mut d = Deframer::new(t, usize::MAX);
                for chunk in input.chunks(1460) {
                    d.push(chunk);
                    while let Ok(Some(frame)) = d.next_frame() {
                        drop(black_box(frame));
                    }
                }
                drop(black_box(d));
            }
            Self::Smb2Header => drop(black_box(smb2::Header::decode(input))),
            Self::Smb2Negotiate => drop(black_box(smb2::NegotiateResponse::decode(input))),
            Self::Smb2ContextList => {
                let count = input
                    .first_chunk::<2>()
                    .map_or(0, |c| u16::from_le_bytes(*c));
                drop(black_box(smb2::decode_context_list(input, 2, count)));
            }
            Self::Smb2ContextData => unreachable!("measured by measure"),
            Self::Smb2SessionSetup => drop(black_box(smb2::SessionSetupResponse::decode(input))),
            Self::Smb1Header => drop(black_box(smb1::Header::decode(input))),
            Self::Smb1Negotiate => drop(black_box(smb1::NegotiateReply::decode(input))),
            Self::Smb1SessionSetup => drop(black_box(smb1::SessionSetupResponse::decode(input))),
            Self::NtlmChallenge => drop(black_box(Challenge::decode(input))),
            Self::NtlmTargetInfo => drop(black_box(TargetInfo::decode(input))),
            Self::SpnegoInit => drop(black_box(spnego::decode_init(input))),
            Self::SpnegoResp => drop(black_box(spnego::decode_resp(input))),
            Self::NtlmToken => drop(black_box(spnego::ntlm_token(input))),
            Self::Smb2Create => {
                let create = smb2::CreateResponse::decode(input);
                let _ = black_box(create.as_ref().map(|c| c.maximal_access()));
                drop(black_box(create));
            }
            Self::Smb2Close => drop(black_box(smb2::close_status(input))),
            Self::Smb2Transceive => drop(black_box(smb2::decode_transceive(input))),
            Self::Smb2Read => drop(black_box(smb2::decode_read(input))),
            Self::Smb2QueryDirectory => {
                drop(black_box(smb2::QueryDirectoryResponse::decode(input)));
            }
            Self::RpcPdu => drop(black_box(dcerpc::Pdu::decode(input, call_id(input)))),
            Self::RpcReassembly => {
                let call_id = call_id(input);
                let mut re = dcerpc::Reassembly::new();
                'feed: for chunk in input.chunks(1460) {
                    let mut next = re.push(chunk, call_id);
                    loop {
                        match next {
                            Ok(Some(pdu)) => drop(black_box(pdu)),
                            Ok(None) => break,
                            Err(e) => {
                                let _ = black_box(e);
                                break 'feed;
                            }
                        }
                        next = re.push(&[], call_id);
                    }
                }
                drop(black_box(re));
            }
            Self::ShareEnum => drop(black_box(dcerpc::decode_share_enum(input))),
            Self::Smb1ShareAnswer => {
                drop(black_box(smb1::TreeConnectAndxResponse::decode(input)));
                let _ = black_box(smb1::NtCreateAndxResponse::decode(input));
                let _ = black_box(smb1::close_status(input));
                drop(black_box(smb1::ReadAndxResponse::decode(input)));
            }
            Self::Smb1Transaction => {
                for command in [
                    smb1::TransCommand::Transaction,
                    smb1::TransCommand::Transaction2,
                ] {
                    let Ok(t) = smb1::TransactionResponse::decode(input, command) else {
                        continue;
                    };
                    drop(black_box(smb1::RapShareEnum::decode(
                        &t.parameters,
                        &t.data,
                    )));
                    for encoding in [smb1::NameEncoding::Oem, smb1::NameEncoding::Unicode] {
                        drop(black_box(smb1::FindFirst2Response::decode(
                            &t.parameters,
                            &t.data,
                            encoding,
                        )));
                    }
                    drop(black_box(t));
                }
            }
        }
    }
}

/// The call ID of the PDU at the start of `input` (bytes 12..16), so that it is accepted.
fn call_id(input: &[u8]) -> u32 {
    input
        .get(12..16)
        .map_or(0, |id| u32::from_le_bytes(id.try_into().unwrap()))
}

/// Every context type with a decoder, and one without.
const CONTEXT_TYPES: [u16; 8] = [
    context_type::PREAUTH_INTEGRITY,
    context_type::ENCRYPTION,
    context_type::COMPRESSION,
    context_type::NETNAME,
    context_type::TRANSPORT,
    context_type::RDMA_TRANSFORM,
    context_type::SIGNING,
    0x00FF,
];

/// The smallest of three peaks of `f`.
fn peak(mut f: impl FnMut()) -> usize {
    (0..3)
        .map(|_| {
            GLOBAL.reset_peak_memory();
            f();
            GLOBAL.get_peak_memory()
        })
        .min()
        .unwrap()
}

fn measure(decoder: Decoder, input: &[u8]) -> usize {
    match decoder {
        Decoder::Session => {
            // Every TYPE, the payload built outside the measurement.
            [0x00u8, 0x81, 0x82, 0x83, 0x84, 0x85, 0x42]
                .into_iter()
                .map(|kind| {
                    let frame = Frame {
                        kind: PacketType(kind),
                        payload: input.to_vec(),
                    };
                    peak(|| drop(black_box(SessionPacket::decode(&frame))))
                })
                .max()
                .unwrap()
        }
        Decoder::Smb2ContextData => {
            // Every context type, the context built outside the measurement.
            CONTEXT_TYPES
                .into_iter()
                .map(|context_type| {
                    let context = NegotiateContext {
                        context_type,
                        data: input.to_vec(),
                    };
                    peak(|| drop(black_box(context.decode_data())))
                })
                .max()
                .unwrap()
        }
        _ => peak(|| decoder.run(input)),
    }
}

/// Checks `input` against the bound of `decoder`; returns the peak for the report.
fn check(decoder: Decoder, what: &str, input: &[u8]) -> usize {
    let got = measure(decoder, input);
    let bound = decoder.factor() * input.len() + SLACK;
    assert!(
        got <= bound,
        "{decoder:?} on {what} ({} bytes): peak {got} bytes, bound {bound}",
        input.len()
    );
    got
}

// ---------------------------------------------------------------------------------------------
// Hostile inputs
// ---------------------------------------------------------------------------------------------

fn header(qd: u16, an: u16, ns: u16, ar: u16) -> Vec<u8> {
    let mut h = vec![0x12, 0x34, 0x84, 0x00];
    for n in [qd, an, ns, ar] {
        h.extend_from_slice(&n.to_be_bytes());
    }
    h
}

/// The wildcard name with a scope of `labels` labels of `len` bytes each.
fn scoped_name(labels: usize, len: usize) -> Vec<u8> {
    let mut out = vec![32];
    out.extend_from_slice(&NbName::WILDCARD.encode_label());
    for _ in 0..labels {
        out.push(len as u8);
        out.extend(std::iter::repeat_n(b's', len));
    }
    out.push(0);
    out
}

/// Explicit hostile cases: (decoder, description, input).
fn hostile_cases() -> Vec<(Decoder, String, Vec<u8>)> {
    let mut cases: Vec<(Decoder, String, Vec<u8>)> = Vec::new();
    let mut add = |d: Decoder, what: &str, input: Vec<u8>| cases.push((d, what.to_owned(), input));

    // NODE STATUS: NUM_NAMES 255 over little or almost enough data.
    add(Decoder::NodeStatus, "NUM_NAMES 255, no names", vec![255]);
    add(
        Decoder::NodeStatus,
        "NUM_NAMES 255, 10 bytes",
        [&[255u8][..], &[0; 10]].concat(),
    );
    add(
        Decoder::NodeStatus,
        "NUM_NAMES 255, 254 names",
        [&[255u8][..], &[0x41; 18 * 254 + 17]].concat(),
    );
    add(
        Decoder::NodeStatus,
        "NUM_NAMES 255, 255 names, no stats",
        [&[255u8][..], &[0x41; 18 * 255]].concat(),
    );
    add(
        Decoder::NodeStatus,
        "NUM_NAMES 1, 64 KiB of statistics",
        [&[1u8][..], &[0; 65_535]].concat(),
    );

    // NB address lists.
    add(
        Decoder::NbAddresses,
        "10000 entries",
        vec![0x60; 6 * 10_000],
    );
    add(Decoder::NbAddresses, "7 bytes", vec![0; 7]);

    // NBNS packets whose counts lie.
    add(
        Decoder::Packet,
        "QDCOUNT 65535, header only",
        header(0xFFFF, 0, 0, 0),
    );
    for section in 0..4 {
        let mut counts = [0u16; 4];
        counts[section] = 0xFFFF;
        let mut p = header(counts[0], counts[1], counts[2], counts[3]);
        p.extend_from_slice(&[0; 100]);
        add(
            Decoder::Packet,
            &format!("count {section} = 65535, 100 zero bytes"),
            p,
        );
    }
    let mut p = node_status_request(1, QualifiedName::new(NbName::WILDCARD)).to_vec();
    p[4] = 0xFF;
    p[5] = 0xFF;
    for _ in 0..5_000 {
        p.extend_from_slice(&[0xC0, 0x0C, 0x00, 0x21, 0x00, 0x01]);
    }
    add(
        Decoder::Packet,
        "QDCOUNT 65535, 1 name + 5000 pointer questions",
        p,
    );
    // The worst case: one name with the longest scope (219 bytes), then only pointers to it.
    let long = scoped_name(5, 43);
    for n in [1usize, 100, 5_000] {
        let mut p = header(u16::try_from(n + 1).unwrap(), 0, 0, 0);
        p.extend_from_slice(&long);
        p.extend_from_slice(&[0x00, 0x20, 0x00, 0x01]);
        for _ in 0..n {
            p.extend_from_slice(&[0xC0, 0x0C, 0x00, 0x20, 0x00, 0x01]);
        }
        add(
            Decoder::Packet,
            &format!("long scope + {n} pointer questions"),
            p,
        );
    }
    let mut p = header(0, 0xFFFF, 0, 0);
    p.extend_from_slice(&long);
    p.extend_from_slice(&[0, 0x20, 0, 1, 0, 0, 0, 0, 0, 0]);
    for _ in 0..3_000 {
        p.extend_from_slice(&[0xC0, 0x0C, 0x00, 0x20, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
    }
    add(
        Decoder::Packet,
        "ANCOUNT 65535, long scope + 3000 pointer records",
        p,
    );
    let mut p = header(0, 1, 0, 0);
    p.extend_from_slice(&scoped_name(0, 0));
    p.extend_from_slice(&[0, 0x21, 0, 1, 0, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3]);
    add(Decoder::Packet, "RDLENGTH 65535, 3 bytes of RDATA", p);

    // Names: the longest scope, a 16-pointer chain, a pointer loop.
    add(Decoder::Name(0), "255-byte name", scoped_name(5, 43));
    for hops in [16, 17] {
        // Each pointer points at the one before it, the first at the name.
        let mut chain = scoped_name(5, 43);
        let mut prev = 0u16;
        for _ in 0..hops - 1 {
            let at = u16::try_from(chain.len()).unwrap();
            chain.extend_from_slice(&(0xC000 | prev).to_be_bytes());
            prev = at;
        }
        let at = chain.len();
        chain.extend_from_slice(&(0xC000 | prev).to_be_bytes());
        add(Decoder::Name(at), &format!("{hops}-pointer chain"), chain);
    }
    // A label then a pointer back to it: read again and again until a cap stops it.
    let mut looped = scoped_name(0, 0);
    looped.pop();
    looped.extend_from_slice(&[1, b'x', 0xC0, 0x21]);
    add(Decoder::Name(0), "pointer loop", looped);

    // Frames that claim the largest lengths.
    add(
        Decoder::Frame(Transport::Direct),
        "0xFFFFFF length, no payload",
        vec![0, 0xFF, 0xFF, 0xFF],
    );
    add(
        Decoder::Frame(Transport::Direct),
        "0xFFFFFF length, 1000 bytes",
        [&[0u8, 0xFF, 0xFF, 0xFF][..], &[0; 1000]].concat(),
    );
    add(
        Decoder::Frame(Transport::Nbss),
        "0x1FFFF length, 1000 bytes",
        [&[0u8, 0x01, 0xFF, 0xFF][..], &[0; 1000]].concat(),
    );
    add(
        Decoder::Deframer(Transport::Direct),
        "0xFFFFFF length, 1000 bytes",
        [&[0u8, 0xFF, 0xFF, 0xFF][..], &[0; 1000]].concat(),
    );
    add(
        Decoder::Deframer(Transport::Nbss),
        "0x1FFFF length, 100000 bytes",
        [&[0u8, 0x01, 0xFF, 0xFF][..], &[0; 100_000]].concat(),
    );
    add(
        Decoder::Deframer(Transport::Nbss),
        "10000 keep-alives",
        [0x85u8, 0, 0, 0].repeat(10_000),
    );
    add(
        Decoder::Deframer(Transport::Direct),
        "10000 empty frames",
        vec![0; 40_000],
    );
    let mut big = Vec::new();
    smbaudit_wire::nbss::encode_frame(
        Transport::Nbss,
        PacketType::SESSION_MESSAGE,
        &[0xFE; 0x1FFFF],
        &mut big,
    )
    .unwrap();
    add(Decoder::Deframer(Transport::Nbss), "one 128 KiB frame", big);

    // Session packets: a big message, a session request made of pointers.
    add(Decoder::Session, "128 KiB message", vec![0xFF; 0x1FFFF]);
    let mut req = scoped_name(4, 50);
    req.extend_from_slice(&[0xC0, 0x00]);
    add(
        Decoder::Session,
        "session request, second name a pointer",
        req,
    );
    cases.extend(smb_hostile_cases());
    cases.extend(share_hostile_cases());
    cases
}

// ---------------------------------------------------------------------------------------------
// Hostile SMB, NTLMSSP and SPNEGO inputs
// ---------------------------------------------------------------------------------------------

/// An SMB2 response: a sync header with `command` and `status`, then `body`.
fn smb2_msg(command: u16, status: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    smb2::Header {
        command,
        status,
        flags: smb2::flags::SERVER_TO_REDIR,
        tree_id: Some(0),
        ..smb2::Header::default()
    }
    .encode(&mut out);
    out.extend_from_slice(body);
    out
}

/// A 3.1.1 NEGOTIATE response of `len` bytes: `count` contexts announced at offset 128, the
/// security buffer at `buffer` (offset, length), zeros after the body (empty contexts of
/// type 0), and `tail` written at offset 128.
fn smb2_negotiate(count: u16, buffer: (u16, u16), tail: &[u8], len: usize) -> Vec<u8> {
    let mut body = vec![65, 0, 1, 0, 0x11, 0x03];
    body.extend_from_slice(&count.to_le_bytes());
    body.extend_from_slice(&[0; 16 + 4 * 4 + 8 + 8]); // ServerGuid .. ServerStartTime
    body.extend_from_slice(&buffer.0.to_le_bytes());
    body.extend_from_slice(&buffer.1.to_le_bytes());
    body.extend_from_slice(&128u32.to_le_bytes());
    let mut msg = smb2_msg(smb2::command::NEGOTIATE, 0, &body);
    msg.resize(128, 0);
    msg.extend_from_slice(tail);
    msg.resize(len.max(msg.len()), 0);
    msg
}

/// An SMB1 response with `command`, Flags2 `flags2`, the parameter `words` and `bytes`
/// (ByteCount from their length, which must fit 16 bits).
fn smb1_msg(command: u8, flags2: u16, words: &[u8], bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    smb1::Header {
        command,
        flags: smb1::flags::REPLY,
        flags2,
        ..smb1::Header::default()
    }
    .encode(&mut out);
    out.push(u8::try_from(words.len() / 2).unwrap());
    out.extend_from_slice(words);
    out.extend_from_slice(&u16::try_from(bytes.len()).unwrap().to_le_bytes());
    out.extend_from_slice(bytes);
    out
}

/// A TRANSACTION(2) response whose parameters and data lie at `param_at` and `data_at` of
/// the message, each as long as `bytes` (so they may overlap each other and the header).
fn smb1_trans(command: u8, param_at: u16, data_at: u16, bytes: &[u8]) -> Vec<u8> {
    let n = u16::try_from(bytes.len()).unwrap();
    let mut words = Vec::new();
    for v in [n, n, 0, n, param_at, 0, n, data_at, 0] {
        words.extend_from_slice(&v.to_le_bytes());
    }
    words.extend_from_slice(&[0, 0]);
    smb1_msg(command, 0, &words, bytes)
}

/// A TRANSACTION(2) response carrying `params` then `data` in its bytes.
fn smb1_trans_with(command: u8, params: &[u8], data: &[u8]) -> Vec<u8> {
    let start = 32 + 1 + 20 + 2;
    let (p, d) = (
        u16::try_from(params.len()).unwrap(),
        u16::try_from(data.len()).unwrap(),
    );
    let data_at = u16::try_from(start + params.len()).unwrap();
    let mut words = Vec::new();
    for v in [p, d, 0, p, start as u16, 0, d, data_at, 0] {
        words.extend_from_slice(&v.to_le_bytes());
    }
    words.extend_from_slice(&[0, 0]);
    smb1_msg(command, 0, &words, &[params, data].concat())
}

/// The 34 parameter bytes of an NT LM 0.12 NEGOTIATE response with `capabilities` and
/// ChallengeLength `challenge_len`.
fn smb1_negotiate_words(capabilities: u32, challenge_len: u8) -> Vec<u8> {
    let mut w = vec![0, 0, 0x03, 1, 0, 1, 0];
    w.extend_from_slice(&[0; 12]); // MaxBufferSize, MaxRawSize, SessionKey
    w.extend_from_slice(&capabilities.to_le_bytes());
    w.extend_from_slice(&[0; 10]); // SystemTime, ServerTimeZone
    w.push(challenge_len);
    w
}

/// A CHALLENGE_MESSAGE with a 56-byte header: TargetName `name` = (length, offset),
/// TargetInfo `info` = (length, offset), `flags`, then `payload` from offset 56.
fn ntlm_challenge(flags: u32, name: (u16, u32), info: (u16, u32), payload: &[u8]) -> Vec<u8> {
    let mut m = b"NTLMSSP\0".to_vec();
    m.extend_from_slice(&2u32.to_le_bytes());
    m.extend_from_slice(&name.0.to_le_bytes());
    m.extend_from_slice(&name.0.to_le_bytes());
    m.extend_from_slice(&name.1.to_le_bytes());
    m.extend_from_slice(&flags.to_le_bytes());
    m.extend_from_slice(&[0x11; 8]); // ServerChallenge
    m.extend_from_slice(&[0; 8]); // Reserved
    m.extend_from_slice(&info.0.to_le_bytes());
    m.extend_from_slice(&info.0.to_le_bytes());
    m.extend_from_slice(&info.1.to_le_bytes());
    m.extend_from_slice(&[10, 0, 0x63, 0x45, 0, 0, 0, 0x0F]); // Version
    m.extend_from_slice(payload);
    m
}

/// A DER element: `tag`, a minimal length, `content`.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

/// `[0] NegTokenInit { fields }` wrapped in `[APPLICATION 0] { OID spnego, ... }`.
fn neg_token_init(fields: &[Vec<u8>]) -> Vec<u8> {
    let spnego = tlv(0x06, &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02]);
    let init = tlv(0xa0, &tlv(0x30, &fields.concat()));
    tlv(0x60, &[spnego, init].concat())
}

/// `[1] NegTokenResp { fields }`.
fn neg_token_resp(fields: &[Vec<u8>]) -> Vec<u8> {
    tlv(0xa1, &tlv(0x30, &fields.concat()))
}

/// UTF-16LE units that are 3 bytes each in UTF-8 (U+0800), `len` bytes of them.
fn wide_chars(len: usize) -> Vec<u8> {
    [0x00u8, 0x08].repeat(len / 2)
}

fn smb_hostile_cases() -> Vec<(Decoder, String, Vec<u8>)> {
    let mut cases: Vec<(Decoder, String, Vec<u8>)> = Vec::new();
    let mut add = |d: Decoder, what: &str, input: Vec<u8>| cases.push((d, what.to_owned(), input));
    const BIG: usize = 65_535;

    // SMB2 NEGOTIATE: counts that lie, the longest lists of empty contexts, and the security
    // buffer laid over everything (nothing stops it overlapping the contexts).
    add(Decoder::Smb2Header, "header only", smb2_msg(0, 0, &[]));
    add(
        Decoder::Smb2Negotiate,
        "65535 contexts announced, none there",
        smb2_negotiate(u16::MAX, (0, 0), &[], 128),
    );
    for len in [4_096, BIG, 200_000] {
        add(
            Decoder::Smb2Negotiate,
            &format!("{len} bytes of empty contexts"),
            smb2_negotiate(u16::MAX, (0, 0), &[], len),
        );
        let buffer = u16::try_from(len).unwrap_or(u16::MAX);
        add(
            Decoder::Smb2Negotiate,
            &format!("{len} bytes of empty contexts under a whole-message security buffer"),
            smb2_negotiate(u16::MAX, (0, buffer), &[], len),
        );
    }
    // The worst case: room reserved for len/8 contexts, then one context holding all the
    // rest, then the missing second context ends the decode (the result counts until then).
    let one = |len: usize| {
        let data = u16::try_from(len - 128 - 8).unwrap();
        let head = [&[0x00, 0x01][..], &data.to_le_bytes(), &[0; 4]].concat();
        smb2_negotiate(u16::MAX, (0, u16::try_from(len).unwrap()), &head, len)
    };
    add(
        Decoder::Smb2Negotiate,
        "one 64 KiB context, 65534 missing, buffer over all",
        one(BIG),
    );
    add(
        Decoder::Smb2Negotiate,
        "one 16 KiB context, 65534 missing, buffer over all",
        one(16_384),
    );
    add(
        Decoder::Smb2ContextList,
        "count 65535 over 64 KiB of empty contexts",
        [&[0xFF, 0xFF][..], &[0; BIG]].concat(),
    );
    let mut list = vec![0xFF, 0xFF, 0, 0, 0xF0, 0xFF, 0, 0, 0, 0];
    list.resize(2 + 8 + 0xFFF0, 0x41);
    add(
        Decoder::Smb2ContextList,
        "count 65535, one 64 KiB context, the rest missing",
        list,
    );
    add(
        Decoder::Smb2ContextData,
        "counts 65535, no elements",
        vec![0xFF; 8],
    );
    add(
        Decoder::Smb2ContextData,
        "64 KiB of 3-byte UTF-8 characters",
        wide_chars(BIG),
    );
    add(
        Decoder::Smb2ContextData,
        "64 KiB of unpaired surrogates",
        [0x00u8, 0xD8].repeat(BIG / 2),
    );
    add(
        Decoder::Smb2ContextData,
        "counts 65535 over 64 KiB",
        vec![0xFF; BIG],
    );

    // SMB2 SESSION_SETUP: the buffer over the whole message, or past its end.
    let mut body = vec![9, 0, 0, 0, 0, 0, 0xFF, 0xFF];
    body.resize(BIG - 64, 0);
    add(
        Decoder::Smb2SessionSetup,
        "64 KiB security buffer from offset 0",
        smb2_msg(smb2::command::SESSION_SETUP, 0xC000_0016, &body),
    );
    add(
        Decoder::Smb2SessionSetup,
        "64 KiB security buffer, 8 bytes there",
        smb2_msg(smb2::command::SESSION_SETUP, 0, &body[..8]),
    );

    // SMB1 NEGOTIATE: 64 KiB of bytes that are not UTF-8 (each becomes a 3-byte U+FFFD) or
    // 3-byte UTF-16 characters, as domain and server names; a 64 KiB extended blob.
    add(
        Decoder::Smb1Header,
        "header only",
        smb1_msg(0x72, 0, &[], &[]),
    );
    let oem = vec![0xFF; BIG];
    let mut split = vec![0xFF; BIG];
    split[BIG / 2] = 0;
    for (what, flags2, bytes) in [
        ("64 KiB OEM name, not UTF-8", 0, &oem),
        ("two 32 KiB OEM names, not UTF-8", 0, &split),
        (
            "64 KiB Unicode name, 3-byte chars",
            0x8000,
            &wide_chars(BIG),
        ),
    ] {
        add(
            Decoder::Smb1Negotiate,
            what,
            smb1_msg(0x72, flags2, &smb1_negotiate_words(0, 0), bytes),
        );
    }
    add(
        Decoder::Smb1Negotiate,
        "255-byte challenge, then 64 KiB OEM names",
        smb1_msg(0x72, 0, &smb1_negotiate_words(0, 255), &oem),
    );
    add(
        Decoder::Smb1Negotiate,
        "64 KiB extended-security blob",
        smb1_msg(0x72, 0, &smb1_negotiate_words(0x8000_0000, 0), &oem),
    );
    let mut short = smb1_msg(0x72, 0, &smb1_negotiate_words(0, 0), &[0; 10]);
    short[67..69].copy_from_slice(&[0xFF, 0xFF]); // ByteCount
    add(Decoder::Smb1Negotiate, "ByteCount 65535, 10 bytes", short);

    // SMB1 SESSION_SETUP_ANDX: the same names after an empty or a 64 KiB blob.
    let words = |blob: u16| {
        let mut w = vec![0xFF, 0, 0, 0, 0, 0];
        w.extend_from_slice(&blob.to_le_bytes());
        w
    };
    let mut three = vec![0xFF; BIG];
    three[BIG / 3] = 0;
    three[2 * BIG / 3] = 0;
    for (what, flags2, bytes) in [
        ("64 KiB OEM strings, not UTF-8", 0, &oem),
        ("three 21 KiB OEM strings, not UTF-8", 0, &three),
        (
            "64 KiB Unicode strings, 3-byte chars",
            0x8000,
            // The pad byte that aligns the strings (the bytes start at odd offset 43).
            &[&[0u8][..], &wide_chars(BIG - 1)].concat(),
        ),
    ] {
        add(
            Decoder::Smb1SessionSetup,
            what,
            smb1_msg(0x73, flags2, &words(0), bytes),
        );
    }
    add(
        Decoder::Smb1SessionSetup,
        "64 KiB blob",
        smb1_msg(0x73, 0, &words(u16::MAX), &oem),
    );

    // NTLMSSP CHALLENGE: TargetName and TargetInfo over the same 64 KiB (nothing stops
    // them overlapping), as 3-byte UTF-16 characters or as OEM bytes over 0x7F.
    let unicode = smbaudit_wire::ntlm::flags::UNICODE | smbaudit_wire::ntlm::flags::VERSION;
    let pair_len = u16::try_from(BIG - 56 - 4 - 1).unwrap();
    let payload = [
        &[1u8, 0][..],
        &pair_len.to_le_bytes(),
        &wide_chars(usize::from(pair_len)),
    ]
    .concat();
    let len = u16::try_from(payload.len()).unwrap();
    add(
        Decoder::NtlmChallenge,
        "Unicode TargetName and TargetInfo over the same 64 KiB",
        ntlm_challenge(unicode, (len, 56), (len, 56), &payload),
    );
    let oem_payload = [
        &[1u8, 0][..],
        &pair_len.to_le_bytes(),
        &vec![0xE9; usize::from(pair_len)],
    ]
    .concat();
    add(
        Decoder::NtlmChallenge,
        "OEM TargetName and TargetInfo over the same 64 KiB",
        ntlm_challenge(0, (len, 56), (len, 56), &oem_payload),
    );
    add(
        Decoder::NtlmChallenge,
        "TargetInfo 65535 bytes, 10 there",
        ntlm_challenge(unicode, (0, 0), (u16::MAX, 56), &[0; 10]),
    );
    add(
        Decoder::NtlmChallenge,
        "65 empty AV pairs",
        ntlm_challenge(unicode, (0, 0), (65 * 4, 56), &[0x01, 0, 0, 0].repeat(65)),
    );
    add(
        Decoder::NtlmTargetInfo,
        "10000 empty AV pairs",
        [0x01u8, 0, 0, 0].repeat(10_000),
    );
    add(
        Decoder::NtlmTargetInfo,
        "one 64 KiB pair",
        [&[1u8, 0, 0xFB, 0xFF][..], &[0x41; 0xFFFB]].concat(),
    );

    // SPNEGO: the biggest fields, most mechanism OIDs, deepest nesting.
    // The longest OID accepted: 32 content octets, six arcs of u32::MAX among them.
    let max_arc = [0x8F, 0xFF, 0xFF, 0xFF, 0x7F];
    let long_oid = tlv(0x06, &[&[0x2b][..], &max_arc.repeat(6), &[0x01]].concat());
    let oids = |n: usize| tlv(0xa0, &tlv(0x30, &long_oid.repeat(n)));
    let hint = |len: usize| tlv(0xa3, &tlv(0x30, &tlv(0xa0, &tlv(0x1b, &vec![0xE9; len]))));
    let token = |len: usize| tlv(0xa2, &tlv(0x04, &vec![0x4E; len]));
    add(
        Decoder::SpnegoInit,
        "16 longest OIDs, 32 KiB token, 32 KiB hint",
        neg_token_init(&[oids(16), token(32_768), hint(32_768)]),
    );
    add(
        Decoder::SpnegoInit,
        "64 KiB Latin-1 hint",
        neg_token_init(&[hint(BIG)]),
    );
    add(Decoder::SpnegoInit, "17 OIDs", neg_token_init(&[oids(17)]));
    let mut deep = tlv(0x30, &[]);
    for _ in 0..20 {
        deep = tlv(0xa0, &tlv(0x30, &deep));
    }
    add(Decoder::SpnegoInit, "nested 40 deep", deep.clone());
    add(
        Decoder::SpnegoInit,
        "length 0xFFFFFFFF, 10 bytes",
        [&[0x60u8, 0x84, 0xFF, 0xFF, 0xFF, 0xFF][..], &[0; 10]].concat(),
    );
    let resp = neg_token_resp(&[
        tlv(0xa0, &tlv(0x0a, &[1])),
        tlv(0xa1, &long_oid),
        tlv(0xa2, &tlv(0x04, &vec![0x4E; 32_768])),
        tlv(0xa3, &tlv(0x04, &vec![0x4D; 32_768])),
    ]);
    add(
        Decoder::SpnegoResp,
        "32 KiB token and 32 KiB MIC",
        resp.clone(),
    );
    add(Decoder::NtlmToken, "32 KiB token and 32 KiB MIC", resp);
    add(
        Decoder::NtlmToken,
        "64 KiB raw NTLMSSP",
        [&b"NTLMSSP\0"[..], &[0; BIG - 8]].concat(),
    );
    add(Decoder::SpnegoResp, "nested 40 deep", deep);
    cases
}

// ---------------------------------------------------------------------------------------------
// Hostile share-enumeration inputs: SMB2 file and pipe responses, DCE/RPC, NetrShareEnum
// ---------------------------------------------------------------------------------------------

fn u32s(vals: &[u32]) -> Vec<u8> {
    vals.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A NetrShareEnum level 1 answer: `count` entries announced (EntriesRead and max_count),
/// `entries` fixed parts written (netname and remark pointers set), then `strings`.
fn share_enum(count: u32, entries: usize, strings: &[u8]) -> Vec<u8> {
    let mut out = u32s(&[1, 1, 0x2_0000, count, 0x2_0004, count]);
    for i in 0..entries {
        let r = 0x2_0008 + 8 * u32::try_from(i).unwrap();
        out.extend(u32s(&[r, 0, r + 4]));
    }
    out.extend_from_slice(strings);
    out.extend(u32s(&[count, 0, 0]));
    out
}

/// An NDR conformant varying string of `units` (max_count = actual_count), padded to 4.
fn ndr_string(units: &[u8]) -> Vec<u8> {
    let n = u32::try_from(units.len() / 2).unwrap();
    let mut out = u32s(&[n, 0, n]);
    out.extend_from_slice(units);
    out.resize(out.len().next_multiple_of(4), 0);
    out
}

/// A DCE/RPC PDU (little-endian, no verifier).
fn rpc_pdu(ptype: u8, flags: u8, call_id: u32, body: &[u8]) -> Vec<u8> {
    let mut out = vec![5, 0, ptype, flags, 0x10, 0, 0, 0];
    out.extend_from_slice(&u16::try_from(16 + body.len()).unwrap().to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&call_id.to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// A RESPONSE fragment of `stub` with `flags`.
fn rpc_response(flags: u8, stub: &[u8]) -> Vec<u8> {
    let body = [&[0u8; 8][..], stub].concat();
    rpc_pdu(dcerpc::ptype::RESPONSE, flags, 1, &body)
}

/// A CREATE response whose context chain is `chain` (offset 152, right after the body).
fn smb2_create(chain: &[u8]) -> Vec<u8> {
    let mut body = 89u16.to_le_bytes().to_vec();
    body.extend_from_slice(&[0; 2 + 4 + 48 + 4 + 4 + 16]);
    body.extend(u32s(&[152, u32::try_from(chain.len()).unwrap()]));
    body.extend_from_slice(chain);
    smb2_msg(smb2::command::CREATE, 0, &body)
}

/// A create context header: Next, NameOffset 16, NameLength 4, DataOffset, DataLength.
fn create_context(next: u32, data_offset: u16, data_len: u32) -> Vec<u8> {
    let mut out = next.to_le_bytes().to_vec();
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&data_offset.to_le_bytes());
    out.extend_from_slice(&data_len.to_le_bytes());
    out.extend_from_slice(b"MxAc");
    out
}

/// A QUERY_DIRECTORY response whose output buffer (at offset 72) is `buffer`.
fn smb2_listing(buffer: &[u8]) -> Vec<u8> {
    let mut body = 9u16.to_le_bytes().to_vec();
    body.extend_from_slice(&72u16.to_le_bytes());
    body.extend_from_slice(&u32::try_from(buffer.len()).unwrap().to_le_bytes());
    body.extend_from_slice(buffer);
    smb2_msg(smb2::command::QUERY_DIRECTORY, 0, &body)
}

/// A FileNamesInformation entry header: NextEntryOffset, FileIndex, FileNameLength.
fn dir_entry(next: u32, name_len: u32) -> Vec<u8> {
    u32s(&[next, 0, name_len])
}

fn share_hostile_cases() -> Vec<(Decoder, String, Vec<u8>)> {
    let mut cases: Vec<(Decoder, String, Vec<u8>)> = Vec::new();
    let mut add = |d: Decoder, what: &str, input: Vec<u8>| cases.push((d, what.to_owned(), input));
    const BIG: usize = 65_535;

    // NetrShareEnum: a million entries announced, in a small stub and in 64 KiB of entries;
    // MAX_SHARES entries of the longest names allowed; a 64 KiB name; a million-unit one.
    add(
        Decoder::ShareEnum,
        "1,000,000 entries announced, one there",
        share_enum(1_000_000, 1, &ndr_string(b"a\0")),
    );
    add(
        Decoder::ShareEnum,
        "1,000,000 entries announced, 64 KiB of them",
        share_enum(1_000_000, BIG / 12, &[]),
    );
    let name = ndr_string(&wide_chars(2 * dcerpc::MAX_SHARE_NAME));
    let strings: Vec<u8> = [name.clone(), ndr_string(&[])].concat().repeat(40);
    add(
        Decoder::ShareEnum,
        "40 shares with names of MAX_SHARE_NAME 3-byte characters",
        share_enum(40, 40, &strings),
    );
    add(
        Decoder::ShareEnum,
        "a 64 KiB share name",
        share_enum(1, 1, &ndr_string(&wide_chars(BIG + 1))),
    );
    let mut lying = u32s(&[1_000_000, 0, 1_000_000]);
    lying.resize(BIG, 0x41);
    add(
        Decoder::ShareEnum,
        "a name claiming 1,000,000 units in 64 KiB",
        share_enum(1, 1, &lying),
    );
    add(
        Decoder::ShareEnum,
        "MAX_SHARES entries of empty names",
        share_enum(
            4096,
            4096,
            &[ndr_string(&[]), ndr_string(&[])].concat().repeat(4096),
        ),
    );

    // CREATE: a context whose Next points inside itself; 16 contexts each claiming all the
    // bytes after them; the largest data one context can hold; a chain of 17.
    add(
        Decoder::Smb2Create,
        "a context whose Next points inside itself",
        smb2_create(&[create_context(4, 24, 8), vec![0; 8]].concat()),
    );
    let mut overlapping = Vec::new();
    for i in 0..16u32 {
        let rest = u32::try_from(BIG).unwrap() - 16 * i;
        overlapping.extend(create_context(if i < 15 { 16 } else { 0 }, 16, rest - 16));
        overlapping.truncate(16 * usize::try_from(i + 1).unwrap());
    }
    overlapping.resize(BIG, 0);
    add(
        Decoder::Smb2Create,
        "16 contexts, each claiming the 64 KiB after it",
        smb2_create(&overlapping),
    );
    let one_big = [
        create_context(0, 24, u32::try_from(BIG - 24).unwrap()),
        vec![0; BIG - 20],
    ]
    .concat();
    add(
        Decoder::Smb2Create,
        "one 64 KiB context",
        smb2_create(&one_big),
    );
    let seventeen = [create_context(24, 24, 0), vec![0; 4]].concat().repeat(17);
    add(
        Decoder::Smb2Create,
        "17 contexts (MAX_CREATE_CONTEXTS + 1)",
        smb2_create(&seventeen),
    );

    // QUERY_DIRECTORY: NextEntryOffset 12 laid over names that run to the end (each entry
    // would decode the rest again); MAX_ENTRIES + 1 empty entries; one 64 KiB name.
    let mut looping = Vec::new();
    for i in 0..BIG / 12 {
        let rest = u32::try_from(BIG - 12 * i - 12).unwrap();
        looping.extend(dir_entry(12, rest));
    }
    add(
        Decoder::Smb2QueryDirectory,
        "NextEntryOffset 12 over names running to the end",
        smb2_listing(&looping),
    );
    add(
        Decoder::Smb2QueryDirectory,
        "4097 empty entries",
        smb2_listing(&dir_entry(12, 0).repeat(4097)),
    );
    add(
        Decoder::Smb2QueryDirectory,
        "one 64 KiB name of 3-byte characters",
        smb2_listing(
            &[
                dir_entry(0, u32::try_from(BIG - 13).unwrap()),
                wide_chars(BIG - 13),
            ]
            .concat(),
        ),
    );

    // Pipe output claiming 4 GiB; 64 KiB of it.
    let mut ioctl = 49u16.to_le_bytes().to_vec();
    ioctl.extend_from_slice(&[0; 2 + 4 + 16]);
    ioctl.extend(u32s(&[112, 0, 112, u32::MAX, 0, 0]));
    add(
        Decoder::Smb2Transceive,
        "OutputCount 0xFFFFFFFF",
        smb2_msg(smb2::command::IOCTL, 0, &ioctl),
    );
    ioctl.truncate(ioctl.len() - 12);
    ioctl.extend(u32s(&[u32::try_from(BIG).unwrap(), 0, 0]));
    ioctl.resize(ioctl.len() + BIG, 0);
    add(
        Decoder::Smb2Transceive,
        "64 KiB of output",
        smb2_msg(smb2::command::IOCTL, 0, &ioctl),
    );
    let mut read = 17u16.to_le_bytes().to_vec();
    read.extend_from_slice(&[80, 0]);
    read.extend(u32s(&[u32::MAX, 0, 0]));
    add(
        Decoder::Smb2Read,
        "DataLength 0xFFFFFFFF",
        smb2_msg(smb2::command::READ, 0x8000_0005, &read),
    );
    add(
        Decoder::Smb2Close,
        "a CLOSE with a 64 KiB body",
        smb2_msg(smb2::command::CLOSE, 0, &vec![0; BIG]),
    );

    // DCE/RPC: a 2,000-fragment flood of empty non-last fragments; fragments that join to
    // more than MAX_STUB; one whole 64 KiB fragment; a fragment that never completes.
    let flood = rpc_response(1, &[]).repeat(2_000);
    add(Decoder::RpcReassembly, "2,000-fragment flood", flood);
    let big = rpc_response(1, &vec![0x41; BIG - 24]);
    add(
        Decoder::RpcReassembly,
        "64 KiB fragments past MAX_STUB",
        big.repeat(dcerpc::MAX_STUB / BIG + 2),
    );
    add(
        Decoder::RpcReassembly,
        "one 64 KiB last fragment",
        rpc_response(3, &vec![0x41; BIG - 24]),
    );
    // SMB1 transactions: parameters and data both over the whole message; FIND_FIRST2 names
    // each running over the next 12-byte entry (refused); RAP entries all pointing at one
    // long remark (refused); RAP remarks of bytes that are not UTF-8.
    let whole = smb1_trans(smb1::command::TRANSACTION2, 32, 32, &vec![0xFF; 60_000]);
    add(
        Decoder::Smb1Transaction,
        "parameters and data over the whole message",
        whole,
    );
    let mut names = Vec::new();
    for _ in 0..4_000 {
        names.extend(u32s(&[12, 0, 40_000]));
    }
    let mut params = vec![1, 0];
    params.extend_from_slice(&4_000u16.to_le_bytes());
    params.extend_from_slice(&[1, 0, 0, 0, 0, 0]);
    add(
        Decoder::Smb1Transaction,
        "4,000 FIND_FIRST2 names over the next entries",
        smb1_trans_with(smb1::command::TRANSACTION2, &params, &names),
    );
    let mut rap = Vec::new();
    for _ in 0..2_000 {
        rap.extend_from_slice(&[b'x'; 14]);
        rap.extend_from_slice(&[0, 0]);
        rap.extend_from_slice(&40_000u16.to_le_bytes());
        rap.extend_from_slice(&[0, 0]);
    }
    rap.extend(std::iter::repeat_n(0xFF, 20_000));
    rap.push(0);
    let rap_params = [0, 0, 0, 0, 0xD0, 0x07, 0xD0, 0x07];
    add(
        Decoder::Smb1Transaction,
        "2,000 RAP entries pointing at one 20 KB remark",
        smb1_trans_with(smb1::command::TRANSACTION, &rap_params, &rap),
    );
    let mut full = Vec::new();
    for i in 0..3_000u32 {
        full.extend_from_slice(format!("share{i:07}\0\0").as_bytes());
        full.extend_from_slice(&[0, 0]);
        full.extend_from_slice(&60_000u16.to_le_bytes());
        full.extend_from_slice(&[0, 0]);
    }
    full.push(0);
    add(
        Decoder::Smb1Transaction,
        "3,000 RAP entries with 12-character names, empty remarks",
        smb1_trans_with(
            smb1::command::TRANSACTION,
            &[0, 0, 0, 0, 0xB8, 0x0B, 0xB8, 0x0B],
            &full,
        ),
    );
    let mut one = Vec::new();
    one.extend_from_slice(&[b'x'; 14]);
    one.extend_from_slice(&[0, 0, 20, 0, 0, 0]);
    one.extend(std::iter::repeat_n(0xFF, 60_000));
    one.push(0);
    add(
        Decoder::Smb1Transaction,
        "one RAP entry with a 60 KB remark of bytes over 0x7F",
        smb1_trans_with(smb1::command::TRANSACTION, &[0, 0, 0, 0, 1, 0, 1, 0], &one),
    );
    add(
        Decoder::Smb1ShareAnswer,
        "an NT_CREATE_ANDX of 255 words and 64 KiB of bytes",
        smb1_msg(
            smb1::command::NT_CREATE_ANDX,
            0,
            &[0; 510],
            &vec![0xFF; 60_000],
        ),
    );
    add(
        Decoder::Smb1ShareAnswer,
        "a TREE_CONNECT_ANDX with a 60 KB Service of bytes over 0x7F",
        smb1_msg(
            smb1::command::TREE_CONNECT_ANDX,
            0,
            &[0; 14],
            &vec![0xFF; 60_000],
        ),
    );

    let mut never = rpc_response(1, &[]);
    never[8..10].copy_from_slice(&u16::MAX.to_le_bytes());
    never.resize(BIG - 1, 0);
    add(
        Decoder::RpcReassembly,
        "a fragment 1 byte short of its frag_length",
        never,
    );
    add(
        Decoder::RpcPdu,
        "one 64 KiB RESPONSE",
        rpc_response(3, &vec![0x41; BIG - 24]),
    );
    cases
}

// ---------------------------------------------------------------------------------------------
// The one test
// ---------------------------------------------------------------------------------------------

#[test]
fn decoders_allocate_at_most_a_small_multiple_of_their_input() {
    // The measurement works: a known allocation is seen, and one that is freed still counts.
    let seen = peak(|| drop(black_box(vec![0u8; 10_000])));
    assert!(
        (10_000..10_000 + SLACK).contains(&seen),
        "allocator counts {seen}"
    );

    // Explicit hostile cases, and the worst ratio of each decoder among the large ones.
    let mut worst: Vec<(Decoder, f64, String)> = Vec::new();
    for (decoder, what, input) in hostile_cases() {
        let got = check(decoder, &what, &input);
        if std::env::var_os("ALLOC_BOUNDS_VERBOSE").is_some() {
            eprintln!("{decoder:?} on {what} ({} bytes): peak {got}", input.len());
        }
        if input.len() > SLACK {
            let ratio = got as f64 / input.len() as f64;
            match worst.iter_mut().find(|(d, _, _)| *d == decoder) {
                Some(w) if w.1 >= ratio => {}
                Some(w) => *w = (decoder, ratio, what),
                None => worst.push((decoder, ratio, what)),
            }
        }
    }
    // The share-enumeration cases that allocate nothing do so because they are refused.
    for (decoder, what, input) in share_hostile_cases() {
        let refused = match decoder {
            Decoder::ShareEnum => dcerpc::decode_share_enum(&input).is_err(),
            Decoder::Smb2Create => smb2::CreateResponse::decode(&input).is_err(),
            Decoder::Smb2QueryDirectory => smb2::QueryDirectoryResponse::decode(&input).is_err(),
            Decoder::Smb2Transceive => smb2::decode_transceive(&input).is_err(),
            Decoder::Smb2Read => smb2::decode_read(&input).is_err(),
            _ => continue,
        };
        let should = what.contains("claiming")
            || what.contains("announced")
            || what.contains("inside itself")
            || what.contains("0xFFFFFFFF")
            || what.contains("NextEntryOffset 12")
            || what.contains("a 64 KiB share name")
            || what.contains("+ 1")
            || what.contains("4097");
        assert_eq!(refused, should, "{decoder:?} on {what}");
    }
    let ratio = |decoder| worst.iter().find(|w| w.0 == decoder).map_or(0.0, |w| w.1);
    assert!(ratio(Decoder::Packet) > 0.0, "the long-scope cases ran");
    // The SMB2 worst cases documented above are reached, so their factors are not loose.
    assert!(
        ratio(Decoder::Smb2Negotiate) > 5.9,
        "the 6·n NEGOTIATE case ran"
    );
    assert!(
        ratio(Decoder::Smb2ContextList) > 4.9,
        "the 5·n context list case ran"
    );

    // Random bytes, and real messages with bytes changed, through every decoder.
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let mut seeds: Vec<Vec<u8>> = vec![
        node_status_request(7, QualifiedName::new(NbName::WILDCARD)).to_vec(),
        scoped_name(4, 50),
        [&[4u8][..], &[0x41; 4 * 18 + 46]].concat(),
        [
            &[0x81u8, 0, 0, 0x44][..],
            &scoped_name(0, 0),
            &scoped_name(0, 0),
        ]
        .concat(),
    ];
    // And the real SMB, NTLMSSP and SPNEGO messages of the fuzz corpus.
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    for target in [
        "smb2_response",
        "smb1_response",
        "ntlm_challenge",
        "spnego_token",
        "dcerpc_stream",
        "smb1_share_response",
    ] {
        let mut files: Vec<_> = std::fs::read_dir(corpus.join(target))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        seeds.extend(files.iter().map(|f| std::fs::read(f).unwrap()));
    }
    let input = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2_000),
        (
            prop::sample::select(seeds),
            prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
        )
            .prop_map(|(mut s, edits)| {
                for (at, b) in edits {
                    let i = at.index(s.len());
                    s[i] = b;
                }
                s
            }),
    ];
    runner
        .run(&input, |bytes| {
            for decoder in Decoder::ALL {
                check(decoder, "random input", &bytes);
            }
            Ok(())
        })
        .unwrap();
    for (decoder, ratio, what) in &worst {
        eprintln!("worst peak / input of {decoder:?} among the hostile cases: {ratio:.2} ({what})");
    }
}
