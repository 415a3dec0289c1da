//! The per-share checks: TREE_CONNECT, CREATE of the root directory with MxAc, one
//! QUERY_DIRECTORY, and (only when asked) one DELETE_ON_CLOSE file.

use smbaudit_wire::smb2::{
    self, CreateRequest, CreateResponse, FILE_CREATE, FILE_DELETE_ON_CLOSE, FILE_DIRECTORY_FILE,
    FILE_NON_DIRECTORY_FILE, FILE_OPEN, FileId, QueryDirectoryRequest, QueryDirectoryResponse,
    SHARE_ALL, TreeConnectRequest, TreeConnectResponse, access, context_name,
};
use smbaudit_wire::{Encode, ResponseError};

use super::super::ProbeError;
use super::super::reply::status_text;
use super::enumerate::refusal;
use super::{Failed, Identity, ShareAccess, decoded};

/// Access bits that let an identity add or change files ([MS-SMB2] 2.2.13.1.2:
/// FILE_ADD_FILE, FILE_ADD_SUBDIRECTORY, and the generic rights that include them).
/// DELETE, WRITE_DAC and WRITE_OWNER do not count alone: Samba grants them on the root of a
/// read-only share (0x001f00a9 for a guest on `read only = yes`), where no file can be
/// written; they stay visible in the mask of the evidence.
const WRITE_BITS: u32 =
    access::WRITE_DATA | access::APPEND_DATA | access::GENERIC_ALL | access::GENERIC_WRITE;
/// What the root is opened for: list it, read its attributes.
const ROOT_ACCESS: u32 = access::READ_DATA | access::READ_ATTRIBUTES | access::SYNCHRONIZE;
/// Output bytes of the one QUERY_DIRECTORY.
const LIST_OUTPUT: u32 = 8192;

/// TREE_CONNECT to `\\netname\share`.
pub(super) fn connect_request(netname: &str, share: &str) -> Vec<u8> {
    TreeConnectRequest {
        message_id: 0,
        session_id: 0,
        path: format!(r"\\{netname}\{share}"),
    }
    .to_vec()
}

/// The TREE_CONNECT's verdict.
pub(super) fn read_connect(identity: Identity, reply: Result<Vec<u8>, ProbeError>) -> ShareAccess {
    let msg = match reply {
        Ok(msg) => msg,
        Err(e) => return ShareAccess::refused(identity, None, e.to_string()),
    };
    match TreeConnectResponse::decode(&msg) {
        Ok(resp) => ShareAccess {
            share_access: Some(resp.maximal_access),
            ..ShareAccess::refused(identity, Some(true), "connected".into())
        },
        Err(ResponseError::Status(status)) => {
            ShareAccess::refused(identity, Some(false), status_text(status))
        }
        Err(e) => ShareAccess::refused(identity, None, e.to_string()),
    }
}

/// CREATE of the share's root directory, asking for the maximal access.
pub(super) fn open_root_request() -> Vec<u8> {
    CreateRequest {
        name: String::new(),
        desired_access: ROOT_ACCESS,
        share_access: SHARE_ALL,
        disposition: FILE_OPEN,
        options: FILE_DIRECTORY_FILE,
        contexts: vec![(context_name::MAXIMAL_ACCESS, Vec::new())],
    }
    .to_vec()
}

/// Records the root CREATE's answer; the handle, when there is one, is listed next.
pub(super) fn read_root(
    found: &mut ShareAccess,
    reply: Result<Vec<u8>, ProbeError>,
) -> Option<FileId> {
    match decoded(reply, CreateResponse::decode) {
        Ok(resp) => {
            found.root_access = resp
                .maximal_access()
                .filter(|m| m.query_status == smb2::status::SUCCESS)
                .map(|m| m.maximal_access);
            Some(resp.file_id)
        }
        Err(Failed::Status(status)) => {
            found.read = refusal(status);
            found.read_status = Some(format!("root CREATE answered {}", status_text(status)));
            None
        }
        Err(Failed::Other(e)) => {
            found.read_status = Some(format!("root CREATE: {e}"));
            None
        }
    }
}

