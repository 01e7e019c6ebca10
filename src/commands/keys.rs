//! Generic key commands: the ones that work on keys of any type (DEL,
//! EXISTS, TYPE, KEYS, SCAN, RANDOMKEY, RENAME, COPY, MOVE), their time to
//! live (EXPIRE family, TTL family, PERSIST) and OBJECT introspection.
//!
//! Type names come from `Value::kind()`, so TYPE and SCAN TYPE learn new
//! types as they are added. Commands that reach a whole database (KEYS,
//! SCAN, RANDOMKEY) lock shards themselves, since they have no key specs;
//! the two that reach a key in another database (MOVE, COPY ... DB) add
//! that key's shard to their lock set with `Locked::lock_more`.

use super::db::db_index_arg;
use super::{NOT_INTEGER, SYNTAX, reply_help};
use crate::command::{Command, Ctx, KeySpec, acl, flag, key};
use crate::keyspace::{DbView, Keyspace, SHARD_BITS, SHARDS, Ttl, Value};
use crate::protocol::Reply;
use crate::protocol::reply::c_string;
use crate::util::glob::glob_match;
use crate::util::num::parse_i64;

const SAME_OBJECT: &str = "ERR source and destination objects are the same";
const NO_SUCH_KEY: &str = "ERR no such key";
/// Redis shares one object for the integers 0..10000, which OBJECT REFCOUNT shows.
const SHARED_INTEGERS: std::ops::Range<i64> = 0..10000;
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

pub fn register(t: &mut Vec<Command>) {
    register_basic(t);
    register_rename_family(t);
    register_expire_family(t);
    register_ttl_family(t);
    register_object(t);
}

fn generic(c: Command) -> Command {
    c.acl(acl::KEYSPACE)
}

fn register_basic(t: &mut Vec<Command>) {
    let all_keys = |flags| KeySpec::range(1, -1, 1, flags);
    let multi = &["request_policy:multi_shard", "response_policy:agg_sum"];
    t.push(
        generic(Command::new("del", -2, del))
            .flags(flag::WRITE)
            .key(all_keys(key::RM | key::DELETE))
            .tips(multi)
            .doc("generic", "1.0.0", "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", "Removes one or more keys.")
            .args("key [key ...]"),
    );
    t.push(
        generic(Command::new("unlink", -2, del))
            .flags(flag::WRITE | flag::FAST)
            .key(all_keys(key::RM | key::DELETE))
            .tips(multi)
            .doc("generic", "4.0.0", "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.", "Removes one or more keys, reclaiming their memory in the background.")
            .args("key [key ...]"),
    );
    t.push(
        generic(Command::new("exists", -2, exists))
            .flags(flag::READONLY | flag::FAST)
            .key(all_keys(key::RO))
            .tips(multi)
            .doc(
                "generic",
                "1.0.0",
                "O(N) where N is the number of keys to check.",
                "Counts how many of the given keys exist.",
            )
            .args("key [key ...]"),
    );
    // TOUCH differs from EXISTS only in refreshing access times, which the
    // dict's meta word will carry once eviction policies exist.
    t.push(
        generic(Command::new("touch", -2, touch))
            .flags(flag::READONLY | flag::FAST)
            .key(all_keys(key::RO))
            .tips(multi)
            .doc(
                "generic",
                "3.2.1",
                "O(N) where N is the number of keys that will be touched.",
                "Marks keys as just accessed and counts those that exist.",
            )
            .args("key [key ...]"),
    );
    t.push(
        generic(Command::new("type", 2, type_))
            .flags(flag::READONLY | flag::FAST)
            .key(KeySpec::at(1, key::RO))
            .doc(
                "generic",
                "1.0.0",
                "O(1)",
                "Tells which type of value a key holds.",
            )
            .args("key"),
    );
    t.push(
        generic(Command::new("keys", 2, keys))
            .flags(flag::READONLY)
            .acl(acl::DANGEROUS)
            .tips(&["request_policy:all_shards", "nondeterministic_output_order"])
            .doc("generic", "1.0.0", "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", "Lists every key name matching a glob pattern.")
            .args("pattern"),
    );
    t.push(
        generic(Command::new("scan", -2, scan))
            .flags(flag::READONLY | flag::TOUCHES_ARBITRARY_KEYS)
            .tips(&["nondeterministic_output", "request_policy:special", "response_policy:special"])
            .doc("generic", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "Walks the key names of the database a batch at a time.")
            .args("cursor [MATCH pattern] [COUNT count] [TYPE type]"),
    );
    t.push(
        generic(Command::new("randomkey", 1, randomkey))
            .flags(flag::READONLY | flag::TOUCHES_ARBITRARY_KEYS)
            .tips(&[
                "request_policy:all_shards",
                "response_policy:special",
                "nondeterministic_output",
            ])
            .doc(
                "generic",
                "1.0.0",
                "O(1)",
                "Picks a key name of the database at random.",
            ),
    );
}

