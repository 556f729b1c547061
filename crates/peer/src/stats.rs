//! getStats-like figures: [`PeerStats`].

use std::net::SocketAddr;
use std::time::Duration;

use crate::codec::MediaKind;
use crate::peer::PeerConnection;

/// Internal counters of dropped and refused input.
#[derive(Debug, Clone, Default)]
pub(crate) struct Counters {
    pub dropped: u64,
    pub srtp_failures: u64,
    pub unknown_ssrc: u64,
    pub send_errors: u64,
    pub events_dropped: u64,
    pub transmits_dropped: u64,
    pub frames_dropped_not_connected: u64,
    pub reports_sent: u64,
    pub rtcp_received: u64,
}

/// Figures of one RTP stream (W3C `outbound-rtp` / `inbound-rtp`).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamStats {
    /// The transceiver's mid.
    pub mid: String,
    /// Audio or video.
    pub kind: MediaKind,
    /// SSRC.
    pub ssrc: u32,
    /// `true` for our sending stream, `false` for the remote stream we receive.
    pub outbound: bool,
    /// Packets sent or received.
    pub packets: u64,
    /// Payload bytes sent or received.
    pub bytes: u64,
    /// Inbound: packets lost (RFC 3550 A.3); outbound: as the peer reported.
    pub packets_lost: i64,
    /// Inbound: our interarrival jitter; outbound: as the peer reported (seconds).
    pub jitter: f64,
    /// Outbound: round-trip time from the peer's report blocks.
    pub rtt: Option<Duration>,
    /// Outbound: NACKs received; inbound: NACKs sent.
    pub nacks: u64,
    /// Outbound: PLIs and FIRs received; inbound: PLIs sent.
    pub keyframe_requests: u64,
    /// Outbound: packets retransmitted for NACKs; inbound: frames assembled.
    pub retransmitted_or_frames: u64,
}

/// What [`PeerConnection::stats`] returns, like `getStats()`.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerStats {
    /// Every RTP stream, outbound and inbound.
    pub streams: Vec<StreamStats>,
    /// The selected candidate pair: local base and remote address.
    pub selected_pair: Option<(SocketAddr, SocketAddr)>,
    /// The DTLS cipher suite, e.g. `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`.
    pub dtls_cipher: Option<String>,
    /// The SRTP protection profile, e.g. `AeadAes128Gcm`.
    pub srtp_profile: Option<String>,
    /// Datagrams dropped: unknown protocol, unknown 5-tuple, before keys, malformed.
    pub dropped: u64,
    /// SRTP/SRTCP packets that failed authentication or replay checks.
    pub srtp_failures: u64,
    /// RTP packets that matched no transceiver.
    pub unknown_ssrc: u64,
    /// Events dropped because the queue was full.
    pub events_dropped: u64,
    /// Datagrams dropped because the queue was full.
    pub transmits_dropped: u64,
    /// Frames written before the connection could send them.
    pub frames_dropped_not_connected: u64,
    /// RTCP report datagrams sent.
    pub reports_sent: u64,
    /// SRTCP datagrams received and authenticated.
    pub rtcp_received: u64,
    /// The ICE agent's counters.
    pub ice: ice::IceStats,
}

impl PeerConnection {
    /// The connection's figures.
    pub fn stats(&self) -> PeerStats {
        let mut streams = Vec::new();
        for t in self.transceivers.iter().filter(|t| !t.removed) {
            let mid = t.mid.clone().unwrap_or_default();
            if t.send.packets > 0 {
                let clock = t.codecs.first().map_or(90_000, |c| c.clock_rate);
                streams.push(StreamStats {
                    mid: mid.clone(),
                    kind: t.kind,
                    ssrc: t.send.ssrc,
                    outbound: true,
                    packets: t.send.packets,
                    bytes: t.send.bytes,
                    packets_lost: i64::from(t.send.remote_lost),
                    jitter: f64::from(t.send.remote_jitter) / f64::from(clock),
                    rtt: t.send.rtt,
                    nacks: t.send.nacks_received,
                    keyframe_requests: t.send.plis_received + t.send.firs_received,
                    retransmitted_or_frames: t.send.retransmitted,
                });
            }
            if let Some(r) = &t.recv {
                streams.push(StreamStats {
                    mid,
                    kind: t.kind,
                    ssrc: r.ssrc,
                    outbound: false,
                    packets: r.packets,
                    bytes: r.bytes,
                    packets_lost: r.stats.lost(),
                    jitter: f64::from(r.stats.jitter()) / f64::from(r.clock_rate.max(1)),
                    rtt: None,
                    nacks: r.nacks_sent,
                    keyframe_requests: r.plis_sent,
                    retransmitted_or_frames: r.assembler.as_ref().map_or(0, |(_, a)| a.frames()),
                });
            }
        }
        let c = &self.counters;
        PeerStats {
            streams,
            selected_pair: self.selected,
            dtls_cipher: self.dtls_cipher.map(str::to_owned),
            srtp_profile: self.srtp_profile.map(|p| format!("{p:?}")),
            dropped: c.dropped,
            srtp_failures: c.srtp_failures,
            unknown_ssrc: c.unknown_ssrc,
            events_dropped: c.events_dropped,
            transmits_dropped: c.transmits_dropped,
            frames_dropped_not_connected: c.frames_dropped_not_connected,
            reports_sent: c.reports_sent,
            rtcp_received: c.rtcp_received,
            ice: self.ice.stats(),
        }
    }
}
