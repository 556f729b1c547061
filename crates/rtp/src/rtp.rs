//! The RTP packet view (RFC 3550 §5.1), RFC 8285 header extension elements, and the builder.

use proto::Reader;

use crate::ext::{
    AudioLevel, ExtensionKind, ExtensionMap, ExtensionValue, PlayoutDelay, VideoOrientation,
};
use crate::{Error, VERSION};

/// The fixed RTP header length.
pub const HEADER_LEN: usize = 12;
/// The "defined by profile" value of the RFC 8285 one-byte header form.
pub const ONE_BYTE_PROFILE: u16 = 0xBEDE;
/// The "defined by profile" value of the RFC 8285 two-byte header form, with the four
/// "appbits" zero (they may carry application data, RFC 8285 §4.3).
pub const TWO_BYTE_PROFILE: u16 = 0x1000;

/// Most extension elements one [`RtpPacketBuilder`] carries.
pub const MAX_BUILDER_EXTENSIONS: usize = 16;

/// A checked, borrowed view of an RTP packet (RFC 3550 §5.1).
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// |                           timestamp                           |
/// |           synchronization source (SSRC) identifier            |
/// |            contributing source (CSRC) identifiers             |
/// |                             ....                              |
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    first: u8,
    second: u8,
    sequence_number: u16,
    timestamp: u32,
    ssrc: u32,
    csrcs: &'a [u8],
    extension: Option<HeaderExtension<'a>>,
    header_len: usize,
    payload: &'a [u8],
    padding: u8,
}

