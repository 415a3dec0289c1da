//! The share walk against scripted answers: a whole conversation, and hostile servers
//! (a share flood, a lying NDR count, a pipe message that never ends, a fragment flood).
//! Each hostile case ends the walk by itself with a reason, in a bounded number of steps.

use smbaudit_wire::smb2::{command, status};

use super::*;
use crate::smb::test_peer::{error_response, header};

fn ok(cmd: u16, body: &[u8]) -> Vec<u8> {
    let mut m = header(cmd, status::SUCCESS, 0, 1);
    m.extend_from_slice(body);
    m
}

fn tree_connect(mask: u32) -> Vec<u8> {
    let mut b = 16u16.to_le_bytes().to_vec();
    b.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(&mask.to_le_bytes());
    ok(command::TREE_CONNECT, &b)
}

fn create(mxac: Option<u32>) -> Vec<u8> {
    let mut ctx = Vec::new();
    if let Some(mask) = mxac {
        ctx.extend_from_slice(&0u32.to_le_bytes());
        ctx.extend_from_slice(&[16, 0, 4, 0, 0, 0, 24, 0, 8, 0, 0, 0]);
        ctx.extend_from_slice(b"MxAc\0\0\0\0");
        ctx.extend_from_slice(&0u32.to_le_bytes());
        ctx.extend_from_slice(&mask.to_le_bytes());
    }
    let mut b = 89u16.to_le_bytes().to_vec();
    b.extend_from_slice(&[0; 62]);
    b.extend_from_slice(&[9; 16]);
    let offset: u32 = if ctx.is_empty() { 0 } else { 64 + 88 };
    b.extend_from_slice(&offset.to_le_bytes());
    b.extend_from_slice(&(ctx.len() as u32).to_le_bytes());
    b.extend_from_slice(&ctx);
    ok(command::CREATE, &b)
}

/// An IOCTL (or READ when `read`) answer carrying `data`, `more` for BUFFER_OVERFLOW.
fn pipe(data: &[u8], more: bool, read: bool) -> Vec<u8> {
    let st = if more {
        status::BUFFER_OVERFLOW
    } else {
        status::SUCCESS
    };
    let mut m = header(if read { command::READ } else { command::IOCTL }, st, 0, 1);
    if read {
        m.extend_from_slice(&17u16.to_le_bytes());
        m.extend_from_slice(&[80, 0]);
        m.extend_from_slice(&(data.len() as u32).to_le_bytes());
        m.extend_from_slice(&[0; 8]);
    } else {
        m.extend_from_slice(&49u16.to_le_bytes());
        m.extend_from_slice(&[0; 22]);
        m.extend_from_slice(&[0; 8]);
        m.extend_from_slice(&112u32.to_le_bytes());
        m.extend_from_slice(&(data.len() as u32).to_le_bytes());
        m.extend_from_slice(&[0; 8]);
    }
    m.extend_from_slice(data);
    m
}

