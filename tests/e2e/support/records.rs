//! Records on a cluster: written by the Java test client, read back with Kafka's console consumer
//! and batch dumps, and the generator both sides share.

use super::*;

impl Cluster {
    // -- records --------------------------------------------------------------------------------

    /// Reads the topic from the beginning with Kafka's console consumer until `expected_total`
    /// records arrived or none came for 20 s (read again if short, see below), sorted by (partition, offset).
    /// `read_committed` hides aborted transactional records. Null keys, values and header values are
    /// reported as `None` (the consumer prints a `null.literal` that the data cannot contain).
    /// The console consumer's group (`console-consumer-*`) commits no offsets.
    pub fn dump(
        &self,
        topic: &str,
        expected_total: usize,
        read_committed: bool,
    ) -> Vec<DumpedRecord> {
        self.dump_with(topic, expected_total, read_committed, "20000")
    }

    /// Every record of `topic` when their number is not known (a compacted topic): reads up to
    /// its offset span and stops after 6 s without a record; read again while it gets nothing.
    pub fn dump_all(&self, topic: &str) -> Vec<DumpedRecord> {
        let span = usize::try_from(self.offset_span(topic)).unwrap_or(0);
        self.dump_with(topic, span, false, "6000")
    }

    /// What the Connect offsets topic `progress_topic` saved for each partition of `topic`
    /// replicated from `alias`: the latest record of each `MirrorSourceConnector` source key (MM2's
    /// layout, read here with the console consumer and parsed as JSON, not with strait's code).
    /// Empty when the topic does not exist yet.
    pub fn saved_progress(
        &self,
        progress_topic: &str,
        alias: &str,
        topic: &str,
    ) -> BTreeMap<i32, SavedProgress> {
        if !self.has_topic(progress_topic) {
            return BTreeMap::new();
        }
        let mut saved = BTreeMap::new();
        // Sorted by (offsets-topic partition, offset); a key lives in one partition, so the last
        // record of a key is its latest.
        for r in self.dump_all(progress_topic) {
            let Some(key) = r.key.as_deref() else {
                continue;
            };
            let key: serde_json::Value = serde_json::from_str(key)
                .unwrap_or_else(|e| panic!("{progress_topic}: key {key:?} is not JSON: {e}"));
            let part = &key[1];
            if key[0] != "MirrorSourceConnector"
                || part["cluster"] != alias
                || part["topic"] != topic
            {
                continue;
            }
            let partition = part["partition"]
                .as_i64()
                .unwrap_or_else(|| panic!("{progress_topic}: key without partition: {key}"))
                as i32;
            match r.value.as_deref() {
                None => {
                    saved.remove(&partition);
                }
                Some(v) => {
                    let v: serde_json::Value = serde_json::from_str(v).unwrap_or_else(|e| {
                        panic!("{progress_topic}: value {v:?} is not JSON: {e}")
                    });
                    let last = v["offset"]
                        .as_i64()
                        .unwrap_or_else(|| panic!("{progress_topic}: value without offset: {v}"));
                    saved.insert(
                        partition,
                        SavedProgress {
                            next_offset: last + 1,
                            timestamp: r.timestamp,
                        },
                    );
                }
            }
        }
        saved
    }

