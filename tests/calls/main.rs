//! Whole-call network simulation (issue 10): two complete PeerConnection cores, a STUN server
//! and NATs inside `nutshell-netsim`, with 20% random loss end to end, jitter and reordering.
//! Every seeded call must connect and carry audio and video both ways; the distribution of
//! virtual time to connected is printed.
//!
//! `cargo test -p nutshell-tests --test calls -- --nocapture` runs `NUTSHELL_CALLS` calls
//! (default 200); CI runs thousands in release mode. A failing call names its seed; run it
//! alone with `NUTSHELL_CALL_SEED=<seed>`: the same seed gives the same network, the same
//! losses and the same outcome.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use netsim::{HostId, LinkConfig, NatBehavior, NatConfig, Network, Node, Sim};
use peer::dtls::cert::Certificate;
use peer::*;
use stun::{Attribute, Class, Encoder, Message, MessageType};

/// Per-link loss that makes 20% end to end: a datagram crosses the sender's and the
/// receiver's access links, so 1 - (1 - p)^2 = 0.2.
const LINK_LOSS: f64 = 0.105_572_809;

fn certs() -> &'static (Certificate, Certificate) {
    static CERTS: OnceLock<(Certificate, Certificate)> = OnceLock::new();
    CERTS.get_or_init(|| {
        (
            Certificate::generate().expect("certificate"),
            Certificate::generate().expect("certificate"),
        )
    })
}

/// A STUN Binding server (RFC 8489 §5) as a netsim node.
#[derive(Default)]
struct StunServer {
    out: Vec<Transmit>,
}

impl Node for StunServer {
    fn handle_receive(&mut self, _now: Instant, r: Receive<'_>) {
        let Ok(msg) = Message::decode(r.contents) else {
            return;
        };
        if msg.typ() != MessageType::BINDING_REQUEST || msg.class() != Class::Request {
            return;
        }
        let mut buf = Vec::new();
        let mut enc = Encoder::new(&mut buf, MessageType::BINDING_SUCCESS, msg.transaction_id());
        enc.add(&Attribute::XorMappedAddress(r.source))
            .expect("fits");
        enc.add_fingerprint();
        enc.finish();
        self.out.push(Transmit {
            protocol: r.protocol,
            source: r.destination,
            destination: r.source,
            contents: buf,
        });
    }
    fn handle_timeout(&mut self, _now: Instant) {}
    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

/// A PeerConnection as a netsim node: keeps the candidates to trickle and counts frames.
struct Peer {
    pc: PeerConnection,
    outbox: Vec<(String, String, u16)>,
    audio_frames: usize,
    video_frames: usize,
    failed: bool,
}

impl Peer {
    fn drain(&mut self) {
        while let Some(e) = self.pc.poll_event() {
            match e {
                PeerEvent::IceCandidate {
                    candidate,
                    sdp_mid,
                    mline_index,
                } => self.outbox.push((candidate, sdp_mid, mline_index)),
                PeerEvent::Frame { mid, .. } => {
                    // Both sides negotiate audio as mid 0 and video as mid 1.
                    if mid == "0" {
                        self.audio_frames += 1;
                    } else {
                        self.video_frames += 1;
                    }
                }
                PeerEvent::ConnectionState(ConnectionState::Failed) => self.failed = true,
                _ => {}
            }
        }
    }

    fn connected(&self) -> bool {
        self.pc.connection_state() == ConnectionState::Connected
    }
}

impl Node for Peer {
    fn handle_receive(&mut self, now: Instant, r: Receive<'_>) {
        self.pc.handle_receive(now, r);
        self.drain();
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.pc.handle_timeout(now);
        self.drain();
    }
    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.pc.poll_transmit()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.pc.poll_timeout()
    }
}

fn peer(sim: &mut Sim, h: HostId) -> &mut Peer {
    sim.node_mut::<Peer>(h).expect("peer")
}

/// Small deterministic generator for the scenario's choices (netsim has its own for links).
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Where a peer sits: on the open network, or behind a NAT of some behaviour.
#[derive(Debug, Clone, Copy)]
enum Site {
    Public,
    Nat(NatBehavior),
}

const SITES: [Site; 5] = [
    Site::Public,
    Site::Nat(NatBehavior::EndpointIndependent),
    Site::Nat(NatBehavior::AddressRestricted),
    Site::Nat(NatBehavior::PortRestricted),
    Site::Nat(NatBehavior::Symmetric),
];

/// Without a TURN relay, these pairs cannot punch through (RFC 4787 behaviours).
fn needs_relay(a: Site, b: Site) -> bool {
    use NatBehavior::{PortRestricted, Symmetric};
    matches!(
        (a, b),
        (Site::Nat(Symmetric), Site::Nat(Symmetric | PortRestricted))
            | (Site::Nat(PortRestricted), Site::Nat(Symmetric))
    )
}

