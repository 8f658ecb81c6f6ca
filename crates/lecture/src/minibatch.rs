//! Experiment 6: mini-batches (measured in `docs/lecture.md` §6).
//!
//! The lecture's claims: instead of minimizing the total loss over all examples at once, split
//! the data at random into mini-batches of `batch_size` and update the parameters after each,
//! so one pass over the data (an epoch) makes `N / batch_size` updates; the samples are shuffled
//! anew every epoch.
//!
//! Measured on MNIST with the same network, initial weights and learning rate for every batch
//! size: the updates an epoch makes, the time an epoch takes (training only), and the test loss
//! reached against epochs and against seconds. Every batch size trains for the same number of
//! epochs, so the runs are repeatable bit for bit; only the measured times vary with the
//! machine and its load.

use crate::common::{mlp, Activation, Mnist};
use crate::output::{cell, Output, Table};
use crate::{Error, Result};
use nn::{Module, Sequential};
use optim::{Sgd, SgdConfig};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;
use train::plot::{Chart, Figure};
use train::progress::ProgressMode;
use train::{Fit, History};

/// What experiment 6 runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The batch sizes compared (one equal to the training set size is full-batch gradient
    /// descent).
    pub batch_sizes: Vec<usize>,
    /// Training digits.
    pub train_samples: usize,
    /// Test digits, evaluated after every epoch.
    pub test_samples: usize,
    /// The network's layer sizes (ReLU between them).
    pub sizes: Vec<usize>,
    /// Plain SGD's learning rate, the same for every batch size.
    pub lr: f64,
    /// Epochs per batch size.
    pub epochs: usize,
    /// The seed of the weights and the shuffles.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            batch_sizes: vec![1, 10, 100, 1_000, 8_000],
            train_samples: 8_000,
            test_samples: 2_000,
            sizes: vec![784, 128, 10],
            lr: 0.1,
            epochs: 40,
            seed: 0,
        }
    }
}

impl Config {
    /// Seconds: 500 digits, three batch sizes, two epochs each.
    pub fn tiny() -> Self {
        Config {
            batch_sizes: vec![1, 50, 500],
            train_samples: 500,
            test_samples: 200,
            sizes: vec![784, 32, 10],
            epochs: 2,
            ..Config::default()
        }
    }
}

/// One batch size's measurements.
#[derive(Clone, Debug)]
pub struct BatchRun {
    /// The batch size.
    pub batch_size: usize,
    /// The parameter updates counted in each epoch.
    pub updates_per_epoch: Vec<usize>,
    /// The fit loop's history (test digits as validation data).
    pub history: History,
    /// Seconds of training (forward, backward, update) in each epoch, from the history's
    /// samples per second.
    pub train_seconds: Vec<f64>,
}

impl BatchRun {
    /// The mean training seconds per epoch.
    pub fn seconds_per_epoch(&self) -> f64 {
        self.train_seconds.iter().sum::<f64>() / self.train_seconds.len().max(1) as f64
    }

    /// The lowest test loss reached, and after how many epochs and training seconds.
    pub fn best_test_loss(&self) -> (f64, usize, f64) {
        let losses = self.history.metric("val_loss").unwrap_or_default();
        let (i, &loss) = losses.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).unwrap_or((0, &f64::NAN));
        (loss, i + 1, self.train_seconds[..=i.min(self.train_seconds.len().saturating_sub(1))].iter().sum())
    }
}

/// What experiment 6 measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// One per batch size, in the configured order.
    pub runs: Vec<BatchRun>,
    /// The training set size.
    pub train_samples: usize,
}

impl Report {
    /// Lines for the terminal.
    pub fn summary(&self) -> Vec<String> {
        let mut table = Table::new(&[
            "batch size",
            "updates/epoch",
            "train s/epoch",
            "test loss after 1 epoch",
            "best test loss (epoch, s)",
            "test acc. (last)",
        ]);
        for r in &self.runs {
            let first = r.history.epochs.first().and_then(|e| e.get("val_loss")).unwrap_or(f64::NAN);
            let (best, epoch, seconds) = r.best_test_loss();
            let accuracy = r.history.last().and_then(|e| e.get("val_accuracy")).unwrap_or(f64::NAN);
            table.push(vec![
                r.batch_size.to_string(),
                r.updates_per_epoch.first().copied().unwrap_or(0).to_string(),
                format!("{:.3}", r.seconds_per_epoch()),
                format!("{first:.4}"),
                format!("{best:.4} ({epoch}, {seconds:.1} s)"),
                format!("{:.2} %", 100.0 * accuracy),
            ]);
        }
        table.render().lines().map(str::to_string).collect()
    }
}

