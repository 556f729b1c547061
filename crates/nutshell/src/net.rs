//! Sockets: interface enumeration, binding, ICE server URLs.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use tokio::net::UdpSocket;

use crate::{Error, Interfaces, Result};

/// The addresses [`Interfaces`] names.
pub(crate) fn addresses(interfaces: &Interfaces) -> Vec<IpAddr> {
    match interfaces {
        Interfaces::LoopbackOnly => vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
        Interfaces::Addrs(a) => a.clone(),
        Interfaces::All => match if_addrs::get_if_addrs() {
            Ok(list) => {
                let mut out: Vec<IpAddr> = list
                    .iter()
                    .map(|i| i.ip())
                    .filter(|ip| !ip.is_loopback() && !is_link_local(ip) && !ip.is_unspecified())
                    .collect();
                out.sort();
                out.dedup();
                out
            }
            Err(e) => {
                tracing::warn!(%e, "cannot enumerate interfaces");
                Vec::new()
            }
        },
    }
}

fn is_link_local(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

/// Binds one UDP socket on port 0 per address. Must run inside a runtime context.
pub(crate) fn bind_sockets(interfaces: &Interfaces) -> Result<Vec<(SocketAddr, UdpSocket)>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for ip in addresses(interfaces) {
        match bind(ip) {
            Ok(s) => out.push(s),
            Err(e) => {
                tracing::warn!(%ip, %e, "cannot bind");
                errors.push(format!("{ip}: {e}"));
            }
        }
    }
    if out.is_empty() {
        return Err(Error::NoSocket(if errors.is_empty() {
            "no usable interface address".into()
        } else {
            errors.join("; ")
        }));
    }
    Ok(out)
}

fn bind(ip: IpAddr) -> std::io::Result<(SocketAddr, UdpSocket)> {
    let std_socket = std::net::UdpSocket::bind(SocketAddr::new(ip, 0))?;
    std_socket.set_nonblocking(true)?;
    let addr = std_socket.local_addr()?;
    Ok((addr, UdpSocket::from_std(std_socket)?))
}

/// A STUN server, parsed; resolved in the task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IceServer {
    pub host: String,
    pub port: u16,
}

/// Parses `stun:HOST[:PORT]`, `stun:[V6]:PORT` or `HOST:PORT`.
pub(crate) fn parse_ice_server(url: &str) -> Result<IceServer> {
    let bad = || Error::InvalidIceServer(url.to_owned());
    let rest = url.trim();
    let rest = match rest.split_once(':') {
        Some((scheme, r)) if scheme.eq_ignore_ascii_case("stun") => r,
        Some((scheme, _))
            if scheme.eq_ignore_ascii_case("turn")
                || scheme.eq_ignore_ascii_case("turns")
                || scheme.eq_ignore_ascii_case("stuns") =>
        {
            return Err(bad());
        }
        _ => rest,
    };
    let rest = rest.split('?').next().unwrap_or_default();
    if let Ok(sa) = rest.parse::<SocketAddr>() {
        return Ok(IceServer {
            host: sa.ip().to_string(),
            port: sa.port(),
        });
    }
    if let Ok(ip) = rest
        .trim_matches(|c| c == '[' || c == ']')
        .parse::<IpAddr>()
    {
        return Ok(IceServer {
            host: ip.to_string(),
            port: 3478,
        });
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad())?),
        None => (rest, 3478),
    };
    if host.is_empty() || host.contains([':', '/', '@', ' ']) {
        return Err(bad());
    }
    Ok(IceServer {
        host: host.to_owned(),
        port,
    })
}

/// Resolves the servers (failures are logged and skipped).
pub(crate) async fn resolve(servers: &[IceServer]) -> Vec<SocketAddr> {
    let mut out = Vec::new();
    for s in servers {
        if let Ok(ip) = s.host.parse::<IpAddr>() {
            out.push(SocketAddr::new(ip, s.port));
            continue;
        }
        match tokio::net::lookup_host((s.host.as_str(), s.port)).await {
            Ok(addrs) => {
                if let Some(a) = addrs.into_iter().next() {
                    out.push(a);
                }
            }
            Err(e) => tracing::warn!(host = %s.host, %e, "cannot resolve STUN server"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ice_server_urls() {
        let p = |s| parse_ice_server(s).unwrap();
        assert_eq!(
            p("stun:127.0.0.1:3478"),
            IceServer {
                host: "127.0.0.1".into(),
                port: 3478
            }
        );
        assert_eq!(
            p("stun:stun.example.org"),
            IceServer {
                host: "stun.example.org".into(),
                port: 3478
            }
        );
        assert_eq!(p("stun:relay.test:19302?transport=udp").port, 19302);
        assert_eq!(
            p("[::1]:5000"),
            IceServer {
                host: "::1".into(),
                port: 5000
            }
        );
        assert_eq!(p("10.0.0.1:7").port, 7);
        assert!(parse_ice_server("turn:1.2.3.4").is_err());
        assert!(parse_ice_server("stun:host:notaport").is_err());
        assert!(parse_ice_server("stun:").is_err());
    }

    #[test]
    fn interfaces_flag() {
        assert_eq!(
            "loopback".parse::<Interfaces>().unwrap(),
            Interfaces::LoopbackOnly
        );
        assert_eq!("all".parse::<Interfaces>().unwrap(), Interfaces::All);
        assert_eq!(
            "10.77.0.2,::1".parse::<Interfaces>().unwrap(),
            Interfaces::Addrs(vec!["10.77.0.2".parse().unwrap(), "::1".parse().unwrap()])
        );
        assert!("10.77.0".parse::<Interfaces>().is_err());
    }

    #[test]
    fn all_excludes_loopback() {
        assert!(
            addresses(&Interfaces::All)
                .iter()
                .all(|ip| !ip.is_loopback())
        );
    }
}
