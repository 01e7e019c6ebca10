//! LCS: the longest common subsequence of two string values, by dynamic
//! programming over a table bounded by `proto-max-bulk-len`.

use crate::command::{Args, CmdError, CmdResult, Ctx, NOT_INTEGER, SYNTAX};
use crate::util::num::parse_i64;

const LCS_NOT_STRINGS: &str = "ERR The specified keys must contain string values";
const LCS_LEN_AND_IDX: &str = "ERR If you want both the length and indexes, please just use IDX.";
const LCS_TOO_BIG: &str =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
const LCS_ALLOC_FAILED: &str =
    "ERR Insufficient memory, failed allocating transient memory for LCS";

#[derive(Debug, Default, PartialEq, Eq)]
struct LcsOptions {
    len: bool,
    idx: bool,
    min_match_len: u64,
    with_match_len: bool,
}

fn parse_lcs_options(args: Args<'_>) -> Result<LcsOptions, CmdError> {
    let mut o = LcsOptions::default();
    let mut i = 3;
    while i < args.len() {
        let token = args.get(i);
        let is = |name: &str| token.eq_ignore_ascii_case(name.as_bytes());
        if is("LEN") {
            o.len = true;
        } else if is("IDX") {
            o.idx = true;
        } else if is("WITHMATCHLEN") {
            o.with_match_len = true;
        } else if is("MINMATCHLEN") && i + 1 < args.len() {
            let n = parse_i64(args.get(i + 1)).ok_or(NOT_INTEGER)?;
            o.min_match_len = n.max(0) as u64;
            i += 1;
        } else {
            return Err(SYNTAX);
        }
        i += 1;
    }
    if o.len && o.idx {
        return Err(LCS_LEN_AND_IDX.into());
    }
    Ok(o)
}

/// One run of the common subsequence: inclusive byte ranges in each string.
#[derive(Debug, PartialEq, Eq)]
struct LcsMatch {
    a: (usize, usize),
    b: (usize, usize),
}

impl LcsMatch {
    fn len(&self) -> usize {
        self.a.1 - self.a.0 + 1
    }
}

/// The longest common subsequence of two strings, and the contiguous runs
/// it is made of, listed from the end of the strings backwards as Redis
/// walks them.
#[derive(Debug, PartialEq, Eq)]
struct Lcs {
    text: Vec<u8>,
    matches: Vec<LcsMatch>,
}

/// Table cells needed for two strings, if the table fits in `limit` bytes.
fn lcs_cells(a: &[u8], b: &[u8], limit: usize) -> Option<usize> {
    let cells = (a.len() as u64 + 1).checked_mul(b.len() as u64 + 1)?;
    let bytes = cells.checked_mul(std::mem::size_of::<u32>() as u64)?;
    (bytes <= limit as u64).then_some(cells as usize)
}

