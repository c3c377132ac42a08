//! Counters per component and a compact latency histogram for spout complete latency.

use serde::Serialize;

/// Log-linear histogram of microsecond values: 64 sub-buckets per power of two, so a
/// quantile is within about 1.6 % of the true value. Fixed memory, O(1) record.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    sum_us: u128,
}

const SUB: u32 = 64;

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; (SUB as usize) * 60],
            total: 0,
            sum_us: 0,
        }
    }
}

fn index(v: u64) -> usize {
    if v < u64::from(SUB) {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // >= 6
    let shift = exp - 6;
    let sub = (v >> shift) & u64::from(SUB - 1);
    (SUB + shift * SUB) as usize + sub as usize
}

fn value_of(i: usize) -> u64 {
    let i = i as u64;
    let sub = u64::from(SUB);
    if i < sub {
        return i;
    }
    let shift = (i - sub) / sub;
    let s = (i - sub) % sub;
    (sub + s) << shift
}

impl Histogram {
    /// Records one value in microseconds.
    pub fn record_us(&mut self, us: u64) {
        let i = index(us).min(self.counts.len() - 1);
        self.counts[i] += 1;
        self.total += 1;
        self.sum_us += u128::from(us);
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The mean in milliseconds (0 when empty).
    pub fn mean_ms(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum_us as f64 / self.total as f64 / 1000.0
        }
    }

    /// The `q` quantile in milliseconds (0 when empty).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return value_of(i) as f64 / 1000.0;
            }
        }
        0.0
    }
}

/// Counters of one component.
#[derive(Debug, Clone, Default)]
pub struct ComponentStats {
    /// Component id.
    pub id: String,
    /// `spout` or `bolt`.
    pub kind: String,
    /// Task count.
    pub tasks: u32,
    /// `emit` commands received.
    pub emitted: u64,
    /// Spouts: `ack` commands sent (trees completed). Bolts: `ack` commands received for
    /// data tuples.
    pub acked: u64,
    /// Spouts: `fail` commands sent (failed or timed out). Bolts: `fail` commands received
    /// for data tuples.
    pub failed: u64,
    /// Bolts: data tuples delivered (not ticks, not heartbeats).
    pub received: u64,
    /// Bolts: tick tuples delivered.
    pub ticks: u64,
    /// Spouts: complete latency (emit to ack).
    pub latency: Histogram,
    /// Spouts: a mean complete latency reported by Storm (`sparse run` on LocalCluster),
    /// used when `latency` holds nothing; Storm gives no percentile with it.
    pub reported_latency_mean_ms: Option<f64>,
}

/// One component in the JSON summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComponentSummary {
    /// Component id.
    pub id: String,
    /// `"spout"` or `"bolt"`.
    pub kind: String,
    /// Task count.
    pub tasks: u32,
    /// `emit` commands the component sent.
    pub emitted: u64,
    /// Spouts: trees completed and acked. Bolts: `ack` commands sent for data tuples.
    pub acked: u64,
    /// Spouts: trees failed or timed out. Bolts: `fail` commands sent for data tuples.
    pub failed: u64,
    /// Bolts: data tuples delivered to the component (ticks apart). Spouts: 0.
    pub received: u64,
    /// Bolts: tick tuples delivered (their acks are not in `acked`). Spouts: 0.
    pub ticks: u64,
    /// Spouts with at least one ack: mean complete latency in ms; otherwise null.
    pub complete_latency_mean_ms: Option<f64>,
    /// Spouts with at least one ack: 99th percentile complete latency in ms.
    pub complete_latency_p99_ms: Option<f64>,
}

impl ComponentStats {
    /// The JSON summary form.
    pub fn summary(&self) -> ComponentSummary {
        let lat = self.kind == "spout" && self.latency.count() > 0;
        ComponentSummary {
            id: self.id.clone(),
            kind: self.kind.clone(),
            tasks: self.tasks,
            emitted: self.emitted,
            acked: self.acked,
            failed: self.failed,
            received: self.received,
            ticks: self.ticks,
            complete_latency_mean_ms: lat.then(|| self.latency.mean_ms()).or(self
                .reported_latency_mean_ms
                .filter(|_| self.kind == "spout" && self.latency.count() == 0)),
            complete_latency_p99_ms: lat.then(|| self.latency.quantile_ms(0.99)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_are_close() {
        let mut h = Histogram::default();
        for v in 1..=10_000u64 {
            h.record_us(v * 10);
        }
        let p99 = h.quantile_ms(0.99);
        assert!((p99 - 99.0).abs() / 99.0 < 0.02, "{p99}");
        assert!((h.mean_ms() - 50.005).abs() < 1e-6);
        for i in 0..2000 {
            assert!(value_of(index(i)) <= i);
        }
    }
}