fn pdu(ptype: u8, flags: u8, call_id: u32, body: &[u8]) -> Vec<u8> {
    let mut p = vec![5, 0, ptype, flags, 0x10, 0, 0, 0];
    p.extend_from_slice(&((16 + body.len()) as u16).to_le_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(&call_id.to_le_bytes());
    p.extend_from_slice(body);
    p
}

fn bind_ack() -> Vec<u8> {
    let mut b = vec![0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 0, 0, 0, 0];
    b.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(&[0; 20]);
    pdu(12, 3, en::BIND_CALL, &b)
}

fn response(stub: &[u8], call_id: u32) -> Vec<u8> {
    let mut b = vec![0; 8];
    b.extend_from_slice(stub);
    pdu(2, 3, call_id, &b)
}

/// A level 1 NetrShareEnum stub for (name, type) shares with empty comments.
fn level1(shares: &[(&str, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    let put = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
    let n = shares.len() as u32;
    for v in [1, 1, 0x20000, n, 0x20004, n] {
        put(&mut out, v);
    }
    for (_, kind) in shares {
        for v in [1, *kind, 1] {
            put(&mut out, v);
        }
    }
    for (name, _) in shares {
        for s in [*name, ""] {
            let units: Vec<u16> = s.encode_utf16().chain([0]).collect();
            for v in [units.len() as u32, 0, units.len() as u32] {
                put(&mut out, v);
            }
            for u in units {
                out.extend_from_slice(&u.to_le_bytes());
            }
            while out.len() % 4 != 0 {
                out.push(0);
            }
        }
    }
    for v in [n, 0, 0] {
        put(&mut out, v);
    }
    out
}

/// Runs `walk` against `answer` (given each request's command), at most `limit` steps.
fn run(
    mut walk: ShareWalk,
    limit: usize,
    mut answer: impl FnMut(u16) -> Vec<u8>,
) -> (ShareListing, usize) {
    let mut steps = 0;
    while let Some((request, _)) = walk.request() {
        assert!(steps < limit, "the walk did not end within {limit} steps");
        let cmd = u16::from_le_bytes([request[12], request[13]]);
        walk.handle(Ok(answer(cmd)));
        steps += 1;
    }
    (walk.finish(), steps)
}

fn enumerate() -> ShareWalk {
    ShareWalk::enumerate(Identity::Anonymous, "10.0.0.1".into(), None)
}

/// A server answering the pipe with `enum_answer` for each NetrShareEnum, and the disk
/// checks with a read-only guest share.
fn server(mut enum_answer: impl FnMut(bool) -> Vec<u8>) -> impl FnMut(u16) -> Vec<u8> {
    let mut bound = false;
    move |cmd| match cmd {
        command::TREE_CONNECT => tree_connect(0x0012_00a9),
        command::CREATE => create(Some(0x001f_00a9)),
        command::IOCTL if !bound => {
            bound = true;
            pipe(&bind_ack(), false, false)
        }
        command::IOCTL => enum_answer(false),
        command::READ => enum_answer(true),
        command::QUERY_DIRECTORY => error_response(cmd, 0, status::NO_MORE_FILES),
        command::CLOSE => ok(command::CLOSE, &[60, 0]),
        _ => error_response(cmd, 0, status::NOT_SUPPORTED),
    }
}

#[test]
fn a_whole_walk_lists_and_checks_each_disk_share() {
    let stub = level1(&[("public", 0), ("IPC$", 0x8000_0003)]);
    let (listing, _) = run(
        enumerate(),
        40,
        server(|_| pipe(&response(&stub, 2), false, false)),
    );
    assert_eq!(listing.listed, Some(true), "{}", listing.reason);
    let public = &listing.shares[0];
    let found = public.access_of(Identity::Anonymous).unwrap();
    assert_eq!(
        (found.connect, found.read, found.entries),
        (Some(true), Some(true), Some(0))
    );
    // 0x001f00a9 carries DELETE and WRITE_DAC but no FILE_ADD_FILE: not writable.
    assert_eq!(found.write, Some(false), "{found:?}");
    assert!(
        listing.shares[1].access.is_empty(),
        "IPC$ is not opened as a disk"
    );
}

#[test]
fn a_share_flood_is_an_unknown_listing_not_a_hang() {
    // 100,000 shares claimed (level 1 and level 0): over MAX_SHARES.
    let mut stub = level1(&[("a", 0)]);
    stub[12..16].copy_from_slice(&100_000u32.to_le_bytes());
    stub[20..24].copy_from_slice(&100_000u32.to_le_bytes());
    let mut call = 1;
    let flood = server(move |_| {
        call += 1; // level 1 is call 2, level 0 call 3
        pipe(&response(&stub, call), false, false)
    });
    let (listing, steps) = run(enumerate(), 20, flood);
    assert_eq!(listing.listed, None);
    assert!(
        listing.reason.contains("level 0") && listing.reason.contains("exceeds limit 4096"),
        "{}",
        listing.reason
    );
    assert!(steps <= 8, "{steps}");
}

#[test]
fn a_pipe_message_that_never_ends_stops_after_the_read_cap() {
    let (listing, steps) = run(
        enumerate(),
        200,
        server(|read| {
            // Each answer: the start of a fragment that never completes, "more to come".
            if read {
                pipe(&[0; 16], true, true)
            } else {
                pipe(
                    &[5, 0, 2, 1, 0x10, 0, 0, 0, 0xff, 0xff, 0, 0, 2, 0, 0, 0],
                    true,
                    false,
                )
            }
        }),
    );
    assert_eq!(listing.listed, None);
    assert!(steps < 2 * (en::MAX_PIPE_READS + 2) + 6, "{steps}");
}

#[test]
fn a_fragment_flood_ends_with_a_reason() {
    let first = pdu(2, 1, 2, &[0; 8]); // FIRST_FRAG only, never LAST
    let (listing, _) = run(enumerate(), 400, server(|read| pipe(&first, true, read)));
    assert_eq!(listing.listed, None, "{}", listing.reason);
    assert!(!listing.reason.is_empty());
}

#[test]
fn ipc_refused_is_a_no_with_the_status() {
    let (listing, steps) = run(enumerate(), 5, |cmd| {
        error_response(cmd, 0, status::ACCESS_DENIED)
    });
    assert_eq!((listing.listed, steps), (Some(false), 1));
    assert!(
        listing.reason.contains("STATUS_ACCESS_DENIED"),
        "{}",
        listing.reason
    );
}
