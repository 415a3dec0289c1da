//! Preflight: host spec validation, tool lookup, skip-or-panic.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::{HostSpec, MAX_HOSTS, Skip, Tools};

pub(super) fn validate(hosts: &[HostSpec]) {
    assert!(hosts.len() <= MAX_HOSTS, "lab: at most {MAX_HOSTS} hosts");
    for (i, h) in hosts.iter().enumerate() {
        assert!(
            (1..=10).contains(&h.id.len())
                && h.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && h.id != "hub"
                && h.id != "cl",
            "lab: host id {:?}: 1-10 of [a-z0-9], not hub/cl",
            h.id
        );
        assert!(
            hosts[..i].iter().all(|o| o.id != h.id),
            "lab: duplicate host id {:?}",
            h.id
        );
        assert!(
            (1..=15).contains(&h.netbios_name.len()),
            "lab: NetBIOS name {:?} must be 1-15 characters",
            h.netbios_name
        );
        assert!(
            !h.workgroup.is_empty(),
            "lab: host {} has no workgroup",
            h.id
        );
    }
}

pub(super) fn ci() -> bool {
    std::env::var("CI")
        .is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
}

pub(crate) fn skip_or_panic<T>(skip: Skip) -> Result<T, Skip> {
    if ci() {
        panic!("lab: CI=true but the Samba lab cannot run here: {skip}");
    }
    Err(skip)
}

pub(crate) fn find_tools(hosts: &[HostSpec]) -> Result<Tools, Skip> {
    let uid = fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(str::to_owned))
        })
        .unwrap_or_default();
    if uid != "0" {
        return Err(Skip(format!("not root (effective uid {uid})")));
    }
    let need = |name: &str, package: &str| {
        which(name).ok_or_else(|| Skip(format!("{name} not found (package {package})")))
    };
    let users = hosts.iter().any(|h| !h.users.is_empty());
    let nss_wrapper = [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib64",
        "/usr/lib",
    ]
    .iter()
    .map(|d| Path::new(d).join("libnss_wrapper.so"))
    .find(|p| p.exists());
    if users && nss_wrapper.is_none() {
        return Err(Skip(
            "libnss_wrapper.so not found (package libnss-wrapper); needed for lab users".into(),
        ));
    }
    for bin in ["sh", "bash", "hostname", "mount"] {
        need(bin, "base system")?;
    }
    Ok(Tools {
        ip: need("ip", "iproute2")?,
        unshare: need("unshare", "util-linux")?,
        nmblookup: need("nmblookup", "samba-common-bin")?,
        smbd: need("smbd", "samba")?,
        nmbd: need("nmbd", "samba")?,
        smbpasswd: if users {
            Some(need("smbpasswd", "samba-common-bin")?)
        } else {
            which("smbpasswd")
        },
        setpriv: which("setpriv"),
        nss_wrapper,
    })
}

pub(crate) fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}
