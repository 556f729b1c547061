//! Two agents over real UDP sockets on 127.0.0.1, with nutshell-relay as the STUN server,
//! driven by a small tokio loop.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use nutshell_ice::{
    ConnectionState, GatheringState, IceAgent, IceConfig, IceEvent, Received, Role,
};
use proto::{Protocol, Receive};
use tokio::net::UdpSocket;

struct Peer {
    agent: IceAgent,
    socket: UdpSocket,
    addr: SocketAddr,
    gathered_at: Option<Duration>,
    connected_at: Option<Duration>,
    data: Vec<Vec<u8>>,
}

impl Peer {
    async fn new(role: Role, seed: u64, stun: SocketAddr, now: Instant) -> Peer {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let cfg = IceConfig {
            role,
            seed,
            include_loopback: true,
            stun_servers: vec![stun],
            ..IceConfig::default()
        };
        let mut agent = IceAgent::new(cfg, now);
        assert!(agent.add_host_socket(addr).unwrap());
        Peer {
            agent,
            socket,
            addr,
            gathered_at: None,
            connected_at: None,
            data: Vec::new(),
        }
    }

    /// Sends what the agent queued and returns its events.
    async fn flush(&mut self, start: Instant) -> Vec<IceEvent> {
        while let Some(t) = self.agent.poll_transmit() {
            assert_eq!(t.source, self.addr);
            self.socket
                .send_to(&t.contents, t.destination)
                .await
                .unwrap();
        }
        let mut out = Vec::new();
        while let Some(e) = self.agent.poll_event() {
            match &e {
                IceEvent::GatheringState(GatheringState::Complete) => {
                    self.gathered_at.get_or_insert(start.elapsed());
                }
                IceEvent::ConnectionState(ConnectionState::Connected) => {
                    self.connected_at.get_or_insert(start.elapsed());
                }
                _ => {}
            }
            out.push(e);
        }
        out
    }
}

#[tokio::test(flavor = "current_thread")]
async fn two_agents_over_loopback_with_relay_stun() {
    let server = relay::server::Server::bind(relay::server::Config {
        listen: vec!["127.0.0.1:0".parse().unwrap()],
        ..relay::server::Config::default()
    })
    .await
    .unwrap();
    let stun = server.udp_addrs()[0];
    let server_task = tokio::spawn(server.run());

    let start = Instant::now();
    let mut a = Peer::new(Role::Controlling, 1, stun, start).await;
    let mut b = Peer::new(Role::Controlled, 2, stun, start).await;
    let (ua, pa) = a.agent.local_credentials();
    let (ua, pa) = (ua.to_string(), pa.to_string());
    let (ub, pb) = b.agent.local_credentials();
    let (ub, pb) = (ub.to_string(), pb.to_string());
    a.agent.set_remote_credentials(&ub, &pb).unwrap();
    b.agent.set_remote_credentials(&ua, &pa).unwrap();

    let mut buf_a = vec![0u8; 2048];
    let mut buf_b = vec![0u8; 2048];
    let deadline = start + Duration::from_secs(10);
    let mut sent_data = false;
    loop {
        // Drain both, trickling candidates across (signalling is instant here).
        let ea = a.flush(start).await;
        let eb = b.flush(start).await;
        for e in ea {
            if let IceEvent::LocalCandidate(c) = e {
                b.agent.add_remote_candidate(c).unwrap();
            }
        }
        for e in eb {
            if let IceEvent::LocalCandidate(c) = e {
                a.agent.add_remote_candidate(c).unwrap();
            }
        }
        if a.connected_at.is_some() && b.connected_at.is_some() && !sent_data {
            sent_data = true;
            let t = a.agent.send_to_selected(b"\x80ping from a").unwrap();
            a.socket.send_to(&t.contents, t.destination).await.unwrap();
            let t = b.agent.send_to_selected(b"\x80ping from b").unwrap();
            b.socket.send_to(&t.contents, t.destination).await.unwrap();
        }
        if !a.data.is_empty() && !b.data.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "no connection within 10 s");
        let next = [
            a.agent.poll_timeout(),
            b.agent.poll_timeout(),
            Some(deadline),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap();
        let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(next));
        tokio::select! {
            r = a.socket.recv_from(&mut buf_a) => {
                let (n, from) = r.unwrap();
                let recv = Receive { protocol: Protocol::Udp, source: from, destination: a.addr, contents: &buf_a[..n] };
                if a.agent.handle_receive(Instant::now(), recv) == Received::Data {
                    a.data.push(buf_a[..n].to_vec());
                }
            }
            r = b.socket.recv_from(&mut buf_b) => {
                let (n, from) = r.unwrap();
                let recv = Receive { protocol: Protocol::Udp, source: from, destination: b.addr, contents: &buf_b[..n] };
                if b.agent.handle_receive(Instant::now(), recv) == Received::Data {
                    b.data.push(buf_b[..n].to_vec());
                }
            }
            _ = sleep => {
                let now = Instant::now();
                a.agent.handle_timeout(now);
                b.agent.handle_timeout(now);
            }
        }
    }
    server_task.abort();

    assert_eq!(a.data, vec![b"\x80ping from b".to_vec()]);
    assert_eq!(b.data, vec![b"\x80ping from a".to_vec()]);
    // The STUN server answered: gathering completed at once instead of after 39.5 s of
    // retransmissions. On loopback the server-reflexive address equals the host address, so
    // it is redundant and pruned (RFC 8445 §5.1.3).
    for p in [&a, &b] {
        let g = p.gathered_at.unwrap();
        assert!(g < Duration::from_secs(1), "gathering took {g:?}");
        assert!(p.agent.stats().responses_received >= 2);
        assert_eq!(p.agent.local_candidates().count(), 1);
    }
    assert_eq!(a.agent.selected_tuple(), Some((a.addr, b.addr)));
    assert_eq!(b.agent.selected_tuple(), Some((b.addr, a.addr)));
    eprintln!(
        "loopback sockets: connected after {:?} / {:?} (wall time)",
        a.connected_at.unwrap(),
        b.connected_at.unwrap()
    );
}