/// One QUERY_DIRECTORY of every name in the root.
pub(super) fn list_request(file_id: FileId) -> Vec<u8> {
    QueryDirectoryRequest {
        file_id,
        max_output: LIST_OUTPUT,
    }
    .to_vec()
}

/// Records the listing's answer.
pub(super) fn read_list(found: &mut ShareAccess, reply: Result<Vec<u8>, ProbeError>) {
    match decoded(reply, QueryDirectoryResponse::decode) {
        Ok(resp) => {
            found.read = Some(true);
            found.entries = Some(
                resp.names
                    .iter()
                    .filter(|n| *n != "." && *n != "..")
                    .count(),
            );
        }
        Err(Failed::Status(smb2::status::NO_MORE_FILES)) => {
            found.read = Some(true);
            found.entries = Some(0);
        }
        Err(Failed::Status(status)) => {
            found.read = refusal(status);
            found.read_status = Some(format!("QUERY_DIRECTORY answered {}", status_text(status)));
        }
        Err(Failed::Other(e)) => found.read_status = Some(format!("QUERY_DIRECTORY: {e}")),
    }
}

/// Judges write access from the maximal access granted (the root's, else the share's).
pub(super) fn infer_write(found: &mut ShareAccess) {
    let (mask, whose) = match (found.root_access, found.share_access) {
        (Some(mask), _) => (mask, "the root's"),
        (None, Some(mask)) => (mask, "the share's"),
        (None, None) => return,
    };
    found.write = Some(mask & WRITE_BITS != 0);
    found.write_evidence = Some(format!("inferred from {whose} maximal access {mask:#010x}"));
}

/// CREATE of a new file named `name` in the root, deleted when its handle closes.
pub(super) fn write_request(name: &str) -> Vec<u8> {
    CreateRequest {
        name: name.to_owned(),
        desired_access: access::WRITE_DATA | access::DELETE | access::SYNCHRONIZE,
        share_access: 0,
        disposition: FILE_CREATE,
        options: FILE_NON_DIRECTORY_FILE | FILE_DELETE_ON_CLOSE,
        contexts: Vec::new(),
    }
    .to_vec()
}

/// Records the write check's CREATE; a handle is closed (and the file so deleted) next.
pub(super) fn read_write(
    found: &mut ShareAccess,
    name: &str,
    reply: Result<Vec<u8>, ProbeError>,
) -> Option<FileId> {
    let (write, evidence, handle) = match decoded(reply, CreateResponse::decode) {
        Ok(resp) => (
            Some(true),
            format!("write check created {name}"),
            Some(resp.file_id),
        ),
        Err(Failed::Status(status)) => (
            refusal(status),
            format!(
                "write check: creating {name} answered {}",
                status_text(status)
            ),
            None,
        ),
        Err(Failed::Other(e)) => (None, format!("write check: {e}"), None),
    };
    found.write = write;
    found.write_evidence = Some(evidence);
    handle
}

/// Records the CLOSE that removes the write check's file.
pub(super) fn read_write_close(found: &mut ShareAccess, reply: Result<Vec<u8>, ProbeError>) {
    let removed = match decoded(reply, smb2::close_status) {
        Ok(smb2::status::SUCCESS) => "and removed it (DELETE_ON_CLOSE)".to_owned(),
        Ok(status) | Err(Failed::Status(status)) => format!(
            "but its CLOSE answered {}: it may remain",
            status_text(status)
        ),
        Err(Failed::Other(e)) => format!("but its CLOSE failed ({e}): it may remain"),
    };
    if let Some(evidence) = &mut found.write_evidence {
        evidence.push(' ');
        evidence.push_str(&removed);
    }
}
