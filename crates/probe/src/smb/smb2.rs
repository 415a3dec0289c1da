//! SMB 2/3 NEGOTIATE: the request offering dialects, and what the answer reveals.

use smbaudit_wire::ntlm::Challenge;
use smbaudit_wire::smb2::{
    self, ContextData, Dialect, NegotiateContext, NegotiateRequest, NegotiateResponse, Protocol,
    SessionSetupResponse,
};
use smbaudit_wire::{Encode, ResponseError, spnego};

use super::facts::{ContextFacts, ContextValue, Mech, NtlmFacts, PortNegotiate, Signing, SmbFacts};
use super::reply::{Refusal, Reply, check_status};
use super::time::{filetime_rfc3339, skew_secs};
use crate::hex;

/// Random values a NEGOTIATE carries; the engine draws them.
#[derive(Debug, Clone, Copy)]
pub struct ClientNonce {
    /// ClientGuid.
    pub guid: [u8; 16],
    /// Preauth integrity salt.
    pub salt: [u8; 32],
}

/// A NEGOTIATE offering `dialects` (with every 3.1.1 context when 3.1.1 is among them).
pub fn negotiate_request(dialects: &[Dialect], nonce: ClientNonce, netname: &str) -> Vec<u8> {
    NegotiateRequest {
        dialects,
        client_guid: nonce.guid,
        salt: nonce.salt,
        netname,
    }
    .to_vec()
}

/// The first SESSION_SETUP leg: an anonymous NTLM NEGOTIATE in SPNEGO. The connection
/// writes its MessageId and SessionId.
pub fn session_setup_request() -> Vec<u8> {
    smb2::SessionSetupRequest {
        message_id: 0,
        session_id: 0,
        security_blob: &super::ntlm::session_setup_blob(),
    }
    .to_vec()
}

/// How a server answered a NEGOTIATE: it chose one of the offered dialects, or refused
/// with an error status (STATUS_NOT_SUPPORTED: no common dialect).
pub type NegotiateReply = Reply<Box<NegotiateResponse>>;

/// Judges a reply to a NEGOTIATE that offered `offered`.
pub fn read_negotiate(msg: &[u8], offered: &[Dialect]) -> NegotiateReply {
    match smb2::protocol_of(msg) {
        Ok(Protocol::Smb2) => {}
        Ok(other) => {
            return NegotiateReply::Invalid(format!(
                "{other:?} message in reply to an SMB2 NEGOTIATE"
            ));
        }
        Err(e) => return NegotiateReply::Invalid(format!("reply to NEGOTIATE: {e}")),
    }
    match NegotiateResponse::decode(msg) {
        Ok(resp) if !offered.iter().any(|d| d.code() == resp.dialect) => {
            NegotiateReply::Invalid(format!(
                "server chose dialect {} that was not offered",
                smb2::dialect_name(resp.dialect)
            ))
        }
        Ok(resp) => NegotiateReply::Accepted(Box::new(resp)),
        Err(ResponseError::Status(status)) => NegotiateReply::Refused(Refusal::Status(status)),
        Err(ResponseError::Decode(e)) => {
            NegotiateReply::Invalid(format!("NEGOTIATE response: {e}"))
        }
    }
}

/// Reads the CHALLENGE out of the SESSION_SETUP response to [`super::ntlm::session_setup_blob`]
/// (status MORE_PROCESSING_REQUIRED, else the status is the error).
pub fn read_session_setup(msg: &[u8]) -> Result<NtlmFacts, String> {
    read_challenge(msg).map(|c| super::ntlm::facts(&c))
}

/// The NTLM CHALLENGE a first SESSION_SETUP leg answered with (status
/// STATUS_MORE_PROCESSING_REQUIRED), or why there is none.
pub fn read_challenge(msg: &[u8]) -> Result<Challenge, String> {
    let token = challenge_token(msg)?;
    Challenge::decode(&token).map_err(|e| format!("NTLM CHALLENGE: {e}"))
}

