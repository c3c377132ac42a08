//! Talking to a real Storm cluster: what `sparse submit`, `sparse list` and `sparse kill`
//! run.
//!
//! sparse has no Thrift client of its own. It drives Storm's own client code, in one of two
//! ways ([`client::Client`]):
//!
//! - **the `storm` command** when it is on `PATH` (a Storm distribution):
//!   `storm jar -c nimbus.seeds=[...] -c nimbus.thrift.port=P JAR org.apache.storm.flux.Flux
//!   --remote --no-splash YAML`, `storm list -c ...`, `storm kill -c ... -w SECS NAME`;
//! - **`java` with the Storm client jars** otherwise: the classpath comes from
//!   `SPARSE_STORM_CLASSPATH`, the environment's `storm_classpath` key in `config.json`, or
//!   `$STORM_HOME/lib/*`. It runs the same classes the `storm` command runs:
//!   `org.apache.storm.flux.Flux` (with `-Dstorm.jar=JAR`, the topology jar first on the
//!   classpath), `org.apache.storm.command.ListTopologies` and
//!   `org.apache.storm.command.KillTopology`. The last two live in the `storm-core` jar
//!   (checked in 2.8.3 with `unzip -l`; they are not in storm-client or storm-server). The
//!   repository's `storm/cluster.sh` fetches it next to `storm/fetch.sh`'s cache and prints a
//!   ready `SPARSE_STORM_CLASSPATH`.
//!
//! `SPARSE_STORM_CLIENT=storm|java` forces one of the two. Nimbus comes from the environment's
//! `nimbus` (`host[:port]`, port 6627 by default; `SPARSE_NIMBUS` overrides it) and reaches
//! Storm as the `nimbus.seeds` and `nimbus.thrift.port` options (`-c` for the `storm`
//! command, `-Dstorm.options` for `java`; the same URL-encoded format).
//!
//! The other modules: [`conf`] builds the topology conf that `submit` writes into the Flux
//! YAML (`options`, the `log` block as `streamparse.log.*`, `-p/-w/-a`), and [`hooks`] runs
//! the `pre_submit`/`post_submit` commands.

pub mod client;
pub mod conf;
pub mod hooks;

use std::fmt;

/// Nimbus's default Thrift port.
pub const DEFAULT_NIMBUS_PORT: u16 = 6627;

/// The Storm option holding the client's Thrift socket timeout (milliseconds).
pub const TIMEOUT_KEY: &str = "storm.thrift.socket.timeout.ms";

/// Where Nimbus listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nimbus {
    /// Host name or address.
    pub host: String,
    /// Thrift port.
    pub port: u16,
    /// The client's Thrift socket timeout in milliseconds (`--timeout`), sent as Storm's
    /// `storm.thrift.socket.timeout.ms`; `None` keeps Storm's own default.
    pub timeout_ms: Option<u32>,
}

impl Nimbus {
    /// Parses `host[:port]` (port 6627 by default; `[v6addr]:port` also works).
    pub fn parse(s: &str) -> Result<Nimbus, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty nimbus address".into());
        }
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (h, tail) = rest
                .split_once(']')
                .ok_or_else(|| format!("bad nimbus address `{s}`"))?;
            (h, tail.strip_prefix(':'))
        } else {
            match s.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') => (h, Some(p)),
                _ => (s, None),
            }
        };
        let port = match port {
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("bad port in nimbus address `{s}`"))?,
            None => DEFAULT_NIMBUS_PORT,
        };
        if host.is_empty() {
            return Err(format!("no host in nimbus address `{s}`"));
        }
        Ok(Nimbus {
            host: host.to_string(),
            port,
            timeout_ms: None,
        })
    }

    /// The same Nimbus, reached with a Thrift socket timeout of `timeout_ms` (none: Storm's
    /// default).
    pub fn with_timeout(mut self, timeout_ms: Option<u32>) -> Nimbus {
        self.timeout_ms = timeout_ms;
        self
    }

    /// The Storm options that point a client at this Nimbus (and set its timeout).
    ///
    /// The timeout is `storm.thrift.socket.timeout.ms`: Storm 2.8.3's `ThriftClient` takes
    /// its socket timeout from that key for a `NIMBUS` connection (read in
    /// `ThriftConnectionType` with `javap`); there is no `nimbus.*` key for it.
    pub fn storm_options(&self) -> Vec<(String, String)> {
        let mut opts = vec![
            (
                "nimbus.seeds".to_string(),
                serde_json::json!([self.host]).to_string(),
            ),
            ("nimbus.thrift.port".to_string(), self.port.to_string()),
        ];
        if let Some(ms) = self.timeout_ms {
            opts.push((TIMEOUT_KEY.to_string(), ms.to_string()));
        }
        opts
    }
}

