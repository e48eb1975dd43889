//! A remote topic deleted on the target (by an operator, a script, a retention tool): the records
//! strait copied there are gone, and writing on at the current position would leave the new
//! remote topic without them, silently. The producer notices it in the target metadata (the topic
//! is absent, or has another topic id), stops sending to it, waits until topic discovery has
//! created it again, drops what it still held for it and has the fetcher copy its partitions again
//! from the source's earliest offset: the remote topic ends up with everything the source holds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;
use tracing::{debug, error, info};
use uuid::Uuid;

use super::TaskProducer;
use crate::fetch::FetchControl;
use crate::plan::Route;
use crate::produce::target::{ProduceTarget, RemoteTopic};

/// How often the target metadata is read again while a remote topic is missing.
const LOOK_AGAIN: Duration = Duration::from_secs(1);

/// How long a remote topic must stay missing before it counts as deleted: a broker whose metadata
/// lags (a topic created a moment ago on a three-node cluster) says it does not exist too.
const ABSENT_FOR: Duration = Duration::from_secs(2);

/// What topic discovery and the flow's producers tell each other about remote topics: a producer
/// that finds one deleted asks for a discovery now (which creates it again), and discovery counts
/// every creation before it asks for it, so that each producer reads the target metadata again
/// before its next write: a remote topic deleted and already created again is then noticed by its
/// new id before a record lands in it at the old position.
#[derive(Debug, Default)]
pub(crate) struct RemoteTopicWatch {
    rediscover: Notify,
    creations: AtomicU64,
}

impl RemoteTopicWatch {
    /// Discovery is about to create remote topics.
    pub(crate) fn creating(&self) {
        self.creations.fetch_add(1, Ordering::AcqRel);
    }

    /// Resolves when a producer asked for a discovery (at once if one asked since the last time).
    pub(crate) async fn rediscover_asked(&self) {
        self.rediscover.notified().await;
    }

    fn ask_rediscover(&self) {
        self.rediscover.notify_one();
    }

    fn creations(&self) -> u64 {
        self.creations.load(Ordering::Acquire)
    }
}

/// Where the copy of one deleted remote topic stands in this task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Recopy {
    /// The target said the topic does not exist, which a broker whose metadata lags behind says of
    /// a topic just created too: nothing is sent to it (what is fetched is kept) while this is
    /// checked again at `look_at`; still missing [`ABSENT_FOR`] after `since`, it was deleted.
    Suspect {
        old: Uuid,
        since: Instant,
        look_at: Instant,
    },
    /// Deleted. Nothing is sent to it; waiting for it to exist again (its new id known) and for what was in
    /// flight to answer. The metadata is read again at `look_at`.
    Waiting { look_at: Instant },
    /// The fetcher was told to start again; chunks still fetched from the old positions are
    /// dropped until its barrier round comes.
    Restarting,
}

