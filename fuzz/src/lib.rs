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
use smbaudit_wire::ntlm::{self, Challenge, TargetInfo, Version};
use smbaudit_wire::smb2::ContextData;
use smbaudit_wire::text::filetime_to_unix_nanos;
use smbaudit_wire::{
    DecodeError, Encode, Reader, ResponseError, dcerpc, smb1, smb2, spnego, tcpip,
};

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
            let bytes = req.to_vec();
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
    let bytes = packet.to_vec();
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

// ---------------------------------------------------------------------------------------------
// SMB2, SMB1, NTLMSSP and SPNEGO
// ---------------------------------------------------------------------------------------------

/// The SMB2 header re-encodes to the bytes it came from, but for the sync header's
/// `Reserved` (bytes 32..36), which the decoder drops and the encoder writes as zeros.
fn check_smb2_header(data: &[u8]) {
    let Ok((header, rest)) = smb2::Header::decode(data) else {
        return;
    };
    assert_eq!(rest.len() + smb2::HEADER_LEN, data.len());
    assert_eq!(smb2::protocol_of(data), Ok(smb2::Protocol::Smb2));
    let mut out = Vec::new();
    header.encode(&mut out);
    assert_eq!(out.len(), smb2::HEADER_LEN);
    let mut want = data[..smb2::HEADER_LEN].to_vec();
    if header.async_id.is_none() {
        want[32..36].fill(0);
    }
    assert_eq!(out, want, "SMB2 header re-encodes byte for byte");
    assert_eq!(smb2::Header::decode(&out), Ok((header, &[][..])));
    let _ = (
        smb2::status_name(header.status),
        smb2::dialect_name(header.command),
    );
}

/// Every context's data decodes or not, and what decodes re-encodes (through
/// [`ContextData::to_context`]) to data that decodes to the same value; the whole list
/// re-encodes (through [`smb2::encode_context_list`]) to bytes that decode to the same list.
fn check_contexts(contexts: &[smb2::NegotiateContext]) {
    for context in contexts {
        let _ = context.name();
        let Ok(decoded) = context.decode_data() else {
            continue;
        };
        match &decoded {
            ContextData::PreauthIntegrity {
                hash_algorithms, ..
            } => {
                let _: Vec<_> = hash_algorithms
                    .iter()
                    .map(|&a| smb2::hash_algorithm_name(a))
                    .collect();
            }
            ContextData::Encryption { ciphers } => {
                let _: Vec<_> = ciphers.iter().map(|&c| smb2::cipher_name(c)).collect();
            }
            ContextData::Compression { algorithms, .. } => {
                let _: Vec<_> = algorithms
                    .iter()
                    .map(|&c| smb2::compression_name(c))
                    .collect();
            }
            ContextData::Signing { algorithms } => {
                let _: Vec<_> = algorithms
                    .iter()
                    .map(|&c| smb2::signing_algorithm_name(c))
                    .collect();
            }
            ContextData::RdmaTransform { transforms } => {
                let _: Vec<_> = transforms
                    .iter()
                    .map(|&c| smb2::rdma_transform_name(c))
                    .collect();
            }
            ContextData::Netname(_) | ContextData::Transport { .. } | ContextData::Unknown => {}
        }
        match decoded.to_context() {
            Some(again) => {
                assert_eq!(again.context_type, context.context_type);
                assert_eq!(
                    again.decode_data(),
                    Ok(decoded),
                    "context data re-encodes to the same value"
                );
            }
            None => assert_eq!(decoded, ContextData::Unknown),
        }
    }
    // Contexts start 8-byte aligned from the SMB2 header: put the list after one.
    let mut msg = vec![0; smb2::HEADER_LEN];
    smb2::encode_context_list(contexts, &mut msg);
    let count = u16::try_from(contexts.len()).expect("a decoded list has at most 65535");
    assert_eq!(
        smb2::decode_context_list(&msg, smb2::HEADER_LEN, count).as_deref(),
        Ok(contexts),
        "a context list re-encodes to bytes that decode to it"
    );
}

