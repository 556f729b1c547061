//! Record and replay of the values the endpoint takes from outside its inputs.
//!
//! Given [`Config::seed`](crate::Config::seed) and its inputs (datagrams and times), an endpoint
//! is deterministic except for the public-key operations that `ring` runs on the OS random
//! generator: ECDHE key generation and agreement ([`crate::crypto::KeyExchange`]) and ECDSA
//! signing ([`crate::cert::Certificate::sign`]). `ring` seals its `SecureRandom` trait, so no
//! seeded generator can be plugged in. Instead [`Draws`] treats the *results* of those
//! operations as inputs: [`Draws::Record`] keeps them ([`Dtls::take_draws`](crate::Dtls::take_draws)),
//! and [`Draws::Replay`] hands them back instead of calling `ring`, so a fresh endpoint fed the
//! same datagrams at the same times produces byte-identical datagrams.

use std::collections::VecDeque;

use crate::cert::{Certificate, SignatureScheme};
use crate::crypto::{CryptoError, KeyExchange, NamedGroup};
use crate::error::Error;

/// A value the endpoint took from outside its inputs (the OS random generator, through ring).
///
/// `Debug` prints lengths, never the bytes: a [`CryptoDraw::SharedSecret`] is secret.
#[derive(Clone, PartialEq, Eq)]
pub enum CryptoDraw {
    /// Our ECDHE public key share, as sent on the wire.
    KeyShare {
        /// The group of the key.
        group: NamedGroup,
        /// The public key in its wire form (RFC 8422 §5.4).
        public: Vec<u8>,
    },
    /// The ECDHE premaster secret computed from our key and the peer's share (secret!).
    SharedSecret(Vec<u8>),
    /// A signature made with our certificate's key.
    Signature {
        /// The scheme the signature was made with.
        scheme: SignatureScheme,
        /// The signature as it goes on the wire (ASN.1 DER for ECDSA).
        signature: Vec<u8>,
    },
}

impl core::fmt::Debug for CryptoDraw {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CryptoDraw::KeyShare { group, public } => f
                .debug_struct("KeyShare")
                .field("group", group)
                .field("public_len", &public.len())
                .finish(),
            CryptoDraw::SharedSecret(s) => f
                .debug_struct("SharedSecret")
                .field("len", &s.len())
                .finish(),
            CryptoDraw::Signature { scheme, signature } => f
                .debug_struct("Signature")
                .field("scheme", scheme)
                .field("signature_len", &signature.len())
                .finish(),
        }
    }
}

/// Where the endpoint's draws come from. Default: [`Draws::Live`].
#[derive(Debug, Clone, Default)]
pub enum Draws {
    /// From ring (the OS generator); nothing kept.
    #[default]
    Live,
    /// From ring, and each draw is kept, in order, for
    /// [`Dtls::take_draws`](crate::Dtls::take_draws) (at most [`MAX_KEPT_DRAWS`] between two
    /// calls; later ones are dropped).
    Record,
    /// From this queue, in order, instead of ring. A missing or mismatched draw (wrong
    /// variant, wrong group, wrong key length) fails the handshake with
    /// [`Error::ReplayDiverged`] (fatal, internal_error alert).
    Replay(VecDeque<CryptoDraw>),
}

/// How many draws [`Draws::Record`] keeps between two calls of
/// [`Dtls::take_draws`](crate::Dtls::take_draws). A handshake makes three (key share, shared
/// secret, signature); draws beyond the cap are dropped (and logged at debug level).
pub const MAX_KEPT_DRAWS: usize = 64;

/// Our half of an ECDHE exchange: a live `ring` key, or a replayed share whose secret comes
/// from the recording.
pub(crate) enum OurShare {
    Live(KeyExchange),
    Replayed(NamedGroup),
}

impl OurShare {
    fn group(&self) -> NamedGroup {
        match self {
            OurShare::Live(kx) => kx.group(),
            OurShare::Replayed(g) => *g,
        }
    }
}

/// Why an agreement failed.
pub(crate) enum AgreeError {
    /// The peer's key is unusable (the caller reports it as an illegal parameter).
    BadPeerKey,
    /// Anything else, already an [`Error`].
    Other(Error),
}

/// The draw source of one endpoint and what it kept.
#[derive(Debug, Default)]
pub(crate) struct DrawSource {
    mode: Draws,
    kept: Vec<CryptoDraw>,
}

impl DrawSource {
    pub(crate) fn new(mode: Draws) -> Self {
        DrawSource {
            mode,
            kept: Vec::new(),
        }
    }

    pub(crate) fn take(&mut self) -> Vec<CryptoDraw> {
        std::mem::take(&mut self.kept)
    }

    fn keep(&mut self, draw: CryptoDraw) {
        if self.kept.len() < MAX_KEPT_DRAWS {
            self.kept.push(draw);
        } else {
            tracing::debug!("recorded draw dropped: take_draws not called");
        }
    }

    /// The next replayed draw, if replaying (`Ok(None)` when not replaying).
    fn next(&mut self) -> Result<Option<CryptoDraw>, Error> {
        match &mut self.mode {
            Draws::Replay(q) => q.pop_front().map(Some).ok_or_else(|| {
                tracing::debug!("replay ran out of draws");
                Error::ReplayDiverged
            }),
            Draws::Live | Draws::Record => Ok(None),
        }
    }

