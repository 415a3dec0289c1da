//! Samba hosts: smb.conf and users, daemon spawn and stop.

use std::fs;
use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use super::net::ns_pids;
use super::process::{describe, exe_name, is_samba, run, terminate_children, terminate_pids};
use super::{
    CMD_TIMEOUT, DNS_DOMAIN, Daemon, FIRST_HOST_OCTET, Host, HostSpec, Lab, START_TIMEOUT, Tools,
};

impl Lab {
    /// Stops `daemon` on host `id` (TERM, KILL after 5 s) and every process it
    /// left in the namespace (smbd's children, `samba-dcerpcd`, ...). No-op
    /// if it is not running.
    pub fn stop_daemon(&self, id: &str, daemon: Daemon) {
        let host = self.host(id);
        let child = self.lock_daemons().remove(&(host.index, daemon));
        if let Some(child) = child {
            terminate_children(vec![child]);
        }
        let leftovers: Vec<u32> = ns_pids(&self.tools, &host.ns)
            .into_iter()
            .filter(|&p| match daemon {
                Daemon::Nmbd => exe_name(p).as_deref() == Some("nmbd"),
                // everything Samba but nmbd: smbd children and the RPC helpers smbd started
                Daemon::Smbd => is_samba(p) && exe_name(p).as_deref() != Some("nmbd"),
            })
            .collect();
        terminate_pids(&leftovers);
    }

    /// Starts `daemon` on host `id` again (after [`Lab::stop_daemon`]) and
    /// waits until it is ready, like [`Lab::start`]. The host must have been
    /// specified with that daemon.
    pub fn start_daemon(&self, id: &str, daemon: Daemon) {
        let index = self.host(id).index;
        assert!(
            self.runs(index, daemon),
            "lab: host {id} was not specified with {}",
            daemon.name()
        );
        if self.lock_daemons().contains_key(&(index, daemon)) {
            return;
        }
        self.spawn_daemon(index, daemon);
        self.wait_ready(&[(index, daemon)], Instant::now() + START_TIMEOUT);
    }

