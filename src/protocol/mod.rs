//! The Kafka wire layer: everything between strait and a broker socket.
//!
//! Layers, bottom up (ideas from rskafka and mini-redis):
//! - [`connection::BrokerConnection`]: one TCP connection. Frames requests (4-byte size, header at the
//!   header version the API needs, body), matches responses by correlation id so many requests can be
//!   in flight, negotiates versions with ApiVersions and decodes responses from the frame's `Bytes`
//!   so Fetch `records` are zero-copy slices. Any stream failure poisons it.
//! - [`versions`]: the versions strait speaks (Fetch <= 12 and Produce <= 11 keep topics by name).
//! - [`cluster::ClusterClient`]: one cluster: a pool of connections by broker id and a
//!   [`metadata::Metadata`] cache, both with generations so that concurrent tasks hitting the same
//!   failure repair it once.
//! - [`admin`]: topic creation, offsets, configs and producer ids over a `ClusterClient`.
//! - [`fetch_request`], [`produce_request`]: multi-partition Fetch and Produce requests and their
//!   per-partition results, shared by the data path and the internal-topic readers and writers.
//! - [`backoff`]: the exponential backoff and retry loop every retry in strait uses.
//! - [`settings`] and [`auth`]: what a connection is given (bootstrap, timeouts, a ready rustls
//!   config and SASL login); `tls` and `sasl` run the handshake and the SASL exchange with them.
//!
//! This layer imports no other layer of strait (only the leaf `secret`): the config and security
//! layers above it fill in its settings.
//!
//! Request and response structs are `kafka_protocol::messages` types; this layer never redefines them.

pub(crate) mod acls;
pub(crate) mod admin;
pub(crate) mod alter_configs;
pub(crate) mod auth;
pub(crate) mod backoff;
pub(crate) mod cluster;
pub mod connection;
pub(crate) mod delete_topics;
pub mod error;
pub(crate) mod fetch_request;
mod framing;
pub(crate) mod groups;
mod in_flight;
pub(crate) mod metadata;
mod multiplex;
pub mod produce_request;
mod sasl;
mod sasl_session;
pub(crate) mod settings;
mod tls;
pub(crate) mod topic_partition;
pub(crate) mod transport;
pub(crate) mod versions;

#[cfg(test)]
mod tests;

pub(crate) use auth::{
    BoxError, Presented, SaslCredentials, SaslMechanism, SaslSettings, Security, TlsConfig,
    TokenProvider,
};
pub(crate) use backoff::{sleep_until_or_forever, Backoff};
pub(crate) use cluster::ClusterClient;
pub use connection::BrokerConnection;
pub use error::{ProtocolError, Result};
pub(crate) use settings::ConnectionSettings;
pub(crate) use topic_partition::TopicPartition;
