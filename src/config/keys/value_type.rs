//! How a key's value is read: the types of Kafka's `ConfigDef` that MM2's keys use, with the
//! ranges strait accepts. The one parser of each type lives here, so a written value and a row's
//! default are read the same way, by `resolve` and by `security` alike.

/// The type of a key's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ValueType {
    /// Kafka BOOLEAN: `true` or `false`, trimmed, any case.
    Boolean,
    /// Kafka INT, LONG or SHORT within a range.
    Int(Range),
    /// A duration in milliseconds (a LONG or INT within a range).
    Millis(Range),
    /// A duration in seconds; a negative value switches the job off (as MM2 does not schedule it).
    Seconds,
    /// A DOUBLE from `min` to `max`.
    Fraction {
        /// Smallest accepted value.
        min: f64,
        /// Largest accepted value.
        max: f64,
    },
    /// One of these words (trimmed, any case).
    Choice(&'static [&'static str]),
    /// A comma-separated LIST.
    List,
    /// A LIST of full-match regexes.
    Regexes,
    /// A Java class name (strait accepts only the ones it implements).
    Class,
    /// Free text.
    Text,
    /// A PASSWORD: never shown in messages or logs.
    Password,
    /// A LIST of `host:port`.
    HostPorts,
    /// A topic name.
    TopicName,
    /// Any value (keys without effect are not read).
    Any,
}

/// Accepted ranges of integer settings, with the wording used in errors and the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Range {
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
    /// True when `v` is in the range.
    pub(crate) fn contains(self, v: i64) -> bool {
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

    /// What an error says was expected.
    pub(crate) fn expected(self) -> &'static str {
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

impl ValueType {
    /// An integer value (INT, milliseconds or seconds) as `ConfigDef` reads it (trimmed), or what
    /// was expected.
    pub(crate) fn int(self, value: &str) -> Result<i64, String> {
        let range = match self {
            ValueType::Int(r) | ValueType::Millis(r) => r,
            ValueType::Seconds => Range::Any,
            other => return Err(format!("(internal) {other:?} is not an integer type")),
        };
        match value.trim().parse::<i64>() {
            Ok(v) if range.contains(v) => Ok(v),
            _ => Err(match self {
                ValueType::Millis(r) => format!("milliseconds, {}", r.expected()),
                ValueType::Seconds => "a number of seconds".to_string(),
                _ => range.expected().to_string(),
            }),
        }
    }

    /// A Kafka BOOLEAN (strict, trimmed, any case), or what was expected.
    pub(crate) fn boolean(value: &str) -> Result<bool, String> {
        let v = value.trim();
        if v.eq_ignore_ascii_case("true") {
            Ok(true)
        } else if v.eq_ignore_ascii_case("false") {
            Ok(false)
        } else {
            Err("`true` or `false`".to_string())
        }
    }

    /// The choice `value` names (trimmed, any case), as spelt in the row, or what was expected.
    pub(crate) fn choice(self, value: &str) -> Result<&'static str, String> {
        let ValueType::Choice(words) = self else {
            return Err(format!("(internal) {self:?} is not a choice"));
        };
        let v = value.trim();
        words
            .iter()
            .find(|w| w.eq_ignore_ascii_case(v))
            .copied()
            .ok_or_else(|| one_of(words))
    }

    /// A DOUBLE within the row's bounds, or what was expected.
    pub(crate) fn fraction(self, value: &str) -> Result<f64, String> {
        let ValueType::Fraction { min, max } = self else {
            return Err(format!("(internal) {self:?} is not a fraction"));
        };
        match value.trim().parse::<f64>() {
            Ok(f) if (min..=max).contains(&f) => Ok(f),
            _ => Err(format!("a number from {min} to {max}")),
        }
    }

    /// The type as the reference names it.
    pub(crate) fn describe(self) -> String {
        match self {
            ValueType::Boolean => "boolean".into(),
            ValueType::Int(r) => r.expected().into(),
            ValueType::Millis(r) => format!("ms: {}", r.expected()),
            ValueType::Seconds => "seconds (negative: off)".into(),
            ValueType::Fraction { min, max } => format!("number from {min} to {max}"),
            ValueType::Choice(words) => one_of(words),
            ValueType::List => "list".into(),
            ValueType::Regexes => "list of regexes".into(),
            ValueType::Class => "class".into(),
            ValueType::Text => "string".into(),
            ValueType::Password => "password".into(),
            ValueType::HostPorts => "list of host:port".into(),
            ValueType::TopicName => "topic name".into(),
            ValueType::Any => "any".into(),
        }
    }
}

/// "`a`, `b` or `c`".
fn one_of(words: &[&str]) -> String {
    let quoted: Vec<String> = words
        .iter()
        .map(|w| match w {
            &"" => "empty".to_string(),
            w => format!("`{w}`"),
        })
        .collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}
