//! Connect mode: a Kafka Connect worker file (`connect-distributed.properties`) and MirrorMaker's
//! three connectors (`MirrorSourceConnector`, `MirrorCheckpointConnector`,
//! `MirrorHeartbeatConnector`, as `.properties` or JSON). A connector config is exactly the
//! connector map MM2's dedicated mode builds from `mm2.properties` (`source.cluster.*`,
//! `target.cluster.*`, `source.consumer.*`, `topics`, ...), so the files are expressed as the
//! equivalent `mm2.properties` entries, each keeping its own file and line, and resolved by the
//! same resolver: every key means what it means in dedicated mode, and errors name the connector
//! file and line where the key was written.
//!
//! Decisions where Connect and MM2 leave room (docs/connect.md):
//! - **Records go to the target cluster** the connector names (`target.cluster.*`), not to the
//!   worker's `bootstrap.servers` as Java Connect's worker producer would; a worker pointed at
//!   another cluster gets a loud warning (the runbook mistake that mirrors a primary onto itself).
//! - **Aliases are required.** MM2 would default them to `source` and `target`, naming remote
//!   topics `source.orders`; a connector without them is refused.
//! - **One flow per cluster pair.** The connectors of one pair make one flow: the source
//!   connector's keys win where connectors disagree (with a warning); a checkpoint connector needs
//!   the source connector of its pair (strait translates from the syncs the source side writes).

mod effects;
mod files;
mod worker;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use self::files::{read_connector, read_properties, value_of, Entries};
use self::worker::rest_address;
pub use self::worker::WorkerSpec;
pub use super::resolve::connect_worker::ConnectStateSpec;
use super::{keys, ConfigError, Mm2Config, Origin, Setting};

/// The package of MM2's connector classes.
const MIRROR_PACKAGE: &str = "org.apache.kafka.connect.mirror.";

/// Which of MM2's connectors a config runs; each runs only its part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConnectorClass {
    /// Data and offset-syncs.
    Source,
    /// Checkpoints and group offset sync.
    Checkpoint,
    /// Heartbeats.
    Heartbeat,
}

impl ConnectorClass {
    /// From `connector.class`: the full name, the simple name, or Connect's alias without
    /// `Connector`.
    pub(crate) fn parse(value: &str) -> Option<ConnectorClass> {
        let simple = value.trim().trim_start_matches(MIRROR_PACKAGE);
        match simple.trim_end_matches("Connector") {
            "MirrorSource" => Some(ConnectorClass::Source),
            "MirrorCheckpoint" => Some(ConnectorClass::Checkpoint),
            "MirrorHeartbeat" => Some(ConnectorClass::Heartbeat),
            _ => None,
        }
    }

    /// The Java class name, as Connect's REST API shows it.
    pub fn class_name(self) -> &'static str {
        match self {
            ConnectorClass::Source => "org.apache.kafka.connect.mirror.MirrorSourceConnector",
            ConnectorClass::Checkpoint => {
                "org.apache.kafka.connect.mirror.MirrorCheckpointConnector"
            }
            ConnectorClass::Heartbeat => "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector",
        }
    }
}

/// One connector as configured.
#[derive(Debug, Clone)]
pub struct ConnectorSpec {
    /// Its REST name (`mm2-source-connector`); Connect keys its progress by it.
    pub name: String,
    /// Which connector.
    pub class: ConnectorClass,
    /// `source.cluster.alias`.
    pub source: String,
    /// `target.cluster.alias`.
    pub target: String,
    /// The file it came from.
    pub file: PathBuf,
    /// Its config as written (values may be secrets: never log them).
    pub(crate) config: Entries,
}

impl ConnectorSpec {
    /// Its config as Connect stores and shows it: every key as written, plus `name`.
    pub fn properties(&self) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = self
            .config
            .iter()
            .map(|(k, s)| (k.clone(), s.value.clone()))
            .collect();
        out.insert("name".into(), self.name.clone());
        out
    }
}

