//! nutshell's sans-IO core against str0m's `Rtc` (rust-crypto provider: its DTLS is
//! dimpl), in memory on one virtual clock.
//!
//! nutshell sits on 10.0.0.1:5000 and str0m on 10.0.0.2:6000 (host candidates on both sides,
//! inside the descriptions); every datagram takes 5 ms. Once both report connected, each side
//! writes an audio frame every 20 ms and a video frame every 40 ms for three seconds, each
//! frame carrying its index so that the receiver can be checked frame by frame: every frame
//! that came out on either side must be one the other wrote, byte for byte (H.264 compared NAL
//! unit by NAL unit, as a depacketizer may rewrite start codes), and nearly all must arrive.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Once, OnceLock};
use std::time::{Duration, Instant};

use peer::dtls::SrtpProfile;
use peer::dtls::cert::Certificate;
use peer::{
    Codec, ConnectionState, MediaKind, PeerConfig, PeerConnection, PeerEvent, Protocol, Receive,
    SdpType, TrackId,
};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::config::DtlsVersion;
use str0m::format::Codec as S0Codec;
use str0m::media::{Direction as S0Direction, Frequency, MediaKind as S0Kind, MediaTime, Mid};
use str0m::net::{Protocol as S0Protocol, Receive as S0Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};

use crate::media::{Flow, Video, audio_frame, normalize, video_frame};

const NUT_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 5000);
const STR0M_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 6000);
const LATENCY: Duration = Duration::from_millis(5);
const MEDIA_TIME: Duration = Duration::from_secs(3);

#[derive(Debug, Clone)]
struct Case {
    nutshell_offers: bool,
    video: Video,
    /// nutshell's DTLS-SRTP profiles, in its order of preference (None: its defaults).
    srtp: Option<Vec<SrtpProfile>>,
    /// str0m answers an actpass offer with `a=setup:passive` and nutshell answers with
    /// `a=setup:active`, so nutshell is the DTLS client either way. With this set (str0m
    /// offering), str0m's offer is handed over with `a=setup:active` instead: nutshell answers
    /// passive and is the DTLS server, str0m (which takes its role from the answer) the
    /// client.
    nutshell_dtls_server: bool,
    /// str0m's DTLS versions: 1.2 only (its default), or `Auto`, whose client sends a hybrid
    /// DTLS 1.3/1.2 ClientHello as browsers do.
    str0m_dtls: DtlsVersion,
    /// Percentage of video RTP packets dropped each way once connected (seeded): each
    /// side's NACKs must get the other's retransmissions, or no frame is whole.
    video_loss: u32,
}

impl Case {
    fn new(nutshell_offers: bool, video: Video) -> Case {
        Case {
            nutshell_offers,
            video,
            srtp: None,
            nutshell_dtls_server: false,
            str0m_dtls: DtlsVersion::Dtls12,
            video_loss: 0,
        }
    }
}

// ----- what str0m's DTLS (dimpl) says it negotiated, through `log` ---------------------

thread_local! {
    static DTLS_LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Keeps dimpl's lines about the cipher suite and SRTP profile, per test thread (each test
/// drives str0m on its own thread).
struct DtlsLog;

impl log::Log for DtlsLog {
    fn enabled(&self, meta: &log::Metadata<'_>) -> bool {
        meta.target().starts_with("dimpl")
    }
    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = record.args().to_string();
        let verbose = std::env::var_os("INTEROP_DIMPL_LOG").is_some();
        if verbose {
            eprintln!("dimpl {}: {line}", record.level());
        }
        if line.contains("cipher suite: ") || line.contains("SRTP profile: ") {
            DTLS_LOG.with(|l| l.borrow_mut().push(line));
        }
    }
    fn flush(&self) {}
}

fn capture_dtls_log() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if log::set_logger(&DtlsLog).is_ok() {
            log::set_max_level(log::LevelFilter::Trace);
        }
    });
    DTLS_LOG.with(|l| l.borrow_mut().clear());
}

// ----- the two endpoints ---------------------------------------------------------------

