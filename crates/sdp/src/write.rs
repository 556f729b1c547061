//! Model to text, in RFC 8866 §5 line order with CRLF endings.
//!
//! Everything is appended to a `String` directly; `Display` wraps [`SessionDescription::write_to`].

use std::fmt;

use crate::attribute::Attribute;
use crate::session::{
    Bandwidth, Connection, MediaDescription, SessionDescription, TimeUnit, TypedTime,
};
use crate::text::push_u64;

fn push_i64(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_u64(out, n.unsigned_abs());
}

impl TypedTime {
    fn write_to(&self, out: &mut String) {
        push_i64(out, self.value);
        match self.unit {
            None => {}
            Some(TimeUnit::Days) => out.push('d'),
            Some(TimeUnit::Hours) => out.push('h'),
            Some(TimeUnit::Minutes) => out.push('m'),
            Some(TimeUnit::Seconds) => out.push('s'),
        }
    }
}

impl fmt::Display for TypedTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write_to(&mut out);
        f.write_str(&out)
    }
}

impl Connection<'_> {
    /// Appends the value of a `c=` line.
    fn write_to(&self, out: &mut String) {
        out.push_str(&self.net_type);
        out.push(' ');
        out.push_str(&self.addr_type);
        out.push(' ');
        out.push_str(&self.address);
        if let Some(ttl) = self.ttl {
            out.push('/');
            push_u64(out, ttl.into());
        }
        if let Some(count) = self.count {
            out.push('/');
            push_u64(out, count.into());
        }
    }
}

impl fmt::Display for Connection<'_> {
    /// The value of a `c=` line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write_to(&mut out);
        f.write_str(&out)
    }
}

fn line(out: &mut String, kind: &str, value: &str) {
    out.push_str(kind);
    out.push_str(value);
    out.push_str("\r\n");
}

fn connections(out: &mut String, list: &[Connection<'_>]) {
    for c in list {
        out.push_str("c=");
        c.write_to(out);
        out.push_str("\r\n");
    }
}

fn bandwidths(out: &mut String, list: &[Bandwidth<'_>]) {
    for b in list {
        out.push_str("b=");
        out.push_str(&b.kind);
        out.push(':');
        push_u64(out, b.value);
        out.push_str("\r\n");
    }
}

fn attributes(out: &mut String, list: &[Attribute<'_>]) {
    for a in list {
        out.push_str("a=");
        a.write_to(out);
        out.push_str("\r\n");
    }
}

impl SessionDescription<'_> {
    /// Appends the description as SDP text to `out`, each line ending in CRLF.
    ///
    /// This is what `Display` (and so `to_string()`) uses; call it directly to reuse a buffer.
    pub fn write_to(&self, out: &mut String) {
        let o = &self.origin;
        out.push_str("v=0\r\no=");
        out.push_str(&o.username);
        out.push(' ');
        push_u64(out, o.session_id);
        out.push(' ');
        push_u64(out, o.session_version);
        for part in [&o.net_type, &o.addr_type, &o.address] {
            out.push(' ');
            out.push_str(part);
        }
        out.push_str("\r\n");
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
            out.push_str("t=");
            push_u64(out, t.start);
            out.push(' ');
            push_u64(out, t.stop);
            out.push_str("\r\n");
            for r in &t.repeats {
                out.push_str("r=");
                r.interval.write_to(out);
                out.push(' ');
                r.duration.write_to(out);
                for o in &r.offsets {
                    out.push(' ');
                    o.write_to(out);
                }
                out.push_str("\r\n");
            }
        }
        if !self.time_zones.is_empty() {
            out.push_str("z=");
            for (i, z) in self.time_zones.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                push_u64(out, z.adjustment_time);
                out.push(' ');
                z.offset.write_to(out);
            }
            out.push_str("\r\n");
        }
        if let Some(k) = &self.key {
            line(out, "k=", k);
        }
        attributes(out, &self.attributes);
        for m in &self.media {
            m.write_to(out);
        }
    }
}

impl MediaDescription<'_> {
    /// Appends the media section as SDP text, from its `m=` line on, each line ending in CRLF.
    pub fn write_to(&self, out: &mut String) {
        out.push_str("m=");
        out.push_str(self.kind.as_str());
        out.push(' ');
        push_u64(out, self.port.into());
        if let Some(n) = self.port_count {
            out.push('/');
            push_u64(out, n.into());
        }
        out.push(' ');
        out.push_str(&self.protocol);
        for fmt in &self.formats {
            out.push(' ');
            out.push_str(fmt);
        }
        out.push_str("\r\n");
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
        let mut out = String::with_capacity(self.size_hint());
        self.write_to(&mut out);
        f.write_str(&out)
    }
}

impl fmt::Display for MediaDescription<'_> {
    /// The media section as SDP text, from its `m=` line on, each line ending in CRLF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(1024);
        self.write_to(&mut out);
        f.write_str(&out)
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
