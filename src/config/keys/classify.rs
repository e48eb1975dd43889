//! What a key means where it was written: `<k>` of a top-level, cluster-level (`A.<k>`),
//! flow-level (`S->T.<k>`) or client-prefixed key, looked up in the key table with MM2's rules for
//! each place. A key strait acts on comes back with its row; one without effect with the reason.

use super::{find, is_client_key, why, ClientKind, Effect, Key, Scope};

/// Whether strait acts on a key where it was written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum KeyClass {
    /// strait reads and applies it; the row says what it does.
    Understood(&'static Key),
    /// Accepted without effect; the reason is shown in the start-up log line.
    Ignored(&'static str),
}

impl KeyClass {
    /// The row's effect where it may appear.
    fn of(row: &'static Key) -> KeyClass {
        match row.effect {
            Effect::Acts => KeyClass::Understood(row),
            Effect::Ignored(why) => KeyClass::Ignored(why),
        }
    }
}

/// Classifies a top-level key (no alias prefix). `None` means "not a key MM2 knows at top level".
pub(crate) fn top_level(key: &str) -> Option<KeyClass> {
    let row = find(key, |r| !matches!(r.scope, Scope::Client(_)));
    if let Some(row) = row.filter(|r| !r.is_prefix()) {
        return Some(match row.scope {
            Scope::TargetWorker => KeyClass::Ignored(why::TOP_LEVEL_FLUSH),
            _ => KeyClass::of(row),
        });
    }
    if key.starts_with("producer.override.") {
        return Some(KeyClass::Ignored(why::TOP_LEVEL_OVERRIDE));
    }
    if ["consumer.", "producer.", "admin."]
        .iter()
        .any(|p| key.starts_with(p))
    {
        return Some(KeyClass::Ignored(why::TOP_LEVEL_CLIENT));
    }
    row.map(KeyClass::of)
}

/// Classifies `<k>` of a cluster-level key `<alias>.<k>`.
pub(crate) fn cluster(rest: &str) -> KeyClass {
    let row = find(rest, |r| {
        matches!(
            r.scope,
            Scope::Cluster | Scope::Worker | Scope::TargetWorker
        ) && !r.is_prefix()
    });
    if let Some(row) = row {
        return KeyClass::of(row);
    }
    for kind in [
        ClientKind::Consumer,
        ClientKind::Producer,
        ClientKind::Admin,
    ] {
        if let Some(k) = rest
            .strip_prefix(kind.prefix())
            .and_then(|r| r.strip_prefix('.'))
        {
            return client(kind, k);
        }
    }
    KeyClass::Ignored(why::CLUSTER_NON_CLIENT)
}

/// Classifies a client key `k` given for clients of `kind`.
pub(crate) fn client(kind: ClientKind, k: &str) -> KeyClass {
    let row = find(k, |r| match r.scope {
        Scope::Cluster => true,
        Scope::Client(kinds) => kinds.contains(&kind),
        _ => false,
    });
    row.map_or(KeyClass::Ignored(why::CLIENT_OTHER), KeyClass::of)
}

/// Prefixes under which MM2 reads a flow's client keys from its connector map, most specific
/// first.
const FLOW_CLIENT_PREFIXES: &[(&str, ClientKind)] = &[
    ("producer.override.", ClientKind::Producer),
    ("source.producer.", ClientKind::Producer),
    ("target.producer.", ClientKind::Producer),
    ("producer.", ClientKind::Producer),
    ("target.consumer.", ClientKind::Consumer),
    ("source.consumer.", ClientKind::Consumer),
    ("source.admin.", ClientKind::Admin),
    ("target.admin.", ClientKind::Admin),
    ("consumer.", ClientKind::Consumer),
    ("admin.", ClientKind::Admin),
];

/// Classifies `<k>` of a flow-level key `S->T.<k>` (connector level: anything is allowed there).
pub(crate) fn flow(rest: &str) -> KeyClass {
    if let Some(row) = find(rest, |r| r.scope == Scope::Connector) {
        return KeyClass::of(row);
    }
    for (prefix, kind) in FLOW_CLIENT_PREFIXES {
        if let Some(k) = rest.strip_prefix(prefix) {
            return client(*kind, k);
        }
    }
    for cluster in ["source.cluster.", "target.cluster."] {
        if let Some(k) = rest.strip_prefix(cluster) {
            return match find(k, |r| r.scope == Scope::Cluster) {
                Some(row) => KeyClass::of(row),
                None => KeyClass::Ignored(why::FLOW_OTHER),
            };
        }
    }
    if rest.starts_with("consumer.override.") || rest.starts_with("admin.override.") {
        return KeyClass::Ignored(why::CONNECT);
    }
    if is_client_key(rest) {
        return KeyClass::Ignored(why::FLOW_CLIENT_KEY);
    }
    match top_level(rest) {
        Some(KeyClass::Understood(_)) | None => KeyClass::Ignored(why::FLOW_OTHER),
        Some(ignored) => ignored,
    }
}

/// Why a `S->S.` key is ignored.
pub(crate) fn self_flow() -> KeyClass {
    KeyClass::Ignored(why::SELF_FLOW)
}

/// Why an unknown key is ignored.
pub(crate) fn unknown() -> KeyClass {
    KeyClass::Ignored(why::UNKNOWN)
}

/// True when `rest` would be a meaningful per-cluster key (`A.<rest>`): used to tell a misspelt or
/// undeclared alias (`tertiary.bootstrap.servers`) from an unknown top-level key.
pub(crate) fn is_per_cluster_key(rest: &str) -> bool {
    find(rest, |r| {
        matches!(
            r.scope,
            Scope::Cluster | Scope::Worker | Scope::TargetWorker
        ) && !r.is_prefix()
    })
    .is_some()
        || ["consumer.", "producer.", "admin."]
            .iter()
            .any(|p| rest.starts_with(p))
}