impl<C: ProduceTarget> TaskProducer<C> {
    /// Compares what the target metadata (just refreshed) says of `topics` with the topic ids this
    /// producer has seen them under, and starts copying again any that was deleted.
    pub(super) fn look_at_remote_topics(&mut self, topics: &[String]) {
        let now = Instant::now();
        for topic in topics {
            let seen = self.remote_ids.get(topic).copied();
            let state = self.recopy.get(topic).copied();
            match (seen, self.client.remote_topic(topic)) {
                // A lagging broker still showing a topic already known deleted.
                (_, RemoteTopic::Id(id)) if self.retired_ids.contains(&id) => {}
                (None, RemoteTopic::Id(id)) => {
                    self.remote_ids.insert(topic.clone(), id);
                }
                (Some(old), RemoteTopic::Id(new)) if old != new => {
                    self.retired_ids.insert(old);
                    self.remote_ids.insert(topic.clone(), new);
                    self.deleted(
                        topic,
                        &format!("it has a new topic id ({old} before, {new} now)"),
                    );
                }
                (Some(_), RemoteTopic::Id(_)) => {
                    if matches!(state, Some(Recopy::Suspect { .. })) {
                        debug!(task = self.task, remote = %topic, "the remote topic is there after all (a broker's metadata lagged); writing on");
                        self.recopy.remove(topic);
                    }
                }
                (Some(old), RemoteTopic::Absent) => match state {
                    None => {
                        debug!(task = self.task, remote = %topic, "the target says the remote topic does not exist; holding its writes while checking again");
                        let look_at = now + LOOK_AGAIN;
                        self.recopy.insert(
                            topic.clone(),
                            Recopy::Suspect {
                                old,
                                since: now,
                                look_at,
                            },
                        );
                    }
                    Some(Recopy::Suspect { since, .. }) if now >= since + ABSENT_FOR => {
                        self.retired_ids.insert(old);
                        self.remote_ids.remove(topic);
                        self.deleted(topic, &format!("it no longer exists (topic id {old})"));
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }

    /// Before writing: reads the target metadata of every topic written to again if discovery
    /// created remote topics since the last look (one may be a deleted one, created again), and
    /// notes the id of every remote topic about to be written for the first time, so that its
    /// deletion is recognised later.
    pub(super) async fn learn_remote_ids(&mut self) {
        let creations = self.watch.creations();
        if creations != self.creations_seen {
            self.creations_seen = creations;
            let mut topics: Vec<String> = self.queues.keys().map(|k| k.topic.clone()).collect();
            topics.dedup();
            if !topics.is_empty() {
                match self.client.refresh_metadata(&topics).await {
                    Ok(()) => self.look_at_remote_topics(&topics),
                    // Looked at again at the next creation or error.
                    Err(e) => {
                        tracing::warn!(task = self.task, error = %e, "target metadata refresh failed")
                    }
                }
            }
        }
        let unknown: Vec<String> = (self.queues.keys())
            .filter(|k| {
                !self.remote_ids.contains_key(&k.topic) && !self.recopy.contains_key(&k.topic)
            })
            .map(|k| k.topic.clone())
            .collect();
        for topic in unknown {
            if let RemoteTopic::Id(id) = self.client.remote_topic(&topic) {
                self.remote_ids.insert(topic, id);
            }
        }
    }

    fn deleted(&mut self, topic: &str, how: &str) {
        if matches!(
            self.recopy.get(topic),
            Some(Recopy::Waiting { .. } | Recopy::Restarting)
        ) {
            return;
        }
        error!(task = self.task, cluster = self.client.cluster_name(), remote = %topic, "the remote topic was deleted on the target ({how}): the records copied there are gone; stopping writes to it, and copying its partitions again from the source's earliest offset once it exists again");
        self.recopy.insert(
            topic.to_string(),
            Recopy::Waiting {
                look_at: Instant::now(),
            },
        );
        // Topic discovery creates it again: sooner than at its next refresh.
        self.watch.ask_rediscover();
    }

    /// Whether nothing is sent to `topic` for now (missing, or being copied again).
    pub(super) fn is_held(&self, topic: &str) -> bool {
        self.recopy.contains_key(topic)
    }

    /// Whether chunks fetched for `topic` are dropped: it was deleted, and everything of it is
    /// fetched again from the source's start.
    pub(super) fn drops_chunks(&self, topic: &str) -> bool {
        matches!(
            self.recopy.get(topic),
            Some(Recopy::Waiting { .. } | Recopy::Restarting)
        )
    }

    /// When a waiting copy wants the metadata read again.
    pub(super) fn recopy_wake_at(&self) -> Option<Instant> {
        (self.recopy.values())
            .filter_map(|r| match r {
                Recopy::Suspect { look_at, .. } | Recopy::Waiting { look_at } => Some(*look_at),
                Recopy::Restarting => None,
            })
            .min()
    }

    /// Moves each waiting copy on: reads the metadata again when due; once the topic exists again
    /// and nothing of it is in flight, drops what is queued for it and tells the fetcher to start
    /// again.
    pub(super) async fn advance_recopies(&mut self) {
        let now = Instant::now();
        let suspects: Vec<String> = (self.recopy.iter())
            .filter(|(_, r)| matches!(r, Recopy::Suspect { look_at, .. } if *look_at <= now))
            .map(|(t, _)| t.clone())
            .collect();
        for topic in suspects {
            if let Some(Recopy::Suspect { look_at, .. }) = self.recopy.get_mut(&topic) {
                *look_at = now + LOOK_AGAIN;
            }
            self.reread(&topic).await;
        }
        let waiting: Vec<String> = (self.recopy.iter())
            .filter(|(_, r)| matches!(r, Recopy::Waiting { .. }))
            .map(|(t, _)| t.clone())
            .collect();
        for topic in waiting {
            if !self.remote_ids.contains_key(&topic) {
                let due = matches!(self.recopy.get(&topic), Some(Recopy::Waiting { look_at }) if *look_at <= now);
                if !due {
                    continue;
                }
                self.reread(&topic).await;
                if !self.remote_ids.contains_key(&topic) {
                    self.recopy.insert(
                        topic.clone(),
                        Recopy::Waiting {
                            look_at: now + LOOK_AGAIN,
                        },
                    );
                    self.watch.ask_rediscover();
                    continue;
                }
            }
            let in_flight = (self.queues.iter()).any(|(k, q)| k.topic == topic && q.in_flight());
            if in_flight {
                continue;
            }
            let keys: Vec<_> = (self.queues.keys())
                .filter(|k| k.topic == topic)
                .cloned()
                .collect();
            for key in keys {
                self.queues.remove(&key);
                let was = self.standing.remove(&key).unwrap_or_default();
                if let Some(m) = &self.metrics {
                    if was.is_parked() {
                        m.parked(-1);
                    }
                }
            }
            info!(task = self.task, remote = %topic, "the remote topic exists again; copying its partitions again from the source's earliest offset");
            self.recopy.insert(topic.clone(), Recopy::Restarting);
            let _ = self.control.send(FetchControl::Restart(topic));
        }
    }

    /// Reads the target metadata of `topic` again and looks at what it says.
    async fn reread(&mut self, topic: &str) {
        let topics = [topic.to_string()];
        if self.client.refresh_metadata(&topics).await.is_ok() {
            self.look_at_remote_topics(&topics);
        }
    }

    /// The fetcher's barrier for `topic`: every chunk of it from now on is from the new start.
    pub(super) fn restarting(&mut self, topic: &str) {
        if self.recopy.get(topic) == Some(&Recopy::Restarting) {
            self.recopy.remove(topic);
        }
    }

    /// A partition copied again from source offset `start`: progress goes back there (a crash now
    /// resumes there, not after records the target lost), its offset-sync chain starts again, and
    /// the reset is counted.
    pub(super) fn restarted(&mut self, route: &Route, start: i64) {
        self.progress.record(route, start);
        if let Some(log) = &self.sync_log {
            log.forget(&route.source_topic, route.partition);
        }
        if let Some(m) = &self.metrics {
            m.source_reset("target_deleted", 0);
        }
    }
}
