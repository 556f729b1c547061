//! dtls benches: written in issue work, see README.
fn main() {}