/// A loaded and validated Connect-mode set of files.
#[derive(Debug, Clone)]
pub struct ConnectConfig {
    /// The worker file.
    pub worker_path: PathBuf,
    /// What the worker file says that Connect mode reads itself.
    pub worker: WorkerSpec,
    /// The connectors, in the order given.
    pub connectors: Vec<ConnectorSpec>,
    /// The flows and heartbeat emitters they make, resolved as dedicated mode resolves them.
    pub mm2: Mm2Config,
    /// What an operator must know (shown at start and by `strait check`).
    pub warnings: Vec<String>,
    /// Keys Connect mode reads itself (not through the resolver), with what it does with each.
    own_keys: Vec<(Origin, String)>,
    /// Whether `worker_path` is a worker file, and its entries: to resolve another set of
    /// connectors with the same worker ([`ConnectConfig::with_connectors`]).
    has_worker: bool,
    worker_entries: Entries,
}

impl ConnectConfig {
    /// The same worker with `connectors` instead (the REST API pauses, resumes, deletes): resolved
    /// as at start, so every check applies again.
    pub fn with_connectors(
        &self,
        connectors: Vec<ConnectorSpec>,
    ) -> Result<ConnectConfig, ConfigError> {
        resolve(
            &self.worker_path,
            self.has_worker,
            self.worker_entries.clone(),
            connectors,
            true,
        )
    }

    /// One line per written key of every file, for `strait check`: file, line, key and what
    /// strait does with it. Values are never included.
    pub fn key_report(&self) -> Vec<String> {
        let mut entries = self.mm2.key_effects();
        for (origin, what) in &self.own_keys {
            match entries.iter_mut().find(|(o, _)| o == origin) {
                Some(e) => e.1 = what.clone(),
                None => entries.push((origin.clone(), what.clone())),
            }
        }
        entries.sort_by(|(a, _), (b, _)| (&a.file, a.line).cmp(&(&b.file, b.line)));
        super::render_key_report(&entries, &self.worker_path)
    }

    /// The flows the source connectors make, for the replicator.
    pub fn flows(&self) -> Vec<super::FlowConfig> {
        self.mm2.flows.clone()
    }

    /// The heartbeat emitters the heartbeat connectors make.
    pub fn heartbeats(&self) -> Vec<super::HeartbeatConfig> {
        self.mm2.heartbeats.clone()
    }
}

/// An error at the line where `key` was written in `entries` (or in the file as a whole).
fn error_at(file: &Path, entries: &Entries, key: &str, message: String) -> ConfigError {
    match entries
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, s)| s.origin.clone())
    {
        Some(o) => ConfigError::AtLine {
            path: o.file,
            line: o.line,
            key: o.key,
            message,
        },
        None => ConfigError::InFile {
            path: file.to_path_buf(),
            message,
        },
    }
}

/// Reads one connector file into a spec, or the error naming the file and key.
fn connector_spec(path: &Path) -> Result<ConnectorSpec, ConfigError> {
    spec_of(path, read_connector(path)?)
}

/// A connector config that came as JSON text without a file (a REST request, a record of the
/// config topic): `{"name": ..., "config": {...}}`. `label` stands for the file in messages.
pub fn connector_from_json(label: &str, text: &str) -> Result<ConnectorSpec, ConfigError> {
    let path = Path::new(label);
    spec_of(path, files::connector_json(path, text)?)
}

