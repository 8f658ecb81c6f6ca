//! Experiment 2: vanishing gradients (measured in `docs/lecture.md` §2).
//!
//! The lecture's claim: with sigmoid activations, a deep network's gradient shrinks on its way
//! back from the loss, because every sigmoid squashes a change of its input (its slope is at
//! most 1/4), so the layers near the input learn slowly while those near the output have
//! already converged; ReLU (slope 1 where it is active) does not shrink it, and adaptive
//! learning rates compensate for it.
//!
//! Measured on MNIST with a deep network (`hidden_layers` hidden layers of `width` units), the
//! same initial weights (He-uniform, one seed) for every run: each layer's weight-gradient norm
//! at initialisation (over `init_samples` digits) and after every training batch, and the
//! training curves of sigmoid with SGD, ReLU with SGD, and sigmoid with Adam.

use crate::common::{grad_norm, mlp, weight_matrices, Activation, Mnist, OptimizerKind};
use crate::output::{cell, slug, Output, Table};
use crate::Result;
use autograd::Tape;
use nn::{Module, Reduction, Sequential};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;
use train::plot::{Chart, Figure};
use train::progress::ProgressMode;
use train::{Fit, History};

/// What experiment 2 runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Hidden layers.
    pub hidden_layers: usize,
    /// Units per hidden layer.
    pub width: usize,
    /// Training digits (the first of the 8,000).
    pub train_samples: usize,
    /// Test digits (the first of the 2,000), evaluated after every epoch.
    pub test_samples: usize,
    /// Digits the gradient at initialisation is averaged over (one batch).
    pub init_samples: usize,
    /// Epochs per run.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch_size: usize,
    /// The runs: activation and optimizer.
    pub runs: Vec<(Activation, OptimizerKind)>,
    /// Batches averaged into one point of the per-layer gradient plot.
    pub smooth: usize,
    /// The seed of the weights and of the shuffles.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            hidden_layers: 10,
            width: 64,
            train_samples: 8_000,
            test_samples: 2_000,
            init_samples: 1_000,
            epochs: 30,
            batch_size: 64,
            runs: vec![
                (Activation::Sigmoid, OptimizerKind::Sgd { lr: 0.1 }),
                (Activation::Relu, OptimizerKind::Sgd { lr: 0.1 }),
                (Activation::Sigmoid, OptimizerKind::Adam { lr: 1e-3 }),
            ],
            smooth: 50,
            seed: 0,
        }
    }
}

impl Config {
    /// Seconds: 6 hidden layers of 32 units, 500 digits, one epoch.
    pub fn tiny() -> Self {
        Config {
            hidden_layers: 6,
            width: 32,
            train_samples: 500,
            test_samples: 200,
            init_samples: 200,
            epochs: 1,
            smooth: 2,
            ..Config::default()
        }
    }

    fn sizes(&self) -> Vec<usize> {
        let mut sizes = vec![784];
        sizes.extend(std::iter::repeat_n(self.width, self.hidden_layers));
        sizes.push(10);
        sizes
    }
}

/// One training run's measurements.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// `"sigmoid + SGD"`, …
    pub name: String,
    /// The activation.
    pub activation: Activation,
    /// ‖∂L/∂W‖ of each linear layer (input first) at initialisation, over `init_samples` digits.
    pub init_norms: Vec<f64>,
    /// ‖∂L/∂W‖ of each linear layer after every training batch: `[batch][layer]`.
    pub batch_norms: Vec<Vec<f64>>,
    /// The fit loop's history (test digits as validation data).
    pub history: History,
}

impl RunReport {
    /// ‖∂L/∂W‖ of the first hidden-to-hidden layer over that of the last one, at
    /// initialisation: two layers of the same shape, `hidden_layers − 2` layers apart.
    pub fn init_ratio(&self) -> f64 {
        let n = self.init_norms.len();
        self.init_norms[1] / self.init_norms[n - 2]
    }

