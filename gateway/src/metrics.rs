//! The gateway's Prometheus metrics: counters and latency histograms, kept in atomics so that
//! recording never takes a lock on the order path, rendered as Prometheus text on `/metrics`.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds of the latency buckets, seconds (100 µs to 2.5 s).
const LATENCY_BOUNDS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
/// Upper bounds of the batch-size buckets (orders per commit, certificates per batch).
const BATCH_BOUNDS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// A cumulative histogram with fixed bounds, in the Prometheus sense.
pub struct Histogram {
    bounds: &'static [f64],
    /// `counts[i]` observations `<= bounds[i]` and above the previous bound; the last slot
    /// counts those above every bound.
    counts: Vec<AtomicU64>,
    /// The sum of observations, in millionths of the unit (µs for seconds).
    sum_micros: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, value: f64) {
        let slot = self
            .bounds
            .iter()
            .position(|b| value <= *b)
            .unwrap_or(self.bounds.len());
        self.counts[slot].fetch_add(1, Relaxed);
        self.sum_micros
            .fetch_add((value * 1e6).max(0.0) as u64, Relaxed);
    }

    pub fn observe_duration(&self, elapsed: Duration) {
        self.observe(elapsed.as_secs_f64());
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (bound, count) in self.bounds.iter().zip(&self.counts) {
            cumulative += count.load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.counts[self.bounds.len()].load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_micros.load(Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {cumulative}");
    }
}

/// Every metric the gateway exports.
pub struct Metrics {
    pub certificates_verified: AtomicU64,
    pub certificates_refused: AtomicU64,
    /// Certificates answered 503 because the verifier's queue was full.
    pub certificates_busy: AtomicU64,
    pub orders_accepted: AtomicU64,
    pub orders_refused: AtomicU64,
    pub fills_accepted: AtomicU64,
    pub fills_refused: AtomicU64,
    pub cancels: AtomicU64,
    /// Freezes asked of this gateway (a freeze again counts once).
    pub freezes: AtomicU64,
    /// Freezes read from the on-chain registry's log and recorded here (`--registry-url`).
    pub chain_freezes: AtomicU64,
    /// Reads of the on-chain registry that failed (unreachable, or an answer not understood).
    pub registry_errors: AtomicU64,
    /// Requests answered 4xx (bad input), of any endpoint.
    pub requests_invalid: AtomicU64,
    /// Requests the gateway could not serve (storage down): 5xx.
    pub requests_failed: AtomicU64,
    /// Requests to an engine route without the engine's token (401).
    pub requests_unauthorized: AtomicU64,
    pub order_seconds: Histogram,
    /// Latency of fills and cancels.
    pub lifecycle_seconds: Histogram,
    pub certificate_seconds: Histogram,
    pub commit_seconds: Histogram,
    pub batch_orders: Histogram,
    /// Duration of one certificate batch's verification (decoding, checks, proofs).
    pub verify_seconds: Histogram,
    pub batch_certificates: Histogram,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            certificates_verified: AtomicU64::new(0),
            certificates_refused: AtomicU64::new(0),
            certificates_busy: AtomicU64::new(0),
            orders_accepted: AtomicU64::new(0),
            orders_refused: AtomicU64::new(0),
            fills_accepted: AtomicU64::new(0),
            fills_refused: AtomicU64::new(0),
            cancels: AtomicU64::new(0),
            freezes: AtomicU64::new(0),
            chain_freezes: AtomicU64::new(0),
            registry_errors: AtomicU64::new(0),
            requests_invalid: AtomicU64::new(0),
            requests_failed: AtomicU64::new(0),
            requests_unauthorized: AtomicU64::new(0),
            order_seconds: Histogram::new(&LATENCY_BOUNDS),
            lifecycle_seconds: Histogram::new(&LATENCY_BOUNDS),
            certificate_seconds: Histogram::new(&LATENCY_BOUNDS),
            commit_seconds: Histogram::new(&LATENCY_BOUNDS),
            batch_orders: Histogram::new(&BATCH_BOUNDS),
            verify_seconds: Histogram::new(&LATENCY_BOUNDS),
            batch_certificates: Histogram::new(&BATCH_BOUNDS),
        }
    }
}

