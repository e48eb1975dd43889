//! Connect's own state topics on the worker's cluster, in Connect's record formats, so that strait
//! and a Java Connect cluster can take over from each other:
//! - the config topic (one partition, compacted): `connector-<name>` -> `{"properties": {...}}`,
//!   `target-state-<name>` -> `{"state": ..., "state.v2": ...}`, tombstones for both on delete
//!   (`KafkaConfigBackingStore`). Java's task, commit, session-key and restart records are left
//!   alone: a Java leader writes its own task configs when it starts a connector.
//! - the status topic: `status-connector-<name>` and `status-task-<name>-<id>` ->
//!   `{"state", "trace", "worker_id", "generation"}`, a tombstone when the connector is deleted
//!   (`KafkaStatusBackingStore`), in the partition Kafka's default partitioner picks for the key.
//!
//! Values are JSON without schemas, as Connect's internal converter writes them.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};
use tracing::warn;

use super::control::Target;
use crate::config::connect::ConnectStateSpec;
use crate::offsets::connect_format::partition_for_key;
use crate::offsets::internal_topic::{append, ensure_topic, InternalRecord, TopicIoError};
use crate::offsets::topic_reader::{read_partition, StoredRecord};
use crate::protocol::admin::NewTopic;
use crate::protocol::ClusterClient;

/// How long a write or a topic creation may wait for the brokers.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts of a write whose error is retriable, with a doubling pause from 200 ms.
const ATTEMPTS: u32 = 5;

/// A connector as the config topic holds it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredConnector {
    /// Its REST name.
    pub(crate) name: String,
    /// Its config (`name` included, as Connect stores it).
    pub(crate) properties: BTreeMap<String, String>,
    /// Its target state (RUNNING when the topic holds none, as Connect defaults it).
    pub(crate) target: Target,
}

/// The config and status topics of a distributed worker.
pub(crate) struct StateTopics {
    client: ClusterClient,
    config_topic: String,
    status_topic: String,
    status_partitions: i32,
}

impl StateTopics {
    /// Connects to the worker's cluster and creates both topics where missing (compacted, as
    /// Connect creates them); a config topic of more than one partition is refused, as Connect
    /// refuses it.
    pub(crate) async fn open(spec: &ConnectStateSpec) -> Result<StateTopics, String> {
        let conn = crate::security::connection(&spec.connection)
            .map_err(|e| format!("the Connect worker's cluster: {e}"))?;
        let client = ClusterClient::new(conn);
        let config_partitions = ensure_topic(
            &client,
            &NewTopic {
                name: spec.config_topic.clone(),
                partitions: 1,
                replication_factor: spec.config_replication_factor,
                configs: Vec::new(),
            },
            TIMEOUT,
        )
        .await
        .map_err(|e| e.to_string())?;
        if config_partitions != 1 {
            return Err(format!(
                "config.storage.topic `{}` has {config_partitions} partitions; Connect keeps connector configs in a topic of exactly one partition",
                spec.config_topic
            ));
        }
        let status_partitions = ensure_topic(
            &client,
            &NewTopic {
                name: spec.status_topic.clone(),
                partitions: spec.status_partitions,
                replication_factor: spec.status_replication_factor,
                configs: Vec::new(),
            },
            TIMEOUT,
        )
        .await
        .map_err(|e| e.to_string())?;
        Ok(StateTopics {
            client,
            config_topic: spec.config_topic.clone(),
            status_topic: spec.status_topic.clone(),
            status_partitions,
        })
    }

    /// The connectors the config topic holds now, in the order they were first written.
    pub(crate) async fn connectors(&self) -> Result<Vec<StoredConnector>, String> {
        let records = read_partition(&self.client, &self.config_topic, 0)
            .await
            .map_err(|e| e.to_string())?;
        Ok(fold_config(&records))
    }

    /// Writes `name`'s config, with its target state first when given (as Connect's
    /// `putConnectorConfig` does for a connector created in a given state).
    pub(crate) async fn put_config(
        &self,
        name: &str,
        properties: &BTreeMap<String, String>,
        target: Option<Target>,
    ) -> Result<(), String> {
        let mut records = Vec::new();
        if let Some(t) = target {
            records.push(record(
                format!("target-state-{name}"),
                Some(target_value(t)),
            ));
        }
        records.push(record(
            format!("connector-{name}"),
            Some(config_value(properties)),
        ));
        self.write(&self.config_topic, 0, &records).await
    }

    /// Writes `name`'s target state.
    pub(crate) async fn put_target(&self, name: &str, target: Target) -> Result<(), String> {
        let r = record(format!("target-state-{name}"), Some(target_value(target)));
        self.write(&self.config_topic, 0, &[r]).await
    }

