//! `smbaudit scan` against real Samba in namespaces. Each host's expected facts are derived
//! from its configuration below (protocol range, signing, ports, names), not from the
//! scanner's output; Samba constants are cited where the expectation relies on one.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde_json::Value;

use crate::lab::{DNS_DOMAIN, HostSpec, Lab, require_lab};
use crate::run::{jsonl, smbaudit};

/// SMB 2/3 dialects by Samba protocol name, ascending.
const DIALECTS: [(&str, &str); 5] = [
    ("SMB2_02", "2.0.2"),
    ("SMB2_10", "2.1"),
    ("SMB3_00", "3.0"),
    ("SMB3_02", "3.0.2"),
    ("SMB3_11", "3.1.1"),
];

/// One lab host and what its configuration implies.
pub(crate) struct Expect {
    pub(crate) spec: HostSpec,
    /// `server min protocol` (NT1 = SMB1 on; SMB2 floor 2.0.2).
    pub(crate) min: &'static str,
    /// `server max protocol`.
    pub(crate) max: &'static str,
    /// `server signing = mandatory`.
    pub(crate) signing_required: bool,
    /// `smb ports`.
    pub(crate) smb_ports: &'static [u16],
}

impl Expect {
    fn new(spec: HostSpec, min: &'static str, max: &'static str) -> Self {
        Self {
            spec,
            min,
            max,
            signing_required: false,
            smb_ports: &[139, 445],
        }
    }

    pub(crate) fn smb1(&self) -> bool {
        self.min == "NT1"
    }

    /// Whether the host speaks SMB2 or 3.
    pub(crate) fn smb2(&self) -> bool {
        self.max != "NT1"
    }

    fn dialects(&self) -> Vec<&'static str> {
        let floor = if self.smb1() { "SMB2_02" } else { self.min };
        let lo = DIALECTS.iter().position(|(p, _)| *p == floor).unwrap();
        let hi = DIALECTS.iter().position(|(p, _)| *p == self.max).unwrap();
        DIALECTS[lo..=hi].iter().map(|(_, d)| *d).collect()
    }

    /// The host's smb.conf lines for the settings above.
    fn conf(mut self) -> Self {
        let ports: Vec<String> = self.smb_ports.iter().map(u16::to_string).collect();
        self.spec.extra_conf += &format!(
            "   server min protocol = {}\n   server max protocol = {}\n   smb ports = {}\n",
            self.min,
            self.max,
            ports.join(" ")
        );
        if self.signing_required {
            self.spec.extra_conf += "   server signing = mandatory\n";
        }
        self
    }
}

pub(crate) fn expectations() -> Vec<Expect> {
    vec![
        // SMB2/3 only: Samba 4.17's defaults.
        Expect::new(
            HostSpec::new("modern", "MODERNSRV", "LABWG"),
            "SMB2_02",
            "SMB3_11",
        )
        .conf(),
        // SMB1 on.
        Expect::new(
            HostSpec::new("legacy", "LEGACYSRV", "LABWG"),
            "NT1",
            "SMB3_11",
        )
        .conf(),
        // Signing mandatory (both families, SMB1 on too).
        Expect {
            signing_required: true,
            ..Expect::new(
                HostSpec::new("signed", "SIGNEDSRV", "CORP"),
                "NT1",
                "SMB3_11",
            )
        }
        .conf(),
        // 445 only, SMB3 floor: the dialect probes must walk up to 3.0.
        Expect {
            smb_ports: &[445],
            ..Expect::new(
                HostSpec::new("smb3", "SMB3SRV", "LABWG"),
                "SMB3_00",
                "SMB3_11",
            )
        }
        .conf(),
        // 139 only, nothing above 2.1: SMB over the session service alone.
        Expect {
            smb_ports: &[139],
            ..Expect::new(
                HostSpec::new("nbt", "NBTSRV", "LABWG"),
                "SMB2_02",
                "SMB2_10",
            )
        }
        .conf(),
    ]
}

