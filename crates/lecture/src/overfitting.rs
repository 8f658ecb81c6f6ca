//! Experiment 5: good on the training data, bad on the test data (measured in
//! `docs/lecture.md` §5).
//!
//! The lecture's claims, once a network fits its training set:
//! - the validation loss falls and then rises again while the training loss keeps falling;
//!   **early stopping** keeps the epoch where the validation loss is lowest;
//! - **L2 regularization** (adding `λ/2·Σw²` to the loss) multiplies every weight by `1 − ηλ`
//!   at each step before the gradient step, so weights shrink towards zero;
//! - **L1 regularization** (adding `λ·Σ|w|`) subtracts the constant `ηλ·sign(w)` at each step,
//!   which drives many weights to (near) zero;
//! - **dropout** (each unit dropped with probability p at every training step) makes the
//!   training results worse and the test results better; at test time nothing is dropped and the
//!   weights are scaled by `1 − p`; it works like an ensemble of the thinned networks.
//!
//! Measured on a deliberately small training set (the first `train_samples` MNIST digits) with
//! a network far larger than it needs, validated on `validation_samples` other training digits
//! after every epoch, and tested once at the end on the 2,000 test digits. Every variant starts
//! from the same weights and sees the same batches.

use crate::common::{norm, value_norm, weight_matrices, Mnist};
use crate::output::{cell, slug, Output, Table};
use crate::{Error, Result};
use autograd::{Tape, Tensor};
use nn::{DropoutConfig, DropoutScaling, LinearConfig, Module, Reduction, Relu, Sequential};
use optim::{Optimizer, Sgd, SgdConfig};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;
use std::path::PathBuf;
use train::data::Dataset;
use train::plot::{Chart, Figure};
use train::progress::ProgressMode;
use train::{EarlyStopping, Fit, History};

/// One way of fighting overfitting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Regularizer {
    /// Nothing: the overfitting baseline.
    None,
    /// Stop when the validation loss has not improved for `patience` epochs; keep the best
    /// epoch's weights.
    EarlyStopping {
        /// Epochs without improvement before stopping.
        patience: usize,
    },
    /// `λ/2·Σw²` over the weight matrices added to the loss.
    L2(f64),
    /// `λ·Σ|w|` over the weight matrices added to the loss.
    L1(f64),
    /// Dropout with probability `p` after every hidden layer.
    Dropout {
        /// The probability of dropping a unit.
        p: f64,
        /// Inverted (scale up in training) or the lecture's (scale down at test time).
        scaling: DropoutScaling,
    },
}

impl Regularizer {
    /// A short name for tables and legends.
    pub fn name(&self) -> String {
        match *self {
            Regularizer::None => "none".into(),
            Regularizer::EarlyStopping { patience } => format!("early stopping (patience {patience})"),
            Regularizer::L2(lambda) => format!("L2 (λ = {lambda})"),
            Regularizer::L1(lambda) => format!("L1 (λ = {lambda})"),
            Regularizer::Dropout { p, scaling: DropoutScaling::Inverted } => format!("dropout {p}, inverted"),
            Regularizer::Dropout { p, scaling: DropoutScaling::AtEval } => format!("dropout {p}, ×(1−p) at test"),
        }
    }
}

/// What experiment 5 runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Training digits (the first of the 8,000).
    pub train_samples: usize,
    /// Validation digits (the last of the 8,000, never trained on).
    pub validation_samples: usize,
    /// Test digits (the first of the 2,000).
    pub test_samples: usize,
    /// The network's layer sizes (ReLU after every hidden layer).
    pub sizes: Vec<usize>,
    /// Epochs (an early-stopped run ends sooner).
    pub epochs: usize,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Plain SGD's learning rate η (the lecture's update rules are stated for it).
    pub lr: f64,
    /// The variants, the baseline first.
    pub variants: Vec<Regularizer>,
    /// Thinned networks averaged when comparing dropout's test-time scaling with an ensemble.
    pub ensemble_samples: usize,
    /// A weight counts as "near zero" below this magnitude.
    pub near_zero: f64,
    /// The seed of the weights, the shuffles and dropout.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            train_samples: 500,
            validation_samples: 1_000,
            test_samples: 2_000,
            sizes: vec![784, 256, 256, 10],
            epochs: 150,
            batch_size: 32,
            lr: 0.1,
            variants: vec![
                Regularizer::None,
                Regularizer::EarlyStopping { patience: 10 },
                Regularizer::L2(5e-3),
                Regularizer::L2(2e-2),
                Regularizer::L1(1e-4),
                Regularizer::L1(5e-4),
                Regularizer::Dropout { p: 0.5, scaling: DropoutScaling::Inverted },
                Regularizer::Dropout { p: 0.5, scaling: DropoutScaling::AtEval },
            ],
            ensemble_samples: 50,
            near_zero: 1e-3,
            seed: 0,
        }
    }
}