struct Datagram {
    at: Instant,
    source: SocketAddr,
    destination: SocketAddr,
    contents: Vec<u8>,
}

struct Nut {
    pc: PeerConnection,
    audio: Option<TrackId>,
    video: Option<TrackId>,
    keyframe_requested: bool,
    audio_in: Flow,
    video_in: Flow,
}

struct Str0m {
    rtc: Rtc,
    timeout: Instant,
    audio: Option<Mid>,
    video: Option<Mid>,
    keyframe_requested: bool,
    keyframe_requests: usize,
    connected: bool,
    audio_in: Flow,
    video_in: Flow,
}

fn cert() -> Certificate {
    static CERT: OnceLock<Certificate> = OnceLock::new();
    CERT.get_or_init(|| Certificate::generate().expect("certificate"))
        .clone()
}

struct Session {
    case: Case,
    now: Instant,
    /// xorshift64 state for the loss.
    rng: u64,
    dropped: usize,
    nut: Nut,
    s0: Str0m,
    to_nut: VecDeque<Datagram>,
    to_s0: VecDeque<Datagram>,
}

impl Session {
    fn new(case: Case) -> Session {
        let now = Instant::now();
        let mut config = PeerConfig {
            seed: 7,
            ..PeerConfig::new(cert())
        };
        config.codecs = match case.video {
            Video::Vp8 => vec![Codec::opus(), Codec::vp8()],
            Video::H264 => vec![Codec::opus(), Codec::h264()],
        };
        if let Some(p) = &case.srtp {
            config.srtp_profiles = p.clone();
        }
        let mut pc = PeerConnection::new(config, now);
        assert!(pc.add_local_socket(NUT_ADDR).unwrap(), "socket not used");

        let builder = Rtc::builder()
            .set_dtls_version(case.str0m_dtls)
            .clear_codecs()
            .enable_opus(true, false);
        let builder = match case.video {
            Video::Vp8 => builder.enable_vp8(true),
            Video::H264 => builder.enable_h264(true),
        };
        let mut rtc = builder.build(now);
        rtc.add_local_candidate(Candidate::host(STR0M_ADDR, "udp").unwrap())
            .expect("host candidate");

        Session {
            case,
            now,
            rng: 0x9e37_79b9_7f4a_7c15,
            dropped: 0,
            nut: Nut {
                pc,
                audio: None,
                video: None,
                keyframe_requested: false,
                audio_in: Flow::default(),
                video_in: Flow::default(),
            },
            s0: Str0m {
                rtc,
                timeout: now,
                audio: None,
                video: None,
                keyframe_requested: false,
                keyframe_requests: 0,
                connected: false,
                audio_in: Flow::default(),
                video_in: Flow::default(),
            },
            to_nut: VecDeque::new(),
            to_s0: VecDeque::new(),
        }
    }

    fn negotiate(&mut self) {
        let pc = &mut self.nut.pc;
        if self.case.nutshell_offers {
            self.nut.audio = Some(pc.add_track(MediaKind::Audio, "nutshell").unwrap());
            self.nut.video = Some(pc.add_track(MediaKind::Video, "nutshell").unwrap());
            let offer = pc.create_offer().unwrap();
            pc.set_local_description(SdpType::Offer, &offer).unwrap();
            let offer = SdpOffer::from_sdp_string(&offer).expect("str0m parses our offer");
            let answer = self
                .s0
                .rtc
                .sdp_api()
                .accept_offer(offer)
                .expect("str0m accepts our offer");
            pc.set_remote_description(SdpType::Answer, &answer.to_sdp_string())
                .expect("we accept str0m's answer");
            let mid = |t: Option<TrackId>| Mid::from(pc.mid(t.unwrap()).unwrap());
            self.s0.audio = Some(mid(self.nut.audio));
            self.s0.video = Some(mid(self.nut.video));
        } else {
            let mut api = self.s0.rtc.sdp_api();
            let audio = api.add_media(S0Kind::Audio, S0Direction::SendRecv, None, None, None);
            let video = api.add_media(S0Kind::Video, S0Direction::SendRecv, None, None, None);
            let (offer, pending) = api.apply().expect("an offer");
            let mut offer = offer.to_sdp_string();
            if self.case.nutshell_dtls_server {
                assert!(offer.contains("a=setup:actpass"));
                offer = offer.replace("a=setup:actpass", "a=setup:active");
            }
            pc.set_remote_description(SdpType::Offer, &offer)
                .expect("we accept str0m's offer");
            self.nut.audio = Some(pc.add_track(MediaKind::Audio, "nutshell").unwrap());
            self.nut.video = Some(pc.add_track(MediaKind::Video, "nutshell").unwrap());
            assert_eq!(
                pc.mid(self.nut.audio.unwrap()),
                Some(audio.to_string().as_str())
            );
            assert_eq!(
                pc.mid(self.nut.video.unwrap()),
                Some(video.to_string().as_str())
            );
            let answer = pc.create_answer().unwrap();
            pc.set_local_description(SdpType::Answer, &answer).unwrap();
            let answer = SdpAnswer::from_sdp_string(&answer).expect("str0m parses our answer");
            self.s0
                .rtc
                .sdp_api()
                .accept_answer(pending, answer)
                .expect("str0m accepts our answer");
            self.s0.audio = Some(audio);
            self.s0.video = Some(video);
        }
        self.drain_nut();
        self.drain_s0();
    }

