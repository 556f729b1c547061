//! Two agents over an in-memory link: connect, roles, trickle, consent, restart, floods.

use std::time::Duration;

use nutshell_ice::{CandidateKind, ConnectionState, IceConfig, IceEvent, Role};
use proto::Receive;
use stun::{Attribute, Encoder, Key, MessageType, TransactionId};

use crate::support::{Pair, config, from_sdp, to_sdp};

#[test]
fn sdp_round_trip() {
    let line = "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 10.0.0.2 rport 5000 generation 0 ufrag abcd";
    let c = from_sdp(line).unwrap();
    assert_eq!(c.kind, CandidateKind::ServerReflexive);
    assert_eq!(c.address, "203.0.113.7:61665".parse().unwrap());
    assert_eq!(c.related_address, Some("10.0.0.2:5000".parse().unwrap()));
    assert_eq!(c.extension("ufrag"), Some("abcd"));
    assert!(to_sdp(&c).starts_with(
        "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 10.0.0.2 rport 5000"
    ));
    // mDNS names cannot be used by the agent.
    assert!(from_sdp("candidate:1 1 udp 2122260223 abc.local 5000 typ host").is_none());
}

#[test]
fn host_to_host_connects() {
    let mut p = Pair::loopback(config(Role::Controlling, 1), config(Role::Controlled, 2));
    assert!(p.run_until(Duration::from_secs(5), |p| p.both_connected()));
    let t = p.elapsed();
    assert!(t < Duration::from_millis(300), "connected after {t:?}");
    let (la, ra) = p.a.agent.selected_pair().unwrap();
    assert_eq!(la.kind, CandidateKind::Host);
    assert_eq!(ra.address, "127.0.0.1:20000".parse().unwrap());
    let (_, rb) = p.b.agent.selected_pair().unwrap();
    assert_eq!(rb.address, "127.0.0.1:10000".parse().unwrap());
    // Data both ways is recognised as data.
    p.send(0, b"\x80hello");
    p.send(1, b"\x80world");
    p.run_until(Duration::from_millis(100), |p| {
        !p.a.data.is_empty() && !p.b.data.is_empty()
    });
    assert_eq!(p.b.data, vec![b"\x80hello".to_vec()]);
    assert_eq!(p.a.data, vec![b"\x80world".to_vec()]);
    // Completed once both sides signalled end-of-candidates.
    p.a.agent.end_of_remote_candidates();
    p.b.agent.end_of_remote_candidates();
    assert!(p.run_until(Duration::from_secs(2), |p| {
        p.a.agent.connection_state() == ConnectionState::Completed
            && p.b.agent.connection_state() == ConnectionState::Completed
    }));
    // Events in order: checking, connected, completed.
    assert_eq!(
        p.a.states(),
        vec![
            ConnectionState::Checking,
            ConnectionState::Connected,
            ConnectionState::Completed
        ]
    );
    assert_eq!(p.a.agent.role(), Role::Controlling);
    assert_eq!(p.b.agent.role(), Role::Controlled);
}

#[test]
fn keeps_connected_with_consent() {
    let mut p = Pair::loopback(config(Role::Controlling, 3), config(Role::Controlled, 4));
    assert!(p.run_until(Duration::from_secs(5), |p| p.both_connected()));
    // A minute of consent checks keeps both connected.
    p.run_until(Duration::from_secs(60), |_| false);
    assert!(p.both_connected());
    assert!(!p.a.states().contains(&ConnectionState::Disconnected));
    assert!(!p.b.states().contains(&ConnectionState::Disconnected));
    let s = p.a.agent.stats();
    // About 60 / 2 consent checks.
    assert!(s.checks_sent > 20 && s.checks_sent < 60, "{s:?}");
}

