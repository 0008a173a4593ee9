//! Prometheus metrics: decisions and latency per ruleset, errors by kind, reloads.
//!
//! Per-ruleset handles are made once when a set is loaded, so the evaluate path only bumps
//! counters it already holds.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RulesetLabel {
    ruleset: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

fn latency_histogram() -> Histogram {
    // 25 µs to about 0.8 s.
    Histogram::new(exponential_buckets(0.000_025, 2.0, 16))
}

/// Every metric the service exports.
pub(crate) struct Metrics {
    registry: Registry,
    decisions: Family<RulesetLabel, Counter>,
    latency: Family<RulesetLabel, Histogram, fn() -> Histogram>,
    errors: Family<KindLabel, Counter>,
    reloads: Family<OutcomeLabel, Counter>,
    versions: Gauge,
}

/// The handles of one ruleset's metrics.
#[derive(Clone)]
pub(crate) struct RulesetMetrics {
    pub decisions: Counter,
    pub latency: Histogram,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("waymark");
        let decisions = Family::<RulesetLabel, Counter>::default();
        let latency = Family::<RulesetLabel, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let errors = Family::<KindLabel, Counter>::default();
        let reloads = Family::<OutcomeLabel, Counter>::default();
        let versions = Gauge::default();
        registry.register("decisions", "Decisions made, by ruleset", decisions.clone());
        registry.register(
            "evaluate_seconds",
            "Time to answer an evaluate request, by ruleset",
            latency.clone(),
        );
        registry.register(
            "errors",
            "Requests answered with an error, by kind",
            errors.clone(),
        );
        registry.register(
            "reloads",
            "Reloads of the rulesets, by outcome",
            reloads.clone(),
        );
        registry.register(
            "ruleset_versions",
            "Ruleset versions loaded",
            versions.clone(),
        );
        Metrics {
            registry,
            decisions,
            latency,
            errors,
            reloads,
            versions,
        }
    }

    pub fn ruleset(&self, id: &str) -> RulesetMetrics {
        let label = RulesetLabel {
            ruleset: id.to_string(),
        };
        RulesetMetrics {
            decisions: self.decisions.get_or_create(&label).clone(),
            latency: self.latency.get_or_create(&label).clone(),
        }
    }

    pub fn error(&self, kind: &str) {
        self.errors
            .get_or_create(&KindLabel {
                kind: kind.to_string(),
            })
            .inc();
    }

    pub fn reload(&self, ok: bool, versions: usize) {
        self.reloads
            .get_or_create(&OutcomeLabel {
                outcome: if ok { "ok" } else { "refused" }.to_string(),
            })
            .inc();
        if ok {
            self.versions
                .set(i64::try_from(versions).unwrap_or(i64::MAX));
        }
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
