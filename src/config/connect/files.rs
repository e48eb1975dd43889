//! Reading the files of Connect mode: a worker `.properties` file, and connector configs as
//! `.properties` (what `connect-standalone.sh` takes) or JSON (what `curl -X POST /connectors`
//! sends: `{"name": ..., "config": {...}}`, or the bare config map a `PUT .../config` sends). Every
//! entry keeps its file and line, so that errors name where a key was written.

use std::path::Path;

use super::super::properties;
use super::super::{ConfigError, Origin, Setting};

/// A file's entries in order, with origins.
pub(crate) type Entries = Vec<(String, Setting)>;

/// What a connector file holds: its REST name (when the file names it) and its config entries.
#[derive(Debug)]
pub(crate) struct ConnectorFile {
    /// `name` of the JSON object, or the `name` key of the config.
    pub(crate) name: Option<String>,
    /// The config keys in file order.
    pub(crate) entries: Entries,
}

/// Reads a `.properties` file into entries with origins (the last of a repeated key wins).
pub(crate) fn read_properties(path: &Path) -> Result<Entries, ConfigError> {
    let mut out: Entries = Vec::new();
    for e in properties::read(path)? {
        out.retain(|(k, _)| *k != e.key);
        let origin = Origin {
            file: path.to_path_buf(),
            line: e.line,
            key: e.key.clone(),
        };
        out.push((
            e.key,
            Setting {
                value: e.value,
                origin: Some(origin),
            },
        ));
    }
    Ok(out)
}

/// Reads a connector file: JSON when it ends in `.json` or starts with `{`, else `.properties`.
pub(crate) fn read_connector(path: &Path) -> Result<ConnectorFile, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let json = path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{');
    if !json {
        let entries = read_properties(path)?;
        let name = value_of(&entries, "name");
        return Ok(ConnectorFile { name, entries });
    }
    connector_json(path, &text)
}

/// The value of `key` among `entries`.
pub(crate) fn value_of(entries: &Entries, key: &str) -> Option<String> {
    entries
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, s)| s.value.trim().to_string())
}

/// A connector given as JSON: `{"name": N, "config": {...}}` or the config map itself. Values may
/// be JSON strings, numbers or booleans (Connect reads them as strings).
pub(crate) fn connector_json(path: &Path, text: &str) -> Result<ConnectorFile, ConfigError> {
    let in_file = |message: String| ConfigError::InFile {
        path: path.to_path_buf(),
        message,
    };
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| ConfigError::AtLine {
        path: path.to_path_buf(),
        line: e.line(),
        key: String::new(),
        message: format!("not valid JSON: {e}"),
    })?;
    let top = value.as_object().ok_or_else(|| {
        in_file("expected a JSON object: {\"name\": ..., \"config\": {...}}".into())
    })?;
    let (name, config) = match top.get("config") {
        Some(c) => (
            top.get("name").and_then(|n| n.as_str()).map(str::to_string),
            c.as_object().ok_or_else(|| {
                in_file("`config` must be a JSON object of keys and values".into())
            })?,
        ),
        None => (None, top),
    };
    let mut entries: Entries = Vec::new();
    for (key, v) in config {
        let value = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            other => {
                return Err(ConfigError::AtLine {
                    path: path.to_path_buf(),
                    line: line_of(text, key),
                    key: key.clone(),
                    message: format!("expected a string value, found {other}"),
                })
            }
        };
        let origin = Origin {
            file: path.to_path_buf(),
            line: line_of(text, key),
            key: key.clone(),
        };
        entries.push((
            key.clone(),
            Setting {
                value,
                origin: Some(origin),
            },
        ));
    }
    let name = name.or_else(|| value_of(&entries, "name"));
    Ok(ConnectorFile { name, entries })
}

/// The 1-based line where `"key"` is first written in `text` (1 when not found, e.g. escaped).
fn line_of(text: &str, key: &str) -> usize {
    let needle = format!("\"{key}\"");
    text.lines()
        .position(|l| l.contains(&needle))
        .map_or(1, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_with_a_name_and_a_config_keeps_lines_and_reads_scalars_as_strings() {
        let text = "{\n  \"name\": \"mm2-source-connector\",\n  \"config\": {\n    \"tasks.max\": 4,\n    \"topics\": \"orders\",\n    \"emit.checkpoints.enabled\": true\n  }\n}\n";
        let f = connector_json(Path::new("c.json"), text).unwrap();
        assert_eq!(f.name.as_deref(), Some("mm2-source-connector"));
        let got: Vec<(String, String, usize)> = f
            .entries
            .iter()
            .map(|(k, s)| (k.clone(), s.value.clone(), s.origin.as_ref().unwrap().line))
            .collect();
        assert!(
            got.contains(&("tasks.max".into(), "4".into(), 4)),
            "{got:?}"
        );
        assert!(
            got.contains(&("topics".into(), "orders".into(), 5)),
            "{got:?}"
        );
        assert!(got.contains(&("emit.checkpoints.enabled".into(), "true".into(), 6)));
    }

    #[test]
    fn a_bare_config_map_is_a_connector_and_bad_json_names_its_line() {
        let f =
            connector_json(Path::new("c.json"), "{\"name\": \"x\", \"topics\": \"a\"}").unwrap();
        assert_eq!(f.name.as_deref(), Some("x"));
        let err = connector_json(Path::new("c.json"), "{\n\"topics\": \n}").unwrap_err();
        assert!(err.to_string().contains("c.json:3"), "{err}");
        let err = connector_json(Path::new("c.json"), "{\"config\": {\"topics\": [1]}}")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`topics`") && err.contains("expected a string"),
            "{err}"
        );
    }
}
