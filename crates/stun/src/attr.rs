//! Attribute types and their typed values (RFC 8489 §14, RFC 8445 §16.1, RFC 8656 §18).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use proto::Reader;

use crate::{Error, MAGIC_COOKIE, TransactionId};

/// Attribute type numbers (the 16-bit "Type" of the TLV).
///
/// Types below `0x8000` are *comprehension-required*: an agent that does not understand one must
/// reject the message (a server answers 420 with UNKNOWN-ATTRIBUTES). Types from `0x8000` up are
/// *comprehension-optional* and may be ignored (RFC 8489 §14).
pub mod types {
    /// MAPPED-ADDRESS (RFC 8489 §14.1).
    pub const MAPPED_ADDRESS: u16 = 0x0001;
    /// USERNAME (RFC 8489 §14.3).
    pub const USERNAME: u16 = 0x0006;
    /// MESSAGE-INTEGRITY (RFC 8489 §14.5).
    pub const MESSAGE_INTEGRITY: u16 = 0x0008;
    /// ERROR-CODE (RFC 8489 §14.8).
    pub const ERROR_CODE: u16 = 0x0009;
    /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13).
    pub const UNKNOWN_ATTRIBUTES: u16 = 0x000A;
    /// CHANNEL-NUMBER (RFC 8656 §18.1).
    pub const CHANNEL_NUMBER: u16 = 0x000C;
    /// LIFETIME (RFC 8656 §18.2).
    pub const LIFETIME: u16 = 0x000D;
    /// XOR-PEER-ADDRESS (RFC 8656 §18.3).
    pub const XOR_PEER_ADDRESS: u16 = 0x0012;
    /// DATA (RFC 8656 §18.4).
    pub const DATA: u16 = 0x0013;
    /// REALM (RFC 8489 §14.9).
    pub const REALM: u16 = 0x0014;
    /// NONCE (RFC 8489 §14.10).
    pub const NONCE: u16 = 0x0015;
    /// XOR-RELAYED-ADDRESS (RFC 8656 §18.5).
    pub const XOR_RELAYED_ADDRESS: u16 = 0x0016;
    /// REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.6).
    pub const REQUESTED_ADDRESS_FAMILY: u16 = 0x0017;
    /// EVEN-PORT (RFC 8656 §18.7).
    pub const EVEN_PORT: u16 = 0x0018;
    /// REQUESTED-TRANSPORT (RFC 8656 §18.8).
    pub const REQUESTED_TRANSPORT: u16 = 0x0019;
    /// DONT-FRAGMENT (RFC 8656 §18.9).
    pub const DONT_FRAGMENT: u16 = 0x001A;
    /// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6).
    pub const MESSAGE_INTEGRITY_SHA256: u16 = 0x001C;
    /// PASSWORD-ALGORITHM (RFC 8489 §14.12).
    pub const PASSWORD_ALGORITHM: u16 = 0x001D;
    /// USERHASH (RFC 8489 §14.4).
    pub const USERHASH: u16 = 0x001E;
    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2).
    pub const XOR_MAPPED_ADDRESS: u16 = 0x0020;
    /// RESERVATION-TOKEN (RFC 8656 §18.10).
    pub const RESERVATION_TOKEN: u16 = 0x0022;
    /// PRIORITY (RFC 8445 §16.1).
    pub const PRIORITY: u16 = 0x0024;
    /// USE-CANDIDATE (RFC 8445 §16.1).
    pub const USE_CANDIDATE: u16 = 0x0025;
    /// ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §18.11).
    pub const ADDITIONAL_ADDRESS_FAMILY: u16 = 0x8000;
    /// ADDRESS-ERROR-CODE (RFC 8656 §18.12).
    pub const ADDRESS_ERROR_CODE: u16 = 0x8001;
    /// PASSWORD-ALGORITHMS (RFC 8489 §14.11).
    pub const PASSWORD_ALGORITHMS: u16 = 0x8002;
    /// ICMP (RFC 8656 §18.13).
    pub const ICMP: u16 = 0x8004;
    /// SOFTWARE (RFC 8489 §14.14).
    pub const SOFTWARE: u16 = 0x8022;
    /// ALTERNATE-SERVER (RFC 8489 §14.15).
    pub const ALTERNATE_SERVER: u16 = 0x8023;
    /// FINGERPRINT (RFC 8489 §14.7).
    pub const FINGERPRINT: u16 = 0x8028;
    /// ICE-CONTROLLED (RFC 8445 §16.1).
    pub const ICE_CONTROLLED: u16 = 0x8029;
    /// ICE-CONTROLLING (RFC 8445 §16.1).
    pub const ICE_CONTROLLING: u16 = 0x802A;
}

