//! BITFIELD: integer fields of 1..=64 bits (signed) or 1..=63 bits
//! (unsigned) at arbitrary bit offsets, most significant bit first, with
//! Redis's WRAP / SAT / FAIL overflow rules, reproduced including their
//! corner cases (a negative SET into an unsigned field saturates to the
//! maximum, FAIL still grows the string to the highest written bit).

use super::{BitError, grow_to_bit, keyword_eq, keyword_lookup, parse_bit_offset, parse_i64};

/// A field's type: `i1`..`i64` or `u1`..`u63`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldType {
    pub signed: bool,
    pub bits: u32,
}

impl FieldType {
    /// Parses a type argument: a lowercase `i` or `u` and a width (Redis
    /// 7.0 accepts no uppercase letter); the text ends at a NUL byte.
    pub fn parse(arg: &[u8]) -> Result<Self, BitError> {
        let arg = arg.split(|&b| b == 0).next().unwrap_or_default();
        let (signed, width) = match arg {
            [b'i', width @ ..] => (true, width),
            [b'u', width @ ..] => (false, width),
            _ => return Err(BitError::BadFieldType),
        };
        let max = if signed { 64 } else { 63 };
        match parse_i64(width) {
            Some(bits @ 1..) if bits <= max => Ok(Self {
                signed,
                bits: bits as u32,
            }),
            _ => Err(BitError::BadFieldType),
        }
    }
}

/// What happens when a SET or INCRBY result does not fit its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// Keep the low bits (two's complement for signed fields).
    Wrap,
    /// Clamp to the field's minimum or maximum.
    Sat,
    /// Write nothing and reply nil.
    Fail,
}

/// One BITFIELD subcommand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOp {
    Get,
    Set(i64),
    IncrBy(i64),
}

/// A subcommand with its field and the overflow rule in force for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldCommand {
    pub op: FieldOp,
    pub field: FieldType,
    pub offset: u64,
    pub overflow: Overflow,
}

/// A parsed BITFIELD (or BITFIELD_RO) argument list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitfieldPlan {
    pub commands: Vec<FieldCommand>,
    /// The last bit any SET or INCRBY touches; `None` for a read-only plan.
    pub highest_write_bit: Option<u64>,
}

impl BitfieldPlan {
    /// BITFIELD_RO accepts only plans without writes; the check comes after
    /// all arguments parsed, so their errors win.
    pub fn check_read_only(&self) -> Result<(), BitError> {
        match self.highest_write_bit {
            None => Ok(()),
            Some(_) => Err(BitError::ReadOnlyWrite),
        }
    }
}

/// Parses the arguments after the key, left to right, stopping at the
/// first error as Redis does (so its order of checks decides which error a
/// bad command gets). See [`parse_bit_offset`] for `proto_max_bulk_len`.
pub fn parse_bitfield<A: AsRef<[u8]>>(
    args: &[A],
    proto_max_bulk_len: u64,
) -> Result<BitfieldPlan, BitError> {
    let mut plan = BitfieldPlan {
        commands: Vec::new(),
        highest_write_bit: None,
    };
    let mut overflow = Overflow::Wrap;
    let mut i = 0;
    while i < args.len() {
        let arg = |k: usize| args[i + k].as_ref();
        let remaining = args.len() - i - 1;
        let operands = match arg(0) {
            sub if keyword_eq(sub, "get") && remaining >= 2 => 2,
            sub if (keyword_eq(sub, "set") || keyword_eq(sub, "incrby")) && remaining >= 3 => 3,
            sub if keyword_eq(sub, "overflow") && remaining >= 1 => {
                overflow = parse_overflow(arg(1))?;
                i += 2;
                continue;
            }
            _ => return Err(BitError::Syntax),
        };
        let field = FieldType::parse(arg(1))?;
        let offset = parse_bit_offset(arg(2), Some(field.bits), proto_max_bulk_len)?;
        let op = if operands == 2 {
            FieldOp::Get
        } else {
            let value = parse_i64(arg(3)).ok_or(BitError::NotAnInteger)?;
            let last = offset + u64::from(field.bits) - 1;
            plan.highest_write_bit = Some(plan.highest_write_bit.map_or(last, |h| h.max(last)));
            if keyword_eq(arg(0), "set") {
                FieldOp::Set(value)
            } else {
                FieldOp::IncrBy(value)
            }
        };
        plan.commands.push(FieldCommand {
            op,
            field,
            offset,
            overflow,
        });
        i += operands + 1;
    }
    Ok(plan)
}

fn parse_overflow(arg: &[u8]) -> Result<Overflow, BitError> {
    let modes = [
        ("wrap", Overflow::Wrap),
        ("sat", Overflow::Sat),
        ("fail", Overflow::Fail),
    ];
    keyword_lookup(arg, &modes).ok_or(BitError::BadOverflow)
}

/// Runs a plan against a string (a missing key is an empty one that the
/// caller stores only if the plan writes): first grows it to the highest
/// written bit, as Redis does even when every write then FAILs, then
/// replies per command, `None` for a FAILed write.
pub fn run_bitfield(plan: &BitfieldPlan, s: &mut Vec<u8>) -> Vec<Option<i64>> {
    if let Some(bit) = plan.highest_write_bit {
        grow_to_bit(s, bit);
    }
    plan.commands
        .iter()
        .map(|command| match command.op {
            FieldOp::Get => Some(get_field(s, command.field, command.offset)),
            FieldOp::Set(_) | FieldOp::IncrBy(_) => write_field(s, command),
        })
        .collect()
}

