//! The recorded run: every step is printed as it happens and kept, so that the Mermaid
//! sequence diagram (and the SVG) show exactly the sequence of this run.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Who did something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    /// Client A, the offerer.
    A,
    /// Client B, the answerer.
    B,
    /// The signaling server.
    Signal,
    /// The STUN server.
    Stun,
}

impl Actor {
    /// The name in the trace and in the diagram.
    pub fn name(self) -> &'static str {
        match self {
            Actor::A => "A",
            Actor::B => "B",
            Actor::Signal => "Signal",
            Actor::Stun => "STUN",
        }
    }

    /// The other client.
    pub fn other(self) -> Actor {
        match self {
            Actor::A => Actor::B,
            _ => Actor::A,
        }
    }
}

/// One recorded step.
#[derive(Debug, Clone)]
pub enum Step {
    /// A signaling message left `from` for the server (recorded by the sender when the
    /// recipient is in another process).
    Sent {
        /// The sender.
        from: Actor,
        /// The intended recipient.
        to: Actor,
        /// `offer`, `answer`, `candidate`, `bye`.
        kind: String,
        /// A short description.
        detail: String,
    },
    /// A signaling message relayed by the server reached `to`.
    Delivered {
        /// The sender.
        from: Actor,
        /// The recipient.
        to: Actor,
        /// `offer`, `answer`, `candidate`, `bye`.
        kind: String,
        /// A short description.
        detail: String,
        /// Whether the sender is in this process (then the send is not recorded separately).
        sender_local: bool,
    },
    /// A message between two actors that does not go through the signaling server (STUN,
    /// first media packet).
    Direct {
        /// The sender.
        from: Actor,
        /// The recipient.
        to: Actor,
        /// What.
        text: String,
    },
    /// Something that happened at one actor (a state change, a track).
    Note {
        /// Where.
        actor: Actor,
        /// What.
        text: String,
    },
}

/// A step and its time since the start.
#[derive(Debug, Clone)]
pub struct Record {
    /// Time since the start.
    pub at: Duration,
    /// The step.
    pub step: Step,
}

#[derive(Debug, Default)]
struct Inner {
    records: Vec<Record>,
    addrs: HashMap<SocketAddr, Actor>,
}

/// The shared recorder. Cheap to clone. The lock is held only to push a record and print it,
/// so that the printed order is the recorded order.
#[derive(Debug, Clone)]
pub struct Trace {
    start: Instant,
    quiet: bool,
    inner: Arc<Mutex<Inner>>,
    notify: Arc<tokio::sync::Notify>,
}

impl Trace {
    /// A recorder whose time zero is now; prints each step unless `quiet`.
    pub fn new(quiet: bool) -> Trace {
        Trace {
            start: Instant::now(),
            quiet,
            inner: Arc::default(),
            notify: Arc::default(),
        }
    }

    /// Time since the start.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Records a step and prints it.
    pub fn record(&self, step: Step) {
        let at = self.elapsed();
        let line = format_line(at, &step);
        // A poisoned lock only means another task panicked while printing: keep going.
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if !self.quiet {
            println!("{line}");
        }
        inner.records.push(Record { at, step });
    }

    /// A note at one actor.
    pub fn note(&self, actor: Actor, text: impl Into<String>) {
        self.record(Step::Note {
            actor,
            text: text.into(),
        });
    }

    /// Remembers which client owns a socket address (for the STUN server's log).
    pub fn register_addr(&self, addr: SocketAddr, actor: Actor) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.addrs.insert(addr, actor);
        drop(inner);
        self.notify.notify_waiters();
    }

    /// The client owning `addr`, waiting up to `limit` for it to be registered.
    pub async fn actor_of(&self, addr: SocketAddr, limit: Duration) -> Option<Actor> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.notify.notified();
            {
                let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(a) = inner.addrs.get(&addr) {
                    return Some(*a);
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    /// Every record so far.
    pub fn records(&self) -> Vec<Record> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.records.clone()
    }
}

/// Milliseconds with one decimal.
pub fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn format_line(at: Duration, step: &Step) -> String {
    let t = format!("{:>8} ms", ms(at));
    let line = match step {
        Step::Sent {
            from, kind, detail, ..
        } => format!("{t}  {} → signal  {kind} {detail}", from.name()),
        Step::Delivered {
            from,
            to,
            kind,
            detail,
            sender_local,
        } => {
            if *sender_local {
                format!(
                    "{t}  {} → signal → {}  {kind} {detail}",
                    from.name(),
                    to.name()
                )
            } else {
                format!(
                    "{t}  signal → {}  {kind} from {} {detail}",
                    to.name(),
                    from.name()
                )
            }
        }
        Step::Direct { from, to, text } => {
            format!("{t}  {} → {}  {text}", from.name(), to.name())
        }
        Step::Note { actor, text } => format!("{t}  {}: {text}", actor.name()),
    };
    line.trim_end().to_string()
}