    /// Whether `daemon` of host `id` (the process the harness started) is running.
    pub fn daemon_running(&self, id: &str, daemon: Daemon) -> bool {
        let index = self.host(id).index;
        let mut daemons = self.lock_daemons();
        match daemons.get_mut(&(index, daemon)) {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    pub(super) fn write_client_conf(&self) {
        let cdir = self.dir.join("client");
        for sub in ["", "lock", "state", "cache", "private", "run"] {
            mkdir(&cdir.join(sub));
        }
        let d = cdir.display();
        let conf = format!(
            "# Samba client tools in the lab (written by the smbaudit test harness):\n\
             # broadcast name resolution on loopback only; no DNS, WINS or lmhosts.\n\
             [global]\n\
             \x20  name resolve order = bcast\n\
             \x20  interfaces = 127.0.0.1/8\n\
             \x20  load printers = no\n\
             \x20  lock directory = {d}/lock\n\
             \x20  state directory = {d}/state\n\
             \x20  cache directory = {d}/cache\n\
             \x20  private dir = {d}/private\n\
             \x20  pid directory = {d}/run\n\
             \x20  ncalrpc dir = {d}/run/ncalrpc\n\
             \x20  nmbd:socket dir = {d}/run/nmbd\n\
             \x20  log file = {d}/log.client\n"
        );
        write(&self.client_conf, &conf);
    }

    pub(super) fn prepare_host(&self, index: usize, spec: &HostSpec) -> Host {
        let dir = self.dir.join("hosts").join(spec.id);
        make_private_dirs(&dir);
        let d = dir.display().to_string();
        let octet = FIRST_HOST_OCTET + u8::try_from(index).expect("host count checked");
        let ip = Ipv4Addr::new(10, 214, self.net, octet);
        let hostname: String = spec
            .netbios_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let extra_conf = spec.extra_conf.replace("@DIR@", &d);
        let shares = spec.shares.replace("@DIR@", &d);
        let mut conf = format!(
            "# host {id} of a smbaudit test lab (written by the test harness)\n\
             [global]\n\
             \x20  netbios name = {name}\n\
             \x20  workgroup = {wg}\n",
            id = spec.id,
            name = spec.netbios_name,
            wg = spec.workgroup,
        );
        if !spec.aliases.is_empty() {
            conf += &format!("   netbios aliases = {}\n", spec.aliases.join(" "));
        }
        conf += &format!("   server string = smbaudit lab host {}\n", spec.id);
        conf += &private_globals(&dir);
        conf += &format!(
            "   interfaces = eth0\n\
             \x20  bind interfaces only = yes\n\
             \x20  map to guest = bad user\n\
             # extra_conf\n{extra_conf}\n\
             # shares\n{shares}\n"
        );
        let conf_path = dir.join("smb.conf");
        write(&conf_path, &conf);
        write(
            &dir.join("hosts"),
            &format!("127.0.0.1\tlocalhost\n{ip}\t{hostname}.{DNS_DOMAIN} {hostname}\n"),
        );
        for line in shares.lines().chain(extra_conf.lines()) {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            if key.trim().eq_ignore_ascii_case("path") && value.trim().starts_with(&d) {
                let share = PathBuf::from(value.trim());
                mkdir(&share);
                set_mode(&share, 0o1777);
                let readme = share.join("README.txt");
                if !readme.exists() {
                    write(
                        &readme,
                        &format!("smbaudit lab share on host {}\n", spec.id),
                    );
                }
            }
        }
        let nss = if spec.users.is_empty() {
            None
        } else {
            Some(self.add_users(spec, &dir, &conf_path))
        };
        Host {
            id: spec.id.to_owned(),
            index,
            netbios_name: spec.netbios_name.to_owned(),
            hostname,
            ns: format!("{}-{}", self.tag, spec.id),
            ip,
            conf: conf_path,
            dir,
            smbd: spec.smbd,
            nmbd: spec.nmbd,
            smb_ports: smb_ports(&spec.extra_conf),
            nss,
        }
    }

    /// Private passwd/group for nss_wrapper, and the users in the host's tdbsam.
    pub(super) fn add_users(&self, spec: &HostSpec, dir: &Path, conf: &Path) -> (PathBuf, PathBuf) {
        let lib = self
            .tools
            .nss_wrapper
            .as_ref()
            .expect("checked in find_tools");
        let smbpasswd = self
            .tools
            .smbpasswd
            .as_ref()
            .expect("checked in find_tools");
        let mut passwd = String::from("root:x:0:0:root:/root:/bin/sh\n");
        passwd += "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
        let mut group = String::from("root:x:0:\nnogroup:x:65534:\n");
        for (k, (user, _)) in spec.users.iter().enumerate() {
            let uid = 60214 + k;
            passwd += &format!(
                "{user}:x:{uid}:{uid}:lab user:{}:/bin/false\n",
                dir.join("shares").display()
            );
            group += &format!("{user}:x:{uid}:\n");
        }
        let nss_dir = dir.join("nss");
        mkdir(&nss_dir);
        let (p, g) = (nss_dir.join("passwd"), nss_dir.join("group"));
        write(&p, &passwd);
        write(&g, &group);
        for (user, password) in spec.users {
            let mut cmd = Command::new(smbpasswd);
            cmd.env("LD_PRELOAD", lib)
                .env("NSS_WRAPPER_PASSWD", &p)
                .env("NSS_WRAPPER_GROUP", &g)
                .arg("-c")
                .arg(conf)
                .args(["-s", "-a", user]);
            let out = run(
                &mut cmd,
                format!("{password}\n{password}\n").as_bytes(),
                CMD_TIMEOUT,
            )
            .unwrap_or_else(|e| panic!("lab: smbpasswd for {user} on {}: {e}", spec.id));
            assert!(
                out.status.success(),
                "lab: smbpasswd -a {user} on {}: {}",
                spec.id,
                describe(&out)
            );
        }
        (p, g)
    }

    pub(super) fn spawn_daemon(&self, index: usize, daemon: Daemon) {
        let h = &self.hosts[index];
        let hosts_file = h.dir.join("hosts");
        let spec = DaemonSpec {
            ns: &h.ns,
            hostname: &h.hostname,
            hosts_file: &hosts_file,
            nss: h.nss.as_ref().map(|(p, g)| (p.as_path(), g.as_path())),
            daemon,
            conf: &h.conf,
            dir: &h.dir,
        };
        let child = spawn_samba(&self.tools, &spec)
            .unwrap_or_else(|e| panic!("lab: cannot start {} of {}: {e}", daemon.name(), h.id));
        self.lock_daemons().insert((index, daemon), child);
    }
}

/// One Samba daemon to start in a namespace (see [`spawn_samba`]).
pub(crate) struct DaemonSpec<'a> {
    /// The network namespace it runs in.
    pub(crate) ns: &'a str,
    /// Its hostname (a private UTS namespace).
    pub(crate) hostname: &'a str,
    /// A file bind-mounted over `/etc/hosts` for it (a private mount namespace).
    pub(crate) hosts_file: &'a Path,
    /// `(passwd, group)` for nss_wrapper, if it has lab users.
    pub(crate) nss: Option<(&'a Path, &'a Path)>,
    /// smbd or nmbd.
    pub(crate) daemon: Daemon,
    /// Its smb.conf (`-s`).
    pub(crate) conf: &'a Path,
    /// Its private dir: logs go to `log/` (`-l`, and `log/<daemon>.out`).
    pub(crate) dir: &'a Path,
}

/// Starts a Samba daemon as a child of the test: `ip netns exec NS setpriv
/// --pdeathsig TERM unshare --uts --mount sh -c 'hostname ...; mount --bind
/// HOSTS /etc/hosts; exec smbd --foreground -s CONF -l DIR/log'`, stdout and
/// stderr appended to `DIR/log/<daemon>.out`.
pub(crate) fn spawn_samba(t: &Tools, spec: &DaemonSpec<'_>) -> Result<Child, String> {
    let mut cmd = Command::new(&t.ip);
    cmd.args(["netns", "exec", spec.ns]);
    if let Some(setpriv) = &t.setpriv {
        cmd.arg(setpriv).args(["--pdeathsig", "TERM"]);
    }
    // own UTS and mount namespace: hostname = lower-case NetBIOS name and a
    // private /etc/hosts naming it <hostname>.<DNS_DOMAIN>
    cmd.arg(&t.unshare).args([
        "--uts",
        "--mount",
        "--",
        "sh",
        "-c",
        r#"hostname "$1" && mount --bind "$2" /etc/hosts && shift 2 && exec "$@""#,
        "sh",
    ]);
    cmd.arg(spec.hostname).arg(spec.hosts_file);
    if let Some((passwd, group)) = spec.nss {
        let lib = t.nss_wrapper.as_ref().ok_or("nss_wrapper not found")?;
        cmd.arg("env")
            .arg(format!("LD_PRELOAD={}", lib.display()))
            .arg(format!("NSS_WRAPPER_PASSWD={}", passwd.display()))
            .arg(format!("NSS_WRAPPER_GROUP={}", group.display()));
    }
    cmd.arg(match spec.daemon {
        Daemon::Smbd => &t.smbd,
        Daemon::Nmbd => &t.nmbd,
    });
    // not --no-process-group: smbd's parent kill(0, SIGTERM)s its process
    // group when it gets SIGTERM, which would hit the test runner (and cargo)
    cmd.args(["--foreground", "-s"])
        .arg(spec.conf)
        .arg("-l")
        .arg(spec.dir.join("log"));
    let out_path = spec
        .dir
        .join("log")
        .join(format!("{}.out", spec.daemon.name()));
    let out = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&out_path)
        .map_err(|e| format!("{}: {e}", out_path.display()))?;
    let err = out.try_clone().map_err(|e| format!("dup log fd: {e}"))?;
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    cmd.spawn().map_err(|e| format!("{cmd:?}: {e}"))
}

