//! The login sub-machine against a scripted server that signs like a real one.

use smbaudit_wire::smb2::{Dialect, command, flags, session_flags, status};
use zeroize::Zeroizing;

use super::*;
use crate::smb::login::login_setup_request;
use crate::smb::signing::{PreauthHash, signer_for};
use crate::smb::test_peer::{ntlm_challenge, session_setup_response, tree_connect_response};

const RANDOM: [u8; 32] = [7; 32];

fn credentials() -> Credentials {
    Credentials::new("labuser", Zeroizing::new("LabPass1!".to_owned())).unwrap()
}

fn challenge_reply() -> Vec<u8> {
    session_setup_response(1, status::MORE_PROCESSING_REQUIRED, 0, &ntlm_challenge())
}

/// The session key the client will settle (the same inputs give the same key).
fn expected_key() -> [u8; 16] {
    let leg = login_setup_request(
        &challenge_reply(),
        &negotiate_message(LOGIN_NEGOTIATE_FLAGS),
        &credentials(),
        LOGIN_NEGOTIATE_FLAGS,
        &RANDOM,
        0,
    );
    *leg.unwrap().keys.exported
}

fn sent(action: LoginAction) -> (Vec<u8>, bool) {
    match action {
        LoginAction::Send {
            msg, new_session, ..
        } => (msg, new_session),
        _ => panic!("expected a request"),
    }
}

fn final_response(signing: Option<&dyn crate::smb::signing::Signer>, flags_: u16) -> Vec<u8> {
    let mut msg = session_setup_response(2, status::SUCCESS, flags_, &[]);
    if let Some(signer) = signing {
        let f = u32::from_le_bytes(msg[16..20].try_into().unwrap()) | flags::SIGNED;
        msg[16..20].copy_from_slice(&f.to_le_bytes());
        signer.sign(&mut msg);
    }
    msg
}

fn login(dialect: Dialect, preauth: Option<PreauthHash>) -> Login {
    Login::new(
        std::sync::Arc::new(credentials()),
        dialect,
        LoginSigning::Sign,
        None,
        preauth,
        "10.214.0.2",
        RANDOM,
        0,
    )
}

#[test]
fn signs_after_a_verified_final_leg_then_connects_ipc() {
    let mut l = login(Dialect::Smb210, None);
    let (neg, new_session) = sent(l.poll_action());
    assert!(new_session, "a new session");
    l.handle_sent(&neg);
    assert_eq!(
        sent(l.poll_action()).0,
        neg,
        "the same request until its reply"
    );
    assert!(l.take_signer().is_none());
    l.handle_reply(Ok(challenge_reply()));
    let (auth, new_session) = sent(l.poll_action());
    assert!(!new_session && auth.windows(8).any(|w| w == b"NTLMSSP\0"));
    l.handle_sent(&auth);
    let server = signer_for(Dialect::Smb210, None, &expected_key(), None);
    l.handle_reply(Ok(final_response(Some(&*server), 0)));
    assert!(
        l.take_signer().is_some(),
        "the signer, before the tree connect"
    );
    assert!(l.take_signer().is_none(), "once");
    let (tree, _) = sent(l.poll_action());
    assert_eq!(
        u16::from_le_bytes([tree[12], tree[13]]),
        command::TREE_CONNECT
    );
    l.handle_reply(Ok(tree_connect_response(3, status::SUCCESS)));
    match l.poll_action() {
        LoginAction::Done(v) => {
            assert_eq!(v.accepted, Some(true), "{}", v.reason);
            assert_eq!(v.ipc.as_deref(), Some("connected"));
        }
        LoginAction::Send { .. } => panic!("expected the verdict"),
    }
    l.handle_reply(Err(ProbeError::HostBudget));
    assert!(
        matches!(l.poll_action(), LoginAction::Done(v) if v.accepted == Some(true)),
        "one attempt: a stray reply changes nothing"
    );
}

#[test]
fn a_final_leg_signed_with_another_key_is_not_trusted() {
    let mut l = login(Dialect::Smb302, None);
    sent(l.poll_action());
    l.handle_reply(Ok(challenge_reply()));
    sent(l.poll_action());
    let wrong = signer_for(Dialect::Smb302, None, &[0x42; 16], None);
    l.handle_reply(Ok(final_response(Some(&*wrong), 0)));
    match l.poll_action() {
        LoginAction::Done(v) => {
            assert_eq!(v.accepted, None);
            assert!(v.reason.contains("signature"), "{}", v.reason);
        }
        LoginAction::Send { .. } => panic!("no tree connect after a bad signature"),
    }
}

#[test]
fn logon_failure_and_guest_end_the_login_without_a_tree_connect() {
    for (reply, reason) in [
        (
            session_setup_response(2, status::LOGON_FAILURE, 0, &[]),
            "logon failure",
        ),
        (final_response(None, session_flags::IS_GUEST), "guest"),
    ] {
        let mut l = login(Dialect::Smb210, None);
        sent(l.poll_action());
        l.handle_reply(Ok(challenge_reply()));
        sent(l.poll_action());
        l.handle_reply(Ok(reply));
        match l.poll_action() {
            LoginAction::Done(v) => {
                assert_eq!(v.accepted, Some(false));
                assert!(v.reason.contains(reason), "{}", v.reason);
            }
            LoginAction::Send { .. } => panic!("{reason}: expected the verdict at once"),
        }
    }
}

/// 3.1.1: the key derives from the preauth hash over the connection's NEGOTIATE hash, the
/// first leg as sent, the CHALLENGE and the AUTHENTICATE as sent (not the final response).
#[test]
fn on_3_1_1_the_preauth_hash_covers_the_legs_as_sent() {
    let mut negotiated = PreauthHash::new();
    negotiated.update(b"negotiate request and response stand-in");
    let mut l = login(Dialect::Smb311, Some(negotiated.clone()));
    let (neg, _) = sent(l.poll_action());
    let mut as_sent = neg.clone();
    as_sent[24] = 5; // the connection stamped another MessageId
    l.handle_sent(&as_sent);
    l.handle_reply(Ok(challenge_reply()));
    let (auth, _) = sent(l.poll_action());
    l.handle_sent(&auth);

    let mut expected = negotiated;
    for msg in [&as_sent, &challenge_reply(), &auth] {
        expected.update(msg);
    }
    let server = signer_for(Dialect::Smb311, None, &expected_key(), Some(&expected));
    l.handle_reply(Ok(final_response(Some(&*server), 0)));
    assert!(l.take_signer().is_some(), "the server's signature verified");
}

#[test]
fn signing_rule_follows_dialect_and_security_mode() {
    use smbaudit_wire::smb2::{SIGNING_ENABLED, SIGNING_REQUIRED};
    assert_eq!(
        LoginSigning::for_server(Dialect::Smb311, SIGNING_ENABLED),
        LoginSigning::Sign
    );
    assert_eq!(
        LoginSigning::for_server(Dialect::Smb210, SIGNING_REQUIRED),
        LoginSigning::Sign
    );
    assert_eq!(
        LoginSigning::for_server(Dialect::Smb300, SIGNING_ENABLED),
        LoginSigning::Unsigned
    );
}
