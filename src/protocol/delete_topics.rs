//! DeleteTopics, for the one command that deletes: `strait failback --rebuild`, which recreates
//! the old primary's topics under `IdentityReplicationPolicy` after their lost tail was exported.
//! The replicator itself never deletes a topic.

use std::time::Duration;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{ApiKey, DeleteTopicsRequest};
use tokio::time::Instant;

use super::admin::{backoff_or_give_up, broker_error, broker_wait_ms, topic_name, with_message};
use super::backoff::Backoff;
use super::cluster::ClusterClient;
use super::error::{ProtocolError, Result};

/// Deletes `topic`, sent to any broker (KRaft brokers forward to the controller). A topic that
/// does not exist counts as deleted; retriable errors are retried until `timeout`.
pub(crate) async fn delete_topic(
    client: &ClusterClient,
    topic: &str,
    timeout: Duration,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let mut backoff = Backoff::for_retry(client.settings());
    loop {
        let req = DeleteTopicsRequest::default()
            .with_timeout_ms(broker_wait_ms(client, deadline))
            .with_topic_names(vec![topic_name(topic)]);
        let failed: ProtocolError = match client.send_any(&req).await {
            Ok((_, resp)) => {
                let result = resp
                    .responses
                    .iter()
                    .find(|r| r.name.as_ref().is_some_and(|n| &*n.0 == topic));
                let Some(r) = result else {
                    return Err(broker_error(
                        client,
                        ApiKey::DeleteTopics,
                        ResponseError::UnknownServerError,
                        format!("topic {topic}: missing from the response"),
                    ));
                };
                match ResponseError::try_from_code(r.error_code) {
                    None | Some(ResponseError::UnknownTopicOrPartition) => return Ok(()),
                    Some(code) => {
                        let e = broker_error(
                            client,
                            ApiKey::DeleteTopics,
                            code,
                            with_message(format!("topic {topic}"), r.error_message.as_ref()),
                        );
                        if !code.is_retriable() {
                            return Err(e);
                        }
                        e
                    }
                }
            }
            Err(e) if e.is_retriable() => e,
            Err(e) => return Err(e),
        };
        let why = failed.to_string();
        if !backoff_or_give_up(&mut backoff, deadline, "delete topic", &why).await {
            return Err(failed);
        }
    }
}
