//! Errors and alerts (RFC 5246 §7.2, RFC 6347 §4.1.2.7).

use proto::ReadError;

/// Level of an alert (RFC 5246 §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertLevel {
    /// `warning(1)`: the connection may continue (only close_notify and no_renegotiation are
    /// sent at this level here).
    Warning,
    /// `fatal(2)`: the connection ends.
    Fatal,
}

impl AlertLevel {
    /// The wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            AlertLevel::Warning => 1,
            AlertLevel::Fatal => 2,
        }
    }
}

/// Alert description (RFC 5246 §7.2, RFC 5746 §4, RFC 8446 §6 for the registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AlertDescription {
    /// close_notify(0): orderly shutdown (RFC 5246 §7.2.1).
    CloseNotify,
    /// unexpected_message(10): a message in the wrong state.
    UnexpectedMessage,
    /// bad_record_mac(20).
    BadRecordMac,
    /// record_overflow(22).
    RecordOverflow,
    /// handshake_failure(40): no acceptable parameters.
    HandshakeFailure,
    /// bad_certificate(42): includes a fingerprint mismatch (RFC 8122 §5).
    BadCertificate,
    /// unsupported_certificate(43).
    UnsupportedCertificate,
    /// certificate_unknown(46).
    CertificateUnknown,
    /// illegal_parameter(47).
    IllegalParameter,
    /// decode_error(50): a message could not be parsed.
    DecodeError,
    /// decrypt_error(51): a signature or Finished did not verify.
    DecryptError,
    /// protocol_version(70).
    ProtocolVersion,
    /// insufficient_security(71).
    InsufficientSecurity,
    /// internal_error(80).
    InternalError,
    /// user_canceled(90).
    UserCanceled,
    /// no_renegotiation(100) (RFC 5746).
    NoRenegotiation,
    /// unsupported_extension(110).
    UnsupportedExtension,
    /// Any other value.
    Other(u8),
}

impl AlertDescription {
    /// From the wire value.
    pub fn from_u8(v: u8) -> Self {
        use AlertDescription::*;
        match v {
            0 => CloseNotify,
            10 => UnexpectedMessage,
            20 => BadRecordMac,
            22 => RecordOverflow,
            40 => HandshakeFailure,
            42 => BadCertificate,
            43 => UnsupportedCertificate,
            46 => CertificateUnknown,
            47 => IllegalParameter,
            50 => DecodeError,
            51 => DecryptError,
            70 => ProtocolVersion,
            71 => InsufficientSecurity,
            80 => InternalError,
            90 => UserCanceled,
            100 => NoRenegotiation,
            110 => UnsupportedExtension,
            v => Other(v),
        }
    }

    /// The wire value.
    pub fn to_u8(self) -> u8 {
        use AlertDescription::*;
        match self {
            CloseNotify => 0,
            UnexpectedMessage => 10,
            BadRecordMac => 20,
            RecordOverflow => 22,
            HandshakeFailure => 40,
            BadCertificate => 42,
            UnsupportedCertificate => 43,
            CertificateUnknown => 46,
            IllegalParameter => 47,
            DecodeError => 50,
            DecryptError => 51,
            ProtocolVersion => 70,
            InsufficientSecurity => 71,
            InternalError => 80,
            UserCanceled => 90,
            NoRenegotiation => 100,
            UnsupportedExtension => 110,
            Other(v) => v,
        }
    }
}

