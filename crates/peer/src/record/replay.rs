//! Reading recordings back, and replaying them into a fresh core.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use proto::{Protocol, Receive};
use sdp::Direction;

use super::wire::{Cursor, RecordingError, Result};
use super::*;
use crate::PeerConfig;

/// One recorded input.
#[derive(Debug, Clone)]
pub(crate) enum Input {
    Receive {
        at: Duration,
        protocol: Protocol,
        source: SocketAddr,
        destination: SocketAddr,
        contents: Vec<u8>,
    },
    Timeout(Duration),
    PollTransmit,
    PollEvent,
    AddLocalSocket(SocketAddr),
    AddTrack(MediaKind, String),
    AddTransceiver(MediaKind, Direction),
    SetDirection(usize, Direction),
    AddIceCandidate(String, Option<String>, Option<u16>),
    RestartIce,
    Close,
    RequestKeyframe(String),
    WriteFrame(usize, Duration, Vec<u8>),
    SetAudioLevel(usize, u8, bool),
    WriteRtp(usize, Vec<u8>),
    CreateOffer,
    CreateAnswer,
    SetLocal(SdpType, String),
    SetRemote(SdpType, String),
}

impl Input {
    /// Whether a digest of the call's result follows the input.
    fn has_output(&self) -> bool {
        !matches!(
            self,
            Input::Receive { .. } | Input::Timeout(_) | Input::Close
        )
    }

