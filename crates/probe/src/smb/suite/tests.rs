//! The suite driven by scripted peers: which requests go on which connection, and what the
//! answers (or their absence) become. No sockets.

use smbaudit_wire::smb2::{Dialect, command, status};

use super::*;
use crate::smb::smb2::ClientNonce;
use crate::smb::test_peer::{error_response, negotiate_response, smb1_negotiate_response};

const ENV: SuiteEnv = SuiteEnv {
    nonce: || ClientNonce {
        guid: [1; 16],
        salt: [2; 32],
    },
    unix_nanos: || 1_704_067_200_000_000_000,
};

/// One step of a scripted server: the answer to a reconnect or to an exchange.
#[derive(Debug)]
enum Peer {
    Connect(Result<(), ProbeError>),
    Reply(Result<Vec<u8>, ProbeError>),
}

/// Runs `suite` against `script` and returns what it asked for, in order.
fn drive(suite: &mut Suite, script: Vec<Peer>) -> Vec<&'static str> {
    let mut asked = Vec::new();
    let mut script = script.into_iter();
    for _ in 0..32 {
        let action = suite.poll_action();
        let step = script.next();
        match (action, step) {
            (Action::Done, None) => return asked,
            (Action::Exchange { waiting_for, .. }, Some(Peer::Reply(reply))) => {
                asked.push(waiting_for);
                suite.handle_reply(reply);
            }
            (Action::Reconnect, Some(Peer::Connect(result))) => {
                asked.push("reconnect");
                suite.handle_connected(result);
            }
            (action, step) => panic!("suite wanted {action:?}, script had {step:?}"),
        }
    }
    panic!("the suite did not finish in 32 steps");
}

fn closed(waiting_for: &'static str) -> ProbeError {
    ProbeError::Closed { waiting_for }
}

fn suite(scope: Scope) -> Suite {
    Suite::new(445, "10.0.0.7".into(), ENV, scope, SmbFacts::default())
}

#[test]
fn probes_a_smb2_host_down_to_its_floor() {
    let mut suite = suite(Scope::Full);
    let not_supported = |mid| error_response(command::NEGOTIATE, mid, status::NOT_SUPPORTED);
    let asked = drive(
        &mut suite,
        vec![
            Peer::Reply(Ok(negotiate_response(0, 0x0302))),
            Peer::Reply(Err(closed("SESSION_SETUP response"))),
            Peer::Connect(Ok(())),
            Peer::Reply(Err(closed("SMB1 NEGOTIATE response"))),
            Peer::Connect(Ok(())),
            Peer::Reply(Ok(not_supported(0))),
            Peer::Connect(Ok(())),
            Peer::Reply(Ok(negotiate_response(0, 0x0210))),
        ],
    );
    assert_eq!(
        asked,
        [
            "NEGOTIATE response",
            "SESSION_SETUP response",
            "reconnect",
            "SMB1 NEGOTIATE response",
            "reconnect",
            "NEGOTIATE response",
            "reconnect",
            "NEGOTIATE response",
        ]
    );
    let (facts, errors) = suite.finish();
    assert_eq!(facts.port, Some(445));
    assert_eq!(facts.dialects, ["2.1", "3.0", "3.0.2"]);
    assert!(facts.dialects_complete);
    assert_eq!(
        facts.smb1,
        Some(false),
        "a refused SMB1-only NEGOTIATE on an SMB2 port"
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, Phase::Smb2SessionSetup);
}

#[test]
fn a_silent_host_gets_errors_not_verdicts() {
    let mut suite = suite(Scope::Full);
    let timeout = |waiting_for| ProbeError::Timeout {
        waiting_for,
        after: std::time::Duration::from_secs(2),
    };
    let asked = drive(
        &mut suite,
        vec![
            Peer::Reply(Err(timeout("NEGOTIATE response"))),
            Peer::Connect(Err(timeout("TCP handshake"))),
        ],
    );
    assert_eq!(asked, ["NEGOTIATE response", "reconnect"]);
    let (facts, errors) = suite.finish();
    assert_eq!(facts.smb1, None, "silence is never a no");
    assert!(facts.dialects.is_empty());
    let phases: Vec<Phase> = errors.iter().map(|(p, _)| *p).collect();
    assert_eq!(phases, [Phase::Smb2Negotiate, Phase::Smb1Negotiate]);
    assert!(
        errors[0].1.contains("timeout: no NEGOTIATE response"),
        "{errors:?}"
    );
}

