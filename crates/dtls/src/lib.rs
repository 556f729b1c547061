//! nutshell-dtls: work in progress, see the workspace README.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod cert;
pub mod crypto;

mod error;
pub mod fragment;
pub mod message;
pub mod record;
mod srtp;

pub use error::{AlertDescription, AlertLevel, Error};
pub use srtp::{SrtpKeyingMaterial, SrtpProfile};