    /// A one-line description (datagrams and frames by length, not content).
    pub(crate) fn describe(&self) -> String {
        match self {
            Input::Receive {
                at,
                source,
                destination,
                contents,
                ..
            } => format!(
                "{:>10.3} ms  receive {} bytes {source} -> {destination}",
                at.as_secs_f64() * 1e3,
                contents.len()
            ),
            Input::Timeout(at) => format!("{:>10.3} ms  timeout", at.as_secs_f64() * 1e3),
            Input::WriteFrame(t, d, data) => {
                format!("write_frame(track {t}, {d:?}, {} bytes)", data.len())
            }
            Input::WriteRtp(t, p) => format!("write_rtp(track {t}, {} bytes)", p.len()),
            Input::SetLocal(t, sdp) => {
                format!("set_local_description({t:?}, {} bytes)", sdp.len())
            }
            Input::SetRemote(t, sdp) => {
                format!("set_remote_description({t:?}, {} bytes)", sdp.len())
            }
            other => format!("{other:?}"),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) input: Input,
    /// The recorded digest of the result, if the call has one and the file has it.
    digest: Option<u64>,
}

/// A parsed recording: the configuration, the inputs in order, and the DTLS draws.
#[derive(Debug, Clone)]
pub struct Recording {
    /// The configuration the recorded core was built with (its certificate without the
    /// private key).
    pub config: PeerConfig,
    pub(crate) entries: Vec<Entry>,
    pub(crate) draws: Vec<dtls::CryptoDraw>,
    /// The recording was stopped by its size limit (an end marker) or the file ends inside
    /// an entry (a crashed process): it replays up to there.
    pub truncated: bool,
}

impl Recording {
    /// Reads a recording (the concatenated chunks of
    /// [`PeerConnection::take_recording`](crate::PeerConnection::take_recording)).
    ///
    /// # Errors
    /// [`RecordingError`] if the header is not a recording's or a value is out of range. An
    /// entry cut short at the end only sets [`Recording::truncated`].
    pub fn parse(bytes: &[u8]) -> std::result::Result<Recording, RecordingError> {
        let mut c = Cursor::new(bytes);
        if c.take(MAGIC.len()).map_err(|_| RecordingError::BadMagic)? != MAGIC {
            return Err(RecordingError::BadMagic);
        }
        let version = c.u8()?;
        if version != VERSION {
            return Err(RecordingError::Version(version));
        }
        let config = c.config()?;
        let mut rec = Recording {
            config,
            entries: Vec::new(),
            draws: Vec::new(),
            truncated: false,
        };
        while !c.is_empty() {
            let start = c.position();
            match read_entry(&mut c, &mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(RecordingError::Truncated) => {
                    tracing::debug!(at = start, "recording ends inside an entry");
                    rec.truncated = true;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(rec)
    }

    /// Number of recorded inputs.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing was recorded after the header.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The datagrams the core received, in order (fuzz seeds: STUN, DTLS, SRTP, SRTCP).
    pub fn received_datagrams(&self) -> impl Iterator<Item = &[u8]> {
        self.entries.iter().filter_map(|e| match &e.input {
            Input::Receive { contents, .. } => Some(contents.as_slice()),
            _ => None,
        })
    }

    /// The remote descriptions applied, in order (fuzz seeds for SDP).
    pub fn remote_descriptions(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().filter_map(|e| match &e.input {
            Input::SetRemote(_, sdp) => Some(sdp.as_str()),
            _ => None,
        })
    }
}

/// Reads one entry into `rec`; `Ok(false)` at an end marker.
fn read_entry(c: &mut Cursor<'_>, rec: &mut Recording) -> Result<bool> {
    let tag = c.u8()?;
    let track = |c: &mut Cursor<'_>| c.usize_max(1 << 16, "track");
    let input = match tag {
        T_END => {
            rec.truncated = true;
            return Ok(false);
        }
        T_DRAW => {
            let draw = match c.u8()? {
                D_KEY_SHARE => {
                    let group = u16::try_from(c.varint()?)
                        .ok()
                        .and_then(dtls::crypto::NamedGroup::from_id)
                        .ok_or(RecordingError::BadValue("group"))?;
                    dtls::CryptoDraw::KeyShare {
                        group,
                        public: c.bytes()?.to_vec(),
                    }
                }
                D_SHARED_SECRET => dtls::CryptoDraw::SharedSecret(c.bytes()?.to_vec()),
                D_SIGNATURE => {
                    let scheme = u16::try_from(c.varint()?)
                        .ok()
                        .and_then(dtls::cert::SignatureScheme::from_id)
                        .ok_or(RecordingError::BadValue("signature scheme"))?;
                    dtls::CryptoDraw::Signature {
                        scheme,
                        signature: c.bytes()?.to_vec(),
                    }
                }
                _ => return Err(RecordingError::BadValue("draw")),
            };
            rec.draws.push(draw);
            return Ok(true);
        }
        T_RECEIVE => Input::Receive {
            at: c.duration()?,
            protocol: match c.u8()? {
                0 => Protocol::Udp,
                1 => Protocol::Tcp,
                _ => return Err(RecordingError::BadValue("protocol")),
            },
            source: c.addr()?,
            destination: c.addr()?,
            contents: c.bytes()?.to_vec(),
        },
        T_TIMEOUT => Input::Timeout(c.duration()?),
        T_POLL_TRANSMIT => Input::PollTransmit,
        T_POLL_EVENT => Input::PollEvent,
        T_ADD_LOCAL_SOCKET => Input::AddLocalSocket(c.addr()?),
        T_ADD_TRACK => Input::AddTrack(c.media_kind()?, c.string()?),
        T_ADD_TRANSCEIVER => Input::AddTransceiver(c.media_kind()?, c.direction()?),
        T_SET_DIRECTION => Input::SetDirection(track(c)?, c.direction()?),
        T_ADD_ICE_CANDIDATE => Input::AddIceCandidate(c.string()?, c.opt_string()?, {
            if c.bool()? {
                Some(u16::try_from(c.varint()?).map_err(|_| RecordingError::BadValue("mline"))?)
            } else {
                None
            }
        }),
        T_RESTART_ICE => Input::RestartIce,
        T_CLOSE => Input::Close,
        T_REQUEST_KEYFRAME => Input::RequestKeyframe(c.string()?),
        T_WRITE_FRAME => Input::WriteFrame(track(c)?, c.duration()?, c.bytes()?.to_vec()),
        T_SET_AUDIO_LEVEL => Input::SetAudioLevel(track(c)?, c.u8()?, c.bool()?),
        T_WRITE_RTP => Input::WriteRtp(track(c)?, c.bytes()?.to_vec()),
        T_CREATE_OFFER => Input::CreateOffer,
        T_CREATE_ANSWER => Input::CreateAnswer,
        T_SET_LOCAL => Input::SetLocal(c.sdp_type()?, c.string()?),
        T_SET_REMOTE => Input::SetRemote(c.sdp_type()?, c.string()?),
        _ => return Err(RecordingError::BadValue("entry tag")),
    };
    let digest = if input.has_output() {
        match c.u64_le() {
            Ok(d) => Some(d),
            // The process stopped between the call and its result: replay the call, and
            // stop reading there.
            Err(RecordingError::Truncated) => {
                rec.truncated = true;
                rec.entries.push(Entry {
                    input,
                    digest: None,
                });
                return Ok(false);
            }
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    rec.entries.push(Entry { input, digest });
    Ok(true)
}

/// A replay whose output differs from the recording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// Entry `index` (an input) produced another output than the recorded one.
    #[error("replay diverged at entry {index} ({input}): got {output}")]
    Diverged {
        /// Index of the input among the recording's inputs.
        index: usize,
        /// The input, described.
        input: String,
        /// What this build returned for it, described.
        output: String,
    },
}

/// What one replayed input did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Index of the input.
    pub index: usize,
    /// The input, described on one line.
    pub input: String,
    /// The output (datagram, event, or result), described; `None` for calls without one.
    pub output: Option<String>,
}

/// Totals of a replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplaySummary {
    /// Inputs fed.
    pub inputs: usize,
    /// Datagrams fed to the core.
    pub datagrams_in: usize,
    /// Datagrams the core returned.
    pub datagrams_out: usize,
    /// Events the core returned.
    pub events: usize,
    /// Of them, received frames ([`PeerEvent::Frame`]).
    pub frames: usize,
    /// The connection was [`ConnectionState::Connected`](crate::ConnectionState::Connected)
    /// after some input.
    pub reached_connected: bool,
    /// Outputs compared with their recorded digest (all equal, or the replay stopped).
    pub outputs_checked: usize,
    /// Virtual time of the last time step.
    pub duration: Duration,
}

/// Feeds a [`Recording`] into a fresh core, one input at a time.
#[derive(Debug)]
pub struct Replayer {
    peer: PeerConnection,
    base: Instant,
    entries: VecDeque<Entry>,
    index: usize,
    check: bool,
    summary: ReplaySummary,
}

impl Replayer {
    /// A fresh core built from the recording's configuration at `base` (any instant: the
    /// recorded times are offsets from it), with the recorded DTLS draws queued. With
    /// `check_outputs`, every output is compared with the recorded digest; without, the
    /// inputs are only fed (to drive a core with a recording someone edited, or a fuzzer's).
    pub fn new(recording: Recording, base: Instant, check_outputs: bool) -> Self {
        let Recording {
            config,
            entries,
            draws,
            ..
        } = recording;
        let mut peer = PeerConnection::new(config, base);
        peer.replay_draws = Some(draws.into());
        Replayer {
            peer,
            base,
            entries: entries.into(),
            index: 0,
            check: check_outputs,
            summary: ReplaySummary::default(),
        }
    }

    /// The core being replayed into (to inspect its state or stats between steps).
    pub fn peer(&self) -> &PeerConnection {
        &self.peer
    }

    /// The totals so far.
    pub fn summary(&self) -> &ReplaySummary {
        &self.summary
    }

    /// Feeds the next input; `None` when all were fed.
    pub fn step(&mut self) -> Option<std::result::Result<Step, ReplayError>> {
        let entry = self.entries.pop_front()?;
        let index = self.index;
        self.index += 1;
        self.summary.inputs += 1;
        let check = self.check;
        let p = &mut self.peer;
        let t = |at: &Duration| self.base.checked_add(*at).unwrap_or(self.base);
        let (digest, output): (Option<u64>, Option<String>) = match &entry.input {
            Input::Receive {
                at,
                protocol,
                source,
                destination,
                contents,
            } => {
                self.summary.datagrams_in += 1;
                self.summary.duration = self.summary.duration.max(*at);
                p.handle_receive(
                    t(at),
                    Receive {
                        protocol: *protocol,
                        source: *source,
                        destination: *destination,
                        contents,
                    },
                );
                (None, None)
            }
            Input::Timeout(at) => {
                self.summary.duration = self.summary.duration.max(*at);
                p.handle_timeout(t(at));
                (None, None)
            }
            Input::PollTransmit => {
                let out = p.poll_transmit();
                if out.is_some() {
                    self.summary.datagrams_out += 1;
                }
                let d = check.then(|| digest_transmit(out.as_ref()));
                let text = match out {
                    Some(t) => format!(
                        "datagram {} bytes {} -> {}",
                        t.contents.len(),
                        t.source,
                        t.destination
                    ),
                    None => "no datagram".to_owned(),
                };
                (d, Some(text))
            }
            Input::PollEvent => {
                let out = p.poll_event();
                if out.is_some() {
                    self.summary.events += 1;
                }
                if matches!(out, Some(PeerEvent::Frame { .. })) {
                    self.summary.frames += 1;
                }
                (check.then(|| digest_debug(&out)), Some(short(&out)))
            }
            Input::AddLocalSocket(a) => result(check, &p.add_local_socket(*a)),
            Input::AddTrack(k, s) => result(check, &p.add_track(*k, s)),
            Input::AddTransceiver(k, d) => result(check, &p.add_transceiver(*k, *d)),
            Input::SetDirection(tr, d) => result(check, &p.set_direction(TrackId(*tr), *d)),
            Input::AddIceCandidate(c, mid, i) => {
                result(check, &p.add_ice_candidate(c, mid.as_deref(), *i))
            }
            Input::RestartIce => result(check, &p.restart_ice()),
            Input::Close => {
                p.close();
                (None, None)
            }
            Input::RequestKeyframe(mid) => result(check, &p.request_keyframe(mid)),
            Input::WriteFrame(tr, d, data) => result(check, &p.write_frame(TrackId(*tr), *d, data)),
            Input::SetAudioLevel(tr, l, v) => {
                result(check, &p.set_audio_level(TrackId(*tr), *l, *v))
            }
            Input::WriteRtp(tr, pkt) => result(check, &p.write_rtp(TrackId(*tr), pkt)),
            Input::CreateOffer => result(check, &p.create_offer()),
            Input::CreateAnswer => result(check, &p.create_answer()),
            Input::SetLocal(ty, sdp) => result(check, &p.set_local_description(*ty, sdp)),
            Input::SetRemote(ty, sdp) => result(check, &p.set_remote_description(*ty, sdp)),
        };
        if self.peer.connection_state() == crate::ConnectionState::Connected {
            self.summary.reached_connected = true;
        }
        if self.check
            && let (Some(got), Some(want)) = (digest, entry.digest)
        {
            self.summary.outputs_checked += 1;
            if got != want {
                return Some(Err(ReplayError::Diverged {
                    index,
                    input: entry.input.describe(),
                    output: output.unwrap_or_default(),
                }));
            }
        }
        Some(Ok(Step {
            index,
            input: entry.input.describe(),
            output,
        }))
    }

    /// Feeds every input; stops at the first divergence.
    ///
    /// # Errors
    /// [`ReplayError::Diverged`] with the first input whose output differs.
    pub fn run(&mut self) -> std::result::Result<ReplaySummary, ReplayError> {
        while let Some(step) = self.step() {
            step?;
        }
        Ok(self.summary.clone())
    }
}

fn result<T: core::fmt::Debug>(check: bool, r: &T) -> (Option<u64>, Option<String>) {
    (check.then(|| digest_debug(r)), Some(short(r)))
}

/// Longest description of an output, in bytes.
const SHORT: usize = 160;

/// The `Debug` text of an output, cut to a line. Formatting stops there, so a frame's
/// payload is not written out byte by byte only to be thrown away.
fn short<T: core::fmt::Debug>(v: &T) -> String {
    let mut b = Bounded {
        text: String::new(),
        full: false,
    };
    let _ = write!(b, "{v:?}");
    if b.full {
        b.text.push('…');
    }
    b.text
}

/// A `fmt::Write` that keeps the first [`SHORT`] bytes and then refuses more.
struct Bounded {
    text: String,
    full: bool,
}

impl core::fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let room = SHORT.saturating_sub(self.text.len());
        if s.len() <= room {
            self.text.push_str(s);
            return Ok(());
        }
        let mut cut = room;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        self.text.push_str(s.get(..cut).unwrap_or_default());
        self.full = true;
        Err(core::fmt::Error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_stop_at_a_line() {
        assert_eq!(short(&Some(3u8)), "Some(3)");
        let long = short(&vec![0xabu8; 3000]);
        assert!(long.ends_with('…'));
        assert_eq!(long.len(), SHORT + '…'.len_utf8());
        assert!(long.starts_with("[171, 171"));
        // A cut never splits a character.
        let text = short(&"é".repeat(200));
        assert!(text.len() <= SHORT + '…'.len_utf8() && text.ends_with('…'));
    }
}
