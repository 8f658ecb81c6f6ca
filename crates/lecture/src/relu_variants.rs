//! Experiment 3: ReLU and its variants (measured in `docs/lecture.md` §3).
//!
//! The lecture's claims:
//! - **ReLU** (`max(0, z)`) passes the gradient unchanged where a unit is active, and a unit at
//!   zero can be removed for that input: for each input the network is a thinner, *linear*
//!   network of its active units.
//! - **Leaky ReLU** and **parametric ReLU** give negative inputs a small slope (fixed, or
//!   learned per unit) so that no unit is entirely silent.
//! - **Maxout** learns its activation: each unit is the max of `k` linear pieces, a convex
//!   piecewise-linear function (ReLU is the special case of two pieces, one of them zero); with
//!   varied enough inputs every piece is the maximum for some of them, so every piece is trained.
//!
//! Measured on MNIST with the same layer sizes, initial weights and optimizer for sigmoid (the
//! reference), ReLU, leaky ReLU, PReLU and maxout (whose linear layers are `k` times wider):
//! test accuracy and training curves; for ReLU, the fraction of units active per digit and the
//! units never active (the "thinner network", checked to be the same function as the full one);
//! for PReLU, the learned slopes; for maxout, the learned activation of a few units along a
//! straight line between two digits, and how often each piece wins.

use crate::common::{mlp, Activation, Mnist, OptimizerKind};
use crate::output::{cell, slug, Output, Table};
use crate::Result;
use autograd::{Tape, Tensor};
use nn::{Module, Sequential};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;
use train::data::Dataset;
use train::plot::{Chart, Figure};
use train::progress::ProgressMode;
use train::{Fit, History};

/// What experiment 3 runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The layer sizes (the activation after every hidden layer).
    pub sizes: Vec<usize>,
    /// The activations compared.
    pub activations: Vec<Activation>,
    /// The optimizer of every run.
    pub optimizer: OptimizerKind,
    /// Training digits.
    pub train_samples: usize,
    /// Test digits.
    pub test_samples: usize,
    /// Epochs per run.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Maxout units whose learned activation is plotted.
    pub maxout_units_shown: usize,
    /// The seed of the weights and the shuffles.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sizes: vec![784, 128, 128, 128, 128, 10],
            activations: vec![
                Activation::Sigmoid,
                Activation::Relu,
                Activation::LeakyRelu(0.01),
                Activation::PRelu(0.25),
                Activation::Maxout(2),
            ],
            optimizer: OptimizerKind::Momentum { lr: 0.01, momentum: 0.9 },
            train_samples: 8_000,
            test_samples: 2_000,
            epochs: 10,
            batch_size: 64,
            maxout_units_shown: 3,
            seed: 0,
        }
    }
}

impl Config {
    /// Seconds: 500 digits, two hidden layers of 32, two epochs.
    pub fn tiny() -> Self {
        Config { sizes: vec![784, 32, 32, 10], train_samples: 500, test_samples: 200, epochs: 2, ..Config::default() }
    }
}

/// For a ReLU network on the test digits: how thin the network each digit sees is.
#[derive(Clone, Debug)]
pub struct Thinness {
    /// Per hidden layer, the mean fraction of its units active (> 0) on a digit.
    pub active_fraction: Vec<f64>,
    /// Per hidden layer, the units active on no test digit.
    pub never_active: Vec<usize>,
    /// The largest difference, over a few test digits, between the network's output and the
    /// output of the linear map made of the digit's active units only (`W·x + b` layer by
    /// layer with inactive units removed).
    pub linear_map_error: f64,
}

/// For a maxout network: what its first layer learned.
#[derive(Clone, Debug)]
pub struct MaxoutAnalysis {
    /// For each first-layer unit, the fraction of training digits on which each piece is the max.
    pub piece_shares: Vec<Vec<f64>>,
    /// The plotted units' responses along a line through input space.
    pub curves: Vec<MaxoutCurve>,
}

/// A maxout unit along `x(t) = (1 − t)·a + t·b`, between a test digit `a` on which the unit's
/// first piece wins and a digit `b` on which another piece wins.
#[derive(Clone, Debug)]
pub struct MaxoutCurve {
    /// The unit's index in layer 1.
    pub unit: usize,
    /// `(t, each piece's value, the unit's output)` for `t` from −0.25 to 1.25.
    pub points: Vec<CurvePoint>,
}

/// One point of a [`MaxoutCurve`].
#[derive(Clone, Debug)]
pub struct CurvePoint {
    /// The position along the line.
    pub t: f64,
    /// Each piece's value `wⱼ·x(t) + bⱼ`.
    pub pieces: Vec<f64>,
    /// The unit's output: the largest piece.
    pub output: f64,
}

