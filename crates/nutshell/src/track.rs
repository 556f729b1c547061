//! Local and remote tracks.

use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use crate::driver::Command;
use crate::{Codec, Error, MediaKind, Result};

/// A local track (one transceiver's sending side), from
/// [`RtcPeerConnection::add_track`](crate::RtcPeerConnection::add_track). Cheap to clone.
/// Holding one keeps the connection's task alive until
/// [`close`](crate::RtcPeerConnection::close).
#[derive(Debug, Clone)]
pub struct TrackLocal {
    pub(crate) id: peer::TrackId,
    pub(crate) kind: MediaKind,
    pub(crate) cmd: mpsc::Sender<Command>,
}

impl TrackLocal {
    /// Audio or video.
    pub fn kind(&self) -> MediaKind {
        self.kind
    }

    /// The core's id of the track.
    pub fn id(&self) -> peer::TrackId {
        self.id
    }

    async fn call<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        self.cmd.send(make(tx)).await.map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)
    }

    /// Writes one encoded frame (an Opus packet, a VP8 frame, an H.264 access unit in Annex
    /// B form) lasting `duration`: packetized for the negotiated codec, protected and sent.
    /// Before the connection is up the frame is dropped (counted in the stats) and `Ok` is
    /// returned; before negotiation it is [`peer::Error::NotSending`]. Waits while the
    /// connection's command channel is full.
    pub async fn write_frame(&self, data: &[u8], duration: Duration) -> Result<()> {
        let data = Bytes::copy_from_slice(data);
        let id = self.id;
        self.call(|reply| Command::WriteFrame {
            track: id,
            data,
            duration,
            reply,
        })
        .await?
    }

    /// Writes a whole RTP packet (forwarding): payload type, sequence number, timestamp,
    /// marker and payload are kept; the SSRC and header extensions become the track's.
    pub async fn write_rtp(&self, packet: &[u8]) -> Result<()> {
        let data = Bytes::copy_from_slice(packet);
        let id = self.id;
        self.call(|reply| Command::WriteRtp {
            track: id,
            data,
            reply,
        })
        .await?
    }

    /// The codec the track sends with, once negotiated.
    pub async fn codec(&self) -> Result<Option<Codec>> {
        let id = self.id;
        self.call(|reply| Command::SendCodec { track: id, reply })
            .await
    }

    /// The transceiver's mid, once assigned.
    pub async fn mid(&self) -> Result<Option<String>> {
        let id = self.id;
        self.call(|reply| Command::Mid { track: id, reply }).await
    }
}

/// A received RTP packet, decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacket {
    /// SSRC.
    pub ssrc: u32,
    /// Payload type.
    pub payload_type: u8,
    /// Sequence number.
    pub sequence_number: u16,
    /// RTP timestamp.
    pub timestamp: u32,
    /// Marker bit.
    pub marker: bool,
    /// Length of the header (fixed header, CSRCs, extensions) within `packet`.
    pub header_len: usize,
    /// The whole packet, header and payload.
    pub packet: Bytes,
    /// When the driver received it.
    pub received_at: Instant,
}

impl RtpPacket {
    /// The payload (after the header).
    pub fn payload(&self) -> &[u8] {
        self.packet.get(self.header_len..).unwrap_or_default()
    }
}

/// A whole received frame, in decode order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The frame (Opus packet, VP8 frame, H.264 access unit in Annex B form).
    pub data: Bytes,
    /// Its RTP timestamp.
    pub timestamp: u32,
    /// Whether it is a key frame.
    pub keyframe: bool,
    /// When the driver assembled it.
    pub received_at: Instant,
}

/// A remote track, from [`RtcEvent::Track`](crate::RtcEvent::Track): read its RTP packets
/// with [`read_rtp`](Self::read_rtp) or its reassembled frames with
/// [`read_frame`](Self::read_frame) (or both: each has its own bounded channel; when one is
/// full the newest item is dropped and counted in
/// [`RtcStats::media_dropped`](crate::RtcStats::media_dropped)).
#[derive(Debug)]
pub struct TrackRemote {
    pub(crate) info: peer::TrackInfo,
    pub(crate) rtp: mpsc::Receiver<RtpPacket>,
    pub(crate) frames: mpsc::Receiver<Frame>,
}

impl TrackRemote {
    /// The media section's mid.
    pub fn mid(&self) -> &str {
        &self.info.mid
    }

    /// Audio or video.
    pub fn kind(&self) -> MediaKind {
        self.info.kind
    }

    /// The remote `a=msid` stream id, if any.
    pub fn stream_id(&self) -> Option<&str> {
        self.info.stream_id.as_deref()
    }

    /// The negotiated codec the remote sends with first.
    pub fn codec(&self) -> Option<&Codec> {
        self.info.codec.as_ref()
    }

    /// The core's description of the track.
    pub fn info(&self) -> &peer::TrackInfo {
        &self.info
    }

    /// The next RTP packet; `None` once the connection ended (or the track was replaced).
    pub async fn read_rtp(&mut self) -> Option<RtpPacket> {
        self.rtp.recv().await
    }

    /// The next frame; `None` once the connection ended (or the track was replaced).
    pub async fn read_frame(&mut self) -> Option<Frame> {
        self.frames.recv().await
    }
}
