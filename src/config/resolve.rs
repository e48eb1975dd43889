//! Resolving raw `mm2.properties` entries into typed [`FlowConfig`]s with MM2's precedence.
//!
//! The maps are built the way MM2 builds them, step by step, so that precedence falls out of the same
//! layering instead of being re-derived per key (as `MirrorMakerConfig` does; docs/configuration.md):
//! - `cluster_props(A)`: `A.<k>`, plus CLIENT_KEYS inherited into `producer.`/`consumer.`/`admin.`
//!   from `A.<k>` and then from top level;
//! - the connector map of `S->T`: top-level connector keys, `config.providers*`, `replication.policy*`,
//!   `cluster_props(S)` as `source.cluster.*`/`source.<client>.*`, the same for T, then every
//!   `S->T.<k>`;
//! - the MM2 clients (source consumer/admin, target admin) from the connector map;
//! - the worker map of `S->T` (`cluster_props(T)` + top-level worker prefixes) and from it the Connect
//!   worker producer that writes the replicated data, with `S->T.producer.override.*` on top.
//!
//! Differences from MM2, on purpose (each documented where it is done): values strait acts on are
//! validated at start-up with file/line/key errors, instead of failing a connector later; unknown
//! aliases and flows naming undefined clusters are errors; `S->T.enabled` must be `true` or `false`.
//!
//! By concern: this file loads and classifies the entries and formats errors; `layering` builds
//! MM2's maps and clients, `flows` a flow's own settings, `clients` the typed settings of each
//! client, `values` reads single values as Kafka's `ConfigDef` does, `heartbeats` the herders.

use indexmap::IndexMap;

use super::key_scope::{self, KeyScope};
use super::keys::classify::KeyClass;
use super::keys::{self, ClientKind};
use super::keys::{Key, KeyDefault, ValueType};
use super::properties;
use super::*;
use crate::plan::replication_policy::{DEFAULT_POLICY_CLASS, IDENTITY_POLICY_CLASS};
use crate::plan::topic_filter::{parse_list, PatternList};

mod clients;
pub(crate) mod connect_worker;
mod flows;
pub(crate) mod heartbeats;
mod layering;
#[cfg(test)]
mod tests;
mod values;

pub(super) use heartbeats::heartbeats_for;
use values::{is_topic_char, parse_boolean_lenient};

/// Resolved key -> setting map (a Java `Map<String, String>` with origins).
type Props = BTreeMap<String, Setting>;

/// A written key: the key it resolves as, and where it was written.
type Written = (String, Origin);

pub(super) fn load(path: &Path) -> Result<Mm2Config, ConfigError> {
    let entries = properties::read(path)?;
    load_entries(path, entries)
}

/// Resolves already-parsed entries (`path` is only used in messages).
pub(crate) fn load_entries(
    path: &Path,
    entries: Vec<properties::Entry>,
) -> Result<Mm2Config, ConfigError> {
    let mut raw: IndexMap<String, Setting> = IndexMap::new();
    for e in entries {
        let origin = Origin {
            file: path.to_path_buf(),
            line: e.line,
            key: e.key.clone(),
        };
        // Java Properties: the last value of a repeated key wins.
        raw.shift_remove(&e.key);
        raw.insert(
            e.key,
            Setting {
                value: e.value,
                origin: Some(origin),
            },
        );
    }
    load_raw(path, raw, false)
}

/// Resolves a raw key map whose settings carry their own origins (Connect mode builds one from a
/// worker file and connector files). `path` names the whole in messages about no file in
/// particular; `heartbeats_only_ok`: a map that enables no flow but emits heartbeats is valid.
pub(crate) fn load_raw(
    path: &Path,
    mut raw: IndexMap<String, Setting>,
    heartbeats_only_ok: bool,
) -> Result<Mm2Config, ConfigError> {
    super::providers::substitute(path, &mut raw)?;
    let ctx = Ctx { path, raw };
    let clusters = ctx.clusters()?;
    let (written, ignored) = ctx.classify_keys(&clusters)?;

    let mut flows = Vec::new();
    let mut dormant = Vec::new();
    for s in &clusters {
        for t in &clusters {
            if s == t {
                continue;
            }
            let conn = ctx.connector_map(s, t);
            if let Some(enabled_by) = ctx.flow_enabled(s, t, &conn)? {
                flows.push(ctx.resolve_flow(s, t, conn, &enabled_by)?);
            } else {
                // Not run, so never an error: only its names and clients are used (failback
                // reads what a flow wrote before it was turned off).
                let by = Origin {
                    file: path.to_path_buf(),
                    line: 0,
                    key: format!("{s}->{t}.enabled"),
                };
                dormant.extend(ctx.resolve_flow(s, t, conn, &by).ok());
            }
        }
    }
    let heartbeats_only = heartbeats_only_ok && !ctx.all_heartbeats(&clusters)?.is_empty();
    if flows.is_empty() && !heartbeats_only {
        return Err(ctx.in_file(format!(
            "No source->target replication flows. Enable one with `<source>-><target>.enabled = true` (clusters = {}).",
            clusters.join(", ")
        )));
    }
    // After the flows, so that a flow's own error is the one reported.
    let heartbeats = ctx.all_heartbeats(&clusters)?;
    Ok(Mm2Config {
        path: path.to_path_buf(),
        clusters,
        flows,
        dormant,
        heartbeats,
        written,
        ignored,
    })
}

