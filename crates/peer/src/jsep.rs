//! JSEP (RFC 8829): the signaling state machine, offers and answers, and what a completed
//! exchange negotiates (codecs, extensions, directions, DTLS role).

use std::borrow::Cow;

use rtp::ExtensionKind;
use sdp::{
    Attribute, Connection, Direction, Extmap, FeedbackPt, Fingerprint, Fmtp, Group, HashAlgorithm,
    MediaDescription, Msid, MsidSemantic, RtcpFb, Rtpmap, SessionDescription, Setup, Ssrc,
};

use crate::codec::{Codec, CodecKind, MediaKind, answer_fmtp, extension_applies, matches};
use crate::media::Transceiver;
use crate::peer::{PeerConnection, ice_config};
use crate::{Error, PeerEvent, TrackInfo};

/// The type of a session description (W3C `RTCSdpType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SdpType {
    /// `offer`
    Offer,
    /// `pranswer` (not supported: [`Error::Unsupported`]).
    Pranswer,
    /// `answer`
    Answer,
    /// `rollback`: abandons the pending offer.
    Rollback,
}

impl SdpType {
    /// The W3C token.
    pub fn as_str(self) -> &'static str {
        match self {
            SdpType::Offer => "offer",
            SdpType::Pranswer => "pranswer",
            SdpType::Answer => "answer",
            SdpType::Rollback => "rollback",
        }
    }

    /// The type named by a W3C token.
    pub fn from_token(s: &str) -> Option<Self> {
        Some(match s {
            "offer" => SdpType::Offer,
            "pranswer" => SdpType::Pranswer,
            "answer" => SdpType::Answer,
            "rollback" => SdpType::Rollback,
            _ => return None,
        })
    }
}

/// Signaling state, as W3C `RTCSignalingState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignalingState {
    /// No exchange in progress.
    Stable,
    /// Our offer is set locally; waiting for the answer.
    HaveLocalOffer,
    /// The peer's offer is set; create and set an answer.
    HaveRemoteOffer,
    /// (pranswer, not used.)
    HaveLocalPranswer,
    /// (pranswer, not used.)
    HaveRemotePranswer,
    /// The connection is closed.
    Closed,
}

/// What occupies one m-line position.
#[derive(Debug, Clone)]
pub(crate) enum MLine {
    /// A transceiver (index).
    Transceiver(usize),
    /// A section we rejected or do not support, kept in place with port 0.
    Rejected(Box<MediaDescription<'static>>),
}

/// State to restore on rollback.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    mlines: Vec<MLine>,
    transceivers: usize,
    mids: Vec<Option<String>>,
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidDescription(msg.into())
}

fn parse(text: &str) -> Result<SessionDescription<'static>, Error> {
    SessionDescription::parse(text)
        .map(SessionDescription::into_owned)
        .map_err(|e| invalid(e.to_string()))
}

fn kind_of(m: &MediaDescription<'_>) -> Option<MediaKind> {
    match m.kind {
        sdp::MediaKind::Audio => Some(MediaKind::Audio),
        sdp::MediaKind::Video => Some(MediaKind::Video),
        _ => None,
    }
}

/// A section we can take: audio or video over (S)RTP/(S)AVPF, port not 0.
fn supported(m: &MediaDescription<'_>) -> bool {
    kind_of(m).is_some() && m.port != 0 && m.protocol.contains("RTP/") && !m.formats.is_empty()
}

fn intersect(ours: Direction, theirs_reversed: Direction) -> Direction {
    let send = |d: Direction| matches!(d, Direction::SendRecv | Direction::SendOnly);
    let recv = |d: Direction| matches!(d, Direction::SendRecv | Direction::RecvOnly);
    match (
        send(ours) && send(theirs_reversed),
        recv(ours) && recv(theirs_reversed),
    ) {
        (true, true) => Direction::SendRecv,
        (true, false) => Direction::SendOnly,
        (false, true) => Direction::RecvOnly,
        (false, false) => Direction::Inactive,
    }
}

