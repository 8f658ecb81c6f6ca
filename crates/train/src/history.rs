//! [`History`]: what a training run measured, epoch by epoch, as a value and as CSV and JSON.
//!
//! One [`EpochRecord`] per epoch: the metrics on the training data (`loss`, `penalty` if the run
//! has one ([`Fit::penalty`](crate::Fit::penalty)), `accuracy`, and any
//! [`Metric`](crate::metrics::Metric) of the run) and on the validation data (the same names
//! with a `val_` prefix, as Keras names them, but no penalty), the learning rate the epoch
//! trained with, its wall time and its training speed.
//!
//! The CSV file has a header row `epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds,
//! samples_per_second` and one row per epoch; numbers are written in Rust's shortest form that
//! reads back to the same bits, so [`History::read_csv`] recovers the records exactly. The JSON
//! file holds the same records and, beyond the CSV, the epoch early stopping chose and why the
//! run stopped. [`History::curves`] draws the loss and accuracy curves, [`History::chart`] any
//! one metric, [`History::compare`] one metric of several runs.

use crate::files::write_atomic;
use crate::plot::{Chart, Figure};
use crate::{Error, Result};
use serde_json::{json, Map, Value};
use std::path::Path;

/// One epoch's measurements.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochRecord {
    /// The epoch's number, counting from 1.
    pub epoch: usize,
    /// The metrics by name, in a fixed order: training metrics (`"loss"`, `"penalty"` if the run
    /// has one, `"accuracy"`, …), then validation metrics (`"val_loss"`, `"val_accuracy"`, …).
    pub metrics: Vec<(String, f64)>,
    /// The learning rate of the epoch's optimizer steps.
    pub lr: f64,
    /// The epoch's wall time in seconds: training (with the `after_backward` callbacks) and
    /// validation; not the end-of-epoch callbacks and files, which come after the record.
    pub seconds: f64,
    /// Training samples per second of the training part alone (forward, backward, update,
    /// augmentation).
    pub samples_per_second: f64,
}

impl EpochRecord {
    /// A metric by name (`"val_loss"`), or the learning rate as `"lr"`.
    pub fn get(&self, name: &str) -> Option<f64> {
        match name {
            "lr" => Some(self.lr),
            _ => self.metrics.iter().find(|(n, _)| n == name).map(|&(_, v)| v),
        }
    }
}

/// The record of a training run, returned by [`Fit::run`](crate::Fit::run).
///
/// ```
/// use train::{EpochRecord, History};
/// let mut history = History::default();
/// for (epoch, loss) in [(1, 0.9), (2, 0.5)] {
///     let metrics = vec![("loss".to_string(), loss), ("val_loss".to_string(), loss + 0.1)];
///     history.epochs.push(EpochRecord { epoch, metrics, lr: 0.1, seconds: 1.5, samples_per_second: 5e3 });
/// }
/// assert_eq!(history.metric("val_loss"), Some(vec![1.0, 0.6]));
/// assert_eq!(history.columns(), ["epoch", "loss", "val_loss", "lr", "seconds", "samples_per_second"]);
///
/// let path = std::env::temp_dir().join(format!("history-doc-{}.csv", std::process::id()));
/// history.write_csv(&path)?;
/// assert_eq!(History::read_csv(&path)?.epochs, history.epochs); // bit for bit
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), train::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// One record per epoch trained, in order.
    pub epochs: Vec<EpochRecord>,
    /// The epoch whose weights the model ended with when early stopping restored its best
    /// weights, or the best epoch it saw otherwise (`None` without early stopping).
    pub best_epoch: Option<usize>,
    /// Why the run ended before its last epoch (early stopping, a callback), if it did.
    pub stopped: Option<String>,
}

const FIXED_AFTER: [&str; 3] = ["lr", "seconds", "samples_per_second"];

