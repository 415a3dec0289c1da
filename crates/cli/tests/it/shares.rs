//! Shares against real Samba: the list NetrShareEnum gives the null session, and per share
//! what the null session and the guest could do, checked against the configuration and
//! against `smbclient -U% -L` / `smbclient -U% //host/share -c ls` run in the same lab.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use crate::lab::{HostSpec, Lab, output_within, require_lab};
use crate::run::smbaudit;

const SHARES: &str = "[public]\n   path = @DIR@/shares/public\n   guest ok = yes\n   read only = yes\n\
[upload]\n   path = @DIR@/shares/upload\n   guest ok = yes\n   read only = no\n\
[private]\n   path = @DIR@/shares/private\n   valid users = labuser\n\
[backup$]\n   path = @DIR@/shares/backup\n   guest ok = yes\n   read only = yes\n";

/// The lab's account (../shared/lab): a test password, not a secret.
const LAB_PASSWORD: &str = "LabPass1!";

fn hosts() -> Vec<HostSpec> {
    vec![HostSpec {
        shares: SHARES.into(),
        users: &[("labuser", LAB_PASSWORD)],
        ..HostSpec::new("files", "FILES", "LABWG")
    }]
}

fn smbclient(lab: &Lab, args: &[&str]) -> Option<String> {
    if !std::path::Path::new("/usr/bin/smbclient").exists() {
        return None;
    }
    let mut cmd = lab.client_command("smbclient");
    cmd.arg("-s")
        .arg(lab.client_conf())
        .args(["-U%"])
        .args(args);
    let out = output_within(&mut cmd, Duration::from_secs(20)).expect("smbclient");
    Some(String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

fn scan(lab: &Lab, extra: &[&str]) -> Value {
    let mut args = vec!["scan", "--no-store", "-p", "445", "-f", "json", "--all"];
    args.extend(extra);
    let (code, out, err) = smbaudit(lab, &args, &[lab.ip("files").to_string()]);
    assert_eq!(code, 0, "{err}");
    let hosts: Vec<Value> = serde_json::from_str(&out).expect("scan JSON");
    hosts.into_iter().next().expect("one host")
}

fn share<'a>(host: &'a Value, name: &str) -> &'a Value {
    host["smb"]["shares"]["shares"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("{name} listed: {}", host["smb"]["shares"]))
}

fn access<'a>(share: &'a Value, identity: &str) -> &'a Value {
    share["access"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["identity"] == identity)
        .unwrap_or_else(|| panic!("{identity} checked: {share}"))
}

