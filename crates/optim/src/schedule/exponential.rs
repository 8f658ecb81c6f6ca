//! Exponential decay, [`ExponentialLr`].

use super::{named, LrScheduler, Reader, ScheduleState};
use crate::error::{self, Result, Site};

/// Exponential decay, PyTorch's `ExponentialLR`: η_e = η₀·γᵉ.
#[derive(Clone, Debug)]
pub struct ExponentialLr {
    gamma: f64,
    last_epoch: usize,
}

impl ExponentialLr {
    /// Multiplies the optimizer's rates by `gamma` every epoch; fails if `gamma` is negative or
    /// not finite.
    #[track_caller]
    pub fn new(gamma: f64) -> Result<Self> {
        error::non_negative("ExponentialLR", "gamma", gamma, Site::caller())?;
        Ok(ExponentialLr { gamma, last_epoch: 0 })
    }
}

impl LrScheduler for ExponentialLr {
    fn name(&self) -> &'static str {
        "ExponentialLR"
    }
    fn advance(&mut self) -> Result<()> {
        self.last_epoch += 1;
        Ok(())
    }
    fn group_lr(&self, _: usize, current: f64) -> f64 {
        current * self.gamma
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
