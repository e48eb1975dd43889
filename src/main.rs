//! `strait`: command-line entry point. `strait run --config mm2.properties [--clusters ALIAS...]`
//! replicates every enabled flow of an MM2 dedicated-mode config, like
//! `connect-mirror-maker.sh mm2.properties [--clusters ...]`.
//!
//! Exit codes follow MM2's: 0 after a clean shutdown, 3 when start-up fails (bad config), 2 when
//! replication fails later; usage errors exit 2 (clap).

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tracing::{info, warn};

use strait::config::Mm2Config;
use strait::operate::failback::FailbackOptions;
use strait::operate::failover::FailoverOptions;
use strait::operate::status::Thresholds;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Command line.
#[derive(Parser)]
#[command(
    name = "strait",
    version,
    about = "Zero-copy Kafka replicator, a drop-in for MirrorMaker 2"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Replicate every enabled flow of an mm2.properties file until SIGTERM/SIGINT.
    Run {
        /// The MM2 dedicated-mode properties file.
        #[arg(long)]
        config: PathBuf,
        /// Target cluster aliases this node serves (MM2's --clusters); default: all.
        #[arg(long, num_args = 1..)]
        clusters: Vec<String>,
        /// Serve Prometheus metrics on `GET /metrics` at this address (e.g. 127.0.0.1:9464);
        /// off when not given. Kept out of mm2.properties so the file stays MM2's.
        #[arg(long, value_name = "ADDR:PORT")]
        metrics_listen: Option<SocketAddr>,
        /// Serve Kafka Connect's REST status endpoints (`GET /connectors/.../status`, read-only)
        /// for the flows at this address, so the runbook's curl checks work in dedicated mode.
        #[arg(long, value_name = "ADDR:PORT")]
        rest_listen: Option<SocketAddr>,
    },
    /// Load and validate an mm2.properties file, print the resolved flows and what strait does with
    /// each key, and exit. In Connect mode: a worker file as --config and connector files after
    /// it, or a connector file alone as --config.
    Check {
        /// The MM2 dedicated-mode properties file, or a Connect worker or connector file.
        #[arg(long)]
        config: PathBuf,
        /// Target cluster aliases, as for `run`.
        #[arg(long, num_args = 1..)]
        clusters: Vec<String>,
        /// Connect mode: connector configs (.properties or JSON) run by the worker file.
        connectors: Vec<PathBuf>,
    },
    /// Run MirrorMaker's connectors as Kafka Connect does: a worker file
    /// (connect-distributed.properties) and connector configs, as .properties or as the JSON a
    /// `POST /connectors` sends. Each connector runs its part: source = data and offset-syncs,
    /// checkpoint = checkpoints and group offset sync, heartbeat = heartbeats.
    Connect {
        /// The Connect worker file.
        #[arg(long)]
        config: PathBuf,
        /// Connector configs (MirrorSourceConnector, MirrorCheckpointConnector,
        /// MirrorHeartbeatConnector). A distributed worker (`config.storage.topic` set) also
        /// runs the connectors of its config topic, and takes new ones over REST.
        connectors: Vec<PathBuf>,
        /// Serve Prometheus metrics on `GET /metrics` at this address.
        #[arg(long, value_name = "ADDR:PORT")]
        metrics_listen: Option<SocketAddr>,
    },
    /// The daily check: per flow, lag per partition (records and age of the oldest unreplicated
    /// record), heartbeat freshness, checkpoint age and group sync, read from the clusters
    /// themselves. Exit code 0 healthy, 1 warning, 2 critical (3 for a bad config).
    Status {
        /// The MM2 dedicated-mode properties file.
        #[arg(long)]
        config: PathBuf,
        /// Only this flow (`source->target`); default: every enabled flow.
        #[arg(long)]
        flow: Option<String>,
        /// Print JSON instead of the table.
        #[arg(long)]
        json: bool,
        /// Replication lag (age of the oldest record not yet on the target) that is a warning, in
        /// seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = Thresholds::default().lag_warn.as_secs())]
        lag_warn: u64,
        /// Replication lag that is critical, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = Thresholds::default().lag_crit.as_secs())]
        lag_crit: u64,
        /// Age of the newest heartbeat on the target that is a warning, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = Thresholds::default().heartbeat_warn.as_secs())]
        heartbeat_warn: u64,
        /// Age of the newest heartbeat that is critical, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = Thresholds::default().heartbeat_crit.as_secs())]
        heartbeat_crit: u64,
    },
    /// Move consumer groups to the target of a flow. `--planned`: check that the source's
    /// producers stopped, wait until the target holds everything, commit each group at its exactly
    /// translated offsets. `--unplanned` (the source is gone): commit each group from the newest
    /// checkpoints on the target. Never backwards; groups active on the target are refused unless
    /// --force.
    #[command(group(clap::ArgGroup::new("mode").required(true).args(["planned", "unplanned"])))]
    Failover {
        /// A scheduled switch with the source still up.
        #[arg(long)]
        planned: bool,
        /// The source is unreachable: use the checkpoints on the target.
        #[arg(long)]
        unplanned: bool,
        /// --planned: how long the source's end offsets must stay still, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 10)]
        settle: u64,
        /// --planned: how long to wait for the target to hold every record, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 600)]
        timeout: u64,
        /// The MM2 dedicated-mode properties file.
        #[arg(long)]
        config: PathBuf,
        /// The flow (`source->target`); required when the file enables several.
        #[arg(long)]
        flow: Option<String>,
        /// Groups to move (a full-match regex); default: the flow's `groups` selection.
        #[arg(long, value_name = "REGEX")]
        groups: Option<String>,
        /// Source topics whose partitions move (a full-match regex); default: the flow's topics.
        #[arg(long, value_name = "REGEX")]
        topics: Option<String>,
        /// Print what would be committed and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Also commit groups that have active members on the target.
        #[arg(long)]
        force: bool,
        /// Print JSON instead of the table.
        #[arg(long)]
        json: bool,
        /// Write the failover record (JSON: what moved, from what, to what, when) to this file.
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
    },
    /// After the old primary returns: report, per partition of the failed-over flow, the records
    /// it holds that never reached the target (the lost tail), export them with --export, and
    /// check the way home (reverse flow, forward flow stopped, replication policy). Changes
    /// nothing on either cluster, except with --rebuild.
    Failback {
        /// The MM2 dedicated-mode properties file.
        #[arg(long)]
        config: PathBuf,
        /// The flow that was failed over (`primary->secondary`), enabled in the file or not.
        #[arg(long)]
        flow: Option<String>,
        /// The record `strait failover --record` wrote (names the flow and the failover's time).
        #[arg(long, value_name = "FILE")]
        failover_record: Option<PathBuf>,
        /// Source topics to report (a full-match regex); default: the flow's topics.
        #[arg(long, value_name = "REGEX")]
        topics: Option<String>,
        /// Write the lost tail to DIR as JSON lines, one file per topic.
        #[arg(long, value_name = "DIR")]
        export: Option<PathBuf>,
        /// IdentityReplicationPolicy only: after the export, delete each selected topic on the old
        /// primary and create it again empty, for the reverse flow to fill from the secondary.
        #[arg(long, requires = "export")]
        rebuild: bool,
        /// Report only: write no file, change no topic.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Print the reference of every key strait knows (Markdown, as in docs/configuration.md):
    /// where it may appear, its type and default, and what it does or why it has no effect.
    Keys,
}

