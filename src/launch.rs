//! Starting replication for `strait run` and `strait connect`: the metrics listener bound before
//! anything connects (a taken address is a start-up error), a multi-threaded runtime, the signal
//! handling (first SIGTERM/SIGINT: finish in-flight data and save progress; second: exit at once),
//! and the exit code.

use std::net::SocketAddr;
use std::process::ExitCode;

use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::config::{FlowConfig, HeartbeatConfig};
use std::sync::Arc;

use tokio::sync::Mutex;

use crate::config::connect::ConnectConfig;
use crate::connect::control::Controller;
use crate::connect::status_writer::StatusPublisher;
use crate::replicate::status::StatusBoard;
use crate::replicate::supervisor::Supervisor;

/// An HTTP service to run beside replication (Connect mode's REST API): a listener bound at
/// start and the routes it serves.
pub struct Service {
    /// Bound with [`crate::serve::bind`], so a taken address already failed the start.
    pub listener: std::net::TcpListener,
    /// What it serves.
    pub routes: axum::Router,
    /// Its name in the log.
    pub what: &'static str,
}

impl Service {
    /// Binds `addr` for `routes` (`what` names it in the error: the flag or key that gave the
    /// address), before anything connects, so that a taken address is a start-up error.
    pub fn bind(
        addr: SocketAddr,
        routes: axum::Router,
        what: &'static str,
    ) -> Result<Service, String> {
        let listener = crate::serve::bind(addr)
            .map_err(|e| format!("cannot listen for the {what} on {addr}: {e}"))?;
        Ok(Service {
            listener,
            routes,
            what,
        })
    }
}

/// Runs `flows` and `heartbeats` until a signal; serves `/metrics` on `metrics_listen` when given
/// and each of `services`; each flow reports its state to `status`. Exit code 0 after a clean
/// shutdown, 2 when replication failed, 3 when it could not start.
pub fn replicate(
    flows: Vec<FlowConfig>,
    heartbeats: Vec<HeartbeatConfig>,
    metrics_listen: Option<SocketAddr>,
    services: Vec<Service>,
    status: StatusBoard,
    publisher: StatusPublisher,
) -> ExitCode {
    run(
        metrics_listen,
        services,
        move |shutdown, metrics| async move {
            // The connectors' status metrics (the status topic is Connect mode's).
            tokio::spawn(publisher.run(
                metrics.clone(),
                shutdown.clone(),
                CancellationToken::new(),
            ));
            match crate::replicate::run(flows, heartbeats, shutdown, metrics, status).await {
                Ok(()) => {
                    info!("shut down cleanly");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    error!(error = %e.chain(), "replication failed");
                    ExitCode::from(2)
                }
            }
        },
    )
}

/// `strait connect`: the REST API bound on the worker's `listeners` (a taken address is a start-up
/// error), then the connectors run under a supervisor until a signal, changed over REST.
pub fn connect(config: ConnectConfig, metrics_listen: Option<SocketAddr>) -> ExitCode {
    let status = StatusBoard::default();
    let control = Arc::new(Mutex::new(Controller::new(config.clone())));
    let (routes, publisher) = crate::connect::routes(&config, status.clone(), control.clone());
    let rest = match Service::bind(config.worker.rest_listen, routes, "REST API") {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "strait: {e} (`listeners` / `rest.port` in {})",
                config.worker_path.display()
            );
            return ExitCode::from(3);
        }
    };
    run(
        metrics_listen,
        vec![rest],
        move |shutdown, metrics| async move {
            let supervisor = Supervisor::new(shutdown.clone(), metrics.clone(), status);
            if let Err(e) = control.lock().await.attach(supervisor).await {
                error!(error = %e, "cannot start the connectors");
                return ExitCode::from(2);
            }
            let stopped = CancellationToken::new();
            let statuses =
                tokio::spawn(publisher.run(metrics.clone(), shutdown.clone(), stopped.clone()));
            shutdown.cancelled().await;
            control.lock().await.stop_all().await;
            stopped.cancel();
            let _ = statuses.await;
            info!("shut down cleanly");
            ExitCode::SUCCESS
        },
    )
}

/// The process around `body`: the metrics listener bound first, a multi-threaded runtime, the
/// signal handler (whose first signal cancels the token `body` gets), `services` served until
/// then, and `body`'s exit code.
pub fn run<F, Fut>(metrics_listen: Option<SocketAddr>, services: Vec<Service>, body: F) -> ExitCode
where
    F: FnOnce(CancellationToken, Option<crate::metrics::Metrics>) -> Fut,
    Fut: std::future::Future<Output = ExitCode>,
{
    // Bound before anything connects, so a taken or forbidden address is a start-up error.
    let metrics_listener = match metrics_listen.map(|a| (a, crate::serve::bind(a))) {
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
        for s in services {
            tokio::spawn(crate::serve::serve(
                s.listener,
                s.routes,
                s.what,
                shutdown.clone(),
            ));
        }
        let metrics = metrics_listener.map(|listener| {
            let metrics = crate::metrics::Metrics::new();
            tokio::spawn(metrics.clone().sample_history(shutdown.clone()));
            tokio::spawn(crate::serve::serve(
                listener,
                crate::metrics::routes::routes(metrics.clone()),
                "metrics",
                shutdown.clone(),
            ));
            metrics
        });
        body(shutdown, metrics).await
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
