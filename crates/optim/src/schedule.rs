//! Learning-rate schedules, as PyTorch's `torch.optim.lr_scheduler`: [`StepLr`],
//! [`ExponentialLr`], [`CosineAnnealingLr`], [`LinearLr`] (warm-up) and [`ReduceLrOnPlateau`].
//!
//! A schedule is created (from the optimizer, when it needs the base rate or sets the rate for
//! epoch 0, as [`CosineAnnealingLr`] and [`LinearLr`] do), then stepped once per epoch *after*
//! the epoch's optimizer steps. Each `step` computes the next rate from the optimizer's current one with
//! PyTorch's recursive ("chainable") formulas, so the sequences match PyTorch's to rounding.
//!
//! ```
//! use autograd::{Parameter, Tensor};
//! use optim::{LrScheduler, Optimizer, Sgd, SgdConfig, StepLr};
//!
//! let w = Parameter::new(Tensor::<f64>::scalar(0.0));
//! let mut opt = Sgd::new([("w", &w)], SgdConfig { lr: 0.1, ..Default::default() }).unwrap();
//! let mut schedule = StepLr::new(2, 0.5).unwrap();
//! let mut lrs = vec![opt.lr()];
//! for _epoch in 0..5 {
//!     // ... train one epoch: backward + opt.step() per batch ...
//!     lrs.push(schedule.step(&mut opt).unwrap());
//! }
//! assert_eq!(lrs, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
//! ```

use crate::error::{self, Error, Result};
use crate::Optimizer;
use autograd::Float;
use indexmap::IndexMap;
use std::f64::consts::PI;

/// A schedule's progress as named numbers (`"last_epoch"`, …), for a checkpoint.
pub type ScheduleState = IndexMap<String, f64>;

/// A learning-rate schedule stepped once per epoch.
pub trait LrScheduler {
    /// Advances one epoch and returns the learning rate for it, computed from the rate the
    /// optimizer has now (`current`).
    fn next_lr(&mut self, current: f64) -> f64;

    /// The number of [`step`](LrScheduler::step)s taken (PyTorch's `last_epoch`; 0 after
    /// construction).
    fn last_epoch(&self) -> usize;

    /// The schedule's progress as named numbers — `"last_epoch"`, and `"base_lr"` for the
    /// schedules that remember it — to save with a checkpoint beside the optimizer's
    /// [`state_dict`](Optimizer::state_dict) (which holds the current rate). The options are
    /// not included: they come from the code that rebuilds the schedule.
    ///
    /// To resume: build the optimizer and the schedule as at the start, *then* load both
    /// states (building a [`LinearLr`] sets the optimizer's rate, which the loaded optimizer
    /// state then overwrites with the saved one).
    fn state_dict(&self) -> ScheduleState;

    /// Restores progress saved by [`state_dict`](LrScheduler::state_dict); fails, changing
    /// nothing, on a missing, unexpected or invalid entry.
    fn load_state_dict(&mut self, state: &ScheduleState) -> Result<()>;

    /// Advances one epoch, sets the optimizer's learning rate and returns it. Call it after the
    /// epoch's optimizer steps.
    fn step<T: Float>(&mut self, optimizer: &mut (impl Optimizer<T> + ?Sized)) -> Result<f64>
    where
        Self: Sized,
    {
        let lr = self.next_lr(optimizer.lr());
        optimizer.set_lr(lr)?;
        Ok(optimizer.lr())
    }
}

/// Step decay, PyTorch's `StepLR`: the rate is multiplied by γ every `step_size` epochs,
/// η_e = η₀·γ^⌊e / step_size⌋.
#[derive(Clone, Debug)]
pub struct StepLr {
    step_size: usize,
    gamma: f64,
    last_epoch: usize,
}

impl StepLr {
    /// Decays the optimizer's rate by `gamma` every `step_size` epochs; fails if
    /// `step_size` is 0 or `gamma` is negative or not finite.
    pub fn new(step_size: usize, gamma: f64) -> Result<Self> {
        error::check("StepLR", "step_size", step_size as f64, step_size >= 1, ">= 1")?;
        error::non_negative("StepLR", "gamma", gamma)?;
        Ok(StepLr { step_size, gamma, last_epoch: 0 })
    }
}