#[derive(Debug)]
struct Outcome {
    sites: (Site, Site),
    connect: Duration,
}

fn place(net: &mut Network, site: Site, index: u8) -> (HostId, SocketAddr) {
    match site {
        Site::Public => {
            let ip = IpAddr::V4(Ipv4Addr::new(198, 51, 100, index));
            (net.add_host(&[ip]), SocketAddr::new(ip, 5000))
        }
        Site::Nat(behavior) => {
            let public = IpAddr::V4(Ipv4Addr::new(203, 0, 113, index));
            let nat = net.add_nat(NatConfig::new(public, behavior));
            let ip = IpAddr::V4(Ipv4Addr::new(192, 168, 1, index));
            (net.add_host_behind(nat, &[ip]), SocketAddr::new(ip, 5000))
        }
    }
}

/// One call; panics (naming nothing: the caller names the seed) when it fails.
fn call(seed: u64) -> Outcome {
    call_recorded(seed, false).0
}

/// [`call`], with both cores recording when `record`: returns their recordings too.
fn call_recorded(seed: u64, record: bool) -> (Outcome, Vec<u8>, Vec<u8>) {
    let mut rng = seed;
    let (site_a, site_b) = loop {
        let a = SITES[(splitmix(&mut rng) % 5) as usize];
        let b = SITES[(splitmix(&mut rng) % 5) as usize];
        if !needs_relay(a, b) {
            break (a, b);
        }
    };
    let latency = Duration::from_millis(5 + splitmix(&mut rng) % 45);
    let start = Instant::now();
    let mut net = Network::new(seed, start);
    net.set_default_link(LinkConfig {
        latency,
        jitter: Duration::from_millis(10),
        loss: LINK_LOSS,
        reorder: 0.1,
        reorder_delay: Duration::from_millis(30),
        ..LinkConfig::default()
    });
    let stun_ip = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 200));
    let stun = net.add_host(&[stun_ip]);
    net.set_link(stun, LinkConfig::default());
    let (ha, addr_a) = place(&mut net, site_a, 1);
    let (hb, addr_b) = place(&mut net, site_b, 2);
    let mut sim = Sim::new(net);
    sim.attach(stun, StunServer::default());
    let (ca, cb) = certs();
    let config = |cert: &Certificate, seed: u64| PeerConfig {
        stun_servers: vec![SocketAddr::new(stun_ip, 3478)],
        seed,
        record,
        ..PeerConfig::new(cert.clone())
    };
    let mut pa = PeerConnection::new(config(ca, seed.wrapping_mul(2)), start);
    let mut pb = PeerConnection::new(config(cb, seed.wrapping_mul(2) + 1), start);
    pa.add_local_socket(addr_a).expect("socket a");
    pb.add_local_socket(addr_b).expect("socket b");

    // Offer/answer over a lossless signaling channel; candidates are trickled below.
    let a_audio = pa.add_track(MediaKind::Audio, "a").expect("track");
    let a_video = pa.add_track(MediaKind::Video, "a").expect("track");
    let offer = pa.create_offer().expect("offer");
    pa.set_local_description(SdpType::Offer, &offer)
        .expect("local offer");
    pb.set_remote_description(SdpType::Offer, &offer)
        .expect("remote offer");
    let b_audio = pb.add_track(MediaKind::Audio, "b").expect("track");
    let b_video = pb.add_track(MediaKind::Video, "b").expect("track");
    let answer = pb.create_answer().expect("answer");
    pb.set_local_description(SdpType::Answer, &answer)
        .expect("local answer");
    pa.set_remote_description(SdpType::Answer, &answer)
        .expect("remote answer");
    let wrap = |pc| Peer {
        pc,
        outbox: Vec::new(),
        audio_frames: 0,
        video_frames: 0,
        failed: false,
    };
    sim.attach(ha, wrap(pa));
    sim.attach(hb, wrap(pb));

    let trickle = |sim: &mut Sim| {
        for (from, to) in [(ha, hb), (hb, ha)] {
            let cands = std::mem::take(&mut peer(sim, from).outbox);
            let p = peer(sim, to);
            for (c, mid, idx) in cands {
                p.pc.add_ice_candidate(&c, Some(&mid), Some(idx))
                    .expect("candidate");
            }
            p.drain();
        }
    };

    let tick = Duration::from_millis(10);
    let deadline = start + Duration::from_secs(120);
    let connected_at = loop {
        let both = {
            let a = sim.node::<Peer>(ha).expect("a");
            let b = sim.node::<Peer>(hb).expect("b");
            assert!(
                !a.failed && !b.failed,
                "{site_a:?}/{site_b:?}: a call failed"
            );
            a.connected() && b.connected()
        };
        if both {
            break sim.now();
        }
        if sim.now() >= deadline {
            for (name, h) in [("a", ha), ("b", hb)] {
                let p = sim.node::<Peer>(h).expect("peer");
                eprintln!(
                    "{name}: connection {:?}, ice {:?}, stats {:?}",
                    p.pc.connection_state(),
                    p.pc.ice_connection_state(),
                    p.pc.stats()
                );
            }
            panic!("{site_a:?}/{site_b:?}: not connected after 120 s");
        }
        trickle(&mut sim);
        sim.run_for(tick).expect("sim");
    };

    // One second of media both ways: 20 ms Opus packets, 30 fps single-packet VP8 frames
    // (the first a key frame), then time for NACKs and stragglers.
    let opus = [0xfcu8; 60];
    let mut vp8 = vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00];
    vp8.resize(400, 0x55);
    for i in 0..50u32 {
        for (h, audio, video) in [(ha, a_audio, a_video), (hb, b_audio, b_video)] {
            let p = peer(&mut sim, h);
            p.pc.write_frame(audio, Duration::from_millis(20), &opus)
                .expect("audio");
            if i % 2 == 0 {
                if i > 0 {
                    vp8[0] = 0x10;
                    vp8[3] = 0x01; // inter frame: P bit set in the VP8 frame tag
                }
                p.pc.write_frame(video, Duration::from_millis(40), &vp8)
                    .expect("video");
            }
            p.drain();
        }
        sim.run_for(Duration::from_millis(20)).expect("sim");
    }
    sim.run_for(Duration::from_millis(500)).expect("sim");
    for (name, h) in [("a", ha), ("b", hb)] {
        let p = sim.node::<Peer>(h).expect("peer");
        assert!(
            p.audio_frames >= 10 && p.video_frames >= 5,
            "{site_a:?}/{site_b:?}: {name} received {} audio and {} video frames",
            p.audio_frames,
            p.video_frames
        );
    }
    let rec_a = peer(&mut sim, ha).pc.take_recording();
    let rec_b = peer(&mut sim, hb).pc.take_recording();
    let outcome = Outcome {
        sites: (site_a, site_b),
        connect: connected_at - start,
    };
    (outcome, rec_a, rec_b)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[test]
