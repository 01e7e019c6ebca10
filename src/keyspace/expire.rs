//! The active expiry cycle: deletes expired keys nobody reads.
//!
//! Lazy expiry alone would keep expired-but-untouched keys forever. Like
//! Redis's `hz`-driven cycle, each tick walks every shard's expiry index with
//! a persistent cursor, a few buckets at a time, one shard lock at a time, so
//! clients wait at most for one small batch. A shard whose sample was more
//! than 10% expired is revisited within the same tick, which keeps stale keys
//! under about a tenth of the volatile ones; each tick stops at a time budget
//! of a quarter of its period so a burst of expiries never starves clients.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{Keyspace, LockPlan, SHARDS};

/// Keys looked at per shard visit, as Redis's per-loop sample.
const SAMPLE: usize = 20;
/// A shard is revisited while more than this share of its sample was expired.
const STALE_PERCENT: usize = 10;

/// Runs one expiry tick across all databases, stopping at `budget`.
/// Returns how many keys it deleted.
pub fn run_tick(keyspace: &Keyspace, budget: Duration) -> usize {
    let start = Instant::now();
    let mut deleted = 0;
    for db in 0..keyspace.databases() {
        for shard in 0..SHARDS {
            loop {
                let (sampled, expired) = sweep_shard(keyspace, db, shard);
                deleted += expired;
                if start.elapsed() >= budget {
                    return deleted;
                }
                if sampled == 0 || expired * 100 <= sampled * STALE_PERCENT {
                    break;
                }
            }
        }
    }
    deleted
}

/// Samples about [`SAMPLE`] keys of one shard's expiry index and deletes the expired ones.
fn sweep_shard(keyspace: &Keyspace, db: usize, shard: usize) -> (usize, usize) {
    let mut plan = LockPlan::none();
    plan.add_shard(db, shard);
    let mut locked = keyspace.lock(&plan);
    let now = locked.now();
    let mut due: Vec<Vec<u8>> = Vec::new();
    let mut sampled = 0;
    let Some(state) = locked.shard_at(db, shard) else {
        return (0, 0);
    };
    if state.expires.is_empty() {
        return (0, 0);
    }
    let mut cursor = state.expire_cursor;
    loop {
        cursor = state.expires.scan(cursor, |key, &at| {
            sampled += 1;
            if at <= now {
                due.push(key.to_vec());
            }
        });
        if cursor == 0 || sampled >= SAMPLE {
            break;
        }
    }
    state.expire_cursor = cursor;
    // Looking a key up through the view deletes it if it is due, with the
    // same announcement and DEL record as a lazy expiry.
    let mut view = locked.db(db);
    for key in &due {
        view.peek(key);
    }
    (sampled, due.len())
}

/// Starts the background thread that runs a tick `hz` times a second.
pub fn spawn(keyspace: Arc<Keyspace>, hz: impl Fn() -> u32 + Send + 'static) {
    std::thread::Builder::new()
        .name("active-expire".into())
        .spawn(move || {
            loop {
                let period = Duration::from_millis(1000 / u64::from(hz().clamp(1, 500)));
                std::thread::sleep(period);
                if keyspace.active_expire.load(Ordering::Relaxed) {
                    run_tick(&keyspace, period / 4);
                }
            }
        })
        .expect("spawning the expiry thread");
}
