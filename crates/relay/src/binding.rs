//! The STUN Binding service (RFC 8489 §6.3), sans IO: bytes and a source address in, an
//! optional response out. The socket loops in [`crate::server`] feed it; so do the tests.

use std::net::SocketAddr;

use stun::{Attribute, Class, Encoder, Error, Header, Message, MessageType, Method};

/// Most unknown attribute types listed in one 420 response.
const MAX_UNKNOWN: usize = 16;

/// What [`BindingService::handle`] did with one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A success response of this many bytes was appended to the output buffer.
    Success(usize),
    /// An error response with this code, of `len` bytes, was appended to the output buffer.
    ErrorResponse {
        /// The STUN error code (400, 420).
        code: u16,
        /// Length of the response.
        len: usize,
    },
    /// Not answered: not STUN, not a request, or a FINGERPRINT mismatch.
    Dropped(DropReason),
}

/// Why a message got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The header is not a STUN header (wrong bits, cookie or size).
    NotStun,
    /// A STUN indication or response: servers answer only requests.
    NotRequest,
    /// FINGERPRINT did not match, so RFC 8489 §7.3 says it is not STUN.
    BadFingerprint,
}

/// Counters, for logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Binding success responses sent.
    pub success: u64,
    /// 400 responses sent.
    pub bad_request: u64,
    /// 420 responses sent.
    pub unknown_attribute: u64,
    /// Messages dropped.
    pub dropped: u64,
}

/// Answers STUN Binding requests with XOR-MAPPED-ADDRESS, SOFTWARE and FINGERPRINT.
#[derive(Debug, Clone)]
pub struct BindingService {
    software: String,
    stats: Stats,
}

