//! Every directive of Redis 7.2's redis.conf, as data.
//!
//! One entry per directive: its name and alias, the kind of value it takes
//! (with bounds or the allowed words), its default in the form CONFIG GET
//! prints, whether CONFIG SET may change it, and what Ferrodis does with
//! it. Keeping the whole list here (rather than reading a redis.conf at run
//! time) means a stock redis.conf always parses, and a directive whose
//! capability is missing is refused by name instead of silently ignored.

/// The shape of a directive's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    /// Bytes, written with optional k/kb/m/mb/g/gb units.
    Memory {
        min: i64,
        max: i64,
    },
    Enum(&'static [&'static str]),
    Str,
    Special(Special),
}

/// Directives whose values have a grammar of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    Bind,
    Save,
    ClientOutputBufferLimit,
    /// An octal permission mask (unixsocketperm).
    Octal,
    NotifyKeyspaceEvents,
    OomScoreAdjValues,
    Percentiles,
    Replicaof,
    Dir,
    ShutdownFlags,
    /// maxmemory-clients: bytes or a percentage.
    MemoryOrPercent,
    /// Lines only a config file may hold (rename-command, user, loadmodule):
    /// not CONFIG GET parameters.
    FileOnly,
}

/// What Ferrodis does with a directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Takes effect.
    Live,
    /// Accepted, validated, stored and reported; nothing reads it yet
    /// (tuning knobs of encodings or subsystems Ferrodis does differently).
    Stored,
    /// The capability is not built: only the default (off) value is accepted.
    OffOnly,
}

#[derive(Debug, Clone, Copy)]
pub struct Directive {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub kind: Kind,
    pub default: &'static str,
    /// CONFIG SET refuses it ("can't set immutable config").
    pub immutable: bool,
    /// CONFIG SET refuses it unless enable-protected-configs allows.
    pub protected: bool,
    pub support: Support,
}

impl Directive {
    const fn new(name: &'static str, kind: Kind, default: &'static str) -> Directive {
        Directive {
            name,
            alias: None,
            kind,
            default,
            immutable: false,
            protected: false,
            support: Support::Stored,
        }
    }
    const fn alias(mut self, alias: &'static str) -> Self {
        self.alias = Some(alias);
        self
    }
    const fn immutable(mut self) -> Self {
        self.immutable = true;
        self
    }
    const fn protected(mut self) -> Self {
        self.protected = true;
        self
    }
    const fn live(mut self) -> Self {
        self.support = Support::Live;
        self
    }
    const fn off_only(mut self) -> Self {
        self.support = Support::OffOnly;
        self
    }

    /// Whether CONFIG GET lists it.
    pub fn is_parameter(&self) -> bool {
        self.kind != Kind::Special(Special::FileOnly)
    }
}

const fn flag(name: &'static str, default: bool) -> Directive {
    Directive::new(name, Kind::Bool, if default { "yes" } else { "no" })
}
const fn int(name: &'static str, min: i64, max: i64, default: &'static str) -> Directive {
    Directive::new(name, Kind::Int { min, max }, default)
}
const fn mem(name: &'static str, min: i64, max: i64, default: &'static str) -> Directive {
    Directive::new(name, Kind::Memory { min, max }, default)
}
const fn choice(
    name: &'static str,
    values: &'static [&'static str],
    default: &'static str,
) -> Directive {
    Directive::new(name, Kind::Enum(values), default)
}
const fn text(name: &'static str, default: &'static str) -> Directive {
    Directive::new(name, Kind::Str, default)
}
const fn special(name: &'static str, kind: Special, default: &'static str) -> Directive {
    Directive::new(name, Kind::Special(kind), default)
}

const INT: i64 = i32::MAX as i64;
const UINT: i64 = u32::MAX as i64;
const LONG: i64 = i64::MAX;
const PORT: i64 = 65535;

pub const LOGLEVELS: &[&str] = &["debug", "verbose", "notice", "warning", "nothing"];
const YES_NO_LOCAL: &[&str] = &["no", "yes", "local"];

