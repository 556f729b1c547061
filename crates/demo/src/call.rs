//! One client of the call: signaling, the peer connection, media, hang-up. Client A offers
//! and sends synthetic media for a while, then hangs up; client B answers and either sends
//! its own synthetic media or echoes every received track back.

use std::collections::HashMap;
use std::time::Duration;

use nutshell::{
    ConnectionState, Interfaces, MediaKind, RtcConfiguration, RtcEvent, RtcIceCandidateInit,
    RtcPeerConnection, RtcSessionDescription, RtcStats, TrackLocal, TrackRemote,
};
use signal::{Client, Message};
use tokio::task::JoinHandle;

use crate::trace::{Actor, Step, Trace, ms};

/// How long a call may take to connect.
const CONNECT_LIMIT: Duration = Duration::from_secs(15);

/// What one client does.
#[derive(Debug, Clone)]
pub struct PeerOptions {
    /// A offers, B answers.
    pub me: Actor,
    /// `ws://HOST:PORT/ws`.
    pub signal_url: String,
    /// Room name.
    pub room: String,
    /// STUN server as `HOST:PORT`, if any.
    pub stun: Option<String>,
    /// Where to gather host candidates.
    pub interfaces: Interfaces,
    /// A: seconds of media after connecting.
    pub seconds: f64,
    /// B: echo received tracks instead of sending synthetic media.
    pub echo: bool,
    /// Whether the other client runs in this process (for the trace's wording).
    pub other_local: bool,
}

/// What a client reports at the end.
#[derive(Debug, Clone)]
pub struct PeerReport {
    /// When the connection state became connected (since the start).
    pub connected_at: Option<Duration>,
    /// When the offer was sent or received (since the start).
    pub offer_at: Option<Duration>,
    /// Whether we were the DTLS client (from `a=setup`).
    pub dtls_client: Option<bool>,
    /// The last stats before closing.
    pub stats: Option<RtcStats>,
}

/// A short description of an SDP: media kinds, m-line count, size.
fn describe_sdp(sdp: &str) -> String {
    let kinds: Vec<&str> = sdp
        .lines()
        .filter_map(|l| l.strip_prefix("m="))
        .filter_map(|l| l.split(' ').next())
        .collect();
    format!(
        "({}; {} m-lines, {:.1} KB)",
        kinds.join(", "),
        kinds.len(),
        sdp.len() as f64 / 1024.0
    )
}

/// `host 127.0.0.1:5000 udp` from a `candidate:` line.
fn describe_candidate(c: &str) -> String {
    let f: Vec<&str> = c.split_whitespace().collect();
    let get = |i: usize| f.get(i).copied().unwrap_or("?");
    let typ = f
        .iter()
        .position(|w| *w == "typ")
        .and_then(|i| f.get(i + 1))
        .copied()
        .unwrap_or("?");
    let mut s = format!("{typ} {}:{} {}", get(4), get(5), get(2).to_lowercase());
    if let Some(i) = f.iter().position(|w| *w == "raddr") {
        let rport = f
            .iter()
            .position(|w| *w == "rport")
            .and_then(|j| f.get(j + 1))
            .copied()
            .unwrap_or("?");
        s.push_str(&format!(
            " (base {}:{rport})",
            f.get(i + 1).copied().unwrap_or("?")
        ));
    }
    s
}

/// The `a=setup:` value of an SDP.
fn setup(sdp: &str) -> Option<&str> {
    sdp.lines()
        .find_map(|l| l.trim().strip_prefix("a=setup:"))
        .map(str::trim)
}

/// A synthetic Opus packet: a TOC byte (CELT fullband 20 ms, mono) and silence-like bytes.
fn opus_frame(n: u64) -> Vec<u8> {
    let mut f = vec![0xf8, 0xff, 0xfe];
    f.extend((0..57u64).map(|i| ((n + i) % 7) as u8));
    f
}

/// A synthetic VP8 frame of 640×480 with a valid frame tag (RFC 6386 §9.1): a key frame
/// every 30 frames (with the start code and dimensions), inter frames otherwise.
fn vp8_frame(n: u64) -> Vec<u8> {
    let key = n.is_multiple_of(30);
    let first_part: u32 = 100;
    let tag: u32 = u32::from(!key) | (1 << 4) | (first_part << 5);
    let mut f = tag.to_le_bytes()[..3].to_vec();
    if key {
        f.extend_from_slice(&[0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]);
    }
    let size = if key { 6000 } else { 1500 };
    f.extend((f.len()..size).map(|i| ((n as usize + i) % 251) as u8));
    f
}