fn rejected_copy(m: &MediaDescription<'_>) -> MediaDescription<'static> {
    let mut r = MediaDescription::new(
        match &m.kind {
            sdp::MediaKind::Audio => sdp::MediaKind::Audio,
            sdp::MediaKind::Video => sdp::MediaKind::Video,
            sdp::MediaKind::Application => sdp::MediaKind::Application,
            sdp::MediaKind::Text => sdp::MediaKind::Text,
            sdp::MediaKind::Message => sdp::MediaKind::Message,
            sdp::MediaKind::Other(s) => sdp::MediaKind::Other(Cow::Owned(s.to_string())),
        },
        0,
        m.protocol.to_string(),
        m.formats
            .iter()
            .map(|f| Cow::Owned(f.to_string()))
            .collect(),
    );
    r.connections.push(zero_connection());
    if let Some(mid) = m.mid() {
        r.attributes
            .push(Attribute::Mid(Cow::Owned(mid.to_owned())));
    }
    r
}

fn zero_connection() -> Connection<'static> {
    Connection {
        net_type: Cow::Borrowed("IN"),
        addr_type: Cow::Borrowed("IP4"),
        address: Cow::Borrowed("0.0.0.0"),
        ttl: None,
        count: None,
    }
}

/// The remote's codecs that match ours, in `order` preference: with the remote's payload
/// types, and the feedback both sides have.
fn negotiate_codecs(
    local: &[Codec],
    kind: MediaKind,
    remote: &MediaDescription<'_>,
    answer: bool,
) -> Vec<Codec> {
    let mut out: Vec<Codec> = Vec::new();
    let remote_fb = |pt: u8| -> Vec<String> {
        remote
            .rtcp_fbs()
            .filter(|fb| {
                fb.payload_type == FeedbackPt::Any || fb.payload_type == FeedbackPt::Pt(pt)
            })
            .map(|fb| match &fb.param {
                Some(p) => format!("{} {}", fb.kind, p),
                None => fb.kind.to_string(),
            })
            .collect()
    };
    let consider = |ours: &Codec, pt: u8| -> Option<Codec> {
        let map = remote.rtpmap(pt)?;
        let fmtp = remote
            .fmtp(pt)
            .map(|f| f.value.to_string())
            .unwrap_or_default();
        if !matches(ours, &map.encoding, map.clock_rate, map.channels, &fmtp) {
            return None;
        }
        let rfb = remote_fb(pt);
        Some(Codec {
            kind: ours.kind,
            payload_type: pt,
            clock_rate: ours.clock_rate,
            channels: ours.channels,
            fmtp: if answer {
                answer_fmtp(ours, &fmtp)
            } else {
                fmtp
            },
            rtcp_fb: ours
                .rtcp_fb
                .iter()
                .filter(|f| rfb.contains(f))
                .cloned()
                .collect(),
        })
    };
    let pts: Vec<u8> = remote.payload_types().collect();
    if answer {
        // Our preference order, the first matching remote payload type of each codec.
        for ours in local.iter().filter(|c| c.kind.media_kind() == kind) {
            // For H.264 prefer the remote payload type with exactly our profile
            // (constrained baseline, 42e0xx) over plain baseline.
            let exact = pts.iter().find_map(|&pt| {
                consider(ours, pt).filter(|c| {
                    c.kind != CodecKind::H264
                        || c.fmtp
                            .to_ascii_lowercase()
                            .contains("profile-level-id=42e0")
                })
            });
            if let Some(c) = exact.or_else(|| pts.iter().find_map(|&pt| consider(ours, pt))) {
                out.push(c);
            }
        }
    } else {
        // Applying an answer: its order, one payload type per codec.
        for &pt in &pts {
            for ours in local.iter().filter(|c| c.kind.media_kind() == kind) {
                if out.iter().any(|c| c.kind == ours.kind) {
                    continue;
                }
                if let Some(c) = consider(ours, pt) {
                    out.push(c);
                    break;
                }
            }
        }
    }
    out
}

/// The remote's extensions we support for `kind`, with the remote's ids.
fn negotiate_extensions(
    local: &[(u8, ExtensionKind)],
    kind: MediaKind,
    remote: &MediaDescription<'_>,
) -> Vec<(u8, ExtensionKind)> {
    let mut out = Vec::new();
    for e in remote.extmaps() {
        let Some(k) = ExtensionKind::from_uri(&e.uri) else {
            continue;
        };
        let Ok(id) = u8::try_from(e.id) else {
            continue;
        };
        if id == 0 {
            continue;
        }
        if matches!(e.direction, Some(Direction::Inactive)) {
            continue;
        }
        if extension_applies(k, kind)
            && local.iter().any(|(_, l)| *l == k)
            && !out.iter().any(|(_, o)| *o == k)
        {
            out.push((id, k));
        }
    }
    out
}

