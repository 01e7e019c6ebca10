//! redis.conf's value grammar: splitting a line into words, and turning
//! the words given for a directive into its canonical value (the text
//! CONFIG GET prints), with Redis's error texts for everything refused.

use super::table::{Directive, Kind, Special, Support};
use crate::util::num::parse_i64;

/// Splits a line into words as redis.conf quotes them, which is how
/// inline commands are quoted too: double quotes with `\n \r \t \b \a
/// \\ \" \xHH` escapes, single quotes with only `\'`, and a closing
/// quote that must end the word. `None` for unbalanced quotes.
pub fn split_args(line: &str) -> Option<Vec<String>> {
    let (mut bytes, mut spans) = (Vec::new(), Vec::new());
    crate::protocol::parse::split_words(line.as_bytes(), &mut bytes, &mut spans).ok()?;
    let words = spans.iter();
    Some(
        words
            .map(|&(s, e)| String::from_utf8_lossy(&bytes[s..e]).into_owned())
            .collect(),
    )
}

/// Quotes a value so `split_args` reads it back unchanged.
pub fn quote(s: &str) -> String {
    let mut q = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                q.push('\\');
                q.push(c);
            }
            '\n' => q.push_str("\\n"),
            '\r' => q.push_str("\\r"),
            '\t' => q.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                q.push_str(&format!("\\x{:02x}", c as u32));
            }
            _ => q.push(c),
        }
    }
    q.push('"');
    q
}

pub const NOT_SUPPORTED: &str = "not supported yet by Ferrodis";

/// The canonical value of `d` given `words` (a config line's arguments, or
/// CONFIG SET's value split as Redis splits it). `current` is the value now
/// in force, which client-output-buffer-limit updates class by class.
pub fn canonical(d: &Directive, words: &[String], current: &str) -> Result<String, String> {
    let value = match d.kind {
        Kind::Special(special) => canonical_special(special, words, current)?,
        kind => {
            let [word] = words else {
                return Err("wrong number of arguments".into());
            };
            canonical_scalar(kind, word)?
        }
    };
    check_text(d.name, &value)?;
    let value = if d.name == "hz" {
        // Redis accepts any non-negative hz and runs it clamped to 1..=500.
        value
            .parse::<i64>()
            .map_or(value, |hz| hz.clamp(1, 500).to_string())
    } else {
        value
    };
    if d.support == Support::OffOnly && value != d.default {
        return Err(format!(
            "{NOT_SUPPORTED} (only '{}' is accepted)",
            d.default
        ));
    }
    Ok(value)
}

/// The string directives whose text Redis checks.
fn check_text(name: &str, value: &str) -> Result<(), String> {
    match name {
        "cluster-announce-hostname"
            if !value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') =>
        {
            Err("Hostnames may only contain alphanumeric characters, hyphens or dots".into())
        }
        "proc-title-template" if !valid_title_template(value) => {
            Err("template format is invalid or contains unknown variables".into())
        }
        _ => Ok(()),
    }
}

/// A template whose `{...}` variables are all known and that does not
/// expand to blanks when the variables that may be empty are (the title
/// among them), which is how Redis judges it.
fn valid_title_template(t: &str) -> bool {
    const MAY_BE_EMPTY: &[&str] = &["title", "server-mode", "unixsocket", "config-file"];
    const ALWAYS_SET: &[&str] = &["listen-addr", "port", "tls-port"];
    let mut expanded = String::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else {
            return false;
        };
        let var = &rest[open + 1..open + len];
        expanded.push_str(&rest[..open]);
        if ALWAYS_SET.contains(&var) {
            expanded.push('x');
        } else if !MAY_BE_EMPTY.contains(&var) {
            return false;
        }
        rest = &rest[open + len + 1..];
    }
    expanded.push_str(rest);
    !expanded.trim_matches(' ').is_empty()
}

