//! The key table: every key MM2 (3.9) gives a meaning to is one [`Key`] row (name, where it may
//! appear, type, default, whether strait acts on it, and what it means). The rows drive parsing (the
//! readers in `resolve` and `security` take a row, not a name and a default), the start-up listing
//! of keys without effect, `strait check`, and the key reference in docs/configuration.md, which a
//! test keeps equal to [`reference::markdown`].
//!
//! MM2 drops unknown keys silently; strait lists them too, so a typo does not go unnoticed. A key is
//! located first (`S->T.<k>`, `<alias>.<k>` or top level; `key_scope`), then `<k>` is classified
//! for that place ([`classify`]).

use std::collections::BTreeMap;

use super::Setting;

pub(crate) mod classify;
mod client;
mod client_kinds;
mod connector;
pub(crate) mod reference;
mod runtime;
mod value_type;
pub(crate) mod why;

pub(crate) use client::*;
pub(crate) use client_kinds::*;
pub(crate) use connector::*;
pub(crate) use runtime::*;
pub(crate) use value_type::{Range, ValueType};

/// One row of the key table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Key {
    /// The key as MM2 spells it; a name ending in `*` stands for every key with that prefix.
    pub(crate) name: &'static str,
    /// Where the key may appear in `mm2.properties`.
    pub(crate) scope: Scope,
    /// How its value is read.
    pub(crate) ty: ValueType,
    /// The value when it is not set.
    pub(crate) default: KeyDefault,
    /// Whether strait acts on it.
    pub(crate) effect: Effect,
    /// One line on what it does in strait (empty for keys without effect: their reason says it).
    pub(crate) meaning: &'static str,
}

/// Where a key may appear, following `MirrorMakerConfig`'s layering (docs/configuration.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Top level only: MM2's own keys and the Connect runtime's.
    TopLevel,
    /// A connector key: top level (every flow) or `S->T.` (one flow).
    Connector,
    /// A `MirrorClientConfig` client key: top level, `A.`, any client prefix (`A.consumer.`,
    /// `S->T.source.consumer.`, ...) and `S->T.source.cluster.`; inherited by every client of the
    /// cluster.
    Cluster,
    /// A key of the listed client kinds, given under a client prefix only.
    Client(&'static [ClientKind]),
    /// A worker key: top level or `T.` (top level wins, as in MM2's worker config).
    Worker,
    /// A worker key MM2 reads per target only (`T.`).
    TargetWorker,
}

/// Whether strait acts on a key where it may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// strait reads and applies it.
    Acts,
    /// Accepted without effect; the reason is shown at start-up and by `strait check`.
    Ignored(&'static str),
}

/// A key's value when it is not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyDefault {
    /// Not set means not used (no default value).
    Unset,
    /// The key must be given.
    Required,
    /// This value, read by the key's type like a written one.
    Value(&'static str),
    /// Computed from other settings, described here.
    Derived(&'static str),
}

/// Kafka client kinds, as in MM2's `consumer.`/`producer.`/`admin.` prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientKind {
    /// A consumer (strait: the source fetcher).
    Consumer,
    /// A producer (strait: the target data producer).
    Producer,
    /// An admin client (strait: metadata and topic creation).
    Admin,
}

impl ClientKind {
    /// The MM2 key prefix without the dot.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            ClientKind::Consumer => "consumer",
            ClientKind::Producer => "producer",
            ClientKind::Admin => "admin",
        }
    }
}

/// Every client kind (for keys all Kafka clients read).
pub(crate) const ALL_CLIENTS: &[ClientKind] = &[
    ClientKind::Consumer,
    ClientKind::Producer,
    ClientKind::Admin,
];

/// Defines rows as constants (so readers name them) and lists them in one slice.
macro_rules! rows {
    ($table:ident; $($id:ident = $name:literal, $scope:expr, $ty:expr, $default:expr, $effect:expr, $meaning:literal;)*) => {
        $(
            #[doc = concat!("`", $name, "`: ", $meaning)]
            pub(crate) const $id: super::Key = super::Key {
                name: $name,
                scope: $scope,
                ty: $ty,
                default: $default,
                effect: $effect,
                meaning: $meaning,
            };
        )*
        /// This file's rows, in reference order.
        pub(super) const $table: &[&super::Key] = &[$(&$id),*];
    };
}
pub(crate) use rows;