/// NetBIOS only: nmbd, no smbd.
fn netbios_only() -> HostSpec {
    HostSpec {
        smbd: false,
        ..HostSpec::new("nbonly", "NBONLY", "LABWG")
    }
}

pub(crate) fn lab_hosts(expect: &[Expect]) -> Vec<HostSpec> {
    let mut hosts: Vec<HostSpec> = expect.iter().map(|e| e.spec.clone()).collect();
    hosts.push(netbios_only());
    hosts
}

fn by_ip(hosts: Vec<Value>) -> BTreeMap<Ipv4Addr, Value> {
    hosts
        .into_iter()
        .map(|h| (h["ip"].as_str().unwrap().parse().unwrap(), h))
        .collect()
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

/// Samba's NativeLanMan is "Samba " + its version (source3/smbd/sesssetup.c).
fn samba_version() -> String {
    let out = std::process::Command::new("smbd")
        .arg("-V")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim().trim_start_matches("Version ").to_owned()
}

fn scan_lab(lab: &Lab, extra: &[&str]) -> (i32, Vec<Value>, String) {
    let (net, len) = lab.prefix();
    let mut args = vec!["scan", "-f", "jsonl", "--reply-timeout", "3s"];
    args.extend_from_slice(extra);
    let (code, out, err) = smbaudit(lab, &args, &[format!("{net}/{len}")]);
    (code, jsonl(&out), err)
}

pub(crate) fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(include_str!("../../../../schema/scan-host.v1.json"))
        .expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

#[test]
fn scan_reports_each_configuration() {
    let expect = expectations();
    let lab = require_lab!(&lab_hosts(&expect));
    let (code, hosts, err) = scan_lab(&lab, &[]);
    assert_eq!(code, 0, "stderr: {err}");
    let schema = validator();
    for h in &hosts {
        let errors: Vec<String> = schema.iter_errors(h).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "schema violations {errors:?} in {h}");
    }
    let hosts = by_ip(hosts);
    let mut expected_ips: Vec<Ipv4Addr> = expect.iter().map(|e| lab.ip(e.spec.id)).collect();
    expected_ips.push(lab.ip("nbonly"));
    expected_ips.sort();
    assert_eq!(
        hosts.keys().copied().collect::<Vec<_>>(),
        expected_ips,
        "exactly the lab hosts respond (silent addresses are not listed)"
    );
    let version = samba_version();
    let mut guids = Vec::new();
    for e in &expect {
        let id = e.spec.id;
        let h = &hosts[&lab.ip(id)];
        let smb = &h["smb"];
        let ctx = format!("host {id}: {h}");
        // Reachability.
        assert_eq!(h["ports"]["137/udp"], "open", "{ctx}");
        assert_eq!(h["ports"]["135/tcp"], "closed", "{ctx}");
        for port in [139u16, 445] {
            let want = if e.smb_ports.contains(&port) {
                "open"
            } else {
                "closed"
            };
            assert_eq!(h["ports"][format!("{port}/tcp")], want, "{ctx}");
        }
        assert_eq!(h["netbios"]["computer"], e.spec.netbios_name, "{ctx}");
        // Dialects and the SMB1 verdict.
        let port = if e.smb_ports.contains(&445) { 445 } else { 139 };
        assert_eq!(smb["port"], port, "{ctx}");
        assert_eq!(strs(&smb["dialects"]), e.dialects(), "{ctx}");
        assert_eq!(smb["dialects_complete"], true, "{ctx}");
        assert_eq!(smb["max_dialect"], *e.dialects().last().unwrap(), "{ctx}");
        assert_eq!(smb["smb1"], e.smb1(), "{ctx}");
        for p in e.smb_ports {
            assert_eq!(
                smb["by_port"][format!("{p}/tcp")]["max_dialect"],
                *e.dialects().last().unwrap(),
                "SMB answers alike on {p}: {ctx}"
            );
        }
        // Signing: SMB2 per the configuration; SMB1 only when SMB1 is on.
        assert_eq!(smb["signing"]["smb2"]["enabled"], true, "{ctx}");
        assert_eq!(
            smb["signing"]["smb2"]["required"], e.signing_required,
            "{ctx}"
        );
        if e.smb1() {
            assert_eq!(
                smb["signing"]["smb1"]["required"], e.signing_required,
                "{ctx}"
            );
            assert_eq!(smb["native_os"], "Windows 6.1", "{ctx}");
            assert_eq!(smb["native_lanman"], format!("Samba {version}"), "{ctx}");
            assert_eq!(smb["smb1_mode"]["user_level"], true, "{ctx}");
            assert_eq!(smb["smb1_mode"]["challenge_response"], true, "{ctx}");
            assert_eq!(
                smb["smb1_ntlm"]["netbios_computer"], e.spec.netbios_name,
                "{ctx}"
            );
        } else {
            assert!(smb["signing"]["smb1"].is_null(), "{ctx}");
            assert!(smb["native_os"].is_null(), "{ctx}");
        }
        // Identity and clock.
        let guid = smb["server_guid"].as_str().unwrap().to_owned();
        assert_eq!(guid.len(), 36, "{ctx}");
        guids.push(guid);
        assert!(
            smb["boot_time"].is_null(),
            "Samba sends ServerStartTime 0: {ctx}"
        );
        assert!(
            smb["clock_skew_secs"].as_i64().unwrap().abs() <= 5,
            "same machine, same clock: {ctx}"
        );
        assert!(smb["max_read_size"].as_u64().unwrap() >= 65536, "{ctx}");
        // NTLM: a standalone Samba server is its own domain (its SAM is named after it).
        let ntlm = &smb["ntlm"];
        assert_eq!(ntlm["netbios_computer"], e.spec.netbios_name, "{ctx}");
        assert_eq!(ntlm["netbios_domain"], e.spec.netbios_name, "{ctx}");
        assert_eq!(
            ntlm["dns_computer"],
            format!("{}.{DNS_DOMAIN}", e.spec.netbios_name.to_lowercase()),
            "the harness names each host <netbios name>.{DNS_DOMAIN}: {ctx}"
        );
        assert_eq!(ntlm["dns_domain"], DNS_DOMAIN, "{ctx}");
        // Samba's NTLMSSP VERSION is 6.1.0 with revision 15 (auth/ntlmssp/ntlmssp_server.c).
        assert_eq!(ntlm["os_version"], "6.1.0", "{ctx}");
        let mechs: Vec<&str> = smb["spnego_mechs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["oid"].as_str().unwrap())
            .collect();
        assert!(
            mechs.contains(&"1.3.6.1.4.1.311.2.2.10"),
            "NTLMSSP offered: {ctx}"
        );
        // 3.1.1 negotiate contexts.
        let contexts: Vec<&str> = smb["contexts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        if e.max == "SMB3_11" {
            assert!(contexts.contains(&"preauth_integrity"), "{ctx}");
            assert!(contexts.contains(&"encryption"), "{ctx}");
            let preauth = smb["contexts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == "preauth_integrity")
                .unwrap();
            assert_eq!(
                strs(&preauth["decoded"]["hash_algorithms"]),
                ["SHA-512"],
                "{ctx}"
            );
        } else {
            assert!(contexts.is_empty(), "contexts only come with 3.1.1: {ctx}");
        }
        // The session service, where 139 is open: the <20> name from NBSTAT first.
        if e.smb_ports.contains(&139) {
            assert_eq!(h["nbss"]["accepted_name"], e.spec.netbios_name, "{ctx}");
            assert_eq!(h["nbss"]["attempts"][0]["result"], "positive", "{ctx}");
        } else {
            assert!(h["nbss"].is_null(), "{ctx}");
        }
        assert!(
            h["errors"].as_array().unwrap().is_empty(),
            "no errors: {ctx}"
        );
    }
    guids.sort();
    guids.dedup();
    assert_eq!(guids.len(), expect.len(), "one server GUID per host");

    let nb = &hosts[&lab.ip("nbonly")];
    assert_eq!(nb["ports"]["137/udp"], "open");
    assert_eq!(nb["ports"]["139/tcp"], "closed");
    assert_eq!(nb["ports"]["445/tcp"], "closed");
    assert!(nb["smb"].is_null() && nb["nbss"].is_null(), "{nb}");
    assert_eq!(nb["netbios"]["computer"], "NBONLY");
}

/// Connections per host: three for a host whose dialects start at 2.0.2 (every dialect +
/// NTLM; SMB1 alone; 2.0.2 alone), one more per refused dialect below a higher floor.
#[test]
fn scan_uses_at_most_three_connections_per_modern_host() {
    let expect = expectations();
    let lab = require_lab!(&lab_hosts(&expect));
    let (code, hosts, err) = scan_lab(&lab, &["--ports", "445"]);
    assert_eq!(code, 0, "stderr: {err}");
    let hosts = by_ip(hosts);
    for e in expect.iter().filter(|e| e.smb_ports.contains(&445)) {
        let h = &hosts[&lab.ip(e.spec.id)];
        let refused_below = DIALECTS
            .iter()
            .take_while(|(p, _)| *p != e.min && e.min != "NT1")
            .count() as u64;
        assert_eq!(
            h["connections"].as_u64().unwrap(),
            3 + refused_below,
            "host {}: {h}",
            e.spec.id
        );
        assert_eq!(strs(&h["smb"]["dialects"]), e.dialects());
        assert_eq!(h.get("ports").unwrap().as_object().unwrap().len(), 1);
    }
}

#[test]
fn scan_formats_and_silent_targets() {
    let hosts = vec![HostSpec::new("fs", "FILESRV1", "LABWG"), netbios_only()];
    let lab = require_lab!(&hosts);
    let absent = lab.absent_ip().to_string();
    let targets = [
        lab.ip("fs").to_string(),
        lab.ip("nbonly").to_string(),
        absent.clone(),
    ];
    // json: one array sorted by address; --all lists the silent one too.
    let (code, out, err) = smbaudit(&lab, &["scan", "-f", "json", "--all", "-q"], &targets);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "-q prints nothing on stderr: {err}");
    let array: Vec<Value> = serde_json::from_str(&out).expect("one JSON array");
    let ips: Vec<&str> = array.iter().map(|h| h["ip"].as_str().unwrap()).collect();
    let mut sorted: Vec<Ipv4Addr> = targets.iter().map(|t| t.parse().unwrap()).collect();
    sorted.sort();
    let sorted: Vec<String> = sorted.iter().map(ToString::to_string).collect();
    assert_eq!(ips, sorted);
    let silent = array.iter().find(|h| h["ip"] == absent.as_str()).unwrap();
    assert_eq!(silent["ports"]["137/udp"], "open|filtered");
    assert!(silent["smb"].is_null() && silent["netbios"].is_null());
    // csv: a header and a row per responding host.
    let (code, out, err) = smbaudit(&lab, &["scan", "-f", "csv"], &targets);
    assert_eq!(code, 0, "{err}");
    let mut rows = out.lines();
    assert!(
        rows.next()
            .unwrap()
            .starts_with("ip,computer,domain,137/udp")
    );
    assert_eq!(rows.count(), 2, "{out}");
    assert!(err.contains("scan: 3 hosts"), "summary on stderr: {err}");
    assert!(
        err.contains("stored as scan 1"),
        "stored in the default database: {err}"
    );
    // table with details.
    let (code, out, err) = smbaudit(&lab, &["scan", "-v"], &[lab.ip("fs").to_string()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("FILESRV1") && out.contains("3.1.1"), "{out}");
    assert!(out.contains("dialects 2.0.2 2.1 3.0 3.0.2 3.1.1"), "{out}");
}

#[test]
fn scan_rejects_bad_input_before_sending() {
    let lab_free = [
        (vec!["scan", "10.0.0.300"], "10.0.0.300"),
        (vec!["scan", "--ports", "80", "127.0.0.1"], "80"),
        (vec!["scan", "--reply-timeout", "fast", "127.0.0.1"], "fast"),
    ];
    for (args, token) in lab_free {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_smbaudit"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(token), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}
