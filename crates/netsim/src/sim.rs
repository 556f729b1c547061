//! The driver: state machines attached to hosts, run on the network's virtual clock.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use proto::{Receive, Transmit};

use crate::network::{Delivered, HostId, Network};

/// A sans-IO state machine in the house shape (`handle_receive`, `handle_timeout`,
/// `poll_transmit`, `poll_timeout`), attached to a host of a [`Sim`].
///
/// Every nutshell machine (ICE agent, DTLS endpoint, a STUN server written for a test)
/// fits it with a thin wrapper. The trait has no `poll_event`: the wrapper drains the
/// machine's events at the end of its `handle_*` methods into a `Vec` the test reads through
/// [`Sim::node`], and feeds commands (remote candidates, application data) through
/// [`Sim::node_mut`] between runs.
///
/// ```
/// use std::time::Instant;
/// use nutshell_netsim::{Node, Receive, Transmit};
///
/// /// Stands for any house-shaped machine with `poll_event`.
/// struct Machine;
/// impl Machine {
///     fn handle_receive(&mut self, _now: Instant, _r: Receive<'_>) {}
///     fn handle_timeout(&mut self, _now: Instant) {}
///     fn poll_transmit(&mut self) -> Option<Transmit> { None }
///     fn poll_event(&mut self) -> Option<String> { None }
///     fn poll_timeout(&self) -> Option<Instant> { None }
/// }
///
/// struct Wrapped { inner: Machine, events: Vec<String> }
/// impl Wrapped {
///     fn drain_events(&mut self) {
///         while let Some(e) = self.inner.poll_event() { self.events.push(e); }
///     }
/// }
/// impl Node for Wrapped {
///     fn handle_receive(&mut self, now: Instant, r: Receive<'_>) {
///         self.inner.handle_receive(now, r);
///         self.drain_events();
///     }
///     fn handle_timeout(&mut self, now: Instant) {
///         self.inner.handle_timeout(now);
///         self.drain_events();
///     }
///     fn poll_transmit(&mut self) -> Option<Transmit> { self.inner.poll_transmit() }
///     fn poll_timeout(&self) -> Option<Instant> { self.inner.poll_timeout() }
/// }
/// ```
pub trait Node: Any {
    /// A datagram arrived for this node's host.
    fn handle_receive(&mut self, now: Instant, r: Receive<'_>);
    /// The time from [`poll_timeout`](Node::poll_timeout) was reached (calls may be early or
    /// spurious).
    fn handle_timeout(&mut self, now: Instant);
    /// The next datagram to send; drained after every call into the node.
    fn poll_transmit(&mut self) -> Option<Transmit>;
    /// When the node next wants [`handle_timeout`](Node::handle_timeout), if ever.
    fn poll_timeout(&self) -> Option<Instant>;
}

/// Why a [`Sim`] run stopped without reaching its goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimError {
    /// [`Sim::set_max_steps`] steps taken in this run.
    StepLimit {
        /// Virtual time reached.
        now: Instant,
    },
    /// Too many steps without the clock moving (a node keeps asking for a timeout in the past
    /// or zero-latency traffic loops).
    NoProgress {
        /// The instant the simulation is stuck at.
        now: Instant,
    },
    /// A node produced more than [`Sim::set_max_transmits_per_call`] datagrams in one drain.
    TransmitFlood {
        /// The host whose node did it.
        host: HostId,
    },
    /// The deadline passed before the condition held.
    Deadline {
        /// Virtual time reached (the deadline).
        now: Instant,
    },
    /// Nothing left to happen (no datagrams in flight, no timeouts) and the condition does not
    /// hold.
    Idle {
        /// Virtual time reached.
        now: Instant,
    },
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::StepLimit { .. } => write!(f, "step limit reached"),
            SimError::NoProgress { .. } => write!(f, "no progress: virtual time stuck"),
            SimError::TransmitFlood { host } => {
                write!(f, "node on host {} floods transmits", host.index())
            }
            SimError::Deadline { .. } => write!(f, "deadline passed"),
            SimError::Idle { .. } => write!(f, "simulation idle"),
        }
    }
}

impl std::error::Error for SimError {}