fn canonical_scalar(kind: Kind, word: &str) -> Result<String, String> {
    match kind {
        Kind::Bool => parse_bool(word).map(|b| if b { "yes" } else { "no" }.to_string()),
        Kind::Int { min, max } => parse_int(word, min, max).map(|n| n.to_string()),
        Kind::Memory { min, max } => parse_memory(word, min, max).map(|n| n.to_string()),
        Kind::Enum(values) => values
            .iter()
            .find(|v| v.eq_ignore_ascii_case(word))
            .map(|v| v.to_string())
            .ok_or_else(|| one_of(values)),
        _ => Ok(word.to_string()),
    }
}

fn one_of(values: &[&str]) -> String {
    format!(
        "argument(s) must be one of the following: {}",
        values.join(", ")
    )
}

fn canonical_special(special: Special, words: &[String], current: &str) -> Result<String, String> {
    match special {
        Special::Bind => match words.len() {
            0 => Err("wrong number of arguments".into()),
            1..=16 => Ok(words.join(" ")),
            _ => Err("Too many bind addresses specified.".into()),
        },
        Special::Save => save_points(words),
        Special::ClientOutputBufferLimit => output_limits(words, current),
        Special::Octal => {
            let [word] = words else {
                return Err("wrong number of arguments".into());
            };
            let mode = u32::from_str_radix(word, 8)
                .map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
            if mode > 0o777 {
                return Err("argument must be between 0 and 777 inclusive".into());
            }
            Ok(format!("{mode:o}"))
        }
        Special::NotifyKeyspaceEvents => {
            let flags = words.concat();
            match flags.chars().all(|c| "Ag$lshzxeKEtmdn".contains(c)) {
                true => Ok(flags),
                false => Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
            }
        }
        Special::OomScoreAdjValues => {
            if words.len() != 3 {
                return Err("wrong number of arguments".into());
            }
            let bad = "Invalid oom-score-adj-values, elements must be between -2000 and 2000.";
            words
                .iter()
                .map(|w| parse_int(w, -2000, 2000).map_err(|_| bad.to_string()))
                .collect::<Result<Vec<_>, _>>()
                .map(|v| join(&v))
        }
        Special::Percentiles => percentiles(words),
        Special::Replicaof => match words {
            [no, one] if no.eq_ignore_ascii_case("no") && one.eq_ignore_ascii_case("one") => {
                Ok(String::new())
            }
            [host, port] => Ok(format!("{host} {port}")),
            _ => Err("wrong number of arguments".into()),
        },
        Special::Dir => {
            let [path] = words else {
                return Err("wrong number of arguments".into());
            };
            match std::fs::metadata(path) {
                Ok(m) if m.is_dir() => Ok(path.clone()),
                Ok(_) => Err(strerror(libc::ENOTDIR)),
                Err(e) => Err(strerror(e.raw_os_error().unwrap_or(libc::ENOENT))),
            }
        }
        Special::ShutdownFlags => shutdown_flags(words),
        Special::MemoryOrPercent => {
            let [word] = words else {
                return Err("wrong number of arguments".into());
            };
            let bad = |_| "argument must be a memory or percent value".to_string();
            match word.strip_suffix('%') {
                Some(pct) => parse_int(pct, 1, 100).map(|p| format!("{p}%")).map_err(bad),
                None => parse_memory(word, 0, i64::MAX)
                    .map(|n| n.to_string())
                    .map_err(bad),
            }
        }
        Special::FileOnly => Err(NOT_SUPPORTED.into()),
    }
}

