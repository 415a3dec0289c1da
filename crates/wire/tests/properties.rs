//! Property tests, on stable in `cargo test`:
//!
//! - `decode(encode(x)) == x` for every NetBIOS message type smbaudit-wire encodes: NBNS
//!   packets (names with scopes, questions, records), NODE STATUS RDATA, NB address lists,
//!   NBSS / direct-TCP frames (also through the Deframer), SESSION REQUEST;
//! - the same for what the SMB, NTLMSSP and SPNEGO encoders write: SMB2 and SMB1 headers,
//!   SMB2 negotiate context data and context lists, NTLMSSP TargetInfo and VERSION, our
//!   SPNEGO init token; and responses built here field by field from the spec decode to
//!   those fields (SMB2 NEGOTIATE, NTLMSSP CHALLENGE, SPNEGO NegTokenResp);
//! - arbitrary bytes (and valid messages with bytes changed or cut off) never make a decoder
//!   panic, and whatever `Packet::decode` accepts round-trips; likewise for every SMB2,
//!   SMB1, NTLMSSP and SPNEGO decoder, where what decodes re-encodes to the same value.
//!
//! - the same for the share-enumeration decoders (SMB2 CREATE with contexts, CLOSE, IOCTL
//!   pipe transceive, READ, QUERY_DIRECTORY; DCE/RPC PDUs, `Reassembly`, NetrShareEnum
//!   NDR): arbitrary bytes and damaged valid messages never panic, what decodes stays
//!   within its input and its caps (`MAX_CREATE_CONTEXTS`, `MAX_ENTRIES`, `MAX_SHARES`,
//!   `MAX_SHARE_NAME`), and a `Reassembly` never holds more than `MAX_PENDING` pipe bytes
//!   or `MAX_STUB` stub bytes, however its input is cut.
//!
//! Allocation bounds are in `alloc_bounds.rs`, which needs its own global allocator.

use proptest::prelude::*;
use proptest::sample::Index;
use smbaudit_wire::nbns::{
    Flags, Header, NameFlags, NbAddress, NbName, NodeName, NodeStatus, Packet, QualifiedName,
    Question, ResourceRecord, RrType, Statistics,
};
use smbaudit_wire::nbss::{
    Deframer, FRAME_HEADER_LEN, Frame, FrameHeader, NegativeCode, PacketType, SessionPacket,
    SessionRequest, Transport, decode_frame, encode_frame,
};
use smbaudit_wire::ntlm::{AvPair, Challenge, TargetInfo, Version};
use smbaudit_wire::smb2::{ContextData, NegotiateContext};
use smbaudit_wire::{DecodeError, Encode, Reader, ResponseError, dcerpc, ntlm, smb1, smb2, spnego};

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

fn nb_name() -> impl Strategy<Value = NbName> {
    prop_oneof![
        // Any 16 bytes: names are raw bytes on the wire.
        prop::array::uniform16(any::<u8>()).prop_map(NbName),
        // And the ones real hosts use.
        ("[A-Z0-9-]{1,15}", any::<u8>()).prop_map(|(s, suffix)| NbName::new(&s, suffix).unwrap()),
        Just(NbName::WILDCARD),
    ]
}

/// A scope as `QualifiedName` holds it: 0 to 4 dotted labels of 1 to 50 bytes, any byte but
/// `.` (a label can't hold one, see `QualifiedName::decode`). At most 4 × 51 + 34 + 1 = 239
/// bytes encoded, under the 255-byte limit.
fn scope() -> impl Strategy<Value = Vec<u8>> {
    let label = prop::collection::vec(
        any::<u8>().prop_map(|b| if b == b'.' { b'-' } else { b }),
        1..=50,
    );
    prop::collection::vec(label, 0..=4).prop_map(|labels| labels.join(&b'.'))
}

fn qualified_name() -> impl Strategy<Value = QualifiedName> {
    (nb_name(), prop_oneof![2 => Just(Vec::new()), 1 => scope()])
        .prop_map(|(name, scope)| QualifiedName { name, scope })
}

fn rr_type() -> impl Strategy<Value = RrType> {
    prop_oneof![
        Just(RrType::NB),
        Just(RrType::NBSTAT),
        Just(RrType::A),
        Just(RrType::NULL),
        any::<u16>().prop_map(RrType),
    ]
}

fn question() -> impl Strategy<Value = Question> {
    (qualified_name(), rr_type(), any::<u16>()).prop_map(|(name, qtype, qclass)| Question {
        name,
        qtype,
        qclass,
    })
}

fn record() -> impl Strategy<Value = ResourceRecord> {
    (
        qualified_name(),
        rr_type(),
        any::<u16>(),
        any::<u32>(),
        prop::collection::vec(any::<u8>(), 0..80),
    )
        .prop_map(|(name, rr_type, rr_class, ttl, rdata)| ResourceRecord {
            name,
            rr_type,
            rr_class,
            ttl,
            rdata,
        })
}

/// A packet whose header counts match its sections, as every decoded packet's do.
fn packet() -> impl Strategy<Value = Packet> {
    let records = || prop::collection::vec(record(), 0..3);
    (
        any::<u16>(),
        any::<u16>(),
        prop::collection::vec(question(), 0..3),
        records(),
        records(),
        records(),
    )
        .prop_map(
            |(trn_id, flags, questions, answers, authority, additional)| {
                let n = |len: usize| u16::try_from(len).unwrap();
                Packet {
                    header: Header {
                        trn_id,
                        flags: Flags(flags),
                        qdcount: n(questions.len()),
                        ancount: n(answers.len()),
                        nscount: n(authority.len()),
                        arcount: n(additional.len()),
                    },
                    questions,
                    answers,
                    authority,
                    additional,
                }
            },
        )
}

fn node_status() -> impl Strategy<Value = NodeStatus> {
    let entry = (nb_name(), any::<u16>()).prop_map(|(name, f)| NodeName {
        name,
        flags: NameFlags(f),
    });
    (
        prop::collection::vec(entry, 0..=255),
        prop::collection::vec(any::<u8>(), 0..=80),
    )
        .prop_map(|(names, stats)| NodeStatus {
            names,
            statistics: Statistics(stats),
        })
}

fn nb_addresses() -> impl Strategy<Value = Vec<NbAddress>> {
    prop::collection::vec(
        (any::<u16>(), any::<[u8; 4]>()).prop_map(|(flags, address)| NbAddress { flags, address }),
        0..40,
    )
}

fn transport() -> impl Strategy<Value = Transport> {
    prop_oneof![Just(Transport::Nbss), Just(Transport::Direct)]
}

