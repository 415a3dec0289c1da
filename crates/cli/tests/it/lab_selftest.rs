//! Self-test of the lab harness: real smbd/nmbd in namespaces, the target
//! guard, skipping without root, and cleanup.

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::lab::{Daemon, HostSpec, Lab, output_within, require_lab, target_within};

fn two_hosts() -> Vec<HostSpec> {
    vec![
        HostSpec {
            shares:
                "[public]\n   path = @DIR@/shares/public\n   guest ok = yes\n   read only = yes\n\
                     [private]\n   path = @DIR@/shares/private\n   valid users = labuser\n"
                    .into(),
            users: &[("labuser", "LabPass1!")],
            ..HostSpec::new("srv", "SATSRV1", "SATWG")
        },
        HostSpec {
            smbd: false,
            aliases: &["SATALIAS1", "SATALIAS2"],
            ..HostSpec::new("nb", "SATNB", "SATWG")
        },
    ]
}

/// `(name, suffix)` pairs of a `nmblookup -A` answer.
fn status_names(out: &Output) -> HashSet<(String, String)> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (name, suffix) = (w.next()?, w.next()?);
            (suffix.len() == 4 && suffix.starts_with('<'))
                .then(|| (name.to_owned(), suffix.to_owned()))
        })
        .collect()
}

fn node_status(lab: &Lab, ip: Ipv4Addr) -> Output {
    let mut cmd = lab.client_command("nmblookup");
    cmd.arg("-s")
        .arg(lab.client_conf())
        .arg("-A")
        .arg(ip.to_string());
    output_within(&mut cmd, Duration::from_secs(15)).expect("nmblookup -A")
}

