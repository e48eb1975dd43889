//! Connect mode's connectors while the worker runs: each one's target state (RUNNING, PAUSED,
//! STOPPED, as Connect's `PUT .../pause`, `/resume` and `/stop` set it), restarts and deletes.
//! Every change resolves the running connectors again with the worker file, exactly as at start,
//! and hands the resulting flows and heartbeat emitters to the [`Supervisor`], which stops and
//! starts only the units whose connectors changed. A stopped flow drains and saves its progress
//! first, so a resumed one continues where it stopped: nothing lost, nothing copied twice.
//!
//! A distributed worker (`config.storage.topic` set) keeps every config and target state in
//! Connect's config topic ([`StateTopics`]): at start the connectors come from there, the files
//! given on the command line written over their namesakes, and every change is written before
//! it takes effect.

use std::collections::BTreeMap;
use std::sync::Arc;

use tracing::warn;

use super::store::StateTopics;
use crate::config::connect::{connector_from_json, ConnectConfig, ConnectorClass, ConnectorSpec};
use crate::config::FlowConfig;
use crate::replicate::supervisor::Supervisor;

/// A connector's target state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Runs.
    Running,
    /// Paused: its tasks stop (Connect keeps them assigned).
    Paused,
    /// Stopped: no tasks at all.
    Stopped,
}

/// A change the REST API asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Set the target state (pause, resume, stop).
    Target(Target),
    /// Stop and start the connector's cluster pair's units.
    Restart,
    /// Remove the connector.
    Delete,
}

/// Why a config change was refused, as Connect answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// 400: the config is invalid (the message lists why).
    BadRequest(String),
    /// 409: a connector of that name exists.
    Conflict(String),
    /// 500: it could not be stored.
    Failed(String),
}

/// Connect's message for a config that does not validate.
pub(crate) fn invalid(problem: &str) -> Refusal {
    Refusal::BadRequest(format!(
        "Connector configuration is invalid and contains the following 1 error(s):\n{problem}\nYou can also find the above list of errors at the endpoint `/connector-plugins/{{connectorType}}/config/validate`"
    ))
}

/// The connectors of a `strait connect` worker and what runs for them.
pub struct Controller {
    config: ConnectConfig,
    targets: BTreeMap<String, Target>,
    /// Restarts per pair `S->T`, part of its units' fingerprints (a restart changes it).
    restarts: BTreeMap<String, u64>,
    supervisor: Option<Supervisor>,
    /// A distributed worker's config and status topics.
    store: Option<Arc<StateTopics>>,
}

impl Controller {
    /// Every connector of `config`, RUNNING; nothing starts before [`Controller::attach`].
    pub fn new(config: ConnectConfig) -> Controller {
        let targets = config
            .connectors
            .iter()
            .map(|c| (c.name.clone(), Target::Running))
            .collect();
        Controller {
            config,
            targets,
            restarts: BTreeMap::new(),
            supervisor: None,
            store: None,
        }
    }

    /// Starts the connectors under `supervisor`. A distributed worker first opens its state
    /// topics: the connectors come from the config topic, each file given writing over its
    /// namesake there (a new or changed config is written, its target state kept).
    pub async fn attach(&mut self, supervisor: Supervisor) -> Result<(), String> {
        if let Some(spec) = self.config.worker.state.clone() {
            let store = Arc::new(StateTopics::open(&spec).await?);
            self.load_stored(&store, &spec.config_topic).await?;
            self.store = Some(store);
        }
        self.supervisor = Some(supervisor);
        self.reconcile().await
    }

