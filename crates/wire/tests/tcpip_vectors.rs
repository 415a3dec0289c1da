//! `wire::tcpip` against what the Linux kernel sent and answered, captured in two network
//! namespaces by `tests/data/tcpip/capture.sh` (see `SOURCES.md` there), and against
//! TShark's reading of the same frames (`syn-replies.tsv`):
//!
//! - every frame decodes to what TShark says it holds, or to `None` when it cannot answer a
//!   SYN (ARP, neighbour discovery, MLD);
//! - known-answer checksums: the IPv4 header and TCP checksums we compute equal the
//!   kernel's, for its own segments and for the SYNs it sent from our raw IP socket;
//! - our SYNs are, byte for byte, the frames that were sent;
//! - the cookie accepts the target's real SYN-ACKs, RSTs and ICMP errors, and rejects them
//!   with a wrong ack, port or address;
//! - cut-off and damaged frames (IHL < 5, options beyond the packet, wrong lengths,
//!   fragments, bad data offsets) are errors, never panics.

use std::collections::BTreeMap;
use std::net::IpAddr;

use pcap_file::pcapng::{Block, PcapNgReader};
use smbaudit_wire::DecodeError;
use smbaudit_wire::tcpip::cookie::{SOURCE_PORTS, SynCookie};
use smbaudit_wire::tcpip::{
    ETHERNET_HEADER_LEN, Incoming, IpPair, MacPair, Reply, ReplyFlags, TcpFlags, internet_checksum,
    tcp_checksum,
};

const CAPTURE: &[u8] = include_bytes!("data/tcpip/syn-replies.pcapng");
const TSHARK: &str = include_str!("data/tcpip/syn-replies.tsv");
/// The key `capture.sh` gave `examples/synprobe.rs`.
const KEY: [u8; 16] = *b"synwire-test-key";
const MACS: MacPair = MacPair {
    src: [2, 0, 0, 0, 0x11, 0x01],
    dst: [2, 0, 0, 0, 0x11, 0x02],
};
const SCANNER_V4: &str = "10.250.11.1";
const SCANNER_V6: &str = "fd00:11::1";

/// Frames of the capture, numbered from 1 like TShark.
fn frames() -> Vec<Vec<u8>> {
    let mut reader = PcapNgReader::new(CAPTURE).unwrap();
    let mut frames = Vec::new();
    while let Some(block) = reader.next_block() {
        if let Block::EnhancedPacket(p) = block.unwrap() {
            frames.push(p.data.into_owned());
        }
    }
    frames
}

/// TShark's fields per frame number, by column name.
fn tshark() -> BTreeMap<usize, BTreeMap<&'static str, &'static str>> {
    let mut lines = TSHARK.lines();
    let names: Vec<&str> = lines.next().unwrap().split('\t').collect();
    lines
        .map(|line| {
            let row: BTreeMap<_, _> = names.iter().copied().zip(line.split('\t')).collect();
            (row["frame.number"].parse().unwrap(), row)
        })
        .collect()
}

fn frame(n: usize) -> Vec<u8> {
    frames().swap_remove(n - 1)
}

fn addr(row: &BTreeMap<&str, &str>, v4: &str, v6: &str, nth: usize) -> IpAddr {
    let field = if row[v4].is_empty() { row[v6] } else { row[v4] };
    field.split(',').nth(nth).unwrap().parse().unwrap()
}

fn num<T: std::str::FromStr>(row: &BTreeMap<&str, &str>, name: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    row[name].parse().unwrap()
}

fn tcp_flags(row: &BTreeMap<&str, &str>) -> TcpFlags {
    TcpFlags(u16::from_str_radix(row["tcp.flags"].trim_start_matches("0x"), 16).unwrap() as u8)
}

/// The IP packet of a frame (no VLAN tags in this capture).
fn ip_packet(frame: &[u8]) -> &[u8] {
    &frame[ETHERNET_HEADER_LEN..]
}

#[test]
fn capture_and_tshark_reading_agree_on_the_frame_count() {
    assert_eq!(frames().len(), 59);
    assert_eq!(tshark().len(), 59);
}

