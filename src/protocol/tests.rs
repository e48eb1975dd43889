//! Framing and multiplexing tests against a scripted in-process peer (a TCP listener speaking the
//! Kafka frame format). The same code against real brokers is covered by the e2e suite
//! (`tests/e2e`), which replicates through it.

use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::metadata_response::MetadataResponseTopic;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, MetadataRequest, MetadataResponse, RequestHeader, ResponseHeader,
    TopicName,
};
use kafka_protocol::protocol::{
    decode_request_header_from_buffer, Decodable, Encodable, HeaderVersion, StrBytes,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::connection::BrokerConnection;
use super::error::ProtocolError;

/// Reads one request frame: its header and body bytes. `None` at EOF.
async fn read_request(s: &mut TcpStream) -> Option<(RequestHeader, Bytes)> {
    let size = s.read_i32().await.ok()?;
    let mut buf = vec![0u8; size as usize];
    s.read_exact(&mut buf).await.ok()?;
    let mut frame = Bytes::from(buf);
    let header = decode_request_header_from_buffer(&mut frame).ok()?;
    Some((header, frame))
}

/// Writes a response to `header`'s request, at the header version its API needs.
async fn respond<T: Encodable + HeaderVersion>(
    s: &mut TcpStream,
    header: &RequestHeader,
    body: &T,
) {
    respond_at(s, header, header.request_api_version, body).await
}

async fn respond_at<T: Encodable + HeaderVersion>(
    s: &mut TcpStream,
    header: &RequestHeader,
    body_version: i16,
    body: &T,
) {
    let mut buf = BytesMut::new();
    buf.put_i32(0);
    ResponseHeader::default()
        .with_correlation_id(header.correlation_id)
        .encode(&mut buf, T::header_version(header.request_api_version))
        .expect("encode header");
    body.encode(&mut buf, body_version).expect("encode body");
    let size = (buf.len() - 4) as i32;
    buf[0..4].copy_from_slice(&size.to_be_bytes());
    s.write_all(&buf).await.expect("write");
}

fn api_versions(apis: &[(ApiKey, i16, i16)]) -> ApiVersionsResponse {
    ApiVersionsResponse::default().with_api_keys(
        apis.iter()
            .map(|&(k, min, max)| {
                ApiVersion::default()
                    .with_api_key(k as i16)
                    .with_min_version(min)
                    .with_max_version(max)
            })
            .collect(),
    )
}

/// Accepts one connection and answers its ApiVersions like a Kafka 3.9 broker would (trimmed).
async fn accept_and_negotiate(l: &TcpListener) -> TcpStream {
    let (mut s, _) = l.accept().await.expect("accept");
    let (h, _) = read_request(&mut s).await.expect("api versions request");
    assert_eq!(h.request_api_key, ApiKey::ApiVersions as i16);
    assert_eq!(h.request_api_version, 3);
    assert_eq!(h.client_id.as_deref(), Some("test-client"));
    let resp = api_versions(&[
        (ApiKey::ApiVersions, 0, 4),
        (ApiKey::Metadata, 0, 12),
        (ApiKey::Fetch, 0, 17),
    ]);
    respond(&mut s, &h, &resp).await;
    s
}

async fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr").to_string();
    (l, addr)
}

fn metadata_for(topic: &str) -> MetadataRequest {
    MetadataRequest::default().with_topics(Some(vec![MetadataRequestTopic::default()
        .with_name(Some(TopicName(StrBytes::from_string(topic.to_string()))))]))
}

async fn connect(addr: &str, timeout: Duration) -> BrokerConnection {
    BrokerConnection::connect("test", addr, "test-client", timeout)
        .await
        .expect("connect")
}

