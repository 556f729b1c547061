//! The whole DTLS client state machine fed arbitrary datagrams after a valid prefix; see
//! `dtls_machine.rs`.
#![no_main]

#[path = "dtls_machine.rs"]
mod dtls_machine;

use libfuzzer_sys::fuzz_target;
use nutshell_dtls::Role;

fuzz_target!(|data: &[u8]| dtls_machine::run(data, Role::Client));