/// SMB2 responses: [`smb2::protocol_of`], [`smb2::Header::decode`] (re-encoded byte for
/// byte), [`smb2::NegotiateResponse::decode`] with [`smb2::NegotiateContext::decode_data`] on
/// every context and the context round trips of `check_contexts`, and
/// [`smb2::SessionSetupResponse::decode`]. Security buffers go on to the SPNEGO and
/// NTLMSSP decoders, as the scanner's would. [`smb2::decode_context_list`] also runs on
/// the input itself, from offset 0.
pub fn smb2_response(data: &[u8]) {
    let _ = smb2::protocol_of(data);
    check_smb2_header(data);
    match smb2::NegotiateResponse::decode(data) {
        Ok(response) => {
            assert!(response.security_buffer.len() <= data.len());
            let _ = (
                response.signing_required(),
                response.signing_enabled(),
                response.cipher(),
                smb2::dialect_name(response.dialect),
                smb2::capability_names(response.capabilities),
            );
            check_contexts(&response.contexts);
            spnego_token(&response.security_buffer);
        }
        Err(ResponseError::Status(status)) => assert_ne!(status, 0),
        Err(ResponseError::Decode(_)) => {}
    }
    if let Ok(response) = smb2::SessionSetupResponse::decode(data) {
        assert!(response.security_buffer.len() <= data.len());
        let _ = (response.guest(), response.null_session());
        spnego_token(&response.security_buffer);
    }
    match smb2::TreeConnectResponse::decode(data) {
        Ok(response) => assert!(data.len() >= smb2::HEADER_LEN + 16, "{response:?}"),
        Err(ResponseError::Status(status)) => assert_ne!(status, 0),
        Err(ResponseError::Decode(_)) => {}
    }
    // The list decoder on raw bytes, with the count taken from the first two.
    if let Some(&count) = data.first_chunk::<2>()
        && let Ok(contexts) = smb2::decode_context_list(data, 2, u16::from_le_bytes(count))
    {
        check_contexts(&contexts);
    }
    smb2_file(data);
}

/// A `Status` error of a decoder that accepts only SUCCESS (and `also`) carries another.
fn check_status_error<T>(result: &Result<T, ResponseError>, also: &[u32]) {
    if let Err(ResponseError::Status(status)) = result {
        assert_ne!(*status, smb2::status::SUCCESS);
        assert!(!also.contains(status), "{status:#x} is a success here");
    }
}

/// The file and pipe responses the share probes read: [`smb2::CreateResponse::decode`]
/// with [`smb2::CreateResponse::maximal_access`], [`smb2::close_status`],
/// [`smb2::decode_transceive`] and [`smb2::decode_read`] (whose pipe bytes go on to
/// [`dcerpc::Pdu::decode`] and [`dcerpc::Reassembly`], as the share enumeration's would) and
/// [`smb2::QueryDirectoryResponse::decode`]. Nothing returned is larger than the message or
/// over its cap.
fn smb2_file(data: &[u8]) {
    let create = smb2::CreateResponse::decode(data);
    check_status_error(&create, &[]);
    if let Ok(response) = &create {
        assert!(response.contexts.len() <= smb2::MAX_CREATE_CONTEXTS);
        let total: usize = response.contexts.iter().map(|(_, d)| d.len()).sum();
        assert!(total <= data.len());
        let mxac = response.maximal_access();
        assert_eq!(
            mxac.is_some(),
            response
                .contexts
                .iter()
                .find(|(name, _)| *name == smb2::context_name::MAXIMAL_ACCESS)
                .is_some_and(|(_, d)| d.len() >= 8)
        );
    }
    if let Ok(status) = smb2::close_status(data) {
        let (header, _) = smb2::Header::decode(data).expect("close_status read a header");
        assert_eq!(
            (header.command, header.status),
            (smb2::command::CLOSE, status)
        );
    }
    for output in [smb2::decode_transceive(data), smb2::decode_read(data)] {
        check_status_error(&output, &[smb2::status::BUFFER_OVERFLOW]);
        if let Ok(output) = output {
            assert!(output.data.len() <= data.len());
            assert_eq!(
                output.more,
                output.header.status == smb2::status::BUFFER_OVERFLOW
            );
            let call_id = output
                .data
                .get(12..16)
                .map_or(0, |id| u32::from_le_bytes(id.try_into().expect("4 bytes")));
            let _ = dcerpc::Pdu::decode(&output.data, call_id);
            let _ = drain(&mut dcerpc::Reassembly::new(), &output.data, call_id);
        }
    }
    let listing = smb2::QueryDirectoryResponse::decode(data);
    check_status_error(&listing, &[]);
    if let Ok(listing) = listing {
        assert!(listing.names.len() <= smb2::MAX_ENTRIES);
        let chars: usize = listing.names.iter().map(|n| n.chars().count()).sum();
        assert!(chars * 2 <= data.len());
    }
}

