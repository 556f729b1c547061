//! The STUN message: header, zero-copy decoding with integrity and fingerprint checks, and an
//! encoder that writes into the caller's buffer (RFC 8489 §5, §14.5–§14.7).

use hmac::Mac;
use proto::Reader;

use crate::attr::{Attribute, is_comprehension_required, is_known, pad4, types};
use crate::key::{Key, ct_eq};
use crate::{Error, FINGERPRINT_XOR, HEADER_LEN, MAGIC_COOKIE};

/// A STUN method: the 12-bit operation a message is about (RFC 8489 §5, RFC 8656 §17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Method(pub u16);

impl Method {
    /// Binding (RFC 8489).
    pub const BINDING: Method = Method(0x001);
    /// Allocate (RFC 8656).
    pub const ALLOCATE: Method = Method(0x003);
    /// Refresh (RFC 8656).
    pub const REFRESH: Method = Method(0x004);
    /// Send (RFC 8656).
    pub const SEND: Method = Method(0x006);
    /// Data (RFC 8656).
    pub const DATA: Method = Method(0x007);
    /// CreatePermission (RFC 8656).
    pub const CREATE_PERMISSION: Method = Method(0x008);
    /// ChannelBind (RFC 8656).
    pub const CHANNEL_BIND: Method = Method(0x009);
}

/// The class of a message (RFC 8489 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// A request, answered by a response.
    Request,
    /// An indication, not answered.
    Indication,
    /// A success response.
    Success,
    /// An error response.
    Error,
}

/// Method and class, packed together into the 14-bit message type (RFC 8489 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageType {
    /// The method.
    pub method: Method,
    /// The class.
    pub class: Class,
}

impl MessageType {
    /// Binding request.
    pub const BINDING_REQUEST: MessageType = MessageType::new(Method::BINDING, Class::Request);
    /// Binding success response.
    pub const BINDING_SUCCESS: MessageType = MessageType::new(Method::BINDING, Class::Success);
    /// Binding error response.
    pub const BINDING_ERROR: MessageType = MessageType::new(Method::BINDING, Class::Error);
    /// Binding indication (keepalive).
    pub const BINDING_INDICATION: MessageType =
        MessageType::new(Method::BINDING, Class::Indication);

    /// A message type from its parts. Only the low 12 bits of the method are used.
    pub const fn new(method: Method, class: Class) -> Self {
        MessageType {
            method: Method(method.0 & 0x0FFF),
            class,
        }
    }

    /// The 16-bit field: method bits M0..M11 interleaved with class bits C0 and C1.
    pub const fn to_u16(self) -> u16 {
        let m = self.method.0 & 0x0FFF;
        let c: u16 = match self.class {
            Class::Request => 0b00,
            Class::Indication => 0b01,
            Class::Success => 0b10,
            Class::Error => 0b11,
        };
        (m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7)
    }

    /// Splits a 16-bit type field; the two top bits are ignored (they are zero in STUN).
    pub const fn from_u16(v: u16) -> Self {
        let method = (v & 0x000F) | ((v >> 1) & 0x0070) | ((v >> 2) & 0x0F80);
        let class = match ((v >> 4) & 1) | ((v >> 7) & 2) {
            0 => Class::Request,
            1 => Class::Indication,
            2 => Class::Success,
            _ => Class::Error,
        };
        MessageType {
            method: Method(method),
            class,
        }
    }

    /// The response type (success or error) answering a request of this method.
    pub const fn response(self, success: bool) -> Self {
        MessageType::new(
            self.method,
            if success {
                Class::Success
            } else {
                Class::Error
            },
        )
    }
}

/// The 96-bit transaction id. The caller chooses it (randomly, RFC 8489 §6): this crate has
/// no randomness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId(pub [u8; 12]);

/// The fixed 20-byte header of a STUN message (RFC 8489 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Method and class.
    pub typ: MessageType,
    /// Length of the body after the header, in bytes.
    pub length: u16,
    /// Transaction id.
    pub transaction_id: TransactionId,
}

