//! A host that speaks SMB1 only (`server min protocol = server max protocol = NT1`): it
//! closes the connection on an SMB2 NEGOTIATE, which is its expected answer, not an error.

use serde_json::Value;

use crate::findings::{finding_ids, rule_ids};
use crate::lab::{HostSpec, Lab, require_lab};
use crate::run::{jsonl, smbaudit};

fn smb1_only() -> HostSpec {
    HostSpec {
        extra_conf: "   server min protocol = NT1\n   server max protocol = NT1\n".to_owned(),
        ..HostSpec::new("nt1", "NT1ONLY", "LABWG")
    }
}

fn scan(lab: &Lab, format: &str) -> (i32, String, String) {
    let ip = lab.ip("nt1").to_string();
    smbaudit(lab, &["scan", "-f", format, "--no-store"], &[ip])
}

#[test]
fn an_smb1_only_host_is_reported_as_one() {
    let lab = require_lab!(&[smb1_only()]);
    let (code, out, err) = scan(&lab, "jsonl");
    assert_eq!(code, 0, "stderr: {err}");
    let hosts = jsonl(&out);
    let [h] = hosts.as_slice() else {
        panic!("one host: {out}");
    };
    let smb = &h["smb"];
    assert_eq!(smb["smb1"], true, "{h}");
    assert_eq!(smb["max_dialect"], "NT LM 0.12", "{h}");
    assert_eq!(
        smb["dialects"],
        Value::Array(vec![]),
        "no SMB2 dialect: {h}"
    );
    assert_eq!(
        smb["dialects_complete"], true,
        "SMB2 refused is a complete answer: {h}"
    );
    for port in ["139/tcp", "445/tcp"] {
        assert_eq!(
            smb["by_port"][port]["max_dialect"], "NT LM 0.12",
            "{port}: {h}"
        );
        assert!(smb["by_port"][port]["error"].is_null(), "{port}: {h}");
    }
    // Samba's `server signing = default` leaves SMB1 signing off.
    assert_eq!(smb["signing"]["smb1"]["required"], false, "{h}");
    assert!(
        smb["clock_skew_secs"].as_i64().unwrap().abs() <= 5,
        "the SMB1 clock: {h}"
    );
    assert_eq!(h["errors"], Value::Array(vec![]), "no errors: {h}");
    let ids = finding_ids(h);
    for id in ["smb1-enabled", "no-smb3", "smb1-signing-not-required"] {
        assert!(ids.contains(id), "{id} in {ids:?}");
    }
    let not_checked = rule_ids(h, "not_checked");
    for id in ["no-smb3", "clock-skew", "smb2-signing-not-required"] {
        assert!(!not_checked.contains(id), "{id} is judged: {not_checked:?}");
    }
}

/// Shares of the SMB1-only host: two guest shares (one writable), one for labuser only, a
/// hidden guest share.
const SHARES: &str = "[public]\n   path = @DIR@/shares/public\n   guest ok = yes\n   read only = yes\n\
[upload]\n   path = @DIR@/shares/upload\n   guest ok = yes\n   read only = no\n\
[private]\n   path = @DIR@/shares/private\n   valid users = labuser\n\
[backup$]\n   path = @DIR@/shares/backup\n   guest ok = yes\n   read only = yes\n";

fn smb1_files() -> HostSpec {
    HostSpec {
        shares: SHARES.into(),
        users: &[("labuser", "LabPass1!")],
        ..smb1_only()
    }
}

/// `smbclient -m NT1 -N ARGS` from the lab's client namespace (None without smbclient).
fn smbclient_nt1(lab: &Lab, args: &[&str]) -> Option<String> {
    if !std::path::Path::new("/usr/bin/smbclient").exists() {
        return None;
    }
    let mut cmd = lab.client_command("smbclient");
    cmd.arg("-s")
        .arg(lab.client_conf())
        .args(["-m", "NT1", "--option=client min protocol=NT1", "-N"])
        .args(args);
    let out =
        crate::lab::output_within(&mut cmd, std::time::Duration::from_secs(20)).expect("smbclient");
    Some(String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

/// The share names of `smbclient -L`'s table (lines `\tNAME   Disk|IPC|Printer ...`).
fn smbclient_share_names(list: &str) -> std::collections::BTreeSet<String> {
    list.lines()
        .filter(|l| l.starts_with('\t'))
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            match words.as_slice() {
                [name, "Disk" | "IPC" | "Printer", ..] => Some((*name).to_owned()),
                _ => None,
            }
        })
        .collect()
}