/// The SMB1 header re-encodes to the bytes it came from, but for `Reserved` (bytes 22..24).
fn check_smb1_header(data: &[u8]) {
    let Ok((header, rest)) = smb1::Header::decode(data) else {
        return;
    };
    assert_eq!(rest.len() + smb1::HEADER_LEN, data.len());
    assert_eq!(smb2::protocol_of(data), Ok(smb2::Protocol::Smb1));
    let mut out = Vec::new();
    header.encode(&mut out);
    let mut want = data[..smb1::HEADER_LEN].to_vec();
    want[22..24].fill(0);
    assert_eq!(out, want, "SMB1 header re-encodes byte for byte");
    assert_eq!(smb1::Header::decode(&out), Ok((header, &[][..])));
    let _ = header.unicode();
}

/// SMB1 responses: [`smb1::Header::decode`] (re-encoded byte for byte),
/// [`smb1::NegotiateReply::decode`] and [`smb1::SessionSetupResponse::decode`]; security
/// blobs go on to the SPNEGO and NTLMSSP decoders.
pub fn smb1_response(data: &[u8]) {
    check_smb1_header(data);
    if let Ok(reply) = smb1::NegotiateReply::decode(data) {
        match reply {
            smb1::NegotiateReply::NoCommonDialect { .. } => {}
            smb1::NegotiateReply::Negotiated(response) => {
                let _ = (
                    response.user_level(),
                    response.challenge_response(),
                    response.signing_enabled(),
                    response.signing_required(),
                    smb1::capability_names(response.capabilities),
                );
                match &response.security {
                    smb1::Smb1Security::Extended { security_blob, .. } => {
                        assert!(security_blob.len() <= data.len());
                        spnego_token(security_blob);
                    }
                    smb1::Smb1Security::Challenge { challenge, .. } => {
                        assert!(challenge.len() <= usize::from(u8::MAX));
                    }
                }
            }
        }
    }
    if let Ok(response) = smb1::SessionSetupResponse::decode(data) {
        assert!(response.security_blob.len() <= data.len());
        let _ = response.guest();
        spnego_token(&response.security_blob);
    }
}

