//! cargo-fuzz target `smb2_response`: see [`smbaudit_fuzz::smb2_response`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| smbaudit_fuzz::smb2_response(data));
