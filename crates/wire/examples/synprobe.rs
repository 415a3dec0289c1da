//! Prints the SYN that `SynCookie::syn` builds, as hex, for `tests/data/tcpip/capture.sh`,
//! which sends it from a network namespace to capture the kernel's answers:
//!
//! `synprobe <key: 32 hex digits> <src addr> <dst addr> <dport> <attempt> <src mac> <dst mac>`
//!
//! prints `ip <hex>` (for a raw IP socket) and `frame <hex>` (for AF_PACKET).

use std::net::IpAddr;
use std::process::ExitCode;

use smbaudit_wire::tcpip::cookie::SynCookie;
use smbaudit_wire::tcpip::{IpPair, MacPair};

fn hex_bytes<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits: Vec<u8> = text.bytes().filter(|b| *b != b':').collect();
    if digits.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn run(args: &[String]) -> Option<(String, String)> {
    let [key, src, dst, dport, attempt, src_mac, dst_mac] = args else {
        return None;
    };
    let cookie = SynCookie::new(hex_bytes::<16>(key)?);
    let ips = IpPair::new(src.parse::<IpAddr>().ok()?, dst.parse::<IpAddr>().ok()?)?;
    let syn = cookie.syn(ips, dport.parse().ok()?, attempt.parse().ok()?);
    let macs = MacPair {
        src: hex_bytes::<6>(src_mac)?,
        dst: hex_bytes::<6>(dst_mac)?,
    };
    let mut buf = [0u8; 128];
    let ip_len = syn.encode_ip(&mut buf).ok()?;
    let ip = hex(buf.get(..ip_len)?);
    let frame_len = syn.encode_frame(macs, &mut buf).ok()?;
    Some((ip, hex(buf.get(..frame_len)?)))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Some((ip, frame)) => {
            println!("ip {ip}\nframe {frame}");
            ExitCode::SUCCESS
        }
        None => {
            eprintln!(
                "usage: synprobe <key: 32 hex digits> <src addr> <dst addr> <dport> <attempt> <src mac> <dst mac>"
            );
            ExitCode::from(2)
        }
    }
}
