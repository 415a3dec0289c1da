//! The MAC vendor column: a real Windows NODE STATUS answer (replayed on loopback from a
//! capture, since Samba never discloses its MAC) gets its vendor from an OUI file.

use std::net::UdpSocket;
use std::process::Command;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_smbaudit");
const ANSWER_HEX: &str = include_str!("../data/nbstat-response-windows-gunnar.hex");
/// The loopback address the replayed host answers on.
const HOST: &str = "127.0.0.7";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.trim().len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Answers up to `queries` NODE STATUS queries on `HOST:137` with the captured answer
/// (its transaction id set to the query's), each wait bounded.
fn replay(queries: usize) -> Option<std::thread::JoinHandle<()>> {
    let sock = UdpSocket::bind((HOST, 137)).ok()?;
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = unhex(ANSWER_HEX);
    Some(std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        for _ in 0..queries {
            let Ok((n, from)) = sock.recv_from(&mut buf) else {
                return;
            };
            if n >= 2 {
                answer[..2].copy_from_slice(&buf[..2]);
                let _ = sock.send_to(&answer, from);
            }
        }
    }))
}

fn run(args: &[&str], oui: Option<&std::path::Path>) -> String {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    if let Some(path) = oui {
        cmd.env("SMBAUDIT_OUI_FILE", path);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_disclosed_mac_gets_its_vendor_from_the_oui_registry() {
    let dir = tempfile::tempdir().unwrap();
    let oui = dir.path().join("oui.csv");
    std::fs::write(
        &oui,
        "Registry,Assignment,Organization Name,Organization Address\n\
         MA-L,001CC4,\"Hewlett Packard, test fixture\",Palo Alto US\n",
    )
    .unwrap();
    let Some(server) = replay(3) else {
        eprintln!("SKIPPED (cannot bind {HOST}:137: not root, or taken)");
        return;
    };
    let quick = ["--timeout", "2s", "--retries", "0"];
    let mut args = vec!["nbstat", "-f", "json", HOST];
    args.extend(quick);
    let json: serde_json::Value = serde_json::from_str(&run(&args, Some(&oui))).unwrap();
    assert_eq!(json[0]["mac"], "00:1c:c4:10:79:0f");
    assert_eq!(json[0]["vendor"], "Hewlett Packard, test fixture");

    let mut args = vec!["nbstat", HOST];
    args.extend(quick);
    let table = run(&args, Some(&oui));
    assert!(table.lines().next().unwrap().contains("Vendor"), "{table}");
    assert!(
        table.contains("00:1c:c4:10:79:0f Hewlett Packard, tes "),
        "{table}"
    );

    // The scan's netbios object gets it too; with no OUI file, no vendor and no error.
    let mut args = vec!["scan", "--no-store", "-p", "137", "-f", "jsonl", HOST];
    args.extend(quick);
    let missing = dir.path().join("absent.csv");
    let line = run(&args, Some(&missing));
    let host: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(host["netbios"]["mac"], "00:1c:c4:10:79:0f");
    assert!(host["netbios"].get("vendor").is_none(), "{host}");
    server.join().unwrap();
}
