//! End-to-end check of the protocol layer against a real Kafka broker. Ignored by default; run with
//! `STRAIT_TEST_BOOTSTRAP=host:port cargo test --lib protocol::tests::live -- --ignored --nocapture`.
//! It prints what it saw, step by step.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use indexmap::IndexMap;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ApiKey, FetchRequest, MetadataRequest, ProduceRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

use crate::config::ConnectionSettings;
use crate::protocol::{
    create_partitions, create_topics, describe_topic_configs, init_producer_id, list_offsets,
    ClusterClient, NewTopic, OffsetSpec, ProtocolError,
};

fn settings(bootstrap: &str) -> ConnectionSettings {
    ConnectionSettings {
        cluster: "live".into(),
        bootstrap: bootstrap.split(',').map(str::to_string).collect(),
        client_id: "strait-protocol-live-test".into(),
        request_timeout: Duration::from_secs(30),
        reconnect_backoff: Duration::from_millis(50),
        reconnect_backoff_max: Duration::from_secs(1),
        retry_backoff: Duration::from_millis(100),
        retry_backoff_max: Duration::from_secs(1),
        security: Default::default(),
    }
}

fn record(i: i64, producer_id: i64, producer_epoch: i16) -> Record {
    let mut headers = IndexMap::new();
    headers.insert(
        StrBytes::from_static_str("h"),
        Some(Bytes::from(format!("hv{i}"))),
    );
    Record {
        transactional: false,
        control: false,
        delete_horizon: false,
        partition_leader_epoch: -1,
        producer_id,
        producer_epoch,
        timestamp_type: TimestampType::Creation,
        offset: i,
        sequence: i as i32,
        timestamp: 1_700_000_000_000 + i,
        key: Some(Bytes::from(format!("k{i}"))),
        value: Some(Bytes::from(format!("value-{i}"))),
        headers,
    }
}

