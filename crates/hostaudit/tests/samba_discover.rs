//! Which config file running daemons use: captured `smbd -b`, real command lines of
//! smbd and nmbd started in a network namespace, and `samba::read` over them.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use smbaudit_hostaudit::listeners::{Daemon, Process};
use smbaudit_hostaudit::samba::{self, ReadMethod};

#[test]
fn finds_configfile_in_captured_smbd_build_options() {
    let text = include_str!("data/samba/smbd-b-4.17.12-debian.txt");
    assert_eq!(
        samba::config_from_build_options(text),
        Some(PathBuf::from("/etc/samba/smb.conf"))
    );
}

#[test]
fn reads_captured_testparm_output_as_the_parser_reads_the_file() {
    for (conf, output) in [
        (
            include_str!("data/samba/interfaces.conf"),
            include_str!("data/samba/testparm-sv-interfaces.txt"),
        ),
        (
            include_str!("data/samba/guests.conf"),
            include_str!("data/samba/testparm-sv-guests.txt"),
        ),
    ] {
        let from_output = samba::parse_testparm_output(Path::new("captured"), output).unwrap();
        let text_of = |_: &Path| Ok(conf.to_owned());
        let from_file = samba::parse(&text_of, Path::new("/lab/smb.conf")).unwrap();
        assert_eq!(from_output, from_file);
    }
}

/// A network namespace with loopback up; deleted (with its daemons) on drop.
struct Netns {
    name: String,
    children: Vec<Child>,
}

impl Netns {
    fn new(tag: &str) -> Self {
        let name = format!("scf-{tag}-{}", std::process::id());
        let _ = Command::new("ip").args(["netns", "del", &name]).status();
        let made = Command::new("ip").args(["netns", "add", &name]).status();
        assert!(
            made.is_ok_and(|s| s.success()),
            "ip netns add {name} (needs root)"
        );
        let ns = Self {
            name,
            children: Vec::new(),
        };
        ns.exec(&["ip", "link", "set", "lo", "up"]);
        ns
    }

    fn exec(&self, args: &[&str]) {
        let status = Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(args)
            .status();
        assert!(status.is_ok_and(|s| s.success()), "{args:?}");
    }