#[test]
fn a_floor_probe_without_a_verdict_leaves_the_set_incomplete() {
    let mut suite = suite(Scope::Full);
    drive(
        &mut suite,
        vec![
            Peer::Reply(Ok(negotiate_response(0, 0x0210))),
            Peer::Reply(Err(closed("SESSION_SETUP response"))),
            Peer::Connect(Err(closed("TCP handshake"))),
            Peer::Connect(Ok(())),
            Peer::Reply(Ok(b"garbage".to_vec())),
        ],
    );
    let (facts, errors) = suite.finish();
    assert_eq!(facts.dialects, ["2.1"]);
    assert!(!facts.dialects_complete, "garbage is not a refusal");
    let last = errors.last().expect("the floor probe's error");
    assert_eq!(last.0, Phase::DialectProbe);
    assert!(last.1.starts_with("2.0.2: "), "{last:?}");
}

#[test]
fn negotiate_only_sends_one_request_and_keeps_the_other_port() {
    let facts = SmbFacts {
        port: Some(445),
        ..SmbFacts::default()
    };
    let mut suite = Suite::new(139, "10.0.0.7".into(), ENV, Scope::NegotiateOnly, facts);
    let asked = drive(
        &mut suite,
        vec![Peer::Reply(Ok(negotiate_response(0, 0x0311)))],
    );
    assert_eq!(asked, ["NEGOTIATE response"]);
    let (facts, _) = suite.finish();
    assert_eq!(facts.port, Some(445), "445's facts stay the host's");
    assert!(facts.by_port.contains_key("139/tcp"));
}

#[test]
fn hostile_answers_at_every_step_end_the_suite() {
    let garbage: [&[u8]; 4] = [b"", b"\xfeSMB", b"\xffSMB\x72\0\0\0\0", &[0xFE; 200]];
    for bytes in garbage {
        let mut suite = suite(Scope::Full);
        let mut steps = 0;
        loop {
            steps += 1;
            assert!(steps < 32, "the suite loops on {bytes:02x?}");
            match suite.poll_action() {
                Action::Exchange { .. } => suite.handle_reply(Ok(bytes.to_vec())),
                Action::Reconnect => suite.handle_connected(Ok(())),
                Action::Done => break,
            }
        }
        let (facts, errors) = suite.finish();
        assert!(
            facts.dialects.is_empty() && facts.smb1.is_none(),
            "{bytes:02x?}"
        );
        assert!(!errors.is_empty(), "garbage is reported: {bytes:02x?}");
    }
}

#[test]
fn every_negotiate_offers_what_it_judges_by() {
    let suite = suite(Scope::Full);
    let Action::Exchange { request, .. } = suite.poll_action() else {
        panic!("connection A starts with a NEGOTIATE");
    };
    let offered = u16::from_le_bytes([request[66], request[67]]);
    assert_eq!(usize::from(offered), Dialect::ALL.len(), "DialectCount");
}

