//! cargo-fuzz target `nbns_roundtrip`: see [`smbaudit_fuzz::nbns_roundtrip`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| smbaudit_fuzz::nbns_roundtrip(data));
