//! One `source->target` flow: opens its progress store, starts `tasks.max` tasks, and runs topic
//! discovery at start and every `refresh.topics.interval.seconds`, pinning each newly found
//! partition to a task (existing partitions never move: no rebalances).

use super::status::{FlowState, StatusBoard};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::config_sync::ConfigSync;
use super::connections::FlowConnections;
use super::task::{Task, TaskShared};
use super::topics::{Discovered, TopicSync};
use super::RunError;
use crate::config::{FlowConfig, OffsetSyncsConfig};
use crate::fetch::FetchControl;
use crate::metrics::{FlowMetrics, Metrics};
use crate::offsets::checkpoints::CheckpointEmitter;
use crate::offsets::offset_syncs::{OffsetSyncLog, OffsetSyncSettings};
use crate::offsets::progress::{ProgressError, ProgressStore, SavedProgress};
use crate::plan::assignment::Assignment;
use crate::plan::Route;
use crate::produce::producer::RemoteTopicWatch;
use crate::protocol::admin::{list_offsets, OffsetSpec};
use crate::protocol::TopicPartition;
use crate::protocol::{Backoff, ClusterClient, ConnectionSettings};

/// How soon discovery runs again after a pass that could not prepare every topic.
const RETRY_DISCOVERY: Duration = Duration::from_secs(5);