#[test]
fn an_smb1_only_host_is_judged_as_one_not_as_broken() {
    let mut suite = suite(Scope::Full);
    let asked = drive(
        &mut suite,
        vec![
            Peer::Reply(Err(closed("NEGOTIATE response"))),
            Peer::Connect(Ok(())),
            Peer::Reply(Ok(smb1_negotiate_response())),
            Peer::Reply(Err(closed("SESSION_SETUP_ANDX response"))),
        ],
    );
    assert_eq!(
        asked,
        [
            "NEGOTIATE response",
            "reconnect",
            "SMB1 NEGOTIATE response",
            "SESSION_SETUP_ANDX response"
        ]
    );
    let (facts, errors) = suite.finish();
    assert_eq!(facts.smb1, Some(true));
    assert_eq!(facts.max_dialect.as_deref(), Some("NT LM 0.12"));
    assert!(
        facts.dialects.is_empty() && facts.dialects_complete,
        "no SMB2 dialect, known"
    );
    let port = &facts.by_port["445/tcp"];
    assert_eq!(
        (port.max_dialect.as_deref(), &port.error),
        (Some("NT LM 0.12"), &None)
    );
    assert!(
        facts.clock_skew_secs.is_some(),
        "the SMB1 clock gives the skew"
    );
    let phases: Vec<Phase> = errors.iter().map(|(p, _)| *p).collect();
    assert_eq!(
        phases,
        [Phase::Smb1SessionSetup],
        "the closed SMB2 NEGOTIATE is no error"
    );
}

#[test]
fn a_refused_smb2_negotiate_stays_an_error_when_smb1_is_off_too() {
    let mut suite = suite(Scope::Full);
    drive(
        &mut suite,
        vec![
            Peer::Reply(Err(closed("NEGOTIATE response"))),
            Peer::Connect(Ok(())),
            Peer::Reply(Err(closed("SMB1 NEGOTIATE response"))),
        ],
    );
    let (facts, errors) = suite.finish();
    assert_eq!(facts.max_dialect, None);
    let phases: Vec<Phase> = errors.iter().map(|(p, _)| *p).collect();
    assert_eq!(
        phases,
        [Phase::Smb2Negotiate, Phase::Smb1Negotiate],
        "in the order they happened"
    );
}

#[test]
fn an_smb1_only_hosts_other_port_gets_the_smb1_negotiate() {
    let facts = SmbFacts {
        port: Some(445),
        max_dialect: Some("NT LM 0.12".to_owned()),
        ..SmbFacts::default()
    };
    let mut suite = Suite::new(139, "10.0.0.7".into(), ENV, Scope::NegotiateOnly, facts);
    let asked = drive(&mut suite, vec![Peer::Reply(Ok(smb1_negotiate_response()))]);
    assert_eq!(asked, ["SMB1 NEGOTIATE response"]);
    let (facts, errors) = suite.finish();
    assert_eq!(
        facts.by_port["139/tcp"].max_dialect.as_deref(),
        Some("NT LM 0.12")
    );
    assert!(errors.is_empty(), "{errors:?}");
}