fn seeded_calls_connect_and_carry_media_at_20_percent_loss() {
    if let Ok(seed) = std::env::var("NUTSHELL_CALL_SEED") {
        let seed: u64 = seed.parse().expect("NUTSHELL_CALL_SEED is a number");
        // With NUTSHELL_RECORD_DIR, both sides' recordings are written there, for
        // `cargo run -p nutshell-peer --example replay -- DIR/seed-N-a.nsrec -v`.
        let dir = std::env::var_os("NUTSHELL_RECORD_DIR").map(std::path::PathBuf::from);
        let (o, rec_a, rec_b) = call_recorded(seed, dir.is_some());
        eprintln!("seed {seed}: {:?} connected after {:?}", o.sites, o.connect);
        if let Some(dir) = dir {
            std::fs::create_dir_all(&dir).expect("record dir");
            for (side, rec) in [("a", rec_a), ("b", rec_b)] {
                let path = dir.join(format!("seed-{seed}-{side}.nsrec"));
                std::fs::write(&path, rec).expect("write recording");
                eprintln!("wrote {}", path.display());
            }
        }
        return;
    }
    let calls: u64 = std::env::var("NUTSHELL_CALLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let mut times = Vec::new();
    netsim::for_each_seed(0..calls, |seed| times.push(call(seed).connect));
    times.sort();
    eprintln!(
        "{calls} calls at 20% loss: virtual time to connected p50 {:?}, p99 {:?}, max {:?}",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.last().copied().unwrap_or_default()
    );
}

#[test]
fn a_seed_replays_the_same_call() {
    let first = call(7);
    let again = call(7);
    assert_eq!(first.connect, again.connect);
}

/// Record & replay through the whole simulation (NATs, STUN, loss, reordering): each side's
/// recording, fed into a fresh core, gives back every datagram and event it gave in the call.
#[test]
fn recorded_calls_replay_exactly_on_both_sides() {
    for seed in [3, 11, 12] {
        let (outcome, rec_a, rec_b) = call_recorded(seed, true);
        for (side, rec) in [("a", rec_a), ("b", rec_b)] {
            let recording = Recording::parse(&rec).expect("parse");
            assert!(!recording.truncated);
            let summary = Replayer::new(recording, Instant::now(), true)
                .run()
                .unwrap_or_else(|e| panic!("seed {seed} side {side} ({:?}): {e}", outcome.sites));
            assert!(
                summary.datagrams_in > 50 && summary.datagrams_out > 50,
                "{summary:?}"
            );
        }
    }
}

/// Recording changes nothing in the call itself.
#[test]
fn recording_does_not_change_the_call() {
    let plain = call(5);
    let (recorded, _, _) = call_recorded(5, true);
    assert_eq!(plain.connect, recorded.connect);
}
