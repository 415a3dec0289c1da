//! The requests of the SMB1 share walk and the judgement of each answer: the same verdicts
//! as the SMB2 steps ([`super::access`], [`super::enumerate`]) from SMB1 messages.

use smbaudit_wire::dcerpc::{
    Reassembly, SRVSVC_SYNTAX, bind_request, request_pdu, share_enum_stub,
};
use smbaudit_wire::smb1::{
    CloseRequest, FindFirst2Response, NameEncoding, NtCreateAndxRequest, NtCreateAndxResponse,
    RAP_PIPE, RapShareEnum, ReadAndxRequest, ReadAndxResponse, TRANS2_FIND_FIRST2, TransCommand,
    TransactionRequest, TransactionResponse, TreeConnectAndxResponse, TreeConnectExtendedRequest,
    close_status, find_first2_parameters, rap_share_enum_parameters,
};
use smbaudit_wire::smb2::{
    self, FILE_CREATE, FILE_DELETE_ON_CLOSE, FILE_DIRECTORY_FILE, FILE_NON_DIRECTORY_FILE,
    FILE_OPEN, SHARE_ALL, access,
};
use smbaudit_wire::{Encode, ResponseError};

use super::super::ProbeError;
use super::super::reply::status_text;
use super::super::session::ShareNameVerdict;
use super::enumerate::{self as en, PipeStep, refusal};
use super::{Failed, Identity, Share, ShareAccess, ShareListing, decoded};

/// Pipe bytes asked for by each TRANSACT_NMPIPE or READ_ANDX: one DCE/RPC fragment, which
/// fits in the smallest SMB1 buffer servers announce (4356).
const PIPE_CHUNK: u16 = 4280;
/// The RAP answer's buffer: about 200 shares, within one SMB1 message.
const RAP_BUFFER: u16 = 4096;
/// Data bytes of the one FIND_FIRST2 answer, within one SMB1 message.
const LIST_OUTPUT: u16 = 4096;
/// Entries asked for by FIND_FIRST2.
const LIST_COUNT: u16 = 512;
/// NetrShareEnum's opnum in the SRVSVC interface.
const OPNUM_NETR_SHARE_ENUM: u16 = 15;
/// The `srvsvc` pipe's desired access, as the SMB2 walk asks.
const PIPE_ACCESS: u32 = 0x0012_019f;
/// What the root is opened for: list it, read its attributes.
const ROOT_ACCESS: u32 = access::READ_DATA | access::READ_ATTRIBUTES | access::SYNCHRONIZE;

/// Identifiers every request of the walk carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ids {
    /// The session's `UID`.
    pub(super) uid: u16,
    /// The tree's `TID`.
    pub(super) tid: u16,
    /// This request's `MID`.
    pub(super) mid: u16,
}

/// TREE_CONNECT_ANDX (extended response) to `\\netname\share`.
pub(super) fn connect_request(ids: Ids, netname: &str, share: &str) -> Vec<u8> {
    TreeConnectExtendedRequest {
        uid: ids.uid,
        mid: ids.mid,
        path: format!(r"\\{netname}\{share}"),
    }
    .to_vec()
}

/// The tree connect's verdict (Connect, and Ceiling from MaximalShareAccessRights) and the
/// tree's TID when connected.
pub(super) fn read_connect(
    identity: Identity,
    reply: Result<Vec<u8>, ProbeError>,
) -> (ShareAccess, Option<u16>) {
    match decoded(reply, TreeConnectAndxResponse::decode) {
        Ok(resp) => (
            ShareAccess {
                share_access: resp.maximal_share_access,
                ..ShareAccess::refused(identity, Some(true), "connected".into())
            },
            Some(resp.header.tid),
        ),
        Err(Failed::Status(status)) => (
            ShareAccess::refused(identity, Some(false), status_text(status)),
            None,
        ),
        Err(Failed::Other(e)) => (ShareAccess::refused(identity, None, e), None),
    }
}