/// Fills the dynamic-programming table (`table` holds `cells` zeros on entry):
/// cell (i, j) is the LCS length of `a[..i]` and `b[..j]`.
fn lcs_fill(a: &[u8], b: &[u8], table: &mut [u32]) {
    let width = b.len() + 1;
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            table[i * width + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
}

/// Walks the filled table back from the end, collecting the subsequence and
/// the runs of at least `min_len` bytes.
fn lcs_walk(a: &[u8], b: &[u8], table: &[u32], min_len: u64) -> Lcs {
    let width = b.len() + 1;
    let at = |i: usize, j: usize| table[i * width + j];
    let mut text = vec![0u8; at(a.len(), b.len()) as usize];
    let mut matches = Vec::new();
    let mut run: Option<LcsMatch> = None;
    let mut emit = |run: &mut Option<LcsMatch>| {
        if let Some(m) = run.take()
            && m.len() as u64 >= min_len
        {
            matches.push(m);
        }
    };
    let (mut i, mut j, mut k) = (a.len(), b.len(), text.len());
    while i > 0 && j > 0 {
        if a[i - 1] == b[j - 1] {
            k -= 1;
            text[k] = a[i - 1];
            i -= 1;
            j -= 1;
            match &mut run {
                Some(m) => {
                    m.a.0 = i;
                    m.b.0 = j;
                }
                None => {
                    run = Some(LcsMatch {
                        a: (i, i),
                        b: (j, j),
                    })
                }
            }
            if i == 0 || j == 0 {
                emit(&mut run);
            }
        } else {
            // Ties go to the second string, as Redis breaks them.
            if at(i - 1, j) > at(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
            emit(&mut run);
        }
    }
    Lcs { text, matches }
}

/// A string value's bytes for LCS: missing keys are empty strings.
fn lcs_operand(ctx: &mut Ctx<'_, '_>, key: &[u8]) -> Option<Vec<u8>> {
    let mut db = ctx.db();
    match db.lookup_read(key).map(|v| v.str_bytes()) {
        None => Some(Vec::new()),
        Some(Some(mut bytes)) => Some(bytes.as_slice().to_vec()),
        Some(None) => None,
    }
}

pub(super) fn lcs(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let (Some(a), Some(b)) = (lcs_operand(ctx, ctx.arg(1)), lcs_operand(ctx, ctx.arg(2))) else {
        return Err(LCS_NOT_STRINGS.into());
    };
    let opts = parse_lcs_options(ctx.args)?;
    let cells = lcs_cells(&a, &b, ctx.config().proto_max_bulk_len()).ok_or(LCS_TOO_BIG)?;
    let mut table = Vec::new();
    if table.try_reserve_exact(cells).is_err() {
        return Err(LCS_ALLOC_FAILED.into());
    }
    table.resize(cells, 0u32);
    lcs_fill(&a, &b, &mut table);
    let lcs = lcs_walk(&a, &b, &table, opts.min_match_len);
    if opts.len {
        ctx.out.int(lcs.text.len() as i64);
    } else if opts.idx {
        reply_lcs_idx(ctx, &lcs, opts.with_match_len);
    } else {
        ctx.out.bulk(&lcs.text);
    }
    Ok(())
}

fn reply_lcs_idx(ctx: &mut Ctx<'_, '_>, lcs: &Lcs, with_len: bool) {
    let out = &mut ctx.out;
    out.map(2);
    out.bulk(b"matches");
    out.array(lcs.matches.len());
    for m in &lcs.matches {
        out.array(2 + with_len as usize);
        for (start, end) in [m.a, m.b] {
            out.array(2);
            out.int(start as i64);
            out.int(end as i64);
        }
        if with_len {
            out.int(m.len() as i64);
        }
    }
    out.bulk(b"len");
    out.int(lcs.text.len() as i64);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcs_of(a: &str, b: &str, min_len: u64) -> Lcs {
        let cells = lcs_cells(a.as_bytes(), b.as_bytes(), usize::MAX).unwrap();
        let mut table = vec![0u32; cells];
        lcs_fill(a.as_bytes(), b.as_bytes(), &mut table);
        lcs_walk(a.as_bytes(), b.as_bytes(), &table, min_len)
    }

    #[test]
    fn lcs_lists_runs_from_the_end_backwards() {
        let lcs = lcs_of("ohmytext", "mynewtext", 0);
        assert_eq!(lcs.text, b"mytext");
        let runs: Vec<_> = lcs.matches.iter().map(|m| (m.a, m.b)).collect();
        assert_eq!(runs, [((4, 7), (5, 8)), ((2, 3), (0, 1))]);
        assert_eq!(lcs_of("ohmytext", "mynewtext", 3).matches.len(), 1);
        assert_eq!(
            lcs_of("", "abc", 0),
            Lcs {
                text: vec![],
                matches: vec![]
            }
        );
    }

    #[test]
    fn lcs_table_size_is_bounded_by_proto_max_bulk_len() {
        let (a, b) = (vec![b'a'; 511], vec![b'a'; 512]);
        assert_eq!(lcs_cells(&a, &a, 1 << 20), Some(512 * 512));
        assert_eq!(lcs_cells(&a, &b, 1 << 20), None);
    }
}