/// Writes synthetic frames on `track` until aborted.
fn spawn_media(track: TrackLocal) -> JoinHandle<()> {
    tokio::spawn(async move {
        let (period, audio) = match track.kind() {
            MediaKind::Audio => (Duration::from_millis(20), true),
            MediaKind::Video => (Duration::from_micros(33_333), false),
        };
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        for n in 0u64.. {
            tick.tick().await;
            let frame = if audio { opus_frame(n) } else { vp8_frame(n) };
            if let Err(e) = track.write_frame(&frame, period).await {
                tracing::debug!(%e, "write_frame");
                if matches!(e, nutshell::Error::Closed) {
                    break;
                }
            }
        }
    })
}

/// Reads a remote track: traces its first packet, and echoes every packet on `echo`.
fn spawn_reader(
    mut remote: TrackRemote,
    echo: Option<TrackLocal>,
    me: Actor,
    trace: Trace,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let kind = kind_name(remote.kind());
        let mut first = true;
        while let Some(p) = remote.read_rtp().await {
            if first {
                first = false;
                trace.record(Step::Direct {
                    from: me.other(),
                    to: me,
                    text: format!(
                        "first SRTP packet: {kind}, PT {}, SSRC {:08x}, {} B payload",
                        p.payload_type,
                        p.ssrc,
                        p.payload().len()
                    ),
                });
            }
            if let Some(local) = &echo
                && let Err(e) = local.write_rtp(&p.packet).await
            {
                tracing::debug!(%e, "echo write_rtp");
                if matches!(e, nutshell::Error::Closed) {
                    break;
                }
            }
        }
    })
}

fn kind_name(k: MediaKind) -> &'static str {
    match k {
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
    }
}

/// The state of one client while the call runs.
struct Call {
    opts: PeerOptions,
    trace: Trace,
    signal: Client,
    pc: RtcPeerConnection,
    /// The other client's id in the room, once known.
    peer: Option<String>,
    /// Whether our description went out (candidates wait until then).
    described: bool,
    held: Vec<Message>,
    locals: Vec<TrackLocal>,
    tasks: Vec<JoinHandle<()>>,
    report: PeerReport,
    local_setup: Option<String>,
}

impl Call {
    fn me(&self) -> Actor {
        self.opts.me
    }

    /// Sends a message to the peer and traces it.
    async fn send(&mut self, m: Message, detail: String) -> Result<(), String> {
        let kind = m.kind().to_string();
        if !self.opts.other_local {
            self.trace.record(Step::Sent {
                from: self.me(),
                to: self.me().other(),
                kind,
                detail,
            });
        }
        self.signal
            .send(m)
            .await
            .map_err(|e| format!("signaling send: {e}"))
    }

    fn delivered(&self, kind: &str, detail: String) {
        self.trace.record(Step::Delivered {
            from: self.me().other(),
            to: self.me(),
            kind: kind.to_string(),
            detail,
            sender_local: self.opts.other_local,
        });
    }

    fn to(&self) -> Option<String> {
        self.peer.clone()
    }

    async fn send_candidate(&mut self, c: Option<RtcIceCandidateInit>) -> Result<(), String> {
        let (m, detail) = match c {
            Some(c) => {
                let detail = describe_candidate(&c.candidate);
                (
                    Message::Candidate {
                        candidate: Some(c.candidate),
                        sdp_mid: c.sdp_mid,
                        sdp_m_line_index: c.sdp_mline_index.map(u32::from),
                        username_fragment: None,
                        to: self.to(),
                        from: None,
                    },
                    detail,
                )
            }
            None => (
                Message::Candidate {
                    candidate: None,
                    sdp_mid: Some("0".into()),
                    sdp_m_line_index: Some(0),
                    username_fragment: None,
                    to: self.to(),
                    from: None,
                },
                "end-of-candidates".to_string(),
            ),
        };
        if self.described {
            self.send(m, detail).await
        } else {
            self.held.push(m);
            Ok(())
        }
    }

