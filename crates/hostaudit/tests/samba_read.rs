//! Reading real configurations with the installed testparm and with our parser.

mod common;

use std::io;
use std::path::Path;

use common::{Lab, agreed};
use smbaudit_hostaudit::samba::{self, Preferred, SambaParams};

fn words(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}

#[test]
fn lab_defaults_read_the_same_both_ways_and_equal_samba_defaults() {
    let lab = Lab::new();
    let params = agreed(&lab, "defaults.conf", common::DEFAULTS);
    assert_eq!(params, SambaParams::samba_defaults());
    assert_eq!(params.smb_ports, [445, 139]);
    assert_eq!(params.server_min_protocol, "SMB2_02");
    assert_eq!(params.server_signing, "default");
    assert_eq!(params.map_to_guest, "Never");
    assert_eq!(params.server_role, "auto");
    assert_eq!(params.restrict_anonymous, 0);
    assert!(!params.disable_netbios && !params.bind_interfaces_only);
    assert_eq!(
        params.server_smb_transports, None,
        "Samba 4.17 has no such parameter"
    );
}

#[test]
fn lab_interfaces_and_bind_only_read_the_same_both_ways() {
    let lab = Lab::new();
    let params = agreed(&lab, "interfaces.conf", common::INTERFACES);
    assert_eq!(words(&params.interfaces), ["lo", "eth1"]);
    assert!(params.bind_interfaces_only);
}

#[test]
fn lab_no_netbios_reads_the_same_both_ways() {
    let lab = Lab::new();
    let params = agreed(&lab, "nonetbios.conf", common::NO_NETBIOS);
    assert!(params.disable_netbios);
    assert_eq!(params.smb_ports, [445]);
}

#[test]
fn lab_guest_shares_read_the_same_both_ways() {
    let lab = Lab::new();
    let params = agreed(&lab, "guests.conf", common::GUESTS);
    assert_eq!(words(&params.guest_ok_shares), ["public", "dropbox"]);
    assert_eq!(params.restrict_anonymous, 2);
    assert_eq!(params.map_to_guest, "Bad User");
    assert_eq!(words(&params.hosts_allow), ["192.168.1.0/24", "127.0.0.1"]);
    assert_eq!(words(&params.hosts_deny), ["ALL"]);
    assert_eq!(params.server_min_protocol, "SMB3");
    assert_eq!(params.server_signing, "required");
}

#[test]
fn samba_parser_quirks_read_the_same_both_ways() {
    let lab = Lab::new();
    let params = agreed(&lab, "quirks.conf", common::QUIRKS);
    assert_eq!(
        words(&params.interfaces),
        [
            "eth1;speed=1000,capability=RSS",
            "lo",
            "10.1.2.3/24",
            "eth2",
            "speed=10",
            "192.168.5.0/255.255.255.0"
        ]
    );
    assert!(
        params.bind_interfaces_only,
        "the spaced spelling, not the underscored one"
    );
    assert_eq!(
        params.smb_ports,
        [445, 139],
        "a global parameter in a share is ignored"
    );
    assert_eq!(params.server_min_protocol, "SMB2");
    assert_eq!(params.server_signing, "if_required");
    assert_eq!(params.map_to_guest, "Bad Uid");
    assert_eq!(params.restrict_anonymous, 1);
    assert_eq!(words(&params.hosts_allow), ["192.168.0.0/16", "fe80::/64"]);
    assert_eq!(words(&params.hosts_deny), ["ALL", "EXCEPT", "10.9."]);
    // [share-before] predates `guest ok = yes` in [global]; [after] turns it off.
    assert_eq!(words(&params.guest_ok_shares), [" spaced name "]);
}

#[test]
fn enum_and_boolean_spellings_print_as_testparm_prints_them() {
    let lab = Lab::new();
    let cases = [
        (
            "server signing",
            &[
                "No", "off", "disabled", "Yes", "enabled", "desired", "force",
            ][..],
        ),
        (
            "server min protocol",
            &[
                "smb3_11", "SMB3_02", "SMB3_00", "SMB2_02", "NT1", "CORE+", "default",
            ],
        ),
        ("map to guest", &["never", "bad password", "Bad  User"]),
        (
            "server role",
            &[
                "standalone",
                "member server",
                "dc",
                "classic primary domain controller",
            ],
        ),
        ("disable netbios", &["TRUE", "off", "1"]),
    ];
    for (name, spellings) in cases {
        for spelling in spellings {
            let text = format!("[global]\n{name} = {spelling}\n");
            agreed(&lab, "spelling.conf", &text);
        }
    }
}