#[tokio::test]
async fn negotiates_and_multiplexes_out_of_order() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let mut s = accept_and_negotiate(&l).await;
        // Read both requests, then answer the second first.
        let mut reqs = Vec::new();
        for _ in 0..2 {
            let (h, mut body) = read_request(&mut s).await.expect("request");
            assert_eq!(h.request_api_key, ApiKey::Metadata as i16);
            let req = MetadataRequest::decode(&mut body, h.request_api_version).expect("decode");
            reqs.push((h, req));
        }
        for (h, req) in reqs.iter().rev() {
            let name = req.topics.as_ref().expect("topics")[0].name.clone();
            let resp = MetadataResponse::default()
                .with_topics(vec![MetadataResponseTopic::default().with_name(name)]);
            respond(&mut s, h, &resp).await;
        }
        s
    });
    let conn = connect(&addr, Duration::from_secs(5)).await;
    let theirs = conn.versions(ApiKey::Metadata).expect("metadata range");
    assert_eq!((theirs.min, theirs.max), (0, 12));
    assert!(conn.versions(ApiKey::Produce).is_none());

    let (ra, rb) = (metadata_for("a"), metadata_for("b"));
    let (a, b) = tokio::join!(conn.send(&ra), conn.send(&rb));
    let (va, a) = a.expect("a");
    let (vb, b) = b.expect("b");
    assert_eq!((va, vb), (12, 12));
    assert_eq!(&*a.topics[0].name.as_ref().expect("name").0, "a");
    assert_eq!(&*b.topics[0].name.as_ref().expect("name").0, "b");
    assert_eq!(conn.in_flight(), 0);
    assert!(!conn.is_closed());
    drop(server.await.expect("server"));
}

#[tokio::test]
async fn unsupported_api_is_a_typed_error() {
    let (l, addr) = listener().await;
    let _server = tokio::spawn(async move {
        let s = accept_and_negotiate(&l).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(s);
    });
    let conn = connect(&addr, Duration::from_secs(5)).await;
    let req = kafka_protocol::messages::ProduceRequest::default();
    match conn.send(&req).await {
        Err(ProtocolError::UnsupportedVersion {
            api, ours, theirs, ..
        }) => {
            assert_eq!(api, ApiKey::Produce);
            assert_eq!(ours.max, 11);
            assert!(theirs.is_empty());
        }
        other => panic!("expected UnsupportedVersion, got {other:?}"),
    }
    assert!(!conn.is_closed(), "a version mismatch does not poison");
}

#[tokio::test]
async fn api_versions_falls_back_to_v0() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.expect("accept");
        let (h, _) = read_request(&mut s).await.expect("first");
        assert_eq!(h.request_api_version, 3);
        // What an old broker does: a v0 body with UNSUPPORTED_VERSION and its own range.
        let resp = api_versions(&[(ApiKey::ApiVersions, 0, 0)]).with_error_code(35);
        respond_at(&mut s, &h, 0, &resp).await;
        let (h, _) = read_request(&mut s).await.expect("second");
        assert_eq!(h.request_api_version, 0);
        let resp = api_versions(&[(ApiKey::ApiVersions, 0, 0), (ApiKey::Metadata, 0, 5)]);
        respond(&mut s, &h, &resp).await;
        s
    });
    let conn = connect(&addr, Duration::from_secs(5)).await;
    let r = conn.versions(ApiKey::Metadata).expect("metadata");
    assert_eq!(r.max, 5);
    drop(server.await.expect("server"));
}

#[tokio::test]
async fn peer_close_fails_waiters_and_poisons() {
    let (l, addr) = listener().await;
    let _server = tokio::spawn(async move {
        let mut s = accept_and_negotiate(&l).await;
        let _ = read_request(&mut s).await;
        let _ = read_request(&mut s).await;
        drop(s); // close without answering
    });
    let conn = connect(&addr, Duration::from_secs(5)).await;
    let (ra, rb) = (metadata_for("a"), metadata_for("b"));
    let (a, b) = tokio::join!(conn.send(&ra), conn.send(&rb));
    for r in [a.map(|_| ()), b.map(|_| ())] {
        let e = r.expect_err("must fail");
        assert!(e.is_retriable(), "{e}");
        assert!(e.is_transport(), "{e}");
    }
    assert!(conn.is_closed());
    let e = conn
        .send(&metadata_for("c"))
        .await
        .expect_err("later sends fail");
    assert!(matches!(e, ProtocolError::ConnectionClosed { .. }), "{e}");
}

