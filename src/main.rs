//! `strait`: command-line entry point. `strait run --config mm2.properties [--clusters ALIAS...]`
//! replicates every enabled flow of an MM2 dedicated-mode config, like
//! `connect-mirror-maker.sh mm2.properties [--clusters ...]`.
//!
//! Exit codes follow MM2's: 0 after a clean shutdown, 3 when start-up fails (bad config), 2 when
//! replication fails later; usage errors exit 2 (clap).

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use strait::config::Mm2Config;

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
    },
    /// Load and validate an mm2.properties file, print the resolved flows and what strait does with
    /// each key, and exit.
    Check {
        /// The MM2 dedicated-mode properties file.
        #[arg(long)]
        config: PathBuf,
        /// Target cluster aliases, as for `run`.
        #[arg(long, num_args = 1..)]
        clusters: Vec<String>,
    },
    /// Print the reference of every key strait knows (Markdown, as in docs/configuration.md):
    /// where it may appear, its type and default, and what it does or why it has no effect.
    Keys,
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
    let (config, clusters, run, metrics_listen) = match cli.command {
        Command::Run {
            config,
            clusters,
            metrics_listen,
        } => (config, clusters, true, metrics_listen),
        Command::Check { config, clusters } => (config, clusters, false, None),
        Command::Keys => {
            println!("{}", strait::config::key_reference());
            return ExitCode::SUCCESS;
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
    // Bound before anything connects, so a taken or forbidden address is a start-up error.
    let metrics_listener = match metrics_listen.map(|a| (a, strait::metrics::http::bind(a))) {
        None => None,
        Some((_, Ok(l))) => Some(l),
        Some((addr, Err(e))) => {
            eprintln!("strait: cannot listen for metrics on {addr} (--metrics-listen): {e}");
            return ExitCode::from(3);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("strait: cannot start the runtime: {e}");
            return ExitCode::from(3);
        }
    };
    runtime.block_on(async move {
        let shutdown = CancellationToken::new();
        tokio::spawn(watch_signals(shutdown.clone()));
        let metrics = metrics_listener.map(|listener| {
            let metrics = strait::metrics::Metrics::new();
            tokio::spawn(strait::metrics::http::serve(
                listener,
                metrics.clone(),
                shutdown.clone(),
            ));
            metrics
        });
        match strait::replicate::run(flows, heartbeats, shutdown, metrics).await {
            Ok(()) => {
                info!("shut down cleanly");
                ExitCode::SUCCESS
            }
            Err(e) => {
                error!(error = %e.chain(), "replication failed");
                ExitCode::from(2)
            }
        }
    })
}

/// First SIGTERM/SIGINT: graceful shutdown (finish in-flight produces, save progress). Second:
/// exit at once.
async fn watch_signals(shutdown: CancellationToken) {
    let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    else {
        warn!("cannot install a SIGTERM handler");
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    info!("shutdown requested: finishing in-flight data and saving progress");
    shutdown.cancel();
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    warn!("second signal: exiting now");
    std::process::exit(130);
}