impl LrScheduler for StepLr {
    fn next_lr(&mut self, current: f64) -> f64 {
        self.last_epoch += 1;
        #[allow(clippy::manual_is_multiple_of)] // is_multiple_of needs Rust 1.87; the MSRV is 1.80
        if self.last_epoch % self.step_size == 0 {
            current * self.gamma
        } else {
            current
        }
    }
    fn last_epoch(&self) -> usize {
        self.last_epoch
    }
    fn state_dict(&self) -> ScheduleState {
        named([("last_epoch", self.last_epoch as f64)])
    }
    fn load_state_dict(&mut self, state: &ScheduleState) -> Result<()> {
        let [last_epoch] = read("StepLR", state, ["last_epoch"])?;
        self.last_epoch = count("StepLR", "last_epoch", last_epoch)?;
        Ok(())
    }
}

/// Exponential decay, PyTorch's `ExponentialLR`: η_e = η₀·γᵉ.
#[derive(Clone, Debug)]
pub struct ExponentialLr {
    gamma: f64,
    last_epoch: usize,
}

impl ExponentialLr {
    /// Multiplies the optimizer's rate by `gamma` every epoch; fails if `gamma` is negative or
    /// not finite.
    pub fn new(gamma: f64) -> Result<Self> {
        error::non_negative("ExponentialLR", "gamma", gamma)?;
        Ok(ExponentialLr { gamma, last_epoch: 0 })
    }
}

impl LrScheduler for ExponentialLr {
    fn next_lr(&mut self, current: f64) -> f64 {
        self.last_epoch += 1;
        current * self.gamma
    }
    fn last_epoch(&self) -> usize {
        self.last_epoch
    }
    fn state_dict(&self) -> ScheduleState {
        named([("last_epoch", self.last_epoch as f64)])
    }
    fn load_state_dict(&mut self, state: &ScheduleState) -> Result<()> {
        let [last_epoch] = read("ExponentialLR", state, ["last_epoch"])?;
        self.last_epoch = count("ExponentialLR", "last_epoch", last_epoch)?;
        Ok(())
    }
}

/// Cosine annealing (Loshchilov & Hutter's SGDR without restarts), PyTorch's
/// `CosineAnnealingLR`: from η₀ down to η_min over `t_max` epochs,
/// η_e = η_min + ½(η₀ − η_min)(1 + cos(π·e / t_max)), and back up over the next `t_max`
/// epochs (the cosine continues; it does not restart).
///
/// Computed recursively as PyTorch does, η_e = η_min + (η_{e−1} − η_min)·(1 + cos(πe/T)) /
/// (1 + cos(π(e−1)/T)), so a rate changed by hand mid-run is followed from where it is.
#[derive(Clone, Debug)]
pub struct CosineAnnealingLr {
    t_max: usize,
    eta_min: f64,
    base_lr: f64,
    last_epoch: usize,
}

impl CosineAnnealingLr {
    /// Anneals from the optimizer's current rate to `eta_min` over `t_max` epochs; fails if
    /// `t_max` is 0 or `eta_min` is negative or not finite.
    pub fn new<T: Float>(optimizer: &(impl Optimizer<T> + ?Sized), t_max: usize, eta_min: f64) -> Result<Self> {
        error::check("CosineAnnealingLR", "T_max", t_max as f64, t_max >= 1, ">= 1")?;
        error::non_negative("CosineAnnealingLR", "eta_min", eta_min)?;
        Ok(CosineAnnealingLr { t_max, eta_min, base_lr: optimizer.lr(), last_epoch: 0 })
    }
}

