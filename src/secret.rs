//! [`Secret`]: a password, key, token or JAAS option value. It sits below every layer (the config
//! reader, the security loaders and the wire layer's SASL exchange all hold secrets) and imports
//! nothing of the crate.

/// A secret value. `Debug` prints `<redacted>`; there is no `Display`, so the value can reach a
/// log or error only through an explicit [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The value, for the one place that must use it (a store decryption, a SASL exchange).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}