/// Runs experiment 6, writing a history per batch size, `batch_sizes.csv`, `summary.json` and
/// `convergence.svg`.
pub fn run(config: &Config, mnist: &Mnist, out: &mut Output) -> Result<Report> {
    if config.batch_sizes.is_empty() || config.batch_sizes.contains(&0) {
        return Err(Error::config("minibatch", format!("batch sizes must be positive, got {:?}", config.batch_sizes)));
    }
    let train = mnist.train_prefix(config.train_samples)?;
    let test = mnist.test_prefix(config.test_samples)?;
    let mut runs = Vec::new();
    for &batch_size in &config.batch_sizes {
        let net: Sequential = mlp(&config.sizes, Activation::Relu, &mut StdRng::seed_from_u64(config.seed))?;
        let mut sgd = Sgd::new(net.named_parameters(), SgdConfig { lr: config.lr, ..Default::default() })?;
        let mut updates_per_epoch = Vec::new();
        let history = Fit::new(&net, &mut sgd, &train)
            .epochs(config.epochs)
            .batch_size(batch_size)
            .seed(config.seed)
            .validation_data(&test)
            .history_dir(out.subdir(&format!("batch-{batch_size}"))?)
            .progress(ProgressMode::Quiet)
            .after_backward(|ctx| {
                if updates_per_epoch.len() < ctx.epoch {
                    updates_per_epoch.push(0);
                }
                updates_per_epoch[ctx.epoch - 1] += 1;
                Ok(())
            })
            .run()?;
        let train_seconds =
            history.epochs.iter().map(|e| train.len() as f64 / e.samples_per_second).collect::<Vec<_>>();
        runs.push(BatchRun { batch_size, updates_per_epoch, history, train_seconds });
    }
    let report = Report { runs, train_samples: train.len() };
    write(&report, config, out)?;
    Ok(report)
}

fn write(report: &Report, config: &Config, out: &mut Output) -> Result<()> {
    let mut table = Table::new(&["batch_size", "epoch", "updates", "train_seconds", "test_loss", "test_accuracy"]);
    for r in &report.runs {
        for (i, e) in r.history.epochs.iter().enumerate() {
            table.push(vec![
                r.batch_size.to_string(),
                e.epoch.to_string(),
                r.updates_per_epoch.get(i).copied().unwrap_or(0).to_string(),
                cell(r.train_seconds[i]),
                cell(e.get("val_loss").unwrap_or(f64::NAN)),
                cell(e.get("val_accuracy").unwrap_or(f64::NAN)),
            ]);
        }
    }
    out.csv("batch_sizes.csv", &table)?;
    out.json(
        "summary.json",
        &json!({
            "train_samples": report.train_samples,
            "sizes": config.sizes,
            "lr": config.lr,
            "epochs": config.epochs,
            "runs": report.runs.iter().map(|r| {
                let (best, epoch, seconds) = r.best_test_loss();
                json!({
                    "batch_size": r.batch_size,
                    "updates_per_epoch": r.updates_per_epoch.first(),
                    "expected_updates_per_epoch": report.train_samples.div_ceil(r.batch_size),
                    "train_seconds_per_epoch": r.seconds_per_epoch(),
                    "epochs_run": r.history.epochs.len(),
                    "best_test_loss": best,
                    "best_test_loss_epoch": epoch,
                    "best_test_loss_train_seconds": seconds,
                    "final_test_accuracy": r.history.last().and_then(|e| e.get("val_accuracy")),
                })
            }).collect::<Vec<_>>(),
        }),
    )?;
    let mut per_epoch = Chart::new("test loss per epoch").x_label("epoch").log_y();
    let mut per_second = Chart::new("test loss per second of training").x_label("training seconds").log_y();
    for r in &report.runs {
        let name = format!("batch {}", r.batch_size);
        let losses = r.history.metric("val_loss").unwrap_or_default();
        per_epoch = per_epoch.line(name.clone(), losses.iter().enumerate().map(|(i, &l)| ((i + 1) as f64, l)));
        let mut elapsed = 0.0;
        let timed: Vec<(f64, f64)> = losses
            .iter()
            .zip(&r.train_seconds)
            .map(|(&l, &s)| {
                elapsed += s;
                (elapsed, l)
            })
            .collect();
        per_second = per_second.line(name, timed);
    }
    out.svg("convergence.svg", &Figure::new().chart(per_epoch).chart(per_second))
}
