//! Learning-rate schedules, as PyTorch's `torch.optim.lr_scheduler`: [`StepLr`],
//! [`MultiStepLr`], [`ExponentialLr`], [`CosineAnnealingLr`],
//! [`CosineAnnealingWarmRestarts`], [`LinearLr`] (warm-up), [`OneCycleLr`] and
//! [`ReduceLrOnPlateau`].
//!
//! A schedule is created (from the optimizer, when it needs the base rates or sets the rate for
//! step 0, as [`CosineAnnealingLr`], [`LinearLr`] and [`OneCycleLr`] do), then stepped once per
//! epoch *after* the epoch's optimizer steps ([`OneCycleLr`]: once per batch). Each step sets
//! the rate of every parameter group of the optimizer, as PyTorch does: the chainable schedules
//! (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, ReduceLROnPlateau) compute
//! each group's next rate from the rate it has now with PyTorch's recursive formulas, the closed
//! forms (CosineAnnealingWarmRestarts, OneCycleLR) from each group's own base rate, so the
//! sequences match PyTorch's to rounding.
//!
//! Every schedule saves and restores its progress the same way
//! ([`LrScheduler::state_dict`], [`LrScheduler::load_state_dict`]), and a `Box<dyn LrScheduler>`
//! is itself a schedule, so a training loop can hold any of them.
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

mod cosine;
mod exponential;
mod linear;
mod one_cycle;
mod plateau;
mod step;

pub use cosine::{CosineAnnealingLr, CosineAnnealingWarmRestarts};
pub use exponential::ExponentialLr;
pub use linear::LinearLr;
pub use one_cycle::{Anneal, OneCycleLr, OneCycleLrConfig};
pub use plateau::{PlateauMode, ReduceLrOnPlateau, ReduceLrOnPlateauConfig, ThresholdMode};
pub use step::{MultiStepLr, StepLr};

use crate::error::{Error, Result, Site};
use crate::Optimizer;
use autograd::Float;
use indexmap::IndexMap;

/// A schedule's progress as named numbers (`"last_epoch"`, …), for a checkpoint.
pub type ScheduleState = IndexMap<String, f64>;

/// A learning-rate schedule: stepped once per epoch (or per batch, for [`OneCycleLr`]), it
/// sets the learning rate (and, for [`OneCycleLr`], the momentum) of every parameter group.
pub trait LrScheduler {
    /// The schedule's name, as PyTorch's class (`"StepLR"`), for messages.
    fn name(&self) -> &'static str;

    /// Advances one step (PyTorch's `last_epoch += 1`); fails, changing nothing, when the
    /// schedule cannot take another ([`OneCycleLr`] past its `total_steps`,
    /// [`ReduceLrOnPlateau`] without a metric [`observe`](LrScheduler::observe)d).
    #[track_caller]
    fn advance(&mut self) -> Result<()>;

    /// Parameter group `group`'s learning rate at the step just advanced to, given the rate it
    /// has now: the chainable schedules scale `current`, the closed forms use their own record
    /// of the group's base rate.
    fn group_lr(&self, group: usize, current: f64) -> f64;

    /// Parameter group `group`'s momentum at the step just advanced to, for the schedules that
    /// cycle it ([`OneCycleLr`]); `None` leaves the momentum alone.
    fn group_momentum(&self, group: usize) -> Option<f64> {
        let _ = group;
        None
    }

    /// The number of parameter groups the schedule keeps values for (base rates), or `None` if
    /// it works with any number. [`step`](LrScheduler::step) checks it against the optimizer.
    fn groups(&self) -> Option<usize> {
        None
    }

    /// Gives the schedule the epoch's metric (a validation loss, an accuracy) before
    /// [`step`](LrScheduler::step): [`ReduceLrOnPlateau`] needs one per step, the other
    /// schedules ignore it. This lets a training loop drive every schedule the same way.
    fn observe(&mut self, metric: f64) {
        let _ = metric;
    }

    /// The number of steps taken (PyTorch's `last_epoch`; 0 after construction).
    fn last_epoch(&self) -> usize;

