//! Experiment 4: adaptive learning rates and momentum (measured in `docs/lecture.md` §4).
//!
//! The lecture's claims: Adagrad divides a fixed rate by the root of the sum of all past squared
//! gradients, RMSProp by a decaying average of them, so both take larger steps where the surface
//! is flat; momentum adds the previous movement to the current step (the movement is a weighted
//! sum of all past gradients, older ones weighing less), which can carry the parameters across a
//! plateau and out of a shallow local minimum; Adam is RMSProp plus momentum.
//!
//! Two measurements:
//! - **A 2-D surface** with a plateau, a shallow local minimum and a deeper global one, along a
//!   curved valley. Every optimizer starts at the same point on the plateau with the same
//!   learning rate; the paths are drawn over the surface's contour lines.
//! - **MNIST**: the same network and initial weights trained by each optimizer (each at the
//!   best of a few learning rates), loss against update step.

use crate::common::{mlp, Activation, Mnist, OptimizerKind};
use crate::output::{cell, slug, Output, Table};
use crate::{Error, Result};
use autograd::{Parameter, Tape, Tensor, Var};
use nn::{Module, Sequential};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;
use std::path::PathBuf;
use train::plot::{Chart, Figure, Grid};
use train::progress::ProgressMode;
use train::{Fit, History};

/// The 2-D surface: a gentle step down from a plateau (x < −1) into a shallow well at x = 0, a
/// deep well at x = 2, along the valley y = ½ sin x.
///
/// `f(x, y) = 1 + ½σ(−2(x + ½)) − 0.3 e^(−x²/0.2) − e^(−(x−2)²/0.6) + ½(y − ½ sin x)²`
pub fn surface<'t>(x: &Var<'t, f64>, y: &Var<'t, f64>) -> Result<Var<'t, f64>> {
    let step = x.add_scalar(0.5).mul_scalar(-2.0).sigmoid().mul_scalar(0.5);
    let local = x.powf(2.0).mul_scalar(-1.0 / 0.2).exp().mul_scalar(0.3);
    let global = x.add_scalar(-2.0).powf(2.0).mul_scalar(-1.0 / 0.6).exp();
    let off_valley = y.sub(&x.sin().mul_scalar(0.5))?.powf(2.0).mul_scalar(0.5);
    Ok(step.sub(&local)?.sub(&global)?.add(&off_valley)?.add_scalar(1.0))
}

/// `surface` at one point, without recording.
pub fn surface_at(x: f64, y: f64) -> f64 {
    let tape = Tape::<f64>::new();
    let value = surface(&tape.scalar(x), &tape.scalar(y)).expect("scalars always broadcast");
    value.item()
}

/// The minima of [`surface`], for the plot and the verdicts: (name, x, y).
const MINIMA: [(&str, f64, f64); 2] = [("local", 0.05, 0.03), ("global", 2.0, 0.45)];

