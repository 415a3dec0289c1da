//! NT status codes seen in SMB replies ([MS-ERREF] 2.3.1) and their names.
//!
//! The same 32-bit values appear in SMB2 headers and in SMB1 headers whose Flags2 has
//! `NT_STATUS`.

/// `STATUS_SUCCESS`: The operation succeeded.
pub const SUCCESS: u32 = 0x0000_0000;
/// `STATUS_PENDING`: An async operation is under way (interim response).
pub const PENDING: u32 = 0x0000_0103;
/// `STATUS_NOTIFY_ENUM_DIR`: A change notification overflowed its buffer.
pub const NOTIFY_ENUM_DIR: u32 = 0x0000_010C;
/// `STATUS_BUFFER_OVERFLOW`: Warning: the data did not fit and was truncated.
pub const BUFFER_OVERFLOW: u32 = 0x8000_0005;
/// `STATUS_NO_MORE_FILES`: A directory enumeration has no more entries.
pub const NO_MORE_FILES: u32 = 0x8000_0006;
/// `STATUS_UNSUCCESSFUL`: Generic failure.
pub const UNSUCCESSFUL: u32 = 0xC000_0001;
/// `STATUS_NOT_IMPLEMENTED`: The request is not implemented.
pub const NOT_IMPLEMENTED: u32 = 0xC000_0002;
/// `STATUS_INVALID_INFO_CLASS`: The information class is invalid.
pub const INVALID_INFO_CLASS: u32 = 0xC000_0003;
/// `STATUS_ACCESS_VIOLATION`: An access violation.
pub const ACCESS_VIOLATION: u32 = 0xC000_0005;
/// `STATUS_INVALID_HANDLE`: The handle (FID) is invalid.
pub const INVALID_HANDLE: u32 = 0xC000_0008;
/// `STATUS_INVALID_PARAMETER`: A parameter is invalid (e.g. DialectCount 0).
pub const INVALID_PARAMETER: u32 = 0xC000_000D;
/// `STATUS_NO_SUCH_DEVICE`: The device does not exist.
pub const NO_SUCH_DEVICE: u32 = 0xC000_000E;
/// `STATUS_NO_SUCH_FILE`: The file does not exist.
pub const NO_SUCH_FILE: u32 = 0xC000_000F;
/// `STATUS_INVALID_DEVICE_REQUEST`: The request is not valid for this device.
pub const INVALID_DEVICE_REQUEST: u32 = 0xC000_0010;
/// `STATUS_END_OF_FILE`: End of file reached.
pub const END_OF_FILE: u32 = 0xC000_0011;
/// `STATUS_MORE_PROCESSING_REQUIRED`: Another authentication leg is needed (NTLM CHALLENGE sent).
pub const MORE_PROCESSING_REQUIRED: u32 = 0xC000_0016;
/// `STATUS_NO_MEMORY`: The server is out of memory.
pub const NO_MEMORY: u32 = 0xC000_0017;
/// `STATUS_ACCESS_DENIED`: Access is denied.
pub const ACCESS_DENIED: u32 = 0xC000_0022;
/// `STATUS_BUFFER_TOO_SMALL`: The buffer is too small.
pub const BUFFER_TOO_SMALL: u32 = 0xC000_0023;
/// `STATUS_OBJECT_NAME_INVALID`: The object name is invalid.
pub const OBJECT_NAME_INVALID: u32 = 0xC000_0033;
/// `STATUS_OBJECT_NAME_NOT_FOUND`: The object name was not found.
pub const OBJECT_NAME_NOT_FOUND: u32 = 0xC000_0034;
/// `STATUS_OBJECT_NAME_COLLISION`: The object name already exists.
pub const OBJECT_NAME_COLLISION: u32 = 0xC000_0035;
/// `STATUS_OBJECT_PATH_NOT_FOUND`: The path was not found.
pub const OBJECT_PATH_NOT_FOUND: u32 = 0xC000_003A;
/// `STATUS_SHARING_VIOLATION`: A sharing violation.
pub const SHARING_VIOLATION: u32 = 0xC000_0043;
/// `STATUS_NO_LOGON_SERVERS`: No logon servers are available.
pub const NO_LOGON_SERVERS: u32 = 0xC000_005E;
/// `STATUS_NO_SUCH_LOGON_SESSION`: The logon session does not exist.
pub const NO_SUCH_LOGON_SESSION: u32 = 0xC000_005F;
/// `STATUS_PRIVILEGE_NOT_HELD`: A required privilege is not held.
pub const PRIVILEGE_NOT_HELD: u32 = 0xC000_0061;
/// `STATUS_NO_SUCH_USER`: The user does not exist.
pub const NO_SUCH_USER: u32 = 0xC000_0064;
/// `STATUS_WRONG_PASSWORD`: The password is wrong.
pub const WRONG_PASSWORD: u32 = 0xC000_006A;
/// `STATUS_LOGON_FAILURE`: The logon failed (bad user name or password).
pub const LOGON_FAILURE: u32 = 0xC000_006D;
/// `STATUS_ACCOUNT_RESTRICTION`: An account restriction prevents logon (e.g. blank password).
pub const ACCOUNT_RESTRICTION: u32 = 0xC000_006E;
/// `STATUS_INVALID_LOGON_HOURS`: Logon is not allowed at this time.
pub const INVALID_LOGON_HOURS: u32 = 0xC000_006F;
/// `STATUS_INVALID_WORKSTATION`: Logon is not allowed from this workstation.
pub const INVALID_WORKSTATION: u32 = 0xC000_0070;
/// `STATUS_PASSWORD_EXPIRED`: The password has expired.
pub const PASSWORD_EXPIRED: u32 = 0xC000_0071;
/// `STATUS_ACCOUNT_DISABLED`: The account is disabled.
pub const ACCOUNT_DISABLED: u32 = 0xC000_0072;
/// `STATUS_NONE_MAPPED`: No account names were mapped.
pub const NONE_MAPPED: u32 = 0xC000_0073;
/// `STATUS_DISK_FULL`: The disk is full.
pub const DISK_FULL: u32 = 0xC000_007F;
/// `STATUS_INSUFFICIENT_RESOURCES`: The server lacks resources.
pub const INSUFFICIENT_RESOURCES: u32 = 0xC000_009A;
/// `STATUS_PIPE_NOT_AVAILABLE`: No pipe instance is available.
pub const PIPE_NOT_AVAILABLE: u32 = 0xC000_00AC;
/// `STATUS_PIPE_BUSY`: The pipe is busy.
pub const PIPE_BUSY: u32 = 0xC000_00AE;
/// `STATUS_PIPE_DISCONNECTED`: The pipe is disconnected.
pub const PIPE_DISCONNECTED: u32 = 0xC000_00B0;
/// `STATUS_PIPE_CLOSING`: The pipe is closing.
pub const PIPE_CLOSING: u32 = 0xC000_00B1;
/// `STATUS_IO_TIMEOUT`: An I/O operation timed out.
pub const IO_TIMEOUT: u32 = 0xC000_00B5;
/// `STATUS_FILE_IS_A_DIRECTORY`: The file is a directory.
pub const FILE_IS_A_DIRECTORY: u32 = 0xC000_00BA;
/// `STATUS_NOT_SUPPORTED`: The request is not supported (e.g. no common dialect).
pub const NOT_SUPPORTED: u32 = 0xC000_00BB;
/// `STATUS_DUPLICATE_NAME`: A duplicate name exists on the network.
pub const DUPLICATE_NAME: u32 = 0xC000_00BD;
/// `STATUS_BAD_NETWORK_PATH`: The network path was not found.
pub const BAD_NETWORK_PATH: u32 = 0xC000_00BE;
/// `STATUS_INVALID_NETWORK_RESPONSE`: The network response was invalid.
pub const INVALID_NETWORK_RESPONSE: u32 = 0xC000_00C3;
/// `STATUS_NETWORK_NAME_DELETED`: The network name was deleted.
pub const NETWORK_NAME_DELETED: u32 = 0xC000_00C9;
/// `STATUS_NETWORK_ACCESS_DENIED`: Network access is denied.
pub const NETWORK_ACCESS_DENIED: u32 = 0xC000_00CA;
/// `STATUS_BAD_NETWORK_NAME`: The share name does not exist.
pub const BAD_NETWORK_NAME: u32 = 0xC000_00CC;
/// `STATUS_REQUEST_NOT_ACCEPTED`: No more connections can be accepted.
pub const REQUEST_NOT_ACCEPTED: u32 = 0xC000_00D0;
/// `STATUS_PIPE_EMPTY`: The pipe holds no data.
pub const PIPE_EMPTY: u32 = 0xC000_00D9;
/// `STATUS_INVALID_SERVER_STATE`: The server is in the wrong state.
pub const INVALID_SERVER_STATE: u32 = 0xC000_00DC;
/// `STATUS_INTERNAL_ERROR`: An internal error.
pub const INTERNAL_ERROR: u32 = 0xC000_00E5;
/// `STATUS_NOT_A_DIRECTORY`: The file is not a directory.
pub const NOT_A_DIRECTORY: u32 = 0xC000_0103;
/// `STATUS_CANCELLED`: The operation was cancelled.
pub const CANCELLED: u32 = 0xC000_0120;
/// `STATUS_FILE_CLOSED`: The file was closed.
pub const FILE_CLOSED: u32 = 0xC000_0128;
/// `STATUS_LOGON_TYPE_NOT_GRANTED`: The logon type is not granted.
pub const LOGON_TYPE_NOT_GRANTED: u32 = 0xC000_015B;
/// `STATUS_TRUSTED_DOMAIN_FAILURE`: The trust with the domain failed.
pub const TRUSTED_DOMAIN_FAILURE: u32 = 0xC000_018C;
/// `STATUS_TRUSTED_RELATIONSHIP_FAILURE`: The workstation trust relationship failed.
pub const TRUSTED_RELATIONSHIP_FAILURE: u32 = 0xC000_018D;
/// `STATUS_USER_SESSION_DELETED`: The session was deleted.
pub const USER_SESSION_DELETED: u32 = 0xC000_0203;
/// `STATUS_INSUFF_SERVER_RESOURCES`: Server resources are exhausted (unpatched MS17-010 answer to PEEK_NMPIPE on FID 0).
pub const INSUFF_SERVER_RESOURCES: u32 = 0xC000_0205;
/// `STATUS_PASSWORD_MUST_CHANGE`: The password must be changed.
pub const PASSWORD_MUST_CHANGE: u32 = 0xC000_0224;
/// `STATUS_NOT_FOUND`: The object was not found.
pub const NOT_FOUND: u32 = 0xC000_0225;
/// `STATUS_ACCOUNT_LOCKED_OUT`: The account is locked out.
pub const ACCOUNT_LOCKED_OUT: u32 = 0xC000_0234;
/// `STATUS_NETWORK_SESSION_EXPIRED`: The session has expired.
pub const NETWORK_SESSION_EXPIRED: u32 = 0xC000_035C;
/// `STATUS_DOWNGRADE_DETECTED`: A dialect downgrade was detected (validate negotiate).
pub const DOWNGRADE_DETECTED: u32 = 0xC000_0388;
/// `STATUS_SERVER_UNAVAILABLE`: The server is unavailable.
pub const SERVER_UNAVAILABLE: u32 = 0xC000_0466;
/// `STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP`: No common preauth integrity hash algorithm.
pub const SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP: u32 = 0xC05D_0000;
/// `STATUS_SMB_BAD_CLUSTER_DIALECT`: The dialect is not valid for this cluster.
pub const SMB_BAD_CLUSTER_DIALECT: u32 = 0xC05D_0001;