/// The `[global]` lines that keep a lab daemon's state, sockets and logs
/// under `dir` (its subdirectories must exist, see [`make_private_dirs`]) and
/// switch off what could reach beyond the lab (DNS proxy, printing). They set
/// nothing about interfaces, ports or NetBIOS.
pub(crate) fn private_globals(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "   pid directory = {d}/run\n\
         \x20  lock directory = {d}/lock\n\
         \x20  state directory = {d}/state\n\
         \x20  cache directory = {d}/cache\n\
         \x20  private dir = {d}/private\n\
         \x20  ncalrpc dir = {d}/run/ncalrpc\n\
         \x20  nmbd:socket dir = {d}/run/nmbd\n\
         \x20  binddns dir = {d}/bind-dns\n\
         \x20  usershare path = {d}/usershares\n\
         \x20  ntp signd socket directory = {d}/ntp_signd\n\
         \x20  winbindd socket directory = {d}/run/winbindd\n\
         \x20  passdb backend = tdbsam:{d}/private/passdb.tdb\n\
         \x20  log file = {d}/log/log.tools\n\
         \x20  logging = file\n\
         \x20  max log size = 1000\n\
         \x20  server role = standalone server\n\
         \x20  load printers = no\n\
         \x20  printing = bsd\n\
         \x20  printcap name = /dev/null\n\
         \x20  disable spoolss = yes\n\
         \x20  dns proxy = no\n\
         \x20  obey pam restrictions = no\n"
    )
}

