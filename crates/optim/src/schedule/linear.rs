//! Linear warm-up (or decay), [`LinearLr`].

use super::{named, LrScheduler, Reader, ScheduleState};
use crate::error::{self, Result, Site};
use crate::Optimizer;
use autograd::Float;

/// Linear warm-up (or decay), PyTorch's `LinearLR`: the factor applied to each group's base
/// rate moves linearly from `start_factor` at epoch 0 to `end_factor` at epoch `total_iters`,
/// then stays: η_e = η₀·(s + (f − s)·min(e, total_iters) / total_iters).
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
    /// Sets every group's rate to `start_factor` times its current rate and ramps the factor
    /// to `end_factor` over `total_iters` epochs; fails, changing nothing, unless
    /// 0 < `start_factor` ≤ 1 and 0 ≤ `end_factor` ≤ 1 (PyTorch's checks).
    #[track_caller]
    pub fn new<T: Float>(
        optimizer: &mut (impl Optimizer<T> + ?Sized),
        start_factor: f64,
        end_factor: f64,
        total_iters: usize,
    ) -> Result<Self> {
        let site = Site::caller();
        let ok = start_factor > 0.0 && start_factor <= 1.0;
        error::check("LinearLR", "start_factor", start_factor, ok, "in (0, 1]", site)?;
        let ok = (0.0..=1.0).contains(&end_factor);
        error::check("LinearLR", "end_factor", end_factor, ok, "in [0, 1]", site)?;
        for (g, lr) in optimizer.group_lrs().into_iter().enumerate() {
            // A smaller rate than a valid one: cannot fail.
            optimizer.set_group_lr(g, lr * start_factor)?;
        }
        Ok(LinearLr { start_factor, end_factor, total_iters, last_epoch: 0 })
    }

    /// PyTorch's default warm-up: from a third of the rate to the full rate over 5 epochs.
    #[track_caller]
    pub fn warmup<T: Float>(optimizer: &mut (impl Optimizer<T> + ?Sized)) -> Result<Self> {
        LinearLr::new(optimizer, 1.0 / 3.0, 1.0, 5)
    }
}

impl LrScheduler for LinearLr {
    fn name(&self) -> &'static str {
        "LinearLR"
    }
    fn advance(&mut self) -> Result<()> {
        self.last_epoch += 1;
        Ok(())
    }
    fn group_lr(&self, _: usize, current: f64) -> f64 {
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
    #[track_caller]
    fn load_state_dict(&mut self, state: &ScheduleState) -> Result<()> {
        let mut r = Reader::new(self.name(), state, Site::caller());
        let last_epoch = r.count("last_epoch")?;
        r.finish()?;
        self.last_epoch = last_epoch;
        Ok(())
    }
}