    /// The config topic's connectors, with the files' written over them.
    async fn load_stored(&mut self, store: &StateTopics, topic: &str) -> Result<(), String> {
        let mut connectors: Vec<ConnectorSpec> = Vec::new();
        let mut targets = BTreeMap::new();
        for stored in store.connectors().await? {
            let text = serde_json::json!({"name": stored.name, "config": stored.properties});
            match connector_from_json(&format!("config topic {topic}"), &text.to_string()) {
                Ok(spec) => {
                    targets.insert(spec.name.clone(), stored.target);
                    connectors.push(spec);
                }
                Err(e) => warn!(
                    connector = %stored.name,
                    error = %e.without_place(),
                    "the config topic holds a connector strait cannot run; it is left there untouched and not run"
                ),
            }
        }
        for file in &self.config.connectors {
            let stored = connectors.iter().position(|c| c.name == file.name);
            let same = stored.is_some_and(|i| connectors[i].properties() == file.properties());
            if !same {
                store
                    .put_config(&file.name, &file.properties(), None)
                    .await?;
            }
            match stored {
                Some(i) => connectors[i] = file.clone(),
                None => connectors.push(file.clone()),
            }
            targets.entry(file.name.clone()).or_insert(Target::Running);
        }
        self.config = self
            .config
            .with_connectors(connectors)
            .map_err(|e| format!("the connectors of config topic {topic} do not resolve: {e}"))?;
        self.targets = targets;
        Ok(())
    }

    /// The state topics, once attached to a distributed worker.
    pub(crate) fn store(&self) -> Option<Arc<StateTopics>> {
        self.store.clone()
    }

    /// Every connector's flow by `S->T`, running or not (settings for the REST API): `config`
    /// always holds every connector, resolved.
    pub(crate) fn flows(&self) -> BTreeMap<String, FlowConfig> {
        self.config
            .flows()
            .into_iter()
            .map(|f| (f.label(), f))
            .collect()
    }

    /// Every connector with `spec` in place of its namesake (or added), and where the namesake
    /// was.
    fn with_spec(&self, spec: &ConnectorSpec) -> (Vec<ConnectorSpec>, Option<usize>) {
        let mut connectors = self.config.connectors.clone();
        let existing = connectors.iter().position(|c| c.name == spec.name);
        match existing {
            Some(i) => connectors[i] = spec.clone(),
            None => connectors.push(spec.clone()),
        }
        (connectors, existing)
    }

    /// Creates or replaces connector `spec` (`create_only`: POST, a namesake is a conflict),
    /// with `initial` as its target state when new. True when it was created. The config is
    /// validated with every other connector first (Connect's 400 when it does not resolve),
    /// written to the config topic, then run.
    pub(crate) async fn put_config(
        &mut self,
        spec: ConnectorSpec,
        create_only: bool,
        initial: Option<Target>,
    ) -> Result<bool, Refusal> {
        let (connectors, existing) = self.with_spec(&spec);
        if create_only && existing.is_some() {
            return Err(Refusal::Conflict(format!(
                "Connector {} already exists",
                spec.name
            )));
        }
        let resolved = self
            .config
            .with_connectors(connectors)
            .map_err(|e| invalid(&e.without_place()))?;
        let target = match existing {
            Some(_) => None,
            None => Some(initial.unwrap_or(Target::Running)),
        };
        if let Some(store) = &self.store {
            store
                .put_config(&spec.name, &spec.properties(), target)
                .await
                .map_err(Refusal::Failed)?;
        }
        self.config = resolved;
        if let Some(t) = target {
            self.targets.insert(spec.name.clone(), t);
        }
        self.reconcile().await.map_err(Refusal::Failed)?;
        Ok(existing.is_none())
    }

    /// Whether `spec` would resolve with every other connector (it replaces its namesake), as a
    /// `PUT .../config` would check it; nothing changes.
    pub(crate) fn validate(&self, spec: &ConnectorSpec) -> Result<(), crate::config::ConfigError> {
        self.config
            .with_connectors(self.with_spec(spec).0)
            .map(|_| ())
    }