impl Header {
    /// Reads the header at the start of `buf`, checking the zero top bits and the magic cookie
    /// but not the body. Useful to answer 400 to a request whose body is malformed.
    pub fn decode(buf: &[u8]) -> Result<Header, Error> {
        let mut r = Reader::new(buf);
        let raw_type = r.u16()?;
        if raw_type & 0xC000 != 0 {
            return Err(Error::NotStun);
        }
        let length = r.u16()?;
        let cookie = r.u32()?;
        if cookie != MAGIC_COOKIE {
            return Err(Error::BadCookie(cookie));
        }
        let transaction_id = TransactionId(r.array()?);
        Ok(Header {
            typ: MessageType::from_u16(raw_type),
            length,
            transaction_id,
        })
    }
}

/// One attribute as it sits in the message: type and value (without padding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    /// The type number (see [`types`](crate::types)).
    pub typ: u16,
    /// The value, borrowed from the datagram.
    pub value: &'a [u8],
}

/// A decoded STUN message: a checked view over the datagram.
///
/// [`Message::decode`] walks the attributes once, checking every length and padding, notes
/// where MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are, and verifies the
/// FINGERPRINT if there is one. Nothing is copied: attributes are read on demand from the
/// borrowed bytes.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    buf: &'a [u8],
    header: Header,
    /// Offset and value of the MESSAGE-INTEGRITY that counts.
    integrity: Option<(usize, &'a [u8])>,
    /// Offset and value of the MESSAGE-INTEGRITY-SHA256 that counts.
    integrity_sha256: Option<(usize, &'a [u8])>,
    fingerprint: Option<usize>,
    /// Where the first [`INDEXED`] counted attributes are, noted by `decode` so that reading
    /// them does not walk the TLVs again: (type, value offset in `buf`, value length).
    index: [(u16, u32, u16); INDEXED],
    /// How many counted attributes `decode` met (may exceed [`INDEXED`]).
    counted: usize,
}

/// Counted attributes whose positions a [`Message`] keeps; an ICE check has six. Messages with
/// more are read by walking the TLVs again.
const INDEXED: usize = 8;

/// RFC 8489 §14.5/§14.6: after an integrity attribute every attribute is ignored, except a
/// MESSAGE-INTEGRITY-SHA256 after MESSAGE-INTEGRITY, and FINGERPRINT.
#[derive(Debug, Clone, Copy, Default)]
struct Walk {
    seen_mi: bool,
    seen_mi256: bool,
}

impl Walk {
    /// Whether an attribute of type `typ` at this point counts; updates the state.
    fn counts(&mut self, typ: u16) -> bool {
        match typ {
            types::FINGERPRINT => true,
            types::MESSAGE_INTEGRITY if !self.seen_mi && !self.seen_mi256 => {
                self.seen_mi = true;
                true
            }
            types::MESSAGE_INTEGRITY_SHA256 if !self.seen_mi256 => {
                self.seen_mi256 = true;
                true
            }
            _ => !self.seen_mi && !self.seen_mi256,
        }
    }
}

/// Reads the TLV at `pos` of the message body `body`, checking its length and padding against
/// what remains; returns it and the position of the next one. The hot path of decoding, so it
/// works on positions rather than through a `Reader`.
#[inline]
fn tlv_at(body: &[u8], pos: usize) -> Result<(RawAttribute<'_>, usize), Error> {
    let remaining = body.len().saturating_sub(pos);
    let Some(&[t0, t1, l0, l1]) = body.get(pos..pos.saturating_add(4)) else {
        return Err(Error::Truncated {
            needed: 4,
            remaining,
        });
    };
    let typ = u16::from_be_bytes([t0, t1]);
    let length = u16::from_be_bytes([l0, l1]);
    let n = usize::from(length);
    let left = remaining - 4;
    if n > left {
        return Err(Error::AttributeOverflow {
            typ,
            length,
            remaining: left,
        });
    }
    if pad4(n) > left {
        return Err(Error::BadPadding { typ });
    }
    let start = pos + 4;
    // In bounds by the two checks above.
    let value = body.get(start..start + n).unwrap_or_default();
    Ok((RawAttribute { typ, value }, start + pad4(n)))
}

impl<'a> Message<'a> {
    /// Decodes and checks a whole STUN message (one UDP datagram, or one frame cut from a TCP
    /// stream with [`frame_len`](crate::frame_len)). Verifies FINGERPRINT if present; use
    /// [`Message::verify`] for MESSAGE-INTEGRITY.
    pub fn decode(buf: &'a [u8]) -> Result<Message<'a>, Error> {
        let header = Header::decode(buf)?;
        let body = buf.get(HEADER_LEN..).unwrap_or_default();
        // A length that is not a multiple of four is reported below, as the attribute whose
        // padding is missing (BadPadding), since that is what a sender got wrong.
        if usize::from(header.length) != body.len() {
            return Err(Error::BadLength {
                length: header.length,
                actual: body.len(),
            });
        }
        let mut msg = Message {
            buf,
            header,
            integrity: None,
            integrity_sha256: None,
            fingerprint: None,
            index: [(0, 0, 0); INDEXED],
            counted: 0,
        };
        let mut pos = 0;
        let mut walk = Walk::default();
        while pos < body.len() {
            let offset = HEADER_LEN + pos;
            let (attr, next) = tlv_at(body, pos)?;
            pos = next;
            if msg.fingerprint.is_some() {
                return Err(Error::AttributeAfterFingerprint { typ: attr.typ });
            }
            if !walk.counts(attr.typ) {
                continue;
            }
            if let Some(slot) = msg.index.get_mut(msg.counted) {
                // Offsets fit in u32 and lengths in u16: the message is at most 20 + 65535 bytes.
                *slot = (attr.typ, (offset + 4) as u32, attr.value.len() as u16);
            }
            msg.counted += 1;
            match attr.typ {
                types::FINGERPRINT => {
                    let Ok(&fp) = <&[u8; 4]>::try_from(attr.value) else {
                        return Err(Error::InvalidAttribute {
                            typ: attr.typ,
                            reason: "wrong length",
                        });
                    };
                    let covered = buf.get(..offset).unwrap_or_default();
                    if crc32fast::hash(covered) ^ FINGERPRINT_XOR != u32::from_be_bytes(fp) {
                        return Err(Error::BadFingerprint);
                    }
                    msg.fingerprint = Some(offset);
                }
                types::MESSAGE_INTEGRITY => {
                    if attr.value.len() != 20 {
                        return Err(Error::InvalidAttribute {
                            typ: attr.typ,
                            reason: "wrong length",
                        });
                    }
                    msg.integrity = Some((offset, attr.value));
                }
                types::MESSAGE_INTEGRITY_SHA256 => {
                    Attribute::decode(attr.typ, attr.value, &header.transaction_id)?;
                    msg.integrity_sha256 = Some((offset, attr.value));
                }
                _ => {}
            }
        }
        if !header.length.is_multiple_of(4) {
            // Unreachable: a body whose length is not a multiple of four ends in an attribute
            // that lacks padding, reported by `next_tlv`. Kept as a belt-and-braces check.
            return Err(Error::BadLength {
                length: header.length,
                actual: body.len(),
            });
        }
        Ok(msg)
    }

    /// Decodes like [`Message::decode`], then requires a valid MESSAGE-INTEGRITY(-SHA256)
    /// under `key` (see [`Message::verify`]).
    pub fn decode_verified(buf: &'a [u8], key: &Key) -> Result<Message<'a>, Error> {
        let msg = Message::decode(buf)?;
        msg.verify(key)?;
        Ok(msg)
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Method and class.
    pub fn typ(&self) -> MessageType {
        self.header.typ
    }

    /// Method.
    pub fn method(&self) -> Method {
        self.header.typ.method
    }

    /// Class.
    pub fn class(&self) -> Class {
        self.header.typ.class
    }

    /// The transaction id.
    pub fn transaction_id(&self) -> TransactionId {
        self.header.transaction_id
    }

    /// The whole message as received.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// Whether the message carries MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256.
    pub fn has_integrity(&self) -> bool {
        self.integrity.is_some() || self.integrity_sha256.is_some()
    }

    /// Whether the message carries a (verified) FINGERPRINT.
    pub fn has_fingerprint(&self) -> bool {
        self.fingerprint.is_some()
    }

    /// The attributes that count, in order: those after an integrity attribute are skipped as
    /// RFC 8489 §14.5 says (except MESSAGE-INTEGRITY-SHA256 and FINGERPRINT).
    pub fn attributes(&self) -> Attributes<'a> {
        let indexed = self.counted <= INDEXED;
        Attributes {
            buf: self.buf,
            index: self.index,
            next: 0,
            len: if indexed { self.counted } else { 0 },
            body: if indexed {
                &[]
            } else {
                self.buf.get(HEADER_LEN..).unwrap_or_default()
            },
            pos: 0,
            walk: Walk::default(),
        }
    }

    /// The attributes that count, interpreted. Each item is the attribute or why its value is
    /// malformed.
    pub fn typed(&self) -> impl Iterator<Item = Result<Attribute<'a>, Error>> + 'a {
        let tid = self.header.transaction_id;
        self.attributes()
            .map(move |a| Attribute::decode(a.typ, a.value, &tid))
    }

    /// The value of the first counted attribute of type `typ`.
    pub fn raw(&self, typ: u16) -> Option<&'a [u8]> {
        self.attributes().find(|a| a.typ == typ).map(|a| a.value)
    }

    /// The first counted attribute of type `typ`, interpreted.
    pub fn get(&self, typ: u16) -> Option<Result<Attribute<'a>, Error>> {
        self.raw(typ)
            .map(|v| Attribute::decode(typ, v, &self.header.transaction_id))
    }

    /// Comprehension-required attribute types (below 0x8000) that this codec does not know.
    /// A server answers a request that has any with 420 and UNKNOWN-ATTRIBUTES (RFC 8489 §6.3.1).
    pub fn unknown_required(&self) -> impl Iterator<Item = u16> + 'a {
        self.attributes()
            .map(|a| a.typ)
            .filter(|&t| is_comprehension_required(t) && !is_known(t))
    }

    /// Checks MESSAGE-INTEGRITY-SHA256 if present, else MESSAGE-INTEGRITY, under `key`
    /// (RFC 8489 §9.1.3, §9.2.4). The HMAC runs over the received bytes in place, with the
    /// header length adjusted as the RFC says; nothing is copied.
    pub fn verify(&self, key: &Key) -> Result<(), Error> {
        if let Some((offset, expected)) = self.integrity_sha256 {
            return self
                .mac_input(offset, expected, key.sha256())
                .verify_truncated_left(expected)
                .map_err(|_| Error::BadIntegrity);
        }
        if let Some((offset, expected)) = self.integrity {
            let length = self.covered_length(offset, expected);
            let tag = key.sha1().mac(&[
                self.buf.get(..2).unwrap_or_default(),
                &length.to_be_bytes(),
                self.buf.get(4..offset).unwrap_or_default(),
            ]);
            return if ct_eq(&tag, expected) {
                Ok(())
            } else {
                Err(Error::BadIntegrity)
            };
        }
        Err(Error::NoIntegrity)
    }

    /// The header length an integrity attribute at `offset` with value `value` is computed
    /// with: the body up to the end of that attribute.
    fn covered_length(&self, offset: usize, value: &[u8]) -> u16 {
        // At most the 16-bit body length of a decoded message.
        (offset + 4 + value.len() - HEADER_LEN) as u16
    }

    /// `mac` fed with the bytes an integrity attribute at `offset` with value `value` covers:
    /// the header with its length counting up to the end of that attribute, and everything
    /// between the header and the attribute.
    #[inline]
    fn mac_input<M: Mac + Clone>(&self, offset: usize, value: &[u8], mac: &M) -> M {
        let mut mac = mac.clone();
        let length = self.covered_length(offset, value);
        mac.update(self.buf.get(..2).unwrap_or_default());
        mac.update(&length.to_be_bytes());
        mac.update(self.buf.get(4..offset).unwrap_or_default());
        mac
    }
}