impl MaxoutAnalysis {
    /// The fraction of units every one of whose pieces wins on at least 1 % of the digits.
    pub fn all_pieces_used(&self) -> f64 {
        let used = self.piece_shares.iter().filter(|shares| shares.iter().all(|&s| s >= 0.01)).count();
        used as f64 / self.piece_shares.len().max(1) as f64
    }
}

/// One activation's run.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The activation.
    pub activation: Activation,
    /// The number of parameters.
    pub parameters: usize,
    /// The fit loop's history (test digits as validation data).
    pub history: History,
    /// PReLU: the learned slopes of each hidden layer.
    pub slopes: Vec<Vec<f64>>,
    /// ReLU: how thin the network is for each digit.
    pub thinness: Option<Thinness>,
    /// Maxout: the learned activations.
    pub maxout: Option<MaxoutAnalysis>,
}

/// What experiment 3 measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// One per activation, in the configured order.
    pub runs: Vec<RunReport>,
}

impl Report {
    /// Lines for the terminal.
    pub fn summary(&self) -> Vec<String> {
        let mut table = Table::new(&["activation", "parameters", "final train loss", "test accuracy"]);
        for r in &self.runs {
            let last = r.history.last();
            table.push(vec![
                r.activation.name(),
                r.parameters.to_string(),
                format!("{:.4}", last.and_then(|e| e.get("loss")).unwrap_or(f64::NAN)),
                format!("{:.2} %", 100.0 * last.and_then(|e| e.get("val_accuracy")).unwrap_or(f64::NAN)),
            ]);
        }
        let mut lines: Vec<String> = table.render().lines().map(str::to_string).collect();
        for r in &self.runs {
            if let Some(t) = &r.thinness {
                let active: Vec<String> = t.active_fraction.iter().map(|f| format!("{:.0} %", 100.0 * f)).collect();
                lines.push(format!(
                    "{}: units active per digit, by layer: {}; never active: {:?}; active-units linear map = network to {:.1e}",
                    r.activation.name(),
                    active.join(", "),
                    t.never_active,
                    t.linear_map_error
                ));
            }
            for (layer, slopes) in r.slopes.iter().enumerate() {
                let (lo, hi) =
                    slopes.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &s| (lo.min(s), hi.max(s)));
                let mean = slopes.iter().sum::<f64>() / slopes.len().max(1) as f64;
                lines.push(format!(
                    "PReLU layer {}: learned slopes mean {mean:.3}, from {lo:.3} to {hi:.3} (all started at 0.25)",
                    layer + 1
                ));
            }
            if let Some(m) = &r.maxout {
                lines.push(format!(
                    "{}: units of layer 1 whose every piece wins on ≥ 1 % of the training digits: {:.0} %",
                    r.activation.name(),
                    100.0 * m.all_pieces_used()
                ));
            }
        }
        lines
    }
}

/// Runs experiment 3, writing a history per activation, `results.csv`, `prelu_slopes.csv`,
/// `maxout_pieces.csv`, `summary.json` and the figures `curves.svg`, `prelu_slopes.svg`,
/// `maxout_units.svg`, `relu_active_units.svg`.
pub fn run(config: &Config, mnist: &Mnist, out: &mut Output) -> Result<Report> {
    let train = mnist.train_prefix(config.train_samples)?;
    let test = mnist.test_prefix(config.test_samples)?;
    let mut runs = Vec::new();
    for &activation in &config.activations {
        let net: Sequential = mlp(&config.sizes, activation, &mut StdRng::seed_from_u64(config.seed))?;
        let mut optimizer = config.optimizer.build(net.named_parameters())?;
        let history = Fit::new(&net, &mut *optimizer, &train)
            .epochs(config.epochs)
            .batch_size(config.batch_size)
            .seed(config.seed)
            .validation_data(&test)
            .history_dir(out.subdir(&slug(&activation.name()))?)
            .progress(ProgressMode::Quiet)
            .run()?;
        let slopes = net
            .named_parameters()
            .iter()
            .filter(|(name, _)| name.ends_with("slope"))
            .map(|(_, p)| p.value().data().iter().map(|&v| f64::from(v)).collect())
            .collect();
        let thinness = match activation {
            Activation::Relu => Some(thinness(&net, &test)?),
            _ => None,
        };
        let maxout = match activation {
            Activation::Maxout(k) => Some(maxout_analysis(&net, k, &train, &test, config.maxout_units_shown)?),
            _ => None,
        };
        runs.push(RunReport { activation, parameters: net.num_parameters(), history, slopes, thinness, maxout });
    }
    let report = Report { runs };
    write(&report, out)?;
    Ok(report)
}

