//! Criterion benchmarks of strait's per-byte and per-batch hot paths, on realistic 1 MiB fetch buffers
//! (what one partition's share of a Fetch response looks like with the default
//! `max.partition.fetch.bytes`):
//!
//! - `split_batches`: the 61-byte header walk that slices a fetch buffer into batches (no CRC).
//! - `rewrite_for_target`: source CRC check, header patch and new CRC32C, copied into the
//!   outgoing buffer, for every batch of the buffer.
//! - `queue_push_ack`: per-batch bookkeeping of the produce side (`PartitionQueue::push`, which
//!   rewrites and assigns sequences, then `next_to_send` and `ack` for every batch).
//! - `produce_request`: `protocol::produce_request::build` for 12 partitions of 1 MiB each plus the request
//!   encoding (`Encodable::encode`, v9), which copies the record bytes into the frame.
//!
//! - `metrics`: what `--metrics-listen` adds per batch (`PartitionMetrics::acked` + `fetched`), and
//!   one scrape (`Metrics::render`) of 1,000 and of 11,000 partitions (`STRAIT_BENCH_SCRAPE_OUT=file`
//!   writes the latter, to measure it gzipped).
//!
//! Run: `cargo bench --bench hot_paths` (add `-- --quick` for a short run, or a filter such as
//! `-- rewrite`). Results are throughput in bytes of fetch buffer per second.

use std::hint::black_box;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use indexmap::IndexMap;
use kafka_protocol::protocol::Encodable;
use kafka_protocol::records::{
    Compression as KpCompression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

use strait::plan::Route;
use strait::produce::queue::PartitionQueue;
use strait::produce::sequence::ProducerIdentity;
use strait::protocol::produce_request::{build, PartitionRecords};
use strait::records::{rewrite_for_target, split_batches, ProducerFields};

const FETCH_BYTES: usize = 1 << 20;
const VALUE_SIZE: usize = 1024;

/// Printable pseudo-random values (roughly as compressible as the load test's data).
fn value(i: u64) -> Bytes {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let v: Vec<u8> = (0..VALUE_SIZE)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            32 + (x % 95) as u8
        })
        .collect();
    Bytes::from(v)
}

/// A fetch buffer of up to 1 MiB: complete batches of `per_batch` 1 KiB records each, as a Java
/// idempotent producer writes them (producer id, epoch and sequences set), offsets contiguous.
fn fetch_buffer(per_batch: usize, codec: KpCompression) -> Bytes {
    let mut buf = BytesMut::with_capacity(FETCH_BYTES + 64 * 1024);
    let mut offset = 0i64;
    loop {
        let records: Vec<Record> = (0..per_batch)
            .map(|k| {
                let o = offset + k as i64;
                Record {
                    transactional: false,
                    control: false,
                    delete_horizon: false,
                    partition_leader_epoch: 0,
                    producer_id: 7,
                    producer_epoch: 0,
                    timestamp_type: TimestampType::Creation,
                    offset: o,
                    sequence: o as i32,
                    timestamp: 4_000_000_000_000 + o,
                    key: None,
                    value: Some(value(o as u64)),
                    headers: IndexMap::new(),
                }
            })
            .collect();
        let mut one = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut one,
            &records,
            &RecordEncodeOptions {
                version: 2,
                compression: codec,
            },
        )
        .expect("kafka-protocol encodes");
        if buf.len() + one.len() > FETCH_BYTES && !buf.is_empty() {
            break;
        }
        buf.extend_from_slice(&one);
        offset += per_batch as i64;
    }
    buf.freeze()
}

/// (label, records per batch, codec): 16 KiB batches (the Java producer's default batch.size) and
/// 256 KiB batches (the load test's), uncompressed and lz4.
fn fixtures() -> Vec<(String, Bytes)> {
    let mut out = Vec::new();
    for (per_batch, size) in [(16usize, "16KiB"), (256, "256KiB")] {
        for (codec, name) in [(KpCompression::None, "none"), (KpCompression::Lz4, "lz4")] {
            out.push((
                format!("{size}-batches/{name}"),
                fetch_buffer(per_batch, codec),
            ));
        }
    }
    out
}

const TARGET: ProducerFields = ProducerFields {
    producer_id: 1234,
    producer_epoch: 1,
    base_sequence: 0,
};

fn bench_split(c: &mut Criterion) {
    let mut g = c.benchmark_group("split_batches");
    for (label, buf) in fixtures() {
        g.throughput(Throughput::Bytes(buf.len() as u64));
        g.bench_function(&label, |b| {
            b.iter(|| split_batches(black_box(&buf)).expect("splits"))
        });
    }
    g.finish();
}

fn bench_rewrite(c: &mut Criterion) {
    let mut g = c.benchmark_group("rewrite_for_target");
    for (label, buf) in fixtures() {
        let batches = split_batches(&buf).expect("splits").batches;
        g.throughput(Throughput::Bytes(buf.len() as u64));
        // One output buffer per batch, as the produce queue does.
        g.bench_function(&label, |b| {
            b.iter(|| {
                let mut n = 0usize;
                for batch in &batches {
                    let mut out = BytesMut::with_capacity(batch.bytes.len());
                    let w = rewrite_for_target(black_box(batch), TARGET, &mut out)
                        .expect("rewrites")
                        .expect("forwarded");
                    n += w.bytes;
                }
                n
            })
        });
    }
    g.finish();
}

