//! Access links: the per-host impairments a datagram suffers on its way out of the sender and
//! into the receiver.

use std::time::Duration;

/// The impairments of one host's access link.
///
/// Every datagram crosses two access links: the sender's (on its way to the core of the
/// network) and then the receiver's (on its way to the receiver). Each applies its own
/// effects, so the one-way delay between two hosts is the sum of both links' latencies (plus
/// jitter, reordering and serialization delay). A NAT sits between the two: its mapping and
/// filtering happen when the datagram reaches the core.
///
/// Effects of one link, in order: MTU check, loss, then delay
/// (`latency` + uniform `[0, jitter]` + `reorder_delay` with probability `reorder`, plus
/// serialization at `bandwidth`), and with probability `duplicate` a second copy with its own
/// delay.
///
/// ```
/// use std::time::Duration;
/// use nutshell_netsim::LinkConfig;
/// let lossy = LinkConfig { loss: 0.1, jitter: Duration::from_millis(5), ..LinkConfig::default() };
/// let outage = LinkConfig::down();
/// assert_eq!(outage.loss, 1.0);
/// assert_eq!(lossy.latency, Duration::from_millis(5));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LinkConfig {
    /// Fixed one-way delay of this link. Default 5 ms (so 10 ms between two default hosts).
    pub latency: Duration,
    /// Extra delay, uniform in `[0, jitter]`, drawn per datagram (may reorder). Default 0.
    pub jitter: Duration,
    /// Probability that a datagram is lost on this link. Default 0.
    pub loss: f64,
    /// Probability that a datagram is duplicated on this link. Default 0.
    pub duplicate: f64,
    /// Probability that a datagram is held back by `reorder_delay`, so that later datagrams
    /// overtake it. Default 0.
    pub reorder: f64,
    /// Extra delay of a reordered datagram. Default 20 ms.
    pub reorder_delay: Duration,
    /// Largest datagram payload (the `contents`, without IP/UDP headers) this link carries;
    /// larger ones are dropped. Default 1500.
    pub mtu: usize,
    /// Link rate in bits per second; `None` (default) for infinite. Datagrams queue behind
    /// each other and each takes `8 * len / bandwidth` to serialize.
    pub bandwidth: Option<u64>,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            latency: Duration::from_millis(5),
            jitter: Duration::ZERO,
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_delay: Duration::from_millis(20),
            mtu: 1500,
            bandwidth: None,
        }
    }
}

impl LinkConfig {
    /// A perfect link: no delay, no loss, an MTU of 65535.
    pub fn ideal() -> Self {
        Self {
            latency: Duration::ZERO,
            mtu: 65535,
            ..Self::default()
        }
    }

    /// A link that loses everything (an outage); set it with
    /// [`Network::set_link`](crate::Network::set_link) and restore the old one later.
    pub fn down() -> Self {
        Self {
            loss: 1.0,
            ..Self::default()
        }
    }

    /// This link with another fixed latency.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// This link with another loss probability.
    pub fn with_loss(mut self, loss: f64) -> Self {
        self.loss = loss;
        self
    }
}