/// The spec of a connector config read from `path`.
fn spec_of(path: &Path, read: files::ConnectorFile) -> Result<ConnectorSpec, ConfigError> {
    let whole = |message: String| ConfigError::InFile {
        path: path.to_path_buf(),
        message,
    };
    let name = read
        .name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| whole("no connector `name`: Connect names every connector".into()))?;
    let class_text = value_of(&read.entries, "connector.class")
        .ok_or_else(|| whole(format!("connector {name}: no `connector.class`")))?;
    let class = ConnectorClass::parse(&class_text).ok_or_else(|| {
        error_at(
            path,
            &read.entries,
            "connector.class",
            format!("unknown connector class `{class_text}`: strait runs MirrorSourceConnector, MirrorCheckpointConnector and MirrorHeartbeatConnector"),
        )
    })?;
    let alias = |key: &str, mm2_default: &str| {
        value_of(&read.entries, key).filter(|a| !a.is_empty()).ok_or_else(|| {
            whole(format!(
                "connector {name}: `{key}` is missing; MM2 would call the cluster `{mm2_default}` and name remote topics `{mm2_default}.<topic>`: set it"
            ))
        })
    };
    let source = alias("source.cluster.alias", "source")?;
    let target = alias("target.cluster.alias", "target")?;
    if source == target {
        return Err(error_at(
            path,
            &read.entries,
            "target.cluster.alias",
            format!("connector {name}: source and target are both `{source}`"),
        ));
    }
    Ok(ConnectorSpec {
        name,
        class,
        source,
        target,
        file: path.to_path_buf(),
        config: read.entries,
    })
}

/// A setting strait fills in (no line of its own): at the line of `at` when given.
fn filled(value: &str, at: Option<&Setting>) -> Setting {
    Setting {
        value: value.to_string(),
        origin: at.and_then(|s| s.origin.clone()),
    }
}

/// Inserts `key` unless set; a different value already set is a warning naming both connectors.
fn merge(
    raw: &mut IndexMap<String, Setting>,
    owner: &mut BTreeMap<String, String>,
    key: String,
    setting: &Setting,
    connector: &str,
    warnings: &mut Vec<String>,
) {
    match raw.get(&key) {
        Some(have) if have.value.trim() != setting.value.trim() => {
            let first = owner.get(&key).cloned().unwrap_or_default();
            let written = setting
                .origin
                .as_ref()
                .map_or(key.clone(), |o| o.key.clone());
            warnings.push(format!(
                "connectors {first} and {connector} set `{written}` differently; strait runs one flow per cluster pair and uses {first}'s"
            ));
        }
        Some(_) => {}
        None => {
            raw.insert(key.clone(), setting.clone());
            owner.insert(key, connector.to_string());
        }
    }
}

/// Loads the worker file (None: a connector file checked on its own) and the connector files,
/// and resolves them (see the module doc).
pub fn load(
    worker: Option<&Path>,
    connector_paths: &[PathBuf],
) -> Result<ConnectConfig, ConfigError> {
    let worker_entries = match worker {
        Some(w) => read_properties(w)?,
        None => Vec::new(),
    };
    let Some(worker_path) = worker.or(connector_paths.first().map(PathBuf::as_path)) else {
        return Err(ConfigError::InFile {
            path: PathBuf::from("(none)"),
            message: "no worker file and no connector".into(),
        });
    };
    let mut connectors: Vec<ConnectorSpec> = Vec::new();
    for path in connector_paths {
        let c = connector_spec(path)?;
        if let Some(other) = connectors.iter().find(|o| o.name == c.name) {
            return Err(ConfigError::InFile {
                path: path.clone(),
                message: format!(
                    "connector {} is also defined in {}: names must be unique",
                    c.name,
                    other.file.display()
                ),
            });
        }
        connectors.push(c);
    }
    // A distributed worker also runs connectors from its config topic and REST: a checkpoint
    // connector may wait there for its source connector.
    let distributed = match worker {
        Some(w) => has_state_topics(w, &worker_entries)?,
        None => false,
    };
    resolve(
        worker_path,
        worker.is_some(),
        worker_entries,
        connectors,
        distributed,
    )
}

/// Whether the worker file names a config topic (a distributed worker).
fn has_state_topics(path: &Path, entries: &Entries) -> Result<bool, ConfigError> {
    Ok(
        super::resolve::connect_worker::connect_state(path, entries.iter().cloned().collect())?
            .is_some(),
    )
}