    fn drain_nut(&mut self) {
        while let Some(t) = self.nut.pc.poll_transmit() {
            assert_eq!(t.protocol, Protocol::Udp);
            self.to_s0.push_back(Datagram {
                at: self.now + LATENCY,
                source: t.source,
                destination: t.destination,
                contents: t.contents,
            });
        }
        let audio_mid = self
            .nut
            .audio
            .and_then(|t| self.nut.pc.mid(t).map(str::to_owned));
        while let Some(e) = self.nut.pc.poll_event() {
            match e {
                PeerEvent::Frame { mid, data, .. } => {
                    if Some(&mid) == audio_mid.as_ref() {
                        self.nut.audio_in.received.push(data);
                    } else {
                        self.nut.video_in.received.push(data);
                    }
                }
                PeerEvent::KeyframeRequested { .. } => self.nut.keyframe_requested = true,
                PeerEvent::ConnectionState(s) => {
                    assert_ne!(
                        s,
                        ConnectionState::Failed,
                        "nutshell failed: {:?}",
                        self.case
                    )
                }
                _ => {}
            }
        }
    }

    fn drain_s0(&mut self) {
        loop {
            match self.s0.rtc.poll_output() {
                Ok(Output::Timeout(t)) => {
                    self.s0.timeout = t;
                    break;
                }
                Ok(Output::Transmit(t)) => {
                    assert_eq!(t.proto, S0Protocol::Udp);
                    self.to_nut.push_back(Datagram {
                        at: self.now + LATENCY,
                        source: t.source,
                        destination: t.destination,
                        contents: t.contents.to_vec(),
                    });
                }
                Ok(Output::Event(e)) => match e {
                    Event::Connected => self.s0.connected = true,
                    Event::MediaData(d) => {
                        if Some(d.mid) == self.s0.audio {
                            self.s0.audio_in.received.push(d.data.to_vec());
                        } else {
                            self.s0.video_in.received.push(d.data.to_vec());
                        }
                    }
                    Event::KeyframeRequest(_) => {
                        self.s0.keyframe_requested = true;
                        self.s0.keyframe_requests += 1;
                    }
                    _ => {}
                },
                Err(e) => panic!("str0m: {e} ({:?})", self.case),
            }
        }
    }

    /// Whether the network loses this datagram: video RTP only (not audio, not RTCP, not
    /// the handshakes), `video_loss` percent of it.
    fn lose(&mut self, d: &Datagram) -> bool {
        let b = &d.contents;
        let video_rtp = b.len() > 12
            && (128..=191).contains(&b[0])
            && !(64..=95).contains(&(b[1] & 0x7f))
            && b[1] & 0x7f != 111;
        if !video_rtp || self.case.video_loss == 0 {
            return false;
        }
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let lost = self.rng % 100 < u64::from(self.case.video_loss);
        self.dropped += usize::from(lost);
        lost
    }

