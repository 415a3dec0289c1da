use super::*;
use crate::smb2::header::flags;

fn reply(cmd: u16, status: u32, body: &[u8]) -> Vec<u8> {
    let mut header = Header::request(cmd, 3, 1, 9);
    header.status = status;
    header.flags |= flags::SERVER_TO_REDIR;
    let mut msg = Vec::new();
    header.encode(&mut msg);
    msg.extend_from_slice(body);
    msg
}

fn create_body(contexts: &[u8]) -> Vec<u8> {
    let mut body = 89u16.to_le_bytes().to_vec();
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&1u32.to_le_bytes()); // opened
    body.extend_from_slice(&[0; 48]);
    body.extend_from_slice(&0x10u32.to_le_bytes()); // directory
    body.extend_from_slice(&[0; 4]);
    body.extend_from_slice(&[7; 16]);
    let offset = if contexts.is_empty() { 0u32 } else { 64 + 88 };
    body.extend_from_slice(&offset.to_le_bytes());
    body.extend_from_slice(&(contexts.len() as u32).to_le_bytes());
    body.extend_from_slice(contexts);
    body
}

fn mxac(query_status: u32, mask: u32) -> Vec<u8> {
    let mut ctx = 0u32.to_le_bytes().to_vec();
    ctx.extend_from_slice(&16u16.to_le_bytes());
    ctx.extend_from_slice(&4u16.to_le_bytes());
    ctx.extend_from_slice(&0u16.to_le_bytes());
    ctx.extend_from_slice(&24u16.to_le_bytes());
    ctx.extend_from_slice(&8u32.to_le_bytes());
    ctx.extend_from_slice(b"MxAc\0\0\0\0");
    ctx.extend_from_slice(&query_status.to_le_bytes());
    ctx.extend_from_slice(&mask.to_le_bytes());
    ctx
}

#[test]
fn request_puts_the_name_and_an_aligned_mxac_context_after_the_fixed_part() {
    let msg = CreateRequest {
        name: String::new(),
        desired_access: access::READ_DATA,
        share_access: SHARE_ALL,
        disposition: FILE_OPEN,
        options: FILE_DIRECTORY_FILE,
        contexts: vec![(context_name::MAXIMAL_ACCESS, Vec::new())],
    }
    .to_vec();
    assert_eq!(u16::from_le_bytes([msg[64], msg[65]]), 57);
    assert_eq!(u16::from_le_bytes([msg[108], msg[109]]), 120, "NameOffset");
    assert_eq!(u16::from_le_bytes([msg[110], msg[111]]), 0, "NameLength");
    let ctx_offset = u32::from_le_bytes(msg[112..116].try_into().unwrap()) as usize;
    assert_eq!(ctx_offset, 128, "8-aligned after the 1-byte empty name");
    assert_eq!(&msg[ctx_offset + 16..ctx_offset + 20], b"MxAc");
    assert_eq!(msg.len(), ctx_offset + 24);
}

#[test]
fn response_yields_the_handle_and_the_maximal_access() {
    let msg = reply(command::CREATE, 0, &create_body(&mxac(0, 0x001f_01ff)));
    let r = CreateResponse::decode(&msg).unwrap();
    assert_eq!(r.file_id, [7; 16]);
    assert_eq!(
        r.maximal_access(),
        Some(MaximalAccessReply {
            query_status: 0,
            maximal_access: 0x001f_01ff
        })
    );
    let plain = CreateResponse::decode(&reply(command::CREATE, 0, &create_body(&[]))).unwrap();
    assert_eq!(plain.maximal_access(), None);
    let denied = reply(
        command::CREATE,
        status::ACCESS_DENIED,
        &[9, 0, 0, 0, 0, 0, 0, 0, 0],
    );
    assert_eq!(
        CreateResponse::decode(&denied),
        Err(ResponseError::Status(status::ACCESS_DENIED))
    );
}

#[test]
fn truncated_or_looping_contexts_are_errors() {
    let body = create_body(&mxac(0, 1));
    for cut in 0..body.len() {
        assert!(CreateResponse::decode(&reply(command::CREATE, 0, &body[..cut])).is_err());
    }
    let mut looping = mxac(0, 1);
    looping[0..4].copy_from_slice(&4u32.to_le_bytes()); // Next points inside itself
    assert!(CreateResponse::decode(&reply(command::CREATE, 0, &create_body(&looping))).is_err());
}

#[test]
fn close_reports_its_status() {
    let msg = CloseRequest { file_id: [1; 16] }.to_vec();
    assert_eq!(msg.len(), 88);
    assert_eq!(close_status(&reply(command::CLOSE, 0, &[60, 0])), Ok(0));
    assert!(close_status(&reply(command::CREATE, 0, &[])).is_err());
}

#[test]
fn contexts_whose_data_runs_into_the_next_one_are_errors() {
    // Two MxAc contexts; the first (Next = 32) claims 16 bytes of data at 24, past its end.
    let mut first = mxac(0, 1);
    first[0..4].copy_from_slice(&32u32.to_le_bytes());
    let mut chain = first.clone();
    chain.extend(mxac(0, 2));
    let ok = CreateResponse::decode(&reply(command::CREATE, 0, &create_body(&chain))).unwrap();
    assert_eq!(ok.contexts.len(), 2);
    first[12..16].copy_from_slice(&16u32.to_le_bytes()); // DataLength
    let mut overlapping = first;
    overlapping.extend(mxac(0, 2));
    assert!(matches!(
        CreateResponse::decode(&reply(command::CREATE, 0, &create_body(&overlapping))),
        Err(ResponseError::Decode(DecodeError::Truncated {
            what: "create context Data",
            ..
        }))
    ));
}