/// The raw NTLM CHALLENGE_MESSAGE of a first SESSION_SETUP leg's answer (out of SPNEGO):
/// what the MIC covers.
pub fn challenge_token(msg: &[u8]) -> Result<Vec<u8>, String> {
    let resp =
        SessionSetupResponse::decode(msg).map_err(|e| format!("SESSION_SETUP response: {e}"))?;
    check_status(
        resp.header.status,
        &[smb2::status::MORE_PROCESSING_REQUIRED],
    )
    .map_err(|refusal| format!("SESSION_SETUP answered {refusal} instead of an NTLM challenge"))?;
    smbaudit_wire::spnego::ntlm_token(&resp.security_buffer)
        .map_err(|e| format!("SPNEGO response: {e}"))
}

/// What a port answered to the every-dialect NEGOTIATE, for `by_port`.
pub fn port_summary(reply: &NegotiateReply) -> PortNegotiate {
    match reply {
        NegotiateReply::Accepted(resp) => PortNegotiate {
            max_dialect: Some(smb2::dialect_name(resp.dialect)),
            signing_required: Some(resp.signing_required()),
            error: None,
        },
        NegotiateReply::Refused(refusal) => PortNegotiate {
            max_dialect: None,
            signing_required: None,
            error: Some(format!("NEGOTIATE refused: {refusal}")),
        },
        NegotiateReply::Invalid(why) => PortNegotiate {
            max_dialect: None,
            signing_required: None,
            error: Some(why.clone()),
        },
    }
}

/// Records what an accepted every-dialect NEGOTIATE reveals; `now_unix_nanos` is our clock
/// when the reply arrived.
pub fn record_negotiate(facts: &mut SmbFacts, resp: &NegotiateResponse, now_unix_nanos: i128) {
    facts.max_dialect = Some(smb2::dialect_name(resp.dialect));
    facts.signing.smb2 = Some(Signing {
        enabled: resp.signing_enabled(),
        required: resp.signing_required(),
    });
    facts.server_guid = Some(guid_text(&resp.server_guid));
    facts.system_time = filetime_rfc3339(resp.system_time);
    facts.boot_time = filetime_rfc3339(resp.server_start_time);
    facts.clock_skew_secs = skew_secs(resp.system_time, now_unix_nanos);
    facts.capabilities = smb2::capability_names(resp.capabilities);
    facts.capabilities_raw = Some(resp.capabilities);
    facts.max_transact_size = Some(resp.max_transact_size);
    facts.max_read_size = Some(resp.max_read_size);
    facts.max_write_size = Some(resp.max_write_size);
    facts.contexts = resp.contexts.iter().map(context_facts).collect();
    facts.spnego_mechs = spnego::decode_init(&resp.security_buffer)
        .map(|init| {
            init.mech_types
                .into_iter()
                .map(|oid| Mech {
                    name: spnego::mech_name(&oid).map(str::to_owned),
                    oid,
                })
                .collect()
        })
        .unwrap_or_default();
}

/// A GUID in its registry form (the first three fields little-endian, as Windows shows it).
pub fn guid_text(g: &[u8; 16]) -> String {
    let [a0, a1, a2, a3, b0, b1, c0, c1, d @ ..] = *g;
    let [d0, d1, e0, e1, e2, e3, e4, e5] = d;
    format!(
        "{:08x}-{:04x}-{:04x}-{d0:02x}{d1:02x}-{e0:02x}{e1:02x}{e2:02x}{e3:02x}{e4:02x}{e5:02x}",
        u32::from_le_bytes([a0, a1, a2, a3]),
        u16::from_le_bytes([b0, b1]),
        u16::from_le_bytes([c0, c1]),
    )
}

fn names(ids: &[u16], name: fn(u16) -> Option<&'static str>) -> Vec<String> {
    ids.iter()
        .map(|&id| name(id).map_or_else(|| format!("{id:#06x}"), str::to_owned))
        .collect()
}