/// The anonymous session on connection A: granted and IPC$ connected is a null session;
/// granted but IPC$ refused is not; mapped to guest is not, and IPC$ is not tried. Then the
/// guest attempt on a second session of the same connection.
#[test]
fn null_session_is_a_granted_anonymous_session_that_reaches_ipc() {
    use crate::smb::test_peer::{ntlm_challenge, session_setup_response, tree_connect_response};
    use smbaudit_wire::smb2::session_flags;
    let run = |setup_flags: u16, ipc: Option<u32>| {
        let mut suite = suite(Scope::Full).with_null_session(true);
        let mut script = vec![
            Peer::Reply(Ok(negotiate_response(0, 0x0202))),
            Peer::Reply(Ok(session_setup_response(
                1,
                status::MORE_PROCESSING_REQUIRED,
                0,
                &ntlm_challenge(),
            ))),
            Peer::Reply(Ok(session_setup_response(
                2,
                status::SUCCESS,
                setup_flags,
                &[],
            ))),
        ];
        if let Some(ipc) = ipc {
            script.push(Peer::Reply(Ok(tree_connect_response(3, ipc))));
            if ipc == 0 {
                // A share name no server has: refused, as a sane server does.
                script.push(Peer::Reply(Ok(tree_connect_response(
                    4,
                    status::BAD_NETWORK_NAME,
                ))));
            }
        }
        // The guest attempt: a new session's challenge, then a logon failure.
        script.extend([
            Peer::Reply(Ok(session_setup_response(
                4,
                status::MORE_PROCESSING_REQUIRED,
                0,
                &ntlm_challenge(),
            ))),
            Peer::Reply(Ok(error_response(
                command::SESSION_SETUP,
                5,
                status::LOGON_FAILURE,
            ))),
            Peer::Connect(Ok(())),
            Peer::Reply(Err(closed("SMB1 NEGOTIATE response"))),
        ]);
        let asked = drive(&mut suite, script);
        let facts = suite.finish().0;
        if ipc == Some(0) {
            let any = facts.any_share_name.clone().unwrap();
            assert_eq!(any.accepts_any, Some(false), "{any:?}");
            assert!(any.name.starts_with("smbaudit-"));
        }
        let guest = facts.guest_session.unwrap();
        assert_eq!(
            (guest.accepted, guest.guest),
            (Some(false), false),
            "{guest:?}"
        );
        (asked, facts.null_session.unwrap())
    };
    let (asked, granted) = run(0, Some(0));
    assert_eq!(
        asked[..7],
        [
            "NEGOTIATE response",
            "SESSION_SETUP response",
            "anonymous SESSION_SETUP response",
            "IPC$ TREE_CONNECT response",
            "random-share TREE_CONNECT response",
            "guest SESSION_SETUP response",
            "guest SESSION_SETUP response",
        ]
    );
    assert_eq!(
        (granted.accepted, granted.ipc.as_deref()),
        (Some(true), Some("connected"))
    );
    let (_, restricted) = run(0, Some(status::ACCESS_DENIED));
    assert_eq!(restricted.accepted, Some(false), "{restricted:?}");
    assert!(restricted.reason.contains("STATUS_ACCESS_DENIED"));
    let (asked, guest) = run(session_flags::IS_GUEST, None);
    assert!(!asked.contains(&"IPC$ TREE_CONNECT response"));
    assert_eq!((guest.accepted, guest.guest), (Some(false), true));
}

/// The MS17-010 check on connection B, answered by Windows 7 SP1's own replies to
/// WannaCry (frames 4, 6 and 8 of the eternalsafety wannacry-subset capture in
/// crates/wire/tests/data): null session, IPC$, then STATUS_INSUFF_SERVER_RESOURCES.
#[test]
fn ms17_010_on_the_real_unpatched_answers_is_vulnerable() {
    fn unhex(s: &str) -> Vec<u8> {
        crate::unhex(s).expect("hex fixture")
    }
    let setup = unhex(
        "ff534d42730000000098012000000000000000000000000000002f4b0008c55e03ff00760000004d00\
         57696e646f7773203720456e746572707269736520373630312053657276696365205061636b2031\
         0057696e646f7773203720456e746572707269736520362e310054455354444f4d41494e00",
    );
    let tree = unhex(
        "ff534d42750000000098012000000000000000000000000000082f4b0008c55e03ff002e00010005004950430000",
    );
    let peek = unhex("ff534d4225050200c0980168000000000000000000000000000800080008c55e000000");
    let mut suite = suite(Scope::Full).with_null_session(true);
    let asked = drive(
        &mut suite,
        vec![
            Peer::Reply(Ok(negotiate_response(0, 0x0202))),
            Peer::Reply(Err(closed("SESSION_SETUP response"))),
            Peer::Connect(Ok(())),
            Peer::Reply(Ok(smb1_negotiate_response())),
            Peer::Reply(Ok(setup)),
            Peer::Reply(Ok(tree)),
            Peer::Reply(Ok(peek)),
            // Frame 58: an implanted host's answer to the DoublePulsar ping.
            Peer::Reply(Ok(unhex(
                "ff534d4232020000c09807c000003a10e0360100000000000008fffe00085100000000",
            ))),
        ],
    );
    assert_eq!(
        asked[3..],
        [
            "SMB1 NEGOTIATE response",
            "SESSION_SETUP_ANDX response",
            "TREE_CONNECT_ANDX response",
            "TRANSACTION response",
            "TRANSACTION2 response"
        ]
    );
    let facts = suite.finish().0;
    let pulsar = facts.doublepulsar.clone().unwrap();
    assert_eq!(
        (pulsar.present, pulsar.arch.as_deref()),
        (Some(true), Some("x64"))
    );
    let verdict = facts.ms17_010.unwrap();
    assert_eq!(verdict.vulnerable, Some(true), "{verdict:?}");
    assert_eq!(facts.smb1, Some(true));
    assert_eq!(
        facts.native_os.as_deref(),
        Some("Windows 7 Enterprise 7601 Service Pack 1")
    );
}

