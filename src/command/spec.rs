//! What the table says about a command: Redis 7.2's command metadata as data.
//!
//! Families describe each command with a small builder; flag, category and
//! key-spec names are kept here next to the bits they stand for, so COMMAND
//! replies and the dispatcher read the same facts.

use super::{Args, Handler};
use crate::keyspace::LockPlan;

/// Command flags (COMMAND INFO's second field).
pub mod flag {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const ASKING: u32 = 1 << 11;
    pub const FAST: u32 = 1 << 12;
    pub const NO_AUTH: u32 = 1 << 13;
    pub const MAY_REPLICATE: u32 = 1 << 14;
    pub const SENTINEL: u32 = 1 << 15;
    pub const ONLY_SENTINEL: u32 = 1 << 16;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 17;
    pub const PROTECTED: u32 = 1 << 18;
    pub const NO_ASYNC_LOADING: u32 = 1 << 19;
    pub const NO_MULTI: u32 = 1 << 20;
    pub const MOVABLE_KEYS: u32 = 1 << 21;
    pub const ALLOW_BUSY: u32 = 1 << 22;
    pub const TOUCHES_ARBITRARY_KEYS: u32 = 1 << 23;

    /// Names as the spec files and COMMAND INFO spell them (upper case in the spec).
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (SENTINEL, "sentinel"),
        (ONLY_SENTINEL, "only_sentinel"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (PROTECTED, "protected"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
        (TOUCHES_ARBITRARY_KEYS, "touches_arbitrary_keys"),
    ];
}

/// ACL categories.
pub mod acl {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const READ: u32 = 1 << 1;
    pub const WRITE: u32 = 1 << 2;
    pub const SET: u32 = 1 << 3;
    pub const SORTEDSET: u32 = 1 << 4;
    pub const LIST: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const STRING: u32 = 1 << 7;
    pub const BITMAP: u32 = 1 << 8;
    pub const HYPERLOGLOG: u32 = 1 << 9;
    pub const GEO: u32 = 1 << 10;
    pub const STREAM: u32 = 1 << 11;
    pub const PUBSUB: u32 = 1 << 12;
    pub const ADMIN: u32 = 1 << 13;
    pub const FAST: u32 = 1 << 14;
    pub const SLOW: u32 = 1 << 15;
    pub const BLOCKING: u32 = 1 << 16;
    pub const DANGEROUS: u32 = 1 << 17;
    pub const CONNECTION: u32 = 1 << 18;
    pub const TRANSACTION: u32 = 1 << 19;
    pub const SCRIPTING: u32 = 1 << 20;

    /// In the order Redis lists categories.
    pub const NAMES: &[(u32, &str)] = &[
        (KEYSPACE, "keyspace"),
        (READ, "read"),
        (WRITE, "write"),
        (SET, "set"),
        (SORTEDSET, "sortedset"),
        (LIST, "list"),
        (HASH, "hash"),
        (STRING, "string"),
        (BITMAP, "bitmap"),
        (HYPERLOGLOG, "hyperloglog"),
        (GEO, "geo"),
        (STREAM, "stream"),
        (PUBSUB, "pubsub"),
        (ADMIN, "admin"),
        (FAST, "fast"),
        (SLOW, "slow"),
        (BLOCKING, "blocking"),
        (DANGEROUS, "dangerous"),
        (CONNECTION, "connection"),
        (TRANSACTION, "transaction"),
        (SCRIPTING, "scripting"),
    ];
}

/// Key-spec flags.
pub mod key {
    pub const RO: u32 = 1 << 0;
    pub const RW: u32 = 1 << 1;
    pub const OW: u32 = 1 << 2;
    pub const RM: u32 = 1 << 3;
    pub const ACCESS: u32 = 1 << 4;
    pub const UPDATE: u32 = 1 << 5;
    pub const INSERT: u32 = 1 << 6;
    pub const DELETE: u32 = 1 << 7;
    pub const NOT_KEY: u32 = 1 << 8;
    pub const INCOMPLETE: u32 = 1 << 9;
    pub const VARIABLE_FLAGS: u32 = 1 << 10;

    pub const NAMES: &[(u32, &str)] = &[
        (RO, "RO"),
        (RW, "RW"),
        (OW, "OW"),
        (RM, "RM"),
        (ACCESS, "access"),
        (UPDATE, "update"),
        (INSERT, "insert"),
        (DELETE, "delete"),
        (NOT_KEY, "not_key"),
        (INCOMPLETE, "incomplete"),
        (VARIABLE_FLAGS, "variable_flags"),
    ];
}

/// Where the search for keys starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginSearch {
    Index(i32),
    Keyword {
        keyword: &'static str,
        startfrom: i32,
    },
    Unknown,
}

/// How keys are found from the starting point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindKeys {
    Range {
        lastkey: i32,
        step: i32,
        limit: i32,
    },
    Keynum {
        keynumidx: i32,
        firstkey: i32,
        step: i32,
    },
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    pub flags: u32,
    pub begin: BeginSearch,
    pub find: FindKeys,
}

impl KeySpec {
    /// One key at a fixed position.
    pub const fn at(pos: i32, flags: u32) -> KeySpec {
        KeySpec::range(pos, 0, 1, flags)
    }

    /// Keys from `pos` to `lastkey` (negative counts from the end) every `step`.
    pub const fn range(pos: i32, lastkey: i32, step: i32, flags: u32) -> KeySpec {
        KeySpec {
            flags,
            begin: BeginSearch::Index(pos),
            find: FindKeys::Range {
                lastkey,
                step,
                limit: 0,
            },
        }
    }

