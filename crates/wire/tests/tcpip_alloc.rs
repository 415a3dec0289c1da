//! The SYN stage's per-packet work allocates nothing: encoding a SYN into a caller's
//! buffer, decoding a captured answer, and the cookie's checks all run with a peak of zero
//! live heap bytes, so a sender can fill a batch and a receiver can keep up with a reply
//! storm without touching the allocator.
//!
//! Measured with a counting global allocator (`peakmem-alloc`, as in `alloc_bounds.rs`),
//! which is per test binary, hence one `#[test]` in a file of its own. Each case is run
//! three times and the smallest peak is checked (the harness's own thread can only add).

use std::alloc::System;
use std::hint::black_box;
use std::net::Ipv4Addr;

use pcap_file::pcapng::{Block, PcapNgReader};
use peakmem_alloc::{INSTRUMENTED_SYSTEM, PeakMemAlloc, PeakMemAllocTrait};
use smbaudit_wire::tcpip::cookie::SynCookie;
use smbaudit_wire::tcpip::{Incoming, IpPair, MacPair};

#[global_allocator]
static GLOBAL: &PeakMemAlloc<System> = &INSTRUMENTED_SYSTEM;

fn peak(mut f: impl FnMut()) -> usize {
    (0..3)
        .map(|_| {
            GLOBAL.reset_peak_memory();
            f();
            GLOBAL.get_peak_memory()
        })
        .min()
        .unwrap()
}

#[test]
fn per_packet_work_allocates_nothing() {
    let mut frames = Vec::new();
    let mut reader =
        PcapNgReader::new(&include_bytes!("data/tcpip/syn-replies.pcapng")[..]).unwrap();
    while let Some(block) = reader.next_block() {
        if let Block::EnhancedPacket(p) = block.unwrap() {
            frames.push(p.data.into_owned());
        }
    }
    assert_eq!(frames.len(), 59);

    let cookie = SynCookie::new(*b"synwire-test-key");
    let v4 = IpPair::V4 {
        src: Ipv4Addr::new(10, 250, 11, 1),
        dst: Ipv4Addr::new(10, 250, 11, 2),
    };
    let v6 = IpPair::new("fd00:11::1".parse().unwrap(), "fd00:11::2".parse().unwrap()).unwrap();
    let macs = MacPair {
        dst: [2; 6],
        src: [4; 6],
    };
    let mut batch = vec![[0u8; 80]; 64];

    let sending = peak(|| {
        for (i, buf) in batch.iter_mut().enumerate() {
            let ips = if i % 2 == 0 { v4 } else { v6 };
            let syn = cookie.syn(ips, 445, i as u32);
            black_box(syn.encode_frame(macs, buf).unwrap());
            black_box(syn.encode_ip(buf).unwrap());
        }
    });
    assert_eq!(sending, 0, "encoding 64 SYNs");

    let mut valid = 0;
    let receiving = peak(|| {
        valid = 0;
        for frame in &frames {
            if let Ok(Some(incoming)) = Incoming::decode_frame(black_box(frame)) {
                valid += usize::from(cookie.validate_incoming(&incoming));
            }
            // The error path too.
            black_box(Incoming::decode_frame(&frame[..frame.len() / 2]).ok());
        }
    });
    assert_eq!(receiving, 0, "decoding and checking the capture");
    assert_eq!(valid, 12, "the target's answers to our 12 SYNs");
}