impl LrScheduler for CosineAnnealingLr {
    fn next_lr(&mut self, current: f64) -> f64 {
        self.last_epoch += 1;
        let (e, t) = (self.last_epoch as f64, self.t_max as f64);
        let period = 2 * self.t_max as i64;
        if (self.last_epoch as i64 - 1 - self.t_max as i64).rem_euclid(period) == 0 {
            // The trough: the ratio below would be 0/0.
            current + (self.base_lr - self.eta_min) * (1.0 - (PI / t).cos()) / 2.0
        } else {
            (1.0 + (PI * e / t).cos()) / (1.0 + (PI * (e - 1.0) / t).cos()) * (current - self.eta_min) + self.eta_min
        }
    }
    fn last_epoch(&self) -> usize {
        self.last_epoch
    }
    fn state_dict(&self) -> ScheduleState {
        named([("last_epoch", self.last_epoch as f64), ("base_lr", self.base_lr)])
    }
    fn load_state_dict(&mut self, state: &ScheduleState) -> Result<()> {
        const NAME: &str = "CosineAnnealingLR";
        let [last_epoch, base_lr] = read(NAME, state, ["last_epoch", "base_lr"])?;
        let last_epoch = count(NAME, "last_epoch", last_epoch)?;
        if !(base_lr.is_finite() && base_lr >= 0.0) {
            return Err(invalid(NAME, "base_lr", format!("holds {base_lr}, not a learning rate (finite and >= 0)")));
        }
        (self.last_epoch, self.base_lr) = (last_epoch, base_lr);
        Ok(())
    }
}

/// Linear warm-up (or decay), PyTorch's `LinearLR`: the factor applied to the base rate moves
/// linearly from `start_factor` at epoch 0 to `end_factor` at epoch `total_iters`, then stays:
/// η_e = η₀·(s + (f − s)·min(e, total_iters) / total_iters).
///
/// PyTorch's defaults are `start_factor = 1/3`, `end_factor = 1`, `total_iters = 5`
/// ([`LinearLr::warmup`]).
#[derive(Clone, Debug)]
pub struct LinearLr {
    start_factor: f64,
    end_factor: f64,
    total_iters: usize,
    last_epoch: usize,
}

impl LinearLr {
    /// Sets the optimizer's rate to `start_factor` times its current rate and ramps the factor
    /// to `end_factor` over `total_iters` epochs; fails unless 0 < `start_factor` ≤ 1 and
    /// 0 ≤ `end_factor` ≤ 1 (PyTorch's checks).
    pub fn new<T: Float>(
        optimizer: &mut (impl Optimizer<T> + ?Sized),
        start_factor: f64,
        end_factor: f64,
        total_iters: usize,
    ) -> Result<Self> {
        let ok = start_factor > 0.0 && start_factor <= 1.0;
        error::check("LinearLR", "start_factor", start_factor, ok, "in (0, 1]")?;
        error::check("LinearLR", "end_factor", end_factor, (0.0..=1.0).contains(&end_factor), "in [0, 1]")?;
        let lr = optimizer.lr() * start_factor;
        optimizer.set_lr(lr)?;
        Ok(LinearLr { start_factor, end_factor, total_iters, last_epoch: 0 })
    }

    /// PyTorch's default warm-up: from a third of the rate to the full rate over 5 epochs.
    pub fn warmup<T: Float>(optimizer: &mut (impl Optimizer<T> + ?Sized)) -> Result<Self> {
        LinearLr::new(optimizer, 1.0 / 3.0, 1.0, 5)
    }
}

impl LrScheduler for LinearLr {
    fn next_lr(&mut self, current: f64) -> f64 {
        self.last_epoch += 1;
        if self.last_epoch > self.total_iters {
            return current;
        }
        let (s, f) = (self.start_factor, self.end_factor);
        let denominator = self.total_iters as f64 * s + (self.last_epoch - 1) as f64 * (f - s);
        current * (1.0 + (f - s) / denominator)
    }
    fn last_epoch(&self) -> usize {
        self.last_epoch
    }
    fn state_dict(&self) -> ScheduleState {
        named([("last_epoch", self.last_epoch as f64)])
    }
    fn load_state_dict(&mut self, state: &ScheduleState) -> Result<()> {
        let [last_epoch] = read("LinearLR", state, ["last_epoch"])?;
        self.last_epoch = count("LinearLR", "last_epoch", last_epoch)?;
        Ok(())
    }
}