/// Everything that can go wrong in this crate.
///
/// Parse errors are returned by the codecs in [`record`](crate::record) and
/// [`message`](crate::message); the endpoint turns protocol-fatal ones into a fatal alert to the
/// peer ([`Error::alert`]) followed by [`Event::Failed`](crate::Event::Failed). `Display`
/// never prints key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ends before a field does.
    #[error("truncated: needed {needed} bytes, {remaining} remain")]
    Truncated {
        /// Bytes the read needed.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A field holds a value the format forbids (bad length, trailing bytes, duplicate
    /// extension, …).
    #[error("invalid {field}")]
    Invalid {
        /// What is wrong.
        field: &'static str,
    },
    /// A record longer than 2^14 + 2048 bytes (RFC 5246 §6.2.3).
    #[error("record of {0} bytes exceeds the limit")]
    RecordOverflow(usize),
    /// A handshake message longer than the configured maximum.
    #[error("handshake message of {length} bytes exceeds the limit of {max}")]
    MessageTooLarge {
        /// Length the header claims.
        length: usize,
        /// The configured limit.
        max: usize,
    },
    /// A handshake fragment reaching past its message, or disagreeing with earlier fragments
    /// of the same message (RFC 6347 §4.2.3).
    #[error("handshake fragment out of range or inconsistent")]
    BadFragment,
    /// A message that is not allowed in the current state (RFC 5246 §7.4, RFC 6347 §4.2.4):
    /// out-of-order handshake messages, an unexpected ChangeCipherSpec, Finished before keys,
    /// application data before the handshake completes.
    #[error("unexpected message: {0}")]
    UnexpectedMessage(&'static str),
    /// The peer offered or chose a protocol version other than DTLS 1.2.
    #[error("unsupported protocol version {0:#06x}")]
    UnsupportedVersion(u16),
    /// No cipher suite in common (or the server chose one we did not offer).
    #[error("no cipher suite in common")]
    NoCommonCipherSuite,
    /// No key exchange group in common.
    #[error("no key exchange group in common")]
    NoCommonGroup,
    /// No SRTP protection profile in common (RFC 5764 §4.1.2), when one is required.
    #[error("no SRTP protection profile in common")]
    NoCommonSrtpProfile,
    /// No signature algorithm in common.
    #[error("no signature algorithm in common")]
    NoCommonSignatureScheme,
    /// The peer did not negotiate the extended master secret (RFC 7627 §5), which the
    /// configuration requires.
    #[error("extended master secret not negotiated")]
    ExtendedMasterSecretRequired,
    /// A non-empty renegotiation_info, or a renegotiation attempt (RFC 5746).
    #[error("renegotiation refused")]
    Renegotiation,
    /// A parameter with a value the peer should not have sent.
    #[error("illegal parameter: {0}")]
    IllegalParameter(&'static str),
    /// The peer sent no certificate (client certificates are required in WebRTC).
    #[error("peer sent no certificate")]
    NoCertificate,
    /// The peer certificate could not be parsed or used.
    #[error("bad peer certificate: {0}")]
    BadCertificate(String),
    /// The peer certificate's fingerprint matches none of the expected ones (RFC 8122 §5).
    #[error("peer certificate fingerprint {0} matches no expected fingerprint")]
    FingerprintMismatch(String),
    /// ServerKeyExchange or CertificateVerify signature did not verify.
    #[error("bad signature")]
    BadSignature,
    /// The peer's Finished verify_data is wrong (RFC 5246 §7.4.9).
    #[error("bad Finished")]
    BadFinished,
    /// A cryptographic operation failed (bad public key, internal error).
    #[error("crypto: {0}")]
    Crypto(String),
    /// Replaying ([`Draws::Replay`](crate::Draws::Replay)): the handshake needed a draw
    /// the queue did not have next (it is empty, or holds another kind of draw, a key share of
    /// another group or of the wrong length). The recording does not fit these inputs.
    #[error("replay diverged from the recorded draws")]
    ReplayDiverged,
    /// The peer sent a fatal alert.
    #[error("peer sent fatal alert {0:?}")]
    AlertReceived(AlertDescription),
    /// The handshake did not complete after the last retransmission (RFC 6347 §4.2.4.1).
    #[error("handshake timed out")]
    Timeout,
    /// API misuse: the operation needs a completed handshake.
    #[error("not connected")]
    NotConnected,
    /// API misuse: the connection is closed or failed.
    #[error("connection closed")]
    Closed,
    /// API misuse: an argument is out of range.
    #[error("bad argument: {0}")]
    BadArgument(&'static str),
}

impl Error {
    /// The fatal alert this error is reported to the peer with, if any (RFC 5246 §7.2.2).
    pub fn alert(&self) -> Option<AlertDescription> {
        use AlertDescription as A;
        Some(match self {
            Error::Truncated { .. } | Error::Invalid { .. } | Error::BadFragment => A::DecodeError,
            Error::RecordOverflow(_) => A::RecordOverflow,
            Error::MessageTooLarge { .. } => A::IllegalParameter,
            Error::UnexpectedMessage(_) => A::UnexpectedMessage,
            Error::UnsupportedVersion(_) => A::ProtocolVersion,
            Error::NoCommonCipherSuite
            | Error::NoCommonGroup
            | Error::NoCommonSrtpProfile
            | Error::NoCommonSignatureScheme
            | Error::ExtendedMasterSecretRequired
            | Error::Renegotiation
            | Error::NoCertificate => A::HandshakeFailure,
            Error::IllegalParameter(_) => A::IllegalParameter,
            Error::BadCertificate(_) | Error::FingerprintMismatch(_) => A::BadCertificate,
            Error::BadSignature | Error::BadFinished => A::DecryptError,
            Error::Crypto(_) | Error::ReplayDiverged => A::InternalError,
            Error::AlertReceived(_)
            | Error::Timeout
            | Error::NotConnected
            | Error::Closed
            | Error::BadArgument(_) => return None,
        })
    }
}

impl From<ReadError> for Error {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Truncated { needed, remaining } => Error::Truncated { needed, remaining },
            ReadError::Invalid { field } => Error::Invalid { field },
        }
    }
}
