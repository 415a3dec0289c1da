//! Temporary: captures the SMB1 share walk against Samba for fixtures (not committed).
use crate::lab::{HostSpec, require_lab};
use crate::run::smbaudit;

#[test]
#[ignore]
fn capture_smb1_walk() {
    let spec = HostSpec {
        extra_conf: std::env::var("XCONF").unwrap_or_default()
            + "   server min protocol = NT1\n   server max protocol = NT1\n",
        shares: "[public]\n   path = @DIR@/shares/public\n   guest ok = yes\n   read only = yes\n\
[upload]\n   path = @DIR@/shares/upload\n   guest ok = yes\n   read only = no\n\
[private]\n   path = @DIR@/shares/private\n   valid users = nobody2\n"
            .into(),
        ..HostSpec::new("nt1", "NT1ONLY", "LABWG")
    };
    let lab = require_lab!(&[spec]);
    let ip = lab.ip("nt1").to_string();
    let mut cap = lab.client_command("tshark");
    cap.args([
        "-i",
        "any",
        "-f",
        "tcp port 445",
        "-w",
        "/tmp/smb1rap.pcapng",
        "-q",
    ]);
    let mut child = cap.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    let mut net = lab.client_command("net");
    net.arg("-s").arg(lab.client_conf()).args([
        "rap",
        "share",
        "-S",
        &ip,
        "-U%",
        "--option=client min protocol=NT1",
        "--option=client max protocol=NT1",
    ]);
    let out = net.output().unwrap();
    eprintln!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::thread::sleep(std::time::Duration::from_secs(2));
    let _ = std::process::Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
}
