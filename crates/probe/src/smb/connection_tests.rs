//! The connection driven by a scripted peer and a fake clock: no sockets.

use std::time::{Duration, Instant};

use smbaudit_wire::Encode;
use smbaudit_wire::nbss::{SessionPacket, Transport};
use smbaudit_wire::smb2::{Header, SessionSetupRequest, command, flags, status};

use super::*;
use crate::smb::test_peer::{error_response, framed, header, negotiate_response};

const REPLY: Duration = Duration::from_secs(2);

fn connection(transport: Transport, t0: Instant) -> Connection {
    let limits = Limits {
        reply: REPLY,
        deadline: t0 + Duration::from_secs(10),
    };
    Connection::new(transport, limits)
}

/// A request with MessageId 99 and SessionId 7: the connection must overwrite both.
fn request() -> Vec<u8> {
    SessionSetupRequest {
        message_id: 99,
        session_id: 7,
        security_blob: b"blob",
    }
    .to_vec()
}

/// Sends one request and returns the header the connection put on the wire.
fn send(conn: &mut Connection, now: Instant) -> Header {
    conn.send_message(&request(), "SESSION_SETUP response", now);
    let bytes = conn.poll_transmit().expect("a frame to send");
    assert!(conn.poll_transmit().is_none(), "one frame per request");
    conn.handle_written(now);
    let (header, _) = Header::decode(&bytes[4..]).expect("an SMB2 request");
    header
}

fn reply(conn: &mut Connection) -> Result<Received, ProbeError> {
    conn.poll_event().expect("an answer")
}

#[test]
fn answers_a_valid_reply_and_numbers_requests() {
    let t0 = Instant::now();
    let mut conn = connection(Transport::Direct, t0);
    assert_eq!(send(&mut conn, t0).message_id, 0);
    let answer = negotiate_response(0, 0x0302);
    conn.handle_bytes(&framed(Transport::Direct, &answer));
    assert_eq!(reply(&mut conn), Ok(Received::Message(answer)));
    assert!(conn.poll_event().is_none(), "an answer comes out once");
    assert!(
        conn.poll_timeout().is_none(),
        "nothing awaited after the answer"
    );
    let second = send(&mut conn, t0);
    assert_eq!((second.message_id, second.session_id), (1, 0));
}

#[test]
fn reassembles_a_reply_split_into_single_bytes() {
    let t0 = Instant::now();
    let mut conn = connection(Transport::Nbss, t0);
    send(&mut conn, t0);
    let bytes = framed(Transport::Nbss, &negotiate_response(0, 0x0210));
    let (last, head) = bytes.split_last().unwrap();
    for b in head {
        conn.handle_bytes(std::slice::from_ref(b));
        assert!(
            conn.poll_event().is_none(),
            "no answer before the last byte"
        );
    }
    conn.handle_bytes(std::slice::from_ref(last));
    assert!(matches!(reply(&mut conn), Ok(Received::Message(_))));
}

#[test]
fn keeps_a_merged_second_reply_for_the_next_request() {
    let t0 = Instant::now();
    let mut conn = connection(Transport::Nbss, t0);
    send(&mut conn, t0);
    let mut setup = header(
        command::SESSION_SETUP,
        status::MORE_PROCESSING_REQUIRED,
        1,
        1,
    );
    setup[40..48].copy_from_slice(&0x1234u64.to_le_bytes());
    let mut merged = vec![0x85, 0, 0, 0]; // a keep-alive first
    merged.extend(framed(Transport::Nbss, &negotiate_response(0, 0x0302)));
    merged.extend(framed(Transport::Nbss, &setup));
    conn.handle_bytes(&merged);
    assert!(matches!(reply(&mut conn), Ok(Received::Message(_))));
    let second = send(&mut conn, t0);
    assert_eq!(second.message_id, 1);
    assert_eq!(reply(&mut conn), Ok(Received::Message(setup)));
    assert_eq!(
        conn.smb2_ids().session_id,
        0x1234,
        "the server's SessionId is kept"
    );
    assert_eq!(send(&mut conn, t0).session_id, 0x1234, "and sent on");
}

