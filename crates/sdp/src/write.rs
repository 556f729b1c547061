//! Model to text: `Display` for descriptions, in RFC 8866 §5 line order, CRLF endings.

use std::fmt;

use crate::attribute::Attribute;
use crate::session::{
    Bandwidth, Connection, MediaDescription, SessionDescription, TimeUnit, TypedTime,
};

impl fmt::Display for TypedTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value)?;
        match self.unit {
            None => Ok(()),
            Some(TimeUnit::Days) => f.write_str("d"),
            Some(TimeUnit::Hours) => f.write_str("h"),
            Some(TimeUnit::Minutes) => f.write_str("m"),
            Some(TimeUnit::Seconds) => f.write_str("s"),
        }
    }
}

impl fmt::Display for Connection<'_> {
    /// The value of a `c=` line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.net_type, self.addr_type, self.address)?;
        if let Some(ttl) = self.ttl {
            write!(f, "/{ttl}")?;
        }
        if let Some(count) = self.count {
            write!(f, "/{count}")?;
        }
        Ok(())
    }
}

fn line(f: &mut fmt::Formatter<'_>, kind: &str, value: &str) -> fmt::Result {
    f.write_str(kind)?;
    f.write_str(value)?;
    f.write_str("\r\n")
}

fn bandwidths(f: &mut fmt::Formatter<'_>, list: &[Bandwidth<'_>]) -> fmt::Result {
    for b in list {
        write!(f, "b={}:{}\r\n", b.kind, b.value)?;
    }
    Ok(())
}

fn attributes(f: &mut fmt::Formatter<'_>, list: &[Attribute<'_>]) -> fmt::Result {
    for a in list {
        f.write_str("a=")?;
        fmt::Display::fmt(a, f)?;
        f.write_str("\r\n")?;
    }
    Ok(())
}

impl fmt::Display for SessionDescription<'_> {
    /// The description as SDP text, each line ending in CRLF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.origin;
        f.write_str("v=0\r\n")?;
        write!(
            f,
            "o={} {} {} {} {} {}\r\n",
            o.username, o.session_id, o.session_version, o.net_type, o.addr_type, o.address
        )?;
        line(f, "s=", &self.session_name)?;
        if let Some(i) = &self.information {
            line(f, "i=", i)?;
        }
        if let Some(u) = &self.uri {
            line(f, "u=", u)?;
        }
        for e in &self.emails {
            line(f, "e=", e)?;
        }
        for p in &self.phones {
            line(f, "p=", p)?;
        }
        if let Some(c) = &self.connection {
            write!(f, "c={c}\r\n")?;
        }
        bandwidths(f, &self.bandwidths)?;
        for t in &self.times {
            write!(f, "t={} {}\r\n", t.start, t.stop)?;
            for r in &t.repeats {
                write!(f, "r={} {}", r.interval, r.duration)?;
                for o in &r.offsets {
                    write!(f, " {o}")?;
                }
                f.write_str("\r\n")?;
            }
        }
        if !self.time_zones.is_empty() {
            f.write_str("z=")?;
            for (i, z) in self.time_zones.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{} {}", z.adjustment_time, z.offset)?;
            }
            f.write_str("\r\n")?;
        }
        if let Some(k) = &self.key {
            line(f, "k=", k)?;
        }
        attributes(f, &self.attributes)?;
        for m in &self.media {
            fmt::Display::fmt(m, f)?;
        }
        Ok(())
    }
}

impl fmt::Display for MediaDescription<'_> {
    /// The media section as SDP text, from its `m=` line on, each line ending in CRLF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m={} {}", self.kind.as_str(), self.port)?;
        if let Some(n) = self.port_count {
            write!(f, "/{n}")?;
        }
        f.write_str(" ")?;
        f.write_str(&self.protocol)?;
        for fmt in &self.formats {
            f.write_str(" ")?;
            f.write_str(fmt)?;
        }
        f.write_str("\r\n")?;
        if let Some(i) = &self.information {
            line(f, "i=", i)?;
        }
        for c in &self.connections {
            write!(f, "c={c}\r\n")?;
        }
        bandwidths(f, &self.bandwidths)?;
        if let Some(k) = &self.key {
            line(f, "k=", k)?;
        }
        attributes(f, &self.attributes)
    }
}
