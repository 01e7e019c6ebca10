//! The latency monitor: per event class ("command", "fast-command"), the
//! worst latency of each second, for the last 160 seconds that had one, plus
//! the all-time maximum. Only samples at or above `latency-monitor-threshold`
//! get here, so ordinary commands never take its lock.

use std::collections::{BTreeMap, VecDeque};

use parking_lot::Mutex;

/// Seconds of history kept per event.
pub const HISTORY: usize = 160;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Sample {
    /// Unix time in seconds.
    pub time: i64,
    pub millis: u64,
}

#[derive(Default, Clone)]
pub struct Series {
    /// Oldest first.
    pub samples: VecDeque<Sample>,
    pub max: u64,
}

#[derive(Default)]
pub struct LatencyMonitor {
    events: Mutex<BTreeMap<String, Series>>,
}

impl LatencyMonitor {
    /// Records `millis` for `event` at unix second `time`; a second keeps its worst sample.
    pub fn add(&self, event: &str, time: i64, millis: u64) {
        let mut events = self.events.lock();
        let series = match events.get_mut(event) {
            Some(s) => s,
            None => events.entry(event.to_string()).or_default(),
        };
        series.max = series.max.max(millis);
        match series.samples.back_mut() {
            Some(last) if last.time == time => last.millis = last.millis.max(millis),
            _ => {
                series.samples.push_back(Sample { time, millis });
                if series.samples.len() > HISTORY {
                    series.samples.pop_front();
                }
            }
        }
    }

    /// Every event with samples, by name.
    pub fn snapshot(&self) -> Vec<(String, Series)> {
        let events = self.events.lock();
        events
            .iter()
            .filter(|(_, s)| !s.samples.is_empty())
            .map(|(n, s)| (n.clone(), s.clone()))
            .collect()
    }

    pub fn series(&self, event: &str) -> Option<Series> {
        self.events
            .lock()
            .get(event)
            .filter(|s| !s.samples.is_empty())
            .cloned()
    }

    /// Forgets the named events (all when `names` is empty); returns how many had data.
    pub fn reset(&self, names: &[&[u8]]) -> usize {
        let mut events = self.events.lock();
        if names.is_empty() {
            let n = events.len();
            events.clear();
            return n;
        }
        let mut removed = 0;
        for name in names {
            if let Ok(name) = std::str::from_utf8(name)
                && events.remove(name).is_some()
            {
                removed += 1;
            }
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_per_second_keeps_the_worst_and_history_is_bounded() {
        let m = LatencyMonitor::default();
        m.add("command", 10, 5);
        m.add("command", 10, 9);
        m.add("command", 10, 7);
        let s = m.series("command").unwrap();
        assert_eq!(
            s.samples,
            [Sample {
                time: 10,
                millis: 9
            }]
        );
        for t in 11..400 {
            m.add("command", t, 1);
        }
        let s = m.series("command").unwrap();
        assert_eq!(s.samples.len(), HISTORY);
        assert_eq!(s.max, 9);
        assert_eq!(m.reset(&[b"nope", b"command"]), 1);
        assert!(m.series("command").is_none());
    }
}
