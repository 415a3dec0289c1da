//! `smbaudit scan` over IPv6 against a real smbd bound to the lab's ULA prefix
//! (`Lab::start_dual_stack`): an address and a /120 find 445 and 139, the SMB fingerprint is
//! the one the same host shows over IPv4, 137/udp is never probed over IPv6, a target file
//! of IPv6 addresses and an IPv6 exclusion are honoured, a /32 is refused with exit 2, and
//! nmap -6 agrees on the ports.
//!
//! Network: the lab's namespaces only (fd00:5a7:<n>::/64, on-link, no other route).

use serde_json::Value;

use crate::lab::{HostSpec, Lab, output_within, require_lab, which};
use crate::run::{jsonl, smbaudit};

fn hosts() -> Vec<HostSpec> {
    vec![HostSpec {
        extra_conf: "   server min protocol = NT1\n".into(),
        ..HostSpec::new("fs", "FILESRV6", "LABWG")
    }]
}

/// `scan -f jsonl --all` of `targets` from the lab's client; every line's host object.
fn scan(lab: &Lab, extra: &[&str], targets: &[String]) -> Vec<Value> {
    for t in targets {
        lab.check_target(t);
    }
    let mut args = vec![
        "scan",
        "--no-store",
        "-q",
        "-f",
        "jsonl",
        "--all",
        "--connect-timeout",
        "1s",
        "--timeout",
        "300ms",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = smbaudit(lab, &args, targets);
    assert_eq!(code, 0, "scan {targets:?}: {err}");
    jsonl(&out)
}

/// The SMB fingerprint of a host object: what must not depend on the address family.
fn fingerprint(host: &Value) -> Value {
    let smb = &host["smb"];
    serde_json::json!({
        "dialects": smb["dialects"],
        "max_dialect": smb["max_dialect"],
        "smb1": smb["smb1"],
        "signing": smb["signing"],
        "capabilities": smb["capabilities"],
        "ntlm_computer": smb["ntlm"]["netbios_computer"],
        "ntlm_domain": smb["ntlm"]["netbios_domain"],
        "os_version": smb["ntlm"]["os_version"],
    })
}

fn open_ports(host: &Value) -> Vec<String> {
    let mut open: Vec<String> = host["ports"]
        .as_object()
        .map(|p| {
            p.iter()
                .filter(|(_, s)| *s == "open")
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default();
    open.sort();
    open
}

#[test]
fn v6_address_and_prefix_find_smb_with_the_v4_fingerprint_and_no_netbios() {
    let lab = require_lab!(dual_stack: &hosts());
    let v4 = lab.ip("fs").to_string();
    let v6 = lab.ip6("fs").to_string();

    let by_v4 = scan(&lab, &[], std::slice::from_ref(&v4));
    let by_v6 = scan(&lab, &[], std::slice::from_ref(&v6));
    let (h4, h6) = (&by_v4[0], &by_v6[0]);
    assert_eq!(h6["ip"], v6.as_str());
    assert_eq!(open_ports(h6), ["139/tcp", "445/tcp"], "{h6}");
    assert!(
        h6["ports"].get("137/udp").is_none() && h6["netbios"].is_null(),
        "NetBIOS name service is IPv4 only: 137/udp is not probed over IPv6: {h6}"
    );
    assert_eq!(
        h4["ports"]["137/udp"], "open",
        "the same host answers NBSTAT over IPv4"
    );
    assert!(
        h6["smb"]["dialects"]
            .as_array()
            .is_some_and(|d| !d.is_empty()),
        "{h6}"
    );
    assert_eq!(
        fingerprint(h6),
        fingerprint(h4),
        "same smbd, same fingerprint"
    );

    // The /120 around it: only the smbd's address has SMB open (the client's own address
    // answers with RSTs; the rest fails neighbour discovery or stays silent).
    let (net, _) = lab.prefix6();
    let prefix = format!("{net}/120");
    let swept = scan(&lab, &["-p", "139,445", "-c", "64"], &[prefix]);
    assert_eq!(swept.len(), 256, "every address of the /120 reported");
    let open: Vec<&str> = swept
        .iter()
        .filter(|h| !open_ports(h).is_empty())
        .filter_map(|h| h["ip"].as_str())
        .collect();
    assert_eq!(open, [v6.as_str()]);
    let found = swept.iter().find(|h| h["ip"] == v6.as_str()).unwrap();
    assert_eq!(open_ports(found), ["139/tcp", "445/tcp"]);
    assert_eq!(fingerprint(found), fingerprint(h4));
    let client = lab.v6_of(2).to_string();
    let own = swept.iter().find(|h| h["ip"] == client.as_str()).unwrap();
    assert_eq!(own["ports"]["445/tcp"], "closed", "{own}");

    // A target file of IPv6 addresses, one of them excluded.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("v6.txt");
    std::fs::write(&file, format!("# lab\n{v6}\n{client} # the scanner\n")).unwrap();
    lab.check_target(&client);
    let from_file = scan(
        &lab,
        &[
            "-p",
            "445",
            "-i",
            file.to_str().unwrap(),
            "--exclude",
            &client,
        ],
        &[],
    );
    let ips: Vec<&str> = from_file.iter().filter_map(|h| h["ip"].as_str()).collect();
    assert_eq!(ips, [v6.as_str()], "the excluded address is not scanned");
    assert_eq!(open_ports(&from_file[0]), ["445/tcp"]);
}

#[test]
fn a_v6_slash_32_is_refused_before_anything_is_sent() {
    let lab = require_lab!(dual_stack: &hosts());
    let (net, _) = lab.prefix6();
    let wide = format!("{net}/32");
    // Not check_target: it is wider than the lab; the point is that it is refused unsent.
    let before = sent_by_client(&lab);
    let (code, out, err) = smbaudit(&lab, &["scan", "--no-store", &wide], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("larger than /104"), "{err}");
    assert_eq!(
        sent_by_client(&lab),
        before,
        "nothing sent from the client namespace"
    );
}

/// IPv4 and IPv6 datagrams the client namespace has sent (`OutRequests`, `Ip6OutRequests`).
fn sent_by_client(lab: &Lab) -> (u64, u64) {
    let read = |file: &str| {
        let mut cmd = lab.client_command("cat");
        cmd.arg(file);
        let out = output_within(&mut cmd, std::time::Duration::from_secs(10)).unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let snmp = read("/proc/net/snmp");
    let mut ip = snmp.lines().filter(|l| l.starts_with("Ip:"));
    let (header, values) = (ip.next().unwrap(), ip.next().unwrap());
    let column = header
        .split_whitespace()
        .position(|h| h == "OutRequests")
        .unwrap();
    let v4 = values
        .split_whitespace()
        .nth(column)
        .unwrap()
        .parse()
        .unwrap();
    let snmp6 = read("/proc/net/snmp6");
    let v6 = snmp6
        .lines()
        .find_map(|l| l.strip_prefix("Ip6OutRequests"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    (v4, v6)
}

#[test]
fn nmap_sees_the_same_ports_over_ipv6() {
    let Some(nmap) = which("nmap") else {
        eprintln!("SKIPPED: ipv6::nmap_sees_the_same_ports_over_ipv6: nmap not installed");
        return;
    };
    let lab = require_lab!(dual_stack: &hosts());
    let v6 = lab.ip6("fs").to_string();
    lab.check_target(&v6);
    let mut cmd = lab.client_command(nmap);
    cmd.args([
        "-6",
        "-n",
        "-Pn",
        "-sT",
        "-p",
        "135,139,445",
        "-oG",
        "-",
        &v6,
    ]);
    let out = output_within(&mut cmd, std::time::Duration::from_secs(60)).unwrap();
    let grep = String::from_utf8_lossy(&out.stdout);
    assert!(
        grep.contains("445/open/tcp") && grep.contains("139/open/tcp"),
        "{grep}"
    );
    let ours = scan(&lab, &["-p", "135,139,445"], std::slice::from_ref(&v6));
    let nmap_open: Vec<String> = ["135", "139", "445"]
        .into_iter()
        .filter(|p| grep.contains(&format!("{p}/open/tcp")))
        .map(|p| format!("{p}/tcp"))
        .collect();
    assert_eq!(open_ports(&ours[0]), nmap_open);
}
