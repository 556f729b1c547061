//! Handshake messages and hello extensions: borrowed views and writers (RFC 5246 §7.4,
//! RFC 6347 §4.2–§4.3, RFC 8422 §5, RFC 5764 §4.1, RFC 7627 §5.1, RFC 5746 §3.2).
//!
//! Parsers take the message *body* (after the 12-byte DTLS handshake header, reassembled),
//! borrow from it, reject trailing bytes and never panic. Writers append to a `Vec<u8>`.

use proto::Reader;

use crate::Error;

/// Length of the DTLS handshake header (RFC 6347 §4.2.2).
pub const HANDSHAKE_HEADER_LEN: usize = 12;

/// Handshake message types (RFC 5246 §7.4, RFC 6347 §4.3.2).
pub mod msg_type {
    /// hello_request(0).
    pub const HELLO_REQUEST: u8 = 0;
    /// client_hello(1).
    pub const CLIENT_HELLO: u8 = 1;
    /// server_hello(2).
    pub const SERVER_HELLO: u8 = 2;
    /// hello_verify_request(3) (RFC 6347 §4.2.1).
    pub const HELLO_VERIFY_REQUEST: u8 = 3;
    /// certificate(11).
    pub const CERTIFICATE: u8 = 11;
    /// server_key_exchange(12).
    pub const SERVER_KEY_EXCHANGE: u8 = 12;
    /// certificate_request(13).
    pub const CERTIFICATE_REQUEST: u8 = 13;
    /// server_hello_done(14).
    pub const SERVER_HELLO_DONE: u8 = 14;
    /// certificate_verify(15).
    pub const CERTIFICATE_VERIFY: u8 = 15;
    /// client_key_exchange(16).
    pub const CLIENT_KEY_EXCHANGE: u8 = 16;
    /// finished(20).
    pub const FINISHED: u8 = 20;
}

/// Extension types used here (IANA TLS ExtensionType registry).
pub mod ext_type {
    /// supported_groups(10) (RFC 8422 §5.1.1).
    pub const SUPPORTED_GROUPS: u16 = 10;
    /// ec_point_formats(11) (RFC 8422 §5.1.2).
    pub const EC_POINT_FORMATS: u16 = 11;
    /// signature_algorithms(13) (RFC 5246 §7.4.1.4.1).
    pub const SIGNATURE_ALGORITHMS: u16 = 13;
    /// use_srtp(14) (RFC 5764 §4.1.1).
    pub const USE_SRTP: u16 = 14;
    /// extended_master_secret(23) (RFC 7627 §5.1).
    pub const EXTENDED_MASTER_SECRET: u16 = 23;
    /// renegotiation_info(0xFF01) (RFC 5746 §3.2).
    pub const RENEGOTIATION_INFO: u16 = 0xFF01;
}

/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3), a cipher suite value that stands for an
/// empty renegotiation_info.
pub const EMPTY_RENEGOTIATION_INFO_SCSV: u16 = 0x00FF;

/// ECCurveType named_curve(3) (RFC 8422 §5.4).
pub const CURVE_TYPE_NAMED: u8 = 3;

/// ClientCertificateType ecdsa_sign(64) (RFC 8422 §5.5).
pub const CERT_TYPE_ECDSA_SIGN: u8 = 64;
/// ClientCertificateType rsa_sign(1) (RFC 5246 §7.4.4).
pub const CERT_TYPE_RSA_SIGN: u8 = 1;

/// The DTLS handshake header (RFC 6347 §4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeHeader {
    /// Message type, see [`msg_type`].
    pub msg_type: u8,
    /// Length of the whole message body.
    pub length: u32,
    /// Message sequence number (RFC 6347 §4.2.2).
    pub message_seq: u16,
    /// Offset of this fragment in the body.
    pub fragment_offset: u32,
    /// Length of this fragment.
    pub fragment_length: u32,
}

