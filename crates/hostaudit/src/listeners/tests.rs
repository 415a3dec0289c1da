//! The `/proc/net` parser on captured tables, sock_diag against it on live
//! loopback sockets, and hostile command lines.

use std::collections::BTreeSet;
use std::net::{IpAddr, TcpListener, UdpSocket};

use super::procs::split_cmdline;
use super::{RawSocket, diag, procnet};
use crate::model::{Family, Proto, Service};

/// (service, address, inode) of each socket.
fn keys(sockets: &[RawSocket]) -> BTreeSet<(Service, IpAddr, u64)> {
    sockets
        .iter()
        .map(|s| (s.service, s.addr, s.inode))
        .collect()
}

fn key(service: Service, addr: &str, inode: u64) -> (Service, IpAddr, u64) {
    (service, addr.parse().expect("test address"), inode)
}

fn parse_fixture(text: &str, family: Family, proto: Proto) -> Vec<RawSocket> {
    let (sockets, bad) = procnet::parse(text, family, proto);
    assert_eq!(bad, 0, "every line of a real table parses");
    sockets
}

#[test]
fn parses_captured_proc_net_tables_as_ss_showed_them() {
    // the expected sockets are the lines of tests/data/ss-ltnue.txt, captured with them
    let mut all = Vec::new();
    all.extend(parse_fixture(
        include_str!("../../tests/data/proc-net-tcp.txt"),
        Family::Ipv4,
        Proto::Tcp,
    ));
    all.extend(parse_fixture(
        include_str!("../../tests/data/proc-net-tcp6.txt"),
        Family::Ipv6,
        Proto::Tcp,
    ));
    all.extend(parse_fixture(
        include_str!("../../tests/data/proc-net-udp.txt"),
        Family::Ipv4,
        Proto::Udp,
    ));
    all.extend(parse_fixture(
        include_str!("../../tests/data/proc-net-udp6.txt"),
        Family::Ipv6,
        Proto::Udp,
    ));
    let expected: BTreeSet<_> = [
        key(Service::EPMAP, "10.77.2.1", 62347),
        key(Service::NBSS, "0.0.0.0", 62346),
        key(Service::EPMAP, "fd77:2::1", 62348),
        key(Service::SMB, "::", 62345),
        // [::ffff:127.0.0.1]:4450 takes only IPv4 to 127.0.0.1
        key(Service::tcp(4450), "127.0.0.1", 62353),
        key(Service::udp(1137), "127.0.0.1", 62352),
        key(Service::NBNS, "0.0.0.0", 62349),
        key(Service::NBDGM, "10.77.2.1", 62350),
        key(Service::NBNS, "::", 62351),
    ]
    .into_iter()
    .collect();
    // the ESTABLISHED TCP pair and the connected UDP socket are not listeners
    assert_eq!(keys(&all), expected);
    assert!(
        all.iter()
            .all(|s| s.v6only.is_none() && s.ifindex.is_none())
    );
}

#[test]
fn counts_lines_that_do_not_parse_and_keeps_the_rest() {
    let mut text = include_str!("../../tests/data/proc-net-tcp.txt").to_owned();
    for bad in [
        "garbage",
        "   9: ZZZZZZZZ:0087 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",
        "   9: 0100007F:0087 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0",
        "   9: 0100007F00:0087 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 7",
        "   9: 0100007F:10000 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 7",
        "   9: 0100007F:0087 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 -1",
        "   9: \u{fffd}\u{fffd}:0087",
    ] {
        text.push_str(bad);
        text.push('\n');
    }
    let (sockets, bad) = procnet::parse(&text, Family::Ipv4, Proto::Tcp);
    assert_eq!(bad, 7);
    assert_eq!(sockets.len(), 2);
    // an IPv6 table read as IPv4 parses nothing
    let (sockets, bad) = procnet::parse(
        include_str!("../../tests/data/proc-net-tcp6.txt"),
        Family::Ipv4,
        Proto::Tcp,
    );
    assert!(sockets.is_empty());
    assert_eq!(bad, 4);
}

/// sock_diag and `/proc/thread-self/net` see the same sockets (this test's own,
/// on loopback with ephemeral ports; nothing is sent), and sock_diag adds v6only.
#[test]
fn sock_diag_and_proc_net_agree_on_live_loopback_sockets() {
    let tcp4 = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let udp4 = UdpSocket::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let tcp6 = TcpListener::bind("[::1]:0").ok();
    let udp6 = UdpSocket::bind("[::1]:0").ok();
    let mut cases = vec![
        (
            Family::Ipv4,
            Proto::Tcp,
            tcp4.local_addr().expect("addr").port(),
        ),
        (
            Family::Ipv4,
            Proto::Udp,
            udp4.local_addr().expect("addr").port(),
        ),
    ];
    if let (Some(t), Some(u)) = (&tcp6, &udp6) {
        cases.push((
            Family::Ipv6,
            Proto::Tcp,
            t.local_addr().expect("addr").port(),
        ));
        cases.push((
            Family::Ipv6,
            Proto::Udp,
            u.local_addr().expect("addr").port(),
        ));
    }
    for (family, proto, port) in cases {
        let mine = |list: Vec<RawSocket>| -> Vec<RawSocket> {
            list.into_iter()
                .filter(|s| s.service.port == port)
                .collect()
        };
        let (from_diag, undecodable) = diag::sockets(family, proto).expect("sock_diag");
        assert_eq!(undecodable, 0);
        let from_diag = mine(from_diag);
        let (from_proc, bad) = procnet::sockets(family, proto).expect("/proc/net");
        assert_eq!(bad, 0);
        let from_proc = mine(from_proc);
        assert_eq!(
            from_diag.len(),
            1,
            "{family} {proto:?} {port}: {from_diag:?}"
        );
        assert_eq!(
            keys(&from_diag),
            keys(&from_proc),
            "{family} {proto:?} {port}"
        );
        let expected_v6only = match family {
            Family::Ipv4 => None,
            // bound to one IPv6 address: the kernel sets IPV6_V6ONLY
            Family::Ipv6 => Some(true),
        };
        assert_eq!(from_diag[0].v6only, expected_v6only);
        assert_eq!(from_diag[0].ifindex, None);
    }
}

