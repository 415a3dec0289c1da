//! The bodies of the smbaudit-wire fuzz targets.
//!
//! Each function takes arbitrary bytes, runs them through the decoders and panics only when an
//! invariant breaks (a decoder panicking on its own counts too). The cargo-fuzz targets in
//! `fuzz_targets/` call these, and `crates/wire/tests/fuzz_corpus.rs` includes this file to
//! replay `corpus/` and `regressions/` through the very same code on stable.

use smbaudit_wire::nbns::{
    HEADER_LEN, NbAddress, NodeStatus, Packet, QualifiedName, RrType, wack_wait_secs,
};
use smbaudit_wire::nbss::{
    Deframer, FRAME_HEADER_LEN, Frame, SessionPacket, Transport, decode_frame, encode_frame,
};
use smbaudit_wire::{DecodeError, Reader};

/// NBNS datagrams: [`Packet::decode`], then the RDATA decoders on every NBSTAT and NB record
/// (and on the raw input, so they are fuzzed without a valid packet around them), and
/// [`QualifiedName::decode`] where a header would end.
pub fn nbns_packet(data: &[u8]) {
    if let Ok(packet) = Packet::decode(data) {
        let _ = wack_wait_secs(&packet);
        for rr in packet
            .answers
            .iter()
            .chain(&packet.authority)
            .chain(&packet.additional)
        {
            match rr.rr_type {
                RrType::NBSTAT => {
                    if let Ok(status) = NodeStatus::decode(&rr.rdata) {
                        let _ = status.statistics.unit_id();
                        for n in &status.names {
                            let _ = (n.name.display_name(), n.flags.node_type());
                        }
                    }
                }
                RrType::NB => {
                    if let Ok(list) = NbAddress::decode_list(&rr.rdata) {
                        assert_eq!(list.len() * 6, rr.rdata.len());
                    }
                }
                _ => {}
            }
        }
        // Debug walks every name through `display_name`.
        let _ = format!("{packet:?}");
    }
    let _ = NodeStatus::decode(data);
    let _ = NbAddress::decode_list(data);
    for start in [0, HEADER_LEN] {
        if let Some(rest) = data.get(start..) {
            let mut r = Reader::with_offset(rest, start);
            if QualifiedName::decode(data, &mut r).is_ok() {
                assert!(r.offset() <= data.len());
            }
        }
    }
}

/// What a [`Deframer`] made of a stream: the frames, then either the error that stopped it
/// or the bytes it still holds.
#[derive(Debug, PartialEq, Eq)]
struct Deframed {
    frames: Vec<Frame>,
    end: Result<usize, DecodeError>,
}

fn deframe<'a>(
    transport: Transport,
    max_len: usize,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Deframed {
    let mut d = Deframer::new(transport, max_len);
    let mut frames = Vec::new();
    for chunk in chunks {
        d.push(chunk);
        loop {
            match d.next_frame() {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(e) => {
                    return Deframed {
                        frames,
                        end: Err(e),
                    };
                }
            }
        }
    }
    Deframed {
        frames,
        end: Ok(d.buffered()),
    }
}

/// NBSS / direct-TCP streams. The first byte picks the transport (bit 0), the Deframer's cap
/// (bits 1-2) and the largest chunk (bits 3-7); the rest is the stream. Checks that chunked
/// and whole input give the same frames, that the frames re-encode to the stream's bytes, and
/// runs [`SessionPacket::decode`] on each frame and [`decode_frame`] on the whole stream.
pub fn nbss_stream(data: &[u8]) {
    let Some((&control, stream)) = data.split_first() else {
        return;
    };
    let transport = if control & 1 == 0 {
        Transport::Nbss
    } else {
        Transport::Direct
    };
    let max_len = match (control >> 1) & 0b11 {
        0 => 64 * 1024,
        1 => 0,
        2 => 300,
        _ => usize::MAX,
    };
    let largest_chunk = usize::from(control >> 3) + 1;

    let whole = deframe(transport, max_len, [stream]);
    let mut chunks = Vec::new();
    let (mut rest, mut size) = (stream, 1);
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        chunks.push(chunk);
        rest = tail;
        size = size % largest_chunk + 1;
    }
    let chunked = deframe(transport, max_len, chunks);
    assert_eq!(
        whole, chunked,
        "chunking changed what the Deframer returned"
    );

    let mut again = Vec::new();
    for frame in &whole.frames {
        assert!(frame.payload.len() <= max_len.min(transport.max_len()));
        encode_frame(transport, frame.kind, &frame.payload, &mut again)
            .expect("a decoded frame re-encodes");
        if let Ok(SessionPacket::Request(req)) = SessionPacket::decode(frame) {
            let bytes = req.to_frame();
            let back = decode_frame(Transport::Nbss, &bytes).expect("our session request frames");
            assert_eq!(
                SessionPacket::decode(&back),
                Ok(SessionPacket::Request(req))
            );
        }
    }
    assert_eq!(
        stream.get(..again.len()),
        Some(&again[..]),
        "frames re-encode to the stream"
    );
    if let Ok(buffered) = whole.end {
        assert_eq!(again.len() + buffered, stream.len());
    }

    if let Ok(frame) = decode_frame(transport, stream) {
        assert_eq!(frame.payload.len() + FRAME_HEADER_LEN, stream.len());
        let _ = SessionPacket::decode(&frame);
    }
}

/// NBNS round trip: whatever [`Packet::decode`] accepts, [`Packet::encode`] writes so that it
/// decodes to the same packet; NBSTAT and NB RDATA re-encode to the same bytes.
pub fn nbns_roundtrip(data: &[u8]) {
    let Ok(packet) = Packet::decode(data) else {
        return;
    };
    let bytes = packet.to_bytes();
    let again = Packet::decode(&bytes).expect("an encoded packet decodes");
    assert_eq!(again, packet, "decode(encode(decode(x))) != decode(x)");
    for rr in packet
        .answers
        .iter()
        .chain(&packet.authority)
        .chain(&packet.additional)
    {
        if let Ok(status) = NodeStatus::decode(&rr.rdata) {
            let mut out = Vec::new();
            status.encode(&mut out);
            assert_eq!(out, rr.rdata, "NODE STATUS re-encodes byte for byte");
        }
        if let Ok(list) = NbAddress::decode_list(&rr.rdata) {
            let mut out = Vec::new();
            NbAddress::encode_list(&list, &mut out);
            assert_eq!(out, rr.rdata, "NB address list re-encodes byte for byte");
        }
    }
}
