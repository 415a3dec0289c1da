//! Which config file a running Samba daemon was started with.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::command;
use crate::listeners::{Daemon, Process};

/// Samba's compiled-in default when nothing else says otherwise.
pub const DEFAULT_CONFIG: &str = "/etc/samba/smb.conf";

/// The config file named on a Samba daemon's command line, as popt parses it:
/// `-s FILE`, `-sFILE`, a short-option cluster ending in `s` (`-Ds FILE`),
/// `--configfile=FILE` or `--configfile FILE`; the last one wins, `--` ends options.
/// `cmdline[0]` is the program and is skipped.
pub fn config_from_cmdline(cmdline: &[String]) -> Option<PathBuf> {
    /// Short options of smbd/nmbd/samba that take a value (popt tables in Samba 4.17).
    const SHORT_WITH_VALUE: &[char] = &['d', 'p', 'P', 'l', 'H', 'M'];
    let mut found = None;
    let mut args = cmdline.iter().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            if let Some(value) = long.strip_prefix("configfile=") {
                found = Some(value.to_owned());
            } else if long == "configfile" {
                found = args.next().cloned();
            }
            continue;
        }
        let Some(cluster) = arg.strip_prefix('-') else {
            continue;
        };
        for (at, flag) in cluster.char_indices() {
            if flag == 's' || SHORT_WITH_VALUE.contains(&flag) {
                let rest = cluster.get(at + flag.len_utf8()..).unwrap_or_default();
                let value = if rest.is_empty() {
                    args.next().cloned()
                } else {
                    Some(rest.to_owned())
                };
                if flag == 's' {
                    found = value;
                }
                break;
            }
        }
    }
    found.filter(|path| !path.is_empty()).map(PathBuf::from)
}

/// The `--option=name=value` (or `--option name=value`) overrides on a daemon's
/// command line, which win over the config file.
pub fn options_from_cmdline(cmdline: &[String]) -> Vec<String> {
    let mut options = Vec::new();
    let mut args = cmdline.iter().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if let Some(value) = arg.strip_prefix("--option=") {
            options.push(value.to_owned());
        } else if arg == "--option" {
            options.extend(args.next().cloned());
        }
    }
    options
}

/// The `CONFIGFILE:` line of `smbd -b` ("Build environment") output.
pub fn config_from_build_options(build_options: &str) -> Option<PathBuf> {
    build_options.lines().find_map(|line| {
        let value = line.trim().strip_prefix("CONFIGFILE:")?.trim();
        (!value.is_empty()).then(|| PathBuf::from(value))
    })
}

/// Remembers `-b` answers per program, so many smbd processes ask once.
#[derive(Default)]
pub(crate) struct BuildDefaults {
    by_program: HashMap<PathBuf, Option<PathBuf>>,
}

impl BuildDefaults {
    /// The compiled-in CONFIGFILE of a daemon's build. smbd and samba answer `-b`;
    /// nmbd and winbindd do not, so the smbd in the same directory is asked for them.
    fn of(&mut self, exe: &Path, daemon: Daemon) -> Option<PathBuf> {
        let program = match daemon {
            Daemon::Smbd | Daemon::Samba => exe.to_owned(),
            Daemon::Nmbd | Daemon::Winbindd | Daemon::Other => exe.with_file_name("smbd"),
        };
        if let Some(known) = self.by_program.get(&program) {
            return known.clone();
        }
        let answer = command::run(&program, &["-b"], command::COMMAND_TIMEOUT)
            .ok()
            .filter(|output| output.success)
            .and_then(|output| config_from_build_options(&output.stdout));
        self.by_program.insert(program, answer.clone());
        answer
    }
}

/// The config file of a running daemon: its command line, else its build's default,
/// else [`DEFAULT_CONFIG`]. A relative path is taken from the daemon's working directory.
pub(crate) fn config_of(process: &Process, defaults: &mut BuildDefaults) -> PathBuf {
    let path = config_from_cmdline(&process.cmdline)
        .or_else(|| defaults.of(&process.exe, process.daemon))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
    if path.is_relative() {
        if let Ok(cwd) = std::fs::read_link(format!("/proc/{}/cwd", process.pid)) {
            return cwd.join(path);
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmdline(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn finds_every_spelling_of_the_config_option() {
        let cases = [
            (
                "/usr/sbin/smbd --foreground -s /x/smb.conf",
                Some("/x/smb.conf"),
            ),
            ("/usr/sbin/smbd -s/x/smb.conf", Some("/x/smb.conf")),
            ("nmbd -D --configfile=/y", Some("/y")),
            ("nmbd -D --configfile /y", Some("/y")),
            ("smbd -Ds /z", Some("/z")),
            ("smbd -Fs/z", Some("/z")),
            ("smbd -d 3 -s /a -s /b", Some("/b")),
            ("smbd -d3s /not-a-config", None),
            ("smbd -d s", None),
            ("smbd --foreground --no-process-group", None),
            ("smbd -- -s /after-dashdash", None),
            ("smbd -s", None),
        ];
        for (line, want) in cases {
            assert_eq!(
                config_from_cmdline(&cmdline(line)),
                want.map(PathBuf::from),
                "{line}"
            );
        }
    }

    #[test]
    fn finds_option_overrides() {
        let args = [
            "smbd",
            "--option=smb ports=445",
            "-s",
            "/x",
            "--option",
            "disable netbios=yes",
            "--",
            "--option=after",
        ];
        let cmdline: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        assert_eq!(
            options_from_cmdline(&cmdline),
            ["smb ports=445", "disable netbios=yes"]
        );
    }

    #[test]
    fn ignores_build_output_without_configfile() {
        assert_eq!(
            config_from_build_options("Paths:\n   SBINDIR: /usr/sbin\n"),
            None
        );
        assert_eq!(config_from_build_options("   CONFIGFILE: \n"), None);
    }
}