impl HandshakeHeader {
    /// Appends the 12-byte header.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(self.msg_type);
        out.extend_from_slice(&self.length.to_be_bytes()[1..]);
        out.extend_from_slice(&self.message_seq.to_be_bytes());
        out.extend_from_slice(&self.fragment_offset.to_be_bytes()[1..]);
        out.extend_from_slice(&self.fragment_length.to_be_bytes()[1..]);
    }
}

/// One handshake fragment borrowed from a record (RFC 6347 §4.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment<'a> {
    /// Its header.
    pub header: HandshakeHeader,
    /// `fragment_length` bytes of the body, starting at `fragment_offset`.
    pub body: &'a [u8],
}

impl<'a> Fragment<'a> {
    /// Parses one fragment from the head of `buf`, returning it and the rest.
    ///
    /// Errors: [`Error::Truncated`] if the header or the fragment bytes are cut short,
    /// [`Error::BadFragment`] if the fragment reaches past the message length.
    pub fn parse(buf: &'a [u8]) -> Result<(Fragment<'a>, &'a [u8]), Error> {
        let mut r = Reader::new(buf);
        let msg_type = r.u8()?;
        let length = r.u24()?;
        let message_seq = r.u16()?;
        let fragment_offset = r.u24()?;
        let fragment_length = r.u24()?;
        if u64::from(fragment_offset) + u64::from(fragment_length) > u64::from(length) {
            return Err(Error::BadFragment);
        }
        let body = r.take(fragment_length as usize)?;
        Ok((
            Fragment {
                header: HandshakeHeader {
                    msg_type,
                    length,
                    message_seq,
                    fragment_offset,
                    fragment_length,
                },
                body,
            },
            r.rest(),
        ))
    }

    /// All fragments in a handshake record's plaintext; fails on the first bad one.
    pub fn parse_all(mut buf: &'a [u8]) -> Result<Vec<Fragment<'a>>, Error> {
        let mut out = Vec::new();
        while !buf.is_empty() {
            let (f, rest) = Fragment::parse(buf)?;
            out.push(f);
            buf = rest;
        }
        Ok(out)
    }
}

/// Appends a whole (unfragmented) handshake message: header with offset 0 and
/// fragment_length = length, then the body. This is also the form hashed into the transcript
/// (RFC 6347 §4.2.6).
pub fn write_handshake(out: &mut Vec<u8>, msg_type: u8, message_seq: u16, body: &[u8]) {
    let len = body.len() as u32;
    HandshakeHeader {
        msg_type,
        length: len,
        message_seq,
        fragment_offset: 0,
        fragment_length: len,
    }
    .write(out);
    out.extend_from_slice(body);
}

/// A list of 16-bit values borrowed from a message (cipher suites, groups, signature schemes,
/// SRTP profiles). Its length is checked to be even.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct U16List<'a>(&'a [u8]);

impl<'a> U16List<'a> {
    fn parse(raw: &'a [u8], field: &'static str) -> Result<Self, Error> {
        if !raw.len().is_multiple_of(2) {
            return Err(Error::Invalid { field });
        }
        Ok(U16List(raw))
    }

    /// The values, in order.
    pub fn iter(&self) -> impl Iterator<Item = u16> + 'a {
        self.0.chunks_exact(2).map(|c| {
            u16::from_be_bytes([
                c.first().copied().unwrap_or(0),
                c.get(1).copied().unwrap_or(0),
            ])
        })
    }

    /// Whether `v` is in the list.
    pub fn contains(&self, v: u16) -> bool {
        self.iter().any(|x| x == v)
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.0.len() / 2
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn vec8<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], Error> {
    let n = usize::from(r.u8()?);
    Ok(r.take(n)?)
}

fn vec16<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], Error> {
    let n = usize::from(r.u16()?);
    Ok(r.take(n)?)
}

fn vec24<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], Error> {
    let n = r.u24()? as usize;
    Ok(r.take(n)?)
}

