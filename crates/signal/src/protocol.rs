//! The wire protocol: JSON objects over WebSocket, one per text frame, told apart by `"type"`.
//!
//! | direction | `type` | fields |
//! | --- | --- | --- |
//! | client → server | `join` | `room`, optional `id` |
//! | both | `offer`, `answer` | `sdp`; `to` (client → server, optional), `from` (server → client) |
//! | both | `candidate` | `candidate`, `sdpMid`, `sdpMLineIndex`, optional `usernameFragment`; `to` / `from` |
//! | both | `bye` | `to` / `from` |
//! | server → client | `joined` | `id`, `room`, `peers` |
//! | server → client | `peer-joined`, `peer-left` | `id` |
//! | server → client | `error` | `reason` (one of [`reason`]), optional `detail` |
//!
//! Unknown fields are ignored, so browsers may send `RTCIceCandidate.toJSON()` as it is.

use serde::{Deserialize, Serialize};

/// Stable `reason` codes of `error` messages.
pub mod reason {
    /// The text is not JSON, or not a valid message of its type.
    pub const MALFORMED: &str = "malformed";
    /// `type` is missing, unknown, or one that only the server sends.
    pub const UNKNOWN_TYPE: &str = "unknown-type";
    /// The message is larger than the server's limit; it was dropped, the connection lives on.
    pub const TOO_LARGE: &str = "too-large";
    /// A binary frame: the protocol uses text frames only.
    pub const BINARY: &str = "binary";
    /// The room already holds its maximum number of peers.
    pub const ROOM_FULL: &str = "room-full";
    /// The server holds its maximum number of rooms.
    pub const TOO_MANY_ROOMS: &str = "too-many-rooms";
    /// Another member of the room already has the requested id.
    pub const ID_TAKEN: &str = "id-taken";
    /// The room name or peer id is empty, too long, or has control characters.
    pub const BAD_NAME: &str = "bad-name";
    /// `join` on a connection that is already in a room (send `bye` first).
    pub const ALREADY_JOINED: &str = "already-joined";
    /// A relayed message before `join`.
    pub const NOT_JOINED: &str = "not-joined";
    /// `to` names no member of the room.
    pub const NO_SUCH_PEER: &str = "no-such-peer";
}

/// Longest room name or peer id, in bytes.
pub const MAX_NAME_LEN: usize = 64;

/// One signaling message, either direction. Serialized as a JSON object whose `"type"` is the
/// variant's name in kebab case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Message {
    /// Client → server: enter a room, with the id the client wants (else the server picks one).
    Join {
        /// Room name: 1 to [`MAX_NAME_LEN`] bytes, no control characters.
        room: String,
        /// Requested peer id, unique in the room; same rules as the room name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
    /// Server → client: the join succeeded.
    Joined {
        /// This client's id in the room.
        id: String,
        /// The room.
        room: String,
        /// Ids of the other members, in the order they joined.
        peers: Vec<String>,
    },
    /// Server → client: someone entered the room.
    PeerJoined {
        /// The newcomer's id.
        id: String,
    },
    /// Server → client: someone left the room (bye, closed connection, or too slow a reader).
    PeerLeft {
        /// The id of the member who left.
        id: String,
    },
    /// An SDP offer (JSEP).
    Offer {
        /// The SDP text.
        sdp: String,
        /// Client → server: the recipient; absent = every other member.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        /// Server → client: the sender's id (anything a client puts here is replaced).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
    },
    /// An SDP answer (JSEP).
    Answer {
        /// The SDP text.
        sdp: String,
        /// Client → server: the recipient; absent = every other member.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        /// Server → client: the sender's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
    },
    /// A trickled ICE candidate, shaped like `RTCIceCandidateInit`. A null or empty
    /// `candidate` means end-of-candidates.
    Candidate {
        /// The `candidate:` attribute value (without `a=`), or null/empty for end-of-candidates.
        #[serde(default)]
        candidate: Option<String>,
        /// The media section's mid.
        #[serde(default, rename = "sdpMid")]
        sdp_mid: Option<String>,
        /// The media section's index.
        #[serde(default, rename = "sdpMLineIndex")]
        sdp_m_line_index: Option<u32>,
        /// The ICE ufrag the candidate belongs to.
        #[serde(
            default,
            rename = "usernameFragment",
            skip_serializing_if = "Option::is_none"
        )]
        username_fragment: Option<String>,
        /// Client → server: the recipient; absent = every other member.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        /// Server → client: the sender's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
    },
    /// Hang up. The server relays it, then the sender leaves the room (the others also get
    /// `peer-left`); the connection stays open and may join again.
    Bye {
        /// Client → server: the recipient of the relayed bye; absent = every other member.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        /// Server → client: the sender's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
    },
    /// Server → client: the previous message (or connection) was refused.
    Error {
        /// A stable code, one of [`reason`].
        reason: String,
        /// Human-readable details, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
}