/// Iterator over the counted attributes of a [`Message`].
#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    buf: &'a [u8],
    /// Positions noted at decode, used while `next < len`.
    index: [(u16, u32, u16); INDEXED],
    next: usize,
    len: usize,
    /// Otherwise (more attributes than the index holds): the body, walked again.
    body: &'a [u8],
    pos: usize,
    walk: Walk,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = RawAttribute<'a>;

    #[inline]
    fn next(&mut self) -> Option<RawAttribute<'a>> {
        if self.next < self.len {
            let &(typ, start, len) = self.index.get(self.next)?;
            self.next += 1;
            let start = start as usize;
            let value = self.buf.get(start..start + usize::from(len))?;
            return Some(RawAttribute { typ, value });
        }
        while self.pos < self.body.len() {
            // The message was checked by `decode`, so this cannot fail; stop if it does.
            let (attr, next) = tlv_at(self.body, self.pos).ok()?;
            self.pos = next;
            if self.walk.counts(attr.typ) {
                return Some(attr);
            }
        }
        None
    }
}

/// Writes one STUN message into the caller's `Vec<u8>`, appending after whatever it holds
/// (so a TCP sender can batch messages), and keeps the header length up to date after each
/// attribute. With a reused buffer nothing is allocated.
///
/// ```
/// use nutshell_stun::{Attribute, Encoder, Key, Message, MessageType, TransactionId};
/// let key = Key::short_term("pass");
/// let mut buf = Vec::new();
/// let mut enc = Encoder::new(&mut buf, MessageType::BINDING_REQUEST, TransactionId([7; 12]));
/// enc.add(&Attribute::Username("a:b")).unwrap();
/// enc.add(&Attribute::Priority(0x6e0001ff)).unwrap();
/// enc.add_integrity(&key);
/// enc.add_fingerprint();
/// let len = enc.finish();
///
/// let msg = Message::decode(&buf[..len]).unwrap();
/// msg.verify(&key).unwrap();
/// assert_eq!(msg.get(nutshell_stun::types::USERNAME).unwrap().unwrap(), Attribute::Username("a:b"));
/// ```
#[derive(Debug)]
pub struct Encoder<'b> {
    buf: &'b mut Vec<u8>,
    start: usize,
    tid: TransactionId,
    padding: u8,
}

