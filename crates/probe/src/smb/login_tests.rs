//! The login's AUTHENTICATE and verdicts against scripted replies.

use smbaudit_wire::ntlm::{SCANNER_NEGOTIATE_FLAGS, flags};
use smbaudit_wire::smb2::{session_flags, status};
use zeroize::Zeroizing;

use super::*;
use crate::smb::test_peer::{ntlm_challenge, session_setup_response};

const PASSWORD: &str = "LabPass1!";
/// Stands in for our NEGOTIATE_MESSAGE (only the MIC covers it).
const NEGOTIATE: &[u8] = b"NTLMSSP\0\x01\0\0\0";

fn credentials() -> Credentials {
    Credentials::new("LAB\\labuser", Zeroizing::new(PASSWORD.to_owned())).unwrap()
}

/// The first leg's answer, its CHALLENGE's NegotiateFlags or-ed with `extra`.
fn challenge_reply(extra: u32) -> Vec<u8> {
    let mut challenge = ntlm_challenge();
    let flags = u32::from_le_bytes(challenge[20..24].try_into().unwrap()) | extra;
    challenge[20..24].copy_from_slice(&flags.to_le_bytes());
    session_setup_response(1, status::MORE_PROCESSING_REQUIRED, 0, &challenge)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

#[test]
fn authenticate_names_the_user_and_never_carries_the_password() {
    let leg = login_setup_request(
        &challenge_reply(0),
        NEGOTIATE,
        &credentials(),
        SCANNER_NEGOTIATE_FLAGS,
        &[3; 32],
        0,
    )
    .unwrap();
    assert!(contains(&leg.request, b"NTLMSSP\0\x03\0\0\0"));
    assert!(contains(&leg.request, &utf16("labuser")));
    assert!(contains(&leg.request, &utf16("LAB")));
    assert!(!contains(&leg.request, PASSWORD.as_bytes()));
    assert!(!contains(&leg.request, &utf16(PASSWORD)));
    assert!(leg.keys.encrypted.is_empty(), "no KEY_EXCH offered");
}

#[test]
fn key_exchange_sends_a_random_session_key_rc4_encrypted() {
    let offered = SCANNER_NEGOTIATE_FLAGS | flags::KEY_EXCH | flags::SIGN;
    let random = [5; 32];
    let leg = login_setup_request(
        &challenge_reply(flags::KEY_EXCH | flags::SIGN),
        NEGOTIATE,
        &credentials(),
        offered,
        &random,
        0,
    )
    .unwrap();
    assert_eq!(*leg.keys.exported, random[8..24]);
    assert_eq!(leg.keys.encrypted.len(), 16);
    assert_ne!(leg.keys.encrypted, random[8..24]);
    assert!(contains(&leg.request, &leg.keys.encrypted));

    // The server did not set KEY_EXCH: the session key is the SessionBaseKey.
    let plain = login_setup_request(
        &challenge_reply(0),
        NEGOTIATE,
        &credentials(),
        offered,
        &random,
        0,
    )
    .unwrap();
    assert!(plain.keys.encrypted.is_empty());
    assert_ne!(*plain.keys.exported, random[8..24]);
}

#[test]
fn a_refused_first_leg_is_an_error_not_a_request() {
    let refused = session_setup_response(1, status::ACCESS_DENIED, 0, &[]);
    assert!(login_setup_request(&refused, NEGOTIATE, &credentials(), 0, &[0; 32], 0).is_err());
}

#[test]
fn verdicts_logon_failure_guest_and_success() {
    let ok = read_user_setup(Ok(session_setup_response(2, status::SUCCESS, 0, &[])));
    assert_eq!((ok.accepted, ok.guest), (Some(true), false));

    let guest = read_user_setup(Ok(session_setup_response(
        2,
        status::SUCCESS,
        session_flags::IS_GUEST,
        &[],
    )));
    assert_eq!(
        (guest.accepted, guest.guest),
        (Some(false), true),
        "guest is never a credential success"
    );

    let failed = read_user_setup(Ok(session_setup_response(2, status::LOGON_FAILURE, 0, &[])));
    assert_eq!(failed.accepted, Some(false));
    assert_eq!(failed.reason, "logon failure");
    assert!(failed.status.unwrap().contains("0xc000006d"));

    let lost = read_user_setup(Err(ProbeError::HostBudget));
    assert_eq!(lost.accepted, None);
}
