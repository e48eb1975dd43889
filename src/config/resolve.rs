//! (being written)
use super::*;
pub(super) fn load(path: &Path) -> Result<Mm2Config, ConfigError> { let _ = path; unimplemented!("config::resolve::load") }
pub(super) fn flows_for(c: &Mm2Config, targets: &[String]) -> Result<Vec<FlowConfig>, ConfigError> { let _ = (c, targets); unimplemented!("config::resolve::flows_for") }