    fn dump_with(
        &self,
        topic: &str,
        expected_total: usize,
        read_committed: bool,
        idle_ms: &str,
    ) -> Vec<DumpedRecord> {
        let max = expected_total.max(1).to_string();
        let props = [
            "print.timestamp=true".to_string(),
            "print.partition=true".to_string(),
            "print.offset=true".to_string(),
            "print.headers=true".to_string(),
            "print.key=true".to_string(),
            format!("key.separator={COL}"),
            format!("line.separator={LINE}"),
            format!("headers.separator={HDR}"),
            format!("null.literal={NULL}"),
        ];
        let iso = if read_committed {
            "read_committed"
        } else {
            "read_uncommitted"
        };
        let mut args = vec![
            "--topic",
            topic,
            "--from-beginning",
            "--max-messages",
            &max,
            "--timeout-ms",
            idle_ms,
            "--isolation-level",
            iso,
            "--consumer-property",
            "enable.auto.commit=false",
        ];
        for p in &props {
            args.push("--property");
            args.push(p);
        }
        // Under the whole suite's load a console consumer can wait out its idle timeout before its
        // group gets its partitions and read nothing: read again (up to 3 times) while fewer than
        // `expected_total` records came back. What the caller asserts is unchanged.
        let mut records = Vec::new();
        for attempt in 1..=3 {
            let ran = self
                .tool("org.apache.kafka.tools.consumer.ConsoleConsumer", &args)
                .ok();
            records = parse_dump(&ran.stdout);
            if records.len() >= expected_total || (idle_ms != "20000" && !records.is_empty()) {
                break;
            }
            eprintln!(
                "dump {topic} on {}: {} of {expected_total} records (attempt {attempt})",
                self.name,
                records.len()
            );
        }
        records.sort_by_key(|r| (r.partition, r.offset));
        records
    }