impl<'b> Encoder<'b> {
    /// Starts a message of type `typ` with transaction id `tid` at the end of `buf`.
    pub fn new(buf: &'b mut Vec<u8>, typ: MessageType, tid: TransactionId) -> Self {
        let start = buf.len();
        buf.extend_from_slice(&typ.to_u16().to_be_bytes());
        buf.extend_from_slice(&[0, 0]);
        buf.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        buf.extend_from_slice(&tid.0);
        Encoder {
            buf,
            start,
            tid,
            padding: 0,
        }
    }

    /// Sets the byte used to pad attribute values (zero by default). Receivers must ignore
    /// padding (RFC 8489 §14); this exists to reproduce messages byte for byte, such as the
    /// RFC 5769 vectors, which pad with spaces.
    pub fn padding_byte(&mut self, byte: u8) {
        self.padding = byte;
    }

    fn set_length(&mut self, body: usize) -> Result<(), Error> {
        let len = u16::try_from(body).map_err(|_| Error::ValueTooLong { length: body })?;
        if let Some(field) = self.buf.get_mut(self.start + 2..self.start + 4) {
            field.copy_from_slice(&len.to_be_bytes());
        }
        Ok(())
    }

    fn body_len(&self) -> usize {
        self.buf.len() - self.start - HEADER_LEN
    }

