//! The record of one scanned host: what every output format shows, what the store keeps and
//! what the rules read. Its JSON form is `schema/scan-host.v1.json`.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use serde::{Deserialize, Serialize};
use smbaudit_probe::nbns::NbnsReply;
use smbaudit_probe::nbss::NbssFacts;
use smbaudit_probe::nbstat::NbstatReport;
use smbaudit_probe::observation::{
    HostResult, HostScan, Outcome, Phase, Port, PortState, Proto, Role,
};
use smbaudit_probe::smb::{NtlmFacts, SmbFacts};

/// How a target's NODE STATUS query ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NbstatStatus {
    /// A name table came back.
    Ok,
    /// A negative response (an RCODE).
    Negative,
    /// A reply that does not decode, or of the wrong kind.
    Malformed,
    /// Every query went unanswered.
    NoReply,
    /// The kernel would not send to the target.
    SendFailed,
    /// ICMP port unreachable: nothing listens on 137.
    Closed,
    /// Another ICMP destination unreachable (host, network, administratively prohibited).
    Unreachable,
}

impl NbstatStatus {
    /// The status as JSON and CSV spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Negative => "negative",
            Self::Malformed => "malformed",
            Self::NoReply => "no_reply",
            Self::SendFailed => "send_failed",
            Self::Closed => "closed",
            Self::Unreachable => "unreachable",
        }
    }
}

/// The nbstat object: one host's result, as every format shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NbstatHost {
    /// The target.
    pub ip: Ipv4Addr,
    /// How the query ended.
    pub status: NbstatStatus,
    /// Why the status is not `ok`.
    pub error: Option<String>,
    /// Round trip of the answered query, in milliseconds.
    pub rtt_ms: Option<f64>,
    /// Queries sent.
    pub attempts: u8,
    /// What the name table reveals (empty unless `ok`).
    #[serde(flatten)]
    pub report: NbstatReport,
}

impl NbstatHost {
    /// The record of one sweep result.
    pub fn from_result(r: &HostResult) -> Self {
        let (status, error, report) = match &r.outcome {
            Outcome::Reply(NbnsReply::NodeStatus(ns)) => {
                (NbstatStatus::Ok, None, NbstatReport::from_node_status(ns))
            }
            Outcome::Reply(NbnsReply::Negative(rcode)) => (
                NbstatStatus::Negative,
                Some(rcode.to_string()),
                NbstatReport::default(),
            ),
            Outcome::Reply(NbnsReply::Malformed(e)) => (
                NbstatStatus::Malformed,
                Some(format!("malformed reply: {e}")),
                NbstatReport::default(),
            ),
            Outcome::Reply(other) => (
                NbstatStatus::Malformed,
                Some(format!("unexpected reply: {other:?}")),
                NbstatReport::default(),
            ),
            Outcome::NoReply => (NbstatStatus::NoReply, None, NbstatReport::default()),
            Outcome::SendFailed(_) => (
                NbstatStatus::SendFailed,
                r.outcome.failure(),
                NbstatReport::default(),
            ),
            Outcome::Unreachable(why) => (
                if why.port_closed() {
                    NbstatStatus::Closed
                } else {
                    NbstatStatus::Unreachable
                },
                r.outcome.failure(),
                NbstatReport::default(),
            ),
        };
        Self {
            ip: r.ip,
            status,
            error,
            rtt_ms: r.rtt.map(|d| (d.as_secs_f64() * 1e6).round() / 1e3),
            attempts: r.attempts,
            report,
        }
    }

    /// Whether the host sent anything back.
    pub fn answered(&self) -> bool {
        matches!(
            self.status,
            NbstatStatus::Ok | NbstatStatus::Negative | NbstatStatus::Malformed
        )
    }
}

/// Column names of [`HostRecord::summary_row`].
pub const SUMMARY_HEADERS: [&str; 12] = [
    "ip",
    "computer",
    "domain",
    "137/udp",
    "139/tcp",
    "445/tcp",
    "max_dialect",
    "dialects",
    "smb1",
    "smb2_signing_required",
    "smb1_signing_required",
    "os",
];