    /// Runs the network and both endpoints' timers up to `until`.
    fn run_until(&mut self, until: Instant) {
        loop {
            while self.to_nut.front().is_some_and(|d| d.at <= self.now) {
                let d = self.to_nut.pop_front().unwrap();
                assert_eq!(d.destination, NUT_ADDR);
                if self.lose(&d) {
                    continue;
                }
                self.nut.pc.handle_receive(
                    self.now,
                    Receive {
                        protocol: Protocol::Udp,
                        source: d.source,
                        destination: d.destination,
                        contents: &d.contents,
                    },
                );
                self.drain_nut();
            }
            while self.to_s0.front().is_some_and(|d| d.at <= self.now) {
                let d = self.to_s0.pop_front().unwrap();
                assert_eq!(d.destination, STR0M_ADDR);
                if self.lose(&d) {
                    continue;
                }
                let input = Input::Receive(
                    self.now,
                    S0Receive {
                        proto: S0Protocol::Udp,
                        source: d.source,
                        destination: d.destination,
                        contents: d.contents.as_slice().try_into().expect("a datagram"),
                    },
                );
                if self.s0.rtc.accepts(&input) {
                    self.s0.rtc.handle_input(input).expect("str0m input");
                }
                self.drain_s0();
            }
            if self.nut.pc.poll_timeout().is_some_and(|t| t <= self.now) {
                self.nut.pc.handle_timeout(self.now);
                self.drain_nut();
            }
            if self.s0.timeout <= self.now {
                self.s0
                    .rtc
                    .handle_input(Input::Timeout(self.now))
                    .expect("str0m timeout");
                self.drain_s0();
            }
            if self.now >= until {
                return;
            }
            let next = [
                self.nut.pc.poll_timeout(),
                Some(self.s0.timeout),
                self.to_nut.front().map(|d| d.at),
                self.to_s0.front().map(|d| d.at),
                Some(until),
            ]
            .into_iter()
            .flatten()
            .min()
            .unwrap();
            // A timer that stays due must not stall the clock.
            self.now = next.max(self.now + Duration::from_micros(100)).min(until);
        }
    }

    fn connected(&self) -> bool {
        self.nut.pc.connection_state() == ConnectionState::Connected && self.s0.connected
    }

    /// Writes one audio frame on each side, and one video frame every other tick.
    fn write_media(&mut self, tick: usize) {
        let video = self.case.video;
        let nut = &mut self.nut;
        let a = audio_frame(1, tick);
        nut.pc
            .write_frame(nut.audio.unwrap(), Duration::from_millis(20), &a)
            .unwrap();
        self.s0.audio_in.sent.push(a);
        let a = audio_frame(2, tick);
        let s0 = &mut self.s0;
        let mut writer = s0.rtc.writer(s0.audio.unwrap()).expect("audio writer");
        let pt = writer
            .payload_params()
            .find(|p| p.spec().codec == S0Codec::Opus)
            .expect("opus negotiated")
            .pt();
        writer = writer.audio_level(-30, true);
        writer
            .write(
                pt,
                self.now,
                MediaTime::new(tick as u64 * 960, Frequency::FORTY_EIGHT_KHZ),
                a.clone(),
            )
            .expect("str0m writes audio");
        self.nut.audio_in.sent.push(a);

        if tick.is_multiple_of(2) {
            let i = tick / 2;
            let key = i.is_multiple_of(50) || std::mem::take(&mut self.nut.keyframe_requested);
            let v = video_frame(video, 1, i, key);
            let nut = &mut self.nut;
            nut.pc
                .write_frame(nut.video.unwrap(), Duration::from_millis(40), &v)
                .unwrap();
            self.s0.video_in.sent.push(v);

            let key = i.is_multiple_of(50) || std::mem::take(&mut self.s0.keyframe_requested);
            let v = video_frame(video, 2, i, key);
            let s0 = &mut self.s0;
            let writer = s0.rtc.writer(s0.video.unwrap()).expect("video writer");
            let want = match video {
                Video::Vp8 => S0Codec::Vp8,
                Video::H264 => S0Codec::H264,
            };
            let pt = writer
                .payload_params()
                .find(|p| p.spec().codec == want)
                .expect("video codec negotiated")
                .pt();
            writer
                .write(
                    pt,
                    self.now,
                    MediaTime::new(i as u64 * 3600, Frequency::NINETY_KHZ),
                    v.clone(),
                )
                .expect("str0m writes video");
            self.nut.video_in.sent.push(v);
        }
        self.drain_nut();
        self.drain_s0();
    }
}