#[test]
fn decodes_every_frame_as_tshark_reads_it() {
    let rows = tshark();
    let (mut tcp, mut errors, mut ignored) = (0, 0, 0);
    for (i, bytes) in frames().iter().enumerate() {
        let row = &rows[&(i + 1)];
        let decoded =
            Incoming::decode_frame(bytes).unwrap_or_else(|e| panic!("frame {}: {e}", i + 1));
        let icmp_error = row["icmp.type"] == "3" || row["icmpv6.type"] == "1";
        match decoded {
            None => {
                assert!(
                    row["tcp.srcport"].is_empty(),
                    "frame {}: TCP left out",
                    i + 1
                );
                ignored += 1;
            }
            Some(Incoming::Tcp(reply)) => {
                assert!(!icmp_error, "frame {}", i + 1);
                let expected = Reply {
                    src: addr(row, "ip.src", "ipv6.src", 0),
                    dst: addr(row, "ip.dst", "ipv6.dst", 0),
                    sport: num(row, "tcp.srcport"),
                    dport: num(row, "tcp.dstport"),
                    seq: num(row, "tcp.seq_raw"),
                    ack: num(row, "tcp.ack_raw"),
                    flags: reply.flags,
                    ttl: reply.ttl,
                };
                assert_eq!(reply, expected, "frame {}", i + 1);
                let raw = tcp_flags(row).0;
                let expected_flags = match raw {
                    0x12 => ReplyFlags::SynAck,
                    0x04 | 0x14 => ReplyFlags::Rst,
                    other => ReplyFlags::Other(TcpFlags(other)),
                };
                assert_eq!(
                    reply.flags,
                    expected_flags,
                    "frame {}: flags {raw:#x}",
                    i + 1
                );
                // Syn::DEFAULT_TTL on our SYNs, Linux's default on all else.
                let ours = raw == 0x02 && SOURCE_PORTS.contains(&reply.sport);
                assert_eq!(
                    reply.ttl,
                    if ours { 255 } else { 64 },
                    "frame {}: TTL",
                    i + 1
                );
                tcp += 1;
            }
            Some(Incoming::Unreachable(error)) => {
                assert!(icmp_error, "frame {}", i + 1);
                let code = if row["icmp.code"].is_empty() {
                    row["icmpv6.code"]
                } else {
                    row["icmp.code"]
                };
                assert_eq!(error.code, code.parse::<u8>().unwrap(), "frame {}", i + 1);
                assert_eq!(error.reporter, addr(row, "ip.src", "ipv6.src", 0));
                assert_eq!(error.probe.src, addr(row, "ip.src", "ipv6.src", 1));
                assert_eq!(error.probe.dst, addr(row, "ip.dst", "ipv6.dst", 1));
                assert_eq!(error.probe.sport, num::<u16>(row, "tcp.srcport"));
                assert_eq!(error.probe.dport, num::<u16>(row, "tcp.dstport"));
                // TShark leaves the quoted IPv4 sequence number out; the SYN it quotes is
                // the frame before, which it does read.
                let syn = &rows[&i];
                assert_eq!(syn["tcp.srcport"], row["tcp.srcport"]);
                assert_eq!(
                    error.probe.seq,
                    num::<u32>(syn, "tcp.seq_raw"),
                    "frame {}",
                    i + 1
                );
                errors += 1;
            }
        }
    }
    assert_eq!((tcp, errors, ignored), (33, 6, 20));
}

