//! Replays the fuzz corpus (`fuzz/corpus/<target>/`, seeds taken from the captures) and every
//! committed crasher (`fuzz/regressions/<target>/`) through the fuzz targets' own harness code,
//! `fuzz/src/lib.rs`, on stable. A fixed crasher that comes back fails here.
//!
//! It also holds the (ignored) helper that cut the SMB, NTLMSSP and SPNEGO seeds from the
//! captures in `tests/data/`: `cargo test -p smbaudit-wire --test fuzz_corpus -- --ignored
//! extract_smb_seeds` (see `fuzz/README.md`).

mod common;

#[allow(unreachable_pub, dead_code)]
#[path = "../../../fuzz/src/lib.rs"]
mod harness;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// A fuzz target's harness.
type Harness = fn(&[u8]);

/// The targets, by directory name, and the harness each runs.
const TARGETS: &[(&str, Harness)] = &[
    ("nbns_packet", harness::nbns_packet),
    ("nbss_stream", harness::nbss_stream),
    ("nbns_roundtrip", harness::nbns_roundtrip),
    ("smb2_response", harness::smb2_response),
    ("smb1_response", harness::smb1_response),
    ("ntlm_challenge", harness::ntlm_challenge),
    ("spnego_token", harness::spnego_token),
    ("dcerpc_stream", harness::dcerpc_stream),
    ("smb1_share_response", harness::smb1_share_response),
    ("tcpip_packet", harness::tcpip_packet),
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Target directories under `fuzz/<kind>/`, each checked to be a known target.
fn target_dirs(kind: &str) -> Vec<(PathBuf, Harness)> {
    let root = fuzz_dir().join(kind);
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display())) {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.starts_with("audit_") {
            // The audit readers' targets: crates/hostaudit/tests/fuzz_corpus.rs replays them.
            continue;
        }
        let run = TARGETS
            .iter()
            .find(|(t, _)| *t == name)
            .unwrap_or_else(|| panic!("{}: no fuzz target of that name", path.display()))
            .1;
        dirs.push((path, run));
    }
    dirs.sort_by(|a, b| a.0.cmp(&b.0));
    dirs
}

/// Input files of one target directory; notes (`README.md`) and dotfiles are not inputs.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !name.starts_with('.') && !name.ends_with(".md")
        })
        .collect();
    files.sort();
    files
}

/// Runs every input of `fuzz/<kind>/*/`; returns how many ran, panicking after the run with
/// the list of inputs that failed.
fn replay(kind: &str) -> usize {
    let mut ran = 0;
    let mut failed = Vec::new();
    for (dir, run) in target_dirs(kind) {
        for file in inputs(&dir) {
            let data = std::fs::read(&file).unwrap();
            if catch_unwind(AssertUnwindSafe(|| run(&data))).is_err() {
                failed.push(file.display().to_string());
            }
            ran += 1;
        }
    }
    assert!(
        failed.is_empty(),
        "inputs that fail their target:\n{}",
        failed.join("\n")
    );
    ran
}

#[test]
fn replays_corpus_seeds() {
    for (target, _) in TARGETS {
        let dir = fuzz_dir().join("corpus").join(target);
        assert!(
            inputs(&dir).len() >= 3,
            "{}: seed the corpus",
            dir.display()
        );
    }
    assert!(replay("corpus") >= 3 * TARGETS.len());
}

#[test]
fn replays_regressions() {
    // At least the scope-label crasher that nbns_roundtrip found.
    assert!(replay("regressions") >= 1);
}

// ---------------------------------------------------------------------------------------------
// Cutting the SMB / NTLMSSP / SPNEGO seeds from the captures
// ---------------------------------------------------------------------------------------------