/// Creates the directories [`private_globals`] names under `dir` (`private/`
/// mode 0700, the rest 0755), plus `log/` and `shares/`.
pub(crate) fn make_private_dirs(dir: &Path) {
    for sub in [
        "",
        "run",
        "lock",
        "state",
        "cache",
        "private",
        "log",
        "shares",
        "bind-dns",
        "usershares",
        "ntp_signd",
    ] {
        mkdir(&dir.join(sub));
    }
    set_mode(&dir.join("private"), 0o700);
}

/// `smb ports` of an extra_conf (the last setting wins), default `445 139`;
/// `disable netbios = yes` drops 139.
pub(super) fn smb_ports(extra_conf: &str) -> Vec<u16> {
    let mut ports = vec![445, 139];
    let mut netbios = true;
    for line in extra_conf.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key: String = key
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase();
        let value = value.trim();
        if key == "smb ports" {
            ports = value
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect();
        } else if key == "disable netbios" {
            netbios = !matches!(value.to_ascii_lowercase().as_str(), "yes" | "true" | "1");
        }
    }
    if !netbios {
        ports.retain(|&p| p != 139);
    }
    ports
}

pub(crate) fn host_log_tail(dir: &Path) -> String {
    let mut s = String::new();
    let mut files: Vec<PathBuf> = fs::read_dir(dir.join("log"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    for f in files {
        let text = fs::read_to_string(&f).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        s += &format!("==> {} <==\n", f.display());
        for l in &lines[lines.len().saturating_sub(25)..] {
            s += l;
            s.push('\n');
        }
    }
    s
}

pub(super) fn mkdir(p: &Path) {
    fs::create_dir_all(p).unwrap_or_else(|e| panic!("lab: mkdir {}: {e}", p.display()));
    set_mode(p, 0o755);
}

pub(super) fn set_mode(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("lab: chmod {}: {e}", p.display()));
}

pub(super) fn write(p: &Path, text: &str) {
    fs::write(p, text).unwrap_or_else(|e| panic!("lab: write {}: {e}", p.display()));
}
