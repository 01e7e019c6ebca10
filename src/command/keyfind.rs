//! Finding a command's keys in its arguments from its key specs.
//!
//! The dispatcher uses this to know which shards to lock, and COMMAND
//! GETKEYS reports the same positions, so locking and introspection agree.

use super::spec::{BeginSearch, Command, FindKeys, KeySpec};
use super::{Args, flag, key};

/// Why key extraction failed (COMMAND GETKEYS reports it).
#[derive(Debug, PartialEq, Eq)]
pub struct BadKeyArgs;

/// Appends the argument positions of `cmd`'s keys (with their spec flags) to `out`.
pub fn key_positions(
    cmd: &Command,
    args: &Args<'_>,
    out: &mut Vec<(usize, u32)>,
) -> Result<(), BadKeyArgs> {
    let keys_optional = cmd.has(flag::NO_MANDATORY_KEYS);
    for spec in &cmd.key_specs {
        spec_positions(spec, args, keys_optional, out)?;
    }
    Ok(())
}

/// `keys_optional`: a key count of zero is valid (EVAL); for other
/// commands it is a malformed call, as their own argument checks say too.
fn spec_positions(
    spec: &KeySpec,
    args: &Args<'_>,
    keys_optional: bool,
    out: &mut Vec<(usize, u32)>,
) -> Result<(), BadKeyArgs> {
    let argc = args.len() as i64;
    let start = match spec.begin {
        BeginSearch::Index(pos) => pos as i64,
        BeginSearch::Keyword { keyword, startfrom } => {
            match find_keyword(args, keyword, startfrom) {
                Some(i) => i as i64 + 1,
                None => return Ok(()),
            }
        }
        BeginSearch::Unknown => return Ok(()),
    };
    if start >= argc {
        return Ok(());
    }
    let (first, last, step) = match spec.find {
        FindKeys::Range {
            lastkey,
            step,
            limit,
        } => {
            let last = if lastkey >= 0 {
                start + lastkey as i64
            } else if limit == 0 {
                argc + lastkey as i64
            } else {
                start + (argc - start) / limit as i64 + lastkey as i64
            };
            (start, last, step as i64)
        }
        FindKeys::Keynum {
            keynumidx,
            firstkey,
            step,
        } => {
            let idx = start + keynumidx as i64;
            if idx >= argc {
                return Err(BadKeyArgs);
            }
            let numkeys = crate::util::num::parse_i64(args.get(idx as usize))
                .filter(|&n| n > 0 || (n == 0 && keys_optional))
                .ok_or(BadKeyArgs)?;
            let first = start + firstkey as i64;
            (first, first + (numkeys - 1) * step as i64, step as i64)
        }
        FindKeys::Unknown => return Ok(()),
    };
    if last >= argc {
        return Err(BadKeyArgs);
    }
    let mut i = first;
    while i <= last && step > 0 {
        out.push((i as usize, spec.flags));
        i += step;
    }
    Ok(())
}

/// Finds `keyword` scanning from `startfrom` (negative: backwards from the end).
fn find_keyword(args: &Args<'_>, keyword: &str, startfrom: i32) -> Option<usize> {
    let argc = args.len() as i64;
    let matches = |i: i64| {
        args.get(i as usize)
            .eq_ignore_ascii_case(keyword.as_bytes())
    };
    if startfrom >= 0 {
        (startfrom as i64..argc)
            .find(|&i| matches(i))
            .map(|i| i as usize)
    } else {
        let from = argc + startfrom as i64;
        (1..=from).rev().find(|&i| matches(i)).map(|i| i as usize)
    }
}

/// Whether the command's keys can move around its arguments (COMMAND's `movablekeys`).
pub fn has_movable_keys(cmd: &Command) -> bool {
    cmd.has(flag::MOVABLE_KEYS) || legacy(cmd).movable
}

/// The legacy (first, last, step) triple of COMMAND INFO, derived from the specs.
pub fn legacy_range(cmd: &Command) -> (i64, i64, i64) {
    let l = legacy(cmd);
    (l.first, l.last, l.step)
}

struct Legacy {
    first: i64,
    last: i64,
    step: i64,
    movable: bool,
}

/// Folds the key specs into the one range pre-7.0 clients understand. A
/// lone index/range spec is used as it is. Otherwise only step-1 ranges that
/// continue each other merge; any spec left out (keyword, keynum, unknown,
/// stepped, not adjacent) or marked incomplete makes the keys movable, since
/// the range then misses keys a client must find by asking the server.
fn legacy(cmd: &Command) -> Legacy {
    let mut l = Legacy {
        first: 0,
        last: 0,
        step: 0,
        movable: false,
    };
    let plain = |spec: &KeySpec| match (spec.begin, spec.find) {
        (BeginSearch::Index(pos), FindKeys::Range { lastkey, step, .. }) => {
            let pos = pos as i64;
            let last = if lastkey < 0 {
                lastkey as i64
            } else {
                pos + lastkey as i64
            };
            Some((pos, last, step as i64))
        }
        _ => None,
    };
    if let [spec] = cmd.key_specs.as_slice() {
        if let Some((first, last, step)) = plain(spec) {
            l.first = first;
            l.last = last;
            l.step = step;
        }
        l.movable = spec.flags & key::INCOMPLETE != 0 || l.step == 0;
        return l;
    }
    let mut prev_last = 0;
    for spec in &cmd.key_specs {
        let Some((pos, last, step)) = plain(spec) else {
            l.movable = true;
            continue;
        };
        if step != 1 || (prev_last != 0 && prev_last != pos - 1) {
            l.movable = true;
            continue;
        }
        l.movable |= spec.flags & key::INCOMPLETE != 0;
        l.first = if l.step == 0 { pos } else { l.first.min(pos) };
        // A negative last key counts from the end, so it lies past any positive one.
        l.last = if l.step == 0 || (last as u64) > (l.last as u64) {
            last
        } else {
            l.last
        };
        l.step = 1;
        prev_last = l.last;
    }
    if l.step == 0 && !cmd.key_specs.is_empty() {
        l.movable = true;
    }
    l
}