fn register_rename_family(t: &mut Vec<Command>) {
    t.push(
        generic(Command::new("rename", 3, rename))
            .flags(flag::WRITE)
            .key(KeySpec::at(1, key::RW | key::ACCESS | key::DELETE))
            .key(KeySpec::at(2, key::OW | key::UPDATE))
            .doc(
                "generic",
                "1.0.0",
                "O(1)",
                "Gives a key a new name, replacing any key of that name.",
            )
            .args("key newkey"),
    );
    t.push(
        generic(Command::new("renamenx", 3, renamenx))
            .flags(flag::WRITE | flag::FAST)
            .key(KeySpec::at(1, key::RW | key::ACCESS | key::DELETE))
            .key(KeySpec::at(2, key::OW | key::INSERT))
            .doc(
                "generic",
                "1.0.0",
                "O(1)",
                "Gives a key a new name unless a key of that name exists.",
            )
            .args("key newkey"),
    );
    t.push(
        generic(Command::new("copy", -3, copy))
            .flags(flag::WRITE | flag::DENYOOM)
            .key(KeySpec::at(1, key::RO | key::ACCESS))
            .key(KeySpec::at(2, key::OW | key::UPDATE))
            .doc("generic", "6.2.0", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", "Duplicates a key's value under another name, possibly in another database.")
            .args("source destination [DB destination-db] [REPLACE]"),
    );
    t.push(
        generic(Command::new("move", 3, move_))
            .flags(flag::WRITE | flag::FAST)
            .key(KeySpec::at(1, key::RW | key::ACCESS | key::UPDATE))
            .doc(
                "generic",
                "1.0.0",
                "O(1)",
                "Transfers a key to another database.",
            )
            .args("key db"),
    );
}

fn register_expire_family(t: &mut Vec<Command>) {
    let expire_cmd = |name, handler, since, summary, grammar| {
        generic(Command::new(name, -3, handler))
            .flags(flag::WRITE | flag::FAST)
            .key(KeySpec::at(1, key::RW | key::UPDATE))
            .doc("generic", since, "O(1)", summary)
            .args(grammar)
    };
    t.push(expire_cmd(
        "expire",
        expire,
        "1.0.0",
        "Gives a key a time to live in seconds.",
        "key seconds [NX | XX | GT | LT]",
    ));
    t.push(expire_cmd(
        "pexpire",
        pexpire,
        "2.6.0",
        "Gives a key a time to live in milliseconds.",
        "key milliseconds [NX | XX | GT | LT]",
    ));
    t.push(expire_cmd(
        "expireat",
        expireat,
        "1.2.0",
        "Makes a key expire at a Unix time in seconds.",
        "key unix-time-seconds [NX | XX | GT | LT]",
    ));
    t.push(expire_cmd(
        "pexpireat",
        pexpireat,
        "2.6.0",
        "Makes a key expire at a Unix time in milliseconds.",
        "key unix-time-milliseconds [NX | XX | GT | LT]",
    ));
    t.push(
        generic(Command::new("persist", 2, persist))
            .flags(flag::WRITE | flag::FAST)
            .key(KeySpec::at(1, key::RW | key::UPDATE))
            .doc(
                "generic",
                "2.2.0",
                "O(1)",
                "Removes a key's time to live, so it no longer expires.",
            )
            .args("key"),
    );
}

fn register_ttl_family(t: &mut Vec<Command>) {
    let ttl_cmd = |name, handler, since, summary| {
        generic(Command::new(name, 2, handler))
            .flags(flag::READONLY | flag::FAST)
            .key(KeySpec::at(1, key::RO | key::ACCESS))
            .doc("generic", since, "O(1)", summary)
            .args("key")
    };
    let nondeterministic: &[&str] = &["nondeterministic_output"];
    t.push(
        ttl_cmd(
            "ttl",
            ttl,
            "1.0.0",
            "Tells how many seconds a key has left to live.",
        )
        .tips(nondeterministic),
    );
    t.push(
        ttl_cmd(
            "pttl",
            pttl,
            "2.6.0",
            "Tells how many milliseconds a key has left to live.",
        )
        .tips(nondeterministic),
    );
    t.push(ttl_cmd(
        "expiretime",
        expiretime,
        "7.0.0",
        "Tells the Unix time in seconds at which a key expires.",
    ));
    t.push(ttl_cmd(
        "pexpiretime",
        pexpiretime,
        "7.0.0",
        "Tells the Unix time in milliseconds at which a key expires.",
    ));
}

fn register_object(t: &mut Vec<Command>) {
    let inspect = |name, handler, since, summary| {
        generic(Command::new(name, 3, handler))
            .flags(flag::READONLY)
            .key(KeySpec::at(2, key::RO))
            .tips(&["nondeterministic_output"])
            .doc("generic", since, "O(1)", summary)
            .args("key")
    };
    t.push(
        Command::container("object", -2)
            .doc(
                "generic",
                "2.2.3",
                "Depends on subcommand.",
                "Groups the commands that inspect how a value is stored.",
            )
            .sub(inspect(
                "encoding",
                object_encoding,
                "2.2.3",
                "Tells which internal representation holds a key's value.",
            ))
            .sub(inspect(
                "freq",
                object_freq,
                "4.0.0",
                "Tells a key's logarithmic access frequency counter.",
            ))
            .sub(inspect(
                "idletime",
                object_idletime,
                "2.2.3",
                "Tells how many seconds ago a key was last accessed.",
            ))
            .sub(inspect(
                "refcount",
                object_refcount,
                "2.2.3",
                "Tells how many references a key's value has.",
            ))
            .sub(
                generic(Command::new("help", 2, object_help))
                    .flags(flag::LOADING | flag::STALE)
                    .doc(
                        "generic",
                        "6.2.0",
                        "O(1)",
                        "Describes the OBJECT subcommands.",
                    ),
            ),
    );
}

fn del(ctx: &mut Ctx<'_>) {
    let mut db = ctx.locked.db(ctx.client.db);
    let removed = ctx.args.iter().skip(1).filter(|k| db.remove(k)).count();
    ctx.out.int(removed as i64);
}

/// EXISTS and TOUCH: how many of the arguments name existing keys, repeats counted.
/// EXISTS looks without touching (Redis leaves the access clock alone).
fn exists(ctx: &mut Ctx<'_>) {
    count_existing(ctx, |db, key| db.peek(key).is_some());
}

/// TOUCH's whole point is to update the access clock.
fn touch(ctx: &mut Ctx<'_>) {
    count_existing(ctx, |db, key| db.get(key).is_some());
}

fn count_existing(ctx: &mut Ctx<'_>, present: impl Fn(&mut DbView<'_, '_>, &[u8]) -> bool) {
    let mut db = ctx.locked.db(ctx.client.db);
    let found = ctx
        .args
        .iter()
        .skip(1)
        .filter(|k| present(&mut db, k))
        .count();
    ctx.out.int(found as i64);
}

fn type_(ctx: &mut Ctx<'_>) {
    let mut db = ctx.locked.db(ctx.client.db);
    let name = db
        .lookup_read(ctx.args.get(1))
        .map_or("none", |v| v.kind().name());
    ctx.out.simple(name);
}

fn keys(ctx: &mut Ctx<'_>) {
    let pattern = ctx.arg(1);
    // Like Redis, "*" lists every key without matching (the matcher itself
    // never matches an empty key).
    let every_key = pattern == b"*";
    let db = ctx.client.db;
    let mut locked = ctx.server.keyspace.lock_dbs(&[db]);
    let now = locked.now;
    let mark = ctx.out.mark();
    let mut listed = 0;
    for shard in locked.shards_mut(db) {
        for (key, _) in shard.data.iter() {
            // KEYS hides expired keys but, like Redis, leaves deleting them to others.
            let expired = !shard.expires.is_empty()
                && shard
                    .expires
                    .get_hashed(crate::keyspace::hash_key(key), key)
                    .is_some_and(|&at| at <= now);
            if !expired && (every_key || glob_match(pattern, key, false)) {
                ctx.out.bulk(key);
                listed += 1;
            }
        }
    }
    ctx.out.array_before(mark, listed);
}

/// SCAN's cursor as Redis reads it (C `strtoul`): optional sign, where `-n`
/// wraps around, digits to the end; the empty string is cursor 0.
fn parse_cursor(arg: &[u8]) -> Option<u64> {
    let (negative, digits) = match arg.first() {
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        _ => (false, arg),
    };
    if arg.is_empty() {
        return Some(0);
    }
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })?;
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

