//! Topic ACLs on a cluster: DescribeAcls of every topic binding and CreateAcls, for topic ACL
//! sync (MM2's `MirrorSourceConnector.syncTopicAcls`).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::{ApiKey, CreateAclsRequest, DescribeAclsRequest};
use kafka_protocol::protocol::StrBytes;

use super::admin::{broker_error, with_message};
use super::cluster::ClusterClient;
use super::error::Result;

/// `ResourceType.TOPIC`.
pub(crate) const RESOURCE_TOPIC: i8 = 2;
/// `PatternType.ANY`, `PatternType.LITERAL`.
const PATTERN_ANY: i8 = 1;
pub(crate) const PATTERN_LITERAL: i8 = 3;
/// `AclOperation.ANY`, `ALL`, `READ`, `WRITE`.
const OPERATION_ANY: i8 = 1;
pub(crate) const OPERATION_ALL: i8 = 2;
pub(crate) const OPERATION_READ: i8 = 3;
pub(crate) const OPERATION_WRITE: i8 = 4;
/// `AclPermissionType.ANY`, `ALLOW`.
const PERMISSION_ANY: i8 = 1;
pub(crate) const PERMISSION_ALLOW: i8 = 3;

/// One ACL binding: a resource pattern and an access control entry, with Kafka's enum codes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct AclBinding {
    /// `ResourceType` code.
    pub(crate) resource_type: i8,
    /// The resource's name.
    pub(crate) name: String,
    /// `PatternType` code.
    pub(crate) pattern_type: i8,
    /// `User:alice`.
    pub(crate) principal: String,
    /// `*` or an address.
    pub(crate) host: String,
    /// `AclOperation` code.
    pub(crate) operation: i8,
    /// `AclPermissionType` code.
    pub(crate) permission: i8,
}

/// Every topic ACL binding of the cluster (any pattern type), or None when the cluster has no
/// authorizer (SECURITY_DISABLED).
pub(crate) async fn describe_topic_acls(client: &ClusterClient) -> Result<Option<Vec<AclBinding>>> {
    let req = DescribeAclsRequest::default()
        .with_resource_type_filter(RESOURCE_TOPIC)
        .with_resource_name_filter(None)
        .with_pattern_type_filter(PATTERN_ANY)
        .with_principal_filter(None)
        .with_host_filter(None)
        .with_operation(OPERATION_ANY)
        .with_permission_type(PERMISSION_ANY);
    let (_, resp) = client.send_any(&req).await?;
    match ResponseError::try_from_code(resp.error_code) {
        Some(ResponseError::SecurityDisabled) => return Ok(None),
        Some(code) => {
            return Err(broker_error(
                client,
                ApiKey::DescribeAcls,
                code,
                with_message("topic ACLs".into(), resp.error_message.as_ref()),
            ))
        }
        None => {}
    }
    Ok(Some(
        resp.resources
            .iter()
            .flat_map(|r| {
                r.acls.iter().map(|a| AclBinding {
                    resource_type: r.resource_type,
                    name: r.resource_name.to_string(),
                    pattern_type: r.pattern_type,
                    principal: a.principal.to_string(),
                    host: a.host.to_string(),
                    operation: a.operation,
                    permission: a.permission_type,
                })
            })
            .collect(),
    ))
}

/// Creates `bindings` (creating one that exists is a no-op for Kafka's authorizers); per
/// binding, Ok or the broker's refusal with its message.
pub(crate) async fn create_acls(
    client: &ClusterClient,
    bindings: &[AclBinding],
) -> Result<Vec<(AclBinding, Result<()>)>> {
    let req = CreateAclsRequest::default().with_creations(
        bindings
            .iter()
            .map(|b| {
                AclCreation::default()
                    .with_resource_type(b.resource_type)
                    .with_resource_name(StrBytes::from_string(b.name.clone()))
                    .with_resource_pattern_type(b.pattern_type)
                    .with_principal(StrBytes::from_string(b.principal.clone()))
                    .with_host(StrBytes::from_string(b.host.clone()))
                    .with_operation(b.operation)
                    .with_permission_type(b.permission)
            })
            .collect(),
    );
    let (_, resp) = client.send_any(&req).await?;
    Ok(bindings
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let result = match resp.results.get(i) {
                None => Err(broker_error(
                    client,
                    ApiKey::CreateAcls,
                    ResponseError::UnknownServerError,
                    format!("ACL on topic {}: missing from the response", b.name),
                )),
                Some(r) => match ResponseError::try_from_code(r.error_code) {
                    None => Ok(()),
                    Some(code) => Err(broker_error(
                        client,
                        ApiKey::CreateAcls,
                        code,
                        with_message(format!("ACL on topic {}", b.name), r.error_message.as_ref()),
                    )),
                },
            };
            (b.clone(), result)
        })
        .collect())
}
