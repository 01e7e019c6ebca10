//! Reads and in-place edits of string values: GET, MGET, STRLEN, GETRANGE,
//! APPEND, SETRANGE and the counters (INCR, DECR, INCRBY, DECRBY,
//! INCRBYFLOAT).

use std::ops::Range;

use crate::command::{CmdError, CmdResult, Ctx, NOT_INTEGER};
use crate::families::WRONGTYPE;
use crate::keyspace::{DbView, Ttl, Value};
use crate::protocol::Reply;
use crate::util::num::{incr_by_float, parse_i64};

const OVERFLOW: &str = "ERR increment or decrement would overflow";
const TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

/// Replies with a key's string value, null if missing; WRONGTYPE for other
/// types. Says whether there was a value.
pub(super) fn reply_string(
    db: &mut DbView<'_, '_>,
    out: &mut Reply<'_>,
    key: &[u8],
) -> Result<bool, CmdError> {
    match db.lookup_read(key).map(|v| v.str_bytes()) {
        None => {
            out.null();
            Ok(false)
        }
        Some(Some(mut bytes)) => {
            out.bulk(bytes.as_slice());
            Ok(true)
        }
        Some(None) => Err(WRONGTYPE),
    }
}

pub(super) fn get(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let key = ctx.arg(1);
    let (mut db, out) = ctx.db_out();
    reply_string(&mut db, out, key).map(|_| ())
}

pub(super) fn mget(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let args = ctx.args;
    let (mut db, out) = ctx.db_out();
    out.array(args.len() - 1);
    for key in args.iter().skip(1) {
        // Keys of other types read as missing rather than failing the batch.
        match db.lookup_read(key).and_then(|v| v.str_bytes()) {
            Some(mut bytes) => out.bulk(bytes.as_slice()),
            None => out.null(),
        }
    }
    Ok(())
}

pub(super) fn strlen(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let key = ctx.arg(1);
    let (mut db, out) = ctx.db_out();
    match db.lookup_read(key) {
        None => out.int(0),
        Some(v) if v.is_string() => out.int(v.str_len() as i64),
        Some(_) => return Err(WRONGTYPE),
    }
    Ok(())
}

/// The bytes GETRANGE returns for inclusive `start..=end` over a string of
/// `len` bytes: negative indexes count from the end and are clamped to the
/// string, as Redis 7.2 does (so `0 -100` still yields the first byte).
fn byte_range(len: usize, start: i64, end: i64) -> Option<Range<usize>> {
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let len = len as i64;
    let from_end = |i: i64| if i < 0 { (len + i).max(0) } else { i };
    let (start, end) = (from_end(start), from_end(end).min(len - 1));
    if len == 0 || start > end {
        return None;
    }
    Some(start as usize..end as usize + 1)
}

pub(super) fn getrange(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let (Some(start), Some(end)) = (parse_i64(ctx.arg(2)), parse_i64(ctx.arg(3))) else {
        return Err(NOT_INTEGER);
    };
    let key = ctx.arg(1);
    let (mut db, out) = ctx.db_out();
    match db.lookup_read(key).map(|v| v.str_bytes()) {
        None => out.bulk(b""),
        Some(None) => return Err(WRONGTYPE),
        Some(Some(mut bytes)) => {
            let bytes = bytes.as_slice();
            let range = byte_range(bytes.len(), start, end).unwrap_or(0..0);
            out.bulk(&bytes[range]);
        }
    }
    Ok(())
}

/// Whether a string of `base + extra` bytes stays within proto-max-bulk-len.
fn fits(limit: usize, base: u64, extra: usize) -> bool {
    base.checked_add(extra as u64)
        .is_some_and(|total| total <= limit as u64)
}

pub(super) fn append(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let (key, suffix) = (ctx.arg(1), ctx.arg(2));
    let limit = ctx.config().proto_max_bulk_len();
    let mut db = ctx.db();
    let len = if let Some(mut v) = db.get_mut(key) {
        if !v.is_string() {
            return Err(WRONGTYPE);
        }
        if !fits(limit, v.str_len() as u64, suffix.len()) {
            return Err(TOO_LONG.into());
        }
        // Growing in place switches the value to `raw`, as in Redis.
        let buf = v.make_raw();
        buf.extend_from_slice(suffix);
        buf.len()
    } else {
        db.set(key, Value::from_bytes(suffix), Ttl::Clear);
        suffix.len()
    };
    ctx.out.int(len as i64);
    Ok(())
}