fn role_conflict(role: Role) {
    let mut p = Pair::loopback(config(role, 5), config(role, 6));
    assert!(p.run_until(Duration::from_secs(5), |p| p.both_connected()));
    assert_ne!(p.a.agent.role(), p.b.agent.role());
    let changed = |s: &crate::support::Side| {
        s.events
            .iter()
            .any(|(_, e)| matches!(e, IceEvent::RoleChanged(_)))
    };
    assert!(changed(&p.a) ^ changed(&p.b), "exactly one side switches");
    assert!(p.a.agent.stats().role_conflicts + p.b.agent.stats().role_conflicts > 0);
    assert!(p.elapsed() < Duration::from_secs(1));
}

#[test]
fn role_conflict_both_controlling() {
    role_conflict(Role::Controlling);
}

#[test]
fn role_conflict_both_controlled() {
    role_conflict(Role::Controlled);
}

#[test]
fn trickle_after_checks_started() {
    let mut p = Pair::new(config(Role::Controlling, 7), config(Role::Controlled, 8));
    p.trickle = false;
    p.a.agent
        .add_host_socket("127.0.0.1:10000".parse().unwrap())
        .unwrap();
    p.b.agent
        .add_host_socket("127.0.0.1:20000".parse().unwrap())
        .unwrap();
    p.exchange_credentials();
    // A knows an unreachable candidate of B's first: checks start and fail on it.
    let mut dead = nutshell_ice::Candidate::new(
        CandidateKind::Host,
        "127.0.0.1:29999".parse().unwrap(),
        2_130_706_431,
        "9",
    );
    dead.component = 1;
    p.a.agent.add_remote_candidate(dead).unwrap();
    p.run_until(Duration::from_millis(500), |_| false);
    assert_eq!(p.a.agent.connection_state(), ConnectionState::Checking);
    let s = p.a.agent.stats();
    assert!(s.checks_sent + s.retransmissions >= 2, "{s:?}");
    // Now B's real candidate trickles in (and A's to B).
    let cb: Vec<_> = p.b.agent.local_candidates().cloned().collect();
    let ca: Vec<_> = p.a.agent.local_candidates().cloned().collect();
    for c in cb {
        p.a.agent.add_remote_candidate(c).unwrap();
    }
    for c in ca {
        p.b.agent.add_remote_candidate(c).unwrap();
    }
    let t0 = p.elapsed();
    assert!(p.run_until(Duration::from_secs(5), |p| p.both_connected()));
    assert!(p.elapsed() - t0 < Duration::from_secs(1));
    assert_eq!(
        p.a.agent.selected_tuple().unwrap().1,
        "127.0.0.1:20000".parse().unwrap()
    );
}

#[test]
fn checks_before_remote_credentials_make_prflx() {
    // B learns A's credentials late (the answer arrives after A's checks): A's checks are
    // answered, and B checks back once it has A's password.
    let mut p = Pair::new(config(Role::Controlling, 9), config(Role::Controlled, 10));
    p.trickle = false;
    p.a.agent
        .add_host_socket("127.0.0.1:10000".parse().unwrap())
        .unwrap();
    p.b.agent
        .add_host_socket("127.0.0.1:20000".parse().unwrap())
        .unwrap();
    let (ub, pb) = p.b.agent.local_credentials();
    let (ub, pb) = (ub.to_string(), pb.to_string());
    p.a.agent.set_remote_credentials(&ub, &pb).unwrap();
    for c in p.b.agent.local_candidates().cloned().collect::<Vec<_>>() {
        p.a.agent.add_remote_candidate(c).unwrap();
    }
    p.run_until(Duration::from_millis(300), |_| false);
    // B saw A only through its checks: a peer-reflexive remote candidate.
    let rb: Vec<_> = p.b.agent.remote_candidates().cloned().collect();
    assert_eq!(rb.len(), 1);
    assert_eq!(rb[0].kind, CandidateKind::PeerReflexive);
    let (ua, pa) = p.a.agent.local_credentials();
    let (ua, pa) = (ua.to_string(), pa.to_string());
    p.b.agent.set_remote_credentials(&ua, &pa).unwrap();
    assert!(p.run_until(Duration::from_secs(5), |p| p.both_connected()));
    assert_eq!(
        p.b.agent.selected_pair().unwrap().1.kind,
        CandidateKind::PeerReflexive
    );
    // The signalled candidate arriving later upgrades the peer-reflexive one.
    for c in p.a.agent.local_candidates().cloned().collect::<Vec<_>>() {
        p.b.agent.add_remote_candidate(c).unwrap();
    }
    assert_eq!(
        p.b.agent.remote_candidates().next().unwrap().kind,
        CandidateKind::Host
    );
}

