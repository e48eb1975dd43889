//! The ready connection settings of one flow, built from the config's specs when the flow starts
//! (stores read, rustls configs built, token sources made). Built once per flow, so that every
//! task and helper playing one role shares one OAUTHBEARER token source, as Java clients of one
//! config share their login.

use crate::config::FlowConfig;
use crate::protocol::ConnectionSettings;
use crate::security::{self, SecurityError};

/// The clients of one flow, by role (see [`crate::config::FlowClients`]).
#[derive(Debug, Clone)]
pub(crate) struct FlowConnections {
    /// Fetching from the source.
    pub(crate) source_consumer: ConnectionSettings,
    /// Metadata and admin calls on the source.
    pub(crate) source_admin: ConnectionSettings,
    /// Producing data and progress to the target.
    pub(crate) target_producer: ConnectionSettings,
    /// Topic creation and group offsets on the target.
    pub(crate) target_admin: ConnectionSettings,
    /// Writing and reading the offset-syncs topic, when syncs are emitted.
    pub(crate) offset_syncs: Option<ConnectionSettings>,
}

impl FlowConnections {
    /// Builds every client of `cfg`. Fails only when a store or key changed since the config was
    /// loaded (loading built them once already).
    pub(crate) fn build(cfg: &FlowConfig) -> Result<FlowConnections, SecurityError> {
        Ok(FlowConnections {
            source_consumer: security::connection(&cfg.source_consumer)?,
            source_admin: security::connection(&cfg.source_admin)?,
            target_producer: security::connection(&cfg.target_producer)?,
            target_admin: security::connection(&cfg.target_admin)?,
            offset_syncs: match &cfg.offset_syncs {
                Some(o) => Some(security::connection(&o.client)?),
                None => None,
            },
        })
    }
}