/// Resolves `connectors` with the worker file's entries (see the module doc); `has_worker`:
/// `worker_path` is a worker file (else the first connector file, checked alone);
/// `waiting_ok`: a checkpoint connector without its source connector waits (idle) instead of
/// being an error, and no connector at all is valid (connectors that come and go over REST).
fn resolve(
    worker_path: &Path,
    has_worker: bool,
    worker_entries: Entries,
    connectors: Vec<ConnectorSpec>,
    waiting_ok: bool,
) -> Result<ConnectConfig, ConfigError> {
    let mut warnings = Vec::new();
    let mut raw: IndexMap<String, Setting> = IndexMap::new();
    let mut owner: BTreeMap<String, String> = BTreeMap::new();

    let mut clusters: Vec<String> = Vec::new();
    for c in &connectors {
        for alias in [&c.source, &c.target] {
            if !clusters.contains(alias) {
                clusters.push(alias.clone());
            }
        }
    }
    raw.insert("clusters".into(), filled(&clusters.join(", "), None));

    // The source connector of a pair first: its keys win.
    let mut ordered: Vec<&ConnectorSpec> = connectors.iter().collect();
    ordered.sort_by_key(|c| c.class);
    let skip = [
        "name",
        "connector.class",
        "source.cluster.alias",
        "target.cluster.alias",
    ];
    for c in &ordered {
        let flow = format!("{}->{}", c.source, c.target);
        for (k, setting) in &c.config {
            if skip.contains(&k.as_str()) {
                continue;
            }
            let key = if let Some(rest) = k.strip_prefix("source.cluster.") {
                format!("{}.{rest}", c.source)
            } else if let Some(rest) = k.strip_prefix("target.cluster.") {
                format!("{}.{rest}", c.target)
            } else {
                format!("{flow}.{k}")
            };
            merge(&mut raw, &mut owner, key, setting, &c.name, &mut warnings);
        }
    }
    // What runs per pair: data with a source connector, checkpoints with a checkpoint connector,
    // heartbeats with a heartbeat connector.
    let mut pairs: BTreeMap<(String, String), Vec<&ConnectorSpec>> = BTreeMap::new();
    for c in &connectors {
        pairs
            .entry((c.source.clone(), c.target.clone()))
            .or_default()
            .push(c);
    }
    for ((s, t), cs) in &pairs {
        let flow = format!("{s}->{t}");
        for (i, c) in cs.iter().enumerate() {
            if let Some(first) = cs[..i].iter().find(|o| o.class == c.class) {
                return Err(error_at(
                    &c.file,
                    &c.config,
                    "connector.class",
                    format!("connector {}: connector {} already runs this part of {flow}; strait runs one connector of each class per cluster pair (give one of them the union of their `topics` / `groups`)", c.name, first.name),
                ));
            }
        }
        let of = |class| cs.iter().find(|c| c.class == class);
        let source = of(ConnectorClass::Source);
        if let (Some(cp), None, false) = (of(ConnectorClass::Checkpoint), source, waiting_ok) {
            return Err(error_at(
                &cp.file,
                &cp.config,
                "connector.class",
                format!("connector {}: strait runs a checkpoint connector together with the source connector of the same clusters ({flow}), whose offset-syncs it translates with; give that one too", cp.name),
            ));
        }
        // The source connector's `connector.class` line is what enables the flow.
        let at = source.and_then(|c| {
            c.config
                .iter()
                .find(|(k, _)| k == "connector.class")
                .map(|(_, s)| s.clone())
        });
        raw.insert(
            format!("{flow}.enabled"),
            filled(if source.is_some() { "true" } else { "false" }, at.as_ref()),
        );
        if of(ConnectorClass::Checkpoint).is_none() {
            raw.insert(
                format!("{flow}.emit.checkpoints.enabled"),
                filled("false", None),
            );
        }
    }
    // Heartbeats only where a heartbeat connector runs (MM2's dedicated mode would emit them for
    // every pair of clusters).
    for s in &clusters {
        for t in clusters.iter().filter(|t| *t != s) {
            let emits = connectors
                .iter()
                .any(|c| c.class == ConnectorClass::Heartbeat && &c.source == s && &c.target == t);
            if !emits {
                raw.insert(
                    format!("{s}->{t}.emit.heartbeats.enabled"),
                    filled("false", None),
                );
            }
        }
    }

    // The worker file: its own cluster and Connect runtime keys stay out of the cluster maps.
    let targets: Vec<&String> = connectors.iter().map(|c| &c.target).collect();
    let (rest_listen, worker_id) = if has_worker {
        rest_address(worker_path, &worker_entries)?
    } else {
        (
            WorkerSpec::default().rest_listen,
            WorkerSpec::default().worker_id,
        )
    };
    let mut worker = WorkerSpec {
        rest_listen,
        worker_id,
        ..WorkerSpec::default()
    };
    let mut own_keys = effects::connector_keys(&connectors);
    for (k, setting) in &worker_entries {
        let value = setting.value.trim();
        let what = effects::worker_key(k);
        if let (Some(what), Some(o)) = (what, &setting.origin) {
            own_keys.push((o.clone(), what.to_string()));
        }
        match k.as_str() {
            "bootstrap.servers" => {
                worker.bootstrap = value
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
            }
            "group.id" => worker.group_id = Some(value.to_string()),
            // Read by `connect_state` below.
            "config.storage.topic"
            | "config.storage.replication.factor"
            | "status.storage.topic"
            | "status.storage.partitions"
            | "status.storage.replication.factor" => {}
            "offset.flush.interval.ms" => {
                for t in &targets {
                    raw.insert(format!("{t}.{k}"), setting.clone());
                }
            }
            _ if k.starts_with("producer.") => {
                for t in &targets {
                    raw.insert(format!("{t}.{k}"), setting.clone());
                }
            }
            // The worker's own connection (its cluster): a top-level client key would become
            // every cluster's default.
            _ if keys::is_client_key(k) => {}
            _ => {
                raw.insert(k.clone(), setting.clone());
            }
        }
    }
    if has_worker {
        worker.state = super::resolve::connect_worker::connect_state(
            worker_path,
            worker_entries.iter().cloned().collect(),
        )?;
    }
    let runs_something = connectors
        .iter()
        .any(|c| c.class != ConnectorClass::Checkpoint);
    let mut mm2 = if waiting_ok && !runs_something {
        Mm2Config::empty(worker_path)
    } else {
        super::resolve::load_raw(worker_path, raw, true)?
    };
    // Connect keys a source connector's progress by its REST name.
    for f in &mut mm2.flows {
        if let Some(c) = connectors.iter().find(|c| {
            c.class == ConnectorClass::Source && c.source == f.source && c.target == f.target
        }) {
            f.offset_storage.connector = c.name.clone();
        }
    }

    for t in clusters.iter().filter(|a| targets.contains(a)) {
        let target_bootstrap: Vec<String> = mm2
            .flows
            .iter()
            .find(|f| &f.target == t)
            .map(|f| f.target_admin.bootstrap.clone())
            .unwrap_or_default();
        let differs = !worker.bootstrap.is_empty()
            && !target_bootstrap.is_empty()
            && !worker
                .bootstrap
                .iter()
                .any(|b| target_bootstrap.contains(b));
        if differs {
            warnings.push(format!(
                "the worker's bootstrap.servers ({}) is not target cluster {t} ({}): Java Connect would write the replicated records to the worker's cluster; strait writes them to {t}, as the connectors name it (docs/connect.md)",
                worker.bootstrap.join(","),
                target_bootstrap.join(",")
            ));
        }
    }
    Ok(ConnectConfig {
        worker_path: worker_path.to_path_buf(),
        worker,
        connectors,
        mm2,
        warnings,
        own_keys,
        has_worker,
        worker_entries,
    })
}

/// Whether `path` holds a connector config rather than a worker or `mm2.properties` file: JSON,
/// or a `connector.class` key.
pub fn is_connector_file(path: &Path) -> bool {
    read_connector(path).is_ok_and(|f| value_of(&f.entries, "connector.class").is_some())
}

#[cfg(test)]
mod tests;