impl BindingService {
    /// A service that names itself `software` in every response.
    pub fn new(software: impl Into<String>) -> Self {
        BindingService {
            software: software.into(),
            stats: Stats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Handles one STUN message from `source`, appending any response to `out`.
    pub fn handle(&mut self, source: SocketAddr, input: &[u8], out: &mut Vec<u8>) -> Outcome {
        let outcome = self.answer(source, input, out);
        match outcome {
            Outcome::Success(_) => self.stats.success += 1,
            Outcome::ErrorResponse { code: 420, .. } => self.stats.unknown_attribute += 1,
            Outcome::ErrorResponse { .. } => self.stats.bad_request += 1,
            Outcome::Dropped(_) => self.stats.dropped += 1,
        }
        outcome
    }

    fn answer(&mut self, source: SocketAddr, input: &[u8], out: &mut Vec<u8>) -> Outcome {
        let header = match Header::decode(input) {
            Ok(h) => h,
            Err(_) => return Outcome::Dropped(DropReason::NotStun),
        };
        if header.typ.class != Class::Request {
            return Outcome::Dropped(DropReason::NotRequest);
        }
        let msg = match Message::decode(input) {
            Ok(m) => m,
            Err(Error::BadFingerprint) => return Outcome::Dropped(DropReason::BadFingerprint),
            Err(e) => {
                tracing::debug!(%source, error = %e, "malformed request");
                return self.error(out, &header, 400, "Bad Request", &[]);
            }
        };
        let mut unknown = [0u16; MAX_UNKNOWN];
        let mut n_unknown = 0;
        for (slot, t) in unknown.iter_mut().zip(msg.unknown_required()) {
            *slot = t;
            n_unknown += 1;
        }
        if n_unknown > 0 {
            let list = unknown.get(..n_unknown).unwrap_or_default();
            tracing::debug!(%source, ?list, "unknown comprehension-required attributes");
            return self.error(out, &header, 420, "Unknown Attribute", list);
        }
        if let Some(Err(e)) = msg.typed().find(Result::is_err) {
            tracing::debug!(%source, error = %e, "malformed attribute");
            return self.error(out, &header, 400, "Bad Request", &[]);
        }
        if msg.method() != Method::BINDING {
            return self.error(out, &header, 400, "Unsupported Method", &[]);
        }
        let start = out.len();
        let mut enc = Encoder::new(
            out,
            MessageType::new(Method::BINDING, Class::Success),
            header.transaction_id,
        );
        // Neither attribute can exceed a 16-bit length: an address, and a short name.
        let res = enc
            .add(&Attribute::XorMappedAddress(source))
            .and_then(|()| enc.add(&Attribute::Software(&self.software)));
        if res.is_err() {
            // The SOFTWARE string given at start-up is too long; answer without it.
            tracing::warn!("could not encode the response");
        }
        enc.add_fingerprint();
        let len = enc.finish();
        debug_assert_eq!(len, out.len() - start);
        tracing::trace!(%source, "binding success");
        Outcome::Success(len)
    }

    fn error(
        &self,
        out: &mut Vec<u8>,
        header: &Header,
        code: u16,
        reason: &str,
        unknown: &[u16],
    ) -> Outcome {
        let mut enc = Encoder::new(
            out,
            MessageType::new(header.typ.method, Class::Error),
            header.transaction_id,
        );
        // Fixed, short values: encoding cannot fail; a failure would only drop the attribute.
        let _ = enc.add(&Attribute::ErrorCode { code, reason });
        if !unknown.is_empty() {
            let _ = enc.add(&Attribute::UnknownAttributes(stun::UnknownAttributes::new(
                unknown,
            )));
        }
        let _ = enc.add(&Attribute::Software(&self.software));
        enc.add_fingerprint();
        Outcome::ErrorResponse {
            code,
            len: enc.finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stun::{TransactionId, types};

    const SRC: &str = "192.0.2.7:40000";

    fn request(build: impl FnOnce(&mut Encoder<'_>)) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut enc = Encoder::new(
            &mut buf,
            MessageType::BINDING_REQUEST,
            TransactionId([5; 12]),
        );
        build(&mut enc);
        enc.finish();
        buf
    }

    fn run(input: &[u8]) -> (Outcome, Vec<u8>) {
        let mut svc = BindingService::new("nutshell-relay test");
        let mut out = Vec::new();
        let o = svc.handle(SRC.parse().unwrap(), input, &mut out);
        (o, out)
    }

    #[test]
    fn answers_binding_with_xor_mapped_software_fingerprint() {
        let req = request(|e| e.add_fingerprint());
        let (o, out) = run(&req);
        assert_eq!(o, Outcome::Success(out.len()));
        let msg = Message::decode(&out).unwrap();
        assert_eq!(msg.typ(), MessageType::BINDING_SUCCESS);
        assert_eq!(msg.transaction_id(), TransactionId([5; 12]));
        assert!(msg.has_fingerprint());
        assert_eq!(
            msg.get(types::XOR_MAPPED_ADDRESS),
            Some(Ok(Attribute::XorMappedAddress(SRC.parse().unwrap())))
        );
        assert_eq!(
            msg.get(types::SOFTWARE),
            Some(Ok(Attribute::Software("nutshell-relay test")))
        );
    }

    #[test]
    fn answers_420_listing_unknown_required_attributes() {
        let req = request(|e| {
            e.add_raw(0x7F01, b"a").unwrap();
            e.add_raw(0xC001, b"optional").unwrap();
        });
        let (o, out) = run(&req);
        assert!(matches!(o, Outcome::ErrorResponse { code: 420, .. }));
        let msg = Message::decode(&out).unwrap();
        assert_eq!(msg.typ(), MessageType::BINDING_ERROR);
        assert_eq!(
            msg.get(types::ERROR_CODE),
            Some(Ok(Attribute::ErrorCode {
                code: 420,
                reason: "Unknown Attribute"
            }))
        );
        let Some(Ok(Attribute::UnknownAttributes(list))) = msg.get(types::UNKNOWN_ATTRIBUTES)
        else {
            panic!("no UNKNOWN-ATTRIBUTES");
        };
        assert_eq!(list.iter().collect::<Vec<_>>(), vec![0x7F01]);
    }

    #[test]
    fn answers_400_to_malformed_requests() {
        // Lying attribute length.
        let mut req = request(|e| e.add(&Attribute::Software("abc")).unwrap());
        req[23] = 100;
        let (o, out) = run(&req);
        assert!(matches!(o, Outcome::ErrorResponse { code: 400, .. }));
        let msg = Message::decode(&out).unwrap();
        assert_eq!(msg.typ(), MessageType::BINDING_ERROR);
        assert_eq!(msg.transaction_id(), TransactionId([5; 12]));
        // A known attribute with a malformed value.
        let req = request(|e| e.add_raw(types::PRIORITY, &[1]).unwrap());
        assert!(matches!(
            run(&req).0,
            Outcome::ErrorResponse { code: 400, .. }
        ));
    }

    #[test]
    fn drops_non_requests_garbage_and_bad_fingerprints() {
        let mut ind = Vec::new();
        Encoder::new(
            &mut ind,
            MessageType::BINDING_INDICATION,
            TransactionId([1; 12]),
        )
        .finish();
        assert_eq!(run(&ind).0, Outcome::Dropped(DropReason::NotRequest));
        let mut resp = Vec::new();
        Encoder::new(
            &mut resp,
            MessageType::BINDING_SUCCESS,
            TransactionId([1; 12]),
        )
        .finish();
        assert_eq!(run(&resp).0, Outcome::Dropped(DropReason::NotRequest));
        assert_eq!(run(b"garbage").0, Outcome::Dropped(DropReason::NotStun));
        assert_eq!(run(&[0u8; 40]).0, Outcome::Dropped(DropReason::NotStun));
        let mut req = request(|e| e.add_fingerprint());
        let n = req.len();
        req[n - 1] ^= 1;
        let (o, out) = run(&req);
        assert_eq!(o, Outcome::Dropped(DropReason::BadFingerprint));
        assert!(out.is_empty());
    }

    #[test]
    fn counts_outcomes() {
        let mut svc = BindingService::new("x");
        let mut out = Vec::new();
        let src = SRC.parse().unwrap();
        svc.handle(src, &request(|_| {}), &mut out);
        svc.handle(src, b"junk", &mut out);
        svc.handle(src, &request(|e| e.add_raw(0x0003, &[]).unwrap()), &mut out);
        assert_eq!(
            svc.stats(),
            Stats {
                success: 1,
                bad_request: 0,
                unknown_attribute: 1,
                dropped: 1
            }
        );
    }
}