impl<'a> RtpPacket<'a> {
    /// Checks `buf` as one RTP packet and returns a view of it.
    ///
    /// Checks: at least the fixed header, version 2, the CSRC list and header extension
    /// present in full, RFC 8285 elements well formed (for the one-byte and two-byte profiles),
    /// and a padding count that is neither zero nor larger than what follows the header.
    #[inline]
    pub fn parse(buf: &'a [u8]) -> Result<Self, Error> {
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated {
                needed: HEADER_LEN,
                remaining: buf.len(),
            });
        }
        let mut r = Reader::new(buf);
        let [first, second] = r.array()?;
        if first >> 6 != VERSION {
            return Err(Error::BadVersion(first >> 6));
        }
        let sequence_number = r.u16()?;
        let timestamp = r.u32()?;
        let ssrc = r.u32()?;
        let csrcs = r.take(usize::from(first & 0x0f) * 4)?;
        let extension = if first & 0x10 != 0 {
            let profile = r.u16()?;
            let words = r.u16()?;
            let data = r.take(usize::from(words) * 4)?;
            let ext = HeaderExtension { profile, data };
            ext.validate()?;
            Some(ext)
        } else {
            None
        };
        let header_len = buf.len() - r.remaining();
        let mut payload = r.rest();
        let mut padding = 0;
        if first & 0x20 != 0 {
            let count = payload.last().copied().unwrap_or(0);
            match payload.len().checked_sub(usize::from(count)) {
                Some(len) if count != 0 => {
                    payload = payload.get(..len).unwrap_or_default();
                    padding = count;
                }
                _ => {
                    return Err(Error::BadPadding {
                        padding: count,
                        available: payload.len(),
                    });
                }
            }
        }
        Ok(RtpPacket {
            first,
            second,
            sequence_number,
            timestamp,
            ssrc,
            csrcs,
            extension,
            header_len,
            payload,
            padding,
        })
    }

    /// The version, always 2.
    #[inline]
    pub fn version(&self) -> u8 {
        self.first >> 6
    }

    /// The P bit.
    #[inline]
    pub fn has_padding(&self) -> bool {
        self.first & 0x20 != 0
    }

    /// The X bit.
    #[inline]
    pub fn has_extension(&self) -> bool {
        self.first & 0x10 != 0
    }

    /// The CC field: how many CSRCs follow the fixed header.
    #[inline]
    pub fn csrc_count(&self) -> u8 {
        self.first & 0x0f
    }

    /// The M bit.
    #[inline]
    pub fn marker(&self) -> bool {
        self.second & 0x80 != 0
    }

    /// The payload type, 0..=127.
    #[inline]
    pub fn payload_type(&self) -> u8 {
        self.second & 0x7f
    }

    /// The sequence number.
    #[inline]
    pub fn sequence_number(&self) -> u16 {
        self.sequence_number
    }

    /// The RTP timestamp.
    #[inline]
    pub fn timestamp(&self) -> u32 {
        self.timestamp
    }

    /// The synchronization source.
    #[inline]
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The contributing sources, in order.
    #[inline]
    pub fn csrcs(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        self.csrcs
            .chunks_exact(4)
            .map(|c| c.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b)))
    }

    /// The header extension, if the X bit is set.
    #[inline]
    pub fn extension(&self) -> Option<HeaderExtension<'a>> {
        self.extension
    }

    /// The RFC 8285 extension elements (none if there is no extension or its profile is
    /// neither the one-byte nor the two-byte form).
    #[inline]
    pub fn extensions(&self) -> Extensions<'a> {
        match self.extension {
            Some(ext) => ext.elements(),
            None => Extensions {
                data: &[],
                form: ExtensionForm::Other,
            },
        }
    }

    /// Length of the header: fixed part, CSRCs and extension.
    #[inline]
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// The payload, padding removed.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// Bytes of padding at the end (0 if the P bit is clear).
    #[inline]
    pub fn padding_len(&self) -> u8 {
        self.padding
    }

    /// The data of the first extension element whose id `map` maps to `kind`.
    #[inline]
    pub fn extension_data(&self, map: &ExtensionMap, kind: ExtensionKind) -> Option<&'a [u8]> {
        self.extensions()
            .find(|e| map.kind(e.id) == Some(kind))
            .map(|e| e.data)
    }

    /// The first extension element whose id `map` maps to `kind`, decoded; `Some(Err(_))`
    /// if it is malformed for its kind.
    #[inline]
    pub fn extension_value(
        &self,
        map: &ExtensionMap,
        kind: ExtensionKind,
    ) -> Option<Result<ExtensionValue<'a>, Error>> {
        self.extension_data(map, kind)
            .map(|d| ExtensionValue::decode(kind, d))
    }

    #[inline]
    fn typed<T>(
        &self,
        map: &ExtensionMap,
        kind: ExtensionKind,
        pick: impl FnOnce(ExtensionValue<'a>) -> Option<T>,
    ) -> Option<T> {
        self.extension_value(map, kind)?.ok().and_then(pick)
    }

    /// The mid extension (absent or malformed: `None`).
    #[inline]
    pub fn mid(&self, map: &ExtensionMap) -> Option<&'a str> {
        self.typed(map, ExtensionKind::Mid, |v| match v {
            ExtensionValue::Mid(s) => Some(s),
            _ => None,
        })
    }

    /// The RID extension (absent or malformed: `None`).
    #[inline]
    pub fn rid(&self, map: &ExtensionMap) -> Option<&'a str> {
        self.typed(map, ExtensionKind::Rid, |v| match v {
            ExtensionValue::Rid(s) => Some(s),
            _ => None,
        })
    }

    /// The repaired-RID extension (absent or malformed: `None`).
    #[inline]
    pub fn repaired_rid(&self, map: &ExtensionMap) -> Option<&'a str> {
        self.typed(map, ExtensionKind::RepairedRid, |v| match v {
            ExtensionValue::RepairedRid(s) => Some(s),
            _ => None,
        })
    }

    /// The abs-send-time extension, 6.18 fixed-point seconds (absent or malformed: `None`).
    #[inline]
    pub fn abs_send_time(&self, map: &ExtensionMap) -> Option<u32> {
        self.typed(map, ExtensionKind::AbsSendTime, |v| match v {
            ExtensionValue::AbsSendTime(t) => Some(t),
            _ => None,
        })
    }

    /// The transport-wide sequence number (absent or malformed: `None`).
    #[inline]
    pub fn transport_cc(&self, map: &ExtensionMap) -> Option<u16> {
        self.typed(map, ExtensionKind::TransportCc, |v| match v {
            ExtensionValue::TransportCc(s) => Some(s),
            _ => None,
        })
    }

    /// The audio level (absent or malformed: `None`).
    #[inline]
    pub fn audio_level(&self, map: &ExtensionMap) -> Option<AudioLevel> {
        self.typed(map, ExtensionKind::AudioLevel, |v| match v {
            ExtensionValue::AudioLevel(a) => Some(a),
            _ => None,
        })
    }

    /// The video orientation (absent or malformed: `None`).
    #[inline]
    pub fn video_orientation(&self, map: &ExtensionMap) -> Option<VideoOrientation> {
        self.typed(map, ExtensionKind::VideoOrientation, |v| match v {
            ExtensionValue::VideoOrientation(o) => Some(o),
            _ => None,
        })
    }

    /// The playout delay (absent or malformed: `None`).
    #[inline]
    pub fn playout_delay(&self, map: &ExtensionMap) -> Option<PlayoutDelay> {
        self.typed(map, ExtensionKind::PlayoutDelay, |v| match v {
            ExtensionValue::PlayoutDelay(p) => Some(p),
            _ => None,
        })
    }
}