#[test]
fn values_samba_refuses_make_both_ways_unreadable() {
    let lab = Lab::new();
    for (name, text) in [
        ("bool.conf", "[global]\ndisable netbios = maybe\n"),
        ("enum.conf", "[global]\nmap to guest = bogus\n"),
        ("section.conf", "[global\n"),
        ("noname.conf", "[global]\n= value\n"),
    ] {
        let path = lab.write(name, text);
        let by_testparm = samba::read_file(&path, Preferred::Testparm);
        let by_parser = samba::read_file(&path, Preferred::Parser);
        let testparm_why = by_testparm.expect_err(name).why;
        assert!(
            testparm_why.starts_with("testparm failed"),
            "{name}: {testparm_why}"
        );
        let parser_why = by_parser.expect_err(name).why;
        assert!(parser_why.contains("Samba refuses"), "{name}: {parser_why}");
    }
}

#[test]
fn include_chains_are_followed_textually_both_ways() {
    let lab = Lab::new();
    let dir = lab.path().display().to_string();
    lab.write("c.conf", "[inc-share]\n path = /tmp\n");
    lab.write(
        "b.conf",
        format!("smb ports = 445\ninclude = {dir}/c.conf\ninclude = {dir}/missing.conf\n"),
    );
    let top = format!(
        "[global]\ninterfaces = lo\ninclude = {dir}/b.conf\n# now in [inc-share]:\nguest ok = yes\n\
         [global]\ninclude = {dir}/%m.conf\nrestrict anonymous = 2\n"
    );
    let params = agreed(&lab, "a.conf", &top);
    assert_eq!(params.smb_ports, [445]);
    assert_eq!(words(&params.interfaces), ["lo"]);
    assert_eq!(words(&params.guest_ok_shares), ["inc-share"]);
    assert_eq!(params.restrict_anonymous, 2);
    let notes = samba::read_file(&lab.path().join("a.conf"), Preferred::Parser)
        .expect("parsed")
        .notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("missing.conf: no such file")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("%m.conf: Samba expands")),
        "{notes:?}"
    );
}

#[test]
fn an_include_loop_is_unreadable_with_its_chain() {
    let lab = Lab::new();
    let a = lab.path().join("a.conf");
    let b = lab.path().join("b.conf");
    lab.write("a.conf", format!("[global]\ninclude = {}\n", b.display()));
    lab.write("b.conf", format!("[global]\ninclude = {}\n", a.display()));
    let parsed = samba::read_file(&a, Preferred::Parser).expect_err("loop");
    assert_eq!(parsed.what, a.display().to_string());
    assert_eq!(
        parsed.why,
        format!(
            "include loop: {} -> {} -> {}",
            a.display(),
            b.display(),
            a.display()
        )
    );
    let by_testparm = samba::read_file(&a, Preferred::Testparm).expect_err("loop");
    assert!(
        by_testparm.why.contains("Maximum include depth"),
        "{}",
        by_testparm.why
    );
}

#[test]
fn a_missing_file_or_a_directory_is_unreadable() {
    let lab = Lab::new();
    for method in [Preferred::Testparm, Preferred::Parser] {
        let missing = samba::read_file(&lab.path().join("nope.conf"), method).expect_err("missing");
        assert_eq!(missing.why, "no such file");
        let dir = samba::read_file(lab.path(), method).expect_err("directory");
        assert_eq!(dir.why, "is a directory, not a config file");
    }
}

/// An include the reader cannot read (whatever the reason) stops the parse.
#[test]
fn an_include_that_cannot_be_read_is_unreadable() {
    let text_of = |path: &Path| -> io::Result<String> {
        match path.to_str() {
            Some("/top.conf") => Ok("[global]\ninclude = /secret.conf\n".to_owned()),
            _ => Err(io::ErrorKind::PermissionDenied.into()),
        }
    };
    let error = samba::parse(&text_of, Path::new("/top.conf")).expect_err("denied");
    assert_eq!(error.what, "/secret.conf");
    assert_eq!(
        error.why,
        "included from /top.conf: permission denied: run as root"
    );
}

/// Deterministic noise (xorshift64), so a failure can be replayed.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed.to_le_bytes()[0]
        })
        .collect()
}

#[test]
fn garbage_bytes_never_panic_and_fail_as_testparm_fails() {
    let lab = Lab::new();
    for seed in 1..=32_u64 {
        let path = lab.write("garbage.conf", noise(64 << 10, seed));
        let by_testparm = samba::read_file(&path, Preferred::Testparm);
        let by_parser = samba::read_file(&path, Preferred::Parser);
        assert_eq!(
            by_testparm.is_ok(),
            by_parser.is_ok(),
            "seed {seed}: {by_testparm:?} vs {by_parser:?}"
        );
    }
    // Garbage inside valid structure: unknown names and non-UTF-8 values are skipped.
    let mut text = b"[global]\nsmb ports = 445\n".to_vec();
    text.extend(b"\xff\xfe = \x00\x01\n\x80abc\n[s\xc3\x28]\npath = /tmp\nguest ok = yes\n");
    let path = lab.write("structured.conf", &text);
    let (by_testparm, by_parser) = common::both(&path);
    assert_eq!(by_testparm.params.smb_ports, [445]);
    assert_eq!(by_testparm.params.guest_ok_shares.len(), 1);
    assert_eq!(by_parser.params.smb_ports, by_testparm.params.smb_ports);
    assert_eq!(by_parser.params.guest_ok_shares.len(), 1);
}