/// What one [`Sim::step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A datagram reached its host (or a NAT, on the way).
    Network(Instant),
    /// Nodes' timeouts fired.
    Timeout(Instant),
    /// Nothing is pending anywhere.
    Idle,
}

/// Bound of the per-host inbox of hosts without a node.
pub const INBOX_LIMIT: usize = 10_000;

/// A [`Network`] plus [`Node`]s attached to its hosts, driven on the virtual clock.
///
/// Each [`step`](Sim::step) advances the clock to the earliest pending event (a datagram in
/// flight, or a node's timeout), handles it, and drains every node it touched, so time only
/// moves forward and only by what the network and the machines ask for. Datagrams for a
/// host without a node wait in its [`inbox`](Sim::take_inbox).
///
/// ```
/// use std::net::{IpAddr, Ipv4Addr, SocketAddr};
/// use std::time::{Duration, Instant};
/// use nutshell_netsim::{Network, Node, Receive, Sim, Transmit};
///
/// /// Answers every datagram with the same bytes.
/// #[derive(Default)]
/// struct Echo { out: Vec<Transmit>, seen: usize }
/// impl Node for Echo {
///     fn handle_receive(&mut self, _now: Instant, r: Receive<'_>) {
///         self.seen += 1;
///         self.out.push(Transmit { protocol: r.protocol, source: r.destination, destination: r.source, contents: r.contents.to_vec() });
///     }
///     fn handle_timeout(&mut self, _now: Instant) {}
///     fn poll_transmit(&mut self) -> Option<Transmit> { self.out.pop() }
///     fn poll_timeout(&self) -> Option<Instant> { None }
/// }
///
/// let start = Instant::now();
/// let mut net = Network::new(7, start);
/// let a_ip = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));
/// let b_ip = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 2));
/// let a = net.add_host(&[a_ip]);
/// let b = net.add_host(&[b_ip]);
/// let mut sim = Sim::new(net);
/// sim.attach(b, Echo::default());
/// // Host `a` has no node: the test speaks for it and reads its inbox.
/// let from = SocketAddr::new(a_ip, 1);
/// sim.net_mut().send(a, Transmit { protocol: nutshell_netsim::Protocol::Udp, source: from, destination: SocketAddr::new(b_ip, 2), contents: b"hi".to_vec() });
/// sim.run_until_cond(start + Duration::from_secs(1), |s| !s.inbox(a).is_empty()).unwrap();
/// assert_eq!(sim.now(), start + Duration::from_millis(20)); // 4 default access links
/// assert_eq!(sim.node::<Echo>(b).unwrap().seen, 1);
/// assert_eq!(sim.take_inbox(a)[0].contents, b"hi");
/// ```
pub struct Sim {
    net: Network,
    nodes: Vec<Option<Box<dyn Node>>>,
    inboxes: BTreeMap<HostId, Vec<Delivered>>,
    inbox_overflow: u64,
    max_steps: u64,
    max_steps_per_instant: u64,
    max_transmits_per_call: usize,
    steps: u64,
    same_instant_steps: u64,
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim")
            .field("net", &self.net)
            .field("nodes", &self.nodes.iter().filter(|n| n.is_some()).count())
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// A driver around `net` with no nodes yet.
    pub fn new(net: Network) -> Self {
        Self {
            net,
            nodes: Vec::new(),
            inboxes: BTreeMap::new(),
            inbox_overflow: 0,
            max_steps: 1_000_000,
            max_steps_per_instant: 100_000,
            max_transmits_per_call: 10_000,
            steps: 0,
            same_instant_steps: 0,
        }
    }

    /// The network.
    pub fn net(&self) -> &Network {
        &self.net
    }

    /// The network, to change links, send as a host without a node, or read traces.
    pub fn net_mut(&mut self) -> &mut Network {
        &mut self.net
    }

    /// Takes the network back.
    pub fn into_net(self) -> Network {
        self.net
    }

