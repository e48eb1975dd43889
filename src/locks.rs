//! [`lock`]: the one way strait locks a `std::sync::Mutex`. A leaf module, usable from every layer.

use std::sync::{Mutex, MutexGuard};

/// Locks a std mutex, ignoring poisoning: every mutex in strait guards data that stays
/// consistent even if a holder panicked (each critical section is a single map or field update),
/// so a panic elsewhere must not turn every later lock into a second panic.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