struct ScanOptions<'a> {
    pattern: Option<&'a [u8]>,
    type_name: Option<&'a [u8]>,
    count: usize,
}

/// Parses MATCH / COUNT / TYPE, replying with Redis's error when they are malformed.
fn parse_scan_options<'a>(ctx: &mut Ctx<'a>) -> Option<ScanOptions<'a>> {
    let mut opts = ScanOptions {
        pattern: None,
        type_name: None,
        count: 10,
    };
    let mut i = 2;
    while i < ctx.args.len() {
        let (opt, has_value) = (ctx.arg(i), i + 1 < ctx.args.len());
        if !has_value {
            ctx.out.error(SYNTAX);
            return None;
        }
        let value = ctx.arg(i + 1);
        if opt.eq_ignore_ascii_case(b"count") {
            let Some(count) = parse_i64(value) else {
                ctx.out.error(NOT_INTEGER);
                return None;
            };
            if count < 1 {
                ctx.out.error(SYNTAX);
                return None;
            }
            opts.count = usize::try_from(count).unwrap_or(usize::MAX);
        } else if opt.eq_ignore_ascii_case(b"match") {
            // `*` matches everything; skipping the matcher is Redis's shortcut too.
            opts.pattern = Some(value).filter(|p| p != b"*");
        } else if opt.eq_ignore_ascii_case(b"type") {
            opts.type_name = Some(value);
        } else {
            ctx.out.error(SYNTAX);
            return None;
        }
        i += 2;
    }
    Some(opts)
}

