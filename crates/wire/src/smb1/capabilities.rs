//! SMB1 server and client capability bits ([MS-CIFS] 2.2.4.52.2, [MS-SMB] 2.2.4.5.2).

/// `CAP_RAW_MODE`.
pub const RAW_MODE: u32 = 0x0000_0001;
/// `CAP_MPX_MODE`.
pub const MPX_MODE: u32 = 0x0000_0002;
/// `CAP_UNICODE`.
pub const UNICODE: u32 = 0x0000_0004;
/// `CAP_LARGE_FILES`.
pub const LARGE_FILES: u32 = 0x0000_0008;
/// `CAP_NT_SMBS`.
pub const NT_SMBS: u32 = 0x0000_0010;
/// `CAP_RPC_REMOTE_APIS`.
pub const RPC_REMOTE_APIS: u32 = 0x0000_0020;
/// `CAP_STATUS32`: 32-bit NT status codes.
pub const NT_STATUS: u32 = 0x0000_0040;
/// `CAP_LEVEL_II_OPLOCKS`.
pub const LEVEL_II_OPLOCKS: u32 = 0x0000_0080;
/// `CAP_LOCK_AND_READ`.
pub const LOCK_AND_READ: u32 = 0x0000_0100;
/// `CAP_NT_FIND`.
pub const NT_FIND: u32 = 0x0000_0200;
/// `CAP_DFS`.
pub const DFS: u32 = 0x0000_1000;
/// `CAP_INFOLEVEL_PASSTHRU`.
pub const INFOLEVEL_PASSTHRU: u32 = 0x0000_2000;
/// `CAP_LARGE_READX`.
pub const LARGE_READX: u32 = 0x0000_4000;
/// `CAP_LARGE_WRITEX`.
pub const LARGE_WRITEX: u32 = 0x0000_8000;
/// `CAP_LWIO`.
pub const LWIO: u32 = 0x0001_0000;
/// `CAP_UNIX` (CIFS UNIX extensions).
pub const UNIX: u32 = 0x0080_0000;
/// `CAP_COMPRESSED_DATA`.
pub const COMPRESSED_DATA: u32 = 0x0200_0000;
/// `CAP_DYNAMIC_REAUTH`.
pub const DYNAMIC_REAUTH: u32 = 0x2000_0000;
/// `CAP_PERSISTENT_HANDLES`.
pub const PERSISTENT_HANDLES: u32 = 0x4000_0000;
/// `CAP_EXTENDED_SECURITY`: the response carries a ServerGUID and security blob.
pub const EXTENDED_SECURITY: u32 = 0x8000_0000;

/// Each known bit with its name, in bit order.
const NAMES: [(u32, &str); 20] = [
    (RAW_MODE, "RAW_MODE"),
    (MPX_MODE, "MPX_MODE"),
    (UNICODE, "UNICODE"),
    (LARGE_FILES, "LARGE_FILES"),
    (NT_SMBS, "NT_SMBS"),
    (RPC_REMOTE_APIS, "RPC_REMOTE_APIS"),
    (NT_STATUS, "STATUS32"),
    (LEVEL_II_OPLOCKS, "LEVEL_II_OPLOCKS"),
    (LOCK_AND_READ, "LOCK_AND_READ"),
    (NT_FIND, "NT_FIND"),
    (DFS, "DFS"),
    (INFOLEVEL_PASSTHRU, "INFOLEVEL_PASSTHRU"),
    (LARGE_READX, "LARGE_READX"),
    (LARGE_WRITEX, "LARGE_WRITEX"),
    (LWIO, "LWIO"),
    (UNIX, "UNIX"),
    (COMPRESSED_DATA, "COMPRESSED_DATA"),
    (DYNAMIC_REAUTH, "DYNAMIC_REAUTH"),
    (PERSISTENT_HANDLES, "PERSISTENT_HANDLES"),
    (EXTENDED_SECURITY, "EXTENDED_SECURITY"),
];

/// Names of the set `CAP_*` bits in bit order (without the `CAP_` prefix); each unknown set
/// bit appears as "0x%08x".
pub fn capability_names(caps: u32) -> Vec<String> {
    crate::bits::bit_names(caps, &NAMES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_bits() {
        assert_eq!(
            capability_names(0x8000_0044),
            ["UNICODE", "STATUS32", "EXTENDED_SECURITY"]
        );
        assert_eq!(capability_names(0x0000_0400), ["0x00000400"]);
    }
}
