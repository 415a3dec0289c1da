//! The Samba configuration each running smbd/nmbd was started with.
//!
//! [`read`] finds each daemon's config file (its command line, else `smbd -b`'s
//! CONFIGFILE, else /etc/samba/smb.conf) and reads the effective values.
//!
//! # testparm -sv, not -s
//! The values are read with `testparm -sv --suppress-prompt FILE` when testparm is
//! installed. Without `-v`, testparm omits every value left at its default, so we would
//! have to know each Samba version's defaults; with `-v` Samba states them itself. Both
//! take about 20 ms on Samba 4.17 (measured on Debian 12: 18 ms vs 19 ms for a small
//! file, 39 ms for 10 MB of garbage). Without testparm, our own parser ([`parse`]) reads
//! the file and its includes the way Samba does and fills Samba 4.17's defaults; the
//! tests check that both give the same [`SambaParams`] on real configurations.
//!
//! # Where the two readers knowingly differ
//! - A directory given as a config or include: testparm loads it as empty; we say it is
//!   a directory (and refuse an include we cannot read, which Samba only skips when the
//!   file is missing).
//! - Values of parameters we do not read are not checked: a bad boolean there makes
//!   testparm (and Samba) refuse the file, while our parser goes on.
//! - `server smb transports`: testparm -sv prints it only where Samba knows it (not
//!   4.17); our parser reports it whenever the file sets it.
//! - `include` with `%` macros and `config file =` are not followed; they become notes.
//!
//! # Samba's own limits
//! [`SambaConfig::restricts`] says how Samba limits traffic beyond its listeners (nmbd's
//! source filter with `bind interfaces only`, smbd's `hosts allow`/`hosts deny`), and
//! [`limit`] puts it in the shape the verdict takes.

mod command;
mod discover;
mod hosts;
mod parse;
mod restrict;
mod values;

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::listeners::{Daemon, Process};
use crate::model::Unreadable;

pub use discover::{
    DEFAULT_CONFIG, config_from_build_options, config_from_cmdline, options_from_cmdline,
};
pub use parse::MAX_CONFIG_BYTES;
pub use restrict::{
    Coverage, MAX_HOSTS_ENTRIES, Restriction, config_of, interfaces_cover, limit, view,
};

/// One Samba configuration in use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SambaConfig {
    /// The config file (`-s`/`--configfile`, else the compiled-in default).
    pub path: PathBuf,
    /// How the values were read.
    pub method: ReadMethod,
    /// The pids of the daemons started with it.
    pub pids: Vec<u32>,
    /// The effective values that decide exposure.
    pub params: SambaParams,
    /// What the reading noticed but did not follow (includes with per-client macros,
    /// missing include files, `config file =`).
    pub notes: Vec<String>,
}

/// How the effective values were read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadMethod {
    /// `testparm -s --suppress-prompt`.
    Testparm,
    /// Our own parser, following includes.
    Parsed,
}

/// The effective `[global]` values (and share flags) that decide exposure.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SambaParams {
    /// `interfaces`, as written (names, wildcards, addresses, address/mask).
    pub interfaces: Vec<String>,
    /// `bind interfaces only`.
    pub bind_interfaces_only: bool,
    /// `smb ports` (Samba's default is 445 139).
    pub smb_ports: Vec<u16>,
    /// `server smb transports`, when the Samba version has it.
    pub server_smb_transports: Option<String>,
    /// `disable netbios`.
    pub disable_netbios: bool,
    /// `server min protocol`.
    pub server_min_protocol: String,
    /// `server signing`, as testparm prints it (`default`, `No`, `if_required`,
    /// `desired`, `required`). `default` means required for an AD DC and `No` otherwise.
    pub server_signing: String,
    /// `server role` (`auto`, `standalone server`, `member server`,
    /// `active directory domain controller`, ...): decides what `default` signing means.
    pub server_role: String,
    /// `restrict anonymous` (0, 1 or 2).
    pub restrict_anonymous: u8,
    /// `map to guest`.
    pub map_to_guest: String,
    /// Shares with `guest ok = yes`.
    pub guest_ok_shares: Vec<String>,
    /// `hosts allow` in `[global]`.
    pub hosts_allow: Vec<String>,
    /// `hosts deny` in `[global]`.
    pub hosts_deny: Vec<String>,
}

impl SambaParams {
    /// Samba 4.17's defaults, as `testparm -sv` prints them for an empty file.
    pub fn samba_defaults() -> Self {
        values::Loaded::default().params(values::ListStyle::Written)
    }
}

/// Which way [`read_file`] should read a config file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preferred {
    /// testparm when it is installed, else our parser.
    Testparm,
    /// Our parser, even when testparm is installed.
    Parser,
}

/// Where testparm is looked for besides `$PATH` (Samba's own install prefix).
const TESTPARM_DIRS: &[&str] = &["/usr/bin", "/usr/local/bin", "/usr/local/samba/bin"];