fn end(r: &Reader<'_>, field: &'static str) -> Result<(), Error> {
    if r.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid { field })
    }
}

/// Appends `data` with a length prefix of `width` bytes (1, 2 or 3).
pub fn put_vec(out: &mut Vec<u8>, width: usize, data: &[u8]) {
    let len = data.len() as u32;
    match width {
        1 => out.push(len as u8),
        2 => out.extend_from_slice(&(len as u16).to_be_bytes()),
        _ => out.extend_from_slice(&len.to_be_bytes()[1..]),
    }
    out.extend_from_slice(data);
}

fn put_u16s(out: &mut Vec<u8>, width: usize, vals: &[u16]) {
    let bytes: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
    put_vec(out, width, &bytes);
}

/// The hello extensions this crate understands, parsed from a ClientHello or ServerHello
/// (RFC 5246 §7.4.1.4). Unknown extensions (supported_versions, key_share, ALPN, … from
/// DTLS 1.3-capable browsers) are skipped. A known extension appearing twice is
/// [`Error::Invalid`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HelloExtensions<'a> {
    /// use_srtp protection profiles and MKI (RFC 5764 §4.1.1).
    pub use_srtp: Option<(U16List<'a>, &'a [u8])>,
    /// extended_master_secret present (RFC 7627 §5.1).
    pub extended_master_secret: bool,
    /// renegotiation_info's renegotiated_connection (RFC 5746 §3.2).
    pub renegotiation_info: Option<&'a [u8]>,
    /// supported_groups (RFC 8422 §5.1.1).
    pub supported_groups: Option<U16List<'a>>,
    /// ec_point_formats (RFC 8422 §5.1.2).
    pub ec_point_formats: Option<&'a [u8]>,
    /// signature_algorithms (RFC 5246 §7.4.1.4.1).
    pub signature_algorithms: Option<U16List<'a>>,
    /// How many extensions were skipped as unknown.
    pub unknown: usize,
}

impl<'a> HelloExtensions<'a> {
    /// Parses an extensions block (without its outer 2-byte length).
    pub fn parse(buf: &'a [u8]) -> Result<Self, Error> {
        let mut out = HelloExtensions::default();
        let mut seen_ems = false;
        let mut r = Reader::new(buf);
        while !r.is_empty() {
            let typ = r.u16()?;
            let data = vec16(&mut r)?;
            let mut d = Reader::new(data);
            let dup = match typ {
                ext_type::USE_SRTP => {
                    let profiles = U16List::parse(vec16(&mut d)?, "use_srtp profiles")?;
                    if profiles.is_empty() {
                        return Err(Error::Invalid {
                            field: "use_srtp profiles",
                        });
                    }
                    let mki = vec8(&mut d)?;
                    out.use_srtp.replace((profiles, mki)).is_some()
                }
                ext_type::EXTENDED_MASTER_SECRET => std::mem::replace(&mut seen_ems, true),
                ext_type::RENEGOTIATION_INFO => {
                    out.renegotiation_info.replace(vec8(&mut d)?).is_some()
                }
                ext_type::SUPPORTED_GROUPS => {
                    let l = U16List::parse(vec16(&mut d)?, "supported_groups")?;
                    out.supported_groups.replace(l).is_some()
                }
                ext_type::EC_POINT_FORMATS => out.ec_point_formats.replace(vec8(&mut d)?).is_some(),
                ext_type::SIGNATURE_ALGORITHMS => {
                    let l = U16List::parse(vec16(&mut d)?, "signature_algorithms")?;
                    out.signature_algorithms.replace(l).is_some()
                }
                _ => {
                    out.unknown += 1;
                    d.rest();
                    false
                }
            };
            if dup {
                return Err(Error::Invalid {
                    field: "duplicate extension",
                });
            }
            end(&d, "extension data")?;
        }
        out.extended_master_secret = seen_ems;
        Ok(out)
    }
}

