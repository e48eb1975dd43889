use super::classify::{self, KeyClass};
use super::*;

#[test]
fn catalogue_sizes() {
    let ssl = cluster_client_keys()
        .filter(|k| k.starts_with("ssl."))
        .count();
    assert_eq!(ssl, 19, "the 19 client ssl.* keys");
    assert!(is_connector_key("tasks.max") && is_connector_key("topics.blacklist"));
    assert!(!is_connector_key("producer.override.linger.ms"));
    assert!(!is_connector_key("exactly.once.support"));
}

#[test]
fn secret_keys() {
    for k in [
        "ssl.keystore.password",
        "primary.sasl.jaas.config",
        "x.client.secret",
        "ssl.keystore.key",
        "ssl.key.password",
    ] {
        assert!(looks_secret(k), "{k}");
    }
    for k in ["fetch.min.bytes", "key.converter", "tasks.max"] {
        assert!(!looks_secret(k), "{k}");
    }
}

/// Two rows for one name only where MM2 has two keys of that name in different places (a
/// Connect worker's `client.id` and a client's).
#[test]
fn one_row_per_key_and_place() {
    let rows: Vec<&Key> = table().collect();
    for (i, a) in rows.iter().enumerate() {
        for b in &rows[i + 1..] {
            if a.name != b.name {
                continue;
            }
            let top = |r: &Key| !matches!(r.scope, Scope::Client(_));
            assert!(
                top(a) != top(b),
                "`{}` has two rows in overlapping places",
                a.name
            );
        }
    }
}

/// A row that acts says what it does; one without effect has its reason instead. The values of
/// passwords are never shown.
#[test]
fn rows_are_complete() {
    for row in table() {
        match row.effect {
            Effect::Acts => {
                assert!(!row.meaning.is_empty(), "`{}` has no meaning", row.name);
                assert!(
                    row.ty != ValueType::Any,
                    "`{}` acts but has no type",
                    row.name
                );
            }
            Effect::Ignored(why) => {
                assert!(!why.is_empty() && row.meaning.is_empty(), "`{}`", row.name);
                assert_eq!(row.default, KeyDefault::Unset, "`{}`", row.name);
            }
        }
        if row.ty == ValueType::Password {
            assert!(
                looks_secret(row.name),
                "`{}`'s value would be shown",
                row.name
            );
        }
    }
}

/// Every default reads as a written value of the row's type would.
#[test]
fn defaults_read_as_their_type() {
    for row in table() {
        let KeyDefault::Value(v) = row.default else {
            continue;
        };
        let read = match row.ty {
            ValueType::Boolean => ValueType::boolean(v).map(|_| ()),
            ValueType::Int(_) | ValueType::Millis(_) | ValueType::Seconds => {
                row.ty.int(v).map(|_| ())
            }
            ValueType::Choice(_) => row.ty.choice(v).map(|_| ()),
            ValueType::Fraction { .. } => row.ty.fraction(v).map(|_| ()),
            _ => Ok(()),
        };
        assert!(read.is_ok(), "default of `{}`: {read:?}", row.name);
    }
}

#[test]
fn worker_prefixes_have_rows() {
    for p in WORKER_PREFIXES {
        let name = format!("{p}*");
        assert!(table().any(|r| r.name == name), "no row for `{name}`");
    }
}

#[test]
fn classification_by_place() {
    let understood = |c: KeyClass| matches!(c, KeyClass::Understood(_));
    assert!(understood(classify::cluster("consumer.fetch.min.bytes")));
    assert!(understood(classify::cluster("producer.linger.ms")));
    assert!(
        matches!(classify::cluster("producer.batch.size"), KeyClass::Ignored(w) if w.contains("batches"))
    );
    assert!(!understood(classify::cluster("consumer.max.poll.records")));
    assert!(understood(classify::cluster("ssl.truststore.location")));
    assert!(understood(classify::cluster("consumer.sasl.jaas.config")));
    assert!(
        matches!(classify::cluster("ssl.cipher.suites"), KeyClass::Ignored(w) if w.contains("rustls"))
    );
    assert!(
        matches!(classify::cluster("sasl.kerberos.service.name"), KeyClass::Ignored(w) if w.contains("Kerberos"))
    );
    assert!(understood(classify::cluster("offset.flush.interval.ms")));
    assert!(understood(classify::flow("topics.blacklist")));
    assert!(understood(classify::flow("producer.override.linger.ms")));
    assert!(understood(classify::flow(
        "source.consumer.isolation.level"
    )));
    assert!(!understood(classify::flow("consumer.poll.timeout.ms")));
    assert!(understood(classify::flow("emit.checkpoints.enabled")));
    assert!(!understood(classify::flow(
        "checkpoints.topic.retention.ms"
    )));
    assert!(classify::top_level("groups.blacklist").is_some_and(understood));
    assert!(understood(classify::flow("source.producer.acks")));
    assert!(understood(classify::flow(
        "sync.topic.acls.interval.seconds"
    )));
    assert!(classify::top_level("tasks.max").is_some_and(understood));
    assert!(
        matches!(classify::top_level("offset.flush.interval.ms"), Some(KeyClass::Ignored(w)) if w.contains("<target>.offset.flush.interval.ms"))
    );
    assert!(classify::top_level("emit.heartbeats.enabled").is_some_and(understood));
    assert!(understood(classify::flow(
        "heartbeats.topic.replication.factor"
    )));
    assert!(
        matches!(classify::flow("heartbeats.topic.retention.ms"), KeyClass::Ignored(w) if w.contains("no such key"))
    );
    assert!(classify::top_level("config.providers.file.class").is_some_and(understood));
    assert!(
        matches!(classify::top_level("client.id"), Some(KeyClass::Ignored(w)) if w.contains("Connect"))
    );
    assert!(understood(classify::cluster("consumer.client.id")));
    assert_eq!(classify::top_level("xxx"), None);
}