    /// The schedule's progress as named numbers — `"last_epoch"`, plus what else the schedule
    /// tracks (`"base_lr"` and `"param_groups.<g>.base_lr"` for the schedules that keep base
    /// rates, ReduceLROnPlateau's `"best"` and counters, CosineAnnealingWarmRestarts' `"T_cur"`
    /// and `"T_i"`) — to save with a checkpoint beside the optimizer's
    /// [`state_dict`](Optimizer::state_dict) (which holds the current rates and momenta). The
    /// options are not included: they come from the code that rebuilds the schedule.
    ///
    /// To resume: build the optimizer and the schedule as at the start, *then* load both
    /// states (building a [`LinearLr`] or a [`OneCycleLr`] sets the optimizer's rates, which the
    /// loaded optimizer state then overwrites with the saved ones).
    fn state_dict(&self) -> ScheduleState;

    /// Restores progress saved by [`state_dict`](LrScheduler::state_dict); fails, changing
    /// nothing, on a missing, unexpected or invalid entry.
    #[track_caller]
    fn load_state_dict(&mut self, state: &ScheduleState) -> Result<()>;

    /// Advances one step and returns the learning rate for it, computed from the rate the
    /// optimizer has now (`current`): the form for an optimizer with one parameter group
    /// (for several, use [`step`](LrScheduler::step)).
    ///
    /// # Panics
    /// Where [`advance`](LrScheduler::advance) fails; [`try_next_lr`](LrScheduler::try_next_lr)
    /// returns the error instead.
    #[track_caller]
    fn next_lr(&mut self, current: f64) -> f64 {
        self.try_next_lr(current).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`next_lr`](LrScheduler::next_lr), failing (and changing nothing) where
    /// [`advance`](LrScheduler::advance) fails.
    #[track_caller]
    fn try_next_lr(&mut self, current: f64) -> Result<f64> {
        self.advance()?;
        Ok(self.group_lr(0, current))
    }

    /// Advances one step, sets the learning rate (and momentum, where the schedule cycles it)
    /// of every parameter group of the optimizer, and returns group 0's rate. Call it after the
    /// epoch's optimizer steps (after each batch's, for [`OneCycleLr`]). Fails, changing
    /// nothing, where [`advance`](LrScheduler::advance) fails or if the optimizer's number of
    /// groups differs from the one the schedule was built for.
    #[track_caller]
    fn step<T: Float>(&mut self, optimizer: &mut (impl Optimizer<T> + ?Sized)) -> Result<f64>
    where
        Self: Sized,
    {
        step_groups(self, optimizer)
    }
}

/// A boxed schedule is a schedule, so a training loop can hold any of them as
/// `Box<dyn LrScheduler>` and still call [`step`](LrScheduler::step).
impl<S: LrScheduler + ?Sized> LrScheduler for Box<S> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    #[track_caller]
    fn advance(&mut self) -> Result<()> {
        (**self).advance()
    }
    fn group_lr(&self, group: usize, current: f64) -> f64 {
        (**self).group_lr(group, current)
    }
    fn group_momentum(&self, group: usize) -> Option<f64> {
        (**self).group_momentum(group)
    }
    fn groups(&self) -> Option<usize> {
        (**self).groups()
    }
    fn observe(&mut self, metric: f64) {
        (**self).observe(metric)
    }
    fn last_epoch(&self) -> usize {
        (**self).last_epoch()
    }
    fn state_dict(&self) -> ScheduleState {
        (**self).state_dict()
    }
    #[track_caller]
    fn load_state_dict(&mut self, state: &ScheduleState) -> Result<()> {
        (**self).load_state_dict(state)
    }
}

/// [`LrScheduler::step`]: check the group count, advance, then set every group.
#[track_caller]
fn step_groups<T: Float, S, O>(schedule: &mut S, optimizer: &mut O) -> Result<f64>
where
    S: LrScheduler + ?Sized,
    O: Optimizer<T> + ?Sized,
{
    let got = optimizer.group_count();
    if let Some(expected) = schedule.groups() {
        if expected != got {
            return Err(Error::GroupCount { owner: schedule.name(), expected, got, site: Site::caller() });
        }
    }
    schedule.advance()?;
    apply(schedule, optimizer)
}