/// Extension writers: each appends type, length and data (RFC 5246 §7.4.1.4).
pub mod ext {
    use super::{ext_type, put_u16s, put_vec};

    fn with(out: &mut Vec<u8>, typ: u16, f: impl FnOnce(&mut Vec<u8>)) {
        out.extend_from_slice(&typ.to_be_bytes());
        let at = out.len();
        out.extend_from_slice(&[0, 0]);
        f(out);
        let len = (out.len() - at - 2) as u16;
        if let Some(slot) = out.get_mut(at..at + 2) {
            slot.copy_from_slice(&len.to_be_bytes());
        }
    }

    /// use_srtp with these profiles and an empty MKI (RFC 5764 §4.1.1).
    pub fn use_srtp(out: &mut Vec<u8>, profiles: &[u16]) {
        with(out, ext_type::USE_SRTP, |o| {
            put_u16s(o, 2, profiles);
            o.push(0);
        });
    }
    /// extended_master_secret, empty (RFC 7627 §5.1).
    pub fn extended_master_secret(out: &mut Vec<u8>) {
        with(out, ext_type::EXTENDED_MASTER_SECRET, |_| {});
    }
    /// renegotiation_info with an empty renegotiated_connection (RFC 5746 §3.2).
    pub fn renegotiation_info(out: &mut Vec<u8>) {
        with(out, ext_type::RENEGOTIATION_INFO, |o| o.push(0));
    }
    /// supported_groups (RFC 8422 §5.1.1).
    pub fn supported_groups(out: &mut Vec<u8>, groups: &[u16]) {
        with(out, ext_type::SUPPORTED_GROUPS, |o| put_u16s(o, 2, groups));
    }
    /// ec_point_formats: uncompressed only (RFC 8422 §5.1.2).
    pub fn ec_point_formats(out: &mut Vec<u8>) {
        with(out, ext_type::EC_POINT_FORMATS, |o| put_vec(o, 1, &[0]));
    }
    /// signature_algorithms (RFC 5246 §7.4.1.4.1).
    pub fn signature_algorithms(out: &mut Vec<u8>, schemes: &[u16]) {
        with(out, ext_type::SIGNATURE_ALGORITHMS, |o| {
            put_u16s(o, 2, schemes)
        });
    }
    /// Any extension, raw.
    pub fn raw(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
        with(out, typ, |o| o.extend_from_slice(data));
    }
}

/// ClientHello (RFC 5246 §7.4.1.2, with the DTLS cookie of RFC 6347 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientHello<'a> {
    /// client_version: the highest version offered (0xFEFD for DTLS 1.2; DTLS 1.3 clients
    /// also send 0xFEFD here and list 1.3 in supported_versions).
    pub client_version: u16,
    /// 32-byte random.
    pub random: [u8; 32],
    /// Session id (0..=32 bytes).
    pub session_id: &'a [u8],
    /// Cookie (0..=255 bytes).
    pub cookie: &'a [u8],
    /// Offered cipher suites.
    pub cipher_suites: U16List<'a>,
    /// Offered compression methods (must include null(0)).
    pub compression_methods: &'a [u8],
    /// The extensions block as sent (empty if absent).
    pub raw_extensions: &'a [u8],
    /// The extensions understood here.
    pub extensions: HelloExtensions<'a>,
}