#[test]
fn skips_interim_status_pending_answers() {
    let t0 = Instant::now();
    let mut conn = connection(Transport::Direct, t0);
    send(&mut conn, t0);
    let mut interim = header(command::SESSION_SETUP, status::PENDING, 0, 0);
    interim[16..20].copy_from_slice(&(flags::SERVER_TO_REDIR | flags::ASYNC_COMMAND).to_le_bytes());
    conn.handle_bytes(&framed(Transport::Direct, &interim));
    assert!(
        conn.poll_event().is_none(),
        "an interim answer is not the answer"
    );
    let last = error_response(command::SESSION_SETUP, 0, status::ACCESS_DENIED);
    conn.handle_bytes(&framed(Transport::Direct, &last));
    assert_eq!(reply(&mut conn), Ok(Received::Message(last)));

    send(&mut conn, t0);
    interim[24..32].copy_from_slice(&1u64.to_le_bytes());
    for _ in 0..=MAX_INTERIM {
        conn.handle_bytes(&framed(Transport::Direct, &interim));
    }
    let err = reply(&mut conn).unwrap_err().to_string();
    assert!(err.contains("STATUS_PENDING"), "{err}");
}

#[test]
fn refuses_a_reply_to_another_message_id() {
    let t0 = Instant::now();
    let mut conn = connection(Transport::Direct, t0);
    send(&mut conn, t0);
    conn.handle_bytes(&framed(Transport::Direct, &negotiate_response(5, 0x0302)));
    let err = reply(&mut conn).unwrap_err().to_string();
    assert_eq!(err, "reply carries MessageId 5, the request was 0");
}

#[test]
fn sends_nothing_without_a_credit() {
    let t0 = Instant::now();
    let mut conn = connection(Transport::Direct, t0);
    send(&mut conn, t0);
    let stingy = error_response(command::NEGOTIATE, 0, status::ACCESS_DENIED);
    let mut stingy = stingy;
    stingy[14..16].copy_from_slice(&0u16.to_le_bytes()); // CreditResponse 0
    conn.handle_bytes(&framed(Transport::Direct, &stingy));
    assert!(reply(&mut conn).is_ok());
    conn.send_message(&request(), "SESSION_SETUP response", t0);
    assert!(conn.poll_transmit().is_none(), "no credit, nothing sent");
    let err = reply(&mut conn).unwrap_err().to_string();
    assert!(err.contains("no SMB2 credit"), "{err}");
}

#[test]
fn hostile_streams_end_in_a_typed_error() {
    let t0 = Instant::now();
    let keepalives = [0x85, 0, 0, 0].repeat(MAX_KEEPALIVES + 1);
    let cases: [(Transport, &[u8], &str); 6] = [
        (
            Transport::Direct,
            &[0x00, 0xFF, 0xFF, 0xFF],
            "reply announces 16777215 bytes, over the 65536-byte cap",
        ),
        (
            Transport::Nbss,
            &[0x00, 0x02, 0x00, 0x00],
            "malformed frame header",
        ),
        (
            Transport::Direct,
            &[0x85, 0, 0, 0],
            "malformed frame header",
        ),
        (
            Transport::Direct,
            &[0x00, 0x00, 0x00, 0x01, 0xFF],
            "malformed",
        ),
        (
            Transport::Nbss,
            &[0x82, 0, 0, 0],
            "NBSS packet type 0x82 where an SMB message was expected",
        ),
        (Transport::Nbss, &keepalives, "more than 8 keep-alives"),
    ];
    for (transport, bytes, want) in cases {
        let mut conn = connection(transport, t0);
        send(&mut conn, t0);
        conn.handle_bytes(bytes);
        match conn.poll_event() {
            Some(Ok(Received::Message(msg))) => {
                // Garbage in a well-formed frame is the probe's to judge, not the framing's.
                assert_eq!(want, "malformed", "{bytes:02x?} gave {msg:02x?}");
            }
            Some(Err(e)) => assert!(e.to_string().contains(want), "{e} lacks {want}"),
            other => panic!("{bytes:02x?}: {other:?}"),
        }
    }
}