/// Runs the flow until `shutdown`, then waits for its tasks to drain and saves progress.
pub(crate) async fn run_flow(
    cfg: FlowConfig,
    shutdown: CancellationToken,
    metrics: Option<Metrics>,
    status: StatusBoard,
) -> Result<(), RunError> {
    let name = cfg.label();
    status.set(&name, FlowState::Starting);
    // The flow's own: it also stops everything it started when it refuses to run.
    let shutdown = shutdown.child_token();

    let conns = FlowConnections::build(&cfg).map_err(|source| RunError::Connections {
        flow: name.clone(),
        source,
    })?;
    let Some((progress, saved)) = open_progress(&cfg, &conns, &shutdown, &status)
        .await
        .map_err(|source| RunError::Progress {
            flow: name.clone(),
            source,
        })?
    else {
        return Ok(());
    };
    for w in &cfg.warnings {
        warn!(flow = %name, "{w}");
    }
    let drained = CancellationToken::new();
    let flusher = tokio::spawn(progress.clone().run_flusher(drained.clone()));
    // Both come from `cfg.offset_syncs`: a connection exists exactly when syncs are emitted.
    let syncs = match (&cfg.offset_syncs, &conns.offset_syncs) {
        (Some(o), Some(client)) => Some(
            open_offset_syncs(&cfg, o, client.clone(), &shutdown, drained.clone(), &status).await,
        ),
        _ => None,
    };
    let sync_log = syncs.as_ref().map(|(log, _)| log.clone());
    let checkpoints = match (&cfg.checkpoints, &sync_log) {
        (Some(c), Some(log)) => Some(tokio::spawn(
            CheckpointEmitter {
                flow: name.clone(),
                source: cfg.source.clone(),
                target: cfg.target.clone(),
                settings: c.clone(),
                topics: cfg.topics.clone(),
                policy: cfg.policy.clone(),
                source_admin: ClusterClient::new(conns.source_admin.clone()),
                target_admin: ClusterClient::new(conns.target_admin.clone()),
                syncs: log.clone(),
                timeout: cfg.target_admin.request_timeout,
                metrics: metrics.clone(),
            }
            .run(shutdown.clone()),
        )),
        _ => None,
    };
    let flow_metrics = metrics.as_ref().map(|m| m.flow(&cfg.source, &cfg.target));
    // A task that finds a remote topic deleted asks for a discovery now, which creates it again.
    let watch = Arc::new(RemoteTopicWatch::default());
    let shared = TaskShared {
        progress: progress.clone(),
        sync_log: sync_log.clone(),
        metrics: flow_metrics.clone(),
        watch: watch.clone(),
    };
    let tasks: Vec<Task> = (0..cfg.tasks_max.max(1))
        .map(|i| Task::spawn(i, &cfg, &conns, shared.clone(), shutdown.clone()))
        .collect();

    let source_admin = ClusterClient::new(conns.source_admin.clone());
    let sync = TopicSync::new(
        source_admin.clone(),
        ClusterClient::new(conns.target_admin.clone()),
        cfg.target_admin.request_timeout,
        watch.clone(),
    );
    // Topic config sync runs beside discovery, over the topics discovery made ready.
    let (replicated, replicated_rx) = tokio::sync::watch::channel(BTreeMap::new());
    let config_sync = cfg.config_sync.clone().map(|settings| {
        tokio::spawn(
            ConfigSync::new(
                name.clone(),
                source_admin.clone(),
                ClusterClient::new(conns.target_admin.clone()),
                settings,
                cfg.config_properties_exclude.clone(),
            )
            .run(replicated_rx, shutdown.clone()),
        )
    });
    let acl_sync = cfg.acl_sync.map(|interval| {
        tokio::spawn(super::acl_sync::run(
            cfg.clone(),
            interval,
            source_admin.clone(),
            ClusterClient::new(conns.target_admin.clone()),
            shutdown.clone(),
        ))
    });
    let mut assignment = Assignment::new(cfg.tasks_max.max(1));
    let mut known: HashSet<Route> = HashSet::new();
    let mut gone: HashSet<Route> = HashSet::new();
    let mut same_cluster = None;
    let mut warned_one_cluster = false;
    loop {
        let mut again = cfg.refresh_topics;
        // A discovery pass can wait out a whole request timeout per cluster (unreachable
        // brokers, refused logins): shutdown must not queue behind it.
        let discovered = tokio::select! {
            found = sync.discover(&cfg) => found,
            _ = shutdown.cancelled() => break,
        };
        match discovered {
            Ok(Discovered {
                same_cluster: Some(refused),
                ..
            }) => {
                // Said once, by whoever runs the flow, as this RunError.
                same_cluster = Some(refused);
                shutdown.cancel();
                break;
            }
            Ok(found) => {
                if found.one_cluster && !warned_one_cluster {
                    warned_one_cluster = true;
                    warn!(flow = %name, "the source and the target are the same cluster; replicating inside it (the topic filter never selects the flow's own remote topics)");
                }
                if found.incomplete {
                    again = Some(RETRY_DISCOVERY);
                }
                let topics: BTreeMap<String, String> = found
                    .routes
                    .iter()
                    .map(|r| (r.source_topic.clone(), r.remote_topic.clone()))
                    .collect();
                replicated.send_if_modified(|old| {
                    let changed = *old != topics;
                    *old = topics;
                    changed
                });
                notice_deleted_topics(&found.listed, &known, &mut gone, &assignment, &tasks);
                let fresh: Vec<Route> = found
                    .routes
                    .into_iter()
                    .filter(|r| !known.contains(r))
                    .collect();
                if !fresh.is_empty() {
                    let assigned = tokio::select! {
                        done = assign(
                            &cfg,
                            &source_admin,
                            Resume { saved: &saved, progress: &progress, created: &found.created, metrics: flow_metrics.as_ref() },
                            fresh,
                            &mut assignment,
                            &mut known,
                            &tasks,
                        ) => done,
                        _ = shutdown.cancelled() => break,
                    };
                    if !assigned {
                        again = Some(RETRY_DISCOVERY);
                    }
                }
                status.set(&name, FlowState::Running);
            }
            Err(e) => {
                warn!(flow = %name, error = %e, "topic discovery failed; retrying");
                status.set(
                    &name,
                    FlowState::Failed {
                        trace: format!("topic discovery failed (retrying): {e}"),
                    },
                );
                again = Some(RETRY_DISCOVERY);
            }
        }
        let wait = async {
            match again {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = wait => {}
            _ = watch.rediscover_asked() => {}
            _ = shutdown.cancelled() => break,
        }
    }
    info!(flow = %name, "stopping: finishing in-flight data");
    for (what, job) in [
        ("topic config sync", config_sync),
        ("topic ACL sync", acl_sync),
    ] {
        if let Some(Err(e)) = match job {
            Some(j) => Some(j.await),
            None => None,
        } {
            error!(flow = %name, error = %e, "{what} ended abnormally");
        }
    }
    for t in tasks {
        t.join().await;
    }
    if let Some(c) = checkpoints {
        let _ = c.await;
    }
    drained.cancel();
    if let Some((_, writer)) = syncs {
        let _ = writer.await;
    }
    let _ = flusher.await;
    if let Some(refused) = same_cluster {
        return Err(RunError::SameCluster {
            flow: name,
            cluster_id: refused.cluster_id,
            topic: refused.topic,
            remote: refused.remote,
        });
    }
    info!(flow = %name, "stopped");
    status.set(&name, FlowState::Stopped);
    Ok(())
}

/// Starts the flow's offset-sync log: reads the syncs earlier runs wrote (one attempt: if the topic
/// cannot be used now, replication goes on, syncs are kept and written once it can, and offsets
/// older than this run translate by MM2's rule) and spawns its writer, which stops after `drained`.
async fn open_offset_syncs(
    cfg: &FlowConfig,
    o: &OffsetSyncsConfig,
    connection: ConnectionSettings,
    shutdown: &CancellationToken,
    drained: CancellationToken,
    status: &StatusBoard,
) -> (Arc<OffsetSyncLog>, tokio::task::JoinHandle<()>) {
    let log = OffsetSyncLog::new(o.lag_max);
    let client = ClusterClient::new(connection);
    let settings = OffsetSyncSettings {
        topic: o.topic.clone(),
        replication_factor: o.replication_factor,
        lag_max: o.lag_max,
        flush_interval: cfg.offset_storage.flush_interval,
        timeout: o.client.request_timeout,
    };
    // Opening can take a request timeout when the cluster is unreachable; a shutdown meanwhile
    // skips it (the writer still saves whatever syncs there are, once drained).
    let opened = tokio::select! {
        r = log.open(&client, &settings) => r,
        _ = shutdown.cancelled() => Ok(0),
    };
    if let Err(e) = opened {
        status.set(
            &cfg.label(),
            FlowState::Failed {
                trace: format!(
                    "cannot use the offset-syncs topic {} on cluster {} (replication goes on; syncs are written once it works): {e}",
                    o.topic, o.cluster
                ),
            },
        );
        error!(flow = %cfg.label(), cluster = %o.cluster, error = %e, "cannot use the offset-syncs topic now; syncs are kept and written once it works (check `offset-syncs.topic.replication.factor`)");
    }
    let writer = tokio::spawn(log.clone().run_writer(client, settings, drained));
    (log, writer)
}

/// Opens the progress store, retrying while the target is unreachable. `Ok(None)` when shutdown
/// came first; an error when the offsets topic cannot be created at all (a config problem).
async fn open_progress(
    cfg: &FlowConfig,
    conns: &FlowConnections,
    shutdown: &CancellationToken,
    status: &StatusBoard,
) -> Result<Option<(Arc<ProgressStore>, SavedProgress)>, ProgressError> {
    let client = ClusterClient::new(conns.target_producer.clone());
    let mut backoff = Backoff::new(cfg.target_producer.retry_backoff, Duration::from_secs(10));
    loop {
        match ProgressStore::open(
            client.clone(),
            cfg.offset_storage.clone(),
            &cfg.source,
            cfg.target_producer.request_timeout,
        )
        .await
        {
            Ok(opened) => return Ok(Some(opened)),
            Err(e @ ProgressError::Topic { .. }) => return Err(e),
            Err(e) => {
                let delay = backoff.next();
                warn!(cluster = %cfg.target, error = %e, retry_in = ?delay, "cannot read replication progress from the target yet");
                status.set(
                    &cfg.label(),
                    FlowState::Failed {
                        trace: format!(
                            "cannot read replication progress from target cluster {} (retrying): {e}",
                            cfg.target
                        ),
                    },
                );
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = shutdown.cancelled() => return Ok(None),
                }
            }
        }
    }
}