    /// The record batches of one partition, from the `.log` segments of a replica's log dir
    /// (`kafka.tools.DumpLogSegments`). Needs the cluster's files (see [`Cluster::dir`]).
    pub fn batches(&self, topic: &str, partition: i32) -> Vec<BatchInfo> {
        let dir = self.need_dir("batches()");
        let part = format!("{topic}-{partition}");
        let mut segments: Vec<PathBuf> = Vec::new();
        for k in 1..=self.nodes {
            let pdir = dir.join(format!("node-{k}/data/{part}"));
            if let Ok(rd) = fs::read_dir(&pdir) {
                segments = rd
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "log"))
                    .collect();
                if !segments.is_empty() {
                    break;
                }
            }
        }
        assert!(
            !segments.is_empty(),
            "no replica of {part} on {} under {}",
            self.name,
            dir.display()
        );
        segments.sort();
        let files = segments
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(",");
        let ran = kafka_tool(
            "kafka.tools.DumpLogSegments",
            &["--files", &files],
            TOOL_TIMEOUT,
        )
        .ok();
        parse_batches(&ran.stdout_str())
    }

    /// The compression codec of every record batch of a partition, in log order.
    pub fn batch_codecs(&self, topic: &str, partition: i32) -> Vec<String> {
        self.batches(topic, partition)
            .into_iter()
            .map(|b| b.codec)
            .collect()
    }

    // -- writing data (Java test client) ----------------------------------------------------------

    /// Writes records 0..per_partition of every partition (see [`expected_record`]).
    /// Returns the number of records written.
    pub fn produce(
        &self,
        topic: &str,
        partitions: i32,
        per_partition: u64,
        codec: &str,
        seed: i64,
    ) -> u64 {
        self.produce_from(topic, partitions, 0, per_partition, codec, seed)
    }

    /// Like [`Cluster::produce`] with records start..start+per_partition of every partition.
    pub fn produce_from(
        &self,
        topic: &str,
        partitions: i32,
        start: u64,
        per_partition: u64,
        codec: &str,
        seed: i64,
    ) -> u64 {
        self.produce_keyed(topic, partitions, start, per_partition, codec, seed, 0, &[])
    }

    /// Like [`Cluster::produce`], written in small batches (the producer's `batch.size` 1 KiB): every
    /// partition gets many batches of a few records from one producer.
    pub fn produce_in_small_batches(
        &self,
        topic: &str,
        partitions: i32,
        per_partition: u64,
        codec: &str,
        seed: i64,
    ) -> u64 {
        self.produce_keyed(
            topic,
            partitions,
            0,
            per_partition,
            codec,
            seed,
            0,
            &["--batch-size", "1024"],
        )
    }

    /// Like [`Cluster::produce_from`]; with `key_mod` > 0 record i of a partition has key
    /// `k-<seed>-<p>-<i % key_mod>` (repeated keys, for compacted topics); `extra` are more of
    /// the test client's `produce` options (e.g. `--batch-size`).
    #[allow(clippy::too_many_arguments)]
    pub fn produce_keyed(
        &self,
        topic: &str,
        partitions: i32,
        start: u64,
        per_partition: u64,
        codec: &str,
        seed: i64,
        key_mod: u64,
        extra: &[&str],
    ) -> u64 {
        let km = key_mod.to_string();
        let (p, n, s, st) = (
            partitions.to_string(),
            per_partition.to_string(),
            seed.to_string(),
            start.to_string(),
        );
        let out = test_client(
            &[
                "produce",
                "--bootstrap",
                &self.bootstrap,
                "--topic",
                topic,
                "--partitions",
                &p,
                "--per-partition",
                &n,
                "--codec",
                codec,
                "--seed",
                &s,
                "--start-index",
                &st,
                "--key-mod",
                &km,
            ]
            .into_iter()
            .chain(extra.iter().copied())
            .collect::<Vec<_>>(),
            TOOL_TIMEOUT,
        )
        .ok();
        json_u64(&out.stdout_str(), "records")
    }

    /// Transactions alternating commit and abort, with a plain record after each (see the Java
    /// client's `transactions` mode).
    pub fn transactions(
        &self,
        topic: &str,
        partitions: i32,
        txns: u64,
        per_txn: u64,
        seed: i64,
    ) -> TxnCounts {
        let (p, t, k, s) = (
            partitions.to_string(),
            txns.to_string(),
            per_txn.to_string(),
            seed.to_string(),
        );
        let out = test_client(
            &[
                "transactions",
                "--bootstrap",
                &self.bootstrap,
                "--topic",
                topic,
                "--partitions",
                &p,
                "--transactions",
                &t,
                "--per-txn",
                &k,
                "--seed",
                &s,
            ],
            TOOL_TIMEOUT,
        )
        .ok()
        .stdout_str();
        TxnCounts {
            committed: json_u64(&out, "committed"),
            aborted: json_u64(&out, "aborted"),
            plain: json_u64(&out, "plain"),
        }
    }

    /// Fast load of `records` key-less records of `size` bytes. Returns the records written.
    pub fn bulk(&self, topic: &str, records: u64, size: usize, codec: &str) -> u64 {
        let (n, sz) = (records.to_string(), size.to_string());
        let out = test_client(
            &[
                "bulk",
                "--bootstrap",
                &self.bootstrap,
                "--topic",
                topic,
                "--records",
                &n,
                "--size",
                &sz,
                "--codec",
                codec,
            ],
            Duration::from_secs(600),
        )
        .ok();
        json_u64(&out.stdout_str(), "records")
    }
}

// -- what exact translation means, computed from the source alone ------------------------------

/// With the remote topic filled from the source's first record, the target offset of the first
/// replicated record at or after `u` is the number of replicated source records before `u`.
pub fn records_before(source: &[DumpedRecord], partition: i32, u: i64) -> i64 {
    source
        .iter()
        .filter(|r| r.partition == partition && r.offset < u)
        .count() as i64
}

/// Source records of `partition` at or after `u` as (key, value), in order.
pub fn records_from(
    source: &[DumpedRecord],
    partition: i32,
    u: i64,
) -> Vec<(Option<String>, Option<String>)> {
    source
        .iter()
        .filter(|r| r.partition == partition && r.offset >= u)
        .map(|r| (r.key.clone(), r.value.clone()))
        .collect()
}

/// The first offset of `partition` that holds no record: a transaction marker's.
pub fn first_marker_offset(source: &[DumpedRecord], partition: i32) -> i64 {
    let offsets: Vec<i64> = source
        .iter()
        .filter(|r| r.partition == partition)
        .map(|r| r.offset)
        .collect();
    (0..).find(|o| !offsets.contains(o)).unwrap()
}