/// The whole table, in the order of the reference.
pub(crate) fn table() -> impl Iterator<Item = &'static Key> {
    runtime::MM2_ROWS
        .iter()
        .chain(connector::ROWS)
        .chain(client::ROWS)
        .chain(client_kinds::ROWS)
        .chain(runtime::WORKER_ROWS)
        .chain(runtime::RUNTIME_ROWS)
        .copied()
}

impl Key {
    /// True when `key` is this row's key (or, for a `prefix*` row, has its prefix).
    pub(crate) fn matches(&self, key: &str) -> bool {
        match self.name.strip_suffix('*') {
            Some(prefix) => key.starts_with(prefix),
            None => key == self.name,
        }
    }

    /// The default value, when the row has one.
    pub(crate) fn default_value(&self) -> Option<&'static str> {
        match self.default {
            KeyDefault::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The setting of this key in a resolved map, and the text to read: the written value, else
    /// the row's default (`None` when the row has no default value). Both readers of keys
    /// (`resolve` and `config/security`) start here.
    pub(crate) fn value_in<'p>(
        &self,
        props: &'p BTreeMap<String, Setting>,
    ) -> (Option<&'p Setting>, Option<String>) {
        match props.get(self.name) {
            Some(s) => (Some(s), Some(s.value.clone())),
            None => (None, self.default_value().map(String::from)),
        }
    }

    /// True for a `prefix*` row.
    pub(crate) fn is_prefix(&self) -> bool {
        self.name.ends_with('*')
    }
}

/// The row for `key` among rows accepted by `admit`: an exact row first, else the longest
/// matching prefix row.
pub(crate) fn find(key: &str, admit: impl Fn(&Key) -> bool) -> Option<&'static Key> {
    let mut best: Option<&'static Key> = None;
    for r in table().filter(|r| admit(r) && r.matches(key)) {
        if !r.is_prefix() {
            return Some(r);
        }
        if best.is_none_or(|b| r.name.len() > b.name.len()) {
            best = Some(r);
        }
    }
    best
}

/// The `MirrorClientConfig` client keys MM2 copies from `A.<k>` and top level into every
/// consumer, producer and admin of a cluster (`clusterProps`).
pub(crate) fn cluster_client_keys() -> impl Iterator<Item = &'static str> {
    client::ROWS.iter().map(|r| r.name)
}

/// True for a `MirrorClientConfig` client key.
pub(crate) fn is_client_key(key: &str) -> bool {
    client::ROWS.iter().any(|r| r.name == key)
}

/// True for a key defined by one of the three MM2 connector ConfigDefs (their Connect
/// `ConnectorConfig` keys and the client keys included): only these top-level keys reach the
/// connector configs.
pub(crate) fn is_connector_key(key: &str) -> bool {
    connector::ROWS.iter().any(|r| r.name == key) || is_client_key(key)
}

/// True for `config.providers` and `config.providers.*`.
pub(crate) fn is_config_provider_key(key: &str) -> bool {
    key.starts_with(CONFIG_PROVIDERS.name)
}

/// Top-level key prefixes MM2 copies into each herder's worker config.
pub(crate) const WORKER_PREFIXES: &[&str] = &[
    "offset.storage",
    "config.storage",
    "status.storage",
    "key.converter",
    "value.converter",
    "header.converter",
    "task",
    "worker",
    "replication.policy",
];

/// True when a key's value must never be shown in messages (passwords, secrets, JAAS configs, key
/// material).
pub(crate) fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("password")
        || k.contains("secret")
        || k.contains("jaas")
        || k.contains("credential")
        || k.contains("token")
        || k.ends_with("ssl.keystore.key")
        || k.ends_with("keystore.certificate.chain")
        || k.ends_with("truststore.certificates")
        || k.ends_with(".key")
        || k.contains("apikey")
        || k.contains("api.key")
        || k.contains("private")
}

#[cfg(test)]
mod tests;
