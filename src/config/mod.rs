//! Configuration: redis.conf syntax from a file, stdin and `--name value`
//! flags, and the values in force while the server runs.
//!
//! Every directive lives in one table (`table.rs`); its value is kept as
//! the canonical text CONFIG GET prints, and every integer or boolean one
//! is mirrored in a relaxed atomic so hot paths (bulk length checks, query
//! buffer limits, slow log thresholds) read it without a lock. CONFIG SET
//! validates all its pairs before storing any, so a set applies entirely or
//! not at all.

pub mod parse;
pub mod rewrite;
pub mod table;

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};

use parking_lot::RwLock;

use parse::{canonical, split_args};
use table::{DIRECTIVES, Kind, Special, index};

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
            "\n*** FATAL CONFIG FILE ERROR (Redis {}) ***\nReading the configuration file, at line {}\n>>> '{}'\n{}",
            crate::REDIS_VERSION,
            self.line_no,
            self.line,
            self.reason
        )
    }
}

const BIND: usize = index("bind");
const PORT: usize = index("port");
const DATABASES: usize = index("databases");
const IO_THREADS: usize = index("io-threads");
const HZ: usize = index("hz");
const PROTO_MAX_BULK_LEN: usize = index("proto-max-bulk-len");
const QUERY_BUFFER_LIMIT: usize = index("client-query-buffer-limit");
const TIMEOUT: usize = index("timeout");
const TCP_KEEPALIVE: usize = index("tcp-keepalive");
const TCP_BACKLOG: usize = index("tcp-backlog");
const MAXCLIENTS: usize = index("maxclients");
const PROTECTED_MODE: usize = index("protected-mode");
const REQUIREPASS: usize = index("requirepass");
const UNIXSOCKET: usize = index("unixsocket");
const UNIXSOCKETPERM: usize = index("unixsocketperm");
const OUTPUT_LIMITS: usize = index("client-output-buffer-limit");
const SLOWLOG_SLOWER_THAN: usize = index("slowlog-log-slower-than");
const SLOWLOG_MAX_LEN: usize = index("slowlog-max-len");
const LATENCY_THRESHOLD: usize = index("latency-monitor-threshold");
const LOGLEVEL: usize = index("loglevel");
const LOGFILE: usize = index("logfile");
const DAEMONIZE: usize = index("daemonize");
const ALWAYS_SHOW_LOGO: usize = index("always-show-logo");
const PIDFILE: usize = index("pidfile");
const DIR: usize = index("dir");
const PROTECTED_CONFIGS: usize = index("enable-protected-configs");
const SHUTDOWN_ON_SIGINT: usize = index("shutdown-on-sigint");
const SHUTDOWN_ON_SIGTERM: usize = index("shutdown-on-sigterm");

/// The server's configuration. Read through the accessors.
pub struct Config {
    values: RwLock<Vec<String>>,
    /// Integer and boolean directives (yes = 1), indexed like `DIRECTIVES`.
    numbers: Vec<AtomicI64>,
    /// client-output-buffer-limit as (hard, soft, seconds) per class.
    output_limits: [[AtomicI64; 3]; 3],
    /// The absolute path of the config file, for CONFIG REWRITE.
    file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        let values: Vec<String> = DIRECTIVES.iter().map(|d| d.default.to_string()).collect();
        let mut config = Config {
            numbers: DIRECTIVES.iter().map(|_| AtomicI64::new(0)).collect(),
            output_limits: Default::default(),
            file: None,
            values: RwLock::new(values),
        };
        // Ferrodis runs one worker per core unless told otherwise.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        config.values.get_mut()[IO_THREADS] = cores.min(128).to_string();
        config.refresh();
        config
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config").field("file", &self.file).finish()
    }
}

impl Config {
    fn number(&self, i: usize) -> i64 {
        self.numbers[i].load(Ordering::Relaxed)
    }

    fn text(&self, i: usize) -> String {
        self.values.read()[i].clone()
    }

    pub fn bind(&self) -> Vec<String> {
        split_bind(&self.values.read()[BIND])
    }

    pub fn port(&self) -> u16 {
        self.numbers[PORT].load(Ordering::Relaxed) as u16
    }

    pub fn databases(&self) -> usize {
        self.number(DATABASES) as usize
    }

    /// Worker threads (one per core by default).
    pub fn io_threads(&self) -> usize {
        self.number(IO_THREADS) as usize
    }