#[tokio::test]
#[ignore = "needs a real broker: set STRAIT_TEST_BOOTSTRAP"]
async fn live_broker_end_to_end() {
    let Ok(bootstrap) = std::env::var("STRAIT_TEST_BOOTSTRAP") else {
        panic!("set STRAIT_TEST_BOOTSTRAP=host:port");
    };
    let client = ClusterClient::new(settings(&bootstrap));

    // 1. Metadata (all topics) through the bootstrap address.
    let meta = client.refresh_metadata(None).await.expect("metadata");
    println!(
        "metadata: generation={} brokers={:?} controller={} cluster_id={:?} topics={}",
        meta.generation,
        meta.brokers,
        meta.controller_id,
        meta.cluster_id,
        meta.topics.len()
    );
    let broker_id = *meta.brokers.keys().next().expect("a broker");

    // 2. Negotiated versions on the pooled connection.
    let conn = client.connection(broker_id).await.expect("connection");
    for api in [
        ApiKey::ApiVersions,
        ApiKey::Metadata,
        ApiKey::Produce,
        ApiKey::Fetch,
        ApiKey::ListOffsets,
        ApiKey::CreateTopics,
        ApiKey::CreatePartitions,
        ApiKey::DescribeConfigs,
        ApiKey::InitProducerId,
    ] {
        println!("versions: {api:?} broker={:?}", conn.versions(api));
    }
    println!(
        "picked: Fetch v{} Produce v{} Metadata v{}",
        conn.version_for::<FetchRequest>().expect("fetch"),
        conn.version_for::<ProduceRequest>().expect("produce"),
        conn.version_for::<MetadataRequest>().expect("metadata")
    );

    // 3. Create a topic (twice: the second must report success too), grow it.
    let topic = format!(
        "strait-protocol-live-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0)
    );
    let new = NewTopic {
        name: topic.clone(),
        partitions: 3,
        replication_factor: 1,
        configs: vec![("retention.ms".into(), "123456789".into())],
    };
    for round in 0..2 {
        let r = create_topics(&client, std::slice::from_ref(&new), Duration::from_secs(30)).await;
        println!("create_topics round {round}: {r:?}");
        assert!(r[0].1.is_ok());
    }
    let bad = NewTopic {
        name: "bad/name".into(),
        partitions: 1,
        replication_factor: 1,
        configs: vec![],
    };
    let r = create_topics(&client, &[bad], Duration::from_secs(10)).await;
    println!("create_topics invalid name: {r:?}");
    assert!(r[0].1.is_err());

    create_partitions(&client, &topic, 4, Duration::from_secs(30))
        .await
        .expect("grow to 4");
    create_partitions(&client, &topic, 4, Duration::from_secs(30))
        .await
        .expect("already 4 is ok");
    let e = create_partitions(&client, &topic, 2, Duration::from_secs(30))
        .await
        .expect_err("shrinking fails");
    println!("create_partitions 4 twice: ok; shrink to 2: {e}");

    // 4. Leaders (refresh on miss; new topics may need a moment to get leaders).
    let mut leaders = Vec::new();
    for p in 0..4 {
        let mut backoff =
            crate::protocol::Backoff::new(Duration::from_millis(100), Duration::from_millis(500));
        let l = crate::protocol::retry("leader", &mut backoff, None, || {
            client.leader_for(&topic, p)
        })
        .await
        .expect("leader");
        leaders.push(l);
    }
    println!(
        "leaders: {leaders:?} (generation {})",
        client.metadata().generation
    );

    // 5. Offsets of the empty topic.
    let tps: Vec<(String, i32)> = (0..4).map(|p| (topic.clone(), p)).collect();
    let earliest = list_offsets(&client, &tps, OffsetSpec::Earliest).await;
    let latest = list_offsets(&client, &tps, OffsetSpec::Latest).await;
    println!("empty: earliest={earliest:?}\n       latest={latest:?}");
    assert!(latest.values().all(|r| matches!(r, Ok(0))));

    // 6. Idempotent producer id.
    let (pid, epoch) = init_producer_id(&client, Duration::from_secs(30))
        .await
        .expect("producer id");
    println!("init_producer_id: producer_id={pid} epoch={epoch}");

    // 7. Produce one idempotent batch of 5 records to partition 0.
    let records: Vec<Record> = (0..5).map(|i| record(i, pid, epoch)).collect();
    let mut batch = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut batch,
        records.iter(),
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .expect("encode batch");
    let batch = batch.freeze();
    let produce = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(30_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(TopicName(StrBytes::from_string(topic.clone())))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(batch.clone()))])]);
    let (pv, presp) = client.send_to(leaders[0], &produce).await.expect("produce");
    let part = &presp.responses[0].partition_responses[0];
    println!(
        "produce v{pv}: {} bytes, error_code={} base_offset={} log_start_offset={}",
        batch.len(),
        part.error_code,
        part.base_offset,
        part.log_start_offset
    );
    assert_eq!(part.error_code, 0);
    assert_eq!(part.base_offset, 0);
    // Same batch again: the broker recognizes the duplicate sequence and returns the same offset.
    let (_, again) = client
        .send_to(leaders[0], &produce)
        .await
        .expect("produce dup");
    let part = &again.responses[0].partition_responses[0];
    println!(
        "produce duplicate: error_code={} base_offset={}",
        part.error_code, part.base_offset
    );

    let latest = list_offsets(&client, &tps[..1], OffsetSpec::Latest).await;
    println!("after produce: latest={latest:?}");
    assert!(matches!(latest.get(&tps[0]), Some(Ok(5))));

    // 8. Fetch v12 by topic name and read the batch back, byte for byte.
    let fetch = FetchRequest::default()
        .with_max_wait_ms(500)
        .with_min_bytes(1)
        .with_max_bytes(50 * 1024 * 1024)
        .with_isolation_level(0)
        .with_session_id(0)
        .with_session_epoch(-1)
        .with_topics(vec![FetchTopic::default()
            .with_topic(TopicName(StrBytes::from_string(topic.clone())))
            .with_partitions(vec![FetchPartition::default()
                .with_partition(0)
                .with_fetch_offset(0)
                .with_partition_max_bytes(1024 * 1024)])]);
    let (fv, fresp) = client.send_to(leaders[0], &fetch).await.expect("fetch");
    assert_eq!(fv, 12);
    let pd = &fresp.responses[0].partitions[0];
    let fetched = pd.records.clone().expect("records");
    println!(
        "fetch v{fv}: error_code={} high_watermark={} last_stable={} log_start={} records={} bytes",
        pd.error_code,
        pd.high_watermark,
        pd.last_stable_offset,
        pd.log_start_offset,
        fetched.len()
    );
    let mut buf = fetched.clone();
    let sets = RecordBatchDecoder::decode_all(&mut buf).expect("decode fetched");
    let got: Vec<(Option<Bytes>, Option<Bytes>, i64)> = sets
        .iter()
        .flat_map(|s| s.records.iter())
        .map(|r| (r.key.clone(), r.value.clone(), r.offset))
        .collect();
    println!("fetched records: {got:?}");
    assert_eq!(got.len(), 5);
    for (i, (k, v, o)) in got.iter().enumerate() {
        assert_eq!(k.as_deref(), Some(format!("k{i}").as_bytes()));
        assert_eq!(v.as_deref(), Some(format!("value-{i}").as_bytes()));
        assert_eq!(*o, i as i64);
    }
    // The broker stamps the partition leader epoch into the batch header (bytes 12..16) and the
    // CRC covers only bytes 21.., so everything from the attributes on must match what we sent.
    assert_eq!(&fetched[21..], &batch[21..], "batch body differs");

    // 9. Topic configs.
    let configs = describe_topic_configs(&client, &[topic.clone(), "no-such-topic".into()]).await;
    let ours = configs[&topic].as_ref().expect("configs");
    let retention = ours
        .iter()
        .find(|c| c.name == "retention.ms")
        .expect("retention.ms");
    println!(
        "describe_configs: {} entries; retention.ms={retention:?}; missing topic: {:?}",
        ours.len(),
        configs["no-such-topic"]
            .as_ref()
            .err()
            .map(|e| e.to_string())
    );
    assert_eq!(retention.value.as_deref(), Some("123456789"));
    assert!(!retention.is_default);

    // 10. Many requests in flight on one connection.
    let conn = client.connection(leaders[0]).await.expect("connection");
    let req = MetadataRequest::default().with_topics(Some(vec![]));
    let started = std::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let (conn, req) = (conn.clone(), req.clone());
        tasks.spawn(async move { conn.send(&req).await.map(|_| ()) });
    }
    let mut max_in_flight = 0;
    let mut ok = 0;
    loop {
        max_in_flight = max_in_flight.max(conn.in_flight());
        match tasks.join_next().await {
            Some(Ok(Ok(()))) => ok += 1,
            Some(_) => {}
            None => break,
        }
    }
    println!("max in flight observed: {max_in_flight}");
    println!(
        "64 pipelined Metadata requests on one connection: {ok} ok in {:?}",
        started.elapsed()
    );
    assert_eq!(ok, 64);

    // 11. Errors keep context.
    let e = client
        .send_to(9999, &req)
        .await
        .expect_err("unknown broker");
    println!("send_to(9999): {e} (retriable={})", e.is_retriable());
    assert!(matches!(e, ProtocolError::UnknownBroker { .. }));
    let e = client
        .leader_for("no-such-topic", 0)
        .await
        .expect_err("unknown topic");
    println!(
        "leader_for(no-such-topic): {e} (retriable={})",
        e.is_retriable()
    );

    // 12. A broker that closes idle connections (`connections.max.idle.ms`): the pooled connection
    // is seen closed and the next send_to reconnects transparently.
    if let Some(idle_ms) = std::env::var("STRAIT_TEST_IDLE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        let conn = client.connection(leaders[0]).await.expect("connection");
        tokio::time::sleep(Duration::from_millis(idle_ms * 2 + 1000)).await;
        println!(
            "after {}ms idle: pooled connection closed={} reason={:?}",
            idle_ms * 2 + 1000,
            conn.is_closed(),
            conn.close_reason().map(|e| e.to_string())
        );
        assert!(conn.is_closed());
        let (v, _) = client.send_to(leaders[0], &req).await.expect("reconnected");
        let fresh = client.connection(leaders[0]).await.expect("connection");
        println!(
            "send_to after idle close: ok (Metadata v{v}); new connection closed={}",
            fresh.is_closed()
        );
    }
}