impl Config {
    /// Seconds: 200 digits, a smaller network, 15 epochs.
    pub fn tiny() -> Self {
        let variants = Config::default()
            .variants
            .into_iter()
            .map(|v| match v {
                Regularizer::EarlyStopping { .. } => Regularizer::EarlyStopping { patience: 3 },
                other => other,
            })
            .collect();
        Config {
            train_samples: 200,
            validation_samples: 200,
            test_samples: 200,
            sizes: vec![784, 64, 64, 10],
            epochs: 15,
            variants,
            ensemble_samples: 10,
            ..Config::default()
        }
    }
}

/// One variant's measurements.
#[derive(Clone, Debug)]
pub struct VariantReport {
    /// What was added.
    pub regularizer: Regularizer,
    /// The fit loop's history (validation digits as validation data).
    pub history: History,
    /// ‖W‖ of each weight matrix after every epoch: `[epoch][layer]`.
    pub weight_norms: Vec<Vec<f64>>,
    /// The second layer's weights at the end (hidden to hidden: every input of it varies,
    /// unlike the first layer's, where the always-blank border pixels leave their weights
    /// without any gradient from the data).
    pub second_layer: Vec<f32>,
    /// For each weight matrix, the fraction of entries below [`Config::near_zero`] in
    /// magnitude.
    pub near_zero: Vec<f64>,
    /// Accuracy on the training digits with the final weights (evaluation mode).
    pub train_accuracy: f64,
    /// Accuracy on the test digits with the final weights.
    pub test_accuracy: f64,
    /// For dropout: the test accuracy of the average prediction (softmax) of
    /// [`Config::ensemble_samples`] thinned networks, and the fraction of test digits on which
    /// it agrees with the scaled network.
    pub ensemble: Option<(f64, f64)>,
}

impl VariantReport {
    /// The epoch with the lowest validation cross-entropy (the history's `val_loss`, which
    /// leaves the penalty out), counting from 1.
    pub fn best_validation_epoch(&self) -> usize {
        let losses = self.history.metric("val_loss").unwrap_or_default();
        let best = losses.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i);
        best + 1
    }

    /// The sum of the weight matrices' norms after the last epoch.
    pub fn final_weight_norm(&self) -> f64 {
        self.weight_norms.last().map_or(0.0, |n| n.iter().sum())
    }
}

/// The lecture's update rules checked on one SGD step.
#[derive(Clone, Copy, Debug)]
pub struct UpdateRules {
    /// max |w' − ((1 − ηλ)·w − η·g)| over the weight matrices, with the L2 penalty in the loss.
    pub l2: f64,
    /// max |w' − (w − η·g − ηλ·sign w)| with the L1 penalty in the loss.
    pub l1: f64,
    /// The largest step taken (max |w' − w|), for scale.
    pub step: f64,
}

/// What experiment 5 measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// One per variant, in the configured order.
    pub variants: Vec<VariantReport>,
    /// The update rules.
    pub update_rules: UpdateRules,
}

