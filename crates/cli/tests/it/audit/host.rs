//! What the audit lab sets up in the host namespace: Samba, rulesets, the
//! `::` listener, a broken smb.conf; and the audit run itself.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::lab::{
    Daemon, DaemonSpec, host_log_tail, make_private_dirs, private_globals, run, spawn_samba, which,
};

use super::lab::{AuditLab, CMD_TIMEOUT};
use super::net::{HOST_NS, Side};
use super::probe::{Cell, probe_side};
use super::scenarios::{Config, Extra, Firewall, Scenario};

/// The `::` listener script.
const LISTEN_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/audit/listen6.py");
/// How long daemons and listeners get to answer the inside peer.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// The host's NetBIOS name (lower-cased, its hostname).
const NETBIOS_NAME: &str = "SATAUDHOST";
/// Where the audit could find nft (its PATH and the sbin dirs it falls back to).
const NFT_PATHS: &[&str] = &[
    "/usr/local/sbin/nft",
    "/usr/local/bin/nft",
    "/usr/sbin/nft",
    "/usr/bin/nft",
    "/sbin/nft",
    "/bin/nft",
];
/// Hides each existing `$NFT_PATHS` entry under /dev/null (a character
/// device, not a program file) in a private mount namespace, then execs the audit.
const HIDE_NFT: &str = r#"for p in $NFT_PATHS; do
  if [ -e "$p" ]; then mount --bind /dev/null "$p" || exit 97; fi
done
exec "$@""#;

impl AuditLab {
    /// Writes `config`'s smb.conf, starts its daemons in the host namespace
    /// and waits until the inside peer reaches every port they serve.
    /// Returns the smb.conf path.
    pub(crate) fn start_samba(&mut self, config: Config) -> PathBuf {
        let dir = self.dir().join(format!("samba-{}", config.name()));
        make_private_dirs(&dir);
        let conf = dir.join("smb.conf");
        let text = format!(
            "# smbaudit audit lab, config {} (written by tests/it/audit)\n[global]\n\
             \x20  netbios name = {NETBIOS_NAME}\n\
             \x20  workgroup = SATAUD\n{}{}",
            config.name(),
            private_globals(&dir),
            config.conf_lines()
        );
        write(&conf, &text);
        let hosts = dir.join("hosts");
        let hostname = NETBIOS_NAME.to_ascii_lowercase();
        write(
            &hosts,
            &format!(
                "127.0.0.1\tlocalhost\n{}\t{hostname}\n",
                Side::In.host_addr(super::net::Fam::V4)
            ),
        );
        let (smbd, nmbd) = config.daemons();
        for (daemon, on) in [(Daemon::Nmbd, nmbd), (Daemon::Smbd, smbd)] {
            if !on {
                continue;
            }
            let spec = DaemonSpec {
                ns: HOST_NS,
                hostname: &hostname,
                hosts_file: &hosts,
                nss: None,
                daemon,
                conf: &conf,
                dir: &dir,
            };
            let child = spawn_samba(&self.tools.samba, &spec)
                .unwrap_or_else(|e| panic!("audit lab: {}: {e}", daemon.name()));
            self.adopt(child);
        }
        let served: Vec<Cell> = Cell::all()
            .into_iter()
            .filter(|c| {
                c.side == Side::In
                    && Scenario::new(config, Firewall::None, Extra::None).expect_reached(*c)
            })
            .collect();
        self.wait_until(
            &format!("samba ({})", config.name()),
            READY_TIMEOUT,
            |lab| {
                lab.children_alive()
                    .map_err(|e| format!("{e}\n{}", host_log_tail(&dir)))?;
                lab.all_reached(&served)
            },
        );
        conf
    }

    /// Starts a python3 socket on [::]:445 with IPV6_V6ONLY = `v6only` in
    /// the host namespace and waits until the inside peer reaches it.
    pub(crate) fn start_v6_listener(&mut self, v6only: bool) {
        let mut cmd = match which("setpriv") {
            Some(setpriv) => {
                let mut c = self.netns_command(HOST_NS, setpriv);
                c.args(["--pdeathsig", "TERM"]).arg(&self.tools.python);
                c
            }
            None => self.netns_command(HOST_NS, &self.tools.python),
        };
        cmd.arg(LISTEN_SCRIPT)
            .arg("445")
            .arg(if v6only { "1" } else { "0" });
        let log = self
            .dir()
            .join(format!("listen6-v6only{}.log", u8::from(v6only)));
        self.spawn_in_host(cmd, &log);
        let cell = Cell {
            side: Side::In,
            fam: super::net::Fam::V6,
            service: super::probe::Probed::Smb,
        };
        self.wait_until("the [::]:445 listener", READY_TIMEOUT, |lab| {
            lab.children_alive()?;
            lab.all_reached(&[cell])
        });
    }