impl History {
    /// The values of a metric (or `"lr"`, `"seconds"`, `"samples_per_second"`) over the epochs;
    /// `None` if some epoch lacks it or there is no epoch.
    pub fn metric(&self, name: &str) -> Option<Vec<f64>> {
        if self.epochs.is_empty() {
            return None;
        }
        self.epochs
            .iter()
            .map(|e| match name {
                "seconds" => Some(e.seconds),
                "samples_per_second" => Some(e.samples_per_second),
                _ => e.get(name),
            })
            .collect()
    }

    /// The last epoch's record.
    pub fn last(&self) -> Option<&EpochRecord> {
        self.epochs.last()
    }

    /// The CSV header: `epoch`, the metric names of the first epoch, `lr`, `seconds`,
    /// `samples_per_second`.
    pub fn columns(&self) -> Vec<String> {
        let metrics = self.epochs.first().map(|e| e.metrics.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>());
        std::iter::once("epoch".to_string())
            .chain(metrics.unwrap_or_default())
            .chain(FIXED_AFTER.iter().map(|s| s.to_string()))
            .collect()
    }

    /// The history as CSV text: a header row `epoch,loss,accuracy,…,val_loss,val_accuracy,…,lr,
    /// seconds,samples_per_second` and one row per epoch, numbers in Rust's shortest form that
    /// reads back to the same bits.
    ///
    /// Fails if an epoch's metric names differ from the first epoch's (the columns would not
    /// line up).
    pub fn to_csv(&self) -> Result<String> {
        let columns = self.columns();
        let mut out = csv::Writer::from_writer(Vec::new());
        let csv_error = |e: csv::Error| Error::invalid("History::to_csv", e.to_string());
        out.write_record(&columns).map_err(csv_error)?;
        for e in &self.epochs {
            if e.metrics.len() + 4 != columns.len() || e.metrics.iter().zip(&columns[1..]).any(|((n, _), c)| n != c) {
                let msg = format!("epoch {} has metrics other than the first epoch's columns {columns:?}", e.epoch);
                return Err(Error::invalid("History::to_csv", msg));
            }
            let values = e.metrics.iter().map(|&(_, v)| v).chain([e.lr, e.seconds, e.samples_per_second]);
            let row = std::iter::once(e.epoch.to_string()).chain(values.map(|v| v.to_string()));
            out.write_record(row).map_err(csv_error)?;
        }
        let bytes = out.into_inner().map_err(|e| Error::invalid("History::to_csv", e.to_string()))?;
        Ok(String::from_utf8(bytes).expect("the fields are UTF-8"))
    }