impl Report {
    /// Lines for the terminal.
    pub fn summary(&self) -> Vec<String> {
        let mut table = Table::new(&[
            "variant",
            "epochs run",
            "lowest val. loss at",
            "train acc. (while training)",
            "val. acc. (last)",
            "test acc.",
            "Σ‖W‖",
            "|w| < 1e-3 (layer 1, 2)",
        ]);
        for v in &self.variants {
            let last = v.history.last();
            table.push(vec![
                v.regularizer.name(),
                v.history.epochs.len().to_string(),
                format!("epoch {}", v.best_validation_epoch()),
                format!(
                    "{:.1} % ({:.1} %)",
                    100.0 * v.train_accuracy,
                    100.0 * last.and_then(|e| e.get("accuracy")).unwrap_or(f64::NAN)
                ),
                format!("{:.1} %", 100.0 * last.and_then(|e| e.get("val_accuracy")).unwrap_or(f64::NAN)),
                format!("{:.2} %", 100.0 * v.test_accuracy),
                format!("{:.1}", v.final_weight_norm()),
                v.near_zero.iter().take(2).map(|f| format!("{:.1} %", 100.0 * f)).collect::<Vec<_>>().join(", "),
            ]);
        }
        let mut lines: Vec<String> = table.render().lines().map(str::to_string).collect();
        for v in &self.variants {
            if let Some((accuracy, agreement)) = v.ensemble {
                lines.push(format!(
                    "{}: ensemble of thinned networks {:.2} % vs scaled network {:.2} %, same answer on {:.1} %",
                    v.regularizer.name(),
                    100.0 * accuracy,
                    100.0 * v.test_accuracy,
                    100.0 * agreement
                ));
            }
        }
        let u = &self.update_rules;
        lines.push(format!(
            "one SGD step (largest |Δw| {:.1e}): L2 step = (1−ηλ)w − ηg to {:.1e}; L1 step = w − ηg − ηλ·sign(w) to {:.1e}",
            u.step, u.l2, u.l1
        ));
        lines
    }
}

/// Runs experiment 5, writing a history per variant, `variants.csv`, `weight_norms.csv`,
/// `summary.json` and the figures `early_stopping.svg`, `validation.svg`, `weight_norms.svg`,
/// `weights_histogram.svg`, `dropout.svg`.
pub fn run(config: &Config, mnist: &Mnist, out: &mut Output) -> Result<Report> {
    let train = mnist.train_prefix(config.train_samples)?;
    let n = mnist.train.len();
    if config.train_samples + config.validation_samples > n {
        let msg = format!(
            "{} training + {} validation digits exceed the {n} available",
            config.train_samples, config.validation_samples
        );
        return Err(Error::config("overfitting", msg));
    }
    let validation = mnist.train.subset(&((n - config.validation_samples)..n).collect::<Vec<_>>())?;
    let test = mnist.test_prefix(config.test_samples)?;
    let mut variants = Vec::new();
    for &regularizer in &config.variants {
        let history_dir = out.subdir(&slug(&regularizer.name()))?;
        variants.push(train_variant(config, regularizer, &train, &validation, &test, history_dir)?);
    }
    let report = Report { variants, update_rules: update_rules(config, &train)? };
    write(&report, config, out)?;
    Ok(report)
}

/// The network, with dropout after every hidden layer if asked; the same seed gives the same
/// weights whatever the regularizer.
fn network(config: &Config, dropout: Option<(f64, DropoutScaling)>) -> Result<Sequential> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut net = Sequential::new();
    let layers = config.sizes.len() - 1;
    for (l, pair) in config.sizes.windows(2).enumerate() {
        net = net.push(LinearConfig::new(pair[0], pair[1]).init(&mut rng)?);
        if l + 1 < layers {
            net = net.push(Relu);
            if let Some((p, scaling)) = dropout {
                net = net.push(DropoutConfig { p, scaling }.init_seeded(config.seed.wrapping_add(l as u64 + 1))?);
            }
        }
    }
    Ok(net)
}

