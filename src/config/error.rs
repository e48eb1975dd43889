//! The one error type of the config layer: every variant names where in which file the problem is.

use std::path::PathBuf;

/// A problem with `mm2.properties` found at start-up. Display output names file, line, key and what
/// was expected; it never contains the value of a secret-looking key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// File that failed.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A problem tied to one line of the file.
    #[error("{path}:{line}: `{key}`: {message}")]
    AtLine {
        /// File.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// Key as written (or the raw line text for malformed lines).
        key: String,
        /// What was wrong and what was expected.
        message: String,
    },
    /// A problem with the file as a whole (e.g. `clusters` missing, no enabled flow).
    #[error("{path}: {message}")]
    InFile {
        /// File.
        path: PathBuf,
        /// What was wrong and what was expected.
        message: String,
    },
}

impl ConfigError {
    /// The key the problem is at, as written (None for a problem with the file as a whole).
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::AtLine { key, .. } if !key.is_empty() => Some(key),
            _ => None,
        }
    }

    /// The problem without its file and line, for a connector config that came in a REST request
    /// (it has no file): "`topics`: invalid regex ...".
    pub fn without_place(&self) -> String {
        match self {
            ConfigError::AtLine { key, message, .. } if key.is_empty() => message.clone(),
            ConfigError::AtLine { key, message, .. } => format!("`{key}`: {message}"),
            ConfigError::InFile { message, .. } => message.clone(),
            ConfigError::Io { .. } => self.to_string(),
        }
    }
}
