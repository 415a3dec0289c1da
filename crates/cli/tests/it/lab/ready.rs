//! Readiness checks of the lab's daemons.

use std::collections::HashMap;
use std::process::{Command, Output};
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::process::{Spawned, describe};
use super::samba::host_log_tail;
use super::{Daemon, Lab, START_TIMEOUT};

impl Lab {
    /// Waits until each `(host, daemon)` is ready; panics with logs at `deadline`.
    pub(super) fn wait_ready(&self, which: &[(usize, Daemon)], deadline: Instant) {
        let mut pending: Vec<(usize, Daemon)> = which.to_vec();
        let mut last: HashMap<(usize, Daemon), String> = HashMap::new();
        let mut pause = Duration::from_millis(50);
        while !pending.is_empty() {
            for &(index, daemon) in &pending {
                let exited = self
                    .lock_daemons()
                    .get_mut(&(index, daemon))
                    .map_or(Some(None), |c| c.try_wait().ok().flatten().map(Some));
                if let Some(status) = exited {
                    let h = &self.hosts[index];
                    panic!(
                        "lab {}: {} of host {} ({}) exited during start ({}).\n{}",
                        self.tag,
                        daemon.name(),
                        h.id,
                        h.netbios_name,
                        status.map_or_else(|| "not running".to_owned(), |s| s.to_string()),
                        host_log_tail(&h.dir)
                    );
                }
            }
            // one round: every pending check runs concurrently
            let remaining = deadline.saturating_duration_since(Instant::now());
            let limit = remaining.min(Duration::from_secs(3));
            let checks: Vec<((usize, Daemon), Vec<Spawned>)> = pending
                .iter()
                .map(|&key| (key, self.spawn_checks(key.0, key.1)))
                .collect();
            let mut still = Vec::new();
            for (key, spawned) in checks {
                let results: Vec<Result<Output, String>> =
                    spawned.into_iter().map(|s| s.finish(limit)).collect();
                match self.judge(key.0, key.1, &results) {
                    Ok(()) => {}
                    Err(why) => {
                        last.insert(key, why);
                        still.push(key);
                    }
                }
            }
            pending = still;
            if pending.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                let mut msg = format!("lab {}: not ready after {START_TIMEOUT:?}:\n", self.tag);
                for key in &pending {
                    let h = &self.hosts[key.0];
                    msg += &format!(
                        "--- {} of host {} ({}, {}): {}\n{}\n",
                        key.1.name(),
                        h.id,
                        h.netbios_name,
                        h.ip,
                        last.get(key).map_or("", String::as_str),
                        host_log_tail(&h.dir)
                    );
                }
                panic!("{msg}");
            }
            sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
            pause = (pause * 2).min(Duration::from_millis(400));
        }
    }

    pub(super) fn spawn_checks(&self, index: usize, daemon: Daemon) -> Vec<Spawned> {
        let h = &self.hosts[index];
        let spawn = |mut cmd: Command| Spawned::spawn(&mut cmd, b"").map_err(|e| e.to_string());
        let mut v = Vec::new();
        match daemon {
            Daemon::Nmbd => {
                let mut status = self.client_command(&self.tools.nmblookup);
                status
                    .arg("-s")
                    .arg(&self.client_conf)
                    .arg("-A")
                    .arg(h.ip.to_string());
                v.push(spawn(status));
                // a broadcast query is answered only once the name is registered
                let mut query = self.client_command(&self.tools.nmblookup);
                query
                    .arg("-s")
                    .arg(&self.client_conf)
                    .arg("-B")
                    .arg(self.broadcast().to_string())
                    .arg(&h.netbios_name);
                v.push(spawn(query));
            }
            Daemon::Smbd => {
                for port in &h.smb_ports {
                    let mut connect = self.client_command("bash");
                    connect
                        .args(["-c", r#"exec 3<>"/dev/tcp/$1/$2""#, "bash"])
                        .arg(h.ip.to_string())
                        .arg(port.to_string());
                    v.push(spawn(connect));
                }
            }
        }
        v.into_iter()
            .map(|r| r.unwrap_or_else(|e| panic!("lab: cannot run a readiness check: {e}")))
            .collect()
    }

    pub(super) fn judge(
        &self,
        index: usize,
        daemon: Daemon,
        results: &[Result<Output, String>],
    ) -> Result<(), String> {
        let h = &self.hosts[index];
        let text = |r: &Result<Output, String>| match r {
            Ok(o) => describe(o),
            Err(e) => e.clone(),
        };
        match daemon {
            Daemon::Nmbd => {
                let status = results[0].as_ref().map_err(Clone::clone)?;
                let listed = String::from_utf8_lossy(&status.stdout).lines().any(|l| {
                    let mut words = l.split_whitespace();
                    words.next() == Some(h.netbios_name.as_str()) && words.next() == Some("<20>")
                });
                if !listed {
                    return Err(format!(
                        "node status lacks {}<20>: {}",
                        h.netbios_name,
                        text(&results[0])
                    ));
                }
                let query = results[1].as_ref().map_err(Clone::clone)?;
                let want = format!("{} {}<00>", h.ip, h.netbios_name);
                if !String::from_utf8_lossy(&query.stdout)
                    .lines()
                    .any(|l| l.trim() == want)
                {
                    return Err(format!(
                        "broadcast name query unanswered: {}",
                        text(&results[1])
                    ));
                }
                Ok(())
            }
            Daemon::Smbd => {
                for (port, r) in h.smb_ports.iter().zip(results) {
                    match r {
                        Ok(o) if o.status.success() => {}
                        _ => return Err(format!("no TCP connect to {}:{port}: {}", h.ip, text(r))),
                    }
                }
                Ok(())
            }
        }
    }
}
