//! The command line.

use std::path::PathBuf;

use nutshell::Interfaces;

use crate::trace::Actor;

/// Usage text.
pub const USAGE: &str = "\
nutshell-demo: a WebRTC call with nutshell, traced step by step

USAGE:
    nutshell-demo [--seconds S] [--diagram FILE] [--room NAME]
        both clients, a signaling server and a STUN server in this process, on 127.0.0.1
    nutshell-demo --role a|b --signal ws://HOST:PORT/ws [--room NAME] [--stun HOST:PORT]
                  [--interfaces loopback|all|ADDR,...] [--seconds S] [--diagram FILE]
                  [--keep-answering]
        one client against a signaling server (nutshell-signal): A offers and sends
        synthetic media, B answers and echoes every track it receives (e.g. a browser's)
    nutshell-demo --serve ADDR
        the signaling server with the browser demo page (http://ADDR/, ws://ADDR/ws) and a
        STUN server on udp ADDR, for browsers and --role clients; runs until Ctrl-C

OPTIONS:
    --seconds S        seconds of media after connecting (default 3)
    --diagram FILE     write this run as a Mermaid sequence diagram to FILE, and as SVG
                       next to it (FILE with the extension .svg)
    --room NAME        signaling room (default demo)
    --serve ADDR       serve signaling, the page and STUN on ADDR (e.g. 127.0.0.1:8080)
    --role a|b         run one client only
    --signal URL       the signaling server's WebSocket URL (with --role)
    --stun HOST:PORT   STUN server for server-reflexive candidates (with --role)
    --keep-answering   with --role b: answer call after call instead of exiting
    --interfaces I     where to gather host candidates: loopback (default), all (every
                       non-loopback interface: traffic may leave the machine), or a list
    -h, --help         this text
";

/// How to run.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Everything in this process.
    Local,
    /// The signaling server (with the page) and a STUN server, for browsers and roles.
    Serve {
        /// TCP address of the signaling server and UDP address of the STUN server.
        addr: std::net::SocketAddr,
    },
    /// One client.
    Role {
        /// A or B.
        me: Actor,
        /// The signaling server.
        signal_url: String,
        /// The STUN server.
        stun: Option<String>,
        /// Where to gather.
        interfaces: Interfaces,
        /// B: answer one call after another instead of exiting after the first.
        keep_answering: bool,
    },
}

/// Parsed options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Local or one role.
    pub mode: Mode,
    /// Seconds of media.
    pub seconds: f64,
    /// Where to write the diagram.
    pub diagram: Option<PathBuf>,
    /// Signaling room.
    pub room: String,
}

/// Parses the arguments (without the program name); `Ok(None)` for `--help`.
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Option<Options>, String> {
    let mut seconds = 3.0;
    let mut diagram = None;
    let mut room = "demo".to_string();
    let mut role = None;
    let mut signal_url = None;
    let mut stun = None;
    let mut interfaces = Interfaces::LoopbackOnly;
    let mut serve = None;
    let mut keep_answering = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--seconds" => {
                let v = value("--seconds")?;
                seconds = v
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 86_400.0)
                    .ok_or_else(|| format!("invalid --seconds {v:?}"))?;
            }
            "--diagram" => diagram = Some(PathBuf::from(value("--diagram")?)),
            "--room" => room = value("--room")?,
            "--role" => {
                let v = value("--role")?;
                role = Some(match v.to_ascii_lowercase().as_str() {
                    "a" => Actor::A,
                    "b" => Actor::B,
                    _ => return Err(format!("invalid --role {v:?} (a or b)")),
                });
            }
            "--serve" => {
                let v = value("--serve")?;
                serve = Some(
                    v.parse::<std::net::SocketAddr>()
                        .map_err(|_| format!("invalid --serve {v:?} (HOST:PORT)"))?,
                );
            }
            "--keep-answering" => keep_answering = true,
            "--signal" => signal_url = Some(value("--signal")?),
            "--stun" => {
                let v = value("--stun")?;
                let v = v.strip_prefix("stun:").unwrap_or(&v).to_string();
                stun = Some(v);
            }
            "--interfaces" => {
                let v = value("--interfaces")?;
                interfaces = v
                    .parse()
                    .map_err(|e| format!("invalid --interfaces {v:?}: {e}"))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if let Some(addr) = serve {
        if role.is_some() || signal_url.is_some() {
            return Err("--serve goes without --role and --signal".into());
        }
        return Ok(Some(Options {
            mode: Mode::Serve { addr },
            seconds,
            diagram,
            room,
        }));
    }
    let mode = match (role, signal_url) {
        (Some(me), Some(signal_url)) => Mode::Role {
            me,
            signal_url,
            stun,
            interfaces,
            keep_answering,
        },
        (Some(_), None) => return Err("--role needs --signal".into()),
        (None, Some(_)) => return Err("--signal needs --role".into()),
        (None, None) => {
            if stun.is_some() || interfaces != Interfaces::LoopbackOnly || keep_answering {
                return Err("--stun, --interfaces and --keep-answering go with --role".into());
            }
            Mode::Local
        }
    };
    Ok(Some(Options {
        mode,
        seconds,
        diagram,
        room,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Option<Options>, String> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_and_roles() {
        let o = p(&[]).unwrap().unwrap();
        assert!(matches!(o.mode, Mode::Local));
        assert_eq!(o.seconds, 3.0);
        let o = p(&[
            "--role",
            "b",
            "--signal",
            "ws://h:1/ws",
            "--stun",
            "stun:h:3478",
            "--interfaces",
            "all",
        ])
        .unwrap()
        .unwrap();
        match o.mode {
            Mode::Role {
                me,
                stun,
                interfaces,
                ..
            } => {
                assert_eq!(me, Actor::B);
                assert_eq!(stun.as_deref(), Some("h:3478"));
                assert_eq!(interfaces, Interfaces::All);
            }
            _ => panic!("not a role"),
        }
        assert!(p(&["--help"]).unwrap().is_none());
        let o = p(&["--role", "b", "--signal", "x", "--keep-answering"])
            .unwrap()
            .unwrap();
        assert!(matches!(
            o.mode,
            Mode::Role {
                keep_answering: true,
                ..
            }
        ));
        assert!(p(&["--keep-answering"]).is_err());
        let o = p(&["--serve", "127.0.0.1:8080"]).unwrap().unwrap();
        assert!(matches!(o.mode, Mode::Serve { .. }));
    }

    #[test]
    fn mistakes() {
        assert!(p(&["--role", "c", "--signal", "x"]).is_err());
        assert!(p(&["--role", "a"]).is_err());
        assert!(p(&["--seconds", "-1"]).is_err());
        assert!(p(&["--seconds"]).is_err());
        assert!(p(&["--bogus"]).is_err());
        assert!(p(&["--interfaces", "all"]).is_err());
        assert!(p(&["--serve", "nope"]).is_err());
        assert!(p(&["--serve", "127.0.0.1:1", "--role", "a", "--signal", "x"]).is_err());
    }
}
