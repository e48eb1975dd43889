//! Keys of one kind of Kafka client (consumer, producer, admin), given under a client prefix only:
//! `A.consumer.<key>`, `S->T.source.consumer.<key>`, `S->T.producer.override.<key>` and the like.
//! strait's source fetcher reads the consumer's, its target producer the producer's.

use super::why;
use super::ClientKind::{Admin, Consumer, Producer};
use super::Effect::{Acts, Ignored};
use super::KeyDefault::{Derived, Unset, Value};
use super::Range::{Int, Long};
use super::Scope::Client;
use super::ValueType::{Any, Choice, Millis, Text};
use super::{rows, ValueType, ALL_CLIENTS};

/// The task byte budget when `buffer.memory` is not set: 8 MiB. Kafka's producer defaults to
/// 32 MiB, but a task on a local network needs only a few MiB in flight (bandwidth x round trip),
/// and this keeps two tasks near a tenth of Java MM2's memory. Operators replicating across a
/// long round trip raise it with `buffer.memory`, the key they already tune for MM2's producer.
const TASK_BUDGET_TEXT: &str = "8388608";

const CONSUMER: &[super::ClientKind] = &[Consumer];
const PRODUCER: &[super::ClientKind] = &[Producer];
const CONSUMER_ADMIN: &[super::ClientKind] = &[Consumer, Admin];
const PRODUCER_ADMIN: &[super::ClientKind] = &[Producer, Admin];

