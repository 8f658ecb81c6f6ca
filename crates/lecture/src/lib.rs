//! # lecture: the claims of a lecture on backpropagation, measured
//!
//! An introductory lecture on deep learning (the three steps: a network, a loss, gradient
//! descent with backpropagation; then "tips": new activations, adaptive learning rates, early
//! stopping, regularization, dropout, and why depth helps) makes claims that can be checked by
//! running code. Each module here is one experiment that measures one group of claims with
//! chainrule, on the bundled MNIST digits or on a generated task where a claim needs one, and
//! writes its numbers (CSV, JSON) and figures (SVG) into an output folder. `docs/lecture.md`
//! restates each claim beside what the default run measured, and says where a claim did not
//! reproduce.
//!
//! | experiment | module | claim |
//! | --- | --- | --- |
//! | `chain-rule` | [`chain_rule`] | ∂l/∂w is the forward value ∂z/∂w times the backward value ∂l/∂z |
//! | `vanishing` | [`vanishing`] | in a deep sigmoid network the first layers' gradients vanish; ReLU fixes it |
//! | `relu-variants` | [`relu_variants`] | ReLU's thinner linear network, leaky ReLU, PReLU's and maxout's learned shapes |
//! | `optimizers` | [`optimizers`] | adaptive learning rates and momentum: plateaus, local minima, speed |
//! | `overfitting` | [`overfitting`] | early stopping, L2, L1 and dropout against overfitting |
//! | `minibatch` | [`minibatch`] | batch size against updates per epoch, time, convergence |
//! | `why-deep` | [`why_deep`] | at equal parameter count, deep and narrow beats shallow and wide |
//!
//! `examples/lecture.rs` (at the workspace root) is the command line:
//! `cargo run --release --example lecture -- all`, or one experiment by name. Every experiment
//! has a configuration with [`Default`] (the measured run of `docs/lecture.md`) and `tiny()`
//! (seconds, for the tests). Every random choice is seeded: the same configuration gives the
//! same numbers, bit for bit, except wall-clock times.
//!
//! `docs/tutorial.md` ([`tutorial`]) maps the lecture's math onto chainrule's code, step by
//! step, with code that runs as doc tests.

pub mod chain_rule;
pub mod common;
mod error;
pub mod minibatch;
pub mod optimizers;
pub mod output;
pub mod overfitting;
pub mod relu_variants;
pub mod vanishing;
pub mod why_deep;

pub use error::{Error, Result};
pub use output::{Output, Table};

/// "From the chain rule to a tape" (`docs/tutorial.md`), included here so that every code
/// block of it runs as a doc test.
#[doc = include_str!("../../../docs/tutorial.md")]
pub mod tutorial {}

use common::Mnist;
use std::path::PathBuf;

/// One experiment, by the name the command line uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Experiment {
    /// [`chain_rule`].
    ChainRule,
    /// [`vanishing`].
    Vanishing,
    /// [`relu_variants`].
    ReluVariants,
    /// [`optimizers`].
    Optimizers,
    /// [`overfitting`].
    Overfitting,
    /// [`minibatch`].
    MiniBatch,
    /// [`why_deep`].
    WhyDeep,
}

impl Experiment {
    /// Every experiment, in the lecture's order.
    pub const ALL: [Experiment; 7] = [
        Experiment::ChainRule,
        Experiment::Vanishing,
        Experiment::ReluVariants,
        Experiment::Optimizers,
        Experiment::Overfitting,
        Experiment::MiniBatch,
        Experiment::WhyDeep,
    ];