    /// The virtual time.
    pub fn now(&self) -> Instant {
        self.net.now()
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Limits each `run_*` call to `max` steps (default 1 000 000).
    pub fn set_max_steps(&mut self, max: u64) {
        self.max_steps = max;
    }

    /// Fails a run after `max` consecutive steps at one instant (default 100 000).
    pub fn set_max_steps_per_instant(&mut self, max: u64) {
        self.max_steps_per_instant = max;
    }

    /// Fails a run when one call into a node yields more than `max` transmits (default 10 000).
    pub fn set_max_transmits_per_call(&mut self, max: usize) {
        self.max_transmits_per_call = max;
    }

    /// Attaches `node` to `host`, replacing (and returning) any node already there. One node
    /// per host: a machine using several addresses gets a host with several addresses.
    pub fn attach<N: Node>(&mut self, host: HostId, node: N) -> Option<Box<dyn Node>> {
        self.attach_boxed(host, Box::new(node))
    }

    /// [`attach`](Self::attach) for an already boxed node.
    pub fn attach_boxed(&mut self, host: HostId, node: Box<dyn Node>) -> Option<Box<dyn Node>> {
        let i = host.index();
        if self.nodes.len() <= i {
            self.nodes.resize_with(i + 1, || None);
        }
        self.nodes.get_mut(i).and_then(|slot| slot.replace(node))
    }

    /// Detaches and returns the node of `host`.
    pub fn detach(&mut self, host: HostId) -> Option<Box<dyn Node>> {
        self.nodes.get_mut(host.index()).and_then(Option::take)
    }

    /// The node of `host`, if it is a `T`.
    pub fn node<T: Node>(&self, host: HostId) -> Option<&T> {
        let node: &dyn Node = self.nodes.get(host.index())?.as_deref()?;
        let any: &dyn Any = node;
        any.downcast_ref::<T>()
    }

    /// The node of `host` mutably, if it is a `T` (to issue commands; the next step drains
    /// what they queued).
    pub fn node_mut<T: Node>(&mut self, host: HostId) -> Option<&mut T> {
        let node: &mut dyn Node = self.nodes.get_mut(host.index())?.as_deref_mut()?;
        let any: &mut dyn Any = node;
        any.downcast_mut::<T>()
    }

    /// Datagrams delivered to `host` while it had no node (at most [`INBOX_LIMIT`]; more
    /// are counted in [`inbox_overflow`](Self::inbox_overflow) and dropped).
    pub fn inbox(&self, host: HostId) -> &[Delivered] {
        self.inboxes.get(&host).map_or(&[], Vec::as_slice)
    }

    /// Takes the inbox of `host`.
    pub fn take_inbox(&mut self, host: HostId) -> Vec<Delivered> {
        self.inboxes.remove(&host).unwrap_or_default()
    }

    /// Datagrams dropped because an inbox was full.
    pub fn inbox_overflow(&self) -> u64 {
        self.inbox_overflow
    }

    /// The virtual time of the next event: a datagram in flight or a node's timeout (a timeout
    /// in the past counts as now).
    pub fn next_time(&self) -> Option<Instant> {
        let now = self.net.now();
        let timers = self
            .nodes
            .iter()
            .flatten()
            .filter_map(|n| n.poll_timeout())
            .map(|t| t.max(now))
            .min();
        match (self.net.next_event_time(), timers) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Moves every node's pending transmits into the network.
    fn drain_all(&mut self) -> Result<(), SimError> {
        for i in 0..self.nodes.len() {
            self.drain(HostId(i))?;
        }
        Ok(())
    }

    fn drain(&mut self, host: HostId) -> Result<(), SimError> {
        let Some(Some(node)) = self.nodes.get_mut(host.index()) else {
            return Ok(());
        };
        let mut n = 0usize;
        while let Some(t) = node.poll_transmit() {
            n += 1;
            if n > self.max_transmits_per_call {
                return Err(SimError::TransmitFlood { host });
            }
            self.net.send(host, t);
        }
        Ok(())
    }

    /// Handles the single earliest pending event: one datagram hop, or every node timeout
    /// due at the earliest timeout instant (in host order); then drains the nodes involved.
    /// Nodes are also drained before, so commands issued between steps are sent at the
    /// current time. At equal times datagrams go before timeouts.
    pub fn step(&mut self) -> Result<Step, SimError> {
        self.drain_all()?;
        let now = self.net.now();
        let timer = self
            .nodes
            .iter()
            .flatten()
            .filter_map(|n| n.poll_timeout())
            .map(|t| t.max(now))
            .min();
        let arrival = self.net.next_event_time();
        let step = match (arrival, timer) {
            (None, None) => return Ok(Step::Idle),
            (Some(a), t) if t.is_none_or(|t| a <= t) => {
                if let Some(d) = self.net.pop_until(a) {
                    self.deliver(d)?;
                }
                Step::Network(a)
            }
            (_, t) => {
                // `t` is `Some` here: the guard above took every `(Some, None)`.
                let t = t.unwrap_or(now);
                self.fire_timeouts(t)?;
                Step::Timeout(t)
            }
        };
        self.steps = self.steps.saturating_add(1);
        if self.net.now() > now {
            self.same_instant_steps = 0;
        } else {
            self.same_instant_steps = self.same_instant_steps.saturating_add(1);
            if self.same_instant_steps > self.max_steps_per_instant {
                return Err(SimError::NoProgress { now });
            }
        }
        Ok(step)
    }

    fn fire_timeouts(&mut self, t: Instant) -> Result<(), SimError> {
        self.net.advance_to(t);
        for i in 0..self.nodes.len() {
            if let Some(Some(node)) = self.nodes.get_mut(i)
                && node.poll_timeout().is_some_and(|due| due <= t)
            {
                node.handle_timeout(t);
                self.drain(HostId(i))?;
            }
        }
        Ok(())
    }

    fn deliver(&mut self, d: Delivered) -> Result<(), SimError> {
        let host = d.host;
        match self.nodes.get_mut(host.index()) {
            Some(Some(node)) => {
                node.handle_receive(d.now, d.as_receive());
                self.drain(host)
            }
            _ => {
                let q = self.inboxes.entry(host).or_default();
                if q.len() >= INBOX_LIMIT {
                    self.inbox_overflow = self.inbox_overflow.saturating_add(1);
                } else {
                    q.push(d);
                }
                Ok(())
            }
        }
    }

    /// Runs every event up to and including `deadline`, then moves the clock to `deadline`.
    /// Fails if the step limits are hit.
    pub fn run_until(&mut self, deadline: Instant) -> Result<(), SimError> {
        let mut steps = 0u64;
        loop {
            self.drain_all()?;
            match self.next_time() {
                Some(t) if t <= deadline => {}
                _ => break,
            }
            steps += 1;
            if steps > self.max_steps {
                return Err(SimError::StepLimit {
                    now: self.net.now(),
                });
            }
            self.step()?;
        }
        self.net.advance_to(deadline);
        Ok(())
    }

    /// [`run_until`](Self::run_until) `now + d`.
    pub fn run_for(&mut self, d: Duration) -> Result<(), SimError> {
        match self.net.now().checked_add(d) {
            Some(deadline) => self.run_until(deadline),
            None => Err(SimError::Deadline {
                now: self.net.now(),
            }),
        }
    }

    /// Steps until `cond` holds (checked before the first step and after each), returning
    /// the virtual time at which it did. Fails with [`SimError::Deadline`] when the next event
    /// lies beyond `deadline` (the clock is then at `deadline`), [`SimError::Idle`] when
    /// nothing is pending, or a step-limit error.
    pub fn run_until_cond(
        &mut self,
        deadline: Instant,
        mut cond: impl FnMut(&Sim) -> bool,
    ) -> Result<Instant, SimError> {
        let mut steps = 0u64;
        loop {
            if cond(self) {
                return Ok(self.net.now());
            }
            self.drain_all()?;
            match self.next_time() {
                None => {
                    return Err(SimError::Idle {
                        now: self.net.now(),
                    });
                }
                Some(t) if t > deadline => {
                    self.net.advance_to(deadline);
                    return Err(SimError::Deadline {
                        now: self.net.now(),
                    });
                }
                Some(_) => {}
            }
            steps += 1;
            if steps > self.max_steps {
                return Err(SimError::StepLimit {
                    now: self.net.now(),
                });
            }
            self.step()?;
        }
    }
}
