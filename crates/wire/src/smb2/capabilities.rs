//! SMB2 global capability bits ([MS-SMB2] 2.2.3 and 2.2.4 `Capabilities`).

/// `SMB2_GLOBAL_CAP_DFS`: the server supports DFS.
pub const DFS: u32 = 0x0000_0001;
/// `SMB2_GLOBAL_CAP_LEASING`: leasing (2.1 and later).
pub const LEASING: u32 = 0x0000_0002;
/// `SMB2_GLOBAL_CAP_LARGE_MTU`: multi-credit operations (2.1 and later).
pub const LARGE_MTU: u32 = 0x0000_0004;
/// `SMB2_GLOBAL_CAP_MULTI_CHANNEL`: multiple channels per session (3.x).
pub const MULTI_CHANNEL: u32 = 0x0000_0008;
/// `SMB2_GLOBAL_CAP_PERSISTENT_HANDLES` (3.x).
pub const PERSISTENT_HANDLES: u32 = 0x0000_0010;
/// `SMB2_GLOBAL_CAP_DIRECTORY_LEASING` (3.x).
pub const DIRECTORY_LEASING: u32 = 0x0000_0020;
/// `SMB2_GLOBAL_CAP_ENCRYPTION`: encryption (3.0 and 3.0.2; 3.1.1 uses the ENCRYPTION
/// negotiate context instead).
pub const ENCRYPTION: u32 = 0x0000_0040;
/// `SMB2_GLOBAL_CAP_NOTIFICATIONS`: one-way server-to-client notifications (3.1.1).
pub const NOTIFICATIONS: u32 = 0x0000_0080;

/// Each known bit with its name, in bit order.
const NAMES: [(u32, &str); 8] = [
    (DFS, "DFS"),
    (LEASING, "LEASING"),
    (LARGE_MTU, "LARGE_MTU"),
    (MULTI_CHANNEL, "MULTI_CHANNEL"),
    (PERSISTENT_HANDLES, "PERSISTENT_HANDLES"),
    (DIRECTORY_LEASING, "DIRECTORY_LEASING"),
    (ENCRYPTION, "ENCRYPTION"),
    (NOTIFICATIONS, "NOTIFICATIONS"),
];

/// Names of the set `SMB2_GLOBAL_CAP_*` bits in bit order; each unknown set bit appears as
/// "0x%08x".
pub fn capability_names(caps: u32) -> Vec<String> {
    crate::bits::bit_names(caps, &NAMES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_known_and_unknown_bits() {
        assert_eq!(capability_names(0), Vec::<String>::new());
        assert_eq!(
            capability_names(0x2F),
            [
                "DFS",
                "LEASING",
                "LARGE_MTU",
                "MULTI_CHANNEL",
                "DIRECTORY_LEASING"
            ]
        );
        assert_eq!(
            capability_names(0x8000_00C0),
            ["ENCRYPTION", "NOTIFICATIONS", "0x80000000"]
        );
        assert_eq!(capability_names(u32::MAX).len(), 32);
    }
}