impl Message {
    /// A `candidate` message for an ICE candidate line such as `candidate:1 1 udp ...`.
    pub fn candidate(candidate: impl Into<String>, sdp_mid: impl Into<String>, index: u32) -> Self {
        Message::Candidate {
            candidate: Some(candidate.into()),
            sdp_mid: Some(sdp_mid.into()),
            sdp_m_line_index: Some(index),
            username_fragment: None,
            to: None,
            from: None,
        }
    }

    /// An `offer` to every other member.
    pub fn offer(sdp: impl Into<String>) -> Self {
        Message::Offer {
            sdp: sdp.into(),
            to: None,
            from: None,
        }
    }

    /// An `answer` to every other member.
    pub fn answer(sdp: impl Into<String>) -> Self {
        Message::Answer {
            sdp: sdp.into(),
            to: None,
            from: None,
        }
    }

    /// The `type` string of this message.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Join { .. } => "join",
            Message::Joined { .. } => "joined",
            Message::PeerJoined { .. } => "peer-joined",
            Message::PeerLeft { .. } => "peer-left",
            Message::Offer { .. } => "offer",
            Message::Answer { .. } => "answer",
            Message::Candidate { .. } => "candidate",
            Message::Bye { .. } => "bye",
            Message::Error { .. } => "error",
        }
    }

    /// Whether this is a `candidate` meaning end-of-candidates (null or empty `candidate`).
    pub fn is_end_of_candidates(&self) -> bool {
        matches!(self, Message::Candidate { candidate, .. }
            if candidate.as_deref().is_none_or(str::is_empty))
    }

    /// `to` of a relayable message.
    pub fn to(&self) -> Option<&str> {
        match self {
            Message::Offer { to, .. }
            | Message::Answer { to, .. }
            | Message::Candidate { to, .. }
            | Message::Bye { to, .. } => to.as_deref(),
            _ => None,
        }
    }

    /// `from` of a relayed message.
    pub fn from(&self) -> Option<&str> {
        match self {
            Message::Offer { from, .. }
            | Message::Answer { from, .. }
            | Message::Candidate { from, .. }
            | Message::Bye { from, .. } => from.as_deref(),
            _ => None,
        }
    }

    /// For relaying: clears `to` and sets `from`. Other messages are unchanged.
    pub(crate) fn stamp(&mut self, sender: &str) {
        if let Message::Offer { to, from, .. }
        | Message::Answer { to, from, .. }
        | Message::Candidate { to, from, .. }
        | Message::Bye { to, from, .. } = self
        {
            *to = None;
            *from = Some(sender.to_string());
        }
    }

    /// An `error` message.
    pub fn error(reason: &str, detail: Option<String>) -> Self {
        Message::Error {
            reason: reason.to_string(),
            detail,
        }
    }

    /// JSON text of the message.
    pub fn to_json(&self) -> String {
        // Serializing these plain structs cannot fail: no maps with non-string keys, no
        // custom Serialize impls. The fallback keeps it total anyway.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

/// Why a client's text was refused: the `error` message to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// One of [`reason`].
    pub reason: &'static str,
    /// Details for humans.
    pub detail: Option<String>,
}

impl Refusal {
    pub(crate) fn new(reason: &'static str, detail: impl Into<String>) -> Self {
        Refusal {
            reason,
            detail: Some(detail.into()),
        }
    }

    /// The `error` message.
    pub fn to_message(&self) -> Message {
        Message::error(self.reason, self.detail.clone())
    }
}

/// Types a client may send.
const CLIENT_TYPES: [&str; 5] = ["join", "offer", "answer", "candidate", "bye"];