/// An SMB1-only host (it closes the SMB2 NEGOTIATE): after MS17-010 on connection B, the
/// share walk runs on the same null session and IPC$ tree, answered here by Samba 4.17's
/// real SMB1 replies (crates/wire/tests/data/smb1-samba417-share-walk-replies.txt).
#[test]
fn an_smb1_only_host_gets_its_shares_walked_on_connection_b() {
    fn unhex(s: &str) -> Vec<u8> {
        crate::unhex(s).expect("hex fixture")
    }
    let replies = include_str!("../../../../wire/tests/data/smb1-samba417-share-walk-replies.txt");
    let walk: Vec<Peer> = replies
        .lines()
        .filter(|l| l.starts_with("walk "))
        .map(|l| Peer::Reply(Ok(unhex(l.split(' ').nth(2).unwrap()))))
        .collect();
    let setup = unhex(
        "ff534d42730000000098012000000000000000000000000000002f4b0008c55e03ff00760000004d00\
         57696e646f7773203720456e746572707269736520373630312053657276696365205061636b2031\
         0057696e646f7773203720456e746572707269736520362e310054455354444f4d41494e00",
    );
    let tree = unhex(
        "ff534d42750000000098012000000000000000000000000000082f4b0008c55e03ff002e00010005004950430000",
    );
    let script = |walked: bool| {
        let mut script = vec![
            Peer::Reply(Err(closed("NEGOTIATE response"))),
            Peer::Connect(Ok(())),
            Peer::Reply(Ok(smb1_negotiate_response())),
            Peer::Reply(Ok(setup.clone())),
            Peer::Reply(Ok(tree.clone())),
            // Samba's PeekNamedPipe answer (frame 23 of the walk capture).
            Peer::Reply(Ok(unhex(
                "ff534d4225080000c0880348000000000000000000000000151dfffe0f530400000000",
            ))),
            Peer::Reply(Err(closed("TRANSACTION2 response"))),
        ];
        if walked {
            script.extend(walk.iter().map(|p| match p {
                Peer::Reply(Ok(m)) => Peer::Reply(Ok(m.clone())),
                _ => unreachable!(),
            }));
        }
        script
    };
    let mut with_shares = suite(Scope::Full)
        .with_null_session(true)
        .with_shares(true, false);
    let asked = drive(&mut with_shares, script(true));
    assert_eq!(asked[7], "random-share TREE_CONNECT_ANDX response");
    assert_eq!(asked.len(), 7 + 14);
    let (facts, _) = with_shares.finish();
    assert_eq!(facts.smb1, Some(true));
    assert_eq!(facts.ms17_010.unwrap().vulnerable, Some(false));
    let null = facts.null_session.unwrap();
    assert_eq!((null.accepted, null.guest), (Some(true), false), "{null:?}");
    assert_eq!(null.ipc.as_deref(), Some("connected"));
    assert_eq!(facts.any_share_name.unwrap().accepts_any, Some(false));
    let listing = facts.shares.unwrap();
    assert_eq!(listing.listed, Some(true), "{}", listing.reason);
    assert_eq!(listing.listed_by, Some(Identity::Anonymous));
    assert_eq!(listing.shares.len(), 4);

    // Without shares asked for, connection B ends after MS17-010 as before.
    let mut without = suite(Scope::Full).with_null_session(true);
    assert_eq!(drive(&mut without, script(false)).len(), 7);
    assert!(without.finish().0.shares.is_none());
}