/// TCP connect from the client namespace (bash /dev/tcp), bounded by `limit`.
fn tcp_connect(lab: &Lab, ip: Ipv4Addr, port: u16, limit: Duration) -> std::io::Result<Output> {
    let mut cmd = lab.client_command("bash");
    cmd.args(["-c", r#"exec 3<>"/dev/tcp/$1/$2""#, "bash"])
        .arg(ip.to_string())
        .arg(port.to_string());
    output_within(&mut cmd, limit)
}

fn netns_list() -> Vec<String> {
    let out = output_within(
        Command::new("ip").args(["netns", "list"]),
        Duration::from_secs(10),
    )
    .expect("ip netns list");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

fn ns_pids(ns: &str) -> Vec<u32> {
    let out = output_within(
        Command::new("ip").args(["netns", "pids", ns]),
        Duration::from_secs(10),
    )
    .expect("ip netns pids");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn exe_name(pid: u32) -> String {
    fs::read_link(format!("/proc/{pid}/exe"))
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// Running (not a zombie).
fn alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit_once(')')
            .is_some_and(|(_, r)| !matches!(r.trim_start().chars().next(), Some('Z' | 'X') | None))
    })
}

#[test]
fn target_guard_parses_and_bounds() {
    let allowed = [
        (Ipv4Addr::new(10, 214, 7, 0), 24),
        (Ipv4Addr::new(127, 0, 0, 0), 8),
    ];
    for ok in [
        "10.214.7.10",
        "10.214.7.0/24",
        "10.214.7.128/25",
        "10.214.7.255",
        "10.214.7.1-20",
        "10.214.7.*",
        "10.214.7.1,3,5-9",
        "10.214.7.-9",
        "10.214.7.200-",
        "10.214.7.1-10.214.7.254",
        "127.0.0.1",
        "127.0.0.0/8",
        "127.1-3.0.1",
        "::1",
        " 10.214.7.3 ",
    ] {
        assert_eq!(target_within(ok, &allowed), Ok(()), "{ok}");
    }
    for bad in [
        "10.213.1.1",
        "10.213.1.0/24",
        "8.8.8.8",
        "1.1.1.1",
        "8.8.4.0/24",
        "10.214.0.0/16",
        "10.214.7.0/23",
        "10.214.6.0/24",
        "10.214.8.1",
        "10.214.7-8.1",
        "10.214.*.1",
        "10.214.7.250-10.214.8.1",
        "0.0.0.0/0",
        "0.0.0.0",
        "255.255.255.255",
        "128.0.0.1",
        "example.com",
        "fe80::1",
        "2001:db8::1",
        "",
        "10.214.7",
        "10.214.7.256",
        "10.214.7.9-3",
        "10.214.7.1/33",
        "10.214.7.1 8.8.8.8",
    ] {
        assert!(
            target_within(bad, &allowed).is_err(),
            "{bad:?} must be refused"
        );
    }
}

#[test]
fn two_host_lab() {
    let t0 = Instant::now();
    let lab = require_lab!(&two_hosts());
    eprintln!("lab started in {:.2?}: {lab:?}", t0.elapsed());
    let (srv, nb) = (lab.ip("srv"), lab.ip("nb"));
    let (net, len) = lab.prefix();
    assert_eq!(len, 24);
    assert_eq!(net.octets()[..2], [10, 214]);

    // NetBIOS: node status from the client namespace lists every name
    let names = status_names(&node_status(&lab, srv));
    for (n, s) in [
        ("SATSRV1", "<00>"),
        ("SATSRV1", "<03>"),
        ("SATSRV1", "<20>"),
        ("SATWG", "<00>"),
    ] {
        assert!(
            names.contains(&(n.into(), s.into())),
            "srv lacks {n}{s}: {names:?}"
        );
    }
    let names = status_names(&node_status(&lab, nb));
    for n in ["SATNB", "SATALIAS1", "SATALIAS2"] {
        for s in ["<00>", "<20>"] {
            assert!(
                names.contains(&(n.into(), s.into())),
                "nb lacks {n}{s}: {names:?}"
            );
        }
    }

    // SMB: srv listens on 445 and 139, nb (nmbd only) refuses at once
    for port in [445, 139] {
        let out = tcp_connect(&lab, srv, port, Duration::from_secs(5)).expect("connect srv");
        assert!(out.status.success(), "srv:{port}: {out:?}");
    }
    let out = tcp_connect(&lab, nb, 445, Duration::from_secs(5)).expect("connect nb");
    assert!(!out.status.success(), "nb:445 must be closed: {out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refused"),
        "{out:?}"
    );

    // anonymous share list (smbd starts samba-dcerpcd for it: cleanup must catch that too)
    if Path::new("/usr/bin/smbclient").exists() {
        let mut cmd = lab.client_command("smbclient");
        cmd.arg("-s")
            .arg(lab.client_conf())
            .args(["-N", "-L"])
            .arg(format!("//{srv}"));
        let out = output_within(&mut cmd, Duration::from_secs(20)).expect("smbclient -L");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().eq(["public", "Disk"])),
            "{out:?}"
        );
        // a lab user (nss_wrapper + tdbsam) reaches the share only it may use
        let mut cmd = lab.client_command("smbclient");
        cmd.arg("-s")
            .arg(lab.client_conf())
            .arg(format!("//{srv}/private"))
            .args(["-U", "labuser%LabPass1!", "-c", "ls"]);
        let out = output_within(&mut cmd, Duration::from_secs(20)).expect("smbclient ls");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("README.txt"),
            "{out:?}"
        );
        let mut cmd = lab.client_command("smbclient");
        cmd.arg("-s")
            .arg(lab.client_conf())
            .arg(format!("//{srv}/private"))
            .args(["-N", "-c", "ls"]);
        let out = output_within(&mut cmd, Duration::from_secs(20)).expect("smbclient -N ls");
        assert!(
            !out.status.success(),
            "guest must not reach [private]: {out:?}"
        );
    } else {
        eprintln!("two_host_lab: smbclient not installed; shares not checked");
    }

    // no IPv6 inside the lab
    for ns_cmd in [lab.client_command("ip"), lab.host_command("srv", "ip")] {
        let mut cmd = ns_cmd;
        cmd.args(["-6", "-o", "addr"]);
        let out = output_within(&mut cmd, Duration::from_secs(5)).expect("ip -6 addr");
        assert!(
            out.status.success() && out.stdout.is_empty(),
            "IPv6 addresses: {out:?}"
        );
    }

    // isolation: nothing outside the /24 is routable from the client namespace
    for dst in ["192.0.2.1", "8.8.8.8", "10.213.1.10"] {
        let mut cmd = lab.client_command("ip");
        cmd.args(["route", "get", dst]);
        let out = output_within(&mut cmd, Duration::from_secs(5)).expect("ip route get");
        assert!(
            !out.status.success(),
            "{dst} is routable from the client namespace: {out:?}"
        );
    }
    // the silent address swallows a SYN; an absent one fails after ARP gives up
    let err = tcp_connect(&lab, lab.unused_ip(), 445, Duration::from_secs(2))
        .expect_err("unused_ip must be silent");
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    let out = tcp_connect(&lab, lab.absent_ip(), 445, Duration::from_secs(10))
        .expect("absent_ip fails within 10 s");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("No route to host"),
        "{out:?}"
    );

    // the target guard
    let octet = net.octets()[2];
    for ok in [
        srv.to_string(),
        format!("{net}/24"),
        format!("10.214.{octet}.1-20"),
        lab.broadcast().to_string(),
        lab.unused_ip().to_string(),
        "127.0.0.1".into(),
        "::1".into(),
    ] {
        lab.check_target(&ok);
    }
    let other = if octet == 254 { 1 } else { octet + 1 };
    for bad in [
        "10.213.1.1".to_owned(),
        "8.8.8.8".into(),
        "1.1.1.0/24".into(),
        "10.214.0.0/16".into(),
        format!("10.214.{other}.10"),
        "example.com".into(),
    ] {
        let r = catch_unwind(AssertUnwindSafe(|| lab.check_target(&bad)));
        assert!(r.is_err(), "check_target({bad}) must panic");
    }

    // stop and restart nmbd of one host
    lab.stop_daemon("nb", Daemon::Nmbd);
    assert!(!lab.daemon_running("nb", Daemon::Nmbd));
    let left: Vec<u32> = ns_pids(lab.host_ns("nb"))
        .into_iter()
        .filter(|&p| exe_name(p) == "nmbd")
        .collect();
    assert!(left.is_empty(), "nmbd still in nb's namespace: {left:?}");
    assert!(lab.daemon_running("srv", Daemon::Nmbd));
    lab.start_daemon("nb", Daemon::Nmbd);
    assert!(status_names(&node_status(&lab, nb)).contains(&("SATNB".into(), "<20>".into())));

    // drop: every namespace and Samba process of the lab is gone
    let namespaces = lab.namespaces().to_vec();
    let pids = lab.samba_pids();
    let dir = lab.host_dir("srv").to_path_buf();
    assert!(pids.len() >= 3, "expected smbd + 2 nmbd at least: {pids:?}");
    let t1 = Instant::now();
    drop(lab);
    eprintln!("lab dropped in {:.2?}", t1.elapsed());
    let now = netns_list();
    let prefix = format!("sat-{}-{octet}-", std::process::id());
    assert!(
        !now.iter().any(|ns| ns.starts_with(&prefix)),
        "left: {now:?}"
    );
    for ns in &namespaces {
        assert!(!now.contains(ns), "{ns} not deleted");
    }
    let alive: Vec<u32> = pids.into_iter().filter(|&p| alive(p)).collect();
    assert!(alive.is_empty(), "Samba processes still alive: {alive:?}");
    assert!(!dir.exists(), "{} not removed", dir.display());
}