/// Whether [`ReduceLrOnPlateau`]'s metric should go down (a loss) or up (an accuracy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlateauMode {
    /// Lower is better (default).
    Min,
    /// Higher is better.
    Max,
}

/// How [`ReduceLrOnPlateau`] decides that a metric improved on the best so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdMode {
    /// By a fraction: better than best·(1 ∓ threshold) (default).
    Rel,
    /// By an amount: better than best ∓ threshold.
    Abs,
}

/// Options for [`ReduceLrOnPlateau`]; the defaults are PyTorch's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReduceLrOnPlateauConfig {
    /// Minimize or maximize the metric (default [`PlateauMode::Min`]).
    pub mode: PlateauMode,
    /// The rate is multiplied by this on a plateau (default 0.1; must lie in [0, 1)).
    pub factor: f64,
    /// Epochs without improvement tolerated before reducing (default 10).
    pub patience: usize,
    /// The improvement that counts (default 1e-4).
    pub threshold: f64,
    /// Whether `threshold` is relative or absolute (default [`ThresholdMode::Rel`]).
    pub threshold_mode: ThresholdMode,
    /// Epochs to wait after a reduction before counting bad epochs again (default 0).
    pub cooldown: usize,
    /// The rate never goes below this (default 0).
    pub min_lr: f64,
    /// A reduction of at most this is skipped (default 1e-8).
    pub eps: f64,
}

impl Default for ReduceLrOnPlateauConfig {
    fn default() -> Self {
        ReduceLrOnPlateauConfig {
            mode: PlateauMode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
        }
    }
}

/// Reduce on plateau, PyTorch's `ReduceLROnPlateau`: multiplies the rate by `factor` when the
/// metric has not improved for more than `patience` epochs.
///
/// Each [`step`](ReduceLrOnPlateau::step) with the epoch's metric m:
/// ```text
/// if m improves on best (by threshold):  best ← m, bad ← 0   else  bad ← bad + 1
/// if cooling down:                       cooldown_counter −= 1, bad ← 0
/// if bad > patience:  η ← max(η·factor, min_lr) unless that changes η by ≤ eps;
///                     cooldown_counter ← cooldown, bad ← 0
/// ```
/// A NaN metric never improves (every comparison with NaN is false), as in PyTorch.
#[derive(Clone, Debug)]
pub struct ReduceLrOnPlateau {
    config: ReduceLrOnPlateauConfig,
    best: f64,
    num_bad_epochs: usize,
    cooldown_counter: usize,
    last_epoch: usize,
}

impl ReduceLrOnPlateau {
    /// A plateau detector; fails unless 0 ≤ factor < 1 and threshold, min_lr and eps are
    /// finite and ≥ 0.
    pub fn new(config: ReduceLrOnPlateauConfig) -> Result<Self> {
        const NAME: &str = "ReduceLROnPlateau";
        error::unit_interval(NAME, "factor", config.factor)?;
        error::non_negative(NAME, "threshold", config.threshold)?;
        error::non_negative(NAME, "min_lr", config.min_lr)?;
        error::non_negative(NAME, "eps", config.eps)?;
        let best = match config.mode {
            PlateauMode::Min => f64::INFINITY,
            PlateauMode::Max => f64::NEG_INFINITY,
        };
        Ok(ReduceLrOnPlateau { config, best, num_bad_epochs: 0, cooldown_counter: 0, last_epoch: 0 })
    }

    /// The options.
    pub fn config(&self) -> &ReduceLrOnPlateauConfig {
        &self.config
    }

    /// The best metric seen so far.
    pub fn best(&self) -> f64 {
        self.best
    }

    /// The number of [`step`](ReduceLrOnPlateau::step)s taken.
    pub fn last_epoch(&self) -> usize {
        self.last_epoch
    }