#[test]
fn an_smb1_only_host_lists_its_shares_and_access_like_smbclient() {
    let lab = require_lab!(&[smb1_files()]);
    let ip = lab.ip("nt1").to_string();
    let (code, out, err) = smbaudit(
        &lab,
        &["scan", "-f", "json", "--no-store"],
        std::slice::from_ref(&ip),
    );
    assert_eq!(code, 0, "stderr: {err}");
    let hosts: Vec<Value> = serde_json::from_str(&out).expect("scan JSON");
    let h = &hosts[0];
    let smb = &h["smb"];
    assert_eq!(smb["smb1"], true, "{h}");
    let listing = &smb["shares"];
    assert_eq!(listing["listed"], true, "{listing}");
    assert_eq!(listing["listed_by"], "anonymous", "{listing}");
    assert!(
        listing["reason"].as_str().unwrap().contains("SMB1"),
        "{listing}"
    );
    let shares = listing["shares"].as_array().unwrap();
    let names: std::collections::BTreeSet<String> = shares
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    let expected = ["IPC$", "backup$", "private", "public", "upload"];
    assert_eq!(
        names,
        expected.iter().map(|s| s.to_string()).collect(),
        "{listing}"
    );
    let share = |name: &str| shares.iter().find(|s| s["name"] == name).unwrap();
    let anonymous = |name: &str| {
        share(name)["access"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["identity"] == "anonymous")
            .unwrap_or_else(|| panic!("{name} checked: {}", share(name)))
            .clone()
    };
    assert_eq!(share("IPC$")["kind"], "ipc");
    assert_eq!(share("backup$")["hidden"], true);

    // What the configuration says (map to guest = bad user, guest ok on three shares).
    let public = anonymous("public");
    assert_eq!(public["connect"], true, "{public}");
    assert!(
        public["share_access"].as_u64().is_some(),
        "Ceiling: {public}"
    );
    assert_eq!(
        (&public["read"], &public["write"]),
        (&Value::Bool(true), &Value::Bool(false)),
        "{public}"
    );
    assert!(
        public["entries"].as_u64().unwrap() >= 1,
        "README.txt: {public}"
    );
    let upload = anonymous("upload");
    assert_eq!(upload["write"], true, "{upload}");
    assert!(
        upload["write_evidence"]
            .as_str()
            .unwrap()
            .starts_with("inferred"),
        "{upload}"
    );
    let private = anonymous("private");
    assert_eq!(private["connect"], false, "{private}");
    assert_eq!(anonymous("backup$")["read"], true);
    assert_eq!(smb["any_share_name"]["accepts_any"], false, "{smb}");
    // The null session over SMB1: granted (Action 0), and it reaches IPC$.
    let null = &smb["null_session"];
    assert_eq!(
        (&null["accepted"], &null["guest"]),
        (&Value::Bool(true), &Value::Bool(false)),
        "{null}"
    );
    assert_eq!(null["ipc"], "connected", "{null}");
    assert!(smb["ms17_010"].is_object(), "MS17-010 still judged: {smb}");
    let fired = finding_ids(h);
    for rule in [
        "null-session",
        "anonymous-share-listing",
        "anonymous-share-read",
        "anonymous-share-write",
        "hidden-share-anonymous-read",
    ] {
        assert!(fired.contains(rule), "{rule} in {fired:?}");
    }

    // smbclient over NT1, anonymous, lists the same shares and reads the same ones.
    let target = format!("//{ip}");
    if let Some(list) = smbclient_nt1(&lab, &["-L", &target]) {
        assert_eq!(smbclient_share_names(&list), names, "smbclient -L: {list}");
        for name in ["public", "upload", "private", "backup$"] {
            let ls = smbclient_nt1(&lab, &[&format!("{target}/{name}"), "-c", "ls"]).unwrap();
            let smbclient_reads = ls.contains("blocks available");
            if smbclient_reads {
                assert!(ls.contains("README.txt"), "{name}: {ls}");
                assert_eq!(anonymous(name)["entries"], 1, "{name}: smbclient says {ls}");
            }
            assert_eq!(
                anonymous(name)["read"] == true,
                smbclient_reads,
                "{name}: smbclient says {ls}"
            );
        }
    }

    // The same walk over NetBIOS session service alone (139; the suite's one Full port).
    let (code, out, err) = smbaudit(
        &lab,
        &["scan", "-f", "json", "--no-store", "-p", "139"],
        std::slice::from_ref(&ip),
    );
    assert_eq!(code, 0, "stderr: {err}");
    let over_139: Vec<Value> = serde_json::from_str(&out).expect("scan JSON");
    let listed_139: std::collections::BTreeSet<String> = over_139[0]["smb"]["shares"]["shares"]
        .as_array()
        .unwrap_or_else(|| panic!("shares over 139: {}", over_139[0]))
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed_139, names, "over 139");
    // A (its SMB2 NEGOTIATE closed) and B, which carries MS17-010 and the whole walk.
    assert_eq!(over_139[0]["connections"], 2, "{}", over_139[0]);

    // --write-check over SMB1 proves it and leaves nothing behind; read-only refuses it.
    let (code, out, err) = smbaudit(
        &lab,
        &["scan", "-f", "json", "--no-store", "--write-check"],
        std::slice::from_ref(&ip),
    );
    assert_eq!(code, 0, "stderr: {err}");
    let checked: Vec<Value> = serde_json::from_str(&out).expect("scan JSON");
    let access_in = |name: &str| {
        checked[0]["smb"]["shares"]["shares"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()["access"][0]
            .clone()
    };
    let upload = access_in("upload");
    assert_eq!(upload["write"], true, "{upload}");
    assert!(
        upload["write_evidence"]
            .as_str()
            .unwrap()
            .contains("removed it"),
        "{upload}"
    );
    let public = access_in("public");
    assert_eq!(public["write"], false, "{public}");
    if let Some(ls) = smbclient_nt1(&lab, &[&format!("{target}/upload"), "-c", "ls"]) {
        assert!(!ls.contains("smbaudit-write-check"), "left behind: {ls}");
    }

    // `smbaudit shares` shows the same verdicts.
    let (code, out, err) = smbaudit(&lab, &["shares"], &[ip]);
    assert_eq!(code, 0, "{err}");
    let line = |name: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} in {out}"))
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
    };
    assert_eq!(line("upload"), ["upload", "disk", "READ,WRITE"], "{out}");
    assert_eq!(line("public"), ["public", "disk", "READ"], "{out}");
    assert_eq!(line("private"), ["private", "disk", "DENIED"], "{out}");
}