fn run(case: Case) {
    capture_dtls_log();
    let mut s = Session::new(case.clone());
    let start = s.now;
    s.negotiate();
    while !s.connected() {
        assert!(
            s.now - start < Duration::from_secs(10),
            "not connected after 10 s: nutshell {:?}, str0m connected {} ({case:?})",
            s.nut.pc.connection_state(),
            s.s0.connected,
        );
        let step = s.now + Duration::from_millis(10);
        s.run_until(step);
    }
    let connected_after = s.now - start;
    let ticks = (MEDIA_TIME.as_millis() / 20) as usize;
    for tick in 0..ticks {
        s.write_media(tick);
        let step = s.now + Duration::from_millis(20);
        s.run_until(step);
    }
    // Let the last frames land.
    let step = s.now + Duration::from_millis(200);
    s.run_until(step);

    let h264 = case.video == Video::H264;
    // str0m 0.24 neither NACKs nor retransmits without RTX (its receive streams suppress NACK
    // when there is no repair SSRC, and a packet whose payload type has no RTX payload type is
    // "not nackable"), and nutshell does not negotiate RTX: with loss, video recovers only at
    // the next key frame, both ways (checked below).
    let no_loss = case.video_loss == 0;
    let flows = [
        ("str0m -> nutshell audio", &s.nut.audio_in, false, true),
        ("str0m -> nutshell video", &s.nut.video_in, h264, no_loss),
        ("nutshell -> str0m audio", &s.s0.audio_in, false, true),
        ("nutshell -> str0m video", &s.s0.video_in, h264, no_loss),
    ];
    for (name, flow, h264, whole) in flows {
        let (good, bad) = flow.check(h264);
        let sent = flow.sent.len();
        eprintln!("{case:?}: {name}: {good}/{sent} frames intact, {bad} foreign");
        assert_eq!(bad, 0, "{name}: frames that were never sent ({case:?})");
        // Without retransmission, a loss costs the frames up to the next key frame.
        let enough = if whole {
            good + 2 >= sent
        } else {
            good * 4 >= sent
        };
        assert!(
            enough,
            "{name}: only {good} of {sent} frames arrived ({case:?})"
        );
    }

    // The negotiated DTLS cipher suite and SRTP profile, as each side saw them.
    let stats = s.nut.pc.stats();
    if case.video_loss > 0 {
        let nacks: Vec<_> = stats
            .streams
            .iter()
            .filter(|st| st.kind == MediaKind::Video)
            .map(|st| (st.outbound, st.nacks, st.retransmitted_or_frames))
            .collect();
        eprintln!(
            "{case:?}: {} video packets lost; nutshell video (outbound, nacks, retransmitted \
             or frames): {nacks:?}",
            s.dropped
        );
        assert!(s.dropped >= 10, "too few losses to mean anything");
        let video = |outbound| {
            stats
                .streams
                .iter()
                .find(|st| st.kind == MediaKind::Video && st.outbound == outbound)
                .expect("video stream")
        };
        // nutshell NACKed its losses (unanswered) and asked for key frames, which str0m's
        // writer here sends on request; str0m asked for none and NACKed nothing.
        assert!(video(false).nacks > 0, "nutshell sent no NACK");
        assert!(video(false).keyframe_requests > 0, "nutshell sent no PLI");
        assert!(s.s0.keyframe_requests > 0, "str0m saw no PLI");
        assert_eq!(
            video(true).nacks,
            0,
            "str0m NACKs without RTX now: test RTX"
        );
    }
    let cipher = stats.dtls_cipher.expect("nutshell: no DTLS cipher");
    let profile = stats.srtp_profile.expect("nutshell: no SRTP profile");
    let lines = DTLS_LOG.with(|l| l.borrow().clone());
    let dimpl_cipher = lines
        .iter()
        .filter(|l| l.contains("cipher suite: "))
        .find_map(|l| l.rsplit(": ").next());
    let dimpl_profile = lines
        .iter()
        .find_map(|l| l.strip_prefix("Negotiated SRTP profile: "));
    eprintln!(
        "{case:?}: connected after {connected_after:?}; nutshell is DTLS {:?}: {cipher}, {profile}; \
         str0m (dimpl) logged: {lines:?}",
        s.nut.pc.dtls_role()
    );
    assert_eq!(
        dimpl_profile.map(normalize),
        Some(normalize(&profile)),
        "SRTP profile: str0m and nutshell disagree ({case:?})"
    );
    if let Some(c) = dimpl_cipher {
        assert_eq!(normalize(c), normalize(&cipher), "cipher suite ({case:?})");
    } else {
        panic!("dimpl logged no cipher suite: {lines:?}");
    }
    let want_role = if case.nutshell_dtls_server {
        peer::dtls::Role::Server
    } else {
        peer::dtls::Role::Client
    };
    assert_eq!(s.nut.pc.dtls_role(), Some(want_role), "{case:?}");
    if let Some(want) = case.srtp.as_ref().and_then(|p| p.first()) {
        assert_eq!(normalize(&profile), normalize(want.name()), "{case:?}");
    }
    assert_eq!(stats.srtp_failures, 0, "nutshell SRTP failures ({case:?})");
}

