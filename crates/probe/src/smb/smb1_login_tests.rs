//! The SMB1 guest and login legs against scripted SESSION_SETUP_ANDX answers.

use super::*;
use smbaudit_wire::smb1::Header;

/// A SESSION_SETUP_ANDX response with `status`, `action` and UID 0x0801, no blob, empty
/// strings (the shape Samba sends, WordCount 4).
fn setup_response(status: u32, action: u16, blob: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    Header {
        command: smbaudit_wire::smb1::command::SESSION_SETUP_ANDX,
        status,
        flags: 0x98,
        flags2: 0xc803,
        uid: 0x0801,
        mid: 10,
        ..Header::default()
    }
    .encode(&mut m);
    m.push(4);
    m.extend_from_slice(&[0xff, 0, 0, 0]);
    m.extend_from_slice(&action.to_le_bytes());
    m.extend_from_slice(&u16::try_from(blob.len()).unwrap().to_le_bytes());
    let bytes = blob.len() + 1 + 6;
    m.extend_from_slice(&u16::try_from(bytes).unwrap().to_le_bytes());
    m.extend_from_slice(blob);
    m.push(0); // pad to 2 from the header (32 + 9 + 2 + blob)
    m.extend_from_slice(&[0; 6]); // three empty UTF-16 strings
    m
}

#[test]
fn guest_bit_success_and_refusals_by_who() {
    let guest = read_final_leg(Who::Guest, Ok(setup_response(status::SUCCESS, 1, &[])));
    assert_eq!(
        (guest.accepted, guest.guest),
        (Some(true), true),
        "{guest:?}"
    );
    let let_in = read_final_leg(Who::Guest, Ok(setup_response(status::SUCCESS, 0, &[])));
    assert_eq!((let_in.accepted, let_in.guest), (Some(true), false));
    let refused = read_final_leg(
        Who::Guest,
        Ok(setup_response(status::LOGON_FAILURE, 0, &[])),
    );
    assert_eq!(refused.accepted, Some(false));

    let user = read_final_leg(Who::User, Ok(setup_response(status::SUCCESS, 0, &[])));
    assert_eq!(
        (user.accepted, user.reason.as_str()),
        (Some(true), "the user was logged on")
    );
    let mapped = read_final_leg(Who::User, Ok(setup_response(status::SUCCESS, 1, &[])));
    assert_eq!(
        (mapped.accepted, mapped.guest),
        (Some(false), true),
        "guest is never a credential success"
    );
    let failed = read_final_leg(Who::User, Ok(setup_response(status::LOGON_FAILURE, 0, &[])));
    assert_eq!(
        (failed.accepted, failed.reason.as_str()),
        (Some(false), "logon failure")
    );
    assert!(failed.status.unwrap().contains("0xc000006d"));
    let odd = read_final_leg(
        Who::User,
        Ok(setup_response(status::INVALID_PARAMETER, 0, &[])),
    );
    assert_eq!(odd.accepted, None);
    assert_eq!(
        read_final_leg(Who::User, Err(ProbeError::HostBudget)).accepted,
        None
    );
    assert_eq!(
        read_final_leg(Who::User, Ok(vec![0xff, b'S'])).accepted,
        None
    );
}

#[test]
fn the_challenge_leg_gives_the_uid_and_the_raw_challenge() {
    let challenge = crate::smb::test_peer::ntlm_challenge();
    let blob = spnego::ntlm_resp_token(&challenge);
    let reply = setup_response(status::MORE_PROCESSING_REQUIRED, 0, &blob);
    let (uid, token, decoded) = read_challenge_leg(Ok(reply)).unwrap();
    assert_eq!(uid, 0x0801);
    assert_eq!(token, challenge, "the raw CHALLENGE (the MIC covers it)");
    assert_eq!(decoded.flags, Challenge::decode(&challenge).unwrap().flags);
    let refused = setup_response(status::ACCESS_DENIED, 0, &[]);
    assert!(
        read_challenge_leg(Ok(refused))
            .unwrap_err()
            .contains("0xc0000022")
    );
}

#[test]
fn legs_go_on_the_uid_they_are_given() {
    let first = negotiate_leg_request(0, 10);
    let (h, _) = Header::decode(&first).unwrap();
    assert_eq!((h.uid, h.mid), (0, 10));
    let second = authenticate_leg_request(b"NTLMSSP\0\x03\0\0\0", 0x0801, 11);
    let (h, _) = Header::decode(&second).unwrap();
    assert_eq!((h.uid, h.mid), (0x0801, 11));
    assert!(second.windows(12).any(|w| w == b"NTLMSSP\0\x03\0\0\0"));
    let (h, _) = Header::decode(&ipc_request(0x0801, 12, "10.0.0.1")).unwrap();
    assert_eq!(h.uid, 0x0801);
}