/// Which RFC 8285 form a header extension uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtensionForm {
    /// Profile 0xBEDE: one byte of id (1..=14) and length (1..=16) per element.
    OneByte,
    /// Profile 0x100X: a byte of id and a byte of length per element; the value is the low
    /// four "appbits".
    TwoByte(u8),
    /// Some other profile: the data is opaque.
    Other,
}

/// The header extension of an RTP packet: the 16-bit profile field and the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderExtension<'a> {
    profile: u16,
    data: &'a [u8],
}

impl<'a> HeaderExtension<'a> {
    /// The "defined by profile" field.
    #[inline]
    pub fn profile(&self) -> u16 {
        self.profile
    }

    /// The extension data (a multiple of four bytes).
    #[inline]
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The RFC 8285 form the profile field announces.
    #[inline]
    pub fn form(&self) -> ExtensionForm {
        if self.profile == ONE_BYTE_PROFILE {
            ExtensionForm::OneByte
        } else if self.profile & 0xfff0 == TWO_BYTE_PROFILE {
            ExtensionForm::TwoByte((self.profile & 0x0f) as u8)
        } else {
            ExtensionForm::Other
        }
    }

    /// The elements of a one-byte or two-byte extension (none for other profiles).
    #[inline]
    pub fn elements(&self) -> Extensions<'a> {
        Extensions {
            data: self.data,
            form: self.form(),
        }
    }

    #[inline]
    fn validate(&self) -> Result<(), Error> {
        let mut it = self.elements();
        while next_element(it.form, &mut it.data)?.is_some() {}
        Ok(())
    }
}

/// One RFC 8285 header extension element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Extension<'a> {
    /// The local identifier, 1..=14 (one-byte form) or 1..=255 (two-byte form).
    pub id: u8,
    /// The element's data.
    pub data: &'a [u8],
}

/// Iterator over the elements of an RFC 8285 header extension, checked at parse time.
#[derive(Debug, Clone)]
pub struct Extensions<'a> {
    data: &'a [u8],
    form: ExtensionForm,
}

impl<'a> Iterator for Extensions<'a> {
    type Item = Extension<'a>;

    #[inline]
    fn next(&mut self) -> Option<Extension<'a>> {
        // The data was checked by `RtpPacket::parse`, so an error cannot happen here; if it
        // did, ending the iteration is the safe answer.
        match next_element(self.form, &mut self.data) {
            Ok(e) => e,
            Err(_) => {
                self.data = &[];
                None
            }
        }
    }
}