impl PeerConnection {
    fn require_state(&self, operation: &'static str, ok: &[SignalingState]) -> Result<(), Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        if ok.contains(&self.signaling) {
            Ok(())
        } else {
            Err(Error::InvalidState {
                operation,
                state: self.signaling,
            })
        }
    }

    fn set_signaling(&mut self, s: SignalingState) {
        if self.signaling != s {
            self.signaling = s;
            self.push_event(PeerEvent::SignalingState(s));
        }
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            mlines: self.mlines.clone(),
            transceivers: self.transceivers.len(),
            mids: self.transceivers.iter().map(|t| t.mid.clone()).collect(),
        }
    }

    fn next_free_mid(&mut self) -> String {
        loop {
            let mid = self.next_mid.to_string();
            self.next_mid += 1;
            let taken = self
                .transceivers
                .iter()
                .any(|t| t.mid.as_deref() == Some(&mid))
                || self.mlines.iter().any(|m| match m {
                    MLine::Rejected(d) => d.mid() == Some(mid.as_str()),
                    MLine::Transceiver(_) => false,
                });
            if !taken {
                return mid;
            }
        }
    }

    pub(crate) fn create_offer_inner(&mut self) -> Result<String, Error> {
        self.require_state(
            "create_offer",
            &[SignalingState::Stable, SignalingState::HaveLocalOffer],
        )?;
        for i in 0..self.transceivers.len() {
            if self
                .transceivers
                .get(i)
                .is_some_and(|t| !t.removed && t.mid.is_none())
            {
                let mid = self.next_free_mid();
                if let Some(t) = self.transceivers.get_mut(i) {
                    t.mid = Some(mid);
                }
            }
        }
        // The m-lines in place, then the new transceivers.
        let mut order: Vec<MLine> = self.mlines.clone();
        for (i, t) in self.transceivers.iter().enumerate() {
            if !t.removed
                && !order
                    .iter()
                    .any(|m| matches!(m, MLine::Transceiver(x) if *x == i))
            {
                order.push(MLine::Transceiver(i));
            }
        }
        let mut d = self.new_description();
        let mut mids = Vec::new();
        let mut first = true;
        for m in &order {
            match m {
                MLine::Transceiver(i) => {
                    let Some(t) = self.transceivers.get(*i) else {
                        continue;
                    };
                    if t.rejected || t.removed {
                        d.media.push(self.rejected_section(t));
                        continue;
                    }
                    let codecs = if t.codecs.is_empty() {
                        self.config
                            .codecs
                            .iter()
                            .filter(|c| c.kind.media_kind() == t.kind)
                            .cloned()
                            .collect()
                    } else {
                        t.codecs.clone()
                    };
                    let exts = if t.extensions.is_empty() {
                        self.config
                            .extensions
                            .iter()
                            .filter(|(_, k)| extension_applies(*k, t.kind))
                            .copied()
                            .collect()
                    } else {
                        t.extensions.clone()
                    };
                    mids.push(t.mid.clone().unwrap_or_default());
                    d.media.push(self.media_section(
                        t,
                        &codecs,
                        &exts,
                        t.direction,
                        Setup::ActPass,
                        first,
                    ));
                    first = false;
                }
                MLine::Rejected(r) => d.media.push((**r).clone()),
            }
        }
        self.finish_description(&mut d, mids);
        let text = d.to_string();
        self.last_created = Some(text.clone());
        Ok(text)
    }

    pub(crate) fn create_answer_inner(&mut self) -> Result<String, Error> {
        self.require_state("create_answer", &[SignalingState::HaveRemoteOffer])?;
        let Some(offer) = self.pending_remote.clone() else {
            return Err(invalid("no remote offer"));
        };
        // RFC 8842 §5.3: keep the role in use; else the opposite of a non-actpass offer;
        // else active (as browsers answer).
        let offered = offer
            .media
            .iter()
            .filter(|m| supported(m))
            .find_map(|m| m.setup())
            .or(offer.setup());
        let setup = match (self.dtls_role, offered) {
            (Some(dtls::Role::Server), _) => Setup::Passive,
            (Some(dtls::Role::Client), _) => Setup::Active,
            (None, Some(Setup::Active)) => Setup::Passive,
            (None, _) => Setup::Active,
        };
        let mut d = self.new_description();
        let mut mids = Vec::new();
        let mut first = true;
        for (i, om) in offer.media.iter().enumerate() {
            let t = match self.mlines.get(i) {
                Some(MLine::Transceiver(x)) => self.transceivers.get(*x).filter(|t| !t.removed),
                _ => None,
            };
            let Some(t) = t.filter(|_| supported(om)) else {
                d.media.push(rejected_copy(om));
                continue;
            };
            let codecs = negotiate_codecs(&self.config.codecs, t.kind, om, true);
            if codecs.is_empty() {
                d.media.push(rejected_copy(om));
                continue;
            }
            let exts = negotiate_extensions(&self.config.extensions, t.kind, om);
            let theirs = om.direction().unwrap_or(Direction::SendRecv).reverse();
            let dir = intersect(t.direction, theirs);
            mids.push(t.mid.clone().unwrap_or_default());
            d.media
                .push(self.media_section(t, &codecs, &exts, dir, setup, first));
            first = false;
        }
        self.finish_description(&mut d, mids);
        let text = d.to_string();
        self.last_created = Some(text.clone());
        Ok(text)
    }

    fn new_description(&mut self) -> SessionDescription<'static> {
        let mut d = SessionDescription::new(self.session_id);
        d.origin.session_version = self.session_version;
        self.session_version += 1;
        d
    }

    fn finish_description(&self, d: &mut SessionDescription<'static>, mids: Vec<String>) {
        d.attributes.push(Attribute::Group(Group {
            semantics: Cow::Borrowed("BUNDLE"),
            mids: mids.into_iter().map(Cow::Owned).collect(),
        }));
        d.attributes.push(Attribute::ExtmapAllowMixed);
        let streams: Vec<Cow<'static, str>> = self
            .transceivers
            .iter()
            .filter(|t| !t.removed && t.has_track)
            .filter_map(|t| t.stream_id.clone())
            .map(Cow::Owned)
            .collect();
        d.attributes.push(Attribute::MsidSemantic(MsidSemantic {
            semantic: Cow::Borrowed("WMS"),
            ids: streams,
            space_after_colon: true,
        }));
    }

    fn rejected_section(&self, t: &Transceiver) -> MediaDescription<'static> {
        let mut formats: Vec<Cow<'static, str>> = t
            .codecs
            .iter()
            .map(|c| Cow::Owned(c.payload_type.to_string()))
            .collect();
        if formats.is_empty() {
            formats.push(Cow::Borrowed("0"));
        }
        let kind = match t.kind {
            MediaKind::Audio => sdp::MediaKind::Audio,
            MediaKind::Video => sdp::MediaKind::Video,
        };
        let mut m = MediaDescription::new(kind, 0, "UDP/TLS/RTP/SAVPF", formats);
        m.connections.push(zero_connection());
        if let Some(mid) = &t.mid {
            m.attributes.push(Attribute::Mid(Cow::Owned(mid.clone())));
        }
        m
    }

    fn media_section(
        &self,
        t: &Transceiver,
        codecs: &[Codec],
        exts: &[(u8, ExtensionKind)],
        direction: Direction,
        setup: Setup,
        with_candidates: bool,
    ) -> MediaDescription<'static> {
        let kind = match t.kind {
            MediaKind::Audio => sdp::MediaKind::Audio,
            MediaKind::Video => sdp::MediaKind::Video,
        };
        let formats = codecs
            .iter()
            .map(|c| Cow::Owned(c.payload_type.to_string()))
            .collect();
        let mut m = MediaDescription::new(kind, 9, "UDP/TLS/RTP/SAVPF", formats);
        m.connections.push(zero_connection());
        let a = &mut m.attributes;
        if with_candidates {
            for c in self.ice.local_candidates() {
                if let Ok(parsed) = sdp::Candidate::parse(&crate::candidate::candidate_to_sdp(c)) {
                    a.push(Attribute::Candidate(Box::new(parsed.into_owned())));
                }
            }
            if self.gathering_state == ice::GatheringState::Complete {
                a.push(Attribute::EndOfCandidates);
            }
        }
        let (ufrag, pwd) = self.ice.local_credentials();
        a.push(Attribute::IceUfrag(Cow::Owned(ufrag.to_owned())));
        a.push(Attribute::IcePwd(Cow::Owned(pwd.to_owned())));
        a.push(Attribute::IceOptions(vec![Cow::Borrowed("trickle")]));
        a.push(Attribute::Fingerprint(Fingerprint {
            algorithm: HashAlgorithm::Sha256,
            digest: dtls::cert::Fingerprint::sha256(self.config.certificate.der())
                .bytes()
                .to_vec(),
        }));
        a.push(Attribute::Setup(setup));
        a.push(Attribute::Mid(Cow::Owned(
            t.mid.clone().unwrap_or_default(),
        )));
        for (id, k) in exts {
            a.push(Attribute::Extmap(Extmap {
                id: u16::from(*id),
                direction: None,
                uri: Cow::Borrowed(k.uri()),
                attributes: None,
            }));
        }
        a.push(Attribute::Direction(direction));
        let sends = t.has_track && matches!(direction, Direction::SendRecv | Direction::SendOnly);
        let stream = t.stream_id.clone().unwrap_or_else(|| "-".to_owned());
        if sends {
            a.push(Attribute::Msid(Msid {
                stream_id: Cow::Owned(stream.clone()),
                track_id: Some(Cow::Owned(t.track_id.clone())),
            }));
        }
        a.push(Attribute::RtcpMux);
        a.push(Attribute::RtcpRsize);
        for c in codecs {
            a.push(Attribute::Rtpmap(Rtpmap {
                payload_type: c.payload_type,
                encoding: Cow::Borrowed(c.kind.encoding_name()),
                clock_rate: c.clock_rate,
                channels: c.channels,
            }));
            for fb in &c.rtcp_fb {
                let (k, p) = match fb.split_once(' ') {
                    Some((k, p)) => (k.to_owned(), Some(Cow::Owned(p.to_owned()))),
                    None => (fb.clone(), None),
                };
                a.push(Attribute::RtcpFb(RtcpFb {
                    payload_type: FeedbackPt::Pt(c.payload_type),
                    kind: Cow::Owned(k),
                    param: p,
                }));
            }
            if !c.fmtp.is_empty() {
                a.push(Attribute::Fmtp(Fmtp {
                    payload_type: c.payload_type,
                    value: Cow::Owned(c.fmtp.clone()),
                }));
            }
        }
        if sends {
            let ssrc = t.send.ssrc;
            a.push(Attribute::Ssrc(Ssrc {
                ssrc,
                attribute: Cow::Borrowed("cname"),
                value: Some(Cow::Owned(self.cname.clone())),
            }));
            a.push(Attribute::Ssrc(Ssrc {
                ssrc,
                attribute: Cow::Borrowed("msid"),
                value: Some(Cow::Owned(format!("{stream} {}", t.track_id))),
            }));
        }
        m
    }

    // ----- setting descriptions ------------------------------------------------------------

    pub(crate) fn set_local_description_inner(
        &mut self,
        typ: SdpType,
        sdp: &str,
    ) -> Result<(), Error> {
        match typ {
            SdpType::Offer => {
                self.require_state(
                    "set_local_description(offer)",
                    &[SignalingState::Stable, SignalingState::HaveLocalOffer],
                )?;
                let d = parse(sdp)?;
                let snapshot = match self.offer_snapshot.take() {
                    Some(s) if self.signaling == SignalingState::HaveLocalOffer => s,
                    _ => self.snapshot(),
                };
                let mut mlines = Vec::with_capacity(d.media.len());
                for (i, m) in d.media.iter().enumerate() {
                    let found = m.mid().and_then(|mid| {
                        self.transceivers
                            .iter()
                            .position(|t| !t.removed && t.mid.as_deref() == Some(mid))
                    });
                    match found {
                        Some(x) => mlines.push(MLine::Transceiver(x)),
                        None => match snapshot.mlines.get(i) {
                            Some(MLine::Rejected(r)) => mlines.push(MLine::Rejected(r.clone())),
                            _ => return Err(invalid("offer does not match our transceivers")),
                        },
                    }
                }
                self.mlines = mlines;
                self.offer_snapshot = Some(snapshot);
                self.pending_local = Some(d);
                self.set_signaling(SignalingState::HaveLocalOffer);
                self.release_candidates();
            }
            SdpType::Answer => {
                self.require_state(
                    "set_local_description(answer)",
                    &[SignalingState::HaveRemoteOffer],
                )?;
                let d = parse(sdp)?;
                let Some(offer) = self.pending_remote.clone() else {
                    return Err(invalid("no remote offer"));
                };
                if d.media.len() != offer.media.len() {
                    return Err(invalid("answer has a different number of media sections"));
                }
                self.complete_negotiation(&offer, &d, false);
                self.current_local = Some(d);
                self.current_remote = self.pending_remote.take();
                self.pending_local = None;
                self.offer_snapshot = None;
                self.set_signaling(SignalingState::Stable);
                self.release_candidates();
            }
            SdpType::Rollback => self.rollback()?,
            SdpType::Pranswer => return Err(Error::Unsupported("pranswer")),
        }
        self.pump();
        Ok(())
    }

    pub(crate) fn set_remote_description_inner(
        &mut self,
        typ: SdpType,
        sdp: &str,
    ) -> Result<(), Error> {
        match typ {
            SdpType::Offer => {
                self.require_state(
                    "set_remote_description(offer)",
                    &[
                        SignalingState::Stable,
                        SignalingState::HaveRemoteOffer,
                        SignalingState::HaveLocalOffer,
                    ],
                )?;
                let d = parse(sdp)?;
                let transport = self.validate_remote(&d)?;
                if self.signaling != SignalingState::Stable {
                    self.rollback()?;
                }
                self.apply_remote_offer(d, transport);
            }
            SdpType::Answer => {
                self.require_state(
                    "set_remote_description(answer)",
                    &[SignalingState::HaveLocalOffer],
                )?;
                let d = parse(sdp)?;
                let Some(offer) = self.pending_local.clone() else {
                    return Err(invalid("no local offer"));
                };
                if d.media.len() != offer.media.len() {
                    return Err(invalid("answer has a different number of media sections"));
                }
                for (o, a) in offer.media.iter().zip(&d.media) {
                    if a.port != 0 && o.mid() != a.mid() {
                        return Err(invalid("answer mids differ from the offer's"));
                    }
                }
                let transport = self.validate_remote(&d)?;
                self.apply_remote_transport(&d, transport);
                self.announce_tracks(&d);
                self.complete_negotiation(&offer, &d, true);
                self.current_remote = Some(d);
                self.current_local = self.pending_local.take();
                self.offer_snapshot = None;
                self.set_signaling(SignalingState::Stable);
            }
            SdpType::Rollback => self.rollback()?,
            SdpType::Pranswer => return Err(Error::Unsupported("pranswer")),
        }
        self.pump();
        Ok(())
    }

    fn rollback(&mut self) -> Result<(), Error> {
        self.require_state(
            "rollback",
            &[
                SignalingState::HaveLocalOffer,
                SignalingState::HaveRemoteOffer,
            ],
        )?;
        if let Some(s) = self.offer_snapshot.take() {
            self.mlines = s.mlines;
            for (i, t) in self.transceivers.iter_mut().enumerate() {
                if i >= s.transceivers {
                    if t.from_remote {
                        t.removed = true;
                    }
                } else if let Some(mid) = s.mids.get(i)
                    && self.signaling == SignalingState::HaveRemoteOffer
                {
                    t.mid = mid.clone();
                }
            }
        }
        self.pending_local = None;
        self.pending_remote = None;
        self.set_signaling(SignalingState::Stable);
        Ok(())
    }

    /// Checks what WebRTC needs of a remote description: per accepted section ICE
    /// credentials, a fingerprint we can check, and a mid. Returns the credentials and
    /// fingerprints.
    fn validate_remote(&self, d: &SessionDescription<'_>) -> Result<RemoteTransport, Error> {
        let mut out: Option<RemoteTransport> = None;
        for m in d.media.iter().filter(|m| supported(m)) {
            if m.mid().is_none() {
                return Err(invalid("media section without a=mid"));
            }
            let ufrag = m.ice_ufrag().or(d.ice_ufrag());
            let pwd = m.ice_pwd().or(d.ice_pwd());
            let (Some(ufrag), Some(pwd)) = (ufrag, pwd) else {
                return Err(invalid("media section without ICE credentials"));
            };
            let mut fps: Vec<dtls::cert::Fingerprint> = m
                .fingerprints()
                .chain(d.fingerprints())
                .filter_map(|f| {
                    let alg =
                        dtls::cert::FingerprintAlgorithm::from_sdp_name(f.algorithm.as_str())?;
                    dtls::cert::Fingerprint::new(alg, f.digest.clone()).ok()
                })
                .collect();
            fps.dedup();
            if fps.is_empty() {
                return Err(invalid("media section without a usable a=fingerprint"));
            }
            let setup = m.setup().or(d.setup());
            if out.is_none() {
                out = Some(RemoteTransport {
                    ufrag: ufrag.to_owned(),
                    pwd: pwd.to_owned(),
                    fingerprints: fps,
                    setup,
                });
            }
        }
        out.ok_or_else(|| invalid("no usable audio or video section"))
    }

    fn apply_remote_transport(&mut self, d: &SessionDescription<'_>, t: RemoteTransport) {
        let creds = (t.ufrag.clone(), t.pwd.clone());
        if self.remote_credentials.as_ref() != Some(&creds) {
            if let Err(e) = self.ice.set_remote_credentials(&t.ufrag, &t.pwd) {
                tracing::debug!(%e, "remote ICE credentials refused");
            }
            self.remote_credentials = Some(creds);
        }
        if d.ice_lite() {
            self.ice.set_remote_lite(true);
        }
        if self.dtls.is_none() {
            self.remote_fingerprints = t.fingerprints;
        }
        let mut eoc = false;
        for m in d.media.iter().filter(|m| supported(m)) {
            for c in m.candidates() {
                if let Ok(c) = crate::candidate::from_sdp_candidate(c) {
                    let _ = self.ice.add_remote_candidate(c);
                }
            }
            eoc |= m.end_of_candidates();
        }
        if eoc {
            self.ice.end_of_remote_candidates();
        }
    }

    fn apply_remote_offer(&mut self, d: SessionDescription<'static>, transport: RemoteTransport) {
        // The first offer we answer makes us the controlled ICE agent: rebuild the agent
        // (same credentials, same sockets) while nothing has been signalled yet.
        if !self.ever_negotiated
            && !self.has_local_description
            && self.ice.role() == ice::Role::Controlling
        {
            let (u, p) = self.ice.local_credentials();
            let creds = Some((u.to_owned(), p.to_owned()));
            let cfg = ice_config(&self.config, &mut self.rng, ice::Role::Controlled, creds);
            self.ice = ice::IceAgent::new(cfg, self.now);
            self.held_candidates.clear();
            self.gathering_complete_held = false;
            self.remote_credentials = None;
            for addr in self.local_sockets.clone() {
                let _ = self.ice.add_host_socket(addr);
            }
            while self.ice.poll_event().is_some() {}
            for c in self.ice.local_candidates().cloned().collect::<Vec<_>>() {
                self.held_candidates.push(c);
            }
            self.gathering_state = self.ice.gathering_state();
            self.gathering_complete_held = self.gathering_state == ice::GatheringState::Complete;
        }
        self.apply_remote_transport(&d, transport);
        self.offer_snapshot = Some(self.snapshot());
        let mut mlines = Vec::with_capacity(d.media.len());
        for (i, m) in d.media.iter().enumerate() {
            let previous = match self.mlines.get(i) {
                Some(MLine::Transceiver(x)) => Some(*x),
                _ => None,
            };
            if !supported(m) {
                if let Some(x) = previous
                    && let Some(t) = self.transceivers.get_mut(x)
                {
                    t.rejected = true;
                    mlines.push(MLine::Transceiver(x));
                    continue;
                }
                mlines.push(MLine::Rejected(Box::new(rejected_copy(m))));
                continue;
            }
            let (Some(kind), Some(mid)) = (kind_of(m), m.mid()) else {
                mlines.push(MLine::Rejected(Box::new(rejected_copy(m))));
                continue;
            };
            let existing = self
                .transceivers
                .iter()
                .position(|t| !t.removed && t.mid.as_deref() == Some(mid))
                .or_else(|| {
                    self.transceivers.iter().position(|t| {
                        !t.removed && t.mid.is_none() && t.kind == kind && !t.from_remote
                    })
                });
            let index = match existing {
                Some(x) => x,
                None => {
                    let x = self.push_transceiver(kind, Direction::RecvOnly);
                    if let Some(t) = self.transceivers.get_mut(x) {
                        t.from_remote = true;
                    }
                    x
                }
            };
            if let Some(t) = self.transceivers.get_mut(index) {
                t.mid = Some(mid.to_owned());
                t.rejected = false;
            }
            mlines.push(MLine::Transceiver(index));
        }
        self.mlines = mlines;
        self.announce_tracks(&d);
        self.pending_remote = Some(d);
        self.set_signaling(SignalingState::HaveRemoteOffer);
    }

    /// Records the remote msid/ssrc of each section and fires Track for the sections the
    /// remote sends on that were not announced yet.
    fn announce_tracks(&mut self, d: &SessionDescription<'_>) {
        for (i, m) in d.media.iter().enumerate() {
            let Some(MLine::Transceiver(x)) = self.mlines.get(i) else {
                continue;
            };
            let x = *x;
            if !supported(m) {
                continue;
            }
            let codecs = self.config.codecs.clone();
            let Some(t) = self.transceivers.get_mut(x) else {
                continue;
            };
            if let Some(msid) = m.msids().next() {
                t.remote_msid = Some((
                    msid.stream_id.to_string(),
                    msid.track_id.as_ref().map(|s| s.to_string()),
                ));
            }
            if let Some(s) = m.ssrcs().next() {
                t.remote_ssrc = Some(s.ssrc);
            }
            let sends = matches!(
                m.direction().unwrap_or(Direction::SendRecv),
                Direction::SendRecv | Direction::SendOnly
            );
            if sends && !t.track_announced {
                t.track_announced = true;
                let codec = negotiate_codecs(&codecs, t.kind, m, false)
                    .into_iter()
                    .next();
                let info = TrackInfo {
                    mid: t.mid.clone().unwrap_or_default(),
                    kind: t.kind,
                    stream_id: t.remote_msid.as_ref().map(|m| m.0.clone()),
                    track_id: t.remote_msid.as_ref().and_then(|m| m.1.clone()),
                    ssrc: t.remote_ssrc,
                    codec,
                };
                self.push_event(PeerEvent::Track(info));
            }
        }
    }

    /// What an offer/answer exchange negotiated: per section codecs, extensions and
    /// direction; the DTLS role, and DTLS starts.
    fn complete_negotiation(
        &mut self,
        offer: &SessionDescription<'_>,
        answer: &SessionDescription<'_>,
        we_offered: bool,
    ) {
        let _ = offer;
        for (i, am) in answer.media.iter().enumerate() {
            let Some(MLine::Transceiver(x)) = self.mlines.get(i) else {
                continue;
            };
            let x = *x;
            let local_codecs = self.config.codecs.clone();
            let local_exts = self.config.extensions.clone();
            let Some(t) = self.transceivers.get_mut(x) else {
                continue;
            };
            if am.port == 0 || !supported(am) {
                t.rejected = true;
                t.current_direction = Some(Direction::Inactive);
                continue;
            }
            t.rejected = false;
            t.codecs = negotiate_codecs(&local_codecs, t.kind, am, false);
            t.extensions = negotiate_extensions(&local_exts, t.kind, am);
            let dir = am.direction().unwrap_or(Direction::SendRecv);
            t.current_direction = Some(if we_offered { dir.reverse() } else { dir });
        }
        let setup = answer
            .media
            .iter()
            .filter(|m| supported(m))
            .find_map(|m| m.setup())
            .or(answer.setup());
        let role = match (we_offered, setup) {
            (true, Some(Setup::Passive)) => dtls::Role::Client,
            (true, _) => dtls::Role::Server,
            (false, Some(Setup::Passive)) => dtls::Role::Server,
            (false, _) => dtls::Role::Client,
        };
        self.ever_negotiated = true;
        self.start_dtls(role);
    }
}

/// The transport parameters of a remote description.
#[derive(Debug, Clone)]
pub(crate) struct RemoteTransport {
    ufrag: String,
    pwd: String,
    fingerprints: Vec<dtls::cert::Fingerprint>,
    #[allow(dead_code)]
    setup: Option<Setup>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_intersect() {
        use Direction::*;
        assert_eq!(intersect(SendRecv, SendRecv), SendRecv);
        assert_eq!(intersect(SendRecv, RecvOnly), RecvOnly);
        assert_eq!(intersect(RecvOnly, SendRecv), RecvOnly);
        assert_eq!(intersect(SendOnly, RecvOnly), Inactive);
        assert_eq!(intersect(SendOnly, SendRecv), SendOnly);
        assert_eq!(intersect(Inactive, SendRecv), Inactive);
    }

    #[test]
    fn sdp_types_round_trip() {
        for t in [
            SdpType::Offer,
            SdpType::Pranswer,
            SdpType::Answer,
            SdpType::Rollback,
        ] {
            assert_eq!(SdpType::from_token(t.as_str()), Some(t));
        }
        assert_eq!(SdpType::from_token("bogus"), None);
    }
}
