//! Prints this network namespace's interfaces, listeners on the audited ports and
//! Samba processes as JSON: `ip netns exec NS cargo run --example facts`.

use smbaudit_hostaudit::{Service, interfaces, listeners};

fn main() {
    let mut ifaces = match interfaces::read() {
        Ok(ifaces) => ifaces,
        Err(e) => {
            eprintln!("could not read {}: {}", e.what, e.why);
            Vec::new()
        }
    };
    if let Err(e) = interfaces::classify(&mut ifaces, &[], &[]) {
        eprintln!("{e}");
    }
    let (listeners, unreadable) = listeners::read(&Service::AUDITED);
    let (samba, samba_unreadable) = listeners::samba_processes();
    let out = serde_json::json!({
        "interfaces": ifaces,
        "listeners": listeners,
        "samba_processes": samba,
        "unreadable": unreadable.iter().chain(&samba_unreadable).collect::<Vec<_>>(),
    });
    println!("{out:#}");
}
