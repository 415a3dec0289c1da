//! What the SMB handshakes of one host revealed, as the scan reports it (the `smb` object of
//! the JSON schema, `schema/scan-host.v1.json`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Everything learnt over SMB from one host. Fields stay `None`/empty when not learnt; the
/// host's `errors` say why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SmbFacts {
    /// The port the facts below came from (445 if it was open, else 139).
    pub port: Option<u16>,
    /// The anonymous (null) session attempt over SMB2, when one was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub null_session: Option<super::session::SessionVerdict>,
    /// Whether the server accepts a tree connect to any share name (asked on the null
    /// session after IPC$ connected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any_share_name: Option<super::session::ShareNameVerdict>,
    /// The guest attempt (an unknown user name) over SMB2: `accepted` when the server lets
    /// it in (as guest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_session: Option<super::session::SessionVerdict>,
    /// The shares the server listed, and what each identity could do on them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares: Option<super::shares::ShareListing>,
    /// The credentialed session (`--user`) over SMB2, once per host: `accepted` only when
    /// the user was logged on, not mapped to guest; "logon failure" when refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_session: Option<super::session::SessionVerdict>,
    /// The MS17-010 check over SMB1, when SMB1 is on and the check ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ms17_010: Option<super::ms17_010::VulnVerdict>,
    /// The DoublePulsar ping over SMB1, when the MS17-010 check reached IPC$.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doublepulsar: Option<super::ms17_010::DoublePulsarVerdict>,
    /// Every SMB 2/3 dialect the server accepts, ascending ("2.0.2" ... "3.1.1").
    pub dialects: Vec<String>,
    /// Whether `dialects` is the whole set (false when a probe below the highest dialect
    /// got no verdict).
    pub dialects_complete: bool,
    /// The dialect chosen when every dialect was offered.
    pub max_dialect: Option<String>,
    /// SMB1 (NT LM 0.12) on: true, off: false, unknown: null.
    pub smb1: Option<bool>,
    /// Why `smb1` is what it is.
    pub smb1_reason: Option<String>,
    /// Signing policy, per protocol family (configured separately on servers).
    pub signing: SigningFacts,
    /// ServerGuid of the SMB2 NEGOTIATE response.
    pub server_guid: Option<String>,
    /// The server's clock (SMB2 SystemTime), RFC 3339 UTC.
    pub system_time: Option<String>,
    /// ServerStartTime, RFC 3339 UTC; null when the server sends 0 (Samba, Windows 10+).
    pub boot_time: Option<String>,
    /// Server clock minus ours, in seconds, measured when the reply arrived (from the SMB2
    /// NEGOTIATE, else from the SMB1 one).
    pub clock_skew_secs: Option<i64>,
    /// SMB2_GLOBAL_CAP_* names.
    pub capabilities: Vec<String>,
    /// The capabilities bit mask as sent.
    pub capabilities_raw: Option<u32>,
    /// MaxTransactSize.
    pub max_transact_size: Option<u32>,
    /// MaxReadSize.
    pub max_read_size: Option<u32>,
    /// MaxWriteSize.
    pub max_write_size: Option<u32>,
    /// The 3.1.1 negotiate contexts of the response, in order, unknown ones too.
    pub contexts: Vec<ContextFacts>,
    /// Security mechanisms the server offers in its SPNEGO hint (NEGOTIATE response).
    pub spnego_mechs: Vec<Mech>,
    /// The NTLM CHALLENGE of an anonymous SESSION_SETUP over SMB2.
    pub ntlm: Option<NtlmFacts>,
    /// The NTLM CHALLENGE of an anonymous SESSION_SETUP_ANDX over SMB1.
    pub smb1_ntlm: Option<NtlmFacts>,
    /// SMB1 negotiate details (when SMB1 is on).
    pub smb1_mode: Option<Smb1Mode>,
    /// NativeOS of the SMB1 SESSION_SETUP_ANDX response.
    pub native_os: Option<String>,
    /// NativeLanMan of the SMB1 SESSION_SETUP_ANDX response.
    pub native_lanman: Option<String>,
    /// PrimaryDomain of the SMB1 SESSION_SETUP_ANDX response, when sent.
    pub primary_domain: Option<String>,
    /// What each open SMB port answered to a NEGOTIATE offering every dialect ("445/tcp").
    pub by_port: BTreeMap<String, PortNegotiate>,
}

