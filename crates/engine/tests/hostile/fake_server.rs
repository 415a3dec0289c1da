//! In-process fake SMB servers, one behaviour per loopback address (127.0.0.1, .2, ...), all
//! on one port number, so that one scan meets every behaviour at once.
//!
//! Every server stops by itself: at most [`MAX_CONNECTIONS`] connections per address, each
//! served for at most [`CONNECTION_LIFETIME`] and writing at most [`WRITE_CAP`] bytes. All
//! tasks are aborted when the [`Farm`] is dropped.

use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::messages::{self, Request};

/// Connections accepted per address before the server stops listening.
const MAX_CONNECTIONS: u32 = 16;
/// How long one connection is served at most.
pub(crate) const CONNECTION_LIFETIME: Duration = Duration::from_secs(15);
/// Bytes one connection writes at most (the endless writers stop here).
pub(crate) const WRITE_CAP: u64 = 64 << 20;
/// The largest request frame the servers read (a NEGOTIATE with contexts is ~300 bytes).
const MAX_REQUEST: usize = 64 * 1024;
/// Length announced by the endless-data servers: 60 KiB, under the engine's 64 KiB cap.
pub(crate) const ENDLESS_ANNOUNCED: usize = 60 * 1024;
/// Seed of the garbage servers' bytes.
pub(crate) const GARBAGE_SEED: u64 = 0x5eed_f00d;
/// An HTTP server's answer to bytes it does not understand.
pub(crate) const HTTP_BANNER: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// How the fake servers frame messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// Direct TCP (445): 0x00 and a 24-bit length.
    Direct,
    /// NetBIOS session service (139): TYPE, FLAGS (E bit = 17th length bit), 16-bit length;
    /// a SESSION REQUEST comes first.
    Nbss,
}

impl Framing {
    /// The header of a SESSION MESSAGE of `len` bytes.
    fn header(self, len: usize) -> [u8; 4] {
        let [_, b1, b2, b3] = u32::try_from(len)
            .expect("frame length fits 32 bits")
            .to_be_bytes();
        match self {
            Self::Direct => [0, b1, b2, b3],
            Self::Nbss => [0, b1 & 1, b2, b3],
        }
    }

    /// The largest length the header can announce: 2^24 - 1 on 445, 2^17 - 1 on 139.
    pub(crate) fn max_len(self) -> usize {
        match self {
            Self::Direct => 0xFF_FFFF,
            Self::Nbss => 0x1_FFFF,
        }
    }
}

/// What a fake server does once the client has spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Behaviour {
    /// A small SMB2 server: NEGOTIATE answered with the highest offered dialect up to 3.0.2,
    /// SMB1 NEGOTIATE with DialectIndex 0xFFFF, SESSION_SETUP with STATUS_ACCESS_DENIED.
    Good,
    /// Answers every NEGOTIATE, SMB1 or SMB2, with a valid SMB2 NEGOTIATE response.
    Smb2ToEverything,
    /// A frame header announcing a NEGOTIATE response, then its bytes one per second.
    Trickle,
    /// A frame header announcing the largest length the framing can carry, then filler.
    HugeLength,
    /// These bytes, then silence with the connection held open.
    Send(&'static [u8]),
    /// 4 KiB of pseudo-random bytes ([`GARBAGE_SEED`]), then silence.
    RandomGarbage,
    /// A well-framed 200-byte message of pseudo-random bytes, then silence.
    GarbageMessage,
    /// Half of a NEGOTIATE response, then a reset (SO_LINGER 0).
    ResetMidReply,
    /// A header announcing [`ENDLESS_ANNOUNCED`] bytes, then bytes without end.
    Endless,
    /// NBSS SESSION KEEP ALIVE frames without end, as fast as they go.
    EndlessKeepAlives,
    /// One keep-alive every 600 ms: each frame is on time, the reply never comes.
    KeepAliveDrip,
    /// Accepts, reads, never writes.
    Silent,
    /// Closes each connection as soon as it is accepted.
    CloseAtOnce,
}

