//! Finding a command's keys in its arguments from its key specs.
//!
//! The dispatcher uses this to know which shards to lock, and COMMAND
//! GETKEYS reports the same positions, so locking and introspection agree.

use super::spec::{BeginSearch, Command, FindKeys, KeySpec};
use super::{Args, flag};

/// Why key extraction failed (COMMAND GETKEYS reports it).
#[derive(Debug, PartialEq, Eq)]
pub struct BadKeyArgs;

/// Appends the argument positions of `cmd`'s keys (with their spec flags) to `out`.
pub fn key_positions(
    cmd: &Command,
    args: &Args<'_>,
    out: &mut Vec<(usize, u32)>,
) -> Result<(), BadKeyArgs> {
    for spec in &cmd.key_specs {
        spec_positions(spec, args, out)?;
    }
    Ok(())
}

fn spec_positions(
    spec: &KeySpec,
    args: &Args<'_>,
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
                .filter(|&n| n >= 0)
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
    cmd.has(flag::MOVABLE_KEYS)
        || cmd.key_specs.iter().any(|s| {
            !matches!(s.begin, BeginSearch::Index(_)) || !matches!(s.find, FindKeys::Range { .. })
        })
}

/// The legacy (first, last, step) triple of COMMAND INFO, derived from the specs.
pub fn legacy_range(cmd: &Command) -> (i64, i64, i64) {
    let mut first = 0i64;
    let mut last = 0i64;
    let mut step = 0i64;
    for spec in &cmd.key_specs {
        let (
            BeginSearch::Index(pos),
            FindKeys::Range {
                lastkey,
                step: s,
                limit: _,
            },
        ) = (spec.begin, spec.find)
        else {
            continue;
        };
        let pos = pos as i64;
        let spec_last = if lastkey < 0 {
            lastkey as i64
        } else {
            pos + lastkey as i64
        };
        if first == 0 {
            first = pos;
            last = spec_last;
            step = s as i64;
            continue;
        }
        // Specs that continue the range (same step, adjacent) merge into it.
        let continues = s as i64 == step && last >= 0 && pos == last + step;
        if continues || (last >= 0 && spec_last < 0) {
            last = spec_last;
        }
    }
    (first, last, step)
}
