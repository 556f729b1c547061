//! NATs in RFC 4787 terms: mapping behaviour, filtering behaviour, mapping lifetime, port
//! allocation and hairpinning.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use proto::Protocol;

use crate::rng::Rng;

/// How a NAT maps and filters, named by the classic cone terms with their RFC 4787 meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NatBehavior {
    /// Full cone: endpoint-independent mapping (RFC 4787 §4.1, EIM) and endpoint-independent
    /// filtering (§5, EIF). Once an internal endpoint has sent anything, anyone may reach it
    /// at its mapped address.
    EndpointIndependent,
    /// Address-restricted cone: EIM and address-dependent filtering (ADF). Inbound traffic is
    /// accepted from any port of an IP address the internal endpoint has sent to.
    AddressRestricted,
    /// Port-restricted cone: EIM and address-and-port-dependent filtering (APDF). Inbound
    /// traffic is accepted only from exact endpoints the internal endpoint has sent to.
    PortRestricted,
    /// Symmetric: address-and-port-dependent mapping (APDM, a new public port per
    /// destination endpoint) and APDF.
    Symmetric,
}

impl NatBehavior {
    /// Every behaviour, for test matrices.
    pub const ALL: [NatBehavior; 4] = [
        NatBehavior::EndpointIndependent,
        NatBehavior::AddressRestricted,
        NatBehavior::PortRestricted,
        NatBehavior::Symmetric,
    ];
}

/// How a NAT picks the public port of a new mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortAllocation {
    /// The next free port counting up from `start` (wrapping to 1024 after 65535).
    Sequential {
        /// First port handed out.
        start: u16,
    },
    /// A free port drawn from the network's seeded PRNG in `1024..=65535`.
    Random,
}

/// A NAT's configuration, for [`Network::add_nat`](crate::Network::add_nat).
///
/// ```
/// use std::net::{IpAddr, Ipv4Addr};
/// use nutshell_netsim::{NatBehavior, NatConfig};
/// let cfg = NatConfig::new(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 1)), NatBehavior::Symmetric);
/// assert!(!cfg.hairpin);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatConfig {
    /// The NAT's one public address.
    pub public_ip: IpAddr,
    /// Mapping and filtering behaviour.
    pub behavior: NatBehavior,
    /// A mapping (and its filter permissions) dies this long after its last outbound datagram
    /// (RFC 4787 §4.3; inbound traffic does not refresh it). Default 120 s.
    pub mapping_timeout: Duration,
    /// Whether datagrams from inside to the NAT's own public address are looped back to the
    /// mapped internal endpoint (RFC 4787 §6). Default `false`.
    pub hairpin: bool,
    /// Public port choice for new mappings. Default sequential from 40000.
    pub port_allocation: PortAllocation,
}

impl NatConfig {
    /// A NAT with the given public address and behaviour and the defaults above.
    pub fn new(public_ip: IpAddr, behavior: NatBehavior) -> Self {
        Self {
            public_ip,
            behavior,
            mapping_timeout: Duration::from_secs(120),
            hairpin: false,
            port_allocation: PortAllocation::Sequential { start: 40000 },
        }
    }
}

/// A protocol as a sortable key (the proto enum is not `Ord`).
fn proto_key(p: Protocol) -> u8 {
    match p {
        Protocol::Udp => 17,
        Protocol::Tcp => 6,
    }
}

/// Key of the outbound lookup: who is inside, and (for APDM) to whom it sends.
type OutKey = (u8, SocketAddr, Option<SocketAddr>);

#[derive(Debug, Clone)]
struct Mapping {
    out_key: OutKey,
    internal: SocketAddr,
    last_outbound: Instant,
    /// Remote endpoints this mapping has sent to (the filter's permissions).
    permits: BTreeSet<SocketAddr>,
}

/// Why a NAT refused a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NatRefusal {
    /// No free public port for a new mapping.
    NoPort,
    /// Inbound: no live mapping, or the filter does not permit the source.
    Filtered,
}

/// A NAT's live state.
#[derive(Debug, Clone)]
pub(crate) struct Nat {
    pub(crate) config: NatConfig,
    /// Public (protocol, port) -> mapping.
    by_port: BTreeMap<(u8, u16), Mapping>,
    /// Outbound key -> public port.
    by_out: BTreeMap<OutKey, u16>,
    next_port: u16,
}

impl Nat {
    pub(crate) fn new(config: NatConfig) -> Self {
        let next_port = match config.port_allocation {
            PortAllocation::Sequential { start } => start,
            PortAllocation::Random => 1024,
        };
        Self {
            config,
            by_port: BTreeMap::new(),
            by_out: BTreeMap::new(),
            next_port,
        }
    }

    /// Number of live mappings at `now`.
    pub(crate) fn mapping_count(&self, now: Instant) -> usize {
        self.by_port
            .values()
            .filter(|m| !self.expired(m, now))
            .count()
    }

    fn expired(&self, m: &Mapping, now: Instant) -> bool {
        now.saturating_duration_since(m.last_outbound) >= self.config.mapping_timeout
    }

