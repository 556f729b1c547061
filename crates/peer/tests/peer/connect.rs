//! Two cores through netsim.
