//! Log lines in redis-server's shape: `pid:role dd Mon yyyy hh:mm:ss.mmm level message`.
//!
//! The level (`loglevel`) gates what is written, the level character is
//! Redis's (`.` debug, `-` verbose, `*` notice, `#` warning), and lines go to
//! `logfile` or standard output. The role is `C` until the configuration is
//! loaded and `M` (master) after, as Redis marks its start-up lines.

use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

use parking_lot::Mutex;

const DEBUG: u8 = 0;
const VERBOSE: u8 = 1;
const NOTICE: u8 = 2;
const WARNING: u8 = 3;
const NOTHING: u8 = 4;

static LEVEL: AtomicU8 = AtomicU8::new(NOTICE);
static ROLE: AtomicU8 = AtomicU8::new(b'C');
static FILE: Mutex<Option<File>> = Mutex::new(None);

/// Sets the level from its `loglevel` name (unknown names leave it).
pub fn set_level(name: &str) {
    let level = match name {
        "debug" => DEBUG,
        "verbose" => VERBOSE,
        "notice" => NOTICE,
        "warning" => WARNING,
        "nothing" => NOTHING,
        _ => return,
    };
    LEVEL.store(level, Ordering::Relaxed);
}

/// Sends lines to `path` (appending) instead of standard output.
pub fn open_file(path: &str) -> std::io::Result<()> {
    let file = File::options().create(true).append(true).open(path)?;
    *FILE.lock() = Some(file);
    Ok(())
}

/// Marks the lines that follow as the master's (`M`), once start-up is done.
pub fn set_role_master() {
    ROLE.store(b'M', Ordering::Relaxed);
}

fn write(level: u8, msg: &str) {
    if level < LEVEL.load(Ordering::Relaxed) {
        return;
    }
    emit(&line(level, msg));
}

/// Writes `text` as it is, without the line prefix, at notice level (the
/// start-up banner, as Redis writes its logo).
pub fn raw_notice(text: &str) {
    if NOTICE >= LEVEL.load(Ordering::Relaxed) {
        emit(text);
    }
}

fn line(level: u8, msg: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "{}:{} {} {} {}\n",
        std::process::id(),
        ROLE.load(Ordering::Relaxed) as char,
        timestamp(now.as_secs() as i64, now.subsec_millis()),
        b".-*#"[level as usize] as char,
        msg
    )
}

/// Sends finished text to the log file or standard output.
fn emit(line: &str) {
    match FILE.lock().as_mut() {
        Some(file) => {
            let _ = file.write_all(line.as_bytes());
        }
        None => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(line.as_bytes());
            let _ = out.flush();
        }
    }
}

/// `25 Nov 2026 02:42:32.123` in UTC, from a unix time.
fn timestamp(secs: i64, millis: u32) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        day,
        MONTHS[(month - 1) as usize],
        year,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        millis
    )
}

pub fn debug(msg: &str) {
    write(DEBUG, msg);
}

pub fn verbose(msg: &str) {
    write(VERBOSE, msg);
}

pub fn notice(msg: &str) {
    write(NOTICE, msg);
}

pub fn warning(msg: &str) {
    write(WARNING, msg);
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_read_like_redis_logs() {
        assert_eq!(
            super::timestamp(1_795_574_552, 7),
            "25 Nov 2026 02:42:32.007"
        );
        assert_eq!(super::timestamp(951_782_400, 0), "29 Feb 2000 00:00:00.000");
    }
}