/// What the operator's commands start with: the loaded config and a single-threaded runtime, or
/// exit code 3 after saying why.
fn command_setup(config: &Path) -> Result<(Mm2Config, tokio::runtime::Runtime), ExitCode> {
    let mm2 = Mm2Config::load(config).map_err(|e| {
        eprintln!("strait: invalid configuration: {e}");
        ExitCode::from(3)
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("strait: cannot start the runtime: {e}");
            ExitCode::from(3)
        })?;
    Ok((mm2, runtime))
}

/// Prints an operator command's report (`(json, table, exit code)`) as JSON or as the table and
/// exits with its code; an error is printed and exits 3.
fn print_report(result: Result<(String, String, u8), String>, json: bool) -> ExitCode {
    match result {
        Ok((as_json, table, code)) => {
            if json {
                println!("{as_json}");
            } else {
                print!("{table}");
            }
            ExitCode::from(code)
        }
        Err(e) => {
            eprintln!("strait: {e}");
            ExitCode::from(3)
        }
    }
}

/// `strait connect` (`run`) and `strait check` in Connect mode: loads the worker file and the
/// connector files (or `config` as a connector checked alone; a distributed worker file alone
/// takes its connectors from its config topic and REST), says what runs and
/// what to look out for, then replicates or exits.
fn connect(
    config: &Path,
    connectors: &[PathBuf],
    metrics_listen: Option<SocketAddr>,
    run: bool,
) -> ExitCode {
    let alone = connectors.is_empty() && strait::config::connect::is_connector_file(config);
    let loaded = if alone {
        strait::config::connect::load(None, &[config.to_path_buf()])
    } else {
        strait::config::connect::load(Some(config), connectors)
    };
    let c = match loaded {
        Ok(c) => c,
        Err(e) => {
            eprintln!("strait: invalid configuration: {e}");
            return ExitCode::from(3);
        }
    };
    for w in &c.warnings {
        warn!("{w}");
    }
    for k in &c.connectors {
        info!(connector = %k.name, class = k.class.class_name(), flow = %format!("{}->{}", k.source, k.target), file = %k.file.display(), "connector");
    }
    if run {
        return strait::launch::connect(c, metrics_listen);
    }
    println!(
        "{}: Connect mode, {} connector(s): {} flow(s) replicating, {} heartbeat emitter(s)",
        c.worker_path.display(),
        c.connectors.len(),
        c.flows().len(),
        c.heartbeats().len()
    );
    for k in &c.connectors {
        println!(
            "  connector {} ({}): {}->{}",
            k.name,
            k.class.class_name(),
            k.source,
            k.target
        );
    }
    for w in &c.warnings {
        println!("  WARNING: {w}");
    }
    println!("keys:");
    for line in c.key_report() {
        println!("  {line}");
    }
    ExitCode::SUCCESS
}

