//! Kafka config providers (`config.providers=file,env` with `${file:/path:key}` and `${env:NAME}`),
//! so that production files that keep passwords out of `mm2.properties` work unchanged.
//!
//! Placeholders are replaced in every value before MM2's precedence is applied, as the Connect worker
//! does for the configs it hands to MM2's clients. Supported provider classes are Kafka's own
//! `FileConfigProvider`, `EnvVarConfigProvider` and `DirectoryConfigProvider`.
//!
//! One deliberate difference from Kafka: a placeholder whose provider is configured but whose key (or
//! file) cannot be found is an error at start-up naming the line and the placeholder, where Kafka
//! leaves the text as written and fails much later with a confusing authentication error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::{properties, ConfigError, Origin, Setting};

/// The Kafka provider classes strait implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProviderKind {
    /// `org.apache.kafka.common.config.provider.FileConfigProvider`: `${name:/path/file.properties:key}`.
    File,
    /// `org.apache.kafka.common.config.provider.EnvVarConfigProvider`: `${name:VAR}`.
    Env,
    /// `org.apache.kafka.common.config.provider.DirectoryConfigProvider`: `${name:/dir:file}`.
    Directory,
}

impl ProviderKind {
    fn from_class(class: &str) -> Option<ProviderKind> {
        match class.trim().rsplit('.').next()? {
            "FileConfigProvider" => Some(ProviderKind::File),
            "EnvVarConfigProvider" => Some(ProviderKind::Env),
            "DirectoryConfigProvider" => Some(ProviderKind::Directory),
            _ => None,
        }
    }
}

/// Replaces every `${provider:[path:]key}` in `raw` whose provider is declared in `config.providers`.
/// Placeholders naming an undeclared provider stay as written (as in Kafka's `ConfigTransformer`).
pub(crate) fn substitute(
    path: &Path,
    raw: &mut IndexMap<String, Setting>,
) -> Result<(), ConfigError> {
    let providers = declared(path, raw)?;
    if providers.is_empty() {
        return Ok(());
    }
    let mut files: BTreeMap<PathBuf, BTreeMap<String, String>> = BTreeMap::new();
    for (key, setting) in raw.iter_mut() {
        if super::keys::is_config_provider_key(key) || !setting.value.contains("${") {
            continue;
        }
        let at = |message: String| match &setting.origin {
            Some(o) => at_line(path, o, message),
            None => ConfigError::InFile {
                path: path.to_path_buf(),
                message,
            },
        };
        let value = replace(&setting.value, &providers, &mut files).map_err(at)?;
        setting.value = value;
    }
    Ok(())
}

fn at_line(path: &Path, o: &Origin, message: String) -> ConfigError {
    ConfigError::AtLine {
        path: path.to_path_buf(),
        line: o.line,
        key: o.key.clone(),
        message,
    }
}

/// `config.providers` and each provider's `config.providers.<name>.class`.
fn declared(
    path: &Path,
    raw: &IndexMap<String, Setting>,
) -> Result<BTreeMap<String, ProviderKind>, ConfigError> {
    let mut out = BTreeMap::new();
    let Some(list) = raw.get(super::keys::CONFIG_PROVIDERS.name) else {
        return Ok(out);
    };
    for name in list
        .value
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let class_key = format!("config.providers.{name}.class");
        let Some(class) = raw.get(&class_key) else {
            let message = format!("provider `{name}` has no `{class_key}`: expected e.g. `{class_key} = org.apache.kafka.common.config.provider.FileConfigProvider`");
            return Err(match &list.origin {
                Some(o) => at_line(path, o, message),
                None => ConfigError::InFile {
                    path: path.to_path_buf(),
                    message,
                },
            });
        };
        let Some(kind) = ProviderKind::from_class(&class.value) else {
            let message = format!(
                "config provider class `{}` is not supported: strait implements FileConfigProvider, EnvVarConfigProvider and DirectoryConfigProvider",
                class.value.trim()
            );
            return Err(match &class.origin {
                Some(o) => at_line(path, o, message),
                None => ConfigError::InFile {
                    path: path.to_path_buf(),
                    message,
                },
            });
        };
        out.insert(name.to_string(), kind);
    }
    Ok(out)
}

/// Replaces the placeholders of one value (Kafka's pattern `${provider:[path:]key}`, no nesting).
fn replace(
    value: &str,
    providers: &BTreeMap<String, ProviderKind>,
    files: &mut BTreeMap<PathBuf, BTreeMap<String, String>>,
) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let body = &after[..end];
        let placeholder = &rest[start..start + 2 + end + 1];
        rest = &after[end + 1..];
        let Some((name, tail)) = body.split_once(':') else {
            out.push_str(placeholder);
            continue;
        };
        let Some(kind) = providers.get(name) else {
            out.push_str(placeholder);
            continue;
        };
        // `${p:key}` or `${p:path:key}`; the path may itself hold no `:` (Kafka's regex is lazy).
        let (file, key) = match tail.split_once(':') {
            Some((p, k)) => (Some(p), k),
            None => (None, tail),
        };
        out.push_str(&lookup(*kind, name, file, key, files)?);
    }
    out.push_str(rest);
    Ok(out)
}