/// The offset of the first aborted record (the `transactions` loader's `aborted-` values) of
/// `partition` past offset `past`.
pub fn aborted_offset(source: &[DumpedRecord], partition: i32, past: i64) -> i64 {
    source
        .iter()
        .find(|r| {
            r.partition == partition
                && r.offset > past
                && r.value
                    .as_deref()
                    .is_some_and(|v| v.starts_with("aborted-"))
        })
        .map(|r| r.offset)
        .unwrap_or_else(|| panic!("an aborted record on partition {partition} past {past}"))
}

/// Parses the console consumer's output (see the properties in [`Cluster::dump`]).
pub fn parse_dump(out: &[u8]) -> Vec<DumpedRecord> {
    let text = String::from_utf8_lossy(out);
    let mut records = Vec::new();
    for rec in text.split(LINE) {
        if rec.is_empty() {
            continue;
        }
        // timestamp, partition, offset, headers, key, value (the value may contain anything).
        let f: Vec<&str> = rec.splitn(6, COL).collect();
        assert_eq!(f.len(), 6, "unparsable console consumer record: {rec:?}");
        let (timestamp_type, timestamp) = match f[0] {
            "NO_TIMESTAMP" => ("NO_TIMESTAMP".to_string(), -1),
            ts => {
                let (t, v) = ts
                    .split_once(':')
                    .unwrap_or_else(|| panic!("bad timestamp {ts:?}"));
                (t.to_string(), v.parse().unwrap())
            }
        };
        let partition = f[1]
            .strip_prefix("Partition:")
            .expect("Partition:")
            .parse()
            .unwrap();
        let offset = f[2]
            .strip_prefix("Offset:")
            .expect("Offset:")
            .parse()
            .unwrap();
        let headers = if f[3] == "NO_HEADERS" {
            Vec::new()
        } else {
            f[3].split(HDR)
                .map(|h| {
                    let (k, v) = h
                        .split_once(':')
                        .unwrap_or_else(|| panic!("bad header {h:?}"));
                    (k.to_string(), null_or(v))
                })
                .collect()
        };
        records.push(DumpedRecord {
            partition,
            offset,
            timestamp_type,
            timestamp,
            key: null_or(f[4]),
            value: null_or(f[5]),
            headers,
        });
    }
    records
}

/// Parses `DumpLogSegments --files` output (batch lines only).
pub fn parse_batches(out: &str) -> Vec<BatchInfo> {
    out.lines()
        .filter(|l| l.starts_with("baseOffset:"))
        .map(|l| {
            // "baseOffset: 0 lastOffset: 29 count: 30 ... isTransactional: false isControl: false ...
            //  CreateTime: 1700000000029 size: 4877 magic: 2 compresscodec: zstd crc: .. isvalid: true"
            let toks: Vec<&str> = l.split_whitespace().collect();
            let get = |name: &str| -> &str {
                toks.iter()
                    .position(|t| *t == name)
                    .and_then(|i| toks.get(i + 1).copied())
                    .unwrap_or_else(|| panic!("no {name} in {l}"))
            };
            let (timestamp_type, max_timestamp) = if toks.contains(&"LogAppendTime:") {
                (
                    "LogAppendTime".to_string(),
                    get("LogAppendTime:").parse().unwrap_or(-1),
                )
            } else {
                (
                    "CreateTime".to_string(),
                    get("CreateTime:").parse().unwrap_or(-1),
                )
            };
            BatchInfo {
                base_offset: get("baseOffset:").parse().unwrap(),
                last_offset: get("lastOffset:").parse().unwrap(),
                count: get("count:").parse().unwrap(),
                codec: get("compresscodec:").to_lowercase(),
                producer_id: get("producerId:").parse().unwrap(),
                is_transactional: get("isTransactional:") == "true",
                is_control: get("isControl:") == "true",
                timestamp_type,
                max_timestamp,
                size: get("size:").parse().unwrap(),
                position: get("position:").parse().unwrap(),
            }
        })
        .collect()
}

