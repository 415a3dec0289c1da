//! The login's AUTHENTICATE with a MIC, checked against impacket computing the same values
//! on the same inputs (tests/data/ntlm_mic_impacket.py and its output).

use smbaudit_wire::ntlm::{MIC_RANGE, negotiate_message};
use zeroize::Zeroizing;

use super::*;
use crate::smb::login_flow::LOGIN_NEGOTIATE_FLAGS;

const DATA: &str = include_str!("../../tests/data/ntlm-mic-impacket.txt");
const RANDOM: [u8; 32] = [0x11; 32];

fn value(key: &str) -> Vec<u8> {
    let line = DATA
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(" = "))
        .unwrap_or_else(|| panic!("{key} in the data file"));
    crate::unhex(line).expect("hex")
}

fn credentials() -> Credentials {
    Credentials::new("LAB\\labuser", Zeroizing::new("LabPass1!".to_owned())).unwrap()
}

/// The AUTHENTICATE answering the data file's CHALLENGE (which carries MsvAvTimestamp).
fn leg() -> AuthenticateLeg {
    let negotiate = negotiate_message(LOGIN_NEGOTIATE_FLAGS);
    let challenge = value("challenge");
    let exchanged = Exchanged {
        negotiate: &negotiate,
        challenge: &challenge,
    };
    login_authenticate(exchanged, &credentials(), LOGIN_NEGOTIATE_FLAGS, &RANDOM, 0).unwrap()
}

/// The `at` field (len, max, offset) of an AUTHENTICATE.
fn field(msg: &[u8], at: usize) -> &[u8] {
    let len = usize::from(u16::from_le_bytes([msg[at], msg[at + 1]]));
    let off = u32::from_le_bytes(msg[at + 4..at + 8].try_into().unwrap()) as usize;
    &msg[off..off + len]
}

#[test]
fn mic_and_mech_list_mic_match_impacket() {
    assert_eq!(negotiate_message(LOGIN_NEGOTIATE_FLAGS), value("negotiate"));
    let leg = leg();
    let mut zeroed = leg.message.clone();
    zeroed[MIC_RANGE].fill(0);
    assert_eq!(
        zeroed,
        value("authenticate_zeroed_mic"),
        "same inputs, same message"
    );
    assert_eq!(field(&leg.message, 20)[..16], value("impacket_ntproofstr"));
    assert_eq!(
        *leg.keys.exported,
        value("impacket_exported_session_key")[..]
    );
    assert_eq!(leg.message[MIC_RANGE], value("impacket_mic"));
    assert_eq!(
        leg.mech_list_mic.unwrap()[..],
        value("impacket_mech_list_mic")
    );
}

#[test]
fn a_timestamped_challenge_gets_the_mic_rules_of_3_1_5_1_2() {
    let leg = leg();
    assert_eq!(
        field(&leg.message, 12),
        [0; 24],
        "LmChallengeResponse Z(24)"
    );
    let nt = field(&leg.message, 20);
    // The blob's time is the server's MsvAvTimestamp, and its AV pairs carry MsvAvFlags 2.
    assert_eq!(nt[24..32], 133_485_408_000_000_000u64.to_le_bytes());
    assert!(nt.windows(8).any(|w| w == [6, 0, 4, 0, 2, 0, 0, 0]));
    let token = leg.spnego_token();
    let resp = smbaudit_wire::spnego::decode_resp(&token).unwrap();
    assert_eq!(
        resp.mech_list_mic.as_deref(),
        leg.mech_list_mic.as_ref().map(|m| &m[..])
    );
}

#[test]
fn without_a_timestamp_there_is_no_mic() {
    let challenge = crate::smb::test_peer::ntlm_challenge();
    let negotiate = negotiate_message(LOGIN_NEGOTIATE_FLAGS);
    let info = smbaudit_wire::ntlm::Challenge::decode(&challenge).unwrap();
    assert!(
        info.target_info.timestamp().is_none(),
        "the fixture has none"
    );
    let exchanged = Exchanged {
        negotiate: &negotiate,
        challenge: &challenge,
    };
    let leg =
        login_authenticate(exchanged, &credentials(), LOGIN_NEGOTIATE_FLAGS, &RANDOM, 0).unwrap();
    assert!(leg.mech_list_mic.is_none());
    assert_eq!(
        u32::from_le_bytes(leg.message[16..20].try_into().unwrap()),
        72
    );
}

#[test]
#[ignore = "prints the inputs of tests/data/ntlm_mic_impacket.py answers"]
fn print_inputs() {
    let leg = leg();
    let mut zeroed = leg.message.clone();
    zeroed[MIC_RANGE].fill(0);
    println!(
        "negotiate = {}",
        crate::hex(&negotiate_message(LOGIN_NEGOTIATE_FLAGS))
    );
    println!("challenge = {}", crate::hex(&value("challenge")));
    println!("authenticate_zeroed_mic = {}", crate::hex(&zeroed));
}