/// The hidden activations of a ReLU [`mlp`] on `x`, layer by layer (modules `2l` are linear,
/// `2l + 1` the ReLUs).
fn hidden_activations(net: &Sequential, x: &Tensor<f32>) -> Result<Vec<Tensor<f32>>> {
    let tape = Tape::new();
    tape.no_grad(|| {
        let mut h = tape.constant(x.clone());
        let mut hidden = Vec::new();
        for i in 0..net.len() {
            h = net.get(i).expect("i < len").forward(&h)?;
            if i % 2 == 1 {
                hidden.push(h.value().clone());
            }
        }
        Ok(hidden)
    })
}

fn thinness(net: &Sequential, test: &Dataset) -> Result<Thinness> {
    let hidden = hidden_activations(net, test.images())?;
    let mut active_fraction = Vec::new();
    let mut never_active = Vec::new();
    for h in &hidden {
        let (n, units) = (h.dims()[0], h.dims()[1]);
        let active = h.data().iter().filter(|&&v| v > 0.0).count();
        active_fraction.push(active as f64 / (n * units) as f64);
        let dead = (0..units).filter(|&u| (0..n).all(|i| h.data()[i * units + u] <= 0.0)).count();
        never_active.push(dead);
    }
    // For a few digits, the network restricted to the digit's active units is a linear map:
    // multiply the weight matrices with the inactive units' rows zeroed.
    let weights: Vec<(Vec<f32>, Vec<f32>, usize, usize)> = net
        .named_parameters()
        .values()
        .collect::<Vec<_>>()
        .chunks(2)
        .map(|wb| {
            let (w, b) = (wb[0].value(), wb[1].value());
            (w.data().to_vec(), b.data().to_vec(), w.dims()[0], w.dims()[1])
        })
        .collect();
    let logits = train::predict(net, test.images(), 1_000)?;
    let mut error = 0.0f64;
    for i in 0..test.len().min(20) {
        let features = test.features();
        let mut a: Vec<f64> =
            test.images().data()[i * features..(i + 1) * features].iter().map(|&v| f64::from(v)).collect();
        for (l, (w, b, rows, cols)) in weights.iter().enumerate() {
            let z: Vec<f64> = (0..*rows)
                .map(|r| (0..*cols).map(|c| f64::from(w[r * cols + c]) * a[c]).sum::<f64>() + f64::from(b[r]))
                .collect();
            a = match hidden.get(l) {
                // A hidden layer: keep the units this digit activates, drop the others.
                Some(h) => {
                    z.iter().enumerate().map(|(u, &v)| if h.data()[i * rows + u] > 0.0 { v } else { 0.0 }).collect()
                }
                None => z,
            };
        }
        let classes = logits.dims()[1];
        for (c, v) in a.iter().enumerate() {
            error = error.max((v - f64::from(logits.data()[i * classes + c])).abs());
        }
    }
    Ok(Thinness { active_fraction, never_active, linear_map_error: error })
}

fn maxout_analysis(
    net: &Sequential,
    k: usize,
    train: &Dataset,
    test: &Dataset,
    shown: usize,
) -> Result<MaxoutAnalysis> {
    let params = net.named_parameters();
    let (w, b) = (params["0.linear.weight"].value(), params["0.linear.bias"].value());
    let (rows, features) = (w.dims()[0], w.dims()[1]);
    let units = rows / k;
    let pieces_at = |x: &[f32]| -> Vec<f64> {
        (0..rows)
            .map(|r| {
                let row = &w.data()[r * features..(r + 1) * features];
                row.iter().zip(x).map(|(&w, &x)| f64::from(w) * f64::from(x)).sum::<f64>() + f64::from(b.data()[r])
            })
            .collect()
    };
    let mut wins = vec![vec![0usize; k]; units];
    for x in train.images().data().chunks(features) {
        let z = pieces_at(x);
        for (u, unit_wins) in wins.iter_mut().enumerate() {
            let piece = (0..k).fold(0, |best, j| if z[u * k + j] > z[u * k + best] { j } else { best });
            unit_wins[piece] += 1;
        }
    }
    let piece_shares = wins.iter().map(|w| w.iter().map(|&c| c as f64 / train.len().max(1) as f64).collect()).collect();
    // For each plotted unit, along the segment from a test digit on which its first piece wins
    // to one on which another piece wins (extended a quarter on each side): the kink between
    // them is the learned activation's.
    let test_digits: Vec<&[f32]> = test.images().data().chunks(features).collect();
    let winner = |x: &[f32], u: usize| {
        let z = pieces_at(x);
        (0..k).fold(0, |best, j| if z[u * k + j] > z[u * k + best] { j } else { best })
    };
    let mut curves = Vec::new();
    for u in 0..units {
        if curves.len() == shown {
            break;
        }
        let Some(a) = test_digits.iter().find(|x| winner(x, u) == 0) else { continue };
        let Some(b) = test_digits.iter().find(|x| winner(x, u) != 0) else { continue };
        let points = (0..=60)
            .map(|s| {
                let t = -0.25 + 1.5 * s as f64 / 60.0;
                let x: Vec<f32> = a
                    .iter()
                    .zip(b.iter())
                    .map(|(&p, &q)| ((1.0 - t) * f64::from(p) + t * f64::from(q)) as f32)
                    .collect();
                let z = pieces_at(&x);
                let pieces: Vec<f64> = z[u * k..(u + 1) * k].to_vec();
                let output = pieces.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                CurvePoint { t, pieces, output }
            })
            .collect();
        curves.push(MaxoutCurve { unit: u, points });
    }
    Ok(MaxoutAnalysis { piece_shares, curves })
}

