use super::*;

/// A level 1 answer for `shares` (name, type, remark), in the order NDR lays it out.
pub(crate) fn level1(shares: &[(&str, u32, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    let u32s = |out: &mut Vec<u8>, vals: &[u32]| {
        for v in vals {
            out.extend_from_slice(&v.to_le_bytes());
        }
    };
    let n = shares.len() as u32;
    u32s(&mut out, &[1, 1, REFERENT, n, REFERENT + 4, n]);
    for (i, (_, kind, _)) in shares.iter().enumerate() {
        let r = REFERENT + 8 + 8 * i as u32;
        u32s(&mut out, &[r, *kind, r + 4]);
    }
    for (name, _, remark) in shares {
        for s in [name, remark] {
            let units: Vec<u16> = s.encode_utf16().chain([0]).collect();
            let c = units.len() as u32;
            u32s(&mut out, &[c, 0, c]);
            for u in units {
                out.extend_from_slice(&u.to_le_bytes());
            }
            while out.len() % 4 != 0 {
                out.push(0);
            }
        }
    }
    u32s(&mut out, &[n, REFERENT + 0x100, 0, 0]);
    out
}

#[test]
fn level_1_round_trips_names_types_and_comments() {
    let stub = level1(&[
        ("public", 0, "Public"),
        ("IPC$", 0x8000_0003, "IPC Service"),
    ]);
    let got = decode_share_enum(&stub).unwrap();
    assert_eq!(got.shares.len(), 2);
    assert_eq!(got.shares[0].name, "public");
    assert_eq!(got.shares[1].share_type, Some(0x8000_0003));
    assert_eq!(got.shares[1].comment.as_deref(), Some("IPC Service"));
    for cut in 0..stub.len() {
        assert!(decode_share_enum(&stub[..cut]).is_err(), "cut at {cut}");
    }
}

#[test]
fn lying_counts_and_long_names_are_errors_not_allocations() {
    let mut stub = level1(&[("a", 0, "")]);
    // max_count and EntriesRead both claim a million entries in a 60-byte stub.
    stub[12..16].copy_from_slice(&1_000_000u32.to_le_bytes());
    stub[20..24].copy_from_slice(&1_000_000u32.to_le_bytes());
    assert!(matches!(
        decode_share_enum(&stub),
        Err(DecodeError::TooLarge { .. })
    ));
    stub[12..16].copy_from_slice(&2000u32.to_le_bytes());
    stub[20..24].copy_from_slice(&2000u32.to_le_bytes());
    assert!(matches!(
        decode_share_enum(&stub),
        Err(DecodeError::Truncated { .. })
    ));
    let long = "x".repeat(32 * 1024);
    assert!(matches!(
        decode_share_enum(&level1(&[(&long, 0, "")])),
        Err(DecodeError::TooLarge {
            what: "netname",
            ..
        })
    ));
    let mut disagree = level1(&[("a", 0, "")]);
    disagree[12..16].copy_from_slice(&0u32.to_le_bytes());
    assert!(decode_share_enum(&disagree).is_err());
}

#[test]
fn request_stub_is_aligned_and_asks_for_everything() {
    let stub = share_enum_stub("10.0.0.1", 1);
    assert_eq!(stub.len() % 4, 0);
    // 10.0.0.1 + NUL = 9 units: 4 + 12 + 18 (+2 pad) = 36, then 8 u32s.
    assert_eq!(stub.len(), 36 + 32);
    assert_eq!(&stub[36..40], &1u32.to_le_bytes(), "Level");
    assert_eq!(
        &stub[56..60],
        &u32::MAX.to_le_bytes(),
        "PreferedMaximumLength"
    );
}
