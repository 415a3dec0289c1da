//! The share conversation of an SMB1-only host, on the null session connection B already
//! holds (its UID and the IPC$ TID of the MS17-010 check): a tree connect to a random share
//! name, then enumerate (srvsvc over TRANS_TRANSACT_NMPIPE: BIND, NetrShareEnum level 1 then
//! 0; RAP NetShareEnum on `\PIPE\LANMAN` when srvsvc gives no list), then per disk share
//! TREE_CONNECT_ANDX (extended: Connect and Ceiling), NT_CREATE_ANDX of the root, one
//! TRANS2 FIND_FIRST2 and CLOSE. Write is inferred from the share's maximal access (SMB1
//! has no MxAc on the root), or proved by the write check when it is asked for.
//!
//! Sans-IO like [`super::walk::ShareWalk`]: [`Smb1ShareWalk::request`] gives the whole
//! SMB1 message, [`Smb1ShareWalk::handle`] takes the reply. The verdicts are the same types.

use smbaudit_wire::dcerpc::Reassembly;

use super::super::ProbeError;
use super::super::session::{ShareNameVerdict, random_share};
use super::enumerate::{self as en, PipeStep};
use super::smb1_steps::{self as s1, Ids};
use super::walk::{next_to_check, record_access};
use super::{Identity, ShareAccess, ShareListing, access};

/// The first MID of the walk (connection B's MS17-010 requests use 0 to 4 and 65).
const FIRST_MID: u16 = 100;

#[derive(Debug)]
enum Step {
    RandomShare(String),
    OpenPipe,
    Bind(u16),
    BindRead(u16, Reassembly, usize),
    Enum(u16, u32),
    EnumRead(u16, u32, Reassembly, usize),
    ClosePipe(u16),
    Rap,
    Connect(usize),
    OpenRoot(usize, Box<ShareAccess>, u16),
    List(usize, Box<ShareAccess>, u16, u16),
    CloseRoot(usize, Box<ShareAccess>, u16, u16),
    Write(usize, Box<ShareAccess>, u16),
    WriteClose(usize, Box<ShareAccess>, u16, u16),
    Done,
}

/// One identity's SMB1 share conversation.
#[derive(Debug)]
pub struct Smb1ShareWalk {
    identity: Identity,
    netname: String,
    uid: u16,
    ipc_tid: u16,
    mid: u16,
    write_name: Option<String>,
    step: Step,
    listing: ShareListing,
    /// Why srvsvc gave no list, once RAP is tried instead.
    srvsvc_failure: Option<String>,
    any_share_name: Option<ShareNameVerdict>,
    checked: usize,
}

impl Smb1ShareWalk {
    /// Lists and checks the shares as `identity` on the session `uid`, whose IPC$ tree is
    /// `ipc_tid`; `random` names the share no server has.
    pub fn new(
        identity: Identity,
        netname: String,
        (uid, ipc_tid): (u16, u16),
        random: &[u8; 32],
        write_name: Option<String>,
    ) -> Self {
        Self {
            identity,
            netname,
            uid,
            ipc_tid,
            mid: FIRST_MID,
            write_name,
            step: Step::RandomShare(random_share(random)),
            listing: ShareListing {
                listed_by: Some(identity),
                listed: None,
                reason: String::new(),
                level: None,
                shares: Vec::new(),
            },
            srvsvc_failure: None,
            any_share_name: None,
            checked: 0,
        }
    }

    /// Checks the shares of a list another identity obtained, as `identity` on the
    /// session `uid` (`ipc_tid` its IPC$ tree).
    pub fn check(
        identity: Identity,
        netname: String,
        (uid, ipc_tid): (u16, u16),
        listing: ShareListing,
        write_name: Option<String>,
    ) -> Self {
        let mut walk = Self {
            identity,
            netname,
            uid,
            ipc_tid,
            mid: FIRST_MID,
            write_name,
            step: Step::Done,
            listing,
            srvsvc_failure: None,
            any_share_name: None,
            checked: 0,
        };
        walk.next_share(0);
        walk
    }

    /// Whether the conversation is over.
    pub fn is_done(&self) -> bool {
        matches!(self.step, Step::Done)
    }

    /// The share list with this identity's verdicts, and the random-name verdict.
    pub fn finish(self) -> (ShareListing, Option<ShareNameVerdict>) {
        (self.listing, self.any_share_name)
    }