/// A frame the transport can carry: any TYPE on NBSS, SESSION MESSAGE on direct TCP.
fn frame_for(t: Transport) -> impl Strategy<Value = Frame> {
    let kind = match t {
        Transport::Nbss => any::<u8>().prop_map(PacketType).boxed(),
        Transport::Direct => Just(PacketType::SESSION_MESSAGE).boxed(),
    };
    (kind, prop::collection::vec(any::<u8>(), 0..600))
        .prop_map(|(kind, payload)| Frame { kind, payload })
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

/// `valid` with some bytes overwritten and maybe cut short: hostile input that gets past the
/// first checks, which random bytes rarely do.
fn mutate(mut valid: Vec<u8>, edits: &[(Index, u8)], cut: Option<Index>) -> Vec<u8> {
    if !valid.is_empty() {
        for (at, byte) in edits {
            let i = at.index(valid.len());
            valid[i] = *byte;
        }
    }
    if let Some(cut) = cut {
        valid.truncate(cut.index(valid.len() + 1));
    }
    valid
}

fn edits() -> impl Strategy<Value = (Vec<(Index, u8)>, Option<Index>)> {
    (
        prop::collection::vec((any::<Index>(), any::<u8>()), 0..6),
        any::<Option<Index>>(),
    )
}

/// Feeds `stream` to a Deframer in the given chunk sizes (cycled); returns the frames and how
/// it ended: the error that stopped it, or the bytes left buffered.
fn deframe(
    t: Transport,
    max_len: usize,
    stream: &[u8],
    sizes: &[usize],
) -> (Vec<Frame>, Result<usize, DecodeError>) {
    let mut d = Deframer::new(t, max_len);
    let mut frames = Vec::new();
    let mut rest = stream;
    let mut sizes = sizes.iter().copied().cycle();
    while !rest.is_empty() {
        let n = sizes.next().unwrap_or(rest.len()).clamp(1, rest.len());
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        d.push(chunk);
        loop {
            match d.next_frame() {
                Ok(Some(f)) => frames.push(f),
                Ok(None) => break,
                Err(e) => return (frames, Err(e)),
            }
        }
    }
    (frames, Ok(d.buffered()))
}

// ---------------------------------------------------------------------------------------------
// (a) decode(encode(x)) == x
// ---------------------------------------------------------------------------------------------

proptest! {
    #[test]
    fn roundtrips_nbns_packet(p in packet()) {
        let bytes = p.to_vec();
        let names = p.questions.iter().map(|q| q.name.encoded_len() + 4).sum::<usize>()
            + p.answers.iter().chain(&p.authority).chain(&p.additional)
                .map(|rr| rr.name.encoded_len() + 10 + rr.rdata.len()).sum::<usize>();
        prop_assert_eq!(bytes.len(), 12 + names);
        prop_assert_eq!(Packet::decode(&bytes), Ok(p));
    }

    #[test]
    fn roundtrips_qualified_name_at_any_offset(q in qualified_name(), prefix in bytes(40), tail in bytes(8)) {
        let mut msg = prefix.clone();
        q.encode(&mut msg);
        prop_assert_eq!(msg.len(), prefix.len() + q.encoded_len());
        msg.extend_from_slice(&tail);
        let mut r = Reader::new(&msg);
        r.take("prefix", prefix.len()).unwrap();
        prop_assert_eq!(QualifiedName::decode(&msg, &mut r), Ok(q));
        prop_assert_eq!(r.peek_rest(), &tail[..]);
    }

    #[test]
    fn roundtrips_compressed_names(q in qualified_name(), trn_id in any::<u16>(), ttl in any::<u32>()) {
        // A registration as Windows sends it: the additional record's name is a pointer to
        // the question's (0xC00C), and decodes to the same name.
        let mut bytes = Packet {
            header: Header { trn_id, flags: Flags(0x2910), qdcount: 1, ancount: 0, nscount: 0, arcount: 0 },
            questions: vec![Question { name: q.clone(), qtype: RrType::NB, qclass: 1 }],
            answers: vec![], authority: vec![], additional: vec![],
        }.to_vec();
        bytes[11] = 1; // ARCOUNT
        bytes.extend_from_slice(&[0xC0, 0x0C, 0x00, 0x20, 0x00, 0x01]);
        bytes.extend_from_slice(&ttl.to_be_bytes());
        bytes.extend_from_slice(&[0x00, 0x06, 0x60, 0x00, 10, 0, 0, 1]);
        let p = Packet::decode(&bytes).unwrap();
        prop_assert_eq!(&p.additional[0].name, &q);
        prop_assert_eq!(p.additional[0].ttl, ttl);
        prop_assert_eq!(Packet::decode(&p.to_vec()), Ok(p));
    }

    #[test]
    fn roundtrips_node_status(ns in node_status()) {
        let mut rdata = Vec::new();
        ns.encode(&mut rdata);
        prop_assert_eq!(rdata.len(), 1 + 18 * ns.names.len() + ns.statistics.0.len());
        prop_assert_eq!(NodeStatus::decode(&rdata), Ok(ns));
    }

    #[test]
    fn roundtrips_nb_address_list(list in nb_addresses()) {
        let mut rdata = Vec::new();
        NbAddress::encode_list(&list, &mut rdata);
        prop_assert_eq!(rdata.len(), 6 * list.len());
        prop_assert_eq!(NbAddress::decode_list(&rdata), Ok(list));
    }

    #[test]
    fn roundtrips_frames_on_both_transports(
        (t, frames) in transport().prop_flat_map(|t| (Just(t), prop::collection::vec(frame_for(t), 1..6))),
        sizes in prop::collection::vec(1usize..300, 1..8),
    ) {
        let mut stream = Vec::new();
        for f in &frames {
            let mut one = Vec::new();
            encode_frame(t, f.kind, &f.payload, &mut one).unwrap();
            prop_assert_eq!(one.len(), FRAME_HEADER_LEN + f.payload.len());
            prop_assert_eq!(decode_frame(t, &one), Ok(f.clone()));
            stream.extend_from_slice(&one);
        }
        prop_assert_eq!(deframe(t, 64 * 1024, &stream, &sizes), (frames, Ok(0)));
    }

    #[test]
    fn roundtrips_frame_header_over_the_whole_length_range(
        t in transport(),
        kind in any::<u8>(),
        frac in 0.0f64..=1.0,
    ) {
        let length = (t.max_len() as f64 * frac) as usize;
        let kind = if t == Transport::Direct { PacketType::SESSION_MESSAGE } else { PacketType(kind) };
        let h = FrameHeader { kind, length };
        let mut out = Vec::new();
        h.encode(t, &mut out).unwrap();
        let head: [u8; 4] = out.try_into().unwrap();
        prop_assert_eq!(FrameHeader::decode(t, head), Ok(h));
        let too_long = FrameHeader { kind, length: t.max_len() + 1 };
        prop_assert!(too_long.encode(t, &mut Vec::new()).is_err());
    }

    #[test]
    fn roundtrips_session_request(called in qualified_name(), calling in qualified_name()) {
        let req = SessionRequest { called, calling };
        let frame = req.to_vec();
        prop_assert_eq!(frame.len(), 4 + req.called.encoded_len() + req.calling.encoded_len());
        let f = decode_frame(Transport::Nbss, &frame).unwrap();
        prop_assert_eq!(f.kind, PacketType::SESSION_REQUEST);
        prop_assert_eq!(SessionRequest::decode(&f.payload), Ok(req.clone()));
        prop_assert_eq!(SessionPacket::decode(&f), Ok(SessionPacket::Request(req)));
    }

    #[test]
    fn decodes_every_session_response(code in any::<u8>(), address in any::<[u8; 4]>(), port in any::<u16>()) {
        let cases = [
            (PacketType::POSITIVE_RESPONSE, vec![], SessionPacket::Positive),
            (PacketType::NEGATIVE_RESPONSE, vec![code], SessionPacket::Negative(NegativeCode(code))),
            (
                PacketType::RETARGET_RESPONSE,
                [&address[..], &port.to_be_bytes()].concat(),
                SessionPacket::Retarget { address, port },
            ),
            (PacketType::KEEP_ALIVE, vec![], SessionPacket::KeepAlive),
        ];
        for (kind, payload, want) in cases {
            let mut bytes = Vec::new();
            encode_frame(Transport::Nbss, kind, &payload, &mut bytes).unwrap();
            let f = decode_frame(Transport::Nbss, &bytes).unwrap();
            prop_assert_eq!(SessionPacket::decode(&f), Ok(want));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (b) hostile bytes never panic
// ---------------------------------------------------------------------------------------------

/// What the nbns targets check: every decoder runs, and an accepted packet round-trips.
fn nbns_decoders_hold_up(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(p) = Packet::decode(bytes) {
        for rr in p.answers.iter().chain(&p.authority).chain(&p.additional) {
            let _ = NodeStatus::decode(&rr.rdata);
            let _ = NbAddress::decode_list(&rr.rdata);
        }
        let _ = format!("{p:?}");
        prop_assert_eq!(Packet::decode(&p.to_vec()), Ok(p));
    }
    if let Ok(ns) = NodeStatus::decode(bytes) {
        let mut out = Vec::new();
        ns.encode(&mut out);
        prop_assert_eq!(out, bytes);
    }
    if let Ok(list) = NbAddress::decode_list(bytes) {
        prop_assert_eq!(list.len() * 6, bytes.len());
    }
    Ok(())
}

proptest! {
    #[test]
    fn nbns_decoders_never_panic_on_arbitrary_bytes(b in bytes(700)) {
        nbns_decoders_hold_up(&b)?;
    }

    #[test]
    fn nbns_decoders_never_panic_on_damaged_packets(p in packet(), (e, cut) in edits()) {
        nbns_decoders_hold_up(&mutate(p.to_vec(), &e, cut))?;
    }

    #[test]
    fn node_status_never_panics_on_damaged_rdata(ns in node_status(), (e, cut) in edits()) {
        let mut rdata = Vec::new();
        ns.encode(&mut rdata);
        nbns_decoders_hold_up(&mutate(rdata, &e, cut))?;
    }

    #[test]
    fn qualified_name_never_panics(b in bytes(300), start in any::<Index>()) {
        let start = start.index(b.len() + 1);
        let mut r = Reader::with_offset(&b[start..], start);
        if let Ok(q) = QualifiedName::decode(&b, &mut r) {
            prop_assert!(q.encoded_len() <= 255, "{q:?}");
            prop_assert!(r.offset() <= b.len());
        }
    }

    #[test]
    fn qualified_name_never_panics_on_damaged_names(q in qualified_name(), (e, cut) in edits()) {
        let mut msg = Vec::new();
        q.encode(&mut msg);
        let msg = mutate(msg, &e, cut);
        let _ = QualifiedName::decode(&msg, &mut Reader::new(&msg));
    }

    #[test]
    fn frame_decoders_never_panic(t in transport(), b in bytes(700)) {
        if let Ok(f) = decode_frame(t, &b) {
            prop_assert_eq!(f.payload.len() + FRAME_HEADER_LEN, b.len());
            let _ = SessionPacket::decode(&f);
        }
    }

    #[test]
    fn session_packet_never_panics(kind in any::<u8>(), payload in bytes(200)) {
        let _ = SessionPacket::decode(&Frame { kind: PacketType(kind), payload });
    }

    #[test]
    fn session_request_never_panics_on_damaged_names(
        called in qualified_name(), calling in qualified_name(), (e, cut) in edits(),
    ) {
        let frame = SessionRequest { called, calling }.to_vec();
        let payload = mutate(frame[4..].to_vec(), &e, cut);
        let _ = SessionRequest::decode(&payload);
        let _ = SessionPacket::decode(&Frame { kind: PacketType::SESSION_REQUEST, payload });
    }

    #[test]
    fn deframer_never_panics_and_ignores_chunking(
        t in transport(),
        stream in prop_oneof![
            bytes(2000),
            // Mostly-valid streams: frames with a few bytes changed.
            (prop::collection::vec(frame_for(Transport::Nbss), 1..5), edits()).prop_map(|(fs, (e, cut))| {
                let mut s = Vec::new();
                for f in fs {
                    encode_frame(Transport::Nbss, f.kind, &f.payload, &mut s).unwrap();
                }
                mutate(s, &e, cut)
            }),
        ],
        sizes in prop::collection::vec(1usize..100, 1..8),
        max_len in prop_oneof![Just(0usize), 0usize..2000, Just(usize::MAX)],
    ) {
        let whole = deframe(t, max_len, &stream, &[stream.len().max(1)]);
        let chunked = deframe(t, max_len, &stream, &sizes);
        prop_assert_eq!(&whole, &chunked);
        let (frames, end) = whole;
        let used: usize = frames.iter().map(|f| FRAME_HEADER_LEN + f.payload.len()).sum();
        if let Ok(buffered) = end {
            prop_assert_eq!(used + buffered, stream.len());
        }
        for f in &frames {
            prop_assert!(f.payload.len() <= max_len.min(t.max_len()));
            let _ = SessionPacket::decode(f);
        }
    }
}

#[test]
fn refuses_scope_labels_holding_a_dot() {
    // Found by the nbns_roundtrip fuzz target (fuzz/regressions/nbns_roundtrip/): the label
    // `\x03\x03.` decoded to the scope `\x03\x03.`, which encoded as `\x03\x03` and an empty
    // label, ending the name one label early.
    for label in [&b"\x03\x03."[..], b".ab", b"a..b", b"a.b"] {
        let mut msg = vec![32];
        msg.extend_from_slice(&NbName::WILDCARD.encode_label());
        msg.push(label.len() as u8);
        msg.extend_from_slice(label);
        msg.push(0);
        assert_eq!(
            QualifiedName::decode(&msg, &mut Reader::new(&msg)),
            Err(DecodeError::Unexpected {
                what: "scope label holding a dot",
                value: 0x2e
            }),
            "{label:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// SMB2, SMB1, NTLMSSP and SPNEGO
// ---------------------------------------------------------------------------------------------

fn smb2_header() -> impl Strategy<Value = smb2::Header> {
    (
        (
            any::<u16>(),
            any::<u32>(),
            any::<u16>(),
            any::<u16>(),
            any::<u32>(),
        ),
        (
            any::<u32>(),
            any::<u64>(),
            any::<Option<u64>>(),
            any::<u32>(),
            any::<u64>(),
        ),
        any::<[u8; 16]>(),
    )
        .prop_map(
            |(
                (credit_charge, status, command, credits, flags),
                (next_command, message_id, async_id, tree_id, session_id),
                signature,
            )| {
                // The header's form follows its ASYNC_COMMAND flag.
                let flags = if async_id.is_some() {
                    flags | smb2::flags::ASYNC_COMMAND
                } else {
                    flags & !smb2::flags::ASYNC_COMMAND
                };
                smb2::Header {
                    credit_charge,
                    status,
                    command,
                    credits,
                    flags,
                    next_command,
                    message_id,
                    async_id,
                    tree_id: async_id.is_none().then_some(tree_id),
                    session_id,
                    signature,
                }
            },
        )
}

fn smb1_header() -> impl Strategy<Value = smb1::Header> {
    (
        (
            any::<u8>(),
            any::<u32>(),
            any::<u8>(),
            any::<u16>(),
            any::<u16>(),
        ),
        any::<[u8; 8]>(),
        any::<[u16; 4]>(),
    )
        .prop_map(
            |((command, status, flags, flags2, pid_high), signature, [tid, pid, uid, mid])| {
                smb1::Header {
                    command,
                    status,
                    flags,
                    flags2,
                    pid_high,
                    signature,
                    tid,
                    pid,
                    uid,
                    mid,
                }
            },
        )
}

fn u16s(max: usize) -> impl Strategy<Value = Vec<u16>> {
    prop::collection::vec(any::<u16>(), 0..max)
}

/// Any ContextData this crate encodes. A netname can't hold U+0000: it would end the name.
fn context_data() -> impl Strategy<Value = ContextData> {
    prop_oneof![
        (u16s(6), bytes(40)).prop_map(|(hash_algorithms, salt)| ContextData::PreauthIntegrity {
            hash_algorithms,
            salt
        }),
        u16s(6).prop_map(|ciphers| ContextData::Encryption { ciphers }),
        (any::<u32>(), u16s(6))
            .prop_map(|(flags, algorithms)| ContextData::Compression { flags, algorithms }),
        "[^\u{0}]{0,30}".prop_map(ContextData::Netname),
        any::<u32>().prop_map(|flags| ContextData::Transport { flags }),
        u16s(6).prop_map(|transforms| ContextData::RdmaTransform { transforms }),
        u16s(6).prop_map(|algorithms| ContextData::Signing { algorithms }),
    ]
}

/// Contexts as they travel: known types with their data, and unknown types with any bytes.
fn negotiate_contexts() -> impl Strategy<Value = Vec<NegotiateContext>> {
    let context = prop_oneof![
        context_data().prop_map(|d| d.to_context().unwrap()),
        (any::<u16>(), bytes(60))
            .prop_map(|(context_type, data)| NegotiateContext { context_type, data }),
    ];
    prop::collection::vec(context, 0..8)
}

/// A NEGOTIATE response ([MS-SMB2] 2.2.4) built field by field: security buffer at 128,
/// contexts 8-byte aligned after it (3.1.1 only).
fn smb2_negotiate_response(
    dialect: u16,
    guid: [u8; 16],
    buffer: &[u8],
    contexts: &[NegotiateContext],
) -> Vec<u8> {
    let mut msg = Vec::new();
    smb2::Header {
        command: smb2::command::NEGOTIATE,
        flags: smb2::flags::SERVER_TO_REDIR,
        tree_id: Some(0),
        ..smb2::Header::default()
    }
    .encode(&mut msg);
    let context_offset = (128 + buffer.len()).next_multiple_of(8);
    msg.extend_from_slice(&65u16.to_le_bytes());
    msg.extend_from_slice(&smb2::SIGNING_ENABLED.to_le_bytes());
    msg.extend_from_slice(&dialect.to_le_bytes());
    msg.extend_from_slice(&u16::try_from(contexts.len()).unwrap().to_le_bytes());
    msg.extend_from_slice(&guid);
    msg.extend_from_slice(&0x2F_u32.to_le_bytes()); // Capabilities
    for size in [0x80_0000u32; 3] {
        msg.extend_from_slice(&size.to_le_bytes());
    }
    msg.extend_from_slice(&[0x11; 16]); // SystemTime, ServerStartTime
    msg.extend_from_slice(&128u16.to_le_bytes());
    msg.extend_from_slice(&u16::try_from(buffer.len()).unwrap().to_le_bytes());
    msg.extend_from_slice(&u32::try_from(context_offset).unwrap().to_le_bytes());
    assert_eq!(msg.len(), 128);
    msg.extend_from_slice(buffer);
    smb2::encode_context_list(contexts, &mut msg);
    msg
}

/// A SESSION_SETUP response ([MS-SMB2] 2.2.6) with its buffer at 72.
fn smb2_session_setup_response(status: u32, session_flags: u16, buffer: &[u8]) -> Vec<u8> {
    let mut msg = Vec::new();
    smb2::Header {
        status,
        command: smb2::command::SESSION_SETUP,
        flags: smb2::flags::SERVER_TO_REDIR,
        tree_id: Some(0),
        session_id: 0x4000_0000_0001,
        ..smb2::Header::default()
    }
    .encode(&mut msg);
    msg.extend_from_slice(&9u16.to_le_bytes());
    msg.extend_from_slice(&session_flags.to_le_bytes());
    msg.extend_from_slice(&72u16.to_le_bytes());
    msg.extend_from_slice(&u16::try_from(buffer.len()).unwrap().to_le_bytes());
    msg.extend_from_slice(buffer);
    msg
}

/// An SMB1 response: header with `command` and Flags2 `flags2`, `words`, `bytes`.
fn smb1_response(command: u8, flags2: u16, words: &[u8], bytes: &[u8]) -> Vec<u8> {
    let mut msg = Vec::new();
    smb1::Header {
        command,
        flags: smb1::flags::REPLY,
        flags2,
        ..smb1::Header::default()
    }
    .encode(&mut msg);
    msg.push(u8::try_from(words.len() / 2).unwrap());
    msg.extend_from_slice(words);
    msg.extend_from_slice(&u16::try_from(bytes.len()).unwrap().to_le_bytes());
    msg.extend_from_slice(bytes);
    msg
}

/// SMB1 NEGOTIATE responses, extended security or not, and SESSION_SETUP_ANDX responses.
fn smb1_message() -> impl Strategy<Value = Vec<u8>> {
    (any::<bool>(), any::<bool>(), bytes(80), any::<u8>()).prop_map(
        |(negotiate, extended, data, blob_len)| {
            let unicode = if data.len() % 2 == 0 { 0xC801 } else { 0x4001 };
            if negotiate {
                let mut w = vec![1, 0, 0x0F, 0x32, 0, 1, 0];
                w.extend_from_slice(&[0x04, 0x41, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
                let caps: u32 = if extended { 0x8000_F3FD } else { 0xF3FD };
                w.extend_from_slice(&caps.to_le_bytes());
                w.extend_from_slice(&[0x22; 8]);
                w.extend_from_slice(&[0xC4, 0xFF]);
                w.push(if extended { 0 } else { 8 });
                let mut b = if extended {
                    vec![0x33; 16]
                } else {
                    vec![0x44; 8]
                };
                b.extend_from_slice(&data);
                smb1_response(0x72, unicode, &w, &b)
            } else {
                let blob_len = usize::from(blob_len).min(data.len());
                let mut w = vec![0xFF, 0, 0, 0, 1, 0];
                w.extend_from_slice(&u16::try_from(blob_len).unwrap().to_le_bytes());
                smb1_response(0x73, unicode, &w, &data)
            }
        },
    )
}

fn av_pairs() -> impl Strategy<Value = TargetInfo> {
    let pair = (1..=u16::MAX, bytes(30)).prop_map(|(id, value)| AvPair { id, value });
    (prop::collection::vec(pair, 0..12), any::<bool>()).prop_map(|(mut pairs, eol)| {
        if eol {
            pairs.push(AvPair {
                id: ntlm::MSV_AV_EOL,
                value: Vec::new(),
            });
        }
        TargetInfo { pairs }
    })
}

/// A CHALLENGE_MESSAGE ([MS-NLMP] 2.2.1.2) built field by field: 56-byte header, then
/// TargetName and TargetInfo.
fn ntlm_challenge(flags: u32, name: &[u8], info: &TargetInfo, version: [u8; 8]) -> Vec<u8> {
    let mut info_bytes = Vec::new();
    info.encode(&mut info_bytes);
    let mut m = ntlm::SIGNATURE.to_vec();
    m.extend_from_slice(&ntlm::MESSAGE_TYPE_CHALLENGE.to_le_bytes());
    for (len, offset) in [(name.len(), 56), (info_bytes.len(), 56 + name.len())] {
        let len = u16::try_from(len).unwrap().to_le_bytes();
        m.extend_from_slice(&len);
        m.extend_from_slice(&len);
        m.extend_from_slice(&u32::try_from(offset).unwrap().to_le_bytes());
        if m.len() == 20 {
            m.extend_from_slice(&flags.to_le_bytes());
            m.extend_from_slice(&[0x5A; 8]); // ServerChallenge
            m.extend_from_slice(&[0; 8]); // Reserved
        }
    }
    m.extend_from_slice(&version);
    m.extend_from_slice(name);
    m.extend_from_slice(&info_bytes);
    m
}

fn challenge_message() -> impl Strategy<Value = Vec<u8>> {
    (any::<u32>(), bytes(40), av_pairs(), any::<[u8; 8]>())
        .prop_map(|(flags, name, info, version)| ntlm_challenge(flags, &name, &info, version))
}

/// A DER element with a minimal length.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.push(0x82);
        out.extend_from_slice(&u16::try_from(len).unwrap().to_be_bytes());
    }
    out.extend_from_slice(content);
    out
}

/// NegTokenResp fields as RFC 4178 4.2.2 orders them, and the struct they decode to.
fn neg_token_resp() -> impl Strategy<Value = (Vec<u8>, spnego::NegTokenResp)> {
    (
        any::<Option<u8>>(),
        any::<bool>(),
        prop::option::of(bytes(300)),
        prop::option::of(bytes(20)),
        any::<bool>(),
    )
        .prop_map(|(neg_state, mech, token, mic, wrapped)| {
            let mut fields = Vec::new();
            if let Some(s) = neg_state {
                fields.extend(der(0xa0, &der(0x0a, &[s])));
            }
            if mech {
                let oid = [0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];
                fields.extend(der(0xa1, &der(0x06, &oid)));
            }
            if let Some(t) = &token {
                fields.extend(der(0xa2, &der(0x04, t)));
            }
            if let Some(m) = &mic {
                fields.extend(der(0xa3, &der(0x04, m)));
            }
            let mut blob = der(0xa1, &der(0x30, &fields));
            if wrapped {
                let spnego = der(0x06, &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02]);
                blob = der(0x60, &[spnego, blob].concat());
            }
            let resp = spnego::NegTokenResp {
                neg_state,
                supported_mech: mech.then(|| spnego::OID_NTLMSSP.to_owned()),
                response_token: token,
                mech_list_mic: mic,
            };
            (blob, resp)
        })
}

proptest! {
    #[test]
    fn roundtrips_smb2_header(h in smb2_header(), body in bytes(20)) {
        let mut msg = Vec::new();
        h.encode(&mut msg);
        prop_assert_eq!(msg.len(), smb2::HEADER_LEN);
        msg.extend_from_slice(&body);
        prop_assert_eq!(smb2::Header::decode(&msg), Ok((h, &body[..])));
        prop_assert_eq!(smb2::protocol_of(&msg), Ok(smb2::Protocol::Smb2));
    }

    #[test]
    fn roundtrips_smb1_header(h in smb1_header(), body in bytes(20)) {
        let mut msg = Vec::new();
        h.encode(&mut msg);
        prop_assert_eq!(msg.len(), smb1::HEADER_LEN);
        msg.extend_from_slice(&body);
        prop_assert_eq!(smb1::Header::decode(&msg), Ok((h, &body[..])));
        prop_assert_eq!(smb2::protocol_of(&msg), Ok(smb2::Protocol::Smb1));
    }

    #[test]
    fn roundtrips_context_data(d in context_data()) {
        let c = d.to_context().unwrap();
        prop_assert_eq!(c.decode_data(), Ok(d));
    }

    #[test]
    fn roundtrips_context_lists_after_any_prefix(contexts in negotiate_contexts(), prefix in bytes(90)) {
        let mut msg = prefix.clone();
        smb2::encode_context_list(&contexts, &mut msg);
        let first = prefix.len().next_multiple_of(8);
        let count = u16::try_from(contexts.len()).unwrap();
        prop_assert_eq!(smb2::decode_context_list(&msg, first, count), Ok(contexts));
    }

    #[test]
    fn decodes_built_smb2_negotiate_responses(
        dialect in prop_oneof![Just(0x0311u16), Just(0x0302), Just(0x02FF), any::<u16>()],
        guid in any::<[u8; 16]>(),
        buffer in bytes(200),
        contexts in negotiate_contexts(),
    ) {
        let msg = smb2_negotiate_response(dialect, guid, &buffer, &contexts);
        let r = smb2::NegotiateResponse::decode(&msg).unwrap();
        prop_assert_eq!((r.dialect, r.server_guid), (dialect, guid));
        prop_assert_eq!(&r.security_buffer, &buffer);
        let want = if dialect == 0x0311 { contexts } else { Vec::new() };
        prop_assert_eq!(r.contexts, want);
    }

    #[test]
    fn decodes_built_smb2_session_setup_responses(
        status in prop_oneof![Just(0u32), Just(0xC000_0016)],
        session_flags in any::<u16>(),
        buffer in bytes(300),
    ) {
        let msg = smb2_session_setup_response(status, session_flags, &buffer);
        let r = smb2::SessionSetupResponse::decode(&msg).unwrap();
        prop_assert_eq!((r.header.status, r.session_flags), (status, session_flags));
        prop_assert_eq!(r.security_buffer, buffer);
    }

    #[test]
    fn roundtrips_target_info(info in av_pairs()) {
        let mut out = Vec::new();
        info.encode(&mut out);
        prop_assert_eq!(TargetInfo::decode(&out), Ok(info));
    }

    #[test]
    fn roundtrips_version(v in any::<[u8; 8]>()) {
        let version = Version::decode(&v).unwrap();
        let mut out = Vec::new();
        version.encode(&mut out);
        prop_assert_eq!(out[..4].to_vec(), v[..4].to_vec());
        prop_assert_eq!(out[7], v[7]);
        prop_assert_eq!(Version::decode(&out), Ok(version));
    }

    #[test]
    fn decodes_built_challenges(
        flags in any::<u32>(),
        name in "[^\u{0}]{1,20}",
        info in av_pairs(),
        build in any::<u16>(),
    ) {
        let unicode = flags | ntlm::flags::UNICODE | ntlm::flags::VERSION;
        let name_bytes: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let [lo, hi] = build.to_le_bytes();
        let msg = ntlm_challenge(unicode, &name_bytes, &info, [10, 0, lo, hi, 0, 0, 0, 0x0F]);
        let c = Challenge::decode(&msg).unwrap();
        prop_assert_eq!(c.flags, unicode);
        prop_assert_eq!(c.target_name, Some(name));
        prop_assert_eq!(c.target_info, info);
        prop_assert_eq!(c.version.map(|v| v.build), Some(build));
    }

    #[test]
    fn roundtrips_ntlm_init_token(token in bytes(600)) {
        let blob = spnego::ntlm_init_token(&token);
        let init = spnego::decode_init(&blob).unwrap();
        prop_assert_eq!(init.mech_types, vec![spnego::OID_NTLMSSP.to_owned()]);
        prop_assert_eq!(init.mech_token, Some(token));
        prop_assert_eq!(init.hint_name, None);
    }

    #[test]
    fn decodes_built_neg_token_resps((blob, resp) in neg_token_resp()) {
        prop_assert_eq!(spnego::decode_resp(&blob), Ok(resp.clone()));
        match resp.response_token {
            Some(token) => prop_assert_eq!(spnego::ntlm_token(&blob), Ok(token)),
            None => prop_assert!(spnego::ntlm_token(&blob).is_err()),
        }
    }
}

/// Every context's data decodes or not; what decodes re-encodes to the same value; the
/// list re-encodes to bytes that decode to it.
fn contexts_hold_up(contexts: &[NegotiateContext]) -> Result<(), TestCaseError> {
    for c in contexts {
        if let Ok(d) = c.decode_data() {
            match d.to_context() {
                Some(again) => prop_assert_eq!(again.decode_data(), Ok(d)),
                None => prop_assert_eq!(d, ContextData::Unknown),
            }
        }
    }
    let mut msg = Vec::new();
    smb2::encode_context_list(contexts, &mut msg);
    let count = u16::try_from(contexts.len()).unwrap();
    let again = smb2::decode_context_list(&msg, 0, count);
    prop_assert_eq!(again.as_deref(), Ok(contexts));
    Ok(())
}

/// What the smb2_response and smb1_response targets check, in short: every SMB decoder
/// runs; what decodes stays within the input; headers re-encode; blobs go on to SPNEGO.
fn smb_decoders_hold_up(b: &[u8]) -> Result<(), TestCaseError> {
    let _ = smb2::protocol_of(b);
    if let Ok((h, rest)) = smb2::Header::decode(b) {
        prop_assert_eq!(rest.len() + smb2::HEADER_LEN, b.len());
        let mut out = Vec::new();
        h.encode(&mut out);
        prop_assert_eq!(smb2::Header::decode(&out), Ok((h, &[][..])));
    }
    match smb2::NegotiateResponse::decode(b) {
        Ok(r) => {
            prop_assert!(r.security_buffer.len() <= b.len());
            let _ = (r.cipher(), r.signing_required());
            contexts_hold_up(&r.contexts)?;
            spnego_decoders_hold_up(&r.security_buffer)?;
        }
        Err(ResponseError::Status(s)) => prop_assert_ne!(s, 0),
        Err(ResponseError::Decode(_)) => {}
    }
    if let Ok(r) = smb2::SessionSetupResponse::decode(b) {
        prop_assert!(r.security_buffer.len() <= b.len());
        spnego_decoders_hold_up(&r.security_buffer)?;
    }
    match smb2::TreeConnectResponse::decode(b) {
        Ok(_) => prop_assert!(b.len() >= smb2::HEADER_LEN + 16),
        Err(ResponseError::Status(s)) => prop_assert_ne!(s, 0),
        Err(ResponseError::Decode(_)) => {}
    }
    if let Ok((h, rest)) = smb1::Header::decode(b) {
        prop_assert_eq!(rest.len() + smb1::HEADER_LEN, b.len());
        let mut out = Vec::new();
        h.encode(&mut out);
        prop_assert_eq!(smb1::Header::decode(&out), Ok((h, &[][..])));
    }
    if let Ok(smb1::NegotiateReply::Negotiated(r)) = smb1::NegotiateReply::decode(b) {
        let _ = (r.user_level(), r.signing_required());
        if let smb1::Smb1Security::Extended { security_blob, .. } = &r.security {
            spnego_decoders_hold_up(security_blob)?;
        }
    }
    if let Ok(r) = smb1::SessionSetupResponse::decode(b) {
        prop_assert!(r.security_blob.len() <= b.len());
        spnego_decoders_hold_up(&r.security_blob)?;
    }
    Ok(())
}

/// What the ntlm_challenge target checks: CHALLENGE and TargetInfo decode or not, the
/// getters run, TargetInfo re-encodes.
fn ntlm_decoders_hold_up(b: &[u8]) -> Result<(), TestCaseError> {
    let mut infos = Vec::new();
    if let Ok(c) = Challenge::decode(b) {
        prop_assert!(c.target_name.as_ref().is_none_or(|n| !n.is_empty()));
        infos.push(c.target_info);
    }
    if let Ok(info) = TargetInfo::decode(b) {
        infos.push(info);
    }
    for info in infos {
        prop_assert!(info.pairs.len() <= ntlm::MAX_AV_PAIRS);
        let _ = (
            info.nb_computer(),
            info.dns_domain(),
            info.flags(),
            info.timestamp(),
        );
        let mut out = Vec::new();
        info.encode(&mut out);
        prop_assert_eq!(TargetInfo::decode(&out), Ok(info));
    }
    Ok(())
}

/// What the spnego_token target checks: the three decoders run; ntlm_token gives the raw
/// blob or the responseToken, which goes on to the NTLMSSP decoders.
fn spnego_decoders_hold_up(b: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(init) = spnego::decode_init(b) {
        prop_assert!(init.mech_types.len() <= spnego::MAX_MECH_TYPES);
    }
    let resp = spnego::decode_resp(b);
    if let Ok(token) = spnego::ntlm_token(b) {
        if b.starts_with(&ntlm::SIGNATURE) {
            prop_assert_eq!(&token[..], b);
        } else {
            let want = resp.ok().and_then(|r| r.response_token);
            prop_assert_eq!(want.as_ref(), Some(&token));
        }
        ntlm_decoders_hold_up(&token)?;
    }
    Ok(())
}

proptest! {
    #[test]
    fn smb_decoders_never_panic_on_arbitrary_bytes(b in bytes(700), smb2_head in any::<bool>()) {
        // Half the inputs start like SMB2 (or SMB1) messages, to get past the first check.
        let mut b = b;
        if b.len() >= 4 {
            b[..4].copy_from_slice(if smb2_head { &smb2::PROTOCOL_ID } else { &smb1::PROTOCOL_ID });
        }
        smb_decoders_hold_up(&b)?;
    }

    #[test]
    fn smb2_decoders_never_panic_on_damaged_responses(
        dialect in prop_oneof![Just(0x0311u16), any::<u16>()],
        buffer in bytes(100),
        contexts in negotiate_contexts(),
        (e, cut) in edits(),
    ) {
        let msg = smb2_negotiate_response(dialect, [7; 16], &buffer, &contexts);
        smb_decoders_hold_up(&mutate(msg, &e, cut))?;
        let msg = smb2_session_setup_response(0xC000_0016, 0, &buffer);
        smb_decoders_hold_up(&mutate(msg, &e, cut))?;
    }

    #[test]
    fn smb1_decoders_never_panic_on_damaged_responses(msg in smb1_message(), (e, cut) in edits()) {
        smb_decoders_hold_up(&mutate(msg, &e, cut))?;
    }

    #[test]
    fn context_decoders_never_panic(
        context_type in prop_oneof![1u16..=8, any::<u16>()],
        data in bytes(100),
        offset in 0usize..120,
        count in prop_oneof![0u16..10, any::<u16>()],
    ) {
        let c = NegotiateContext { context_type, data };
        contexts_hold_up(std::slice::from_ref(&c))?;
        if let Ok(list) = smb2::decode_context_list(&c.data, offset, count) {
            prop_assert_eq!(list.len(), usize::from(count));
            contexts_hold_up(&list)?;
        }
    }

    #[test]
    fn ntlm_decoders_never_panic_on_arbitrary_bytes(b in bytes(400), signed in any::<bool>()) {
        let mut b = b;
        if signed && b.len() >= 12 {
            b[..8].copy_from_slice(&ntlm::SIGNATURE);
            b[8..12].copy_from_slice(&2u32.to_le_bytes());
        }
        ntlm_decoders_hold_up(&b)?;
    }

    #[test]
    fn ntlm_decoders_never_panic_on_damaged_challenges(msg in challenge_message(), (e, cut) in edits()) {
        ntlm_decoders_hold_up(&mutate(msg, &e, cut))?;
    }

    #[test]
    fn spnego_decoders_never_panic_on_arbitrary_bytes(b in bytes(400)) {
        spnego_decoders_hold_up(&b)?;
    }

    #[test]
    fn spnego_decoders_never_panic_on_damaged_tokens(
        blob in prop_oneof![
            neg_token_resp().prop_map(|(blob, _)| blob),
            bytes(200).prop_map(|t| spnego::ntlm_init_token(&t)),
            challenge_message().prop_map(|c| spnego::ntlm_init_token(&c)),
        ],
        (e, cut) in edits(),
    ) {
        spnego_decoders_hold_up(&mutate(blob, &e, cut))?;
    }
}

// ---------------------------------------------------------------------------------------------
// Share enumeration: SMB2 file and pipe responses, DCE/RPC, NetrShareEnum
// ---------------------------------------------------------------------------------------------

/// An SMB2 response to `command` with `status`, then `body`.
fn smb2_reply(command: u16, status: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    smb2::Header {
        command,
        status,
        flags: smb2::flags::SERVER_TO_REDIR,
        tree_id: Some(1),
        ..smb2::Header::default()
    }
    .encode(&mut out);
    out.extend_from_slice(body);
    out
}

/// A create context (Next, name at 16, data after the name padded to 8).
fn create_context(next: u32, name: &[u8], data: &[u8]) -> Vec<u8> {
    let data_offset = (16 + name.len()).next_multiple_of(8);
    let mut out = next.to_le_bytes().to_vec();
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(&u16::try_from(name.len()).unwrap().to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&u16::try_from(data_offset).unwrap().to_le_bytes());
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
    out.extend_from_slice(name);
    out.resize(data_offset, 0);
    out.extend_from_slice(data);
    out
}

/// A CREATE response carrying `contexts` (name, data), chained with aligned Next offsets.
fn create_response(contexts: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut chain = Vec::new();
    for (i, (name, data)) in contexts.iter().enumerate() {
        let mut ctx = create_context(0, name, data);
        ctx.resize(ctx.len().next_multiple_of(8), 0);
        if i + 1 < contexts.len() {
            let next = u32::try_from(ctx.len()).unwrap();
            ctx[..4].copy_from_slice(&next.to_le_bytes());
        }
        chain.extend(ctx);
    }
    let mut body = 89u16.to_le_bytes().to_vec();
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&1u32.to_le_bytes());
    body.extend_from_slice(&[0; 48]);
    body.extend_from_slice(&0x10u32.to_le_bytes());
    body.extend_from_slice(&[0; 4]);
    body.extend_from_slice(&[7; 16]);
    let offset: u32 = if chain.is_empty() { 0 } else { 64 + 88 };
    body.extend_from_slice(&offset.to_le_bytes());
    body.extend_from_slice(&u32::try_from(chain.len()).unwrap().to_le_bytes());
    body.extend_from_slice(&chain);
    smb2_reply(smb2::command::CREATE, 0, &body)
}

/// A QUERY_DIRECTORY response listing `names` (FileNamesInformation, 8-byte aligned).
fn query_directory_response(names: &[String]) -> Vec<u8> {
    let mut buffer = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let units: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut entry = 0u32.to_le_bytes().to_vec();
        entry.extend_from_slice(&0u32.to_le_bytes());
        entry.extend_from_slice(&u32::try_from(units.len()).unwrap().to_le_bytes());
        entry.extend_from_slice(&units);
        entry.resize(entry.len().next_multiple_of(8), 0);
        if i + 1 < names.len() {
            let next = u32::try_from(entry.len()).unwrap();
            entry[..4].copy_from_slice(&next.to_le_bytes());
        }
        buffer.extend(entry);
    }
    let mut body = 9u16.to_le_bytes().to_vec();
    body.extend_from_slice(&72u16.to_le_bytes());
    body.extend_from_slice(&u32::try_from(buffer.len()).unwrap().to_le_bytes());
    body.extend_from_slice(&buffer);
    smb2_reply(smb2::command::QUERY_DIRECTORY, 0, &body)
}

/// An IOCTL (FSCTL_PIPE_TRANSCEIVE) or READ response carrying `data`.
fn pipe_response(ioctl: bool, status: u32, data: &[u8]) -> Vec<u8> {
    let count = u32::try_from(data.len()).unwrap();
    let body = if ioctl {
        let mut body = 49u16.to_le_bytes().to_vec();
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&smb2::FSCTL_PIPE_TRANSCEIVE.to_le_bytes());
        body.extend_from_slice(&[9; 16]);
        for v in [112, 0, 112, count, 0, 0] {
            body.extend_from_slice(&v.to_le_bytes());
        }
        body
    } else {
        let mut body = 17u16.to_le_bytes().to_vec();
        body.extend_from_slice(&[80, 0]);
        body.extend_from_slice(&count.to_le_bytes());
        body.extend_from_slice(&[0; 8]);
        body
    };
    let mut body = body;
    body.extend_from_slice(data);
    let command = if ioctl {
        smb2::command::IOCTL
    } else {
        smb2::command::READ
    };
    smb2_reply(command, status, &body)
}

/// A NetrShareEnum answer at `level` for `shares` (name, type, remark), laid out as NDR
/// defers it.
fn share_enum_answer(level: u32, shares: &[(String, u32, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    let u32s = |out: &mut Vec<u8>, vals: &[u32]| {
        for v in vals {
            out.extend_from_slice(&v.to_le_bytes());
        }
    };
    let n = u32::try_from(shares.len()).unwrap();
    u32s(&mut out, &[level, level, 0x2_0000, n, 0x2_0004, n]);
    for (i, (_, kind, _)) in shares.iter().enumerate() {
        let r = 0x2_0008 + 8 * u32::try_from(i).unwrap();
        if level == 1 {
            u32s(&mut out, &[r, *kind, r + 4]);
        } else {
            u32s(&mut out, &[r]);
        }
    }
    for (name, _, remark) in shares {
        let strings = if level == 1 {
            vec![name, remark]
        } else {
            vec![name]
        };
        for s in strings {
            let units: Vec<u16> = s.encode_utf16().chain([0]).collect();
            let c = u32::try_from(units.len()).unwrap();
            u32s(&mut out, &[c, 0, c]);
            for u in units {
                out.extend_from_slice(&u.to_le_bytes());
            }
            while out.len() % 4 != 0 {
                out.push(0);
            }
        }
    }
    u32s(&mut out, &[n, 0x2_0100, 0, 0]);
    out
}

fn shares() -> impl Strategy<Value = (u32, Vec<(String, u32, String)>)> {
    (
        0u32..=1,
        prop::collection::vec(
            ("[a-zA-Z0-9$ é]{0,20}", any::<u32>(), "[^\\x00]{0,30}"),
            0..8,
        ),
    )
}

/// One DCE/RPC PDU (little-endian, no verifier) of `ptype` with `flags` and `body`.
fn rpc_pdu(ptype: u8, flags: u8, call_id: u32, body: &[u8]) -> Vec<u8> {
    let mut out = vec![5, 0, ptype, flags, 0x10, 0, 0, 0];
    out.extend_from_slice(&u16::try_from(16 + body.len()).unwrap().to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&call_id.to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// A NetrShareEnum answer cut into RESPONSE fragments of at most `frag` stub bytes.
fn fragmented_answer(stub: &[u8], frag: usize, call_id: u32) -> Vec<u8> {
    let parts: Vec<&[u8]> = if stub.is_empty() {
        vec![stub]
    } else {
        stub.chunks(frag.max(1)).collect()
    };
    let mut out = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let mut flags = 0;
        if i == 0 {
            flags |= 1;
        }
        if i + 1 == parts.len() {
            flags |= 2;
        }
        let mut body = u32::try_from(stub.len()).unwrap().to_le_bytes().to_vec();
        body.extend_from_slice(&[0; 4]);
        body.extend_from_slice(part);
        out.extend(rpc_pdu(dcerpc::ptype::RESPONSE, flags, call_id, &body));
    }
    out
}

/// What the fuzz targets check of the share-enumeration decoders, in short.
fn share_decoders_hold_up(b: &[u8]) -> Result<(), TestCaseError> {
    match smb2::CreateResponse::decode(b) {
        Ok(r) => {
            prop_assert!(r.contexts.len() <= smb2::MAX_CREATE_CONTEXTS);
            let data: usize = r.contexts.iter().map(|(_, d)| d.len()).sum();
            prop_assert!(data <= b.len());
            let _ = r.maximal_access();
        }
        Err(ResponseError::Status(s)) => prop_assert_ne!(s, 0),
        Err(ResponseError::Decode(_)) => {}
    }
    let _ = smb2::close_status(b);
    for output in [smb2::decode_transceive(b), smb2::decode_read(b)] {
        match output {
            Ok(out) => {
                prop_assert!(out.data.len() <= b.len());
                pipe_holds_up(&out.data)?;
            }
            Err(ResponseError::Status(s)) => {
                prop_assert!(s != 0 && s != smb2::status::BUFFER_OVERFLOW);
            }
            Err(ResponseError::Decode(_)) => {}
        }
    }
    match smb2::QueryDirectoryResponse::decode(b) {
        Ok(r) => {
            prop_assert!(r.names.len() <= smb2::MAX_ENTRIES);
            let units: usize = r.names.iter().map(|n| n.encode_utf16().count()).sum();
            prop_assert!(units * 2 <= b.len());
        }
        Err(ResponseError::Status(s)) => prop_assert_ne!(s, 0),
        Err(ResponseError::Decode(_)) => {}
    }
    pipe_holds_up(b)
}

/// Pipe bytes: `Pdu::decode`, a `Reassembly` fed them whole, `decode_share_enum` on every
/// stub and on the bytes themselves.
fn pipe_holds_up(b: &[u8]) -> Result<(), TestCaseError> {
    let call_id = b
        .get(12..16)
        .map_or(0, |id| u32::from_le_bytes(id.try_into().unwrap()));
    if let Ok(dcerpc::Pdu::Response { stub, .. }) = dcerpc::Pdu::decode(b, call_id) {
        prop_assert!(stub.len() + 24 <= b.len());
        share_enum_holds_up(&stub)?;
    }
    let mut re = dcerpc::Reassembly::new();
    let mut next = re.push(b, call_id);
    let mut pdus = 0;
    while let Ok(Some(pdu)) = next {
        pdus += 1;
        prop_assert!(pdus <= b.len() / 16);
        if let dcerpc::Pdu::Response { stub, .. } = pdu {
            share_enum_holds_up(&stub)?;
        }
        next = re.push(&[], call_id);
    }
    share_enum_holds_up(b)
}

fn share_enum_holds_up(stub: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(answer) = dcerpc::decode_share_enum(stub) {
        prop_assert!(answer.level <= 1);
        prop_assert!(answer.shares.len() <= dcerpc::MAX_SHARES);
        for share in &answer.shares {
            prop_assert!(share.name.encode_utf16().count() <= dcerpc::MAX_SHARE_NAME);
        }
    }
    Ok(())
}

/// A stream of PDUs cut at arbitrary points: the reassembly's held bytes stay within its caps
/// after every push, and what it returns is a whole response or another PDU.
fn reassembly_holds_up(stream: &[u8], cuts: &[Index], call_id: u32) -> Result<(), TestCaseError> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
    at.sort_unstable();
    let mut re = dcerpc::Reassembly::new();
    let mut start = 0;
    for end in at.into_iter().chain([stream.len()]) {
        let mut next = re.push(&stream[start..end], call_id);
        start = end;
        loop {
            prop_assert!(re.buffered() <= dcerpc::MAX_PENDING);
            prop_assert!(re.stub_len() <= dcerpc::MAX_STUB);
            match next {
                Ok(Some(dcerpc::Pdu::Response { stub, last })) => {
                    prop_assert!(last);
                    prop_assert!(stub.len() <= dcerpc::MAX_STUB);
                    share_enum_holds_up(&stub)?;
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return Ok(()),
            }
            next = re.push(&[], call_id);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn share_decoders_never_panic_on_arbitrary_bytes(b in bytes(700), head in 0u8..4) {
        // Most inputs start like an SMB2 response or a DCE/RPC PDU, to get past the first check.
        let mut b = b;
        if b.len() >= 64 && head < 3 {
            let command = [smb2::command::CREATE, smb2::command::IOCTL, smb2::command::QUERY_DIRECTORY];
            let mut header = smb2_reply(command[usize::from(head)], 0, &[]);
            header.truncate(64);
            b[..64].copy_from_slice(&header);
        } else if b.len() >= 16 && head == 3 {
            b[..4].copy_from_slice(&[5, 0, dcerpc::ptype::RESPONSE, 3]);
            b[4] = 0x10;
        }
        share_decoders_hold_up(&b)?;
    }

    #[test]
    fn share_enum_never_panics_and_keeps_its_caps(b in bytes(700), level in 0u32..3) {
        // Half the inputs start with a valid level and container.
        let mut b = b;
        if b.len() >= 12 && level < 2 {
            b[..4].copy_from_slice(&level.to_le_bytes());
            b[4..8].copy_from_slice(&level.to_le_bytes());
        }
        share_enum_holds_up(&b)?;
    }

    #[test]
    fn decodes_built_share_enum_answers((level, shares) in shares()) {
        let answer = dcerpc::decode_share_enum(&share_enum_answer(level, &shares)).unwrap();
        prop_assert_eq!(answer.level, level);
        prop_assert_eq!(answer.shares.len(), shares.len());
        for (got, (name, kind, remark)) in answer.shares.iter().zip(&shares) {
            prop_assert_eq!(&got.name, name);
            if level == 1 {
                prop_assert_eq!(got.share_type, Some(*kind));
                prop_assert_eq!(got.comment.as_deref(), Some(remark.as_str()));
            }
        }
    }

    #[test]
    fn share_decoders_never_panic_on_damaged_messages(
        (level, shares) in shares(),
        names in prop::collection::vec(".{0,12}", 0..6),
        contexts in prop::collection::vec((bytes(8), bytes(24)), 0..4),
        frag in 1usize..64,
        (e, cut) in edits(),
    ) {
        let stub = share_enum_answer(level, &shares);
        share_enum_holds_up(&mutate(stub.clone(), &e, cut))?;
        let stream = fragmented_answer(&stub, frag, 3);
        share_decoders_hold_up(&mutate(stream.clone(), &e, cut))?;
        share_decoders_hold_up(&mutate(pipe_response(true, 0, &stream), &e, cut))?;
        share_decoders_hold_up(&mutate(pipe_response(false, 0x8000_0005, &stream), &e, cut))?;
        share_decoders_hold_up(&mutate(create_response(&contexts), &e, cut))?;
        share_decoders_hold_up(&mutate(query_directory_response(&names), &e, cut))?;
    }

    #[test]
    fn built_file_responses_decode(
        names in prop::collection::vec(".{0,12}", 0..6),
        contexts in prop::collection::vec((bytes(8), bytes(24)), 0..4),
        data in bytes(300),
    ) {
        let listing = smb2::QueryDirectoryResponse::decode(&query_directory_response(&names)).unwrap();
        prop_assert_eq!(listing.names, names);
        let create = smb2::CreateResponse::decode(&create_response(&contexts)).unwrap();
        prop_assert_eq!(create.contexts.len(), contexts.len());
        for ((tag, got), (name, want)) in create.contexts.iter().zip(&contexts) {
            prop_assert_eq!(got, want);
            let n = name.len().min(4);
            if n == 4 {
                prop_assert_eq!(&tag[..], &name[..4]);
            }
        }
        for ioctl in [true, false] {
            let out = if ioctl {
                smb2::decode_transceive(&pipe_response(true, 0, &data))
            } else {
                smb2::decode_read(&pipe_response(false, 0, &data))
            };
            prop_assert_eq!(out.map(|o| o.data), Ok(data.clone()));
        }
    }

    #[test]
    fn reassembly_keeps_its_caps_however_the_stream_is_cut(
        (level, shares) in shares(),
        frag in 1usize..64,
        junk in bytes(100),
        cuts in prop::collection::vec(any::<Index>(), 0..8),
        (e, cut) in edits(),
        call_id in prop_oneof![Just(3u32), any::<u32>()],
    ) {
        let stub = share_enum_answer(level, &shares);
        let stream = fragmented_answer(&stub, frag, 3);
        reassembly_holds_up(&stream, &cuts, 3)?;
        reassembly_holds_up(&mutate(stream.clone(), &e, cut), &cuts, call_id)?;
        reassembly_holds_up(&[&stream[..], &junk[..]].concat(), &cuts, 3)?;
        reassembly_holds_up(&junk, &cuts, call_id)?;
    }
}

#[test]
fn reassembly_refuses_more_stub_than_max_stub() {
    // Non-last RESPONSE fragments of 65,000 stub bytes: the stub cap stops them, and the
    // reassembly never holds more than its caps on the way.
    let mut body = vec![0; 8];
    body.resize(8 + 65_000, 0x41);
    let fragment = rpc_pdu(dcerpc::ptype::RESPONSE, 1, 9, &body);
    let mut re = dcerpc::Reassembly::new();
    let mut pushed = 0;
    let end = loop {
        match re.push(&fragment, 9) {
            Ok(None) => pushed += 1,
            other => break other,
        }
        assert!(re.buffered() <= dcerpc::MAX_PENDING);
        assert!(re.stub_len() <= dcerpc::MAX_STUB);
    };
    assert_eq!(pushed, dcerpc::MAX_STUB / 65_000);
    assert!(matches!(
        end,
        Err(DecodeError::TooLarge {
            what: "response stub",
            ..
        })
    ));
    // One push larger than the pipe cap is refused before it is copied.
    assert!(matches!(
        dcerpc::Reassembly::new().push(&vec![0; dcerpc::MAX_PENDING + 1], 9),
        Err(DecodeError::TooLarge { .. })
    ));
}

#[test]
fn reassembly_cuts_a_2000_fragment_flood() {
    let fragment = rpc_pdu(dcerpc::ptype::RESPONSE, 1, 9, &[0; 8]);
    let flood = fragment.repeat(2000);
    let mut re = dcerpc::Reassembly::new();
    let got = re.push(&flood, 9);
    assert_eq!(
        got,
        Err(DecodeError::TooLarge {
            what: "response fragments",
            value: dcerpc::MAX_FRAGMENTS + 1,
            limit: dcerpc::MAX_FRAGMENTS
        })
    );
}

/// Samba 4.17's SMB1 share-walk answers (tests/data/smb1-samba417-share-walk-replies.txt).
fn samba_smb1_share_answers() -> Vec<Vec<u8>> {
    include_str!("data/smb1-samba417-share-walk-replies.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(' ').nth(2))
        .map(|hex| {
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect()
        })
        .collect()
}

/// The SMB1 share-walk decoders on `b`: no panic, no more bytes out than in, the caps hold.
fn smb1_share_decoders_hold_up(b: &[u8]) -> Result<(), TestCaseError> {
    let _ = smb1::TreeConnectAndxResponse::decode(b);
    let _ = smb1::NtCreateAndxResponse::decode(b);
    let _ = smb1::close_status(b);
    if let Ok(r) = smb1::ReadAndxResponse::decode(b) {
        prop_assert!(r.data.len() <= b.len());
    }
    for command in [
        smb1::TransCommand::Transaction,
        smb1::TransCommand::Transaction2,
    ] {
        if let Ok(t) = smb1::TransactionResponse::decode(b, command) {
            prop_assert!(t.parameters.len() <= b.len() && t.data.len() <= b.len());
            if let Ok(rap) = smb1::RapShareEnum::decode(&t.parameters, &t.data) {
                prop_assert!(rap.shares.len() * 20 <= t.data.len());
            }
            for encoding in [smb1::NameEncoding::Oem, smb1::NameEncoding::Unicode] {
                if let Ok(f) = smb1::FindFirst2Response::decode(&t.parameters, &t.data, encoding) {
                    prop_assert!(f.names.len() <= usize::from(f.search_count));
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn smb1_share_decoders_never_panic_on_damaged_samba_answers(
        pick in any::<Index>(),
        (e, cut) in edits(),
    ) {
        let answers = samba_smb1_share_answers();
        let msg = pick.get(&answers).clone();
        smb1_share_decoders_hold_up(&mutate(msg, &e, cut))?;
    }

    #[test]
    fn smb1_share_decoders_never_panic_on_arbitrary_bytes(b in bytes(700)) {
        smb1_share_decoders_hold_up(&b)?;
    }
}
