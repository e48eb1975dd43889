//! The target broker's ingest ceiling for loadtest/run.sh (scenario 3): the raw produce path of the
//! source's own record batches, without a source fetch and without a Java client's batching and
//! compression work on the same cores.
//!
//! It reads the source topic's log segment files straight from the source broker's data directory
//! (`DIR/TOPIC-P/*.log` are the record batches exactly as a Fetch returns them), rewrites every batch
//! once with strait's own `rewrite_for_target` (non-idempotent: producer id, epoch and sequence -1, so
//! the broker keeps no producer state), and only then starts the clock. Timed: `--tasks` connections
//! to the (single) target broker, each sending Produce requests (acks=all) carrying the next batch of
//! each of its partitions (a Produce request v3+ may hold only one batch per partition, exactly like
//! strait's), `--in-flight` requests outstanding per connection, until every batch is acknowledged.
//! Prints one JSON line: records, batch bytes, seconds (first send to last acknowledgement) and this
//! process's CPU seconds over that interval.
//!
//! Run: `cargo run --release --example produce_ceiling -- --bootstrap 127.0.0.1:P --topic T
//! --source-dir DATA --source-topic S --partitions N [--tasks 2] [--in-flight 5]`.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use strait::protocol::connection::BrokerConnection;
use strait::protocol::produce_request::{build, results, PartitionRecords};
use strait::records::{rewrite_for_target, split_batches, ProducerFields};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Command-line options (see the module docs).
struct Args {
    bootstrap: String,
    topic: String,
    source_dir: PathBuf,
    source_topic: String,
    partitions: i32,
    tasks: usize,
    in_flight: usize,
}

fn parse_args() -> Result<Args, BoxError> {
    let mut a = Args {
        bootstrap: String::new(),
        topic: String::new(),
        source_dir: PathBuf::new(),
        source_topic: String::new(),
        partitions: 0,
        tasks: 2,
        in_flight: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().ok_or_else(|| format!("{k} needs a value"))?;
        match k.as_str() {
            "--bootstrap" => a.bootstrap = v,
            "--topic" => a.topic = v,
            "--source-dir" => a.source_dir = v.into(),
            "--source-topic" => a.source_topic = v,
            "--partitions" => a.partitions = v.parse()?,
            "--tasks" => a.tasks = v.parse()?,
            "--in-flight" => a.in_flight = v.parse()?,
            _ => return Err(format!("unknown option {k}").into()),
        }
    }
    if a.bootstrap.is_empty() || a.topic.is_empty() || a.source_topic.is_empty() || a.partitions < 1
    {
        return Err("need --bootstrap, --topic, --source-dir, --source-topic, --partitions".into());
    }
    Ok(a)
}

/// One partition's produce-ready batches, and the number of records in them.
fn load_partition(dir: &Path) -> Result<(Vec<Bytes>, u64), BoxError> {
    let mut segments: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    segments.sort();
    let fields = ProducerFields {
        producer_id: -1,
        producer_epoch: -1,
        base_sequence: -1,
    };
    let mut out = Vec::new();
    let mut records = 0u64;
    for seg in segments {
        let data = Bytes::from(std::fs::read(&seg)?);
        let mut buf = BytesMut::with_capacity(data.len());
        for batch in split_batches(&data)?.batches {
            if let Some(r) = rewrite_for_target(&batch, fields, &mut buf)? {
                records += r.records as u64;
                out.push(buf.split().freeze());
            }
        }
    }
    Ok((out, records))
}

fn cpu_seconds() -> f64 {
    // utime + stime of this process, fields 14 and 15 of /proc/self/stat, in clock ticks (100 Hz).
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let f: Vec<&str> = s.rsplit_once(')')?.1.split_whitespace().collect();
            Some((f[11].parse::<f64>().ok()? + f[12].parse::<f64>().ok()?) / 100.0)
        })
        .unwrap_or(0.0)
}

/// Sends every chunk of `parts` over one connection; each request carries the next chunk of every
/// partition that still has one.
async fn run_task(
    conn: BrokerConnection,
    topic: String,
    mut parts: Vec<(i32, VecDeque<Bytes>)>,
    in_flight: usize,
) -> Result<(), BoxError> {
    let mut pending = VecDeque::new();
    loop {
        let batch: Vec<PartitionRecords> = parts
            .iter_mut()
            .filter_map(|(p, q)| {
                q.pop_front().map(|records| PartitionRecords {
                    topic: topic.clone(),
                    partition: *p,
                    records,
                })
            })
            .collect();
        if batch.is_empty() && pending.is_empty() {
            return Ok(());
        }
        if !batch.is_empty() {
            pending.push_back(conn.start(&build(&batch, -1, 30_000)).await?);
        }
        if pending.len() >= in_flight || (batch.is_empty() && !pending.is_empty()) {
            let (_, resp) = pending.pop_front().expect("non-empty").response().await?;
            for r in results(&resp) {
                if r.error_code != 0 {
                    return Err(format!(
                        "{}-{}: error {} {:?}",
                        r.topic, r.partition, r.error_code, r.message
                    )
                    .into());
                }
            }
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let a = parse_args()?;
    let mut by_task: Vec<Vec<(i32, VecDeque<Bytes>)>> = vec![Vec::new(); a.tasks.max(1)];
    let (mut records, mut bytes) = (0u64, 0u64);
    for p in 0..a.partitions {
        let dir = a.source_dir.join(format!("{}-{p}", a.source_topic));
        let (chunks, n) = load_partition(&dir)?;
        records += n;
        bytes += chunks.iter().map(|c| c.len() as u64).sum::<u64>();
        by_task[p as usize % a.tasks.max(1)].push((p, chunks.into()));
    }
    let mut conns = Vec::new();
    for t in 0..by_task.len() {
        let id = format!("strait-ceiling-{t}");
        conns.push(
            BrokerConnection::connect("target", &a.bootstrap, &id, Duration::from_secs(30)).await?,
        );
    }
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let mut handles = Vec::new();
    for (conn, parts) in conns.into_iter().zip(by_task) {
        handles.push(tokio::spawn(run_task(
            conn,
            a.topic.clone(),
            parts,
            a.in_flight,
        )));
    }
    for h in handles {
        h.await??;
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{{\"records\": {records}, \"batch_bytes\": {bytes}, \"seconds\": {secs:.3}, \"cpu_s\": {:.2}}}",
        cpu_seconds() - cpu0
    );
    Ok(())
}