impl SmbFacts {
    /// Whether the host speaks SMB1 only: it refused the SMB2 NEGOTIATE and chose NT LM
    /// 0.12 in the SMB1 one.
    pub fn smb1_only(&self) -> bool {
        self.max_dialect.as_deref() == Some(super::smb1::NT_LM_012)
    }
}

/// Signing per protocol family.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningFacts {
    /// From the SMB2 NEGOTIATE SecurityMode.
    pub smb2: Option<Signing>,
    /// From the SMB1 NEGOTIATE SecurityMode.
    pub smb1: Option<Signing>,
}

/// A signing policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signing {
    /// The server can sign (always true for SMB2: the bit is mandatory).
    pub enabled: bool,
    /// The server requires signing: not an NTLM relay target.
    pub required: bool,
}

/// One negotiate context, kept losslessly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextFacts {
    /// ContextType.
    #[serde(rename = "type")]
    pub context_type: u16,
    /// Its name ("preauth_integrity", "encryption", ..., "unknown").
    pub name: String,
    /// The data as sent, hex.
    pub data: String,
    /// The data decoded, when the type is known and the data well formed.
    pub decoded: Option<ContextValue>,
}

/// The decoded data of a known negotiate context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ContextValue {
    /// PREAUTH_INTEGRITY_CAPABILITIES.
    Preauth {
        /// Hash algorithms.
        hash_algorithms: Vec<String>,
        /// Salt length in bytes.
        salt_len: usize,
    },
    /// ENCRYPTION_CAPABILITIES: the cipher chosen.
    Encryption {
        /// Ciphers.
        ciphers: Vec<String>,
    },
    /// COMPRESSION_CAPABILITIES.
    Compression {
        /// Flags (1 = chained).
        flags: u32,
        /// Algorithms.
        algorithms: Vec<String>,
    },
    /// NETNAME_NEGOTIATE_CONTEXT_ID.
    Netname {
        /// The name.
        netname: String,
    },
    /// TRANSPORT_CAPABILITIES.
    Transport {
        /// Flags (1 = transport-level security accepted).
        flags: u32,
    },
    /// RDMA_TRANSFORM_CAPABILITIES.
    RdmaTransform {
        /// Transforms.
        transforms: Vec<String>,
    },
    /// SIGNING_CAPABILITIES: the algorithm chosen.
    Signing {
        /// Algorithms.
        algorithms: Vec<String>,
    },
}

/// A security mechanism offered in SPNEGO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mech {
    /// Dotted OID.
    pub oid: String,
    /// Short name ("NTLMSSP", "Kerberos", ...), when known.
    pub name: Option<String>,
}

/// What an NTLM CHALLENGE discloses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NtlmFacts {
    /// MsvAvNbComputerName.
    pub netbios_computer: Option<String>,
    /// MsvAvNbDomainName (the computer name again for a workgroup member).
    pub netbios_domain: Option<String>,
    /// MsvAvDnsComputerName (FQDN).
    pub dns_computer: Option<String>,
    /// MsvAvDnsDomainName.
    pub dns_domain: Option<String>,
    /// MsvAvDnsTreeName (forest).
    pub dns_tree: Option<String>,
    /// OS version "major.minor.build", only when the VERSION flag is set and the revision
    /// byte is 0x0F. Samba sends 6.1.0.
    pub os_version: Option<String>,
    /// TargetName.
    pub target_name: Option<String>,
    /// MsvAvTimestamp, RFC 3339 UTC.
    pub timestamp: Option<String>,
    /// NegotiateFlags of the CHALLENGE.
    pub negotiate_flags: u32,
}

/// SMB1 NEGOTIATE details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Smb1Mode {
    /// User-level security (else share-level: passwords per share).
    pub user_level: bool,
    /// Challenge/response authentication (else plaintext passwords).
    pub challenge_response: bool,
    /// Extended security (SPNEGO) negotiated.
    pub extended_security: bool,
    /// SMB1 capabilities bit mask.
    pub capabilities: u32,
    /// The server's clock, RFC 3339 UTC.
    pub system_time: Option<String>,
    /// Server time zone, minutes west of UTC (UTC = local + tz).
    pub time_zone_minutes: Option<i16>,
    /// The OEM domain name of a non-extended negotiate.
    pub domain_name: Option<String>,
    /// The server name of a non-extended negotiate.
    pub server_name: Option<String>,
}

/// What one SMB port answered to a NEGOTIATE offering every dialect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortNegotiate {
    /// Dialect chosen.
    pub max_dialect: Option<String>,
    /// SMB2 signing required.
    pub signing_required: Option<bool>,
    /// Why there is no answer, if there is none.
    pub error: Option<String>,
}
