//! Server-wide statistics that INFO, SLOWLOG and LATENCY report.
//!
//! Connection counters are plain atomics (connections are rare events).
//! Everything counted per command or per read lives in per-thread blocks
//! (`observe::counters`), summed when asked; the slow log and the latency
//! monitor take a lock only for commands over their thresholds.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::observe::counters::{Counters, Totals};
use crate::observe::latency::LatencyMonitor;
use crate::observe::metrics::{Metric, Metrics};
use crate::observe::slowlog::SlowLog;

pub struct ServerStats {
    pub total_connections_received: AtomicU64,
    pub rejected_connections: AtomicU64,
    /// Bytes added directly here; [`add_net_input`](Self::add_net_input)
    /// counts per thread instead, and INFO reports the sum of both.
    pub total_net_input_bytes: AtomicU64,
    pub total_net_output_bytes: AtomicU64,
    pub counters: Counters,
    pub slowlog: SlowLog,
    pub latency: LatencyMonitor,
    pub metrics: Metrics,
    /// Random per process, as Redis's run_id and replication id.
    pub run_id: String,
    pub replid: String,
    /// Bytes allocated when the server was created (`used_memory_startup`).
    pub startup_memory: u64,
    peak_memory: AtomicU64,
}

impl ServerStats {
    /// Statistics for a command table of `commands` ids.
    pub fn new(commands: usize) -> Self {
        crate::observe::clock::Clock::get();
        let startup_memory = crate::observe::system::used_memory();
        ServerStats {
            total_connections_received: AtomicU64::new(0),
            rejected_connections: AtomicU64::new(0),
            total_net_input_bytes: AtomicU64::new(0),
            total_net_output_bytes: AtomicU64::new(0),
            counters: Counters::new(commands),
            slowlog: SlowLog::default(),
            latency: LatencyMonitor::default(),
            metrics: Metrics::default(),
            run_id: random_hex40(),
            replid: random_hex40(),
            startup_memory,
            peak_memory: AtomicU64::new(startup_memory),
        }
    }
}

fn random_hex40() -> String {
    let bytes: [u8; 20] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl ServerStats {
    /// CONFIG RESETSTAT: back to zero. (The slow log and latency monitor
    /// have their own RESET subcommands, as in Redis.)
    pub fn reset(&self) {
        for counter in [
            &self.total_connections_received,
            &self.rejected_connections,
            &self.total_net_input_bytes,
            &self.total_net_output_bytes,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
        self.counters.reset();
        self.peak_memory
            .store(crate::observe::system::used_memory(), Ordering::Relaxed);
    }

    /// `n` bytes were read from a client (one read).
    #[inline]
    pub fn add_net_input(&self, n: usize) {
        self.counters.net_input(n as u64);
    }

    /// `n` bytes were written to a client (one write).
    #[inline]
    pub fn add_net_output(&self, n: usize) {
        self.counters.net_output(n as u64);
    }

    /// Per-thread sums plus anything added to the shared fields directly.
    pub fn totals(&self) -> Totals {
        let mut t = self.counters.totals();
        t.net_input += self.total_net_input_bytes.load(Ordering::Relaxed);
        t.net_output += self.total_net_output_bytes.load(Ordering::Relaxed);
        t
    }

    /// One sample of every instantaneous metric, and of the memory peak
    /// (the metrics thread calls it every 100 ms).
    pub fn sample(&self) {
        let totals = self.totals();
        let mut readings = [0; 5];
        readings[Metric::Commands as usize] = totals.commands;
        readings[Metric::NetInput as usize] = totals.net_input;
        readings[Metric::NetOutput as usize] = totals.net_output;
        readings[Metric::Cycles as usize] = totals.reads;
        readings[Metric::CommandNs as usize] = totals.command_ns;
        self.metrics.sample(readings, crate::util::time::now_ms());
        self.note_memory(crate::observe::system::used_memory());
    }

    /// Raises the memory peak to `used` if it is higher; returns the peak.
    pub fn note_memory(&self, used: u64) -> u64 {
        self.peak_memory
            .fetch_max(used, Ordering::Relaxed)
            .max(used)
    }
}