/// SMB1 share-walk answers: [`smb1::TreeConnectAndxResponse`], [`smb1::NtCreateAndxResponse`],
/// [`smb1::close_status`], [`smb1::ReadAndxResponse`] and [`smb1::TransactionResponse`] (both
/// commands), whose parameters and data go on to [`smb1::RapShareEnum`],
/// [`smb1::FindFirst2Response`] (OEM and Unicode) and a DCE/RPC [`dcerpc::Reassembly`]. A
/// `Status` error is never SUCCESS (nor STATUS_BUFFER_OVERFLOW where that carries data), no
/// decoded bytes exceed the input, and the caps hold. The RAP and FIND_FIRST2 decoders also
/// get the raw input, split at the position its first byte names.
pub fn smb1_share_response(data: &[u8]) {
    const BUFFER_OVERFLOW: u32 = 0x8000_0005;
    let status_ok = |e: &ResponseError, also: &[u32]| {
        if let ResponseError::Status(st) = e {
            assert!(*st != 0 && !also.contains(st), "status {st:#x}");
        }
    };
    match smb1::TreeConnectAndxResponse::decode(data) {
        Ok(resp) => assert!(resp.service.map_or(0, |s| s.len()) <= data.len() * 3),
        Err(e) => status_ok(&e, &[]),
    }
    if let Err(e) = smb1::NtCreateAndxResponse::decode(data) {
        status_ok(&e, &[]);
    }
    if let Err(e) = smb1::close_status(data) {
        status_ok(&e, &[]);
    }
    match smb1::ReadAndxResponse::decode(data) {
        Ok(resp) => assert!(resp.data.len() <= data.len()),
        Err(e) => status_ok(&e, &[BUFFER_OVERFLOW]),
    }
    for command in [
        smb1::TransCommand::Transaction,
        smb1::TransCommand::Transaction2,
    ] {
        match smb1::TransactionResponse::decode(data, command) {
            Ok(resp) => {
                assert!(resp.parameters.len() + resp.data.len() <= 2 * data.len());
                let _ = (resp.partial(), resp.more());
                smb1_share_payloads(&resp.parameters, &resp.data);
                let mut re = dcerpc::Reassembly::new();
                if let Ok(Some(dcerpc::Pdu::Response { stub, .. })) = re.push(&resp.data, 2) {
                    let _ = dcerpc::decode_share_enum(&stub);
                }
            }
            Err(e) => status_ok(&e, &[BUFFER_OVERFLOW]),
        }
    }
    if let Some((&split, rest)) = data.split_first() {
        let (params, payload) = rest.split_at(usize::from(split).min(rest.len()));
        smb1_share_payloads(params, payload);
    }
}

fn smb1_share_payloads(parameters: &[u8], data: &[u8]) {
    if let Ok(answer) = smb1::RapShareEnum::decode(parameters, data) {
        assert!(answer.shares.len() <= dcerpc::MAX_SHARES);
        assert!(answer.shares.len() * 20 <= data.len());
    }
    for encoding in [smb1::NameEncoding::Oem, smb1::NameEncoding::Unicode] {
        if let Ok(found) = smb1::FindFirst2Response::decode(parameters, data, encoding) {
            assert!(found.names.len() <= smb1::MAX_FIND_ENTRIES);
            assert!(found.names.len() <= usize::from(found.search_count));
            assert!(found.names.len() * 12 <= data.len());
        }
    }
}

/// The getters of a TargetInfo, and its round trip: [`TargetInfo::encode`] writes bytes
/// that decode to the same pairs.
fn check_target_info(info: &TargetInfo) {
    assert!(info.pairs.len() <= ntlm::MAX_AV_PAIRS);
    // What a client echoes in its NTLMv2 blob: one EOL at the end, and with a MIC one
    // MsvAvFlags carrying bit 0x2 and the server's bits.
    if info.pairs.len() + 1 < ntlm::MAX_AV_PAIRS {
        for mic in [false, true] {
            let copy = TargetInfo::decode(&info.client_copy(mic)).expect("the copy decodes");
            assert_eq!(copy.pairs.last().map(|p| p.id), Some(ntlm::MSV_AV_EOL));
            let eols = copy
                .pairs
                .iter()
                .filter(|p| p.id == ntlm::MSV_AV_EOL)
                .count();
            assert_eq!(eols, 1);
            if mic {
                let server = info.flags().unwrap_or(0);
                assert_eq!(copy.flags(), Some(server | ntlm::MSV_AV_FLAG_MIC));
            }
        }
    }
    for pair in &info.pairs {
        let _ = ntlm::av_id_name(pair.id);
        assert!(info.value(pair.id).is_some());
    }
    let _ = (
        info.nb_computer(),
        info.nb_domain(),
        info.dns_computer(),
        info.dns_domain(),
        info.dns_tree(),
        info.flags(),
        info.timestamp().map(filetime_to_unix_nanos),
        info.target_name(),
    );
    let mut out = Vec::new();
    info.encode(&mut out);
    assert_eq!(
        TargetInfo::decode(&out).as_ref(),
        Ok(info),
        "TargetInfo re-encodes to bytes that decode to it"
    );
}

