//! A latency histogram with Redis's resolution (HDR histogram, two
//! significant digits): exact below 256 ns, then each power of two split
//! into 128 equal buckets, so a bucket is at most 1/128 of its value wide.
//! Reported values are a bucket's highest equivalent value, as HDR reports
//! them, which keeps INFO latencystats numbers in Redis's shape.
//!
//! One thread writes a histogram, others only read it: counts are atomics
//! updated with plain loads and stores, never contended read-modify-writes.

use std::sync::atomic::{AtomicU64, Ordering};

const LINEAR: u64 = 256;
const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS;
/// Redis records at most one second (in ns); longer runs count as one second.
pub const MAX_NS: u64 = 1_000_000_000;
const BUCKETS: usize = bucket_of(MAX_NS) + 1;

/// Bucket index of a value in ns.
const fn bucket_of(v: u64) -> usize {
    if v < LINEAR {
        return v as usize;
    }
    let k = 63 - v.leading_zeros();
    let sub = (v >> (k - SUB_BITS)) & (SUB - 1);
    (LINEAR + (k as u64 - 8) * SUB + sub) as usize
}

/// The lowest and highest values a bucket holds.
fn bounds(index: usize) -> (u64, u64) {
    let i = index as u64;
    if i < LINEAR {
        return (i, i);
    }
    let k = (i - LINEAR) / SUB + 8;
    let sub = (i - LINEAR) % SUB;
    let width = 1u64 << (k - u64::from(SUB_BITS));
    let low = (SUB + sub) * width;
    (low, low + width - 1)
}

pub struct Histogram {
    counts: Box<[AtomicU64]>,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl Histogram {
    /// Records one value; only the owning thread calls this.
    #[inline]
    pub fn record(&self, ns: u64) {
        let c = &self.counts[bucket_of(ns.min(MAX_NS))];
        c.store(c.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    pub fn clear(&self) {
        for c in self.counts.iter() {
            c.store(0, Ordering::Relaxed);
        }
    }

    /// Adds this histogram's counts into `into` (one bucket per slot).
    pub fn add_to(&self, into: &mut Merged) {
        for (sum, c) in into.counts.iter_mut().zip(self.counts.iter()) {
            *sum += c.load(Ordering::Relaxed);
        }
    }
}

/// Counts summed over threads, for reporting.
pub struct Merged {
    counts: Vec<u64>,
}

impl Default for Merged {
    fn default() -> Self {
        Merged {
            counts: vec![0; BUCKETS],
        }
    }
}

impl Merged {
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The value (ns) below which `percentile` % of the samples fall, as HDR's
    /// `value_at_percentile` answers it; 0 when empty.
    pub fn percentile(&self, percentile: f64) -> u64 {
        let total = self.total();
        if total == 0 {
            return 0;
        }
        let wanted = ((percentile / 100.0 * total as f64 + 0.5) as u64).clamp(1, total);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= wanted {
                return bounds(i).1;
            }
        }
        bounds(BUCKETS - 1).1
    }

    /// Cumulative counts at 1024 ns, 2048 ns, ... doubling until every
    /// sample is counted: `(highest equivalent ns of the level, count)`,
    /// only where the count grew (LATENCY HISTOGRAM's buckets).
    pub fn cumulative_powers_of_two(&self) -> Vec<(u64, u64)> {
        let total = self.total();
        let mut out = Vec::new();
        let (mut level, mut seen, mut next) = (1024u64, 0u64, 0usize);
        while seen < total {
            let top = bucket_of(level.min(MAX_NS));
            while next <= top {
                seen += self.counts[next];
                next += 1;
            }
            if out.last().is_none_or(|&(_, last)| seen > last) && seen > 0 {
                out.push((bounds(top).1, seen));
            }
            level *= 2;
            if level > MAX_NS * 2 {
                break;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_within_one_percent_of_their_values() {
        for v in [1u64, 255, 256, 1000, 8000, 33_000, 999_999, MAX_NS] {
            let (low, high) = bounds(bucket_of(v));
            assert!(low <= v && v <= high, "{v}: {low}..{high}");
            assert!((high - low) as f64 <= v as f64 / 100.0, "{v}");
        }
    }

    #[test]
    fn percentiles_report_highest_equivalent_values_like_hdr() {
        let h = Histogram::default();
        h.record(8000);
        let mut m = Merged::default();
        h.add_to(&mut m);
        // Redis prints this sample as p50=8.031.
        assert_eq!(m.percentile(50.0), 8031);
        for _ in 0..99 {
            h.record(1000);
        }
        let mut m = Merged::default();
        h.add_to(&mut m);
        assert_eq!(m.percentile(50.0), 1003);
        assert_eq!(m.percentile(99.9), 8031);
    }

    #[test]
    fn cumulative_levels_match_redis_labels() {
        let h = Histogram::default();
        for v in [1000, 3000, 8000, 30_000] {
            h.record(v);
        }
        let mut m = Merged::default();
        h.add_to(&mut m);
        let got: Vec<(u64, u64)> = m
            .cumulative_powers_of_two()
            .into_iter()
            .map(|(ns, n)| (ns / 1000, n))
            .collect();
        assert_eq!(got, [(1, 1), (4, 2), (8, 3), (33, 4)]);
    }
}
