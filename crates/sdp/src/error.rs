//! Errors and the limits that bound hostile input.

/// Why a description (or a lone candidate) could not be parsed.
///
/// Every variant that concerns a particular line carries its 1-based number, counted in the
/// input as given (blank lines included), and says what the parser expected there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is larger than [`Limits::max_size`].
    #[error("SDP of {size} bytes is over the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// A line is longer than [`Limits::max_line_length`].
    #[error("line {line}: longer than the limit of {limit} bytes")]
    LineTooLong {
        /// 1-based line number.
        line: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The input has more lines than [`Limits::max_lines`].
    #[error("line {line}: more lines than the limit of {limit}")]
    TooManyLines {
        /// 1-based number of the first line over the limit.
        line: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The input has more `m=` sections than [`Limits::max_media`].
    #[error("line {line}: more media sections than the limit of {limit}")]
    TooManyMedia {
        /// 1-based line number of the first `m=` line over the limit.
        line: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The input holds no lines at all.
    #[error("empty SDP: expected a v= line")]
    Empty,
    /// A line is not of the form `<letter>=<value>`.
    #[error("line {line}: expected `<type letter>=<value>`")]
    NotALine {
        /// 1-based line number.
        line: usize,
    },
    /// A line's type letter is not one RFC 8866 defines.
    #[error("line {line}: unknown line type `{kind}=`")]
    UnknownLineType {
        /// 1-based line number.
        line: usize,
        /// The letter found.
        kind: char,
    },
    /// A line stands where the grammar does not allow it (e.g. `o=` not second, `t=` in a
    /// media section).
    #[error("line {line}: `{kind}=` is not allowed here, expected {expected}")]
    UnexpectedLine {
        /// 1-based line number.
        line: usize,
        /// The letter found.
        kind: char,
        /// What the grammar allows at that point.
        expected: &'static str,
    },
    /// A line that may appear once per section appears again.
    #[error("line {line}: a second `{kind}=` line in the same section")]
    DuplicateLine {
        /// 1-based line number of the second occurrence.
        line: usize,
        /// The letter.
        kind: char,
    },
    /// `v=` holds something other than `0`.
    #[error("line {line}: expected protocol version 0")]
    UnsupportedVersion {
        /// 1-based line number.
        line: usize,
    },
    /// A required line is missing (`o=` or `s=`).
    #[error("line {line}: missing the {expected} line")]
    MissingLine {
        /// 1-based line number where it was expected.
        line: usize,
        /// The missing line, e.g. "o=".
        expected: &'static str,
    },
    /// A field of a non-attribute line (`o=`, `c=`, `m=`, `t=`...) is malformed.
    #[error("line {line}: malformed `{kind}=` line, expected {expected}")]
    InvalidField {
        /// 1-based line number.
        line: usize,
        /// The line's letter.
        kind: char,
        /// What the grammar wanted.
        expected: &'static str,
    },
    /// A known attribute's value is malformed (e.g. `a=rtpmap:x`).
    #[error("line {line}: malformed a={name}, expected {expected}")]
    InvalidAttribute {
        /// 1-based line number (1 for a lone candidate string).
        line: usize,
        /// The attribute's name.
        name: &'static str,
        /// What the grammar wanted.
        expected: &'static str,
    },
}

impl Error {
    /// The 1-based line number the error concerns, where there is one.
    pub fn line(&self) -> Option<usize> {
        match self {
            Error::TooLarge { .. } | Error::Empty => None,
            Error::LineTooLong { line, .. }
            | Error::TooManyLines { line, .. }
            | Error::TooManyMedia { line, .. }
            | Error::NotALine { line }
            | Error::UnknownLineType { line, .. }
            | Error::UnexpectedLine { line, .. }
            | Error::DuplicateLine { line, .. }
            | Error::UnsupportedVersion { line }
            | Error::MissingLine { line, .. }
            | Error::InvalidField { line, .. }
            | Error::InvalidAttribute { line, .. } => Some(*line),
        }
    }
}

/// Bounds on what the parser accepts, so that a hostile peer cannot make it work or allocate
/// without limit. Each has its own [`Error`] variant.
///
/// The defaults are far above what any browser emits (a Chrome offer with 50 simulcast video
/// tracks is about 150 KB) and far below what would hurt a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest input in bytes. Default 1 MiB.
    pub max_size: usize,
    /// Longest line in bytes, without its line ending. Default 8 KiB.
    pub max_line_length: usize,
    /// Most lines, blank ones included. Default 20 000.
    pub max_lines: usize,
    /// Most `m=` sections. Default 1 024.
    pub max_media: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_size: 1 << 20,
            max_line_length: 8 << 10,
            max_lines: 20_000,
            max_media: 1_024,
        }
    }
}