impl Metrics {
    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counters = [
            (
                "zkmargin_certificates_verified_total",
                "Certificates verified and admitted.",
                &self.certificates_verified,
            ),
            (
                "zkmargin_certificates_refused_total",
                "Certificates refused (invalid, or nullifier taken).",
                &self.certificates_refused,
            ),
            (
                "zkmargin_certificates_busy_total",
                "Certificates answered 503 with Retry-After: the verifier's queue was full.",
                &self.certificates_busy,
            ),
            (
                "zkmargin_orders_accepted_total",
                "Orders accepted against a credit line (a retried id counts once).",
                &self.orders_accepted,
            ),
            (
                "zkmargin_orders_refused_total",
                "Orders answered with a refusal (a retried id counts once).",
                &self.orders_refused,
            ),
            (
                "zkmargin_fills_accepted_total",
                "Fills made positions (a retried fill id counts once).",
                &self.fills_accepted,
            ),
            (
                "zkmargin_fills_refused_total",
                "Fills refused: their charge did not fit the line.",
                &self.fills_refused,
            ),
            (
                "zkmargin_cancels_total",
                "Orders cancelled, their rest released (a retried cancel counts once).",
                &self.cancels,
            ),
            (
                "zkmargin_freezes_total",
                "Freezes asked of this gateway (POST /v1/accounts/{tag}/freeze).",
                &self.freezes,
            ),
            (
                "zkmargin_chain_freezes_total",
                "Freezes read from the on-chain registry's log and recorded (--registry-url).",
                &self.chain_freezes,
            ),
            (
                "zkmargin_registry_errors_total",
                "Reads of the on-chain registry that failed.",
                &self.registry_errors,
            ),
            (
                "zkmargin_requests_invalid_total",
                "Requests refused as bad input (4xx).",
                &self.requests_invalid,
            ),
            (
                "zkmargin_requests_failed_total",
                "Requests the gateway could not serve (5xx).",
                &self.requests_failed,
            ),
            (
                "zkmargin_requests_unauthorized_total",
                "Requests to an engine route without the engine's token (401).",
                &self.requests_unauthorized,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Relaxed)
            );
        }
        self.order_seconds.render(
            &mut out,
            "zkmargin_order_seconds",
            "Latency of POST /v1/orders, seconds.",
        );
        self.lifecycle_seconds.render(
            &mut out,
            "zkmargin_fill_cancel_seconds",
            "Latency of POST /v1/orders/{id}/fills and /cancel, seconds.",
        );
        self.certificate_seconds.render(
            &mut out,
            "zkmargin_certificate_seconds",
            "Latency of POST /v1/certificates, seconds.",
        );
        self.commit_seconds.render(
            &mut out,
            "zkmargin_ledger_commit_seconds",
            "Duration of one ledger transaction, commit included, seconds.",
        );
        self.batch_orders.render(
            &mut out,
            "zkmargin_ledger_batch_orders",
            "Orders, fills and cancels committed together in one transaction.",
        );
        self.verify_seconds.render(
            &mut out,
            "zkmargin_certificate_batch_seconds",
            "Duration of one certificate batch's verification, seconds.",
        );
        self.batch_certificates.render(
            &mut out,
            "zkmargin_certificate_batch_size",
            "Certificates verified together in one batch.",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative() {
        let m = Metrics::default();
        m.order_seconds.observe(0.0002);
        m.order_seconds.observe(0.003);
        m.order_seconds.observe(9.0);
        let text = m.render();
        assert!(text.contains("zkmargin_order_seconds_bucket{le=\"0.00025\"} 1\n"));
        assert!(text.contains("zkmargin_order_seconds_bucket{le=\"0.005\"} 2\n"));
        assert!(text.contains("zkmargin_order_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("zkmargin_order_seconds_count 3\n"));
    }
}
