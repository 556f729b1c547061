//! Helpers: configurations, signaling, an event pump per peer, media writers, a UDP relay.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use nutshell::*;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub fn cert() -> Certificate {
    static CERT: OnceLock<Certificate> = OnceLock::new();
    CERT.get_or_init(|| Certificate::generate().unwrap())
        .clone()
}

/// Loopback only, fast nomination.
pub fn config() -> RtcConfiguration {
    let mut c = RtcConfiguration {
        certificate: Some(cert()),
        ..RtcConfiguration::default()
    };
    c.ice.nomination_delay = Duration::from_millis(50);
    c
}

/// A VP8 frame: key frame header (RFC 6386 §9.1) or an interframe, `n` bytes.
pub fn vp8_frame(key: bool, n: usize, fill: u8) -> Vec<u8> {
    let mut f = vec![
        if key { 0x10 } else { 0x11 },
        0x02,
        0x00,
        0x9d,
        0x01,
        0x2a,
        0x40,
        0x01,
        0xf0,
        0x00,
    ];
    f.resize(n, fill);
    f
}

/// An Opus packet (TOC byte of a 20 ms CELT frame) of `n` bytes.
pub fn opus_frame(n: usize, fill: u8) -> Vec<u8> {
    let mut f = vec![0xfc];
    f.resize(n, fill);
    f
}

/// Removes candidate lines, so that they must be trickled.
pub fn strip_candidates(d: &RtcSessionDescription) -> RtcSessionDescription {
    let sdp = d
        .sdp
        .split_inclusive("\r\n")
        .filter(|l| !l.starts_with("a=candidate") && !l.starts_with("a=end-of-candidates"))
        .collect();
    RtcSessionDescription {
        sdp_type: d.sdp_type,
        sdp,
    }
}

/// One peer as a test sees it: the handle, its remote tracks, its connection state.
pub struct Peer {
    pub pc: RtcPeerConnection,
    pub tracks: mpsc::Receiver<TrackRemote>,
    pub state: watch::Receiver<ConnectionState>,
    pub candidates: mpsc::UnboundedReceiver<Option<RtcIceCandidateInit>>,
    pub pump: JoinHandle<()>,
}

impl Peer {
    pub fn new(config: RtcConfiguration) -> Peer {
        let mut pc = RtcPeerConnection::new(config).unwrap();
        let mut events = pc.take_events().unwrap();
        let (track_tx, tracks) = mpsc::channel(16);
        let (state_tx, state) = watch::channel(ConnectionState::New);
        let (cand_tx, candidates) = mpsc::unbounded_channel();
        let pump = tokio::spawn(async move {
            while let Some(e) = events.recv().await {
                match e {
                    RtcEvent::Track(t) => {
                        let _ = track_tx.send(t).await;
                    }
                    RtcEvent::ConnectionState(s) => {
                        let _ = state_tx.send(s);
                    }
                    RtcEvent::IceCandidate(c) => {
                        let _ = cand_tx.send(c);
                    }
                    _ => {}
                }
            }
        });
        Peer {
            pc,
            tracks,
            state,
            candidates,
            pump,
        }
    }

    /// Waits for the connection state `want` (panics after `limit`).
    pub async fn wait_state(&mut self, want: ConnectionState, limit: Duration) {
        let r = tokio::time::timeout(limit, self.state.wait_for(|s| *s == want))
            .await
            .map(|r| r.is_ok());
        let now = *self.state.borrow();
        assert_eq!(
            r,
            Ok(true),
            "state {want:?} not reached in {limit:?}: {now:?}"
        );
    }

    pub async fn next_track(&mut self) -> TrackRemote {
        tokio::time::timeout(Duration::from_secs(5), self.tracks.recv())
            .await
            .expect("no track in 5 s")
            .expect("event stream ended")
    }
}

/// Offer from `a`, answer from `b`; with `trickle` the descriptions carry no candidate and
/// candidates go through `add_ice_candidate` (taken from the peers' event streams).
pub async fn negotiate(a: &mut Peer, b: &mut Peer, trickle: bool) {
    let offer = a.pc.create_offer().await.unwrap();
    a.pc.set_local_description(offer.clone()).await.unwrap();
    let offer = if trickle {
        strip_candidates(&offer)
    } else {
        offer
    };
    b.pc.set_remote_description(offer).await.unwrap();
    let answer = b.pc.create_answer().await.unwrap();
    b.pc.set_local_description(answer.clone()).await.unwrap();
    let answer = if trickle {
        strip_candidates(&answer)
    } else {
        answer
    };
    a.pc.set_remote_description(answer).await.unwrap();
    if trickle {
        trickle_all(a, b).await;
    }
}

