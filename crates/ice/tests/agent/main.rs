//! nutshell-ice integration tests: two agents in memory on a virtual clock, over netsim, and
//! over real UDP sockets on loopback.

mod memory;
mod props;
mod sdp_conv;
mod sim;
mod sockets;
mod support;