fn rules(host: &Value) -> BTreeSet<String> {
    host["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn shares_and_access_match_samba_and_smbclient() {
    let lab = require_lab!(&hosts());
    let host = scan(&lab, &[]);
    let listing = &host["smb"]["shares"];
    assert_eq!(listing["listed"], true, "{listing}");
    assert_eq!(listing["listed_by"], "anonymous");
    let names: BTreeSet<&str> = listing["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["IPC$", "backup$", "private", "public", "upload"])
    );
    assert_eq!(share(&host, "IPC$")["kind"], "ipc");
    assert_eq!(share(&host, "backup$")["hidden"], true);

    // What the configuration says, for both strangers (map to guest = bad user).
    for identity in ["anonymous", "guest"] {
        let public = access(share(&host, "public"), identity);
        assert_eq!(
            (&public["read"], &public["write"]),
            (&Value::Bool(true), &Value::Bool(false)),
            "{public}"
        );
        let upload = access(share(&host, "upload"), identity);
        assert_eq!(upload["write"], true, "{upload}");
        assert!(
            upload["write_evidence"]
                .as_str()
                .unwrap()
                .starts_with("inferred")
        );
        let private = access(share(&host, "private"), identity);
        assert_eq!(private["connect"], false, "{private}");
        assert_eq!(access(share(&host, "backup$"), identity)["read"], true);
    }
    let fired = rules(&host);
    for rule in [
        "anonymous-share-listing",
        "anonymous-share-read",
        "anonymous-share-write",
        "hidden-share-anonymous-read",
    ] {
        assert!(fired.contains(rule), "{rule} in {fired:?}");
    }

    // smbclient, anonymous, agrees on the list and on what can be listed.
    let target = format!("//{}", lab.ip("files"));
    if let Some(list) = smbclient(&lab, &["-L", &target]) {
        for name in &names {
            assert!(list.contains(name), "smbclient -L lists {name}: {list}");
        }
        for name in ["public", "upload", "private", "backup$"] {
            let ls = smbclient(&lab, &[&format!("{target}/{name}"), "-c", "ls"]).unwrap();
            let smbclient_reads = ls.contains("blocks available");
            let ours = access(share(&host, name), "anonymous")["read"] == true;
            assert_eq!(ours, smbclient_reads, "{name}: smbclient says {ls}");
        }
    }

    // --write-check proves it and leaves nothing behind; a read-only share refuses it.
    let checked = scan(&lab, &["--write-check"]);
    let upload = access(share(&checked, "upload"), "anonymous");
    let evidence = upload["write_evidence"].as_str().unwrap();
    assert_eq!(upload["write"], true, "{upload}");
    assert!(evidence.contains("removed it"), "{evidence}");
    let public = access(share(&checked, "public"), "anonymous");
    assert_eq!(public["write"], false, "{public}");
    if let Some(ls) = smbclient(&lab, &[&format!("{target}/upload"), "-c", "ls"]) {
        assert!(!ls.contains("smbaudit-write-check"), "left behind: {ls}");
    }

    // `smbaudit shares`: the same verdicts as smbclient -L / nxc --shares show them.
    let (code, out, err) = smbaudit(&lab, &["shares"], &[lab.ip("files").to_string()]);
    assert_eq!(code, 0, "{err}");
    let line = |name: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} in {out}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        line("upload")[..4],
        ["upload", "disk", "READ,WRITE", "READ,WRITE"],
        "{out}"
    );
    assert_eq!(
        line("public")[..4],
        ["public", "disk", "READ", "READ"],
        "{out}"
    );
    assert_eq!(
        line("private")[..4],
        ["private", "disk", "DENIED", "DENIED"],
        "{out}"
    );

    // CSV and HTML carry the same verdicts.
    let target_ip = [lab.ip("files").to_string()];
    let (_, csv, _) = smbaudit(
        &lab,
        &["scan", "--no-store", "-p", "445", "-f", "csv"],
        &target_ip,
    );
    assert!(csv.lines().next().unwrap().contains(",shares,"), "{csv}");
    assert!(
        csv.contains("upload (anonymous READ,WRITE, guest READ,WRITE)"),
        "{csv}"
    );
    let (_, html, _) = smbaudit(
        &lab,
        &["scan", "--no-store", "-p", "445", "-f", "html"],
        &target_ip,
    );
    assert!(
        html.contains("Shares: public (anonymous READ, guest READ)"),
        "html shows shares"
    );

    // --no-shares: no share conversation, and the rules say not checked.
    let skipped = scan(&lab, &["--no-shares"]);
    assert!(skipped["smb"].get("shares").is_none(), "{}", skipped["smb"]);
    assert!(!rules(&skipped).contains("anonymous-share-read"));

    user_sees_what_smbclient_sees(&lab);
}

/// With `--user`, the credentialed session walks the shares too: labuser reaches
/// `private`, which neither stranger can, as `smbclient -A` with the same account does.
fn user_sees_what_smbclient_sees(lab: &Lab) {
    let dir = tempfile::tempdir().unwrap();
    let pw_file = dir.path().join("pw");
    std::fs::write(&pw_file, format!("{LAB_PASSWORD}\n")).unwrap();
    let host = scan(
        lab,
        &[
            "--user",
            "labuser",
            "--password-file",
            pw_file.to_str().unwrap(),
        ],
    );
    assert_eq!(
        host["smb"]["user_session"]["accepted"], true,
        "{}",
        host["smb"]
    );
    let private = access(share(&host, "private"), "user");
    assert_eq!(
        (&private["connect"], &private["read"]),
        (&Value::Bool(true), &Value::Bool(true)),
        "{private}"
    );
    assert_eq!(
        access(share(&host, "private"), "anonymous")["connect"],
        false
    );
    assert_eq!(access(share(&host, "upload"), "user")["write"], true);

    let auth = dir.path().join("auth");
    std::fs::write(
        &auth,
        format!("username = labuser\npassword = {LAB_PASSWORD}\n"),
    )
    .unwrap();
    let target = format!("//{}/private", lab.ip("files"));
    let mut cmd = lab.client_command("smbclient");
    cmd.arg("-s").arg(lab.client_conf()).arg("-A").arg(&auth);
    cmd.args([target.as_str(), "-c", "ls"]);
    if std::path::Path::new("/usr/bin/smbclient").exists() {
        let out = output_within(&mut cmd, Duration::from_secs(20)).expect("smbclient");
        let ls = String::from_utf8_lossy(&out.stdout);
        assert!(
            ls.contains("blocks available"),
            "smbclient -A reads private: {ls}"
        );
    }
}
