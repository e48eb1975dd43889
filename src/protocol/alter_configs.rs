//! Changing topic configs on a cluster: IncrementalAlterConfigs (set or delete single keys, KIP-339)
//! and, for brokers without it, the legacy AlterConfigs (which replaces a topic's whole set of
//! overrides). Topic config sync uses them as MM2's `MirrorSourceConnector` does.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::alter_configs_request as legacy;
use kafka_protocol::messages::incremental_alter_configs_request as incremental;
use kafka_protocol::messages::{AlterConfigsRequest, ApiKey, IncrementalAlterConfigsRequest};
use kafka_protocol::protocol::StrBytes;

use super::admin::{broker_error, with_message};
use super::cluster::ClusterClient;
use super::error::{ProtocolError, Result};

/// `ConfigResource.Type.TOPIC`.
const RESOURCE_TOPIC: i8 = 2;
/// `AlterConfigOp.OpType` SET and DELETE.
const OP_SET: i8 = 0;
const OP_DELETE: i8 = 1;

/// One topic's config changes: each key set to a value, or deleted (`None`: back to the cluster's
/// default).
pub(crate) type TopicChanges = (String, Vec<(String, Option<String>)>);

/// The per-topic results of an alter request, in request order: Ok, or the broker's error with its
/// message. A failure of the whole request (connection, unsupported version) is the outer error.
pub(crate) type PerTopic = Vec<(String, Result<()>)>;

/// Sends IncrementalAlterConfigs for `topics` to any broker (KRaft brokers forward to the
/// controller).
pub(crate) async fn incremental_alter(
    client: &ClusterClient,
    topics: &[TopicChanges],
) -> Result<PerTopic> {
    let req = IncrementalAlterConfigsRequest::default().with_resources(
        topics
            .iter()
            .map(|(topic, changes)| {
                incremental::AlterConfigsResource::default()
                    .with_resource_type(RESOURCE_TOPIC)
                    .with_resource_name(StrBytes::from_string(topic.clone()))
                    .with_configs(
                        changes
                            .iter()
                            .map(|(name, value)| {
                                incremental::AlterableConfig::default()
                                    .with_name(StrBytes::from_string(name.clone()))
                                    .with_config_operation(if value.is_some() {
                                        OP_SET
                                    } else {
                                        OP_DELETE
                                    })
                                    .with_value(value.clone().map(StrBytes::from_string))
                            })
                            .collect(),
                    )
            })
            .collect(),
    );
    let (_, resp) = client.send_any(&req).await?;
    Ok(per_topic(
        client,
        ApiKey::IncrementalAlterConfigs,
        topics,
        resp.responses
            .iter()
            .map(|r| {
                (
                    r.resource_name.to_string(),
                    r.error_code,
                    r.error_message.clone(),
                )
            })
            .collect(),
    ))
}

/// Sends the legacy AlterConfigs for `topics`: each topic's overrides become exactly the keys set
/// (deleted keys are left out, so they go back to the default).
pub(crate) async fn legacy_alter(
    client: &ClusterClient,
    topics: &[TopicChanges],
) -> Result<PerTopic> {
    let req = AlterConfigsRequest::default().with_resources(
        topics
            .iter()
            .map(|(topic, changes)| {
                legacy::AlterConfigsResource::default()
                    .with_resource_type(RESOURCE_TOPIC)
                    .with_resource_name(StrBytes::from_string(topic.clone()))
                    .with_configs(
                        changes
                            .iter()
                            .filter_map(|(name, value)| {
                                value.as_ref().map(|v| {
                                    legacy::AlterableConfig::default()
                                        .with_name(StrBytes::from_string(name.clone()))
                                        .with_value(Some(StrBytes::from_string(v.clone())))
                                })
                            })
                            .collect(),
                    )
            })
            .collect(),
    );
    let (_, resp) = client.send_any(&req).await?;
    Ok(per_topic(
        client,
        ApiKey::AlterConfigs,
        topics,
        resp.responses
            .iter()
            .map(|r| {
                (
                    r.resource_name.to_string(),
                    r.error_code,
                    r.error_message.clone(),
                )
            })
            .collect(),
    ))
}

/// Each requested topic's result from the response's (name, error code, message) rows.
fn per_topic(
    client: &ClusterClient,
    api: ApiKey,
    topics: &[TopicChanges],
    rows: Vec<(String, i16, Option<StrBytes>)>,
) -> PerTopic {
    topics
        .iter()
        .map(|(topic, _)| {
            let result = match rows.iter().find(|(name, _, _)| name == topic) {
                None => Err(broker_error(
                    client,
                    api,
                    ResponseError::UnknownServerError,
                    format!("topic {topic}: missing from the response"),
                )),
                Some((_, code, message)) => match ResponseError::try_from_code(*code) {
                    None => Ok(()),
                    Some(code) => Err(broker_error(
                        client,
                        api,
                        code,
                        with_message(format!("topic {topic}"), message.as_ref()),
                    )),
                },
            };
            (topic.clone(), result)
        })
        .collect()
}

/// Whether `e` says the broker does not speak the API (so MM2's `requested` mode falls back).
pub(crate) fn is_unsupported(e: &ProtocolError) -> bool {
    matches!(
        e,
        ProtocolError::UnsupportedVersion { .. }
            | ProtocolError::Broker {
                code: ResponseError::UnsupportedVersion,
                ..
            }
    )
}
