//! cargo-fuzz target `ntlm_challenge`: see [`smbaudit_fuzz::ntlm_challenge`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| smbaudit_fuzz::ntlm_challenge(data));