/// Redis 7.2's directives. Defaults are what a server started without a
/// config file reports, except `bind` (loopback only, the stock redis.conf
/// line) and `save` (no snapshots: persistence is not built).
pub const DIRECTIVES: &[Directive] = &[
    // Network.
    special("bind", Special::Bind, "127.0.0.1 -::1").live(),
    text("bind-source-addr", ""),
    flag("protected-mode", true).live(),
    choice("enable-protected-configs", YES_NO_LOCAL, "no")
        .immutable()
        .live(),
    choice("enable-debug-command", YES_NO_LOCAL, "no").immutable(),
    choice("enable-module-command", YES_NO_LOCAL, "no").immutable(),
    int("port", 0, PORT, "6379").live(),
    int("tcp-backlog", 0, INT, "511").immutable().live(),
    text("unixsocket", "").immutable().live(),
    special("unixsocketperm", Special::Octal, "0")
        .immutable()
        .live(),
    int("timeout", 0, INT, "0").live(),
    int("tcp-keepalive", 0, INT, "300").live(),
    int("socket-mark-id", 0, UINT, "0").immutable(),
    // TLS: not built.
    int("tls-port", 0, PORT, "0").off_only(),
    text("tls-cert-file", ""),
    text("tls-key-file", ""),
    text("tls-key-file-pass", ""),
    text("tls-client-cert-file", ""),
    text("tls-client-key-file", ""),
    text("tls-client-key-file-pass", ""),
    text("tls-dh-params-file", ""),
    text("tls-ca-cert-file", ""),
    text("tls-ca-cert-dir", ""),
    choice("tls-auth-clients", &["no", "yes", "optional"], "yes"),
    flag("tls-replication", false).off_only(),
    flag("tls-cluster", false).off_only(),
    text("tls-protocols", ""),
    text("tls-ciphers", ""),
    text("tls-ciphersuites", ""),
    flag("tls-prefer-server-ciphers", false),
    flag("tls-session-caching", true),
    int("tls-session-cache-size", 0, INT, "20480"),
    int("tls-session-cache-timeout", 0, INT, "300"),
    // General.
    flag("daemonize", false).immutable().live(),
    choice("supervised", &["upstart", "systemd", "auto", "no"], "no")
        .immutable()
        .off_only(),
    text("pidfile", "").immutable().live(),
    choice("loglevel", LOGLEVELS, "notice").live(),
    text("logfile", "").immutable().live(),
    flag("syslog-enabled", false).immutable().off_only(),
    text("syslog-ident", "redis").immutable(),
    choice(
        "syslog-facility",
        &[
            "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
        ],
        "local0",
    )
    .immutable(),
    flag("crash-log-enabled", true),
    flag("crash-memcheck-enabled", true),
    int("databases", 1, INT, "16").immutable().live(),
    flag("always-show-logo", false).immutable(),
    flag("set-proc-title", true).immutable(),
    text("proc-title-template", "{title} {listen-addr} {server-mode}"),
    text("locale-collate", ""),
    // Snapshotting: not built.
    special("save", Special::Save, "").off_only(),
    flag("stop-writes-on-bgsave-error", true),
    flag("rdbcompression", true),
    flag("rdbchecksum", true).immutable(),
    choice("sanitize-dump-payload", &["no", "yes", "clients"], "no"),
    text("dbfilename", "dump.rdb").protected(),
    flag("rdb-del-sync-files", false),
    special("dir", Special::Dir, "").protected().live(),
    // Replication: not built.
    special("replicaof", Special::Replicaof, "")
        .alias("slaveof")
        .immutable()
        .off_only(),
    text("masterauth", ""),
    text("masteruser", ""),
    flag("replica-serve-stale-data", true).alias("slave-serve-stale-data"),
    flag("replica-read-only", true).alias("slave-read-only"),
    flag("repl-diskless-sync", true),
    int("repl-diskless-sync-delay", 0, INT, "5"),
    int("repl-diskless-sync-max-replicas", 0, INT, "0"),
    choice(
        "repl-diskless-load",
        &["disabled", "on-empty-db", "swapdb"],
        "disabled",
    ),
    int("repl-ping-replica-period", 1, INT, "10").alias("repl-ping-slave-period"),
    int("repl-timeout", 1, INT, "60"),
    flag("repl-disable-tcp-nodelay", false),
    mem("repl-backlog-size", 1, LONG, "1048576"),
    int("repl-backlog-ttl", 0, LONG, "3600"),
    int("replica-priority", 0, INT, "100").alias("slave-priority"),
    flag("replica-announced", true),
    int("min-replicas-to-write", 0, INT, "0")
        .alias("min-slaves-to-write")
        .off_only(),
    int("min-replicas-max-lag", 0, INT, "10").alias("min-slaves-max-lag"),
    text("replica-announce-ip", "").alias("slave-announce-ip"),
    int("replica-announce-port", 0, PORT, "0").alias("slave-announce-port"),
    flag("replica-ignore-disk-write-errors", false),
    flag("replica-ignore-maxmemory", true).alias("slave-ignore-maxmemory"),
    flag("replica-lazy-flush", false).alias("slave-lazy-flush"),
    choice(
        "propagation-error-behavior",
        &["ignore", "panic", "panic-on-replicas"],
        "ignore",
    ),
    // Keys tracking.
    int("tracking-table-max-keys", 0, LONG, "1000000"),
    // Security.
    int("acllog-max-len", 0, LONG, "128"),
    text("aclfile", "").immutable(),
    text("requirepass", "").live(),
    choice(
        "acl-pubsub-default",
        &["allchannels", "resetchannels"],
        "resetchannels",
    ),
    special("rename-command", Special::FileOnly, "").off_only(),
    special("user", Special::FileOnly, "").off_only(),
    special("loadmodule", Special::FileOnly, "").off_only(),
    // Clients and memory: eviction is not built.
    int("maxclients", 1, UINT, "10000").live(),
    mem("maxmemory", 0, LONG, "0").off_only(),
    choice(
        "maxmemory-policy",
        &[
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "noeviction",
        ],
        "noeviction",
    ),
    int("maxmemory-samples", 1, INT, "5"),
    int("maxmemory-eviction-tenacity", 0, 100, "10"),
    special("maxmemory-clients", Special::MemoryOrPercent, "0").off_only(),
    // Lazy freeing.
    flag("lazyfree-lazy-eviction", false),
    flag("lazyfree-lazy-expire", false),
    flag("lazyfree-lazy-server-del", false),
    flag("lazyfree-lazy-user-del", false),
    flag("lazyfree-lazy-user-flush", false),
    // Threads and kernel knobs.
    int("io-threads", 1, 128, "1").immutable().live(),
    flag("io-threads-do-reads", false).immutable(),
    choice(
        "oom-score-adj",
        &["no", "yes", "relative", "absolute"],
        "no",
    )
    .off_only(),
    special(
        "oom-score-adj-values",
        Special::OomScoreAdjValues,
        "0 200 800",
    ),
    flag("disable-thp", true).immutable(),
    // Append only file: not built.
    flag("appendonly", false).off_only(),
    text("appendfilename", "appendonly.aof").immutable(),
    text("appenddirname", "appendonlydir").immutable(),
    choice("appendfsync", &["everysec", "always", "no"], "everysec"),
    flag("no-appendfsync-on-rewrite", false),
    int("auto-aof-rewrite-percentage", 0, INT, "100"),
    mem("auto-aof-rewrite-min-size", 0, LONG, "67108864"),
    flag("aof-load-truncated", true),
    flag("aof-use-rdb-preamble", true),
    flag("aof-timestamp-enabled", false),
    flag("aof-disable-auto-gc", false),
    flag("aof-rewrite-incremental-fsync", true),
    flag("rdb-save-incremental-fsync", true),
    // Shutdown.
    int("shutdown-timeout", 0, INT, "10"),
    special("shutdown-on-sigint", Special::ShutdownFlags, "default"),
    special("shutdown-on-sigterm", Special::ShutdownFlags, "default"),
    // Scripting.
    int("busy-reply-threshold", 0, LONG, "5000").alias("lua-time-limit"),
    // Cluster: not built.
    flag("cluster-enabled", false).immutable().off_only(),
    text("cluster-config-file", "nodes.conf").immutable(),
    int("cluster-node-timeout", 0, LONG, "15000"),
    int("cluster-port", 0, PORT, "0").immutable(),
    int("cluster-replica-validity-factor", 0, INT, "10").alias("cluster-slave-validity-factor"),
    int("cluster-migration-barrier", 0, INT, "1"),
    flag("cluster-allow-replica-migration", true),
    flag("cluster-require-full-coverage", true),
    flag("cluster-replica-no-failover", false).alias("cluster-slave-no-failover"),
    flag("cluster-allow-reads-when-down", false),
    flag("cluster-allow-pubsubshard-when-down", true),
    mem("cluster-link-sendbuf-limit", 0, LONG, "0"),
    text("cluster-announce-hostname", ""),
    text("cluster-announce-human-nodename", ""),
    choice(
        "cluster-preferred-endpoint-type",
        &["ip", "hostname", "unknown-endpoint"],
        "ip",
    ),
    text("cluster-announce-ip", ""),
    int("cluster-announce-port", 0, PORT, "0"),
    int("cluster-announce-tls-port", 0, PORT, "0"),
    int("cluster-announce-bus-port", 0, PORT, "0"),
    // Slow log and latency.
    int("slowlog-log-slower-than", -1, LONG, "10000").live(),
    int("slowlog-max-len", 0, LONG, "128").live(),
    int("latency-monitor-threshold", 0, LONG, "0").live(),
    flag("latency-tracking", true),
    special(
        "latency-tracking-info-percentiles",
        Special::Percentiles,
        "50 99 99.9",
    ),
    // Event notification: not built.
    special("notify-keyspace-events", Special::NotifyKeyspaceEvents, "").off_only(),
    // Data structure tuning.
    int("hash-max-listpack-entries", 0, LONG, "512").alias("hash-max-ziplist-entries"),
    mem("hash-max-listpack-value", 0, LONG, "64").alias("hash-max-ziplist-value"),
    int("list-max-listpack-size", i32::MIN as i64, INT, "-2").alias("list-max-ziplist-size"),
    int("list-compress-depth", 0, INT, "0"),
    int("set-max-intset-entries", 0, LONG, "512"),
    int("set-max-listpack-entries", 0, LONG, "128"),
    mem("set-max-listpack-value", 0, LONG, "64"),
    int("zset-max-listpack-entries", 0, LONG, "128").alias("zset-max-ziplist-entries"),
    mem("zset-max-listpack-value", 0, LONG, "64").alias("zset-max-ziplist-value"),
    mem("hll-sparse-max-bytes", 0, LONG, "3000"),
    mem("stream-node-max-bytes", 0, LONG, "4096"),
    int("stream-node-max-entries", 0, LONG, "100"),
    flag("activerehashing", true),
    special(
        "client-output-buffer-limit",
        Special::ClientOutputBufferLimit,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    )
    .live(),
    mem("client-query-buffer-limit", 1 << 20, LONG, "1073741824").live(),
    mem("proto-max-bulk-len", 1 << 20, LONG, "536870912").live(),
    int("hz", 0, INT, "10").live(),
    flag("dynamic-hz", true),
    // Active defragmentation: needs jemalloc's hooks, not built.
    flag("activedefrag", false).off_only(),
    mem("active-defrag-ignore-bytes", 1, LONG, "104857600"),
    int("active-defrag-threshold-lower", 0, 1000, "10"),
    int("active-defrag-threshold-upper", 0, 1000, "100"),
    int("active-defrag-cycle-min", 1, 99, "1"),
    int("active-defrag-cycle-max", 1, 99, "25"),
    int("active-defrag-max-scan-fields", 1, LONG, "1000"),
    flag("jemalloc-bg-thread", true),
    int("lfu-log-factor", 0, INT, "10"),
    int("lfu-decay-time", 0, INT, "1"),
    int("active-expire-effort", 1, 10, "1"),
    text("ignore-warnings", ""),
    text("server_cpulist", "").immutable(),
    text("bio_cpulist", "").immutable(),
    text("aof_rewrite_cpulist", "").immutable(),
    text("bgsave_cpulist", "").immutable(),
];