fn bench_queue(c: &mut Criterion) {
    let mut g = c.benchmark_group("queue_push_ack");
    let route = Arc::new(Route {
        source_topic: "bench".into(),
        remote_topic: "primary.bench".into(),
        partition: 3,
    });
    for (label, buf) in fixtures() {
        let batches = split_batches(&buf).expect("splits").batches;
        g.throughput(Throughput::Bytes(buf.len() as u64));
        g.bench_function(&label, |b| {
            b.iter_batched(
                || batches.clone(),
                |batches| {
                    let mut q = PartitionQueue::new(route.clone());
                    let identity = ProducerIdentity::new(Some((1234, 1)));
                    let mut next_id = 0u64;
                    q.push(batches, 1_000_000, &identity, &mut next_id)
                        .expect("pushes");
                    // Acknowledgement includes the offset-sync bookkeeping of each landed batch.
                    let syncs = strait::offsets::offset_syncs::OffsetSyncLog::new(100);
                    let mut landed = Vec::new();
                    let mut base = 0i64;
                    let mut mark = None;
                    while let Some(e) = q.next_to_send() {
                        e.state = strait::produce::queue::EntryState::InFlight;
                        let id = e.id;
                        mark = q.ack(id, base, &mut landed).or(mark);
                        for l in landed.drain(..) {
                            syncs.on_batch("t", 0, &l.upstream, l.records, base);
                            base += i64::from(l.records);
                        }
                    }
                    mark
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

fn bench_produce_request(c: &mut Criterion) {
    let mut g = c.benchmark_group("produce_request");
    let buf = fetch_buffer(256, KpCompression::Lz4);
    let parts: Vec<PartitionRecords> = (0..12)
        .map(|p| PartitionRecords {
            topic: "primary.bench".into(),
            partition: p,
            records: buf.clone(),
        })
        .collect();
    g.throughput(Throughput::Bytes((buf.len() * parts.len()) as u64));
    g.bench_function("build/12x1MiB", |b| {
        b.iter(|| build(black_box(&parts), -1, 30_000))
    });
    let req = build(&parts, -1, 30_000);
    g.bench_function("build+encode_v9/12x1MiB", |b| {
        b.iter(|| {
            let req = build(black_box(&parts), -1, 30_000);
            let mut out = BytesMut::with_capacity(req.compute_size(9).expect("sizes") + 64);
            req.encode(&mut out, 9).expect("encodes");
            out.len()
        })
    });
    g.bench_function("encode_v9_only/12x1MiB", |b| {
        b.iter(|| {
            let mut out = BytesMut::new();
            req.encode(&mut out, 9).expect("encodes");
            out.len()
        })
    });
    g.finish();
}

/// The CRC step of the rewrite in isolation: `crc32c_combine` (what `rewrite_for_target` does to
/// reuse the source block's CRC) against hashing the block again with `crc32c_append`.
fn bench_crc(c: &mut Criterion) {
    let mut g = c.benchmark_group("crc32c");
    for kib in [16usize, 256] {
        let block = vec![0x5au8; kib * 1024];
        let block_crc = crc32c::crc32c(&block);
        g.bench_function(format!("combine/{kib}KiB"), |b| {
            b.iter(|| {
                crc32c::crc32c_combine(black_box(0x1234_5678), block_crc, black_box(block.len()))
            })
        });
        g.bench_function(format!("append/{kib}KiB"), |b| {
            b.iter(|| crc32c::crc32c_append(black_box(0x1234_5678), black_box(&block)))
        });
    }
    g.finish();
}

fn bench_metrics(c: &mut Criterion) {
    let mut g = c.benchmark_group("metrics");
    let metrics = strait::metrics::Metrics::new();
    let flow = metrics.flow("primary", "secondary");
    let p = flow.partition("primary.bench", 3);
    let now = strait::clock::now_ms();
    g.bench_function("per_batch/acked+fetched", |b| {
        b.iter(|| {
            p.fetched(black_box(now - 5), now);
            p.acked(black_box(100), black_box(16_384), now - 5, now);
        })
    });
    for part in 0..1000 {
        let p = flow.partition("primary.bench", part);
        p.acked(1, 1, now - 5, now);
        p.fetched(now - 5, now);
        p.lag_fetched(10, 0, [(9, now - 5)].into_iter());
    }
    g.bench_function("render/1000_partitions", |b| {
        b.iter(|| metrics.render().expect("renders").len())
    });
    // 10,000 partitions: 100 topics of 100 (the scrape size and time an operator meets at scale;
    // the size is printed, since criterion measures only time).
    for topic in 0..100 {
        for part in 0..100 {
            let p = flow.partition(&format!("primary.bench-{topic:03}"), part);
            p.acked(1, 1, now - 5, now);
            p.fetched(now - 5, now);
            p.lag_fetched(10, 0, [(9, now - 5)].into_iter());
        }
    }
    let text = metrics.render().expect("renders");
    if let Some(path) = std::env::var_os("STRAIT_BENCH_SCRAPE_OUT") {
        std::fs::write(path, &text).expect("writes the scrape");
    }
    eprintln!(
        "metrics: a scrape of 11,000 partitions is {} bytes in {} series",
        text.len(),
        text.lines().filter(|l| !l.starts_with('#')).count()
    );
    g.bench_function("render/11000_partitions", |b| {
        b.iter(|| metrics.render().expect("renders").len())
    });
    g.finish();
}

criterion_group!(
    benches,
    bench_metrics,
    bench_crc,
    bench_split,
    bench_rewrite,
    bench_queue,
    bench_produce_request
);
criterion_main!(benches);
