//! cargo-fuzz target `dcerpc_stream`: see [`smbaudit_fuzz::dcerpc_stream`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| smbaudit_fuzz::dcerpc_stream(data));
