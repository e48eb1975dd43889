//! Connect mode's connectors while the worker runs: each one's target state (RUNNING, PAUSED,
//! STOPPED, as Connect's `PUT .../pause`, `/resume` and `/stop` set it), restarts and deletes.
//! Every change resolves the running connectors again with the worker file, exactly as at start,
//! and hands the resulting flows and heartbeat emitters to the [`Supervisor`], which stops and
//! starts only the units whose connectors changed. A stopped flow drains and saves its progress
//! first, so a resumed one continues where it stopped: nothing lost, nothing copied twice.

use std::collections::BTreeMap;

use crate::config::connect::{ConnectConfig, ConnectorClass, ConnectorSpec};
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

/// The connectors of a `strait connect` worker and what runs for them.
pub struct Controller {
    config: ConnectConfig,
    targets: BTreeMap<String, Target>,
    /// Restarts per pair `S->T`, part of its units' fingerprints (a restart changes it).
    restarts: BTreeMap<String, u64>,
    supervisor: Option<Supervisor>,
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
        }
    }

    /// Starts the connectors under `supervisor`.
    pub async fn attach(&mut self, supervisor: Supervisor) -> Result<(), String> {
        self.supervisor = Some(supervisor);
        self.reconcile().await
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
        match self.targets.get_mut(name) {
            None => Ok(false),
            Some(t) => {
                *t = target;
                self.reconcile().await.map(|()| true)
            }
        }
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
        // Only the running set must resolve: a checkpoint connector whose source connector is
        // deleted stays, idle, like one whose source connector is paused.
        self.config.connectors.remove(i);
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
        if connectors.is_empty() {
            let mut empty = self.config.clone();
            empty.connectors.clear();
            return Ok(empty);
        }
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
            let names: Vec<&str> = runnable
                .iter()
                .filter(|c| c.source == s && c.target == t)
                .map(|c| c.name.as_str())
                .collect();
            let pair = format!("{s}->{t}");
            format!(
                "{} #{}",
                names.join(","),
                self.restarts.get(&pair).copied().unwrap_or(0)
            )
        };
        let (flows, heartbeats) = if runnable.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            let cfg = self.resolved(runnable.clone())?;
            (cfg.flows(), cfg.heartbeats())
        };
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
