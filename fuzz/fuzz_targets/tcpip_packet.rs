//! cargo-fuzz target `tcpip_packet`: see [`smbaudit_fuzz::tcpip_packet`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| smbaudit_fuzz::tcpip_packet(data));