impl<'a> ClientHello<'a> {
    /// Parses a ClientHello body.
    pub fn parse(body: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let client_version = r.u16()?;
        let random = r.array()?;
        let session_id = vec8(&mut r)?;
        if session_id.len() > 32 {
            return Err(Error::Invalid {
                field: "session_id",
            });
        }
        let cookie = vec8(&mut r)?;
        let suites = vec16(&mut r)?;
        if suites.is_empty() {
            return Err(Error::Invalid {
                field: "cipher_suites",
            });
        }
        let cipher_suites = U16List::parse(suites, "cipher_suites")?;
        let compression_methods = vec8(&mut r)?;
        if compression_methods.is_empty() {
            return Err(Error::Invalid {
                field: "compression_methods",
            });
        }
        let raw_extensions = if r.is_empty() {
            &[][..]
        } else {
            vec16(&mut r)?
        };
        end(&r, "ClientHello")?;
        Ok(ClientHello {
            client_version,
            random,
            session_id,
            cookie,
            cipher_suites,
            compression_methods,
            raw_extensions,
            extensions: HelloExtensions::parse(raw_extensions)?,
        })
    }

    /// Writes a ClientHello body with no session id and the null compression method; `extensions`
    /// is the encoded extensions block (see [`ext`]) without its length.
    pub fn write(
        out: &mut Vec<u8>,
        random: &[u8; 32],
        cookie: &[u8],
        cipher_suites: &[u16],
        extensions: &[u8],
    ) {
        out.extend_from_slice(&crate::record::DTLS_1_2.to_be_bytes());
        out.extend_from_slice(random);
        put_vec(out, 1, &[]);
        put_vec(out, 1, cookie);
        put_u16s(out, 2, cipher_suites);
        put_vec(out, 1, &[0]);
        put_vec(out, 2, extensions);
    }
}

/// HelloVerifyRequest (RFC 6347 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelloVerifyRequest<'a> {
    /// server_version (0xFEFF or 0xFEFD).
    pub server_version: u16,
    /// The cookie (0..=255 bytes).
    pub cookie: &'a [u8],
}

impl<'a> HelloVerifyRequest<'a> {
    /// Parses a HelloVerifyRequest body.
    pub fn parse(body: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let server_version = r.u16()?;
        let cookie = vec8(&mut r)?;
        end(&r, "HelloVerifyRequest")?;
        Ok(HelloVerifyRequest {
            server_version,
            cookie,
        })
    }

    /// Writes a HelloVerifyRequest body (server_version DTLS 1.0, as RFC 6347 §4.2.1
    /// recommends).
    pub fn write(out: &mut Vec<u8>, cookie: &[u8]) {
        out.extend_from_slice(&crate::record::DTLS_1_0.to_be_bytes());
        put_vec(out, 1, cookie);
    }
}

/// ServerHello (RFC 5246 §7.4.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerHello<'a> {
    /// server_version.
    pub server_version: u16,
    /// 32-byte random. A DTLS 1.3-capable server negotiating 1.2 ends it with the downgrade
    /// marker of RFC 8446 §4.1.3, which a 1.2-only client ignores.
    pub random: [u8; 32],
    /// Session id.
    pub session_id: &'a [u8],
    /// Chosen cipher suite.
    pub cipher_suite: u16,
    /// Chosen compression method.
    pub compression_method: u8,
    /// The extensions understood here.
    pub extensions: HelloExtensions<'a>,
}

impl<'a> ServerHello<'a> {
    /// Parses a ServerHello body.
    pub fn parse(body: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let server_version = r.u16()?;
        let random = r.array()?;
        let session_id = vec8(&mut r)?;
        if session_id.len() > 32 {
            return Err(Error::Invalid {
                field: "session_id",
            });
        }
        let cipher_suite = r.u16()?;
        let compression_method = r.u8()?;
        let raw = if r.is_empty() {
            &[][..]
        } else {
            vec16(&mut r)?
        };
        end(&r, "ServerHello")?;
        Ok(ServerHello {
            server_version,
            random,
            session_id,
            cipher_suite,
            compression_method,
            extensions: HelloExtensions::parse(raw)?,
        })
    }

    /// Writes a ServerHello body with an empty session id and null compression.
    pub fn write(out: &mut Vec<u8>, random: &[u8; 32], cipher_suite: u16, extensions: &[u8]) {
        out.extend_from_slice(&crate::record::DTLS_1_2.to_be_bytes());
        out.extend_from_slice(random);
        put_vec(out, 1, &[]);
        out.extend_from_slice(&cipher_suite.to_be_bytes());
        out.push(0);
        put_vec(out, 2, extensions);
    }
}

