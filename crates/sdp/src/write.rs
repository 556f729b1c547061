//! Model to text, in RFC 8866 §5 line order with CRLF endings.
//!
//! Everything is appended to a byte buffer (cheaper per piece than `fmt` or `String::push`),
//! which holds only `&str`s and ASCII, so it is turned into text with one fast UTF-8 check.

use std::fmt;

use crate::attribute::Attribute;
use crate::session::{
    Bandwidth, Connection, MediaDescription, SessionDescription, TimeUnit, TypedTime,
};
use crate::text::{append_with, display_with, push_str, push_u64};

fn push_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    push_u64(out, n.unsigned_abs());
}

impl TypedTime {
    fn write_bytes(&self, out: &mut Vec<u8>) {
        push_i64(out, self.value);
        match self.unit {
            None => {}
            Some(TimeUnit::Days) => out.push(b'd'),
            Some(TimeUnit::Hours) => out.push(b'h'),
            Some(TimeUnit::Minutes) => out.push(b'm'),
            Some(TimeUnit::Seconds) => out.push(b's'),
        }
    }
}

impl fmt::Display for TypedTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display_with(f, 16, |out| self.write_bytes(out))
    }
}

impl Connection<'_> {
    /// Appends the value of a `c=` line.
    fn write_bytes(&self, out: &mut Vec<u8>) {
        push_str(out, &self.net_type);
        out.push(b' ');
        push_str(out, &self.addr_type);
        out.push(b' ');
        push_str(out, &self.address);
        if let Some(ttl) = self.ttl {
            out.push(b'/');
            push_u64(out, ttl.into());
        }
        if let Some(count) = self.count {
            out.push(b'/');
            push_u64(out, count.into());
        }
    }
}

impl fmt::Display for Connection<'_> {
    /// The value of a `c=` line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display_with(f, 64, |out| self.write_bytes(out))
    }
}

fn line(out: &mut Vec<u8>, kind: &str, value: &str) {
    push_str(out, kind);
    push_str(out, value);
    push_str(out, "\r\n");
}

fn connections(out: &mut Vec<u8>, list: &[Connection<'_>]) {
    for c in list {
        push_str(out, "c=");
        c.write_bytes(out);
        push_str(out, "\r\n");
    }
}

fn bandwidths(out: &mut Vec<u8>, list: &[Bandwidth<'_>]) {
    for b in list {
        push_str(out, "b=");
        push_str(out, &b.kind);
        out.push(b':');
        push_u64(out, b.value);
        push_str(out, "\r\n");
    }
}

fn attributes(out: &mut Vec<u8>, list: &[Attribute<'_>]) {
    for a in list {
        push_str(out, "a=");
        a.write_bytes(out);
        push_str(out, "\r\n");
    }
}

impl SessionDescription<'_> {
    /// Appends the description as SDP text to `s`, each line ending in CRLF.
    ///
    /// `Display` (and so `to_string()`) writes the same; call this to reuse a buffer.
    pub fn write_to(&self, s: &mut String) {
        append_with(s, |out| self.write_bytes(out));
    }

    pub(crate) fn write_bytes(&self, out: &mut Vec<u8>) {
        let o = &self.origin;
        push_str(out, "v=0\r\no=");
        push_str(out, &o.username);
        out.push(b' ');
        push_u64(out, o.session_id);
        out.push(b' ');
        push_u64(out, o.session_version);
        for part in [&o.net_type, &o.addr_type, &o.address] {
            out.push(b' ');
            push_str(out, part);
        }
        push_str(out, "\r\n");
        line(out, "s=", &self.session_name);
        if let Some(i) = &self.information {
            line(out, "i=", i);
        }
        if let Some(u) = &self.uri {
            line(out, "u=", u);
        }
        for e in &self.emails {
            line(out, "e=", e);
        }
        for p in &self.phones {
            line(out, "p=", p);
        }
        connections(out, self.connection.as_slice());
        bandwidths(out, &self.bandwidths);
        for t in &self.times {
            push_str(out, "t=");
            push_u64(out, t.start);
            out.push(b' ');
            push_u64(out, t.stop);
            push_str(out, "\r\n");
            for r in &t.repeats {
                push_str(out, "r=");
                r.interval.write_bytes(out);
                out.push(b' ');
                r.duration.write_bytes(out);
                for o in &r.offsets {
                    out.push(b' ');
                    o.write_bytes(out);
                }
                push_str(out, "\r\n");
            }
        }
        if !self.time_zones.is_empty() {
            push_str(out, "z=");
            for (i, z) in self.time_zones.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                push_u64(out, z.adjustment_time);
                out.push(b' ');
                z.offset.write_bytes(out);
            }
            push_str(out, "\r\n");
        }
        if let Some(k) = &self.key {
            line(out, "k=", k);
        }
        attributes(out, &self.attributes);
        for m in &self.media {
            m.write_bytes(out);
        }
    }
}

impl MediaDescription<'_> {
    /// Appends the media section as SDP text, from its `m=` line on, each line ending in CRLF.
    pub fn write_to(&self, s: &mut String) {
        append_with(s, |out| self.write_bytes(out));
    }

    pub(crate) fn write_bytes(&self, out: &mut Vec<u8>) {
        push_str(out, "m=");
        push_str(out, self.kind.as_str());
        out.push(b' ');
        push_u64(out, self.port.into());
        if let Some(n) = self.port_count {
            out.push(b'/');
            push_u64(out, n.into());
        }
        out.push(b' ');
        push_str(out, &self.protocol);
        for fmt in &self.formats {
            out.push(b' ');
            push_str(out, fmt);
        }
        push_str(out, "\r\n");
        if let Some(i) = &self.information {
            line(out, "i=", i);
        }
        connections(out, &self.connections);
        bandwidths(out, &self.bandwidths);
        if let Some(k) = &self.key {
            line(out, "k=", k);
        }
        attributes(out, &self.attributes);
    }
}

impl fmt::Display for SessionDescription<'_> {
    /// The description as SDP text, each line ending in CRLF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display_with(f, self.size_hint(), |out| self.write_bytes(out))
    }
}

impl fmt::Display for MediaDescription<'_> {
    /// The media section as SDP text, from its `m=` line on, each line ending in CRLF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display_with(f, 1024, |out| self.write_bytes(out))
    }
}

impl SessionDescription<'_> {
    /// A cheap guess at the text length, to size the output buffer once.
    fn size_hint(&self) -> usize {
        let lines = self.attributes.len()
            + self
                .media
                .iter()
                .map(|m| m.attributes.len() + 4)
                .sum::<usize>();
        256 + 40 * lines
    }
}
