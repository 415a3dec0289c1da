//! Guest and credentialed sessions on hosts that speak SMB1 only (issue 9), and the one
//! login attempt per host per run, counted from Samba's own authentication log, over SMB2
//! and over SMB1.

use serde_json::Value;

use crate::lab::{HostSpec, Lab, output_within, require_lab};

const PASSWORD: &str = "LabPass1!";

/// Samba logs every authentication (success and failure) at auth_audit level 3.
const AUTH_LOG: &str = "   log level = 1 auth_audit:3\n";

const SHARES: &str = "[public]\n   path = @DIR@/shares/public\n   guest ok = yes\n   read only = yes\n\
[private]\n   path = @DIR@/shares/private\n   valid users = labuser\n   read only = no\n";

fn host(id: &'static str, name: &'static str, extra: &str) -> HostSpec {
    HostSpec {
        extra_conf: format!("{AUTH_LOG}{extra}"),
        shares: SHARES.into(),
        users: &[("labuser", PASSWORD)],
        ..HostSpec::new(id, name, "LABWG")
    }
}

fn nt1(id: &'static str, name: &'static str, extra: &str) -> HostSpec {
    host(
        id,
        name,
        &format!("   server min protocol = NT1\n   server max protocol = NT1\n{extra}"),
    )
}

/// One JSON scan of `targets` as labuser with `password` (from SMBAUDIT_PASSWORD), with
/// `extra` arguments.
fn scan_as_labuser(lab: &Lab, password: &str, targets: &[String], extra: &[&str]) -> Vec<Value> {
    for t in targets {
        lab.check_target(t);
    }
    let mut cmd = lab.client_command(env!("CARGO_BIN_EXE_smbaudit"));
    cmd.args(["scan", "-f", "json", "--no-store", "--user", "labuser"])
        .args(extra)
        .args(targets)
        .env("SMBAUDIT_PASSWORD", password);
    let out = output_within(&mut cmd, std::time::Duration::from_secs(120)).expect("ends");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(!stdout.contains(password) && !stderr.contains(password));
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout} {stderr}"))
}

/// Samba's authentication log lines for `user` on host `id` (every file in its log dir).
fn auth_lines(lab: &Lab, id: &str, user: &str) -> Vec<String> {
    let needle = format!("\\[{user}]");
    let mut lines = Vec::new();
    let dir = lab.host_dir(id).join("log");
    for entry in std::fs::read_dir(&dir).expect("log dir").flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        lines.extend(
            text.lines()
                .filter(|l| l.contains("Auth: [") && l.contains(&needle))
                .map(str::to_owned),
        );
    }
    lines
}

fn access<'a>(smb: &'a Value, share: &str, identity: &str) -> &'a Value {
    smb["shares"]["shares"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == share))
        .and_then(|s| s["access"].as_array())
        .and_then(|a| a.iter().find(|a| a["identity"] == identity))
        .unwrap_or_else(|| panic!("{identity} on {share}: {smb}"))
}

/// An SMB1-only host with and one without mandatory signing: the guest attempt (Action
/// guest bit) and the login both succeed, each on its own UID of one connection, and walk
/// the shares as what they are; the signed host's login signs the rest of connection B.
#[test]
fn smb1_only_hosts_get_guest_and_user_sessions_and_their_walks() {
    let hosts = [
        nt1("nt1", "NT1AUTH", ""),
        nt1("nt1s", "NT1SIGNED", "   server signing = mandatory\n"),
    ];
    let lab = require_lab!(&hosts);
    let targets: Vec<String> = ["nt1", "nt1s"]
        .iter()
        .map(|id| lab.ip(id).to_string())
        .collect();
    for h in scan_as_labuser(&lab, PASSWORD, &targets, &[]) {
        let smb = &h["smb"];
        assert_eq!(smb["max_dialect"], "NT LM 0.12", "{h}");
        let guest = &smb["guest_session"];
        assert_eq!(
            (&guest["accepted"], &guest["guest"]),
            (&Value::Bool(true), &Value::Bool(true)),
            "map to guest = bad user: {guest}"
        );
        assert!(
            guest["reason"]
                .as_str()
                .unwrap()
                .contains("SMB_SETUP_GUEST")
        );
        let user = &smb["user_session"];
        assert_eq!(user["accepted"], true, "{} {user}", h["ip"]);
        assert_eq!(user["guest"], false, "{user}");
        assert_eq!(user["ipc"], "connected", "{user}");
        let signed = smb["signing"]["smb1"]["required"] == true;
        assert_eq!(
            user["reason"].as_str().unwrap().contains("SMB1 signing on"),
            signed,
            "{user}"
        );
        // The user reaches its private share; the guest does not.
        let private = access(smb, "private", "user");
        assert_eq!(
            (&private["connect"], &private["read"]),
            (&Value::Bool(true), &Value::Bool(true)),
            "{private}"
        );
        assert_eq!(access(smb, "private", "guest")["connect"], false);
        assert_eq!(access(smb, "public", "guest")["read"], true);
        assert_eq!(h["errors"], Value::Array(vec![]), "no errors: {h}");
        let fired = crate::findings::finding_ids(&h);
        assert!(fired.contains("guest-fallback"), "{fired:?}");
        // On 445 A (its SMB2 NEGOTIATE closed) and B, where the null, guest and user
        // sessions share one connection; on 139 one for its NEGOTIATE.
        assert_eq!(h["connections"], 3, "{h}");
    }
    // Over the NetBIOS session service alone (445 left out): the same sessions on B.
    for h in scan_as_labuser(&lab, PASSWORD, &targets, &["-p", "139"]) {
        let smb = &h["smb"];
        assert_eq!(smb["guest_session"]["guest"], true, "{h}");
        assert_eq!(smb["user_session"]["accepted"], true, "{h}");
        assert_eq!(access(smb, "private", "user")["read"], true);
        assert_eq!(h["connections"], 2, "{h}");
    }
}

/// A wrong password: a "logon failure" verdict, and Samba saw exactly one authentication
/// for labuser on each host in the run, over SMB2 and over SMB1.
#[test]
fn a_wrong_password_is_one_logon_failure_per_host() {
    let hosts = [host("s2", "SMB2AUTH", ""), nt1("nt1", "NT1ONCE", "")];
    let lab = require_lab!(&hosts);
    let targets: Vec<String> = ["s2", "nt1"]
        .iter()
        .map(|id| lab.ip(id).to_string())
        .collect();
    for h in scan_as_labuser(&lab, "WrongPass9?", &targets, &[]) {
        let user = &h["smb"]["user_session"];
        assert_eq!(user["accepted"], false, "{} {user}", h["ip"]);
        assert_eq!(user["reason"], "logon failure", "{user}");
        assert!(user["status"].as_str().unwrap().contains("0xc000006d"));
    }
    for id in ["s2", "nt1"] {
        // smbd writes its log as it answers; the run is over, the lines are there.
        let lines = auth_lines(&lab, id, "labuser");
        assert_eq!(lines.len(), 1, "{id}: {lines:#?}\n{}", lab.log_tail(id));
        assert!(
            lines[0].contains("NT_STATUS_WRONG_PASSWORD"),
            "{id}: {}",
            lines[0]
        );
    }
}
