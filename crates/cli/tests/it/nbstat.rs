//! `smbaudit nbstat` and `smbaudit lookup` against real nmbd in namespaces. Expected values
//! come from each host's configuration (its names, workgroup, aliases), not from the scanner.

use std::net::Ipv4Addr;

use serde_json::Value;

use crate::lab::{HostSpec, require_lab};
use crate::run::{jsonl, smbaudit};

/// A file server, an nmbd-only host with two aliases, and a hardened host without NetBIOS.
fn hosts() -> Vec<HostSpec> {
    vec![
        HostSpec::new("fs", "FILESRV1", "LABWG"),
        HostSpec {
            smbd: false,
            aliases: &["INTRANET", "PRINTSRV"],
            ..HostSpec::new("nb", "NBONLY", "LABWG")
        },
        HostSpec {
            nmbd: false,
            extra_conf: "   disable netbios = yes\n   smb ports = 445\n".into(),
            ..HostSpec::new("sec", "SECURESRV", "OTHERWG")
        },
    ]
}

fn names_of(host: &Value) -> Vec<(String, u64, bool)> {
    host["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["name"].as_str().unwrap().to_owned(),
                n["suffix"].as_u64().unwrap(),
                n["group"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn nbstat_reads_samba_name_tables() {
    let lab = require_lab!(&hosts());
    let (net, len) = lab.prefix();
    let range = format!("{net}/{len}");
    let (code, out, err) = smbaudit(
        &lab,
        &["nbstat", "-f", "jsonl"],
        std::slice::from_ref(&range),
    );
    assert_eq!(code, 0, "stderr: {err}");
    let hosts = jsonl(&out);
    let ips: Vec<Ipv4Addr> = hosts
        .iter()
        .map(|h| h["ip"].as_str().unwrap().parse().unwrap())
        .collect();
    let mut sorted = ips.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [lab.ip("fs"), lab.ip("nb")],
        "only the two nmbd hosts answer: {out}"
    );
    assert!(
        err.contains("2 of 256 addresses answered"),
        "summary: {err}"
    );

    let fs = &hosts[ips.iter().position(|ip| *ip == lab.ip("fs")).unwrap()];
    assert_eq!(fs["status"], "ok");
    let names = names_of(fs);
    for expected in [
        ("FILESRV1".to_owned(), 0x00, false),
        ("FILESRV1".to_owned(), 0x03, false),
        ("FILESRV1".to_owned(), 0x20, false),
        ("LABWG".to_owned(), 0x00, true),
        ("LABWG".to_owned(), 0x1e, true),
    ] {
        assert!(
            names.contains(&expected),
            "{expected:?} missing from {names:?}"
        );
    }
    assert_eq!(fs["computer"], "FILESRV1");
    assert_eq!(fs["workgroup"], "LABWG");
    assert!(
        strings(&fs["users"]).is_empty(),
        "nmbd's own <03> is not a user"
    );
    assert!(strings(&fs["roles"]).contains(&"file_server".to_owned()));
    assert_eq!(fs["mac"], "00:00:00:00:00:00", "Samba sends a zero unit ID");
    assert_eq!(fs["mac_disclosed"], false);
    assert_eq!(fs["statistics_len"], 46);
    assert_eq!(fs["attempts"], 1);

    let nb = &hosts[ips.iter().position(|ip| *ip == lab.ip("nb")).unwrap()];
    assert_eq!(nb["computer"], "NBONLY");
    let mut aliases = strings(&nb["aliases"]);
    aliases.sort();
    assert_eq!(aliases, ["INTRANET", "PRINTSRV"]);
    assert!(
        strings(&nb["users"]).is_empty(),
        "aliases' <03> names are not users"
    );
    assert!(names_of(nb).contains(&("PRINTSRV".to_owned(), 0x20, false)));

    // --all lists the hardened host too: no nmbd, so its kernel answers ICMP port
    // unreachable: closed, never an answer; an address without a host stays silent.
    let sec = lab.ip("sec").to_string();
    let (code, out, err) = smbaudit(
        &lab,
        &["nbstat", "-f", "jsonl", "--all", "--timeout", "300ms"],
        &[sec.clone(), lab.absent_ip().to_string()],
    );
    assert_eq!(code, 0);
    let all = jsonl(&out);
    assert_eq!(all.len(), 2, "{out}");
    let closed = all.iter().find(|h| h["ip"] == sec.as_str()).unwrap();
    assert_eq!(closed["status"], "closed", "{closed}");
    assert_eq!(
        closed["error"],
        format!("ICMP port unreachable from {sec}").as_str()
    );
    assert_eq!(closed["attempts"], 1, "no retransmission after the ICMP");
    let silent = all.iter().find(|h| h["ip"] != sec.as_str()).unwrap();
    assert_eq!(silent["status"], "no_reply");
    assert_eq!(silent["attempts"], 2);
    assert!(err.contains("1 ICMP unreachable"), "{err}");
}

#[test]
fn nbstat_output_formats() {
    let lab = require_lab!(&hosts()[..2]);
    let targets = vec![lab.ip("fs").to_string(), lab.ip("nb").to_string()];
    let fs = lab.ip("fs");

    let (code, out, _) = smbaudit(&lab, &["nbstat", "-f", "json", "-q"], &targets);
    assert_eq!(code, 0);
    let array: Vec<Value> = serde_json::from_str(&out).expect("one JSON array");
    assert_eq!(array.len(), 2);
    assert_eq!(array[0]["ip"], fs.to_string(), "sorted by address");

    let (_, out, _) = smbaudit(&lab, &["nbstat", "-f", "csv", "-q"], &targets);
    let mut rows = out.lines();
    assert_eq!(
        rows.next().unwrap(),
        "ip,status,computer,workgroup,users,roles,mac,mac_disclosed,vendor,aliases,names,error"
    );
    let rows: Vec<&str> = rows.collect();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .any(|r| r.starts_with(&format!("{fs},ok,FILESRV1,LABWG,"))),
        "{rows:?}"
    );
    // Roles as JSON spells them.
    assert!(rows.iter().any(|r| r.contains(",file_server")), "{rows:?}");

    let (_, out, _) = smbaudit(&lab, &["nbstat", "-f", "hosts", "-q"], &targets);
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort();
    let mut want = vec![
        format!("{fs}\tFILESRV1"),
        format!("{}\tNBONLY", lab.ip("nb")),
    ];
    want.sort();
    assert_eq!(lines, want);

    let (_, out, _) = smbaudit(&lab, &["nbstat", "-f", "lmhosts", "-q"], &targets[..1]);
    assert_eq!(out, format!("{fs}\tFILESRV1\t#PRE\n"));

    let (_, out, _) = smbaudit(&lab, &["nbstat", "-v", "-q"], &targets[..1]);
    assert!(out.starts_with("IP address"), "{out}");
    assert!(
        out.contains("FILESRV1        <20> UNIQUE file server"),
        "{out}"
    );
    assert!(
        out.contains("LABWG           <00> GROUP  domain/workgroup name"),
        "{out}"
    );
}

#[test]
fn lookup_and_nbstat_by_netbios_name() {
    let lab = require_lab!(&hosts()[..2]);
    let (fs, nb, bcast) = (lab.ip("fs"), lab.ip("nb"), lab.broadcast().to_string());
    lab.check_target(&bcast);

    let wins = fs.to_string();
    let (code, out, err) = smbaudit(
        &lab,
        &["lookup", "FILESRV1#20", "--wins", &wins, "-f", "jsonl"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let answers = jsonl(&out);
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0]["address"], fs.to_string());
    assert_eq!(answers[0]["suffix"], 0x20);
    assert_eq!(answers[0]["group"], false);

    let (code, out, err) = smbaudit(&lab, &["lookup", "INTRANET", "--broadcast", &bcast], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(&format!("{nb} INTRANET<00> UNIQUE")),
        "{out}"
    );

    let (code, _, err) = smbaudit(
        &lab,
        &[
            "lookup",
            "NOSUCHNAME",
            "--broadcast",
            &bcast,
            "--retries",
            "0",
        ],
        &[],
    );
    assert_eq!(code, 1, "nobody owns the name: {err}");

    // nbtstat -a: resolve a NetBIOS name, then node status.
    let (code, out, err) = smbaudit(
        &lab,
        &["nbstat", "-f", "jsonl", "--broadcast", &bcast],
        &["PRINTSRV".to_owned()],
    );
    assert_eq!(code, 0, "{err}");
    let hosts = jsonl(&out);
    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0]["ip"], nb.to_string());
    assert_eq!(hosts[0]["computer"], "NBONLY");
}

#[test]
fn unresolvable_name_exits_2_before_sending() {
    let lab = require_lab!(&hosts()[..1]);
    // In the client namespace no resolver is reachable, so the lookup fails locally.
    let (code, out, err) = smbaudit(&lab, &["nbstat"], &["no-such-host.invalid".to_owned()]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("no-such-host.invalid"), "{err}");
    let (code, _, err) = smbaudit(
        &lab,
        &["nbstat", "--wins", &lab.ip("fs").to_string()],
        &["NOBODY".to_owned()],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("NOBODY"), "{err}");
}