/// A seed: target directory, file name, bytes.
type Seed = (&'static str, String, Vec<u8>);

/// The targets whose seeds `extract_smb_seeds` writes.
const SMB_TARGETS: [&str; 5] = [
    "smb2_response",
    "smb1_response",
    "ntlm_challenge",
    "spnego_token",
    "dcerpc_stream",
];

/// Most seeds of one kind (`what`) taken from one capture: the captures repeat the same
/// exchange on many connections.
const SEEDS_PER_KIND: usize = 2;

/// The frames of a capture (Ethernet pcap/pcapng, or Linux-cooked pcap).
fn capture_frames(bytes: &[u8]) -> std::collections::BTreeMap<usize, common::capture::Segment> {
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};
    use pcap_file::DataLink;
    use pcap_file::pcap::PcapReader;

    let is_sll = !bytes.starts_with(&[0x0A, 0x0D, 0x0D, 0x0A])
        && PcapReader::new(bytes).unwrap().header().datalink == DataLink::LINUX_SLL;
    if !is_sll {
        return common::capture::read_capture(bytes);
    }
    let mut reader = PcapReader::new(bytes).unwrap();
    let mut out = std::collections::BTreeMap::new();
    let mut number = 0;
    while let Some(packet) = reader.next_packet() {
        number += 1;
        let packet = packet.unwrap();
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
            common::capture::Segment {
                l4: common::capture::L4::Tcp,
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

/// One direction of a TCP connection: its bytes, and (stream offset, frame number) for
/// each segment in them.
type Flow = (Vec<u8>, Vec<(usize, usize)>);

/// The SMB messages servers (TCP 445 and 139) sent in a capture, each with the number of
/// the frame its transport header starts in. Retransmissions are dropped; a capture that
/// ends inside a message loses that message.
fn server_messages(bytes: &[u8]) -> Vec<(usize, Vec<u8>)> {
    use common::capture::L4;
    let frames = capture_frames(bytes);
    // Per direction: the bytes, and where each frame's payload starts in them.
    let mut flows = std::collections::BTreeMap::<_, Flow>::new();
    let mut seen = std::collections::BTreeSet::new();
    for (&number, seg) in &frames {
        if seg.l4 != L4::Tcp
            || !matches!(seg.sport, 445 | 139)
            || seg.payload.is_empty()
            || !seen.insert((seg.src, seg.sport, seg.dst, seg.dport, seg.seq))
        {
            continue;
        }
        let (stream, starts) = flows
            .entry((seg.src, seg.sport, seg.dst, seg.dport))
            .or_default();
        starts.push((stream.len(), number));
        stream.extend_from_slice(&seg.payload);
    }
    let mut out = Vec::new();
    for (stream, starts) in flows.values() {
        let mut at = 0;
        while let Some(head) = stream.get(at..at + 4) {
            let len = usize::from(head[1]) << 16 | usize::from(head[2]) << 8 | usize::from(head[3]);
            let Some(payload) = stream.get(at + 4..at + 4 + len) else {
                break;
            };
            // Type 0x00: a session message (on 139 the others are NBSS control packets).
            if head[0] == 0 {
                let frame = starts
                    .iter()
                    .rev()
                    .find(|(start, _)| *start <= at)
                    .unwrap()
                    .1;
                out.push((frame, payload.to_vec()));
            }
            at += 4 + len;
        }
    }
    out.sort_by_key(|(frame, _)| *frame);
    out
}

/// The seeds in one server message: the message itself for the SMB targets, its security
/// blob for `spnego_token`, and the NTLMSSP CHALLENGE in it (and the CHALLENGE's TargetInfo
/// alone) for `ntlm_challenge`.
fn seeds_of(msg: &[u8]) -> Vec<(&'static str, &'static str, Vec<u8>)> {
    use smbaudit_wire::{smb1, smb2, spnego};
    let mut out = Vec::new();
    let mut blob = None;
    match smb2::protocol_of(msg) {
        Ok(smb2::Protocol::Smb2) => {
            let Ok((header, _)) = smb2::Header::decode(msg) else {
                return out;
            };
            if header.flags & smb2::flags::SERVER_TO_REDIR == 0 {
                return out;
            }
            match header.command {
                smb2::command::NEGOTIATE => {
                    out.push(("smb2_response", "smb2-negotiate-response", msg.to_vec()));
                    if let Ok(r) = smb2::NegotiateResponse::decode(msg) {
                        blob = Some(("negtokeninit", r.security_buffer));
                    }
                }
                smb2::command::SESSION_SETUP => {
                    out.push(("smb2_response", "smb2-session-setup-response", msg.to_vec()));
                    if let Ok(r) = smb2::SessionSetupResponse::decode(msg) {
                        blob = Some(("negtokenresp", r.security_buffer));
                    }
                }
                smb2::command::TREE_CONNECT => {
                    out.push(("smb2_response", "smb2-tree-connect-response", msg.to_vec()));
                }
                smb2::command::CREATE => {
                    out.push(("smb2_response", "smb2-create-response", msg.to_vec()));
                }
                smb2::command::CLOSE => {
                    out.push(("smb2_response", "smb2-close-response", msg.to_vec()));
                }
                smb2::command::QUERY_DIRECTORY => {
                    out.push((
                        "smb2_response",
                        "smb2-query-directory-response",
                        msg.to_vec(),
                    ));
                }
                smb2::command::IOCTL | smb2::command::READ => {
                    let (what, output) = if header.command == smb2::command::IOCTL {
                        ("smb2-ioctl-response", smb2::decode_transceive(msg))
                    } else {
                        ("smb2-read-response", smb2::decode_read(msg))
                    };
                    out.push(("smb2_response", what, msg.to_vec()));
                    if let Ok(output) = output {
                        out.extend(dcerpc_seeds(&output.data));
                    }
                }
                _ => {}
            }
        }
        Ok(smb2::Protocol::Smb1) => {
            let Ok((header, _)) = smb1::Header::decode(msg) else {
                return out;
            };
            if header.flags & smb1::flags::REPLY == 0 {
                return out;
            }
            match header.command {
                smb1::command::NEGOTIATE => {
                    out.push(("smb1_response", "smb1-negotiate-response", msg.to_vec()));
                    if let Ok(smb1::NegotiateReply::Negotiated(r)) =
                        smb1::NegotiateReply::decode(msg)
                        && let smb1::Smb1Security::Extended { security_blob, .. } = r.security
                    {
                        blob = Some(("negtokeninit", security_blob));
                    }
                }
                smb1::command::SESSION_SETUP_ANDX => {
                    out.push(("smb1_response", "smb1-session-setup-response", msg.to_vec()));
                    if let Ok(r) = smb1::SessionSetupResponse::decode(msg) {
                        blob = Some(("negtokenresp", r.security_blob));
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
    let Some((kind, blob)) = blob.filter(|(_, b)| !b.is_empty()) else {
        return out;
    };
    let raw = blob.starts_with(&smbaudit_wire::ntlm::SIGNATURE);
    if let Ok(token) = spnego::ntlm_token(&blob)
        && smbaudit_wire::ntlm::Challenge::decode(&token).is_ok()
    {
        // TargetInfoFields: Len at 40, BufferOffset at 44.
        if let (Some(len), Some(offset)) = (token.get(40..42), token.get(44..48)) {
            let len = usize::from(u16::from_le_bytes([len[0], len[1]]));
            let offset = u32::from_le_bytes(offset.try_into().unwrap()) as usize;
            if let Some(info) = token.get(offset..offset + len).filter(|i| !i.is_empty()) {
                out.push(("ntlm_challenge", "ntlm-target-info", info.to_vec()));
            }
        }
        out.push(("ntlm_challenge", "ntlm-challenge", token));
    }
    if !raw {
        out.push(("spnego_token", kind, blob));
    }
    out
}

/// `dcerpc_stream` seeds from the bytes a pipe returned: the stream (split in the middle,
/// the call ID its own, see `dcerpc_stream`), and each RESPONSE's stub alone.
fn dcerpc_seeds(pipe: &[u8]) -> Vec<(&'static str, &'static str, Vec<u8>)> {
    use smbaudit_wire::dcerpc::{Pdu, ptype};
    let mut out = Vec::new();
    let Some(&kind) = pipe.get(2).filter(|_| pipe.starts_with(&[5, 0])) else {
        return out;
    };
    let what = match kind {
        ptype::BIND_ACK => "dcerpc-bind-ack",
        ptype::BIND_NAK => "dcerpc-bind-nak",
        ptype::RESPONSE => "dcerpc-response",
        ptype::FAULT => "dcerpc-fault",
        _ => "dcerpc-pdu",
    };
    out.push(("dcerpc_stream", what, stream_seed(0, pipe.len() / 2, pipe)));
    if let Some(id) = pipe.get(12..16)
        && let Ok(Pdu::Response { stub, .. }) =
            Pdu::decode(pipe, u32::from_le_bytes(id.try_into().unwrap()))
    {
        out.push(("dcerpc_stream", "ndr-stub", stream_seed(1, 0, &stub)));
    }
    out
}

/// A `dcerpc_stream` input: control byte, split point, stream.
fn stream_seed(control: u8, split: usize, stream: &[u8]) -> Vec<u8> {
    let mut out = vec![control];
    out.extend_from_slice(&u16::try_from(split).unwrap().to_le_bytes());
    out.extend_from_slice(stream);
    out
}

/// A PDU header and body (little-endian NDR, no verifier).
fn pdu(ptype: u8, flags: u8, call_id: u32, body: &[u8]) -> Vec<u8> {
    let mut out = vec![5, 0, ptype, flags, 0x10, 0, 0, 0];
    out.extend_from_slice(&u16::try_from(16 + body.len()).unwrap().to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&call_id.to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// A RESPONSE fragment carrying `stub`.
fn response(flags: u8, call_id: u32, stub: &[u8]) -> Vec<u8> {
    let mut body = u32::try_from(stub.len()).unwrap().to_le_bytes().to_vec();
    body.extend_from_slice(&[0; 4]); // p_cont_id, cancel_count, reserved
    body.extend_from_slice(stub);
    pdu(2, flags, call_id, &body)
}

/// A NetrShareEnum answer at `level` for `shares` (name, type, remark), laid out as NDR
/// defers it.
fn share_enum_answer(level: u32, shares: &[(&str, u32, &str)]) -> Vec<u8> {
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
        let strings: &[&str] = if level == 1 { &[name, remark] } else { &[name] };
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

/// Small valid streams built by hand, for what the captures lack: a BIND_NAK, a FAULT, a
/// level 0 answer, a level 1 answer in three fragments (split inside the second), a
/// BIND_ACK followed by a one-fragment answer, and a PDU with an auth verifier.
fn hand_seeds() -> Vec<Seed> {
    let shares: &[(&str, u32, &str)] = &[
        ("public", 0, "Public files"),
        ("print$", 0x8000_0000, "Printer Drivers"),
        ("IPC$", 0x8000_0003, "IPC Service"),
    ];
    let level1 = share_enum_answer(1, shares);
    let mut fragmented = Vec::new();
    let thirds = level1.len() / 3;
    for (i, part) in level1.chunks(thirds + 1).enumerate() {
        let flags = match i {
            0 => 1,
            2 => 2,
            _ => 0,
        };
        fragmented.extend(response(flags, 7, part));
    }
    let mut bind_ack_body = vec![0xb8, 0x10, 0xb8, 0x10, 0x53, 0xf0, 0, 0];
    bind_ack_body.extend_from_slice(&13u16.to_le_bytes());
    bind_ack_body.extend_from_slice(b"\\PIPE\\srvsvc\0\0");
    bind_ack_body.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
    bind_ack_body.extend_from_slice(&[
        0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48,
        0x60, 0x02, 0x00, 0x00, 0x00,
    ]);
    let mut ack_then_answer = pdu(12, 3, 1, &bind_ack_body);
    ack_then_answer.extend(response(3, 1, &share_enum_answer(1, &shares[..1])));
    let mut fault_body = vec![0; 8];
    fault_body.extend_from_slice(&0x1c01_0002u32.to_le_bytes());
    let mut with_auth = response(3, 2, &share_enum_answer(0, &shares[2..]));
    with_auth[10] = 8; // auth_length: the last 8 bytes are a verifier
    with_auth.extend_from_slice(&[0xAA; 8]);
    let len = u16::try_from(with_auth.len()).unwrap();
    with_auth[8..10].copy_from_slice(&len.to_le_bytes());
    let mid = fragmented.len() / 2 + 5;
    [
        ("bind-nak", stream_seed(0, 9, &pdu(13, 3, 3, &[4, 0, 0, 0]))),
        ("fault", stream_seed(0, 0, &pdu(3, 3, 4, &fault_body))),
        (
            "level-0-answer",
            stream_seed(0, 30, &response(3, 5, &share_enum_answer(0, shares))),
        ),
        (
            "level-1-answer-3-fragments",
            stream_seed(0, mid, &fragmented),
        ),
        ("bind-ack-then-answer", stream_seed(0, 60, &ack_then_answer)),
        ("auth-verifier", stream_seed(0, 16, &with_auth)),
        ("level-1-ndr-stub", stream_seed(1, 0, &level1)),
    ]
    .into_iter()
    .map(|(what, bytes)| ("dcerpc_stream", format!("hand-{what}.bin"), bytes))
    .collect()
}

/// Every seed the captures give, named `<capture>-f<frame>-<what>.bin` where `<capture>` is
/// the part of the capture's file name after `__` (its upstream name).
fn smb_seeds() -> Vec<Seed> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut captures: Vec<PathBuf> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    captures.sort();
    let mut seeds: Vec<Seed> = Vec::new();
    for path in captures {
        let stem = path.file_stem().unwrap().to_str().unwrap();
        let short = stem
            .split_once("__")
            .map_or(stem, |(_, s)| s)
            .replace('_', "-");
        let mut per_kind = std::collections::BTreeMap::new();
        for (frame, msg) in server_messages(&std::fs::read(&path).unwrap()) {
            for (target, what, bytes) in seeds_of(&msg) {
                if seeds.iter().any(|(t, _, b)| *t == target && *b == bytes) {
                    continue;
                }
                let n = per_kind.entry((target, what)).or_insert(0);
                if *n == SEEDS_PER_KIND {
                    continue;
                }
                *n += 1;
                seeds.push((target, format!("{short}-f{frame}-{what}.bin"), bytes));
            }
        }
    }
    seeds.extend(hand_seeds());
    seeds
}

/// Writes the SMB, NTLMSSP and SPNEGO seeds to `fuzz/corpus/<target>/`. Run by hand:
/// `cargo test -p smbaudit-wire --test fuzz_corpus -- --ignored extract_smb_seeds`.
#[test]
#[ignore = "writes fuzz/corpus; run by hand after changing the captures"]
fn extract_smb_seeds() {
    let seeds = smb_seeds();
    for (target, name, bytes) in &seeds {
        let dir = fuzz_dir().join("corpus").join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
        eprintln!("{target}/{name}: {} bytes", bytes.len());
    }
}

#[test]
fn smb_seeds_are_the_ones_the_captures_give() {
    // The committed seeds are exactly what `extract_smb_seeds` writes today.
    let seeds = smb_seeds();
    for target in SMB_TARGETS {
        let want: Vec<_> = seeds
            .iter()
            .filter(|(t, _, _)| *t == target)
            .map(|(_, name, bytes)| (name.clone(), bytes.clone()))
            .collect();
        let dir = fuzz_dir().join("corpus").join(target);
        let got: Vec<_> = inputs(&dir)
            .into_iter()
            .map(|p| {
                let name = p.file_name().unwrap().to_str().unwrap().to_owned();
                (name, std::fs::read(&p).unwrap())
            })
            .collect();
        let mut want = want;
        want.sort();
        assert_eq!(got, want, "{target}: rerun extract_smb_seeds");
    }
}

#[test]
fn overlapping_create_contexts_and_directory_entries_are_refused() {
    // Found while bounding allocations (issue 9), not by a crash: before the fix each entry
    // or context decoded the bytes of the ones after it again.
    let dir = fuzz_dir().join("regressions/smb2_response");
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let listing = read("query-directory-entries-over-the-previous-name.bin");
    assert!(matches!(
        smbaudit_wire::smb2::QueryDirectoryResponse::decode(&listing),
        Err(smbaudit_wire::ResponseError::Decode(
            smbaudit_wire::DecodeError::Unexpected {
                what: "NextEntryOffset",
                value: 12
            }
        ))
    ));
    let create = read("create-context-data-over-the-next-context.bin");
    assert!(matches!(
        smbaudit_wire::smb2::CreateResponse::decode(&create),
        Err(smbaudit_wire::ResponseError::Decode(
            smbaudit_wire::DecodeError::Truncated {
                what: "create context Data",
                ..
            }
        ))
    ));
}
