//! Cross-crate and interop tests of nutshell live in this package's `tests/` directory, one
//! binary per area. This library holds shared helpers for them.
