//! Reading one value the way Kafka's `ConfigDef` reads it (booleans, integers within a range,
//! milliseconds), with errors that name the line, the key and what was expected.

use super::*;

/// Java `Boolean.parseBoolean` after trimming: `true` in any case is true, anything else false.
pub(super) fn parse_boolean_lenient(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("true")
}

/// Kafka `ConfigDef` BOOLEAN: trimmed `true`/`false` in any case, anything else is invalid.
pub(super) fn parse_boolean_strict(value: &str) -> Option<bool> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("true") {
        Some(true)
    } else if v.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Characters Kafka allows in topic names.
pub(super) fn is_topic_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-'
}

impl Ctx<'_> {
    /// A Kafka INT/LONG/SHORT value (trimmed, as `ConfigDef` does) within `range`.
    pub(super) fn int(
        &self,
        setting: Option<&Setting>,
        what: &str,
        default: i64,
        range: Range,
    ) -> Result<i64, ConfigError> {
        let Some(s) = setting else {
            return Ok(default);
        };
        match s.value.trim().parse::<i64>() {
            Ok(v) if range.contains(v) => Ok(v),
            _ => Err(self.invalid(s, what, range.expected())),
        }
    }

    /// A duration given in milliseconds.
    pub(super) fn millis(
        &self,
        setting: Option<&Setting>,
        what: &str,
        default: i64,
        range: Range,
    ) -> Result<Duration, ConfigError> {
        let v = self.int(setting, what, default, range)?;
        Ok(Duration::from_millis(u64::try_from(v).unwrap_or(0)))
    }

    /// A Kafka BOOLEAN (strict, trimmed, any case).
    pub(super) fn boolean(
        &self,
        setting: Option<&Setting>,
        what: &str,
        default: bool,
    ) -> Result<bool, ConfigError> {
        match setting {
            None => Ok(default),
            Some(s) => parse_boolean_strict(&s.value)
                .ok_or_else(|| self.invalid(s, what, "`true` or `false`")),
        }
    }
}

/// Accepted ranges of integer settings, with the wording used in errors.
#[derive(Debug, Clone, Copy)]
pub(super) enum Range {
    /// Kafka INT `atLeast(0)`.
    Int,
    /// Kafka LONG `atLeast(0)`.
    Long,
    /// LONG >= 1.
    PositiveLong,
    /// INT >= 1.
    Positive,
    /// Any LONG (negative has a meaning).
    Any,
    /// -1 (broker default) or 1..=32767.
    ReplicationFactor,
    /// -1 (broker default) or 1..=i32::MAX.
    PartitionCount,
}

impl Range {
    pub(super) fn contains(self, v: i64) -> bool {
        match self {
            Range::Int => (0..=i64::from(i32::MAX)).contains(&v),
            Range::Long => v >= 0,
            Range::PositiveLong => v >= 1,
            Range::Positive => (1..=i64::from(i32::MAX)).contains(&v),
            Range::Any => true,
            Range::ReplicationFactor => v == -1 || (1..=i64::from(i16::MAX)).contains(&v),
            Range::PartitionCount => v == -1 || (1..=i64::from(i32::MAX)).contains(&v),
        }
    }

    pub(super) fn expected(self) -> &'static str {
        match self {
            Range::Int => "an integer from 0 to 2147483647",
            Range::Long => "an integer >= 0",
            Range::PositiveLong => "an integer >= 1",
            Range::Positive => "an integer from 1 to 2147483647",
            Range::Any => "an integer",
            Range::ReplicationFactor => "-1 (broker default) or an integer from 1 to 32767",
            Range::PartitionCount => "-1 (broker default) or an integer >= 1",
        }
    }
}