#[test]
fn a_silent_peer_times_out_at_the_step_limit_then_the_host_budget() {
    let t0 = Instant::now();
    let mut conn = connection(Transport::Direct, t0);
    send(&mut conn, t0);
    assert_eq!(conn.poll_timeout(), Some(t0 + REPLY));
    conn.handle_timeout(t0 + REPLY - Duration::from_millis(1));
    assert!(conn.poll_event().is_none(), "not yet");
    conn.handle_timeout(t0 + REPLY);
    assert_eq!(
        reply(&mut conn),
        Err(ProbeError::Timeout {
            waiting_for: "SESSION_SETUP response",
            after: REPLY
        })
    );
    // A failed step leaves the connection unusable (its credit is gone): a new one.
    let mut conn = connection(Transport::Direct, t0);
    let late = t0 + Duration::from_secs(9);
    send(&mut conn, late);
    assert_eq!(conn.poll_timeout(), Some(t0 + Duration::from_secs(10)));
    conn.handle_timeout(t0 + Duration::from_secs(10));
    assert_eq!(reply(&mut conn), Err(ProbeError::HostBudget));
    let mut conn = connection(Transport::Direct, t0);
    conn.send_message(
        &request(),
        "SESSION_SETUP response",
        t0 + Duration::from_secs(11),
    );
    assert_eq!(
        reply(&mut conn),
        Err(ProbeError::HostBudget),
        "no time left at all"
    );
}

#[test]
fn a_closing_or_resetting_peer_is_named() {
    let t0 = Instant::now();
    let mut conn = connection(Transport::Direct, t0);
    send(&mut conn, t0);
    conn.handle_bytes(&[0x00, 0x00]);
    conn.handle_eof();
    assert_eq!(
        reply(&mut conn),
        Err(ProbeError::Closed {
            waiting_for: "SESSION_SETUP response"
        })
    );
    let mut conn = connection(Transport::Direct, t0);
    conn.send_message(&request(), "SESSION_SETUP response", t0);
    conn.handle_io_error(std::io::ErrorKind::BrokenPipe);
    assert_eq!(
        reply(&mut conn),
        Err(ProbeError::Reset {
            waiting_for: "request to be sent"
        })
    );
}

#[test]
fn answers_a_session_request() {
    let t0 = Instant::now();
    let mut conn = connection(Transport::Nbss, t0);
    let request = crate::nbss::session_request(&crate::nbss::CalledName::smbserver());
    conn.send_session_request(&request, t0);
    assert_eq!(conn.poll_transmit(), Some(request.to_vec()));
    conn.handle_written(t0);
    conn.handle_bytes(&[0x82, 0, 0, 0]);
    assert_eq!(
        reply(&mut conn),
        Ok(Received::Session(SessionPacket::Positive))
    );
}

#[test]
fn last_sent_is_the_request_as_stamped_on_the_wire() {
    let t0 = Instant::now();
    let mut conn = connection(Transport::Direct, t0);
    conn.send_message(&request(), "SESSION_SETUP response", t0);
    let frame = conn.poll_transmit().expect("a frame to send");
    assert_eq!(
        conn.last_sent(),
        &frame[4..],
        "the bytes after the 4-byte frame header"
    );
    assert_ne!(
        conn.last_sent(),
        &request()[..],
        "MessageId 99 and SessionId 7 rewritten"
    );
    let (header, _) = Header::decode(conn.last_sent()).unwrap();
    assert_eq!((header.message_id, header.session_id), (0, 0));
}
