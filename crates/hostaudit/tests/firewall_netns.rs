//! Live tests in network namespaces this test creates (prefix `fwt-`): rulesets loaded
//! with nft -f / iptables-nft-restore, the printed block commands run with `sh -c`,
//! and `read()` run inside the namespace. No packet is sent; nothing touches the root
//! namespace's firewall. Without root or nft they skip, unless CI=true.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use smbaudit_hostaudit::firewall::{
    Backend, Query, Ruleset, Verdict, default_block_commands, parse_iptables_save, parse_nft_json,
    read,
};
use smbaudit_hostaudit::{Family, Service};

/// A namespace deleted on drop, also when the test panics.
struct Netns {
    name: String,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl Netns {
    fn new() -> Self {
        let name = format!(
            "fwt-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let out = Command::new("ip")
            .args(["netns", "add", &name])
            .output()
            .expect("run ip");
        assert!(
            out.status.success(),
            "ip netns add {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self { name }
    }

    /// Runs `args` inside the namespace.
    fn exec(&self, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(args)
            .output()
            .expect("run ip netns exec")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.exec(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    fn nft_ruleset(&self) -> Ruleset {
        parse_nft_json(&self.ok(&["nft", "-j", "list", "ruleset"])).expect("own capture parses")
    }

    fn iptables_ruleset(&self) -> Ruleset {
        let v4 = self.ok(&["iptables-nft-save"]);
        let v6 = self.ok(&["ip6tables-nft-save"]);
        parse_iptables_save(&v4, &v6).expect("own capture parses")
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// Whether the live tests can run; panics instead of skipping under CI=true.
fn can_run() -> bool {
    can_run_with(&[])
}

/// As [`can_run`], also needing `extra` tools.
fn can_run_with(extra: &[&str]) -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let tools = ["nft", "ip", "iptables-nft-restore"]
        .iter()
        .chain(extra)
        .all(|t| {
            Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .output()
                .is_ok_and(|o| o.status.success())
        });
    let why = match (root, tools) {
        (true, true) => return true,
        (false, _) => "not root",
        (true, false) => {
            "nft, ip, iptables-nft-restore (or setpriv, iptables-legacy-restore) missing"
        }
    };
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true and the namespace tests cannot run: {why}");
    }
    eprintln!("skipping namespace test: {why}");
    false
}

fn data(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
        .display()
        .to_string()
}

fn verdict(rs: &Ruleset, iface: &str, family: Family, service: Service) -> Verdict {
    rs.decide(&Query {
        iface,
        family,
        service,
    })
    .verdict
}

/// Runs each command in the namespace the way a user would paste it.
fn run_commands(ns: &Netns, commands: &[String]) {
    assert!(!commands.is_empty());
    for cmd in commands {
        let out = ns.exec(&["sh", "-c", cmd]);
        assert!(
            out.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn assert_all_dropped(rs: &Ruleset, iface: &str) {
    for family in [Family::Ipv4, Family::Ipv6] {
        for service in Service::AUDITED {
            assert_eq!(
                verdict(rs, iface, family, service),
                Verdict::Dropped,
                "{iface} {family} {service}"
            );
        }
    }
}

#[test]
fn nft_block_commands_load_and_drop() {
    if !can_run() {
        return;
    }
    for fixture in [
        "empty",
        "outside-drop-set",
        "inside-prefix",
        "two-bases",
        "jumps",
    ] {
        let ns = Netns::new();
        ns.ok(&["nft", "-f", &data(&format!("nft/{fixture}.nft"))]);
        let before = ns.nft_ruleset();
        let commands = before.block_commands("eth1", &Service::AUDITED);
        if fixture == "empty" {
            assert_eq!(commands[0], "nft add table inet smbaudit");
        } else {
            assert!(
                commands.iter().all(|c| c.starts_with("nft insert rule ")),
                "{commands:?}"
            );
        }
        run_commands(&ns, &commands);
        let after = ns.nft_ruleset();
        assert_all_dropped(&after, "eth1");
        // Other interfaces keep their verdicts.
        for family in [Family::Ipv4, Family::Ipv6] {
            for service in Service::AUDITED {
                assert_eq!(
                    verdict(&after, "eth7", family, service),
                    verdict(&before, "eth7", family, service),
                    "{fixture} {family} {service}"
                );
            }
        }
    }
}

#[test]
fn default_block_commands_load_and_drop() {
    if !can_run() {
        return;
    }
    let ns = Netns::new();
    run_commands(&ns, &default_block_commands("eth0", &Service::AUDITED));
    assert_all_dropped(&ns.nft_ruleset(), "eth0");
    assert_eq!(
        verdict(&ns.nft_ruleset(), "eth1", Family::Ipv4, Service::SMB),
        Verdict::Accepted
    );
}

#[test]
fn iptables_block_commands_load_and_drop() {
    if !can_run() {
        return;
    }
    let ns = Netns::new();
    ns.ok(&[
        "sh",
        "-c",
        &format!(
            "iptables-nft-restore < {}",
            data("iptables/inside-prefix.v4.rules")
        ),
    ]);
    ns.ok(&[
        "sh",
        "-c",
        &format!(
            "ip6tables-nft-restore < {}",
            data("iptables/inside-prefix.v6.rules")
        ),
    ]);
    let before = ns.iptables_ruleset();
    assert_eq!(
        verdict(&before, "eth0", Family::Ipv4, Service::SMB),
        Verdict::AcceptedFrom(vec![
            "10.9.0.0/16".parse().expect("net"),
            "192.168.56.0/24".parse().expect("net")
        ])
    );
    let commands = before.block_commands("eth0", &Service::AUDITED);
    // iptables here is iptables-nft, the tool that loaded the rules.
    run_commands(&ns, &commands);
    assert_all_dropped(&ns.iptables_ruleset(), "eth0");
}

/// `read()` must be run inside the namespace: the test re-runs its own binary there.
#[test]
fn read_sees_the_namespace_ruleset() {
    if let Ok(expect) = std::env::var("FWT_READ_EXPECT") {
        inner_read(&expect);
        return;
    }
    if !can_run_with(&["iptables-legacy-restore", "ip6tables-legacy-restore"]) {
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let exe = exe.to_str().expect("utf-8 path");
    for expect in ["nftables", "iptables", "legacy"] {
        let ns = Netns::new();
        let restore = |tool: &str, file: &str| {
            ns.ok(&["sh", "-c", &format!("{tool} < {}", data(file))]);
        };
        match expect {
            "nftables" => {
                ns.ok(&["nft", "-f", &data("nft/outside-drop-set.nft")]);
            }
            "iptables" => {
                restore("iptables-nft-restore", "iptables/outside-drop.v4.rules");
                restore("ip6tables-nft-restore", "iptables/outside-drop.v6.rules");
            }
            _ => {
                // iptables-legacy (x_tables) beside an nftables ruleset filtering nothing.
                ns.ok(&["nft", "-f", &data("nft/empty.nft")]);
                restore("iptables-legacy-restore", "iptables/outside-drop.v4.rules");
                restore("ip6tables-legacy-restore", "iptables/outside-drop.v6.rules");
            }
        }
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                &ns.name,
                exe,
                "--exact",
                "read_sees_the_namespace_ruleset",
                "--nocapture",
            ])
            .env("FWT_READ_EXPECT", expect)
            .output()
            .expect("re-run the test binary");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{expect}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("1 passed"), "{text}");
    }
}

fn inner_read(expect: &str) {
    let rs = read().expect("read the namespace's ruleset");
    let ipt_text = "-A INPUT -i eth0 -p tcp -m multiport --dports 135,139,445 -j DROP";
    let (backend, table, text) = match expect {
        "nftables" => (
            Backend::Nftables,
            "inet filter",
            r#"iifname "eth0" tcp dport @smb_tcp drop"#,
        ),
        "iptables" => (Backend::Iptables, "filter", ipt_text),
        _ => (Backend::Nftables, "iptables-legacy filter", ipt_text),
    };
    assert_eq!(rs.backend(), backend);
    for family in [Family::Ipv4, Family::Ipv6] {
        let d = rs.decide(&Query {
            iface: "eth0",
            family,
            service: Service::SMB,
        });
        assert_eq!(d.verdict, Verdict::Dropped, "{family}");
        let rule = d.rule.expect("rule");
        assert_eq!((rule.table.as_str(), rule.text.as_str()), (table, text));
        assert_eq!(
            verdict(&rs, "eth1", family, Service::SMB),
            Verdict::Accepted
        );
    }
}

/// Without root, `read()` says so instead of failing or guessing.
#[test]
fn read_without_root_is_unreadable() {
    if std::env::var("FWT_UNPRIVILEGED").is_ok() {
        let err = read().expect_err("nobody cannot list the ruleset");
        assert!(err.why.contains("run as root"), "{err:?}");
        return;
    }
    if !can_run_with(&["setpriv"]) {
        return;
    }
    let ns = Netns::new();
    ns.ok(&["nft", "-f", &data("nft/outside-drop-set.nft")]);
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.name,
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ])
        .arg(&exe)
        .args(["--exact", "read_without_root_is_unreadable", "--nocapture"])
        .env("FWT_UNPRIVILEGED", "1")
        .output()
        .expect("run setpriv");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 passed"), "{text}");
}
