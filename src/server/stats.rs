//! Server-wide counters that INFO reports.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct ServerStats {
    pub total_connections_received: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub total_net_input_bytes: AtomicU64,
    pub total_net_output_bytes: AtomicU64,
}

impl ServerStats {
    /// CONFIG RESETSTAT: back to zero.
    pub fn reset(&self) {
        for counter in [
            &self.total_connections_received,
            &self.rejected_connections,
            &self.total_net_input_bytes,
            &self.total_net_output_bytes,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }
}