fn consent_config(role: Role, seed: u64) -> IceConfig {
    IceConfig {
        consent_interval: Duration::from_secs(1),
        disconnected_timeout: Duration::from_secs(4),
        failed_timeout: Duration::from_secs(12),
        ..config(role, seed)
    }
}

#[test]
fn consent_loss_disconnected_then_failed() {
    let mut p = Pair::loopback(
        consent_config(Role::Controlling, 11),
        consent_config(Role::Controlled, 12),
    );
    assert!(p.run_until(Duration::from_secs(5), |p| p.both_connected()));
    // From now on B stops answering (every datagram from B is lost).
    let cut = p.elapsed();
    p.drop = Box::new(|from, _, _| from == 1);
    assert!(p.run_until(Duration::from_secs(30), |p| {
        p.a.agent.connection_state() == ConnectionState::Failed
    }));
    let disc = p.a.state_at(ConnectionState::Disconnected).unwrap() - cut;
    let failed = p.a.state_at(ConnectionState::Failed).unwrap() - cut;
    // The last response came at most one consent interval (1.2 s with jitter) before the cut.
    assert!(
        disc >= Duration::from_millis(2800) && disc <= Duration::from_secs(4),
        "{disc:?}"
    );
    assert!(
        failed >= Duration::from_millis(10800) && failed <= Duration::from_secs(12),
        "{failed:?}"
    );
    assert_eq!(
        p.a.agent.send_to_selected(b"x"),
        Err(nutshell_ice::Error::ConsentExpired)
    );
    // Consent failure is final: nothing more is scheduled but nothing panics either.
    p.run_until(Duration::from_secs(10), |_| false);
    assert_eq!(p.a.agent.connection_state(), ConnectionState::Failed);
}

#[test]
fn consent_recovers_from_disconnected() {
    let mut p = Pair::loopback(
        consent_config(Role::Controlling, 13),
        consent_config(Role::Controlled, 14),
    );
    assert!(p.run_until(Duration::from_secs(5), |p| p.both_connected()));
    let cut = p.elapsed();
    // B is silent for 6 s, then answers again.
    p.drop = Box::new(move |from, _, t| from == 1 && t >= cut && t < cut + Duration::from_secs(6));
    assert!(p.run_until(Duration::from_secs(20), |p| {
        p.a.agent.connection_state() == ConnectionState::Disconnected
    }));
    assert!(p.run_until(Duration::from_secs(20), |p| {
        p.a.agent.connection_state() == ConnectionState::Connected
    }));
    assert!(!p.a.states().contains(&ConnectionState::Failed));
}

