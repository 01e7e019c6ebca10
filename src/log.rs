//! Log lines in redis-server's shape: `pid:role dd Mon yyyy hh:mm:ss.mmm level message`.
//!
//! Levels and the log file arrive with the configuration issue; until then
//! everything at notice and above goes to stdout.

use std::io::Write;

fn write(level: char, msg: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let line = format!(
        "{}:M {} {} {}\n",
        std::process::id(),
        timestamp(now.as_secs() as i64, now.subsec_millis()),
        level,
        msg
    );
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
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
    let _ = msg;
}

pub fn verbose(msg: &str) {
    let _ = msg;
}

pub fn notice(msg: &str) {
    write('*', msg);
}

pub fn warning(msg: &str) {
    write('#', msg);
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