/// The random-name tree connect's verdict: BAD_NETWORK_NAME or ACCESS_DENIED is a refusal,
/// a success means the server accepts any name.
pub(super) fn read_random_share(
    reply: Result<Vec<u8>, ProbeError>,
    name: String,
) -> ShareNameVerdict {
    let (accepts_any, status) = match decoded(reply, TreeConnectAndxResponse::decode) {
        Ok(_) => (Some(true), Some(status_text(smb2::status::SUCCESS))),
        Err(Failed::Status(st)) => (
            matches!(
                st,
                smb2::status::BAD_NETWORK_NAME | smb2::status::ACCESS_DENIED
            )
            .then_some(false),
            Some(status_text(st)),
        ),
        Err(Failed::Other(e)) => (None, Some(e)),
    };
    ShareNameVerdict {
        accepts_any,
        name,
        status,
    }
}

fn create(
    ids: Ids,
    name: &str,
    desired_access: u32,
    share_access: u32,
    disposition: u32,
    options: u32,
) -> Vec<u8> {
    NtCreateAndxRequest {
        uid: ids.uid,
        tid: ids.tid,
        mid: ids.mid,
        name: name.to_owned(),
        desired_access,
        share_access,
        disposition,
        options,
    }
    .to_vec()
}

/// NT_CREATE_ANDX of `\srvsvc` on IPC$.
pub(super) fn open_pipe_request(ids: Ids) -> Vec<u8> {
    create(
        ids,
        r"\srvsvc",
        PIPE_ACCESS,
        0x3,
        FILE_OPEN,
        FILE_NON_DIRECTORY_FILE,
    )
}

/// NT_CREATE_ANDX of the share's root directory.
pub(super) fn open_root_request(ids: Ids) -> Vec<u8> {
    create(
        ids,
        r"\",
        ROOT_ACCESS,
        SHARE_ALL,
        FILE_OPEN,
        FILE_DIRECTORY_FILE,
    )
}

/// NT_CREATE_ANDX of a new file `name` in the root, deleted when its FID closes.
pub(super) fn write_request(ids: Ids, name: &str) -> Vec<u8> {
    create(
        ids,
        &format!(r"\{name}"),
        access::WRITE_DATA | access::DELETE | access::SYNCHRONIZE,
        0,
        FILE_CREATE,
        FILE_NON_DIRECTORY_FILE | FILE_DELETE_ON_CLOSE,
    )
}

/// The FID of a successful NT_CREATE_ANDX, or its failure.
pub(super) fn read_create(reply: Result<Vec<u8>, ProbeError>) -> Result<u16, Failed> {
    decoded(reply, NtCreateAndxResponse::decode).map(|resp| resp.fid)
}

/// The pipe open's FID, or the verdict-ready reason it failed.
pub(super) fn read_open_pipe(
    reply: Result<Vec<u8>, ProbeError>,
) -> Result<u16, (Option<bool>, String)> {
    read_create(reply).map_err(|e| match e {
        Failed::Status(status) => (
            refusal(status),
            format!("srvsvc NT_CREATE_ANDX answered {}", status_text(status)),
        ),
        Failed::Other(e) => (None, format!("srvsvc NT_CREATE_ANDX: {e}")),
    })
}

/// SMB_COM_CLOSE of `fid`.
pub(super) fn close_request(ids: Ids, fid: u16) -> Vec<u8> {
    CloseRequest {
        uid: ids.uid,
        tid: ids.tid,
        mid: ids.mid,
        fid,
    }
    .to_vec()
}

/// The BIND to SRVSVC v3.0, in a TRANSACT_NMPIPE.
pub(super) fn bind_request_on(ids: Ids, fid: u16) -> Vec<u8> {
    transact(ids, fid, bind_request(&SRVSVC_SYNTAX, en::BIND_CALL))
}

