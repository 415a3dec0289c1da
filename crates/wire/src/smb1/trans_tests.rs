use super::*;
use crate::smb1::flags;

fn answer(cmd: u8, status: u32, params: &[u8], data: &[u8]) -> Vec<u8> {
    let mut msg = Vec::new();
    let mut h = Header::request(cmd, FLAGS2, 1, 2);
    h.flags |= flags::REPLY;
    h.status = status;
    h.encode(&mut msg);
    msg.push(10);
    // Parameters at 56 (after ByteCount and one pad byte), data right after.
    let param_at = 56u16;
    let data_at = param_at + params.len() as u16;
    for v in [
        params.len() as u16,
        data.len() as u16,
        0,
        params.len() as u16,
        param_at,
        0,
        data.len() as u16,
        data_at,
        0,
    ] {
        msg.extend_from_slice(&v.to_le_bytes());
    }
    msg.extend_from_slice(&[0, 0]);
    msg.extend_from_slice(&((1 + params.len() + data.len()) as u16).to_le_bytes());
    msg.push(0);
    msg.extend_from_slice(params);
    msg.extend_from_slice(data);
    msg
}

#[test]
fn transact_nmpipe_request_layout() {
    let pdu = vec![5, 0, 11, 3];
    let msg = TransactionRequest::transact_nmpipe(1, 2, 3, 0x4001, pdu.clone(), 4280).to_vec();
    assert_eq!(msg[4], command::TRANSACTION);
    assert_eq!(msg[32], 16, "WordCount 14 + 2 setup words");
    let word = |i: usize| u16::from_le_bytes([msg[33 + 2 * i], msg[34 + 2 * i]]);
    assert_eq!(word(1), 4, "TotalDataCount");
    assert_eq!(word(3), 4280, "MaxDataCount");
    assert_eq!(word(11), 4, "DataCount");
    let data_offset = usize::from(word(12));
    assert_eq!(data_offset % 4, 0);
    assert_eq!(&msg[data_offset..], &pdu[..]);
    assert_eq!(msg[33 + 26], 2, "SetupCount");
    assert_eq!((word(14), word(15)), (TRANS_TRANSACT_NMPIPE, 0x4001));
    let byte_count = usize::from(word(16));
    assert_eq!(byte_count, msg.len() - 67);
    assert_eq!(&msg[67..74], b"\\PIPE\\\0");
}

#[test]
fn transaction2_request_has_a_one_byte_name() {
    let msg = TransactionRequest {
        command: TransCommand::Transaction2,
        uid: 1,
        tid: 2,
        mid: 3,
        setup: vec![TRANS2_FIND_FIRST2],
        name: "ignored".into(),
        parameters: vec![1, 2, 3],
        data: Vec::new(),
        max_parameter_count: 10,
        max_data_count: 8192,
    }
    .to_vec();
    assert_eq!(msg[4], command::TRANSACTION2);
    assert_eq!(msg[32], 15);
    assert_eq!(msg[65], 0, "Name");
    let param_offset = usize::from(u16::from_le_bytes([msg[53], msg[54]]));
    assert_eq!(&msg[param_offset..param_offset + 3], &[1, 2, 3]);
}

#[test]
fn decodes_parameters_and_data_at_their_offsets() {
    let msg = answer(command::TRANSACTION, 0, &[1, 2], &[3, 4, 5]);
    let resp = TransactionResponse::decode(&msg, TransCommand::Transaction).unwrap();
    assert_eq!(resp.parameters, [1, 2]);
    assert_eq!(resp.data, [3, 4, 5]);
    assert!(!resp.partial() && !resp.more());
    for len in 0..msg.len() {
        assert!(
            TransactionResponse::decode(&msg[..len], TransCommand::Transaction).is_err(),
            "{len}"
        );
    }
    let more = answer(command::TRANSACTION, BUFFER_OVERFLOW, &[], &[3]);
    assert!(
        TransactionResponse::decode(&more, TransCommand::Transaction)
            .unwrap()
            .more()
    );
    let denied = answer(command::TRANSACTION, 0xC000_0022, &[], &[]);
    assert_eq!(
        TransactionResponse::decode(&denied, TransCommand::Transaction),
        Err(ResponseError::Status(0xC000_0022))
    );
    assert!(TransactionResponse::decode(&msg, TransCommand::Transaction2).is_err());
}

#[test]
fn a_lying_offset_or_total_is_caught() {
    let mut msg = answer(command::TRANSACTION2, 0, &[1, 2], &[3]);
    let resp = TransactionResponse::decode(&msg, TransCommand::Transaction2).unwrap();
    assert_eq!(resp.data, [3]);
    msg[33 + 2] = 9; // TotalDataCount 9, 1 byte here
    assert!(
        TransactionResponse::decode(&msg, TransCommand::Transaction2)
            .unwrap()
            .partial()
    );
    msg[33 + 14] = 0xF0; // DataOffset far beyond the message
    assert!(TransactionResponse::decode(&msg, TransCommand::Transaction2).is_err());
}
