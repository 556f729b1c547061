//! Small text helpers shared by the line and attribute parsers.

use std::borrow::Cow;

/// Space-separated fields of a value, skipping runs of spaces, with access to the unsplit rest.
#[derive(Debug, Clone)]
pub(crate) struct Fields<'a> {
    rest: &'a str,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(s: &'a str) -> Self {
        Fields { rest: s }
    }

    /// Everything not yet split off, without leading spaces (trailing ones are kept).
    pub(crate) fn rest(&self) -> &'a str {
        skip_spaces(self.rest)
    }
}

/// `s` without leading spaces.
#[inline]
fn skip_spaces(s: &str) -> &str {
    let n = s.bytes().take_while(|&b| b == b' ').count();
    s.get(n..).unwrap_or_default()
}

/// Pieces of a string between occurrences of an ASCII byte, like `str::split` with a `char`
/// but using [`find_byte`].
#[derive(Debug, Clone)]
pub(crate) struct SplitByte<'a> {
    rest: Option<&'a str>,
    byte: u8,
}

/// Splits `s` at every `byte`.
pub(crate) fn split_byte(s: &str, byte: u8) -> SplitByte<'_> {
    SplitByte {
        rest: Some(s),
        byte,
    }
}

impl<'a> Iterator for SplitByte<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        match split_at_byte(s, self.byte) {
            Some((piece, rest)) => {
                self.rest = Some(rest);
                Some(piece)
            }
            None => {
                self.rest = None;
                Some(s)
            }
        }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        // Fields are almost always separated by exactly one space: check before looping.
        let s = match self.rest.as_bytes().first() {
            Some(b' ') => skip_spaces(self.rest),
            _ => self.rest,
        };
        if s.is_empty() {
            self.rest = s;
            return None;
        }
        match split_at_byte(s, b' ') {
            Some((field, rest)) => {
                self.rest = rest;
                Some(field)
            }
            None => {
                self.rest = "";
                Some(s)
            }
        }
    }
}

/// Index of the first `byte` in `s`.
///
/// SDP lines and fields are short (a few to a few dozen bytes), where the start-up cost of
/// `memchr` (what `str::split_once` uses) dominates. This looks at eight bytes per step with
/// the classic SWAR "has zero byte" test on `word ^ pattern`: the lowest flagged byte is
/// exactly the first match (borrows only propagate upwards).
#[inline]
pub(crate) fn find_byte(s: &str, byte: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO * u64::from(byte);
    let bytes = s.as_bytes();
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(word) ^ pattern;
        let found = x.wrapping_sub(LO) & !x & HI;
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    let tail = bytes.get(offset..)?;
    tail.iter().position(|&b| b == byte).map(|i| offset + i)
}

/// `s` split around its first `byte` (an ASCII byte, so both sides are valid UTF-8).
#[inline]
pub(crate) fn split_at_byte(s: &str, byte: u8) -> Option<(&str, &str)> {
    let i = find_byte(s, byte)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// Parses an unsigned decimal of ASCII digits only (no sign, no spaces), checking overflow.
pub(crate) fn parse_num<T: TryFrom<u64>>(s: &str) -> Option<T> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s.len() <= 9 {
        // Nine digits cannot overflow a u32: no checks inside the loop.
        let mut n: u32 = 0;
        for b in s.bytes() {
            let digit = b.wrapping_sub(b'0');
            if digit > 9 {
                return None;
            }
            n = n * 10 + u32::from(digit);
        }
        return T::try_from(u64::from(n)).ok();
    }
    let mut n: u64 = 0;
    for b in s.bytes() {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(digit))?;
    }
    T::try_from(n).ok()
}

/// Appends `s`.
#[inline]
pub(crate) fn push_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
}

/// Appends the decimal text of `n`, without going through `fmt`.
pub(crate) fn push_u64(out: &mut Vec<u8>, n: u64) {
    // `n % 10` is below 10, so the cast keeps it whole.
    if n < 10 {
        out.push(b'0' + n as u8);
        return;
    }
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    while n > 0 && i > 0 {
        i -= 1;
        if let Some(slot) = buf.get_mut(i) {
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
    }
    out.extend_from_slice(buf.get(i..).unwrap_or_default());
}

/// Runs `write` on a byte buffer and hands the text to `f`.
///
/// The writers append only `&str`s and ASCII bytes, so the buffer is always UTF-8; the check
/// here is one fast pass, and its error arm cannot be reached.
pub(crate) fn display_with(
    f: &mut std::fmt::Formatter<'_>,
    capacity: usize,
    write: impl FnOnce(&mut Vec<u8>),
) -> std::fmt::Result {
    let mut out = Vec::with_capacity(capacity);
    write(&mut out);
    f.write_str(std::str::from_utf8(&out).map_err(|_| std::fmt::Error)?)
}

/// Runs `write` on a byte buffer and appends the text to `s` (see [`display_with`]).
pub(crate) fn append_with(s: &mut String, write: impl FnOnce(&mut Vec<u8>)) {
    let mut out = std::mem::take(s).into_bytes();
    write(&mut out);
    *s = String::from_utf8(out).unwrap_or_else(|e| {
        // Unreachable (see above); keep what is valid rather than panic.
        String::from_utf8_lossy(e.as_bytes()).into_owned()
    });
}

/// Parses `digits[.digits]` as used by ptime, maxptime and framerate.
pub(crate) fn parse_decimal(s: &str) -> Option<f64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || (s.ends_with('.')) {
        return None;
    }
    s.parse().ok().filter(|v: &f64| v.is_finite())
}

/// Turns a possibly borrowed string into an owned one.
pub(crate) fn own(c: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(c.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_skip_runs_of_spaces_and_keep_the_rest() {
        let mut f = Fields::new("  a  b c  ");
        assert_eq!(f.next(), Some("a"));
        assert_eq!(f.rest(), "b c  ");
        assert_eq!(f.next(), Some("b"));
        assert_eq!(f.next(), Some("c"));
        assert_eq!(f.next(), None);
        assert_eq!(f.rest(), "");
    }

    #[test]
    fn find_byte_finds_the_first_match_at_every_position() {
        for len in 0..40 {
            for at in 0..len {
                let mut s = vec![b'a'; len];
                s[at] = b'\n';
                if at + 1 < len {
                    s[len - 1] = b'\n';
                }
                let s = String::from_utf8(s).unwrap();
                assert_eq!(find_byte(&s, b'\n'), Some(at), "{s:?}");
            }
            assert_eq!(find_byte(&"a".repeat(len), b'\n'), None);
        }
        // Bytes that differ from the pattern only in the high bit are not matches.
        assert_eq!(find_byte("\u{80}\u{80}\u{80}\u{80}:", b':'), Some(8));
    }

    #[test]
    fn numbers_are_digits_only() {
        assert_eq!(parse_num::<u8>("255"), Some(255));
        assert_eq!(parse_num::<u8>("256"), None);
        assert_eq!(parse_num::<u8>("+1"), None);
        assert_eq!(parse_num::<u8>(""), None);
        assert_eq!(parse_num::<u64>("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_num::<u64>("18446744073709551616"), None);
        assert_eq!(parse_num::<u64>("000000000000000000001"), None);
        for n in [0, 7, 10, 99, 100, 65535, u64::MAX] {
            let mut s = Vec::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string().as_bytes());
        }
        assert_eq!(parse_decimal("29.97"), Some(29.97));
        assert_eq!(parse_decimal("20"), Some(20.0));
        assert_eq!(parse_decimal("1."), None);
        assert_eq!(parse_decimal(".5"), None);
        assert_eq!(parse_decimal("1e3"), None);
    }
}