/// What experiment 4 runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The optimizers on the surface (all at [`Config::surface_lr`]).
    pub surface_optimizers: Vec<OptimizerKind>,
    /// The learning rate on the surface.
    pub surface_lr: f64,
    /// Where every path starts.
    pub start: (f64, f64),
    /// Steps on the surface.
    pub surface_steps: usize,
    /// The MNIST network's layer sizes (ReLU between them).
    pub sizes: Vec<usize>,
    /// Each optimizer with the learning rates tried on MNIST.
    pub mnist_optimizers: Vec<(OptimizerKind, Vec<f64>)>,
    /// Training digits.
    pub train_samples: usize,
    /// Test digits.
    pub test_samples: usize,
    /// Epochs per MNIST run.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Update steps averaged into one point of the loss plot.
    pub smooth: usize,
    /// The seed of the initial weights (the same for every run) and of the shuffles.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        let sgd = OptimizerKind::Sgd { lr: 0.1 };
        let momentum = OptimizerKind::Momentum { lr: 0.1, momentum: 0.9 };
        let adagrad = OptimizerKind::Adagrad { lr: 0.1 };
        let rmsprop = OptimizerKind::RmsProp { lr: 0.1 };
        let adam = OptimizerKind::Adam { lr: 0.1 };
        Config {
            surface_optimizers: vec![sgd, momentum, adagrad, rmsprop, adam],
            surface_lr: 0.1,
            start: (-3.0, -0.07),
            surface_steps: 300,
            sizes: vec![784, 256, 128, 10],
            mnist_optimizers: vec![
                (sgd, vec![0.03, 0.1, 0.3, 1.0]),
                (momentum, vec![0.003, 0.01, 0.03, 0.1]),
                (adagrad, vec![0.003, 0.01, 0.03, 0.1]),
                (rmsprop, vec![1e-4, 3e-4, 1e-3, 3e-3]),
                (adam, vec![3e-4, 1e-3, 3e-3, 1e-2]),
            ],
            train_samples: 8_000,
            test_samples: 2_000,
            epochs: 5,
            batch_size: 64,
            smooth: 20,
            seed: 0,
        }
    }
}

impl Config {
    /// Seconds: the same surface (it takes milliseconds); 500 digits, one epoch, one rate per
    /// optimizer.
    pub fn tiny() -> Self {
        let defaults = Config::default();
        let mnist_optimizers =
            defaults.mnist_optimizers.iter().map(|(kind, lrs)| (*kind, vec![lrs[lrs.len() / 2]])).collect();
        Config {
            sizes: vec![784, 32, 10],
            mnist_optimizers,
            train_samples: 500,
            test_samples: 200,
            epochs: 1,
            smooth: 2,
            ..defaults
        }
    }
}

/// One optimizer's path on the surface.
#[derive(Clone, Debug)]
pub struct SurfacePath {
    /// The optimizer's name.
    pub name: &'static str,
    /// `(x, y)` at every step, the start first.
    pub points: Vec<(f64, f64)>,
    /// The surface's value at every point.
    pub values: Vec<f64>,
    /// The first step at which the path left the plateau (x > −1), if it did.
    pub left_plateau_at: Option<usize>,
    /// The minimum the path ended in (`"local"`, `"global"`), or `"none"`.
    pub ended_in: &'static str,
}

/// One optimizer on MNIST at the learning rate that gave the lowest final training loss.
#[derive(Clone, Debug)]
pub struct MnistRun {
    /// The optimizer's name.
    pub name: &'static str,
    /// The chosen learning rate.
    pub lr: f64,
    /// Every rate tried, with its final-epoch training loss.
    pub tried: Vec<(f64, f64)>,
    /// The chosen rate's final-epoch training loss.
    pub tried_loss: f64,
    /// The loss of every update step.
    pub step_losses: Vec<f64>,
    /// The fit loop's history (test digits as validation data).
    pub history: History,
}

/// What experiment 4 measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// One path per optimizer.
    pub paths: Vec<SurfacePath>,
    /// One run per optimizer.
    pub mnist: Vec<MnistRun>,
}

impl Report {
    /// Lines for the terminal.
    pub fn summary(&self) -> Vec<String> {
        let mut surface = Table::new(&["optimizer (surface)", "left the plateau at step", "ended in", "final f"]);
        for p in &self.paths {
            surface.push(vec![
                p.name.to_string(),
                p.left_plateau_at.map_or("never".into(), |s| s.to_string()),
                p.ended_in.to_string(),
                format!("{:.3}", p.values.last().copied().unwrap_or(f64::NAN)),
            ]);
        }
        let mut mnist = Table::new(&["optimizer (MNIST)", "best lr", "final train loss", "test accuracy"]);
        for r in &self.mnist {
            let last = r.history.last();
            mnist.push(vec![
                r.name.to_string(),
                format!("{}", r.lr),
                format!("{:.4}", last.and_then(|e| e.get("loss")).unwrap_or(f64::NAN)),
                format!("{:.2} %", 100.0 * last.and_then(|e| e.get("val_accuracy")).unwrap_or(f64::NAN)),
            ]);
        }
        surface.render().lines().chain(mnist.render().lines()).map(str::to_string).collect()
    }
}

