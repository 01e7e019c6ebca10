//! Configuration: redis.conf syntax from a file and `--name value` flags.
//!
//! Arguments are turned into config text exactly as redis-server does
//! (`--port 7000 --save ""` becomes the lines `port 7000` and `save ""`),
//! appended after the file's contents, and the whole is parsed line by
//! line; the last occurrence of a directive wins. Directives whose
//! capability does not exist yet are accepted only with their "off" value.

use std::fmt;

/// The server's configuration. Read through the accessors: values that
/// CONFIG SET may change at run time will move behind atomics without
/// changing any caller.
#[derive(Debug, Clone)]
pub struct Config {
    bind: Vec<String>,
    port: u16,
    databases: usize,
    /// Worker threads; 0 means one per available core.
    io_threads: usize,
    hz: u32,
    proto_max_bulk_len: usize,
    client_query_buffer_limit: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: vec!["127.0.0.1".into(), "-::1".into()],
            port: 6379,
            databases: 16,
            io_threads: 0,
            hz: 10,
            proto_max_bulk_len: 512 << 20,
            client_query_buffer_limit: 1 << 30,
        }
    }
}

/// The classes `client-output-buffer-limit` distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientClass {
    Normal,
    Replica,
    Pubsub,
}

/// One class's output buffer limits in bytes; 0 = no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutputLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: u64,
}

/// A start-up error, worded as redis-server words them.
#[derive(Debug)]
pub struct ConfigError {
    pub line_no: usize,
    pub line: String,
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\n*** FATAL CONFIG FILE ERROR (Ferrodis) ***\nReading the configuration file, at line {}\n>>> '{}'\n{}",
            self.line_no, self.line, self.reason
        )
    }
}

impl Config {
    pub fn bind(&self) -> &[String] {
        &self.bind
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn databases(&self) -> usize {
        self.databases
    }

    pub fn io_threads(&self) -> usize {
        self.io_threads
    }

    pub fn hz(&self) -> u32 {
        self.hz
    }

    pub fn proto_max_bulk_len(&self) -> usize {
        self.proto_max_bulk_len
    }

    pub fn client_query_buffer_limit(&self) -> usize {
        self.client_query_buffer_limit
    }

    // Directives the connection and observability work reads. Until the
    // configuration module parses them, each answers Redis's default.

    /// Seconds a client may idle before it is closed; 0 = never.
    pub fn timeout(&self) -> u64 {
        0
    }

    /// TCP keepalive interval in seconds; 0 = off.
    pub fn tcp_keepalive(&self) -> u64 {
        300
    }

    pub fn tcp_backlog(&self) -> u32 {
        511
    }

    pub fn maxclients(&self) -> usize {
        10000
    }

    pub fn protected_mode(&self) -> bool {
        true
    }

    /// The default user's password, if `requirepass` is set.
    pub fn requirepass(&self) -> Option<Vec<u8>> {
        None
    }

    pub fn unixsocket(&self) -> Option<String> {
        None
    }

    pub fn unixsocketperm(&self) -> u32 {
        0
    }

    /// The output buffer limit of a client class.
    pub fn client_output_buffer_limit(&self, class: ClientClass) -> OutputLimit {
        match class {
            ClientClass::Normal => OutputLimit::default(),
            ClientClass::Replica => OutputLimit {
                hard: 256 << 20,
                soft: 64 << 20,
                soft_seconds: 60,
            },
            ClientClass::Pubsub => OutputLimit {
                hard: 32 << 20,
                soft: 8 << 20,
                soft_seconds: 60,
            },
        }
    }

    /// Microseconds; negative disables the slow log, 0 logs everything.
    pub fn slowlog_log_slower_than(&self) -> i64 {
        10000
    }

    pub fn slowlog_max_len(&self) -> usize {
        128
    }

    /// Milliseconds; 0 disables the latency monitor.
    pub fn latency_monitor_threshold(&self) -> u64 {
        0
    }

    /// Builds the configuration from the command line (program name excluded).
    pub fn from_args(args: &[String]) -> Result<Config, String> {
        let mut text = String::new();
        let mut rest = args;
        if let Some(first) = rest.first()
            && !first.starts_with("--")
        {
            text = std::fs::read_to_string(first)
                .map_err(|e| format!("Fatal error, can't open config file '{first}': {e}"))?;
            text.push('\n');
            rest = &rest[1..];
        }
        text.push_str(&args_to_config_text(rest));
        let mut config = Config::default();
        config.apply_text(&text).map_err(|e| e.to_string())?;
        Ok(config)
    }

    /// Applies config-file text on top of the current values.
    pub fn apply_text(&mut self, text: &str) -> Result<(), ConfigError> {
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let fail = |reason: String| ConfigError {
                line_no: i + 1,
                line: trimmed.to_string(),
                reason,
            };
            let words = split_words(trimmed)
                .ok_or_else(|| fail("Unbalanced quotes in configuration line".into()))?;
            let Some((name, values)) = words.split_first() else {
                continue;
            };
            self.apply(&name.to_ascii_lowercase(), values)
                .map_err(fail)?;
        }
        Ok(())
    }