    /// The command-line name (`"chain-rule"`), also the name of its output folder.
    pub fn name(self) -> &'static str {
        match self {
            Experiment::ChainRule => "chain-rule",
            Experiment::Vanishing => "vanishing",
            Experiment::ReluVariants => "relu-variants",
            Experiment::Optimizers => "optimizers",
            Experiment::Overfitting => "overfitting",
            Experiment::MiniBatch => "minibatch",
            Experiment::WhyDeep => "why-deep",
        }
    }

    /// The lecture's claim it measures, in one line.
    pub fn claim(self) -> &'static str {
        match self {
            Experiment::ChainRule => "∂l/∂w is ∂z/∂w from the forward pass times ∂l/∂z from the backward pass",
            Experiment::Vanishing => "deep sigmoid networks' first layers get vanishing gradients; ReLU does not",
            Experiment::ReluVariants => {
                "leaky ReLU, PReLU (learned slopes) and maxout (learned activation) against ReLU"
            }
            Experiment::Optimizers => "adaptive rates cross plateaus, momentum escapes local minima; Adam is both",
            Experiment::Overfitting => "early stopping, L2, L1 and dropout close the gap between training and test",
            Experiment::MiniBatch => "a mini-batch of B makes N/B updates per epoch: faster per epoch, not per second",
            Experiment::WhyDeep => "at the same parameter count, deep and narrow beats shallow and wide",
        }
    }

    /// The experiment called `name`, if any.
    pub fn from_name(name: &str) -> Option<Experiment> {
        Experiment::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// How big a run is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Size {
    /// The configuration `docs/lecture.md` reports (each experiment about two minutes or less on
    /// two cores).
    #[default]
    Default,
    /// A few seconds each: what the tests run so no experiment can rot.
    Tiny,
}

/// Where the experiments read their data and write their results.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The folder with the MNIST IDX files (the bundled `data/mnist-10k` by default).
    pub data_dir: PathBuf,
    /// The folder that receives one subfolder per experiment.
    pub out_dir: PathBuf,
    /// Default or tiny.
    pub size: Size,
}

impl Settings {
    /// The bundled digits, output under `out_dir`, default size.
    pub fn new(out_dir: impl Into<PathBuf>) -> Settings {
        Settings { data_dir: bundled_mnist(), out_dir: out_dir.into(), size: Size::Default }
    }
}

/// The bundled `data/mnist-10k` of the workspace this crate was built in.
pub fn bundled_mnist() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist-10k"))
}

/// Runs `experiment`, writing into `settings.out_dir/<name>`; returns the lines to print and
/// the output folder.
pub fn run(experiment: Experiment, settings: &Settings) -> Result<(Vec<String>, PathBuf)> {
    let mut out = Output::create(settings.out_dir.join(experiment.name()))?;
    let tiny = settings.size == Size::Tiny;
    let mnist = || Mnist::load(&settings.data_dir);
    let lines = match experiment {
        Experiment::ChainRule => {
            let config = if tiny { chain_rule::Config::tiny() } else { chain_rule::Config::default() };
            chain_rule::run(&config, &mut out)?.summary()
        }
        Experiment::Vanishing => {
            let config = if tiny { vanishing::Config::tiny() } else { vanishing::Config::default() };
            vanishing::run(&config, &mnist()?, &mut out)?.summary()
        }
        Experiment::ReluVariants => {
            let config = if tiny { relu_variants::Config::tiny() } else { relu_variants::Config::default() };
            relu_variants::run(&config, &mnist()?, &mut out)?.summary()
        }
        Experiment::Optimizers => {
            let config = if tiny { optimizers::Config::tiny() } else { optimizers::Config::default() };
            optimizers::run(&config, &mnist()?, &mut out)?.summary()
        }
        Experiment::Overfitting => {
            let config = if tiny { overfitting::Config::tiny() } else { overfitting::Config::default() };
            overfitting::run(&config, &mnist()?, &mut out)?.summary()
        }
        Experiment::MiniBatch => {
            let config = if tiny { minibatch::Config::tiny() } else { minibatch::Config::default() };
            minibatch::run(&config, &mnist()?, &mut out)?.summary()
        }
        Experiment::WhyDeep => {
            let config = if tiny { why_deep::Config::tiny() } else { why_deep::Config::default() };
            why_deep::run(&config, &mnist()?, &mut out)?.summary()
        }
    };
    Ok((lines, out.dir().to_path_buf()))
}