    /// The same ratio over the last epoch's batches (mean of the per-batch norms).
    pub fn final_ratio(&self, batches_per_epoch: usize) -> f64 {
        let last = &self.batch_norms[self.batch_norms.len().saturating_sub(batches_per_epoch)..];
        let mean = |layer: usize| last.iter().map(|b| b[layer]).sum::<f64>() / last.len() as f64;
        let n = self.init_norms.len();
        mean(1) / mean(n - 2)
    }
}

/// What experiment 2 measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// One per run, in the configured order.
    pub runs: Vec<RunReport>,
    /// Batches per epoch.
    pub batches_per_epoch: usize,
}

impl Report {
    /// Lines for the terminal.
    pub fn summary(&self) -> Vec<String> {
        let layers = self.runs.first().map_or(0, |r| r.init_norms.len());
        let mut header: Vec<String> = vec!["run".into()];
        header.extend((1..=layers).map(|l| format!("L{l}")));
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut table = Table::new(&header);
        for run in &self.runs {
            let mut row = vec![run.name.clone()];
            row.extend(run.init_norms.iter().map(|&n| format!("{n:.1e}")));
            table.push(row);
        }
        let mut lines = vec!["‖∂L/∂W‖ per layer at initialisation (L1 = input layer):".to_string()];
        lines.extend(table.render().lines().map(str::to_string));
        let mut results = Table::new(&["run", "layer 2 / layer L−1 at init", "same, last epoch", "test accuracy"]);
        for run in &self.runs {
            let acc = run.history.last().and_then(|r| r.get("val_accuracy")).unwrap_or(f64::NAN);
            results.push(vec![
                run.name.clone(),
                format!("{:.1e}", run.init_ratio()),
                format!("{:.1e}", run.final_ratio(self.batches_per_epoch)),
                format!("{:.2} %", 100.0 * acc),
            ]);
        }
        lines.extend(results.render().lines().map(str::to_string));
        lines
    }
}

/// Runs experiment 2, writing `init_norms.csv`, `batch_norms_<run>.csv`, a history per run,
/// `summary.json`, `init_norms.svg`, `norms_during_training.svg` and `curves.svg`.
pub fn run(config: &Config, mnist: &Mnist, out: &mut Output) -> Result<Report> {
    if config.hidden_layers < 3 {
        let msg =
            format!("needs at least 3 hidden layers to compare two of the same shape, got {}", config.hidden_layers);
        return Err(crate::Error::config("vanishing", msg));
    }
    let train = mnist.train_prefix(config.train_samples)?;
    let test = mnist.test_prefix(config.test_samples)?;
    let probe = mnist.train_prefix(config.init_samples)?;
    let mut runs = Vec::new();
    for &(activation, optimizer) in &config.runs {
        let name = format!("{} + {}", activation.name(), optimizer.name());
        // The same seed for every run: the same weights, whatever the activation.
        let net: Sequential = mlp(&config.sizes(), activation, &mut StdRng::seed_from_u64(config.seed))?;
        let init_norms = gradient_norms(&net, &probe)?;
        let mut opt = optimizer.build(net.named_parameters())?;
        let layers = weight_matrices(&net);
        let mut batch_norms = Vec::new();
        let history = Fit::new(&net, &mut *opt, &train)
            .epochs(config.epochs)
            .batch_size(config.batch_size)
            .seed(config.seed)
            .validation_data(&test)
            .history_dir(out.subdir(&slug(&name))?)
            .progress(ProgressMode::Quiet)
            .after_backward(|_| {
                batch_norms.push(layers.iter().map(|(_, p)| grad_norm(p)).collect());
                Ok(())
            })
            .run()?;
        runs.push(RunReport { name, activation, init_norms, batch_norms, history });
    }
    let report = Report { runs, batches_per_epoch: train.len().div_ceil(config.batch_size) };
    write(&report, config, out)?;
    Ok(report)
}