    /// Appends a typed attribute (with padding).
    pub fn add(&mut self, attr: &Attribute<'_>) -> Result<(), Error> {
        let at = self.buf.len();
        self.buf.extend_from_slice(&attr.typ().to_be_bytes());
        self.buf.extend_from_slice(&[0, 0]);
        let tid = self.tid;
        let res = attr.encode_value(self.buf, &tid);
        self.finish_tlv(at, res)
    }

    /// Appends an attribute given as raw type and value (with padding).
    pub fn add_raw(&mut self, typ: u16, value: &[u8]) -> Result<(), Error> {
        let at = self.buf.len();
        self.buf.extend_from_slice(&typ.to_be_bytes());
        self.buf.extend_from_slice(&[0, 0]);
        self.buf.extend_from_slice(value);
        self.finish_tlv(at, Ok(()))
    }

    /// Back-patches the TLV length of the attribute written at `at`, pads it and updates the
    /// header; on any error removes the partial attribute.
    fn finish_tlv(&mut self, at: usize, res: Result<(), Error>) -> Result<(), Error> {
        let value_len = self.buf.len() - at - 4;
        let res = res.and_then(|()| {
            let len =
                u16::try_from(value_len).map_err(|_| Error::ValueTooLong { length: value_len })?;
            let body = self.body_len() + pad4(value_len) - value_len;
            self.set_length(body)?;
            if let Some(field) = self.buf.get_mut(at + 2..at + 4) {
                field.copy_from_slice(&len.to_be_bytes());
            }
            Ok(())
        });
        match res {
            Ok(()) => {
                self.buf.resize(at + 4 + pad4(value_len), self.padding);
                Ok(())
            }
            Err(e) => {
                self.buf.truncate(at);
                Err(e)
            }
        }
    }