#[test]
fn parallel_labs_get_distinct_prefixes() {
    // hosts without daemons start in well under a second
    let quiet = |id| HostSpec {
        smbd: false,
        nmbd: false,
        ..HostSpec::new(id, "QUIET", "SATWG")
    };
    let a = require_lab!(&[quiet("q")]);
    let (b_prefix, b_namespaces) = std::thread::scope(|s| {
        s.spawn(|| {
            let b = Lab::start(&[quiet("q")]).expect("a second lab starts where the first did");
            (b.prefix(), b.namespaces().to_vec())
        })
        .join()
        .expect("second lab")
    });
    assert_ne!(a.prefix(), b_prefix);
    let now = netns_list();
    assert!(
        b_namespaces.iter().all(|ns| !now.contains(ns)),
        "second lab not cleaned: {now:?}"
    );
    assert!(a.namespaces().iter().all(|ns| now.contains(ns)));
    // the client reaches the (daemon-less) host: TCP RST, i.e. "refused"
    let out = tcp_connect(&a, a.ip("q"), 445, Duration::from_secs(5)).expect("connect");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refused"),
        "{out:?}"
    );
}

#[test]
fn failed_start_panics_with_logs_and_cleans_up() {
    drop(require_lab!(&[]));
    // smbd exits at once without a usable passdb
    let bad = HostSpec {
        nmbd: false,
        extra_conf: "   passdb backend = nosuchbackend\n".into(),
        ..HostSpec::new("bad", "BADHOST", "SATWG")
    };
    let t0 = Instant::now();
    let err = catch_unwind(|| Lab::start(&[bad])).expect_err("start must panic");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t0.elapsed()
    );
    assert!(
        msg.contains("smbd of host bad (BADHOST) exited during start"),
        "{msg}"
    );
    assert!(
        msg.contains("log.smbd"),
        "the message carries the daemon log: {msg}"
    );
    let tag = msg
        .split_whitespace()
        .nth(1)
        .and_then(|w| w.strip_suffix(':'))
        .expect("lab tag");
    assert!(tag.starts_with("sat-"), "{msg}");
    let left: Vec<String> = netns_list()
        .into_iter()
        .filter(|ns| ns.starts_with(&format!("{tag}-")))
        .collect();
    assert!(
        left.is_empty(),
        "namespaces left after a failed start: {left:?}"
    );
}