/// Whether this codec understands attribute type `typ` (so it is not "unknown" for 420).
pub fn is_known(typ: u16) -> bool {
    use types::*;
    matches!(
        typ,
        MAPPED_ADDRESS
            | USERNAME
            | MESSAGE_INTEGRITY
            | ERROR_CODE
            | UNKNOWN_ATTRIBUTES
            | CHANNEL_NUMBER
            | LIFETIME
            | XOR_PEER_ADDRESS
            | DATA
            | REALM
            | NONCE
            | XOR_RELAYED_ADDRESS
            | REQUESTED_ADDRESS_FAMILY
            | EVEN_PORT
            | REQUESTED_TRANSPORT
            | DONT_FRAGMENT
            | MESSAGE_INTEGRITY_SHA256
            | PASSWORD_ALGORITHM
            | USERHASH
            | XOR_MAPPED_ADDRESS
            | RESERVATION_TOKEN
            | PRIORITY
            | USE_CANDIDATE
            | ADDITIONAL_ADDRESS_FAMILY
            | ADDRESS_ERROR_CODE
            | PASSWORD_ALGORITHMS
            | ICMP
            | SOFTWARE
            | ALTERNATE_SERVER
            | FINGERPRINT
            | ICE_CONTROLLED
            | ICE_CONTROLLING
    )
}

/// Whether `typ` is comprehension-required (below `0x8000`, RFC 8489 §14).
pub fn is_comprehension_required(typ: u16) -> bool {
    typ < 0x8000
}

/// An address family, as carried in address attributes and REQUESTED-ADDRESS-FAMILY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressFamily {
    /// IPv4 (`0x01`).
    V4,
    /// IPv6 (`0x02`).
    V6,
}

impl AddressFamily {
    fn from_wire(typ: u16, b: u8) -> Result<Self, Error> {
        match b {
            0x01 => Ok(AddressFamily::V4),
            0x02 => Ok(AddressFamily::V6),
            _ => Err(Error::InvalidAttribute {
                typ,
                reason: "unknown address family",
            }),
        }
    }

    fn to_wire(self) -> u8 {
        match self {
            AddressFamily::V4 => 0x01,
            AddressFamily::V6 => 0x02,
        }
    }
}

/// One entry of PASSWORD-ALGORITHM / PASSWORD-ALGORITHMS (RFC 8489 §14.11, §14.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordAlgorithm<'a> {
    /// Algorithm number: [`PasswordAlgorithm::MD5`] or [`PasswordAlgorithm::SHA256`].
    pub algorithm: u16,
    /// Algorithm parameters (empty for both defined algorithms).
    pub params: &'a [u8],
}

impl PasswordAlgorithm<'_> {
    /// MD5 (RFC 8489 §18.5.1.1).
    pub const MD5: u16 = 0x0001;
    /// SHA-256 (RFC 8489 §18.5.1.2).
    pub const SHA256: u16 = 0x0002;
}

#[derive(Debug, Clone, Copy)]
enum List<'a, T> {
    /// Validated bytes of the attribute value, as received.
    Wire(&'a [u8]),
    /// Entries given by the caller, to encode.
    Slice(&'a [T]),
}

/// The list of UNKNOWN-ATTRIBUTES (RFC 8489 §14.13): borrowed from a datagram or from the caller.
#[derive(Debug, Clone, Copy)]
pub struct UnknownAttributes<'a>(List<'a, u16>);

