//! The clock commands are timed with: cheap enough to read twice per command.
//!
//! Where the kernel itself trusts the CPU's time-stamp counter (its
//! clocksource is `tsc`), reading it costs a single instruction, against a
//! vDSO `clock_gettime` call for `Instant`; elsewhere ticks are nanoseconds
//! from `Instant`. Ticks become nanoseconds with a rate measured once against
//! `Instant` at start, applied as a 32.32 fixed-point multiply.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct Clock {
    origin: Instant,
    tsc: bool,
    /// Nanoseconds per tick, times 2^32.
    ns_per_tick_q32: u64,
}

static CLOCK: OnceLock<Clock> = OnceLock::new();

impl Clock {
    /// The process clock, calibrated on first use (a few milliseconds, once).
    pub fn get() -> &'static Clock {
        CLOCK.get_or_init(Clock::calibrate)
    }

    fn calibrate() -> Clock {
        let origin = Instant::now();
        if !kernel_trusts_tsc() {
            return Clock {
                origin,
                tsc: false,
                ns_per_tick_q32: 1 << 32,
            };
        }
        let t0 = read_tsc();
        while origin.elapsed() < Duration::from_millis(5) {
            std::hint::spin_loop();
        }
        let (t1, elapsed) = (read_tsc(), origin.elapsed());
        let ticks = t1.saturating_sub(t0).max(1);
        Clock {
            origin,
            tsc: true,
            ns_per_tick_q32: ((elapsed.as_nanos() << 32) / u128::from(ticks)) as u64,
        }
    }

    #[inline]
    pub fn ticks(&self) -> u64 {
        if self.tsc {
            read_tsc()
        } else {
            self.origin.elapsed().as_nanos() as u64
        }
    }

    /// Nanoseconds between two readings (0 if the counter went backwards).
    #[inline]
    pub fn ns_between(&self, start: u64, end: u64) -> u64 {
        let ticks = u128::from(end.saturating_sub(start));
        ((ticks * u128::from(self.ns_per_tick_q32)) >> 32) as u64
    }

    /// What INFO's `monotonic_clock` says, in Redis's words.
    pub fn describe(&self) -> String {
        if self.tsc {
            let ticks_per_us = (1000u128 << 32) / u128::from(self.ns_per_tick_q32.max(1));
            format!("X86 TSC @ {ticks_per_us} ticks/us")
        } else {
            "POSIX clock_gettime".into()
        }
    }
}

fn kernel_trusts_tsc() -> bool {
    cfg!(target_arch = "x86_64")
        && std::fs::read_to_string(
            "/sys/devices/system/clocksource/clocksource0/current_clocksource",
        )
        .is_ok_and(|s| s.trim() == "tsc")
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn read_tsc() -> u64 {
    // SAFETY: RDTSC has no preconditions; it is only used where the kernel
    // chose the TSC as its own clocksource, so it is invariant across cores.
    unsafe { core::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn read_tsc() -> u64 {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_sleep_within_a_few_percent() {
        let clock = Clock::get();
        let (start, wall) = (clock.ticks(), std::time::Instant::now());
        std::thread::sleep(Duration::from_millis(20));
        let ns = clock.ns_between(start, clock.ticks());
        // Compared with the OS clock over the same interval, however long
        // a loaded machine made the sleep.
        let expected = wall.elapsed().as_nanos() as u64;
        assert!(expected >= 20_000_000);
        assert!(
            ns.abs_diff(expected) < expected / 20 + 1_000_000,
            "{ns} vs {expected}"
        );
    }
}