    /// Removes `name`: tombstones for its config and target state, as Connect deletes.
    pub(crate) async fn remove(&self, name: &str) -> Result<(), String> {
        let records = [
            record(format!("connector-{name}"), None),
            record(format!("target-state-{name}"), None),
        ];
        self.write(&self.config_topic, 0, &records).await
    }

    /// Writes a status record (`None`: a tombstone) under `key`, in the partition Java's
    /// producer would pick for it.
    pub(crate) async fn put_status(&self, key: &str, value: Option<Vec<u8>>) -> Result<(), String> {
        let partition = partition_for_key(key.as_bytes(), self.status_partitions);
        let r = record(key.to_string(), value);
        self.write(&self.status_topic, partition, &[r]).await
    }

    /// Appends `records` with `acks=all`, retrying retriable errors with a doubling pause.
    async fn write(
        &self,
        topic: &str,
        partition: i32,
        records: &[InternalRecord],
    ) -> Result<(), String> {
        let mut pause = Duration::from_millis(200);
        for attempt in 1..=ATTEMPTS {
            match append(&self.client, topic, partition, records, TIMEOUT).await {
                Ok(_) => return Ok(()),
                Err(e) if e.is_retriable() && attempt < ATTEMPTS => {
                    warn!(topic, error = %e, attempt, "cannot write Connect state yet; retrying");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Err(e) => return Err(describe(e)),
            }
        }
        unreachable!("the last attempt returns")
    }
}

/// The error of a failed write, for the REST answer.
fn describe(e: TopicIoError) -> String {
    format!("cannot write to the Connect state topic: {e}")
}

/// A record with a string key and a value or a tombstone.
fn record(key: String, value: Option<Vec<u8>>) -> InternalRecord {
    InternalRecord {
        key: Some(Bytes::from(key.into_bytes())),
        value: value.map(Bytes::from),
        timestamp: crate::clock::now_ms(),
        headers: Vec::new(),
    }
}

/// `{"properties": {...}}`.
fn config_value(properties: &BTreeMap<String, String>) -> Vec<u8> {
    json!({ "properties": properties }).to_string().into_bytes()
}

/// `{"state": ..., "state.v2": ...}`: STOPPED is written as PAUSED in `state` for workers older
/// than Kafka 3.5, as Connect writes it.
fn target_value(target: Target) -> Vec<u8> {
    let v2 = match target {
        Target::Running => "STARTED",
        Target::Paused => "PAUSED",
        Target::Stopped => "STOPPED",
    };
    let v1 = if target == Target::Stopped {
        "PAUSED"
    } else {
        v2
    };
    json!({"state": v1, "state.v2": v2})
        .to_string()
        .into_bytes()
}

/// A target-state value as Connect reads it: `state.v2` first, else `state`.
fn parse_target(value: &Value) -> Option<Target> {
    let state = value
        .get("state.v2")
        .and_then(Value::as_str)
        .or_else(|| value.get("state").and_then(Value::as_str))?;
    match state {
        "STARTED" => Some(Target::Running),
        "PAUSED" => Some(Target::Paused),
        "STOPPED" => Some(Target::Stopped),
        _ => None,
    }
}

/// The status record of a connector or task: `{"state", "trace", "worker_id", "generation"}`.
/// strait has no Connect group generation: 0, so that a Java worker's own status, of a later
/// generation, always replaces it.
pub(crate) fn status_value(state: &str, trace: Option<&str>, worker_id: &str) -> Vec<u8> {
    json!({"state": state, "trace": trace, "worker_id": worker_id, "generation": 0})
        .to_string()
        .into_bytes()
}

/// The connectors a config topic's records leave, as Connect folds them: the last config of each
/// name, removed by a tombstone; a target state applies to its connector (RUNNING by default).
/// Records of other kinds and values Connect would ignore (not JSON, wrong shape) are skipped
/// with a warning.
fn fold_config(records: &[StoredRecord]) -> Vec<StoredConnector> {
    let mut order: Vec<String> = Vec::new();
    let mut configs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut targets: BTreeMap<String, Target> = BTreeMap::new();
    for r in records {
        let Some(key) = r
            .key
            .as_ref()
            .map(|k| String::from_utf8_lossy(k).into_owned())
        else {
            continue;
        };
        let value: Option<Value> = match &r.value {
            None => None,
            Some(v) => match serde_json::from_slice(v) {
                Ok(v) => Some(v),
                Err(e) => {
                    warn!(key, offset = r.offset, error = %e, "config topic record is not JSON; skipped, as Connect skips it");
                    continue;
                }
            },
        };
        if let Some(name) = key.strip_prefix("connector-") {
            match value {
                None => {
                    configs.remove(name);
                    targets.remove(name);
                    order.retain(|n| n != name);
                }
                Some(v) => {
                    let Some(props) = v.get("properties").and_then(Value::as_object) else {
                        warn!(
                            key,
                            offset = r.offset,
                            "connector config without `properties`; skipped, as Connect skips it"
                        );
                        continue;
                    };
                    let props = props
                        .iter()
                        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                        .collect();
                    if !configs.contains_key(name) {
                        order.push(name.to_string());
                    }
                    configs.insert(name.to_string(), props);
                }
            }
        } else if let Some(name) = key.strip_prefix("target-state-") {
            match value.as_ref().map(parse_target) {
                None => {
                    targets.remove(name);
                }
                Some(Some(t)) => {
                    targets.insert(name.to_string(), t);
                }
                Some(None) => {
                    warn!(
                        key,
                        offset = r.offset,
                        "unknown target state; skipped, as Connect skips it"
                    );
                }
            }
        }
    }
    order
        .into_iter()
        .map(|name| StoredConnector {
            target: targets.get(&name).copied().unwrap_or(Target::Running),
            properties: configs.remove(&name).unwrap_or_default(),
            name,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(offset: i64, key: &str, value: Option<&str>) -> StoredRecord {
        StoredRecord {
            offset,
            timestamp: 0,
            key: Some(Bytes::from(key.to_string())),
            value: value.map(|v| Bytes::from(v.to_string())),
            headers: Vec::new(),
        }
    }

    /// Records as a Java 3.9 worker writes them (its task, commit and session-key records
    /// included) fold into the connectors and states Connect would see.
    #[test]
    fn a_java_workers_config_topic_folds_into_its_connectors_and_target_states() {
        let records = [
            stored(
                0,
                "session-key",
                Some(r#"{"key":"abc","algorithm":"HmacSHA256","creation-timestamp":1}"#),
            ),
            stored(
                1,
                "connector-mm2-source",
                Some(
                    r#"{"properties":{"connector.class":"MirrorSourceConnector","name":"mm2-source","topics":"a"}}"#,
                ),
            ),
            stored(
                2,
                "task-mm2-source-0",
                Some(r#"{"properties":{"task.class":"x"}}"#),
            ),
            stored(3, "commit-mm2-source", Some(r#"{"tasks":1}"#)),
            stored(
                4,
                "connector-mm2-heartbeat",
                Some(r#"{"properties":{"name":"mm2-heartbeat"}}"#),
            ),
            stored(
                5,
                "target-state-mm2-source",
                Some(r#"{"state":"PAUSED","state.v2":"STOPPED"}"#),
            ),
            stored(
                6,
                "connector-mm2-source",
                Some(
                    r#"{"properties":{"connector.class":"MirrorSourceConnector","name":"mm2-source","topics":"a|b"}}"#,
                ),
            ),
            stored(
                7,
                "target-state-mm2-heartbeat",
                Some(r#"{"state":"PAUSED"}"#),
            ),
            stored(
                8,
                "connector-gone",
                Some(r#"{"properties":{"name":"gone"}}"#),
            ),
            stored(9, "connector-gone", None),
            stored(10, "target-state-gone", None),
            stored(11, "connector-bad", Some("not json")),
        ];
        let got = fold_config(&records);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].name, "mm2-source");
        assert_eq!(got[0].properties["topics"], "a|b");
        assert_eq!(got[0].target, Target::Stopped);
        assert_eq!(got[1].name, "mm2-heartbeat");
        assert_eq!(got[1].target, Target::Paused);
    }

    /// What strait writes reads back the same, and in the shapes Java parses.
    #[test]
    fn written_values_have_connects_shapes_and_fold_back() {
        let props: BTreeMap<String, String> = [
            ("name".to_string(), "c".to_string()),
            ("topics".to_string(), "x".to_string()),
        ]
        .into_iter()
        .collect();
        let config = String::from_utf8(config_value(&props)).unwrap();
        assert_eq!(config, r#"{"properties":{"name":"c","topics":"x"}}"#);
        let stopped = String::from_utf8(target_value(Target::Stopped)).unwrap();
        assert_eq!(stopped, r#"{"state":"PAUSED","state.v2":"STOPPED"}"#);
        let running = String::from_utf8(target_value(Target::Running)).unwrap();
        assert_eq!(running, r#"{"state":"STARTED","state.v2":"STARTED"}"#);
        let folded = fold_config(&[
            stored(0, "target-state-c", Some(&stopped)),
            stored(1, "connector-c", Some(&config)),
        ]);
        assert_eq!(
            folded,
            vec![StoredConnector {
                name: "c".into(),
                properties: props,
                target: Target::Stopped
            }]
        );
        let status = String::from_utf8(status_value("FAILED", Some("boom"), "w:8083")).unwrap();
        let v: Value = serde_json::from_str(&status).unwrap();
        assert_eq!(
            v,
            json!({"state": "FAILED", "trace": "boom", "worker_id": "w:8083", "generation": 0})
        );
    }
}
