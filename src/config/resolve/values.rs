//! Reading one value of a resolved map by its row of the key table: the row gives the name, the
//! type (how the value is parsed and what an error says was expected) and the default, so no
//! reader spells out a key's default or range itself.

use super::*;
use crate::config::keys::{Key, ValueType};

/// Java `Boolean.parseBoolean` after trimming: `true` in any case is true, anything else false.
pub(super) fn parse_boolean_lenient(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("true")
}

/// Characters Kafka allows in topic names.
pub(super) fn is_topic_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-'
}

impl Ctx<'_> {
    /// Reads `key` with `parse`; an error names the line and what was expected. A default that does
    /// not parse is a defect of the table (its test reads every default).
    fn read<T>(
        &self,
        props: &Props,
        key: &Key,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        let (setting, text) = key.value_in(props);
        let Some(text) = text else {
            return Ok(None);
        };
        parse(&text).map(Some).map_err(|expected| match setting {
            Some(s) => self.invalid(s, key.name, &expected),
            None => self.in_file(format!(
                "internal default of `{}` is invalid: expected {expected}",
                key.name
            )),
        })
    }

    /// An integer key (INT, LONG, seconds) within its row's range.
    pub(super) fn int(&self, props: &Props, key: &Key) -> Result<i64, ConfigError> {
        self.read(props, key, |v| key.ty.int(v))?
            .ok_or_else(|| self.in_file(format!("(internal) `{}` has no default", key.name)))
    }

    /// A duration key given in milliseconds.
    pub(super) fn millis(&self, props: &Props, key: &Key) -> Result<Duration, ConfigError> {
        let v = self.int(props, key)?;
        Ok(Duration::from_millis(u64::try_from(v).unwrap_or(0)))
    }

    /// A Kafka BOOLEAN key (strict, trimmed, any case).
    pub(super) fn boolean(&self, props: &Props, key: &Key) -> Result<bool, ConfigError> {
        debug_assert_eq!(key.ty, ValueType::Boolean, "{}", key.name);
        self.read(props, key, ValueType::boolean)?
            .ok_or_else(|| self.in_file(format!("(internal) `{}` has no default", key.name)))
    }

    /// A choice key: the word chosen, as the row spells it (None when unset without a default).
    pub(super) fn choice(
        &self,
        props: &Props,
        key: &Key,
    ) -> Result<Option<&'static str>, ConfigError> {
        self.read(props, key, |v| key.ty.choice(v))
    }
}
