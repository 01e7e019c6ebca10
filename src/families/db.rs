//! Database-level commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, and the
//! database-index argument that SELECT, COPY and MOVE share with them.
//!
//! Their lock needs are declared in the table (the selected database,
//! every database, or the two SWAPDB names), so the dispatcher holds every
//! shard they touch until their effect is in the stream: no other write
//! can land between a flush or swap and its record.

use crate::command::{
    Args, CmdError, CmdResult, Command, Ctx, Locks, NOT_INTEGER, SYNTAX, acl, flag,
};
use crate::keyspace::LockPlan;
use crate::util::num::parse_i64;

pub fn register(t: &mut Vec<Command>) {
    let all_shards: &[&str] = &["request_policy:all_shards", "response_policy:all_succeeded"];
    t.push(
        Command::new("dbsize", 1, dbsize)
            .flags(flag::READONLY | flag::FAST)
            .acl(acl::KEYSPACE)
            .locks(Locks::Db)
            .tips(&["request_policy:all_shards", "response_policy:agg_sum"])
            .doc(
                "server",
                "1.0.0",
                "O(1)",
                "Tells how many keys the selected database holds.",
            ),
    );
    t.push(
        Command::new("flushdb", -1, flushdb)
            .flags(flag::WRITE)
            .acl(acl::KEYSPACE | acl::DANGEROUS)
            .locks(Locks::Db)
            .tips(all_shards)
            .doc(
                "server",
                "1.0.0",
                "O(N) where N is the number of keys in the selected database",
                "Deletes every key of the selected database.",
            )
            .args("[ASYNC | SYNC]"),
    );
    t.push(
        Command::new("flushall", -1, flushall)
            .flags(flag::WRITE)
            .acl(acl::KEYSPACE | acl::DANGEROUS)
            .locks(Locks::AllDbs)
            .tips(all_shards)
            .doc(
                "server",
                "1.0.0",
                "O(N) where N is the total number of keys in all databases",
                "Deletes every key of every database.",
            )
            .args("[ASYNC | SYNC]"),
    );
    t.push(
        Command::new("swapdb", 3, swapdb)
            .flags(flag::WRITE | flag::FAST)
            .acl(acl::KEYSPACE | acl::DANGEROUS)
            .locks(Locks::Computed(swapdb_locks))
            .doc(
                "server",
                "4.0.0",
                "O(N) where N is the count of clients watching or blocking on keys from both databases.",
                "Exchanges the contents of two databases.",
            )
            .args("index1 index2"),
    );
}

/// Reads a 32-bit integer as Redis's `getIntFromObjectOrReply` does; the
/// error is Redis's text for what was wrong with it.
fn parse_i32(arg: &[u8]) -> Result<i32, CmdError> {
    let n = parse_i64(arg).ok_or(NOT_INTEGER)?;
    i32::try_from(n).map_err(|_| {
        "ERR value is out of range, value must between -2147483648 and 2147483647".into()
    })
}

/// A database index in range, if `index` is one.
fn checked_db_index(databases: usize, index: i32) -> Option<usize> {
    usize::try_from(index).ok().filter(|&i| i < databases)
}

/// A database index argument (SELECT, COPY ... DB, MOVE), with Redis's error if invalid.
pub fn db_index_arg(ctx: &Ctx<'_, '_>, arg: &[u8]) -> Result<usize, CmdError> {
    checked_db_index(ctx.databases(), parse_i32(arg)?)
        .ok_or_else(|| "ERR DB index is out of range".into())
}

/// The database an argument names, for lock plans (None if it names none).
pub fn db_index_of(arg: &[u8], databases: usize) -> Option<usize> {
    checked_db_index(databases, parse_i32(arg).ok()?)
}

fn dbsize(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let keys = ctx.db().len();
    ctx.out.int(keys as i64);
    Ok(())
}

/// FLUSHDB/FLUSHALL's one optional argument: true for ASYNC.
fn flush_is_async(ctx: &Ctx<'_, '_>) -> Result<bool, CmdError> {
    match ctx.args.len() {
        1 => Ok(false),
        2 if ctx.arg(1).eq_ignore_ascii_case(b"sync") => Ok(false),
        2 if ctx.arg(1).eq_ignore_ascii_case(b"async") => Ok(true),
        _ => Err(SYNTAX),
    }
}

fn flushdb(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let lazy = flush_is_async(ctx)?;
    let db = ctx.session.db;
    flush(ctx, db..db + 1, lazy)
}

fn flushall(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let lazy = flush_is_async(ctx)?;
    flush(ctx, 0..ctx.databases(), lazy)
}

/// Empties `dbs`. With `lazy`, the old contents are freed on a background
/// thread, so the locks are held only for the swap, as Redis's ASYNC flush
/// frees memory off the main thread.
fn flush(ctx: &mut Ctx<'_, '_>, dbs: std::ops::Range<usize>, lazy: bool) -> CmdResult {
    let mut old = Vec::new();
    for db in dbs {
        old.extend(ctx.db_at(db).flush().0);
    }
    // Counted even when nothing was removed: Redis always propagates a flush.
    ctx.locked().force_propagation();
    if lazy {
        // If the thread cannot start, the closure is dropped here and frees inline.
        let _ = std::thread::Builder::new()
            .name("lazy-free".into())
            .spawn(move || drop(old));
    }
    ctx.out.ok();
    Ok(())
}

fn swapdb_locks(args: &Args<'_>, _db: usize, databases: usize, plan: &mut LockPlan) {
    for i in [1, 2] {
        if let Some(db) = db_index_of(args.get(i), databases) {
            plan.add_db(db);
        }
    }
}

fn swapdb(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let [a, b] = [
        (ctx.arg(1), "ERR invalid first DB index"),
        (ctx.arg(2), "ERR invalid second DB index"),
    ]
    .map(|(arg, msg)| parse_i32(arg).map_err(|_| CmdError::text(msg)));
    let (a, b) = (a?, b?);
    let databases = ctx.databases();
    let (Some(a), Some(b)) = (
        checked_db_index(databases, a),
        checked_db_index(databases, b),
    ) else {
        return Err("ERR DB index is out of range".into());
    };
    ctx.locked().swap_dbs(a, b);
    ctx.out.ok();
    Ok(())
}
