//! Text to model: the line scanner and the parsers of the non-attribute lines.

use std::borrow::Cow;

use crate::attribute::Attribute;
use crate::error::{Error, Limits};
use crate::session::{
    Bandwidth, Connection, MediaDescription, MediaKind, Origin, Repeat, SessionDescription,
    TimeUnit, TimeZone, Timing, TypedTime,
};
use crate::text::{Fields, parse_num, split_at_byte, split_byte};

/// Where the parser is in RFC 8866's grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Expecting `v=`.
    Version,
    /// Expecting `o=`.
    Origin,
    /// Expecting `s=`.
    Name,
    /// In the session section, after `s=`.
    Session,
    /// In a media section.
    Media,
}

pub(crate) fn parse<'a>(text: &'a str, limits: &Limits) -> Result<SessionDescription<'a>, Error> {
    if text.len() > limits.max_size {
        return Err(Error::TooLarge {
            size: text.len(),
            limit: limits.max_size,
        });
    }
    let mut phase = Phase::Version;
    let mut sd = SessionDescription::new(0);
    sd.times.clear();
    let mut n = 0usize;
    let mut rest = text;
    while !rest.is_empty() {
        let raw = match split_at_byte(rest, b'\n') {
            Some((line, after)) => {
                rest = after;
                line
            }
            None => std::mem::take(&mut rest),
        };
        n += 1;
        if n > limits.max_lines {
            return Err(Error::TooManyLines {
                line: n,
                limit: limits.max_lines,
            });
        }
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.len() > limits.max_line_length {
            return Err(Error::LineTooLong {
                line: n,
                limit: limits.max_line_length,
            });
        }
        if line.is_empty() {
            // Blank lines carry nothing; tolerate them (some stacks end with one).
            continue;
        }
        let (kind, value) = split_line(line).ok_or(Error::NotALine { line: n })?;
        match phase {
            Phase::Version => {
                if kind != 'v' {
                    return Err(Error::UnexpectedLine {
                        line: n,
                        kind,
                        expected: "v= first",
                    });
                }
                if value != "0" {
                    return Err(Error::UnsupportedVersion { line: n });
                }
                phase = Phase::Origin;
            }
            Phase::Origin => {
                if kind != 'o' {
                    return Err(Error::MissingLine {
                        line: n,
                        expected: "o=",
                    });
                }
                sd.origin = parse_origin(value).ok_or(Error::InvalidField {
                    line: n,
                    kind,
                    expected: "`<username> <sess-id> <sess-version> <nettype> <addrtype> <address>`",
                })?;
                phase = Phase::Name;
            }
            Phase::Name => {
                if kind != 's' {
                    return Err(Error::MissingLine {
                        line: n,
                        expected: "s=",
                    });
                }
                sd.session_name = Cow::Borrowed(value);
                phase = Phase::Session;
            }
            Phase::Session => match kind {
                'a' => Attribute::parse_into(value, n, &mut sd.attributes)?,
                'm' => {
                    push_media(&mut sd, value, n, limits)?;
                    phase = Phase::Media;
                }
                'i' => set_once(&mut sd.information, value, n, kind)?,
                'u' => set_once(&mut sd.uri, value, n, kind)?,
                'e' => sd.emails.push(Cow::Borrowed(value)),
                'p' => sd.phones.push(Cow::Borrowed(value)),
                'c' => {
                    if sd.connection.is_some() {
                        return Err(Error::DuplicateLine { line: n, kind });
                    }
                    sd.connection = Some(parse_connection(value, n)?);
                }
                'b' => sd.bandwidths.push(parse_bandwidth(value, n)?),
                't' => sd.times.push(parse_timing(value, n)?),
                'r' => {
                    let repeat = parse_repeat(value, n)?;
                    let timing = sd.times.last_mut().ok_or(Error::UnexpectedLine {
                        line: n,
                        kind,
                        expected: "r= only after a t= line",
                    })?;
                    timing.repeats.push(repeat);
                }
                'z' => {
                    if !sd.time_zones.is_empty() {
                        return Err(Error::DuplicateLine { line: n, kind });
                    }
                    sd.time_zones = parse_zones(value, n)?;
                }
                'k' => set_once(&mut sd.key, value, n, kind)?,
                'v' | 'o' | 's' => return Err(Error::DuplicateLine { line: n, kind }),
                _ => return Err(Error::UnknownLineType { line: n, kind }),
            },
            Phase::Media => {
                // A media section exists: push_media put it there.
                let Some(m) = sd.media.last_mut() else {
                    return Err(Error::NotALine { line: n });
                };
                match kind {
                    'a' => Attribute::parse_into(value, n, &mut m.attributes)?,
                    'm' => push_media(&mut sd, value, n, limits)?,
                    'i' => set_once(&mut m.information, value, n, kind)?,
                    'c' => m.connections.push(parse_connection(value, n)?),
                    'b' => m.bandwidths.push(parse_bandwidth(value, n)?),
                    'k' => set_once(&mut m.key, value, n, kind)?,
                    'v' | 'o' | 's' | 'u' | 'e' | 'p' | 't' | 'r' | 'z' => {
                        return Err(Error::UnexpectedLine {
                            line: n,
                            kind,
                            expected: "m=, i=, c=, b=, k= or a= in a media section",
                        });
                    }
                    _ => return Err(Error::UnknownLineType { line: n, kind }),
                }
            }
        }
    }
    match phase {
        Phase::Version => Err(Error::Empty),
        // The input ended where the line was expected: name the line after the last.
        Phase::Origin => Err(Error::MissingLine {
            line: n + 1,
            expected: "o=",
        }),
        Phase::Name => Err(Error::MissingLine {
            line: n + 1,
            expected: "s=",
        }),
        Phase::Session | Phase::Media => Ok(sd),
    }
}

