//! OBJECT: how a key's value is stored. OBJECT looks without touching the
//! key, so IDLETIME reports the idle time it asks about.

use crate::command::{CmdError, CmdResult, Ctx};
use crate::families::reply_help;
use crate::keyspace::Value;
use crate::protocol::Reply;

/// Redis shares one object for the integers 0..10000, which OBJECT REFCOUNT shows.
const SHARED_INTEGERS: std::ops::Range<i64> = 0..10000;
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// Answers from the key's value, or null when it is missing.
fn inspect_object(
    ctx: &mut Ctx<'_, '_>,
    answer: impl FnOnce(&Value, &mut Reply<'_>) -> CmdResult,
) -> CmdResult {
    let key = ctx.arg(2);
    let (mut db, out) = ctx.db_out();
    match db.peek(key) {
        Some(value) => answer(value, out),
        None => {
            out.null();
            Ok(())
        }
    }
}

pub(super) fn object_encoding(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    inspect_object(ctx, |value, out| {
        out.bulk(value.encoding().as_bytes());
        Ok(())
    })
}

pub(super) fn object_refcount(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    inspect_object(ctx, |value, out| {
        out.int(match value {
            Value::Int(n) if SHARED_INTEGERS.contains(n) => SHARED_REFCOUNT,
            _ => 1,
        });
        Ok(())
    })
}

/// Access frequency is tracked only under an LFU maxmemory policy, and
/// there is no maxmemory policy yet, so this is always Redis's LRU answer.
pub(super) fn object_freq(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    inspect_object(ctx, |_, _| {
        Err(CmdError::text(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ))
    })
}

/// Seconds since the key was last read or written, from the entry's access clock.
pub(super) fn object_idletime(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let key = ctx.arg(2);
    let (mut db, out) = ctx.db_out();
    match db.idle_ms(key) {
        Some(ms) => out.int(ms / 1000),
        None => out.null(),
    }
    Ok(())
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

pub(super) fn object_help(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    reply_help(ctx, OBJECT_HELP)
}
