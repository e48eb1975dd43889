//! Byte-exact encoding of Kafka Connect source offsets as MM2's `MirrorSourceConnector` writes them
//! (Kafka Connect's offset storage, docs/configuration.md "Progress format is Kafka Connect's"): key `["MirrorSourceConnector",{"cluster":"A","partition":0,"topic":"t"}]`,
//! value `{"offset":41}` (the offset of the LAST replicated record). Connect looks offsets up by the
//! serialized key bytes, so the field order and spacing must match Java's exactly.

use serde_json::Value;

/// The name of MM2's data connector: Connect stores source offsets under it, and MM2's client ids
/// carry it (`S->T|MirrorSourceConnector|replication-consumer`).
pub(crate) const SOURCE_CONNECTOR: &str = "MirrorSourceConnector";

/// The name of MM2's heartbeat connector, in its clients' ids.
pub(crate) const HEARTBEAT_CONNECTOR: &str = "MirrorHeartbeatConnector";

/// Kafka's default partitioner seed for murmur2.
const KAFKA_MURMUR2_SEED: u32 = 0x9747_b28c;

/// Encodes the offsets-topic key for one source partition of connector `connector` (MM2's
/// dedicated mode: `MirrorSourceConnector`; Connect mode: the connector's REST name),
/// byte-identical to Java Connect.
pub(crate) fn source_offset_key(
    connector: &str,
    cluster: &str,
    topic: &str,
    partition: i32,
) -> Vec<u8> {
    // Java HashMap iteration order for these three keys is cluster, partition, topic.
    format!(
        "[{},{{\"cluster\":{},\"partition\":{},\"topic\":{}}}]",
        json_string(connector),
        json_string(cluster),
        partition,
        json_string(topic)
    )
    .into_bytes()
}

/// Encodes the offsets-topic value for the last replicated record's offset.
pub(crate) fn source_offset_value(last_replicated: i64) -> Vec<u8> {
    format!("{{\"offset\":{last_replicated}}}").into_bytes()
}

/// A decoded source-offset key: which cluster, topic and partition it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourceOffsetKey {
    /// Connector name (`MirrorSourceConnector`, or the REST name in Connect mode).
    pub(crate) connector: String,
    /// Source cluster alias.
    pub(crate) cluster: String,
    /// Source topic.
    pub(crate) topic: String,
    /// Source partition.
    pub(crate) partition: i32,
}

/// Parses a key written by strait or by Java Connect; `None` for keys of other shapes (e.g. the
/// checkpoint or heartbeat connectors), which the progress reader skips.
pub(crate) fn parse_source_offset_key(bytes: &[u8]) -> Option<SourceOffsetKey> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    let arr = v.as_array()?;
    if arr.len() != 2 {
        return None;
    }
    let connector = arr[0].as_str()?.to_string();
    let obj = arr[1].as_object()?;
    Some(SourceOffsetKey {
        connector,
        cluster: obj.get("cluster")?.as_str()?.to_string(),
        topic: obj.get("topic")?.as_str()?.to_string(),
        partition: i32::try_from(obj.get("partition")?.as_i64()?).ok()?,
    })
}

/// Parses a value `{"offset":N}`; `None` when it is not of that shape.
pub(crate) fn parse_source_offset_value(bytes: &[u8]) -> Option<i64> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    v.as_object()?.get("offset")?.as_i64()
}

/// The partition of the offsets topic a key lands in, as Kafka's default partitioner (murmur2 of
/// the key bytes, made positive, modulo the partition count) picks it, so Java readers find it.
pub(crate) fn partition_for_key(key: &[u8], partitions: i32) -> i32 {
    let hash = murmur2::murmur2(key, KAFKA_MURMUR2_SEED) as i32;
    let positive = hash & 0x7fff_ffff;
    positive % partitions.max(1)
}

/// JSON string literal as Jackson writes it (quotes, backslash and control characters escaped).
fn json_string(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_key_matches_java_connect_bytes_and_partition() {
        let key = source_offset_key(SOURCE_CONNECTOR, "A", "orders", 0);
        assert_eq!(
            std::str::from_utf8(&key).unwrap(),
            r#"["MirrorSourceConnector",{"cluster":"A","partition":0,"topic":"orders"}]"#
        );
        // As Java computes it: murmur2 of this key is -225638395, partition 3 of 25.
        assert_eq!(
            murmur2::murmur2(&key, KAFKA_MURMUR2_SEED) as i32,
            -225_638_395
        );
        assert_eq!(partition_for_key(&key, 25), 3);
    }

    #[test]
    fn other_connector_keys_partition_as_java_does() {
        let checkpoint =
            br#"["MirrorCheckpointConnector",{"partition":0,"topic":"A.orders","group":"g1"}]"#;
        let heartbeat =
            br#"["MirrorHeartbeatConnector",{"sourceClusterAlias":"A","targetClusterAlias":"B"}]"#;
        assert_eq!(partition_for_key(checkpoint, 25), 16);
        assert_eq!(partition_for_key(heartbeat, 25), 0);
    }

    #[test]
    fn key_and_value_round_trip() {
        let key = source_offset_key(SOURCE_CONNECTOR, "primary", "orders.v1", 11);
        let parsed = parse_source_offset_key(&key).unwrap();
        assert_eq!(
            parsed,
            SourceOffsetKey {
                connector: SOURCE_CONNECTOR.into(),
                cluster: "primary".into(),
                topic: "orders.v1".into(),
                partition: 11
            }
        );
        assert_eq!(source_offset_value(41), br#"{"offset":41}"#.to_vec());
        assert_eq!(parse_source_offset_value(br#"{"offset":41}"#), Some(41));
        assert_eq!(parse_source_offset_value(b"{}"), None);
        assert_eq!(parse_source_offset_key(br#"["X",{"a":1}]"#), None);
    }

    #[test]
    fn aliases_needing_escapes_are_valid_json() {
        let key = source_offset_key(SOURCE_CONNECTOR, "we\"ird\\", "t", 0);
        assert_eq!(parse_source_offset_key(&key).unwrap().cluster, "we\"ird\\");
    }
}
