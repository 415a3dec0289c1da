//! ICMP "destination unreachable" for the sweep's queries, read from the socket's error
//! queue (`IP_RECVERR`, ip(7)).
//!
//! An unconnected UDP socket hears nothing of ICMP unless `IP_RECVERR` is set; then each
//! error is queued with the destination of the datagram that caused it, so the one sweep
//! socket can still tell which target's 137/udp is closed (port unreachable) and which one a
//! router or firewall refused. nix gives the safe `recvmsg` with `MSG_ERRQUEUE`; no crate
//! reads the queue for a tokio socket, hence this module.

use std::io::{self, IoSliceMut};
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;

use nix::cmsg_space;
use nix::libc;
use nix::sys::socket::{ControlMessageOwned, MsgFlags, SockaddrIn, recvmsg};
pub use smbaudit_probe::observation::Unreachable;

/// `ICMP_DEST_UNREACH`.
const DEST_UNREACHABLE: u8 = 3;

/// Asks the kernel to queue ICMP errors on `sock`.
pub(crate) fn enable(sock: &impl std::os::fd::AsFd) -> io::Result<()> {
    nix::sys::socket::setsockopt(sock, nix::sys::socket::sockopt::Ipv4RecvErr, &true)
        .map_err(io::Error::from)
}

/// Takes one error from the queue: the destination that failed and why. `Ok(None)` for an
/// error that is not an ICMP destination unreachable (it is consumed and ignored);
/// `WouldBlock` when the queue is empty.
pub(crate) fn take(sock: &impl AsRawFd) -> io::Result<Option<(Ipv4Addr, Unreachable)>> {
    // The queued datagram's payload is not needed; the address and the control message are.
    let mut payload = [0u8; 64];
    let mut iov = [IoSliceMut::new(&mut payload)];
    let mut control = cmsg_space!(libc::sock_extended_err, libc::sockaddr_in);
    let msg = recvmsg::<SockaddrIn>(
        sock.as_raw_fd(),
        &mut iov,
        Some(&mut control),
        MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT,
    )
    .map_err(io::Error::from)?;
    let Some(target) = msg.address.map(|a| a.ip()) else {
        return Ok(None);
    };
    for cmsg in msg.cmsgs().map_err(io::Error::from)? {
        if let ControlMessageOwned::Ipv4RecvErr(err, offender) = cmsg {
            let icmp = err.ee_origin == libc::SO_EE_ORIGIN_ICMP;
            if icmp && err.ee_type == DEST_UNREACHABLE {
                let from = offender
                    .map(|o| Ipv4Addr::from(u32::from_be(o.sin_addr.s_addr)))
                    .filter(|a| !a.is_unspecified());
                return Ok(Some((
                    target,
                    Unreachable {
                        code: err.ee_code,
                        from,
                    },
                )));
            }
        }
    }
    Ok(None)
}