#[test]
fn ice_restart_keeps_old_pair_until_new_one_works() {
    let mut p = Pair::loopback(config(Role::Controlling, 15), config(Role::Controlled, 16));
    assert!(p.run_until(Duration::from_secs(5), |p| p.both_connected()));
    let old_a = p.a.agent.local_credentials().0.to_string();
    p.a.agent.restart();
    let new_a = p.a.agent.local_credentials().0.to_string();
    assert_ne!(old_a, new_a);
    // Data still flows on the old pair while the new credentials travel.
    assert!(p.a.agent.send_to_selected(b"\x80x").is_ok());
    let events_before = p.a.events.len();
    // Some seconds pass before signalling completes: consent on the old pair keeps it alive.
    p.run_until(Duration::from_secs(8), |_| false);
    assert!(p.both_connected());
    // Signalling: new credentials both ways (B restarts implicitly on A's new ones).
    let (ua, pa) = p.a.agent.local_credentials();
    let (ua, pa) = (ua.to_string(), pa.to_string());
    p.b.agent.set_remote_credentials(&ua, &pa).unwrap();
    let (ub, pb) = p.b.agent.local_credentials();
    let (ub, pb) = (ub.to_string(), pb.to_string());
    p.a.agent.set_remote_credentials(&ub, &pb).unwrap();
    // Re-signal the candidates of the new generation.
    for c in p.a.agent.local_candidates().cloned().collect::<Vec<_>>() {
        p.b.agent.add_remote_candidate(c).unwrap();
    }
    for c in p.b.agent.local_candidates().cloned().collect::<Vec<_>>() {
        p.a.agent.add_remote_candidate(c).unwrap();
    }
    assert!(p.run_until(Duration::from_secs(5), |p| {
        let sel = |s: &crate::support::Side, from: usize| {
            s.events[from..]
                .iter()
                .any(|(_, e)| matches!(e, IceEvent::SelectedPair { .. }))
        };
        sel(&p.a, events_before) && sel(&p.b, 0) && p.both_connected()
    }));
    assert!(
        p.b.events
            .iter()
            .any(|(_, e)| matches!(e, IceEvent::LocalCredentials { .. }))
    );
    // Never disconnected during the restart.
    assert!(!p.a.states().contains(&ConnectionState::Disconnected));
    assert!(!p.b.states().contains(&ConnectionState::Disconnected));
    p.run_until(Duration::from_secs(30), |_| false);
    assert!(p.both_connected());
}

#[test]
fn bad_integrity_flood_is_counted_without_growth() {
    let mut p = Pair::loopback(config(Role::Controlling, 17), config(Role::Controlled, 18));
    assert!(p.run_until(Duration::from_secs(5), |p| p.both_connected()));
    let before = p.b.agent.stats();
    let (ub, _) = p.b.agent.local_credentials();
    let ub = ub.to_string();
    let wrong = Key::short_term("not-the-password-at-all");
    let now = p.now;
    let n = 10_000u32;
    for i in 0..n {
        let mut buf = Vec::new();
        let mut tid = [0u8; 12];
        tid[..4].copy_from_slice(&i.to_be_bytes());
        let mut enc = Encoder::new(&mut buf, MessageType::BINDING_REQUEST, TransactionId(tid));
        enc.add(&Attribute::Username(&format!("{ub}:evil")))
            .unwrap();
        enc.add(&Attribute::Priority(i)).unwrap();
        enc.add(&Attribute::IceControlling(u64::from(i))).unwrap();
        enc.add(&Attribute::UseCandidate).unwrap();
        enc.add_integrity(&wrong);
        enc.add_fingerprint();
        enc.finish();
        let port = 1024 + (i % 60000) as u16;
        let r = p.b.agent.handle_receive(
            now,
            Receive {
                protocol: proto::Protocol::Udp,
                source: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
                destination: "127.0.0.1:20000".parse().unwrap(),
                contents: &buf,
            },
        );
        assert_eq!(r, nutshell_ice::Received::Dropped);
    }
    let after = p.b.agent.stats();
    assert_eq!(after.bad_integrity - before.bad_integrity, u64::from(n));
    assert_eq!(after.remote_candidates, before.remote_candidates);
    assert_eq!(after.pairs, before.pairs);
    assert_eq!(after.transactions, before.transactions);
    assert_eq!(after.queued_transmits, 0);
    assert_eq!(p.b.agent.role(), Role::Controlled);
    assert!(p.b.agent.poll_transmit().is_none());
    // Garbage that is not STUN from unknown sources is dropped too.
    let r = p.b.agent.handle_receive(
        now,
        Receive {
            protocol: proto::Protocol::Udp,
            source: "127.0.0.1:9".parse().unwrap(),
            destination: "127.0.0.1:20000".parse().unwrap(),
            contents: b"\x80garbage",
        },
    );
    assert_eq!(r, nutshell_ice::Received::Dropped);
    // Still connected.
    p.run_until(Duration::from_secs(3), |_| false);
    assert!(p.both_connected());
}