    /// Starts a daemon in the namespace; `ip netns exec` execs it, so the child's pid is
    /// the daemon's. Waits (bounded) until the pid runs `exe`. Never pass
    /// `--no-process-group`: on SIGTERM smbd signals its whole process group, which
    /// would then be the test runner's.
    fn daemon(&mut self, exe: &str, args: &[&str]) -> u32 {
        let child = Command::new("ip")
            .args(["netns", "exec", &self.name, exe])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start daemon");
        let pid = child.id();
        self.children.push(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::fs::read_link(format!("/proc/{pid}/exe")).ok() != Some(PathBuf::from(exe)) {
            assert!(Instant::now() < deadline, "{exe} did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        pid
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // SIGTERM first: smbd then stops its helper children (a SIGKILLed smbd leaves
        // smbd-notifyd behind); SIGKILL after a bounded wait.
        for child in &self.children {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
        }
        for child in &mut self.children {
            let deadline = Instant::now() + Duration::from_secs(3);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// The process as the listeners reader reports it, from /proc.
fn process(pid: u32, daemon: Daemon) -> Process {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).expect("cmdline");
    Process {
        pid,
        exe: std::fs::read_link(format!("/proc/{pid}/exe")).expect("exe"),
        daemon,
        cmdline: cmdline
            .split(|&b| b == 0)
            .filter(|arg| !arg.is_empty())
            .map(|arg| String::from_utf8_lossy(arg).into_owned())
            .collect(),
    }
}

/// A config that keeps every Samba state file in `dir`.
fn private_config(dir: &Path, extra: &str) -> String {
    let d = dir.display();
    format!(
        "[global]\n\
         pid directory = {d}\nlock directory = {d}\nstate directory = {d}\n\
         cache directory = {d}\nprivate dir = {d}\nbinddns dir = {d}\n\
         ncalrpc dir = {d}/ncalrpc\nlog file = {d}/log.%m\n{extra}"
    )
}

#[test]
fn reads_the_config_real_smbd_and_nmbd_were_started_with() {
    let lab = common::Lab::new();
    let conf = lab.write(
        "smb.conf",
        private_config(
            lab.path(),
            "interfaces = lo\nbind interfaces only = yes\nsmb ports = 445\n",
        ),
    );
    let conf_arg = conf.display().to_string();
    let mut ns = Netns::new("read");
    let smbd = ns.daemon("/usr/sbin/smbd", &["--foreground", "-s", &conf_arg]);
    let nmbd = ns.daemon(
        "/usr/sbin/nmbd",
        &[
            "--foreground",
            "--option=log level=1",
            &format!("--configfile={conf_arg}"),
        ],
    );
    let processes = [process(smbd, Daemon::Smbd), process(nmbd, Daemon::Nmbd)];
    assert_eq!(processes[0].cmdline[2], "-s");
    assert_eq!(
        samba::config_from_cmdline(&processes[1].cmdline),
        Some(conf.clone())
    );

    let started = Instant::now();
    let (configs, unreadable) = samba::read(&processes);
    let took = started.elapsed();
    assert_eq!(unreadable, []);
    assert_eq!(configs.len(), 1, "{configs:?}");
    let config = &configs[0];
    assert_eq!(config.path, conf);
    let mut pids = vec![smbd, nmbd];
    pids.sort_unstable();
    assert_eq!(config.pids, pids);
    assert_eq!(config.method, ReadMethod::Testparm);
    assert_eq!(config.params.interfaces, ["lo"]);
    assert!(config.params.bind_interfaces_only);
    assert_eq!(config.params.smb_ports, [445]);
    assert!(
        config
            .notes
            .iter()
            .any(|n| n.contains(&format!("pid {nmbd} was started with --option=log level=1"))),
        "{:?}",
        config.notes
    );
    assert!(took < Duration::from_secs(2), "read took {took:?}");
}

#[test]
fn a_daemon_without_config_option_uses_the_build_default_and_others_are_skipped() {
    // Our own pid stands in for a daemon; only its exe and cmdline are read.
    let pid = std::process::id();
    let nmbd = Process {
        pid,
        exe: PathBuf::from("/usr/sbin/nmbd"),
        daemon: Daemon::Nmbd,
        cmdline: vec!["/usr/sbin/nmbd".into(), "-D".into()],
    };
    let other = Process {
        pid: pid + 1,
        exe: PathBuf::from("/usr/bin/python3"),
        daemon: Daemon::Other,
        cmdline: vec!["python3".into(), "-s".into(), "/x.conf".into()],
    };
    let (configs, unreadable) = samba::read(&[nmbd, other]);
    let paths: Vec<&Path> = configs
        .iter()
        .map(|c| c.path.as_path())
        .chain(unreadable.iter().map(|u| Path::new(&u.what)))
        .collect();
    // nmbd has no -b; smbd next to it answers with the compiled-in default.
    assert_eq!(paths, [Path::new("/etc/samba/smb.conf")]);
}

#[test]
fn an_unreadable_config_is_one_line_and_the_rest_is_read() {
    let lab = common::Lab::new();
    let good = lab.write("good.conf", common::NO_NETBIOS);
    let missing = lab.path().join("missing.conf");
    let daemon = |pid: u32, conf: &Path| Process {
        pid,
        exe: PathBuf::from("/usr/sbin/smbd"),
        daemon: Daemon::Smbd,
        cmdline: vec!["smbd".into(), format!("--configfile={}", conf.display())],
    };
    let (configs, unreadable) = samba::read(&[daemon(10, &missing), daemon(11, &good)]);
    assert_eq!(configs.len(), 1);
    assert_eq!(configs[0].path, good);
    assert!(configs[0].params.disable_netbios);
    assert_eq!(
        unreadable,
        [smbaudit_hostaudit::Unreadable::new(
            missing.display().to_string(),
            "no such file"
        )]
    );
}
