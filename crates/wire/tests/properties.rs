//! Property tests, on stable in `cargo test`:
//!
//! - `decode(encode(x)) == x` for every NetBIOS message type smbaudit-wire encodes: NBNS
//!   packets (names with scopes, questions, records), NODE STATUS RDATA, NB address lists,
//!   NBSS / direct-TCP frames (also through the Deframer), SESSION REQUEST;
//! - arbitrary bytes (and valid messages with bytes changed or cut off) never make a decoder
//!   panic, and whatever `Packet::decode` accepts round-trips.
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
use smbaudit_wire::{DecodeError, Reader};

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
        let bytes = p.to_bytes();
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
        }.to_bytes();
        bytes[11] = 1; // ARCOUNT
        bytes.extend_from_slice(&[0xC0, 0x0C, 0x00, 0x20, 0x00, 0x01]);
        bytes.extend_from_slice(&ttl.to_be_bytes());
        bytes.extend_from_slice(&[0x00, 0x06, 0x60, 0x00, 10, 0, 0, 1]);
        let p = Packet::decode(&bytes).unwrap();
        prop_assert_eq!(&p.additional[0].name, &q);
        prop_assert_eq!(p.additional[0].ttl, ttl);
        prop_assert_eq!(Packet::decode(&p.to_bytes()), Ok(p));
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
        let frame = req.to_frame();
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
        prop_assert_eq!(Packet::decode(&p.to_bytes()), Ok(p));
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
        nbns_decoders_hold_up(&mutate(p.to_bytes(), &e, cut))?;
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
        let frame = SessionRequest { called, calling }.to_frame();
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
