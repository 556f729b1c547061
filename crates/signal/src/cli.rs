//! Command line of the `nutshell-signal` binary.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::Config;

/// Usage text.
pub const USAGE: &str = "\
nutshell-signal: WebSocket signaling server (and the browser demo page)

USAGE:
    nutshell-signal [--listen ADDR] [--max-peers-per-room N] [--max-rooms N]
                    [--max-connections N] [--max-message-size BYTES]
                    [--tls-cert FILE --tls-key FILE]

OPTIONS:
    --listen ADDR               address to serve on (default 127.0.0.1:8080)
    --max-peers-per-room N      members of one room at most (default 2)
    --max-rooms N               rooms at most (default 1024)
    --max-connections N         connections at most (default 1024)
    --max-message-size BYTES    largest message (default 65536)
    --tls-cert FILE             PEM certificate chain: serve https:// and wss://
    --tls-key FILE              PEM private key of --tls-cert
    -h, --help                  this text
    -V, --version               version

The page is at http://ADDR/, the WebSocket at ws://ADDR/ws.
Logging follows RUST_LOG (default info), on stderr.
";

/// What the command line asks for.
#[derive(Debug, Clone)]
pub enum Command {
    /// Serve.
    Run(Options),
    /// Print the usage.
    Help,
    /// Print the version.
    Version,
}

/// The server settings on the command line. TLS files are loaded by the binary.
#[derive(Debug, Clone)]
pub struct Options {
    /// Everything but TLS.
    pub config: Config,
    /// `--tls-cert` and `--tls-key`.
    pub tls: Option<(PathBuf, PathBuf)>,
}

/// A command-line mistake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An option needs a value.
    #[error("{0} needs a value")]
    MissingValue(String),
    /// A value does not parse.
    #[error("invalid value {value:?} for {option}")]
    InvalidValue {
        /// The option.
        option: String,
        /// The value.
        value: String,
    },
    /// An unknown option or argument.
    #[error("unknown argument {0:?}")]
    Unknown(String),
    /// `--tls-cert` without `--tls-key`, or the other way round.
    #[error("--tls-cert and --tls-key go together")]
    TlsPair,
}

/// Parses the arguments (without the program name).
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Command, Error> {
    let mut config = Config::default();
    let mut cert = None;
    let mut key = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = || -> Result<String, Error> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| Error::MissingValue(name.clone()))
        };
        let invalid = |value: String| Error::InvalidValue {
            option: name.clone(),
            value,
        };
        let mut number = || -> Result<usize, Error> {
            let v = value()?;
            v.parse().map_err(|_| invalid(v))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--listen" => {
                let v = value()?;
                config.listen = v.parse::<SocketAddr>().map_err(|_| invalid(v))?;
            }
            "--max-peers-per-room" => config.max_peers_per_room = number()?,
            "--max-rooms" => config.max_rooms = number()?,
            "--max-connections" => config.max_connections = number()?,
            "--max-message-size" => config.max_message_size = number()?,
            "--tls-cert" => cert = Some(PathBuf::from(value()?)),
            "--tls-key" => key = Some(PathBuf::from(value()?)),
            _ => return Err(Error::Unknown(arg)),
        }
    }
    let tls = match (cert, key) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => return Err(Error::TlsPair),
    };
    Ok(Command::Run(Options { config, tls }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options, Error> {
        match parse(args.iter().map(|s| s.to_string()))? {
            Command::Run(o) => Ok(o),
            other => panic!("not run: {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let o = run(&[]).unwrap();
        assert_eq!(o.config.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(o.config.max_peers_per_room, 2);
        assert!(o.tls.is_none());
    }

    #[test]
    fn options() {
        let o = run(&[
            "--listen=[::1]:9",
            "--max-peers-per-room",
            "5",
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
        ])
        .unwrap();
        assert_eq!(o.config.listen, "[::1]:9".parse().unwrap());
        assert_eq!(o.config.max_peers_per_room, 5);
        assert_eq!(o.tls, Some(("c.pem".into(), "k.pem".into())));
    }

    #[test]
    fn mistakes() {
        assert_eq!(
            run(&["--listen"]).unwrap_err(),
            Error::MissingValue("--listen".into())
        );
        assert_eq!(
            run(&["--max-rooms", "many"]).unwrap_err(),
            Error::InvalidValue {
                option: "--max-rooms".into(),
                value: "many".into()
            }
        );
        assert_eq!(run(&["--tls-cert", "c"]).unwrap_err(), Error::TlsPair);
        assert_eq!(run(&["what"]).unwrap_err(), Error::Unknown("what".into()));
        assert!(matches!(parse(["-h".to_string()]), Ok(Command::Help)));
    }
}
