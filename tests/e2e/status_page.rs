//! The status page (`GET /status` on the metrics listener) in a real headless Chromium (Debian's
//! `chromium`): it loads without a console message, a screenshot is taken, and the numbers the
//! browser shows equal the ones a Prometheus scrape of the same process gives.

use std::process::Command;
use std::time::Duration;

use crate::support::*;

/// Runs headless Chromium on `url` with `args` (`--dump-dom`, `--screenshot=...`): stdout, and
/// the console messages it logged.
fn chromium(url: &str, args: &[&str]) -> (String, Vec<String>) {
    let mut cmd = Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1200,1400",
    ])
    .args(args)
    .arg(url);
    let ran = run_with_timeout(cmd, "chromium --headless", Duration::from_secs(120));
    assert!(
        ran.status.success(),
        "chromium failed (the README's set-up installs it, apt: chromium): {}",
        ran.stderr
    );
    let console = ran
        .stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    (ran.stdout_str(), console)
}

/// The text of the cell with class `class` in the first element that carries `marker`.
fn cell(dom: &str, marker: &str, class: &str) -> String {
    let row = &dom[dom
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in the page:\n{dom}"))..];
    let row = &row[..row.find("</tr>").unwrap_or(row.len())];
    let open = format!("class=\"{class}\">");
    let at = row
        .find(&open)
        .unwrap_or_else(|| panic!("no {class} cell in {row}"))
        + open.len();
    row[at..at + row[at..].find('<').unwrap()].to_string()
}

/// strait copies a topic with a checkpointed group; once it is on the target, Chromium loads
/// the page: no console message, a non-empty screenshot, and for every partition the records
/// replicated and lagging equal the scrape's `mm2_source_record_count_total` and
/// `..._replication_lag_records`; the checkpoint row and the lag plot are there.
#[test]
fn status_page_in_chromium_shows_the_metrics_numbers() {
    let p = pair();
    let alias = unique("page");
    let topic = unique("pageorders");
    let group = unique("pagegroup");
    let remote = format!("{alias}.{topic}");
    p.primary.create_topic(&topic, 3, 1, &[]);
    p.primary.produce(&topic, 3, 25, "snappy", 8);
    p.primary.commit_offsets(&group, &topic, &[(0, 5)]);
    let port = free_port_base(1);
    let config = flow_config(
        &alias,
        &format!(
            "emit.heartbeats.enabled = false\n\
             topics = {topic}\n\
             groups = {group}\n\
             checkpoints.topic.replication.factor = 1\n\
             {alias}->secondary.emit.checkpoints.interval.seconds = 1\n\
             {alias}->secondary.refresh.groups.interval.seconds = 1\n"
        ),
    );
    let mut strait = Strait::start(&config, &["--metrics-listen", &format!("127.0.0.1:{port}")]);
    wait_until(
        Duration::from_secs(120),
        "the copy and a checkpoint",
        || {
            strait.assert_running();
            p.secondary.end_offsets(&remote).values().sum::<i64>() == 75
                && !p.secondary.translate_offsets(&alias, &group).is_empty()
        },
    );
    let url = format!("http://127.0.0.1:{port}/status");
    // The page and the scrape must describe the same settled state: wait until every partition's
    // count is final in the scrape.
    let scraped = |samples: &[Sample], name: &str, part: i32| -> Vec<f64> {
        let part = part.to_string();
        values(
            samples,
            name,
            &[("topic", remote.as_str()), ("partition", &part)],
        )
    };
    let mut samples = Vec::new();
    wait_until(Duration::from_secs(60), "final counts on /metrics", || {
        samples = parse(&scrape(port).unwrap_or_default());
        (0..3).all(|part| scraped(&samples, "mm2_source_record_count_total", part) == [25.0])
    });
    let shown = |dom: &str, marker: &str, class: &str| -> Vec<f64> {
        vec![cell(dom, marker, class).parse().unwrap()]
    };

    let (dom, console) = chromium(&url, &["--dump-dom"]);
    assert_eq!(console, Vec::<String>::new(), "console messages");
    for part in 0..3 {
        let marker = format!("data-topic=\"{remote}\" data-partition=\"{part}\"");
        assert_eq!(
            shown(&dom, &marker, "records"),
            scraped(&samples, "mm2_source_record_count_total", part),
            "records of partition {part}"
        );
        assert_eq!(
            shown(&dom, &marker, "lag-records"),
            scraped(
                &samples,
                "kafka_connect_mirror_source_connector_replication_lag_records",
                part
            ),
            "lag of partition {part}"
        );
    }
    // The flow's row adds up its partitions (its total may hold more than this topic: MM2's rules
    // replicate the source's `heartbeats` topic, which other tests may have created).
    let flow = format!("data-flow=\"{alias}-&gt;secondary\"");
    let total: u64 = cell(&dom, &flow, "records").parse().unwrap();
    assert!(total >= 75, "the flow's total {total}");
    assert!(
        dom.contains(&format!(
            "data-group=\"{group}\" data-topic=\"{remote}\" data-partition=\"0\""
        )),
        "the checkpoint row:\n{dom}"
    );
    assert!(dom.contains("id=\"lag-plot\""), "{dom}");

    let shot = run_dir().join(format!("{alias}-status.png"));
    let (_, console) = chromium(&url, &[&format!("--screenshot={}", shot.display())]);
    assert_eq!(console, Vec::<String>::new(), "console messages");
    let png = std::fs::read(&shot).expect("the screenshot was written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    eprintln!("e2e: status page screenshot {}", shot.display());
    stop_cleanly(&mut strait);
}