#[test]
fn hostile_command_lines_are_capped_and_decoded_lossily() {
    assert_eq!(split_cmdline(b""), Vec::<String>::new());
    assert_eq!(
        split_cmdline(b"smbd\0-s\0/etc/smb.conf\0"),
        ["smbd", "-s", "/etc/smb.conf"]
    );
    assert_eq!(split_cmdline(b"no-trailing-nul"), ["no-trailing-nul"]);
    assert_eq!(split_cmdline(b"a\0\0b\0"), ["a", "", "b"]);
    assert_eq!(split_cmdline(b"\xff\xfesmbd\0"), ["\u{fffd}\u{fffd}smbd"]);
    let flood = vec![0u8; 100_000];
    assert_eq!(split_cmdline(&flood).len(), 1024);
}

/// A daemon whose executable was replaced on disk (a package upgrade) reads
/// `/proc/PID/exe` as `PATH (deleted)`: it is still named, and recognised.
/// Once it has exited, reading it is a "vanished" error, which callers skip.
#[test]
fn a_deleted_executable_is_still_recognised_and_an_exited_process_vanished() {
    use std::time::{Duration, Instant};

    use super::Daemon;
    use super::procs;

    let dir = tempfile::tempdir().expect("tempdir");
    let smbd = dir.path().join("smbd");
    std::fs::copy("/bin/sleep", &smbd).expect("copy /bin/sleep");
    // ETXTBSY when another test thread forks while the copy is open: retry a little
    let mut child = (0..20)
        .find_map(|_| {
            let spawned = std::process::Command::new(&smbd).arg("30").spawn();
            if spawned.is_err() {
                std::thread::sleep(Duration::from_millis(50));
            }
            spawned.ok()
        })
        .expect("spawn the copy");
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(10);
    let process = loop {
        let read = procs::process(pid).map(|(p, _)| p);
        if read
            .as_ref()
            .is_ok_and(|p| p.cmdline.get(1).map(String::as_str) == Some("30"))
            || Instant::now() >= deadline
        {
            break read;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    std::fs::remove_file(&smbd).expect("delete the copy");
    let after_delete = procs::process(pid).map(|(p, _)| p);
    let _ = child.kill();
    let _ = child.wait();

    let process = process.expect("the running copy");
    assert_eq!(process.exe, smbd);
    let after_delete = after_delete.expect("still running");
    assert_eq!(
        after_delete.exe, smbd,
        "the \" (deleted)\" suffix is dropped"
    );
    assert_eq!(after_delete.daemon, Daemon::Smbd);
    assert_eq!(
        after_delete.cmdline,
        [smbd.display().to_string(), "30".to_owned()]
    );

    let gone = procs::process(pid).expect_err("reaped");
    assert!(procs::vanished(&gone), "{gone}");
}

/// When sock_diag fails, `/proc/thread-self/net` still finds this test's own
/// loopback listener, with v6only and device unknown, and one line per family
/// and protocol says what is missing and why.
#[test]
fn falls_back_to_proc_net_when_sock_diag_fails() {
    let tcp4 = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let port = tcp4.local_addr().expect("addr").port();
    let service = Service::tcp(port);
    let (all, unreadable) = super::read::read_via(&[service], |_, _| {
        Err("opening a netlink socket: EPERM".into())
    });
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].addr, IpAddr::from([127, 0, 0, 1]));
    assert_eq!((all[0].v6only, all[0].device.as_deref()), (None, None));
    let owner = all[0].process.as_ref().expect("this test owns it");
    assert_eq!(owner.pid, std::process::id());
    let whats: Vec<&str> = unreadable.iter().map(|u| u.what.as_str()).collect();
    assert_eq!(
        whats,
        [
            "bound device of IPv4 TCP listeners",
            "IPV6_V6ONLY and bound device of IPv6 TCP listeners"
        ]
    );
    assert!(
        unreadable[0].why.contains("EPERM")
            && unreadable[0].why.contains("/proc/thread-self/net/tcp"),
        "{:?}",
        unreadable[0].why
    );
}

#[test]
fn daemons_are_named_by_the_executables_file_name() {
    use std::path::Path;

    use super::Daemon;
    for (exe, daemon) in [
        ("/usr/sbin/smbd", Daemon::Smbd),
        ("/usr/sbin/nmbd", Daemon::Nmbd),
        ("/usr/sbin/samba", Daemon::Samba),
        ("/usr/sbin/winbindd", Daemon::Winbindd),
        ("/opt/samba/sbin/smbd", Daemon::Smbd),
        ("/usr/libexec/samba/samba-dcerpcd", Daemon::Other),
        ("/usr/bin/smbd-lookalike", Daemon::Other),
        ("smbd/", Daemon::Smbd),
        ("", Daemon::Other),
    ] {
        assert_eq!(Daemon::of_exe(Path::new(exe)), daemon, "{exe}");
    }
}