/// Reads the next element, skipping padding bytes (RFC 8285 §4.2, §4.3).
#[inline]
fn next_element<'a>(
    form: ExtensionForm,
    data: &mut &'a [u8],
) -> Result<Option<Extension<'a>>, Error> {
    loop {
        let Some((&b, rest)) = data.split_first() else {
            return Ok(None);
        };
        match form {
            ExtensionForm::Other => {
                *data = &[];
                return Ok(None);
            }
            ExtensionForm::OneByte => {
                let id = b >> 4;
                if id == 0 {
                    // A padding byte.
                    *data = rest;
                    continue;
                }
                if id == 15 {
                    // Reserved: "the remainder of the header extension is not processed".
                    *data = &[];
                    return Ok(None);
                }
                let len = usize::from(b & 0x0f) + 1;
                let Some((value, rest)) = rest.split_at_checked(len) else {
                    return Err(Error::BadExtension(
                        "one-byte element overruns the extension",
                    ));
                };
                *data = rest;
                return Ok(Some(Extension { id, data: value }));
            }
            ExtensionForm::TwoByte(_) => {
                if b == 0 {
                    *data = rest;
                    continue;
                }
                let Some((&len, rest)) = rest.split_first() else {
                    return Err(Error::BadExtension("two-byte element without length"));
                };
                let Some((value, rest)) = rest.split_at_checked(usize::from(len)) else {
                    return Err(Error::BadExtension(
                        "two-byte element overruns the extension",
                    ));
                };
                *data = rest;
                return Ok(Some(Extension { id: b, data: value }));
            }
        }
    }
}

/// One element's data in the builder: borrowed from the caller, or up to four bytes held
/// inline (the typed values other than the identifiers). The inline form comes first so that
/// an empty slot is all zeroes and a fresh builder initialises with a plain memset.
#[derive(Debug, Clone, Copy)]
enum ExtData<'a> {
    Inline { len: u8, bytes: [u8; 4] },
    Borrowed(&'a [u8]),
}

impl<'a> ExtData<'a> {
    const EMPTY: ExtData<'static> = ExtData::Inline {
        len: 0,
        bytes: [0; 4],
    };

    #[inline]
    fn from_value(value: ExtensionValue<'a>) -> Self {
        match value {
            ExtensionValue::Mid(s) | ExtensionValue::Rid(s) | ExtensionValue::RepairedRid(s) => {
                ExtData::Borrowed(s.as_bytes())
            }
            other => {
                let (bytes, len) = other.encode_inline();
                ExtData::Inline { len, bytes }
            }
        }
    }

    #[inline]
    fn as_slice(&self) -> &[u8] {
        match self {
            ExtData::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            ExtData::Borrowed(d) => d,
        }
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for Vec<u8> {}
    impl Sealed for bytes::BytesMut {}
}

/// A growable buffer an [`RtpPacketBuilder`] appends packets to: `Vec<u8>` or
/// [`bytes::BytesMut`]. Sealed; for a fixed `&mut [u8]` use
/// [`RtpPacketBuilder::write_to_slice`].
pub trait PacketBuf: sealed::Sealed {
    #[doc(hidden)]
    fn buf_len(&self) -> usize;
    #[doc(hidden)]
    fn buf_reserve(&mut self, additional: usize);
    #[doc(hidden)]
    fn buf_resize(&mut self, len: usize);
    #[doc(hidden)]
    fn buf_extend(&mut self, bytes: &[u8]);
    #[doc(hidden)]
    fn buf_tail_mut(&mut self, from: usize) -> &mut [u8];
}