/// The `schema` value of every host object; bumped on any incompatible change.
pub const SCHEMA: &str = "smbaudit/scan-host/v1";

/// One host, as every format shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostRecord {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The target.
    pub ip: IpAddr,
    /// Each port looked at and its state (JSON: `"445/tcp": "open"`).
    pub ports: BTreeMap<Port, PortState>,
    /// What was seen on each port (RST, ICMP unreachable, silence...).
    pub port_evidence: BTreeMap<Port, String>,
    /// The port each role was probed on, where it is not the role's well-known port. Not in
    /// the JSON: the CLI probes well-known ports only; the engine's tests move them.
    #[serde(skip)]
    pub moved_roles: BTreeMap<Role, Port>,
    /// The nbstat object, when 137/udp answered.
    pub netbios: Option<NbstatHost>,
    /// The session service on 139.
    pub nbss: Option<NbssFacts>,
    /// SMB facts.
    pub smb: Option<SmbFacts>,
    /// Steps that failed.
    pub errors: Vec<ScanError>,
    /// TCP connections opened to the host.
    pub connections: u32,
    /// Time spent on the host's TCP phase.
    pub elapsed_ms: u64,
}

/// A failed step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanError {
    /// The step.
    pub phase: Phase,
    /// Its port.
    pub port: Option<u16>,
    /// What happened.
    pub message: String,
}