fn scan(ctx: &mut Ctx<'_>) {
    let Some(cursor) = parse_cursor(ctx.arg(1)) else {
        ctx.out.error("ERR invalid cursor");
        return;
    };
    let Some(opts) = parse_scan_options(ctx) else {
        return;
    };
    let (next, keys) = scan_db(&ctx.server.keyspace, ctx.client.db, cursor, &opts);
    ctx.out.array(2);
    ctx.out.bulk(itoa::Buffer::new().format(next).as_bytes());
    ctx.out.array(keys.len());
    for key in &keys {
        ctx.out.bulk(key);
    }
}

/// Splits a SCAN cursor into (shard, the shard dict's own cursor).
fn split_cursor(cursor: u64) -> (usize, u64) {
    ((cursor % SHARDS as u64) as usize, cursor >> SHARD_BITS)
}

/// The inverse of [`split_cursor`]. A dict cursor stays below its table
/// size, so shifting it left by the shard bits loses nothing.
fn join_cursor(shard: usize, inner: u64) -> u64 {
    (inner << SHARD_BITS) | shard as u64
}

/// One SCAN call: walks shard after shard, one lock at a time, each with the
/// dict's reverse-binary cursor, until about `count` keys were visited. A key
/// present for the whole iteration is in some shard whose dict scan reports
/// it, so a full iteration returns it however tables grow or shrink.
fn scan_db(
    keyspace: &Keyspace,
    db: usize,
    cursor: u64,
    opts: &ScanOptions<'_>,
) -> (u64, Vec<Vec<u8>>) {
    let (mut shard, mut inner) = split_cursor(cursor);
    let mut visited = 0usize;
    // Bounds the work on sparse tables, as Redis bounds its bucket visits.
    let mut steps_left = opts.count.saturating_mul(10);
    let mut found = Vec::new();
    loop {
        let mut locked = keyspace.lock_shard(db, shard);
        let mut batch = Vec::new();
        if let Some(state) = locked.shards_mut(db).next() {
            loop {
                inner = state.data.scan(inner, |key, value| {
                    visited += 1;
                    if scan_wants(opts, key, value) {
                        batch.push(key.to_vec());
                    }
                });
                steps_left = steps_left.saturating_sub(1);
                if inner == 0 || visited >= opts.count || steps_left == 0 {
                    break;
                }
            }
        }
        let mut view = locked.db(db);
        // Expired keys are deleted on the way, as Redis's SCAN does.
        found.extend(batch.into_iter().filter(|key| view.exists(key)));
        drop(locked);
        if inner == 0 {
            shard += 1;
            if shard == SHARDS {
                return (0, found);
            }
        }
        if visited >= opts.count || steps_left == 0 {
            return (join_cursor(shard, inner), found);
        }
    }
}