    async fn flush_held(&mut self) -> Result<(), String> {
        self.described = true;
        for mut m in std::mem::take(&mut self.held) {
            let detail = match &mut m {
                Message::Candidate { candidate, to, .. } => {
                    *to = self.peer.clone();
                    candidate
                        .as_deref()
                        .map_or_else(|| "end-of-candidates".into(), describe_candidate)
                }
                _ => String::new(),
            };
            self.send(m, detail).await?;
        }
        Ok(())
    }

    /// A: tracks, offer, send.
    async fn offer(&mut self) -> Result<(), String> {
        for kind in [MediaKind::Audio, MediaKind::Video] {
            let t = self
                .pc
                .add_track(kind, "demo")
                .await
                .map_err(|e| format!("add_track: {e}"))?;
            self.locals.push(t);
        }
        self.trace
            .note(self.me(), "addTrack(audio), addTrack(video)");
        let offer = self
            .pc
            .create_offer()
            .await
            .map_err(|e| format!("create_offer: {e}"))?;
        self.local_setup = setup(&offer.sdp).map(str::to_owned);
        self.pc
            .set_local_description(offer.clone())
            .await
            .map_err(|e| format!("set_local_description: {e}"))?;
        let detail = describe_sdp(&offer.sdp);
        self.report.offer_at = Some(self.trace.elapsed());
        let to = self.to();
        self.send(
            Message::Offer {
                sdp: offer.sdp,
                to,
                from: None,
            },
            detail,
        )
        .await?;
        self.flush_held().await
    }

    /// B: tracks for what the offer carries, answer, send.
    async fn answer(&mut self, sdp: String) -> Result<(), String> {
        self.report.offer_at = Some(self.trace.elapsed());
        self.pc
            .set_remote_description(RtcSessionDescription::offer(sdp.clone()))
            .await
            .map_err(|e| format!("set_remote_description(offer): {e}"))?;
        let mut added = Vec::new();
        for (kind, m) in [(MediaKind::Audio, "m=audio"), (MediaKind::Video, "m=video")] {
            if sdp.lines().any(|l| l.starts_with(m)) {
                let t = self
                    .pc
                    .add_track(kind, if self.opts.echo { "echo" } else { "demo" })
                    .await
                    .map_err(|e| format!("add_track: {e}"))?;
                self.locals.push(t);
                added.push(kind_name(kind));
            }
        }
        self.trace.note(
            self.me(),
            format!(
                "setRemoteDescription(offer); addTrack({}){}",
                added.join(", "),
                if self.opts.echo { " for echo" } else { "" }
            ),
        );
        let answer = self
            .pc
            .create_answer()
            .await
            .map_err(|e| format!("create_answer: {e}"))?;
        self.local_setup = setup(&answer.sdp).map(str::to_owned);
        self.report.dtls_client = Some(self.local_setup.as_deref() == Some("active"));
        self.pc
            .set_local_description(answer.clone())
            .await
            .map_err(|e| format!("set_local_description: {e}"))?;
        let detail = describe_sdp(&answer.sdp);
        let to = self.to();
        self.send(
            Message::Answer {
                sdp: answer.sdp,
                to,
                from: None,
            },
            detail,
        )
        .await?;
        self.flush_held().await
    }