impl<'a> UnknownAttributes<'a> {
    /// A list to encode.
    pub fn new(types: &'a [u16]) -> Self {
        UnknownAttributes(List::Slice(types))
    }

    /// The attribute types.
    pub fn iter(&self) -> impl Iterator<Item = u16> + 'a {
        let (wire, slice): (&'a [u8], &'a [u16]) = match self.0 {
            List::Wire(w) => (w, &[]),
            List::Slice(s) => (&[], s),
        };
        wire.chunks_exact(2)
            .map(|c| {
                u16::from_be_bytes([
                    c.first().copied().unwrap_or(0),
                    c.get(1).copied().unwrap_or(0),
                ])
            })
            .chain(slice.iter().copied())
    }
}

impl PartialEq for UnknownAttributes<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}
impl Eq for UnknownAttributes<'_> {}

/// The list of PASSWORD-ALGORITHMS (RFC 8489 §14.11): borrowed from a datagram or the caller.
#[derive(Debug, Clone, Copy)]
pub struct PasswordAlgorithms<'a>(List<'a, PasswordAlgorithm<'a>>);

impl<'a> PasswordAlgorithms<'a> {
    /// A list to encode.
    pub fn new(algorithms: &'a [PasswordAlgorithm<'a>]) -> Self {
        PasswordAlgorithms(List::Slice(algorithms))
    }

    /// The algorithms, in order of preference.
    pub fn iter(&self) -> impl Iterator<Item = PasswordAlgorithm<'a>> + 'a {
        let (wire, slice): (&'a [u8], &'a [PasswordAlgorithm<'a>]) = match self.0 {
            List::Wire(w) => (w, &[]),
            List::Slice(s) => (&[], s),
        };
        let mut r = Reader::new(wire);
        std::iter::from_fn(move || {
            if r.is_empty() {
                return None;
            }
            read_algorithm(&mut r, types::PASSWORD_ALGORITHMS).ok()
        })
        .chain(slice.iter().copied())
    }
}

impl PartialEq for PasswordAlgorithms<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}
impl Eq for PasswordAlgorithms<'_> {}

fn read_algorithm<'a>(r: &mut Reader<'a>, typ: u16) -> Result<PasswordAlgorithm<'a>, Error> {
    let bad = Error::InvalidAttribute {
        typ,
        reason: "truncated password algorithm",
    };
    let algorithm = r.u16().map_err(|_| bad)?;
    let len = usize::from(r.u16().map_err(|_| bad)?);
    let params = r.take(len).map_err(|_| bad)?;
    r.skip(pad4(len) - len).map_err(|_| bad)?;
    Ok(PasswordAlgorithm { algorithm, params })
}

