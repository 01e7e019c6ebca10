//! The whole-database walks: KEYS, SCAN and RANDOMKEY. Each declares
//! `Locks::Db`, so it runs over every shard of the selected database
//! through the keyspace's whole-database operations.

use crate::command::{CmdError, CmdResult, Ctx, NOT_INTEGER, SYNTAX};
use crate::keyspace::Value;
use crate::util::glob::glob_match;
use crate::util::num::parse_i64;

pub(super) fn keys(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let pattern = ctx.arg(1);
    let (mut db, out) = ctx.db_out();
    let mark = out.mark();
    let mut listed = 0;
    db.keys(pattern, |key| {
        out.bulk(key);
        listed += 1;
    });
    out.array_before(mark, listed);
    Ok(())
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

/// MATCH / COUNT / TYPE, with Redis's errors when they are malformed.
fn parse_scan_options<'a>(ctx: &Ctx<'a, '_>) -> Result<ScanOptions<'a>, CmdError> {
    let mut opts = ScanOptions {
        pattern: None,
        type_name: None,
        count: 10,
    };
    let mut cursor = ctx.args.cursor(2);
    while let Some(opt) = cursor.next_arg() {
        let value = cursor.value()?;
        if opt.eq_ignore_ascii_case(b"count") {
            let count = parse_i64(value).ok_or(NOT_INTEGER)?;
            if count < 1 {
                return Err(SYNTAX);
            }
            opts.count = usize::try_from(count).unwrap_or(usize::MAX);
        } else if opt.eq_ignore_ascii_case(b"match") {
            // `*` matches everything; skipping the matcher is Redis's shortcut too.
            opts.pattern = Some(value).filter(|p| p != b"*");
        } else if opt.eq_ignore_ascii_case(b"type") {
            opts.type_name = Some(value);
        } else {
            return Err(SYNTAX);
        }
    }
    Ok(opts)
}

fn scan_wants(opts: &ScanOptions<'_>, key: &[u8], value: &Value) -> bool {
    opts.pattern.is_none_or(|p| glob_match(p, key, false))
        && opts
            .type_name
            .is_none_or(|t| value.kind().name().as_bytes().eq_ignore_ascii_case(t))
}

pub(super) fn scan(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let cursor = parse_cursor(ctx.arg(1)).ok_or("ERR invalid cursor")?;
    let opts = parse_scan_options(ctx)?;
    let (next, keys) = ctx.db().scan(cursor, opts.count, |key, value| {
        scan_wants(&opts, key, value)
    });
    let out = &mut ctx.out;
    out.array(2);
    out.bulk(itoa::Buffer::new().format(next).as_bytes());
    out.array(keys.len());
    for key in &keys {
        out.bulk(key);
    }
    Ok(())
}

pub(super) fn randomkey(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let key = ctx.db().random_key(&mut rand::rng());
    ctx.out.opt_bulk(key.as_deref());
    Ok(())
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
}