#[tokio::test]
async fn timeout_fails_request_and_poisons() {
    let (l, addr) = listener().await;
    let _server = tokio::spawn(async move {
        let mut s = accept_and_negotiate(&l).await;
        let _ = read_request(&mut s).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let conn = connect(&addr, Duration::from_millis(300)).await;
    let e = conn.send(&metadata_for("a")).await.expect_err("times out");
    assert!(
        matches!(
            e,
            ProtocolError::Timeout {
                api: ApiKey::Metadata,
                ..
            }
        ),
        "{e}"
    );
    assert!(conn.is_closed());
}

#[tokio::test]
async fn garbage_frame_poisons() {
    let (l, addr) = listener().await;
    let _server = tokio::spawn(async move {
        let mut s = accept_and_negotiate(&l).await;
        let (h, _) = read_request(&mut s).await.expect("request");
        // A frame whose body cannot be a MetadataResponse v12.
        let mut buf = BytesMut::new();
        buf.put_i32(7);
        buf.put_i32(h.correlation_id);
        buf.put_u8(0); // empty tagged fields
        buf.put_u16(0xffff);
        s.write_all(&buf).await.expect("write");
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let conn = connect(&addr, Duration::from_secs(5)).await;
    let e = conn
        .send(&metadata_for("a"))
        .await
        .expect_err("decode fails");
    assert!(matches!(e, ProtocolError::Codec { .. }), "{e}");
    assert!(!e.is_retriable());
    assert!(conn.is_closed());
}

#[tokio::test]
async fn throttle_delays_next_send() {
    let (l, addr) = listener().await;
    let _server = tokio::spawn(async move {
        let mut s = accept_and_negotiate(&l).await;
        while let Some((h, _)) = read_request(&mut s).await {
            respond(&mut s, &h, &MetadataResponse::default()).await;
        }
    });
    let conn = connect(&addr, Duration::from_secs(5)).await;
    conn.throttle(Duration::from_millis(200));
    let start = tokio::time::Instant::now();
    conn.send(&metadata_for("a")).await.expect("send");
    assert!(start.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn connect_refused_is_retriable_io() {
    let (l, addr) = listener().await;
    drop(l);
    let e = BrokerConnection::connect("test", &addr, "c", Duration::from_secs(2))
        .await
        .expect_err("refused");
    assert!(matches!(e, ProtocolError::Io { .. }), "{e}");
    assert!(e.is_retriable());
}

/// A scripted broker for `ClusterClient` tests: any number of connections; Metadata answers with
/// itself as broker 1 leading both partitions of topic `t`; a Metadata request for topic `die`
/// closes its connection. Counts connections and Metadata requests.
struct FakeCluster {
    addr: String,
    connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    metadata_requests: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

async fn fake_cluster() -> FakeCluster {
    use kafka_protocol::messages::metadata_response::{
        MetadataResponseBroker, MetadataResponsePartition,
    };
    use std::sync::atomic::Ordering;
    let (l, addr) = listener().await;
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let metadata_requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (c, m, a) = (connections.clone(), metadata_requests.clone(), addr.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            c.fetch_add(1, Ordering::SeqCst);
            let (m, a) = (m.clone(), a.clone());
            tokio::spawn(async move {
                while let Some((h, mut body)) = read_request(&mut s).await {
                    if h.request_api_key == ApiKey::ApiVersions as i16 {
                        let resp =
                            api_versions(&[(ApiKey::ApiVersions, 0, 4), (ApiKey::Metadata, 0, 12)]);
                        respond(&mut s, &h, &resp).await;
                        continue;
                    }
                    let req =
                        MetadataRequest::decode(&mut body, h.request_api_version).expect("decode");
                    let names: Vec<String> = req
                        .topics
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|t| t.name.as_ref().map(|n| n.0.to_string()))
                        .collect();
                    if names.iter().any(|n| n == "die") {
                        return;
                    }
                    m.fetch_add(1, Ordering::SeqCst);
                    // Slow enough that concurrent callers overlap with the refresh.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let (host, port) = a.rsplit_once(':').expect("addr");
                    let topics = names
                        .iter()
                        .map(|n| {
                            let t = MetadataResponseTopic::default()
                                .with_name(Some(TopicName(StrBytes::from_string(n.clone()))));
                            if n == "t" {
                                t.with_partitions(
                                    (0..2)
                                        .map(|p| {
                                            MetadataResponsePartition::default()
                                                .with_partition_index(p)
                                                .with_leader_id(1.into())
                                        })
                                        .collect(),
                                )
                            } else {
                                t.with_error_code(3)
                            }
                        })
                        .collect();
                    let resp = MetadataResponse::default()
                        .with_brokers(vec![MetadataResponseBroker::default()
                            .with_node_id(1.into())
                            .with_host(StrBytes::from_string(host.to_string()))
                            .with_port(port.parse().expect("port"))])
                        .with_controller_id(1.into())
                        .with_topics(topics);
                    respond(&mut s, &h, &resp).await;
                }
            });
        }
    });
    FakeCluster {
        addr,
        connections,
        metadata_requests,
    }
}

fn settings(bootstrap: &str) -> super::ConnectionSettings {
    super::ConnectionSettings {
        cluster: "fake".into(),
        bootstrap: vec![bootstrap.to_string()],
        client_id: "test-client".into(),
        request_timeout: Duration::from_secs(5),
        reconnect_backoff: Duration::from_millis(10),
        reconnect_backoff_max: Duration::from_millis(50),
        retry_backoff: Duration::from_millis(10),
        retry_backoff_max: Duration::from_millis(50),
        security: Default::default(),
    }
}

#[tokio::test]
async fn concurrent_leader_misses_share_one_refresh_and_invalidation_is_generation_checked() {
    use std::sync::atomic::Ordering;
    let fake = fake_cluster().await;
    let client = super::ClusterClient::new(settings(&fake.addr));
    assert_eq!(client.metadata().generation, 0);

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let c = client.clone();
        tasks.spawn(async move { c.leader_with_generation("t", i % 2).await });
    }
    let mut generations = Vec::new();
    while let Some(r) = tasks.join_next().await {
        let (leader, generation) = r.expect("join").expect("leader");
        assert_eq!(leader, 1);
        generations.push(generation);
    }
    assert_eq!(
        fake.metadata_requests.load(Ordering::SeqCst),
        1,
        "one refresh for 20 misses"
    );
    let g = generations[0];
    assert!(generations.iter().all(|&x| x == g));

    // Two tasks report the same stale generation: one refresh.
    client.invalidate_metadata(g);
    client.invalidate_metadata(g);
    let (a, b) = tokio::join!(client.leader_for("t", 0), client.leader_for("t", 1));
    assert_eq!((a.expect("a"), b.expect("b")), (1, 1));
    assert_eq!(fake.metadata_requests.load(Ordering::SeqCst), 2);
    // An invalidation of an older generation is a no-op.
    client.invalidate_metadata(g);
    client.leader_for("t", 0).await.expect("cached");
    assert_eq!(fake.metadata_requests.load(Ordering::SeqCst), 2);

    // Unknown topic and partition are retriable broker errors.
    let e = client
        .leader_for("nope", 0)
        .await
        .expect_err("unknown topic");
    assert!(e.is_retriable(), "{e}");
    let e = client
        .leader_for("t", 5)
        .await
        .expect_err("unknown partition");
    assert!(e.is_retriable(), "{e}");

    // Partial refreshes merge.
    let m = client.metadata();
    assert!(m.topics.contains_key("t") && m.topics.contains_key("nope"));
}

#[tokio::test]
async fn dead_pooled_connection_is_replaced_once() {
    use std::sync::atomic::Ordering;
    let fake = fake_cluster().await;
    let client = super::ClusterClient::new(settings(&fake.addr));
    client.refresh_metadata(None).await.expect("refresh");
    let before = fake.connections.load(Ordering::SeqCst); // the bootstrap connection
    client.send_to(1, &metadata_for("t")).await.expect("first");
    assert_eq!(fake.connections.load(Ordering::SeqCst), before + 1);

    let e = client
        .send_to(1, &metadata_for("die"))
        .await
        .expect_err("killed");
    assert!(e.is_transport() && e.is_retriable(), "{e}");
    // Several tasks now race to use broker 1: exactly one new connection.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let c = client.clone();
        tasks.spawn(async move { c.send_to(1, &metadata_for("t")).await.map(|_| ()) });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("join").expect("send after reconnect");
    }
    assert_eq!(fake.connections.load(Ordering::SeqCst), before + 2);

    let e = client
        .send_to(42, &metadata_for("t"))
        .await
        .expect_err("unknown broker");
    assert!(
        matches!(e, ProtocolError::UnknownBroker { id: 42, .. }),
        "{e}"
    );
}

#[tokio::test]
async fn send_any_falls_back_over_bootstrap_addresses() {
    let fake = fake_cluster().await;
    let (dead, dead_addr) = listener().await;
    drop(dead);
    let mut s = settings(&dead_addr);
    s.bootstrap.push(fake.addr.clone());
    let client = super::ClusterClient::new(s);
    let m = client
        .refresh_metadata(None)
        .await
        .expect("second bootstrap works");
    assert_eq!(m.brokers.get(&1), Some(&fake.addr));

    let (_, closed_addr) = listener().await;
    let nobody = super::ClusterClient::new(settings(&closed_addr));
    match nobody.send_any(&metadata_for("t")).await {
        Err(ProtocolError::NoBrokerReachable { tried, .. }) => assert_eq!(tried, vec![closed_addr]),
        other => panic!("expected NoBrokerReachable, got {other:?}"),
    }
}