impl PacketBuf for Vec<u8> {
    #[inline]
    fn buf_len(&self) -> usize {
        self.len()
    }
    #[inline]
    fn buf_reserve(&mut self, additional: usize) {
        self.reserve(additional);
    }
    #[inline]
    fn buf_resize(&mut self, len: usize) {
        self.resize(len, 0);
    }
    #[inline]
    fn buf_extend(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    #[inline]
    fn buf_tail_mut(&mut self, from: usize) -> &mut [u8] {
        self.get_mut(from..).unwrap_or_default()
    }
}

impl PacketBuf for bytes::BytesMut {
    #[inline]
    fn buf_len(&self) -> usize {
        self.len()
    }
    #[inline]
    fn buf_reserve(&mut self, additional: usize) {
        self.reserve(additional);
    }
    #[inline]
    fn buf_resize(&mut self, len: usize) {
        self.resize(len, 0);
    }
    #[inline]
    fn buf_extend(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    #[inline]
    fn buf_tail_mut(&mut self, from: usize) -> &mut [u8] {
        self.get_mut(from..).unwrap_or_default()
    }
}

/// What [`RtpPacketBuilder`] found when it checked the packet, before writing a byte.
#[derive(Debug, Clone, Copy)]
struct Layout {
    /// Fixed header, CSRCs and the whole extension (its 4-byte header included).
    header_len: usize,
    /// RFC 8285 elements in the one-byte form.
    one_byte: bool,
    /// The extension body's length in 32-bit words.
    ext_words: u16,
    /// Header, payload and padding.
    total: usize,
}

/// A bounds-checked cursor over the header area; writes past the end are dropped (the area
/// is sized from [`Layout`], so none happen).
struct Cursor<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl Cursor<'_> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.pos + bytes.len();
        if let Some(dst) = self.buf.get_mut(self.pos..end) {
            dst.copy_from_slice(bytes);
        }
        self.pos = end;
    }

    #[inline]
    fn put_u8(&mut self, b: u8) {
        if let Some(dst) = self.buf.get_mut(self.pos) {
            *dst = b;
        }
        self.pos += 1;
    }
}