/// `strait status`: loads the config, reads the clusters, prints the report, exits with its level.
fn status(config: &Path, flow: Option<&str>, json: bool, thresholds: &Thresholds) -> ExitCode {
    let (mm2, runtime) = match command_setup(config) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let run = strait::operate::status::status(&mm2, flow, thresholds);
    print_report(
        runtime
            .block_on(run)
            .map(|r| (r.json(), r.table(), r.exit_code())),
        json,
    )
}

/// The planned failover's wait for the target, on stderr: a bar redrawn in place on a terminal,
/// one line per update otherwise (a log or a pipe gets no carriage returns).
fn catch_up_progress() -> impl FnMut(i64) {
    const WIDTH: i64 = 30;
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut first: Option<i64> = None;
    move |left: i64| {
        let total = *first.get_or_insert(left.max(1));
        if tty {
            let filled =
                usize::try_from((total - left).clamp(0, total) * WIDTH / total).unwrap_or(0);
            let empty = usize::try_from(WIDTH).unwrap_or(0).saturating_sub(filled);
            eprint!(
                "\rstrait: target catching up [{}{}] {left} records left   ",
                "#".repeat(filled),
                " ".repeat(empty)
            );
            if left == 0 {
                eprintln!();
            }
        } else if left > 0 {
            eprintln!("strait: waiting for the target to hold every record: {left} left");
        }
    }
}

/// `strait failover --planned|--unplanned`: loads the config, moves the groups, prints the report, writes
/// the record; exit 0 when every group moved, 1 when one was refused or failed, 3 on bad input.
fn failover(
    config: &Path,
    opts: &FailoverOptions,
    planned: Option<(Duration, Duration)>,
    json: bool,
    record: Option<&Path>,
) -> ExitCode {
    let (mm2, runtime) = match command_setup(config) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let progress = catch_up_progress();
    let run = async {
        match planned {
            Some((settle, catch_up)) => {
                strait::operate::failover::planned(&mm2, opts, settle, catch_up, progress).await
            }
            None => strait::operate::failover::unplanned(&mm2, opts).await,
        }
    };
    match runtime.block_on(run) {
        Ok(report) => {
            // A dry run changes nothing, not even the record file.
            if let (Some(path), false) = (record, opts.dry_run) {
                if let Err(e) = std::fs::write(path, report.record()) {
                    eprintln!(
                        "strait: cannot write the failover record {}: {e}",
                        path.display()
                    );
                    return ExitCode::from(3);
                }
            }
            if json {
                println!("{}", report.json());
            } else {
                print!("{}", report.table());
            }
            ExitCode::from(report.exit_code())
        }
        Err(e) => {
            eprintln!("strait: {e}");
            ExitCode::from(3)
        }
    }
}