fn write(report: &Report, out: &mut Output) -> Result<()> {
    let mut table = Table::new(&["activation", "parameters", "final_train_loss", "test_accuracy"]);
    for r in &report.runs {
        let last = r.history.last();
        table.push(vec![
            r.activation.name(),
            r.parameters.to_string(),
            cell(last.and_then(|e| e.get("loss")).unwrap_or(f64::NAN)),
            cell(last.and_then(|e| e.get("val_accuracy")).unwrap_or(f64::NAN)),
        ]);
    }
    out.csv("results.csv", &table)?;
    let mut slopes = Table::new(&["layer", "unit", "slope"]);
    let mut pieces = Table::new(&["unit", "piece", "share_of_training_digits"]);
    let mut figure_slopes = Figure::new();
    let mut figure_units = Figure::new();
    let mut summary_extra = Vec::new();
    for r in &report.runs {
        for (layer, values) in r.slopes.iter().enumerate() {
            for (unit, &s) in values.iter().enumerate() {
                slopes.push(vec![(layer + 1).to_string(), unit.to_string(), cell(s)]);
            }
            figure_slopes = figure_slopes.chart(
                Chart::new(format!("PReLU slopes learned in layer {}", layer + 1))
                    .x_label("slope for negative inputs (all started at 0.25)")
                    .histogram("units", values.iter().copied(), 30),
            );
        }
        if let Some(m) = &r.maxout {
            for (unit, shares) in m.piece_shares.iter().enumerate() {
                for (piece, &s) in shares.iter().enumerate() {
                    pieces.push(vec![unit.to_string(), piece.to_string(), cell(s)]);
                }
            }
            for curve in &m.curves {
                let (u, curve) = (curve.unit, &curve.points);
                let k = curve.first().map_or(0, |p| p.pieces.len());
                let mut chart =
                    Chart::new(format!("maxout unit {u} of layer 1")).x_label("t along (1−t)·digit A + t·digit B");
                // The unit as a line, its pieces as dots: the line lies on the highest dots.
                chart = chart.line("the unit: max of its pieces", curve.iter().map(|p| (p.t, p.output)));
                for j in 0..k {
                    let dots = curve.iter().step_by(2).map(|p| (p.t, p.pieces[j]));
                    chart = chart.scatter(format!("piece {}", j + 1), dots);
                }
                figure_units = figure_units.chart(chart);
            }
            summary_extra.push(json!({ "maxout_units_with_every_piece_used": m.all_pieces_used() }));
        }
        if let Some(t) = &r.thinness {
            summary_extra.push(json!({
                "relu_active_fraction_per_layer": t.active_fraction,
                "relu_never_active_per_layer": t.never_active,
                "relu_active_units_linear_map_max_error": t.linear_map_error,
            }));
            let chart = Chart::new("ReLU: units active per test digit")
                .x_label("hidden layer")
                .line("mean fraction active", t.active_fraction.iter().enumerate().map(|(l, &f)| ((l + 1) as f64, f)));
            out.svg("relu_active_units.svg", &Figure::from(chart))?;
        }
    }
    out.csv("prelu_slopes.csv", &slopes)?;
    out.csv("maxout_pieces.csv", &pieces)?;
    if !figure_slopes.charts().is_empty() {
        out.svg("prelu_slopes.svg", &figure_slopes)?;
    }
    if !figure_units.charts().is_empty() {
        out.svg("maxout_units.svg", &figure_units)?;
    }
    out.json(
        "summary.json",
        &json!({
            "runs": report.runs.iter().map(|r| json!({
                "activation": r.activation.name(),
                "parameters": r.parameters,
                "final_train_loss": r.history.last().and_then(|e| e.get("loss")),
                "test_accuracy": r.history.last().and_then(|e| e.get("val_accuracy")),
            })).collect::<Vec<_>>(),
            "details": summary_extra,
        }),
    )?;
    let histories = || report.runs.iter().map(|r| (r.activation.name(), &r.history));
    let loss = History::compare("training loss", "loss", histories()).log_y();
    let accuracy = History::compare("test accuracy", "val_accuracy", histories());
    out.svg("curves.svg", &Figure::new().chart(loss).chart(accuracy))
}
