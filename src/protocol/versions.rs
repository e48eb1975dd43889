//! Which version of each API strait speaks. The `kafka-protocol` crate can encode newer versions than
//! we want: Produce v13+ addresses topics by id instead of name, and the rest of strait works with
//! names. Fetch v13 (by id) is used: its requests carry both, see `fetch_request`. So each API has a cap here, and the version used on a connection is the highest
//! one in (crate range) ∩ (cap) ∩ (what the broker advertised in ApiVersions).

use kafka_protocol::messages::ApiKey;
use kafka_protocol::protocol::VersionRange;

/// Our highest version for `api`, or `None` when strait does not cap it (the crate's range is used).
/// Fetch <= 13 (v14+ add replica state strait does not need) and Produce <= 11 (names); the others
/// are the newest versions
/// Kafka 3.x brokers speak whose fields strait has been written against.
pub(crate) fn cap(api: ApiKey) -> Option<i16> {
    match api {
        ApiKey::Fetch => Some(13),
        ApiKey::Produce => Some(11),
        ApiKey::Metadata => Some(12),
        ApiKey::ListOffsets => Some(8),
        ApiKey::CreateTopics => Some(7),
        // v6+ address topics by id.
        ApiKey::DeleteTopics => Some(5),
        ApiKey::CreatePartitions => Some(3),
        ApiKey::DescribeConfigs => Some(4),
        ApiKey::IncrementalAlterConfigs => Some(1),
        ApiKey::AlterConfigs => Some(2),
        ApiKey::DescribeAcls => Some(3),
        ApiKey::CreateAcls => Some(3),
        ApiKey::InitProducerId => Some(4),
        ApiKey::ApiVersions => Some(3),
        // One group per request (v4+ batch coordinators, v8+ batch groups, v9 is KIP-848's).
        ApiKey::FindCoordinator => Some(3),
        ApiKey::OffsetFetch => Some(7),
        ApiKey::OffsetCommit => Some(8),
        ApiKey::ListGroups => Some(4),
        ApiKey::DescribeGroups => Some(5),
        _ => None,
    }
}

/// The range strait can speak for `api`: the crate's range for the message type, capped by [`cap`].
/// May be empty if the cap is below the crate's minimum.
pub(crate) fn ours(api: ApiKey, crate_range: VersionRange) -> VersionRange {
    match cap(api) {
        Some(max) => crate_range.intersect(&VersionRange { min: 0, max }),
        None => crate_range,
    }
}

/// The highest version both sides speak for `api`, with our cap applied to `ours` as well, or `None`
/// when there is none.
pub(crate) fn pick(api: ApiKey, ours: VersionRange, theirs: VersionRange) -> Option<i16> {
    let common = self::ours(api, ours).intersect(&theirs);
    (!common.is_empty() && !theirs.is_empty()).then_some(common.max)
}

/// An empty range, for "the broker did not list this API".
pub(crate) const NONE: VersionRange = VersionRange { min: 0, max: -1 };

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::{FetchRequest, MetadataRequest, ProduceRequest};
    use kafka_protocol::protocol::Message;

    fn r(min: i16, max: i16) -> VersionRange {
        VersionRange { min, max }
    }

    #[test]
    fn caps_apply() {
        // Kafka 3.9 advertises Fetch 0..17 and Produce 0..11.
        assert_eq!(
            pick(ApiKey::Fetch, FetchRequest::VERSIONS, r(0, 17)),
            Some(13)
        );
        assert_eq!(
            pick(ApiKey::Produce, ProduceRequest::VERSIONS, r(0, 11)),
            Some(11)
        );
        assert_eq!(
            pick(ApiKey::Metadata, MetadataRequest::VERSIONS, r(0, 12)),
            Some(12)
        );
    }

    #[test]
    fn older_broker_wins_when_lower() {
        assert_eq!(
            pick(ApiKey::Fetch, FetchRequest::VERSIONS, r(0, 11)),
            Some(11)
        );
        assert_eq!(pick(ApiKey::Metadata, r(0, 13), r(0, 9)), Some(9));
    }

    #[test]
    fn no_overlap_is_none() {
        // The crate starts Fetch at v4; a broker stuck at 0..3 has nothing in common.
        assert_eq!(pick(ApiKey::Fetch, FetchRequest::VERSIONS, r(0, 3)), None);
        assert_eq!(pick(ApiKey::Metadata, r(0, 13), NONE), None);
        // Broker only speaks versions above our cap.
        assert_eq!(pick(ApiKey::Produce, r(3, 13), r(12, 13)), None);
    }

    #[test]
    fn uncapped_api_uses_crate_range() {
        assert_eq!(pick(ApiKey::DeleteRecords, r(2, 10), r(0, 9)), Some(9));
        assert_eq!(ours(ApiKey::DeleteRecords, r(2, 10)), r(2, 10));
        assert_eq!(ours(ApiKey::Fetch, r(4, 18)), r(4, 13));
    }
}