#[test]
fn lite_agent_is_selected_by_full_peer() {
    let lite = IceConfig {
        lite: true,
        ..config(Role::Controlling, 20)
    };
    let mut p = Pair::loopback(config(Role::Controlled, 19), lite);
    p.a.agent.set_remote_lite(true);
    assert_eq!(p.a.agent.role(), Role::Controlling);
    assert_eq!(p.b.agent.role(), Role::Controlled);
    assert!(p.run_until(Duration::from_secs(5), |p| p.both_connected()));
    // The lite side sent no checks of its own.
    assert_eq!(p.b.agent.stats().checks_sent, 0);
    p.run_until(Duration::from_secs(30), |_| false);
    assert!(p.both_connected());
}

#[test]
fn all_pairs_failed_after_end_of_candidates() {
    let mut p = Pair::new(config(Role::Controlling, 21), config(Role::Controlled, 22));
    p.trickle = false;
    p.a.agent
        .add_host_socket("127.0.0.1:10000".parse().unwrap())
        .unwrap();
    p.exchange_credentials();
    p.a.agent
        .add_remote_candidate(nutshell_ice::Candidate::new(
            CandidateKind::Host,
            "127.0.0.1:29999".parse().unwrap(),
            2_130_706_431,
            "1",
        ))
        .unwrap();
    p.a.agent.end_of_remote_candidates();
    assert!(p.run_until(Duration::from_secs(30), |p| {
        p.a.agent.connection_state() == ConnectionState::Failed
    }));
    // 250 ms doubling to 1.6 s, 7 transmissions and a last wait: about 8 s.
    let t = p.a.state_at(ConnectionState::Failed).unwrap();
    assert!(
        t > Duration::from_secs(5) && t < Duration::from_secs(10),
        "{t:?}"
    );
}

#[test]
fn api_misuse_is_an_error() {
    let mut p = Pair::new(config(Role::Controlling, 23), config(Role::Controlled, 24));
    let a = &mut p.a.agent;
    assert!(a.add_host_socket("0.0.0.0:1".parse().unwrap()).is_err());
    assert!(a.add_host_socket("10.0.0.1:0".parse().unwrap()).is_err());
    assert_eq!(
        a.add_host_socket("169.254.0.1:5".parse().unwrap()),
        Ok(false)
    );
    assert!(a.set_remote_credentials("", "x").is_err());
    assert!(
        a.set_remote_credentials("a b", "xxxxxxxxxxxxxxxxxxxxxxxx")
            .is_err()
    );
    assert_eq!(
        a.send_to_selected(b"x"),
        Err(nutshell_ice::Error::NoSelectedPair)
    );
    a.close();
    assert_eq!(a.connection_state(), ConnectionState::Closed);
    assert_eq!(a.send_to_selected(b"x"), Err(nutshell_ice::Error::Closed));
    assert!(a.poll_timeout().is_none());
}