fn scan_wants(opts: &ScanOptions<'_>, key: &[u8], value: &Value) -> bool {
    opts.pattern.is_none_or(|p| glob_match(p, key, false))
        && opts
            .type_name
            .is_none_or(|t| value.kind().name().as_bytes().eq_ignore_ascii_case(t))
}

fn randomkey(ctx: &mut Ctx<'_>) {
    use rand::RngExt;
    let db = ctx.client.db;
    let mut rng = rand::rng();
    // Starting at a random shard and taking the first non-empty one favours
    // shards after empty ones a little; on a well-filled database shards are
    // evenly loaded, and it never waits on more than one lock at a time.
    let start = rng.random_range(0..SHARDS);
    for i in 0..SHARDS {
        let mut locked = ctx.server.keyspace.lock_shard(db, (start + i) % SHARDS);
        loop {
            let drawn = locked
                .shards_mut(db)
                .next()
                .and_then(|s| s.data.random_entry(&mut rng))
                .map(|(key, _)| key.to_vec());
            let Some(key) = drawn else {
                break;
            };
            // An expired draw is deleted here, so the loop ends: each retry has one key fewer.
            if locked.db(db).exists(&key) {
                ctx.out.bulk(&key);
                return;
            }
        }
    }
    ctx.out.null();
}

fn rename(ctx: &mut Ctx<'_>) {
    rename_generic(ctx, false);
}

fn renamenx(ctx: &mut Ctx<'_>) {
    rename_generic(ctx, true);
}

fn rename_generic(ctx: &mut Ctx<'_>, nx: bool) {
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    let mut db = ctx.locked.db(ctx.client.db);
    let expire = db.expire_at(src);
    let renamed = if !db.exists(src) {
        ctx.out.error(NO_SUCH_KEY);
        return;
    } else if src == dst || (nx && db.exists(dst)) {
        false
    } else if let Some(value) = db.take(src) {
        db.set(dst, value, expire.map_or(Ttl::Clear, Ttl::At));
        true
    } else {
        false
    };
    if nx {
        ctx.out.int(renamed as i64);
    } else {
        ctx.out.ok();
    }
}

/// A copy of a value in the same representation, as Redis's COPY keeps the encoding.
fn duplicate(value: &Value) -> Value {
    match value {
        Value::Int(n) => Value::Int(*n),
        Value::Inline { len, buf } => Value::Inline {
            len: *len,
            buf: *buf,
        },
        Value::Heap(bytes) => Value::Heap(bytes.clone()),
        Value::Raw(bytes) => Value::Raw(bytes.clone()),
    }
}

fn copy(ctx: &mut Ctx<'_>) {
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    let src_db = ctx.client.db;
    let mut dst_db = src_db;
    let mut replace = false;
    let mut i = 3;
    while i < ctx.args.len() {
        let opt = ctx.arg(i);
        if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if opt.eq_ignore_ascii_case(b"db") && i + 1 < ctx.args.len() {
            let Some(index) = db_index_arg(ctx, ctx.arg(i + 1)) else {
                return;
            };
            dst_db = index;
            i += 1;
        } else {
            ctx.out.error(SYNTAX);
            return;
        }
        i += 1;
    }
    if src_db == dst_db && src == dst {
        ctx.out.error(SAME_OBJECT);
        return;
    }
    ctx.locked.lock_more([(dst_db, dst)]);
    let mut from = ctx.locked.db(src_db);
    let Some(value) = from.lookup_read(src).map(|v| duplicate(v)) else {
        ctx.out.int(0);
        return;
    };
    let expire = from.expire_at(src);
    let mut to = ctx.locked.db(dst_db);
    if !replace && to.exists(dst) {
        ctx.out.int(0);
        return;
    }
    to.set(dst, value, expire.map_or(Ttl::Clear, Ttl::At));
    ctx.out.int(1);
}