#[test]
fn checksums_equal_the_kernels() {
    let rows = tshark();
    let mut checked = 0;
    for (i, bytes) in frames().iter().enumerate() {
        let row = &rows[&(i + 1)];
        if row["tcp.checksum.status"] != "1"
            || !row["icmp.type"].is_empty()
            || !row["icmpv6.type"].is_empty()
        {
            continue;
        }
        let ip = ip_packet(bytes);
        let (ips, segment) = match ip[0] >> 4 {
            4 => {
                let header_len = usize::from(ip[0] & 0x0F) * 4;
                let header = &ip[..header_len];
                assert_eq!(row["ip.checksum.status"], "1");
                assert_eq!(internet_checksum(header), 0, "frame {}: as received", i + 1);
                let mut zeroed = header.to_vec();
                zeroed[10..12].fill(0);
                assert_eq!(
                    internet_checksum(&zeroed).to_be_bytes(),
                    header[10..12],
                    "frame {}",
                    i + 1
                );
                let total_len = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
                let ips = IpPair::new(
                    IpAddr::from(<[u8; 4]>::try_from(&ip[12..16]).unwrap()),
                    IpAddr::from(<[u8; 4]>::try_from(&ip[16..20]).unwrap()),
                )
                .unwrap();
                (ips, &ip[header_len..total_len])
            }
            6 => {
                let payload_len = usize::from(u16::from_be_bytes([ip[4], ip[5]]));
                assert_eq!(ip[6], 6, "frame {}: no extension headers", i + 1);
                let ips = IpPair::new(
                    IpAddr::from(<[u8; 16]>::try_from(&ip[8..24]).unwrap()),
                    IpAddr::from(<[u8; 16]>::try_from(&ip[24..40]).unwrap()),
                )
                .unwrap();
                (ips, &ip[40..40 + payload_len])
            }
            v => panic!("frame {}: IP version {v}", i + 1),
        };
        assert_eq!(
            tcp_checksum(ips, segment),
            Some(0),
            "frame {}: as received",
            i + 1
        );
        let mut zeroed = segment.to_vec();
        zeroed[16..18].fill(0);
        assert_eq!(
            tcp_checksum(ips, &zeroed).unwrap().to_be_bytes(),
            segment[16..18],
            "frame {}",
            i + 1
        );
        checked += 1;
    }
    // Every TCP segment but the 6 quoted in ICMP errors.
    assert_eq!(checked, 33);
}

/// Frame numbers of our SYNs: from the scanner, source port in our range, SYN alone.
fn our_syns() -> Vec<usize> {
    tshark()
        .iter()
        .filter(|(_, row)| {
            row["icmp.type"].is_empty()
                && row["icmpv6.type"].is_empty()
                && row["tcp.flags"] == "0x0002"
                && row["tcp.srcport"]
                    .parse()
                    .is_ok_and(|p: u16| SOURCE_PORTS.contains(&p))
        })
        .map(|(n, _)| *n)
        .collect()
}

#[test]
fn our_syns_are_byte_for_byte_the_frames_sent() {
    let cookie = SynCookie::new(KEY);
    let syns = our_syns();
    assert_eq!(
        syns.len(),
        12,
        "4 ports x (IPv4 raw, IPv4 frame, IPv6 frame)"
    );
    let rows = tshark();
    for n in syns {
        let row = &rows[&n];
        let dst = addr(row, "ip.dst", "ipv6.dst", 0);
        let src: IpAddr = if dst.is_ipv4() {
            SCANNER_V4
        } else {
            SCANNER_V6
        }
        .parse()
        .unwrap();
        let dport: u16 = num(row, "tcp.dstport");
        let sport: u16 = num(row, "tcp.srcport");
        let attempt = (0..2)
            .find(|a| cookie.source_port(dst, dport, *a) == sport)
            .unwrap();
        let syn = cookie.syn(IpPair::new(src, dst).unwrap(), dport, attempt);
        let mut buf = [0u8; 128];
        let len = syn.encode_frame(MACS, &mut buf).unwrap();
        // For the IPv4 raw socket the kernel wrote the Ethernet header and refilled the IPv4
        // header checksum: equal bytes mean equal checksums.
        assert_eq!(&buf[..len], &frame(n)[..], "frame {n}");
    }
}

/// Decoded answers of the target to our SYNs (the frame after each).
fn answers() -> Vec<(usize, Incoming)> {
    let frames = frames();
    our_syns()
        .into_iter()
        .map(|n| (n + 1, Incoming::decode_frame(&frames[n]).unwrap().unwrap()))
        .collect()
}