#[test]
fn a_ten_megabyte_file_is_refused_unread() {
    let lab = Lab::new();
    let mut text = b"[global]\n".to_vec();
    text.resize(10 << 20, b'#');
    let path = lab.write("big.conf", &text);
    for method in [Preferred::Testparm, Preferred::Parser] {
        let error = samba::read_file(&path, method).expect_err("too big");
        assert!(
            error.why.contains("larger than 8 MiB"),
            "{method:?}: {}",
            error.why
        );
    }
    // The budget covers includes too: four 3 MiB includes are over it.
    let part = lab.write("part.conf", vec![b'#'; 3 << 20]);
    let includes = format!("include = {}\n", part.display()).repeat(4);
    let top = lab.write("top.conf", format!("[global]\n{includes}"));
    let error = samba::read_file(&top, Preferred::Parser).expect_err("budget");
    assert!(error.why.contains("larger than 8 MiB"), "{}", error.why);
}

#[test]
fn a_file_testparm_calls_inconsistent_is_read_with_its_errors_as_notes() {
    let lab = Lab::new();
    let path = lab.write("member.conf", "[global]\nserver role = member server\n");
    let (by_testparm, by_parser) = common::both(&path);
    assert_eq!(by_testparm.params, by_parser.params);
    assert_eq!(by_testparm.params.server_role, "member server");
    assert!(
        by_testparm
            .notes
            .iter()
            .any(|n| n.contains("ERROR: Invalid idmap range")),
        "{:?}",
        by_testparm.notes
    );
}

/// Run only by `mode_000_files_are_unreadable_to_a_user_without_root`, as nobody: reads
/// the file named by SCF_READ both ways and prints the outcomes.
#[test]
#[ignore = "runs as a child of mode_000_files_are_unreadable_to_a_user_without_root"]
fn child_reads_the_file_named_in_env() {
    let path = std::env::var_os("SCF_READ").expect("SCF_READ");
    for method in [Preferred::Testparm, Preferred::Parser] {
        match samba::read_file(Path::new(&path), method) {
            Ok(config) => println!("RESULT {method:?} ok {:?}", config.method),
            Err(e) => println!("RESULT {method:?} what={} why={}", e.what, e.why),
        }
    }
}

/// Root reads mode-000 files, so the reading runs in a child of this test binary with
/// its privileges dropped to nobody by setpriv.
#[test]
fn mode_000_files_are_unreadable_to_a_user_without_root() {
    use std::os::unix::fs::PermissionsExt;
    let lab = Lab::new();
    let secret = lab.write("secret.conf", "[global]\nsmb ports = 445\n");
    let top = lab.write(
        "top.conf",
        format!("[global]\ninclude = {}\n", secret.display()),
    );
    let mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod")
    };
    mode(lab.path(), 0o755);
    mode(&top, 0o644);
    mode(&secret, 0o000);
    let run_as_nobody = |path: &Path| {
        let output = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(std::env::current_exe().expect("test binary"))
            .args([
                "--exact",
                "child_reads_the_file_named_in_env",
                "--ignored",
                "--nocapture",
            ])
            .env("SCF_READ", path)
            .output()
            .expect("setpriv (util-linux)");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let direct = run_as_nobody(&secret);
    for method in ["Testparm", "Parser"] {
        let want = format!(
            "RESULT {method} what={} why=permission denied: run as root",
            secret.display()
        );
        assert!(direct.contains(&want), "{direct}");
    }
    let included = run_as_nobody(&top);
    let want = format!(
        "RESULT Parser what={} why=included from {}: permission denied: run as root",
        secret.display(),
        top.display()
    );
    assert!(included.contains(&want), "{included}");
    // testparm itself refuses a file with an include it cannot read.
    assert!(
        included.contains("RESULT Testparm what=") && included.contains("testparm failed"),
        "{included}"
    );
}

#[test]
fn a_file_of_exactly_the_limit_is_read_and_one_byte_more_is_not() {
    let lab = Lab::new();
    let mut text = b"[global]\nsmb ports = 445\n".to_vec();
    text.resize(samba::MAX_CONFIG_BYTES, b'#');
    let at_limit = lab.write("limit.conf", &text);
    let (by_testparm, by_parser) = common::both(&at_limit);
    assert_eq!(by_testparm.params.smb_ports, [445]);
    assert_eq!(by_parser.params, by_testparm.params);
    text.push(b'#');
    let over = lab.write("over.conf", &text);
    for method in [Preferred::Testparm, Preferred::Parser] {
        let error = samba::read_file(&over, method).expect_err("over the limit");
        assert!(
            error.why.contains("larger than 8 MiB"),
            "{method:?}: {}",
            error.why
        );
    }
}
