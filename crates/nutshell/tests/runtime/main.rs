//! The runtime over real UDP on 127.0.0.1: two `RtcPeerConnection`s connect (trickle and
//! not), exchange audio and video both ways, renegotiate, reject a wrong fingerprint and
//! detect a silent peer through consent freshness, and record a call that replays exactly. Nothing leaves loopback.

mod connect;
mod failures;
mod record;
mod reflect;
mod support;
