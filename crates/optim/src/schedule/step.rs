//! Step decays: [`StepLr`] (every `step_size` epochs) and [`MultiStepLr`] (at given epochs).

use super::{named, LrScheduler, Reader, ScheduleState};
use crate::error::{self, Result, Site};

/// Step decay, PyTorch's `StepLR`: the rate is multiplied by γ every `step_size` epochs,
/// η_e = η₀·γ^⌊e / step_size⌋.
#[derive(Clone, Debug)]
pub struct StepLr {
    step_size: usize,
    gamma: f64,
    last_epoch: usize,
}

impl StepLr {
    /// Decays the optimizer's rates by `gamma` every `step_size` epochs; fails if
    /// `step_size` is 0 or `gamma` is negative or not finite.
    #[track_caller]
    pub fn new(step_size: usize, gamma: f64) -> Result<Self> {
        let site = Site::caller();
        error::check("StepLR", "step_size", step_size as f64, step_size >= 1, ">= 1", site)?;
        error::non_negative("StepLR", "gamma", gamma, site)?;
        Ok(StepLr { step_size, gamma, last_epoch: 0 })
    }
}

impl LrScheduler for StepLr {
    fn name(&self) -> &'static str {
        "StepLR"
    }
    fn advance(&mut self) -> Result<()> {
        self.last_epoch += 1;
        Ok(())
    }
    fn group_lr(&self, _: usize, current: f64) -> f64 {
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
    #[track_caller]
    fn load_state_dict(&mut self, state: &ScheduleState) -> Result<()> {
        let mut r = Reader::new(self.name(), state, Site::caller());
        let last_epoch = r.count("last_epoch")?;
        r.finish()?;
        self.last_epoch = last_epoch;
        Ok(())
    }
}

/// Decay at milestones, PyTorch's `MultiStepLR`: the rate is multiplied by γ at each epoch in
/// `milestones`, η_e = η₀·γ^(number of milestones ≤ e). A milestone listed twice multiplies by
/// γ² there, as in PyTorch; the order does not matter.
///
/// Unlike PyTorch, a milestone at epoch 0 is an error: PyTorch applies it at construction,
/// which only scales the starting rate (set that rate directly instead).
#[derive(Clone, Debug)]
pub struct MultiStepLr {
    /// Sorted, with repeats.
    milestones: Vec<usize>,
    gamma: f64,
    last_epoch: usize,
}

impl MultiStepLr {
    /// Decays the optimizer's rates by `gamma` at each milestone epoch; fails on a milestone
    /// of 0, or if `gamma` is negative or not finite.
    #[track_caller]
    pub fn new(milestones: impl IntoIterator<Item = usize>, gamma: f64) -> Result<Self> {
        let site = Site::caller();
        let mut milestones: Vec<usize> = milestones.into_iter().collect();
        milestones.sort_unstable();
        if let Some(&first) = milestones.first() {
            error::check("MultiStepLR", "milestones", first as f64, first >= 1, "epochs >= 1", site)?;
        }
        error::non_negative("MultiStepLR", "gamma", gamma, site)?;
        Ok(MultiStepLr { milestones, gamma, last_epoch: 0 })
    }
}

impl LrScheduler for MultiStepLr {
    fn name(&self) -> &'static str {
        "MultiStepLR"
    }
    fn advance(&mut self) -> Result<()> {
        self.last_epoch += 1;
        Ok(())
    }
    fn group_lr(&self, _: usize, current: f64) -> f64 {
        let hits = self.milestones.iter().filter(|&&m| m == self.last_epoch).count();
        if hits == 0 {
            current
        } else {
            // PyTorch's `gamma ** count`, a float power (not repeated multiplication).
            current * self.gamma.powf(hits as f64)
        }
    }
    fn last_epoch(&self) -> usize {
        self.last_epoch
    }
    fn state_dict(&self) -> ScheduleState {
        named([("last_epoch", self.last_epoch as f64)])
    }
    #[track_caller]
    fn load_state_dict(&mut self, state: &ScheduleState) -> Result<()> {
        let mut r = Reader::new(self.name(), state, Site::caller());
        let last_epoch = r.count("last_epoch")?;
        r.finish()?;
        self.last_epoch = last_epoch;
        Ok(())
    }
}