/// Each known status with its name.
const NAMES: [(u32, &str); 71] = [
    (SUCCESS, "STATUS_SUCCESS"),
    (PENDING, "STATUS_PENDING"),
    (NOTIFY_ENUM_DIR, "STATUS_NOTIFY_ENUM_DIR"),
    (BUFFER_OVERFLOW, "STATUS_BUFFER_OVERFLOW"),
    (NO_MORE_FILES, "STATUS_NO_MORE_FILES"),
    (UNSUCCESSFUL, "STATUS_UNSUCCESSFUL"),
    (NOT_IMPLEMENTED, "STATUS_NOT_IMPLEMENTED"),
    (INVALID_INFO_CLASS, "STATUS_INVALID_INFO_CLASS"),
    (ACCESS_VIOLATION, "STATUS_ACCESS_VIOLATION"),
    (INVALID_HANDLE, "STATUS_INVALID_HANDLE"),
    (INVALID_PARAMETER, "STATUS_INVALID_PARAMETER"),
    (NO_SUCH_DEVICE, "STATUS_NO_SUCH_DEVICE"),
    (NO_SUCH_FILE, "STATUS_NO_SUCH_FILE"),
    (INVALID_DEVICE_REQUEST, "STATUS_INVALID_DEVICE_REQUEST"),
    (END_OF_FILE, "STATUS_END_OF_FILE"),
    (MORE_PROCESSING_REQUIRED, "STATUS_MORE_PROCESSING_REQUIRED"),
    (NO_MEMORY, "STATUS_NO_MEMORY"),
    (ACCESS_DENIED, "STATUS_ACCESS_DENIED"),
    (BUFFER_TOO_SMALL, "STATUS_BUFFER_TOO_SMALL"),
    (OBJECT_NAME_INVALID, "STATUS_OBJECT_NAME_INVALID"),
    (OBJECT_NAME_NOT_FOUND, "STATUS_OBJECT_NAME_NOT_FOUND"),
    (OBJECT_NAME_COLLISION, "STATUS_OBJECT_NAME_COLLISION"),
    (OBJECT_PATH_NOT_FOUND, "STATUS_OBJECT_PATH_NOT_FOUND"),
    (SHARING_VIOLATION, "STATUS_SHARING_VIOLATION"),
    (NO_LOGON_SERVERS, "STATUS_NO_LOGON_SERVERS"),
    (NO_SUCH_LOGON_SESSION, "STATUS_NO_SUCH_LOGON_SESSION"),
    (PRIVILEGE_NOT_HELD, "STATUS_PRIVILEGE_NOT_HELD"),
    (NO_SUCH_USER, "STATUS_NO_SUCH_USER"),
    (WRONG_PASSWORD, "STATUS_WRONG_PASSWORD"),
    (LOGON_FAILURE, "STATUS_LOGON_FAILURE"),
    (ACCOUNT_RESTRICTION, "STATUS_ACCOUNT_RESTRICTION"),
    (INVALID_LOGON_HOURS, "STATUS_INVALID_LOGON_HOURS"),
    (INVALID_WORKSTATION, "STATUS_INVALID_WORKSTATION"),
    (PASSWORD_EXPIRED, "STATUS_PASSWORD_EXPIRED"),
    (ACCOUNT_DISABLED, "STATUS_ACCOUNT_DISABLED"),
    (NONE_MAPPED, "STATUS_NONE_MAPPED"),
    (DISK_FULL, "STATUS_DISK_FULL"),
    (INSUFFICIENT_RESOURCES, "STATUS_INSUFFICIENT_RESOURCES"),
    (PIPE_NOT_AVAILABLE, "STATUS_PIPE_NOT_AVAILABLE"),
    (PIPE_BUSY, "STATUS_PIPE_BUSY"),
    (PIPE_DISCONNECTED, "STATUS_PIPE_DISCONNECTED"),
    (PIPE_CLOSING, "STATUS_PIPE_CLOSING"),
    (IO_TIMEOUT, "STATUS_IO_TIMEOUT"),
    (FILE_IS_A_DIRECTORY, "STATUS_FILE_IS_A_DIRECTORY"),
    (NOT_SUPPORTED, "STATUS_NOT_SUPPORTED"),
    (DUPLICATE_NAME, "STATUS_DUPLICATE_NAME"),
    (BAD_NETWORK_PATH, "STATUS_BAD_NETWORK_PATH"),
    (INVALID_NETWORK_RESPONSE, "STATUS_INVALID_NETWORK_RESPONSE"),
    (NETWORK_NAME_DELETED, "STATUS_NETWORK_NAME_DELETED"),
    (NETWORK_ACCESS_DENIED, "STATUS_NETWORK_ACCESS_DENIED"),
    (BAD_NETWORK_NAME, "STATUS_BAD_NETWORK_NAME"),
    (REQUEST_NOT_ACCEPTED, "STATUS_REQUEST_NOT_ACCEPTED"),
    (PIPE_EMPTY, "STATUS_PIPE_EMPTY"),
    (INVALID_SERVER_STATE, "STATUS_INVALID_SERVER_STATE"),
    (INTERNAL_ERROR, "STATUS_INTERNAL_ERROR"),
    (NOT_A_DIRECTORY, "STATUS_NOT_A_DIRECTORY"),
    (CANCELLED, "STATUS_CANCELLED"),
    (FILE_CLOSED, "STATUS_FILE_CLOSED"),
    (LOGON_TYPE_NOT_GRANTED, "STATUS_LOGON_TYPE_NOT_GRANTED"),
    (TRUSTED_DOMAIN_FAILURE, "STATUS_TRUSTED_DOMAIN_FAILURE"),
    (
        TRUSTED_RELATIONSHIP_FAILURE,
        "STATUS_TRUSTED_RELATIONSHIP_FAILURE",
    ),
    (USER_SESSION_DELETED, "STATUS_USER_SESSION_DELETED"),
    (INSUFF_SERVER_RESOURCES, "STATUS_INSUFF_SERVER_RESOURCES"),
    (PASSWORD_MUST_CHANGE, "STATUS_PASSWORD_MUST_CHANGE"),
    (NOT_FOUND, "STATUS_NOT_FOUND"),
    (ACCOUNT_LOCKED_OUT, "STATUS_ACCOUNT_LOCKED_OUT"),
    (NETWORK_SESSION_EXPIRED, "STATUS_NETWORK_SESSION_EXPIRED"),
    (DOWNGRADE_DETECTED, "STATUS_DOWNGRADE_DETECTED"),
    (SERVER_UNAVAILABLE, "STATUS_SERVER_UNAVAILABLE"),
    (
        SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP,
        "STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP",
    ),
    (SMB_BAD_CLUSTER_DIALECT, "STATUS_SMB_BAD_CLUSTER_DIALECT"),
];

/// The `STATUS_*` name of a known NT status, e.g. "STATUS_NOT_SUPPORTED".
pub fn status_name(status: u32) -> Option<&'static str> {
    NAMES
        .iter()
        .find(|(code, _)| *code == status)
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_statuses() {
        assert_eq!(status_name(0), Some("STATUS_SUCCESS"));
        assert_eq!(
            status_name(0xC000_0016),
            Some("STATUS_MORE_PROCESSING_REQUIRED")
        );
        assert_eq!(status_name(NOT_SUPPORTED), Some("STATUS_NOT_SUPPORTED"));
        assert_eq!(status_name(0xC000_006D), Some("STATUS_LOGON_FAILURE"));
        assert_eq!(status_name(0xDEAD_BEEF), None);
    }

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<u32> = NAMES.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), NAMES.len());
    }
}
