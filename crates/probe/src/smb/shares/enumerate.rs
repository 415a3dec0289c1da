//! The srvsvc pipe steps: open `srvsvc` on IPC$, BIND, NetrShareEnum, with READs for a
//! message longer than one transceive, and the judgement of each answer.

use smbaudit_wire::Encode;
use smbaudit_wire::dcerpc::{
    Pdu, Reassembly, SRVSVC_SYNTAX, bind_request, decode_share_enum, request_pdu, share_enum_stub,
};
use smbaudit_wire::smb2::{
    self, CloseRequest, CreateRequest, CreateResponse, FILE_NON_DIRECTORY_FILE, FILE_OPEN, FileId,
    PipeOutput, ReadRequest, TransceiveRequest,
};

use super::super::ProbeError;
use super::super::reply::status_text;
use super::{Failed, Share, ShareListing, decoded};

/// NetrShareEnum's opnum in the SRVSVC interface.
const OPNUM_NETR_SHARE_ENUM: u16 = 15;
/// The call ID of the BIND; each NetrShareEnum level gets its own after it.
pub(super) const BIND_CALL: u32 = 1;
/// Bytes asked for by each pipe transceive or READ (one credit's worth).
const PIPE_CHUNK: u32 = 65536;
/// READs of one pipe message at most (a pipe read that never ends stops here).
pub(super) const MAX_PIPE_READS: usize = 64;
/// WERROR ERROR_MORE_DATA: the list is partial.
const ERROR_MORE_DATA: u32 = 234;
/// The `srvsvc` pipe's desired access: read and write data, attributes and EAs.
const PIPE_ACCESS: u32 = 0x0012_019f;

/// CREATE of the `srvsvc` pipe.
pub(super) fn open_pipe_request() -> Vec<u8> {
    CreateRequest {
        name: "srvsvc".into(),
        desired_access: PIPE_ACCESS,
        share_access: 0x3,
        disposition: FILE_OPEN,
        options: FILE_NON_DIRECTORY_FILE,
        contexts: Vec::new(),
    }
    .to_vec()
}

/// The handle of a successful CREATE, or the verdict-ready reason it failed (with whether
/// the status is a clear refusal).
pub(super) fn read_open(
    reply: Result<Vec<u8>, ProbeError>,
) -> Result<FileId, (Option<bool>, String)> {
    match decoded(reply, CreateResponse::decode) {
        Ok(resp) => Ok(resp.file_id),
        Err(Failed::Status(status)) => Err((refusal(status), status_text(status))),
        Err(Failed::Other(e)) => Err((None, e)),
    }
}

/// Whether an NT status clearly says "not for you".
pub(super) fn refusal(status: u32) -> Option<bool> {
    matches!(
        status,
        smb2::status::ACCESS_DENIED
            | smb2::status::NETWORK_ACCESS_DENIED
            | smb2::status::BAD_NETWORK_NAME
            | smb2::status::LOGON_FAILURE
    )
    .then_some(false)
}

/// The BIND to SRVSVC v3.0 with NDR, written and answered in one transceive.
pub(super) fn bind(file_id: FileId) -> Vec<u8> {
    transceive(file_id, bind_request(&SRVSVC_SYNTAX, BIND_CALL))
}

/// NetrShareEnum at `level` for `\\netname`.
pub(super) fn share_enum(file_id: FileId, netname: &str, level: u32) -> Vec<u8> {
    let stub = share_enum_stub(netname, level);
    transceive(
        file_id,
        request_pdu(OPNUM_NETR_SHARE_ENUM, &stub, enum_call(level)),
    )
}

/// The call ID of NetrShareEnum at `level`.
pub(super) fn enum_call(level: u32) -> u32 {
    BIND_CALL + 2 - level.min(1)
}

fn transceive(file_id: FileId, input: Vec<u8>) -> Vec<u8> {
    TransceiveRequest {
        file_id,
        input,
        max_output: PIPE_CHUNK,
    }
    .to_vec()
}

/// A READ of the rest of the pipe message.
pub(super) fn read_more(file_id: FileId) -> Vec<u8> {
    ReadRequest {
        file_id,
        length: PIPE_CHUNK,
    }
    .to_vec()
}

/// CLOSE of a handle.
pub(super) fn close(file_id: FileId) -> Vec<u8> {
    CloseRequest { file_id }.to_vec()
}