    /// A count at `pos`, then that many keys (times `step`) after it.
    pub const fn keynum(pos: i32, keynumidx: i32, firstkey: i32, step: i32, flags: u32) -> KeySpec {
        KeySpec {
            flags,
            begin: BeginSearch::Index(pos),
            find: FindKeys::Keynum {
                keynumidx,
                firstkey,
                step,
            },
        }
    }
}

/// What a command locks beyond the shards of its key specs. The dispatcher
/// turns this into a lock plan before running the handler, so handlers
/// never lock anything themselves.
#[derive(Clone, Copy)]
pub enum Locks {
    /// Only its keys' shards.
    Keys,
    /// Every shard of the selected database (KEYS, SCAN, DBSIZE, FLUSHDB...).
    Db,
    /// Every shard of every database (FLUSHALL).
    AllDbs,
    /// Its keys' shards plus what this computes from the arguments, the
    /// selected database and the number of databases (COPY ... DB, MOVE,
    /// SWAPDB, INFO keyspace). Unparsable arguments add nothing: the
    /// handler reports them.
    Computed(fn(&Args<'_>, usize, usize, &mut LockPlan)),
}

/// Documentation shown by COMMAND DOCS.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    pub summary: &'static str,
    pub since: &'static str,
    pub group: &'static str,
    pub complexity: &'static str,
    /// The argument grammar in Redis's usage notation, e.g. `key [NX | XX]`.
    pub arguments: &'static str,
}

/// One command table entry.
pub struct Command {
    /// Its number in the table (subcommands included), given when the
    /// table is built; statistics and CLIENT LIST refer to commands by it.
    pub id: u32,
    /// Lower-case name; for a subcommand, the part after the container.
    pub name: &'static str,
    /// `get`, or `object|encoding` for subcommands.
    pub fullname: String,
    pub arity: i32,
    pub flags: u32,
    /// The categories the spec lists; the ones implied by flags are derived.
    pub acl: u32,
    pub key_specs: Vec<KeySpec>,
    pub locks: Locks,
    pub tips: &'static [&'static str],
    pub handler: Option<Handler>,
    pub subcommands: Vec<Command>,
    pub doc: Doc,
}

impl Command {
    pub fn new(name: &'static str, arity: i32, handler: Handler) -> Command {
        Command {
            id: 0,
            name,
            fullname: name.to_string(),
            arity,
            flags: 0,
            acl: 0,
            key_specs: Vec::new(),
            locks: Locks::Keys,
            tips: &[],
            handler: Some(handler),
            subcommands: Vec::new(),
            doc: Doc::default(),
        }
    }

    /// A command whose work is done by its subcommands (OBJECT, COMMAND...).
    pub fn container(name: &'static str, arity: i32) -> Command {
        Command {
            handler: None,
            ..Command::new(name, arity, |_| Ok(()))
        }
    }

    pub fn flags(mut self, flags: u32) -> Self {
        self.flags |= flags;
        self
    }

    pub fn acl(mut self, categories: u32) -> Self {
        self.acl |= categories;
        self
    }

    pub fn key(mut self, spec: KeySpec) -> Self {
        self.key_specs.push(spec);
        self
    }

    pub fn locks(mut self, locks: Locks) -> Self {
        self.locks = locks;
        self
    }

    pub fn tips(mut self, tips: &'static [&'static str]) -> Self {
        self.tips = tips;
        self
    }

    /// Summary, version introduced, group and complexity, as COMMAND DOCS reports.
    pub fn doc(
        mut self,
        group: &'static str,
        since: &'static str,
        complexity: &'static str,
        summary: &'static str,
    ) -> Self {
        self.doc.group = group;
        self.doc.since = since;
        self.doc.complexity = complexity;
        self.doc.summary = summary;
        self
    }

    /// The argument grammar, in the notation of Redis's usage lines.
    pub fn args(mut self, grammar: &'static str) -> Self {
        self.doc.arguments = grammar;
        self
    }

    /// Adds a subcommand (builder style, like the other setters).
    #[allow(clippy::should_implement_trait)]
    pub fn sub(mut self, mut sub: Command) -> Self {
        sub.fullname = format!("{}|{}", self.name, sub.name);
        self.subcommands.push(sub);
        self
    }

    pub fn subcommand(&self, name: &[u8]) -> Option<&Command> {
        self.subcommands
            .iter()
            .find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
    }

    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// Whether `argc` (command name included) satisfies the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = self.arity as i64;
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// ACL categories including those Redis derives from flags.
    pub fn all_acl_categories(&self) -> u32 {
        let mut cats = self.acl;
        if self.has(flag::WRITE) {
            cats |= acl::WRITE;
        }
        if self.has(flag::READONLY) && self.acl & acl::SCRIPTING == 0 {
            cats |= acl::READ;
        }
        if self.has(flag::ADMIN) {
            cats |= acl::ADMIN | acl::DANGEROUS;
        }
        if self.has(flag::PUBSUB) {
            cats |= acl::PUBSUB;
        }
        if self.has(flag::FAST) {
            cats |= acl::FAST;
        }
        if self.has(flag::BLOCKING) {
            cats |= acl::BLOCKING;
        }
        if cats & acl::FAST == 0 {
            cats |= acl::SLOW;
        }
        cats
    }
}