/// BITFIELD GET: the field's value, bits past the end reading as 0.
pub fn get_field(s: &[u8], field: FieldType, offset: u64) -> i64 {
    let raw = get_unsigned(s, offset, field.bits);
    if field.signed {
        sign_extend(raw, field.bits)
    } else {
        raw as i64
    }
}

/// A SET or INCRBY on a string already long enough for it.
fn write_field(s: &mut [u8], command: &FieldCommand) -> Option<i64> {
    let FieldCommand {
        op,
        field,
        offset,
        overflow,
    } = *command;
    let bits = field.bits;
    let old = get_unsigned(s, offset, bits);
    // (value to store, value to reply, whether it overflowed)
    let (store, reply, overflowed) = if field.signed {
        let old = sign_extend(old, bits);
        let (value, increment) = match op {
            FieldOp::IncrBy(by) => (old, by),
            _ => (set_value(op), 0),
        };
        let limited = signed_limit(value, increment, bits, overflow);
        let new = limited.unwrap_or(value.wrapping_add(increment));
        let reply = if matches!(op, FieldOp::IncrBy(_)) {
            new
        } else {
            old
        };
        (new as u64, reply, limited.is_some())
    } else {
        let (value, increment) = match op {
            FieldOp::IncrBy(by) => (old, by),
            _ => (set_value(op) as u64, 0),
        };
        let limited = unsigned_limit(value, increment, bits, overflow);
        let new = limited.unwrap_or(value.wrapping_add(increment as u64));
        let reply = if matches!(op, FieldOp::IncrBy(_)) {
            new
        } else {
            old
        };
        (new, reply as i64, limited.is_some())
    };
    if overflowed && overflow == Overflow::Fail {
        return None;
    }
    set_unsigned(s, offset, bits, store);
    Some(reply)
}

fn set_value(op: FieldOp) -> i64 {
    match op {
        FieldOp::Set(v) | FieldOp::IncrBy(v) => v,
        FieldOp::Get => 0,
    }
}

/// For a signed field: `None` if `value + increment` fits in `bits`, else
/// the value WRAP or SAT stores (anything for FAIL). Written as Redis's
/// checks are, including how they treat a `value` already out of range.
fn signed_limit(value: i64, increment: i64, bits: u32, overflow: Overflow) -> Option<i64> {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let max_increment = (max as u64).wrapping_sub(value as u64) as i64;
    let min_increment = min.wrapping_sub(value);
    let narrow = bits != 64;
    let too_big = value > max
        || (narrow && increment > max_increment)
        || (value >= 0 && increment > 0 && increment > max_increment);
    let too_small = value < min
        || (narrow && increment < min_increment)
        || (value < 0 && increment < 0 && increment < min_increment);
    if !too_big && !too_small {
        return None;
    }
    Some(match overflow {
        Overflow::Sat if too_big => max,
        Overflow::Sat => min,
        _ => sign_extend((value as u64).wrapping_add(increment as u64), bits),
    })
}

/// For an unsigned field, like [`signed_limit`]. A negative SET value is a
/// huge unsigned one, so it saturates to the maximum.
fn unsigned_limit(value: u64, increment: i64, bits: u32, overflow: Overflow) -> Option<u64> {
    let max = (1u64 << bits) - 1;
    let max_increment = max.wrapping_sub(value) as i64;
    let min_increment = value.wrapping_neg() as i64;
    let too_big = value > max || (increment > 0 && increment > max_increment);
    let too_small = increment < 0 && increment < min_increment;
    if !too_big && !too_small {
        return None;
    }
    Some(match overflow {
        Overflow::Sat if too_big => max,
        Overflow::Sat => 0,
        _ => value.wrapping_add(increment as u64) & max,
    })
}

/// `raw`'s low `bits` bits as a two's complement number.
fn sign_extend(raw: u64, bits: u32) -> i64 {
    let unused = 64 - bits;
    ((raw << unused) as i64) >> unused
}

/// The 9 bytes from `offset`'s byte on (zero past the end of `s`) as a
/// 72-bit big-endian number: any field of up to 64 bits lies inside.
fn window(s: &[u8], offset: u64) -> u128 {
    let start = usize::try_from(offset / 8).unwrap_or(usize::MAX);
    let mut bytes = [0u8; 16];
    let available = s.get(start..).unwrap_or_default();
    let n = available.len().min(9);
    bytes[7..7 + n].copy_from_slice(&available[..n]);
    u128::from_be_bytes(bytes)
}

/// Shift that brings a field at `offset` to the bottom of its window.
fn window_shift(offset: u64, bits: u32) -> u32 {
    72 - (offset % 8) as u32 - bits
}

fn get_unsigned(s: &[u8], offset: u64, bits: u32) -> u64 {
    let mask = (1u128 << bits) - 1;
    ((window(s, offset) >> window_shift(offset, bits)) & mask) as u64
}

/// Stores `value`'s low `bits` bits at `offset`, which must lie within `s`.
fn set_unsigned(s: &mut [u8], offset: u64, bits: u32, value: u64) {
    let shift = window_shift(offset, bits);
    let mask = ((1u128 << bits) - 1) << shift;
    let updated = (window(s, offset) & !mask) | ((u128::from(value) << shift) & mask);
    let start = (offset / 8) as usize;
    let n = (s.len() - start).min(9);
    s[start..start + n].copy_from_slice(&updated.to_be_bytes()[7..7 + n]);
}