/// Runs experiment 4, writing `surface_paths.csv`, `surface.svg`, `mnist_steps.csv`, a history
/// per MNIST run (one per learning rate tried), `summary.json` and `mnist_loss.svg`.
pub fn run(config: &Config, mnist: &Mnist, out: &mut Output) -> Result<Report> {
    let paths = config
        .surface_optimizers
        .iter()
        .map(|kind| surface_path(kind.with_lr(config.surface_lr), config.start, config.surface_steps))
        .collect::<Result<Vec<_>>>()?;
    let train = mnist.train_prefix(config.train_samples)?;
    let test = mnist.test_prefix(config.test_samples)?;
    let mut runs = Vec::new();
    for (kind, lrs) in &config.mnist_optimizers {
        let mut best: Option<MnistRun> = None;
        let mut tried = Vec::new();
        for &lr in lrs {
            let history_dir = out.subdir(&slug(&format!("{} lr {lr}", kind.name())))?;
            let (step_losses, history) = train_mnist(config, kind.with_lr(lr), &train, &test, history_dir)?;
            let final_loss = history.last().and_then(|e| e.get("loss")).unwrap_or(f64::INFINITY);
            tried.push((lr, final_loss));
            let best_loss = best.as_ref().map_or(f64::INFINITY, |b| b.tried_loss);
            if final_loss < best_loss || best.is_none() {
                best = Some(MnistRun {
                    name: kind.name(),
                    lr,
                    tried: Vec::new(),
                    tried_loss: final_loss,
                    step_losses,
                    history,
                });
            }
        }
        let mut best =
            best.ok_or_else(|| Error::config("optimizers", format!("no learning rate for {}", kind.name())))?;
        best.tried = tried;
        runs.push(best);
    }
    let report = Report { paths, mnist: runs };
    write(&report, config, out)?;
    Ok(report)
}

/// Follows `kind` from `start` for `steps` steps on [`surface`].
fn surface_path(kind: OptimizerKind, start: (f64, f64), steps: usize) -> Result<SurfacePath> {
    let p = Parameter::new(Tensor::vector(&[start.0, start.1]));
    let mut optimizer = kind.build([("p", &p)])?;
    let (mut points, mut values) = (Vec::with_capacity(steps + 1), Vec::with_capacity(steps + 1));
    for step in 0..=steps {
        let tape = Tape::new();
        let v = tape.param(&p);
        let value = surface(&v.narrow(0, 0, 1)?, &v.narrow(0, 1, 1)?)?.sum();
        let at = p.value();
        points.push((at.data()[0], at.data()[1]));
        values.push(value.item());
        if step < steps {
            value.backward()?;
            optimizer.step()?;
        }
    }
    let left_plateau_at = points.iter().position(|&(x, _)| x > -1.0);
    let (x, y) = *points.last().expect("the start is a point");
    let ended_in = MINIMA.iter().find(|(_, mx, my)| (x - mx).hypot(y - my) < 0.3).map_or("none", |(name, _, _)| *name);
    Ok(SurfacePath { name: kind.name(), points, values, left_plateau_at, ended_in })
}

/// Trains the configured network from the configured seed with `kind`, writing the history
/// into `history_dir`; returns the loss of every update step and the history.
fn train_mnist(
    config: &Config,
    kind: OptimizerKind,
    train: &train::data::Dataset,
    test: &train::data::Dataset,
    history_dir: PathBuf,
) -> Result<(Vec<f64>, History)> {
    let net: Sequential = mlp(&config.sizes, Activation::Relu, &mut StdRng::seed_from_u64(config.seed))?;
    let mut optimizer = kind.build(net.named_parameters())?;
    let mut step_losses = Vec::new();
    let history = Fit::new(&net, &mut *optimizer, train)
        .epochs(config.epochs)
        .batch_size(config.batch_size)
        .seed(config.seed)
        .validation_data(test)
        .history_dir(history_dir)
        .progress(ProgressMode::Quiet)
        .after_backward(|ctx| {
            step_losses.push(ctx.loss);
            Ok(())
        })
        .run()?;
    Ok((step_losses, history))
}