/// Polls one broker through an outage: run it, stop the broker, start it again. Prints each change
/// of outcome (ok / error kind) and checks the client recovered by itself.
/// `STRAIT_TEST_OUTAGE_SECS` (default 40) is how long it polls.
#[tokio::test]
#[ignore = "needs a real broker that is stopped and restarted while it runs"]
async fn live_broker_outage() {
    let Ok(bootstrap) = std::env::var("STRAIT_TEST_BOOTSTRAP") else {
        panic!("set STRAIT_TEST_BOOTSTRAP=host:port");
    };
    let secs: u64 = std::env::var("STRAIT_TEST_OUTAGE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let mut s = settings(&bootstrap);
    s.request_timeout = Duration::from_secs(3);
    let client = ClusterClient::new(s);
    let meta = client.refresh_metadata(None).await.expect("metadata");
    let id = *meta.brokers.keys().next().expect("a broker");
    let req = MetadataRequest::default().with_topics(Some(vec![]));
    let start = std::time::Instant::now();
    let mut last = String::new();
    let mut errors = 0;
    while start.elapsed() < Duration::from_secs(secs) {
        let outcome = match client.send_to(id, &req).await {
            Ok(_) => "ok".to_string(),
            Err(e) => {
                errors += 1;
                let kind = match &e {
                    ProtocolError::Io { source, .. } => format!("Io({:?})", source.kind()),
                    other => format!("{other:?}")
                        .split([' ', '{'])
                        .next()
                        .unwrap_or("?")
                        .to_string(),
                };
                format!("{kind} retriable={}", e.is_retriable())
            }
        };
        if outcome != last {
            println!(
                "{:>6.1}s send_to({id}): {outcome}",
                start.elapsed().as_secs_f64()
            );
            if outcome.starts_with("NoBroker") || outcome.starts_with("Io") {
                let r = client.refresh_metadata(None).await;
                println!(
                    "{:>6.1}s refresh_metadata: {}",
                    start.elapsed().as_secs_f64(),
                    r.map(|m| format!("ok gen {}", m.generation))
                        .unwrap_or_else(|e| e.to_string())
                );
            }
            last = outcome;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("errors seen: {errors}; final: {last}");
    assert!(errors > 0, "the broker was not stopped during the run");
    assert_eq!(last, "ok", "did not recover");
}
