//! MM2's precedence, built the way MM2 builds its maps (see the parent module): per-cluster
//! properties, the connector and worker maps of a flow, and from them the four Kafka clients.

use super::*;

impl Ctx<'_> {
    /// Raw keys starting with `prefix`, prefix stripped.
    pub(super) fn raw_with_prefix_stripped(&self, prefix: &str) -> Props {
        self.raw
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|r| (r.to_string(), v.clone())))
            .collect()
    }

    /// `MirrorMakerConfig.clusterProps(alias)`.
    pub(super) fn cluster_props(&self, alias: &str) -> Props {
        let mut props = self.raw_with_prefix_stripped(&format!("{alias}."));
        for k in keys::cluster_client_keys() {
            if let Some(v) = props.get(k).cloned() {
                for kind in ["producer", "consumer", "admin"] {
                    props
                        .entry(format!("{kind}.{k}"))
                        .or_insert_with(|| v.clone());
                }
            }
        }
        for k in keys::cluster_client_keys() {
            if let Some(v) = self.raw.get(k) {
                for kind in ["producer", "consumer", "admin"] {
                    props
                        .entry(format!("{kind}.{k}"))
                        .or_insert_with(|| v.clone());
                }
                props.entry(k.to_string()).or_insert_with(|| v.clone());
            }
        }
        props
    }

    /// `MirrorMakerConfig.connectorBaseConfig(S->T, MirrorSourceConnector)`.
    pub(super) fn connector_map(&self, s: &str, t: &str) -> Props {
        let mut m = Props::new();
        for (k, v) in &self.raw {
            if keys::is_connector_key(k)
                || keys::is_config_provider_key(k)
                || k.starts_with("replication.policy")
            {
                m.insert(k.clone(), v.clone());
            }
        }
        for (side, alias) in [("source", s), ("target", t)] {
            for (k, v) in self.cluster_props(alias) {
                let is_client = ["consumer", "producer", "admin"]
                    .iter()
                    .any(|p| k.starts_with(p));
                let key = if is_client {
                    format!("{side}.{k}")
                } else {
                    format!("{side}.cluster.{k}")
                };
                m.insert(key, v);
            }
        }
        let default = |v: &str| Setting {
            value: v.to_string(),
            origin: None,
        };
        m.entry("name".into())
            .or_insert_with(|| default(SOURCE_CONNECTOR));
        m.entry("connector.class".into())
            .or_insert_with(|| default("org.apache.kafka.connect.mirror.MirrorSourceConnector"));
        m.entry("source.cluster.alias".into())
            .or_insert_with(|| default(s));
        m.entry("target.cluster.alias".into())
            .or_insert_with(|| default(t));
        m.extend(self.raw_with_prefix_stripped(&format!("{s}->{t}.")));
        m.entry("enabled".into())
            .or_insert_with(|| default("false"));
        m
    }

    /// `MirrorMakerConfig.workerConfig(S->T)`, the parts strait needs.
    pub(super) fn worker_map(&self, s: &str, t: &str) -> Props {
        let mut w = self.cluster_props(t);
        for (k, v) in &self.raw {
            if keys::WORKER_PREFIXES.iter().any(|p| k.starts_with(p))
                || keys::is_config_provider_key(k)
            {
                w.insert(k.clone(), v.clone());
            }
        }
        let defaults = [
            ("client.id", format!("{s}->{t}")),
            ("group.id", format!("{s}-mm2")),
            ("offset.storage.topic", format!("mm2-offsets.{s}.internal")),
            ("status.storage.topic", format!("mm2-status.{s}.internal")),
            ("config.storage.topic", format!("mm2-configs.{s}.internal")),
        ];
        for (k, v) in defaults {
            w.entry(k.to_string()).or_insert(Setting {
                value: v,
                origin: None,
            });
        }
        w
    }

    /// An MM2 client of the connector: `filter(X.cluster.*, CLIENT_KEYS)`, then
    /// `K.*`, then `X.K.*`; consumers get `enable.auto.commit=false` and `auto.offset.reset=earliest`
    /// when absent; `client.id` becomes `[user|]S->T|MirrorSourceConnector|role`.
    pub(super) fn mm2_client(
        &self,
        conn: &Props,
        flow: &str,
        cluster: &str,
        side: &str,
        kind: ClientKind,
        role: &str,
    ) -> ClientConfig {
        let mut props = Props::new();
        let cluster_prefix = format!("{side}.cluster.");
        for (k, v) in conn {
            if let Some(rest) = k.strip_prefix(&cluster_prefix) {
                if keys::is_client_key(rest) {
                    props.insert(rest.to_string(), v.clone());
                }
            }
        }
        for prefix in [
            format!("{}.", kind.prefix()),
            format!("{side}.{}.", kind.prefix()),
        ] {
            for (k, v) in conn {
                if let Some(rest) = k.strip_prefix(&prefix) {
                    props.insert(rest.to_string(), v.clone());
                }
            }
        }
        if kind == ClientKind::Consumer {
            props.insert(
                "enable.auto.commit".into(),
                Setting {
                    value: "false".into(),
                    origin: None,
                },
            );
            props.entry("auto.offset.reset".into()).or_insert(Setting {
                value: "earliest".into(),
                origin: None,
            });
        }
        let label = format!("{flow}|{SOURCE_CONNECTOR}|{role}");
        let client_id = match props.get("client.id") {
            Some(user) => Setting {
                value: format!("{}|{label}", user.value.trim()),
                origin: user.origin.clone(),
            },
            None => Setting {
                value: label,
                origin: None,
            },
        };
        props.insert("client.id".into(), client_id);
        ClientConfig {
            cluster: cluster.to_string(),
            props,
        }
    }

    /// The Connect worker's task producer on T, which writes the replicated records: worker `bootstrap.servers`, Connect defaults (`acks=all`, client id
    /// `connector-producer-MirrorSourceConnector`; Connect appends `-<task>`), then the worker's
    /// `producer.*` (`T.producer.*` and inherited CLIENT_KEYS), then `S->T.producer.override.*`.
    pub(super) fn worker_producer(&self, conn: &Props, s: &str, t: &str) -> ClientConfig {
        let worker = self.worker_map(s, t);
        let mut props = Props::new();
        if let Some(bs) = worker.get("bootstrap.servers") {
            props.insert("bootstrap.servers".into(), bs.clone());
        }
        for (k, v) in [
            ("acks", "all".to_string()),
            (
                "client.id",
                format!("connector-producer-{SOURCE_CONNECTOR}"),
            ),
        ] {
            props.insert(
                k.into(),
                Setting {
                    value: v,
                    origin: None,
                },
            );
        }
        for (map, prefix) in [(&worker, "producer."), (conn, "producer.override.")] {
            for (k, v) in map {
                if let Some(rest) = k.strip_prefix(prefix) {
                    props.insert(rest.to_string(), v.clone());
                }
            }
        }
        ClientConfig {
            cluster: t.to_string(),
            props,
        }
    }
}