    /// Handles one signaling message; `Ok(true)` means the call is over.
    async fn on_signal(&mut self, m: Message) -> Result<bool, String> {
        match m {
            Message::Offer { sdp, from, .. } if self.me() == Actor::B => {
                if self.report.offer_at.is_some() {
                    self.trace
                        .note(self.me(), "a second offer: ignored (one call per run)");
                    return Ok(false);
                }
                self.peer = from;
                self.delivered("offer", describe_sdp(&sdp));
                self.answer(sdp).await?;
            }
            Message::Answer { sdp, .. } if self.me() == Actor::A => {
                self.delivered("answer", describe_sdp(&sdp));
                self.report.dtls_client = Some(setup(&sdp) == Some("passive"));
                self.pc
                    .set_remote_description(RtcSessionDescription::answer(sdp))
                    .await
                    .map_err(|e| format!("set_remote_description(answer): {e}"))?;
            }
            Message::Candidate {
                candidate,
                sdp_mid,
                sdp_m_line_index,
                ..
            } => {
                let text = candidate.unwrap_or_default();
                let detail = if text.is_empty() {
                    "end-of-candidates".to_string()
                } else {
                    describe_candidate(&text)
                };
                self.delivered("candidate", detail);
                let init = RtcIceCandidateInit {
                    candidate: text,
                    sdp_mid,
                    sdp_mline_index: sdp_m_line_index.and_then(|i| u16::try_from(i).ok()),
                };
                if let Err(e) = self.pc.add_ice_candidate(init).await {
                    self.trace
                        .note(self.me(), format!("addIceCandidate refused: {e}"));
                }
            }
            Message::Bye { .. } => {
                self.delivered("bye", String::new());
                return Ok(true);
            }
            Message::PeerJoined { id } if self.me() == Actor::A && self.peer.is_none() => {
                self.trace
                    .note(Actor::Signal, format!("{id} joined the room"));
                self.peer = Some(id);
                self.offer().await?;
            }
            Message::PeerLeft { id } if self.peer.as_deref() == Some(id.as_str()) => {
                self.trace
                    .note(Actor::Signal, format!("{id} left the room"));
                return Ok(true);
            }
            Message::Error { reason, detail } => {
                self.trace.note(
                    Actor::Signal,
                    format!("error {reason} {}", detail.unwrap_or_default()),
                );
            }
            other => tracing::debug!(kind = other.kind(), "signaling message ignored"),
        }
        Ok(false)
    }

    /// Handles one peer connection event.
    async fn on_event(&mut self, e: RtcEvent) -> Result<(), String> {
        let me = self.me();
        match e {
            RtcEvent::IceCandidate(c) => self.send_candidate(c).await?,
            RtcEvent::SignalingState(s) => self.trace.note(me, format!("signaling {s:?}")),
            RtcEvent::IceGatheringState(s) => self.trace.note(me, format!("ICE gathering {s:?}")),
            RtcEvent::IceConnectionState(s) => {
                let mut text = format!("ICE {s:?}");
                if let Ok(st) = self.pc.stats().await {
                    let up = matches!(
                        s,
                        nutshell::IceConnectionState::Connected
                            | nutshell::IceConnectionState::Completed
                    );
                    if let (true, Some((l, r))) = (up, st.peer.selected_pair) {
                        text.push_str(&format!(
                            ": selected pair {l} ⇄ {r} (checks: {} sent, {} received)",
                            st.peer.ice.checks_sent, st.peer.ice.checks_received
                        ));
                    }
                }
                self.trace.note(me, text);
            }
            RtcEvent::ConnectionState(s) => {
                let mut text = format!("connection {s:?}");
                let first_connected =
                    s == ConnectionState::Connected && self.report.connected_at.is_none();
                if first_connected {
                    self.report.connected_at = Some(self.trace.elapsed());
                    if let Ok(st) = self.pc.stats().await {
                        let role = match self.report.dtls_client {
                            Some(true) => "DTLS client",
                            Some(false) => "DTLS server",
                            None => "DTLS peer",
                        };
                        text.push_str(&format!(
                            ": handshake done as {role}, {}, SRTP {}",
                            st.peer.dtls_cipher.as_deref().unwrap_or("?"),
                            st.peer.srtp_profile.as_deref().unwrap_or("?")
                        ));
                    }
                }
                self.trace.note(me, text);
                if first_connected {
                    self.start_media();
                }
            }
            RtcEvent::Track(t) => {
                let codec = t
                    .codec()
                    .map(|c| format!("{:?}/{}", c.kind, c.clock_rate))
                    .unwrap_or_else(|| "?".into());
                self.trace.note(
                    me,
                    format!(
                        "on_track {} (mid {}, {codec})",
                        kind_name(t.kind()),
                        t.mid()
                    ),
                );
                let echo = if self.opts.echo {
                    // The local track on the same transceiver (mid), else one of the kind.
                    let mut found = None;
                    for l in &self.locals {
                        if l.mid().await.ok().flatten().as_deref() == Some(t.mid()) {
                            found = Some(l.clone());
                        }
                    }
                    found.or_else(|| self.locals.iter().find(|l| l.kind() == t.kind()).cloned())
                } else {
                    None
                };
                self.tasks
                    .push(spawn_reader(t, echo, me, self.trace.clone()));
            }
            RtcEvent::KeyframeRequested { mid } => {
                self.trace
                    .note(me, format!("key frame requested on mid {mid}"));
                if self.opts.echo {
                    // Pass the request on to the source of the echoed video.
                    let _ = self.pc.request_keyframe(&mid).await;
                }
            }
            RtcEvent::NegotiationNeeded => {}
            other => tracing::debug!(?other, "event"),
        }
        Ok(())
    }