/// Certificate (RFC 5246 §7.4.2): the DER certificates, the end-entity one first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateMsg<'a> {
    /// DER certificates in order.
    pub certificates: Vec<&'a [u8]>,
}

impl<'a> CertificateMsg<'a> {
    /// At most this many certificates are accepted in a chain.
    pub const MAX_CHAIN: usize = 16;

    /// Parses a Certificate body.
    pub fn parse(body: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let mut list = Reader::new(vec24(&mut r)?);
        end(&r, "Certificate")?;
        let mut certificates = Vec::new();
        while !list.is_empty() {
            let c = vec24(&mut list)?;
            if c.is_empty() || certificates.len() >= Self::MAX_CHAIN {
                return Err(Error::Invalid {
                    field: "certificate_list",
                });
            }
            certificates.push(c);
        }
        Ok(CertificateMsg { certificates })
    }

    /// Writes a Certificate body.
    pub fn write(out: &mut Vec<u8>, certificates: &[&[u8]]) {
        let mut list = Vec::new();
        for c in certificates {
            put_vec(&mut list, 3, c);
        }
        put_vec(out, 3, &list);
    }
}

/// ServerKeyExchange for ECDHE with a named curve and a TLS 1.2 signature
/// (RFC 8422 §5.4, RFC 5246 §7.4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerKeyExchange<'a> {
    /// The NamedGroup.
    pub group: u16,
    /// The server's ephemeral public key.
    pub public: &'a [u8],
    /// The signed ServerECDHParams as on the wire (curve type, group, public).
    pub params: &'a [u8],
    /// SignatureScheme (SignatureAndHashAlgorithm) used.
    pub scheme: u16,
    /// The signature over client_random + server_random + params.
    pub signature: &'a [u8],
}

impl<'a> ServerKeyExchange<'a> {
    /// Parses a ServerKeyExchange body.
    pub fn parse(body: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        if r.u8()? != CURVE_TYPE_NAMED {
            return Err(Error::Invalid {
                field: "curve_type",
            });
        }
        let group = r.u16()?;
        let public = vec8(&mut r)?;
        if public.is_empty() {
            return Err(Error::Invalid {
                field: "public key",
            });
        }
        let params = body.get(..4 + public.len()).unwrap_or_default();
        let scheme = r.u16()?;
        let signature = vec16(&mut r)?;
        end(&r, "ServerKeyExchange")?;
        Ok(ServerKeyExchange {
            group,
            public,
            params,
            scheme,
            signature,
        })
    }

    /// Writes the ServerECDHParams (the signed part).
    pub fn write_params(out: &mut Vec<u8>, group: u16, public: &[u8]) {
        out.push(CURVE_TYPE_NAMED);
        out.extend_from_slice(&group.to_be_bytes());
        put_vec(out, 1, public);
    }

    /// Appends the signature part after the params.
    pub fn write_signature(out: &mut Vec<u8>, scheme: u16, signature: &[u8]) {
        out.extend_from_slice(&scheme.to_be_bytes());
        put_vec(out, 2, signature);
    }
}

/// CertificateRequest (RFC 5246 §7.4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificateRequest<'a> {
    /// ClientCertificateType values.
    pub certificate_types: &'a [u8],
    /// Acceptable signature schemes.
    pub signature_algorithms: U16List<'a>,
    /// DistinguishedNames, raw (ignored).
    pub certificate_authorities: &'a [u8],
}

impl<'a> CertificateRequest<'a> {
    /// Parses a CertificateRequest body.
    pub fn parse(body: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let certificate_types = vec8(&mut r)?;
        let signature_algorithms =
            U16List::parse(vec16(&mut r)?, "supported_signature_algorithms")?;
        let certificate_authorities = vec16(&mut r)?;
        end(&r, "CertificateRequest")?;
        Ok(CertificateRequest {
            certificate_types,
            signature_algorithms,
            certificate_authorities,
        })
    }

