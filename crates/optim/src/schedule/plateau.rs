//! Reduce the rate when a metric stops improving, [`ReduceLrOnPlateau`].

use super::{named, LrScheduler, Reader, ScheduleState};
use crate::error::{self, Error, Result, Site};
use crate::Optimizer;
use autograd::Float;

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
/// A NaN metric never improves (every comparison with NaN is false), as in PyTorch. Every
/// parameter group is reduced, each from its own rate.
///
/// Step it with the metric, [`ReduceLrOnPlateau::step`]`(metric, &mut optimizer)`, or, like
/// the other schedules through the [`LrScheduler`] trait, [`observe`](LrScheduler::observe)
/// the metric and then [`step`](LrScheduler::step).
#[derive(Clone, Debug)]
pub struct ReduceLrOnPlateau {
    config: ReduceLrOnPlateauConfig,
    best: f64,
    num_bad_epochs: usize,
    cooldown_counter: usize,
    last_epoch: usize,
    /// The metric given to `observe` for the coming step.
    metric: Option<f64>,
    /// Whether the step just taken reduces the rates.
    reduce: bool,
}

impl ReduceLrOnPlateau {
    /// A plateau detector; fails unless 0 ≤ factor < 1 and threshold, min_lr and eps are
    /// finite and ≥ 0.
    #[track_caller]
    pub fn new(config: ReduceLrOnPlateauConfig) -> Result<Self> {
        const NAME: &str = "ReduceLROnPlateau";
        let site = Site::caller();
        error::unit_interval(NAME, "factor", config.factor, site)?;
        error::non_negative(NAME, "threshold", config.threshold, site)?;
        error::non_negative(NAME, "min_lr", config.min_lr, site)?;
        error::non_negative(NAME, "eps", config.eps, site)?;
        let best = match config.mode {
            PlateauMode::Min => f64::INFINITY,
            PlateauMode::Max => f64::NEG_INFINITY,
        };
        Ok(ReduceLrOnPlateau {
            config,
            best,
            num_bad_epochs: 0,
            cooldown_counter: 0,
            last_epoch: 0,
            metric: None,
            reduce: false,
        })
    }

    /// The options.
    pub fn config(&self) -> &ReduceLrOnPlateauConfig {
        &self.config
    }

    /// The best metric seen so far.
    pub fn best(&self) -> f64 {
        self.best
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

    /// Records the epoch's metric (e.g. the validation loss), reduces the optimizer's rates on a
    /// plateau, and returns group 0's rate.
    #[track_caller]
    pub fn step<T: Float>(&mut self, metric: f64, optimizer: &mut (impl Optimizer<T> + ?Sized)) -> Result<f64> {
        self.observe(metric);
        LrScheduler::step(self, optimizer)
    }
}

impl LrScheduler for ReduceLrOnPlateau {
    fn name(&self) -> &'static str {
        "ReduceLROnPlateau"
    }
    fn observe(&mut self, metric: f64) {
        self.metric = Some(metric);
    }
    fn advance(&mut self) -> Result<()> {
        let metric = self.metric.take().ok_or(Error::MissingMetric { owner: self.name(), site: Site::caller() })?;
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
        self.reduce = self.num_bad_epochs > self.config.patience;
        if self.reduce {
            self.cooldown_counter = self.config.cooldown;
            self.num_bad_epochs = 0;
        }
        Ok(())
    }
    fn group_lr(&self, _: usize, current: f64) -> f64 {
        if !self.reduce {
            return current;
        }
        let new = (current * self.config.factor).max(self.config.min_lr);
        if current - new > self.config.eps {
            new
        } else {
            current
        }
    }
    fn last_epoch(&self) -> usize {
        self.last_epoch
    }
    /// `"last_epoch"`, `"best"`, `"num_bad_epochs"`, `"cooldown_counter"`.
    fn state_dict(&self) -> ScheduleState {
        named([
            ("last_epoch", self.last_epoch as f64),
            ("best", self.best),
            ("num_bad_epochs", self.num_bad_epochs as f64),
            ("cooldown_counter", self.cooldown_counter as f64),
        ])
    }
    #[track_caller]
    fn load_state_dict(&mut self, state: &ScheduleState) -> Result<()> {
        let mut r = Reader::new(self.name(), state, Site::caller());
        let last_epoch = r.count("last_epoch")?;
        let best = r.number("best", |v| !v.is_nan(), "a metric")?;
        let num_bad_epochs = r.count("num_bad_epochs")?;
        let cooldown_counter = r.count("cooldown_counter")?;
        r.finish()?;
        (self.last_epoch, self.best, self.num_bad_epochs, self.cooldown_counter) =
            (last_epoch, best, num_bad_epochs, cooldown_counter);
        Ok(())
    }
}