    fn start_media(&mut self) {
        if self.opts.echo {
            return;
        }
        for t in &self.locals {
            self.tasks.push(spawn_media(t.clone()));
        }
        let kinds: Vec<&str> = self.locals.iter().map(|t| kind_name(t.kind())).collect();
        self.trace.note(
            self.me(),
            format!("sending synthetic media: {}", kinds.join(" + ")),
        );
    }

    fn stop_media(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
    }
}

/// Runs one client to the end of the call.
pub async fn run_peer(opts: PeerOptions, trace: Trace) -> Result<PeerReport, String> {
    let me = opts.me;
    let mut signal = Client::connect(&opts.signal_url)
        .await
        .map_err(|e| format!("{}: cannot connect to {}: {e}", me.name(), opts.signal_url))?;
    let joined = signal
        .join_as(&opts.room, me.name())
        .await
        .map_err(|e| format!("{}: cannot join room {:?}: {e}", me.name(), opts.room))?;
    trace.note(
        me,
        format!(
            "joined room {:?} as {}; already there: {}",
            joined.room,
            joined.id,
            if joined.peers.is_empty() {
                "nobody".to_string()
            } else {
                joined.peers.join(", ")
            }
        ),
    );

    let config = RtcConfiguration {
        ice_servers: opts.stun.iter().map(|s| format!("stun:{s}")).collect(),
        interfaces: opts.interfaces.clone(),
        ..RtcConfiguration::default()
    };
    let mut pc = RtcPeerConnection::new(config).map_err(|e| format!("{}: {e}", me.name()))?;
    let mut events = pc
        .take_events()
        .ok_or_else(|| "no event stream".to_string())?;
    let stats = pc.stats().await.map_err(|e| format!("stats: {e}"))?;
    for a in &stats.local_addrs {
        trace.register_addr(*a, me);
    }
    let addrs: Vec<String> = stats.local_addrs.iter().map(|a| a.to_string()).collect();
    trace.note(
        me,
        format!(
            "RTCPeerConnection on {}{}",
            addrs.join(", "),
            opts.stun
                .as_deref()
                .map(|s| format!(", STUN server {s}"))
                .unwrap_or_default()
        ),
    );

    let mut call = Call {
        report: PeerReport {
            connected_at: None,
            offer_at: None,
            dtls_client: None,
            stats: None,
        },
        peer: None,
        described: false,
        held: Vec::new(),
        locals: Vec::new(),
        tasks: Vec::new(),
        local_setup: None,
        opts,
        trace: trace.clone(),
        signal,
        pc,
    };
    if me == Actor::A
        && let Some(first) = joined.peers.first()
    {
        call.peer = Some(first.clone());
        call.offer().await?;
    }

    let start = tokio::time::Instant::now();
    let mut hangup_at: Option<tokio::time::Instant> = None;
    let mut we_hang_up = false;
    loop {
        let limit = match (call.report.connected_at, hangup_at) {
            (_, Some(h)) => h,
            (Some(_), None) => {
                // A: media for `seconds` after connecting; B: until the bye.
                let secs = if me == Actor::A {
                    call.opts.seconds
                } else {
                    call.opts.seconds.max(1.0) + 3600.0
                };
                let h = tokio::time::Instant::now() + Duration::from_secs_f64(secs.max(0.0));
                hangup_at = Some(h);
                h
            }
            (None, None) => {
                start
                    + CONNECT_LIMIT
                    + if me == Actor::B {
                        Duration::from_secs(3600)
                    } else {
                        Duration::ZERO
                    }
            }
        };
        tokio::select! {
            m = call.signal.recv() => match m {
                Some(m) => if call.on_signal(m).await? { break },
                None => {
                    trace.note(me, "signaling connection closed");
                    break;
                }
            },
            e = events.recv() => match e {
                Some(e) => call.on_event(e).await?,
                None => {
                    trace.note(me, "peer connection ended");
                    break;
                }
            },
            () = tokio::time::sleep_until(limit) => {
                if call.report.connected_at.is_none() {
                    call.stop_media();
                    call.pc.close().await;
                    return Err(format!(
                        "{}: not connected after {} s",
                        me.name(),
                        CONNECT_LIMIT.as_secs()
                    ));
                }
                we_hang_up = true;
                break;
            }
        }
    }

    // Hang up: stop sending, say bye, let the last packets land, read the stats, close.
    call.stop_media();
    if we_hang_up {
        trace.note(me, "hanging up");
        let to = call.to();
        call.send(Message::Bye { to, from: None }, String::new())
            .await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
    } else {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    call.report.stats = call.pc.stats().await.ok();
    call.pc.close().await;
    // Drain what the task said before it ended (connection state closed).
    while let Some(e) = events.try_recv() {
        if let RtcEvent::ConnectionState(s) = e {
            trace.note(me, format!("connection {s:?}"));
        }
    }
    trace.note(me, "closed");
    let _ = call.signal.close().await;
    Ok(call.report)
}

/// Packets and bytes of one direction: (packets sent, bytes sent) by kind from the sender,
/// (packets received, bytes received) by kind from the receiver.
pub fn direction(from: &RtcStats, to: &RtcStats) -> Vec<(MediaKind, u64, u64, u64, u64)> {
    let mut out = Vec::new();
    for kind in [MediaKind::Audio, MediaKind::Video] {
        let sum = |s: &RtcStats, outbound: bool| {
            s.peer
                .streams
                .iter()
                .filter(|x| x.kind == kind && x.outbound == outbound)
                .fold((0, 0), |(p, b), x| (p + x.packets, b + x.bytes))
        };
        let (sp, sb) = sum(from, true);
        let (rp, rb) = sum(to, false);
        if sp + rp > 0 {
            out.push((kind, sp, sb, rp, rb));
        }
    }
    out
}

/// One side's view: what it sent and received, per kind.
pub fn own_streams(stats: &RtcStats) -> HashMap<(bool, &'static str), (u64, u64)> {
    let mut out = HashMap::new();
    for s in &stats.peer.streams {
        let e = out.entry((s.outbound, kind_name(s.kind))).or_insert((0, 0));
        e.0 += s.packets;
        e.1 += s.bytes;
    }
    out
}

/// Bytes in KB with one decimal.
pub fn kb(b: u64) -> String {
    format!("{:.1} KB", b as f64 / 1024.0)
}

/// The time from the offer to connected, for the summary.
pub fn connect_time(r: &PeerReport) -> String {
    match (r.connected_at, r.offer_at) {
        (Some(c), Some(o)) => format!(
            "{} ms after start, {} ms after the offer",
            ms(c),
            ms(c.saturating_sub(o))
        ),
        (Some(c), None) => format!("{} ms after start", ms(c)),
        _ => "never".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_description() {
        let c = "candidate:1 1 UDP 2130706431 127.0.0.1 5000 typ host";
        assert_eq!(describe_candidate(c), "host 127.0.0.1:5000 udp");
        let c = "candidate:2 1 udp 1694498815 1.2.3.4 6000 typ srflx raddr 10.0.0.2 rport 5000";
        assert_eq!(
            describe_candidate(c),
            "srflx 1.2.3.4:6000 udp (base 10.0.0.2:5000)"
        );
        assert_eq!(describe_candidate(""), "? ?:? ?");
    }

    #[test]
    fn sdp_description() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=setup:actpass\r\n";
        assert!(describe_sdp(sdp).starts_with("(audio, video; 2 m-lines, "));
        assert_eq!(setup(sdp), Some("actpass"));
    }

    #[test]
    fn vp8_tags() {
        let k = vp8_frame(0);
        assert_eq!(k[0] & 1, 0);
        assert_eq!(&k[3..6], &[0x9d, 0x01, 0x2a]);
        assert_eq!(vp8_frame(1)[0] & 1, 1);
        assert_eq!(opus_frame(3).len(), 60);
    }
}
