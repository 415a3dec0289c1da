//! The `-v` lines under a host in the scan table: evidence per port, session attempts, the
//! SMB handshake facts and the errors.

use std::io::{self, Write};

use smbaudit_findings::record::HostRecord;
use smbaudit_probe::smb::{NtlmFacts, SmbFacts};

/// Every detail line of `host`.
pub(super) fn write_details(out: &mut impl Write, host: &HostRecord) -> io::Result<()> {
    ports(out, host)?;
    if let Some(smb) = &host.smb {
        dialects(out, smb)?;
        identity(out, smb)?;
        negotiation(out, smb)?;
        for (label, ntlm) in [("ntlm", &smb.ntlm), ("ntlm1", &smb.smb1_ntlm)] {
            if let Some(n) = ntlm {
                ntlm_line(out, label, n)?;
            }
        }
        if let Some(listing) = &smb.shares {
            writeln!(out, "    shares")?;
            super::shares::write_listing(out, listing, "      ", false)?;
        }
        if smb.native_os.is_some() || smb.native_lanman.is_some() {
            writeln!(
                out,
                "    native   os={:?} lanman={:?}",
                smb.native_os.as_deref().unwrap_or(""),
                smb.native_lanman.as_deref().unwrap_or("")
            )?;
        }
    }
    for e in &host.errors {
        let port = e.port.map(|p| format!(" {p}")).unwrap_or_default();
        writeln!(out, "    error    {}{port}: {}", e.phase, e.message)?;
    }
    Ok(())
}

/// Each port's state and evidence, then the NetBIOS session attempts.
fn ports(out: &mut impl Write, host: &HostRecord) -> io::Result<()> {
    for (port, evidence) in &host.port_evidence {
        writeln!(
            out,
            "    {port:<8} {:<13} {evidence}",
            host.ports.get(port).map_or("-", |s| s.as_str())
        )?;
    }
    for a in host.nbss.iter().flat_map(|n| &n.attempts) {
        let detail = a
            .detail
            .as_ref()
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        writeln!(out, "    session  {:<16} {}{detail}", a.called, a.result)?;
    }
    Ok(())
}

/// The dialects, the SMB1 verdict and both signing policies.
fn dialects(out: &mut impl Write, smb: &SmbFacts) -> io::Result<()> {
    if smb.smb1_only() {
        writeln!(out, "    dialects none over SMB2: NT LM 0.12 (SMB1) only")?;
    } else {
        let incomplete = if smb.dialects_complete {
            ""
        } else {
            " (incomplete)"
        };
        writeln!(out, "    dialects {}{incomplete}", smb.dialects.join(" "))?;
    }
    if let Some(reason) = &smb.smb1_reason {
        writeln!(out, "    smb1     {reason}")?;
    }
    for (family, signing) in [("smb2", &smb.signing.smb2), ("smb1", &smb.signing.smb1)] {
        if let Some(s) = signing {
            writeln!(
                out,
                "    signing  {family} enabled={} required={}",
                s.enabled, s.required
            )?;
        }
    }
    Ok(())
}

/// ServerGuid, the server's clock and its capabilities.
fn identity(out: &mut impl Write, smb: &SmbFacts) -> io::Result<()> {
    if let Some(guid) = &smb.server_guid {
        writeln!(out, "    guid     {guid}")?;
    }
    let smb1_time = smb.smb1_mode.as_ref().and_then(|m| m.system_time.as_ref());
    if let Some(t) = smb.system_time.as_ref().or(smb1_time) {
        writeln!(
            out,
            "    time     {t} (skew {} s), boot {}",
            smb.clock_skew_secs.unwrap_or_default(),
            smb.boot_time.as_deref().unwrap_or("not disclosed")
        )?;
    }
    if !smb.capabilities.is_empty() {
        writeln!(out, "    caps     {}", smb.capabilities.join(" "))?;
    }
    Ok(())
}

/// The 3.1.1 negotiate contexts and the SPNEGO mechanisms offered.
fn negotiation(out: &mut impl Write, smb: &SmbFacts) -> io::Result<()> {
    for ctx in &smb.contexts {
        let value = ctx
            .decoded
            .as_ref()
            .and_then(|v| serde_json::to_string(v).ok())
            .unwrap_or_else(|| ctx.data.clone());
        writeln!(out, "    context  {} {value}", ctx.name)?;
    }
    let mechs: Vec<&str> = smb
        .spnego_mechs
        .iter()
        .map(|m| m.name.as_deref().unwrap_or(m.oid.as_str()))
        .collect();
    if !mechs.is_empty() {
        writeln!(out, "    spnego   {}", mechs.join(" "))?;
    }
    Ok(())
}

fn ntlm_line(out: &mut impl Write, label: &str, n: &NtlmFacts) -> io::Result<()> {
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    writeln!(
        out,
        "    {label:<8} computer={} domain={} dns={} dns_domain={} forest={} os={}",
        shown(&n.netbios_computer),
        shown(&n.netbios_domain),
        shown(&n.dns_computer),
        shown(&n.dns_domain),
        shown(&n.dns_tree),
        shown(&n.os_version),
    )
}
