//! The socket side: UDP and TCP listeners that feed datagrams and stream frames to the
//! protocol services and send back what they answer.
//!
//! Memory stays bounded under floods: each UDP socket has one receive buffer and one send
//! buffer; TCP connections are capped in number, each with a buffer of at most one message,
//! and closed when idle or when the stream stops looking like STUN.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::binding::BindingService;

/// Largest STUN message: a 20-byte header and a 16-bit body length.
const MAX_MESSAGE: usize = 20 + 65_535;

/// Server settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Addresses to listen on, each for UDP and TCP.
    pub listen: Vec<SocketAddr>,
    /// SOFTWARE attribute of responses.
    pub software: String,
    /// Most TCP connections open at once, over all listeners.
    pub max_tcp_connections: usize,
    /// A TCP connection that sends nothing for this long is closed.
    pub tcp_idle_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: vec![SocketAddr::from(([0, 0, 0, 0], 3478))],
            software: concat!("nutshell-relay ", env!("CARGO_PKG_VERSION")).to_string(),
            max_tcp_connections: 1024,
            tcp_idle_timeout: Duration::from_secs(60),
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Binding a socket failed.
    #[error("cannot listen on {proto} {addr}: {source}")]
    Bind {
        /// "udp" or "tcp".
        proto: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// No address to listen on.
    #[error("no listen address")]
    NoListenAddress,
}

/// A bound server, ready to [`run`](Server::run).
#[derive(Debug)]
pub struct Server {
    config: Config,
    udp: Vec<UdpSocket>,
    tcp: Vec<TcpListener>,
}

impl Server {
    /// Binds UDP and TCP on every listen address. With port 0, TCP takes the port UDP got.
    pub async fn bind(config: Config) -> Result<Server, Error> {
        if config.listen.is_empty() {
            return Err(Error::NoListenAddress);
        }
        let mut udp = Vec::new();
        let mut tcp = Vec::new();
        for &addr in &config.listen {
            let u = UdpSocket::bind(addr).await.map_err(|source| Error::Bind {
                proto: "udp",
                addr,
                source,
            })?;
            let tcp_addr = u.local_addr().unwrap_or(addr);
            let t = TcpListener::bind(tcp_addr)
                .await
                .map_err(|source| Error::Bind {
                    proto: "tcp",
                    addr: tcp_addr,
                    source,
                })?;
            udp.push(u);
            tcp.push(t);
        }
        Ok(Server { config, udp, tcp })
    }

    /// The bound UDP addresses.
    pub fn udp_addrs(&self) -> Vec<SocketAddr> {
        self.udp
            .iter()
            .filter_map(|s| s.local_addr().ok())
            .collect()
    }

    /// The bound TCP addresses.
    pub fn tcp_addrs(&self) -> Vec<SocketAddr> {
        self.tcp
            .iter()
            .filter_map(|s| s.local_addr().ok())
            .collect()
    }

    /// Serves until the future is dropped (the binary drops it on Ctrl-C).
    pub async fn run(self) {
        let mut tasks = JoinSet::new();
        let limit = Arc::new(Semaphore::new(self.config.max_tcp_connections));
        for socket in self.udp {
            let span = tracing::info_span!("udp", local = ?socket.local_addr().ok());
            tasks.spawn(serve_udp(socket, self.config.software.clone()).instrument(span));
        }
        for listener in self.tcp {
            tasks.spawn(serve_tcp(listener, self.config.clone(), Arc::clone(&limit)));
        }
        while tasks.join_next().await.is_some() {}
    }
}

async fn serve_udp(socket: UdpSocket, software: String) {
    let mut service = BindingService::new(software);
    let mut buf = vec![0u8; MAX_MESSAGE];
    let mut out = Vec::with_capacity(1500);
    loop {
        let (n, source) = match socket.recv_from(&mut buf).await {
            Ok(x) => x,
            Err(e) => {
                // ICMP errors from earlier sends surface here on some systems; keep serving.
                tracing::debug!(error = %e, "udp receive error");
                continue;
            }
        };
        out.clear();
        let input = buf.get(..n).unwrap_or_default();
        let outcome = service.handle(source, input, &mut out);
        tracing::trace!(%source, ?outcome, "udp");
        if !out.is_empty()
            && let Err(e) = socket.send_to(&out, source).await
        {
            tracing::debug!(%source, error = %e, "udp send error");
        }
    }
}

async fn serve_tcp(listener: TcpListener, config: Config, limit: Arc<Semaphore>) {
    let local = listener.local_addr().ok();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::debug!(?local, error = %e, "tcp accept error");
                // Out of file descriptors and the like: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&limit).try_acquire_owned() else {
            tracing::debug!(%peer, "too many tcp connections; closing");
            drop(stream);
            continue;
        };
        let software = config.software.clone();
        let idle = config.tcp_idle_timeout;
        let span = tracing::debug_span!("tcp", %peer);
        tokio::spawn(
            async move {
                let _permit = permit;
                let why = serve_tcp_connection(stream, peer, software, idle).await;
                tracing::debug!(%why, "tcp connection closed");
            }
            .instrument(span),
        );
    }
}

/// Serves one TCP connection: STUN messages framed back to back (RFC 8489 §6.2.2).
/// Returns why it ended.
async fn serve_tcp_connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    software: String,
    idle: Duration,
) -> &'static str {
    let mut service = BindingService::new(software);
    // Starts small; grows to the size of the largest frame seen, at most MAX_MESSAGE.
    let mut buf = vec![0u8; 1024];
    let mut filled = 0;
    let mut out = Vec::with_capacity(1500);
    loop {
        // Answer every complete frame in the buffer.
        loop {
            let head = buf.get(..filled).unwrap_or_default();
            let len = match stun::frame_len(head) {
                Ok(len) => len,
                Err(stun::Error::Truncated { .. }) => break,
                Err(_) => return "not STUN",
            };
            if filled < len {
                if buf.len() < len {
                    // Grow to the frame's size; `frame_len` is at most MAX_MESSAGE.
                    buf.resize(len.min(MAX_MESSAGE), 0);
                }
                break;
            }
            out.clear();
            let frame = buf.get(..len).unwrap_or_default();
            if stun::is_channel_data(frame) {
                // ChannelData needs TURN; skip it.
            } else {
                if !stun::is_stun(frame) {
                    return "not STUN";
                }
                service.handle(peer, frame, &mut out);
            }
            if !out.is_empty() && stream.write_all(&out).await.is_err() {
                return "write error";
            }
            buf.copy_within(len..filled, 0);
            filled -= len;
        }
        let Some(space) = buf.get_mut(filled..) else {
            return "buffer";
        };
        match tokio::time::timeout(idle, stream.read(space)).await {
            Err(_) => return "idle",
            Ok(Err(_)) => return "read error",
            Ok(Ok(0)) => return "eof",
            Ok(Ok(n)) => filled += n,
        }
    }
}