/// Tells each task which of its partitions' source topics the source no longer lists (deleted:
/// the fetcher stops, keeping its position, and the metric series go) and which are listed again
/// (fetched on from where they stood, as before the deletion).
fn notice_deleted_topics(
    listed: &HashSet<String>,
    known: &HashSet<Route>,
    gone: &mut HashSet<Route>,
    assignment: &Assignment,
    tasks: &[Task],
) {
    let send = |route: &Route, cmd: FetchControl| {
        if let Some(t) = assignment
            .owner_of(&route.source())
            .and_then(|i| tasks.get(i))
        {
            let _ = t.control.send(cmd);
        }
    };
    let mut deleted: Vec<&Route> = known
        .iter()
        .filter(|r| !listed.contains(&r.source_topic) && !gone.contains(*r))
        .collect();
    deleted.sort();
    for route in deleted {
        send(route, FetchControl::Gone(Arc::new(route.clone())));
        gone.insert(route.clone());
    }
    let back: Vec<Route> = gone
        .iter()
        .filter(|r| listed.contains(&r.source_topic))
        .cloned()
        .collect();
    for route in back {
        send(&route, FetchControl::Back(Arc::new(route.clone())));
        gone.remove(&route);
    }
}

/// What decides where a new partition starts.
struct Resume<'a> {
    /// Progress saved by earlier runs.
    saved: &'a SavedProgress,
    /// Where progress is recorded (a partition whose remote topic was lost starts again, saved).
    progress: &'a ProgressStore,
    /// Remote topics the discovery pass just created.
    created: &'a HashSet<String>,
    metrics: Option<&'a FlowMetrics>,
}