rows! { ROWS;
    // Every client
    CLIENT_ID = "client.id", Client(ALL_CLIENTS), Text, Derived("MM2's, e.g. `S->T|MirrorSourceConnector|replication-consumer`"), Acts,
        "the client id the brokers see (quotas, request logs)";
    REQUEST_TIMEOUT_MS = "request.timeout.ms", Client(ALL_CLIENTS), Millis(Int), Value("30000"), Acts,
        "how long a request may wait for its response before it is retried";
    RECONNECT_BACKOFF_MS = "reconnect.backoff.ms", Client(ALL_CLIENTS), Millis(Long), Value("50"), Acts,
        "first wait before reconnecting to a broker";
    RECONNECT_BACKOFF_MAX_MS = "reconnect.backoff.max.ms", Client(ALL_CLIENTS), Millis(Long), Value("1000"), Acts,
        "longest wait before reconnecting (the wait doubles up to it)";
    RETRY_BACKOFF_MS = "retry.backoff.ms", Client(ALL_CLIENTS), Millis(Long), Value("100"), Acts,
        "first wait before a failed request is retried";
    RETRY_BACKOFF_MAX_MS = "retry.backoff.max.ms", Client(ALL_CLIENTS), Millis(Long), Value("1000"), Acts,
        "longest wait before a retry (the wait doubles up to it)";
    RECEIVE_BUFFER_BYTES = "receive.buffer.bytes", Client(ALL_CLIENTS), Any, Unset, Ignored(why::NO_EFFECT), "";
    SEND_BUFFER_BYTES = "send.buffer.bytes", Client(ALL_CLIENTS), Any, Unset, Ignored(why::NO_EFFECT), "";
    CONNECTIONS_MAX_IDLE_MS = "connections.max.idle.ms", Client(ALL_CLIENTS), Any, Unset, Ignored(why::NO_EFFECT), "";
    METADATA_MAX_AGE_MS = "metadata.max.age.ms", Client(ALL_CLIENTS), Any, Unset, Ignored(why::NO_EFFECT), "";
    // The source consumer
    FETCH_MAX_WAIT_MS = "fetch.max.wait.ms", Client(CONSUMER), ValueType::Int(Int), Value("500"), Acts,
        "how long a Fetch may wait on the broker for `fetch.min.bytes`";
    FETCH_MIN_BYTES = "fetch.min.bytes", Client(CONSUMER), ValueType::Int(Int), Value("1"), Acts,
        "the bytes a Fetch waits for";
    FETCH_MAX_BYTES = "fetch.max.bytes", Client(CONSUMER), ValueType::Int(Int), Value("52428800"), Acts,
        "upper bound of a Fetch response; a Fetch asks for at most what the task has free of its byte budget (`buffer.memory`)";
    MAX_PARTITION_FETCH_BYTES = "max.partition.fetch.bytes", Client(CONSUMER), ValueType::Int(Int), Value("1048576"), Acts,
        "upper bound per partition of a Fetch, and the least a Fetch asks for";
    ISOLATION_LEVEL = "isolation.level", Client(CONSUMER), Choice(&["read_uncommitted", "read_committed"]), Value("read_uncommitted"), Acts,
        "`read_committed` drops aborted transactions (MM2's default is `read_uncommitted`)";
    AUTO_OFFSET_RESET = "auto.offset.reset", Client(CONSUMER), Choice(&["earliest", "latest"]), Value("earliest"), Acts,
        "where a partition without saved progress starts (`none` is refused: it would stop the partition)";
    MAX_POLL_RECORDS = "max.poll.records", Client(CONSUMER), Any, Unset, Ignored(why::MAX_POLL_RECORDS), "";
    ENABLE_AUTO_COMMIT = "enable.auto.commit", Client(CONSUMER), Any, Unset, Ignored(why::NO_EFFECT), "";
    KEY_DESERIALIZER = "key.deserializer", Client(CONSUMER), Any, Unset, Ignored(why::NO_EFFECT), "";
    VALUE_DESERIALIZER = "value.deserializer", Client(CONSUMER), Any, Unset, Ignored(why::NO_EFFECT), "";
    CONSUMER_SESSION_TIMEOUT_MS = "session.timeout.ms", Client(CONSUMER), Any, Unset, Ignored(why::NO_EFFECT), "";
    CONSUMER_HEARTBEAT_INTERVAL_MS = "heartbeat.interval.ms", Client(CONSUMER), Any, Unset, Ignored(why::NO_EFFECT), "";
    MAX_POLL_INTERVAL_MS = "max.poll.interval.ms", Client(CONSUMER), Any, Unset, Ignored(why::NO_EFFECT), "";
    CONSUMER_GROUP_ID = "group.id", Client(CONSUMER), Any, Unset, Ignored(why::NO_EFFECT), "";
    CLIENT_RACK = "client.rack", Client(CONSUMER), Any, Unset, Ignored(why::NO_EFFECT), "";
    CHECK_CRCS = "check.crcs", Client(CONSUMER), Any, Unset, Ignored(why::NO_EFFECT), "";
    DEFAULT_API_TIMEOUT_MS = "default.api.timeout.ms", Client(CONSUMER_ADMIN), Any, Unset, Ignored(why::NO_EFFECT), "";
    // The target producer
    ACKS = "acks", Client(PRODUCER), Choice(&["all", "-1", "1", "0"]), Value("all"), Acts,
        "`1` is allowed (with a warning: not idempotent); `0` is refused";
    MAX_REQUEST_SIZE = "max.request.size", Client(PRODUCER), ValueType::Int(Int), Value("1048576"), Acts,
        "upper bound of a Produce request";
    LINGER_MS = "linger.ms", Client(PRODUCER), Millis(Long), Value("0"), Acts,
        "how long a partition's first waiting batch may wait for more before a Produce";
    BUFFER_MEMORY = "buffer.memory", Client(PRODUCER), ValueType::Int(Long), Value(TASK_BUDGET_TEXT), Acts,
        "each task's byte budget: fetched from S and not yet acknowledged by T; 8 MiB when not set (Kafka's producer: 32 MiB); about budget / round trip per task (docs/configuration.md#the-task-byte-budget-buffermemory)";
    BATCH_SIZE = "batch.size", Client(PRODUCER), Any, Unset, Ignored(why::BATCH_SIZE), "";
    KEY_SERIALIZER = "key.serializer", Client(PRODUCER), Any, Unset, Ignored(why::NO_EFFECT), "";
    VALUE_SERIALIZER = "value.serializer", Client(PRODUCER), Any, Unset, Ignored(why::NO_EFFECT), "";
    COMPRESSION_TYPE = "compression.type", Client(PRODUCER), Any, Unset, Ignored(why::NO_EFFECT), "";
    MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION = "max.in.flight.requests.per.connection", Client(PRODUCER), Any, Unset, Ignored(why::NO_EFFECT), "";
    DELIVERY_TIMEOUT_MS = "delivery.timeout.ms", Client(PRODUCER), Any, Unset, Ignored(why::NO_EFFECT), "";
    MAX_BLOCK_MS = "max.block.ms", Client(PRODUCER), Any, Unset, Ignored(why::NO_EFFECT), "";
    ENABLE_IDEMPOTENCE = "enable.idempotence", Client(PRODUCER), Any, Unset, Ignored(why::NO_EFFECT), "";
    RETRIES = "retries", Client(PRODUCER_ADMIN), Any, Unset, Ignored(why::NO_EFFECT), "";
}
