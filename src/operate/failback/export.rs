//! The lost tail as JSON lines, so the business can reconcile what never reached the target: one
//! file per source topic, one line per record with its partition, offset, timestamp, key, value
//! and headers. Bytes that are UTF-8 are written as a JSON string; anything else as
//! `{"base64": "..."}`, so every byte comes back exactly.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use bytes::Bytes;
use serde_json::{json, Value};

use crate::offsets::topic_reader::StoredRecord;

/// A byte field: null, a string when it is UTF-8, else its base64.
fn bytes_value(b: Option<&Bytes>) -> Value {
    match b {
        None => Value::Null,
        Some(b) => match std::str::from_utf8(b) {
            Ok(s) => Value::String(s.to_string()),
            Err(_) => json!({ "base64": base64::engine::general_purpose::STANDARD.encode(b) }),
        },
    }
}

/// One exported record as a JSON line (without the newline).
pub(super) fn line(topic: &str, partition: i32, r: &StoredRecord) -> String {
    json!({
        "topic": topic,
        "partition": partition,
        "offset": r.offset,
        "timestamp": r.timestamp,
        "key": bytes_value(r.key.as_ref()),
        "value": bytes_value(r.value.as_ref()),
        "headers": r.headers.iter().map(|(k, v)| json!({
            "key": bytes_value(Some(k)),
            "value": bytes_value(v.as_ref()),
        })).collect::<Vec<_>>(),
    })
    .to_string()
}

/// The export file of one source topic, written under a temporary name and renamed into place
/// when complete, so a file that exists holds the whole tail.
pub(super) struct TopicExport {
    path: PathBuf,
    partial: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
}

impl TopicExport {
    /// Starts `DIR/<topic>.jsonl` (creating `dir`).
    pub(super) fn create(dir: &Path, topic: &str) -> Result<TopicExport, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("--export {}: cannot create it: {e}", dir.display()))?;
        let path = dir.join(format!("{topic}.jsonl"));
        let partial = dir.join(format!("{topic}.jsonl.partial"));
        let file = std::fs::File::create(&partial)
            .map_err(|e| format!("--export: cannot write {}: {e}", partial.display()))?;
        Ok(TopicExport {
            path,
            partial,
            out: std::io::BufWriter::new(file),
        })
    }

    /// Appends one record.
    pub(super) fn write(
        &mut self,
        topic: &str,
        partition: i32,
        r: &StoredRecord,
    ) -> Result<(), String> {
        writeln!(self.out, "{}", line(topic, partition, r))
            .map_err(|e| format!("--export: cannot write {}: {e}", self.partial.display()))
    }

    /// Flushes, syncs and renames the file into place; its final path.
    pub(super) fn finish(mut self) -> Result<PathBuf, String> {
        let fail =
            |e: std::io::Error| format!("--export: cannot write {}: {e}", self.partial.display());
        self.out.flush().map_err(fail)?;
        self.out.get_ref().sync_all().map_err(fail)?;
        std::fs::rename(&self.partial, &self.path).map_err(fail)?;
        Ok(self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_stays_text_and_binary_is_base64_so_every_byte_comes_back() {
        let r = StoredRecord {
            offset: 7,
            timestamp: 1_700_000_000_000,
            key: Some(Bytes::from_static(b"order-1")),
            value: Some(Bytes::from_static(&[0xff, 0x00, 0x41])),
            headers: vec![
                (
                    Bytes::from_static(b"trace"),
                    Some(Bytes::from_static(b"abc")),
                ),
                (Bytes::from_static(b"empty"), None),
            ],
        };
        let v: Value = serde_json::from_str(&line("orders", 2, &r)).unwrap();
        assert_eq!(v["topic"], "orders");
        assert_eq!(v["partition"], 2);
        assert_eq!(v["offset"], 7);
        assert_eq!(v["timestamp"], 1_700_000_000_000_i64);
        assert_eq!(v["key"], "order-1");
        let b64 = v["value"]["base64"].as_str().unwrap();
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
            vec![0xff, 0x00, 0x41]
        );
        assert_eq!(v["headers"][0]["key"], "trace");
        assert_eq!(v["headers"][0]["value"], "abc");
        assert_eq!(v["headers"][1]["value"], Value::Null);
        let tombstone = StoredRecord {
            value: None,
            key: None,
            ..r
        };
        let v: Value = serde_json::from_str(&line("orders", 2, &tombstone)).unwrap();
        assert_eq!(
            (v["key"].clone(), v["value"].clone()),
            (Value::Null, Value::Null)
        );
    }
}
