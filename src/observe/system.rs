//! What INFO asks of the operating system and the allocator: memory, CPU
//! time, the host's name and memory.

use crate::alloc;

/// Bytes the server has allocated (Redis's `used_memory`); the resident
/// size where the counting allocator is not installed.
pub fn used_memory() -> u64 {
    match alloc::allocated() {
        0 => rss(),
        n => n,
    }
}

/// Resident set size in bytes, from /proc/self/statm.
pub fn rss() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    pages * page_size()
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).unwrap_or(4096)
}

pub fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    u64::try_from(pages).unwrap_or(0) * page_size()
}

/// (system, user) CPU seconds of `who` (RUSAGE_SELF, _CHILDREN, _THREAD).
pub fn cpu_seconds(who: libc::c_int) -> (f64, f64) {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(who, &mut usage) != 0 {
            return (0.0, 0.0);
        }
        usage
    };
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (secs(usage.ru_stime), secs(usage.ru_utime))
}

/// `uname -s -r -m`, as INFO's `os` field.
pub fn os_name() -> String {
    // SAFETY: uname fills the zeroed struct it is given; its fields are NUL-terminated.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return std::env::consts::OS.to_string();
        }
        let field = |f: &[libc::c_char]| {
            std::ffi::CStr::from_ptr(f.as_ptr())
                .to_string_lossy()
                .into_owned()
        };
        format!(
            "{} {} {}",
            field(&u.sysname),
            field(&u.release),
            field(&u.machine)
        )
    }
}

/// Redis's `bytesToHuman`: B, K, M, G, T, P with two decimals.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["K", "M", "G", "T", "P"];
    if n < 1024 {
        return format!("{n}B");
    }
    let (mut value, mut unit) = (n as f64 / 1024.0, 0);
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2}{}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_follows_redis() {
        assert_eq!(human_bytes(0), "0B");
        assert_eq!(human_bytes(941_120), "919.06K");
        assert_eq!(human_bytes(6_590_464), "6.29M");
        assert_eq!(human_bytes(25_276_502_016), "23.54G");
    }

    #[test]
    fn the_os_reports_resident_memory() {
        assert!(rss() > 0);
        assert!(total_system_memory() > 0);
    }
}
