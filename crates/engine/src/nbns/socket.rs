//! The one UDP socket a sweep uses.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};

use nix::sys::socket::{setsockopt, sockopt};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

/// Receive buffer we ask for. nbtscan loses replies in its own socket on a 4096-host farm
/// (its UdpRcvbufErrors match the missing hosts); 8 MiB holds ~100 k NBSTAT replies.
pub const RECV_BUFFER: usize = 8 << 20;
/// Send buffer we ask for, so bursts at a high rate do not stall on EAGAIN.
const SEND_BUFFER: usize = 4 << 20;

/// Whether the socket may send to broadcast addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Broadcast {
    /// Unicast only (the kernel refuses broadcast destinations).
    Deny,
    /// SO_BROADCAST set: for a broadcast name query.
    Allow,
}

/// Opens the sweep socket on `0.0.0.0:source_port` (0 = any port) with large buffers.
///
/// The receive buffer is forced past `net.core.rmem_max` with SO_RCVBUFFORCE when we are
/// root; otherwise the kernel clamps SO_RCVBUF, which is still better than the default.
pub(crate) fn open(source_port: u16, broadcast: Broadcast) -> io::Result<UdpSocket> {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_nonblocking(true)?;
    if setsockopt(&socket, sockopt::RcvBufForce, &RECV_BUFFER).is_err() {
        socket.set_recv_buffer_size(RECV_BUFFER)?;
    }
    if setsockopt(&socket, sockopt::SndBufForce, &SEND_BUFFER).is_err() {
        socket.set_send_buffer_size(SEND_BUFFER)?;
    }
    socket.set_broadcast(broadcast == Broadcast::Allow)?;
    socket.bind(&SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, source_port).into())?;
    UdpSocket::from_std(socket.into())
}
