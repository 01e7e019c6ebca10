//! Database-level commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, and the
//! database-index argument that COPY and MOVE share with them.
//!
//! These commands have no key specs; each locks the shards it needs itself.
//! The writes lock every shard of their databases and keep the locks (as
//! `ctx.locked`) until the dispatcher has emitted their effect, so no other
//! write can land between a flush or swap and its record in the stream.

use super::{NOT_INTEGER, SYNTAX};
use crate::command::{Command, Ctx, acl, flag};
use crate::keyspace::{Locked, Shard};
use crate::util::num::parse_i64;

pub fn register(t: &mut Vec<Command>) {
    let all_shards: &[&str] = &["request_policy:all_shards", "response_policy:all_succeeded"];
    t.push(
        Command::new("dbsize", 1, dbsize)
            .flags(flag::READONLY | flag::FAST)
            .acl(acl::KEYSPACE)
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
fn parse_i32(arg: &[u8]) -> Result<i32, &'static str> {
    let n = parse_i64(arg).ok_or(NOT_INTEGER)?;
    i32::try_from(n)
        .map_err(|_| "ERR value is out of range, value must between -2147483648 and 2147483647")
}

fn checked_db_index(ctx: &Ctx<'_>, index: i32) -> Option<usize> {
    usize::try_from(index)
        .ok()
        .filter(|&i| i < ctx.server.keyspace.databases())
}

/// A database index argument (COPY ... DB, MOVE), replying with Redis's error if invalid.
pub fn db_index_arg(ctx: &mut Ctx<'_>, arg: &[u8]) -> Option<usize> {
    let index = match parse_i32(arg) {
        Ok(index) => index,
        Err(msg) => {
            ctx.out.error(msg);
            return None;
        }
    };
    let checked = checked_db_index(ctx, index);
    if checked.is_none() {
        ctx.out.error("ERR DB index is out of range");
    }
    checked
}

fn dbsize(ctx: &mut Ctx<'_>) {
    let mut keys = 0;
    ctx.server
        .keyspace
        .for_each_shard(ctx.client.db, |shard| keys += shard.data.len());
    ctx.out.int(keys as i64);
}

/// FLUSHDB/FLUSHALL's one optional argument: true for ASYNC.
fn flush_is_async(ctx: &mut Ctx<'_>) -> Option<bool> {
    match ctx.args.len() {
        1 => Some(false),
        2 if ctx.arg(1).eq_ignore_ascii_case(b"sync") => Some(false),
        2 if ctx.arg(1).eq_ignore_ascii_case(b"async") => Some(true),
        _ => {
            ctx.out.error(SYNTAX);
            None
        }
    }
}

fn flushdb(ctx: &mut Ctx<'_>) {
    if let Some(lazy) = flush_is_async(ctx) {
        let db = ctx.client.db;
        flush(ctx, &[db], lazy);
    }
}

fn flushall(ctx: &mut Ctx<'_>) {
    if let Some(lazy) = flush_is_async(ctx) {
        let all: Vec<usize> = (0..ctx.server.keyspace.databases()).collect();
        flush(ctx, &all, lazy);
    }
}

/// Empties `dbs` under all their shard locks. With `lazy`, the old contents
/// are swapped out and freed on a background thread, so the locks are held
/// only for the swap, as Redis's ASYNC flush frees memory off the main thread.
fn flush(ctx: &mut Ctx<'_>, dbs: &[usize], lazy: bool) {
    ctx.locked = ctx.server.keyspace.lock_dbs(dbs);
    let mut old: Vec<Shard> = Vec::with_capacity(dbs.len() * crate::keyspace::SHARDS);
    for &db in dbs {
        old.extend(ctx.locked.shards_mut(db).map(std::mem::take));
    }
    let removed: usize = old.iter().map(|shard| shard.data.len()).sum();
    // Counted even when nothing was removed: Redis always propagates a flush.
    count_changes(&mut ctx.locked, removed as u64 + 1);
    if lazy {
        // If the thread cannot start, the closure is dropped here and frees inline.
        let _ = std::thread::Builder::new()
            .name("lazy-free".into())
            .spawn(move || drop(old));
    }
    ctx.out.ok();
}

/// Counts whole-database changes for propagation and persistence, as
/// `DbView::modified` does for single keys.
fn count_changes(locked: &mut Locked<'_>, n: u64) {
    locked.dirty += n;
    locked
        .keyspace()
        .stats
        .dirty
        .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
}

fn swapdb(ctx: &mut Ctx<'_>) {
    let indexes = [
        (ctx.arg(1), "ERR invalid first DB index"),
        (ctx.arg(2), "ERR invalid second DB index"),
    ]
    .map(|(arg, msg)| parse_i32(arg).map_err(|_| msg));
    let [a, b] = match indexes {
        [Ok(a), Ok(b)] => [a, b],
        [Err(msg), _] | [_, Err(msg)] => {
            ctx.out.error(msg);
            return;
        }
    };
    let (Some(a), Some(b)) = (checked_db_index(ctx, a), checked_db_index(ctx, b)) else {
        ctx.out.error("ERR DB index is out of range");
        return;
    };
    ctx.locked = ctx.server.keyspace.lock_dbs(&[a, b]);
    if a != b {
        swap_contents(&mut ctx.locked, a, b);
    }
    count_changes(&mut ctx.locked, 1);
    ctx.out.ok();
}

/// Exchanges two fully locked databases shard by shard. `shards_mut` yields
/// a database's shards in index order, so shard i meets shard i.
fn swap_contents(locked: &mut Locked<'_>, a: usize, b: usize) {
    let from_a: Vec<Shard> = locked.shards_mut(a).map(std::mem::take).collect();
    let from_b: Vec<Shard> = locked
        .shards_mut(b)
        .zip(from_a)
        .map(|(slot, incoming)| std::mem::replace(slot, incoming))
        .collect();
    for (slot, incoming) in locked.shards_mut(a).zip(from_b) {
        *slot = incoming;
    }
}
