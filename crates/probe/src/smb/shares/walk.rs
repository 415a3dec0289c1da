//! The share conversation on a session the suite already holds: enumerate (IPC$, the
//! srvsvc pipe, BIND, NetrShareEnum level 1 then 0), then check each disk share.
//!
//! Sans-IO like the suite: [`ShareWalk::request`] names the next SMB2 request (the
//! connection stamps its identifiers), [`ShareWalk::handle`] takes the reply.

use smbaudit_wire::dcerpc::Reassembly;
use smbaudit_wire::smb2::FileId;

use super::super::ProbeError;
use super::super::session::ipc_connect_request;
use super::enumerate::{self as en, PipeStep};
use super::{Identity, ShareAccess, ShareListing, access};

/// Shares whose access is checked per identity at most (the rest are listed only).
pub const MAX_CHECKED: usize = 32;

#[derive(Debug)]
enum Step {
    Ipc,
    OpenPipe,
    Bind(FileId),
    BindRead(FileId, Reassembly, usize),
    Enum(FileId, u32),
    EnumRead(FileId, u32, Reassembly, usize),
    ClosePipe(FileId),
    Connect(usize),
    OpenRoot(usize, Box<ShareAccess>),
    List(usize, Box<ShareAccess>, FileId),
    CloseRoot(usize, Box<ShareAccess>, FileId),
    Write(usize, Box<ShareAccess>),
    WriteClose(usize, Box<ShareAccess>, FileId),
    Done,
}

/// One identity's share conversation.
#[derive(Debug)]
pub struct ShareWalk {
    identity: Identity,
    netname: String,
    /// The write check's file name, when `--write-check` asked for one.
    write_name: Option<String>,
    step: Step,
    listing: ShareListing,
    checked: usize,
}

impl ShareWalk {
    /// Lists the shares as `identity`, then checks them.
    pub fn enumerate(identity: Identity, netname: String, write_name: Option<String>) -> Self {
        Self {
            identity,
            netname,
            write_name,
            step: Step::Ipc,
            listing: ShareListing {
                listed_by: Some(identity),
                listed: None,
                reason: String::new(),
                level: None,
                shares: Vec::new(),
            },
            checked: 0,
        }
    }

    /// Checks the shares of a list another identity obtained.
    pub fn check(
        identity: Identity,
        netname: String,
        listing: ShareListing,
        write_name: Option<String>,
    ) -> Self {
        let mut walk = Self {
            identity,
            netname,
            write_name,
            step: Step::Done,
            listing,
            checked: 0,
        };
        walk.next_share(0);
        walk
    }

    /// Who this walk speaks for.
    pub fn identity(&self) -> Identity {
        self.identity
    }

    /// Whether the conversation is over.
    pub fn is_done(&self) -> bool {
        matches!(self.step, Step::Done)
    }

    /// The share list with this identity's verdicts.
    pub fn finish(self) -> ShareListing {
        self.listing
    }

    /// The next request and what its reply is called, or `None` when done.
    pub fn request(&self) -> Option<(Vec<u8>, &'static str)> {
        let share = |i: usize| self.listing.shares[i].name.as_str();
        Some(match &self.step {
            Step::Ipc => (
                ipc_connect_request(&self.netname),
                "IPC$ TREE_CONNECT response",
            ),
            Step::OpenPipe => (en::open_pipe_request(), "srvsvc CREATE response"),
            Step::Bind(fid) => (en::bind(*fid), "SRVSVC bind response"),
            Step::BindRead(fid, ..) | Step::EnumRead(fid, ..) => {
                (en::read_more(*fid), "pipe READ response")
            }
            Step::Enum(fid, level) => (
                en::share_enum(*fid, &self.netname, *level),
                "NetrShareEnum response",
            ),
            Step::ClosePipe(fid) => (en::close(*fid), "srvsvc CLOSE response"),
            Step::Connect(i) => (
                access::connect_request(&self.netname, share(*i)),
                "share TREE_CONNECT response",
            ),
            Step::OpenRoot(..) => (access::open_root_request(), "root CREATE response"),
            Step::List(_, _, fid) => (access::list_request(*fid), "QUERY_DIRECTORY response"),
            Step::CloseRoot(_, _, fid) | Step::WriteClose(_, _, fid) => {
                (en::close(*fid), "CLOSE response")
            }
            Step::Write(..) => (
                access::write_request(self.write_name.as_deref().unwrap_or_default()),
                "write-check CREATE response",
            ),
            Step::Done => return None,
        })
    }