/// Sets every group's rate and momentum to the schedule's values at its current step.
#[track_caller]
fn apply<T: Float, S, O>(schedule: &S, optimizer: &mut O) -> Result<f64>
where
    S: LrScheduler + ?Sized,
    O: Optimizer<T> + ?Sized,
{
    let lrs: Vec<f64> = optimizer.group_lrs().into_iter().enumerate().map(|(g, lr)| schedule.group_lr(g, lr)).collect();
    for (g, lr) in lrs.into_iter().enumerate() {
        optimizer.set_group_lr(g, lr)?;
        if let Some(momentum) = schedule.group_momentum(g) {
            optimizer.set_group_momentum(g, momentum)?;
        }
    }
    Ok(optimizer.lr())
}

/// The key of a per-group entry: `name` for group 0, `param_groups.<g>.name` after (as the
/// optimizers' state dicts spell them).
fn group_key(g: usize, name: &str) -> String {
    if g == 0 {
        name.to_string()
    } else {
        format!("param_groups.{g}.{name}")
    }
}

fn named<const N: usize>(entries: [(&str, f64); N]) -> ScheduleState {
    entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn invalid(owner: &'static str, key: &str, msg: String, site: Site) -> Error {
    Error::InvalidState { owner, key: key.to_string(), msg, site }
}

/// Reads a saved state: `keys` and, if given, one base rate per group (`"base_lr"`,
/// `"param_groups.<g>.base_lr"`); a missing or an extra entry is an error.
struct Reader<'a> {
    owner: &'static str,
    state: &'a ScheduleState,
    used: Vec<bool>,
    site: Site,
}

impl<'a> Reader<'a> {
    fn new(owner: &'static str, state: &'a ScheduleState, site: Site) -> Self {
        Reader { owner, state, used: vec![false; state.len()], site }
    }

    fn get(&mut self, key: &str) -> Result<f64> {
        let (index, _, value) = self.state.get_full(key).ok_or_else(|| Error::MissingState {
            owner: self.owner,
            key: key.to_string(),
            site: self.site,
        })?;
        self.used[index] = true;
        Ok(*value)
    }

    /// A saved counter: a whole number ≥ 0.
    fn count(&mut self, key: &str) -> Result<usize> {
        let v = self.get(key)?;
        if v >= 0.0 && v.fract() == 0.0 && v < 2f64.powi(53) {
            Ok(v as usize)
        } else {
            Err(invalid(self.owner, key, format!("holds {v}, not a count (a whole number >= 0)"), self.site))
        }
    }

    /// A saved number that must satisfy `ok`.
    fn number(&mut self, key: &str, ok: impl Fn(f64) -> bool, what: &str) -> Result<f64> {
        let v = self.get(key)?;
        if ok(v) {
            Ok(v)
        } else {
            Err(invalid(self.owner, key, format!("holds {v}, not {what}"), self.site))
        }
    }

    /// One base rate per group.
    fn base_lrs(&mut self, groups: usize) -> Result<Vec<f64>> {
        let rate = |v: f64| v.is_finite() && v >= 0.0;
        (0..groups).map(|g| self.number(&group_key(g, "base_lr"), rate, "a learning rate (finite and >= 0)")).collect()
    }

    /// Fails on an entry that was not read.
    fn finish(self) -> Result<()> {
        match self.used.iter().position(|&u| !u) {
            Some(index) => {
                let key = self.state.get_index(index).expect("index below len").0.clone();
                Err(Error::UnexpectedState { owner: self.owner, key, site: self.site })
            }
            None => Ok(()),
        }
    }
}

/// Saves base rates as `"base_lr"`, `"param_groups.<g>.base_lr"`.
fn save_base_lrs(state: &mut ScheduleState, base_lrs: &[f64]) {
    for (g, &lr) in base_lrs.iter().enumerate() {
        state.insert(group_key(g, "base_lr"), lr);
    }
}