    /// The connector named `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&ConnectorSpec> {
        self.config.connectors.iter().find(|c| c.name == name)
    }

    /// Every connector with its target state, in the order given.
    pub(crate) fn connectors(&self) -> Vec<(ConnectorSpec, Target)> {
        self.config
            .connectors
            .iter()
            .map(|c| {
                let t = self
                    .targets
                    .get(&c.name)
                    .copied()
                    .unwrap_or(Target::Running);
                (c.clone(), t)
            })
            .collect()
    }

    /// Makes `change` to `name`; false when there is no such connector.
    pub(crate) async fn change(&mut self, name: &str, change: Change) -> Result<bool, String> {
        match change {
            Change::Target(t) => self.set_target(name, t).await,
            Change::Restart => self.restart(name).await,
            Change::Delete => self.delete(name).await,
        }
    }

    /// Sets `name`'s target state; false when there is no such connector.
    async fn set_target(&mut self, name: &str, target: Target) -> Result<bool, String> {
        if !self.targets.contains_key(name) {
            return Ok(false);
        }
        if let Some(store) = &self.store {
            store.put_target(name, target).await?;
        }
        self.targets.insert(name.to_string(), target);
        self.reconcile().await.map(|()| true)
    }

    /// Restarts the units of `name`'s cluster pair; false when there is no such connector.
    async fn restart(&mut self, name: &str) -> Result<bool, String> {
        let Some(c) = self.config.connectors.iter().find(|c| c.name == name) else {
            return Ok(false);
        };
        *self
            .restarts
            .entry(format!("{}->{}", c.source, c.target))
            .or_default() += 1;
        self.reconcile().await.map(|()| true)
    }

    /// Deletes `name`; false when there is no such connector.
    async fn delete(&mut self, name: &str) -> Result<bool, String> {
        let Some(i) = self.config.connectors.iter().position(|c| c.name == name) else {
            return Ok(false);
        };
        // A checkpoint connector whose source connector is deleted stays, idle, like one whose
        // source connector is paused.
        let mut rest = self.config.connectors.clone();
        rest.remove(i);
        let resolved = self.resolved(rest)?;
        if let Some(store) = &self.store {
            store.remove(name).await?;
        }
        self.config = resolved;
        self.targets.remove(name);
        self.reconcile().await.map(|()| true)
    }

    /// Stops everything (at shutdown).
    pub async fn stop_all(&mut self) {
        if let Some(s) = &mut self.supervisor {
            s.stop_all().await;
        }
    }

    /// `config` with `connectors` (the worker stays), or the reason it does not resolve.
    fn resolved(&self, connectors: Vec<ConnectorSpec>) -> Result<ConnectConfig, String> {
        self.config
            .with_connectors(connectors)
            .map_err(|e| e.to_string())
    }

    /// Makes the supervisor run the RUNNING connectors (a checkpoint connector only while its
    /// pair's source connector runs).
    async fn reconcile(&mut self) -> Result<(), String> {
        let running: Vec<ConnectorSpec> = self
            .connectors()
            .into_iter()
            .filter(|(_, t)| *t == Target::Running)
            .map(|(c, _)| c)
            .collect();
        let runnable: Vec<ConnectorSpec> = running
            .iter()
            .filter(|c| {
                c.class != ConnectorClass::Checkpoint
                    || running.iter().any(|s| {
                        s.class == ConnectorClass::Source
                            && s.source == c.source
                            && s.target == c.target
                    })
            })
            .cloned()
            .collect();
        let fingerprint = |s: &str, t: &str| {
            // The names and a hash of the configs (never the values: they may be secrets), so
            // that a changed config restarts the pair's units with it.
            let mut configs = std::hash::DefaultHasher::new();
            let names: Vec<&str> = runnable
                .iter()
                .filter(|c| c.source == s && c.target == t)
                .inspect(|c| std::hash::Hash::hash(&c.properties(), &mut configs))
                .map(|c| c.name.as_str())
                .collect();
            let pair = format!("{s}->{t}");
            format!(
                "{} {:x} #{}",
                names.join(","),
                std::hash::Hasher::finish(&configs),
                self.restarts.get(&pair).copied().unwrap_or(0)
            )
        };
        let cfg = self.resolved(runnable.clone())?;
        let (flows, heartbeats) = (cfg.flows(), cfg.heartbeats());
        let flows: Vec<_> = flows
            .into_iter()
            .map(|f| {
                let fp = fingerprint(&f.source, &f.target);
                (f, fp)
            })
            .collect();
        let heartbeats: Vec<_> = heartbeats
            .into_iter()
            .map(|h| {
                let fp = fingerprint(&h.source, &h.target);
                (h, fp)
            })
            .collect();
        if let Some(s) = &mut self.supervisor {
            s.apply(flows, heartbeats).await;
        }
        Ok(())
    }
}