impl HostRecord {
    /// The record of one scanned host.
    pub fn from_scan(h: HostScan) -> Self {
        Self {
            schema: SCHEMA.to_owned(),
            ip: h.ip,
            ports: h.ports.iter().map(|p| (p.port, p.state)).collect(),
            port_evidence: h
                .ports
                .iter()
                .map(|p| (p.port, p.evidence.clone()))
                .collect(),
            moved_roles: h
                .ports
                .iter()
                .filter(|p| p.role.well_known_port() != p.port)
                .map(|p| (p.role, p.port))
                .collect(),
            netbios: h
                .nbstat
                .as_ref()
                .map(NbstatHost::from_result)
                .filter(NbstatHost::answered),
            nbss: h.nbss,
            smb: h.smb,
            errors: h
                .errors
                .into_iter()
                .map(|e| ScanError {
                    phase: e.phase,
                    port: e.port,
                    message: e.message,
                })
                .collect(),
            connections: h.connections,
            elapsed_ms: u64::try_from(h.elapsed.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// The record as a scan that looked only at `ports` would have it: other ports, and the
    /// facts learnt through them (NBSTAT through 137/udp, the session service through
    /// 139/tcp, SMB through the port it came from), are left out. Two scans of different
    /// ports are compared on what both looked at.
    pub fn restricted_to(&self, ports: &std::collections::BTreeSet<Port>) -> Self {
        let kept = |port: Port| ports.contains(&port);
        let mut out = self.clone();
        out.ports.retain(|p, _| kept(*p));
        out.port_evidence.retain(|p, _| kept(*p));
        out.moved_roles.retain(|_, p| kept(*p));
        if !kept(self.port_of(Role::NetbiosName)) {
            out.netbios = None;
        }
        if !kept(self.port_of(Role::NetbiosSession)) {
            out.nbss = None;
        }
        let smb_port = self.smb.as_ref().and_then(|s| s.port).map(Port::tcp);
        if smb_port.is_some_and(|p| !kept(p)) {
            out.smb = None;
        }
        out.errors.retain(|e| {
            e.port
                .is_none_or(|n| kept(Port::tcp(n)) || kept(Port::udp(n)))
        });
        out
    }

    /// The port `role` was probed on.
    pub fn port_of(&self, role: Role) -> Port {
        self.moved_roles
            .get(&role)
            .copied()
            .unwrap_or_else(|| role.well_known_port())
    }

    /// The state of the port probed as `role`, if it was looked at.
    pub fn state(&self, role: Role) -> Option<PortState> {
        self.ports.get(&self.port_of(role)).copied()
    }

    /// What was seen on the port probed as `role`.
    pub fn evidence(&self, role: Role) -> Option<&str> {
        self.port_evidence
            .get(&self.port_of(role))
            .map(String::as_str)
    }

    /// Whether the port probed as `role` is open.
    pub fn is_open(&self, role: Role) -> bool {
        self.state(role) == Some(PortState::Open)
    }

    /// Whether anything is exposed: a TCP port open or an NBSTAT answer.
    pub fn exposed(&self) -> bool {
        self.ports
            .iter()
            .any(|(port, state)| *state == PortState::Open && port.proto == Proto::Tcp)
            || self.netbios.is_some()
    }

    /// The NTLM facts, from SMB2 if there, else from SMB1.
    pub fn ntlm(&self) -> Option<&NtlmFacts> {
        self.ntlm_with_path().map(|(_, facts)| facts)
    }

    /// [`Self::ntlm`] with the record path it came from (`smb.ntlm` or `smb.smb1_ntlm`).
    pub fn ntlm_with_path(&self) -> Option<(&'static str, &NtlmFacts)> {
        let smb = self.smb.as_ref()?;
        match (&smb.ntlm, &smb.smb1_ntlm) {
            (Some(n), _) => Some(("smb.ntlm", n)),
            (None, Some(n)) => Some(("smb.smb1_ntlm", n)),
            (None, None) => None,
        }
    }

    /// The computer name: NBSTAT's, else the NTLM NetBIOS name.
    pub fn computer(&self) -> Option<&str> {
        self.netbios
            .as_ref()
            .and_then(|n| n.report.computer.as_deref())
            .or_else(|| self.ntlm().and_then(|n| n.netbios_computer.as_deref()))
    }

    /// The OS as the host names it: SMB1 NativeOS, else `NTLM <version>`.
    pub fn os(&self) -> Option<String> {
        self.smb
            .as_ref()
            .and_then(|s| s.native_os.clone())
            .or_else(|| {
                self.ntlm()
                    .and_then(|n| n.os_version.as_ref().map(|v| format!("NTLM {v}")))
            })
    }

    /// The one-line summary every tabular format shows, in [`SUMMARY_HEADERS`] order; "-"
    /// where nothing is known, "?" for an unknown verdict.
    pub fn summary_row(&self) -> [String; 12] {
        let smb = self.smb.as_ref();
        let yes_no = |v: Option<bool>| match v {
            Some(true) => "yes",
            Some(false) => "no",
            None => "?",
        };
        let dash = |v: Option<&str>| v.unwrap_or("-").to_owned();
        [
            self.ip.to_string(),
            dash(self.computer()),
            self.domain().unwrap_or_else(|| "-".into()),
            dash(self.state(Role::NetbiosName).map(PortState::as_str)),
            dash(self.state(Role::NetbiosSession).map(PortState::as_str)),
            dash(self.state(Role::Smb).map(PortState::as_str)),
            dash(smb.and_then(|s| s.max_dialect.as_deref())),
            smb.filter(|s| !s.dialects.is_empty())
                .map_or_else(|| "-".into(), |s| s.dialects.join(",")),
            smb.map_or("-", |s| yes_no(s.smb1)).to_owned(),
            smb.map_or("-", |s| yes_no(signing_required(s))).to_owned(),
            smb.map_or("-", |s| match (s.smb1, s.signing.smb1) {
                // SMB1 off: no SMB1 signing to require.
                (Some(false), _) => "-",
                (_, guard) => yes_no(guard.map(|g| g.required)),
            })
            .to_owned(),
            self.os().unwrap_or_else(|| "-".into()),
        ]
    }

    /// [`Self::summary_row`] without the dialect list, for tables too narrow for it.
    pub fn short_summary_row(&self) -> [String; 10] {
        let [
            ip,
            computer,
            domain,
            udp137,
            tcp139,
            tcp445,
            max,
            _,
            smb1,
            sign,
            _,
            os,
        ] = self.summary_row();
        [
            ip, computer, domain, udp137, tcp139, tcp445, max, smb1, sign, os,
        ]
    }

    /// The workgroup or domain: NBSTAT's, else the SMB1 PrimaryDomain, else the NTLM
    /// NetBIOS domain. A standalone machine (workgroup member or standalone server) names
    /// its own SAM in NTLM, so an NTLM domain equal to the computer name is shown as
    /// "(standalone)", not as a domain of its own name.
    pub fn domain(&self) -> Option<String> {
        let workgroup = self
            .netbios
            .as_ref()
            .and_then(|n| n.report.workgroup.as_deref())
            .or_else(|| self.smb.as_ref().and_then(|s| s.primary_domain.as_deref()));
        if let Some(name) = workgroup {
            return Some(name.to_owned());
        }
        let ntlm = self.ntlm()?;
        let domain = ntlm.netbios_domain.as_deref()?;
        let own_name = ntlm
            .netbios_computer
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(domain));
        Some(if own_name {
            "(standalone)".to_owned()
        } else {
            domain.to_owned()
        })
    }
}

/// Whether signing is required: SMB2's policy, or SMB1's on a host that speaks SMB1 only.
fn signing_required(smb: &SmbFacts) -> Option<bool> {
    match &smb.signing.smb2 {
        Some(s) => Some(s.required),
        None if smb.smb1_only() => smb.signing.smb1.map(|s| s.required),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::rules::test_host::host;

    fn ntlm(computer: &str, domain: &str) -> serde_json::Value {
        json!({"netbios_computer": computer, "netbios_domain": domain, "negotiate_flags": 0})
    }

    #[test]
    fn the_domain_column_names_workgroups_and_marks_standalone_machines() {
        let nbstat = host(json!({"netbios": {"workgroup": "LABWG"},
            "smb": {"ntlm": ntlm("FILESRV1", "FILESRV1")}}));
        assert_eq!(nbstat.domain().as_deref(), Some("LABWG"));
        let smb1 = host(json!({"netbios": null, "smb": {"primary_domain": "OTHERWG",
            "ntlm": ntlm("OLDBOX", "OLDBOX")}}));
        assert_eq!(smb1.domain().as_deref(), Some("OTHERWG"));
        let standalone = host(json!({"netbios": null, "smb": {"ntlm": ntlm("SRV", "srv")}}));
        assert_eq!(standalone.domain().as_deref(), Some("(standalone)"));
        let member = host(json!({"netbios": null, "smb": {"ntlm": ntlm("WS1", "CORP")}}));
        assert_eq!(member.domain().as_deref(), Some("CORP"));
        assert_eq!(host(json!({"netbios": null})).domain(), None);
    }

    #[test]
    fn an_smb1_only_host_shows_its_smb1_signing() {
        let smb1_only = host(json!({"smb": {"smb1": true, "max_dialect": "NT LM 0.12",
            "signing": {"smb1": {"enabled": true, "required": true}}}}));
        let row = smb1_only.summary_row();
        assert_eq!((row[6].as_str(), row[9].as_str()), ("NT LM 0.12", "yes"));
        let unknown = host(json!({"smb": {"smb1": true,
            "signing": {"smb1": {"enabled": true, "required": true}}}}));
        assert_eq!(
            unknown.summary_row()[9],
            "?",
            "SMB2 policy unknown stays unknown"
        );
        assert_eq!(unknown.summary_row()[10], "yes", "the SMB1 column");
    }

    #[test]
    fn csv_columns_spell_absent_facts_one_way() {
        let smb1_off = host(json!({"smb": {"smb1": false, "dialects": []}}));
        let row = smb1_off.summary_row();
        assert_eq!(
            (row[7].as_str(), row[10].as_str()),
            ("-", "-"),
            "no dialect list, no SMB1 signing"
        );
    }
}