    fn ids(&self, tid: u16) -> Ids {
        Ids {
            uid: self.uid,
            tid,
            mid: self.mid,
        }
    }

    /// The next request and what its reply is called, or `None` when done.
    pub fn request(&self) -> Option<(Vec<u8>, &'static str)> {
        let ipc = self.ids(self.ipc_tid);
        let share = |i: usize| self.listing.shares.get(i).map_or("", |s| s.name.as_str());
        Some(match &self.step {
            Step::RandomShare(name) => (
                s1::connect_request(ipc, &self.netname, name),
                "random-share TREE_CONNECT_ANDX response",
            ),
            Step::OpenPipe => (s1::open_pipe_request(ipc), "srvsvc NT_CREATE_ANDX response"),
            Step::Bind(fid) => (s1::bind_request_on(ipc, *fid), "SRVSVC bind response"),
            Step::BindRead(fid, ..) | Step::EnumRead(fid, ..) => {
                (s1::read_more_request(ipc, *fid), "pipe READ_ANDX response")
            }
            Step::Enum(fid, level) => (
                s1::share_enum_request(ipc, *fid, &self.netname, *level),
                "NetrShareEnum response",
            ),
            Step::ClosePipe(fid) => (s1::close_request(ipc, *fid), "srvsvc CLOSE response"),
            Step::Rap => (s1::rap_request(ipc), "RAP NetShareEnum response"),
            Step::Connect(i) => (
                s1::connect_request(ipc, &self.netname, share(*i)),
                "share TREE_CONNECT_ANDX response",
            ),
            Step::OpenRoot(_, _, tid) => (
                s1::open_root_request(self.ids(*tid)),
                "root NT_CREATE_ANDX response",
            ),
            Step::List(_, _, tid, _) => (s1::list_request(self.ids(*tid)), "FIND_FIRST2 response"),
            Step::CloseRoot(_, _, tid, fid) | Step::WriteClose(_, _, tid, fid) => {
                (s1::close_request(self.ids(*tid), *fid), "CLOSE response")
            }
            Step::Write(_, _, tid) => (
                s1::write_request(
                    self.ids(*tid),
                    self.write_name.as_deref().unwrap_or_default(),
                ),
                "write-check NT_CREATE_ANDX response",
            ),
            Step::Done => return None,
        })
    }

    /// The reply to the last [`Self::request`].
    pub fn handle(&mut self, reply: Result<Vec<u8>, ProbeError>) {
        self.mid = self.mid.wrapping_add(1).max(FIRST_MID);
        match std::mem::replace(&mut self.step, Step::Done) {
            Step::RandomShare(name) => {
                self.any_share_name = Some(s1::read_random_share(reply, name));
                self.step = Step::OpenPipe;
            }
            Step::OpenPipe => match s1::read_open_pipe(reply) {
                Ok(fid) => self.step = Step::Bind(fid),
                Err(why) => self.srvsvc_failed(None, why),
            },
            Step::Bind(fid) => self.bind_answer(fid, reply, Reassembly::new(), 0),
            Step::BindRead(fid, re, reads) => self.bind_answer(fid, reply, re, reads + 1),
            Step::Enum(fid, level) => self.enum_answer(fid, level, reply, Reassembly::new(), 0),
            Step::EnumRead(fid, level, re, reads) => {
                self.enum_answer(fid, level, reply, re, reads + 1);
            }
            // The pipe's CLOSE answer changes nothing.
            Step::ClosePipe(_) if self.listing.listed == Some(true) => self.next_share(0),
            Step::ClosePipe(_) => self.step = Step::Rap,
            Step::Rap => self.rap_answer(reply),
            Step::Connect(i) => match s1::read_connect(self.identity, reply) {
                (found, Some(tid)) => self.step = Step::OpenRoot(i, Box::new(found), tid),
                (found, None) => self.record(i, found),
            },
            Step::OpenRoot(i, mut found, tid) => match s1::read_create(reply) {
                Ok(fid) => self.step = Step::List(i, found, tid, fid),
                Err(failed) => {
                    s1::root_refused(&mut found, failed);
                    self.judged(i, found, tid);
                }
            },
            Step::List(i, mut found, tid, fid) => {
                s1::read_list(&mut found, reply);
                self.step = Step::CloseRoot(i, found, tid, fid);
            }
            Step::CloseRoot(i, found, tid, _) => self.judged(i, found, tid),
            Step::Write(i, mut found, tid) => {
                let name = self.write_name.clone().unwrap_or_default();
                match s1::read_write(&mut found, &name, reply) {
                    Some(fid) => self.step = Step::WriteClose(i, found, tid, fid),
                    None => self.record(i, *found),
                }
            }
            Step::WriteClose(i, mut found, _, _) => {
                s1::read_write_close(&mut found, reply);
                self.record(i, *found);
            }
            Step::Done => {}
        }
    }