// ------------------------------------------------------------------------------------------------
// The generated test data (mirror of `Gen` in tests/java/StraitTestClient.java)

/// Timestamp of record 0 of partition 0: 2096-10-02, in the future on purpose, so that the brokers'
/// default time-based retention (7 days) never deletes the test data; record (p, i) has
/// `BASE_TIMESTAMP + p * 1_000_000 + i`.
pub const BASE_TIMESTAMP: i64 = 4_000_000_000_000;

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Record `i` of partition `p` as the Java client's `produce --seed seed` writes it, with
/// `offset = i` (true on a topic that only this produce call wrote to, from index 0).
pub fn expected_record(seed: i64, p: i32, i: u64) -> DumpedRecord {
    let ii = i as i64;
    let key = (i % 13 != 12).then(|| format!("k-{seed}-{p}-{i}"));
    let value = (i % 11 != 10).then(|| {
        let mut h = mix(seed
            .wrapping_mul(1_000_003)
            .wrapping_add((p as i64) * 100_003)
            .wrapping_add(ii) as u64);
        let len = 100 + (h % 201) as usize;
        let mut s = format!("v-{seed}-{p}-{i}:");
        while s.len() < len {
            h = mix(h);
            s.push((32 + (h % 95) as u8) as char);
        }
        s
    });
    let headers = if i % 7 == 3 {
        Vec::new()
    } else {
        vec![
            ("h".to_string(), Some("a".to_string())),
            ("h".to_string(), Some("b".to_string())),
            ("n".to_string(), None),
            ("e".to_string(), Some(String::new())),
            ("idx".to_string(), Some(format!("{p}-{i}"))),
        ]
    };
    DumpedRecord {
        partition: p,
        offset: ii,
        timestamp_type: "CreateTime".into(),
        timestamp: BASE_TIMESTAMP + p as i64 * 1_000_000 + ii,
        key,
        value,
        headers,
    }
}

/// All records of a `produce_from(.., partitions, start, per_partition, .., seed)` call, sorted by
/// (partition, index); offsets are the indexes.
pub fn expected_records(
    seed: i64,
    partitions: i32,
    start: u64,
    per_partition: u64,
) -> Vec<DumpedRecord> {
    (0..partitions)
        .flat_map(|p| (start..start + per_partition).map(move |i| expected_record(seed, p, i)))
        .collect()
}

/// Asserts that two record lists hold the same records in the same per-partition order
/// (offsets compared only with `compare_offsets`), with a readable message on the first difference.
pub fn assert_same_records(
    actual: &[DumpedRecord],
    expected: &[DumpedRecord],
    compare_offsets: bool,
) {
    let per_partition = |rs: &[DumpedRecord]| {
        let mut m: BTreeMap<i32, usize> = BTreeMap::new();
        for r in rs {
            *m.entry(r.partition).or_default() += 1;
        }
        m
    };
    assert_eq!(
        per_partition(actual),
        per_partition(expected),
        "record counts per partition differ (actual vs expected)"
    );
    let sorted = |rs: &[DumpedRecord]| {
        let mut v: Vec<DumpedRecord> = rs.to_vec();
        v.sort_by_key(|r| r.partition); // stable: keeps each partition's order
        v
    };
    for (n, (a, e)) in sorted(actual)
        .iter()
        .zip(sorted(expected).iter())
        .enumerate()
    {
        let same = a.partition == e.partition
            && (!compare_offsets || a.offset == e.offset)
            && a.timestamp_type == e.timestamp_type
            && a.timestamp == e.timestamp
            && a.key == e.key
            && a.value == e.value
            && a.headers == e.headers;
        assert!(
            same,
            "record #{n} differs:\n  actual:   {a:?}\n  expected: {e:?}"
        );
    }
}