/// Finds where each new partition starts (saved progress, else `auto.offset.reset`) and pins it to
/// a task. A partition with saved progress whose remote topic had to be created was deleted on the
/// target while strait was not running: it starts again at the source's earliest offset, said and
/// counted. Returns false when some partition could not be started yet (retried next pass).
async fn assign(
    cfg: &FlowConfig,
    source: &ClusterClient,
    resume: Resume<'_>,
    fresh: Vec<Route>,
    assignment: &mut Assignment,
    known: &mut HashSet<Route>,
    tasks: &[Task],
) -> bool {
    let lost_remote = |r: &Route| resume.created.contains(&r.remote_topic);
    let saved: HashMap<TopicPartition, i64> = (fresh.iter())
        .filter(|r| !lost_remote(r))
        .filter_map(|r| Some((r.source(), *resume.saved.get(&r.source())?)))
        .collect();
    let recopy: Vec<TopicPartition> = (fresh.iter())
        .filter(|r| lost_remote(r) && resume.saved.contains_key(&r.source()))
        .map(Route::source)
        .collect();
    let unsaved: Vec<TopicPartition> = (fresh.iter())
        .map(Route::source)
        .filter(|k| !saved.contains_key(k) && !recopy.contains(k))
        .collect();
    let mut listed = if unsaved.is_empty() {
        Default::default()
    } else {
        list_offsets(source, &unsaved, cfg.fetch.start_at.offset_spec()).await
    };
    if !recopy.is_empty() {
        listed.extend(list_offsets(source, &recopy, OffsetSpec::Earliest).await);
    }
    let mut complete = true;
    let mut startable: Vec<(Route, i64)> = Vec::new();
    for route in fresh {
        let key = route.source();
        if let (true, Some(Ok(start))) = (recopy.contains(&key), listed.get(&key)) {
            error!(partition = %route, remote = %route.remote_topic, saved = resume.saved.get(&key).copied().unwrap_or_default(), from = *start, "the remote topic was deleted on the target while strait was not running (it had to be created again): the records copied there are gone; copying the partition again from the source's earliest offset");
            resume.progress.record(&route, *start);
            if let Some(m) = resume.metrics {
                m.source_reset("target_deleted", 0);
            }
        }
        let start = match saved.get(&key) {
            Some(o) => Some(*o),
            None => match listed.get(&key) {
                Some(Ok(o)) => Some(*o),
                Some(Err(e)) => {
                    warn!(partition = %route, error = %e, "cannot find the start offset yet");
                    None
                }
                None => None,
            },
        };
        match start {
            Some(o) => startable.push((route, o)),
            None => complete = false,
        }
    }
    let routes: BTreeMap<TopicPartition, (Route, i64)> = startable
        .into_iter()
        .map(|(r, o)| (r.source(), (r, o)))
        .collect();
    let placements = assignment.add(routes.keys().cloned());
    let mut per_task: BTreeMap<usize, Vec<(Arc<Route>, i64)>> = BTreeMap::new();
    for (task, tp) in placements {
        if let Some((route, offset)) = routes.get(&tp) {
            known.insert(route.clone());
            per_task
                .entry(task)
                .or_default()
                .push((Arc::new(route.clone()), *offset));
        }
    }
    for (task, parts) in per_task {
        if let Some(t) = tasks.get(task) {
            let _ = t.control.send(FetchControl::Add(parts));
        }
    }
    complete
}