pub(super) fn setrange(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let offset = parse_i64(ctx.arg(2)).ok_or(NOT_INTEGER)?;
    let Ok(offset) = u64::try_from(offset) else {
        return Err("ERR offset is out of range".into());
    };
    let (key, patch) = (ctx.arg(1), ctx.arg(3));
    let limit = ctx.config().proto_max_bulk_len();
    let mut db = ctx.db();
    let len = if let Some(mut v) = db.get_mut(key) {
        if !v.is_string() {
            return Err(WRONGTYPE);
        }
        if patch.is_empty() {
            // Writing nothing changes nothing.
            v.str_len()
        } else if !fits(limit, offset, patch.len()) {
            return Err(TOO_LONG.into());
        } else {
            let buf = v.make_raw();
            let (start, end) = (offset as usize, offset as usize + patch.len());
            if buf.len() < end {
                buf.resize(end, 0);
            }
            buf[start..end].copy_from_slice(patch);
            buf.len()
        }
    } else if patch.is_empty() {
        // Not even a missing key is created.
        0
    } else if !fits(limit, offset, patch.len()) {
        return Err(TOO_LONG.into());
    } else {
        let mut buf = vec![0u8; offset as usize];
        buf.extend_from_slice(patch);
        let len = buf.len();
        db.set(key, Value::raw(buf), Ttl::Clear);
        len
    };
    ctx.out.int(len as i64);
    Ok(())
}

/// A value as a 64-bit integer, or the error to reply.
fn integer_value(v: &Value) -> Result<i64, CmdError> {
    if let Value::Int(n) = v {
        return Ok(*n);
    }
    let mut bytes = v.str_bytes().ok_or(WRONGTYPE)?;
    parse_i64(bytes.as_slice()).ok_or(NOT_INTEGER)
}

/// Adds `delta` to the key's integer value in place, keeping its time to live.
fn incr_by(ctx: &mut Ctx<'_, '_>, delta: i64) -> CmdResult {
    let key = ctx.arg(1);
    let mut db = ctx.db();
    let next = if let Some(mut v) = db.get_mut(key) {
        let next = integer_value(&v)?.checked_add(delta).ok_or(OVERFLOW)?;
        *v = Value::Int(next);
        next
    } else {
        db.set(key, Value::Int(delta), Ttl::Clear);
        delta
    };
    ctx.out.int(next);
    Ok(())
}

pub(super) fn incr(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    incr_by(ctx, 1)
}

pub(super) fn decr(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    incr_by(ctx, -1)
}

pub(super) fn incrby(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let delta = parse_i64(ctx.arg(2)).ok_or(NOT_INTEGER)?;
    incr_by(ctx, delta)
}

pub(super) fn decrby(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    match parse_i64(ctx.arg(2)) {
        // Its negation does not exist, so Redis refuses it up front.
        Some(i64::MIN) => Err("ERR decrement would overflow".into()),
        Some(delta) => incr_by(ctx, -delta),
        None => Err(NOT_INTEGER),
    }
}

pub(super) fn incrbyfloat(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let (key, incr) = (ctx.arg(1), ctx.arg(2));
    let mut db = ctx.db();
    let sum = match db.get(key).map(|v| v.str_bytes()) {
        None => incr_by_float(b"0", incr),
        Some(Some(mut current)) => incr_by_float(current.as_slice(), incr),
        Some(None) => return Err(WRONGTYPE),
    };
    let text = sum.map_err(|e| e.incrbyfloat_reply())?;
    // Redis stores the result as text (embstr), never as an int.
    db.set(key, Value::from_bytes_no_int(&text), Ttl::Keep);
    // Float arithmetic may round differently elsewhere; replay the result.
    db.emit(&[b"SET", key, &text, b"KEEPTTL"]);
    ctx.out.bulk(&text);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getrange_clamps_like_redis_7_2() {
        let cases = [
            ((5, 0, -1), Some(0..5)),
            ((5, 0, -100), Some(0..1)),
            ((5, -1, -5), None),
            ((5, -100, -99), Some(0..1)),
            ((5, 3, 1), None),
            ((5, 10, 20), None),
            ((5, 4, 100), Some(4..5)),
            ((0, 0, -1), None),
            ((5, i64::MIN, i64::MAX), Some(0..5)),
        ];
        for ((len, start, end), want) in cases {
            assert_eq!(byte_range(len, start, end), want, "{len} {start} {end}");
        }
    }
}
