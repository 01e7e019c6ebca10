//! The sparse register encoding: a sequence of opcodes, each covering a run
//! of registers in index order.
//! - ZERO `00rrrrrr`: 1..=64 zero registers;
//! - XZERO `01rrrrrr rrrrrrrr`: 1..=16384 zero registers (14-bit run);
//! - VAL `1vvvvvrr`: 1..=4 registers all holding value 1..=32.
//!
//! Every field stores its value minus one. A string is well formed when its
//! runs add up to exactly 16384 registers. An XZERO whose second byte would
//! lie past the end reads that byte as 0, as Redis does (its strings always
//! end in a hidden NUL), so such strings count the same here as there.

use super::{HEADER_LEN, REGISTERS, to_dense};

const ZERO_MAX_RUN: usize = 64;
const VAL_MAX_RUN: usize = 4;
/// Largest register value the sparse encoding can hold.
const VAL_MAX: u8 = 32;
/// How many opcodes after an update are examined for merging equal VALs.
const MERGE_SCAN: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Zero(usize),
    XZero(usize),
    Val { value: u8, run: usize },
}

impl Op {
    /// The opcode starting at `body[at]` (`at` must be in bounds).
    fn decode(body: &[u8], at: usize) -> Op {
        let byte = body[at];
        match byte >> 6 {
            0 => Op::Zero(usize::from(byte & 0x3f) + 1),
            1 => {
                let low = body.get(at + 1).copied().unwrap_or(0);
                Op::XZero((usize::from(byte & 0x3f) << 8 | usize::from(low)) + 1)
            }
            _ => Op::Val {
                value: (byte >> 2 & 0x1f) + 1,
                run: usize::from(byte & 3) + 1,
            },
        }
    }

    fn run(self) -> usize {
        match self {
            Op::Zero(run) | Op::XZero(run) | Op::Val { run, .. } => run,
        }
    }

    /// Bytes the opcode occupies.
    fn width(self) -> usize {
        if matches!(self, Op::XZero(_)) { 2 } else { 1 }
    }
}

/// The VAL opcode byte for `run` (1..=4) registers of `value` (1..=32).
fn val_byte(value: u8, run: usize) -> u8 {
    0x80 | (value - 1) << 2 | (run - 1) as u8
}

/// The opcodes of `body` with their offsets.
fn ops(body: &[u8]) -> impl Iterator<Item = (usize, Op)> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        (at < body.len()).then(|| {
            let op = Op::decode(body, at);
            let start = at;
            at += op.width();
            (start, op)
        })
    })
}

/// Appends the opcode for `run` zero registers: ZERO when it fits,
/// otherwise XZERO (`run` at most 16384).
pub(super) fn push_zero_run(out: &mut Vec<u8>, run: usize) {
    let field = run - 1;
    if run <= ZERO_MAX_RUN {
        out.push(field as u8);
    } else {
        out.extend_from_slice(&[0x40 | (field >> 8) as u8, field as u8]);
    }
}

/// Calls `f(index, value)` for each non-zero register; `None` (after some
/// calls) unless the runs cover exactly 16384 registers. `f` never sees an
/// index past the last register.
pub(super) fn for_each_register(body: &[u8], mut f: impl FnMut(usize, u8)) -> Option<()> {
    let mut next = 0;
    for (_, op) in ops(body) {
        let end = next + op.run();
        if end > REGISTERS {
            return None;
        }
        if let Op::Val { value, .. } = op {
            (next..end).for_each(|index| f(index, value));
        }
        next = end;
    }
    (next == REGISTERS).then_some(())
}

/// How many registers hold each value; `None` if the runs do not cover
/// exactly 16384 registers.
pub(super) fn histogram(body: &[u8]) -> Option<[u32; 64]> {
    let mut histogram = [0u32; 64];
    let mut covered = 0;
    for (_, op) in ops(body) {
        covered += op.run();
        if covered > REGISTERS {
            return None;
        }
        let value = match op {
            Op::Val { value, .. } => value,
            Op::Zero(_) | Op::XZero(_) => 0,
        };
        histogram[usize::from(value)] += op.run() as u32;
    }
    (covered == REGISTERS).then_some(histogram)
}