/// The directive a name or alias stands for (case-insensitive).
pub fn lookup(name: &str) -> Option<usize> {
    DIRECTIVES.iter().position(|d| {
        d.name.eq_ignore_ascii_case(name) || d.alias.is_some_and(|a| a.eq_ignore_ascii_case(name))
    })
}

/// The index of a directive by its exact main name, at compile time (a
/// typo fails the build), so accessors index the value arrays directly.
pub const fn index(name: &str) -> usize {
    let mut i = 0;
    while i < DIRECTIVES.len() {
        if same(DIRECTIVES[i].name.as_bytes(), name.as_bytes()) {
            return i;
        }
        i += 1;
    }
    panic!("unknown directive name")
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for d in DIRECTIVES {
            assert!(seen.insert(d.name), "{}", d.name);
            if let Some(a) = d.alias {
                assert!(seen.insert(a), "{a}");
            }
        }
    }

    #[test]
    fn every_directive_of_the_stock_redis_conf_is_known() {
        let Ok(text) = std::fs::read_to_string("../shared/redis-7.2.conf") else {
            return;
        };
        let directives = text.lines().filter(|l| !l.starts_with('#'));
        for word in directives.filter_map(|l| l.split_whitespace().next()) {
            assert!(word == "include" || lookup(word).is_some(), "{word}");
        }
        let commented = [
            "replicaof",
            "rename-command",
            "loadmodule",
            "tls-port",
            "maxmemory",
            "unixsocket",
            "save",
            "cluster-enabled",
            "syslog-enabled",
            "aclfile",
            "enable-debug-command",
            "io-threads",
            "shutdown-on-sigterm",
            "latency-tracking-info-percentiles",
            "min-replicas-to-write",
            "supervised",
            "maxmemory-clients",
            "activedefrag",
        ];
        for word in commented {
            assert!(text.contains(&format!("# {word} ")), "{word}");
            assert!(lookup(word).is_some(), "{word}");
        }
    }
}