fn lookup(
    kind: ProviderKind,
    name: &str,
    file: Option<&str>,
    key: &str,
    files: &mut BTreeMap<PathBuf, BTreeMap<String, String>>,
) -> Result<String, String> {
    match kind {
        ProviderKind::Env => {
            let var = match file {
                Some(f) if !f.is_empty() => format!("{f}:{key}"),
                _ => key.to_string(),
            };
            std::env::var(&var).map_err(|_| {
                format!("config provider `{name}` (environment): variable `{var}` is not set")
            })
        }
        ProviderKind::File => {
            let Some(file) = file.filter(|f| !f.is_empty()) else {
                return Err(format!(
                    "config provider `{name}` (file) needs `${{{name}:/path/to/file.properties:key}}`"
                ));
            };
            let path = PathBuf::from(file);
            if !files.contains_key(&path) {
                let entries = properties::read(&path)
                    .map_err(|e| format!("config provider `{name}`: {e}"))?;
                let map = entries.into_iter().map(|e| (e.key, e.value)).collect();
                files.insert(path.clone(), map);
            }
            files[&path]
                .get(key)
                .cloned()
                .ok_or_else(|| format!("config provider `{name}`: {file} has no key `{key}`"))
        }
        ProviderKind::Directory => {
            let Some(dir) = file.filter(|f| !f.is_empty()) else {
                return Err(format!(
                    "config provider `{name}` (directory) needs `${{{name}:/dir:file}}`"
                ));
            };
            let p = Path::new(dir).join(key);
            std::fs::read_to_string(&p)
                .map_err(|e| format!("config provider `{name}`: cannot read {}: {e}", p.display()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> IndexMap<String, Setting> {
        pairs
            .iter()
            .enumerate()
            .map(|(i, (k, v))| {
                (
                    k.to_string(),
                    Setting {
                        value: v.to_string(),
                        origin: Some(Origin {
                            file: "mm2.properties".into(),
                            line: i + 1,
                            key: k.to_string(),
                        }),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn file_and_env_placeholders_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = dir.path().join("secrets.properties");
        std::fs::write(&secrets, "truststore.password = s3cr=t\\:x\n").unwrap();
        std::env::set_var("STRAIT_PROVIDER_TEST_PW", "from-env");
        let f = secrets.display().to_string();
        let mut m = raw(&[
            ("config.providers", "file, env"),
            (
                "config.providers.file.class",
                "org.apache.kafka.common.config.provider.FileConfigProvider",
            ),
            (
                "config.providers.env.class",
                "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
            ),
            (
                "a.ssl.truststore.password",
                &format!("${{file:{f}:truststore.password}}"),
            ),
            (
                "a.sasl.jaas.config",
                "x password=\"${env:STRAIT_PROVIDER_TEST_PW}\";",
            ),
            ("b.untouched", "${vault:secret/x:y}"),
        ]);
        substitute(Path::new("mm2.properties"), &mut m).unwrap();
        assert_eq!(m["a.ssl.truststore.password"].value, "s3cr=t:x");
        assert_eq!(m["a.sasl.jaas.config"].value, "x password=\"from-env\";");
        assert_eq!(m["b.untouched"].value, "${vault:secret/x:y}");
    }

    #[test]
    fn missing_key_names_the_line_but_not_a_value() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = dir.path().join("s.properties");
        std::fs::write(&secrets, "other = hunter2\n").unwrap();
        let mut m = raw(&[
            ("config.providers", "file"),
            (
                "config.providers.file.class",
                "org.apache.kafka.common.config.provider.FileConfigProvider",
            ),
            (
                "a.ssl.key.password",
                &format!("${{file:{}:missing}}", secrets.display()),
            ),
        ]);
        let e = substitute(Path::new("mm2.properties"), &mut m)
            .unwrap_err()
            .to_string();
        assert!(e.contains("mm2.properties:3: `a.ssl.key.password`"), "{e}");
        assert!(e.contains("has no key `missing`"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn unknown_provider_class_is_an_error() {
        let mut m = raw(&[
            ("config.providers", "vault"),
            ("config.providers.vault.class", "com.example.VaultProvider"),
        ]);
        let e = substitute(Path::new("mm2.properties"), &mut m)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not supported"), "{e}");
    }
}
