//! cargo-fuzz target `nbss_stream`: see [`smbaudit_fuzz::nbss_stream`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| smbaudit_fuzz::nbss_stream(data));
