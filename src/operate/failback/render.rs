//! The failback report as a table and as JSON.

use std::fmt::Write;

use serde_json::{json, Value};

use super::{FailbackReport, Tail};

/// A timestamp as "N s/min/h ago" against the report's time.
fn ago(r: &FailbackReport, ms: i64) -> String {
    format!("{} ago", crate::operate::status::age_text(r.now_ms - ms))
}

/// One line per partition, then the way home.
pub(super) fn table(r: &FailbackReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "failback of flow {}: what {} holds that never reached {}{}",
        r.flow,
        r.source,
        r.target,
        if r.dry_run {
            " (dry run: no file written)"
        } else {
            ""
        }
    );
    if let Some(f) = &r.failover {
        let _ = writeln!(out, "  {} failover {}", f.mode, ago(r, f.at_ms));
    }
    let _ = writeln!(
        out,
        "  {:<32} {:>12} {:>12} {:>10}  time range",
        "partition", "lost from", "source end", "lost"
    );
    for p in &r.partitions {
        match &p.tail {
            Ok(t) => {
                let _ = writeln!(
                    out,
                    "  {:<32} {:>12} {:>12} {:>10}  {}",
                    p.tp.to_string(),
                    t.first.map_or("-".to_string(), |f| f.to_string()),
                    t.end,
                    t.records,
                    time_range(r, t)
                );
            }
            Err(e) => {
                let _ = writeln!(out, "  {:<32} UNKNOWN: {e}", p.tp.to_string());
            }
        }
    }
    let _ = writeln!(out, "  records lost in total: {}", r.lost());
    for path in &r.exported {
        let _ = writeln!(out, "  exported: {}", path.display());
    }
    let (reverse, enabled) = &r.reverse;
    for line in &r.rebuilt {
        let _ = writeln!(out, "  rebuilt: {line}");
    }
    if r.identity && !r.rebuilt.is_empty() {
        let _ = writeln!(
            out,
            "  IdentityReplicationPolicy: the reverse flow {reverse} now fills the rebuilt topics on {} from {}'s first record{}",
            r.source,
            r.target,
            if *enabled { "" } else { " (enable it: it is NOT enabled)" }
        );
    } else if r.identity {
        let _ = writeln!(
            out,
            "  IdentityReplicationPolicy: {}'s topics have {}'s names, so the reverse flow {reverse} cannot append behind what {} already holds; rebuild those topics on {} from {} with --rebuild (see docs/failover.md)",
            r.source, r.target, r.source, r.source, r.target
        );
    } else if *enabled {
        let _ = writeln!(
            out,
            "  reverse flow {reverse}: enabled; what was written on {} after the failover replicates to {} as {}.<topic>",
            r.target, r.source, r.target
        );
    } else {
        let _ = writeln!(
            out,
            "  reverse flow {reverse}: NOT enabled; set `{reverse}.enabled = true` so that what was written on {} after the failover reaches {}",
            r.target, r.source
        );
    }
    for w in &r.warnings {
        let _ = writeln!(out, "  WARNING: {w}");
    }
    out
}

/// "oldest .. newest" of a tail, or "-".
fn time_range(r: &FailbackReport, t: &Tail) -> String {
    match (t.first_ms, t.last_ms) {
        (Some(a), Some(b)) => format!("{} .. {}", ago(r, a), ago(r, b)),
        _ => "-".to_string(),
    }
}

/// The report as one JSON object.
pub(super) fn json(r: &FailbackReport) -> Value {
    json!({
        "flow": r.flow,
        "source": r.source,
        "target": r.target,
        "dry_run": r.dry_run,
        "exit_code": r.exit_code(),
        "identity_policy": r.identity,
        "failover": r.failover.as_ref().map(|f| json!({"at_ms": f.at_ms, "mode": f.mode})),
        "records_lost": r.lost(),
        "partitions": r.partitions.iter().map(|p| {
            let base = json!({
                "topic": p.tp.topic,
                "partition": p.tp.partition,
                "remote_topic": p.remote.topic,
            });
            let mut v = base;
            match &p.tail {
                Ok(t) => {
                    v["lost_from"] = json!(t.first);
                    v["source_end"] = json!(t.end);
                    v["lost_records"] = json!(t.records);
                    v["lost_first_timestamp"] = json!(t.first_ms);
                    v["lost_last_timestamp"] = json!(t.last_ms);
                    v["target_own_records_from"] = json!(t.own_from);
                }
                Err(e) => v["error"] = json!(e),
            }
            v
        }).collect::<Vec<_>>(),
        "exported": r.exported.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "reverse_flow": {"flow": r.reverse.0, "enabled": r.reverse.1},
        "warnings": r.warnings,
        "rebuilt": r.rebuilt,
    })
}
