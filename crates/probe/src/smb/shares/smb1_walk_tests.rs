//! The SMB1 walk against Samba 4.17's real answers (captured in the lab, see
//! crates/wire/tests/data/SOURCES.md), and against scripted hostile ones: srvsvc refused
//! (RAP), a pipe message that never ends, a split TRANSACTION answer, a RAP share flood.
//! Each ends by itself with a reason, in a bounded number of steps.

use smbaudit_wire::smb1::{Header, command, flags};
use smbaudit_wire::smb2::status;

use super::*;

const REPLIES: &str =
    include_str!("../../../../wire/tests/data/smb1-samba417-share-walk-replies.txt");

fn unhex(s: &str) -> Vec<u8> {
    crate::unhex(s).expect("hex fixture")
}

/// Samba's answer in `file` frame `frame`.
fn samba(file: &str, frame: u32) -> Vec<u8> {
    let line = REPLIES
        .lines()
        .find(|l| l.split(' ').take(2).eq([file, &frame.to_string()]))
        .unwrap_or_else(|| panic!("{file} {frame}"));
    unhex(line.split(' ').nth(2).unwrap())
}

/// An SMB1 answer to `cmd` with `status`, `words` and `bytes`.
fn answer(cmd: u8, st: u32, words: &[u8], bytes: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    Header {
        command: cmd,
        status: st,
        flags: flags::REPLY,
        flags2: 0x4001,
        tid: 7,
        uid: 100,
        ..Header::default()
    }
    .encode(&mut m);
    m.push((words.len() / 2) as u8);
    m.extend_from_slice(words);
    m.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
    m.extend_from_slice(bytes);
    m
}

fn refused(cmd: u8, st: u32) -> Vec<u8> {
    answer(cmd, st, &[], &[])
}

/// A TRANSACTION answer carrying `data` (no parameters), `st` its status.
fn trans(st: u32, data: &[u8], total: u16) -> Vec<u8> {
    let mut words = Vec::new();
    let data_at = 32 + 1 + 20 + 2 + 1;
    for v in [0, total, 0, 0, data_at, 0, data.len() as u16, data_at, 0] {
        words.extend_from_slice(&v.to_le_bytes());
    }
    words.extend_from_slice(&[0, 0]);
    let mut bytes = vec![0];
    bytes.extend_from_slice(data);
    answer(command::TRANSACTION, st, &words, &bytes)
}

fn walk() -> Smb1ShareWalk {
    Smb1ShareWalk::new(
        Identity::Anonymous,
        "10.214.224.10".into(),
        (100, 7),
        &[0x44; 32],
        None,
    )
}

/// Runs `walk` against `respond` (given each request), at most `limit` steps; the
/// commands sent, in order.
fn run(
    mut walk: Smb1ShareWalk,
    limit: usize,
    mut respond: impl FnMut(&[u8]) -> Vec<u8>,
) -> (ShareListing, Option<ShareNameVerdict>, Vec<u8>) {
    let mut sent = Vec::new();
    while let Some((request, _)) = walk.request() {
        assert!(
            sent.len() < limit,
            "the walk did not end within {limit} steps"
        );
        let (header, _) = Header::decode(&request).expect("an SMB1 request");
        assert_eq!((header.uid, header.flags & flags::REPLY), (100, 0));
        sent.push(header.command);
        walk.handle(Ok(respond(&request)));
    }
    let (listing, any) = walk.finish();
    (listing, any, sent)
}

#[test]
fn samba_417s_real_answers_give_the_lab_verdicts() {
    let frames = [27, 30, 33, 36, 38, 40, 42, 44, 46, 48, 50, 52, 54, 56];
    let mut replies = frames.iter().map(|&f| samba("walk", f));
    let (listing, any, sent) = run(walk(), frames.len(), |_| replies.next().unwrap());
    assert_eq!(
        sent,
        [
            0x75, 0xa2, 0x25, 0x25, 0x04, 0x75, 0xa2, 0x32, 0x04, 0x75, 0xa2, 0x32, 0x04, 0x75
        ]
    );
    assert_eq!(any.unwrap().accepts_any, Some(false));
    assert_eq!(listing.listed, Some(true), "{}", listing.reason);
    assert_eq!(listing.level, Some(1));
    let access = |name: &str| {
        listing
            .shares
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.access_of(Identity::Anonymous))
            .unwrap_or_else(|| panic!("{name}: {listing:?}"))
            .clone()
    };
    let public = access("public");
    assert_eq!(
        (
            public.connect,
            public.share_access,
            public.read,
            public.entries,
            public.write
        ),
        (
            Some(true),
            Some(0x001f_00a9),
            Some(true),
            Some(1),
            Some(false)
        )
    );
    let upload = access("upload");
    assert_eq!((upload.read, upload.write), (Some(true), Some(true)));
    assert!(upload.write_evidence.unwrap().contains("0x001f01ff"));
    let private = access("private");
    assert_eq!(private.connect, Some(false));
    assert!(private.connect_status.contains("0xc0000022"));
    let ipc = listing.shares.iter().find(|s| s.name == "IPC$").unwrap();
    assert!(ipc.access.is_empty(), "IPC$ is not opened as a disk");
}