fn train_variant(
    config: &Config,
    regularizer: Regularizer,
    train: &Dataset,
    validation: &Dataset,
    test: &Dataset,
    history_dir: PathBuf,
) -> Result<VariantReport> {
    let dropout = match regularizer {
        Regularizer::Dropout { p, scaling } => Some((p, scaling)),
        _ => None,
    };
    let net = network(config, dropout)?;
    let mut sgd = Sgd::new(net.named_parameters(), SgdConfig { lr: config.lr, ..Default::default() })?;
    let weights = nn::weight_matrices(&net);
    let mut weight_norms = Vec::new();
    let mut fit = Fit::new(&net, &mut sgd, train)
        .epochs(config.epochs)
        .batch_size(config.batch_size)
        .seed(config.seed)
        .validation_data(validation)
        .history_dir(history_dir)
        .progress(ProgressMode::Quiet)
        .on_epoch_end(|ctx| {
            weight_norms.push(weight_matrices(ctx.model).iter().map(|(_, p)| value_norm(p)).collect());
            Ok(())
        });
    // The penalties train on the training loss only: the history's val_loss stays the
    // cross-entropy, comparable across the variants.
    fit = match regularizer {
        Regularizer::EarlyStopping { patience } => {
            fit.callback(EarlyStopping::new("val_loss").patience(patience).restore_best_weights(true))
        }
        Regularizer::L2(lambda) => fit.penalty(move |tape| nn::l2_penalty(tape, &weights, lambda)),
        Regularizer::L1(lambda) => fit.penalty(move |tape| nn::l1_penalty(tape, &weights, lambda)),
        Regularizer::None | Regularizer::Dropout { .. } => fit,
    };
    let history = fit.run()?;

    let matrices: Vec<Tensor<f32>> = weight_matrices(&net).iter().map(|(_, p)| p.value()).collect();
    let near_zero = matrices
        .iter()
        .map(|w| w.data().iter().filter(|v| f64::from(v.abs()) < config.near_zero).count() as f64 / w.numel() as f64)
        .collect();
    let second_layer = matrices.get(1).map_or(Vec::new(), |w| w.data().to_vec());
    let scaled = train::evaluate(&net, test, 1_000, train::cross_entropy)?;
    let ensemble = match dropout {
        Some(_) => Some(ensemble(&net, test, &scaled.logits, config.ensemble_samples)?),
        None => None,
    };
    Ok(VariantReport {
        regularizer,
        train_accuracy: train::evaluate(&net, train, 1_000, train::cross_entropy)?.accuracy,
        test_accuracy: scaled.accuracy,
        history,
        weight_norms,
        near_zero,
        second_layer,
        ensemble,
    })
}

/// The test accuracy of the mean softmax of `samples` thinned networks (dropout in training
/// mode, no tape recorded), and how often its answer is the scaled network's (`scaled_logits`).
fn ensemble(net: &Sequential, test: &Dataset, scaled_logits: &Tensor<f32>, samples: usize) -> Result<(f64, f64)> {
    let tape = Tape::<f32>::new();
    let x = tape.constant(test.images().clone());
    let mut mean = vec![0.0f64; scaled_logits.numel()];
    net.train();
    for _ in 0..samples {
        let probs = tape.no_grad(|| -> Result<Tensor<f32>> { Ok(net.forward(&x)?.softmax(1)?.value().clone()) })?;
        for (m, p) in mean.iter_mut().zip(probs.data()) {
            *m += f64::from(*p) / samples as f64;
        }
    }
    net.eval();
    let mean = Tensor::from_vec(mean, scaled_logits.dims())?;
    let ensemble = train::metrics::argmax(&mean)?;
    let scaled = train::metrics::argmax(scaled_logits)?;
    let correct = ensemble.iter().zip(test.labels()).filter(|(p, l)| p == l).count();
    let agree = ensemble.iter().zip(&scaled).filter(|(a, b)| a == b).count();
    let n = test.len() as f64;
    Ok((correct as f64 / n, agree as f64 / n))
}

