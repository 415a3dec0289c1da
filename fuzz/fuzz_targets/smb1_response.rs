//! cargo-fuzz target `smb1_response`: see [`smbaudit_fuzz::smb1_response`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| smbaudit_fuzz::smb1_response(data));
