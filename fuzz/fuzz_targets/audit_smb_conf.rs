//! cargo-fuzz target `audit_smb_conf`: see `fuzz/src/hostaudit.rs`.
#![no_main]

#[allow(dead_code, unreachable_pub)]
#[path = "../src/hostaudit.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::smb_conf(data));