/// What a pipe answer brought.
pub(super) enum PipeStep {
    /// A whole PDU.
    Pdu(Pdu),
    /// The message continues: READ again.
    More,
}

/// Feeds one IOCTL (`first`) or READ answer into `re`.
pub(super) fn pipe_answer(
    reply: Result<Vec<u8>, ProbeError>,
    first: bool,
    re: &mut Reassembly,
    call_id: u32,
) -> Result<PipeStep, String> {
    let msg = reply.map_err(|e| e.to_string())?;
    let decoded = if first {
        smb2::decode_transceive(&msg)
    } else {
        smb2::decode_read(&msg)
    };
    let PipeOutput { data, more, .. } = decoded.map_err(|e| match e {
        smbaudit_wire::ResponseError::Status(s) => format!("the pipe answered {}", status_text(s)),
        e => format!("pipe answer: {e}"),
    })?;
    match re
        .push(&data, call_id)
        .map_err(|e| format!("DCE/RPC: {e}"))?
    {
        Some(pdu) => Ok(PipeStep::Pdu(pdu)),
        None if more || !re.is_empty() || !data.is_empty() => Ok(PipeStep::More),
        None => Err("the pipe answered no data".into()),
    }
}

/// The BIND's answer: accepted, or why not.
pub(super) fn judge_bind(pdu: Pdu) -> Result<(), (Option<bool>, String)> {
    match pdu {
        Pdu::BindAck(ack) if ack.result == 0 => Ok(()),
        Pdu::BindAck(ack) => Err((
            None,
            format!(
                "SRVSVC bind rejected (result {}, reason {})",
                ack.result, ack.reason
            ),
        )),
        Pdu::BindNak(reason) => Err((
            None,
            format!("SRVSVC bind refused (BIND_NAK reason {reason})"),
        )),
        Pdu::Fault(status) => Err((
            fault_refusal(status),
            format!("SRVSVC bind fault {status:#010x}"),
        )),
        other => Err((None, format!("SRVSVC bind answered {other:?}"))),
    }
}

fn fault_refusal(status: u32) -> Option<bool> {
    // nca_s_fault_access_denied and ERROR_ACCESS_DENIED.
    matches!(status, 5 | 0x1c00_0005).then_some(false)
}

/// NetrShareEnum's answer at `level`: the listing, or why there is none.
pub(super) fn judge_enum(pdu: Pdu, level: u32) -> Result<ShareListing, (Option<bool>, String)> {
    let stub = match pdu {
        Pdu::Response { stub, .. } => stub,
        Pdu::Fault(status) => {
            return Err((
                fault_refusal(status),
                format!("NetrShareEnum level {level}: fault {status:#010x}"),
            ));
        }
        other => return Err((None, format!("NetrShareEnum answered {other:?}"))),
    };
    let answer = decode_share_enum(&stub)
        .map_err(|e| (None, format!("NetrShareEnum level {level}: {e}")))?;
    match answer.werror {
        0 | ERROR_MORE_DATA => {}
        5 => {
            return Err((
                Some(false),
                format!("NetrShareEnum level {level}: WERROR 5 (access denied)"),
            ));
        }
        w => return Err((None, format!("NetrShareEnum level {level}: WERROR {w}"))),
    }
    let partial = if answer.werror == ERROR_MORE_DATA {
        format!(" (partial: {} of {})", answer.shares.len(), answer.total)
    } else {
        String::new()
    };
    Ok(ShareListing {
        listed_by: None,
        listed: Some(true),
        reason: format!(
            "NetrShareEnum level {} listed {} shares{partial}",
            answer.level,
            answer.shares.len()
        ),
        level: Some(answer.level),
        shares: answer.shares.into_iter().map(Share::from_info).collect(),
    })
}

/// The IPC$ TREE_CONNECT's answer.
pub(super) fn read_open_tree(
    reply: Result<Vec<u8>, ProbeError>,
) -> Result<(), (Option<bool>, String)> {
    match decoded(reply, smb2::TreeConnectResponse::decode) {
        Ok(_) => Ok(()),
        Err(Failed::Status(status)) => Err((
            refusal(status),
            format!("the IPC$ tree connect answered {}", status_text(status)),
        )),
        Err(Failed::Other(e)) => Err((None, format!("IPC$ tree connect: {e}"))),
    }
}
