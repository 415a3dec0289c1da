//! Samba 4.17's real SMB1 answers to the share walk and to RAP NetShareEnum (captured in the
//! lab, see `data/SOURCES.md`), decoded to the facts TShark 4.0.17 shows for them.

use smbaudit_wire::ResponseError;
use smbaudit_wire::dcerpc::{Pdu, Reassembly, decode_share_enum};
use smbaudit_wire::smb1::{
    FindFirst2Response, Header, NameEncoding, NtCreateAndxResponse, RapShareEnum, TransCommand,
    TransactionResponse, TreeConnectAndxResponse, close_status,
};

const REPLIES: &str = include_str!("data/smb1-samba417-share-walk-replies.txt");

/// The message of `file`'s frame `frame`.
fn reply(file: &str, frame: u32) -> Vec<u8> {
    let line = REPLIES
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find(|l| l.split(' ').take(2).eq([file, &frame.to_string()]))
        .unwrap_or_else(|| panic!("{file} frame {frame}"));
    let hex = line.split(' ').nth(2).unwrap();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn tree_connects_give_the_share_masks_and_refusals() {
    let public = TreeConnectAndxResponse::decode(&reply("walk", 40)).unwrap();
    assert_eq!(public.maximal_share_access, Some(0x001f_00a9));
    assert_eq!(public.guest_maximal_share_access, Some(0));
    assert_eq!(public.service.as_deref(), Some("A:"));
    assert_ne!(public.header.tid, 0);
    let upload = TreeConnectAndxResponse::decode(&reply("walk", 48)).unwrap();
    assert_eq!(upload.maximal_share_access, Some(0x001f_01ff));
    assert_eq!(
        TreeConnectAndxResponse::decode(&reply("walk", 56)),
        Err(ResponseError::Status(0xc000_0022))
    );
    assert_eq!(
        TreeConnectAndxResponse::decode(&reply("walk", 27)),
        Err(ResponseError::Status(0xc000_00cc)),
        "the random share name"
    );
}

#[test]
fn nt_create_and_close_answers() {
    let pipe = NtCreateAndxResponse::decode(&reply("walk", 30)).unwrap();
    assert_eq!(pipe.fid, 0x972e);
    assert_eq!(pipe.resource_type, 2, "message-mode pipe");
    let root = NtCreateAndxResponse::decode(&reply("walk", 42)).unwrap();
    assert_eq!(root.fid, 0x869b);
    assert!(root.directory);
    assert_eq!(root.attributes & 0x10, 0x10, "FILE_ATTRIBUTE_DIRECTORY");
    assert_eq!(close_status(&reply("walk", 38)), Ok(0));
}

#[test]
fn srvsvc_over_trans_gives_bind_ack_and_four_shares() {
    let bind = TransactionResponse::decode(&reply("walk", 33), TransCommand::Transaction).unwrap();
    assert!(!bind.partial() && !bind.more());
    match Pdu::decode(&bind.data, 1).unwrap() {
        Pdu::BindAck(ack) => assert_eq!(ack.result, 0),
        other => panic!("{other:?}"),
    }
    let answer =
        TransactionResponse::decode(&reply("walk", 36), TransCommand::Transaction).unwrap();
    let mut re = Reassembly::new();
    let Some(Pdu::Response { stub, .. }) = re.push(&answer.data, 2).unwrap() else {
        panic!("one whole RESPONSE");
    };
    let shares = decode_share_enum(&stub).unwrap();
    let names: Vec<&str> = shares.shares.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["public", "upload", "private", "IPC$"]);
    assert_eq!(shares.werror, 0);
}

#[test]
fn find_first2_lists_the_root() {
    let msg = reply("walk", 44);
    let trans = TransactionResponse::decode(&msg, TransCommand::Transaction2).unwrap();
    let (header, _) = Header::decode(&msg).unwrap();
    let found =
        FindFirst2Response::decode(&trans.parameters, &trans.data, NameEncoding::of(&header))
            .unwrap();
    assert_eq!(found.names, [".", "..", "README.txt"]);
    assert!(found.end_of_search);
    assert_eq!(found.search_count, 3);
}

#[test]
fn rap_net_share_enum_from_samba() {
    let trans = TransactionResponse::decode(&reply("rap", 15), TransCommand::Transaction).unwrap();
    let answer = RapShareEnum::decode(&trans.parameters, &trans.data).unwrap();
    assert_eq!(
        (answer.status, answer.returned, answer.available),
        (0, 4, 4)
    );
    let names: Vec<&str> = answer.shares.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["public", "upload", "private", "IPC$"]);
    assert_eq!(answer.shares[3].share_type, Some(3));
    assert_eq!(
        answer.shares[3].comment.as_deref(),
        Some("IPC Service (smbaudit lab host nt1)")
    );
    assert_eq!(answer.shares[0].comment.as_deref(), Some(""));
}