/// Mermaid text: escapes what would end a message (`;`, `#`) and line breaks.
fn mermaid_text(s: &str) -> String {
    s.replace('#', "#35;")
        .replace(';', "#59;")
        .replace(['\n', '\r'], " ")
}

/// The participants a diagram shows, in order: those that appear in the records.
fn participants(records: &[Record]) -> Vec<Actor> {
    let mut seen = [false; 4];
    let mut mark = |a: Actor| {
        let i = match a {
            Actor::A => 0,
            Actor::Signal => 1,
            Actor::Stun => 2,
            Actor::B => 3,
        };
        if let Some(s) = seen.get_mut(i) {
            *s = true;
        }
    };
    for r in records {
        match &r.step {
            Step::Sent { from, to, .. }
            | Step::Delivered { from, to, .. }
            | Step::Direct { from, to, .. } => {
                mark(*from);
                mark(*to);
                mark(Actor::Signal);
            }
            Step::Note { actor, .. } => mark(*actor),
        }
    }
    // Signal is marked by any message; keep it only if a message went through it.
    let via_signal = records
        .iter()
        .any(|r| matches!(r.step, Step::Sent { .. } | Step::Delivered { .. }));
    [Actor::A, Actor::Signal, Actor::Stun, Actor::B]
        .into_iter()
        .zip(seen)
        .filter(|(a, s)| *s && (*a != Actor::Signal || via_signal))
        .map(|(a, _)| a)
        .collect()
}

/// One drawn row: an arrow or a note, with its time.
enum Row {
    Arrow {
        at: Duration,
        from: Actor,
        to: Actor,
        text: String,
    },
    Note {
        at: Duration,
        over: Vec<Actor>,
        text: String,
    },
}

fn rows(records: &[Record]) -> Vec<Row> {
    let mut out = Vec::new();
    for r in records {
        let at = r.at;
        match &r.step {
            Step::Sent {
                from, kind, detail, ..
            } => out.push(Row::Arrow {
                at,
                from: *from,
                to: Actor::Signal,
                text: format!("{kind} {detail}"),
            }),
            Step::Delivered {
                from,
                to,
                kind,
                detail,
                sender_local,
            } => {
                if *sender_local {
                    out.push(Row::Arrow {
                        at,
                        from: *from,
                        to: Actor::Signal,
                        text: format!("{kind} {detail}"),
                    });
                }
                out.push(Row::Arrow {
                    at,
                    from: Actor::Signal,
                    to: *to,
                    text: if *sender_local {
                        kind.clone()
                    } else {
                        format!("{kind} from {} {detail}", from.name())
                    },
                });
            }
            Step::Direct { from, to, text } => out.push(Row::Arrow {
                at,
                from: *from,
                to: *to,
                text: text.clone(),
            }),
            Step::Note { actor, text } => out.push(Row::Note {
                at,
                over: vec![*actor],
                text: text.clone(),
            }),
        }
    }
    out
}