/// Runs `two_host_lab` of this test binary again as user nobody: without CI it
/// must pass and print the skip line (despite output capture), with CI=true
/// it must fail.
#[test]
fn unprivileged_run_skips_or_fails_in_ci() {
    let uid = fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .map(|l| l.split_whitespace().nth(2) == Some("0"))
    });
    if uid != Some(true) {
        // not root: the lab decides (skip, or panic with CI=true)
        let _lab = require_lab!(&[]);
    }
    if !Path::new("/usr/bin/setpriv").exists() {
        assert!(
            std::env::var("CI").is_err(),
            "CI needs setpriv (util-linux)"
        );
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: lab_selftest::unprivileged_run_skips_or_fails_in_ci: no /usr/bin/setpriv"
        );
        return;
    }
    // a copy in a fresh world-readable dir: the checkout may not be readable by nobody
    let tmp = tempfile::tempdir().expect("tempdir");
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    let exe = tmp.path().join("it");
    fs::copy(std::env::current_exe().expect("current_exe"), &exe).expect("copy test binary");
    for ci in [false, true] {
        let mut cmd = Command::new("/usr/bin/setpriv");
        cmd.current_dir(tmp.path())
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&exe)
            .args(["--exact", "lab_selftest::two_host_lab", "--test-threads=1"]);
        if ci {
            cmd.env("CI", "true");
        } else {
            cmd.env_remove("CI");
        }
        let out = output_within(&mut cmd, Duration::from_secs(60)).expect("test binary as nobody");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if ci {
            assert!(
                !out.status.success(),
                "CI=true must fail without root:\n{text}"
            );
            assert!(
                text.contains("CI=true but the Samba lab cannot run here: not root"),
                "{text}"
            );
        } else {
            assert!(out.status.success(), "must skip, not fail:\n{text}");
            assert!(
                text.contains("SKIPPED (needs root + samba): lab_selftest::two_host_lab: not root"),
                "{text}"
            );
            assert!(text.contains("1 passed"), "{text}");
        }
    }
}