#[test]
fn cookie_accepts_the_targets_real_answers() {
    let cookie = SynCookie::new(KEY);
    let mut kinds = BTreeMap::new();
    for (n, answer) in answers() {
        assert!(cookie.validate_incoming(&answer), "frame {n}: {answer:?}");
        let kind = match answer {
            Incoming::Tcp(r) => format!("{:?}", r.flags),
            Incoming::Unreachable(u) => format!("unreachable {}", u.code),
        };
        *kinds.entry(kind).or_insert(0) += 1;
    }
    let kinds: Vec<_> = kinds.iter().map(|(k, v)| format!("{k} x{v}")).collect();
    assert_eq!(
        kinds,
        [
            "Rst x3",
            "SynAck x3",
            "unreachable 1 x1",
            "unreachable 13 x2",
            "unreachable 3 x2",
            "unreachable 4 x1"
        ]
    );
    // What else was captured answers no SYN of ours: the kernel's own connections, and the
    // scanner's RSTs to the target.
    let ours: Vec<usize> = answers().iter().map(|(n, _)| *n).collect();
    let frames = frames();
    for (i, bytes) in frames.iter().enumerate() {
        if let Some(other) = Incoming::decode_frame(bytes).unwrap() {
            if !ours.contains(&(i + 1)) {
                assert!(
                    !cookie.validate_incoming(&other),
                    "frame {}: {other:?}",
                    i + 1
                );
            }
        }
    }
}

#[test]
fn cookie_rejects_real_answers_with_a_wrong_ack_port_or_address() {
    let cookie = SynCookie::new(KEY);
    let other_key = SynCookie::new(*b"some other key!!");
    let mut checked = 0;
    for (n, answer) in answers() {
        assert!(
            !other_key.validate_incoming(&answer),
            "frame {n}: another scan's key"
        );
        match answer {
            Incoming::Tcp(good) => {
                let forged = [
                    Reply {
                        ack: good.ack.wrapping_add(1),
                        ..good
                    },
                    Reply {
                        ack: good.ack.wrapping_sub(1),
                        ..good
                    },
                    Reply {
                        ack: good.ack ^ 0x8000_0000,
                        ..good
                    },
                    Reply {
                        sport: good.sport ^ 1,
                        ..good
                    },
                    Reply {
                        dport: if good.dport == 65535 {
                            61000
                        } else {
                            good.dport + 1
                        },
                        ..good
                    },
                    Reply {
                        dport: 60999,
                        ..good
                    },
                    Reply {
                        src: bump(good.src),
                        ..good
                    },
                    Reply {
                        dst: bump(good.dst),
                        ..good
                    },
                ];
                for bad in forged {
                    assert!(!cookie.validate(&bad), "frame {n}: {bad:?}");
                }
            }
            Incoming::Unreachable(good) => {
                let mut bad = good;
                bad.probe.seq ^= 1;
                assert!(!cookie.validate_unreachable(&bad), "frame {n}");
                let mut bad = good;
                bad.probe.dport ^= 1;
                assert!(!cookie.validate_unreachable(&bad), "frame {n}");
                let mut bad = good;
                bad.probe.dst = bump(good.probe.dst);
                assert!(!cookie.validate_unreachable(&bad), "frame {n}");
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 12);
}

/// The next address.
fn bump(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V4(a) => IpAddr::from(u32::from(a).wrapping_add(1).to_be_bytes()),
        IpAddr::V6(a) => IpAddr::from(u128::from(a).wrapping_add(1).to_be_bytes()),
    }
}

#[test]
fn every_cut_of_a_captured_frame_is_an_error_or_nothing() {
    for (i, bytes) in frames().iter().enumerate() {
        let whole = Incoming::decode_frame(bytes).unwrap();
        for len in 0..bytes.len() {
            let cut = Incoming::decode_frame(&bytes[..len]);
            if whole.is_some() && len < bytes.len().min(ip_end(bytes)) {
                assert!(cut.is_err(), "frame {} cut at {len}: {cut:?}", i + 1);
            }
        }
    }
}

/// Where the IP packet of a frame ends (before any Ethernet padding).
fn ip_end(frame: &[u8]) -> usize {
    let ip = ip_packet(frame);
    ETHERNET_HEADER_LEN
        + match ip[0] >> 4 {
            4 => usize::from(u16::from_be_bytes([ip[2], ip[3]])),
            _ => 40 + usize::from(u16::from_be_bytes([ip[4], ip[5]])),
        }
}

/// The first SYN-ACK to us over IPv4 and over IPv6, as captured.
fn synack(v6: bool) -> Vec<u8> {
    let (n, _) = answers()
        .into_iter()
        .find(|(_, a)| matches!(a, Incoming::Tcp(r) if r.flags == ReplyFlags::SynAck && r.src.is_ipv6() == v6))
        .unwrap();
    frame(n)
}

fn decode_ip(ip: &[u8]) -> Result<Option<Incoming>, DecodeError> {
    Incoming::decode_ip(ip)
}

#[test]
fn rejects_damaged_ipv4_headers() {
    let good = synack(false);
    let ip = ip_packet(&good).to_vec();
    assert!(matches!(decode_ip(&ip), Ok(Some(Incoming::Tcp(_)))));
    let damaged = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = ip.clone();
        f(&mut bytes);
        decode_ip(&bytes)
    };
    for ihl in 0..5u8 {
        assert!(
            matches!(
                damaged(&|b| b[0] = 0x40 | ihl),
                Err(DecodeError::Unexpected {
                    what: "IPv4 version and IHL",
                    ..
                })
            ),
            "IHL {ihl}"
        );
    }
    // IHL 15: 40 bytes of options, more than the 44-byte packet's total length leaves.
    assert!(damaged(&|b| b[0] = 0x4F).is_err());
    // Total length beyond the bytes, and below the header.
    assert!(matches!(
        damaged(&|b| b[2..4].copy_from_slice(&100u16.to_be_bytes())),
        Err(DecodeError::Truncated { .. })
    ));
    assert!(matches!(
        damaged(&|b| b[2..4].copy_from_slice(&19u16.to_be_bytes())),
        Err(DecodeError::Unexpected { .. })
    ));
    // Total length cutting the TCP header.
    assert!(damaged(&|b| b[2..4].copy_from_slice(&30u16.to_be_bytes())).is_err());
    // More Fragments, and a fragment offset.
    assert!(matches!(
        damaged(&|b| b[6] |= 0x20),
        Err(DecodeError::Unexpected {
            what: "IPv4 fragment",
            ..
        })
    ));
    assert!(matches!(
        damaged(&|b| b[7] = 1),
        Err(DecodeError::Unexpected {
            what: "IPv4 fragment",
            ..
        })
    ));
    // Version 5.
    assert!(damaged(&|b| b[0] = 0x55).is_err());
    // Not TCP or ICMP: nothing to us.
    assert_eq!(damaged(&|b| b[9] = 17), Ok(None));
    // Ethernet padding after the total length is ignored.
    let mut padded = good.clone();
    padded.extend_from_slice(&[0; 16]);
    assert_eq!(
        Incoming::decode_frame(&padded),
        Incoming::decode_frame(&good)
    );
}