    /// Writes a CertificateRequest body with no certificate authorities.
    pub fn write(out: &mut Vec<u8>, certificate_types: &[u8], schemes: &[u16]) {
        put_vec(out, 1, certificate_types);
        put_u16s(out, 2, schemes);
        put_vec(out, 2, &[]);
    }
}

/// ClientKeyExchange for ECDHE: the client's ephemeral public key (RFC 8422 §5.7).
pub fn parse_client_key_exchange(body: &[u8]) -> Result<&[u8], Error> {
    let mut r = Reader::new(body);
    let public = vec8(&mut r)?;
    end(&r, "ClientKeyExchange")?;
    if public.is_empty() {
        return Err(Error::Invalid {
            field: "public key",
        });
    }
    Ok(public)
}

/// Writes a ClientKeyExchange body (RFC 8422 §5.7).
pub fn write_client_key_exchange(out: &mut Vec<u8>, public: &[u8]) {
    put_vec(out, 1, public);
}

/// CertificateVerify (RFC 5246 §7.4.8): scheme and signature.
pub fn parse_certificate_verify(body: &[u8]) -> Result<(u16, &[u8]), Error> {
    let mut r = Reader::new(body);
    let scheme = r.u16()?;
    let sig = vec16(&mut r)?;
    end(&r, "CertificateVerify")?;
    Ok((scheme, sig))
}

/// Writes a CertificateVerify body.
pub fn write_certificate_verify(out: &mut Vec<u8>, scheme: u16, signature: &[u8]) {
    out.extend_from_slice(&scheme.to_be_bytes());
    put_vec(out, 2, signature);
}

