//! Integration tests of nutshell-peer: JSEP against browser fixtures and between two cores,
//! and two cores connected through netsim.

mod connect;
mod hostile;
mod jsep;
mod support;