fn move_(ctx: &mut Ctx<'_>) {
    let key = ctx.arg(1);
    let Some(dst_db) = db_index_arg(ctx, ctx.arg(2)) else {
        return;
    };
    let src_db = ctx.client.db;
    if dst_db == src_db {
        ctx.out.error(SAME_OBJECT);
        return;
    }
    ctx.locked.lock_more([(dst_db, key)]);
    let mut from = ctx.locked.db(src_db);
    let expire = from.expire_at(key);
    if !from.exists(key) || ctx.locked.db(dst_db).exists(key) {
        ctx.out.int(0);
        return;
    }
    let Some(value) = ctx.locked.db(src_db).take(key) else {
        ctx.out.int(0);
        return;
    };
    ctx.locked
        .db(dst_db)
        .set(key, value, expire.map_or(Ttl::Clear, Ttl::At));
    ctx.out.int(1);
}

/// The NX / XX / GT / LT conditions of the EXPIRE family.
#[derive(Default, Clone, Copy)]
struct ExpireCondition {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl ExpireCondition {
    /// Parses the options after the time, replying with Redis's error if invalid.
    fn parse(ctx: &mut Ctx<'_>) -> Option<ExpireCondition> {
        let mut c = ExpireCondition::default();
        for opt in ctx.args.tail(3).iter() {
            let flag = match opt.to_ascii_lowercase().as_slice() {
                b"nx" => &mut c.nx,
                b"xx" => &mut c.xx,
                b"gt" => &mut c.gt,
                b"lt" => &mut c.lt,
                _ => {
                    let msg = [b"ERR Unsupported option ", c_string(opt, usize::MAX)].concat();
                    ctx.out.error_bytes(&msg);
                    return None;
                }
            };
            *flag = true;
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            ctx.out
                .error("ERR NX and XX, GT or LT options at the same time are not compatible");
            return None;
        }
        if c.gt && c.lt {
            ctx.out
                .error("ERR GT and LT options at the same time are not compatible");
            return None;
        }
        Some(c)
    }

    /// Whether the new expiry `when` may replace `current` (None: no expiry,
    /// which counts as infinitely far away for GT and LT).
    fn allows(self, current: Option<i64>, when: i64) -> bool {
        match current {
            None => !self.xx && !self.gt,
            Some(at) => !(self.nx || (self.gt && when <= at) || (self.lt && when >= at)),
        }
    }
}

fn expire(ctx: &mut Ctx<'_>) {
    expire_generic(ctx, 1000, true);
}

fn pexpire(ctx: &mut Ctx<'_>) {
    expire_generic(ctx, 1, true);
}

fn expireat(ctx: &mut Ctx<'_>) {
    expire_generic(ctx, 1000, false);
}

fn pexpireat(ctx: &mut Ctx<'_>) {
    expire_generic(ctx, 1, false);
}

/// The absolute expiry (unix ms) an EXPIRE-family time argument stands for;
/// `None` where Redis reports an invalid expire time (overflow).
fn absolute_expiry(n: i64, unit_ms: i64, relative: bool, now: i64) -> Option<i64> {
    let ms = n.checked_mul(unit_ms)?;
    if relative {
        ms.checked_add(now)
    } else {
        Some(ms)
    }
}

fn expire_generic(ctx: &mut Ctx<'_>, unit_ms: i64, relative: bool) {
    let Some(condition) = ExpireCondition::parse(ctx) else {
        return;
    };
    let Some(n) = parse_i64(ctx.arg(2)) else {
        ctx.out.error(NOT_INTEGER);
        return;
    };
    let Some(when) = absolute_expiry(n, unit_ms, relative, ctx.locked.now) else {
        ctx.out.error(&format!(
            "ERR invalid expire time in '{}' command",
            ctx.command.fullname
        ));
        return;
    };
    let key = ctx.arg(1);
    let mut db = ctx.locked.db(ctx.client.db);
    if !db.exists(key) || !condition.allows(db.expire_at(key), when) {
        ctx.out.int(0);
        return;
    }
    if when <= db.now() {
        db.remove(key);
        db.emit(&[b"DEL", key]);
    } else {
        db.set_expire(key, Some(when));
        let mut digits = itoa::Buffer::new();
        let mut argv: Vec<&[u8]> = vec![b"PEXPIREAT", key, digits.format(when).as_bytes()];
        argv.extend(ctx.args.tail(3).iter());
        db.emit(&argv);
    }
    ctx.out.int(1);
}

fn persist(ctx: &mut Ctx<'_>) {
    let key = ctx.arg(1);
    let mut db = ctx.locked.db(ctx.client.db);
    let had_ttl = db.expire_at(key).is_some();
    if had_ttl {
        db.set_expire(key, None);
    }
    ctx.out.int(had_ttl as i64);
}

fn ttl(ctx: &mut Ctx<'_>) {
    ttl_generic(ctx, false, false);
}

fn pttl(ctx: &mut Ctx<'_>) {
    ttl_generic(ctx, true, false);
}

fn expiretime(ctx: &mut Ctx<'_>) {
    ttl_generic(ctx, false, true);
}

fn pexpiretime(ctx: &mut Ctx<'_>) {
    ttl_generic(ctx, true, true);
}

/// -2 for a missing key, -1 for one without expiry, else the remaining time
/// or the absolute expiry, in ms or in seconds rounded to nearest.
fn ttl_generic(ctx: &mut Ctx<'_>, in_ms: bool, absolute: bool) {
    let key = ctx.arg(1);
    let mut db = ctx.locked.db(ctx.client.db);
    if db.lookup_read(key).is_none() {
        ctx.out.int(-2);
        return;
    }
    let Some(at) = db.expire_at(key) else {
        ctx.out.int(-1);
        return;
    };
    let ms = if absolute {
        at
    } else {
        at.saturating_sub(db.now()).max(0)
    };
    let reply = if in_ms {
        ms
    } else {
        ((i128::from(ms) + 500) / 1000) as i64
    };
    ctx.out.int(reply);
}

/// Answers an OBJECT subcommand from the key's value, or null when it is missing.
/// OBJECT looks without touching, so IDLETIME reports the idle time it asks about.
fn inspect_object(ctx: &mut Ctx<'_>, answer: impl FnOnce(&Value, &mut Reply<'_>)) {
    let key = ctx.arg(2);
    let mut db = ctx.locked.db(ctx.client.db);
    match db.peek(key) {
        Some(value) => answer(value, &mut ctx.out),
        None => ctx.out.null(),
    }
}