/// One plain SGD step with each penalty, against the lecture's closed forms.
fn update_rules(config: &Config, train: &Dataset) -> Result<UpdateRules> {
    let batch = train.subset(&(0..config.batch_size.min(train.len())).collect::<Vec<_>>())?;
    let (eta, mut step) = (config.lr, 0.0f64);
    let mut errors = [0.0f64; 2];
    for (k, lambda) in [5e-2, 1e-2].into_iter().enumerate() {
        let net = network(config, None)?;
        let weights = nn::weight_matrices(&net);
        // The data term's gradient alone.
        let tape = Tape::new();
        let logits = net.forward(&tape.constant(batch.images().clone()))?;
        nn::cross_entropy(&logits, batch.labels(), Reduction::Mean)?.backward()?;
        let g: Vec<Tensor<f32>> = weights.iter().map(|p| p.grad().expect("every weight is used")).collect();
        let before: Vec<Tensor<f32>> = weights.iter().map(|p| p.value()).collect();
        net.zero_grad();
        // The step on data term + penalty.
        let tape = Tape::new();
        let logits = net.forward(&tape.constant(batch.images().clone()))?;
        let data = nn::cross_entropy(&logits, batch.labels(), Reduction::Mean)?;
        let penalty =
            if k == 0 { nn::l2_penalty(&tape, &weights, lambda)? } else { nn::l1_penalty(&tape, &weights, lambda)? };
        data.add(&penalty)?.backward()?;
        Sgd::new(net.named_parameters(), SgdConfig { lr: eta, ..Default::default() })?.step()?;
        for ((p, w), g) in weights.iter().zip(&before).zip(&g) {
            for ((&after, &w), &g) in p.value().data().iter().zip(w.data()).zip(g.data()) {
                let (w, g) = (f64::from(w), f64::from(g));
                let predicted = if k == 0 {
                    (1.0 - eta * lambda) * w - eta * g
                } else {
                    w - eta * g - eta * lambda * w.signum_or_zero()
                };
                errors[k] = errors[k].max((f64::from(after) - predicted).abs());
                step = step.max((f64::from(after) - w).abs());
            }
        }
    }
    Ok(UpdateRules { l2: errors[0], l1: errors[1], step })
}

/// `sign(w)` with `sign(0) = 0`, the convention of the L1 penalty's gradient.
trait SignOrZero {
    fn signum_or_zero(self) -> Self;
}

impl SignOrZero for f64 {
    fn signum_or_zero(self) -> f64 {
        if self == 0.0 {
            0.0
        } else {
            self.signum()
        }
    }
}

fn write(report: &Report, config: &Config, out: &mut Output) -> Result<()> {
    let mut table = Table::new(&[
        "variant",
        "epochs_run",
        "best_validation_epoch",
        "train_accuracy",
        "last_validation_accuracy",
        "test_accuracy",
        "weight_norm",
        "last_epoch_running_train_accuracy",
        "near_zero_fraction_per_layer",
        "ensemble_test_accuracy",
        "ensemble_agreement",
    ]);
    for v in &report.variants {
        let (ensemble_accuracy, agreement) =
            v.ensemble.map_or((String::new(), String::new()), |(a, b)| (cell(a), cell(b)));
        table.push(vec![
            v.regularizer.name(),
            v.history.epochs.len().to_string(),
            v.best_validation_epoch().to_string(),
            cell(v.train_accuracy),
            cell(v.history.last().and_then(|e| e.get("val_accuracy")).unwrap_or(f64::NAN)),
            cell(v.test_accuracy),
            cell(v.final_weight_norm()),
            cell(v.history.last().and_then(|e| e.get("accuracy")).unwrap_or(f64::NAN)),
            v.near_zero.iter().map(|&f| cell(f)).collect::<Vec<_>>().join(" "),
            ensemble_accuracy,
            agreement,
        ]);
    }
    out.csv("variants.csv", &table)?;
    let mut norms = Table::new(&["variant", "epoch", "layer", "weight_norm"]);
    for v in &report.variants {
        for (epoch, layers) in v.weight_norms.iter().enumerate() {
            for (layer, &n) in layers.iter().enumerate() {
                norms.push(vec![v.regularizer.name(), (epoch + 1).to_string(), (layer + 1).to_string(), cell(n)]);
            }
        }
    }
    out.csv("weight_norms.csv", &norms)?;
    let u = &report.update_rules;
    out.json(
        "summary.json",
        &json!({
            "train_samples": config.train_samples,
            "validation_samples": config.validation_samples,
            "test_samples": config.test_samples,
            "sizes": config.sizes,
            "epochs": config.epochs,
            "lr": config.lr,
            "variants": report.variants.iter().map(|v| json!({
                "variant": v.regularizer.name(),
                "epochs_run": v.history.epochs.len(),
                "stopped": v.history.stopped,
                "best_epoch_restored": v.history.best_epoch,
                "lowest_validation_loss_epoch": v.best_validation_epoch(),
                "train_accuracy": v.train_accuracy,
                "test_accuracy": v.test_accuracy,
                "weight_norm": v.final_weight_norm(),
                "near_zero_fraction_per_layer": v.near_zero,
                "ensemble_test_accuracy_and_agreement": v.ensemble,
            })).collect::<Vec<_>>(),
            "update_rules": { "l2_max_error": u.l2, "l1_max_error": u.l1, "largest_step": u.step },
        }),
    )?;
    figures(report, out)
}