/// NTLMSSP: [`Challenge::decode`] and [`TargetInfo::decode`] on the input, with every
/// getter and the TargetInfo round trip, and [`Version::decode`] of its first 8 bytes
/// (which re-encodes to the same value).
pub fn ntlm_challenge(data: &[u8]) {
    if let Ok(challenge) = Challenge::decode(data) {
        if let Some(name) = &challenge.target_name {
            assert!(!name.is_empty() && !name.ends_with('\0'));
        }
        if let Some(version) = challenge.version {
            assert_eq!(version.revision, Version::NTLMSSP_REVISION_W2K3);
            let _ = version.to_string();
        }
        check_target_info(&challenge.target_info);
    }
    if let Ok(info) = TargetInfo::decode(data) {
        check_target_info(&info);
    }
    if let Some(head) = data.get(..Version::LEN) {
        let version = Version::decode(head).expect("any 8 bytes are a VERSION");
        let mut out = Vec::new();
        version.encode(&mut out);
        assert_eq!(Version::decode(&out), Ok(version));
    }
}

/// SPNEGO: [`spnego::decode_init`], [`spnego::decode_resp`] and [`spnego::ntlm_token`], whose
/// answer must be the blob itself (raw NTLMSSP) or the NegTokenResp's responseToken; what it
/// returns goes to [`Challenge::decode`]. Also the round trip of [`spnego::ntlm_init_token`]
/// with the input as the NTLM token.
pub fn spnego_token(data: &[u8]) {
    if let Ok(init) = spnego::decode_init(data) {
        assert!(init.mech_types.len() <= spnego::MAX_MECH_TYPES);
        for oid in &init.mech_types {
            let _ = spnego::mech_name(oid);
        }
    }
    let resp = spnego::decode_resp(data);
    if let Ok(spnego::NegTokenResp {
        supported_mech: Some(mech),
        ..
    }) = &resp
    {
        let _ = spnego::mech_name(mech);
    }
    if let Ok(token) = spnego::ntlm_token(data) {
        if data.starts_with(&ntlm::SIGNATURE) {
            assert_eq!(token, data);
        } else {
            assert_eq!(
                resp.ok().and_then(|r| r.response_token).as_ref(),
                Some(&token)
            );
        }
        ntlm_challenge(&token);
    }
    let again =
        spnego::decode_init(&spnego::ntlm_init_token(data)).expect("our init token decodes");
    assert_eq!(
        again,
        spnego::NegTokenInit {
            mech_types: vec![spnego::OID_NTLMSSP.to_owned()],
            mech_token: Some(data.to_vec()),
            hint_name: None,
        }
    );
}

// ---------------------------------------------------------------------------------------------
// DCE/RPC
// ---------------------------------------------------------------------------------------------

/// What a [`dcerpc::Reassembly`] gave for one push and the empty pushes after it that drain
/// the PDUs it still holds: each PDU in order, then the error that stopped it, if any.
fn drain(
    re: &mut dcerpc::Reassembly,
    bytes: &[u8],
    call_id: u32,
) -> (Vec<dcerpc::Pdu>, Option<DecodeError>) {
    let mut pdus = Vec::new();
    let mut next = re.push(bytes, call_id);
    // Each PDU returned consumed a fragment of at least 16 bytes: the loop ends.
    loop {
        assert!(re.buffered() <= dcerpc::MAX_PENDING);
        assert!(re.stub_len() <= dcerpc::MAX_STUB);
        match next {
            Ok(Some(pdu)) => {
                if let dcerpc::Pdu::Response { stub, last } = &pdu {
                    assert!(*last, "Reassembly returns only whole responses");
                    assert!(stub.len() <= dcerpc::MAX_STUB);
                }
                pdus.push(pdu);
                next = re.push(&[], call_id);
            }
            Ok(None) => return (pdus, None),
            Err(e) => return (pdus, Some(e)),
        }
    }
}

