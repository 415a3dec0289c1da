//! Unit tests for context.rs.

use super::*;

fn ctx(context_type: u16, data: &[u8]) -> NegotiateContext {
    NegotiateContext {
        context_type,
        data: data.to_vec(),
    }
}

#[test]
fn decodes_each_known_context_from_spec_layout() {
    // 2.2.3.1.1: count 1, salt length 2, SHA-512, salt.
    assert_eq!(
        ctx(1, &[1, 0, 2, 0, 1, 0, 0xAA, 0xBB]).decode_data(),
        Ok(ContextData::PreauthIntegrity {
            hash_algorithms: vec![1],
            salt: vec![0xAA, 0xBB]
        })
    );
    assert_eq!(
        ctx(2, &[2, 0, 2, 0, 1, 0]).decode_data(),
        Ok(ContextData::Encryption {
            ciphers: vec![2, 1]
        })
    );
    // 2.2.3.1.3: count, padding, flags, algorithms.
    assert_eq!(
        ctx(3, &[1, 0, 0, 0, 1, 0, 0, 0, 1, 0]).decode_data(),
        Ok(ContextData::Compression {
            flags: 1,
            algorithms: vec![1]
        })
    );
    assert_eq!(
        ctx(5, b"S\0R\0V\0").decode_data(),
        Ok(ContextData::Netname("SRV".into()))
    );
    assert_eq!(
        ctx(6, &[1, 0, 0, 0]).decode_data(),
        Ok(ContextData::Transport { flags: 1 })
    );
    // 2.2.3.1.6: count, reserved1 (2), reserved2 (4), ids.
    assert_eq!(
        ctx(7, &[2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 0]).decode_data(),
        Ok(ContextData::RdmaTransform {
            transforms: vec![1, 2]
        })
    );
    assert_eq!(
        ctx(8, &[1, 0, 2, 0]).decode_data(),
        Ok(ContextData::Signing {
            algorithms: vec![2]
        })
    );
    assert_eq!(
        ctx(0x99, &[1, 2, 3]).decode_data(),
        Ok(ContextData::Unknown)
    );
    assert_eq!(ctx(0x99, &[]).name(), "unknown");
    assert_eq!(ctx(7, &[]).name(), "rdma_transform");
}

#[test]
fn rejects_short_and_overlong_context_data() {
    // Count says 3 ciphers, 2 present.
    assert!(matches!(
        ctx(2, &[3, 0, 1, 0, 2, 0]).decode_data(),
        Err(DecodeError::Truncated {
            what: "Ciphers",
            ..
        })
    ));
    // A huge count costs nothing.
    assert!(ctx(8, &[0xFF, 0xFF]).decode_data().is_err());
    assert!(ctx(1, &[1, 0, 0xFF, 0xFF, 1, 0]).decode_data().is_err());
    assert_eq!(
        ctx(6, &[1, 0, 0, 0, 9]).decode_data(),
        Err(DecodeError::TrailingBytes {
            what: "negotiate context data",
            len: 1
        })
    );
    for data in [&[][..], &[1], &[1, 0, 0]] {
        for t in 1..=8 {
            if t != 4 && t != 5 {
                assert!(ctx(t, data).decode_data().is_err(), "type {t} {data:?}");
            }
        }
    }
}

#[test]
fn roundtrips_context_data() {
    let all = [
        ContextData::PreauthIntegrity {
            hash_algorithms: vec![1],
            salt: vec![7; 32],
        },
        ContextData::Encryption {
            ciphers: vec![1, 2, 3, 4],
        },
        ContextData::Compression {
            flags: 0,
            algorithms: vec![1, 2, 3, 4, 5],
        },
        ContextData::Netname("192.0.2.1".into()),
        ContextData::Transport { flags: 0 },
        ContextData::RdmaTransform {
            transforms: vec![1, 2],
        },
        ContextData::Signing {
            algorithms: vec![2, 1, 0],
        },
    ];
    for data in all {
        let c = data.to_context().unwrap();
        assert_eq!(c.decode_data().unwrap(), data);
    }
    assert_eq!(ContextData::Unknown.to_context(), None);
}

#[test]
fn context_list_is_aligned_from_header_start_without_trailing_pad() {
    let mut msg = vec![0xEE; 70];
    let list = [ctx(2, &[1, 0, 2, 0]), ctx(0x1234, &[9]), ctx(6, &[0; 4])];
    encode_context_list(&list, &mut msg);
    // 70 -> pad to 72; 72+8+4 = 84 -> pad to 88; 88+8+1 = 97 -> pad to 104; ends at 116.
    assert_eq!(msg.len(), 116);
    assert_eq!(msg[70..72], [0, 0]);
    assert_eq!(msg[72..76], [2, 0, 4, 0]);
    assert_eq!(msg[88..90], [0x34, 0x12]);
    assert_eq!(msg[104..106], [6, 0]);
    assert_eq!(decode_context_list(&msg, 72, 3).unwrap(), list);
}

#[test]
fn context_list_rejects_truncation_and_huge_counts() {
    let mut msg = vec![0; 8];
    encode_context_list(&[ctx(1, &[1, 2, 3])], &mut msg);
    assert!(decode_context_list(&msg, 8, 1).is_ok());
    for cut in 8..msg.len() {
        assert!(decode_context_list(&msg[..cut], 8, 1).is_err(), "cut {cut}");
    }
    assert!(decode_context_list(&msg, 8, u16::MAX).is_err());
    assert!(decode_context_list(&msg, usize::MAX - 3, 2).is_err());
    assert_eq!(decode_context_list(&msg, usize::MAX, 0).unwrap(), vec![]);
}

#[test]
fn names_algorithms() {
    assert_eq!(hash_algorithm_name(1), Some("SHA-512"));
    assert_eq!(hash_algorithm_name(2), None);
    assert_eq!(cipher_name(1), Some("AES-128-CCM"));
    assert_eq!(cipher_name(4), Some("AES-256-GCM"));
    assert_eq!(cipher_name(0), None);
    assert_eq!(compression_name(3), Some("LZ77+Huffman"));
    assert_eq!(compression_name(5), Some("LZ4"));
    assert_eq!(compression_name(6), None);
    assert_eq!(signing_algorithm_name(0), Some("HMAC-SHA256"));
    assert_eq!(signing_algorithm_name(2), Some("AES-GMAC"));
    assert_eq!(rdma_transform_name(2), Some("SIGNING"));
    assert_eq!(rdma_transform_name(3), None);
}