/// Finished (RFC 5246 §7.4.9): 12 bytes of verify_data.
pub fn parse_finished(body: &[u8]) -> Result<[u8; 12], Error> {
    let mut r = Reader::new(body);
    let v = r.array()?;
    end(&r, "Finished")?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_header_byte_exact() {
        let mut out = Vec::new();
        write_handshake(&mut out, msg_type::FINISHED, 5, &[7; 12]);
        assert_eq!(&out[..12], &[20, 0, 0, 12, 0, 5, 0, 0, 0, 0, 0, 12]);
        let (f, rest) = Fragment::parse(&out).unwrap();
        assert!(rest.is_empty());
        assert_eq!(f.header.message_seq, 5);
        assert_eq!(parse_finished(f.body).unwrap(), [7; 12]);
    }

    #[test]
    fn fragment_errors() {
        // offset + length past the message length.
        let bad = [1, 0, 0, 10, 0, 0, 0, 0, 8, 0, 0, 4, 1, 2, 3, 4];
        assert_eq!(Fragment::parse(&bad).unwrap_err(), Error::BadFragment);
        // Claims 4 bytes, has 2.
        let short = [1, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 4, 1, 2];
        assert!(matches!(
            Fragment::parse(&short).unwrap_err(),
            Error::Truncated { .. }
        ));
    }

    #[test]
    fn client_hello_round_trip() {
        let mut exts = Vec::new();
        ext::use_srtp(&mut exts, &[7, 1]);
        ext::extended_master_secret(&mut exts);
        ext::renegotiation_info(&mut exts);
        ext::supported_groups(&mut exts, &[29, 23]);
        ext::ec_point_formats(&mut exts);
        ext::signature_algorithms(&mut exts, &[0x0403]);
        ext::raw(&mut exts, 43, &[2, 0xFE, 0xFC]);
        let mut body = Vec::new();
        ClientHello::write(&mut body, &[9; 32], b"cookie", &[0xC02B, 0xCCA9], &exts);
        let ch = ClientHello::parse(&body).unwrap();
        assert_eq!(ch.client_version, 0xFEFD);
        assert_eq!(ch.cookie, b"cookie");
        assert_eq!(
            ch.cipher_suites.iter().collect::<Vec<_>>(),
            [0xC02B, 0xCCA9]
        );
        let e = ch.extensions;
        assert_eq!(e.use_srtp.unwrap().0.iter().collect::<Vec<_>>(), [7, 1]);
        assert!(e.extended_master_secret);
        assert_eq!(e.renegotiation_info, Some(&[][..]));
        assert!(e.supported_groups.unwrap().contains(23));
        assert_eq!(e.ec_point_formats, Some(&[0][..]));
        assert!(e.signature_algorithms.unwrap().contains(0x0403));
        assert_eq!(e.unknown, 1);
        // Byte-exact use_srtp: type 14, len 7, list len 4, 0x0007 0x0001, mki 0.
        assert_eq!(&exts[..11], &[0, 14, 0, 7, 0, 4, 0, 7, 0, 1, 0]);

        // Trailing garbage, duplicates, odd lists.
        let mut trailing = body.clone();
        trailing.push(0);
        assert!(ClientHello::parse(&trailing).is_err());
        let mut dup = Vec::new();
        ext::extended_master_secret(&mut dup);
        ext::extended_master_secret(&mut dup);
        assert_eq!(
            HelloExtensions::parse(&dup).unwrap_err(),
            Error::Invalid {
                field: "duplicate extension"
            }
        );
        assert!(HelloExtensions::parse(&[0, 10, 0, 3, 0, 1, 0]).is_err());
        // EMS with data.
        assert!(HelloExtensions::parse(&[0, 23, 0, 1, 0]).is_err());
    }

    #[test]
    fn server_messages_round_trip() {
        let mut b = Vec::new();
        ServerHello::write(&mut b, &[1; 32], 0xC02B, &[]);
        let sh = ServerHello::parse(&b).unwrap();
        assert_eq!(sh.cipher_suite, 0xC02B);

        let mut b = Vec::new();
        ServerKeyExchange::write_params(&mut b, 29, &[5; 32]);
        ServerKeyExchange::write_signature(&mut b, 0x0403, &[6; 70]);
        let ske = ServerKeyExchange::parse(&b).unwrap();
        assert_eq!(ske.group, 29);
        assert_eq!(ske.params.len(), 36);
        assert_eq!(ske.signature.len(), 70);

        let mut b = Vec::new();
        CertificateRequest::write(&mut b, &[64, 1], &[0x0403, 0x0804]);
        assert_eq!(b, [2, 64, 1, 0, 4, 4, 3, 8, 4, 0, 0]);
        let cr = CertificateRequest::parse(&b).unwrap();
        assert!(cr.signature_algorithms.contains(0x0804));

        let mut b = Vec::new();
        CertificateMsg::write(&mut b, &[b"abc", b"de"]);
        assert_eq!(
            b,
            [0, 0, 11, 0, 0, 3, b'a', b'b', b'c', 0, 0, 2, b'd', b'e']
        );
        assert_eq!(
            CertificateMsg::parse(&b).unwrap().certificates,
            vec![&b"abc"[..], b"de"]
        );
        assert!(CertificateMsg::parse(&[0, 0, 3, 0, 0, 0]).is_err());

        let mut b = Vec::new();
        HelloVerifyRequest::write(&mut b, &[1, 2]);
        assert_eq!(b, [0xFE, 0xFF, 2, 1, 2]);
        assert_eq!(HelloVerifyRequest::parse(&b).unwrap().cookie, &[1, 2]);

        assert!(parse_client_key_exchange(&[0]).is_err());
        assert_eq!(parse_client_key_exchange(&[1, 9]).unwrap(), &[9]);
        assert!(parse_finished(&[0; 11]).is_err());
        assert!(parse_finished(&[0; 13]).is_err());
    }
}