/// Writes an RTP packet into a caller's buffer.
///
/// Extension elements added with [`extension`](Self::extension) or
/// [`extension_value`](Self::extension_value) are written in the one-byte form when every id is
/// 1..=14 and every element 1..=16 bytes long, and in the two-byte form otherwise (or when
/// [`two_byte_extensions`](Self::two_byte_extensions) asks for it).
///
/// The packet is checked completely before anything is written, so a failed write leaves
/// the buffer as it was. The targets are a `Vec<u8>` or [`bytes::BytesMut`]
/// ([`write`](Self::write)) and a fixed `&mut [u8]` ([`write_to_slice`](Self::write_to_slice)).
#[derive(Debug, Clone, Copy)]
pub struct RtpPacketBuilder<'a> {
    marker: bool,
    payload_type: u8,
    sequence_number: u16,
    timestamp: u32,
    ssrc: u32,
    csrcs: &'a [u32],
    ext_ids: [u8; MAX_BUILDER_EXTENSIONS],
    ext_data: [ExtData<'a>; MAX_BUILDER_EXTENSIONS],
    ext_count: usize,
    too_many_exts: bool,
    raw_extension: Option<(u16, &'a [u8])>,
    two_byte: bool,
    payload: &'a [u8],
    padding: u8,
}

impl<'a> RtpPacketBuilder<'a> {
    /// A packet with these fixed-header fields, no marker, no CSRCs, no extensions, an empty
    /// payload and no padding.
    #[inline]
    pub fn new(payload_type: u8, sequence_number: u16, timestamp: u32, ssrc: u32) -> Self {
        RtpPacketBuilder {
            marker: false,
            payload_type,
            sequence_number,
            timestamp,
            ssrc,
            csrcs: &[],
            ext_ids: [0; MAX_BUILDER_EXTENSIONS],
            ext_data: [ExtData::EMPTY; MAX_BUILDER_EXTENSIONS],
            ext_count: 0,
            too_many_exts: false,
            raw_extension: None,
            two_byte: false,
            payload: &[],
            padding: 0,
        }
    }

    /// Sets the M bit.
    #[inline]
    pub fn marker(mut self, marker: bool) -> Self {
        self.marker = marker;
        self
    }

    /// The contributing sources (at most 15).
    #[inline]
    pub fn csrcs(mut self, csrcs: &'a [u32]) -> Self {
        self.csrcs = csrcs;
        self
    }

    #[inline]
    fn push_ext(mut self, id: u8, data: ExtData<'a>) -> Self {
        match (
            self.ext_ids.get_mut(self.ext_count),
            self.ext_data.get_mut(self.ext_count),
        ) {
            (Some(id_slot), Some(data_slot)) => {
                *id_slot = id;
                *data_slot = data;
                self.ext_count += 1;
            }
            _ => self.too_many_exts = true,
        }
        self
    }

    /// Adds an RFC 8285 element with raw data (at most [`MAX_BUILDER_EXTENSIONS`]).
    #[inline]
    pub fn extension(self, id: u8, data: &'a [u8]) -> Self {
        self.push_ext(id, ExtData::Borrowed(data))
    }

    /// Adds an RFC 8285 element holding a typed value.
    #[inline]
    pub fn extension_value(self, id: u8, value: ExtensionValue<'a>) -> Self {
        self.push_ext(id, ExtData::from_value(value))
    }

    /// Always use the two-byte form for the elements, even when the one-byte form would do.
    #[inline]
    pub fn two_byte_extensions(mut self, yes: bool) -> Self {
        self.two_byte = yes;
        self
    }

    /// A header extension with an arbitrary profile and opaque data (a multiple of four
    /// bytes), instead of RFC 8285 elements.
    #[inline]
    pub fn raw_extension(mut self, profile: u16, data: &'a [u8]) -> Self {
        self.raw_extension = Some((profile, data));
        self
    }

    /// The payload.
    #[inline]
    pub fn payload(mut self, payload: &'a [u8]) -> Self {
        self.payload = payload;
        self
    }

    /// Pads the packet with `padding` bytes, the last holding the count (0 = no padding).
    #[inline]
    pub fn padding(mut self, padding: u8) -> Self {
        self.padding = padding;
        self
    }

    /// The packet's length in bytes, or why it cannot be written.
    #[inline]
    pub fn encoded_len(&self) -> Result<usize, Error> {
        self.layout().map(|l| l.total)
    }

    /// Appends the packet to `out` (a `Vec<u8>` or [`bytes::BytesMut`]) and returns its
    /// length. On error `out` is left as it was.
    #[inline]
    pub fn write<B: PacketBuf>(&self, out: &mut B) -> Result<usize, Error> {
        let layout = self.layout()?;
        let start = out.buf_len();
        out.buf_reserve(layout.total);
        out.buf_resize(start + layout.header_len);
        self.write_header(&layout, out.buf_tail_mut(start));
        out.buf_extend(self.payload);
        if self.padding != 0 {
            out.buf_resize(start + layout.total - 1);
            out.buf_extend(&[self.padding]);
        }
        Ok(layout.total)
    }

    /// Writes the packet at the start of `out` and returns its length; `out` must be at
    /// least that long ([`Error::BufferTooSmall`] otherwise, with nothing written).
    #[inline]
    pub fn write_to_slice(&self, out: &mut [u8]) -> Result<usize, Error> {
        let layout = self.layout()?;
        let Some(out) = out.get_mut(..layout.total) else {
            return Err(Error::BufferTooSmall {
                needed: layout.total,
                available: out.len(),
            });
        };
        let (header, rest) = out.split_at_mut(layout.header_len.min(layout.total));
        self.write_header(&layout, header);
        let (payload, padding) = rest.split_at_mut(self.payload.len().min(rest.len()));
        payload.copy_from_slice(self.payload.get(..payload.len()).unwrap_or_default());
        if let Some((last, zeros)) = padding.split_last_mut() {
            zeros.fill(0);
            *last = self.padding;
        }
        Ok(layout.total)
    }

    /// Checks every field and sizes the packet.
    #[inline]
    fn layout(&self) -> Result<Layout, Error> {
        if self.payload_type > 0x7f {
            return Err(Error::Unencodable("payload type above 127"));
        }
        if self.csrcs.len() > 15 {
            return Err(Error::Unencodable("more than 15 CSRCs"));
        }
        if self.too_many_exts {
            return Err(Error::Unencodable("too many extension elements"));
        }
        let count = self.ext_count.min(MAX_BUILDER_EXTENSIONS);
        let ids = self.ext_ids.get(..count).unwrap_or_default();
        let data = self.ext_data.get(..count).unwrap_or_default();
        let mut header_len = HEADER_LEN + 4 * self.csrcs.len();
        let mut one_byte = false;
        let mut ext_words = 0;
        if let Some((_, raw)) = self.raw_extension {
            if !ids.is_empty() {
                return Err(Error::Unencodable(
                    "both a raw extension and RFC 8285 elements",
                ));
            }
            if !raw.len().is_multiple_of(4) {
                return Err(Error::Unencodable(
                    "raw extension not a multiple of 4 bytes",
                ));
            }
            ext_words = u16::try_from(raw.len() / 4)
                .map_err(|_| Error::Unencodable("extension longer than 65535 words"))?;
            header_len += 4 + raw.len();
        } else if !ids.is_empty() {
            one_byte = !self.two_byte
                && ids
                    .iter()
                    .zip(data)
                    .all(|(id, d)| (1..=14).contains(id) && (1..=16).contains(&d.as_slice().len()));
            let mut body = 0;
            for (id, d) in ids.iter().zip(data) {
                let len = d.as_slice().len();
                if one_byte {
                    body += 1 + len;
                } else {
                    if *id == 0 {
                        return Err(Error::Unencodable("extension id 0"));
                    }
                    if len > 255 {
                        return Err(Error::Unencodable("extension element over 255 bytes"));
                    }
                    body += 2 + len;
                }
            }
            let padded = body.next_multiple_of(4);
            ext_words = u16::try_from(padded / 4)
                .map_err(|_| Error::Unencodable("extension longer than 65535 words"))?;
            header_len += 4 + padded;
        }
        let padding = usize::from(self.padding);
        Ok(Layout {
            header_len,
            one_byte,
            ext_words,
            total: header_len + self.payload.len() + padding,
        })
    }

    /// Writes the fixed header, CSRCs and extension into `dst`, exactly
    /// `layout.header_len` bytes long.
    #[inline]
    fn write_header(&self, layout: &Layout, dst: &mut [u8]) {
        let count = self.ext_count.min(MAX_BUILDER_EXTENSIONS);
        let ids = self.ext_ids.get(..count).unwrap_or_default();
        let data = self.ext_data.get(..count).unwrap_or_default();
        let has_ext = self.raw_extension.is_some() || !ids.is_empty();
        let [s0, s1] = self.sequence_number.to_be_bytes();
        let [t0, t1, t2, t3] = self.timestamp.to_be_bytes();
        let [c0, c1, c2, c3] = self.ssrc.to_be_bytes();
        let mut w = Cursor { buf: dst, pos: 0 };
        w.put(&[
            VERSION << 6
                | u8::from(self.padding != 0) << 5
                | u8::from(has_ext) << 4
                | self.csrcs.len() as u8,
            u8::from(self.marker) << 7 | self.payload_type,
            s0,
            s1,
            t0,
            t1,
            t2,
            t3,
            c0,
            c1,
            c2,
            c3,
        ]);
        for c in self.csrcs {
            w.put(&c.to_be_bytes());
        }
        let [n0, n1] = layout.ext_words.to_be_bytes();
        if let Some((profile, raw)) = self.raw_extension {
            let [p0, p1] = profile.to_be_bytes();
            w.put(&[p0, p1, n0, n1]);
            w.put(raw);
        } else if !ids.is_empty() {
            let [p0, p1] = if layout.one_byte {
                ONE_BYTE_PROFILE
            } else {
                TWO_BYTE_PROFILE
            }
            .to_be_bytes();
            w.put(&[p0, p1, n0, n1]);
            for (id, d) in ids.iter().zip(data) {
                let d = d.as_slice();
                if layout.one_byte {
                    // 1..=16 bytes, checked by `layout`.
                    w.put_u8(id << 4 | (d.len().wrapping_sub(1) & 0x0f) as u8);
                } else {
                    // At most 255 bytes, checked by `layout`.
                    w.put(&[*id, d.len() as u8]);
                }
                w.put(d);
            }
            while w.pos < layout.header_len {
                w.put_u8(0);
            }
        }
    }
}