/// When on 139 the behaviour starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Session {
    /// A POSITIVE SESSION RESPONSE first, then the behaviour on the SMB messages.
    Positive,
    /// The behaviour is the answer to the SESSION REQUEST itself.
    Hostile,
}

/// One fake host.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// What it does.
    pub(crate) behaviour: Behaviour,
    /// On 139: when it starts.
    pub(crate) session: Session,
}

impl Plan {
    /// `behaviour` on SMB messages (after a positive session response on 139).
    pub(crate) fn smb(behaviour: Behaviour) -> Self {
        Self {
            behaviour,
            session: Session::Positive,
        }
    }

    /// `behaviour` as the answer to the session request (139).
    pub(crate) fn session(behaviour: Behaviour) -> Self {
        Self {
            behaviour,
            session: Session::Hostile,
        }
    }
}

/// What a fake host saw, for asserting that it was left alone in time.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Connections accepted.
    pub(crate) accepted: AtomicU32,
    /// Connections that ended because the client closed or reset them.
    pub(crate) peer_gone: AtomicU32,
    /// Connections that hit the server's own limits ([`WRITE_CAP`], [`CONNECTION_LIFETIME`]).
    pub(crate) capped: AtomicU32,
    /// Bytes written in all.
    pub(crate) written: AtomicU64,
}

impl Stats {
    pub(crate) fn accepted(&self) -> u32 {
        self.accepted.load(Ordering::SeqCst)
    }

    pub(crate) fn peer_gone(&self) -> u32 {
        self.peer_gone.load(Ordering::SeqCst)
    }

    pub(crate) fn capped(&self) -> u32 {
        self.capped.load(Ordering::SeqCst)
    }

    pub(crate) fn written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }
}

/// A fake host: its address, plan and counters.
#[derive(Debug, Clone)]
pub(crate) struct FakeHost {
    /// 127.0.0.N.
    pub(crate) ip: IpAddr,
    /// What it does.
    pub(crate) plan: Plan,
    /// What it saw.
    pub(crate) stats: Arc<Stats>,
}

/// Fake hosts on 127.0.0.1, .2, ... sharing one port. Dropping it stops them all.
#[derive(Debug)]
pub(crate) struct Farm {
    /// The shared port.
    pub(crate) port: u16,
    /// The hosts, in the order of the plans (127.0.0.1 first).
    pub(crate) hosts: Vec<FakeHost>,
    framing: Framing,
    tasks: JoinSet<()>,
}

impl Drop for Farm {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

impl Farm {
    /// Binds 127.0.0.1:0 to pick a port, the same port on 127.0.0.2, .3, ... (a new port if
    /// any of those is taken), and starts one server per plan.
    pub(crate) async fn start(framing: Framing, plans: &[Plan]) -> Self {
        assert!(!plans.is_empty() && plans.len() < 250);
        let (port, listeners) = 'pick: {
            for _ in 0..20 {
                let first = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                    .await
                    .expect("bind 127.0.0.1:0");
                let port = first.local_addr().expect("local addr").port();
                let mut listeners = vec![first];
                for n in 2..=plans.len() {
                    let ip = Ipv4Addr::new(127, 0, 0, u8::try_from(n).expect("few hosts"));
                    match TcpListener::bind((ip, port)).await {
                        Ok(l) => listeners.push(l),
                        Err(_) => break,
                    }
                }
                if listeners.len() == plans.len() {
                    break 'pick (port, listeners);
                }
            }
            panic!("no port free on all of 127.0.0.1..={}", plans.len());
        };
        let mut tasks = JoinSet::new();
        let mut hosts = Vec::new();
        for (listener, plan) in listeners.into_iter().zip(plans) {
            let ip = listener.local_addr().expect("local addr").ip();
            let stats = Arc::new(Stats::default());
            hosts.push(FakeHost {
                ip,
                plan: *plan,
                stats: Arc::clone(&stats),
            });
            tasks.spawn(listen(listener, framing, *plan, stats));
        }
        Self {
            port,
            hosts,
            framing,
            tasks,
        }
    }

