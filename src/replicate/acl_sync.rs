//! Topic ACL sync, as MM2 3.9's `MirrorSourceConnector.syncTopicAcls` does it: at start and every
//! `sync.topic.acls.interval.seconds`, the source's topic ACLs are read and created on the target
//! for the remote topics.
//! - Only literal topic bindings of replicated topics are copied; ALLOW WRITE is left out (only
//!   the replicator writes a remote topic) and ALLOW ALL becomes ALLOW READ.
//! - Nothing is ever deleted on the target.
//! - A source without an authorizer is reported once, not every interval. A binding the target
//!   refuses is reported once per reason, and replication goes on.

use std::collections::HashSet;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::config::FlowConfig;
use crate::protocol::acls::{
    create_acls, describe_topic_acls, AclBinding, OPERATION_ALL, OPERATION_READ, OPERATION_WRITE,
    PATTERN_LITERAL, PERMISSION_ALLOW, RESOURCE_TOPIC,
};
use crate::protocol::ClusterClient;

/// The target bindings for the source's `bindings` (MM2's filter and rewrite, see the module doc).
pub(crate) fn target_bindings(cfg: &FlowConfig, bindings: &[AclBinding]) -> Vec<AclBinding> {
    let mut out: Vec<AclBinding> = bindings
        .iter()
        .filter(|b| b.resource_type == RESOURCE_TOPIC && b.pattern_type == PATTERN_LITERAL)
        .filter(|b| !(b.permission == PERMISSION_ALLOW && b.operation == OPERATION_WRITE))
        .filter(|b| cfg.should_replicate_topic(&b.name))
        .map(|b| {
            let mut t = b.clone();
            t.name = cfg.remote_topic(&b.name);
            if b.permission == PERMISSION_ALLOW && b.operation == OPERATION_ALL {
                t.operation = OPERATION_READ;
            }
            t
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Runs one flow's ACL sync every `interval` until `shutdown`.
pub(crate) async fn run(
    cfg: FlowConfig,
    interval: Duration,
    source: ClusterClient,
    target: ClusterClient,
    shutdown: CancellationToken,
) {
    let flow = cfg.label();
    let mut no_authorizer_reported = false;
    let mut refusals_reported: HashSet<(AclBinding, String)> = HashSet::new();
    loop {
        let pass = async {
            match describe_topic_acls(&source).await {
                Ok(None) => {
                    if !no_authorizer_reported {
                        info!(flow = %flow, "the source cluster has no ACL authorizer, so no topic ACLs are synced; set sync.topic.acls.enabled = false to stop checking");
                        no_authorizer_reported = true;
                    }
                }
                Ok(Some(bindings)) => {
                    let wanted = target_bindings(&cfg, &bindings);
                    if wanted.is_empty() {
                        return;
                    }
                    match create_acls(&target, &wanted).await {
                        Err(e) => {
                            warn!(flow = %flow, error = %e, "cannot create topic ACLs on the target; retrying at the next interval")
                        }
                        Ok(results) => {
                            let mut created = 0;
                            for (b, r) in results {
                                match r {
                                    Ok(()) => created += 1,
                                    Err(e) => {
                                        let why = e.to_string();
                                        if refusals_reported.insert((b.clone(), why.clone())) {
                                            warn!(flow = %flow, topic = %b.name, principal = %b.principal, error = %why, "the target refused a topic ACL; replication goes on");
                                        }
                                    }
                                }
                            }
                            debug!(flow = %flow, created, "topic ACLs synced");
                        }
                    }
                }
                Err(e) => {
                    warn!(flow = %flow, error = %e, "cannot read the source's topic ACLs; retrying at the next interval")
                }
            }
        };
        tokio::select! {
            _ = pass => {}
            _ = shutdown.cancelled() => return,
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(name: &str, pattern: i8, principal: &str, op: i8, permission: i8) -> AclBinding {
        AclBinding {
            resource_type: RESOURCE_TOPIC,
            name: name.into(),
            pattern_type: pattern,
            principal: principal.into(),
            host: "*".into(),
            operation: op,
            permission,
        }
    }

    /// MM2's rules: literal bindings of replicated topics only, ALLOW WRITE dropped, ALLOW ALL
    /// downgraded to READ, DENY kept as is, names through the replication policy.
    #[test]
    fn bindings_follow_mm2s_filter_and_rewrite() {
        let cfg = crate::config::tests_support::flow("primary", "secondary", "orders.*");
        const DENY: i8 = 2;
        const PREFIXED: i8 = 4;
        let source = vec![
            binding(
                "orders",
                PATTERN_LITERAL,
                "User:alice",
                OPERATION_READ,
                PERMISSION_ALLOW,
            ),
            binding(
                "orders",
                PATTERN_LITERAL,
                "User:bob",
                OPERATION_WRITE,
                PERMISSION_ALLOW,
            ),
            binding(
                "orders",
                PATTERN_LITERAL,
                "User:carol",
                OPERATION_ALL,
                PERMISSION_ALLOW,
            ),
            binding("orders", PATTERN_LITERAL, "User:dave", OPERATION_READ, DENY),
            binding(
                "orders",
                PREFIXED,
                "User:erin",
                OPERATION_READ,
                PERMISSION_ALLOW,
            ),
            binding(
                "payments",
                PATTERN_LITERAL,
                "User:alice",
                OPERATION_READ,
                PERMISSION_ALLOW,
            ),
        ];
        let got = target_bindings(&cfg, &source);
        let want = vec![
            binding(
                "primary.orders",
                PATTERN_LITERAL,
                "User:alice",
                OPERATION_READ,
                PERMISSION_ALLOW,
            ),
            binding(
                "primary.orders",
                PATTERN_LITERAL,
                "User:carol",
                OPERATION_READ,
                PERMISSION_ALLOW,
            ),
            binding(
                "primary.orders",
                PATTERN_LITERAL,
                "User:dave",
                OPERATION_READ,
                DENY,
            ),
        ];
        let mut want = want;
        want.sort();
        assert_eq!(got, want);
    }
}