    fn apply(&mut self, name: &str, values: &[String]) -> Result<(), String> {
        let one = || -> Result<&str, String> {
            match values {
                [v] => Ok(v.as_str()),
                _ => Err("wrong number of arguments".into()),
            }
        };
        match name {
            "bind" => self.bind = values.to_vec(),
            "port" => self.port = parse_num(one()?, 0, 65535)? as u16,
            "databases" => self.databases = parse_num(one()?, 1, i32::MAX as i64)? as usize,
            "io-threads" => self.io_threads = parse_num(one()?, 1, 128)? as usize,
            "hz" => self.hz = parse_num(one()?, 1, 500)? as u32,
            "proto-max-bulk-len" => {
                self.proto_max_bulk_len = parse_memory(one()?, 1 << 20, i64::MAX)? as usize
            }
            "client-query-buffer-limit" => {
                self.client_query_buffer_limit = parse_memory(one()?, 1 << 20, i64::MAX)? as usize
            }
            "save" => {
                if values.iter().any(|v| !v.is_empty()) {
                    return Err("RDB snapshots are not implemented yet; use save \"\"".into());
                }
            }
            "appendonly" => {
                if parse_bool(one()?)? {
                    return Err("AOF is not implemented yet; use appendonly no".into());
                }
            }
            "daemonize" | "protected-mode" => {
                parse_bool(one()?)?;
            }
            _ => return Err("Bad directive or wrong number of arguments".into()),
        }
        Ok(())
    }
}

/// `--port 7000 --save ""` → `port 7000\nsave ""\n`, as redis-server does.
fn args_to_config_text(args: &[String]) -> String {
    let mut text = String::new();
    for arg in args {
        if let Some(name) = arg.strip_prefix("--") {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(name);
        } else {
            text.push(' ');
            text.push_str(&quote(arg));
        }
    }
    text.push('\n');
    text
}

fn quote(s: &str) -> String {
    let mut q = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                q.push('\\');
                q.push(c);
            }
            '\n' => q.push_str("\\n"),
            _ => q.push(c),
        }
    }
    q.push('"');
    q
}

/// Splits a config line into words with redis.conf's quoting rules.
fn split_words(line: &str) -> Option<Vec<String>> {
    // No directive starts with '*', which the request parser would read as multibulk.
    if line.starts_with('*') {
        return None;
    }
    let mut parser = crate::protocol::Parser::new(usize::MAX);
    parser.parse(format!("{line}\n").as_bytes()).ok()??;
    let words = parser.spans.iter();
    Some(
        words
            .map(|&(s, e)| String::from_utf8_lossy(&parser.scratch[s..e]).into_owned())
            .collect(),
    )
}

fn parse_num(v: &str, min: i64, max: i64) -> Result<i64, String> {
    match v.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(_) => Err(format!(
            "argument must be between {min} and {max} inclusive"
        )),
        Err(_) => Err("argument couldn't be parsed into an integer".into()),
    }
}

/// Memory amounts: plain bytes or with k/kb/m/mb/g/gb units, case-insensitive.
pub fn parse_memory(v: &str, min: i64, max: i64) -> Result<i64, String> {
    let lower = v.to_ascii_lowercase();
    let units: &[(&str, i64)] = &[
        ("kb", 1024),
        ("mb", 1 << 20),
        ("gb", 1 << 30),
        ("k", 1000),
        ("m", 1_000_000),
        ("g", 1_000_000_000),
        ("b", 1),
    ];
    let (digits, mul) = units
        .iter()
        .find_map(|(u, m)| lower.strip_suffix(u).map(|d| (d, *m)))
        .unwrap_or((lower.as_str(), 1));
    let n: i64 = digits
        .parse()
        .map_err(|_| "argument must be a memory value".to_string())?;
    let bytes = n
        .checked_mul(mul)
        .ok_or_else(|| "argument must be a memory value".to_string())?;
    if !(min..=max).contains(&bytes) {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(bytes)
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn command_line_flags_override_defaults() {
        let c = Config::from_args(&args(&[
            "--port",
            "7000",
            "--bind",
            "127.0.0.1",
            "::1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]))
        .unwrap();
        assert_eq!(c.port(), 7000);
        assert_eq!(c.bind(), ["127.0.0.1", "::1"]);
    }

    #[test]
    fn unknown_directive_names_the_line() {
        let err = Config::from_args(&args(&["--port", "1", "--nonsense", "x"])).unwrap_err();
        assert!(err.contains("at line 2"), "{err}");
        assert!(err.contains("Bad directive"), "{err}");
    }

    #[test]
    fn memory_units_follow_redis() {
        assert_eq!(parse_memory("1k", 0, i64::MAX), Ok(1000));
        assert_eq!(parse_memory("1kb", 0, i64::MAX), Ok(1024));
        assert_eq!(parse_memory("512MB", 0, i64::MAX), Ok(512 << 20));
        assert!(parse_memory("12x", 0, i64::MAX).is_err());
    }
}
