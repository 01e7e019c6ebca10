//! Turning registers into a cardinality: the estimator Redis has used since
//! 5.0 (Ertl's improved raw estimator over the register-value histogram),
//! computed in the same order of floating-point operations so the rounded
//! result is the same integer; and PFSELFTEST's checks.

use super::{REGISTERS, dense, new_sparse};

/// The bias-correction constant 1 / (2 ln 2).
const ALPHA_INFINITY: f64 = 0.721_347_520_444_481_7;

/// Hash bits above the register index (50); register values are 0..=Q+1.
const Q: usize = 64 - super::INDEX_BITS as usize;

/// The estimate from `histogram[v]` = number of registers holding `v`
/// (values above 51, possible only in foreign dense strings, are ignored).
/// Where the estimate is not a representable integer (every register above
/// 51 gives infinity) Redis's rounding yields `i64::MIN`, and so does this.
pub(super) fn estimate(histogram: &[u32; 64]) -> i64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - f64::from(histogram[Q + 1])) / m);
    for &count in histogram[1..=Q].iter().rev() {
        z += f64::from(count);
        z *= 0.5;
    }
    z += m * sigma(f64::from(histogram[0]) / m);
    // All registers zero make z infinite and the estimate 0.
    let estimate = (ALPHA_INFINITY * m * m / z).round();
    if (0.0..i64::MAX as f64).contains(&estimate) {
        estimate as i64
    } else {
        i64::MIN
    }
}

/// σ(x) = x + Σ_{k≥1} x^(2^k)·2^(k−1), summed until it stops changing.
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut weight = 1.0;
    let mut sum = x;
    loop {
        x *= x;
        let before = sum;
        sum += x * weight;
        weight += weight;
        if sum == before {
            return sum;
        }
    }
}

/// τ(x) = (1 − x − Σ_{k≥1} (1 − x^(2^−k))²·2^−k) / 3, summed until it stops
/// changing.
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut weight = 1.0;
    let mut sum = 1.0 - x;
    loop {
        x = x.sqrt();
        let before = sum;
        weight *= 0.5;
        let gap = 1.0 - x;
        sum -= gap * gap * weight;
        if sum == before {
            return sum / 3.0;
        }
    }
}

/// PFSELFTEST: checks the dense register packing with every register set to
/// a pseudo-random value, then that a sparse and a dense HLL fed the same
/// elements always agree and stay within 5 standard errors of the truth.
/// `Err` carries the reply text for the first failure.
pub fn self_test() -> Result<(), String> {
    check_dense_packing()?;
    check_sparse_matches_dense()
}

fn check_dense_packing() -> Result<(), String> {
    let mut body = vec![0u8; dense::BODY_LEN];
    let value_at = |seed: u64, index: usize| {
        let mixed = (seed ^ index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (mixed >> 58) as u8
    };
    for seed in 0..4 {
        body.fill(0);
        for index in 0..REGISTERS {
            dense::raise(&mut body, index, value_at(seed, index));
        }
        for index in 0..REGISTERS {
            if dense::get(&body, index) != value_at(seed, index) {
                return Err(format!("TESTFAILED Register error at index {index}"));
            }
        }
    }
    Ok(())
}

fn check_sparse_matches_dense() -> Result<(), String> {
    let mut sparse = new_sparse();
    let mut dense = new_sparse();
    super::to_dense(&mut dense).map_err(|e| e.reply().to_owned())?;
    let relative_error = 1.04 / (REGISTERS as f64).sqrt();
    let mut checkpoint = 10;
    for n in 1..=100_000u64 {
        let element = n.to_le_bytes();
        for hll in [&mut sparse, &mut dense] {
            super::add(hll, &element, super::DEFAULT_SPARSE_MAX_BYTES)
                .map_err(|e| e.reply().to_owned())?;
        }
        if n != checkpoint {
            continue;
        }
        checkpoint *= 10;
        let from_sparse = super::count(&mut sparse).map_err(|e| e.reply().to_owned())?;
        let from_dense = super::count(&mut dense).map_err(|e| e.reply().to_owned())?;
        if from_sparse != from_dense {
            return Err(format!(
                "TESTFAILED sparse and dense disagree at {n}: {from_sparse} vs {from_dense}"
            ));
        }
        let error = (from_dense as f64 - n as f64).abs() / n as f64;
        if error > 5.0 * relative_error {
            return Err(format!(
                "TESTFAILED too big error. card:{n} card:{from_dense} error:{error}"
            ));
        }
    }
    Ok(())
}