    /// Loads `firewall` into the host namespace's nftables (after a flush).
    pub(crate) fn load_firewall(&self, firewall: Firewall) {
        let rules = self.dir().join("rulesets");
        fs::create_dir_all(&rules).unwrap_or_else(|e| panic!("audit lab: {e}"));
        let (nft, iptables) = firewall.scripts();
        let file = rules.join(format!("{}.nft", firewall.name()));
        write(&file, nft);
        let mut cmd = self.netns_command(HOST_NS, &self.tools.nft);
        cmd.arg("-f").arg(&file);
        self.must_succeed(&mut cmd, b"");
        if let Some(script) = iptables {
            for restore in [&self.tools.iptables_restore, &self.tools.ip6tables_restore] {
                let mut cmd = self.netns_command(HOST_NS, restore);
                self.must_succeed(&mut cmd, script.as_bytes());
            }
        }
    }

    /// Replaces `conf` (which running daemons were started with) by a directory.
    pub(crate) fn break_conf(&self, conf: &Path) {
        fs::remove_file(conf).unwrap_or_else(|e| panic!("audit lab: rm {}: {e}", conf.display()));
        fs::create_dir(conf).unwrap_or_else(|e| panic!("audit lab: mkdir {}: {e}", conf.display()));
    }

    /// `smbaudit audit -f FORMAT` in the host namespace (HOME and XDG_DATA_HOME
    /// in the lab dir). With [`Extra::NoNft`] it runs in a private mount
    /// namespace (`unshare --mount`, private propagation) where every nft on
    /// its search path is /dev/null, so it must fall back to iptables-save.
    /// An `Err` when it could not run or timed out (after [`CMD_TIMEOUT`]).
    pub(crate) fn run_audit(&self, extra: Extra, format: &str) -> Result<Output, String> {
        let audit = env!("CARGO_BIN_EXE_smbaudit");
        let mut cmd = if extra == Extra::NoNft {
            let unshare = which("unshare").ok_or("unshare not found")?;
            let mut cmd = self.netns_command(HOST_NS, unshare);
            cmd.args([
                "--mount",
                "--propagation",
                "private",
                "--",
                "sh",
                "-c",
                HIDE_NFT,
                "sh",
            ])
            .env("NFT_PATHS", NFT_PATHS.join(" "))
            .arg(audit);
            cmd
        } else {
            self.netns_command(HOST_NS, audit)
        };
        cmd.args(["audit", "-f", format])
            .env("HOME", self.dir())
            .env("XDG_DATA_HOME", self.dir().join("xdg"));
        run(&mut cmd, b"", CMD_TIMEOUT)
    }

    /// Writes scenario `n`'s audit output and the host's `nft list ruleset`
    /// to `evidence/NN-*.{json,stderr,nft}` in the lab dir, and when the dir
    /// is kept (`SMBAUDIT_LAB_KEEP=1`) the table report to `NN-*.txt`.
    pub(crate) fn keep_evidence(
        &self,
        n: usize,
        scenario: &Scenario,
        out: &Result<Output, String>,
    ) {
        let dir = self.dir().join("evidence");
        if fs::create_dir_all(&dir).is_err() {
            return;
        }
        let stem = format!(
            "{n:02}-{}-{}",
            scenario.config.name(),
            scenario.firewall.name()
        );
        let (stdout, stderr) = match out {
            Ok(o) => (o.stdout.clone(), o.stderr.clone()),
            Err(e) => (Vec::new(), e.clone().into_bytes()),
        };
        let _ = fs::write(dir.join(format!("{stem}.json")), stdout);
        let _ = fs::write(dir.join(format!("{stem}.stderr")), stderr);
        let mut list = self.netns_command(HOST_NS, &self.tools.nft);
        list.args(["list", "ruleset"]);
        if let Ok(o) = run(&mut list, b"", CMD_TIMEOUT) {
            let _ = fs::write(dir.join(format!("{stem}.nft")), o.stdout);
        }
        if self.keeps_dir() {
            // the report a user reads, for the record (only when the dir is kept)
            if let Ok(o) = self.run_audit(scenario.extra, "table") {
                let _ = fs::write(dir.join(format!("{stem}.txt")), o.stdout);
            }
        }
    }

    fn all_reached(&self, cells: &[Cell]) -> Result<(), String> {
        for side in [Side::Out, Side::In] {
            let mine: Vec<Cell> = cells.iter().copied().filter(|c| c.side == side).collect();
            if mine.is_empty() {
                continue;
            }
            let text = probe_side(self, side, &mine)?;
            if text.contains("\"reached\": false") {
                return Err(text);
            }
        }
        Ok(())
    }

    fn must_succeed(&self, cmd: &mut Command, stdin: &[u8]) {
        let out = self.output(cmd, stdin);
        assert!(
            out.status.success(),
            "audit lab: {cmd:?}: {}",
            crate::lab::describe(&out)
        );
    }
}

fn write(path: &Path, text: &str) {
    fs::write(path, text).unwrap_or_else(|e| panic!("audit lab: write {}: {e}", path.display()));
}
