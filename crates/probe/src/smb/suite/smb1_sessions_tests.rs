//! An SMB1-only host's three identities on connection B against a scripted server: the null
//! session, the guest attempt and the login each on its own UID, and the login signing the
//! rest of the connection when the server requires SMB1 signing.

use smbaudit_wire::ntlm::flags;
use smbaudit_wire::smb1::{Header, command};
use smbaudit_wire::smb2::status;
use zeroize::Zeroizing;

use super::*;
use crate::smb::smb2::ClientNonce;

/// The key the login settles: KEY_EXCH sends `random[8..24]` of the salt below.
const SESSION_KEY: [u8; 16] = [2; 16];

const ENV: SuiteEnv = SuiteEnv {
    nonce: || ClientNonce {
        guid: [1; 16],
        salt: [2; 32],
    },
    unix_nanos: || 1_704_067_200_000_000_000,
};

fn unhex(s: &str) -> Vec<u8> {
    crate::unhex(s).expect("hex fixture")
}

fn smb1(command: u8, status: u32, uid: u16) -> Vec<u8> {
    let mut m = Vec::new();
    Header {
        command,
        status,
        flags: 0x98,
        flags2: 0xc803,
        uid,
        ..Header::default()
    }
    .encode(&mut m);
    m
}

/// An extended-security NEGOTIATE response; SecurityMode 0x0F (signing required).
fn negotiate() -> Vec<u8> {
    let mut out = smb1(command::NEGOTIATE, 0, 0);
    out.push(17);
    out.extend_from_slice(&0u16.to_le_bytes()); // DialectIndex
    out.push(0x0F); // SecurityMode: user, encrypt, signing enabled and required
    out.extend_from_slice(&50u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&16644u32.to_le_bytes());
    out.extend_from_slice(&65536u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&0x8000_F3FDu32.to_le_bytes()); // EXTENDED_SECURITY among them
    out.extend_from_slice(&0x01D3_BACF_0000_0000u64.to_le_bytes());
    out.extend_from_slice(&0i16.to_le_bytes());
    out.push(0);
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(&[0x5a; 16]); // ServerGUID, no blob
    out
}

/// A SESSION_SETUP_ANDX response on `uid` (WordCount 4, empty strings).
fn setup(status: u32, uid: u16, action: u16, blob: &[u8]) -> Vec<u8> {
    let mut m = smb1(command::SESSION_SETUP_ANDX, status, uid);
    m.push(4);
    m.extend_from_slice(&[0xff, 0, 0, 0]);
    m.extend_from_slice(&action.to_le_bytes());
    m.extend_from_slice(&u16::try_from(blob.len()).unwrap().to_le_bytes());
    m.extend_from_slice(&u16::try_from(blob.len() + 7).unwrap().to_le_bytes());
    m.extend_from_slice(blob);
    m.push(0);
    m.extend_from_slice(&[0; 6]);
    m
}

/// The CHALLENGE leg's answer on `uid`, with KEY_EXCH and SIGN.
fn challenged(uid: u16) -> Vec<u8> {
    let mut challenge = crate::smb::test_peer::ntlm_challenge();
    let f =
        u32::from_le_bytes(challenge[20..24].try_into().unwrap()) | flags::KEY_EXCH | flags::SIGN;
    challenge[20..24].copy_from_slice(&f.to_le_bytes());
    let blob = smbaudit_wire::spnego::ntlm_resp_token(&challenge);
    setup(status::MORE_PROCESSING_REQUIRED, uid, 0, &blob)
}

/// Samba's TREE_CONNECT_ANDX answer to IPC$ (Win7-shaped, TID 8).
fn tree() -> Vec<u8> {
    unhex(
        "ff534d42750000000098012000000000000000000000000000082f4b0008c55e03ff002e00010005004950430000",
    )
}

fn signed(mut msg: Vec<u8>, seq: u32) -> Vec<u8> {
    crate::smb::signing::Smb1Signer::new(&SESSION_KEY).sign(&mut msg, seq);
    msg
}