    /// Appends an attribute whose value is `value_len` bytes computed over the message so far
    /// (with the header length already counting it).
    fn add_mac(&mut self, typ: u16, value: &[u8]) {
        let value_len = value.len();
        self.buf.extend_from_slice(&typ.to_be_bytes());
        // Lengths of MACs and CRCs are small constants: these casts cannot truncate.
        self.buf
            .extend_from_slice(&(value_len as u16).to_be_bytes());
        self.buf.extend_from_slice(value);
    }

    /// Appends MESSAGE-INTEGRITY: HMAC-SHA1 under `key` over the message so far (RFC 8489
    /// §14.5). Attributes added after it, other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT,
    /// are ignored by receivers.
    pub fn add_integrity(&mut self, key: &Key) {
        let body = self.body_len() + 4 + 20;
        // A message over 64 KiB is not a STUN message; its header length saturates then.
        let _ = self.set_length(body);
        let tag = key
            .sha1()
            .mac(&[self.buf.get(self.start..).unwrap_or_default()]);
        self.add_mac(types::MESSAGE_INTEGRITY, &tag);
    }

    /// Appends MESSAGE-INTEGRITY-SHA256: the full 32-byte HMAC-SHA256 under `key` (RFC 8489
    /// §14.6).
    pub fn add_integrity_sha256(&mut self, key: &Key) {
        let body = self.body_len() + 4 + 32;
        let _ = self.set_length(body);
        let mut mac = key.sha256().clone();
        mac.update(self.buf.get(self.start..).unwrap_or_default());
        let tag = mac.finalize().into_bytes();
        self.add_mac(types::MESSAGE_INTEGRITY_SHA256, &tag);
    }

    /// Appends FINGERPRINT (RFC 8489 §14.7). It must be the last attribute.
    pub fn add_fingerprint(&mut self) {
        let body = self.body_len() + 8;
        let _ = self.set_length(body);
        let crc = crc32fast::hash(self.buf.get(self.start..).unwrap_or_default()) ^ FINGERPRINT_XOR;
        self.add_mac(types::FINGERPRINT, &crc.to_be_bytes());
    }

    /// Ends the message and returns its length in bytes.
    pub fn finish(self) -> usize {
        self.buf.len() - self.start
    }
}