    /// The reply to the last [`Self::request`].
    pub fn handle(&mut self, reply: Result<Vec<u8>, ProbeError>) {
        match std::mem::replace(&mut self.step, Step::Done) {
            Step::Ipc => match en::read_open_tree(reply) {
                Ok(()) => self.step = Step::OpenPipe,
                Err(why) => self.unlisted(why),
            },
            Step::OpenPipe => match en::read_open(reply) {
                Ok(fid) => self.step = Step::Bind(fid),
                Err(why) => self.unlisted(why),
            },
            Step::Bind(fid) => self.bind_answer(fid, reply, Reassembly::new(), 0),
            Step::BindRead(fid, re, reads) => self.bind_answer(fid, reply, re, reads + 1),
            Step::Enum(fid, level) => self.enum_answer(fid, level, reply, Reassembly::new(), 0),
            Step::EnumRead(fid, level, re, reads) => {
                self.enum_answer(fid, level, reply, re, reads + 1);
            }
            // The pipe's CLOSE answer changes nothing: the list is in hand.
            Step::ClosePipe(_) => self.next_share(0),
            Step::Connect(i) => {
                let found = access::read_connect(self.identity, reply);
                if found.connect == Some(true) {
                    self.step = Step::OpenRoot(i, Box::new(found));
                } else {
                    self.record(i, found);
                }
            }
            Step::OpenRoot(i, mut found) => match access::read_root(&mut found, reply) {
                Some(fid) => self.step = Step::List(i, found, fid),
                None => self.judged(i, found),
            },
            Step::List(i, mut found, fid) => {
                access::read_list(&mut found, reply);
                self.step = Step::CloseRoot(i, found, fid);
            }
            Step::CloseRoot(i, found, _) => self.judged(i, found),
            Step::Write(i, mut found) => {
                let name = self.write_name.clone().unwrap_or_default();
                match access::read_write(&mut found, &name, reply) {
                    Some(fid) => self.step = Step::WriteClose(i, found, fid),
                    None => self.record(i, *found),
                }
            }
            Step::WriteClose(i, mut found, _) => {
                access::read_write_close(&mut found, reply);
                self.record(i, *found);
            }
            Step::Done => {}
        }
    }

    fn bind_answer(
        &mut self,
        fid: FileId,
        reply: Result<Vec<u8>, ProbeError>,
        mut re: Reassembly,
        reads: usize,
    ) {
        match en::pipe_answer(reply, reads == 0, &mut re, en::BIND_CALL) {
            Ok(PipeStep::Pdu(pdu)) => match en::judge_bind(pdu) {
                Ok(()) => self.step = Step::Enum(fid, 1),
                Err(why) => self.unlisted_closing(fid, why),
            },
            Ok(PipeStep::More) if reads < en::MAX_PIPE_READS => {
                self.step = Step::BindRead(fid, re, reads);
            }
            Ok(PipeStep::More) => self.unlisted_closing(fid, (None, too_many_reads())),
            Err(why) => self.unlisted_closing(fid, (None, why)),
        }
    }

    fn enum_answer(
        &mut self,
        fid: FileId,
        level: u32,
        reply: Result<Vec<u8>, ProbeError>,
        mut re: Reassembly,
        reads: usize,
    ) {
        let judged = match en::pipe_answer(reply, reads == 0, &mut re, en::enum_call(level)) {
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
                self.listing = listing;
                self.step = Step::ClosePipe(fid);
            }
            // Level 1 refused or unreadable: level 0 (names only) may still answer.
            Err(_) if level == 1 => self.step = Step::Enum(fid, 0),
            Err(why) => self.unlisted_closing(fid, why),
        }
    }

    fn unlisted(&mut self, (listed, reason): (Option<bool>, String)) {
        self.listing.listed = listed;
        self.listing.reason = reason;
        self.step = Step::Done;
    }

    /// No list; the pipe is closed on the way out.
    fn unlisted_closing(&mut self, fid: FileId, why: (Option<bool>, String)) {
        self.unlisted(why);
        self.step = Step::ClosePipe(fid);
        // No shares: after the CLOSE, next_share(0) finds none and ends the walk.
    }

    /// After the root checks: the write verdict, by the check or inferred.
    fn judged(&mut self, i: usize, mut found: Box<ShareAccess>) {
        if self.write_name.is_some() && found.connect == Some(true) {
            self.step = Step::Write(i, found);
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

    /// The next share that holds files, within [`MAX_CHECKED`].
    fn next_share(&mut self, from: usize) {
        self.step =
            next_to_check(&self.listing, from, self.checked).map_or(Step::Done, Step::Connect);
    }
}

/// Keeps `found` as `identity`'s access to share `i`, replacing an earlier verdict.
pub(super) fn record_access(listing: &mut ShareListing, i: usize, found: ShareAccess) {
    if let Some(share) = listing.shares.get_mut(i) {
        share.access.retain(|a| a.identity != found.identity);
        share.access.push(found);
    }
}

/// The next share from `from` on that holds files, while fewer than [`MAX_CHECKED`] were.
pub(super) fn next_to_check(listing: &ShareListing, from: usize, checked: usize) -> Option<usize> {
    let k = listing
        .shares
        .iter()
        .skip(from)
        .position(|s| s.holds_files())?;
    (checked < MAX_CHECKED).then_some(from + k)
}

fn too_many_reads() -> String {
    format!(
        "the pipe message did not end after {} READs",
        en::MAX_PIPE_READS
    )
}

#[cfg(test)]
#[path = "walk_tests.rs"]
mod tests;