#[test]
fn rejects_damaged_tcp_headers() {
    for v6 in [false, true] {
        let good = synack(v6);
        let tcp_at = ETHERNET_HEADER_LEN + if v6 { 40 } else { 20 };
        for offset in 0..5u8 {
            let mut bytes = good.clone();
            bytes[tcp_at + 12] = offset << 4;
            assert!(
                matches!(
                    Incoming::decode_frame(&bytes),
                    Err(DecodeError::Unexpected {
                        what: "TCP data offset",
                        ..
                    })
                ),
                "data offset {offset}"
            );
        }
        // Data offset 15: options beyond the segment.
        let mut bytes = good.clone();
        bytes[tcp_at + 12] = 0xF0;
        assert!(matches!(
            Incoming::decode_frame(&bytes),
            Err(DecodeError::Truncated {
                what: "TCP options",
                ..
            })
        ));
    }
}

#[test]
fn rejects_damaged_ipv6_headers() {
    let good = synack(true);
    let ip = ip_packet(&good).to_vec();
    let damaged = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = ip.clone();
        f(&mut bytes);
        decode_ip(&bytes)
    };
    // Payload length beyond the bytes, and cutting the TCP header.
    assert!(matches!(
        damaged(&|b| b[4..6].copy_from_slice(&500u16.to_be_bytes())),
        Err(DecodeError::Truncated { .. })
    ));
    assert!(damaged(&|b| b[4..6].copy_from_slice(&10u16.to_be_bytes())).is_err());
    // A fragment header.
    assert!(matches!(
        damaged(&|b| b[6] = 44),
        Err(DecodeError::Unexpected {
            what: "IPv6 fragment header",
            ..
        })
    ));
    // A hop-by-hop header whose length runs past the payload.
    assert!(
        damaged(&|b| {
            b[6] = 0;
            b[41] = 200;
        })
        .is_err()
    );
    // A chain of empty destination-options headers longer than the cap: not TCP to us.
    let mut chain = ip[..40].to_vec();
    chain[6] = 60;
    for _ in 0..20 {
        chain.extend_from_slice(&[60, 0, 0, 0, 0, 0, 0, 0]);
    }
    let len = (chain.len() - 40) as u16;
    chain[4..6].copy_from_slice(&len.to_be_bytes());
    assert_eq!(decode_ip(&chain), Ok(None));
    // One destination-options header before the real TCP segment is stepped over.
    let mut wrapped = ip[..40].to_vec();
    wrapped[6] = 60;
    wrapped.extend_from_slice(&[6, 0, 1, 4, 0, 0, 0, 0]); // next TCP, PadN option
    wrapped.extend_from_slice(&ip[40..]);
    let len = (wrapped.len() - 40) as u16;
    wrapped[4..6].copy_from_slice(&len.to_be_bytes());
    assert_eq!(decode_ip(&wrapped), decode_ip(&ip));
}