    /// The detector's progress as named numbers (`"last_epoch"`, `"best"`,
    /// `"num_bad_epochs"`, `"cooldown_counter"`), for a checkpoint; see
    /// [`LrScheduler::state_dict`].
    pub fn state_dict(&self) -> ScheduleState {
        named([
            ("last_epoch", self.last_epoch as f64),
            ("best", self.best),
            ("num_bad_epochs", self.num_bad_epochs as f64),
            ("cooldown_counter", self.cooldown_counter as f64),
        ])
    }

    /// Restores progress saved by [`state_dict`](ReduceLrOnPlateau::state_dict); fails,
    /// changing nothing, on a missing, unexpected or invalid entry.
    pub fn load_state_dict(&mut self, state: &ScheduleState) -> Result<()> {
        const NAME: &str = "ReduceLROnPlateau";
        let keys = ["last_epoch", "best", "num_bad_epochs", "cooldown_counter"];
        let [last_epoch, best, bad, cooldown] = read(NAME, state, keys)?;
        if best.is_nan() {
            return Err(invalid(NAME, "best", "holds NaN".to_string()));
        }
        let counts = [
            count(NAME, "last_epoch", last_epoch)?,
            count(NAME, "num_bad_epochs", bad)?,
            count(NAME, "cooldown_counter", cooldown)?,
        ];
        [self.last_epoch, self.num_bad_epochs, self.cooldown_counter] = counts;
        self.best = best;
        Ok(())
    }

    fn is_better(&self, metric: f64) -> bool {
        let (best, threshold) = (self.best, self.config.threshold);
        match (self.config.mode, self.config.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => metric < best * (1.0 - threshold),
            (PlateauMode::Min, ThresholdMode::Abs) => metric < best - threshold,
            (PlateauMode::Max, ThresholdMode::Rel) => metric > best * (threshold + 1.0),
            (PlateauMode::Max, ThresholdMode::Abs) => metric > best + threshold,
        }
    }

    /// Records the epoch's metric (e.g. the validation loss), reduces the optimizer's rate on a
    /// plateau, and returns the rate.
    pub fn step<T: Float>(&mut self, metric: f64, optimizer: &mut (impl Optimizer<T> + ?Sized)) -> Result<f64> {
        self.last_epoch += 1;
        if self.is_better(metric) {
            self.best = metric;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0; // bad epochs during cooldown do not count
        }
        if self.num_bad_epochs > self.config.patience {
            let old = optimizer.lr();
            let new = (old * self.config.factor).max(self.config.min_lr);
            if old - new > self.config.eps {
                optimizer.set_lr(new)?;
            }
            self.cooldown_counter = self.config.cooldown;
            self.num_bad_epochs = 0;
        }
        Ok(optimizer.lr())
    }
}

fn named<const N: usize>(entries: [(&str, f64); N]) -> ScheduleState {
    entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn invalid(owner: &'static str, key: &str, msg: String) -> Error {
    Error::InvalidState { owner, key: key.to_string(), msg }
}

/// The values of exactly `keys` in `state`: a missing or an extra entry is an error.
fn read<const N: usize>(owner: &'static str, state: &ScheduleState, keys: [&'static str; N]) -> Result<[f64; N]> {
    if let Some(extra) = state.keys().find(|k| !keys.contains(&k.as_str())) {
        return Err(Error::UnexpectedState { owner, key: extra.clone() });
    }
    let mut values = [0.0; N];
    for (value, key) in values.iter_mut().zip(keys) {
        *value = *state.get(key).ok_or_else(|| Error::MissingState { owner, key: key.to_string() })?;
    }
    Ok(values)
}

/// A saved counter: a whole number ≥ 0.
fn count(owner: &'static str, key: &str, v: f64) -> Result<usize> {
    if v >= 0.0 && v.fract() == 0.0 && v < 2f64.powi(53) {
        Ok(v as usize)
    } else {
        Err(invalid(owner, key, format!("holds {v}, not a count (a whole number >= 0)")))
    }
}
