//! Command line of the `nutshell-relay` binary.

use std::net::SocketAddr;
use std::time::Duration;

use crate::server::Config;

/// Usage text.
pub const USAGE: &str = "\
nutshell-relay: a STUN server (RFC 8489) on UDP and TCP

USAGE:
    nutshell-relay [--listen ADDR]... [--software TEXT] [--max-tcp-connections N]
                   [--tcp-idle-timeout SECONDS]

OPTIONS:
    --listen ADDR                 address to serve on, UDP and TCP (repeatable;
                                  default 0.0.0.0:3478)
    --software TEXT               SOFTWARE attribute of responses
    --max-tcp-connections N       most TCP connections at once (default 1024)
    --tcp-idle-timeout SECONDS    close idle TCP connections after this (default 60)
    -h, --help                    this text
    -V, --version                 version

Logging follows RUST_LOG (default info), on stderr.
";

/// What the command line asks for.
#[derive(Debug, Clone)]
pub enum Command {
    /// Serve with this configuration.
    Run(Config),
    /// Print the usage.
    Help,
    /// Print the version.
    Version,
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
}

/// Parses the arguments (without the program name).
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Command, Error> {
    let mut config = Config::default();
    let mut listen = Vec::new();
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
        match name.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--listen" => {
                let v = value()?;
                listen.push(v.parse::<SocketAddr>().map_err(|_| invalid(v))?);
            }
            "--software" => config.software = value()?,
            "--max-tcp-connections" => {
                let v = value()?;
                config.max_tcp_connections = v.parse().map_err(|_| invalid(v))?;
            }
            "--tcp-idle-timeout" => {
                let v = value()?;
                config.tcp_idle_timeout = Duration::from_secs(v.parse().map_err(|_| invalid(v))?);
            }
            _ => return Err(Error::Unknown(arg)),
        }
    }
    if !listen.is_empty() {
        config.listen = listen;
    }
    Ok(Command::Run(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Config, Error> {
        match parse(args.iter().map(|s| s.to_string()))? {
            Command::Run(c) => Ok(c),
            other => panic!("not run: {other:?}"),
        }
    }

    #[test]
    fn defaults_to_0_0_0_0_3478() {
        let c = run(&[]).unwrap();
        assert_eq!(c.listen, vec!["0.0.0.0:3478".parse().unwrap()]);
    }

    #[test]
    fn listen_is_repeatable() {
        let c = run(&["--listen", "127.0.0.1:1", "--listen=[::1]:2"]).unwrap();
        assert_eq!(
            c.listen,
            vec!["127.0.0.1:1".parse().unwrap(), "[::1]:2".parse().unwrap()]
        );
    }

    #[test]
    fn reports_mistakes() {
        assert_eq!(
            run(&["--listen"]).unwrap_err(),
            Error::MissingValue("--listen".into())
        );
        assert_eq!(
            run(&["--listen", "nope"]).unwrap_err(),
            Error::InvalidValue {
                option: "--listen".into(),
                value: "nope".into()
            }
        );
        assert_eq!(
            run(&["--frobnicate"]).unwrap_err(),
            Error::Unknown("--frobnicate".into())
        );
        assert!(matches!(parse(["--help".to_string()]), Ok(Command::Help)));
    }
}
