//! What each flow is doing, for whoever asks (Connect mode's REST API serves it as connector and
//! task states). A side sink like the metrics: the flow writes its state at the few points where
//! it changes, readers take a copy; nothing here can block replication. A flow whose cluster
//! cannot be reached is FAILED with the reason while it retries, never RUNNING with nothing
//! running (MM2's most reported status bug).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::locks::lock;

/// A flow's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowState {
    /// Started, not replicating yet (opening its progress, first discovery).
    Starting,
    /// Its tasks run and the last topic discovery worked.
    Running,
    /// It cannot work now and retries: `trace` says why, naming the cluster.
    Failed {
        /// What failed, with its causes.
        trace: String,
    },
    /// It stopped (shutdown, or an error it could not retry).
    Stopped,
}

/// Every flow's state by `S->T` label; cheap to clone and share.
#[derive(Debug, Clone, Default)]
pub struct StatusBoard(Arc<Mutex<BTreeMap<String, FlowState>>>);

impl StatusBoard {
    /// Records `state` for `flow`.
    pub(crate) fn set(&self, flow: &str, state: FlowState) {
        lock(&self.0).insert(flow.to_string(), state);
    }

    /// The state of `flow`, if it reported one.
    pub fn get(&self, flow: &str) -> Option<FlowState> {
        lock(&self.0).get(flow).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_state_wins_and_clones_share_it() {
        let board = StatusBoard::default();
        let reader = board.clone();
        assert_eq!(reader.get("a->b"), None);
        board.set("a->b", FlowState::Starting);
        board.set(
            "a->b",
            FlowState::Failed {
                trace: "source cluster a: unreachable".into(),
            },
        );
        assert!(matches!(reader.get("a->b"), Some(FlowState::Failed { .. })));
        board.set("a->b", FlowState::Running);
        assert_eq!(reader.get("a->b"), Some(FlowState::Running));
    }
}