    pub fn hz(&self) -> u32 {
        self.number(HZ) as u32
    }

    pub fn proto_max_bulk_len(&self) -> usize {
        self.number(PROTO_MAX_BULK_LEN) as usize
    }

    pub fn client_query_buffer_limit(&self) -> usize {
        self.number(QUERY_BUFFER_LIMIT) as usize
    }

    /// Seconds a client may idle before it is closed; 0 = never.
    pub fn timeout(&self) -> u64 {
        self.number(TIMEOUT) as u64
    }

    /// TCP keepalive interval in seconds; 0 = off.
    pub fn tcp_keepalive(&self) -> u64 {
        self.number(TCP_KEEPALIVE) as u64
    }

    pub fn tcp_backlog(&self) -> u32 {
        self.number(TCP_BACKLOG) as u32
    }

    pub fn maxclients(&self) -> usize {
        self.number(MAXCLIENTS) as usize
    }

    pub fn protected_mode(&self) -> bool {
        self.number(PROTECTED_MODE) != 0
    }

    /// The default user's password, if `requirepass` is set.
    pub fn requirepass(&self) -> Option<Vec<u8>> {
        let pass = self.text(REQUIREPASS);
        (!pass.is_empty()).then(|| pass.into_bytes())
    }

    pub fn unixsocket(&self) -> Option<String> {
        Some(self.text(UNIXSOCKET)).filter(|s| !s.is_empty())
    }

    pub fn unixsocketperm(&self) -> u32 {
        u32::from_str_radix(&self.text(UNIXSOCKETPERM), 8).unwrap_or(0)
    }

    /// The output buffer limit of a client class.
    pub fn client_output_buffer_limit(&self, class: ClientClass) -> OutputLimit {
        let [hard, soft, secs] = &self.output_limits[class as usize];
        let load = |a: &AtomicI64| a.load(Ordering::Relaxed) as u64;
        OutputLimit {
            hard: load(hard),
            soft: load(soft),
            soft_seconds: load(secs),
        }
    }

    /// Microseconds; negative disables the slow log, 0 logs everything.
    pub fn slowlog_log_slower_than(&self) -> i64 {
        self.number(SLOWLOG_SLOWER_THAN)
    }

    pub fn slowlog_max_len(&self) -> usize {
        self.number(SLOWLOG_MAX_LEN) as usize
    }

    /// Milliseconds; 0 disables the latency monitor.
    pub fn latency_monitor_threshold(&self) -> u64 {
        self.number(LATENCY_THRESHOLD) as u64
    }

    /// debug, verbose, notice, warning or nothing.
    pub fn loglevel(&self) -> String {
        self.text(LOGLEVEL)
    }

    /// The log file; `None` = standard output.
    pub fn logfile(&self) -> Option<String> {
        Some(self.text(LOGFILE)).filter(|s| !s.is_empty())
    }

    pub fn daemonize(&self) -> bool {
        self.number(DAEMONIZE) != 0
    }

    /// Whether the start-up banner is printed even when logging to a file.
    pub fn always_show_logo(&self) -> bool {
        self.number(ALWAYS_SHOW_LOGO) != 0
    }

    /// The pid file to write, if any. A daemon always writes one, at
    /// Redis's default path when none is configured.
    pub fn pidfile(&self) -> Option<String> {
        let path = self.text(PIDFILE);
        match (path.is_empty(), self.daemonize()) {
            (false, _) => Some(path),
            (true, true) => Some("/var/run/redis.pid".into()),
            (true, false) => None,
        }
    }