pub(super) fn flows_for(c: &Mm2Config, targets: &[String]) -> Result<Vec<FlowConfig>, ConfigError> {
    for t in targets {
        if !c.clusters.contains(t) {
            return Err(ConfigError::InFile {
                path: c.path.clone(),
                message: format!(
                    "--clusters names `{t}`, which is not in `clusters` (clusters = {})",
                    c.clusters.join(", ")
                ),
            });
        }
    }
    let flows: Vec<FlowConfig> = c
        .flows
        .iter()
        .filter(|f| targets.is_empty() || targets.contains(&f.target))
        .cloned()
        .collect();
    if flows.is_empty() {
        let enabled: Vec<String> = c.flows.iter().map(FlowConfig::label).collect();
        return Err(ConfigError::InFile {
            path: c.path.clone(),
            message: format!(
                "No source->target replication flows for target cluster(s) {} (enabled flows: {}).",
                targets.join(", "),
                enabled.join(", ")
            ),
        });
    }
    Ok(flows)
}

/// Everything resolution needs: the file (for messages) and its entries.
struct Ctx<'a> {
    path: &'a Path,
    raw: IndexMap<String, Setting>,
}

impl Ctx<'_> {
    pub(super) fn in_file(&self, message: String) -> ConfigError {
        ConfigError::InFile {
            path: self.path.to_path_buf(),
            message,
        }
    }

    pub(super) fn at(&self, origin: &Origin, message: String) -> ConfigError {
        ConfigError::AtLine {
            path: origin.file.clone(),
            line: origin.line,
            key: origin.key.clone(),
            message,
        }
    }

    /// An error about the value of `setting`, hiding it when the key looks secret.
    pub(super) fn invalid(&self, setting: &Setting, what: &str, expected: &str) -> ConfigError {
        let Some(origin) = &setting.origin else {
            return self.in_file(format!(
                "internal default for `{what}` is invalid: expected {expected}"
            ));
        };
        let shown = if keys::looks_secret(&origin.key) {
            "(hidden: the key looks secret)".to_string()
        } else {
            format!("`{}`", setting.value)
        };
        let hint = if setting.value.contains("${") {
            "; a `${provider:...}` placeholder is only resolved when its provider is declared in `config.providers`"
        } else {
            ""
        };
        let what = if origin.key.ends_with(what) {
            String::new()
        } else {
            format!(" for `{what}`")
        };
        self.at(
            origin,
            format!("invalid value {shown}{what}: expected {expected}{hint}"),
        )
    }

    /// `clusters`: required, a non-empty LIST of non-empty aliases (duplicates collapse, as MM2 uses
    /// a set).
    pub(super) fn clusters(&self) -> Result<Vec<String>, ConfigError> {
        let Some(setting) = self.raw.get("clusters") else {
            return Err(self.in_file(
                "missing required key `clusters`: expected the list of cluster aliases, e.g. `clusters = primary, secondary`".to_string(),
            ));
        };
        let items = parse_list(&setting.value);
        if items.is_empty() {
            return Err(self.invalid(
                setting,
                "clusters",
                "a comma-separated list of cluster aliases, e.g. `primary, secondary`",
            ));
        }
        let mut out: Vec<String> = Vec::new();
        for item in items {
            if item.is_empty() || item.contains("->") || item.chars().any(char::is_whitespace) {
                return Err(self.invalid(
                    setting,
                    "clusters",
                    "non-empty cluster aliases without `->` or blanks, separated by commas",
                ));
            }
            if !out.contains(&item) {
                out.push(item);
            }
        }
        Ok(out)
    }

    /// Checks every key against the key table: unknown aliases and flows naming undefined clusters
    /// are errors. Returns every written key and those without effect (for the start-up log line),
    /// both in file order.
    pub(super) fn classify_keys(
        &self,
        clusters: &[String],
    ) -> Result<(Vec<Written>, Vec<Origin>), ConfigError> {
        // Classified by the key as resolved (in Connect mode a connector's `topics` is resolved as
        // `S->T.topics`), reported at the key as written.
        let mut settings: Vec<(&String, &Setting)> = self.raw.iter().collect();
        settings.sort_by_key(|(_, s)| {
            s.origin
                .as_ref()
                .map(|o| (o.file.clone(), o.line))
                .unwrap_or_default()
        });
        let mut ignored = Vec::new();
        let mut written = Vec::new();
        let known = clusters.join(", ");
        for (key, setting) in settings {
            let Some(origin) = &setting.origin else {
                continue;
            };
            written.push((key.clone(), origin.clone()));
            let scope = key_scope::locate(key, clusters);
            match &scope {
                KeyScope::UndefinedFlow { source, target } => {
                    let missing: Vec<String> = [source, target]
                        .iter()
                        .filter(|a| !clusters.iter().any(|c| c == **a))
                        .map(|a| format!("`{a}`"))
                        .collect();
                    if !missing.is_empty() {
                        return Err(self.at(
                            origin,
                            format!(
                                "flow `{source}->{target}` names undefined cluster {}; clusters = {known}",
                                missing.join(" and ")
                            ),
                        ));
                    }
                    ignored.push(origin.clone());
                }
                KeyScope::UnknownAlias { alias } => {
                    return Err(self.at(
                        origin,
                        format!("unknown cluster alias `{alias}`; clusters = {known}"),
                    ));
                }
                _ => {
                    if let KeyClass::Ignored(_) = key_scope::classify(&scope) {
                        ignored.push(origin.clone());
                    }
                }
            }
        }
        Ok((written, ignored))
    }
}