fn join<T: ToString>(values: &[T]) -> String {
    values
        .iter()
        .map(T::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The C library's text for an errno, as Redis prints it.
fn strerror(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

fn save_points(words: &[String]) -> Result<String, String> {
    if words.iter().all(|w| w.is_empty()) {
        return Ok(String::new());
    }
    let bad = || "Invalid save parameters".to_string();
    if !words.len().is_multiple_of(2) {
        return Err(bad());
    }
    let points = words
        .iter()
        .map(|w| parse_int(w, 0, i64::MAX).map_err(|_| bad()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(join(&points))
}

/// `normal|replica|slave|pubsub hard soft seconds` groups, merged into the
/// limits now in force (classes not named keep theirs).
fn output_limits(words: &[String], current: &str) -> Result<String, String> {
    if words.is_empty() {
        return Ok(current.to_string());
    }
    if !words.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut limits: Vec<String> = current.split(' ').map(str::to_string).collect();
    for group in words.chunks(4) {
        let slot = match group[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into());
            }
        };
        let bad = || "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        let hard = parse_memory(&group[1], 0, i64::MAX).map_err(|_| bad())?;
        let soft = parse_memory(&group[2], 0, i64::MAX).map_err(|_| bad())?;
        let secs = parse_int(&group[3], 0, i64::MAX).map_err(|_| bad())?;
        limits.splice(
            slot * 4 + 1..slot * 4 + 4,
            [hard.to_string(), soft.to_string(), secs.to_string()],
        );
    }
    Ok(limits.join(" "))
}

fn percentiles(words: &[String]) -> Result<String, String> {
    let mut values = Vec::new();
    for w in words.iter().filter(|w| !w.is_empty()) {
        let v: f64 = w
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
        if !(0.0..=100.0).contains(&v) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .into(),
            );
        }
        values.push(v);
    }
    Ok(join(&values))
}

const SHUTDOWN_FLAGS: &[&str] = &["default", "save", "nosave", "now", "force"];

fn shutdown_flags(words: &[String]) -> Result<String, String> {
    if words.is_empty() {
        return Err(one_of(SHUTDOWN_FLAGS));
    }
    let mut set = [false; 5];
    for w in words {
        let i = SHUTDOWN_FLAGS
            .iter()
            .position(|f| f.eq_ignore_ascii_case(w))
            .ok_or_else(|| one_of(SHUTDOWN_FLAGS))?;
        set[i] = true;
    }
    let named: Vec<&str> = (1..5)
        .filter(|&i| set[i])
        .map(|i| SHUTDOWN_FLAGS[i])
        .collect();
    Ok(if named.is_empty() {
        "default".into()
    } else {
        named.join(" ")
    })
}

pub fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

fn in_range(n: i64, min: i64, max: i64) -> Result<i64, String> {
    match (min..=max).contains(&n) {
        true => Ok(n),
        false => Err(range_error(min, max)),
    }
}

fn range_error(min: i64, max: i64) -> String {
    format!("argument must be between {min} and {max} inclusive")
}

/// An integer as Redis's string2ll reads it (no `+`, spaces or leading zeros).
pub fn parse_int(v: &str, min: i64, max: i64) -> Result<i64, String> {
    let n = parse_i64(v.as_bytes())
        .ok_or_else(|| "argument couldn't be parsed into an integer".to_string())?;
    in_range(n, min, max)
}

/// Memory amounts: bytes, or with k/kb/m/mb/g/gb units (case-insensitive;
/// k = 1000, kb = 1024).
pub fn parse_memory(v: &str, min: i64, max: i64) -> Result<i64, String> {
    let bad = || "argument must be a memory value".to_string();
    let lower = v.to_ascii_lowercase();
    const UNITS: &[(&str, u64)] = &[
        ("kb", 1024),
        ("mb", 1 << 20),
        ("gb", 1 << 30),
        ("k", 1000),
        ("m", 1_000_000),
        ("g", 1_000_000_000),
        ("b", 1),
    ];
    let (digits, mul) = UNITS
        .iter()
        .find_map(|(u, m)| lower.strip_suffix(u).map(|d| (d, *m)))
        .unwrap_or((lower.as_str(), 1));
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    // As in Redis, no digits at all ("", "kb") is zero, and an amount too
    // large for 64 bits is out of range rather than malformed.
    let n: u64 = if digits.is_empty() {
        0
    } else {
        digits.parse().unwrap_or(u64::MAX)
    };
    match i64::try_from(n.saturating_mul(mul)) {
        Ok(bytes) => in_range(bytes, min, max),
        Err(_) => Err(range_error(min, max)),
    }
}

/// Bytes as CONFIG REWRITE writes them: the largest of gb/mb/kb dividing exactly.
pub fn memory_human(bytes: i64) -> String {
    for (unit, size) in [("gb", 1i64 << 30), ("mb", 1 << 20), ("kb", 1 << 10)] {
        if bytes != 0 && bytes % size == 0 {
            return format!("{}{unit}", bytes / size);
        }
    }
    bytes.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Option<Vec<String>> {
        split_args(s)
    }

    #[test]
    fn quoting_follows_redis_conf() {
        assert_eq!(split("a  b\tc").unwrap(), ["a", "b", "c"]);
        assert_eq!(split(r#"x "a b" 'c d'"#).unwrap(), ["x", "a b", "c d"]);
        assert_eq!(split(r#""\x41\n\"" 'it\'s'"#).unwrap(), ["A\n\"", "it's"]);
        assert_eq!(split(r#"x """#).unwrap(), ["x", ""]);
        assert_eq!(split(r#"a"b c""#).unwrap(), ["ab c"]);
        assert!(split(r#"x "a"#).is_none());
        assert!(split("x 'a").is_none());
        assert!(split(r#"x "a"b"#).is_none());
    }

    #[test]
    fn quote_round_trips() {
        for s in ["", "a b", "q\"\\", "\n\t\x01"] {
            assert_eq!(split(&quote(s)).unwrap(), [s]);
        }
    }

    #[test]
    fn memory_units_follow_redis() {
        assert_eq!(parse_memory("1k", 0, i64::MAX), Ok(1000));
        assert_eq!(parse_memory("1kb", 0, i64::MAX), Ok(1024));
        assert_eq!(parse_memory("512MB", 0, i64::MAX), Ok(512 << 20));
        assert_eq!(parse_memory("2Gb", 0, i64::MAX), Ok(2 << 30));
        assert!(parse_memory("12x", 0, i64::MAX).is_err());
        assert!(parse_memory("-1", 0, i64::MAX).is_err());
        assert_eq!(parse_memory("kb", 0, i64::MAX), Ok(0));
        assert_eq!(parse_memory("", 0, i64::MAX), Ok(0));
        assert_eq!(
            parse_memory("99999999999gb", 0, i64::MAX),
            Err("argument must be between 0 and 9223372036854775807 inclusive".into())
        );
        assert_eq!(memory_human(64 << 20), "64mb");
        assert_eq!(memory_human(1000), "1000");
        assert_eq!(memory_human(0), "0");
    }

    #[test]
    fn integers_are_strict() {
        assert_eq!(parse_int("10", 0, 20), Ok(10));
        for bad in ["+1", " 1", "010", "1.5", ""] {
            assert_eq!(
                parse_int(bad, 0, 20),
                Err("argument couldn't be parsed into an integer".into())
            );
        }
        assert_eq!(
            parse_int("30", 0, 20),
            Err("argument must be between 0 and 20 inclusive".into())
        );
    }

    #[test]
    fn output_limits_merge_by_class() {
        let cur = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";
        let words: Vec<String> = ["replica", "1mb", "2kb", "3"].map(String::from).into();
        assert_eq!(
            output_limits(&words, cur).unwrap(),
            "normal 0 0 0 slave 1048576 2048 3 pubsub 33554432 8388608 60"
        );
    }

    #[test]
    fn shutdown_flags_are_canonical() {
        let w = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            shutdown_flags(&w(&["now", "NOSAVE"])).unwrap(),
            "nosave now"
        );
        assert_eq!(shutdown_flags(&w(&["default"])).unwrap(), "default");
        assert!(shutdown_flags(&w(&["x"])).is_err());
    }
}