#[test]
fn srvsvc_refused_falls_back_to_rap() {
    let (listing, _, sent) = run(walk(), 20, |req| match req[4] {
        command::NT_CREATE_ANDX => refused(command::NT_CREATE_ANDX, status::ACCESS_DENIED),
        command::TRANSACTION => samba("rap", 15),
        cmd => refused(cmd, status::BAD_NETWORK_NAME),
    });
    assert_eq!(listing.listed, Some(true), "{}", listing.reason);
    assert!(
        listing
            .reason
            .starts_with("RAP NetShareEnum listed 4 shares")
            && listing.reason.contains("STATUS_ACCESS_DENIED"),
        "{}",
        listing.reason
    );
    assert_eq!(listing.shares[3].kind, "ipc");
    // The random name, the pipe, RAP, then three disk shares (refused).
    assert_eq!(sent, [0x75, 0xa2, 0x25, 0x75, 0x75, 0x75]);
}

#[test]
fn srvsvc_and_rap_refused_is_a_no_with_both_reasons() {
    let (listing, _, _) = run(walk(), 10, |req| match req[4] {
        command::TRANSACTION => refused(command::TRANSACTION, status::ACCESS_DENIED),
        cmd => refused(cmd, status::ACCESS_DENIED),
    });
    assert_eq!(listing.listed, Some(false), "{}", listing.reason);
    assert!(listing.reason.starts_with("srvsvc: "), "{}", listing.reason);
    assert!(
        listing.reason.contains("RAP NetShareEnum answered"),
        "{}",
        listing.reason
    );
}

#[test]
fn a_pipe_message_that_never_ends_stops_after_the_read_cap() {
    // The start of a fragment that never completes, "more to come", every time.
    let start = [5, 0, 12, 3, 0x10, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0];
    let fid = samba("walk", 30);
    let (listing, _, sent) = run(walk(), 200, |req| match req[4] {
        command::NT_CREATE_ANDX => fid.clone(),
        command::TRANSACTION => trans(status::BUFFER_OVERFLOW, &start, 16),
        command::READ_ANDX => {
            let mut words = vec![0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            words.extend_from_slice(&4u16.to_le_bytes());
            words.extend_from_slice(&60u16.to_le_bytes());
            words.resize(24, 0);
            answer(
                command::READ_ANDX,
                status::BUFFER_OVERFLOW,
                &words,
                &[0, 0, 0, 0, 0],
            )
        }
        cmd => refused(cmd, status::ACCESS_DENIED),
    });
    // RAP (also a TRANSACTION) gets the same useless answer: unknown, with both reasons.
    assert_eq!(listing.listed, None, "{}", listing.reason);
    assert!(listing.reason.contains("did not end"), "{}", listing.reason);
    assert!(sent.len() < en::MAX_PIPE_READS + 8, "{}", sent.len());
}

#[test]
fn a_split_transaction_answer_is_a_reason_not_a_guess() {
    let fid = samba("walk", 30);
    let (listing, _, _) = run(walk(), 20, |req| match req[4] {
        command::NT_CREATE_ANDX => fid.clone(),
        // 16 of 900 data bytes: the server would send more messages for one request.
        command::TRANSACTION if req.len() > 100 => trans(0, &[5; 16], 900),
        cmd => refused(cmd, status::ACCESS_DENIED),
    });
    assert!(
        listing.reason.contains("split its TRANSACTION answer"),
        "{}",
        listing.reason
    );
}

#[test]
fn a_rap_share_flood_is_an_unknown_listing() {
    let (listing, _, sent) = run(walk(), 10, |req| match req[4] {
        command::TRANSACTION => {
            let mut params = vec![0, 0, 0, 0];
            params.extend_from_slice(&u16::MAX.to_le_bytes());
            params.extend_from_slice(&u16::MAX.to_le_bytes());
            let mut words = Vec::new();
            for v in [8u16, 0, 0, 8, 56, 0, 0, 64, 0] {
                words.extend_from_slice(&v.to_le_bytes());
            }
            words.extend_from_slice(&[0, 0]);
            let mut bytes = vec![0];
            bytes.extend_from_slice(&params);
            answer(command::TRANSACTION, 0, &words, &bytes)
        }
        cmd => refused(cmd, status::ACCESS_DENIED),
    });
    assert_eq!(listing.listed, None, "{}", listing.reason);
    assert!(
        listing.reason.contains("exceeds limit 4096"),
        "{}",
        listing.reason
    );
    assert_eq!(sent.len(), 3);
}

#[test]
fn no_reply_at_all_ends_the_walk_with_reasons() {
    let mut w = walk();
    let mut steps = 0;
    while w.request().is_some() {
        assert!(steps < 10);
        w.handle(Err(ProbeError::HostBudget));
        steps += 1;
    }
    let (listing, any) = w.finish();
    assert_eq!((listing.listed, any.unwrap().accepts_any), (None, None));
    assert_eq!(steps, 3, "random name, pipe, RAP");
}