    fn remove_port(&mut self, key: (u8, u16)) {
        if let Some(m) = self.by_port.remove(&key) {
            self.by_out.remove(&m.out_key);
        }
    }

    /// The public port `internal` is mapped to for traffic to `remote`, if a live mapping
    /// exists (a pure look-up, for tests and assertions).
    pub(crate) fn lookup(
        &self,
        protocol: Protocol,
        internal: SocketAddr,
        remote: SocketAddr,
        now: Instant,
    ) -> Option<SocketAddr> {
        let key = self.out_key(protocol, internal, remote);
        let port = *self.by_out.get(&key)?;
        let m = self.by_port.get(&(key.0, port))?;
        if self.expired(m, now) {
            None
        } else {
            Some(SocketAddr::new(self.config.public_ip, port))
        }
    }

    fn out_key(&self, protocol: Protocol, internal: SocketAddr, remote: SocketAddr) -> OutKey {
        let dependent = match self.config.behavior {
            NatBehavior::Symmetric => Some(remote),
            _ => None,
        };
        (proto_key(protocol), internal, dependent)
    }

    /// Outbound translation: find or create the mapping of `internal` for `remote`, refresh
    /// it, permit `remote`, and return the public source address.
    pub(crate) fn outbound(
        &mut self,
        protocol: Protocol,
        internal: SocketAddr,
        remote: SocketAddr,
        now: Instant,
        rng: &mut Rng,
    ) -> Result<SocketAddr, NatRefusal> {
        let key = self.out_key(protocol, internal, remote);
        let pk = key.0;
        let existing = self.by_out.get(&key).copied();
        let port = match existing {
            Some(port) => {
                let live = self
                    .by_port
                    .get(&(pk, port))
                    .is_some_and(|m| !self.expired(m, now));
                if live {
                    port
                } else {
                    self.remove_port((pk, port));
                    self.allocate(pk, key, internal, now, rng)?
                }
            }
            None => self.allocate(pk, key, internal, now, rng)?,
        };
        if let Some(m) = self.by_port.get_mut(&(pk, port)) {
            m.last_outbound = now;
            m.permits.insert(remote);
        }
        Ok(SocketAddr::new(self.config.public_ip, port))
    }

    fn port_free(&mut self, pk: u8, port: u16, now: Instant) -> bool {
        if port < 1024 {
            return false;
        }
        match self.by_port.get(&(pk, port)) {
            None => true,
            Some(m) if self.expired(m, now) => {
                self.remove_port((pk, port));
                true
            }
            Some(_) => false,
        }
    }

    fn allocate(
        &mut self,
        pk: u8,
        key: OutKey,
        internal: SocketAddr,
        now: Instant,
        rng: &mut Rng,
    ) -> Result<u16, NatRefusal> {
        const PORTS: u32 = 65536 - 1024;
        let mut chosen = None;
        match self.config.port_allocation {
            PortAllocation::Sequential { .. } => {
                for _ in 0..PORTS {
                    let p = self.next_port;
                    self.next_port = if p == u16::MAX { 1024 } else { p + 1 };
                    if self.port_free(pk, p, now) {
                        chosen = Some(p);
                        break;
                    }
                }
            }
            PortAllocation::Random => {
                for _ in 0..64 {
                    let p = 1024 + rng.below(u64::from(PORTS)) as u16;
                    if self.port_free(pk, p, now) {
                        chosen = Some(p);
                        break;
                    }
                }
                if chosen.is_none() {
                    // Crowded: scan from a random start so a free port is always found.
                    let start = rng.below(u64::from(PORTS)) as u32;
                    for i in 0..PORTS {
                        let p = (1024 + (start + i) % PORTS) as u16;
                        if self.port_free(pk, p, now) {
                            chosen = Some(p);
                            break;
                        }
                    }
                }
            }
        }
        let port = chosen.ok_or(NatRefusal::NoPort)?;
        self.by_port.insert(
            (pk, port),
            Mapping {
                out_key: key,
                internal,
                last_outbound: now,
                permits: BTreeSet::new(),
            },
        );
        self.by_out.insert(key, port);
        Ok(port)
    }

    /// Inbound translation of a datagram from `remote` to the public `port`: the internal
    /// endpoint, if a live mapping exists and its filter lets `remote` in.
    pub(crate) fn inbound(
        &mut self,
        protocol: Protocol,
        remote: SocketAddr,
        port: u16,
        now: Instant,
    ) -> Result<SocketAddr, NatRefusal> {
        let pk = proto_key(protocol);
        let Some(m) = self.by_port.get(&(pk, port)) else {
            return Err(NatRefusal::Filtered);
        };
        if self.expired(m, now) {
            self.remove_port((pk, port));
            return Err(NatRefusal::Filtered);
        }
        let allowed = match self.config.behavior {
            NatBehavior::EndpointIndependent => true,
            NatBehavior::AddressRestricted => m.permits.iter().any(|p| p.ip() == remote.ip()),
            NatBehavior::PortRestricted | NatBehavior::Symmetric => m.permits.contains(&remote),
        };
        if allowed {
            Ok(m.internal)
        } else {
            Err(NatRefusal::Filtered)
        }
    }
}