    /// The working directory (where `dir` moved the process).
    pub fn dir(&self) -> String {
        std::env::current_dir()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// `shutdown-on-sigterm` / `shutdown-on-sigint`: "default" or flags.
    pub fn shutdown_on_signal(&self, sigint: bool) -> String {
        self.text(if sigint {
            SHUTDOWN_ON_SIGINT
        } else {
            SHUTDOWN_ON_SIGTERM
        })
    }

    /// The config file the server started from, if any.
    pub fn file(&self) -> Option<&std::path::Path> {
        self.file.as_deref()
    }

    /// Recomputes the mirrors and side effects from the canonical values.
    fn refresh(&mut self) {
        self.refresh_shared();
    }

    fn refresh_shared(&self) {
        let values = self.values.read();
        for (i, d) in DIRECTIVES.iter().enumerate() {
            let n = match d.kind {
                Kind::Bool => i64::from(values[i] == "yes"),
                Kind::Int { .. } | Kind::Memory { .. } => values[i].parse().unwrap_or(0),
                _ => continue,
            };
            self.numbers[i].store(n, Ordering::Relaxed);
        }
        let limits: Vec<i64> = values[OUTPUT_LIMITS]
            .split(' ')
            .filter_map(|w| w.parse().ok())
            .collect();
        for (slot, n) in self.output_limits.iter().flatten().zip(limits) {
            slot.store(n, Ordering::Relaxed);
        }
        crate::log::set_level(&values[LOGLEVEL]);
    }
}

/// The addresses of a `bind` value.
fn split_bind(value: &str) -> Vec<String> {
    value
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

// ----- Loading -----

/// What the command line asks for, before any file is read.
struct Sources {
    file: Option<String>,
    stdin: bool,
    options: String,
}

/// `[file] [--name value ...] [-]`, as redis-server reads its arguments.
fn sources(args: &[String]) -> Sources {
    let mut rest = args;
    let file = match args.first() {
        Some(first) if !first.starts_with('-') => {
            rest = &args[1..];
            Some(first.clone())
        }
        _ => None,
    };
    let stdin = rest.iter().any(|a| a == "-");
    let rest: Vec<String> = rest.iter().filter(|a| *a != "-").cloned().collect();
    Sources {
        file,
        stdin,
        options: args_to_config_text(&rest),
    }
}

fn read_file(path: &str) -> Result<String, String> {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .map_err(|e| {
            let e = e.to_string();
            let e = e.split(" (os error").next().unwrap_or_default();
            format!("Fatal error, can't open config file '{path}': {e}")
        })
}

impl Config {
    /// Builds the configuration from the command line (program name
    /// excluded): the file, then stdin, then the flags; the last wins.
    pub fn from_args(args: &[String]) -> Result<Config, String> {
        let src = sources(args);
        let mut text = String::new();
        let mut config = Config::default();
        if let Some(path) = &src.file {
            text = read_file(path)?;
            // Absolute now, because `dir` may move the process while parsing.
            config.file = std::path::absolute(path).ok();
        }
        if src.stdin {
            crate::log::warning("Reading config from stdin");
            let mut input = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)
                .map_err(|e| format!("Fatal error, can't read config from stdin: {e}"))?;
            text.push('\n');
            text.push_str(&input);
        }
        text.push('\n');
        text.push_str(&src.options);
        config.apply_text(&text)?;
        config.refresh();
        Ok(config)
    }

    /// Applies config-file text on top of the current values.
    fn apply_text(&mut self, text: &str) -> Result<(), String> {
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let fail = |reason: String| {
                ConfigError {
                    line_no: i + 1,
                    line: trimmed.to_string(),
                    reason,
                }
                .to_string()
            };
            let words = split_args(trimmed)
                .ok_or_else(|| fail("Unbalanced quotes in configuration line".into()))?;
            let Some((name, args)) = words.split_first() else {
                continue;
            };
            if name.eq_ignore_ascii_case("include") {
                let [path] = args else {
                    return Err(fail("Bad directive or wrong number of arguments".into()));
                };
                for file in include_targets(path)? {
                    self.apply_text(&read_file(&file)?)?;
                }
                continue;
            }
            self.apply_line(name, args).map_err(fail)?;
        }
        Ok(())
    }

    fn apply_line(&mut self, name: &str, args: &[String]) -> Result<(), String> {
        let i = table::lookup(name).ok_or("Bad directive or wrong number of arguments")?;
        let d = &DIRECTIVES[i];
        // Like Redis, a multi-word directive given one argument
        // (`--save "900 1"`) is split on spaces.
        let split: Vec<String>;
        let args = match (d.kind, args) {
            (
                Kind::Special(
                    Special::Bind
                    | Special::Save
                    | Special::ClientOutputBufferLimit
                    | Special::OomScoreAdjValues
                    | Special::Percentiles
                    | Special::ShutdownFlags,
                ),
                [one],
            ) if one.contains(' ') => {
                split = one
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect();
                &split[..]
            }
            _ => args,
        };
        let values = self.values.get_mut();
        let value = canonical(d, args, &values[i])?;
        if d.kind == Kind::Special(Special::Dir) {
            std::env::set_current_dir(&value).map_err(|e| e.to_string())?;
        }
        values[i] = value;
        self.refresh_shared();
        Ok(())
    }
}