    /// The framing the servers speak.
    pub(crate) fn framing(&self) -> Framing {
        self.framing
    }

    /// The host at 127.0.0.`n`.
    pub(crate) fn host(&self, n: u8) -> &FakeHost {
        &self.hosts[usize::from(n) - 1]
    }
}

async fn listen(listener: TcpListener, framing: Framing, plan: Plan, stats: Arc<Stats>) {
    // Dropping this set (when the listener task is aborted) aborts the connections too.
    let mut connections = JoinSet::new();
    while stats.accepted() < MAX_CONNECTIONS {
        let Ok((stream, _)) = listener.accept().await else {
            break;
        };
        stats.accepted.fetch_add(1, Ordering::SeqCst);
        let stats = Arc::clone(&stats);
        connections.spawn(async move {
            match tokio::time::timeout(CONNECTION_LIFETIME, serve(stream, framing, plan, &stats))
                .await
            {
                Ok(Ended::PeerGone) => stats.peer_gone.fetch_add(1, Ordering::SeqCst),
                Ok(Ended::Capped) | Err(_) => stats.capped.fetch_add(1, Ordering::SeqCst),
                Ok(Ended::ByUs) => 0,
            };
        });
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

/// How a connection ended.
enum Ended {
    /// The client closed or reset it.
    PeerGone,
    /// The server hit its own limit.
    Capped,
    /// The server closed it on purpose.
    ByUs,
}

/// One connection: the session service on 139, then the behaviour.
async fn serve(mut s: TcpStream, framing: Framing, plan: Plan, stats: &Stats) -> Ended {
    let mut conn = Conn {
        s: &mut s,
        framing,
        stats,
    };
    if plan.behaviour == Behaviour::CloseAtOnce && plan.session == Session::Hostile {
        return Ended::ByUs;
    }
    if framing == Framing::Nbss && plan.session == Session::Positive {
        match conn.read_frame().await {
            Ok(Some((0x81, _))) => {}
            Ok(Some(_)) => return Ended::ByUs,
            Ok(None) | Err(_) => return Ended::PeerGone,
        }
        if conn.write(&[0x82, 0, 0, 0]).await.is_err() {
            return Ended::PeerGone;
        }
    }
    if plan.behaviour == Behaviour::CloseAtOnce {
        return Ended::ByUs;
    }
    match plan.behaviour {
        Behaviour::Good | Behaviour::Smb2ToEverything => conn.answer(plan.behaviour).await,
        hostile => {
            // The client always speaks first: its session request or NEGOTIATE.
            match conn.read_frame().await {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => return Ended::PeerGone,
            }
            match conn.misbehave(hostile).await {
                Ok(ended) => ended,
                Err(_) => Ended::PeerGone,
            }
        }
    }
}

struct Conn<'a> {
    s: &'a mut TcpStream,
    framing: Framing,
    stats: &'a Stats,
}

impl Conn<'_> {
    /// Reads one frame: `(type, payload)`; `None` at end of stream.
    async fn read_frame(&mut self) -> io::Result<Option<(u8, Vec<u8>)>> {
        let mut head = [0u8; 4];
        match self.s.read_exact(&mut head).await {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let [kind, flags, hi, lo] = head;
        let len = match self.framing {
            Framing::Direct => {
                (usize::from(flags) << 16) | (usize::from(hi) << 8) | usize::from(lo)
            }
            Framing::Nbss => {
                (usize::from(flags & 1) << 16) | (usize::from(hi) << 8) | usize::from(lo)
            }
        };
        if len > MAX_REQUEST {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request too large",
            ));
        }
        let mut payload = vec![0; len];
        self.s.read_exact(&mut payload).await?;
        Ok(Some((kind, payload)))
    }

    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.s.write_all(bytes).await?;
        self.stats
            .written
            .fetch_add(bytes.len() as u64, Ordering::SeqCst);
        Ok(())
    }

    async fn send_message(&mut self, msg: &[u8]) -> io::Result<()> {
        let mut frame = self.framing.header(msg.len()).to_vec();
        frame.extend_from_slice(msg);
        self.write(&frame).await
    }

    /// The well-behaved servers: answer each request until the client leaves.
    async fn answer(&mut self, behaviour: Behaviour) -> Ended {
        loop {
            let msg = match self.read_frame().await {
                Ok(Some((0, msg))) => msg,
                Ok(Some(_)) => return Ended::ByUs,
                Ok(None) | Err(_) => return Ended::PeerGone,
            };
            let reply = match messages::parse_request(&msg) {
                Request::Smb2Negotiate {
                    message_id,
                    dialects,
                } => messages::answer_smb2_negotiate(message_id, &dialects),
                Request::Smb2Other {
                    command,
                    message_id,
                } => messages::smb2_error_response(
                    command,
                    message_id,
                    messages::STATUS_ACCESS_DENIED,
                ),
                Request::Smb1Negotiate { ids } => match behaviour {
                    Behaviour::Smb2ToEverything => messages::smb2_answer_to_smb1(),
                    _ => messages::smb1_no_common_dialect(ids),
                },
                Request::Other => return Ended::ByUs,
            };
            if self.send_message(&reply).await.is_err() {
                return Ended::PeerGone;
            }
        }
    }

    /// The hostile servers, once the client has sent its first frame.
    async fn misbehave(&mut self, behaviour: Behaviour) -> io::Result<Ended> {
        let reply = messages::smb2_negotiate_response(0, messages::MAX_DIALECT);
        match behaviour {
            Behaviour::Trickle => {
                self.write(&self.framing.header(reply.len())).await?;
                for byte in &reply {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    self.write(std::slice::from_ref(byte)).await?;
                }
                self.hold().await
            }
            Behaviour::HugeLength => {
                let max = self.framing.max_len();
                self.write(&self.framing.header(max)).await?;
                self.flood(&[0xAB; 16 * 1024]).await
            }
            Behaviour::Send(bytes) => {
                self.write(bytes).await?;
                self.hold().await
            }
            Behaviour::RandomGarbage => {
                self.write(&messages::pseudo_random(GARBAGE_SEED, 4096))
                    .await?;
                self.hold().await
            }
            Behaviour::GarbageMessage => {
                self.send_message(&messages::pseudo_random(GARBAGE_SEED, 200))
                    .await?;
                self.hold().await
            }
            Behaviour::ResetMidReply => {
                let mut half = self.framing.header(reply.len()).to_vec();
                half.extend_from_slice(&reply[..reply.len() / 2]);
                self.write(&half).await?;
                self.s.flush().await?;
                tokio::time::sleep(Duration::from_millis(50)).await;
                socket2::SockRef::from(&*self.s).set_linger(Some(Duration::ZERO))?;
                Ok(Ended::ByUs)
            }
            Behaviour::Endless => {
                self.write(&self.framing.header(ENDLESS_ANNOUNCED)).await?;
                self.flood(&[0xAB; 16 * 1024]).await
            }
            Behaviour::EndlessKeepAlives => self.flood(&[0x85, 0, 0, 0].repeat(1024)).await,
            Behaviour::KeepAliveDrip => loop {
                self.write(&[0x85, 0, 0, 0]).await?;
                tokio::time::sleep(Duration::from_millis(600)).await;
            },
            Behaviour::Silent => self.hold().await,
            Behaviour::Good | Behaviour::Smb2ToEverything | Behaviour::CloseAtOnce => {
                unreachable!("not a hostile behaviour")
            }
        }
    }

    /// Writes `chunk` again and again up to [`WRITE_CAP`].
    async fn flood(&mut self, chunk: &[u8]) -> io::Result<Ended> {
        let mut sent = 0u64;
        while sent < WRITE_CAP {
            self.write(chunk).await?;
            sent += chunk.len() as u64;
        }
        Ok(Ended::Capped)
    }

    /// Keeps the connection open, discarding what comes, until the client leaves.
    async fn hold(&mut self) -> io::Result<Ended> {
        let mut sink = [0u8; 1024];
        loop {
            if self.s.read(&mut sink).await? == 0 {
                return Ok(Ended::PeerGone);
            }
        }
    }
}