    /// A fresh ECDHE key share on `group` and its public key for the wire.
    pub(crate) fn key_share(&mut self, group: NamedGroup) -> Result<(OurShare, Vec<u8>), Error> {
        match self.next()? {
            Some(CryptoDraw::KeyShare { group: g, public })
                if g == group && public.len() == group.public_key_len() =>
            {
                Ok((OurShare::Replayed(group), public))
            }
            Some(other) => Err(diverged("key share", &other)),
            None => {
                let (kx, public) =
                    KeyExchange::generate(group).map_err(|e| Error::Crypto(e.to_string()))?;
                if matches!(self.mode, Draws::Record) {
                    self.keep(CryptoDraw::KeyShare {
                        group,
                        public: public.clone(),
                    });
                }
                Ok((OurShare::Live(kx), public))
            }
        }
    }

    /// The premaster secret from our share and the peer's public key. The peer key's length
    /// is checked in every mode.
    pub(crate) fn agree(
        &mut self,
        share: OurShare,
        peer_public: &[u8],
    ) -> Result<Vec<u8>, AgreeError> {
        if peer_public.len() != share.group().public_key_len() {
            return Err(AgreeError::BadPeerKey);
        }
        match self.next().map_err(AgreeError::Other)? {
            Some(CryptoDraw::SharedSecret(s)) => Ok(s),
            Some(other) => Err(AgreeError::Other(diverged("shared secret", &other))),
            None => {
                let OurShare::Live(kx) = share else {
                    // A replayed share outside Replay mode cannot be built; report it as a
                    // divergence rather than panic.
                    return Err(AgreeError::Other(Error::ReplayDiverged));
                };
                let secret = kx.agree(peer_public).map_err(|e| match e {
                    CryptoError::BadPeerKey => AgreeError::BadPeerKey,
                    e => AgreeError::Other(Error::Crypto(e.to_string())),
                })?;
                if matches!(self.mode, Draws::Record) {
                    self.keep(CryptoDraw::SharedSecret(secret.clone()));
                }
                Ok(secret)
            }
        }
    }

    /// A signature over `message` with our certificate's key.
    pub(crate) fn sign(
        &mut self,
        certificate: &Certificate,
        message: &[u8],
    ) -> Result<(SignatureScheme, Vec<u8>), Error> {
        match self.next()? {
            Some(CryptoDraw::Signature { scheme, signature }) => Ok((scheme, signature)),
            Some(other) => Err(diverged("signature", &other)),
            None => {
                let (scheme, signature) = certificate
                    .sign(message)
                    .map_err(|e| Error::Crypto(e.to_string()))?;
                if matches!(self.mode, Draws::Record) {
                    self.keep(CryptoDraw::Signature {
                        scheme,
                        signature: signature.clone(),
                    });
                }
                Ok((scheme, signature))
            }
        }
    }
}

fn diverged(wanted: &'static str, got: &CryptoDraw) -> Error {
    tracing::debug!(wanted, got = ?got, "replay diverged");
    Error::ReplayDiverged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secret_bytes() {
        let d = CryptoDraw::SharedSecret(vec![0xAB; 32]);
        let s = format!("{d:?}");
        assert!(s.contains("32"));
        assert!(
            !s.contains("171") && !s.to_lowercase().contains("ab, "),
            "{s}"
        );
    }

    #[test]
    fn record_keeps_at_most_the_cap() {
        let mut src = DrawSource::new(Draws::Record);
        for _ in 0..MAX_KEPT_DRAWS + 3 {
            let _ = src.key_share(NamedGroup::X25519).unwrap();
        }
        assert_eq!(src.take().len(), MAX_KEPT_DRAWS);
        assert!(src.take().is_empty());
    }

    #[test]
    fn live_keeps_nothing() {
        let mut src = DrawSource::new(Draws::Live);
        let (share, _) = src.key_share(NamedGroup::X25519).unwrap();
        let (_, peer) = KeyExchange::generate(NamedGroup::X25519).unwrap();
        assert!(src.agree(share, &peer).is_ok());
        assert!(src.take().is_empty());
    }

    #[test]
    fn replay_checks_group_and_peer_length() {
        let mut src = DrawSource::new(Draws::Replay(VecDeque::from([
            CryptoDraw::KeyShare {
                group: NamedGroup::X25519,
                public: vec![9; 32],
            },
            CryptoDraw::SharedSecret(vec![1; 32]),
        ])));
        assert_eq!(
            src.key_share(NamedGroup::Secp256r1).err(),
            Some(Error::ReplayDiverged)
        );
        // The queue moved on: the next draw is the secret, not a key share.
        assert_eq!(
            src.key_share(NamedGroup::X25519).err(),
            Some(Error::ReplayDiverged)
        );
        let mut src = DrawSource::new(Draws::Replay(VecDeque::from([
            CryptoDraw::KeyShare {
                group: NamedGroup::X25519,
                public: vec![9; 32],
            },
            CryptoDraw::SharedSecret(vec![1; 32]),
        ])));
        let (share, public) = src.key_share(NamedGroup::X25519).unwrap();
        assert_eq!(public, vec![9; 32]);
        assert!(matches!(
            src.agree(share, &[0; 31]),
            Err(AgreeError::BadPeerKey)
        ));
        let (share, _) = (OurShare::Replayed(NamedGroup::X25519), ());
        assert_eq!(src.agree(share, &[7; 32]).ok(), Some(vec![1; 32]));
        assert!(src.take().is_empty());
    }
}