/// Parses one text frame from a client: valid JSON object, a known client `type`, well-formed
/// fields, valid names. Never panics; serde_json bounds nesting depth.
pub fn parse_client(text: &str) -> Result<Message, Refusal> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Refusal::new(reason::MALFORMED, format!("not JSON: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(Refusal::new(reason::MALFORMED, "not a JSON object"));
    };
    let kind = match object.get("type") {
        Some(serde_json::Value::String(s)) => s.as_str(),
        Some(_) => return Err(Refusal::new(reason::MALFORMED, "type is not a string")),
        None => return Err(Refusal::new(reason::UNKNOWN_TYPE, "no type")),
    };
    if !CLIENT_TYPES.contains(&kind) {
        let mut shown: String = kind.chars().take(MAX_NAME_LEN).collect();
        if shown.len() < kind.len() {
            shown.push('…');
        }
        return Err(Refusal::new(
            reason::UNKNOWN_TYPE,
            format!("clients cannot send type {shown:?}"),
        ));
    }
    let message = Message::deserialize(&value)
        .map_err(|e| Refusal::new(reason::MALFORMED, format!("bad {kind}: {e}")))?;
    if let Message::Join { room, id } = &message {
        check_name("room", room)?;
        if let Some(id) = id {
            check_name("id", id)?;
        }
    }
    if let Some(to) = message.to() {
        check_name("to", to)?;
    }
    Ok(message)
}

/// Room names and peer ids: 1 to [`MAX_NAME_LEN`] bytes, no control characters.
pub fn check_name(what: &str, name: &str) -> Result<(), Refusal> {
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(Refusal::new(
            reason::BAD_NAME,
            format!("{what} must be 1 to {MAX_NAME_LEN} bytes without control characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_round_trip_uses_browser_field_names() {
        let m = Message::candidate("candidate:1 1 udp 1 127.0.0.1 9 typ host", "0", 0);
        let json = m.to_json();
        assert!(json.contains(r#""type":"candidate""#), "{json}");
        assert!(json.contains(r#""sdpMid":"0""#), "{json}");
        assert!(json.contains(r#""sdpMLineIndex":0"#), "{json}");
        assert_eq!(parse_client(&json).unwrap(), m);
    }

    #[test]
    fn null_or_empty_candidate_is_end_of_candidates() {
        let a = parse_client(r#"{"type":"candidate","candidate":null,"sdpMid":null}"#).unwrap();
        let b = parse_client(r#"{"type":"candidate","candidate":"","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"u"}"#).unwrap();
        let c = parse_client(
            r#"{"type":"candidate","candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ host"}"#,
        )
        .unwrap();
        assert!(a.is_end_of_candidates());
        assert!(b.is_end_of_candidates());
        assert!(!c.is_end_of_candidates());
    }

    #[test]
    fn refusals() {
        let r = |t: &str| parse_client(t).unwrap_err().reason;
        assert_eq!(r("{"), reason::MALFORMED);
        assert_eq!(r("[1]"), reason::MALFORMED);
        assert_eq!(r(r#"{"type":7}"#), reason::MALFORMED);
        assert_eq!(r(r#"{"room":"a"}"#), reason::UNKNOWN_TYPE);
        assert_eq!(r(r#"{"type":"dance"}"#), reason::UNKNOWN_TYPE);
        assert_eq!(
            r(r#"{"type":"joined","id":"a","room":"r","peers":[]}"#),
            reason::UNKNOWN_TYPE
        );
        assert_eq!(r(r#"{"type":"offer"}"#), reason::MALFORMED);
        assert_eq!(r(r#"{"type":"join","room":""}"#), reason::BAD_NAME);
        assert_eq!(r(r#"{"type":"join","room":"a\u0000"}"#), reason::BAD_NAME);
        let long = "x".repeat(MAX_NAME_LEN + 1);
        assert_eq!(
            r(&format!(r#"{{"type":"join","room":"{long}"}}"#)),
            reason::BAD_NAME
        );
        assert_eq!(r(r#"{"type":"bye","to":""}"#), reason::BAD_NAME);
        let deep = "[".repeat(100_000);
        assert_eq!(r(&deep), reason::MALFORMED);
    }

    #[test]
    fn stamp_sets_from_and_clears_to() {
        let mut m =
            parse_client(r#"{"type":"answer","sdp":"v=0","to":"b","from":"spoof"}"#).unwrap();
        m.stamp("a");
        assert_eq!(m.from(), Some("a"));
        assert_eq!(m.to(), None);
        assert_eq!(m.to_json(), r#"{"type":"answer","sdp":"v=0","from":"a"}"#);
    }

    #[test]
    fn server_messages_serialize_in_kebab_case() {
        let m = Message::PeerJoined { id: "a".into() };
        assert_eq!(m.to_json(), r#"{"type":"peer-joined","id":"a"}"#);
        let e = Message::error(reason::ROOM_FULL, None);
        assert_eq!(e.to_json(), r#"{"type":"error","reason":"room-full"}"#);
    }
}
