//! A single NAME QUERY, unicast to a WINS server or broadcast on a segment (like
//! `nmblookup -U` / `nmblookup -B`).

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use smbaudit_probe::nbns::{NbnsReply, classify_reply, response_header};
use smbaudit_wire::nbns::{QualifiedName, QueryMode};

use super::socket::{self, Broadcast};
use smbaudit_probe::sweep::{NBNS_PORT, Query, wack_wait};

/// Most distinct responders kept from one broadcast.
const MAX_RESPONDERS: usize = 4096;

/// Where a name query goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupTarget {
    /// A WINS (NBNS) server, asked with recursion desired; the first answer ends the query.
    Wins(Ipv4Addr),
    /// A broadcast address; every owner on the segment may answer.
    Broadcast(Ipv4Addr),
}

/// How long to wait and how often to ask.
#[derive(Debug, Clone, Copy)]
pub struct LookupConfig {
    /// Wait after each send.
    pub timeout: Duration,
    /// Re-sends after the first.
    pub retries: u8,
}

/// One answer to a name query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupAnswer {
    /// Who answered.
    pub responder: Ipv4Addr,
    /// What it said.
    pub reply: NbnsReply,
}

/// Asks for `name` and returns the answers: at most one from a WINS server (only from that
/// server's address), every distinct responder for a broadcast. A WINS server whose host
/// answers with ICMP port unreachable is an `io::ErrorKind::ConnectionRefused` error.
pub async fn name_query(
    name: QualifiedName,
    target: LookupTarget,
    cfg: LookupConfig,
) -> io::Result<Vec<LookupAnswer>> {
    let (dest, mode, bcast) = match target {
        LookupTarget::Wins(ip) => (ip, QueryMode::Unicast, Broadcast::Deny),
        LookupTarget::Broadcast(ip) => (ip, QueryMode::Broadcast, Broadcast::Allow),
    };
    let sock = socket::open(0, bcast)?;
    if let LookupTarget::Wins(ip) = target {
        // Connected, so that an ICMP port unreachable comes back as ECONNREFUSED (an
        // unconnected socket without IP_RECVERR never hears of it); only that server's
        // answers count anyway.
        sock.connect(SocketAddr::new(IpAddr::V4(ip), NBNS_PORT))
            .await?;
    }
    let mut query = Query::name_query(name, mode);
    let trn_id: u16 = rand::random();
    let mut answers: Vec<LookupAnswer> = Vec::new();
    let mut buf = vec![0u8; 65_536];
    for _ in 0..=cfg.retries {
        sock.send_to(
            query.bytes(trn_id),
            SocketAddr::new(IpAddr::V4(dest), NBNS_PORT),
        )
        .await?;
        let mut deadline = Instant::now() + cfg.timeout;
        loop {
            let Ok(recv) = tokio::time::timeout_at(deadline.into(), sock.recv_from(&mut buf)).await
            else {
                break;
            };
            let (n, src) = match recv {
                Ok(r) => r,
                // The WINS server's host said nothing listens on 137: conclusive.
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    if matches!(target, LookupTarget::Wins(_)) {
                        return Err(e);
                    }
                    continue;
                }
                Err(e) => return Err(e),
            };
            let SocketAddr::V4(src) = src else { continue };
            let responder = *src.ip();
            let datagram = buf.get(..n).unwrap_or_default();
            let ours = response_header(datagram).is_some_and(|h| h.trn_id == trn_id);
            let from_target = matches!(target, LookupTarget::Broadcast(_)) || responder == dest;
            if !ours || !from_target {
                continue;
            }
            match classify_reply(datagram, query.expect()) {
                NbnsReply::Wait(secs) => {
                    deadline = Instant::now() + wack_wait(secs);
                }
                reply => {
                    if !answers.iter().any(|a| a.responder == responder)
                        && answers.len() < MAX_RESPONDERS
                    {
                        answers.push(LookupAnswer { responder, reply });
                    }
                    if matches!(target, LookupTarget::Wins(_)) {
                        return Ok(answers);
                    }
                }
            }
        }
        if !answers.is_empty() {
            break;
        }
    }
    Ok(answers)
}
