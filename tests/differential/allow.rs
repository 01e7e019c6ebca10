//! THE allow-list: every way the differential suite departs from "send the
//! same command to both servers and require byte-identical replies", each
//! with its reason. Nothing is excluded or relaxed anywhere else; the runner
//! prints a line whenever an entry applies.
//!
//! Entries are matched in order against a command (its spec name, flags and
//! tips). The first entry with a comparison rule decides how replies are
//! compared; `SkipWhen` and `KnownDiff` entries apply in addition.
//!
//! Genuine Ferrodis bugs found by the suite may be parked here only
//! temporarily, with `todo: true` and "TODO fix in src" in the reason.

use crate::resp::Frame;
use crate::spec::CommandSpec;

pub enum When {
    /// The spec name, "GET" or "CONFIG GET".
    Command(&'static str),
    /// Every subcommand of a container, e.g. "CONFIG".
    Container(&'static str),
    /// A command flag from the spec, e.g. "BLOCKING".
    Flag(&'static str),
    /// A command tip from the spec, e.g. "NONDETERMINISTIC_OUTPUT".
    Tip(&'static str),
    /// A write command with the given tip.
    WriteWithTip(&'static str),
}

pub type Args = [Vec<u8>];

pub enum Action {
    /// Never sent.
    Skip,
    /// These invocations are not sent.
    SkipWhen(fn(&Args) -> bool),
    /// Errors compare exactly; other replies only have to pass the check,
    /// given (redis, ferrodis, args).
    Check(fn(&Frame, &Frame, &Args) -> Result<(), String>),
    /// Compared as a sorted multiset of elements (field/value pairs for
    /// map-shaped replies).
    Unordered,
    /// Integer replies may differ by this much (both must be >= 0 or equal).
    Tolerance(i64),
    /// A full SCAN-style iteration is driven from the invocation on each
    /// server separately and the sorted unions compared. The argument at
    /// `cursor` is the cursor; `pairs` for field/value (HSCAN, ZSCAN).
    FullScan { cursor: usize, pairs: bool },
    /// The server closes the connection after replying: reconnect both.
    Reconnect,
    /// These map fields differ by design; their values are not compared.
    Mask(&'static [&'static str]),
    /// A tolerated mismatch, given (args, redis reply, ferrodis reply).
    KnownDiff(fn(&Args, &[u8], &[u8]) -> bool),
}

pub struct Entry {
    pub when: When,
    pub action: Action,
    pub reason: &'static str,
    /// Applies only while the oracle is older than this (a 7.0-vs-7.2 difference).
    pub oracle_below: Option<(u32, u32)>,
    /// A Ferrodis bug parked here until src/ is fixed.
    pub todo: bool,
}

const fn entry(when: When, action: Action, reason: &'static str) -> Entry {
    Entry {
        when,
        action,
        reason,
        oracle_below: None,
        todo: false,
    }
}

use Action::*;
use When::*;

pub static ALLOW: &[Entry] = &[
    // ---- Never sent: they would stop, block or hijack the test. ----
    entry(Command("SHUTDOWN"), Skip, "stops the server"),
    entry(
        Command("DEBUG"),
        Skip,
        "DEBUG SLEEP/SEGFAULT/RELOAD/RESTART freeze or kill the server",
    ),
    entry(
        Command("MONITOR"),
        Skip,
        "turns the connection into an event stream",
    ),
    entry(
        Command("SUBSCRIBE"),
        Skip,
        "turns the connection into a pub/sub stream",
    ),
    entry(
        Command("PSUBSCRIBE"),
        Skip,
        "turns the connection into a pub/sub stream",
    ),
    entry(
        Command("SSUBSCRIBE"),
        Skip,
        "turns the connection into a pub/sub stream",
    ),
    entry(
        Flag("BLOCKING"),
        Skip,
        "may block forever (timeout 0 on an empty key)",
    ),
    entry(
        Command("WAIT"),
        Skip,
        "blocks until replicas acknowledge, which never happens here",
    ),
    entry(
        Command("WAITAOF"),
        Skip,
        "blocks until fsync acknowledgements that never come",
    ),
    entry(
        Command("SYNC"),
        Skip,
        "starts a replication stream on the connection",
    ),
    entry(
        Command("PSYNC"),
        Skip,
        "starts a replication stream on the connection",
    ),
    entry(
        Command("REPLCONF"),
        Skip,
        "replica-to-master handshake, not a client command",
    ),
    entry(
        Command("REPLICAOF"),
        Skip,
        "turns the server into a replica",
    ),
    entry(Command("SLAVEOF"), Skip, "turns the server into a replica"),
    entry(Command("FAILOVER"), Skip, "hands mastership to a replica"),
    entry(
        Command("SAVE"),
        Skip,
        "writes files and their timing differs",
    ),
    entry(
        Command("BGSAVE"),
        Skip,
        "forks and writes files in the background",
    ),
    entry(
        Command("BGREWRITEAOF"),
        Skip,
        "forks and writes files in the background",
    ),
    entry(
        Command("CONFIG SET"),
        Skip,
        "changes server configuration (ports, limits) for the rest of the run",
    ),
    entry(Command("CONFIG REWRITE"), Skip, "writes the config file"),
    entry(
        Command("CLIENT KILL"),
        Skip,
        "can kill the test's own connection",
    ),
    entry(Command("CLIENT PAUSE"), Skip, "pauses every client"),
    entry(
        Command("CLIENT REPLY"),
        Skip,
        "OFF/SKIP suppress replies, desynchronising the comparison",
    ),
    entry(
        Command("CLIENT TRACKING"),
        Skip,
        "interleaves invalidation pushes with replies",
    ),
    entry(Command("ACL SETUSER"), Skip, "can lock the test's user out"),
    entry(Command("ACL DELUSER"), Skip, "can lock the test's user out"),
    entry(
        Command("ACL LOAD"),
        Skip,
        "reads an ACL file that does not exist here",
    ),
    entry(Command("ACL SAVE"), Skip, "writes an ACL file"),
    entry(Container("MODULE"), Skip, "loads shared objects"),
    entry(Command("MIGRATE"), Skip, "connects to other servers"),
    entry(
        Command("PFSELFTEST"),
        Skip,
        "an internal self-test taking seconds",
    ),
    entry(
        WriteWithTip("NONDETERMINISTIC_OUTPUT"),
        Skip,
        "writes something random (SPOP's members, XADD's time-based ids), so the two datasets would diverge",
    ),
    entry(
        Command("SRANDMEMBER"),
        SkipWhen(huge_negative_count),
        "a large negative count asks for that many members: gigabytes on both servers",
    ),
    entry(
        Command("HRANDFIELD"),
        SkipWhen(huge_negative_count),
        "a large negative count asks for that many fields: gigabytes on both servers",
    ),
    entry(
        Command("ZRANDMEMBER"),
        SkipWhen(huge_negative_count),
        "a large negative count asks for that many members: gigabytes on both servers",
    ),
    // ---- Compared differently. ----
    entry(
        Command("QUIT"),
        Reconnect,
        "closes the connection after +OK",
    ),
    entry(
        Command("HELLO"),
        Mask(&["id", "version"]),
        "client ids and the server version differ by design",
    ),
    entry(
        Command("TTL"),
        Tolerance(2),
        "remaining seconds drift between the two servers' clocks and calls",
    ),
    entry(
        Command("PTTL"),
        Tolerance(1500),
        "remaining milliseconds drift between the two servers' clocks and calls",
    ),
    entry(
        Command("EXPIRETIME"),
        Tolerance(2),
        "absolute expiry of a relative TTL depends on when each server ran the SET",
    ),
    entry(
        Command("PEXPIRETIME"),
        Tolerance(1500),
        "absolute expiry of a relative TTL depends on when each server ran the SET",
    ),
    entry(
        Command("SCAN"),
        FullScan {
            cursor: 1,
            pairs: false,
        },
        "cursors and page contents depend on hash-table layout; only the full iteration is comparable",
    ),
    entry(
        Command("SSCAN"),
        FullScan {
            cursor: 2,
            pairs: false,
        },
        "cursors and page contents depend on hash-table layout; only the full iteration is comparable",
    ),
    entry(
        Command("HSCAN"),
        FullScan {
            cursor: 2,
            pairs: true,
        },
        "cursors and page contents depend on hash-table layout; only the full iteration is comparable",
    ),
    entry(
        Command("ZSCAN"),
        FullScan {
            cursor: 2,
            pairs: true,
        },
        "cursors and page contents depend on hash-table layout; only the full iteration is comparable",
    ),
    entry(
        Command("RANDOMKEY"),
        Check(existing_key_or_nil),
        "picks a random key",
    ),
    entry(
        Command("TIME"),
        Check(close_time),
        "the clock moves between the two calls",
    ),
    entry(
        Command("CLIENT ID"),
        Check(same_type),
        "client ids depend on how many connections each server has seen",
    ),
    entry(
        Container("COMMAND"),
        Check(same_type),
        "Ferrodis describes the 7.2 command table, the oracle its own version's, and Ferrodis implements a subset",
    ),
    entry(
        Command("COMMAND"),
        Check(same_type),
        "Ferrodis describes the 7.2 command table, the oracle its own version's, and Ferrodis implements a subset",
    ),
    entry(
        Container("CONFIG"),
        Check(same_type),
        "parameter sets and values (paths, ports, memory) are implementation-specific",
    ),
    entry(Command("LOLWUT"), Check(same_type), "version-specific art"),
    entry(
        Container("MEMORY"),
        Check(same_type),
        "allocator- and encoding-specific sizes",
    ),
    entry(
        Command("INFO"),
        Check(same_type),
        "process-specific fields (pid, uptime, memory)",
    ),
    // ---- Ferrodis's own wording. ----
    entry(
        Command("OBJECT HELP"),
        Check(same_help_shape),
        "help text is written in Ferrodis's own words; the usage line and the HELP entry are compared",
    ),
    entry(
        Command("CLIENT HELP"),
        Check(same_help_shape),
        "help text is written in Ferrodis's own words; the usage line and the HELP entry are compared",
    ),
    entry(
        Command("SLOWLOG HELP"),
        Check(same_help_shape),
        "help text is written in Ferrodis's own words; the usage line and the HELP entry are compared",
    ),
    entry(
        Command("LATENCY HELP"),
        Check(same_help_shape),
        "help text is written in Ferrodis's own words; the usage line and the HELP entry are compared",
    ),
    // ---- Redis 7.0 (the oracle) against 7.2 (the target). ----
    Entry {
        oracle_below: Some((7, 2)),
        ..entry(
            Command("HELLO"),
            KnownDiff(hello_name_checked_before_auth),
            "7.2 rejects an invalid SETNAME name while parsing, before AUTH is tried; 7.0 tried AUTH first",
        )
    },
    Entry {
        oracle_below: Some((7, 2)),
        ..entry(
            Command("COMMAND GETKEYS"),
            KnownDiff(getkeys_arity_lowered),
            "7.2 lowered the arity from -4 to -3: with no argument after the command name, 7.2 looks the command up instead of refusing the arity",
        )
    },
    Entry {
        oracle_below: Some((7, 2)),
        ..entry(
            Command("COMMAND GETKEYSANDFLAGS"),
            KnownDiff(getkeys_arity_lowered),
            "7.2 lowered the arity from -4 to -3: with no argument after the command name, 7.2 looks the command up instead of refusing the arity",
        )
    },
    entry(
        Tip("NONDETERMINISTIC_OUTPUT_ORDER"),
        Unordered,
        "the spec leaves the order unspecified",
    ),
    entry(
        Tip("NONDETERMINISTIC_OUTPUT"),
        Check(same_type),
        "the spec marks the output nondeterministic (random picks, timings, encodings, ids)",
    ),
];

/// HELLO with both a failing AUTH and an invalid SETNAME name: 7.0 reports
/// the password, 7.2 the name.
fn hello_name_checked_before_auth(_args: &Args, redis: &[u8], ferrodis: &[u8]) -> bool {
    redis.starts_with(b"-WRONGPASS") && ferrodis.starts_with(b"-ERR Client names cannot contain")
}

/// The first entry that decides how replies are compared, if any.
pub fn rule<'a>(entries: &[&'a Entry]) -> Option<&'a Entry> {
    entries
        .iter()
        .copied()
        .find(|e| !matches!(e.action, SkipWhen(_) | KnownDiff(_)))
}

impl When {
    fn matches(&self, cmd: &CommandSpec) -> bool {
        match self {
            Command(name) => cmd.name().eq_ignore_ascii_case(name),
            Container(name) => cmd.words.len() == 2 && cmd.words[0].eq_ignore_ascii_case(name),
            Flag(flag) => cmd.has_flag(flag),
            Tip(tip) => cmd.has_tip(tip),
            WriteWithTip(tip) => cmd.has_flag("WRITE") && cmd.has_tip(tip),
        }
    }
}

/// "7.0.15" -> (7, 0).
pub fn major_minor(version: &str) -> (u32, u32) {
    let mut parts = version.split('.').map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// Every entry that applies to `cmd` against an oracle of `oracle_version`.
pub fn entries_for(cmd: &CommandSpec, oracle_version: &str) -> Vec<&'static Entry> {
    let oracle = major_minor(oracle_version);
    ALLOW
        .iter()
        .filter(|e| e.when.matches(cmd))
        .filter(|e| e.oracle_below.is_none_or(|below| oracle < below))
        .collect()
}

impl Entry {
    /// How the entry is named in output lines.
    pub fn describe(&self) -> String {
        let when = match &self.when {
            Command(c) => c.to_string(),
            Container(c) => format!("{c} *"),
            Flag(f) => format!("flag {f}"),
            Tip(t) => format!("tip {t}"),
            WriteWithTip(t) => format!("write + tip {t}"),
        };
        let action = match &self.action {
            Skip => "not sent",
            SkipWhen(_) => "some invocations not sent",
            Check(_) => "validity only",
            Unordered => "unordered",
            Tolerance(_) => "tolerance",
            FullScan { .. } => "full-scan union",
            Reconnect => "reconnect",
            Mask(_) => "masked fields",
            KnownDiff(_) => "known difference",
        };
        let todo = if self.todo { " [TODO fix in src]" } else { "" };
        format!("{when}: {action}{todo} ({})", self.reason)
    }
}

// ---- Predicates and checks used above. ----

fn huge_negative_count(args: &Args) -> bool {
    args.iter().skip(2).any(|a| {
        std::str::from_utf8(a)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .is_some_and(|n| n < -1000)
    })
}

fn same_type(redis: &Frame, ferrodis: &Frame, _: &Args) -> Result<(), String> {
    if redis.kind == ferrodis.kind {
        Ok(())
    } else {
        Err(format!(
            "reply types differ: '{}' vs '{}'",
            redis.kind as char, ferrodis.kind as char
        ))
    }
}

/// A random key: nil exactly when Redis has none, else some key name (any
/// argument in a key position may have become a key, not only the pool's).
fn existing_key_or_nil(redis: &Frame, ferrodis: &Frame, _: &Args) -> Result<(), String> {
    match (redis.is_null(), ferrodis.is_null(), ferrodis.text()) {
        (true, true, _) | (false, false, Some(_)) => Ok(()),
        _ => Err("expected nil iff Redis has no keys, else a key name".into()),
    }
}

fn close_time(redis: &Frame, ferrodis: &Frame, _: &Args) -> Result<(), String> {
    let seconds = |f: &Frame| -> Option<i64> {
        let parts: Vec<i64> = f
            .items
            .iter()
            .map(|i| std::str::from_utf8(i.text()?).ok()?.parse().ok())
            .collect::<Option<_>>()?;
        (parts.len() == 2 && (0..1_000_000).contains(&parts[1])).then_some(parts[0])
    };
    match (seconds(redis), seconds(ferrodis)) {
        (Some(a), Some(b)) if (a - b).abs() <= 5 => Ok(()),
        _ => Err("expected [seconds, microseconds] within 5 s of Redis's".into()),
    }
}

/// Help replies: arrays of status lines whose usage line (first) and HELP
/// entry (last two) match; the entries between are free text.
fn same_help_shape(redis: &Frame, ferrodis: &Frame, _: &Args) -> Result<(), String> {
    let ends = |f: &Frame| {
        let n = f.items.len();
        (n >= 3).then(|| {
            [
                f.items[0].line.clone(),
                f.items[n - 2].line.clone(),
                f.items[n - 1].line.clone(),
            ]
        })
    };
    match (ends(redis), ends(ferrodis)) {
        (Some(r), Some(f)) if r == f && ferrodis.items.iter().all(|i| i.kind == b'+') => Ok(()),
        _ => Err("help reply shape differs".into()),
    }
}

/// `COMMAND GETKEYS <cmd>` with nothing after the name: 7.0 refuses the arity.
fn getkeys_arity_lowered(args: &Args, redis: &[u8], _: &[u8]) -> bool {
    args.len() == 3 && redis.starts_with(b"-ERR wrong number of arguments")
}
