//! The worker file's own keys in Connect mode: where the REST API listens and what worker id it
//! reports (`listeners`, the deprecated `rest.host.name`/`rest.port`, `rest.advertised.*`), and
//! the worker's cluster, compared with the connectors' targets.

use std::path::Path;

use super::error_at;
use super::files::{value_of, Entries};
use crate::config::resolve::connect_worker::ConnectStateSpec;
use crate::config::ConfigError;

/// The worker settings Connect mode reads itself (the rest reach the resolver, which lists the
/// Connect runtime keys as without effect).
#[derive(Debug, Clone)]
pub struct WorkerSpec {
    /// `bootstrap.servers`: the worker's cluster, where Java Connect keeps its state.
    pub bootstrap: Vec<String>,
    /// `group.id`.
    pub group_id: Option<String>,
    /// Where the REST API listens: the first `listeners` entry (`http://host:port`, an empty host
    /// meaning every interface), else the deprecated `rest.host.name`/`rest.port`; Connect's
    /// default `http://:8083`.
    pub rest_listen: std::net::SocketAddr,
    /// The worker id the REST API reports (`host:port`): `rest.advertised.host.name` and
    /// `rest.advertised.port` where given, else the listener's.
    pub worker_id: String,
    /// A distributed worker's config and status topics (`config.storage.topic` set); None for a
    /// standalone one, whose connectors come from the files given alone.
    pub state: Option<ConnectStateSpec>,
}

impl Default for WorkerSpec {
    fn default() -> Self {
        WorkerSpec {
            bootstrap: Vec::new(),
            group_id: None,
            rest_listen: std::net::SocketAddr::from(([0, 0, 0, 0], 8083)),
            worker_id: "localhost:8083".to_string(),
            state: None,
        }
    }
}

/// The REST listener and worker id from the worker file's `listeners`, `rest.*` keys.
pub(super) fn rest_address(
    path: &Path,
    entries: &Entries,
) -> Result<(std::net::SocketAddr, String), ConfigError> {
    let (host, port) = match value_of(entries, "listeners") {
        Some(listeners) => {
            let first = listeners
                .split(',')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            let Some(rest) = first.strip_prefix("http://") else {
                return Err(error_at(
                    path,
                    entries,
                    "listeners",
                    format!("`{first}`: strait's REST API listens on `http://host:port` only (no HTTPS yet)"),
                ));
            };
            let (host, port) = rest.rsplit_once(':').unwrap_or((rest, ""));
            let port: u16 = port.parse().map_err(|_| {
                error_at(
                    path,
                    entries,
                    "listeners",
                    format!("`{first}`: expected `http://host:port`"),
                )
            })?;
            (host.trim_matches(['[', ']']).to_string(), port)
        }
        None => {
            let port = match value_of(entries, "rest.port") {
                Some(p) => p.parse::<u16>().map_err(|_| {
                    error_at(
                        path,
                        entries,
                        "rest.port",
                        format!("`{p}`: expected a port number"),
                    )
                })?,
                None => 8083,
            };
            (
                value_of(entries, "rest.host.name").unwrap_or_default(),
                port,
            )
        }
    };
    let ip: std::net::IpAddr = if host.is_empty() || host == "0.0.0.0" {
        std::net::IpAddr::from([0, 0, 0, 0])
    } else if host == "localhost" {
        std::net::IpAddr::from([127, 0, 0, 1])
    } else {
        host.parse().map_err(|_| {
            error_at(
                path,
                entries,
                "listeners",
                format!("`{host}`: strait listens on an IP address (or `localhost`, or empty for every interface)"),
            )
        })?
    };
    let listen = std::net::SocketAddr::new(ip, port);
    let advertised_host = value_of(entries, "rest.advertised.host.name")
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| {
            if host.is_empty() {
                "localhost".to_string()
            } else {
                host.clone()
            }
        });
    let advertised_port = value_of(entries, "rest.advertised.port")
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or(port);
    Ok((listen, format!("{advertised_host}:{advertised_port}")))
}