fn write(report: &Report, config: &Config, out: &mut Output) -> Result<()> {
    let mut paths = Table::new(&["optimizer", "step", "x", "y", "f"]);
    for p in &report.paths {
        for (step, (&(x, y), &f)) in p.points.iter().zip(&p.values).enumerate() {
            paths.push(vec![p.name.into(), step.to_string(), cell(x), cell(y), cell(f)]);
        }
    }
    out.csv("surface_paths.csv", &paths)?;
    let mut steps = Table::new(&["optimizer", "lr", "step", "loss"]);
    for r in &report.mnist {
        for (step, &loss) in r.step_losses.iter().enumerate() {
            steps.push(vec![r.name.into(), cell(r.lr), (step + 1).to_string(), cell(loss)]);
        }
    }
    out.csv("mnist_steps.csv", &steps)?;
    out.json(
        "summary.json",
        &json!({
            "surface": {
                "lr": config.surface_lr,
                "start": [config.start.0, config.start.1],
                "steps": config.surface_steps,
                "paths": report.paths.iter().map(|p| json!({
                    "optimizer": p.name,
                    "left_plateau_at_step": p.left_plateau_at,
                    "ended_in": p.ended_in,
                    "final_point": p.points.last(),
                    "final_value": p.values.last(),
                })).collect::<Vec<_>>(),
            },
            "mnist": {
                "sizes": config.sizes,
                "epochs": config.epochs,
                "batch_size": config.batch_size,
                "runs": report.mnist.iter().map(|r| json!({
                    "optimizer": r.name,
                    "lr": r.lr,
                    "tried_lr_and_final_train_loss": r.tried,
                    "final_train_loss": r.history.last().and_then(|e| e.get("loss")),
                    "test_accuracy": r.history.last().and_then(|e| e.get("val_accuracy")),
                })).collect::<Vec<_>>(),
            },
        }),
    )?;

    let grid = Grid::sample(-3.5..3.5, -1.5..1.5, (141, 61), surface_at)?;
    // Paths first, so that each optimizer has the same colour in both charts.
    let mut map =
        Chart::new(format!("paths on the surface, lr {} for all", config.surface_lr)).x_label("x").y_label("y");
    for p in &report.paths {
        map = map.path(p.name, p.points.iter().copied());
    }
    map = map
        .scatter("start", [config.start])
        .scatter("minima (local, global)", MINIMA.map(|(_, x, y)| (x, y)))
        .contours("f(x, y)", grid.clone(), grid.levels(14));
    let mut values = Chart::new("f along each path").x_label("step");
    for p in &report.paths {
        values = values.line(p.name, p.values.iter().enumerate().map(|(i, &v)| (i as f64, v)));
    }
    out.svg("surface.svg", &Figure::new().size(900, 480).chart(map).chart(values))?;

    let smooth = config.smooth.max(1);
    let mut steps = Chart::new("MNIST: training loss per update step").x_label("update step").log_y();
    for r in &report.mnist {
        let points = r
            .step_losses
            .chunks(smooth)
            .enumerate()
            .map(|(i, chunk)| ((i * smooth + chunk.len()) as f64, chunk.iter().sum::<f64>() / chunk.len() as f64));
        steps = steps.line(format!("{} (lr {})", r.name, r.lr), points);
    }
    let histories = report.mnist.iter().map(|r| (r.name, &r.history));
    let accuracy = History::compare("MNIST: test accuracy", "val_accuracy", histories);
    out.svg("mnist_loss.svg", &Figure::new().chart(steps).chart(accuracy))
}