fn context_facts(ctx: &NegotiateContext) -> ContextFacts {
    let decoded = ctx.decode_data().ok().and_then(|data| match data {
        ContextData::PreauthIntegrity {
            hash_algorithms,
            salt,
        } => Some(ContextValue::Preauth {
            hash_algorithms: names(&hash_algorithms, smb2::hash_algorithm_name),
            salt_len: salt.len(),
        }),
        ContextData::Encryption { ciphers } => Some(ContextValue::Encryption {
            ciphers: names(&ciphers, smb2::cipher_name),
        }),
        ContextData::Compression { flags, algorithms } => Some(ContextValue::Compression {
            flags,
            algorithms: names(&algorithms, smb2::compression_name),
        }),
        ContextData::Netname(netname) => Some(ContextValue::Netname { netname }),
        ContextData::Transport { flags } => Some(ContextValue::Transport { flags }),
        ContextData::RdmaTransform { transforms } => Some(ContextValue::RdmaTransform {
            transforms: names(&transforms, smb2::rdma_transform_name),
        }),
        ContextData::Signing { algorithms } => Some(ContextValue::Signing {
            algorithms: names(&algorithms, smb2::signing_algorithm_name),
        }),
        _ => None,
    });
    ContextFacts {
        context_type: ctx.context_type,
        name: ctx.name().to_owned(),
        data: hex(&ctx.data),
        decoded,
    }
}

/// The verdict of a single-dialect probe below the highest dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloorProbe {
    /// The server chose the dialect.
    Accepted,
    /// The server refused it (error status, or closed the connection without a reply).
    Refused,
    /// No verdict (timeout, garbage).
    Unknown,
}

/// Dialects below `max` to probe one at a time, ascending, to find the lowest accepted one.
/// Servers accept a contiguous range (Windows: all of 2.0.2 up to its highest, or a
/// min..max range on 24H2; Samba: `server min protocol` to `server max protocol`), so the
/// first accepted dialect closes the set.
pub fn floor_candidates(max: Dialect) -> impl Iterator<Item = Dialect> {
    Dialect::ALL.into_iter().filter(move |d| *d < max)
}

/// The dialect set from the highest dialect and the floor probes made so far (ascending);
/// returns the set and whether it is complete.
pub fn dialect_set(max: Dialect, probes: &[(Dialect, FloorProbe)]) -> (Vec<String>, bool) {
    let accepted_floor = probes
        .iter()
        .find(|(_, v)| *v == FloorProbe::Accepted)
        .map(|(d, _)| *d);
    let all_below_refused = floor_candidates(max).all(|d| {
        probes
            .iter()
            .any(|(p, v)| *p == d && *v == FloorProbe::Refused)
    });
    match (accepted_floor, all_below_refused) {
        (Some(floor), _) => (
            Dialect::ALL
                .into_iter()
                .filter(|d| *d >= floor && *d <= max)
                .map(|d| d.as_str().to_owned())
                .collect(),
            true,
        ),
        (None, complete) => (vec![max.as_str().to_owned()], complete),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FloorProbe::{Accepted, Refused, Unknown};

    #[test]
    fn dialect_sets_follow_the_floor_probes() {
        use Dialect::*;
        fn check(max: Dialect, probes: &[(Dialect, FloorProbe)], want: &[&str], complete: bool) {
            let (set, done) = dialect_set(max, probes);
            assert_eq!(set, want, "dialects");
            assert_eq!(done, complete, "a timeout is never a no");
        }
        check(
            Smb311,
            &[(Smb202, Accepted)],
            &["2.0.2", "2.1", "3.0", "3.0.2", "3.1.1"],
            true,
        );
        check(
            Smb311,
            &[(Smb202, Refused), (Smb210, Refused), (Smb300, Accepted)],
            &["3.0", "3.0.2", "3.1.1"],
            true,
        );
        check(Smb202, &[], &["2.0.2"], true);
        check(Smb210, &[(Smb202, Refused)], &["2.1"], true);
        check(Smb311, &[(Smb202, Unknown)], &["3.1.1"], false);
        assert_eq!(
            floor_candidates(Smb300).collect::<Vec<_>>(),
            vec![Smb202, Smb210]
        );
    }

    #[test]
    fn guid_in_registry_form() {
        let g = [
            0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ];
        assert_eq!(guid_text(&g), "00112233-4455-6677-8899-aabbccddeeff");
    }
}