/// The files an `include` names: the path itself, or, when its file name
/// has wildcards, the matching files of its directory in name order (no
/// match is not an error, as in Redis).
fn include_targets(path: &str) -> Result<Vec<String>, String> {
    let p = std::path::Path::new(path);
    let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
    let Some(pattern) = name.filter(|n| n.contains(['*', '?', '['])) else {
        return Ok(vec![path.to_string()]);
    };
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        format!(
            "Fatal error, can't open config directory '{}': {e}",
            dir.display()
        )
    })?;
    let mut files: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().is_file())
        .filter(|e| {
            let file = e.file_name();
            crate::util::glob::glob_match(pattern.as_bytes(), file.as_encoded_bytes(), false)
        })
        .map(|e| e.path().to_string_lossy().into_owned())
        .collect();
    files.sort();
    Ok(files)
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
            text.push_str(&parse::quote(arg));
        }
    }
    text.push('\n');
    text
}

// ----- CONFIG GET / SET -----

/// A CONFIG SET failure, worded as Redis words it.
#[derive(Debug, PartialEq, Eq)]
pub enum SetError {
    Unknown(String),
    Failed { arg: String, reason: String },
}

impl fmt::Display for SetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::Unknown(name) => write!(
                f,
                "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
            ),
            SetError::Failed { arg, reason } => write!(
                f,
                "ERR CONFIG SET failed (possibly related to argument '{arg}') - {reason}"
            ),
        }
    }
}

impl Config {
    /// CONFIG GET: (name, value) for every parameter matching one of the
    /// patterns, each once, in table order. A pattern without wildcards is
    /// a lookup and answers under the name as given, as Redis does.
    pub fn get(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let values = self.values.read();
        let mut out: Vec<(String, String)> = Vec::new();
        let mut push = |name: String, i: usize| {
            if !out.iter().any(|(n, _)| *n == name) {
                let value = if i == DIR {
                    self.dir()
                } else {
                    values[i].clone()
                };
                out.push((name, value));
            }
        };
        for pattern in patterns {
            let is_glob = pattern.iter().any(|c| b"*?[\\".contains(c));
            if !is_glob {
                let name = String::from_utf8_lossy(pattern);
                if let Some(i) = table::lookup(&name).filter(|&i| DIRECTIVES[i].is_parameter()) {
                    push(name.into_owned(), i);
                }
                continue;
            }
            for (i, d) in DIRECTIVES
                .iter()
                .enumerate()
                .filter(|(_, d)| d.is_parameter())
            {
                for name in std::iter::once(d.name).chain(d.alias) {
                    if crate::util::glob::glob_match(pattern, name.as_bytes(), true) {
                        push(name.to_string(), i);
                    }
                }
            }
        }
        out
    }

    /// CONFIG SET: validates every pair, then applies them all. A change of
    /// `bind` or `port` is first handed to `rebind` (new addresses, new
    /// port), which moves the listeners or explains why it cannot.
    pub fn set(
        &self,
        pairs: &[(&[u8], &[u8])],
        rebind: impl FnOnce(&[String], u16) -> Result<(), &'static str>,
    ) -> Result<(), SetError> {
        let mut planned: Vec<(usize, String)> = Vec::new();
        for (raw_name, raw_value) in pairs {
            let name = String::from_utf8_lossy(raw_name).into_owned();
            let value = String::from_utf8_lossy(raw_value).into_owned();
            let i = table::lookup(&name)
                .filter(|&i| DIRECTIVES[i].is_parameter())
                .ok_or_else(|| SetError::Unknown(name.clone()))?;
            let fail = |reason: &str| SetError::Failed {
                arg: name.clone(),
                reason: reason.to_string(),
            };
            if planned.iter().any(|(j, _)| *j == i) {
                return Err(fail("duplicate parameter"));
            }
            let canonical = self.validate_set(i, &value).map_err(|r| fail(&r))?;
            planned.push((i, canonical));
        }
        let current = self.values.read().clone();
        let new_value = |index: usize| {
            planned
                .iter()
                .find(|(i, v)| *i == index && *v != current[index])
                .map(|(_, v)| v)
        };
        if new_value(BIND).is_some() || new_value(PORT).is_some() {
            let bind = new_value(BIND).map_or_else(|| self.bind(), |v| split_bind(v));
            let port = new_value(PORT).map_or(self.port(), |v| v.parse().unwrap_or(0));
            let arg = if new_value(PORT).is_some() {
                "port"
            } else {
                "bind"
            };
            rebind(&bind, port).map_err(|reason| SetError::Failed {
                arg: arg.to_string(),
                reason: reason.to_string(),
            })?;
        }
        for (i, value) in &planned {
            if *i == DIR {
                // Checked to be a directory while validating.
                let _ = std::env::set_current_dir(value);
            }
        }
        let mut values = self.values.write();
        for (i, value) in planned {
            values[i] = value;
        }
        drop(values);
        self.refresh_shared();
        Ok(())
    }