/// `strait failback`: loads the config, reports the divergence (writing the export), prints the
/// report; exit 0 when nothing was lost, 1 when a tail was lost or a warning given, 2 when a
/// partition cannot be known exactly, 3 on bad input.
fn failback(config: &Path, opts: &FailbackOptions, json: bool) -> ExitCode {
    let (mm2, runtime) = match command_setup(config) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let run = strait::operate::failback::failback(&mm2, opts);
    print_report(
        runtime
            .block_on(run)
            .map(|r| (r.json(), r.table(), r.exit_code())),
        json,
    )
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let (config, clusters, run, metrics_listen, rest_listen) = match cli.command {
        Command::Run {
            config,
            clusters,
            metrics_listen,
            rest_listen,
        } => (config, clusters, true, metrics_listen, rest_listen),
        Command::Check {
            config,
            clusters,
            connectors,
        } => {
            if !connectors.is_empty() || strait::config::connect::is_connector_file(&config) {
                return connect(&config, &connectors, None, false);
            }
            (config, clusters, false, None, None)
        }
        Command::Connect {
            config,
            connectors,
            metrics_listen,
        } => return connect(&config, &connectors, metrics_listen, true),
        Command::Keys => {
            println!("{}", strait::config::key_reference());
            return ExitCode::SUCCESS;
        }
        Command::Status {
            config,
            flow,
            json,
            lag_warn,
            lag_crit,
            heartbeat_warn,
            heartbeat_crit,
        } => {
            let thresholds = Thresholds {
                lag_warn: Duration::from_secs(lag_warn),
                lag_crit: Duration::from_secs(lag_crit),
                heartbeat_warn: Duration::from_secs(heartbeat_warn),
                heartbeat_crit: Duration::from_secs(heartbeat_crit),
            };
            return status(&config, flow.as_deref(), json, &thresholds);
        }
        Command::Failback {
            config,
            flow,
            failover_record,
            topics,
            export,
            rebuild,
            dry_run,
            json,
        } => {
            let opts = FailbackOptions {
                flow,
                failover_record,
                topics,
                export,
                dry_run,
                rebuild,
            };
            return failback(&config, &opts, json);
        }
        Command::Failover {
            planned,
            unplanned: _,
            settle,
            timeout,
            config,
            flow,
            groups,
            topics,
            dry_run,
            force,
            json,
            record,
        } => {
            let opts = FailoverOptions {
                flow,
                groups,
                topics,
                dry_run,
                force,
            };
            let planned =
                planned.then(|| (Duration::from_secs(settle), Duration::from_secs(timeout)));
            return failover(&config, &opts, planned, json, record.as_deref());
        }
    };
    let loaded = Mm2Config::load(&config).and_then(|c| {
        let flows = c.flows_for(&clusters)?;
        let heartbeats = c.heartbeats_for(&clusters);
        Ok((c, flows, heartbeats))
    });
    let (mm2, flows, heartbeats) = match loaded {
        Ok(x) => x,
        Err(e) => {
            eprintln!("strait: invalid configuration: {e}");
            return ExitCode::from(3);
        }
    };
    if let Some(summary) = mm2.ignored_summary() {
        warn!("{summary}");
    }
    for f in &flows {
        info!(
            flow = %f.label(),
            source = %f.source_consumer.bootstrap.join(","),
            target = %f.target_producer.bootstrap.join(","),
            tasks = f.tasks_max,
            "flow enabled"
        );
    }
    for h in &heartbeats {
        info!(
            herder = %h.label(),
            target = %h.target_producer.bootstrap.join(","),
            interval_s = h.interval.as_secs(),
            "heartbeats enabled"
        );
    }
    if !run {
        println!(
            "{}: {} flow(s) enabled, {} heartbeat emitter(s)",
            config.display(),
            flows.len(),
            heartbeats.len()
        );
        println!("keys:");
        for line in mm2.key_report() {
            println!("  {line}");
        }
        return ExitCode::SUCCESS;
    }
    let status = strait::replicate::status::StatusBoard::default();
    let mut services = Vec::new();
    let worker_id = rest_listen.map_or_else(|| "localhost".to_string(), |a| a.to_string());
    let (routes, publisher) =
        strait::connect::dedicated_routes(&flows, &heartbeats, worker_id, status.clone());
    if let Some(addr) = rest_listen {
        match strait::launch::Service::bind(addr, routes, "REST API") {
            Ok(s) => services.push(s),
            Err(e) => {
                eprintln!("strait: {e} (--rest-listen)");
                return ExitCode::from(3);
            }
        }
    }
    strait::launch::replicate(
        flows,
        heartbeats,
        metrics_listen,
        services,
        status,
        publisher,
    )
}
