//! Bytes per member of the set and sorted-set benchmark shapes, from
//! `heap_bytes()` plus each value's own allocation (the keyspace boxes it),
//! all at mimalloc's size classes.
//! Run with:
//!
//! ```text
//! cargo test --lib keyspace::types::memory_report -- --ignored --nocapture
//! ```
//!
//! Redis's figures are printed alongside: for the four integer and score
//! shapes, RSS per member from the benchmark tool (so they include its
//! per-key overhead, which these do not); for `member:N` sets, 15 is the
//! size of a Redis 7.2 listpack entry for a 13-byte member, and 63.8 is
//! `used_memory` per member measured on redis-server 7.0.15 (same
//! hashtable encoding as 7.2).

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use super::Limits;
use super::mem::malloc_size;
use super::set::Set;
use super::zset::ZSet;

fn report(shape: &str, bytes: usize, members: usize, redis: f64) -> f64 {
    let per = bytes as f64 / members as f64;
    println!(
        "{shape:<38} {per:>6.2} B/member  (Redis {redis:>5.1}, ratio {:.3})",
        per / redis
    );
    per
}

fn set_shape(sets: usize, members: usize, member: impl Fn(usize, usize) -> String) -> usize {
    let limits = Limits::default();
    (0..sets)
        .map(|i| {
            let mut set = Set::new_intset();
            for j in 0..members {
                set.add(member(i, j).as_bytes(), &limits);
            }
            set.heap_bytes() + malloc_size(size_of::<Set>())
        })
        .sum()
}

fn zset_shape(sets: usize, members: usize) -> usize {
    let limits = Limits::default();
    let mut rng = SmallRng::seed_from_u64(97);
    (0..sets)
        .map(|_| {
            let mut z = ZSet::new();
            for j in 0..members {
                let text = format!("{:.4}", f64::from(rng.random_range(0..1_000_000u32)) / 97.0);
                let score: f64 = text.parse().expect("a decimal");
                z.insert(format!("m{j}").as_bytes(), score, &limits)
                    .expect("far from full");
            }
            z.heap_bytes() + malloc_size(size_of::<ZSet>())
        })
        .sum()
}

#[test]
#[ignore = "prints the benchmark shapes' memory; see the module docs"]
fn memory_per_member_of_the_benchmark_shapes() {
    let small = set_shape(10_000, 100, |i, j| (i * 100 + j).to_string());
    let small = report("sets: 10k x 100 integers (intset)", small, 1_000_000, 5.3);
    let large = set_shape(10, 100_000, |i, j| (i * 100_000 + j).to_string());
    let large = report(
        "sets: 10 x 100k integers (hashtable)",
        large,
        1_000_000,
        57.0,
    );
    let small_z = report(
        "zsets: 10k x 100 (listpack)",
        zset_shape(10_000, 100),
        1_000_000,
        26.7,
    );
    let large_z = report(
        "zsets: 10 x 100k (skiplist)",
        zset_shape(10, 100_000),
        1_000_000,
        106.0,
    );
    let small_s = set_shape(10_000, 100, |i, j| format!("member:{}", i * 100 + j));
    report(
        "sets: 10k x 100 member:N (listpack)",
        small_s,
        1_000_000,
        15.0,
    );
    let large_s = set_shape(10, 100_000, |i, j| format!("member:{}", i * 100_000 + j));
    report(
        "sets: 10 x 100k member:N (hashtable)",
        large_s,
        1_000_000,
        63.8,
    );
    assert!(small <= 0.7 * 5.3 && large <= 0.5 * 57.0);
    assert!(small_z <= 0.6 * 26.7 && large_z <= 0.55 * 106.0);
}

/// Nanoseconds per call of `f` over `n` calls, the best of `rounds` runs
/// (this machine is shared, so the best run is the least disturbed one);
/// `setup` runs before each round, untimed.
fn best_time<S>(
    rounds: usize,
    n: usize,
    mut setup: impl FnMut() -> S,
    mut f: impl FnMut(&mut S, usize),
) -> f64 {
    (0..rounds)
        .map(|_| {
            let mut state = setup();
            let start = std::time::Instant::now();
            for i in 0..n {
                f(&mut state, i);
            }
            start.elapsed().as_nanos() as f64 / n as f64
        })
        .fold(f64::INFINITY, f64::min)
}

#[test]
#[ignore = "prints per-operation times at growing sizes; run like the memory report, with --test-threads=1"]
fn operation_costs_grow_logarithmically() {
    let limits = Limits::default();
    let mut rng = SmallRng::seed_from_u64(1);
    for n in [10_000usize, 100_000, 1_000_000] {
        let members: Vec<Vec<u8>> = (0..n).map(|i| format!("m{i}").into_bytes()).collect();
        let scores: Vec<f64> = (0..n)
            .map(|_| f64::from(rng.random_range(0..1_000_000u32)))
            .collect();
        let build = || {
            let mut z = ZSet::new();
            for i in 0..n {
                z.insert(&members[i], scores[i], &limits)
                    .expect("far from full");
            }
            z
        };
        let zadd = best_time(3, n, ZSet::new, |z, i| {
            z.insert(&members[i], scores[i], &limits)
                .expect("far from full");
        });
        let z = build();
        let zscore = best_time(3, n, || (), |_, i| assert!(z.score(&members[i]).is_some()));
        let zrank = best_time(
            3,
            n,
            || (),
            |_, i| assert!(z.rank(&members[i], false).is_some()),
        );
        let rescore = best_time(3, n, build, |z, i| {
            z.insert(&members[i], scores[n - 1 - i], &limits)
                .expect("far from full");
        });
        let sadd = best_time(3, n, Set::new_intset, |s, i| {
            s.add(&members[i], &limits);
        });
        let mut set = Set::new_intset();
        for m in &members {
            set.add(m, &limits);
        }
        let sismember = best_time(3, n, || (), |_, i| assert!(set.contains(&members[i])));
        println!(
            "n={n:>8}: ZADD {zadd:>5.0} ns, ZSCORE {zscore:>4.0}, ZRANK {zrank:>5.0}, re-score {rescore:>5.0}; \
             SADD {sadd:>4.0}, SISMEMBER {sismember:>4.0}"
        );
    }
}