/// The seeds of the `tcpip_packet` fuzz target: the IP packet of every IPv4 and IPv6 frame
/// of the capture, named `syn-replies-f<frame>-<what>.bin`.
fn fuzz_seeds() -> BTreeMap<String, Vec<u8>> {
    let mut seeds = BTreeMap::new();
    for (i, bytes) in frames().iter().enumerate() {
        let ethertype = u16::from_be_bytes([bytes[12], bytes[13]]);
        if ethertype != 0x0800 && ethertype != 0x86DD {
            continue;
        }
        let what = match Incoming::decode_frame(bytes).unwrap() {
            None => "other".to_owned(),
            Some(Incoming::Tcp(r)) => match r.flags {
                ReplyFlags::SynAck => "synack".to_owned(),
                ReplyFlags::Rst => "rst".to_owned(),
                ReplyFlags::Other(f) => format!("{f:?}").to_lowercase().replace('|', "-"),
            },
            Some(Incoming::Unreachable(u)) => format!("unreachable-{}", u.code),
        };
        let ip = &bytes[ETHERNET_HEADER_LEN..ip_end(bytes)];
        seeds.insert(format!("syn-replies-f{}-{what}.bin", i + 1), ip.to_vec());
    }
    seeds
}

fn seed_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/tcpip_packet")
}

/// Writes the seeds: `cargo test -p smbaudit-wire --test tcpip_vectors -- --ignored
/// extract_tcpip_seeds`.
#[test]
#[ignore = "writes fuzz/corpus/tcpip_packet; run after changing the capture"]
fn extract_tcpip_seeds() {
    let dir = seed_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in fuzz_seeds() {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

#[test]
fn tcpip_seeds_are_the_ones_the_capture_gives() {
    let mut committed = BTreeMap::new();
    for entry in std::fs::read_dir(seed_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        committed.insert(name, std::fs::read(&path).unwrap());
    }
    assert_eq!(committed, fuzz_seeds());
}

#[test]
fn the_ethertype_decides_which_ip_header_is_read() {
    for v6 in [false, true] {
        let mut bytes = synack(v6);
        let other = if v6 { [0x08, 0x00] } else { [0x86, 0xDD] };
        bytes[12..14].copy_from_slice(&other);
        assert!(Incoming::decode_frame(&bytes).is_err(), "IPv6 {v6}");
        // An 802.1Q tag in front of the right EtherType is stepped over.
        let mut tagged = synack(v6);
        tagged.splice(12..12, [0x81, 0x00, 0x00, 0x07]);
        assert_eq!(
            Incoming::decode_frame(&tagged),
            Incoming::decode_frame(&synack(v6))
        );
        // Not IP at all: nothing to us.
        let mut arp = synack(v6);
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        assert_eq!(Incoming::decode_frame(&arp), Ok(None));
    }
}
