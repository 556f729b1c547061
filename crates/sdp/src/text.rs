//! Small text helpers shared by the line and attribute parsers.

use std::borrow::Cow;
use std::str::FromStr;

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
        self.rest.trim_start_matches(' ')
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest.trim_start_matches(' ');
        if s.is_empty() {
            self.rest = s;
            return None;
        }
        match s.split_once(' ') {
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

/// Parses an unsigned decimal of ASCII digits only (no sign, no spaces), checking overflow.
pub(crate) fn parse_num<T: FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
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
    fn numbers_are_digits_only() {
        assert_eq!(parse_num::<u8>("255"), Some(255));
        assert_eq!(parse_num::<u8>("256"), None);
        assert_eq!(parse_num::<u8>("+1"), None);
        assert_eq!(parse_num::<u8>(""), None);
        assert_eq!(parse_decimal("29.97"), Some(29.97));
        assert_eq!(parse_decimal("20"), Some(20.0));
        assert_eq!(parse_decimal("1."), None);
        assert_eq!(parse_decimal(".5"), None);
        assert_eq!(parse_decimal("1e3"), None);
    }
}