/// NetrShareEnum at `level` for `\\netname`, in a TRANSACT_NMPIPE.
pub(super) fn share_enum_request(ids: Ids, fid: u16, netname: &str, level: u32) -> Vec<u8> {
    let stub = share_enum_stub(netname, level);
    transact(
        ids,
        fid,
        request_pdu(OPNUM_NETR_SHARE_ENUM, &stub, en::enum_call(level)),
    )
}

fn transact(ids: Ids, fid: u16, pdu: Vec<u8>) -> Vec<u8> {
    TransactionRequest::transact_nmpipe(ids.uid, ids.tid, ids.mid, fid, pdu, PIPE_CHUNK).to_vec()
}

/// READ_ANDX of the rest of the pipe message.
pub(super) fn read_more_request(ids: Ids, fid: u16) -> Vec<u8> {
    ReadAndxRequest {
        uid: ids.uid,
        tid: ids.tid,
        mid: ids.mid,
        fid,
        max_count: PIPE_CHUNK,
    }
    .to_vec()
}

/// Feeds one TRANSACT_NMPIPE (`first`) or READ_ANDX answer into `re`.
pub(super) fn pipe_answer(
    reply: Result<Vec<u8>, ProbeError>,
    first: bool,
    re: &mut Reassembly,
    call_id: u32,
) -> Result<PipeStep, String> {
    let msg = reply.map_err(|e| e.to_string())?;
    let pipe_error = |e: ResponseError| match e {
        ResponseError::Status(s) => format!("the pipe answered {}", status_text(s)),
        e => format!("pipe answer: {e}"),
    };
    let (data, more) = if first {
        let resp =
            TransactionResponse::decode(&msg, TransCommand::Transaction).map_err(pipe_error)?;
        if resp.partial() {
            return Err("the server split its TRANSACTION answer over several messages".into());
        }
        let more = resp.more();
        (resp.data, more)
    } else {
        let resp = ReadAndxResponse::decode(&msg).map_err(pipe_error)?;
        (resp.data, resp.more)
    };
    match re
        .push(&data, call_id)
        .map_err(|e| format!("DCE/RPC: {e}"))?
    {
        Some(pdu) => Ok(PipeStep::Pdu(pdu)),
        None if more || !re.is_empty() || !data.is_empty() => Ok(PipeStep::More),
        None => Err("the pipe answered no data".into()),
    }
}

/// RAP NetShareEnum level 1 on `\PIPE\LANMAN` of IPC$.
pub(super) fn rap_request(ids: Ids) -> Vec<u8> {
    TransactionRequest {
        command: TransCommand::Transaction,
        uid: ids.uid,
        tid: ids.tid,
        mid: ids.mid,
        setup: Vec::new(),
        name: RAP_PIPE.into(),
        parameters: rap_share_enum_parameters(RAP_BUFFER),
        data: Vec::new(),
        max_parameter_count: 8,
        max_data_count: RAP_BUFFER,
    }
    .to_vec()
}

/// The RAP answer: the listing, or why there is none.
pub(super) fn judge_rap(
    reply: Result<Vec<u8>, ProbeError>,
) -> Result<ShareListing, (Option<bool>, String)> {
    let decode = |msg: &[u8]| TransactionResponse::decode(msg, TransCommand::Transaction);
    let resp = match decoded(reply, decode) {
        Ok(resp) => resp,
        Err(Failed::Status(status)) => {
            return Err((
                refusal(status),
                format!("RAP NetShareEnum answered {}", status_text(status)),
            ));
        }
        Err(Failed::Other(e)) => return Err((None, format!("RAP NetShareEnum: {e}"))),
    };
    let answer = RapShareEnum::decode(&resp.parameters, &resp.data)
        .map_err(|e| (None, format!("RAP NetShareEnum: {e}")))?;
    match answer.status {
        0 | 234 => {}
        5 => {
            return Err((
                Some(false),
                "RAP NetShareEnum: error 5 (access denied)".into(),
            ));
        }
        other => return Err((None, format!("RAP NetShareEnum: error {other}"))),
    }
    let partial = if answer.status == 234 {
        format!(
            " (partial: {} of {})",
            answer.shares.len(),
            answer.available
        )
    } else {
        String::new()
    };
    Ok(ShareListing {
        listed_by: None,
        listed: Some(true),
        reason: format!(
            "RAP NetShareEnum listed {} shares{partial}",
            answer.shares.len()
        ),
        level: None,
        shares: answer.shares.into_iter().map(Share::from_info).collect(),
    })
}

