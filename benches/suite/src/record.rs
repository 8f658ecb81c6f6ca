//! One JSON line per figure: which implementation and build, which workload and settings, the
//! metric and its value, plus whatever a reader needs to trust it (losses, checksums, spreads).

use crate::Settings;
use serde_json::{Map, Value};

/// A figure being assembled; [`Record::print`] writes it as one line of JSON on stdout.
pub struct Record(Map<String, Value>);

impl Record {
    /// A chainrule figure: `metric` of `workload` is `value`.
    pub fn new(settings: &Settings, workload: &str, metric: &str, value: f64) -> Record {
        let mut fields = Map::new();
        fields.insert("impl".into(), "chainrule".into());
        fields.insert("build".into(), settings.label.clone().into());
        fields.insert("workload".into(), workload.into());
        fields.insert("threads".into(), settings.threads.into());
        fields.insert("threads_used".into(), chainrule::autograd::num_threads().into());
        fields.insert("metric".into(), metric.into());
        fields.insert("value".into(), value.into());
        Record(fields)
    }

    /// Adds a field.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Record {
        self.0.insert(key.into(), value.into());
        self
    }

    /// Prints the record as one line of JSON.
    pub fn print(self) {
        println!("{}", Value::Object(self.0));
    }
}

/// The middle value (the mean of the two middle ones for an even count; NaN for none).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}