    fn validate_set(&self, i: usize, value: &str) -> Result<String, String> {
        let d = &DIRECTIVES[i];
        if d.immutable {
            return Err("can't set immutable config".into());
        }
        if d.protected && self.text(PROTECTED_CONFIGS) == "no" {
            return Err("can't set protected config".into());
        }
        // Multi-word values arrive as one argument, split on spaces.
        let words: Vec<String> = match d.kind {
            Kind::Special(_) => value
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect(),
            _ => vec![value.to_string()],
        };
        let current = self.values.read()[i].clone();
        let value = canonical(d, &words, &current)?;
        Ok(value)
    }

    /// The canonical value of every directive, for CONFIG REWRITE.
    pub fn snapshot(&self) -> Vec<String> {
        let mut values = self.values.read().clone();
        values[DIR] = self.dir();
        values
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
            "--client-output-buffer-limit",
            "pubsub",
            "1mb",
            "0",
            "0",
        ]))
        .unwrap();
        assert_eq!(c.port(), 7000);
        assert_eq!(c.bind(), ["127.0.0.1", "::1"]);
        assert_eq!(
            c.client_output_buffer_limit(ClientClass::Pubsub),
            OutputLimit {
                hard: 1 << 20,
                soft: 0,
                soft_seconds: 0
            }
        );
    }

    #[test]
    fn unknown_directive_names_the_line() {
        let err = Config::from_args(&args(&["--port", "1", "--nonsense", "x"])).unwrap_err();
        assert!(err.contains("at line 3"), "{err}");
        assert!(err.contains("Bad directive"), "{err}");
    }

    #[test]
    fn defaults_match_redis() {
        let c = Config::default();
        assert_eq!(c.port(), 6379);
        assert_eq!(c.proto_max_bulk_len(), 512 << 20);
        assert_eq!(c.client_query_buffer_limit(), 1 << 30);
        assert_eq!(c.tcp_keepalive(), 300);
        assert_eq!(c.maxclients(), 10000);
        assert!(c.protected_mode());
        assert_eq!(c.slowlog_log_slower_than(), 10000);
        assert_eq!(
            c.client_output_buffer_limit(ClientClass::Replica),
            OutputLimit {
                hard: 256 << 20,
                soft: 64 << 20,
                soft_seconds: 60
            }
        );
    }

    #[test]
    fn set_is_all_or_nothing() {
        let c = Config::default();
        let err = c
            .set(&[(b"timeout", b"5"), (b"maxclients", b"abc")], no_rebind)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer"
        );
        assert_eq!(c.timeout(), 0);
        c.set(
            &[(b"timeout", b"5"), (b"proto-max-bulk-len", b"2mb")],
            no_rebind,
        )
        .unwrap();
        assert_eq!(c.timeout(), 5);
        assert_eq!(c.proto_max_bulk_len(), 2 << 20);
    }

    fn no_rebind(_: &[String], _: u16) -> Result<(), &'static str> {
        panic!("nothing here changes bind or port")
    }

    #[test]
    fn a_failed_rebind_changes_nothing() {
        let c = Config::default();
        let refuse =
            |_: &[String], _: u16| Err("Unable to listen on this port. Check server logs.");
        let err = c
            .set(&[(b"timeout", b"7"), (b"port", b"7001")], refuse)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs."
        );
        assert_eq!((c.timeout(), c.port()), (0, 6379));
        c.set(&[(b"bind", b"127.0.0.1 -::1")], |bind, port| {
            assert_eq!(
                (bind, port),
                (&["127.0.0.1".to_string(), "-::1".to_string()][..], 6379)
            );
            Ok(())
        })
        .unwrap();
    }
}