    fn bind_answer(
        &mut self,
        fid: u16,
        reply: Result<Vec<u8>, ProbeError>,
        mut re: Reassembly,
        reads: usize,
    ) {
        match s1::pipe_answer(reply, reads == 0, &mut re, en::BIND_CALL) {
            Ok(PipeStep::Pdu(pdu)) => match en::judge_bind(pdu) {
                Ok(()) => self.step = Step::Enum(fid, 1),
                Err(why) => self.srvsvc_failed(Some(fid), why),
            },
            Ok(PipeStep::More) if reads < en::MAX_PIPE_READS => {
                self.step = Step::BindRead(fid, re, reads);
            }
            Ok(PipeStep::More) => self.srvsvc_failed(Some(fid), (None, too_many_reads())),
            Err(why) => self.srvsvc_failed(Some(fid), (None, why)),
        }
    }

    fn enum_answer(
        &mut self,
        fid: u16,
        level: u32,
        reply: Result<Vec<u8>, ProbeError>,
        mut re: Reassembly,
        reads: usize,
    ) {
        let judged = match s1::pipe_answer(reply, reads == 0, &mut re, en::enum_call(level)) {
            Ok(PipeStep::Pdu(pdu)) => en::judge_enum(pdu, level),
            Ok(PipeStep::More) if reads < en::MAX_PIPE_READS => {
                self.step = Step::EnumRead(fid, level, re, reads);
                return;
            }
            Ok(PipeStep::More) => Err((None, too_many_reads())),
            Err(why) => Err((None, why)),
        };
        match judged {
            Ok(mut listing) => {
                listing.listed_by = Some(self.identity);
                listing.reason.push_str(" (srvsvc over SMB1)");
                self.listing = listing;
                self.step = Step::ClosePipe(fid);
            }
            // Level 1 refused or unreadable: level 0 (names only) may still answer.
            Err(_) if level == 1 => self.step = Step::Enum(fid, 0),
            Err(why) => self.srvsvc_failed(Some(fid), why),
        }
    }

    /// srvsvc gave no list: RAP next (after closing the pipe, if one is open).
    fn srvsvc_failed(&mut self, fid: Option<u16>, (_, reason): (Option<bool>, String)) {
        self.srvsvc_failure = Some(reason);
        self.step = match fid {
            Some(fid) => Step::ClosePipe(fid),
            None => Step::Rap,
        };
    }

    fn rap_answer(&mut self, reply: Result<Vec<u8>, ProbeError>) {
        let srvsvc = self.srvsvc_failure.take().unwrap_or_default();
        match s1::judge_rap(reply) {
            Ok(mut listing) => {
                listing.listed_by = Some(self.identity);
                listing.reason = format!("{} (srvsvc: {srvsvc})", listing.reason);
                self.listing = listing;
                self.next_share(0);
            }
            Err((listed, why)) => {
                self.listing.listed = listed;
                self.listing.reason = format!("srvsvc: {srvsvc}; {why}");
                self.step = Step::Done;
            }
        }
    }

    /// After the root checks: the write verdict, by the check or inferred.
    fn judged(&mut self, i: usize, mut found: Box<ShareAccess>, tid: u16) {
        if self.write_name.is_some() {
            self.step = Step::Write(i, found, tid);
            return;
        }
        access::infer_write(&mut found);
        self.record(i, *found);
    }

    fn record(&mut self, i: usize, found: ShareAccess) {
        record_access(&mut self.listing, i, found);
        self.checked += 1;
        self.next_share(i + 1);
    }

    /// The next share that holds files, within [`super::walk::MAX_CHECKED`].
    fn next_share(&mut self, from: usize) {
        self.step =
            next_to_check(&self.listing, from, self.checked).map_or(Step::Done, Step::Connect);
    }
}

fn too_many_reads() -> String {
    format!(
        "the pipe message did not end after {} READ_ANDX",
        en::MAX_PIPE_READS
    )
}

#[cfg(test)]
#[path = "smb1_walk_tests.rs"]
mod tests;
