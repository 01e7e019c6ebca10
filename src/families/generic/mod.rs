//! Generic key commands: the ones that work on keys of any type. This
//! module registers them all and implements DEL, EXISTS, TOUCH, TYPE,
//! RENAME, COPY and MOVE; `walk` has the whole-database walks (KEYS, SCAN,
//! RANDOMKEY), `ttl` the EXPIRE and TTL families, `object` OBJECT.
//!
//! Type names come from `Value::kind()`, so TYPE and SCAN TYPE learn new
//! types as they are added. The whole-database walks declare `Locks::Db`;
//! MOVE and COPY ... DB declare the key they reach in the other database,
//! so the dispatcher locks it with the rest.

mod object;
mod ttl;
mod walk;

use super::db::{db_index_arg, db_index_of};
use crate::command::{Args, CmdResult, Command, Ctx, KeySpec, Locks, SYNTAX, acl, flag, key};
use crate::keyspace::{DbView, LockPlan, Ttl};
use object::{object_encoding, object_freq, object_help, object_idletime, object_refcount};
use ttl::{expire, expireat, expiretime, persist, pexpire, pexpireat, pexpiretime, pttl, ttl};
use walk::{keys, randomkey, scan};

const SAME_OBJECT: &str = "ERR source and destination objects are the same";
const NO_SUCH_KEY: &str = "ERR no such key";

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
            .locks(Locks::Db)
            .acl(acl::DANGEROUS)
            .tips(&["request_policy:all_shards", "nondeterministic_output_order"])
            .doc("generic", "1.0.0", "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", "Lists every key name matching a glob pattern.")
            .args("pattern"),
    );
    t.push(
        generic(Command::new("scan", -2, scan))
            .flags(flag::READONLY | flag::TOUCHES_ARBITRARY_KEYS)
            .locks(Locks::Db)
            .tips(&["nondeterministic_output", "request_policy:special", "response_policy:special"])
            .doc("generic", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "Walks the key names of the database a batch at a time.")
            .args("cursor [MATCH pattern] [COUNT count] [TYPE type]"),
    );
    t.push(
        generic(Command::new("randomkey", 1, randomkey))
            .flags(flag::READONLY | flag::TOUCHES_ARBITRARY_KEYS)
            .locks(Locks::Db)
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
            .locks(Locks::Computed(copy_locks))
            .doc("generic", "6.2.0", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", "Duplicates a key's value under another name, possibly in another database.")
            .args("source destination [DB destination-db] [REPLACE]"),
    );
    t.push(
        generic(Command::new("move", 3, move_))
            .flags(flag::WRITE | flag::FAST)
            .key(KeySpec::at(1, key::RW | key::ACCESS | key::UPDATE))
            .locks(Locks::Computed(move_locks))
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

fn del(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let args = ctx.args;
    let mut db = ctx.db();
    let removed = args.iter().skip(1).filter(|k| db.remove(k)).count();
    ctx.out.int(removed as i64);
    Ok(())
}

/// EXISTS and TOUCH: how many of the arguments name existing keys, repeats counted.
/// EXISTS looks without touching (Redis leaves the access clock alone).
fn exists(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    count_existing(ctx, |db, key| db.peek(key).is_some())
}

/// TOUCH's whole point is to update the access clock.
fn touch(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    count_existing(ctx, |db, key| db.get(key).is_some())
}

fn count_existing(
    ctx: &mut Ctx<'_, '_>,
    present: impl Fn(&mut DbView<'_, '_>, &[u8]) -> bool,
) -> CmdResult {
    let args = ctx.args;
    let mut db = ctx.db();
    let found = args.iter().skip(1).filter(|k| present(&mut db, k)).count();
    ctx.out.int(found as i64);
    Ok(())
}

/// TYPE reads without touching the key's access time, as Redis does.
fn type_(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let key = ctx.arg(1);
    let (mut db, out) = ctx.db_out();
    let name = db.peek_read(key).map_or("none", |v| v.kind().name());
    out.simple(name);
    Ok(())
}

fn rename(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    rename_generic(ctx, false)
}

fn renamenx(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    rename_generic(ctx, true)
}

fn rename_generic(ctx: &mut Ctx<'_, '_>, nx: bool) -> CmdResult {
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    let mut db = ctx.db();
    let expire = db.expire_at(src);
    if !db.exists(src) {
        return Err(NO_SUCH_KEY.into());
    }
    let renamed = if src == dst || (nx && db.exists(dst)) {
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
    Ok(())
}

/// COPY's options: the destination database and whether to replace.
fn copy_options(ctx: &Ctx<'_, '_>) -> Result<(usize, bool), crate::command::CmdError> {
    let mut dst_db = ctx.session.db;
    let mut replace = false;
    let mut cursor = ctx.args.cursor(3);
    while !cursor.is_done() {
        if cursor.eat("REPLACE") {
            replace = true;
        } else if cursor.remaining() >= 2 && cursor.eat("DB") {
            dst_db = db_index_arg(ctx, cursor.value()?)?;
        } else {
            return Err(SYNTAX);
        }
    }
    Ok((dst_db, replace))
}

/// COPY ... DB n also needs the destination key's shard in database n.
fn copy_locks(args: &Args<'_>, _db: usize, databases: usize, plan: &mut LockPlan) {
    let mut cursor = args.cursor(3);
    while let Some(arg) = cursor.next_arg() {
        if arg.eq_ignore_ascii_case(b"DB")
            && let Some(db) = cursor.next_arg().and_then(|a| db_index_of(a, databases))
        {
            plan.add_key(db, args.get(2));
        }
    }
}

fn copy(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    let src_db = ctx.session.db;
    let (dst_db, replace) = copy_options(ctx)?;
    if src_db == dst_db && src == dst {
        return Err(SAME_OBJECT.into());
    }
    let mut from = ctx.db_at(src_db);
    // A copy in the same representation, as Redis's COPY keeps the encoding.
    let Some(value) = from.lookup_read(src).cloned() else {
        ctx.out.int(0);
        return Ok(());
    };
    let expire = from.expire_at(src);
    let mut to = ctx.db_at(dst_db);
    let copied = replace || !to.exists(dst);
    if copied {
        to.set(dst, value, expire.map_or(Ttl::Clear, Ttl::At));
    }
    ctx.out.int(copied as i64);
    Ok(())
}

/// MOVE key db also needs the key's shard in database db.
fn move_locks(args: &Args<'_>, _db: usize, databases: usize, plan: &mut LockPlan) {
    if let Some(db) = db_index_of(args.get(2), databases) {
        plan.add_key(db, args.get(1));
    }
}

fn move_(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let key = ctx.arg(1);
    let dst_db = db_index_arg(ctx, ctx.arg(2))?;
    let src_db = ctx.session.db;
    if dst_db == src_db {
        return Err(SAME_OBJECT.into());
    }
    let mut from = ctx.db_at(src_db);
    let expire = from.expire_at(key);
    let movable = from.exists(key) && !ctx.db_at(dst_db).exists(key);
    if let Some(value) = movable.then(|| ctx.db_at(src_db).take(key)).flatten() {
        ctx.db_at(dst_db)
            .set(key, value, expire.map_or(Ttl::Clear, Ttl::At));
        ctx.out.int(1);
    } else {
        ctx.out.int(0);
    }
    Ok(())
}
