//! Configuration: redis.conf syntax from a file, stdin and `--name value`
//! flags, and the values in force while the server runs.
//!
//! Every directive lives in one table (`table.rs`); its value is kept as
//! the canonical text CONFIG GET prints, and every integer or boolean one
//! is mirrored in a relaxed atomic so hot paths (bulk length checks, query
//! buffer limits, slow log thresholds) read it without a lock. CONFIG SET
//! validates all its pairs before storing any, so a set applies entirely or
//! not at all.

mod load;
pub mod parse;
pub mod rewrite;
mod runtime;
pub mod table;

pub use runtime::SetError;

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};

use parking_lot::RwLock;

use table::{DIRECTIVES, Kind, index};

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
/// The collection encoding thresholds, in [`EncodingThresholds`]'s order.
const ENCODING_THRESHOLDS: [usize; 9] = [
    index("hash-max-listpack-entries"),
    index("hash-max-listpack-value"),
    index("set-max-intset-entries"),
    index("set-max-listpack-entries"),
    index("set-max-listpack-value"),
    index("zset-max-listpack-entries"),
    index("zset-max-listpack-value"),
    index("list-max-listpack-size"),
    index("list-compress-depth"),
];

/// The values of the nine collection encoding thresholds, in the order
/// hash entries, hash value, set intset entries, set entries, set value,
/// zset entries, zset value, list size, list compress depth.
pub type EncodingThresholds = [i64; 9];

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

    /// The thresholds at which small collection encodings grow into large
    /// ones (`keyspace::types::Limits` reads them), as CONFIG SET left them.
    pub fn encoding_thresholds(&self) -> EncodingThresholds {
        ENCODING_THRESHOLDS.map(|i| self.number(i))
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