/// Moves every candidate gathered so far (up to end-of-candidates) across, both ways.
pub async fn trickle_all(a: &mut Peer, b: &mut Peer) {
    let (pa, pb) = (a.pc.clone(), b.pc.clone());
    for (from, to) in [(&mut *a, &pb), (&mut *b, &pa)] {
        let mut n = 0;
        loop {
            let c = tokio::time::timeout(Duration::from_secs(5), from.candidates.recv())
                .await
                .expect("no end-of-candidates in 5 s")
                .unwrap();
            match c {
                Some(c) => {
                    to.add_ice_candidate(c).await.unwrap();
                    n += 1;
                }
                None => {
                    to.add_ice_candidate(RtcIceCandidateInit::default())
                        .await
                        .unwrap();
                    break;
                }
            }
        }
        assert!(n > 0, "no candidate trickled");
    }
}

/// Writes audio every 20 ms and video every 40 ms (a key frame first) on the given tracks
/// until aborted.
pub fn spawn_writer(audio: Option<TrackLocal>, video: Option<TrackLocal>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        for i in 0u32.. {
            tick.tick().await;
            if let Some(a) = &audio {
                let _ = a
                    .write_frame(&opus_frame(80, i as u8), Duration::from_millis(20))
                    .await;
            }
            if i % 2 == 0
                && let Some(v) = &video
            {
                let key = i % 50 == 0;
                let _ = v
                    .write_frame(&vp8_frame(key, 3000, i as u8), Duration::from_millis(40))
                    .await;
            }
        }
    })
}

/// Reads frames from a remote track until `n` arrived (panics after `limit`); returns them.
pub async fn read_frames(t: &mut TrackRemote, n: usize, limit: Duration) -> Vec<Frame> {
    let mut out = Vec::new();
    let r = tokio::time::timeout(limit, async {
        while out.len() < n {
            match t.read_frame().await {
                Some(f) => out.push(f),
                None => break,
            }
        }
    })
    .await;
    assert!(
        r.is_ok() && out.len() >= n,
        "{} of {n} frames on {:?} {}",
        out.len(),
        t.kind(),
        t.mid()
    );
    out
}

/// A UDP relay on loopback standing in for a link: datagrams to it from `a` go to `b`,
/// datagrams from `b` go to the last address `a` used. `cut` drops everything.
pub struct Relay {
    pub addr: SocketAddr,
    pub cut: std::sync::Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Relay {
    pub async fn new(b: SocketAddr) -> Relay {
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = sock.local_addr().unwrap();
        let cut = std::sync::Arc::new(AtomicBool::new(false));
        let cut2 = cut.clone();
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            let mut a: Option<SocketAddr> = None;
            while let Ok((n, from)) = sock.recv_from(&mut buf).await {
                if cut2.load(Ordering::Relaxed) {
                    continue;
                }
                let to = if from == b {
                    match a {
                        Some(a) => a,
                        None => continue,
                    }
                } else {
                    a = Some(from);
                    b
                };
                let _ = sock.send_to(&buf[..n], to).await;
            }
        });
        Relay { addr, cut, task }
    }

    pub fn cut(&self) {
        self.cut.store(true, Ordering::Relaxed);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The first host candidate's address in a description.
pub fn candidate_addr(sdp: &str) -> SocketAddr {
    let line = sdp
        .lines()
        .find(|l| l.starts_with("a=candidate"))
        .expect("a candidate");
    let f: Vec<&str> = line.split(' ').collect();
    SocketAddr::new(f[4].parse().unwrap(), f[5].parse().unwrap())
}

/// Replaces every candidate line of `sdp` with one host candidate at `addr`.
pub fn replace_candidates(sdp: &str, addr: SocketAddr) -> String {
    let mut out = String::new();
    let mut done = false;
    for l in sdp.split_inclusive("\r\n") {
        if l.starts_with("a=candidate") {
            if !done {
                out.push_str(&format!(
                    "a=candidate:1 1 udp 2130706431 {} {} typ host\r\n",
                    addr.ip(),
                    addr.port()
                ));
                done = true;
            }
        } else {
            out.push_str(l);
        }
    }
    out
}
