//! The demo's STUN server: nutshell-relay's Binding service behind a UDP socket loop that
//! also records each request and answer in the trace.

use std::net::SocketAddr;
use std::time::Duration;

use relay::binding::{BindingService, Outcome};
use tokio::net::UdpSocket;

use crate::trace::{Actor, Step, Trace};

/// Binds the STUN server on `addr` (UDP) and returns its address and the serving future.
/// `name_wait`: how long to wait for a client in this process to register the source address
/// of a request, so that the trace can name it (zero when no client runs in this process).
pub async fn start(
    addr: SocketAddr,
    trace: Trace,
    name_wait: Duration,
) -> std::io::Result<(SocketAddr, impl std::future::Future<Output = ()>)> {
    let socket = UdpSocket::bind(addr).await?;
    let local = socket.local_addr()?;
    Ok((local, serve(socket, trace, name_wait)))
}

async fn serve(socket: UdpSocket, trace: Trace, name_wait: Duration) {
    let mut service =
        BindingService::new(concat!("nutshell-relay (demo) ", env!("CARGO_PKG_VERSION")));
    let mut buf = vec![0u8; 2048];
    let mut out = Vec::with_capacity(512);
    loop {
        let (len, source) = match socket.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(%e, "STUN socket receive error");
                continue;
            }
        };
        let Some(input) = buf.get(..len) else {
            continue;
        };
        out.clear();
        let outcome = service.handle(source, input, &mut out);
        // The peer's sockets are registered just after they are bound; wait a moment for
        // that so the trace can name the client (or fall back to the address).
        let who = trace.actor_of(source, name_wait).await;
        let name = who.map_or_else(|| source.to_string(), |a| a.name().to_string());
        match (outcome, who) {
            (Outcome::Success(_), Some(actor)) => {
                trace.record(Step::Direct {
                    from: actor,
                    to: Actor::Stun,
                    text: format!("STUN Binding request from {source}"),
                });
                if socket.send_to(&out, source).await.is_ok() {
                    trace.record(Step::Direct {
                        from: Actor::Stun,
                        to: actor,
                        text: format!(
                            "Binding success: mapped address {source} (= {}'s own host \
                             address: no separate srflx candidate, RFC 8445 §5.1.3)",
                            actor.name()
                        ),
                    });
                }
            }
            (Outcome::Success(_), None) => {
                let _ = socket.send_to(&out, source).await;
                trace.note(Actor::Stun, format!("Binding success to {name}"));
            }
            (Outcome::ErrorResponse { code, .. }, _) => {
                let _ = socket.send_to(&out, source).await;
                trace.note(Actor::Stun, format!("error {code} to {name}"));
            }
            (Outcome::Dropped(why), _) => {
                tracing::debug!(?why, %source, "STUN message dropped");
            }
        }
    }
}