/// For each running Samba daemon (smbd, nmbd, samba, winbindd), finds the config file
/// it was started with, groups the daemons by that file and reads each file once with
/// testparm when installed, else with our parser. Files that cannot be read become
/// [`Unreadable`] lines; the others are still read.
pub fn read(processes: &[Process]) -> (Vec<SambaConfig>, Vec<Unreadable>) {
    let mut defaults = discover::BuildDefaults::default();
    let mut by_path: BTreeMap<PathBuf, (Vec<u32>, Vec<String>)> = BTreeMap::new();
    for process in processes.iter().filter(|p| p.daemon != Daemon::Other) {
        let (pids, notes) = by_path
            .entry(discover::config_of(process, &mut defaults))
            .or_default();
        if !pids.contains(&process.pid) {
            pids.push(process.pid);
            notes.extend(options_from_cmdline(&process.cmdline).into_iter().map(|o| {
                format!(
                    "pid {} was started with --option={o}, which overrides the file; \
                     not applied here",
                    process.pid
                )
            }));
        }
    }
    let mut configs = Vec::new();
    let mut unreadable = Vec::new();
    for (path, (mut pids, option_notes)) in by_path {
        pids.sort_unstable();
        match read_file(&path, Preferred::Testparm) {
            Ok(mut config) => {
                config.notes.extend(option_notes);
                configs.push(SambaConfig { pids, ..config });
            }
            Err(line) => unreadable.push(line),
        }
    }
    (configs, unreadable)
}

/// Reads one config file (no pids filled in). With [`Preferred::Testparm`] and testparm
/// installed, a testparm failure is an error, not a reason to fall back: Samba would
/// refuse the file too.
pub fn read_file(path: &Path, method: Preferred) -> Result<SambaConfig, Unreadable> {
    let what = || path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| Unreadable::new(what(), parse::io_why(&e)))?;
    if meta.is_dir() {
        return Err(Unreadable::new(what(), "is a directory, not a config file"));
    }
    // testparm would only say "Error loading services" for a file we may not read.
    std::fs::File::open(path).map_err(|e| Unreadable::new(what(), parse::io_why(&e)))?;
    let testparm = match method {
        Preferred::Testparm => command::find_program("testparm", TESTPARM_DIRS),
        Preferred::Parser => None,
    };
    let (method, parsed) = match testparm {
        Some(testparm) => (ReadMethod::Testparm, run_testparm(&testparm, path)?),
        None => (ReadMethod::Parsed, parse::load_file(&read_text, path)?),
    };
    let style = parse::list_style(match method {
        ReadMethod::Testparm => parse::Origin::Testparm,
        ReadMethod::Parsed => parse::Origin::File,
    });
    Ok(SambaConfig {
        path: path.to_owned(),
        method,
        pids: Vec::new(),
        params: parsed.loaded.params(style),
        notes: parsed.notes,
    })
}

/// `testparm -sv --suppress-prompt FILE`, its output read with our parser.
fn run_testparm(testparm: &Path, path: &Path) -> Result<parse::Parsed, Unreadable> {
    let what = || path.display().to_string();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size > MAX_CONFIG_BYTES as u64 {
        return Err(Unreadable::new(
            what(),
            format!("larger than {} MiB; not read", MAX_CONFIG_BYTES >> 20),
        ));
    }
    let file = path.to_string_lossy();
    let output = command::run(
        testparm,
        &["-sv", "--suppress-prompt", &file],
        command::COMMAND_TIMEOUT,
    )
    .map_err(|why| Unreadable::new(what(), why))?;
    // testparm also exits 1 after loading a file it finds inconsistent ("ERROR: Invalid
    // idmap range"); it still prints the values, which the daemons use.
    let printed = output.stdout.lines().any(|l| l.trim() == "[global]");
    let loaded = output.stderr.contains("Loaded services file OK.");
    if !printed || (!output.success && !loaded) {
        return Err(Unreadable::new(
            what(),
            format!(
                "testparm failed ({}): {}",
                output.status,
                if printed {
                    command::tail(&output.stderr)
                } else {
                    format!(
                        "printed no [global] section; {}",
                        command::tail(&output.stderr)
                    )
                }
            ),
        ));
    }
    let mut parsed = parse::load_testparm_output(path, &output.stdout)?;
    if !output.success {
        parsed.notes.extend(
            output
                .stderr
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("ERROR"))
                .map(|l| format!("testparm: {l}")),
        );
    }
    Ok(parsed)
}

/// Reads a config file as Samba would: at most [`MAX_CONFIG_BYTES`] (plus one, to tell
/// a larger file), bytes that are not UTF-8 replaced.
pub fn read_text(path: &Path) -> io::Result<String> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > MAX_CONFIG_BYTES {
        return Err(io::Error::other(format!(
            "larger than {} MiB; not read",
            MAX_CONFIG_BYTES >> 20
        )));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Parses a config file and its includes with our own parser, reading files through
/// `text_of` (use [`read_text`] for the file system), and fills Samba's defaults.
pub fn parse(
    text_of: &dyn Fn(&Path) -> io::Result<String>,
    path: &Path,
) -> Result<SambaParams, Unreadable> {
    let parsed = parse::load_file(text_of, path)?;
    Ok(parsed.loaded.params(values::ListStyle::Written))
}

/// Reads the output of `testparm -sv` (for example a captured one) into effective
/// values; `path` names it in errors.
pub fn parse_testparm_output(path: &Path, text: &str) -> Result<SambaParams, Unreadable> {
    let parsed = parse::load_testparm_output(path, text)?;
    Ok(parsed.loaded.params(values::ListStyle::Printed))
}