/// Splits `x=value` into the type letter and the value.
fn split_line(line: &str) -> Option<(char, &str)> {
    match line.as_bytes() {
        // Two ASCII bytes, so index 2 is a char boundary.
        [kind @ b'a'..=b'z', b'=', ..] => Some((char::from(*kind), line.get(2..)?)),
        _ => None,
    }
}

fn set_once<'a>(
    slot: &mut Option<Cow<'a, str>>,
    value: &'a str,
    line: usize,
    kind: char,
) -> Result<(), Error> {
    if slot.is_some() {
        return Err(Error::DuplicateLine { line, kind });
    }
    *slot = Some(Cow::Borrowed(value));
    Ok(())
}

fn push_media<'a>(
    sd: &mut SessionDescription<'a>,
    value: &'a str,
    line: usize,
    limits: &Limits,
) -> Result<(), Error> {
    if sd.media.len() >= limits.max_media {
        return Err(Error::TooManyMedia {
            line,
            limit: limits.max_media,
        });
    }
    sd.media.push(parse_media(value, line)?);
    Ok(())
}

fn parse_origin(v: &str) -> Option<Origin<'_>> {
    let mut f = Fields::new(v);
    let origin = Origin {
        username: Cow::Borrowed(f.next()?),
        session_id: parse_num(f.next()?)?,
        session_version: parse_num(f.next()?)?,
        net_type: Cow::Borrowed(f.next()?),
        addr_type: Cow::Borrowed(f.next()?),
        address: Cow::Borrowed(f.next()?),
    };
    f.next().is_none().then_some(origin)
}

fn parse_connection(v: &str, line: usize) -> Result<Connection<'_>, Error> {
    let err = Error::InvalidField {
        line,
        kind: 'c',
        expected: "`<nettype> <addrtype> <address>[/<ttl>][/<count>]`",
    };
    let mut f = Fields::new(v);
    let (Some(net_type), Some(addr_type), Some(addr), None) =
        (f.next(), f.next(), f.next(), f.next())
    else {
        return Err(err);
    };
    let mut parts = split_byte(addr, b'/');
    let address = parts.next().filter(|a| !a.is_empty()).ok_or(err.clone())?;
    let first = parts.next();
    let second = parts.next();
    if parts.next().is_some() {
        return Err(err);
    }
    let num = |s: Option<&str>| -> Result<Option<u32>, Error> {
        s.map(|s| parse_num(s).ok_or(err.clone())).transpose()
    };
    let (ttl, count) = if addr_type == "IP6" {
        if second.is_some() {
            return Err(err);
        }
        (None, num(first)?)
    } else {
        let ttl = first
            .map(|s| parse_num::<u8>(s).ok_or(err.clone()))
            .transpose()?;
        (ttl, num(second)?)
    };
    Ok(Connection {
        net_type: Cow::Borrowed(net_type),
        addr_type: Cow::Borrowed(addr_type),
        address: Cow::Borrowed(address),
        ttl,
        count,
    })
}

