//! The demo's STUN server: nutshell-relay's Binding service behind a UDP socket loop that
//! also records each request and answer in the trace.

use std::net::SocketAddr;
use std::time::Duration;

use relay::binding::{BindingService, Outcome};
use tokio::net::UdpSocket;

use crate::trace::{Actor, Step, Trace};

/// Binds the STUN server on `addr` (UDP) and returns its address and the serving future.
pub async fn start(
    addr: SocketAddr,
    trace: Trace,
) -> std::io::Result<(SocketAddr, impl std::future::Future<Output = ()>)> {
    let socket = UdpSocket::bind(addr).await?;
    let local = socket.local_addr()?;
    Ok((local, serve(socket, trace)))
}

async fn serve(socket: UdpSocket, trace: Trace) {
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
        let who = trace.actor_of(source, Duration::from_millis(200)).await;
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
                        text: format!("Binding success: mapped address {source}"),
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