/// The run as a Mermaid `sequenceDiagram`, each message prefixed with its time.
pub fn mermaid(records: &[Record]) -> String {
    let mut s = String::from("sequenceDiagram\n");
    for p in participants(records) {
        let _ = writeln!(s, "    participant {}", p.name());
    }
    for row in rows(records) {
        match row {
            Row::Arrow { at, from, to, text } => {
                let _ = writeln!(
                    s,
                    "    {}->>{}: {} ms {}",
                    from.name(),
                    to.name(),
                    ms(at),
                    mermaid_text(text.trim())
                );
            }
            Row::Note { at, over, text } => {
                let over: Vec<&str> = over.iter().map(|a| a.name()).collect();
                let _ = writeln!(
                    s,
                    "    Note over {}: {} ms {}",
                    over.join(","),
                    ms(at),
                    mermaid_text(text.trim())
                );
            }
        }
    }
    s
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Left edge and width of a note box over the lifelines `lo..=hi`: wide enough for the text
/// (about 6.2 px per character at 11 px), centred, and kept right of the time column.
fn note_box(lo: usize, hi: usize, text: &str) -> (usize, usize) {
    let w = (hi - lo + 240).max(text.chars().count() * 62 / 10 + 16);
    let x0 = ((lo + hi) / 2).saturating_sub(w / 2).max(76);
    (x0, w)
}

/// The same rows as a plain SVG sequence diagram: one lifeline per participant, one row per
/// step, times in the left margin.
pub fn svg(records: &[Record]) -> String {
    const LEFT: usize = 90;
    const COL: usize = 260;
    const TOP: usize = 50;
    const ROW: usize = 26;
    let parts = participants(records);
    let rows = rows(records);
    let x_of = |a: Actor| LEFT + COL / 2 + COL * parts.iter().position(|p| *p == a).unwrap_or(0);
    let mut width = LEFT + COL * parts.len().max(1) + 20;
    for row in &rows {
        if let Row::Note { over, text, .. } = row {
            let xs: Vec<usize> = over.iter().map(|a| x_of(*a)).collect();
            let lo = xs.iter().copied().min().unwrap_or(LEFT);
            let hi = xs.iter().copied().max().unwrap_or(LEFT);
            let (x0, w) = note_box(lo, hi, text.trim());
            width = width.max(x0 + w + 10);
        }
    }
    let height = TOP + ROW * (rows.len() + 1) + 20;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        s,
        r#"<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="8" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z"/></marker></defs>"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for p in &parts {
        let x = x_of(*p);
        let _ = writeln!(
            s,
            r##"<rect x="{}" y="10" width="100" height="24" fill="#eef" stroke="#446"/><text x="{x}" y="26" text-anchor="middle" font-weight="bold">{}</text>"##,
            x - 50,
            p.name()
        );
        let _ = writeln!(
            s,
            r##"<line x1="{x}" y1="34" x2="{x}" y2="{}" stroke="#999" stroke-dasharray="4,3"/>"##,
            height - 10
        );
    }
    for (i, row) in rows.iter().enumerate() {
        let y = TOP + ROW * (i + 1);
        match row {
            Row::Arrow { at, from, to, text } => {
                let (x1, x2) = (x_of(*from), x_of(*to));
                let _ = writeln!(
                    s,
                    r##"<text x="4" y="{y}" fill="#666">{} ms</text><line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="black" marker-end="url(#arrow)"/><text x="{}" y="{}" text-anchor="middle">{}</text>"##,
                    ms(*at),
                    (x1 + x2) / 2,
                    y - 4,
                    xml(text.trim())
                );
            }
            Row::Note { at, over, text } => {
                let xs: Vec<usize> = over.iter().map(|a| x_of(*a)).collect();
                let lo = xs.iter().copied().min().unwrap_or(LEFT);
                let hi = xs.iter().copied().max().unwrap_or(LEFT);
                let (x0, w) = note_box(lo, hi, text.trim());
                let _ = writeln!(
                    s,
                    r##"<text x="4" y="{y}" fill="#666">{} ms</text><rect x="{x0}" y="{}" width="{w}" height="18" fill="#ffc" stroke="#aa8"/><text x="{}" y="{}" text-anchor="middle">{}</text>"##,
                    ms(*at),
                    y - 13,
                    x0 + w / 2,
                    y,
                    xml(text.trim())
                );
            }
        }
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Record> {
        vec![
            Record {
                at: Duration::from_millis(1),
                step: Step::Delivered {
                    from: Actor::A,
                    to: Actor::B,
                    kind: "offer".into(),
                    detail: "(audio; x)".into(),
                    sender_local: true,
                },
            },
            Record {
                at: Duration::from_millis(2),
                step: Step::Direct {
                    from: Actor::A,
                    to: Actor::Stun,
                    text: "Binding request".into(),
                },
            },
            Record {
                at: Duration::from_millis(3),
                step: Step::Note {
                    actor: Actor::B,
                    text: "DTLS done <ok> & fine".into(),
                },
            },
        ]
    }

    #[test]
    fn mermaid_has_participants_and_arrows() {
        let m = mermaid(&sample());
        assert!(m.starts_with("sequenceDiagram\n"));
        assert!(m.contains(
            "participant A\n    participant Signal\n    participant STUN\n    participant B"
        ));
        assert!(m.contains("A->>Signal: 1.0 ms offer (audio#59; x)"));
        assert!(m.contains("Signal->>B: 1.0 ms offer"));
        assert!(m.contains("Note over B: 3.0 ms DTLS done <ok> & fine"));
    }

    #[test]
    fn svg_escapes() {
        let s = svg(&sample());
        assert!(s.starts_with("<svg"));
        assert!(s.contains("&lt;ok&gt; &amp; fine"));
        assert!(s.trim_end().ends_with("</svg>"));
    }
}