/// One TRANS2 FIND_FIRST2 of `\*`, its search closed by the same request.
pub(super) fn list_request(ids: Ids) -> Vec<u8> {
    TransactionRequest {
        command: TransCommand::Transaction2,
        uid: ids.uid,
        tid: ids.tid,
        mid: ids.mid,
        setup: vec![TRANS2_FIND_FIRST2],
        name: String::new(),
        parameters: find_first2_parameters(r"\*", LIST_COUNT),
        data: Vec::new(),
        max_parameter_count: 10,
        max_data_count: LIST_OUTPUT,
    }
    .to_vec()
}

/// Records the listing's answer.
pub(super) fn read_list(found: &mut ShareAccess, reply: Result<Vec<u8>, ProbeError>) {
    let decode = |msg: &[u8]| TransactionResponse::decode(msg, TransCommand::Transaction2);
    let listing = decoded(reply, decode).and_then(|resp| {
        FindFirst2Response::decode(&resp.parameters, &resp.data, NameEncoding::of(&resp.header))
            .map_err(|e| Failed::Other(e.to_string()))
    });
    match listing {
        Ok(resp) => {
            found.read = Some(true);
            found.entries = Some(
                resp.names
                    .iter()
                    .filter(|n| *n != "." && *n != "..")
                    .count(),
            );
        }
        Err(Failed::Status(smb2::status::NO_MORE_FILES | smb2::status::NO_SUCH_FILE)) => {
            found.read = Some(true);
            found.entries = Some(0);
        }
        Err(Failed::Status(status)) => {
            found.read = refusal(status);
            found.read_status = Some(format!("FIND_FIRST2 answered {}", status_text(status)));
        }
        Err(Failed::Other(e)) => found.read_status = Some(format!("FIND_FIRST2: {e}")),
    }
}

/// Records the root NT_CREATE_ANDX's failure.
pub(super) fn root_refused(found: &mut ShareAccess, failed: Failed) {
    match failed {
        Failed::Status(status) => {
            found.read = refusal(status);
            found.read_status = Some(format!(
                "root NT_CREATE_ANDX answered {}",
                status_text(status)
            ));
        }
        Failed::Other(e) => found.read_status = Some(format!("root NT_CREATE_ANDX: {e}")),
    }
}

/// Records the write check's NT_CREATE_ANDX; a FID is closed (and the file so deleted) next.
pub(super) fn read_write(
    found: &mut ShareAccess,
    name: &str,
    reply: Result<Vec<u8>, ProbeError>,
) -> Option<u16> {
    let (write, evidence, fid) = match read_create(reply) {
        Ok(fid) => (Some(true), format!("write check created {name}"), Some(fid)),
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
    fid
}

/// Records the CLOSE that removes the write check's file.
pub(super) fn read_write_close(found: &mut ShareAccess, reply: Result<Vec<u8>, ProbeError>) {
    let removed = match decoded(reply, close_status) {
        Ok(smb2::status::SUCCESS) => "and removed it (DELETE_ON_CLOSE)".to_owned(),
        Ok(status) | Err(Failed::Status(status)) => {
            format!(
                "but its CLOSE answered {}: it may remain",
                status_text(status)
            )
        }
        Err(Failed::Other(e)) => format!("but its CLOSE failed ({e}): it may remain"),
    };
    if let Some(evidence) = &mut found.write_evidence {
        evidence.push(' ');
        evidence.push_str(&removed);
    }
}