fn figures(report: &Report, out: &mut Output) -> Result<()> {
    let baseline = &report.variants[0];
    let stopped = report.variants.iter().find(|v| matches!(v.regularizer, Regularizer::EarlyStopping { .. }));
    let mut loss = Chart::new("no regularization: loss")
        .x_label("epoch")
        .log_y()
        .line("training", baseline.history.points("loss"))
        .line("validation", baseline.history.points("val_loss"))
        .marker(
            baseline.best_validation_epoch() as f64,
            format!("lowest validation loss: epoch {}", baseline.best_validation_epoch()),
        );
    if let Some(s) = stopped {
        let at = s.history.epochs.len() as f64;
        loss =
            loss.marker(at, format!("early stopping stops: epoch {at}, keeps {}", s.history.best_epoch.unwrap_or(0)));
    }
    let accuracy = Chart::new("no regularization: accuracy")
        .x_label("epoch")
        .line("training", baseline.history.points("accuracy"))
        .line("validation", baseline.history.points("val_accuracy"));
    out.svg("early_stopping.svg", &Figure::new().chart(loss).chart(accuracy))?;

    let val_loss = History::compare(
        "validation cross-entropy (no penalty)",
        "val_loss",
        report.variants.iter().map(|v| (v.regularizer.name(), &v.history)),
    )
    .log_y();
    let mut gap = Chart::new("training − validation accuracy").x_label("epoch");
    let mut norms = Chart::new("Σ‖W‖ over the weight matrices").x_label("epoch");
    for v in &report.variants {
        let (train, val) = (v.history.points("accuracy"), v.history.points("val_accuracy"));
        gap = gap.line(v.regularizer.name(), train.iter().zip(&val).map(|(t, v)| (t.0, t.1 - v.1)));
        norms = norms.line(
            v.regularizer.name(),
            v.weight_norms.iter().enumerate().map(|(i, n)| ((i + 1) as f64, n.iter().sum())),
        );
    }
    out.svg("validation.svg", &Figure::new().chart(val_loss).chart(gap))?;
    out.svg("weight_norms.svg", &Figure::from(norms))?;

    let mut histograms = Figure::new();
    for v in report
        .variants
        .iter()
        .filter(|v| matches!(v.regularizer, Regularizer::None | Regularizer::L2(_) | Regularizer::L1(_)))
    {
        let values = v.second_layer.iter().map(|&w| f64::from(w));
        histograms = histograms.chart(
            Chart::new(format!("layer-2 weights, {}", v.regularizer.name())).x_label("weight").histogram(
                format!("‖W₂‖ = {:.1}", norm(&v.second_layer)),
                values,
                80,
            ),
        );
    }
    out.svg("weights_histogram.svg", &histograms)?;

    let mut dropout = Chart::new("accuracy with and without dropout").x_label("epoch");
    for v in report.variants.iter().filter(|v| matches!(v.regularizer, Regularizer::None | Regularizer::Dropout { .. }))
    {
        dropout = dropout
            .line(format!("{}: training", v.regularizer.name()), v.history.points("accuracy"))
            .line(format!("{}: validation", v.regularizer.name()), v.history.points("val_accuracy"));
    }
    out.svg("dropout.svg", &Figure::from(dropout))
}