#[test]
fn nutshell_offers_str0m_answers_opus_vp8() {
    run(Case::new(true, Video::Vp8));
}

#[test]
fn str0m_offers_nutshell_answers_opus_vp8() {
    run(Case::new(false, Video::Vp8));
}

#[test]
fn nutshell_offers_str0m_answers_opus_h264() {
    run(Case::new(true, Video::H264));
}

#[test]
fn str0m_offers_nutshell_answers_opus_h264() {
    run(Case::new(false, Video::H264));
}

/// Each SRTP profile both stacks have, forced from nutshell's side.
#[test]
fn every_common_srtp_profile() {
    for profile in [
        SrtpProfile::Aes128CmHmacSha1_80,
        SrtpProfile::AeadAes128Gcm,
        SrtpProfile::AeadAes256Gcm,
    ] {
        for nutshell_offers in [true, false] {
            run(Case {
                srtp: Some(vec![profile]),
                ..Case::new(nutshell_offers, Video::Vp8)
            });
        }
    }
}

/// nutshell as the DTLS server, str0m (dimpl) as a DTLS 1.2 client.
#[test]
fn nutshell_dtls_server() {
    run(Case {
        nutshell_dtls_server: true,
        ..Case::new(false, Video::Vp8)
    });
}

/// nutshell as the DTLS server, str0m's client offering DTLS 1.3 and 1.2 in one hybrid
/// ClientHello (as browsers do): nutshell must settle on 1.2.
#[test]
fn nutshell_dtls_server_hybrid_client_hello() {
    run(Case {
        nutshell_dtls_server: true,
        str0m_dtls: DtlsVersion::Auto,
        ..Case::new(false, Video::H264)
    });
}

/// str0m as a version-sensing (`Auto`) DTLS server, nutshell's 1.2 client.
#[test]
fn str0m_auto_dtls_server() {
    run(Case {
        str0m_dtls: DtlsVersion::Auto,
        ..Case::new(true, Video::Vp8)
    });
}

/// 5% of the video packets lost each way, without RTX (nutshell has none): str0m neither
/// NACKs nor retransmits then, so video recovers at key frames only; nutshell's NACKs go
/// unanswered and its PLIs get key frames.
#[test]
fn video_loss_without_rtx() {
    for nutshell_offers in [true, false] {
        run(Case {
            video_loss: 5,
            ..Case::new(nutshell_offers, Video::Vp8)
        });
    }
}