fn parse_bandwidth(v: &str, line: usize) -> Result<Bandwidth<'_>, Error> {
    let (kind, value) = split_at_byte(v, b':')
        .and_then(|(k, n)| Some((k, parse_num(n)?)))
        .filter(|(k, _)| !k.is_empty() && !k.contains(' '))
        .ok_or(Error::InvalidField {
            line,
            kind: 'b',
            expected: "`<bwtype>:<bandwidth>`",
        })?;
    Ok(Bandwidth {
        kind: Cow::Borrowed(kind),
        value,
    })
}

fn parse_timing(v: &str, line: usize) -> Result<Timing, Error> {
    let mut f = Fields::new(v);
    match (
        f.next().and_then(parse_num),
        f.next().and_then(parse_num),
        f.next(),
    ) {
        (Some(start), Some(stop), None) => Ok(Timing {
            start,
            stop,
            repeats: Vec::new(),
        }),
        _ => Err(Error::InvalidField {
            line,
            kind: 't',
            expected: "`<start time> <stop time>`",
        }),
    }
}

/// `7d`, `-1h`, `3600`.
fn parse_typed_time(s: &str) -> Option<TypedTime> {
    let (num, unit) = match s.as_bytes().last()? {
        b'd' => (s.strip_suffix('d')?, Some(TimeUnit::Days)),
        b'h' => (s.strip_suffix('h')?, Some(TimeUnit::Hours)),
        b'm' => (s.strip_suffix('m')?, Some(TimeUnit::Minutes)),
        b's' => (s.strip_suffix('s')?, Some(TimeUnit::Seconds)),
        _ => (s, None),
    };
    let (negative, digits) = match num.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, num),
    };
    let magnitude: i64 = parse_num(digits)?;
    let value = if negative { -magnitude } else { magnitude };
    Some(TypedTime { value, unit })
}

fn parse_repeat(v: &str, line: usize) -> Result<Repeat, Error> {
    let err = Error::InvalidField {
        line,
        kind: 'r',
        expected: "`<repeat interval> <active duration> <offset>...` in typed times",
    };
    let mut times = Fields::new(v).map(parse_typed_time);
    let interval = times.next().flatten().ok_or(err.clone())?;
    let duration = times.next().flatten().ok_or(err.clone())?;
    let offsets = times.collect::<Option<Vec<_>>>().ok_or(err)?;
    Ok(Repeat {
        interval,
        duration,
        offsets,
    })
}

fn parse_zones(v: &str, line: usize) -> Result<Vec<TimeZone>, Error> {
    let err = Error::InvalidField {
        line,
        kind: 'z',
        expected: "`<adjustment time> <offset>` pairs",
    };
    let mut f = Fields::new(v);
    let mut zones = Vec::new();
    while let Some(time) = f.next() {
        let adjustment_time = parse_num(time).ok_or(err.clone())?;
        let offset = f.next().and_then(parse_typed_time).ok_or(err.clone())?;
        zones.push(TimeZone {
            adjustment_time,
            offset,
        });
    }
    if zones.is_empty() {
        return Err(err);
    }
    Ok(zones)
}

fn parse_media(v: &str, line: usize) -> Result<MediaDescription<'_>, Error> {
    let err = Error::InvalidField {
        line,
        kind: 'm',
        expected: "`<media> <port>[/<count>] <proto> <fmt>...`",
    };
    let mut f = Fields::new(v);
    let kind = match f.next().ok_or(err.clone())? {
        "audio" => MediaKind::Audio,
        "video" => MediaKind::Video,
        "application" => MediaKind::Application,
        "text" => MediaKind::Text,
        "message" => MediaKind::Message,
        other => MediaKind::Other(Cow::Borrowed(other)),
    };
    let port_text = f.next().ok_or(err.clone())?;
    let (port, port_count) = match split_at_byte(port_text, b'/') {
        Some((p, c)) => (p, Some(parse_num(c).ok_or(err.clone())?)),
        None => (port_text, None),
    };
    let port = parse_num(port).ok_or(err.clone())?;
    let protocol = f.next().ok_or(err)?;
    // Size the format list once (a Chrome video section has twenty-odd payload types).
    let mut formats = Vec::with_capacity(f.rest().bytes().filter(|&b| b == b' ').count() + 1);
    formats.extend(f.map(Cow::Borrowed));
    Ok(MediaDescription {
        kind,
        port,
        port_count,
        protocol: Cow::Borrowed(protocol),
        formats,
        information: None,
        connections: Vec::new(),
        bandwidths: Vec::new(),
        key: None,
        // Browser media sections carry 20 to 60 attributes: start big enough to skip the
        // first few doublings of the vector.
        attributes: Vec::with_capacity(32),
    })
}