    /// Writes [`to_csv`](History::to_csv) to `path`, atomically (a reader never sees half a
    /// file).
    pub fn write_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomic(path.as_ref(), self.to_csv()?.as_bytes())
    }

    /// Reads a history written by [`write_csv`](History::write_csv): the epoch records,
    /// bit for bit (the CSV does not hold [`best_epoch`](History::best_epoch) and
    /// [`stopped`](History::stopped); the JSON file does).
    ///
    /// Fails, naming the file, the row and the column, if the file cannot be read or is not
    /// such a CSV.
    pub fn read_csv(path: impl AsRef<Path>) -> Result<History> {
        let path = path.as_ref();
        let bad = |msg: String| Error::History { path: path.to_path_buf(), msg };
        let mut reader = csv::Reader::from_path(path).map_err(|e| match e.into_kind() {
            csv::ErrorKind::Io(source) => Error::Io { path: path.to_path_buf(), source },
            other => bad(format!("{other:?}")),
        })?;
        let header: Vec<String> = reader.headers().map_err(|e| bad(e.to_string()))?.iter().map(String::from).collect();
        let n = header.len();
        if n < 4 || header[0] != "epoch" || header[n - 3..] != FIXED_AFTER {
            return Err(bad(format!("the header {header:?} is not epoch, metrics…, lr, seconds, samples_per_second")));
        }
        let mut history = History::default();
        for (row, record) in reader.records().enumerate() {
            let record = record.map_err(|e| bad(e.to_string()))?;
            let number = |column: usize| -> Result<f64> {
                record[column].parse().map_err(|_| {
                    bad(format!("row {}: {} is {:?}, not a number", row + 1, header[column], &record[column]))
                })
            };
            let epoch = record[0].parse().map_err(|_| bad(format!("row {}: epoch {:?}", row + 1, &record[0])))?;
            let metrics = (1..n - 3).map(|c| Ok((header[c].clone(), number(c)?))).collect::<Result<_>>()?;
            let (lr, seconds, samples_per_second) = (number(n - 3)?, number(n - 2)?, number(n - 1)?);
            history.epochs.push(EpochRecord { epoch, metrics, lr, seconds, samples_per_second });
        }
        Ok(history)
    }

    /// The history as JSON: `{"epochs": [{"epoch": 1, "loss": …, …}, …], "best_epoch": …,
    /// "stopped": …}`. A NaN or infinite value becomes `null`, which JSON requires.
    pub fn to_json(&self) -> Value {
        let epochs: Vec<Value> = self
            .epochs
            .iter()
            .map(|e| {
                let mut row = Map::new();
                row.insert("epoch".into(), json!(e.epoch));
                for (name, v) in &e.metrics {
                    row.insert(name.clone(), json!(v));
                }
                row.insert("lr".into(), json!(e.lr));
                row.insert("seconds".into(), json!(e.seconds));
                row.insert("samples_per_second".into(), json!(e.samples_per_second));
                Value::Object(row)
            })
            .collect();
        json!({ "epochs": epochs, "best_epoch": self.best_epoch, "stopped": self.stopped })
    }

    /// Reads [`to_json`](History::to_json)'s output back (`null` values as NaN).
    pub fn from_json(value: &Value) -> Result<History> {
        let bad = |msg: &str| Error::invalid("History::from_json", msg.to_string());
        let number = |v: &Value| if v.is_null() { Some(f64::NAN) } else { v.as_f64() };
        let mut history = History::default();
        for row in value["epochs"].as_array().ok_or_else(|| bad("no \"epochs\" array"))? {
            let row = row.as_object().ok_or_else(|| bad("an epoch is not an object"))?;
            let field = |name: &str| row.get(name).and_then(number).ok_or_else(|| bad(&format!("no number {name:?}")));
            let epoch = row.get("epoch").and_then(Value::as_u64).ok_or_else(|| bad("an epoch has no number"))?;
            let metrics = row
                .iter()
                .filter(|(name, _)| name.as_str() != "epoch" && !FIXED_AFTER.contains(&name.as_str()))
                .map(|(name, v)| Ok((name.clone(), number(v).ok_or_else(|| bad(&format!("{name} is not a number")))?)))
                .collect::<Result<_>>()?;
            history.epochs.push(EpochRecord {
                epoch: epoch as usize,
                metrics,
                lr: field("lr")?,
                seconds: field("seconds")?,
                samples_per_second: field("samples_per_second")?,
            });
        }
        history.best_epoch = value["best_epoch"].as_u64().map(|e| e as usize);
        history.stopped = value["stopped"].as_str().map(String::from);
        Ok(history)
    }

    /// `(epoch, value)` of a metric (or `"lr"`, `"seconds"`, `"samples_per_second"`) for each
    /// epoch that has it: a line for a [`Chart`].
    pub fn points(&self, name: &str) -> Vec<(f64, f64)> {
        let value = |e: &EpochRecord| match name {
            "seconds" => Some(e.seconds),
            "samples_per_second" => Some(e.samples_per_second),
            _ => e.get(name),
        };
        self.epochs.iter().filter_map(|e| Some((e.epoch as f64, value(e)?))).collect()
    }

    /// One metric of this run over the epochs, titled with its name: the training curve
    /// (`metric`, such as `"loss"`) and, if the run had validation data, the validation curve
    /// (`val_<metric>`), with a vertical marker at [`best_epoch`](History::best_epoch) when
    /// there is one.
    pub fn chart(&self, metric: &str) -> Chart {
        let mut chart = Chart::new(metric).x_label("epoch").line("train", self.points(metric));
        let validation = self.points(&format!("val_{metric}"));
        if !validation.is_empty() {
            chart = chart.line("validation", validation);
        }
        match self.best_epoch {
            Some(best) => chart.marker(best as f64, format!("early stopping: epoch {best}")),
            None => chart,
        }
    }

    /// One metric of several runs over the epochs, a line per run named in the legend: the
    /// chart that compares optimizers, activations or regularizers. Add `.log_y()` for losses
    /// that span decades.
    ///
    /// ```
    /// use train::{EpochRecord, History};
    /// let run = |losses: &[f64]| History {
    ///     epochs: losses
    ///         .iter()
    ///         .enumerate()
    ///         .map(|(i, &loss)| EpochRecord {
    ///             epoch: i + 1,
    ///             metrics: vec![("loss".to_string(), loss)],
    ///             lr: 0.1,
    ///             seconds: 1.0,
    ///             samples_per_second: 1e4,
    ///         })
    ///         .collect(),
    ///     ..History::default()
    /// };
    /// let (sgd, adam) = (run(&[2.3, 1.2, 0.9]), run(&[2.3, 0.5, 0.2]));
    /// let chart = History::compare("training loss", "loss", [("SGD", &sgd), ("Adam", &adam)]).log_y();
    /// let svg = chart.to_svg_string()?;
    /// assert!(svg.contains("training loss") && svg.contains("SGD") && svg.contains("Adam"));
    /// # Ok::<(), train::Error>(())
    /// ```
    pub fn compare<'h, N: Into<String>>(
        title: impl Into<String>,
        metric: &str,
        runs: impl IntoIterator<Item = (N, &'h History)>,
    ) -> Chart {
        let chart = Chart::new(title).x_label("epoch").y_label(metric);
        runs.into_iter().fold(chart, |chart, (name, history)| chart.line(name, history.points(metric)))
    }

    /// The learning curves: [`chart`](History::chart)s of the loss and of the accuracy side by
    /// side. [`Fit::out_dir`](crate::Fit::out_dir) writes them as `curves.svg`; write them
    /// elsewhere with [`Figure::write_svg`].
    pub fn curves(&self) -> Figure {
        Figure::new().chart(self.chart("loss")).chart(self.chart("accuracy"))
    }

    /// Writes [`to_json`](History::to_json), pretty-printed, to `path`, atomically.
    pub fn write_json(&self, path: impl AsRef<Path>) -> Result<()> {
        let text = serde_json::to_string_pretty(&self.to_json()).expect("a JSON value always serializes");
        write_atomic(path.as_ref(), text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(epoch: usize, loss: f64) -> EpochRecord {
        let metrics = vec![
            ("loss".to_string(), loss),
            ("accuracy".to_string(), 1.0 / 3.0),
            ("val_loss".to_string(), f64::NAN),
            ("val_accuracy".to_string(), 0.1 + 0.2),
        ];
        EpochRecord { epoch, metrics, lr: 1e-10, seconds: 2.0f64.sqrt(), samples_per_second: f64::INFINITY }
    }

    fn same_bits(a: &History, b: &History) {
        assert_eq!(a.epochs.len(), b.epochs.len());
        for (x, y) in a.epochs.iter().zip(&b.epochs) {
            assert_eq!(x.epoch, y.epoch);
            let bits = |r: &EpochRecord| -> Vec<(String, u64)> {
                let fixed = [("lr", r.lr), ("seconds", r.seconds), ("samples_per_second", r.samples_per_second)];
                r.metrics
                    .iter()
                    .cloned()
                    .chain(fixed.map(|(n, v)| (n.to_string(), v)))
                    .map(|(n, v)| (n, v.to_bits()))
                    .collect()
            };
            assert_eq!(bits(x), bits(y));
        }
    }

    #[test]
    fn csv_reads_back_bit_for_bit_even_awkward_numbers() {
        let history = History { epochs: vec![record(1, 0.7), record(2, 1e300)], best_epoch: Some(1), stopped: None };
        let csv = history.to_csv().unwrap();
        assert!(csv.starts_with("epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds,samples_per_second\n1,0.7,"));
        let path = std::env::temp_dir().join(format!("history-test-{}.csv", std::process::id()));
        history.write_csv(&path).unwrap();
        same_bits(&History::read_csv(&path).unwrap(), &history);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn json_round_trips_with_the_stop_and_best_epoch() {
        let history =
            History { epochs: vec![record(1, 0.5)], best_epoch: Some(1), stopped: Some("early stopping".into()) };
        let back = History::from_json(&history.to_json()).unwrap();
        assert_eq!((back.best_epoch, back.stopped.as_deref()), (Some(1), Some("early stopping")));
        // JSON has no NaN or infinity: both come back as NaN.
        assert!(back.epochs[0].samples_per_second.is_nan());
        assert_eq!(back.epochs[0].get("val_accuracy"), Some(0.1 + 0.2));
    }

    #[test]
    fn a_malformed_csv_is_an_error_naming_the_place() {
        let path = std::env::temp_dir().join(format!("history-bad-{}.csv", std::process::id()));
        std::fs::write(&path, "epoch,loss,lr,seconds,samples_per_second\n1,0.5,0.1,2,x\n").unwrap();
        let err = History::read_csv(&path).unwrap_err().to_string();
        assert!(err.ends_with("row 1: samples_per_second is \"x\", not a number"), "{err}");
        std::fs::write(&path, "loss,lr\n").unwrap();
        assert!(History::read_csv(&path).is_err());
        std::fs::remove_file(&path).unwrap();
    }

    /// The number of points of each 2-pixel line in `colour` (series and legend samples).
    fn lines(svg: &str, colour: &str) -> Vec<usize> {
        let stroke = format!(r#"stroke="{colour}" stroke-width="2""#);
        svg.lines()
            .filter(|l| l.starts_with("<polyline") && l.contains(&stroke))
            .map(|l| l.split(r#"points=""#).nth(1).unwrap().split('"').next().unwrap().split_whitespace().count())
            .collect()
    }

    #[test]
    fn charts_of_one_run_and_of_several() {
        let with_val = History { epochs: vec![record(1, 0.7), record(2, 0.5), record(3, 0.4)], ..History::default() };
        let mut train_only = with_val.clone();
        for e in &mut train_only.epochs {
            e.metrics.retain(|(name, _)| !name.starts_with("val_"));
        }
        assert_eq!(with_val.points("loss"), [(1.0, 0.7), (2.0, 0.5), (3.0, 0.4)]);
        assert_eq!(train_only.points("val_loss"), []);
        assert_eq!(with_val.points("lr").len(), 3);

        // One run: the training and the validation line of the metric; without validation data,
        // the training line alone.
        let svg = with_val.chart("accuracy").to_svg_string().unwrap();
        assert_eq!((lines(&svg, "#1F77B4"), lines(&svg, "#FF7F0E")), (vec![3, 2], vec![3, 2]));
        let svg = train_only.chart("accuracy").to_svg_string().unwrap();
        assert_eq!((lines(&svg, "#1F77B4"), lines(&svg, "#FF7F0E")), (vec![3, 2], vec![]));

        // Several runs: one line per run, named, whatever their lengths.
        let short = History { epochs: vec![record(1, 0.9)], ..History::default() };
        let chart = History::compare("training loss", "loss", [("long", &with_val), ("short", &short)]);
        let svg = chart.to_svg_string().unwrap();
        assert_eq!((lines(&svg, "#1F77B4"), lines(&svg, "#FF7F0E")), (vec![3, 2], vec![1, 2]));
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .map(|t| t.split_once('>').unwrap().1.split("</text>").next().unwrap().trim())
            .collect();
        for text in ["training loss", "long", "short", "epoch", "loss"] {
            assert!(texts.contains(&text), "no {text} in {texts:?}");
        }
    }

    #[test]
    fn rows_with_other_metrics_than_the_header_are_refused() {
        let mut other = record(2, 0.1);
        other.metrics.pop();
        let history = History { epochs: vec![record(1, 0.2), other], ..History::default() };
        assert!(history.to_csv().is_err());
    }
}
