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
//!
//! `Packet::decode` gets a larger factor because its typed output is larger than the wire
//! form, not because it trusts a count: a 6-byte compressed question (a 2-byte pointer, type,
//! class) becomes a 48-byte `Question`, and its name's scope, up to 221 bytes, is copied into
//! each question that points at it. The worst case, one long-scoped name and then only
//! pointers to it, is one of the explicit cases below; it comes to about 44·n.
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
use smbaudit_wire::Reader;
use smbaudit_wire::nbns::{
    NbAddress, NbName, NodeStatus, Packet, QualifiedName, node_status_request,
};
use smbaudit_wire::nbss::{Deframer, Frame, PacketType, SessionPacket, Transport, decode_frame};

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
}

impl Decoder {
    const ALL: [Self; 9] = [
        Self::Packet,
        Self::NodeStatus,
        Self::NbAddresses,
        Self::Name(0),
        Self::Frame(Transport::Nbss),
        Self::Frame(Transport::Direct),
        Self::Session,
        Self::Deframer(Transport::Nbss),
        Self::Deframer(Transport::Direct),
    ];

    fn factor(self) -> usize {
        match self {
            Self::Packet => 48,
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
        }
    }
}

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
    let mut p = node_status_request(1, QualifiedName::new(NbName::WILDCARD)).to_bytes();
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

    // Explicit hostile cases, and the worst Packet::decode ratio among them.
    let mut worst_packet_ratio = 0.0f64;
    for (decoder, what, input) in hostile_cases() {
        let got = check(decoder, &what, &input);
        if decoder == Decoder::Packet && input.len() > SLACK {
            worst_packet_ratio = worst_packet_ratio.max(got as f64 / input.len() as f64);
        }
    }
    assert!(worst_packet_ratio > 0.0, "the long-scope cases ran");

    // Random bytes, and real messages with bytes changed, through every decoder.
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let seeds: Vec<Vec<u8>> = vec![
        node_status_request(7, QualifiedName::new(NbName::WILDCARD)).to_bytes(),
        scoped_name(4, 50),
        [&[4u8][..], &[0x41; 4 * 18 + 46]].concat(),
        [
            &[0x81u8, 0, 0, 0x44][..],
            &scoped_name(0, 0),
            &scoped_name(0, 0),
        ]
        .concat(),
    ];
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
    eprintln!("worst Packet::decode peak / input among the hostile cases: {worst_packet_ratio:.1}");
}