impl fmt::Display for Nimbus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Why a Storm client operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StormError {
    /// No way to run Storm's client: no `storm` command and no classpath.
    #[error("{0}")]
    NoClient(String),
    /// The environment has no `nimbus`.
    #[error("{0}")]
    NoNimbus(String),
    /// The client process could not be started.
    #[error("cannot run {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The client ran and failed; `detail` holds the relevant lines of its output.
    #[error("{what} failed ({status}):\n{detail}")]
    Failed {
        /// What was attempted (`submitting wordcount to 127.0.0.1:6627`).
        what: String,
        /// The exit status.
        status: std::process::ExitStatus,
        /// The client's error lines (exception messages, or the last lines of output).
        detail: String,
    },
    /// The topology did not disappear from Nimbus in time (after a kill).
    #[error("topology `{name}` is still listed by Nimbus after {secs} s")]
    StillThere {
        /// The topology name.
        name: String,
        /// How long we waited.
        secs: u64,
    },
}

/// The environment variables that name Nimbus, in the order they are read: sparse's own,
/// then streamparse's (so a streamparse user's shell setup keeps working).
pub const NIMBUS_VARS: [&str; 2] = ["SPARSE_NIMBUS", "STREAMPARSE_NIMBUS"];

/// The Nimbus of an environment: `SPARSE_NIMBUS` (or `STREAMPARSE_NIMBUS`) when set, else
/// the environment's `nimbus`.
pub fn nimbus_for(
    env: Option<&(String, sparse_project::config::EnvConfig)>,
) -> Result<Nimbus, StormError> {
    for var in NIMBUS_VARS {
        if let Ok(s) = std::env::var(var)
            && !s.trim().is_empty()
        {
            return Nimbus::parse(&s).map_err(|e| StormError::NoNimbus(format!("{var}: {e}")));
        }
    }
    let Some((name, env)) = env else {
        return Err(StormError::NoNimbus(
            "no environment chosen: pass -e ENV (config.json must define it in `envs`, with a `nimbus`)"
                .into(),
        ));
    };
    match env.nimbus.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => Nimbus::parse(n)
            .map_err(|e| StormError::NoNimbus(format!("config.json envs.{name}.nimbus: {e}"))),
        _ => Err(StormError::NoNimbus(format!(
            "environment `{name}` has no `nimbus` in config.json (\"nimbus\": \"host[:port]\")"
        ))),
    }
}

/// URL-encodes `key=value` pairs the way `storm -c` does for `-Dstorm.options`: each pair
/// percent-encoded (all but `A-Za-z0-9-_.~`), pairs joined with `,`. Storm decodes each with
/// `URLDecoder` and parses the value as YAML (so `["h"]` is a list and `6627` a number).
pub fn encode_storm_options(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let mut out = String::new();
            for b in format!("{k}={v}").bytes() {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    out.push(b as char);
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nimbus_addresses() {
        let n = Nimbus::parse("storm1.example.com").unwrap();
        assert_eq!((n.host.as_str(), n.port), ("storm1.example.com", 6627));
        let n = Nimbus::parse("127.0.0.1:41383").unwrap();
        assert_eq!((n.host.as_str(), n.port), ("127.0.0.1", 41383));
        assert_eq!(n.to_string(), "127.0.0.1:41383");
        let n = Nimbus::parse("[::1]:7000").unwrap();
        assert_eq!((n.host.as_str(), n.port), ("::1", 7000));
        assert_eq!(n.to_string(), "[::1]:7000");
        assert_eq!(Nimbus::parse("::1").unwrap().port, 6627);
        assert!(Nimbus::parse("").is_err());
        assert!(Nimbus::parse("h:x").is_err());
        assert!(Nimbus::parse("h:0").is_err());
        assert!(Nimbus::parse(":6627").is_err());
    }

    #[test]
    fn storm_options_are_encoded_like_storm_c() {
        let n = Nimbus::parse("127.0.0.1:41383").unwrap();
        assert_eq!(
            encode_storm_options(&n.storm_options()),
            "nimbus.seeds%3D%5B%22127.0.0.1%22%5D,nimbus.thrift.port%3D41383"
        );
        assert_eq!(
            encode_storm_options(&n.clone().with_timeout(Some(7000)).storm_options()),
            "nimbus.seeds%3D%5B%22127.0.0.1%22%5D,nimbus.thrift.port%3D41383,storm.thrift.socket.timeout.ms%3D7000"
        );
        assert_eq!(
            encode_storm_options(&[("a".into(), "x, y".into())]),
            "a%3Dx%2C%20y"
        );
    }
}
