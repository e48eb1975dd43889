//! What Connect mode does with the keys it reads itself (not through the resolver), for
//! `strait check`'s key report.

use super::{ConnectorClass, ConnectorSpec};
use crate::config::{keys, Origin};

/// The connector keys Connect mode reads itself, where each was written, and what it does.
pub(super) fn connector_keys(connectors: &[ConnectorSpec]) -> Vec<(Origin, String)> {
    let mut out = Vec::new();
    for c in connectors {
        for (k, setting) in &c.config {
            let what = match k.as_str() {
                "name" => "acts: the connector's REST name; its progress is keyed by it",
                "connector.class" => match c.class {
                    ConnectorClass::Source => {
                        "acts: a source connector: the data and the offset-syncs"
                    }
                    ConnectorClass::Checkpoint => {
                        "acts: a checkpoint connector: checkpoints and group offset sync"
                    }
                    ConnectorClass::Heartbeat => "acts: a heartbeat connector: heartbeats",
                },
                "source.cluster.alias" => {
                    "acts: the source cluster's alias (remote topics are `<alias>.<topic>`)"
                }
                "target.cluster.alias" => "acts: the target cluster's alias",
                _ => continue,
            };
            if let Some(o) = &setting.origin {
                out.push((o.clone(), what.to_string()));
            }
        }
    }
    out
}

/// What Connect mode does with worker key `k` itself (None: the resolver says).
pub(super) fn worker_key(k: &str) -> Option<&'static str> {
    match k {
        "bootstrap.servers" => Some("acts: the worker's cluster, where the config and status topics live; a warning when it is not a connector's target cluster"),
        "config.storage.topic" | "config.storage.replication.factor" => Some("acts: where connector configs and target states live (Connect's records); a restart reloads the connectors from it"),
        "status.storage.topic" | "status.storage.partitions" | "status.storage.replication.factor" => Some("acts: where connector and task statuses are written (Connect's records)"),
        "group.id" => Some("no effect yet: the Connect group (several workers as one is issue 17)"),
        "listeners" => Some("acts: where the REST API listens (`http://host:port`)"),
        "rest.port" | "rest.host.name" => Some("acts: where the REST API listens when `listeners` is not set"),
        "rest.advertised.host.name" | "rest.advertised.port" => Some("acts: the worker id the REST API reports"),
        _ if keys::is_client_key(k) && !k.starts_with("producer.") => Some("acts: the connection to the worker's cluster (config and status topics); strait connects to each replicated cluster as the connectors' `source.cluster.*` / `target.cluster.*` say"),
        _ => None,
    }
}
