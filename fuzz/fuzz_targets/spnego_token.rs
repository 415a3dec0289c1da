//! cargo-fuzz target `spnego_token`: see [`smbaudit_fuzz::spnego_token`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| smbaudit_fuzz::spnego_token(data));