/// A NetrShareEnum answer never holds more than [`dcerpc::MAX_SHARES`] shares, nor names
/// longer than [`dcerpc::MAX_SHARE_NAME`], nor more text than the stub's bytes.
fn check_share_enum(stub: &[u8]) {
    let Ok(answer) = dcerpc::decode_share_enum(stub) else {
        return;
    };
    assert!(answer.level <= 1);
    assert!(answer.shares.len() <= dcerpc::MAX_SHARES);
    for share in &answer.shares {
        assert!(share.name.encode_utf16().count() <= dcerpc::MAX_SHARE_NAME);
        assert_eq!(share.share_type.is_some(), answer.level == 1);
        assert_eq!(share.comment.is_some(), answer.level == 1);
    }
    let units: usize = answer
        .shares
        .iter()
        .map(|s| {
            s.name.encode_utf16().count()
                + s.comment.as_deref().map_or(0, |c| c.encode_utf16().count())
        })
        .sum();
    assert!(units * 2 <= stub.len());
}

/// DCE/RPC from a pipe. Byte 0 picks the call ID: bit 0 clear, the first PDU's own
/// (`call_id` at bytes 12..16 of the stream), set, the byte shifted right by one. Bytes
/// 1..3 (little-endian, modulo the stream's length + 1) say where the stream is split in
/// two reads; the rest is the stream. Fed whole and split, [`dcerpc::Reassembly::push`] gives
/// the same PDUs and error; every RESPONSE stub goes to [`dcerpc::decode_share_enum`]. Also
/// [`dcerpc::Pdu::decode`] on the stream as one PDU, and `decode_share_enum` on the stream
/// itself (NDR without a PDU around it).
pub fn dcerpc_stream(data: &[u8]) {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let Some((split, stream)) = rest.split_first_chunk::<2>() else {
        return;
    };
    let call_id = if control & 1 == 0 {
        stream
            .get(12..16)
            .map_or(0, |id| u32::from_le_bytes(id.try_into().expect("4 bytes")))
    } else {
        u32::from(control >> 1)
    };
    let at = usize::from(u16::from_le_bytes(*split)) % (stream.len() + 1);

    let whole = drain(&mut dcerpc::Reassembly::new(), stream, call_id);
    let (a, b) = stream.split_at(at);
    let mut re = dcerpc::Reassembly::new();
    let mut split = drain(&mut re, a, call_id);
    if split.1.is_none() {
        let (more, end) = drain(&mut re, b, call_id);
        split.0.extend(more);
        split.1 = end;
    }
    assert_eq!(
        whole, split,
        "splitting the stream changed what Reassembly gave"
    );
    assert!(
        whole.0.len() <= stream.len() / 16,
        "more PDUs than fragments"
    );
    for pdu in &whole.0 {
        if let dcerpc::Pdu::Response { stub, .. } = pdu {
            assert!(stub.len() <= stream.len());
            check_share_enum(stub);
        }
    }

    if let Ok(pdu) = dcerpc::Pdu::decode(stream, call_id) {
        match pdu {
            dcerpc::Pdu::Response { stub, .. } => {
                assert!(stub.len() + 24 <= stream.len());
                check_share_enum(&stub);
            }
            dcerpc::Pdu::Other(ptype) => assert!(!matches!(
                ptype,
                dcerpc::ptype::RESPONSE
                    | dcerpc::ptype::FAULT
                    | dcerpc::ptype::BIND_ACK
                    | dcerpc::ptype::BIND_NAK
            )),
            dcerpc::Pdu::BindAck(_) | dcerpc::Pdu::BindNak(_) | dcerpc::Pdu::Fault(_) => {}
        }
    }
    check_share_enum(stream);
}

