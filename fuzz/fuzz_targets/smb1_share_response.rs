//! cargo-fuzz target `smb1_share_response`: see [`smbaudit_fuzz::smb1_share_response`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| smbaudit_fuzz::smb1_share_response(data));