#[test]
fn dual_stack_prefers_ipv6_and_ignores_tcp() {
    let mut p = Pair::new(config(Role::Controlling, 25), config(Role::Controlled, 26));
    for (agent, port) in [(&mut p.a.agent, 10000), (&mut p.b.agent, 20000)] {
        agent
            .add_host_socket(format!("127.0.0.1:{port}").parse().unwrap())
            .unwrap();
        agent
            .add_host_socket(format!("[::1]:{port}").parse().unwrap())
            .unwrap();
    }
    // A TCP candidate is accepted and ignored.
    let mut tcp =
        nutshell_ice::Candidate::new(CandidateKind::Host, "127.0.0.1:9".parse().unwrap(), 1, "t");
    tcp.protocol = proto::Protocol::Tcp;
    tcp.tcp_type = Some("passive".into());
    p.a.agent.add_remote_candidate(tcp).unwrap();
    assert_eq!(p.a.agent.remote_candidates().count(), 0);
    p.exchange_credentials();
    assert!(p.run_until(Duration::from_secs(5), |p| p.both_connected()));
    // Wait for the nomination to settle on the best pair.
    p.run_until(Duration::from_secs(2), |_| false);
    let (local, remote) = p.a.agent.selected_tuple().unwrap();
    assert!(local.is_ipv6() && remote.is_ipv6(), "{local} -> {remote}");
    // Pairs only within a family: 2 of the 4 combinations.
    assert_eq!(p.a.agent.stats().pairs, 2);
}

#[test]
fn browser_check_with_goog_network_info_is_answered() {
    // Chrome's checks carry GOOG-NETWORK-INFO (0xC057), comprehension-optional: ignored.
    let now = std::time::Instant::now();
    let mut b = nutshell_ice::IceAgent::new(config(Role::Controlled, 27), now);
    let local: std::net::SocketAddr = "127.0.0.1:20000".parse().unwrap();
    let remote: std::net::SocketAddr = "127.0.0.1:10000".parse().unwrap();
    b.add_host_socket(local).unwrap();
    b.set_remote_credentials("chro", "chromepasswordchromepass")
        .unwrap();
    let (ufrag, pwd) = b.local_credentials();
    let (ufrag, key) = (ufrag.to_string(), Key::short_term(pwd));
    let mut buf = Vec::new();
    let mut enc = Encoder::new(
        &mut buf,
        MessageType::BINDING_REQUEST,
        TransactionId([7; 12]),
    );
    enc.add(&Attribute::Username(&format!("{ufrag}:chro")))
        .unwrap();
    enc.add(&Attribute::Other {
        typ: 0xC057,
        value: &[0, 1, 0, 10],
    })
    .unwrap();
    enc.add(&Attribute::Priority(1_853_824_767)).unwrap();
    enc.add(&Attribute::IceControlling(99)).unwrap();
    enc.add(&Attribute::UseCandidate).unwrap();
    enc.add_integrity(&key);
    enc.add_fingerprint();
    enc.finish();
    let r = b.handle_receive(
        now,
        Receive {
            protocol: proto::Protocol::Udp,
            source: remote,
            destination: local,
            contents: &buf,
        },
    );
    assert_eq!(r, nutshell_ice::Received::Stun);
    let resp = b.poll_transmit().unwrap();
    assert_eq!((resp.source, resp.destination), (local, remote));
    let msg = stun::Message::decode(&resp.contents).unwrap();
    msg.verify(&key).unwrap();
    assert_eq!(msg.typ(), MessageType::BINDING_SUCCESS);
    assert_eq!(
        msg.get(stun::types::XOR_MAPPED_ADDRESS),
        Some(Ok(Attribute::XorMappedAddress(remote)))
    );
    // The peer became a peer-reflexive candidate, and non-STUN from it is data.
    assert_eq!(
        b.remote_candidates().next().unwrap().kind,
        CandidateKind::PeerReflexive
    );
    let data = Receive {
        protocol: proto::Protocol::Udp,
        source: remote,
        destination: local,
        contents: b"\x17dtls",
    };
    assert_eq!(b.handle_receive(now, data), nutshell_ice::Received::Data);
    // A triggered check goes back (the pair was nominated early: selected once it succeeds).
    b.handle_timeout(now);
    let check = b.poll_transmit().unwrap();
    assert_eq!(check.destination, remote);
}
