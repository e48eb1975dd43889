//! `GET /status`: one HTML page an operator can open in a browser next to the metrics: each flow's
//! lag, heartbeat freshness and connector state, a plot of each flow's lag over the last
//! minutes, and per-partition and per-checkpoint tables. The numbers come from
//! [`Metrics::snapshot`], the same state a scrape reads. Static HTML and inline SVG, no script;
//! it reloads itself every 5 seconds.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use maud::{html, Markup, DOCTYPE};

use super::snapshot::{flow_name, flow_totals, Snapshot, HISTORY};

/// Plot size in CSS pixels.
const PLOT_W: f64 = 720.0;
const PLOT_H: f64 = 160.0;
/// Line colours, one per flow (cycled).
const COLOURS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
];

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#222}\
table{border-collapse:collapse;margin-bottom:1.5em}\
th,td{border:1px solid #ccc;padding:2px 8px;text-align:right}\
th:first-child,td:first-child{text-align:left}\
.bad{background:#fdd}.ok{background:#dfd}";

/// The page for `s`.
pub(super) fn render(s: &Snapshot) -> String {
    let at = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(s.at_ms.max(0) as u64));
    let flows = flow_totals(&s.partitions);
    let freshness: BTreeMap<String, i64> = s
        .heartbeats
        .iter()
        .map(|(l, age)| (flow_name(&l.source, &l.target), *age))
        .collect();
    let page: Markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="refresh" content="5";
                // No favicon request (a 404 would be a console error in a browser).
                link rel="icon" href="data:,";
                title { "strait status" }
                style { (STYLE) }
            }
            body {
                h1 { "strait status" }
                p { "As of " time id="at" datetime=(s.at_ms) { (at) } " (reloads every 5 s; the same numbers as " a href="/metrics" { "/metrics" } ")." }
                h2 { "Flows" }
                table id="flows" {
                    tr { th { "flow" } th { "partitions" } th { "records replicated" } th { "records lagging" } th { "max lag (ms)" } th { "heartbeat freshness (ms)" } }
                    @for (name, t) in &flows {
                        tr data-flow=(name) {
                            td { (name) }
                            td class="partitions" { (t.partitions) }
                            td class="records" { (t.records) }
                            td class="lag-records" { (t.lag_records) }
                            td class="lag-ms" { (t.max_lag_ms) }
                            td class="freshness" { @match freshness.get(name) { Some(age) => (age), None => "-" } }
                        }
                    }
                    @for (name, age) in freshness.iter().filter(|(n, _)| !flows.contains_key(*n)) {
                        tr data-flow=(name) {
                            td { (name) } td class="partitions" { "0" } td { "-" } td { "-" } td { "-" }
                            td class="freshness" { (age) }
                        }
                    }
                }
                h2 { "Lag over the last " (HISTORY.as_secs() / 60) " minutes" }
                (plot(s))
                @if !s.connectors.is_empty() {
                    h2 { "Connectors" }
                    table id="connectors" {
                        tr { th { "connector" } th { "state" } }
                        @for (name, state) in &s.connectors {
                            tr data-connector=(name) class=(if state == "running" { "ok" } else { "bad" }) {
                                td { (name) } td class="state" { (state) }
                            }
                        }
                    }
                }
                h2 { "Partitions" }
                table id="partitions" {
                    tr { th { "flow" } th { "topic (remote)" } th { "partition" } th { "records replicated" } th { "records lagging" } th { "lag (ms)" } }
                    @for row in &s.partitions {
                        tr data-topic=(row.labels.topic) data-partition=(row.labels.partition) {
                            td { (flow_name(&row.labels.source, &row.labels.target)) }
                            td { (row.labels.topic) }
                            td { (row.labels.partition) }
                            td class="records" { (row.records) }
                            @match row.lag {
                                Some((records, ms)) => { td class="lag-records" { (records) } td class="lag-ms" { (ms) } }
                                None => { td class="lag-records" { "-" } td class="lag-ms" { "-" } }
                            }
                        }
                    }
                }
                @if !s.checkpoints.is_empty() {
                    h2 { "Checkpoints" }
                    table id="checkpoints" {
                        tr { th { "flow" } th { "group" } th { "topic (downstream)" } th { "partition" } th { "checkpoint lag (ms)" } }
                        @for (c, lag) in &s.checkpoints {
                            tr data-group=(c.group) data-topic=(c.topic) data-partition=(c.partition) {
                                td { (flow_name(&c.source, &c.target)) }
                                td { (c.group) }
                                td { (c.topic) }
                                td { (c.partition) }
                                td class="checkpoint-lag" { (lag) }
                            }
                        }
                    }
                }
            }
        }
    };
    page.into_string()
}

/// An SVG line per flow: its largest partition lag (ms) over the history, the y axis from 0 to
/// the largest value seen, the x axis the last [`HISTORY`].
fn plot(s: &Snapshot) -> Markup {
    let mut series: BTreeMap<&str, Vec<(i64, i64)>> = BTreeMap::new();
    for sample in &s.history {
        for (flow, (ms, _)) in &sample.flows {
            series.entry(flow).or_default().push((sample.at_ms, *ms));
        }
    }
    let top = series
        .values()
        .flatten()
        .map(|(_, ms)| *ms)
        .max()
        .unwrap_or(0)
        .max(1000);
    let span = HISTORY.as_millis() as f64;
    let x = |at: i64| PLOT_W * (1.0 - ((s.at_ms - at) as f64 / span).clamp(0.0, 1.0));
    let y = |ms: i64| PLOT_H * (1.0 - ms as f64 / top as f64);
    html! {
        svg id="lag-plot" width=(PLOT_W) height=(PLOT_H + 20.0) viewBox=(format!("0 0 {} {}", PLOT_W, PLOT_H + 20.0)) role="img" {
            title { "largest partition lag per flow, ms" }
            rect x="0" y="0" width=(PLOT_W) height=(PLOT_H) fill="#fafafa" stroke="#ccc" {}
            text x="4" y="14" font-size="12" { (top) " ms" }
            text x="4" y=(PLOT_H + 16.0) font-size="12" { "-" (HISTORY.as_secs() / 60) " min" }
            text x=(PLOT_W - 30.0) y=(PLOT_H + 16.0) font-size="12" { "now" }
            @if series.is_empty() {
                text x=(PLOT_W / 2.0 - 60.0) y=(PLOT_H / 2.0) font-size="12" { "no samples yet" }
            }
            @for (n, (flow, points)) in series.iter().enumerate() {
                polyline data-flow=(flow) fill="none" stroke=(COLOURS[n % COLOURS.len()]) stroke-width="2"
                    points=(points.iter().map(|(at, ms)| format!("{:.1},{:.1}", x(*at), y(*ms))).collect::<Vec<_>>().join(" ")) {}
                text x=(PLOT_W - 200.0) y=(16.0 + 14.0 * n as f64) font-size="12" fill=(COLOURS[n % COLOURS.len()]) { (flow) }
            }
        }
    }
}