/// ‖∂L/∂W‖ of each weight matrix for the mean cross-entropy over `data`, in one batch; leaves
/// the gradient buffers empty, as it found them.
pub fn gradient_norms(net: &Sequential, data: &train::data::Dataset) -> Result<Vec<f64>> {
    let tape = Tape::new();
    let x = tape.constant(data.images().clone());
    nn::cross_entropy(&net.forward(&x)?, data.labels(), Reduction::Mean)?.backward()?;
    let norms = weight_matrices(net).iter().map(|(_, p)| grad_norm(p)).collect();
    net.zero_grad();
    Ok(norms)
}

fn write(report: &Report, config: &Config, out: &mut Output) -> Result<()> {
    let layers = report.runs[0].init_norms.len();
    let mut header = vec!["run".to_string()];
    header.extend((1..=layers).map(|l| format!("layer{l}")));
    let mut init = Table::new(&header.iter().map(String::as_str).collect::<Vec<_>>());
    for run in &report.runs {
        let mut row = vec![run.name.clone()];
        row.extend(run.init_norms.iter().map(|&v| cell(v)));
        init.push(row);
    }
    out.csv("init_norms.csv", &init)?;
    for run in &report.runs {
        let mut header = vec!["step".to_string()];
        header.extend((1..=layers).map(|l| format!("layer{l}")));
        let mut table = Table::new(&header.iter().map(String::as_str).collect::<Vec<_>>());
        for (step, norms) in run.batch_norms.iter().enumerate() {
            let mut row = vec![(step + 1).to_string()];
            row.extend(norms.iter().map(|&v| cell(v)));
            table.push(row);
        }
        out.csv(&format!("batch_norms_{}.csv", slug(&run.name)), &table)?;
    }
    let runs_json: Vec<_> = report
        .runs
        .iter()
        .map(|r| {
            json!({
                "run": r.name,
                "init_norms": r.init_norms,
                "init_ratio_layer2_over_layer_l_minus_1": r.init_ratio(),
                "last_epoch_ratio_layer2_over_layer_l_minus_1": r.final_ratio(report.batches_per_epoch),
                "final_test_accuracy": r.history.last().and_then(|e| e.get("val_accuracy")),
                "final_train_loss": r.history.last().and_then(|e| e.get("loss")),
            })
        })
        .collect();
    out.json(
        "summary.json",
        &json!({
            "hidden_layers": config.hidden_layers,
            "width": config.width,
            "train_samples": config.train_samples,
            "epochs": config.epochs,
            "batch_size": config.batch_size,
            "runs": runs_json,
        }),
    )?;

    // At initialisation: one line per run, layer by layer.
    let mut at_init = Chart::new("‖∂L/∂W‖ per layer at initialisation").x_label("layer (1 = input side)").log_y();
    for run in &report.runs {
        at_init = at_init.line(run.name.clone(), run.init_norms.iter().enumerate().map(|(l, &v)| ((l + 1) as f64, v)));
    }
    out.svg("init_norms.svg", &Figure::from(at_init))?;

    // During training: per run, a few layers, each point the mean over `smooth` batches.
    let mut shown: Vec<usize> = (0..layers).step_by(2.max(layers / 5)).collect();
    if shown.last() != Some(&(layers - 1)) {
        shown.push(layers - 1);
    }
    let mut figure = Figure::new();
    for run in &report.runs {
        let mut chart = Chart::new(format!("{}: ‖∂L/∂W‖ during training", run.name)).x_label("update step").log_y();
        for &layer in &shown {
            let points = run.batch_norms.chunks(config.smooth.max(1)).enumerate().map(|(i, chunk)| {
                let mean = chunk.iter().map(|b| b[layer]).sum::<f64>() / chunk.len() as f64;
                (((i + 1) * config.smooth.max(1)) as f64, mean)
            });
            chart = chart.line(format!("layer {}", layer + 1), points);
        }
        figure = figure.chart(chart);
    }
    out.svg("norms_during_training.svg", &figure)?;

    let histories = || report.runs.iter().map(|r| (r.name.as_str(), &r.history));
    let loss = History::compare("training loss", "loss", histories());
    let accuracy = History::compare("test accuracy", "val_accuracy", histories());
    out.svg("curves.svg", &Figure::new().chart(loss).chart(accuracy))?;
    Ok(())
}