fn object_encoding(ctx: &mut Ctx<'_>) {
    inspect_object(ctx, |value, out| out.bulk(value.encoding().as_bytes()));
}

fn object_refcount(ctx: &mut Ctx<'_>) {
    inspect_object(ctx, |value, out| {
        out.int(match value {
            Value::Int(n) if SHARED_INTEGERS.contains(n) => SHARED_REFCOUNT,
            _ => 1,
        })
    });
}

/// Access frequency is tracked only under an LFU maxmemory policy, and
/// there is no maxmemory policy yet, so this is always Redis's LRU answer.
fn object_freq(ctx: &mut Ctx<'_>) {
    inspect_object(ctx, |_, out| {
        out.error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
    });
}

/// Seconds since the key was last read or written, from the entry's access clock.
fn object_idletime(ctx: &mut Ctx<'_>) {
    let key = ctx.arg(2);
    let mut db = ctx.locked.db(ctx.client.db);
    match db.idle_ms(key) {
        Some(ms) => ctx.out.int(ms / 1000),
        None => ctx.out.null(),
    }
}

const OBJECT_HELP: &[&str] = &[
    "ENCODING <key>",
    "    Name of the representation the value of <key> is stored in.",
    "FREQ <key>",
    "    Logarithmic access counter of <key> (needs an LFU maxmemory-policy).",
    "IDLETIME <key>",
    "    Seconds since <key> was last read or written.",
    "REFCOUNT <key>",
    "    How many references the value of <key> has.",
];

fn object_help(ctx: &mut Ctx<'_>) {
    reply_help(ctx, OBJECT_HELP);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_parses_like_strtoul() {
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"+5"), Some(5));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        for bad in [
            &b"18446744073709551616"[..],
            b" 1",
            b"1x",
            b"-",
            b"+",
            b"0x1",
        ] {
            assert_eq!(parse_cursor(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cursor_round_trips_shard_and_dict_cursor() {
        for (shard, inner) in [(0, 0), (63, 1), (5, (1 << 40) + 3)] {
            assert_eq!(split_cursor(join_cursor(shard, inner)), (shard, inner));
        }
    }

    #[test]
    fn expire_conditions_treat_no_ttl_as_infinite() {
        let gt = ExpireCondition {
            gt: true,
            ..Default::default()
        };
        let lt = ExpireCondition {
            lt: true,
            ..Default::default()
        };
        assert!(!gt.allows(None, 5));
        assert!(lt.allows(None, 5));
        assert!(gt.allows(Some(4), 5) && !gt.allows(Some(5), 5));
        assert!(lt.allows(Some(6), 5) && !lt.allows(Some(5), 5));
    }
}