/// A typed attribute, borrowing its variable-length parts from the datagram (or, when encoding,
/// from the caller).
///
/// Address attributes hold plain [`SocketAddr`]s: the XOR with the magic cookie and transaction
/// id happens inside the codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attribute<'a> {
    /// MAPPED-ADDRESS (RFC 8489 §14.1).
    MappedAddress(SocketAddr),
    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2): the reflexive address a server saw.
    XorMappedAddress(SocketAddr),
    /// USERNAME (RFC 8489 §14.3).
    Username(&'a str),
    /// USERHASH (RFC 8489 §14.4): SHA-256 of `username ":" realm`, 32 bytes.
    UserHash(&'a [u8; 32]),
    /// MESSAGE-INTEGRITY (RFC 8489 §14.5): HMAC-SHA1, 20 bytes. Add it with
    /// [`Encoder::add_integrity`](crate::Encoder::add_integrity), check it with
    /// [`Message::verify`](crate::Message::verify).
    MessageIntegrity(&'a [u8; 20]),
    /// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6): HMAC-SHA256, truncated to 16..=32 bytes.
    MessageIntegritySha256(&'a [u8]),
    /// FINGERPRINT (RFC 8489 §14.7): CRC-32 of the message XOR `0x5354554e`.
    Fingerprint(u32),
    /// ERROR-CODE (RFC 8489 §14.8): a code in 300..=699 and a reason phrase.
    ErrorCode {
        /// The code, such as 400 or 420.
        code: u16,
        /// The reason phrase.
        reason: &'a str,
    },
    /// REALM (RFC 8489 §14.9).
    Realm(&'a str),
    /// NONCE (RFC 8489 §14.10).
    Nonce(&'a str),
    /// PASSWORD-ALGORITHMS (RFC 8489 §14.11).
    PasswordAlgorithms(PasswordAlgorithms<'a>),
    /// PASSWORD-ALGORITHM (RFC 8489 §14.12).
    PasswordAlgorithm(PasswordAlgorithm<'a>),
    /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13).
    UnknownAttributes(UnknownAttributes<'a>),
    /// SOFTWARE (RFC 8489 §14.14).
    Software(&'a str),
    /// ALTERNATE-SERVER (RFC 8489 §14.15).
    AlternateServer(SocketAddr),
    /// PRIORITY (RFC 8445 §7.1.1).
    Priority(u32),
    /// USE-CANDIDATE (RFC 8445 §7.1.2).
    UseCandidate,
    /// ICE-CONTROLLED with its tie-breaker (RFC 8445 §7.1.3).
    IceControlled(u64),
    /// ICE-CONTROLLING with its tie-breaker (RFC 8445 §7.1.3).
    IceControlling(u64),
    /// CHANNEL-NUMBER (RFC 8656 §18.1).
    ChannelNumber(u16),
    /// LIFETIME in seconds (RFC 8656 §18.2).
    Lifetime(u32),
    /// XOR-PEER-ADDRESS (RFC 8656 §18.3).
    XorPeerAddress(SocketAddr),
    /// DATA (RFC 8656 §18.4).
    Data(&'a [u8]),
    /// XOR-RELAYED-ADDRESS (RFC 8656 §18.5).
    XorRelayedAddress(SocketAddr),
    /// REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.6).
    RequestedAddressFamily(AddressFamily),
    /// EVEN-PORT, with its R bit: reserve the next port too (RFC 8656 §18.7).
    EvenPort(bool),
    /// REQUESTED-TRANSPORT: an IP protocol number, 17 for UDP (RFC 8656 §18.8).
    RequestedTransport(u8),
    /// DONT-FRAGMENT (RFC 8656 §18.9).
    DontFragment,
    /// RESERVATION-TOKEN (RFC 8656 §18.10).
    ReservationToken(u64),
    /// ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §18.11).
    AdditionalAddressFamily(AddressFamily),
    /// ADDRESS-ERROR-CODE (RFC 8656 §18.12).
    AddressErrorCode {
        /// The family the error is about.
        family: AddressFamily,
        /// The code, such as 440.
        code: u16,
        /// The reason phrase.
        reason: &'a str,
    },
    /// ICMP (RFC 8656 §18.13).
    Icmp {
        /// ICMP type.
        icmp_type: u8,
        /// ICMP code.
        icmp_code: u8,
        /// Error data (such as the MTU for "fragmentation needed").
        error_data: u32,
    },
    /// An attribute this codec does not interpret.
    Other {
        /// Its type.
        typ: u16,
        /// Its value, without padding.
        value: &'a [u8],
    },
}

/// Length rounded up to a multiple of four.
pub(crate) fn pad4(len: usize) -> usize {
    (len + 3) & !3
}

fn invalid(typ: u16, reason: &'static str) -> Error {
    Error::InvalidAttribute { typ, reason }
}

fn exact<const N: usize>(typ: u16, value: &[u8]) -> Result<[u8; N], Error> {
    <[u8; N]>::try_from(value).map_err(|_| invalid(typ, "wrong length"))
}

#[inline]
fn utf8(typ: u16, value: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(value).map_err(|_| invalid(typ, "not UTF-8"))
}

fn code_from(typ: u16, class_number: [u8; 2]) -> Result<u16, Error> {
    let [class, number] = class_number;
    let class = u16::from(class & 0x07);
    let number = u16::from(number);
    if !(3..=6).contains(&class) || number > 99 {
        return Err(invalid(typ, "error code out of range"));
    }
    Ok(class * 100 + number)
}

fn code_to(typ: u16, code: u16) -> Result<[u8; 2], Error> {
    if !(300..=699).contains(&code) {
        return Err(invalid(typ, "error code out of range"));
    }
    // In range by the check above, so both fit a byte.
    Ok([(code / 100) as u8, (code % 100) as u8])
}

fn family_of(addr: &SocketAddr) -> u8 {
    match addr {
        SocketAddr::V4(_) => 0x01,
        SocketAddr::V6(_) => 0x02,
    }
}

fn decode_address(
    typ: u16,
    value: &[u8],
    xor: Option<&TransactionId>,
) -> Result<SocketAddr, Error> {
    let mut r = Reader::new(value);
    let bad = || invalid(typ, "truncated address");
    let _reserved = r.u8().map_err(|_| bad())?;
    let family = AddressFamily::from_wire(typ, r.u8().map_err(|_| bad())?)?;
    let mut port = r.u16().map_err(|_| bad())?;
    let cookie = MAGIC_COOKIE.to_be_bytes();
    if xor.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    let ip = match family {
        AddressFamily::V4 => {
            let mut b: [u8; 4] = exact(typ, r.rest())?;
            if xor.is_some() {
                for (x, k) in b.iter_mut().zip(cookie) {
                    *x ^= k;
                }
            }
            IpAddr::V4(Ipv4Addr::from(b))
        }
        AddressFamily::V6 => {
            let mut b: [u8; 16] = exact(typ, r.rest())?;
            if let Some(tid) = xor {
                for (x, k) in b.iter_mut().zip(cookie.iter().chain(tid.0.iter())) {
                    *x ^= k;
                }
            }
            IpAddr::V6(Ipv6Addr::from(b))
        }
    };
    Ok(SocketAddr::new(ip, port))
}

fn encode_address(out: &mut Vec<u8>, addr: &SocketAddr, xor: Option<&TransactionId>) {
    let cookie = MAGIC_COOKIE.to_be_bytes();
    let mut port = addr.port();
    if xor.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    out.push(0);
    out.push(family_of(addr));
    out.extend_from_slice(&port.to_be_bytes());
    match addr.ip() {
        IpAddr::V4(ip) => {
            let mut b = ip.octets();
            if xor.is_some() {
                for (x, k) in b.iter_mut().zip(cookie) {
                    *x ^= k;
                }
            }
            out.extend_from_slice(&b);
        }
        IpAddr::V6(ip) => {
            let mut b = ip.octets();
            if let Some(tid) = xor {
                for (x, k) in b.iter_mut().zip(cookie.iter().chain(tid.0.iter())) {
                    *x ^= k;
                }
            }
            out.extend_from_slice(&b);
        }
    }
}

impl<'a> Attribute<'a> {
    /// Interprets the value of an attribute of type `typ` found in a message with transaction id
    /// `tid` (needed to undo the XOR of XOR-*-ADDRESS).
    #[inline]
    pub fn decode(typ: u16, value: &'a [u8], tid: &TransactionId) -> Result<Self, Error> {
        // The attributes of every ICE connectivity check are decoded inline; the rest in a
        // separate function, whose large frame they then do not pay for.
        match typ {
            types::USERNAME => utf8(typ, value).map(Attribute::Username),
            types::PRIORITY => {
                exact(typ, value).map(|b| Attribute::Priority(u32::from_be_bytes(b)))
            }
            types::ICE_CONTROLLING => {
                exact(typ, value).map(|b| Attribute::IceControlling(u64::from_be_bytes(b)))
            }
            types::ICE_CONTROLLED => {
                exact(typ, value).map(|b| Attribute::IceControlled(u64::from_be_bytes(b)))
            }
            types::USE_CANDIDATE if value.is_empty() => Ok(Attribute::UseCandidate),
            types::MESSAGE_INTEGRITY => <&[u8; 20]>::try_from(value)
                .map(Attribute::MessageIntegrity)
                .map_err(|_| invalid(typ, "wrong length")),
            types::FINGERPRINT => {
                exact(typ, value).map(|b| Attribute::Fingerprint(u32::from_be_bytes(b)))
            }
            _ => Self::decode_other(typ, value, tid),
        }
    }

    #[inline(never)]
    fn decode_other(typ: u16, value: &'a [u8], tid: &TransactionId) -> Result<Self, Error> {
        use types::*;
        Ok(match typ {
            MAPPED_ADDRESS => Attribute::MappedAddress(decode_address(typ, value, None)?),
            XOR_MAPPED_ADDRESS => {
                Attribute::XorMappedAddress(decode_address(typ, value, Some(tid))?)
            }
            USERNAME => Attribute::Username(utf8(typ, value)?),
            USERHASH => Attribute::UserHash(
                <&[u8; 32]>::try_from(value).map_err(|_| invalid(typ, "wrong length"))?,
            ),
            MESSAGE_INTEGRITY => Attribute::MessageIntegrity(
                <&[u8; 20]>::try_from(value).map_err(|_| invalid(typ, "wrong length"))?,
            ),
            MESSAGE_INTEGRITY_SHA256 => {
                if !(16..=32).contains(&value.len()) || !value.len().is_multiple_of(4) {
                    return Err(invalid(typ, "wrong length"));
                }
                Attribute::MessageIntegritySha256(value)
            }
            FINGERPRINT => Attribute::Fingerprint(u32::from_be_bytes(exact(typ, value)?)),
            ERROR_CODE => {
                let mut r = Reader::new(value);
                let head: [u8; 4] = r.array().map_err(|_| invalid(typ, "truncated"))?;
                let [_, _, class, number] = head;
                Attribute::ErrorCode {
                    code: code_from(typ, [class, number])?,
                    reason: utf8(typ, r.rest())?,
                }
            }
            REALM => Attribute::Realm(utf8(typ, value)?),
            NONCE => Attribute::Nonce(utf8(typ, value)?),
            PASSWORD_ALGORITHMS => {
                let mut r = Reader::new(value);
                while !r.is_empty() {
                    read_algorithm(&mut r, typ)?;
                }
                Attribute::PasswordAlgorithms(PasswordAlgorithms(List::Wire(value)))
            }
            PASSWORD_ALGORITHM => {
                let mut r = Reader::new(value);
                let alg = read_algorithm(&mut r, typ)?;
                if !r.is_empty() {
                    return Err(invalid(typ, "trailing bytes"));
                }
                Attribute::PasswordAlgorithm(alg)
            }
            UNKNOWN_ATTRIBUTES => {
                if !value.len().is_multiple_of(2) {
                    return Err(invalid(typ, "odd length"));
                }
                Attribute::UnknownAttributes(UnknownAttributes(List::Wire(value)))
            }
            SOFTWARE => Attribute::Software(utf8(typ, value)?),
            ALTERNATE_SERVER => Attribute::AlternateServer(decode_address(typ, value, None)?),
            PRIORITY => Attribute::Priority(u32::from_be_bytes(exact(typ, value)?)),
            USE_CANDIDATE => {
                exact::<0>(typ, value)?;
                Attribute::UseCandidate
            }
            ICE_CONTROLLED => Attribute::IceControlled(u64::from_be_bytes(exact(typ, value)?)),
            ICE_CONTROLLING => Attribute::IceControlling(u64::from_be_bytes(exact(typ, value)?)),
            CHANNEL_NUMBER => {
                let [a, b, _, _] = exact(typ, value)?;
                Attribute::ChannelNumber(u16::from_be_bytes([a, b]))
            }
            LIFETIME => Attribute::Lifetime(u32::from_be_bytes(exact(typ, value)?)),
            XOR_PEER_ADDRESS => Attribute::XorPeerAddress(decode_address(typ, value, Some(tid))?),
            DATA => Attribute::Data(value),
            XOR_RELAYED_ADDRESS => {
                Attribute::XorRelayedAddress(decode_address(typ, value, Some(tid))?)
            }
            REQUESTED_ADDRESS_FAMILY => {
                let [f, _, _, _] = exact(typ, value)?;
                Attribute::RequestedAddressFamily(AddressFamily::from_wire(typ, f)?)
            }
            EVEN_PORT => {
                let [b] = exact(typ, value)?;
                Attribute::EvenPort(b & 0x80 != 0)
            }
            REQUESTED_TRANSPORT => {
                let [p, _, _, _] = exact(typ, value)?;
                Attribute::RequestedTransport(p)
            }
            DONT_FRAGMENT => {
                exact::<0>(typ, value)?;
                Attribute::DontFragment
            }
            RESERVATION_TOKEN => {
                Attribute::ReservationToken(u64::from_be_bytes(exact(typ, value)?))
            }
            ADDITIONAL_ADDRESS_FAMILY => {
                let [f, _, _, _] = exact(typ, value)?;
                Attribute::AdditionalAddressFamily(AddressFamily::from_wire(typ, f)?)
            }
            ADDRESS_ERROR_CODE => {
                let mut r = Reader::new(value);
                let head: [u8; 4] = r.array().map_err(|_| invalid(typ, "truncated"))?;
                let [family, _, class, number] = head;
                Attribute::AddressErrorCode {
                    family: AddressFamily::from_wire(typ, family)?,
                    code: code_from(typ, [class, number])?,
                    reason: utf8(typ, r.rest())?,
                }
            }
            ICMP => {
                let [_, _, icmp_type, icmp_code, d0, d1, d2, d3] = exact(typ, value)?;
                Attribute::Icmp {
                    icmp_type,
                    icmp_code,
                    error_data: u32::from_be_bytes([d0, d1, d2, d3]),
                }
            }
            _ => Attribute::Other { typ, value },
        })
    }

    /// The attribute's type number.
    pub fn typ(&self) -> u16 {
        use types::*;
        match self {
            Attribute::MappedAddress(_) => MAPPED_ADDRESS,
            Attribute::XorMappedAddress(_) => XOR_MAPPED_ADDRESS,
            Attribute::Username(_) => USERNAME,
            Attribute::UserHash(_) => USERHASH,
            Attribute::MessageIntegrity(_) => MESSAGE_INTEGRITY,
            Attribute::MessageIntegritySha256(_) => MESSAGE_INTEGRITY_SHA256,
            Attribute::Fingerprint(_) => FINGERPRINT,
            Attribute::ErrorCode { .. } => ERROR_CODE,
            Attribute::Realm(_) => REALM,
            Attribute::Nonce(_) => NONCE,
            Attribute::PasswordAlgorithms(_) => PASSWORD_ALGORITHMS,
            Attribute::PasswordAlgorithm(_) => PASSWORD_ALGORITHM,
            Attribute::UnknownAttributes(_) => UNKNOWN_ATTRIBUTES,
            Attribute::Software(_) => SOFTWARE,
            Attribute::AlternateServer(_) => ALTERNATE_SERVER,
            Attribute::Priority(_) => PRIORITY,
            Attribute::UseCandidate => USE_CANDIDATE,
            Attribute::IceControlled(_) => ICE_CONTROLLED,
            Attribute::IceControlling(_) => ICE_CONTROLLING,
            Attribute::ChannelNumber(_) => CHANNEL_NUMBER,
            Attribute::Lifetime(_) => LIFETIME,
            Attribute::XorPeerAddress(_) => XOR_PEER_ADDRESS,
            Attribute::Data(_) => DATA,
            Attribute::XorRelayedAddress(_) => XOR_RELAYED_ADDRESS,
            Attribute::RequestedAddressFamily(_) => REQUESTED_ADDRESS_FAMILY,
            Attribute::EvenPort(_) => EVEN_PORT,
            Attribute::RequestedTransport(_) => REQUESTED_TRANSPORT,
            Attribute::DontFragment => DONT_FRAGMENT,
            Attribute::ReservationToken(_) => RESERVATION_TOKEN,
            Attribute::AdditionalAddressFamily(_) => ADDITIONAL_ADDRESS_FAMILY,
            Attribute::AddressErrorCode { .. } => ADDRESS_ERROR_CODE,
            Attribute::Icmp { .. } => ICMP,
            Attribute::Other { typ, .. } => *typ,
        }
    }

    /// Appends the value (without the TLV header and padding) to `out`.
    pub(crate) fn encode_value(&self, out: &mut Vec<u8>, tid: &TransactionId) -> Result<(), Error> {
        let typ = self.typ();
        match self {
            Attribute::MappedAddress(a) | Attribute::AlternateServer(a) => {
                encode_address(out, a, None)
            }
            Attribute::XorMappedAddress(a)
            | Attribute::XorPeerAddress(a)
            | Attribute::XorRelayedAddress(a) => encode_address(out, a, Some(tid)),
            Attribute::Username(s)
            | Attribute::Realm(s)
            | Attribute::Nonce(s)
            | Attribute::Software(s) => out.extend_from_slice(s.as_bytes()),
            Attribute::UserHash(h) => out.extend_from_slice(&h[..]),
            Attribute::MessageIntegrity(m) => out.extend_from_slice(&m[..]),
            Attribute::MessageIntegritySha256(m) => {
                if !(16..=32).contains(&m.len()) || !m.len().is_multiple_of(4) {
                    return Err(invalid(typ, "wrong length"));
                }
                out.extend_from_slice(m)
            }
            Attribute::Fingerprint(v) | Attribute::Priority(v) | Attribute::Lifetime(v) => {
                out.extend_from_slice(&v.to_be_bytes())
            }
            Attribute::ErrorCode { code, reason } => {
                let [c, n] = code_to(typ, *code)?;
                out.extend_from_slice(&[0, 0, c, n]);
                out.extend_from_slice(reason.as_bytes());
            }
            Attribute::PasswordAlgorithms(list) => {
                for alg in list.iter() {
                    encode_algorithm(out, &alg)?;
                }
            }
            Attribute::PasswordAlgorithm(alg) => encode_algorithm(out, alg)?,
            Attribute::UnknownAttributes(list) => {
                for t in list.iter() {
                    out.extend_from_slice(&t.to_be_bytes());
                }
            }
            Attribute::UseCandidate | Attribute::DontFragment => {}
            Attribute::IceControlled(v)
            | Attribute::IceControlling(v)
            | Attribute::ReservationToken(v) => out.extend_from_slice(&v.to_be_bytes()),
            Attribute::ChannelNumber(n) => {
                out.extend_from_slice(&n.to_be_bytes());
                out.extend_from_slice(&[0, 0]);
            }
            Attribute::Data(d) => out.extend_from_slice(d),
            Attribute::RequestedAddressFamily(f) | Attribute::AdditionalAddressFamily(f) => {
                out.extend_from_slice(&[f.to_wire(), 0, 0, 0])
            }
            Attribute::EvenPort(r) => out.push(if *r { 0x80 } else { 0 }),
            Attribute::RequestedTransport(p) => out.extend_from_slice(&[*p, 0, 0, 0]),
            Attribute::AddressErrorCode {
                family,
                code,
                reason,
            } => {
                let [c, n] = code_to(typ, *code)?;
                out.extend_from_slice(&[family.to_wire(), 0, c, n]);
                out.extend_from_slice(reason.as_bytes());
            }
            Attribute::Icmp {
                icmp_type,
                icmp_code,
                error_data,
            } => {
                out.extend_from_slice(&[0, 0, *icmp_type, *icmp_code]);
                out.extend_from_slice(&error_data.to_be_bytes());
            }
            Attribute::Other { value, .. } => out.extend_from_slice(value),
        }
        Ok(())
    }
}

fn encode_algorithm(out: &mut Vec<u8>, alg: &PasswordAlgorithm<'_>) -> Result<(), Error> {
    let len = u16::try_from(alg.params.len()).map_err(|_| Error::ValueTooLong {
        length: alg.params.len(),
    })?;
    out.extend_from_slice(&alg.algorithm.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(alg.params);
    out.resize(out.len() + pad4(alg.params.len()) - alg.params.len(), 0);
    Ok(())
}