/// PFDEBUG DECODE's text for `body`.
pub(super) fn dump(body: &[u8]) -> Vec<u8> {
    let mut text = Vec::new();
    let mut number = itoa::Buffer::new();
    for (_, op) in ops(body) {
        if !text.is_empty() {
            text.push(b' ');
        }
        let (tag, run) = match op {
            Op::Zero(run) => (&b"z:"[..], run),
            Op::XZero(run) => (&b"Z:"[..], run),
            Op::Val { value, run } => {
                text.extend_from_slice(b"v:");
                text.extend_from_slice(number.format(value).as_bytes());
                (&b","[..], run)
            }
        };
        text.extend_from_slice(tag);
        text.extend_from_slice(number.format(run).as_bytes());
    }
    text
}

/// Raises register `index` to `value` in the sparse HLL `hll`, rewriting the
/// opcode that covers it exactly as Redis would (so the bytes match), or
/// promoting to dense when `value` exceeds 32 or the string would grow past
/// `max_bytes`. `Err(Corrupt)` if no opcode covers `index`, or if promotion
/// finds the opcodes malformed.
pub(super) fn raise(
    hll: &mut Vec<u8>,
    index: usize,
    value: u8,
    max_bytes: usize,
) -> Result<bool, super::HllError> {
    if value > VAL_MAX {
        return promote_and_raise(hll, index, value);
    }
    let body = &hll[HEADER_LEN..];
    let mut previous = None;
    let mut first = 0;
    let mut found = None;
    for (at, op) in ops(body) {
        if index < first + op.run() {
            found = Some((at, op));
            break;
        }
        previous = Some(at);
        first += op.run();
    }
    let (at, op) = found.ok_or(super::HllError::Corrupt)?;
    match op {
        Op::Val { value: old, .. } if old >= value => return Ok(false),
        Op::Val { run: 1, .. } | Op::Zero(1) => hll[HEADER_LEN + at] = val_byte(value, 1),
        _ => {
            let replacement = split(op, first, index, value);
            let grows_by = replacement.len().saturating_sub(op.width());
            if grows_by > 0 && hll.len() + grows_by > max_bytes {
                return promote_and_raise(hll, index, value);
            }
            splice_op(hll, HEADER_LEN + at, op.width(), &replacement);
        }
    }
    merge_equal_vals(hll, HEADER_LEN + previous.unwrap_or(0));
    Ok(true)
}

/// The opcodes replacing `op` (covering registers from `first`) once
/// register `index` holds `value`: the part before, the new VAL, the part
/// after.
fn split(op: Op, first: usize, index: usize, value: u8) -> Vec<u8> {
    let last = first + op.run() - 1;
    let mut out = Vec::with_capacity(5);
    let push_run = |out: &mut Vec<u8>, run: usize| match op {
        Op::Val { value: old, .. } => out.push(val_byte(old, run)),
        Op::Zero(_) | Op::XZero(_) => push_zero_run(out, run),
    };
    if index != first {
        push_run(&mut out, index - first);
    }
    out.push(val_byte(value, 1));
    if index != last {
        push_run(&mut out, last - index);
    }
    out
}

/// Replaces the `width`-byte opcode at `at` with `replacement`. The string
/// ends up exactly `width` shorter plus the replacement, even when an XZERO
/// was cut short by the end of the string (Redis then loses the last
/// replacement byte too, and so do we, to stay byte-identical).
fn splice_op(hll: &mut Vec<u8>, at: usize, width: usize, replacement: &[u8]) {
    let new_len = hll.len() + replacement.len() - width;
    let end = (at + width).min(hll.len());
    hll.splice(at..end, replacement.iter().copied());
    hll.truncate(new_len);
}

/// Joins adjacent VALs of equal value whose runs fit one opcode, looking at
/// a few opcodes from `at` on (the one before the change).
fn merge_equal_vals(hll: &mut Vec<u8>, mut at: usize) {
    for _ in 0..MERGE_SCAN {
        let Some(&byte) = hll.get(at) else { return };
        let Op::Val { value, run } = Op::decode(hll, at) else {
            at += if byte >> 6 == 1 { 2 } else { 1 };
            continue;
        };
        if let Some(Op::Val {
            value: next_value,
            run: next_run,
        }) = (at + 1 < hll.len()).then(|| Op::decode(hll, at + 1))
            && next_value == value
            && run + next_run <= VAL_MAX_RUN
        {
            hll[at + 1] = val_byte(value, run + next_run);
            hll.remove(at);
            continue;
        }
        at += 1;
    }
}

/// Converts `hll` to dense, then raises the register there.
fn promote_and_raise(hll: &mut Vec<u8>, index: usize, value: u8) -> Result<bool, super::HllError> {
    to_dense(hll)?;
    Ok(super::dense::raise(&mut hll[HEADER_LEN..], index, value))
}
