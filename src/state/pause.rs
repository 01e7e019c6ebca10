//! CLIENT PAUSE: holding back clients' commands until a deadline.
//!
//! Connections check `active()` (one relaxed load) before each command; only
//! while a pause is on do they look at the command to decide whether it
//! waits (every command under ALL, writes and may-replicate commands under
//! WRITE), as Redis does.

use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};

use crate::util::time::coarse_now_ms;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum PauseMode {
    Off = 0,
    Write = 1,
    All = 2,
}

#[derive(Default)]
pub struct Pause {
    mode: AtomicU8,
    until_ms: AtomicI64,
}

impl Pause {
    pub fn active(&self) -> bool {
        self.mode.load(Ordering::Relaxed) != PauseMode::Off as u8
    }

    /// Pauses until `until_ms`; overlapping pauses keep the later end and the
    /// stricter mode, as Redis does.
    pub fn pause(&self, mode: PauseMode, until_ms: i64) {
        if self.until_ms.load(Ordering::Relaxed) <= coarse_now_ms() {
            self.unpause();
        }
        self.until_ms.fetch_max(until_ms, Ordering::Relaxed);
        self.mode.fetch_max(mode as u8, Ordering::Relaxed);
    }

    pub fn unpause(&self) {
        self.mode.store(PauseMode::Off as u8, Ordering::Relaxed);
        self.until_ms.store(0, Ordering::Relaxed);
    }

    /// Milliseconds a command must still wait, or None if it may run now;
    /// `writes` says whether it writes or may replicate.
    pub fn holds(&self, writes: bool) -> Option<i64> {
        let mode = self.mode.load(Ordering::Relaxed);
        if mode == PauseMode::Off as u8 {
            return None;
        }
        let left = self.until_ms.load(Ordering::Relaxed) - coarse_now_ms();
        if left <= 0 {
            self.unpause();
            return None;
        }
        (mode == PauseMode::All as u8 || writes).then_some(left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_pause_holds_writes_only_and_ends_by_itself() {
        let pause = Pause::default();
        let (read, write) = (false, true);
        pause.pause(PauseMode::Write, coarse_now_ms() + 10_000);
        assert!(pause.holds(read).is_none());
        assert!(pause.holds(write).is_some());
        pause.pause(PauseMode::All, coarse_now_ms() + 10_000);
        assert!(pause.holds(read).is_some());
        pause.unpause();
        assert!(pause.holds(write).is_none());
        pause.pause(PauseMode::All, coarse_now_ms() - 1);
        assert!(pause.holds(read).is_none());
        assert!(!pause.active());
    }
}
