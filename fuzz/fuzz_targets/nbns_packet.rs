//! cargo-fuzz target `nbns_packet`: see [`smbaudit_fuzz::nbns_packet`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| smbaudit_fuzz::nbns_packet(data));
