//! Instantaneous rates (ops/sec, network kbps, event-loop cycles), as Redis
//! computes them: a background tick samples each counter's rate every 100 ms
//! into a ring of 16, and INFO reports the ring's average.

use parking_lot::Mutex;

const SAMPLES: usize = 16;

#[derive(Clone, Copy)]
pub enum Metric {
    Commands = 0,
    NetInput,
    NetOutput,
    Cycles,
    CommandNs,
}
const METRICS: usize = 5;

#[derive(Default, Clone, Copy)]
struct Ring {
    samples: [u64; SAMPLES],
    next: usize,
    last_reading: u64,
    last_ms: i64,
}

#[derive(Default)]
pub struct Metrics {
    rings: Mutex<[Ring; METRICS]>,
}

impl Metrics {
    /// Records the rate per second of each metric since the previous sample.
    pub fn sample(&self, readings: [u64; METRICS], now_ms: i64) {
        let mut rings = self.rings.lock();
        for (ring, reading) in rings.iter_mut().zip(readings) {
            let elapsed = now_ms - ring.last_ms;
            let delta = reading.saturating_sub(ring.last_reading);
            let rate = if ring.last_ms > 0 && elapsed > 0 {
                delta.saturating_mul(1000) / elapsed as u64
            } else {
                0
            };
            ring.samples[ring.next] = rate;
            ring.next = (ring.next + 1) % SAMPLES;
            ring.last_reading = reading;
            ring.last_ms = now_ms;
        }
    }

    /// The average rate per second over the last 16 samples.
    pub fn get(&self, metric: Metric) -> u64 {
        let rings = self.rings.lock();
        rings[metric as usize].samples.iter().sum::<u64>() / SAMPLES as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_is_the_average_of_sixteen_samples() {
        let m = Metrics::default();
        m.sample([0; METRICS], 1000);
        for i in 1..=16u64 {
            m.sample([i * 100, 0, 0, 0, 0], 1000 + i as i64 * 100);
        }
        assert_eq!(m.get(Metric::Commands), 1000);
    }
}
