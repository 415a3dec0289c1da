//! A real smbd and nmbd (Debian's Samba) in a namespace: Daemon detection on
//! their listeners, and samba_processes() limited to the caller's namespace.

use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use smbaudit_hostaudit::Service;
use smbaudit_hostaudit::listeners::{self, Daemon, Listener, Process};

use crate::netns::{Pair, available};

/// How long smbd and nmbd get to bind their ports.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A standalone server with Samba's default `interfaces` and ports, all its
/// state in `dir` (as the CLI lab's hosts have it).
fn write_conf(dir: &Path) -> String {
    for sub in [
        "run",
        "lock",
        "state",
        "cache",
        "private",
        "log",
        "bind-dns",
        "usershares",
    ] {
        std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
    }
    let d = dir.display();
    let conf = format!(
        "[global]\n\
         \x20  netbios name = HFTTEST\n\
         \x20  workgroup = HFT\n\
         \x20  server role = standalone server\n\
         \x20  pid directory = {d}/run\n\
         \x20  lock directory = {d}/lock\n\
         \x20  state directory = {d}/state\n\
         \x20  cache directory = {d}/cache\n\
         \x20  private dir = {d}/private\n\
         \x20  ncalrpc dir = {d}/run/ncalrpc\n\
         \x20  nmbd:socket dir = {d}/run/nmbd\n\
         \x20  binddns dir = {d}/bind-dns\n\
         \x20  usershare path = {d}/usershares\n\
         \x20  ntp signd socket directory = {d}/run/ntp_signd\n\
         \x20  winbindd socket directory = {d}/run/winbindd\n\
         \x20  passdb backend = tdbsam:{d}/private/passdb.tdb\n\
         \x20  log file = {d}/log/log.%m\n\
         \x20  logging = file\n\
         \x20  load printers = no\n\
         \x20  printing = bsd\n\
         \x20  printcap name = /dev/null\n\
         \x20  disable spoolss = yes\n\
         \x20  dns proxy = no\n"
    );
    let path = dir.join("smb.conf");
    std::fs::write(&path, conf).expect("write smb.conf");
    path.display().to_string()
}

fn samba_installed() -> bool {
    let found = ["smbd", "nmbd"].iter().all(|d| {
        std::process::Command::new(d)
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    assert!(
        found || std::env::var("CI").as_deref() != Ok("true"),
        "smbd and nmbd are needed (apt-get install samba)"
    );
    found
}

fn owner(all: &[Listener], service: Service) -> Vec<&Process> {
    all.iter()
        .filter(|l| l.service == service)
        .filter_map(|l| l.process.as_ref())
        .collect()
}

#[test]
fn smbd_and_nmbd_are_recognised_on_their_listeners_and_as_processes() {
    if !available() || !samba_installed() {
        return;
    }
    let mut pair = Pair::new();
    pair.link("eth0");
    pair.addr("eth0", "10.78.1.1/24");
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = write_conf(dir.path());
    let smbd = pair
        .host
        .spawn_daemon(&["smbd", "--foreground", "--no-process-group", "-s", &conf]);
    let nmbd = pair
        .host
        .spawn_daemon(&["nmbd", "--foreground", "--no-process-group", "-s", &conf]);

    let deadline = Instant::now() + START_TIMEOUT;
    let (all, unreadable) = loop {
        let (all, unreadable) = pair.host.run(|| listeners::read(&Service::AUDITED));
        // every socket the assertions below expect, so none is still being bound
        let count = |s: Service| all.iter().filter(|l| l.service == s).count();
        let up = count(Service::SMB) >= 2
            && count(Service::NBSS) >= 2
            && count(Service::NBNS) >= 3
            && count(Service::NBDGM) >= 3;
        if up || Instant::now() >= deadline {
            break (all, unreadable);
        }
        sleep(Duration::from_millis(100));
    };
    assert!(unreadable.is_empty(), "{unreadable:#?}");
    for service in [Service::SMB, Service::NBSS] {
        let owners = owner(&all, service);
        assert!(!owners.is_empty(), "no {service} listener: {all:#?}");
        for p in owners {
            assert_eq!((p.pid, p.daemon), (smbd, Daemon::Smbd), "{service}: {p:?}");
            assert_eq!(p.exe.file_name().and_then(|n| n.to_str()), Some("smbd"));
        }
    }
    for service in [Service::NBNS, Service::NBDGM] {
        let owners = owner(&all, service);
        assert!(!owners.is_empty(), "no {service} listener: {all:#?}");
        for p in owners {
            assert_eq!((p.pid, p.daemon), (nmbd, Daemon::Nmbd), "{service}: {p:?}");
        }
    }
    // smbd binds each port on 0.0.0.0 and on :: with IPV6_V6ONLY
    for service in [Service::SMB, Service::NBSS] {
        let mut got: Vec<(String, Option<bool>)> = all
            .iter()
            .filter(|l| l.service == service)
            .map(|l| (l.addr.to_string(), l.v6only))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [("0.0.0.0".to_owned(), None), ("::".to_owned(), Some(true))],
            "{service}"
        );
    }
    // nmbd binds the wildcard, and each interface's address and broadcast address
    for service in [Service::NBNS, Service::NBDGM] {
        let mut got: Vec<String> = all
            .iter()
            .filter(|l| l.service == service)
            .map(|l| l.addr.to_string())
            .collect();
        got.sort();
        assert_eq!(got, ["0.0.0.0", "10.78.1.1", "10.78.1.255"], "{service}");
    }

    let (procs, unreadable) = pair.host.run(listeners::samba_processes);
    assert!(unreadable.is_empty(), "{unreadable:#?}");
    let in_ns = pair.host.pids();
    for p in &procs {
        assert!(in_ns.contains(&p.pid), "{p:?} is not in {}", pair.host.name);
    }
    for (pid, daemon) in [(smbd, Daemon::Smbd), (nmbd, Daemon::Nmbd)] {
        let p = procs
            .iter()
            .find(|p| p.pid == pid)
            .unwrap_or_else(|| panic!("{daemon:?} {pid} missing from {procs:#?}"));
        assert_eq!(p.daemon, daemon);
        assert!(
            p.cmdline.windows(2).any(|w| w[0] == "-s" && w[1] == conf),
            "{:?}",
            p.cmdline
        );
    }

    // from another namespace, these daemons are not this machine's view
    let (elsewhere, _) = pair.peer.run(listeners::samba_processes);
    assert!(
        elsewhere.iter().all(|p| !in_ns.contains(&p.pid)),
        "{elsewhere:#?}"
    );
}