/// Runs a full suite with the null session and labuser against `replies` (after the
/// refused SMB2 NEGOTIATE and the reconnect); returns the requests sent on connection B.
fn run(replies: Vec<Vec<u8>>) -> (Vec<Vec<u8>>, SmbFacts) {
    let credentials =
        crate::smb::credentials::Credentials::new("labuser", Zeroizing::new("LabPass1!".into()))
            .unwrap();
    let mut suite = Suite::new(
        445,
        "10.0.0.1".into(),
        ENV,
        Scope::Full,
        SmbFacts::default(),
    )
    .with_null_session(true)
    .with_credentials(Some(std::sync::Arc::new(credentials)));
    suite.handle_reply(Err(ProbeError::Closed {
        waiting_for: "NEGOTIATE response",
    }));
    assert_eq!(suite.poll_action(), Action::Reconnect);
    suite.handle_connected(Ok(()));
    let mut sent = Vec::new();
    for reply in replies {
        let Action::Exchange { request, .. } = suite.poll_action() else {
            panic!("more replies than requests");
        };
        sent.push(request);
        suite.handle_reply(Ok(reply));
    }
    assert_eq!(suite.poll_action(), Action::Done);
    (sent, suite.finish().0)
}

fn uid(msg: &[u8]) -> u16 {
    Header::decode(msg).unwrap().0.uid
}

/// Connection B's answers up to the login's final leg (exclusive).
fn until_login() -> Vec<Vec<u8>> {
    vec![
        negotiate(),
        challenged(0x0801),
        setup(status::SUCCESS, 0x0801, 0, &[]),
        tree(),
        // Samba's PeekNamedPipe answer, then a clean DoublePulsar answer (MID 65).
        unhex("ff534d4225080000c0880348000000000000000000000000151dfffe0f530400000000"),
        unhex("ff534d4232020000c09807c00000000000000000000000000008fffe00084100000000"),
        challenged(0x0802),
        setup(status::SUCCESS, 0x0802, 1, &[]),
        tree(),
        challenged(0x0803),
    ]
}

#[test]
fn guest_and_user_get_their_own_uids_and_the_login_signs() {
    let mut replies = until_login();
    replies.push(signed(setup(status::SUCCESS, 0x0803, 0, &[]), 1));
    replies.push(signed(tree(), 3));
    let (sent, facts) = run(replies);
    // NEGOTIATE, null legs (0, 0x0801), IPC$, Peek, DoublePulsar, guest legs, guest IPC$,
    // user legs, user IPC$.
    let uids: Vec<u16> = sent.iter().skip(1).map(|m| uid(m)).collect();
    assert_eq!(
        uids,
        [
            0, 0x0801, 0x0801, 0x0801, 0x0801, 0, 0x0802, 0x0802, 0, 0x0803, 0x0803
        ]
    );
    let signer = crate::smb::signing::Smb1Signer::new(&SESSION_KEY);
    assert!(
        signer.verify(&sent[11], 2),
        "the first request after the login is number 2"
    );
    assert!(
        !signer.verify(&sent[10], 0),
        "the final leg itself goes unsigned"
    );
    let guest = facts.guest_session.unwrap();
    assert_eq!(
        (guest.accepted, guest.guest),
        (Some(true), true),
        "{guest:?}"
    );
    assert_eq!(guest.ipc.as_deref(), Some("connected"));
    let user = facts.user_session.unwrap();
    assert_eq!((user.accepted, user.guest), (Some(true), false), "{user:?}");
    assert!(user.reason.contains("SMB1 signing on"), "{}", user.reason);
    assert_eq!(user.ipc.as_deref(), Some("connected"));
}

#[test]
fn a_bad_signature_is_no_success() {
    // The final leg signed under another key: the session is not trusted.
    let mut replies = until_login();
    let mut forged = setup(status::SUCCESS, 0x0803, 0, &[]);
    crate::smb::signing::Smb1Signer::new(&[9; 16]).sign(&mut forged, 1);
    replies.push(forged);
    let (_, facts) = run(replies);
    let user = facts.user_session.unwrap();
    assert_eq!(user.accepted, None, "{user:?}");
    assert!(user.reason.contains("signature"), "{}", user.reason);

    // A good final leg, then an unsigned IPC$ answer: unknown, with why.
    let mut replies = until_login();
    replies.push(signed(setup(status::SUCCESS, 0x0803, 0, &[]), 1));
    replies.push(tree());
    let (_, facts) = run(replies);
    let user = facts.user_session.unwrap();
    assert_eq!(user.accepted, None, "{user:?}");
    assert!(
        user.reason.contains("signature does not verify"),
        "{}",
        user.reason
    );

    // A wrong password: a logon failure, and nothing is signed.
    let mut replies = until_login();
    replies.push(setup(status::LOGON_FAILURE, 0x0803, 0, &[]));
    let (sent, facts) = run(replies);
    assert_eq!(facts.user_session.unwrap().reason, "logon failure");
    assert_eq!(sent.len(), 11, "no IPC$ after a refused login");
}