/// IP packets as a SYN stage receives them: [`tcpip::Incoming::decode_ip`] on the input,
/// which must give the same result as [`tcpip::Incoming::decode_frame`] on the input in an
/// Ethernet II frame, with and without an 802.1Q tag, and with Ethernet padding after it;
/// what decodes stays within the input's families (a reply's two addresses, an error's
/// quoted ones, of one family); the cookie's checks run on it; and a SYN built from a
/// decoded segment's fields encodes to a packet that decodes back to those fields.
pub fn tcpip_packet(data: &[u8]) {
    use tcpip::cookie::SynCookie;
    use tcpip::{Incoming, IpPair, MacPair, ReplyFlags, Syn, TcpFlags};

    let decoded = Incoming::decode_ip(data);
    let ethertype = match data.first().map(|b| b >> 4) {
        Some(6) => tcpip::ETHERTYPE_IPV6,
        _ => tcpip::ETHERTYPE_IPV4,
    };
    let mut frame = Vec::with_capacity(data.len() + 22);
    frame.extend_from_slice(&[0x02; 12]);
    frame.extend_from_slice(&ethertype.to_be_bytes());
    frame.extend_from_slice(data);
    assert_eq!(Incoming::decode_frame(&frame), decoded, "Ethernet frame");
    let mut tagged = frame[..12].to_vec();
    tagged.extend_from_slice(&tcpip::ETHERTYPE_VLAN.to_be_bytes());
    tagged.extend_from_slice(&[0x00, 0x05]);
    tagged.extend_from_slice(&frame[12..]);
    assert_eq!(Incoming::decode_frame(&tagged), decoded, "802.1Q frame");
    if decoded.is_ok() {
        frame.extend_from_slice(&[0; 8]);
        assert_eq!(Incoming::decode_frame(&frame), decoded, "padded frame");
    }

    let cookie = SynCookie::new(*b"fuzzing key 16b!");
    let Ok(Some(incoming)) = decoded else {
        return;
    };
    let _ = cookie.validate_incoming(&incoming);
    match incoming {
        Incoming::Tcp(reply) => {
            let Some(ips) = IpPair::new(reply.src, reply.dst) else {
                panic!("a reply of two families: {reply:?}");
            };
            if let ReplyFlags::Other(flags) = reply.flags {
                assert!(!flags.contains(TcpFlags::RST));
                assert!(!flags.contains(TcpFlags(0x12)));
            }
            let mut syn = Syn::new(ips, reply.sport, reply.dport, reply.seq);
            syn.ttl = reply.ttl;
            let mut buf = [0u8; 80];
            let len = syn.encode_ip(&mut buf).expect("80 bytes hold any SYN");
            let again = Incoming::decode_ip(&buf[..len]);
            let Ok(Some(Incoming::Tcp(echo))) = again else {
                panic!("our SYN did not decode: {again:?}");
            };
            assert_eq!(
                (echo.src, echo.dst, echo.sport, echo.dport),
                (reply.src, reply.dst, reply.sport, reply.dport)
            );
            assert_eq!((echo.seq, echo.ack, echo.ttl), (reply.seq, 0, reply.ttl));
            assert_eq!(echo.flags, ReplyFlags::Other(TcpFlags::SYN));
            let macs = MacPair {
                dst: [1; 6],
                src: [2; 6],
            };
            let mut framed = [0u8; 96];
            let frame_len = syn
                .encode_frame(macs, &mut framed)
                .expect("96 bytes hold any frame");
            assert_eq!(&framed[14..frame_len], &buf[..len]);
        }
        Incoming::Unreachable(error) => {
            assert!(
                IpPair::new(error.probe.src, error.probe.dst).is_some(),
                "quoted addresses of two families: {error:?}"
            );
            assert_eq!(error.reporter.is_ipv4(), error.probe.src.is_ipv4());
        }
    }
}
