//! MM2's include/exclude regex lists (`topics`, `topics.exclude`, `groups`, ...): Connect LIST
//! parsing, then a full-match of the `|`-joined patterns.

/// Placeholder until the filter lands.
#[derive(Debug, Clone)]
pub struct TopicFilter;
