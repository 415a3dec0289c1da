//! Matching NBNS replies to the queries we sent, and sorting them into outcomes.

use smbaudit_wire::DecodeError;
use smbaudit_wire::Reader;
use smbaudit_wire::nbns::{
    HEADER_LEN, Header, NbAddress, NodeStatus, Packet, Rcode, RrType, wack_wait_secs,
};

/// What a datagram that matched one of our queries says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NbnsReply {
    /// A positive NODE STATUS response.
    NodeStatus(NodeStatus),
    /// A positive NAME QUERY response with the name's addresses.
    Addresses(Vec<NbAddress>),
    /// A negative response: RCODE is not zero.
    Negative(Rcode),
    /// A WACK: the server asks us to wait this many seconds.
    Wait(u32),
    /// It matched our query, but could not be decoded.
    Malformed(DecodeError),
}

/// Reads only the header of a datagram: enough to match it to a query. `None` for anything
/// too short to carry a header or that is not a response.
pub fn response_header(datagram: &[u8]) -> Option<Header> {
    let head = datagram.get(..HEADER_LEN)?;
    Header::decode(&mut Reader::new(head))
        .ok()
        .filter(|h| h.flags.is_response())
}

/// Sorts a datagram already matched (by source address and transaction ID) to a query of
/// `expect` type into an outcome. Never fails: a bad packet is [`NbnsReply::Malformed`].
pub fn classify_reply(datagram: &[u8], expect: RrType) -> NbnsReply {
    let packet = match Packet::decode(datagram) {
        Ok(p) => p,
        Err(e) => return NbnsReply::Malformed(e),
    };
    if let Some(secs) = wack_wait_secs(&packet) {
        return NbnsReply::Wait(secs);
    }
    let rcode = packet.header.flags.rcode();
    if rcode != Rcode::OK {
        return NbnsReply::Negative(rcode);
    }
    let Some(answer) = packet.answers.iter().find(|rr| rr.rr_type == expect) else {
        return NbnsReply::Malformed(DecodeError::Unexpected {
            what: "answer section (no record of the queried type)",
            value: packet.answers.len() as u32,
        });
    };
    let decoded = match expect {
        RrType::NBSTAT => NodeStatus::decode(&answer.rdata).map(NbnsReply::NodeStatus),
        _ => NbAddress::decode_list(&answer.rdata).map(NbnsReply::Addresses),
    };
    decoded.unwrap_or_else(NbnsReply::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use smbaudit_wire::Encode;
    use smbaudit_wire::nbns::{
        CLASS_IN, Flags, NbName, QualifiedName, ResourceRecord, node_status_request,
    };

    fn reply(flags: u16, rr_type: RrType, rdata: Vec<u8>) -> Vec<u8> {
        let mut p = node_status_request(0x1234, QualifiedName::new(NbName::WILDCARD));
        p.questions.clear();
        p.header.flags = Flags(flags);
        p.answers.push(ResourceRecord {
            name: QualifiedName::new(NbName::WILDCARD),
            rr_type,
            rr_class: CLASS_IN,
            ttl: 0,
            rdata,
        });
        p.to_vec()
    }

    #[test]
    fn matches_only_responses() {
        let query = node_status_request(7, QualifiedName::new(NbName::WILDCARD)).to_vec();
        assert!(response_header(&query).is_none());
        assert_eq!(
            response_header(&reply(0x8400, RrType::NBSTAT, vec![0]))
                .unwrap()
                .trn_id,
            0x1234
        );
        assert!(response_header(&[0x12, 0x34, 0x84]).is_none());
    }

    #[test]
    fn sorts_outcomes() {
        let ok = reply(0x8400, RrType::NBSTAT, vec![0]);
        assert!(
            matches!(classify_reply(&ok, RrType::NBSTAT), NbnsReply::NodeStatus(ns) if ns.names.is_empty())
        );
        let neg = reply(0x8403, RrType::NBSTAT, vec![]);
        assert_eq!(
            classify_reply(&neg, RrType::NBSTAT),
            NbnsReply::Negative(Rcode::NAM_ERR)
        );
        let wrong = reply(0x8400, RrType::NB, vec![]);
        assert!(matches!(
            classify_reply(&wrong, RrType::NBSTAT),
            NbnsReply::Malformed(_)
        ));
        let lying = reply(0x8400, RrType::NBSTAT, vec![9, 1, 2]);
        assert!(matches!(
            classify_reply(&lying, RrType::NBSTAT),
            NbnsReply::Malformed(DecodeError::Truncated { .. })
        ));
        let wack = reply(0xBC00, RrType::NB, vec![0x01, 0x00]);
        assert_eq!(classify_reply(&wack, RrType::NB), NbnsReply::Wait(0));
        let addrs = reply(0x8500, RrType::NB, vec![0x00, 0x00, 10, 0, 0, 1]);
        assert!(
            matches!(classify_reply(&addrs, RrType::NB), NbnsReply::Addresses(a) if a[0].address == [10, 0, 0, 1])
        );
    }
}
