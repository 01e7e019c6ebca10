//! Observability: what INFO, SLOWLOG and LATENCY report, and the hooks
//! that feed them.
//!
//! The dispatcher calls [`start`] before and reads [`Started::elapsed_ns`]
//! after every command: one cheap clock read each, per-thread counters (see
//! [`counters`]), and the slow log and latency monitor only for commands
//! over their [`Thresholds`]. Everything here takes plain values, so this
//! layer knows nothing of commands, clients or the server.

pub mod clock;
pub mod counters;
pub mod histogram;
pub mod latency;
pub mod metrics;
pub mod slowlog;
pub mod system;

use clock::Clock;
use counters::Counters;
use latency::LatencyMonitor;

/// When a command started, and the clock that says so.
pub struct Started {
    clock: &'static Clock,
    ticks: u64,
}

#[inline]
pub fn start() -> Started {
    let clock = Clock::get();
    Started {
        clock,
        ticks: clock.ticks(),
    }
}

impl Started {
    /// Nanoseconds since the start.
    #[inline]
    pub fn elapsed_ns(&self) -> u64 {
        self.clock.ns_between(self.ticks, self.clock.ticks())
    }
}

/// The thresholds of the slow log and the latency monitor, as configured.
#[derive(Clone, Copy)]
pub struct Thresholds {
    /// `slowlog-log-slower-than` in µs; negative: off.
    pub slowlog_us: i64,
    /// `latency-monitor-threshold` in ms; 0: off.
    pub latency_ms: u64,
}

impl Thresholds {
    /// Whether a command that took `ns` belongs in the slow log.
    #[inline]
    pub fn slow(&self, ns: u64) -> bool {
        // Compared in ns, so fast commands do no division.
        self.slowlog_us >= 0 && ns >= (self.slowlog_us as u64).saturating_mul(1000)
    }

    /// Records a latency event for a command that took `ns`, if it is over
    /// the threshold; `fast` commands have their own event.
    #[inline]
    pub fn note_latency(&self, latency: &LatencyMonitor, ns: u64, fast: bool) {
        if self.latency_ms > 0 && ns >= self.latency_ms.saturating_mul(1_000_000) {
            let event = if fast { "fast-command" } else { "command" };
            let now = crate::util::time::now_ms() / 1000;
            latency.add(event, now, ns / 1_000_000);
        }
    }
}

/// Counts the error replies in `reply` (the bytes one command wrote) by
/// their code, the first word of the message. `errors` says how many there
/// are; an error nested in an aggregate starts a line like a top-level one.
pub fn count_errors(counters: &Counters, reply: &[u8], errors: u32) {
    let starts = (reply.first() == Some(&b'-'))
        .then_some(0)
        .into_iter()
        .chain(memchr::memmem::find_iter(reply, b"\r\n-").map(|i| i + 2));
    let mut found = 0;
    for at in starts.take(errors as usize) {
        let line = &reply[at + 1..];
        let end = memchr::memchr2(b' ', b'\r', line).unwrap_or(line.len());
        counters.error_reply(&line[..end]);
        found += 1;
    }
    for _ in found..errors {
        counters.error_reply(b"ERR");
    }
}
