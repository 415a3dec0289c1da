//! Sessions against real Samba: an anonymous SESSION_SETUP that reaches IPC$ is a null
//! session; `restrict anonymous = 2` grants the session but refuses IPC$, which is not
//! (smbclient -N -L, run in the same lab, is the ground truth); an unknown user name is
//! logged on as guest only with `map to guest = bad user`.

use std::time::Duration;

use serde_json::Value;

use crate::lab::{HostSpec, Lab, output_within, require_lab};
use crate::run::smbaudit;

fn hosts() -> Vec<HostSpec> {
    vec![
        HostSpec {
            // The lab's base configuration maps unknown users to guest; this host does not.
            extra_conf: "   map to guest = never\n".into(),
            ..HostSpec::new("fs", "FILESRV1", "LABWG")
        },
        HostSpec {
            extra_conf: "   restrict anonymous = 2\n".into(),
            ..HostSpec::new("sec", "SECURESRV", "LABWG")
        },
        // The lab's base configuration: map to guest = bad user.
        HostSpec::new("guest", "GUESTSRV", "LABWG"),
    ]
}

/// What `smbclient -N -L` says of the host: did the anonymous listing reach IPC$?
fn smbclient_lists(lab: &Lab, id: &str) -> Option<bool> {
    if !std::path::Path::new("/usr/bin/smbclient").exists() {
        return None;
    }
    let mut cmd = lab.client_command("smbclient");
    cmd.arg("-s")
        .arg(lab.client_conf())
        .args(["-N", "-L"])
        .arg(format!("//{}", lab.ip(id)));
    let out = output_within(&mut cmd, Duration::from_secs(20)).expect("smbclient -L");
    let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    Some(text.contains("IPC$") && !text.contains("tree connect failed"))
}

fn scan(lab: &Lab, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["scan", "--no-store", "-p", "445", "-f", "json", "--all"];
    args.extend(extra);
    let targets = ["fs", "sec", "guest"].map(|id| lab.ip(id).to_string());
    let (code, out, err) = smbaudit(lab, &args, &targets);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("scan JSON")
}

fn has_rule(host: &Value, rule: &str) -> bool {
    host["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule_id"] == rule)
}

#[test]
fn null_sessions_match_samba_and_smbclient() {
    let lab = require_lab!(&hosts());
    let hosts = scan(&lab, &[]);
    let by_ip = |id: &str| {
        hosts
            .iter()
            .find(|h| h["ip"] == lab.ip(id).to_string())
            .unwrap_or_else(|| panic!("{id} scanned"))
    };
    let (fs, sec, guest) = (by_ip("fs"), by_ip("sec"), by_ip("guest"));

    let null = &fs["smb"]["null_session"];
    assert_eq!(null["accepted"], true, "{null}");
    assert_eq!(null["ipc"], "connected");
    assert_eq!(null["guest"], false);
    assert!(has_rule(fs, "null-session"));
    // On that session, a share name no server has is refused.
    let any = &fs["smb"]["any_share_name"];
    assert_eq!(any["accepts_any"], false, "{any}");
    assert!(
        any["status"].as_str().unwrap().contains("BAD_NETWORK_NAME"),
        "{any}"
    );
    assert!(!has_rule(fs, "any-share-name"));

    let null = &sec["smb"]["null_session"];
    assert_eq!(null["accepted"], false, "{null}");
    assert_eq!(
        null["status"], "STATUS_SUCCESS (0x00000000)",
        "the session itself is granted"
    );
    assert!(
        null["ipc"]
            .as_str()
            .unwrap()
            .contains("STATUS_ACCESS_DENIED"),
        "{null}"
    );
    assert!(!has_rule(sec, "null-session"));

    // The guest attempt: an unknown user name is refused with map to guest = never (Samba's
    // default) and logged on as guest with map to guest = bad user.
    assert_eq!(
        fs["smb"]["guest_session"]["accepted"], false,
        "{}",
        fs["smb"]
    );
    assert!(!has_rule(fs, "guest-fallback"));
    let attempt = &guest["smb"]["guest_session"];
    assert_eq!(
        (&attempt["accepted"], &attempt["guest"]),
        (&Value::Bool(true), &Value::Bool(true)),
        "{attempt}"
    );
    assert!(has_rule(guest, "guest-fallback"));

    if let (Some(fs_lists), Some(sec_lists)) =
        (smbclient_lists(&lab, "fs"), smbclient_lists(&lab, "sec"))
    {
        assert_eq!((fs_lists, sec_lists), (true, false), "smbclient agrees");
    }

    // --no-null-session: no attempt, and the rule says it was not checked.
    let hosts = scan(&lab, &["--no-null-session"]);
    assert!(
        hosts[0]["smb"].get("null_session").is_none(),
        "{}",
        hosts[0]["smb"]
    );
    assert!(!has_rule(&hosts[0], "null-session"));
    let not_checked: Vec<&str> = hosts[0]["not_checked"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["rule_id"].as_str()).collect())
        .unwrap_or_default();
    assert!(not_checked.contains(&"null-session"), "{}", hosts[0]);
}
