//! Where a raw key of `mm2.properties` applies: to a flow (`S->T.`), to a cluster (`A.`), or at
//! top level, given the declared aliases (the longest alias wins when several match), and which
//! prefixes name something undeclared.

use super::keys::classify::{self, is_per_cluster_key, KeyClass};

/// Where a raw key applies, given the declared cluster aliases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyScope<'a> {
    /// `S->T.<rest>` with both aliases declared.
    Flow {
        /// Source alias.
        source: &'a str,
        /// Target alias.
        target: &'a str,
        /// Key after the `S->T.` prefix.
        rest: &'a str,
    },
    /// `<alias>.<rest>` with a declared alias (the longest one when several match).
    Cluster {
        /// Alias.
        alias: &'a str,
        /// Key after the `alias.` prefix.
        rest: &'a str,
    },
    /// A key without alias prefix.
    TopLevel(&'a str),
    /// `X->Y.<rest>` where X or Y is not a declared alias.
    UndefinedFlow {
        /// Text before `->`.
        source: &'a str,
        /// Text after `->` up to the first `.`.
        target: &'a str,
    },
    /// `<word>.<rest>` where `<word>` is not a declared alias but `<rest>` is a per-cluster key.
    UnknownAlias {
        /// The undeclared alias.
        alias: &'a str,
    },
}

/// Locates `key` among the declared `clusters`.
pub(crate) fn locate<'a>(key: &'a str, clusters: &'a [String]) -> KeyScope<'a> {
    if let Some(arrow) = key.find("->") {
        let mut best: Option<KeyScope<'a>> = None;
        let mut best_len = 0;
        for s in clusters {
            for t in clusters {
                let prefix_len = s.len() + 2 + t.len() + 1;
                let matches = key.len() > prefix_len
                    && key.starts_with(s.as_str())
                    && key[s.len()..].starts_with("->")
                    && key[s.len() + 2..].starts_with(t.as_str())
                    && key[s.len() + 2 + t.len()..].starts_with('.');
                if matches && prefix_len > best_len {
                    best_len = prefix_len;
                    best = Some(KeyScope::Flow {
                        source: s,
                        target: t,
                        rest: &key[prefix_len..],
                    });
                }
            }
        }
        if let Some(scope) = best {
            return scope;
        }
        let source = &key[..arrow];
        let after = &key[arrow + 2..];
        let target = after.split('.').next().unwrap_or(after);
        if !source.contains('.') {
            return KeyScope::UndefinedFlow { source, target };
        }
    }
    let mut best: Option<(&'a str, &'a str)> = None;
    for alias in clusters {
        if let Some(rest) = key
            .strip_prefix(alias.as_str())
            .and_then(|r| r.strip_prefix('.'))
        {
            if !rest.is_empty() && best.is_none_or(|(a, _)| alias.len() > a.len()) {
                best = Some((alias, rest));
            }
        }
    }
    if let Some((alias, rest)) = best {
        return KeyScope::Cluster { alias, rest };
    }
    if classify::top_level(key).is_none() {
        if let Some((word, rest)) = key.split_once('.') {
            if !word.is_empty() && is_per_cluster_key(rest) {
                return KeyScope::UnknownAlias { alias: word };
            }
        }
    }
    KeyScope::TopLevel(key)
}

/// Classifies a located key. Undefined flows and unknown aliases are errors for the caller; here they
/// are reported as unknown.
pub(crate) fn classify(scope: &KeyScope<'_>) -> KeyClass {
    match scope {
        KeyScope::Flow { source, target, .. } if source == target => classify::self_flow(),
        KeyScope::Flow { rest, .. } => classify::flow(rest),
        KeyScope::Cluster { rest, .. } => classify::cluster(rest),
        KeyScope::TopLevel(key) => classify::top_level(key).unwrap_or_else(classify::unknown),
        KeyScope::UndefinedFlow { .. } | KeyScope::UnknownAlias { .. } => classify::unknown(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clusters() -> Vec<String> {
        vec!["primary".into(), "secondary".into()]
    }

    #[test]
    fn locate_scopes() {
        let c = clusters();
        assert_eq!(
            locate("primary->secondary.topics", &c),
            KeyScope::Flow {
                source: "primary",
                target: "secondary",
                rest: "topics"
            }
        );
        assert_eq!(
            locate("primary.consumer.fetch.min.bytes", &c),
            KeyScope::Cluster {
                alias: "primary",
                rest: "consumer.fetch.min.bytes"
            }
        );
        assert_eq!(locate("tasks.max", &c), KeyScope::TopLevel("tasks.max"));
        assert_eq!(
            locate("tertiary.bootstrap.servers", &c),
            KeyScope::UnknownAlias { alias: "tertiary" }
        );
        assert_eq!(
            locate("primary->tertiary.enabled", &c),
            KeyScope::UndefinedFlow {
                source: "primary",
                target: "tertiary"
            }
        );
        // Known top-level keys are never taken for an alias.
        for k in [
            "consumer.bootstrap.servers",
            "replication.factor",
            "offset.storage.topic",
            "ssl.truststore.location",
        ] {
            assert_eq!(locate(k, &c), KeyScope::TopLevel(k), "{k}");
        }
        // An unknown word with a non-cluster rest is just an unknown key.
        assert_eq!(locate("foo.bar", &c), KeyScope::TopLevel("foo.bar"));
    }

    #[test]
    fn locate_dotted_aliases_prefers_longest() {
        let c = vec!["us".to_string(), "us.east".to_string(), "eu".to_string()];
        assert_eq!(
            locate("us.east.bootstrap.servers", &c),
            KeyScope::Cluster {
                alias: "us.east",
                rest: "bootstrap.servers"
            }
        );
        assert_eq!(
            locate("us.east->eu.enabled", &c),
            KeyScope::Flow {
                source: "us.east",
                target: "eu",
                rest: "enabled"
            }
        );
    }
}
